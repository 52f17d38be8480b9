"""tensorhouse's sessions: build the six wheels, test each layer alone and all together, lint."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import nox

nox.options.sessions = ["lint", "tests", "layer", "asan"]
nox.options.default_venv_backend = "virtualenv"

ROOT = pathlib.Path(__file__).parent
LAYERS = ["hw-runtime", "kernels", "ops", "components", "models"]
PACKAGES = [*LAYERS, "tensorhouse"]
DIST = {
    "hw-runtime": "tensorhouse-hw-runtime",
    "kernels": "tensorhouse-kernels",
    "ops": "tensorhouse-ops",
    "components": "tensorhouse-components",
    "models": "tensorhouse-models",
    "tensorhouse": "tensorhouse",
}
WHEELS = ROOT / ".nox" / "_wheels"
TEST_DEPS = ["pytest>=8", "hypothesis>=6"]
# The test files run in parallel processes (one process takes a whole file, so a file's
# fixtures and order hold); the kernels' XLA conformance cases spread case by case.
XDIST = "pytest-xdist>=3.5"
WORKERS = str(min(4, os.cpu_count() or 1))
# Files that start processes of their own (MPI jobs, the fuzzers' workers with their hang
# timeouts, a trainer killed and restarted) or time their thread pools: they run after the
# parallel pass, alone on the machine.
SERIAL = (
    "tests/fuzz",
    "packages/kernels/tests/test_kernels_threads.py",
    "packages/models/tests/test_distribute_mpi.py",
    "packages/models/tests/test_distribute_overlap.py",
    "packages/models/tests/test_backup_kill.py",
)
# JAX backs the XLA_CPU devices, so the XLA paths run in CI (no TPU or GPU needed).
XLA_DEPS = ["jax>=0.4.30"]
# oneMKL, the kernels' optional GEMM library (tensorhouse-kernels[mkl]): the full-stack tests and
# the benchmarks run with it; the kernels layer session runs without it, so CI tests both paths.
MKL_DEPS = ["mkl>=2024"]
# tensorhouse-models[tensorboard]: the TensorBoard callback's tests read the files back with it
TENSORBOARD_DEPS = ["tensorboard>=2.14"]
# fit takes pandas DataFrames and Series, as Keras does; the trainer's tests feed it some
PANDAS_DEPS = ["pandas>=2"]
# tf.distribute across processes: mpi4py on the MPICH wheels (mpiexec on the venv's bin path)
DISTRIBUTED_DEPS = ["mpi4py>=4", "mpich>=4"]
# the demo extra of the meta-package (the digits images, the PNG)
DEMO_DEPS = ["scikit-learn>=1.3", "matplotlib>=3.7"]
# tensorhouse-models[onnx]: the ONNX exporter's tests run the files with onnxruntime
ONNX_DEPS = ["onnx>=1.15", "onnxruntime>=1.17"]
# Each layer's tests run once, in its own session, with the optional third-party packages they
# exercise (never a layer above it): XLA devices (components has no XLA tests of its own), and for
# models TensorBoard's reader, pandas, MPI and ONNX. The kernels session runs without oneMKL;
# "tests" adds it.
LAYER_EXTRAS = {
    "hw-runtime": XLA_DEPS,
    "kernels": XLA_DEPS,
    "ops": XLA_DEPS,
    "components": ["scipy>=1.10"],  # the reference for the STFT windows and elastic transforms
    "models": XLA_DEPS + TENSORBOARD_DEPS + PANDAS_DEPS + DISTRIBUTED_DEPS + ONNX_DEPS,
}
# The wheels build without pip's build isolation, from one build environment at a fixed path: CMake
# caches where pybind11, OpenBLAS and Python are, and pip's isolated environment is a new temporary
# directory on every build. So the C++ build dirs stay valid: an unchanged tree rebuilds in
# seconds, in later runs too.
BUILD_ENV = ROOT / ".nox" / "_build_env"
KERNELS_BUILD = ROOT / ".nox" / "_kernels_build"
_built: dict[str, pathlib.Path] = {}


def build_requires(pkg: str) -> list[str]:
    """The build-system requirements in ``packages/<pkg>/pyproject.toml`` (a list)."""
    text = (ROOT / "packages" / pkg / "pyproject.toml").read_text()
    (block,) = re.findall(r"^requires = \[(.*?)\]$", text, flags=re.M | re.S)
    return re.findall(r'"([^"]+)"', block)


def build_python(session: nox.Session) -> str:
    """The build environment's python, made on first use and given every package's requirements
    (ccache among the kernels' ones: a build dir made anew, in a fresh clone or after
    `rm -rf .nox`, takes the objects of unchanged files from ~/.cache/ccache)."""
    python = BUILD_ENV / "bin" / "python"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"  # the sessions' python
    try:
        check = f"import sys; assert '%d.%d' % sys.version_info[:2] == '{version}'"
        subprocess.run([str(python), "-c", check], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(BUILD_ENV, ignore_errors=True)
        session.run(sys.executable, "-m", "virtualenv", "-q", str(BUILD_ENV), external=True)
    requires = sorted({r for pkg in PACKAGES for r in build_requires(pkg)})
    installed = BUILD_ENV / "requires.txt"  # while the requirements are those, pip is not run
    if installed.is_file() and installed.read_text() == "\n".join(requires):
        return str(python)
    session.run(str(python), "-m", "pip", "install", "-q", *requires, external=True)
    # scikit-build-core's own extra requirements: cmake and ninja, where the machine lacks them
    with session.chdir(ROOT / "packages" / "kernels"):
        hook = "import scikit_build_core.build as b; print(*b.get_requires_for_build_wheel())"
        extra = session.run(str(python), "-c", hook, silent=True, external=True).split()
    if extra:
        session.run(str(python), "-m", "pip", "install", "-q", *extra, external=True)
    installed.write_text("\n".join(requires))
    return str(python)


def pip_wheel(session: nox.Session, pkgs: list[str], dest: pathlib.Path, build_dir: pathlib.Path,
              **skbuild: str) -> None:  # fmt: skip
    """``pip wheel`` the packages in one pip run with the build environment; the kernels' C++
    build, in ``build_dir`` (kept between runs), shows its progress (-v: a line per file)."""
    python = build_python(session)
    paths = [str(ROOT / "packages" / p) for p in pkgs]
    cmd = ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(dest)]
    # scikit-build-core's settings as SKBUILD_* variables (hatchling, the other packages' backend,
    # has none); paths under the checkout reach ccache relative to the build dir, so another
    # clone hits too
    env = {"CCACHE_BASEDIR": str(ROOT), "SKBUILD_BUILD_DIR": str(build_dir)}
    env |= {f"SKBUILD_{k.upper()}": v for k, v in skbuild.items()}
    session.run(python, *cmd, *paths, env=env, external=True)


def build_wheels(session: nox.Session) -> dict[str, pathlib.Path]:
    """Build a wheel of every package once per nox run (the C++ build dir is kept between runs)."""
    if _built:
        return _built
    start = time.monotonic()
    shutil.rmtree(WHEELS, ignore_errors=True)
    WHEELS.mkdir(parents=True)
    pip_wheel(session, PACKAGES, WHEELS, KERNELS_BUILD)
    for pkg in PACKAGES:
        prefix = DIST[pkg].replace("-", "_") + "-"
        (wheel,) = [w for w in WHEELS.glob("*.whl") if w.name.startswith(prefix)]
        _built[pkg] = wheel
    session.log(f"six wheels built in {time.monotonic() - start:.0f} s")
    return _built


def install_stack(session: nox.Session, top: str) -> None:
    """Install ``top`` and the layers below it from the fresh wheels, never from an index."""
    wheels = build_wheels(session)
    upto = PACKAGES[: PACKAGES.index(top) + 1]
    session.install(*[str(wheels[p]) for p in upto])
    installed = session.run("python", "-m", "pip", "list", "--format=freeze", silent=True)
    names = {line.split("==")[0].lower() for line in installed.splitlines()}
    above = [DIST[p] for p in PACKAGES if p not in upto and DIST[p] in names]
    if above:
        session.error(f"layers above {top} got installed: {above}")
    session.run("python", "-m", "pip", "check")


def run_tests(session: nox.Session, *paths: str, ignore: tuple[str, ...] = ()) -> None:
    """pytest over ``paths``: the files in parallel processes, then the SERIAL ones alone (with
    posargs, one plain pytest run)."""
    if session.posargs:
        session.run("pytest", "-q", *paths, *session.posargs)
        return
    serial = [s for s in SERIAL if s.startswith(paths)]
    skip = [arg for path in (*serial, *ignore) for arg in ("--ignore", path)]
    session.run("pytest", "-q", "-n", WORKERS, "--dist", "loadfile", *paths, *skip)
    if serial:
        session.run("pytest", "-q", *serial)


@nox.session
def tests(session: nox.Session) -> None:
    """All six wheels with every extra: the meta-package's tests, the cross-layer tests/ and the
    kernels' GEMM tests with oneMKL (each layer's own tests run once, in "layer")."""
    install_stack(session, "tensorhouse")
    session.install(*TEST_DEPS, XDIST, *XLA_DEPS, *MKL_DEPS, *TENSORBOARD_DEPS)
    paths = ["packages/tensorhouse/tests", "tests"]
    # oneMKL changes the GEMMs only: where it is the library in force (TENSORHOUSE_BLAS=auto takes
    # it on Intel CPUs) every kernel test runs with it too, else the backend tests, which run both.
    gemm = "from tensorhouse_kernels import cpu; print(cpu.info()['gemm'])"
    on_mkl = "oneMKL" in session.run("python", "-c", gemm, silent=True)
    paths.append("packages/kernels/tests" + ("" if on_mkl else "/test_kernels_blas_backend.py"))
    run_tests(session, *paths)


@nox.session
@nox.parametrize("layer", LAYERS)
def layer(session: nox.Session, layer: str) -> None:
    """Install one layer (and only the layers below it) and run that layer's tests."""
    install_stack(session, layer)
    session.install(*TEST_DEPS, XDIST, *LAYER_EXTRAS.get(layer, []))
    tests = f"packages/{layer}/tests"
    if layer == "hw-runtime" or session.posargs:  # a few seconds: not worth the processes
        session.run("pytest", "-q", tests, *session.posargs)
        return
    # The XLA conformance cases spend their time in single-threaded XLA compiles, one per
    # case: they spread over the processes case by case, after the other files.
    conformance = f"{tests}/test_xla_conformance.py"
    run_tests(session, tests, ignore=(conformance,) if layer == "kernels" else ())
    if layer == "kernels":
        session.run("pytest", "-q", "-n", WORKERS, conformance)


