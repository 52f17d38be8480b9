"""tools/link_cache.py, the build's cache for the module's link: a hit gives the module that the
same inputs linked to, without running the linker; any change in an input's content links again;
an input found in another directory (the isolated build environment's OpenBLAS) still hits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "link_cache.py"
# A stand-in linker: writes its inputs' bytes, joined, to the output and counts its runs; it
# fails on an input named "bad.o".
LINKER = """
import sys
from pathlib import Path
args = sys.argv[1:]
out = args[args.index("-o") + 1]
inputs = [a for a in args if a not in ("-o", out) and not a.startswith("-")]
with open(sys.argv[0] + ".runs", "a") as runs:
    runs.write("x")
if "bad.o" in inputs:
    sys.exit(3)
Path(out).write_bytes(b"|".join(Path(i).read_bytes() for i in inputs))
"""


@pytest.fixture
def link(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("link_cache", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "linker.py").write_text(LINKER)

    def run(*inputs: str) -> int:
        return module.main("cache", sys.executable, "linker.py", "-flto", "-o", "m.so", *inputs)

    return run


def runs() -> int:
    return len(Path("linker.py.runs").read_text())


def test_unchanged_inputs_hit_and_changed_ones_link_again(link, tmp_path):
    Path("a.o").write_bytes(b"A1")
    Path("env1").mkdir()
    Path("env1/libblas.so").write_bytes(b"BLAS")
    assert link("a.o", "env1/libblas.so") == 0
    assert runs() == 1 and Path("m.so").read_bytes() == b"A1|BLAS"
    Path("m.so").unlink()
    Path("env2").mkdir()  # a new build environment: same library, another directory
    Path("env2/libblas.so").write_bytes(b"BLAS")
    assert link("a.o", "env2/libblas.so") == 0
    assert runs() == 1 and Path("m.so").read_bytes() == b"A1|BLAS"
    assert Path("m.so").stat().st_mtime >= Path("a.o").stat().st_mtime
    Path("a.o").write_bytes(b"A2")
    assert link("a.o", "env2/libblas.so") == 0
    assert runs() == 2 and Path("m.so").read_bytes() == b"A2|BLAS"
    Path("env2/libblas.so").write_bytes(b"BLAS2")
    assert link("a.o", "env2/libblas.so") == 0
    assert runs() == 3 and Path("m.so").read_bytes() == b"A2|BLAS2"
    assert len(list((tmp_path / "cache").iterdir())) == 1  # only the last module is kept


def test_a_failed_link_is_not_stored(link):
    Path("bad.o").write_bytes(b"B")
    assert link("bad.o") == 3
    assert link("bad.o") == 3
    assert runs() == 2
