"""keras.preprocessing as Keras 3.15 has it (image, sequence, text and the dataset builders
re-exported from keras.utils), smart_resize's numbers, and keras.utils.plot_model /
model_to_dot raising Keras's ImportError when pydot is missing."""

import numpy as np
import pytest


def test_namespace(tf):
    p = tf.keras.preprocessing
    names = {n for n in dir(p) if not n.startswith("_")}
    assert names == {
        "image",
        "image_dataset_from_directory",
        "sequence",
        "text_dataset_from_directory",
        "timeseries_dataset_from_array",
        "text",
    }
    assert {n for n in dir(p.image) if not n.startswith("_")} >= {
        "array_to_img",
        "img_to_array",
        "load_img",
        "save_img",
        "smart_resize",
    }
    assert p.image_dataset_from_directory is tf.keras.utils.image_dataset_from_directory
    assert p.sequence.pad_sequences is tf.keras.utils.pad_sequences
    np.testing.assert_array_equal(p.sequence.pad_sequences([[1], [2, 3]]), [[0, 1], [2, 3]])


def test_smart_resize(tf):
    resize = tf.keras.preprocessing.image.smart_resize
    x = np.arange(4 * 6, dtype="float32").reshape(4, 6, 1)
    out = resize(x, (2, 2))  # the centre 4x4 crop (columns 1..4), then bilinear halving
    assert isinstance(out, np.ndarray) and out.shape == (2, 2, 1)
    np.testing.assert_allclose(out[..., 0], [[4.5, 6.5], [16.5, 18.5]])
    batch = resize(np.stack([x, x + 1]), (3, 3), interpolation="nearest")
    assert batch.shape == (2, 3, 3, 1)
    np.testing.assert_allclose(batch[1] - batch[0], 1.0)
    first = resize(np.moveaxis(x, -1, 0), (2, 2), data_format="channels_first")
    np.testing.assert_allclose(first[0], out[..., 0])
    tensor = resize(tf.constant(x), (2, 2))
    assert not isinstance(tensor, np.ndarray)
    np.testing.assert_allclose(np.asarray(tensor), out)
    with pytest.raises(ValueError, match="Expected `size` to be a tuple of 2 integers"):
        resize(x, (2, 2, 2))
    with pytest.raises(ValueError, match="got input with incorrect rank, of shape"):
        resize(np.zeros((4, 6)), (2, 2))


def test_plot_model_without_pydot(tf):
    try:
        import pydot  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pydot is installed")
    k = tf.keras
    model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
    with pytest.raises(
        ImportError,
        match=r"You must install pydot \(`pip install pydot`\) for "
        r"`plot_model` to work.",
    ):
        k.utils.plot_model(model)
    with pytest.raises(ImportError, match="for model_to_dot to work"):
        k.utils.model_to_dot(model, show_shapes=True)
    with pytest.raises(ValueError, match="This model has not yet been built"):
        k.utils.plot_model(k.Sequential([k.layers.Dense(2)]))
