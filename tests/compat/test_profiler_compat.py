"""``tf.profiler.experimental``: start / stop / Trace / Profile write an XSpace where TF does."""

from __future__ import annotations

import glob
import importlib
import os

import pytest


def _xspace_class(tf):
    """TF's own XSpace message when TF is installed, else the one tensorhouse declares."""
    try:
        return importlib.import_module("tensorflow.tsl.profiler.protobuf.xplane_pb2").XSpace
    except ImportError:
        return importlib.import_module("tensorhouse_ops.profiler").XSpace


def test_profiler_errors(tf, tmp_path):
    with pytest.raises(tf.errors.UnavailableError, match="No profiler is running"):
        tf.profiler.experimental.stop()
    tf.profiler.experimental.start(str(tmp_path))
    try:
        with pytest.raises(tf.errors.AlreadyExistsError, match="Another profiler is running"):
            tf.profiler.experimental.start(str(tmp_path))
    finally:
        tf.profiler.experimental.stop()


def test_profiler_writes_an_xspace_with_the_host_ops_and_traces(tf, tmp_path):
    @tf.function
    def f(x):
        return tf.matmul(x, x) + 1.0

    with tf.profiler.experimental.Profile(str(tmp_path)):
        with tf.profiler.experimental.Trace("train", step_num=3, _r=1):
            x = tf.constant([[1.0, 2.0], [3.0, 4.0]]) + 1.0
            y = f(x)
    assert float(tf.reduce_sum(y)) == 106.0
    files = glob.glob(os.path.join(str(tmp_path), "plugins", "profile", "*", "*.xplane.pb"))
    assert len(files) == 1
    space = _xspace_class(tf)()
    with open(files[0], "rb") as fh:
        space.ParseFromString(fh.read())
    host = [p for p in space.planes if p.name == "/host:CPU"]
    assert len(host) == 1
    names = {m.name for m in host[0].event_metadata.values()}
    assert any(n.startswith("train") for n in names)
    assert any("AddV2" in n for n in names)
    events = [e for line in host[0].lines for e in line.events]
    assert events and all(e.duration_ps >= 0 for e in events)
    assert os.path.basename(files[0]) == f"{space.hostnames[0]}.xplane.pb"


def test_profiler_options_defaults(tf):
    opts = tf.profiler.experimental.ProfilerOptions()
    assert (opts.host_tracer_level, opts.python_tracer_level, opts.device_tracer_level,
            opts.delay_ms) == (2, 0, 1, None)  # fmt: skip
    assert tf.profiler.experimental.ProfilerOptions(host_tracer_level=3).host_tracer_level == 3


def test_summary_trace_on_with_profiler_writes_a_profile(tf, tmp_path):
    pytest.importorskip("tensorboard")

    @tf.function
    def f(x):
        return x * 2.0

    writer = tf.summary.create_file_writer(str(tmp_path / "logs"))
    tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=str(tmp_path / "prof"))
    assert float(f(tf.constant(2.0))) == 4.0
    with writer.as_default():
        tf.summary.trace_export("f_trace", step=0)
    writer.flush()
    files = glob.glob(os.path.join(str(tmp_path / "prof"), "plugins", "profile", "*", "*.pb"))
    assert [f.endswith(".xplane.pb") for f in files] == [True]
    assert glob.glob(os.path.join(str(tmp_path / "logs"), "events.out.tfevents.*"))
    with pytest.raises(tf.errors.UnavailableError):  # trace_export stopped it
        tf.profiler.experimental.stop()
