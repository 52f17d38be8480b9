"""``keras.applications``: ``weights="imagenet"`` fetched with ``get_file`` from Keras's URLs
(here a local ``http.server`` stands in for storage.googleapis.com) in the Keras 2 weights-file
layout Keras's ImageNet files have, the hash check, a weights file path, and
``decode_predictions`` with its class index. Architecture and numbers against real Keras:
``tests/compat/test_applications_compat.py``."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading

import h5py
import numpy as np
import pytest

from tensorhouse_models import applications
from tensorhouse_models.applications import convnext, imagenet_utils, mobilenet, resnet


class _Quiet(http.server.SimpleHTTPRequestHandler):
    hits: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path, monkeypatch):
    root = tmp_path / "www"
    root.mkdir()
    (tmp_path / "home").mkdir()  # (a missing one would mean /tmp/.keras, as in Keras)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    _Quiet.hits = []
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", _Quiet.hits
    httpd.shutdown()
    httpd.server_close()


def _write_keras2_weights(path, model, seed=0):
    """A weights-only file as Keras 2 wrote the ImageNet ones: ``layer_names`` at the root, one
    group per layer with ``weight_names`` like ``conv1/kernel:0``; returns the arrays."""
    rng = np.random.default_rng(seed)
    arrays = []
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        f.attrs["backend"], f.attrs["keras_version"] = b"tensorflow", b"2.2.4"
        for layer in model.layers:
            names = [f"{layer.name}/{w.name}:0".encode() for w in layer.weights]
            group = f.create_group(layer.name)
            group.attrs["weight_names"] = names
            for name, w in zip(names, layer.weights):
                value = rng.uniform(0.5, 1.5, tuple(w.shape)).astype(np.float32)
                group.create_dataset(name.decode(), data=value)
                arrays.append(value)
    return arrays


def test_imagenet_weights_are_fetched_from_keras_url_and_cached(server, monkeypatch, tmp_path):
    root, url, hits = server
    monkeypatch.setattr(mobilenet, "BASE_WEIGHT_PATH", url)
    kwargs = {"alpha": 0.25, "input_shape": (128, 128, 3), "include_top": False}
    arrays = _write_keras2_weights(
        root / "mobilenet_2_5_128_tf_no_top.h5", applications.MobileNet(weights=None, **kwargs)
    )
    model = applications.MobileNet(weights="imagenet", **kwargs)
    assert hits == ["/mobilenet_2_5_128_tf_no_top.h5"]
    assert (tmp_path / "home" / "models" / "mobilenet_2_5_128_tf_no_top.h5").exists()
    for got, want in zip(model.get_weights(), arrays, strict=True):
        np.testing.assert_array_equal(got, want)
    again = applications.MobileNet(weights="imagenet", **kwargs)  # from the cache
    assert len(hits) == 1
    np.testing.assert_array_equal(again.get_weights()[-1], arrays[-1])
    # an input size without its own weights file takes the 224 one, with Keras's warning
    (root / "mobilenet_2_5_224_tf_no_top.h5").write_bytes(
        (root / "mobilenet_2_5_128_tf_no_top.h5").read_bytes()
    )
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\) will be loaded"):
        applications.MobileNet(weights="imagenet", alpha=0.25, include_top=False)
    assert hits[-1] == "/mobilenet_2_5_224_tf_no_top.h5"


def test_imagenet_weights_with_a_wrong_hash_are_refused(server, monkeypatch):
    root, url, hits = server
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", url)
    (root / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"not weights")
    with pytest.raises(ValueError, match="file hash does not match the provided value of "
                       "4d473c1dd8becc155b73f8504c6f6626"):  # fmt: skip
        applications.ResNet50(weights="imagenet", include_top=False)
    assert hits == ["/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"]


def test_weights_from_a_file_path(tmp_path):
    kwargs = {"alpha": 0.35, "input_shape": (32, 32, 3), "classes": 5}
    source = applications.MobileNetV2(weights=None, **kwargs)
    source.set_weights([w + 0.25 for w in source.get_weights()])
    path = str(tmp_path / "mnv2.weights.h5")
    source.save_weights(path)
    model = applications.MobileNetV2(weights=path, **kwargs)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), source.predict(x, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), [1, 1], rtol=1e-5)


def test_decode_predictions_fetches_the_class_index_once(server, monkeypatch):
    root, url, hits = server
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    data = json.dumps(index).encode()
    (root / "imagenet_class_index.json").write_bytes(data)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", url + "imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX_HASH", hashlib.md5(data).hexdigest())
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [3, 998, 10]] = [0.5, 0.3, 0.2]
    preds[1, 7] = 1.0
    got = applications.vgg16.decode_predictions(preds, top=3)
    assert got[0] == [("n00000003", "class_3", 0.5), ("n00000998", "class_998", 0.3),
                      ("n00000010", "class_10", 0.2)]  # fmt: skip
    assert got[1][0] == ("n00000007", "class_7", 1.0) and len(got[1]) == 3
    assert len(applications.resnet_v2.decode_predictions(preds)[1]) == 5
    assert hits == ["/imagenet_class_index.json"]


def test_preprocess_input_writes_over_a_float_array():
    x = np.full((1, 2, 2, 3), 255.0, np.float32)
    out = applications.mobilenet.preprocess_input(x)
    np.testing.assert_array_equal(x, np.ones_like(x))  # in place, as in Keras
    assert out is x


def test_convnext_imagenet_weights_are_checked_with_sha256(server, monkeypatch):
    root, url, hits = server
    monkeypatch.setattr(convnext, "BASE_WEIGHTS_PATH", url)
    (root / "convnext_tiny_notop.h5").write_bytes(b"not weights")
    with pytest.raises(ValueError, match="does not match the provided value of d547c096cabd"):
        applications.ConvNeXtTiny(include_top=False, input_shape=(32, 32, 3))
    assert hits == ["/convnext_tiny_notop.h5"]
    small = {"depths": [1, 1, 1, 1], "projection_dims": [8, 8, 8, 8], "include_top": False}
    with pytest.raises(ValueError, match="does not match convnext_tiny variant.*got: \\[1, 1"):
        convnext.ConvNeXt(**small, weights="imagenet", weights_name="convnext_tiny")
    with pytest.raises(ValueError, match='Model name "mine" does not match weights variant'):
        convnext.ConvNeXt(
            **{**small, **convnext.MODEL_CONFIGS["tiny"]}, name="mine", weights="imagenet",
            weights_name="convnext_tiny",
        )  # fmt: skip


def test_convnext_stochastic_depth_schedule_and_layer_scale():
    model = convnext.ConvNeXt(
        [1, 1, 2, 1], [8, 8, 8, 8], drop_path_rate=0.3, include_top=False,
        input_shape=(32, 32, 3),
    )  # fmt: skip
    rates = [layer.drop_path_rate for layer in model.layers if "stochastic" in layer.name]
    np.testing.assert_allclose(rates, [0.075, 0.15, 0.225, 0.3])  # linear, from 0
    assert model.get_layer("convnext_stage_0_block_0_identity")  # rate 0: no dropping
    layer = convnext.StochasticDepth(0.5)
    x = np.ones((200, 2, 3), np.float32)
    y = np.asarray(layer(x, training=True))
    assert set(np.unique(y)) == {0.0, 2.0}  # whole samples dropped, the kept ones scaled
    assert (y == y[:, :1, :1]).all() and 60 < (y[:, 0, 0] == 2).sum() < 140
    np.testing.assert_array_equal(layer(x), x)  # inference: the identity
    scale = convnext.LayerScale(1e-6, 3)
    np.testing.assert_allclose(scale(x), x * 1e-6)
    assert tuple(scale.gamma.shape) == (3,) and scale.get_config()["init_values"] == 1e-6
