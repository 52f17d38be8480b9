"""The import rules between packages that import-linter's own contracts cannot express.

Across packages (``tensorhouse_ops`` importing from ``tensorhouse_kernels``, ...), code may use only
what the other package exports:

* no underscore module (``tensorhouse_kernels._blas``) and no underscore name, imported or
  reached as an attribute (``tensorhouse_ops._math``);
* a submodule only when the package lists it in ``__all__`` (``tensorhouse_kernels.runtime``: yes,
  ``tensorhouse_kernels.opdefs``: no; ask the package to export the name instead);
* no ``importlib.import_module`` / ``__import__`` / ``find_spec`` route that names another package,
  except the pairs in ``ALLOWED_DYNAMIC`` (the meta-package's lazy loader of ``tensorhouse_models``,
  the layer right below it, which the layering contract also allows as a plain import).

Which layer may import which is import-linter's layering contract (pyproject.toml). Run as
``python tools/import_rules.py [REPO_ROOT]``; ``lint-imports`` runs the same check as the
``public_imports`` contract (``tools/importlinter_contracts.py``).
"""

from __future__ import annotations

import ast
import pathlib
import sys
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[1]
# (importing package, imported package) pairs allowed to load through importlib
ALLOWED_DYNAMIC = {("tensorhouse", "tensorhouse_models")}
DYNAMIC_LOADERS = {"import_module", "__import__", "find_spec"}


@dataclass(frozen=True)
class Violation:
    path: pathlib.Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def find_packages(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """``{import name: package directory}`` for every ``packages/*/src/<name>/__init__.py``."""
    return {p.parent.name: p.parent for p in sorted(root.glob("packages/*/src/*/__init__.py"))}


def exported_names(package_dir: pathlib.Path) -> set[str] | None:
    """The names in the package's literal ``__all__`` (``None`` where it has none)."""
    tree = ast.parse((package_dir / "__init__.py").read_text(), str(package_dir))
    names = None
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        value = ast.literal_eval(node.value)  # type: ignore[arg-type]
        names = set(value) | (names or set() if isinstance(node, ast.AugAssign) else set())
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _check_path(dotted: str, exports: dict[str, set[str] | None]) -> str | None:
    """Why importing module ``dotted`` of another package breaks the rules, or None."""
    parts = dotted.split(".")
    private = [p for p in parts[1:] if _private(p)]
    if private:
        return f"imports private module {dotted!r} of another package"
    public = exports.get(parts[0])
    if len(parts) > 1 and public is not None and parts[1] not in public:
        return (
            f"imports {dotted!r}, a module {parts[0]} does not export (not in its __all__): "
            f"import a name {parts[0]} exports instead"
        )
    return None


def _dynamic_target(call: ast.Call) -> str | None:
    """The literal start of the module name an importlib-style call loads, if any."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in DYNAMIC_LOADERS or not call.args:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:  # f"tensorhouse_x.{name}"
        first = arg.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def check_file(
    path: pathlib.Path, own: str, exports: dict[str, set[str] | None], root: pathlib.Path = ROOT
) -> list[Violation]:
    """The violations in one source file (``root / path``) of package ``own``."""
    try:
        tree = ast.parse((root / path).read_text(), str(path))
    except SyntaxError as e:
        return [Violation(path, e.lineno or 0, f"cannot be parsed: {e.msg}")]
    found = []

    def other(dotted: str) -> bool:
        return dotted.split(".")[0] in exports and dotted.split(".")[0] != own

    # names bound to another package by ``import tensorhouse_ops [as tops]``
    bound = {
        (alias.asname or alias.name.split(".")[0]): alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if other(alias.name)
    }
    for node in ast.walk(tree):
        problems: list[str | None] = []
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and _private(node.attr)
        ):
            problems.append(f"uses private {bound[node.value.id]}.{node.attr} of another package")
        if isinstance(node, ast.Import):
            problems = [_check_path(a.name, exports) for a in node.names if other(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if other(node.module):
                problems.append(_check_path(node.module, exports))
                for alias in node.names:
                    if _private(alias.name):
                        problems.append(f"imports private name {alias.name!r} from {node.module!r}")
                    elif (
                        node.module in exports
                        and alias.name != "*"
                        and not alias.name.startswith("__")
                    ):
                        # ``from tensorhouse_kernels import x``: x must be in its __all__
                        problems.append(_check_path(f"{node.module}.{alias.name}", exports))
        elif isinstance(node, ast.Call):
            target = _dynamic_target(node)
            if target and other(target):
                pair = (own, target.split(".")[0])
                if pair not in ALLOWED_DYNAMIC or len(target.split(".")) > 1:
                    problems.append(
                        f"loads {target!r} of another package through importlib: import "
                        "a name that package exports (lazily, inside a function, if needed)"
                    )
        found += [Violation(path, node.lineno, p) for p in problems if p]
    return found


def check(root: pathlib.Path = ROOT) -> list[Violation]:
    """Every violation in the source of the packages under ``root/packages``."""
    packages = find_packages(root)
    exports = {name: exported_names(d) for name, d in packages.items()}
    found = []
    for name, directory in packages.items():
        for path in sorted(directory.rglob("*.py")):
            found += check_file(path.relative_to(root), name, exports, root)
    return found


def main(argv: list[str]) -> int:
    root = pathlib.Path(argv[0]) if argv else ROOT
    violations = check(root)
    for v in violations:
        print(v)
    if violations:
        print(f"{len(violations)} import(s) break the rules in tools/import_rules.py")
        return 1
    print(f"import rules kept ({len(find_packages(root))} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
