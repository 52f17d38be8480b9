"""Each package's public API is the pinned one (tests/guardrails/api/<package>.txt): a name that
appears or disappears fails here with a diff, until `python tools/api_pin.py --update`."""

from __future__ import annotations

import types

import pytest


@pytest.fixture(scope="module")
def api_pin(load_tool):
    return load_tool("api_pin")


PACKAGES = [
    "tensorhouse_hw_runtime",
    "tensorhouse_kernels",
    "tensorhouse_ops",
    "tensorhouse_components",
    "tensorhouse_models",
    "tensorhouse",
]


def test_the_list_of_packages_is_the_tools(api_pin):
    assert api_pin.PACKAGES == PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
def test_public_api_is_pinned(api_pin, package):
    diff = api_pin.diff(package)
    assert not diff, (
        f"{package}'s public API changed (- pinned, + today). If on purpose, run "
        f"`python tools/api_pin.py --update` and commit the list:\n{diff}"
    )


def test_api_lists_exports_and_public_submodules(api_pin, monkeypatch):
    pkg = types.ModuleType("fakepkg")
    sub = types.ModuleType("fakepkg.sub")
    hidden = types.ModuleType("fakepkg._hidden")
    sub.__all__ = ["b", "a"]
    hidden.__all__ = ["secret"]
    pkg.sub, pkg._hidden, pkg.np = sub, hidden, types  # np: a foreign module, not listed
    pkg.value, pkg._private = 1, 2
    monkeypatch.setitem(__import__("sys").modules, "fakepkg", pkg)
    assert api_pin.public_api("fakepkg") == [
        "fakepkg.sub",
        "fakepkg.sub.a",
        "fakepkg.sub.b",
        "fakepkg.value",
    ]


def test_diff_names_what_appeared_and_disappeared(api_pin, monkeypatch, tmp_path):
    monkeypatch.setattr(api_pin, "PIN_DIR", tmp_path)
    monkeypatch.setattr(api_pin, "public_api", lambda package: ["p.a", "p.c"])
    (tmp_path / "p.txt").write_text("p.a\np.b\n")
    diff = api_pin.diff("p").splitlines()
    assert "-p.b" in diff and "+p.c" in diff and " p.a" in diff
    assert api_pin.main(["p"]) == 1
    assert api_pin.main(["--update", "p"]) == 0
    assert (tmp_path / "p.txt").read_text() == "p.a\np.c\n"
    assert api_pin.diff("p") == ""
