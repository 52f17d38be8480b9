"""The compat suite: TF 2's documented behaviour, checked against tensorhouse (the default) or
real TensorFlow (``TENSORHOUSE_COMPAT_TF=1``, in a scratch venv; never a project dependency).

Every test is written once and must pass against both: a green run against TensorFlow is what
proves an expectation is TF's. A known tensorhouse difference is marked ``th_xfail(reason)``,
which applies ``xfail(strict=True)`` only when the suite runs against tensorhouse.
"""

from __future__ import annotations

import importlib
import os

import pytest

USING_TF = os.environ.get("TENSORHOUSE_COMPAT_TF") == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "th_xfail(reason, strict=True): a known difference of tensorhouse from TF"
    )
    if USING_TF:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        # TensorFlow's own imports emit deprecation warnings that are not ours to fix.
        config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
        config.addinivalue_line("filterwarnings", "ignore::FutureWarning")
        config.addinivalue_line("filterwarnings", "ignore::UserWarning")


def pytest_collection_modifyitems(config, items):
    if USING_TF:
        return
    for item in items:
        for mark in item.iter_markers("th_xfail"):
            reason = mark.args[0] if mark.args else mark.kwargs.get("reason", "")
            strict = mark.kwargs.get("strict", True)
            item.add_marker(pytest.mark.xfail(reason=f"tensorhouse: {reason}", strict=strict))


@pytest.fixture(scope="session")
def tf():
    """``tensorhouse``, or ``tensorflow`` itself when TENSORHOUSE_COMPAT_TF=1."""
    return importlib.import_module("tensorflow" if USING_TF else "tensorhouse")


@pytest.fixture
def errors(tf):
    return tf.errors
