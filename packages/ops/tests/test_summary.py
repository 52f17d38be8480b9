"""tf.summary: event files read back with TensorBoard's own loader; eager and traced writes."""

import glob
import io
import os

import numpy as np
import pytest

import tensorhouse_ops as tf

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.util import tensor_util


def _events(logdir):
    """[(step, tag, plugin, ndarray)] of every file in ``logdir``, in order."""
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for ev in event_file_loader.EventFileLoader(path).Load():
            for v in ev.summary.value:
                arr = tensor_util.make_ndarray(v.tensor)
                out.append((ev.step, v.tag, v.metadata.plugin_data.plugin_name, arr))
    return out


def test_writer_file_and_scalar_eager(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].startswith("events.out.tfevents.")
    assert files[0].endswith(".v2")
    with w.as_default(step=3):
        assert tf.summary.experimental.get_step() == 3
        assert bool(tf.summary.scalar("loss", 0.25).numpy())
        assert bool(tf.summary.scalar("int", 7, step=5).numpy())
    assert tf.summary.experimental.get_step() is None
    w.close()
    ev = _events(tmp_path)
    assert [(s, t, p) for s, t, p, _ in ev] == [(3, "loss", "scalars"), (5, "int", "scalars")]
    assert ev[0][3].dtype == np.float32 and ev[0][3] == np.float32(0.25)
    assert ev[1][3] == 7.0
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    assert acc.Tags()["tensors"] == ["loss", "int"]
    [e] = acc.Tensors("loss")
    assert e.step == 3 and tensor_util.make_ndarray(e.tensor_proto) == np.float32(0.25)


def test_no_writer_no_step_and_record_if(tmp_path):
    assert not bool(tf.summary.scalar("x", 1.0, step=1).numpy())
    assert not bool(tf.summary.should_record_summaries().numpy())
    w = tf.summary.create_file_writer(str(tmp_path))
    with w.as_default():
        with pytest.raises(ValueError, match="No step set"):
            tf.summary.scalar("x", 1.0)
        with pytest.raises(ValueError, match="Expected scalar shape, saw shape: \\(2,\\)"):
            tf.summary.scalar("x", [1.0, 2.0], step=1)
        assert bool(tf.summary.should_record_summaries().numpy())
        with tf.summary.record_if(False):
            assert not bool(tf.summary.scalar("skipped", 1.0, step=1).numpy())
            assert not bool(tf.summary.should_record_summaries().numpy())
        with tf.summary.record_if(lambda: True):
            tf.summary.scalar("kept", 2.0, step=2)
    with tf.summary.create_noop_writer().as_default(step=1):
        assert not bool(tf.summary.scalar("noop", 1.0).numpy())
    w.close()
    assert [(s, t) for s, t, _, _ in _events(tmp_path)] == [(2, "kept")]


def _tf_buckets(data, k):
    """The histogram by hand: k equal-width buckets over [min, max], the last one closed."""
    data = np.asarray(data, np.float64).ravel()
    lo, hi = data.min(), data.max()
    edges = [lo + i * (hi - lo) / k for i in range(k)] + [hi]
    counts = [0.0] * k
    for v in data:
        counts[min(int(np.floor((v - lo) / ((hi - lo) / k))), k - 1)] += 1
    return np.array([[edges[i], edges[i + 1], counts[i]] for i in range(k)])


