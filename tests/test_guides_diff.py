"""tools/guides_diff.py on tiny guides written for the test: cell running (display, errors,
fd-level capture, timeouts), the tensorhouse shim, the output normalisation, the comparison and
the report. No TensorFlow needed: the "TF" side here is this interpreter running plain Python."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gd():
    spec = importlib.util.spec_from_file_location("guides_diff", ROOT / "tools" / "guides_diff.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("guides_diff", module)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- guide files


def test_load_guide_accepts_strings_and_tagged_cells(gd, tmp_path):
    f = tmp_path / "g.json"
    f.write_text(json.dumps(["a = 1", {"source": "b = 2", "tags": ["network"]}]))
    assert gd.load_guide(f) == [
        {"source": "a = 1", "tags": []},
        {"source": "b = 2", "tags": ["network"]},
    ]


def test_load_guide_rejects_a_cell_without_source(gd, tmp_path):
    f = tmp_path / "g.json"
    f.write_text(json.dumps([{"tags": []}]))
    with pytest.raises(ValueError, match="a cell must be a string or a dict with 'source'"):
        gd.load_guide(f)


def test_magic_cells_and_magic_lines(gd):
    assert gd.is_magic_cell("!pip install x")
    assert gd.is_magic_cell("# a comment first\n%matplotlib inline")
    assert not gd.is_magic_cell("x = 1\n%time y")
    assert gd.strip_magic_lines("x = 1\n%load_ext tb\ny = 2") == "x = 1\n# %load_ext tb\ny = 2"


# ----------------------------------------------------------------------------- running a cell


def test_run_cell_shows_the_last_expression_and_keeps_the_namespace(gd):
    ns = {}
    r = gd.run_cell("x = 6\nprint('hi')\nx * 7", ns, timeout=10)
    assert (r["status"], r["stdout"], r["display"]) == ("ok", "hi\n", "42")
    assert ns["x"] == 6
    assert gd.run_cell("x + 1;", ns, timeout=10)["display"] is None  # `;` hides it
    assert gd.run_cell("None", ns, timeout=10)["display"] is None


def test_run_cell_records_the_error_class_and_message(gd):
    r = gd.run_cell("print('before')\nraise KeyError('gone')", {}, timeout=10)
    assert (r["status"], r["error_class"], r["error"], r["stdout"]) == (
        "error",
        "KeyError",
        "'gone'",
        "before\n",
    )
    r = gd.run_cell("def f(:\n  pass", {}, timeout=10)
    assert r["error_class"] == "SyntaxError"


def test_run_cell_captures_writes_to_the_file_descriptors(gd):
    # what a C++ kernel writes goes to fds 1 and 2 directly, past sys.stdout
    src = "import os, sys\nos.write(1, b'fd1\\n')\nos.write(2, b'fd2\\n')\n"
    src += "print('err', file=sys.stderr)\nprint('out')"
    r = gd.run_cell(src, {}, timeout=10)
    assert r["stdout"] == "fd1\nout\n"
    assert r["stderr"] == "fd2\nerr\n"


def test_a_logging_handler_made_in_a_cell_still_prints_in_later_cells(gd):
    ns = {}
    src = "import logging, sys\nlog = logging.getLogger('gd-test')\nlog.propagate = False\n"
    src += "log.addHandler(logging.StreamHandler(sys.stderr))\nlog.warning('first')"
    assert gd.run_cell(src, ns, timeout=10)["stderr"] == "first\n"
    r = gd.run_cell("log.warning('second')", ns, timeout=10)
    assert (r["status"], r["stderr"]) == ("ok", "second\n")


def test_run_cell_timeout_cannot_be_caught_by_the_cell(gd):
    src = "try:\n  while True:\n    pass\nexcept Exception:\n  print('caught')"
    r = gd.run_cell(src, {}, timeout=0.3)
    assert (r["status"], r["error_class"], r["stdout"]) == ("timeout", "Timeout", "")
    assert 0.25 < r["seconds"] < 5
    assert gd.run_cell("1 + 1", {}, timeout=5)["display"] == "2"  # the alarm is cleared


def test_cell_functions_have_source_for_inspect(gd):
    ns = {}
    gd.run_cell("def f(x):\n  return x + 1", ns, timeout=10, name="<guide-cell-7>")
    r = gd.run_cell("import inspect\ninspect.getsource(f)", ns, timeout=10)
    assert r["display"] == repr("def f(x):\n  return x + 1\n")


# ----------------------------------------------------------------------------- subprocess runs


def test_run_guide_with_the_tensorhouse_shim(gd):
    cells = [
        {
            "source": "import tensorflow as tf\nimport keras\ntf.__name__, keras.__name__",
            "tags": [],
        },
        {"source": "from tensorflow.keras import layers\nlayers.__name__", "tags": []},
        {"source": "import tensorflow.keras.layers as L\nL is layers", "tags": []},
        {"source": "!ls", "tags": []},
        {"source": "from tensorflow.nowhere import x", "tags": []},
    ]
    recs = gd.run_guide(sys.executable, "th", cells, timeout=120)
    assert recs[0]["display"] == "('tensorhouse', 'tensorhouse.keras')"
    assert recs[1]["display"] == repr("tensorhouse_components.layers")
    assert recs[2]["display"] == "True"
    assert recs[3]["status"] == "skipped"
    assert recs[4]["error_class"] == "ModuleNotFoundError"


def test_run_guide_marks_cells_after_a_killed_runner_not_run(gd):
    cells = [{"source": "print(1)", "tags": []}, {"source": "import os\nos._exit(3)", "tags": []}]
    cells.append({"source": "print(2)", "tags": []})
    recs = gd.run_guide(sys.executable, "tf", cells, timeout=30)
    assert recs[0]["stdout"] == "1\n"
    assert [r["status"] for r in recs[1:]] == ["not_run", "not_run"]
    assert "runner exited 3" in recs[2]["error"]


# ----------------------------------------------------------------------------- normalisation


def test_normalize_masks_addresses_times_dates_and_temp_paths(gd):
    text = (
        "<object at 0x7f3a2b4c5d60>\n"
        "1/1 - 0s 12ms/step - loss: 0.5  \n"
        "Eager conv: took 3.5s\n"
        "stamp 2026-12-07 03:15:31.123456 and 20261207-031531\n"
        "saved to /tmp/tmpab12cd/model.keras\n\n"
    )
    assert gd.normalize(text) == (
        "<object at 0x?>\n"
        "1/1 - <time> <time> - loss: 0.5\n"
        "Eager conv: took <time>\n"
        "stamp <datetime> and <datetime>\n"
        "saved to <tmp>"
    )


def test_normalize_drops_tfs_eager_error_wrapper(gd):
    tf_text = (
        "InvalidArgumentError: {{function_node __wrapped__Reshape_device_/job:localhost/replica:0"
        "/task:0/device:CPU:0}} Input to reshape is a tensor with 30 values [Op:Reshape] name: "
    )
    want = "InvalidArgumentError: Input to reshape is a tensor with 30 values [Op:Reshape]"
    assert gd.normalize(tf_text) == want


def test_normalize_replays_carriage_returns_backspaces_and_ansi(gd):
    assert gd.normalize("1/3 [=>..]\r3/3 [===]\n") == "3/3 [===]"
    assert gd.normalize("abc\x08\x08X\n") == "aX"
    assert gd.normalize("\x1b[1mbold\x1b[0m") == "bold"


def test_normalize_masks_numbers_and_spacing_for_unseeded_output(gd):
    a = "array([ 0.27196 , -0.2034], dtype=float32)"
    b = "array([-1.5210222, -0.742571 ],\n      dtype=float32)"
    assert gd.normalize(a, mask_numbers=True) == gd.normalize(b, mask_numbers=True)
    assert gd.normalize(a, mask_numbers=True) == "array([<n>,<n>],dtype=float<n>)"


def test_filter_stderr_drops_logs_and_traceback_frames(gd):
    err = (
        "WARNING: All log messages before absl::InitializeLog() is called are written\n"
        "I0000 00:00:1796613244.659470   15527 port.cc:153] oneDNN custom operations\n"
        "2026-12-07 03:15:31.123456: W tensorflow/core/x.cc:1] slow\n"
        "WARNING:tensorflow:5 out of the last 5 calls triggered retracing\n"
        "WARNING:tensorflow:From <cell>:2: f (from tf.x) is deprecated.\n"
        "Instructions for updating:\n"
        "Use `g` instead.\n"
        "[1 2]\n"
        "Traceback (most recent call last):\n"
        '  File "<cell>", line 3, in <module>\n'
        "    f(x)\n"
        "ValueError: bad shape\n"
        "fizz\n"
    )
    assert gd.filter_stderr(err) == "[1 2]\nValueError: bad shape\nfizz\n"


def test_printed_joins_stdout_stderr_and_display(gd):
    rec = {"stdout": "a\n", "stderr": "b\n", "display": "'c'"}
    assert gd.printed(rec) == "a\n\nb\n\n'c'"
    assert gd.printed({"stdout": "", "stderr": "", "display": None}) == ""


# ----------------------------------------------------------------------------- comparison


def _rec(status="ok", out="", display=None, error_class=None):
    return {"status": status, "stdout": out, "stderr": "", "display": display,
            "error_class": error_class, "error": "msg" if error_class else None}  # fmt: skip


def test_compare_counts_only_cells_passing_on_every_tf_run(gd):
    cells = [{"source": f"c{i}", "tags": []} for i in range(5)]
    tf_a = [_rec(out="1\n"), _rec(out="r 0.5\n"), _rec("error", error_class="E"), _rec(), _rec()]
    tf_b = [_rec(out="1\n"), _rec(out="r 0.7\n"), _rec("error", error_class="E"), _rec(), _rec()]
    tf_b[4] = _rec("error", error_class="Flaky")
    th = [
        _rec(out="2\n"),
        _rec(out="r 0.1\n"),
        _rec(),
        _rec("error", error_class="TypeError"),
        _rec(),
    ]
    rows = gd.compare(cells, [tf_a, tf_b], th)
    assert [r["counted"] for r in rows] == [True, True, False, True, False]
    assert [r["passed"] for r in rows] == [True, True, False, False, False]
    assert [r["nondeterministic"] for r in rows] == [False, True, False, False, False]
    assert [r["match"] for r in rows] == [False, True, False, False, False]  # 0.5 vs 0.1 masked
    assert rows[3]["th_error"] == ("TypeError", "msg")
    s = gd.summarize(rows)
    assert (s["tf_ok"], s["th_ok"], s["pass_rate"], s["printing"], s["printed_same"]) == (
        3,
        2,
        round(2 / 3, 4),
        2,
        1,
    )
    assert s["match_rate"] == 0.5


def test_main_writes_the_report(gd, tmp_path):
    guides = tmp_path / "guides"
    guides.mkdir()
    cells = ["print(40 + 2)", "import tensorflow", {"source": "%time x", "tags": []}, "1/0"]
    (guides / "tiny.json").write_text(json.dumps(cells))
    out = tmp_path / "out"
    exe = sys.executable  # the "TF" side runs without the shim: `import tensorflow` fails there
    argv = [
        str(guides),
        "--out",
        str(out),
        "--tf-python",
        exe,
        "--th-python",
        exe,
        "--tf-runs",
        "1",
    ]
    assert gd.main([*argv, "--jobs", "1", "--no-fallback-site"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tiny"] == {
        "cells": 4,
        "skipped": 1,
        "tf_ok": 1,
        "th_ok": 1,
        "pass_rate": 1.0,
        "printing": 1,
        "printed_same": 1,
        "match_rate": 1.0,
    }
    assert "| tiny | 4 | 1 | 1 | 1 | 100.0% | 1 | 1 | 100.0% |" in (out / "report.md").read_text()
    assert json.loads((out / "failures.json").read_text()) == []


def test_rescore_reads_the_saved_runs_and_needs_them(gd, tmp_path):
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "g.json").write_text(json.dumps(["print(1)"]))
    out = tmp_path / "out"
    common = [str(guides), "--out", str(out), "--tf-runs", "1", "--no-fallback-site"]
    with pytest.raises(SystemExit, match="no saved tf0 results of g"):
        gd.main([*common, "--rescore"])
    exe = sys.executable
    assert gd.main([*common, "--tf-python", exe, "--th-python", exe, "--jobs", "1"]) == 0
    raw = out / "raw" / "g.th.json"
    saved = json.loads(raw.read_text())
    saved["records"][0]["stdout"] = "2\n"  # as if tensorhouse had printed something else
    raw.write_text(json.dumps(saved))
    assert gd.main([*common, "--rescore"]) == 0
    assert json.loads((out / "summary.json").read_text())["g"]["printed_same"] == 0
