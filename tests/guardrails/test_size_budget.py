"""tools/size_budget.py: the counting (blank lines and comments left out) on a tree made for the
test, the budget check's messages, and the repository within its budget."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture(scope="module")
def budget(load_tool):
    return load_tool("size_budget")


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_python_lines(budget):
    text = (
        '"""Doc."""\n\n# comment\n    # indented comment\nx = 1  # trailing\n\ndef f():\n    pass\n'
    )
    assert budget.python_lines(text) == 4  # the docstring, x = 1, def, pass


def test_cpp_lines(budget):
    text = textwrap.dedent(
        """\
        // a comment
        #include <x.h>
        /* a block
           still the block */
        int a = 1;  // trailing
        /* one */ int b = 2; /* two */
        /* x */ /* y */

        int c = /* inline */ 3;
        """
    )
    assert budget.cpp_lines(text) == 4  # include, a, b, c


def test_count_per_package(budget, tmp_path):
    _write(tmp_path / "packages/alpha/src/alpha/__init__.py", "x = 1\n# c\n\ny = 2\n")
    _write(tmp_path / "packages/alpha/src/alpha/sub/mod.py", "z = 3\n")
    _write(tmp_path / "packages/alpha/src/cpp/k.cpp", "// c\nint a;\n")
    _write(tmp_path / "packages/alpha/src/alpha/cuda/k.cu", "int b;\nint c;\n")
    _write(tmp_path / "packages/alpha/tests/test_x.py", "a = 1\n")  # tests do not count
    _write(tmp_path / "packages/beta/src/beta/__init__.py", "")
    assert budget.count_all(tmp_path) == {
        "alpha": {"python": 3, "cpp": 3},
        "beta": {"python": 0, "cpp": 0},
    }


def test_over_budget_messages(budget):
    counts = {"alpha": {"python": 120, "cpp": 10}, "beta": {"python": 5, "cpp": 0}}
    limits = {"alpha": {"python": 100, "cpp": 10}}
    assert budget.over_budget(counts, limits) == [
        "alpha: 120 lines of python, over its budget of 100",
        "beta: 5 lines of python and no budget for it",
    ]


def test_update_then_check(budget, tmp_path, capsys):
    _write(tmp_path / "packages/alpha/src/alpha/__init__.py", "x = 1\n" * 100)
    (tmp_path / "tools").mkdir()
    assert budget.main(["--root", str(tmp_path), "--update"]) == 0
    assert "python = 115" in (tmp_path / "tools/size_budget.toml").read_text()
    assert budget.main(["--root", str(tmp_path)]) == 0
    _write(tmp_path / "packages/alpha/src/alpha/more.py", "y = 2\n" * 16)
    assert budget.main(["--root", str(tmp_path)]) == 1
    assert "alpha: 116 lines of python, over its budget of 115" in capsys.readouterr().out


def test_repository_within_budget(budget, repo_root):
    limits = budget.load_budget((repo_root / "tools/size_budget.toml").read_text())
    assert budget.over_budget(budget.count_all(repo_root), limits) == []


def test_budget_file_reads_without_tomllib(budget, monkeypatch, repo_root):
    text = (repo_root / "tools/size_budget.toml").read_text()
    with_tomllib = budget.load_budget(text)
    monkeypatch.setattr(budget, "tomllib", None)  # Python 3.10
    assert budget.load_budget(text) == with_tomllib
    assert with_tomllib["kernels"]["cpp"] > 0
