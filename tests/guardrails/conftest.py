"""The guardrail tests load the scripts in tools/ by path (tools/ is not a package)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_tool(name: str):
    """Import ``tools/<name>.py`` as a module."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_tool():
    """``load_tool("import_rules")``: a script of tools/, imported."""
    return _load_tool


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return ROOT