def runtime_requires(pkg: str) -> list[str]:
    """The third-party ``dependencies`` of ``packages/<pkg>/pyproject.toml`` (no tensorhouse-*)."""
    text = (ROOT / "packages" / pkg / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, flags=re.M | re.S)
    names = re.findall(r'"([^"]+)"', block.group(1)) if block else []
    return [n for n in names if not n.startswith("tensorhouse")]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff; import-linter's layering and public-import contracts (tools/import_rules.py);
    basedpyright (basic) over the public modules; the size budget (tools/size_budget.py)."""
    session.install("ruff>=0.6", "import-linter>=2.1", "basedpyright>=1.20")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    src = [str(ROOT / "packages" / p / "src") for p in PACKAGES]
    session.run("lint-imports", env={"PYTHONPATH": os.pathsep.join(src)})
    # the type checker reads the third-party packages' types (numpy, ...): install them
    session.install(*sorted({r for p in PACKAGES for r in runtime_requires(p)}))
    python = session.run("python", "-c", "import sys; print(sys.executable)", silent=True)
    session.run("basedpyright", "--pythonpath", python.strip())
    session.run("python", "tools/size_budget.py")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the seed's regression at each API level, then a digits CNN with fit."""
    install_stack(session, "tensorhouse")
    session.install(*DEMO_DEPS)
    session.run("tensorhouse", "info")
    session.run("tensorhouse", "demo", *session.posargs)


