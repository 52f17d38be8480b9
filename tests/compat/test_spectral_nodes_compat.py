"""Functional models with ``keras.ops`` nodes whose Keras classes are not named after their
functions (``FFT``, ``FFT2``, ``RFFT``, ``IRFFT``, ``SVD``, ``Qr``, ``Kron``, ``IsIn``), saved as
Keras 3.15 saves them: each library loads the ``.keras`` file the other wrote
(``make_spectral_nodes_data.py``) with the same predictions, writes the same config layout, and
round-trips its own file."""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from spectral_nodes_cases import BIAS, KERNEL, XA, XB, build
from test_ops_nodes_compat import check, layout, reference

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_reference_is_numpy():
    refs = reference("spectral_nodes")
    a, b = XA.astype("float64"), XB.astype("float64")
    h = a @ KERNEL + BIAS
    f = np.fft.fft(a + 0.5j * a)
    f2 = np.fft.fft2(a + 1j * h[..., :1] * a)
    rf = np.fft.rfft(a, n=6)
    want = [f.real, f.imag, f2.real - f2.imag, rf.real + rf.imag, np.fft.irfft(rf, n=6), h]
    np.testing.assert_allclose(refs[0], np.concatenate(want, -1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(refs[1], 2 * a, rtol=1e-4, atol=1e-4)  # u s vh + q r
    s = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(refs[2], np.concatenate([s, s], -1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(refs[3], np.kron(a[0], b[1][None]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(refs[4], ~np.isin(b, b[0]) + b, rtol=1e-6)


@pytest.mark.parametrize("writer", ["keras315", "tensorhouse"])
def test_loads_the_file_either_library_wrote(tf, writer):
    model = tf.keras.models.load_model(os.path.join(DATA, f"spectral_nodes_{writer}.keras"))
    check(model([XA, XB]), reference("spectral_nodes"), tol=1e-4)
    assert sorted(layer.name for layer in model.layers) == ["a", "b", "dense"]


def test_config_layout_matches_keras(tf):
    model = build(tf.keras)
    check(model([XA, XB]), reference("spectral_nodes"), tol=1e-4)
    mine = json.loads(json.dumps(model.get_config()))
    with zipfile.ZipFile(os.path.join(DATA, "spectral_nodes_keras315.keras")) as z:
        keras_config = json.loads(z.read("config.json"))["config"]
    assert layout(mine) == layout(keras_config)
    classes = {item["class_name"] for item in mine["layers"]}
    assert {"FFT", "FFT2", "RFFT", "IRFFT", "SVD", "Qr", "Kron", "IsIn"} <= classes


def test_round_trip_through_a_keras_file(tf, tmp_path):
    model = build(tf.keras)
    path = str(tmp_path / "spectral.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    check(loaded([XA, XB]), reference("spectral_nodes"), tol=1e-4)


def test_bad_arguments(tf):
    ops = tf.keras.ops
    x = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.fft((x,))
    with pytest.raises(ValueError, match="same shape"):
        ops.fft((x, np.ones((2, 2), "float32")))
    with pytest.raises(ValueError, match="Received: mode=bad"):
        ops.qr(x, mode="bad")
    with pytest.raises(ValueError, match=r"rank >= 2. Received input with shape \(3,\)"):
        ops.svd(np.ones(3, "float32"))


def test_traced_equals_eager(tf):  # Keras's kron and isin do not trace on TF: not here
    ops = tf.keras.ops

    def fn(a, b):
        u, s, vh = ops.svd(a, full_matrices=False)
        q, r = ops.linalg.qr(a, mode="complete")
        re, im = ops.fft2((a, a))
        return [
            ops.matmul(u * s[:, None, :], vh), ops.matmul(q, r), re - im,
            ops.irfft(ops.rfft(a)),
        ]  # fmt: skip

    spec = tf.TensorSpec([None, 3, 4], tf.float32)
    traced = tf.function(fn, input_signature=[spec, tf.TensorSpec([None, 4], tf.float32)])
    eager = fn(XA, XB)
    for got, want in zip(traced(XA, XB), eager):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(eager[0]), XA, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(eager[1]), XA, rtol=1e-4, atol=1e-5)
