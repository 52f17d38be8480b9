"""tf.summary: what TF 2.21 writes (read back with TensorBoard's own loader): tags, steps,
plugins, dtypes and values of scalars, histograms (30 buckets by default), PNG images and text,
eagerly and inside tf.function."""

import glob
import io
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_file_loader
from tensorboard.util import tensor_util


def _events(logdir):
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for ev in event_file_loader.EventFileLoader(path).Load():
            for v in ev.summary.value:
                arr = tensor_util.make_ndarray(v.tensor)
                out.append((ev.step, v.tag, v.metadata.plugin_data.plugin_name, arr))
    return out


def test_file_writer_api(tf, tmp_path):
    assert not bool(tf.summary.scalar("x", 1.0, step=1).numpy())  # no default writer
    w = tf.summary.create_file_writer(str(tmp_path))
    [name] = os.listdir(tmp_path)
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2")
    assert tf.summary.experimental.get_step() is None
    with w.as_default(step=3):
        assert tf.summary.experimental.get_step() == 3
        assert bool(tf.summary.should_record_summaries().numpy())
        with pytest.raises(ValueError, match="Expected scalar shape"):
            tf.summary.scalar("bad", [1.0, 2.0])
        with tf.summary.record_if(False):
            assert not bool(tf.summary.scalar("skipped", 1.0).numpy())
            assert not bool(tf.summary.should_record_summaries().numpy())
        assert bool(tf.summary.scalar("loss", 0.5).numpy())
        tf.summary.scalar("int", 3, step=7)
    with w.as_default():
        with pytest.raises(ValueError, match="No step set"):
            tf.summary.scalar("x", 1.0)
    with tf.summary.create_noop_writer().as_default(step=1):
        assert not bool(tf.summary.scalar("noop", 1.0).numpy())
    w.close()
    ev = _events(tmp_path)
    assert [(s, t, p) for s, t, p, _ in ev] == [(3, "loss", "scalars"), (7, "int", "scalars")]
    assert ev[0][3].dtype == np.float32 and float(ev[0][3]) == 0.5 and float(ev[1][3]) == 3.0


def test_histograms(tf, tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    data = np.random.RandomState(0).randn(100).astype(np.float32)
    with w.as_default(step=4):
        tf.summary.histogram("h", np.array([0.0, 1.0, 1.5, 2.0, 3.0, 10.0]))
        tf.summary.histogram("h5", np.arange(7.0), buckets=5)
        tf.summary.histogram("single", np.array([2.0, 2.0]), buckets=3)
        tf.summary.histogram("rand", tf.constant(data))
    w.close()
    ev = {t: (p, a) for _, t, p, a in _events(tmp_path)}
    assert {p for p, _ in ev.values()} == {"histograms"}
    h = ev["h"][1]
    assert h.shape == (30, 3) and h.dtype == np.float64
    assert h[:, 2].nonzero()[0].tolist() == [0, 3, 4, 6, 9, 29]
    np.testing.assert_allclose(h[1], [1 / 3, 2 / 3, 0.0], rtol=1e-15)
    np.testing.assert_allclose(ev["h5"][1], [[0, 1.2, 2], [1.2, 2.4, 1], [2.4, 3.6, 1],
                                             [3.6, 4.8, 1], [4.8, 6, 2]], rtol=1e-15)  # fmt: skip
    np.testing.assert_array_equal(ev["single"][1], [[2, 2, 0], [2, 2, 0], [2, 2, 2]])
    rand = ev["rand"][1]
    lo, hi = float(data.min()), float(data.max())
    np.testing.assert_allclose(rand[:, 0], lo + np.arange(30) * (hi - lo) / 30, rtol=1e-14)
    assert rand[-1, 1] == hi and rand[:, 2].sum() == 100
    np.testing.assert_array_equal(rand[:, 2], np.histogram(data, 30, (lo, hi))[0])


def test_image_and_text(tf, tmp_path):
    from PIL import Image

    w = tf.summary.create_file_writer(str(tmp_path))
    imgs = np.random.RandomState(1).rand(2, 3, 4, 3).astype(np.float32)
    imgs[0, 0, 0] = [-0.5, 1.0, 2.0]
    with w.as_default(step=5):
        tf.summary.image("img", imgs, max_outputs=1)
        tf.summary.text("t", "hello")
        tf.summary.text("t2", ["a", "bc"], step=6)
        with pytest.raises(TypeError, match="tensor must be of type tf.string"):
            tf.summary.text("bad", 1.0)
    w.close()
    ev = {t: (s, p, a) for s, t, p, a in _events(tmp_path)}
    step, plugin, img = ev["img"]
    assert (step, plugin, len(img), list(img[:2])) == (5, "images", 3, [b"4", b"3"])
    decoded = np.asarray(Image.open(io.BytesIO(img[2])))
    want = np.clip(imgs[0].astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded, want)
    assert ev["t"][1:] == ("text", b"hello")
    assert ev["t2"][0] == 6 and list(ev["t2"][2]) == [b"a", b"bc"]


def test_writes_inside_tf_function_use_each_calls_step(tf, tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f(x):
        with w.as_default():
            tf.summary.scalar("fn", x, step=step)
            tf.summary.scalar("fn2", x * 2.0, step=step + 100)
        step.assign_add(1)

    f(tf.constant(1.0))
    f(tf.constant(2.0))
    tf.summary.experimental.set_step(step)
    try:

        @tf.function
        def g(x):
            with w.as_default():
                tf.summary.scalar("g", x)

        g(tf.constant(5.0))
        step.assign_add(1)
        g(tf.constant(6.0))
    finally:
        tf.summary.experimental.set_step(None)
    with w.as_default(step=9), tf.name_scope("scope"):
        tf.summary.scalar("named", 1.0)
    w.close()
    got = [(s, t, float(a)) for s, t, _, a in _events(tmp_path)]
    assert got == [(0, "fn", 1.0), (100, "fn2", 2.0), (1, "fn", 2.0), (101, "fn2", 4.0),
                   (2, "g", 5.0), (3, "g", 6.0), (9, "scope/named", 1.0)]  # fmt: skip
