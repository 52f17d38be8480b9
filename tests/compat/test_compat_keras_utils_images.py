"""keras.utils as Keras 3.15 has them: the image helpers (array_to_img, img_to_array, load_img,
save_img), Config, standardize_dtype, is_keras_tensor, get_source_inputs, Sequence and the
interactive logging switch (the progress bar and summary go to the log when it is off)."""

import io
import logging

import numpy as np
import pytest
from PIL import Image

RNG = np.random.default_rng(5)
RGB = RNG.integers(0, 256, size=(4, 5, 3)).astype(np.float32)


def test_array_to_img_modes_and_scale(tf):
    u = tf.keras.utils
    img = u.array_to_img(RGB, scale=False)
    assert (img.mode, img.size) == ("RGB", (5, 4))
    np.testing.assert_array_equal(np.asarray(img), RGB.astype(np.uint8))
    scaled = np.asarray(u.array_to_img(RGB / 4.0 + 10.0))  # min to 0, max to 255, truncated
    expect = (RGB / 4.0 + 10.0) - (RGB / 4.0 + 10.0).min()
    np.testing.assert_array_equal(scaled, (expect / expect.max() * 255).astype(np.uint8))
    assert u.array_to_img(np.zeros((2, 3, 4)), scale=False).mode == "RGBA"
    assert u.array_to_img(np.ones((2, 3, 1)) * 300, scale=False).mode == "I"
    assert u.array_to_img(np.ones((2, 3, 1)), scale=False).mode == "L"
    first = u.array_to_img(np.moveaxis(RGB, -1, 0), data_format="channels_first", scale=False)
    np.testing.assert_array_equal(np.asarray(first), RGB.astype(np.uint8))
    with pytest.raises(ValueError, match="rank 3"):
        u.array_to_img(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="channel number: 2"):
        u.array_to_img(np.zeros((2, 3, 2)))


def test_img_to_array(tf):
    u = tf.keras.utils
    img = Image.fromarray(RGB.astype(np.uint8))
    x = u.img_to_array(img)
    assert (x.dtype, x.shape) == (np.float32, (4, 5, 3))
    assert u.img_to_array(img, data_format="channels_first").shape == (3, 4, 5)
    gray = u.img_to_array(img.convert("L"), dtype="uint8")
    assert (gray.dtype, gray.shape) == (np.uint8, (4, 5, 1))
    assert u.img_to_array(img.convert("L"), data_format="channels_first").shape == (1, 4, 5)
    with pytest.raises(ValueError, match="Unsupported image shape"):
        u.img_to_array(np.zeros(3))


def test_save_and_load_img(tf, tmp_path):
    u = tf.keras.utils
    path = str(tmp_path / "a.png")
    u.save_img(path, RGB, scale=False)
    img = u.load_img(path)
    assert (img.mode, img.size) == ("RGB", (5, 4))
    np.testing.assert_array_equal(u.img_to_array(img), RGB.astype(np.uint8))
    assert u.load_img(path, color_mode="grayscale").mode == "L"
    assert u.load_img(path, color_mode="rgba").mode == "RGBA"
    small = u.load_img(path, target_size=(2, 3), interpolation="bilinear")
    np.testing.assert_array_equal(
        np.asarray(small),
        np.asarray(Image.fromarray(RGB.astype(np.uint8)).resize((3, 2), Image.BILINEAR)),
    )
    # keep_aspect_ratio: the centred 4x4 crop of the 4x5 image, then the resize
    square = u.load_img(path, target_size=(2, 2), keep_aspect_ratio=True)
    crop = Image.fromarray(RGB.astype(np.uint8)).crop((0, 0, 4, 4)).resize((2, 2), Image.NEAREST)
    np.testing.assert_array_equal(np.asarray(square), np.asarray(crop))
    data = io.BytesIO()
    u.save_img(data, RGB, file_format="png", scale=False)
    data.seek(0)
    assert u.load_img(data).size == (5, 4)
    jpg = str(tmp_path / "b.jpg")
    with pytest.warns(UserWarning, match="RGBA"):
        u.save_img(jpg, np.concatenate([RGB, RGB[..., :1]], -1))
    with Image.open(jpg) as written:
        assert written.format == "JPEG"
    with pytest.raises(ValueError, match="color_mode"):
        u.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        u.load_img(path, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="path-like"):
        u.load_img(3)


def test_config(tf):
    c = tf.keras.utils.Config(alpha=1, b=2)
    c.c = 3
    c["d"] = 4
    assert (c.alpha, c["c"], c.get("z", 9), len(c)) == (1, 3, 9, 4)
    assert list(c) == ["alpha", "b", "c", "d"]
    assert c.as_dict() == {"alpha": 1, "b": 2, "c": 3, "d": 4}
    assert c.to_json() == '{"alpha": 1, "b": 2, "c": 3, "d": 4}'
    assert "b" in c and repr(tf.keras.utils.Config(x=1)) == "<Config {'x': 1}>"
    with pytest.raises(AttributeError, match="Unknown attribute: 'alphx'. Did you mean 'alpha'"):
        c.alphx  # noqa: B018
    with pytest.raises(AttributeError, match="^Unknown attribute: 'zz'.$"):
        c.zz  # noqa: B018
    c.freeze()
    assert c.frozen
    for change in (lambda: setattr(c, "b", 5), lambda: c.update(b=5), lambda: c.pop("b")):
        with pytest.raises(ValueError, match="frozen"):
            change()
    c.unfreeze()
    del c["d"]
    assert c.pop("c") == 3 and sorted(c.keys()) == ["alpha", "b"]


def test_standardize_dtype(tf):
    s = tf.keras.utils.standardize_dtype
    assert [s(None), s(int), s(float), s(bool), s(str), s("int")] == [
        "float32", "int64", "float32", "bool", "string", "int64"]  # fmt: skip
    assert [s(np.float64), s(np.dtype("uint16")), s(tf.bfloat16), s("complex64")] == [
        "float64", "uint16", "bfloat16", "complex64"]  # fmt: skip
    for bad in ("double", "float", "int128"):
        with pytest.raises(ValueError, match=f"Invalid dtype: {bad}"):
            s(bad)


def test_keras_tensors_and_sources(tf):
    k = tf.keras
    a, b = k.Input((3,)), k.Input((3,))
    h = k.layers.Dense(2)(a)
    out = k.layers.Add()([h, k.layers.Dense(2)(b), k.layers.Dense(2)(a)])
    assert k.utils.is_keras_tensor(out) and not k.utils.is_keras_tensor(np.zeros(2))
    sources = k.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert k.utils.get_source_inputs(a)[0] is a
    t = tf.constant(1.0)
    assert k.utils.get_source_inputs(t) is t
    assert k.utils.Sequence is k.utils.PyDataset


def test_interactive_logging_switch(tf, capsys, caplog):
    u = tf.keras.utils
    assert u.is_interactive_logging_enabled()
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    u.disable_interactive_logging()
    try:
        assert not u.is_interactive_logging_enabled()
        assert not tf.keras.config.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO):
            model.summary()
            bar = u.Progbar(2, verbose=2)
            bar.update(2, [("loss", 0.5)])
        assert "Total params" not in capsys.readouterr().out
        logged = caplog.text
        assert "Total params: 3" in logged and "loss: 0.5000" in logged
    finally:
        u.enable_interactive_logging()
    assert u.is_interactive_logging_enabled()
    model.summary()
    assert "Total params: 3" in capsys.readouterr().out