@nox.session
def asan(session: nox.Session) -> None:
    """Kernel tests under AddressSanitizer + UBSan (kernels built with TH_SANITIZE=ON)."""
    dest = ROOT / ".nox" / "_asan_wheels"
    shutil.rmtree(dest, ignore_errors=True)
    build_dir = ROOT / ".nox" / "_asan_build"
    pip_wheel(session, ["hw-runtime", "kernels"], dest, build_dir, cmake_define="TH_SANITIZE=ON")
    session.install(*TEST_DEPS, *[str(w) for w in sorted(dest.glob("*.whl"))])
    libs = [
        session.run("g++", f"-print-file-name={lib}", silent=True, external=True).strip()
        for lib in ("libasan.so", "libubsan.so")
    ]
    env = {
        "LD_PRELOAD": " ".join(libs),
        "ASAN_OPTIONS": "detect_leaks=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    args = session.posargs  # every kernel test, sanitized (about 30 s)
    session.run("pytest", "-q", "-p", "no:cacheprovider", "packages/kernels/tests", *args, env=env)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """The long fuzz campaign over the public API (issue 21): ``nox -s fuzz -- --cases N --seed S``
    (``--workers 1`` and nice 10 by default; the CI-sized run is tests/fuzz in "tests")."""
    install_stack(session, "tensorhouse")
    session.run("python", "tests/fuzz/campaign.py", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against the peers installed in the same run (NumPy, JAX; PyTorch if it can)."""
    install_stack(session, "tensorhouse")
    session.install(*XLA_DEPS, *MKL_DEPS)
    try:  # PyTorch's CPU wheel, where the machine has one (never a multi-GB CUDA download)
        session.install("--no-index", "torch")
    except nox.command.CommandFailed:
        session.log("PyTorch not available offline here: benchmarks run without it")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Documentation build (a stub for now: docs/ holds Markdown only)."""
    session.log("No docs build yet; read docs/*.md directly.")
