"""The ops package stays a stack (issue 19): every module has its place in the import-linter
contracts that keep ops in layers (the root pyproject.toml; a module left out could import any
other, and ``lint-imports`` would not see a cycle through it), and the import graph has no cycle
but the ones listed here."""

from __future__ import annotations

import ast
import re

import pytest


def _named_in_contracts(pyproject: str) -> set[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the rule is the same on 3.10
    named: set[str] = set()
    for contract in tomllib.loads(pyproject)["tool"]["importlinter"]["contracts"]:
        if contract.get("containers") == ["tensorhouse_ops"]:
            for layer in contract["layers"]:
                named |= {m.strip() for m in re.split(r"[:|]", layer)}
    return named


def _ops_modules(root) -> set[str]:
    """The modules and subpackages directly inside ``tensorhouse_ops``."""
    pkg = root / "packages" / "ops" / "src" / "tensorhouse_ops"
    names = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
    return names | {p.parent.name for p in pkg.glob("*/__init__.py")}


def test_every_ops_module_is_in_a_layers_contract(repo_root):
    named = _named_in_contracts((repo_root / "pyproject.toml").read_text())
    modules = _ops_modules(repo_root)
    assert len(modules) > 90  # the glob found the package
    assert sorted(modules - named) == [], "ops modules outside the layers contracts"
    assert sorted(named - modules) == [], "contracts name modules that are gone"


def test_a_module_left_out_is_found(repo_root):
    text = (repo_root / "pyproject.toml").read_text().replace(" : _nn_ctc", "")
    assert "_nn_ctc" in _ops_modules(repo_root) - _named_in_contracts(text)


def _ops_imports(root) -> dict[str, set[str]]:
    """``{module: modules of tensorhouse_ops it imports}``, function-level imports included
    (a subpackage counts as one module; imports under ``if TYPE_CHECKING`` do not count)."""
    pkg = root / "packages" / "ops" / "src" / "tensorhouse_ops"
    graph: dict[str, set[str]] = {}
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg).parts
        node = rel[0].removesuffix(".py")
        if node == "__init__":
            continue
        deps = graph.setdefault(node, set())
        depth = len(rel) - 1  # a module of a subpackage sits one level down
        skip = set()
        for n in ast.walk(ast.parse(path.read_text())):
            if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
                skip |= {id(x) for x in ast.walk(n)}
            if not isinstance(n, ast.ImportFrom) or id(n) in skip or n.level == 0:
                continue
            if n.level - 1 < depth:  # inside the same subpackage
                continue
            names = [n.module.split(".")[0]] if n.module else [a.name for a in n.names]
            deps |= {m for m in names if m != node}
    return graph


def _cycles(graph) -> set[frozenset]:
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for m in graph.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    reached = {m: reach(m) for m in graph}
    cyclic = [m for m in graph if m in reached[m]]
    return {frozenset({m} | {o for o in reached[m] if m in reached[o]}) for m in cyclic}


# The import cycles inside ops today, each a deliberate exception; a new cycle fails, and so
# does one listed here that is gone (drop it from the list).
KNOWN_CYCLES: set = set()


def test_ops_import_cycles_are_the_known_ones(repo_root):
    graph = _ops_imports(repo_root)
    assert {"_tensor", "_math", "_nn_composed"} <= graph["_nn"]  # the walk saw the imports
    assert _cycles(graph) == KNOWN_CYCLES


def test_a_new_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == {frozenset("abc")}