def test_histogram_buckets(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    data = np.random.RandomState(0).randn(100).astype(np.float32)
    with w.as_default(step=4):
        tf.summary.histogram("h", np.array([0.0, 1.0, 1.5, 2.0, 3.0, 10.0]))
        tf.summary.histogram("h5", np.arange(7.0), buckets=5)
        tf.summary.histogram("single", [2.0, 2.0], buckets=3)
        tf.summary.histogram("empty", np.zeros([0], np.float32), buckets=3)
        tf.summary.histogram("rand", tf.constant(data))
    w.close()
    ev = {t: (p, a) for _, t, p, a in _events(tmp_path)}
    assert all(p == "histograms" for p, _ in ev.values())
    h = ev["h"][1]
    assert h.shape == (30, 3) and h.dtype == np.float64
    np.testing.assert_allclose(h[:, 2].nonzero()[0], [0, 3, 4, 6, 9, 29])
    np.testing.assert_allclose(h[1], [1 / 3, 2 / 3, 0.0])
    np.testing.assert_allclose(ev["h5"][1], [[0, 1.2, 2], [1.2, 2.4, 1], [2.4, 3.6, 1],
                                             [3.6, 4.8, 1], [4.8, 6, 2]])  # fmt: skip
    np.testing.assert_array_equal(ev["single"][1], [[2, 2, 0], [2, 2, 0], [2, 2, 2]])
    np.testing.assert_array_equal(ev["empty"][1], np.zeros((3, 3)))
    np.testing.assert_allclose(ev["rand"][1], _tf_buckets(data, 30), rtol=1e-14)
    assert ev["rand"][1][-1, 1] == np.float64(data.max())


def test_image_png_and_text(tmp_path):
    from PIL import Image

    w = tf.summary.create_file_writer(str(tmp_path))
    imgs = np.random.RandomState(1).rand(2, 3, 4, 3).astype(np.float32)
    imgs[0, 0, 0] = [-0.5, 1.0, 2.0]  # clipped to [0, 1]
    gray = np.arange(12, dtype=np.uint8).reshape(1, 3, 4, 1) * 20
    with w.as_default(step=5):
        tf.summary.image("img", imgs, max_outputs=1)
        tf.summary.image("gray", gray)
        tf.summary.text("t", "hello")
        tf.summary.text("t2", ["a", "bc"], step=6)
        with pytest.raises(TypeError, match="tensor must be of type tf.string; got tf.float32"):
            tf.summary.text("bad", 1.0)
        with pytest.raises(ValueError, match="must have rank 4.  Received rank 3"):
            tf.summary.image("bad", np.zeros((2, 2, 3)))
    w.close()
    ev = {t: (s, p, a) for s, t, p, a in _events(tmp_path)}
    step, plugin, img = ev["img"]
    assert plugin == "images" and step == 5
    assert list(img[:2]) == [b"4", b"3"] and len(img) == 3  # width, height, one PNG
    decoded = np.asarray(Image.open(io.BytesIO(img[2])))
    want = np.clip(imgs[0].astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded, want)
    assert decoded[0, 0].tolist() == [0, 255, 255]
    g = ev["gray"][2]
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(g[2]))), gray[0, ..., 0])
    assert ev["t"][1] == "text" and ev["t"][2] == b"hello"
    assert ev["t2"][0] == 6 and list(ev["t2"][2]) == [b"a", b"bc"]


def test_writes_in_a_function_happen_when_it_runs(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f(x):
        with w.as_default():
            tf.summary.scalar("fn", x, step=step)
            tf.summary.histogram("hist", tf.stack([x, x * 2.0]), step=step + 100, buckets=2)
        step.assign_add(1)

    f(tf.constant(1.0))
    f(tf.constant(2.0))
    tf.summary.experimental.set_step(step)
    try:

        @tf.function
        def g(x):
            with w.as_default():
                return tf.summary.scalar("g", x * 3.0)

        assert bool(g(tf.constant(5.0)).numpy())
        step.assign_add(1)
        g(tf.constant(6.0))
        # ops of the traced graph: the writes are host-callback nodes
        ops = [op.type for op in g.get_concrete_function(tf.constant(5.0)).graph.get_operations()]
        assert ops.count("WriteSummary") == 1
    finally:
        tf.summary.experimental.set_step(None)
    w.close()
    ev = [(s, t, a.tolist()) for s, t, _, a in _events(tmp_path)]
    assert ev == [
        (0, "fn", 1.0), (100, "hist", [[1.0, 1.5, 1.0], [1.5, 2.0, 1.0]]),
        (1, "fn", 2.0), (101, "hist", [[2.0, 3.0, 1.0], [3.0, 4.0, 1.0]]),
        (2, "g", 15.0), (3, "g", 18.0),
    ]  # fmt: skip


def test_record_if_tensor_condition_in_a_function(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))

    @tf.function
    def f(x, i):
        with w.as_default(step=i), tf.summary.record_if(tf.equal(i % 2, 0)):
            return tf.summary.scalar("even", x)

    results = [bool(f(tf.constant(float(i)), tf.constant(i, tf.int64)).numpy()) for i in range(4)]
    assert results == [True, False, True, False]
    tf.summary.flush(w)
    assert [(s, a) for s, _, _, a in _events(tmp_path)] == [(0, 0.0), (2, 2.0)]
    w.close()


def test_name_scope_prefixes_the_tag(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    with w.as_default(step=9), tf.name_scope("scope"):
        tf.summary.scalar("named", 1.0)
        tf.summary.write("raw", tf.constant([1, 2]), step=10)
    w.close()
    assert [(s, t) for s, t, _, _ in _events(tmp_path)] == [(9, "scope/named"), (10, "raw")]


def test_missing_tensorboard_names_the_extra(monkeypatch):
    import builtins

    from tensorhouse_ops import summary

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"tensorhouse-ops\[summary\]"):
        summary.create_file_writer("/nonexistent/never/created")


def test_flush_inside_a_function_writes_to_disk(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path), flush_millis=10**9)

    @tf.function
    def f(x):
        with w.as_default(step=tf.constant(4, tf.int64)):
            tf.summary.scalar("s", x)
            tf.summary.flush()

    ops = [op.type for op in f.get_concrete_function(tf.constant(1.0)).graph.get_operations()]
    assert ops.count("FlushSummaryWriter") == 1
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert [(s, float(a)) for s, _, _, a in _events(tmp_path)] == [(4, 1.0), (4, 2.0)]
    w.close()
