"""Import cost: ``import tensorhouse as tf; tf.constant(1.0) + 1.0`` in a fresh interpreter.

Wall time and peak RSS of a whole child process, beside the same for ``import numpy``,
``import torch``, ``import jax`` and ``import tensorflow`` (each with its first op, whichever
are installed), and a bare ``python -c pass``; then ``tensorhouse info``. Rounds interleave the
contenders; each figure is the median over rounds. Target (issue 20): at most 150 ms and 60 MB RSS
for tensorhouse, and ``tensorhouse info`` under 1 s.

Children run with bytecode caches (``PYTHONDONTWRITEBYTECODE`` is dropped from their environment,
and a warm-up start of each writes the ``.pyc`` files), as an installed package has them. On a
busy machine wall time grows with the load; CPU time (user + system) moves much less. NumPy is a
dependency of tensorhouse, so "over numpy" is the part tensorhouse itself adds.

    python benchmarks/bench_import.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": (None, "pass"),
    "numpy (+ first op)": ("numpy", "import numpy as np; np.ones(1) + 1.0"),
    "tensorhouse (+ first op)": (
        "tensorhouse",
        "import tensorhouse as tf; tf.constant(1.0) + 1.0",
    ),
    "torch (+ first op)": ("torch", "import torch; torch.ones(1) + 1.0"),
    "jax (+ first op)": ("jax", "import jax.numpy as jnp; (jnp.ones(1) + 1.0).block_until_ready()"),
    "tensorflow (+ first op)": ("tensorflow", "import tensorflow as tf; tf.constant(1.0) + 1.0"),
}
INFO = "import sys; from tensorhouse.cli import main; sys.exit(main(['info']))"
TARGET_MS, TARGET_MB = 150.0, 60.0


def run_once(code: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of ``python -c code`` in a
    fresh process. CPU time moves less than wall time on a busy machine."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # use (and write) .pyc caches, as an install does
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{code!r} exited with {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024  # Linux: ru_maxrss in KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    cases = {
        name: code
        for name, (module, code) in CASES.items()
        if module is None or importlib.util.find_spec(module) is not None
    }
    walls: dict = {name: [] for name in cases}
    cpus: dict = {name: [] for name in cases}
    rss: dict = {name: [] for name in cases}
    for code in cases.values():  # warm the file cache: the first start of each is cold
        run_once(code)
    for _ in range(args.rounds):
        for name, code in cases.items():
            w, c, m = run_once(code)
            walls[name].append(w * 1e3)
            cpus[name].append(c * 1e3)
            rss[name].append(m)
    load = os.getloadavg()[0]
    print(f"{args.rounds} rounds, interleaved; load average {load:.2f}; {os.cpu_count()} CPUs")
    print(f"{'case':<28}{'median ms':>10}{'min ms':>9}{'CPU ms':>9}{'RSS MB':>9}  vs numpy")
    np_case = "numpy (+ first op)"
    base = statistics.median(walls[np_case]) if np_case in walls else 0
    for name in cases:
        med = statistics.median(walls[name])
        ratio = f"{med / base:.2f}x" if base else ""
        cpu = statistics.median(cpus[name])
        print(
            f"{name:<28}{med:>10.1f}{min(walls[name]):>9.1f}{cpu:>9.1f}{max(rss[name]):>9.1f}"
            f"  {ratio}"
        )
    th = "tensorhouse (+ first op)"
    med, mb = statistics.median(walls[th]), max(rss[th])
    if base:
        extra_w = statistics.median(a - b for a, b in zip(walls[th], walls[np_case]))
        extra_c = statistics.median(a - b for a, b in zip(cpus[th], cpus[np_case]))
        print(f"tensorhouse over numpy, same round: {extra_w:.1f} ms wall, {extra_c:.1f} ms CPU")
    info = [run_once(INFO) for _ in range(max(3, args.rounds // 3))]
    print(
        f"tensorhouse info: median {statistics.median(w for w, _, _ in info) * 1e3:.0f} ms wall, "
        f"{statistics.median(c for _, c, _ in info) * 1e3:.0f} ms CPU (target < 1000 ms)"
    )
    verdict = "MET" if med <= TARGET_MS and mb <= TARGET_MB else "NOT MET"
    print(f"\ntensorhouse: {med:.0f} ms, {mb:.0f} MB (target <= {TARGET_MS:.0f} ms and "
          f"<= {TARGET_MB:.0f} MB: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
