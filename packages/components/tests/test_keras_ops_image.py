"""``keras.ops.image.map_coordinates``'s "mirror" and "reflect" folds as Keras documents them
(and its JAX backend computes them): Keras's TF backend reads out of range for "mirror" and
folds "reflect" like "mirror" below 0. The rest of ``keras.ops.image`` is checked against real
Keras in tests/compat/test_keras_gaps_s31_compat.py."""

import numpy as np
import pytest

from tensorhouse_components import keras_ops

IDX = np.arange(-6, 10)  # positions on an axis of length 4 holding 0 1 2 3


@pytest.mark.parametrize(
    ("fill_mode", "want"),
    [
        # d c b | a b c d | c b a
        ("mirror", [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3]),
        # d c b a | a b c d | d c b a
        ("reflect", [2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1]),
        ("wrap", [2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1]),
        ("nearest", [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3]),
        ("constant", [9, 9, 9, 9, 9, 9, 0, 1, 2, 3, 9, 9, 9, 9, 9, 9]),
    ],
)
@pytest.mark.parametrize("order", [0, 1])
def test_folds_at_integer_positions(fill_mode, want, order):
    x = np.arange(4, dtype=np.float32)
    coords = IDX[None].astype(np.float32)
    got = keras_ops.image.map_coordinates(x, coords, order, fill_mode=fill_mode, fill_value=9)
    np.testing.assert_array_equal(got.numpy(), want)


def test_linear_between_folded_points_and_single_element_axes():
    x = np.arange(4, dtype=np.float32)
    got = keras_ops.image.map_coordinates(x, [[-0.25, 3.5, 4.5]], 1, fill_mode="mirror")
    np.testing.assert_allclose(got.numpy(), [0.25, 2.5, 1.5])  # -0.25 -> 0.25; 4 and 5 -> 2, 1
    one = keras_ops.image.map_coordinates(np.array([7.0]), [[-3.0, 0.4, 5.0]], 1, "mirror")
    np.testing.assert_allclose(one.numpy(), [7.0, 7.0, 7.0])


def test_bad_fill_mode_and_order():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="Invalid value for argument `fill_mode`"):
        keras_ops.image.map_coordinates(x, np.zeros((2, 2), np.float32), 1, fill_mode="edge")
    with pytest.raises(NotImplementedError, match="order<=1"):
        keras_ops.image.map_coordinates(x, np.zeros((2, 2), np.float32), 2)
