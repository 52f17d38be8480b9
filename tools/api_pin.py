"""Pin each package's public API: the exported names of its public modules, one per line.

``tests/guardrails/api/<package>.txt`` lists ``module.name`` for every name a public module
exports (its ``__all__``, else its ``dir()`` without underscore names and foreign modules), for
the package and its public submodules (no underscore in the path), recursively.
``tests/guardrails/test_api_pin.py`` fails with a diff when a name appears or disappears, so a
change of the API is a deliberate one: ``python tools/api_pin.py --update`` rewrites the lists.
"""

from __future__ import annotations
import __future__

import argparse
import difflib
import importlib
import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
PIN_DIR = ROOT / "tests" / "guardrails" / "api"
PACKAGES = [
    "tensorhouse_hw_runtime",
    "tensorhouse_kernels",
    "tensorhouse_ops",
    "tensorhouse_components",
    "tensorhouse_models",
    "tensorhouse",
]


def _exported(module: types.ModuleType, root: str) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return sorted(set(names))
    out = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name, None)
        if isinstance(value, __future__._Feature):  # from __future__ import annotations
            continue
        if isinstance(value, types.ModuleType) and not value.__name__.startswith(root):
            continue  # numpy, importlib, ... imported for the module's own use
        out.append(name)
    return out


# modules that are not API: the meta-package's command line and the demo job it runs (they
# appear as attributes only once something imported them)
NOT_API = {"tensorhouse.cli", "tensorhouse.demo", "tensorhouse.__main__"}


def public_api(package: str) -> list[str]:
    """``module.name`` lines for the package and its public submodules, sorted."""
    lines: set[str] = set()
    seen: set[str] = set()
    todo = [importlib.import_module(package)]
    while todo:
        module = todo.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        for name in _exported(module, package):
            if f"{module.__name__}.{name}" in NOT_API:
                continue
            lines.add(f"{module.__name__}.{name}")
            value = getattr(module, name, None)
            if value is None and not name.startswith("_"):
                # a submodule named in __all__ but not imported yet: import it, so the list
                # does not depend on what was imported before
                try:
                    value = importlib.import_module(f"{module.__name__}.{name}")
                except ImportError:
                    value = None
            if (
                isinstance(value, types.ModuleType)
                and value.__name__.split(".")[0] == package
                and not any(p.startswith("_") for p in value.__name__.split("."))
            ):
                todo.append(value)
    return sorted(lines)


def pin_path(package: str) -> pathlib.Path:
    return PIN_DIR / f"{package}.txt"


def diff(package: str) -> str:
    """A unified diff from the pinned list to today's API ('' when they agree)."""
    path = pin_path(package)
    pinned = path.read_text().splitlines() if path.exists() else []
    lines = difflib.unified_diff(pinned, public_api(package), str(path), "today", lineterm="")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the pinned lists")
    parser.add_argument("packages", nargs="*", default=PACKAGES)
    args = parser.parse_args(argv)
    failed = False
    for package in args.packages:
        if args.update:
            PIN_DIR.mkdir(parents=True, exist_ok=True)
            api = public_api(package)
            pin_path(package).write_text("\n".join(api) + "\n")
            print(f"{pin_path(package)}: {len(api)} names")
        elif text := diff(package):
            failed = True
            print(text)
    if failed:
        print("The public API changed: if on purpose, run `python tools/api_pin.py --update`")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
