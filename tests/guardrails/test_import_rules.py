"""The import rules between packages (tools/import_rules.py) hold, and the checker catches each
kind of violation on a small tree made for the test."""

from __future__ import annotations

import ast
import textwrap

import pytest


@pytest.fixture(scope="module")
def rules(load_tool):
    return load_tool("import_rules")


def _tree(tmp_path, files: dict[str, str]):
    for rel, text in files.items():
        path = tmp_path / "packages" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def _base(tmp_path, user_code: str, low_all='["api", "sub"]'):
    return _tree(
        tmp_path,
        {
            "low/src/low_pkg/__init__.py": f"__all__ = {low_all}\n",
            "low/src/low_pkg/sub.py": "x = 1\n",
            "low/src/low_pkg/hidden.py": "y = 1\n",
            "low/src/low_pkg/_private.py": "z = 1\n",
            "high/src/high_pkg/__init__.py": "__all__ = []\n",
            "high/src/high_pkg/user.py": user_code,
        },
    )


def _messages(rules, root):
    return [v.message for v in rules.check(root)]


def test_the_tree_keeps_the_rules(rules, repo_root):
    violations = rules.check(repo_root)
    assert not violations, "\n".join(map(str, violations))


def test_public_imports_pass(rules, tmp_path):
    code = """
        import low_pkg
        import low_pkg.sub
        from low_pkg import api, sub
        from low_pkg import *
        from low_pkg.sub import x
        from low_pkg import __version__
        from . import _own_private
        import importlib
        importlib.import_module(f"{__package__}._own")
    """
    assert _messages(rules, _base(tmp_path, code)) == []


def test_private_module_of_another_package(rules, tmp_path):
    msgs = _messages(rules, _base(tmp_path, "from low_pkg._private import z\n"))
    assert msgs == ["imports private module 'low_pkg._private' of another package"]
    msgs = _messages(rules, _base(tmp_path, "import low_pkg._private\n"))
    assert msgs == ["imports private module 'low_pkg._private' of another package"]
    msgs = _messages(rules, _base(tmp_path, "from low_pkg import _private\n"))
    assert msgs == ["imports private name '_private' from 'low_pkg'"]


def test_private_attribute_through_the_package(rules, tmp_path):
    code = "import low_pkg as lp\nimport low_pkg\nlp._private.z\nlow_pkg.sub.x\nlow_pkg.__name__\n"
    assert _messages(rules, _base(tmp_path, code)) == [
        "uses private low_pkg._private of another package"
    ]


def test_module_not_in_all(rules, tmp_path):
    (msg,) = _messages(rules, _base(tmp_path, "from low_pkg.hidden import y\n"))
    assert "'low_pkg.hidden'" in msg and "not in its __all__" in msg
    (msg,) = _messages(rules, _base(tmp_path, "from low_pkg import hidden\n"))
    assert "'low_pkg.hidden'" in msg
    # a function-level import counts as much as a top-level one
    (msg,) = _messages(rules, _base(tmp_path, "def f():\n    import low_pkg.hidden\n"))
    assert "'low_pkg.hidden'" in msg


def test_importlib_routes(rules, tmp_path):
    for call in (
        'importlib.import_module("low_pkg.sub")',
        'import_module("low_pkg")',
        '__import__("low_pkg.sub")',
        'importlib.util.find_spec("low_pkg._private")',
        'importlib.import_module(f"low_pkg.{name}")',
    ):
        (msg,) = _messages(rules, _base(tmp_path, f"import importlib\n{call}\n"))
        assert "through importlib" in msg, call


def test_the_meta_package_may_load_models_lazily(rules, tmp_path):
    root = _tree(
        tmp_path,
        {
            "models/src/tensorhouse_models/__init__.py": '__all__ = ["ops"]\n',
            "tensorhouse/src/tensorhouse/__init__.py": (
                "import importlib\n"
                'importlib.import_module("tensorhouse_models")\n'
                'importlib.import_module("tensorhouse_models.hidden")\n'
            ),
        },
    )
    (v,) = rules.check(root)
    assert v.line == 3 and "'tensorhouse_models.hidden'" in v.message


def test_unparsable_file_is_reported(rules, tmp_path):
    (msg,) = _messages(rules, _base(tmp_path, "def f(:\n"))
    assert msg.startswith("cannot be parsed")


def test_main_exit_status(rules, tmp_path, capsys):
    assert rules.main([str(_base(tmp_path, "import low_pkg.sub\n"))]) == 0
    assert rules.main([str(_base(tmp_path, "import low_pkg._private\n"))]) == 1
    assert "1 import(s) break the rules" in capsys.readouterr().out


def test_lint_imports_contract_reports_the_same(rules, repo_root, monkeypatch, capsys):
    pytest.importorskip("importlinter")
    monkeypatch.syspath_prepend(str(repo_root))  # tools/ is a namespace package there
    from tools.importlinter_contracts import PublicImportsContract

    contract = PublicImportsContract("public imports", {}, {})
    check = contract.check(None, verbose=False)
    assert check.kept == (not rules.check(repo_root))
    monkeypatch.setattr(
        check, "metadata", {"violations": [rules.Violation(repo_root / "x.py", 3, "bad")]}
    )
    contract.render_broken_contract(check)
    assert "x.py:3: bad" in capsys.readouterr().out


# JAX belongs to the kernels layer (and hw-runtime): the layers above reach XLA only through
# ``tensorhouse_kernels.xla`` (``jit_graph``, ``cond``, ``while_loop``, ``jit``).
JAX_FREE = ("ops", "components", "models", "tensorhouse")
LOADERS = {"import_module", "__import__", "find_spec"}


def _jax_imports(path):
    """(line, text) of each import of jax / jaxlib in the file, at any level, and of each
    importlib route naming them."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = getattr(func, "attr", getattr(func, "id", ""))
            arg = node.args[0]
            if called in LOADERS and isinstance(arg, ast.Constant):
                names = [str(arg.value)]
        if any(n.split(".")[0] in ("jax", "jaxlib") for n in names):
            hits.append((node.lineno, ast.unparse(node)))
    return hits


def test_no_layer_above_kernels_imports_jax(repo_root):
    found = [
        f"{path.relative_to(repo_root)}:{line}: {text}"
        for pkg in JAX_FREE
        for path in sorted((repo_root / "packages" / pkg / "src").rglob("*.py"))
        for line, text in _jax_imports(path)
    ]
    assert not found, "imports JAX above the kernels layer:\n" + "\n".join(found)


def test_the_jax_scan_catches_each_form(tmp_path):
    code = (
        "import jax\nfrom jax import lax\nimport jax.numpy as jnp\n"
        "def f():\n    import jaxlib\n"
        "importlib.import_module('jax.numpy')\nimport jaxtyping\nfrom . import jax\n"
    )
    path = tmp_path / "m.py"
    path.write_text(code)
    assert [line for line, _ in _jax_imports(path)] == [1, 2, 3, 5, 6]
