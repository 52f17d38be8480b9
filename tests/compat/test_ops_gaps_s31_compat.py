"""TF functions added in session 31 (issue 18), checked against TF 2.21: tf.image's
extract_patches, sobel_edges, psnr, ssim, YIQ, crop_and_resize, draw_bounding_boxes and non-max
suppression; values, dtypes, gradients, tracing and error classes."""

from __future__ import annotations

import numpy as np
import pytest


def ramp(*shape):
    return (np.arange(np.prod(shape)).reshape(shape) % 7 / 7).astype(np.float32)


def test_extract_patches_layout_and_empty_result(tf):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    got = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    assert got.shape == (1, 2, 2, 4) and got.dtype == tf.float32
    assert got.numpy()[0, 1, 0].tolist() == [8, 9, 12, 13]
    same = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 3, 3, 1], [1, 2, 1, 1], "SAME")
    # taps two rows apart: 3 rows span, one zero row padded on top
    assert same.numpy()[0].tolist() == [[[0, 0, 4, 5], [0, 0, 7, 0]], [[8, 9, 0, 0], [11, 0, 0, 0]]]
    empty = tf.image.extract_patches(x, [1, 5, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    assert empty.shape == (1, 0, 3, 10)


def test_extract_patches_gradient_and_trace(tf):
    x = tf.constant(ramp(1, 3, 3, 2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    assert tape.gradient(y, x).numpy()[0, :, :, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    traced = tf.function(
        lambda t: tf.image.extract_patches(t, [1, 2, 2, 1], [1] * 4, [1] * 4, "SAME")
    )
    np.testing.assert_array_equal(
        traced(x).numpy(),
        tf.image.extract_patches(x, [1, 2, 2, 1], [1] * 4, [1] * 4, "SAME").numpy(),
    )


def test_extract_patches_errors(tf, errors):
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(errors.UnimplementedError):
        tf.image.extract_patches(x, [2, 2, 2, 1], [1] * 4, [1] * 4, "VALID")
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.extract_patches(x, [1, 2, 2], [1] * 4, [1] * 4, "VALID")
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.extract_patches(x[0], [1, 2, 2, 1], [1] * 4, [1] * 4, "VALID")
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.extract_patches(x, [1, 2, 2, 1], [1] * 4, [1] * 4, "FULL")


def test_sobel_edges_values(tf, errors):
    x = tf.constant(np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1))
    got = tf.image.sobel_edges(x)
    assert got.shape == (1, 3, 3, 1, 2)
    # reflected edges: dy is 4 * 3 rows' step inside, 0 on the first and last row
    assert got.numpy()[0, :, :, 0, 0].tolist() == [[0, 0, 0], [24, 24, 24], [0, 0, 0]]
    assert got.numpy()[0, :, :, 0, 1].tolist() == [[0, 8, 0], [0, 8, 0], [0, 8, 0]]
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.sobel_edges(x[0])


def test_psnr_and_ssim_values(tf, errors):
    a = ramp(2, 16, 16, 3)
    b = np.clip(a + np.cos(np.arange(a.size)).reshape(a.shape) * 0.05, 0, 1).astype(np.float32)
    np.testing.assert_allclose(tf.image.psnr(a, b, 1.0).numpy(), [29.34492, 29.36015], atol=1e-4)
    u8 = tf.image.psnr((a * 255).astype(np.uint8), (b * 255).astype(np.uint8), 255)
    assert u8.dtype == tf.float32
    s = tf.image.ssim(a, b, 1.0, filter_size=5)
    assert s.dtype == tf.float32 and s.shape == (2,)
    np.testing.assert_allclose(s.numpy(), [0.992903, 0.992917], atol=2e-6)
    assert tf.image.ssim(a, b, 1.0, return_index_map=True).shape == (2, 6, 6)
    ms = tf.image.ssim_multiscale(ramp(1, 180, 170, 1), ramp(1, 180, 170, 1) * 0.9, 1.0)
    np.testing.assert_allclose(ms.numpy(), [0.996614], atol=1e-5)
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.ssim(a[:, :8, :8], b[:, :8, :8], 1.0)
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.psnr(a, b[:, :8], 1.0)


def test_ssim_gradient_and_trace(tf):
    a, b = tf.constant(ramp(1, 8, 8, 1)), tf.constant(ramp(1, 8, 8, 1)[:, ::-1])
    with tf.GradientTape() as tape:
        tape.watch(a)
        s = tf.image.ssim(a, b, 1.0, filter_size=3)
    g = tape.gradient(s, a).numpy()
    np.testing.assert_allclose(
        g[0, :2, :2, 0], [[-0.011361, -0.013044], [0.03407, -0.066109]], atol=2e-6
    )
    traced = tf.function(lambda p, q: tf.image.ssim(p, q, 1.0, filter_size=3))
    np.testing.assert_allclose(traced(a, b).numpy(), s.numpy(), atol=1e-6)


def test_yiq(tf, errors):
    y = tf.image.rgb_to_yiq([[1.0, 0.5, 0.25]])
    np.testing.assert_allclose(y.numpy(), [[0.621, 0.378286, 0.027932]], atol=1e-5)
    # TF's two matrices are rounded: the round trip is off by up to 1e-4
    np.testing.assert_allclose(
        tf.image.yiq_to_rgb(y).numpy(), [[0.999977, 0.500024, 0.249938]], atol=2e-6
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.rgb_to_yiq([[1.0, 0.5]])


BOXES = [[0.13, 0.22, 0.81, 0.93], [-0.21, 0.13, 0.52, 1.31], [0.9, 0.8, 0.2, 0.1]]


def test_crop_and_resize_values_and_gradients(tf):
    image = tf.constant(ramp(2, 5, 6, 2))
    boxes = tf.constant(BOXES)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([image, boxes])
        out = tf.image.crop_and_resize(image, boxes, [0, 1, 1], [3, 2], extrapolation_value=-1.0)
        loss = tf.reduce_sum(out * np.cos(np.arange(36)).reshape(3, 3, 2, 2).astype(np.float32))
    assert out.dtype == tf.float32 and out.shape == (3, 3, 2, 2)
    np.testing.assert_allclose(
        out.numpy()[:, 0, :, 0], [[0.165714, 0.362], [-1, -1], [0.685714, 0.485714]], atol=1e-5
    )
    np.testing.assert_allclose(
        tape.gradient(loss, boxes).numpy()[0], [-0.394, 1.790334, 2.503393, -3.563737], atol=1e-4
    )
    assert tape.gradient(loss, image).shape == (2, 5, 6, 2)
    nearest = tf.image.crop_and_resize(image, boxes, [0, 1, 1], [1, 1], method="nearest")
    np.testing.assert_allclose(
        nearest.numpy()[:, 0, 0, 0], [0.285714, 0.428571, 0.571429], atol=1e-5
    )
    u8 = tf.image.crop_and_resize(np.ones((1, 2, 2, 1), np.uint8), [[0, 0, 1, 1.0]], [0], [2, 2])
    assert u8.dtype == tf.float32


def test_crop_and_resize_errors(tf, errors):
    image = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(errors.OutOfRangeError):
        tf.image.crop_and_resize(image, [[0, 0, 1, 1.0]], [2], [2, 2])
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.crop_and_resize(image, [[0, 0, 1, 1.0]], [0], [0, 2])
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.crop_and_resize(image, [[0, 0, 1, 1.0]], [0], [2, 2], method="bicubic")
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.crop_and_resize(image, [[0, 0, 1.0]], [0], [2, 2])


def test_draw_bounding_boxes(tf, errors):
    canvas = np.zeros((1, 4, 5, 3), np.float32)
    boxes = [[[0.0, 0.0, 0.7, 0.6], [0.5, 0.5, 1.2, 1.0], [0.9, 0.9, 0.1, 0.1]]]
    got = tf.image.draw_bounding_boxes(canvas, boxes, [[1.0, 0, 0], [0, 1.0, 0]]).numpy()[0]
    # box 0: rows 0..2 (int(0.7 * 3)), cols 0..2; box 1 (green, drawn later): rows 1..3, cols
    # 2..4; box 2 is inverted and not drawn
    assert got[..., 0].tolist() == [
        [1, 1, 1, 0, 0],
        [1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
    assert got[..., 1].tolist() == [
        [0, 0, 0, 0, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 1, 0, 1],
        [0, 0, 1, 1, 1],
    ]
    gray = tf.image.draw_bounding_boxes(
        np.zeros((1, 3, 3, 1), np.float32), [[[0, 0, 1, 1.0]]] * 1, None
    )
    assert gray.numpy()[0, :, :, 0].tolist() == [[1, 1, 1], [1, 0, 1], [1, 1, 1]]
    rgba = tf.image.draw_bounding_boxes(
        np.zeros((1, 2, 2, 4), np.float32),
        [[[0, 0, 1, 1.0], [0, 0, 1, 1.0]]],
        np.zeros((0, 4), np.float32),
    )
    assert rgba.numpy()[0, 0, 0].tolist() == [0, 0, 1, 1]  # the second default colour: blue
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.draw_bounding_boxes(np.zeros((1, 3, 3, 2), np.float32), [[[0, 0, 1, 1.0]]], None)
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.draw_bounding_boxes(canvas, boxes, [[1.0, 0]])


NMS_BOXES = [
    [0, 0, 1, 1.0],
    [0, 0.1, 1, 1.1],
    [0, -0.1, 1, 0.9],
    [0, 10, 1, 11],
    [0, 10.1, 1, 11.1],
    [0, 100, 1, 101],
]
NMS_SCORES = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3]


def test_non_max_suppression(tf, errors):
    assert tf.image.non_max_suppression(NMS_BOXES, NMS_SCORES, 3, 0.5).numpy().tolist() == [3, 0, 5]
    assert tf.image.non_max_suppression(NMS_BOXES, NMS_SCORES, 10, 0.5, 0.4).numpy().tolist() == [
        3,
        0,
    ]
    flipped = [[b[2], b[3], b[0], b[1]] for b in NMS_BOXES]
    assert tf.image.non_max_suppression(flipped, NMS_SCORES, 3, 0.5).numpy().tolist() == [3, 0, 5]
    ties = tf.image.non_max_suppression([[0, 0, 1, 1.0]] * 3, [0.5, 0.7, 0.7], 3, 0.5)
    assert ties.dtype == tf.int32 and ties.numpy().tolist() == [1]
    traced = tf.function(lambda b, s, k: tf.image.non_max_suppression(b, s, k, 0.5))
    assert traced(tf.constant(NMS_BOXES), tf.constant(NMS_SCORES), 4).numpy().tolist() == [3, 0, 5]
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.non_max_suppression(NMS_BOXES, NMS_SCORES, 3, 1.5)
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.non_max_suppression([[0, 0, 1.0]], [1.0], 1)


def test_non_max_suppression_with_scores_hard_and_soft(tf):
    idx, sc = tf.image.non_max_suppression_with_scores(NMS_BOXES, NMS_SCORES, 10, 0.5)
    assert idx.numpy().tolist() == [3, 0, 5]
    np.testing.assert_allclose(sc.numpy(), [0.95, 0.9, 0.3])
    idx, sc = tf.image.non_max_suppression_with_scores(
        NMS_BOXES, NMS_SCORES, 10, 0.5, 0.2, soft_nms_sigma=0.5
    )
    # soft: box 1 decays by exp(-(0.9 / 1.1)^2) and ranks before box 5; iou_threshold is unused
    assert idx.numpy().tolist() == [3, 0, 1, 5, 4]
    np.testing.assert_allclose(
        sc.numpy(), [0.95, 0.9, 0.75 * np.exp(-((0.9 / 1.1) ** 2)), 0.3, 0.256003], atol=1e-5
    )
    traced = tf.function(
        lambda b, s: tf.image.non_max_suppression_with_scores(b, s, 4, 0.5, 0.2, 0.5)
    )
    assert traced(tf.constant(NMS_BOXES), tf.constant(NMS_SCORES))[0].numpy().tolist() == [
        3,
        0,
        1,
        5,
    ]


def test_non_max_suppression_overlaps(tf):
    overlaps = [[0, 0, 0], [0.9, 0, 0], [0, 0, 0.0]]
    assert tf.image.non_max_suppression_overlaps(overlaps, [0.9, 0.8, 0.7], 3).numpy().tolist() == [
        0,
        2,
    ]
    transposed = [[0, 0.9, 0], [0, 0, 0], [0, 0, 0.0]]
    got = tf.image.non_max_suppression_overlaps(transposed, [0.9, 0.8, 0.7], 3)
    assert got.numpy().tolist() == [0, 1, 2]


# ---- tf.math -----------------------------------------------------------------------------------
def test_multiply_no_nan_values_gradients_and_dtypes(tf, errors):
    got = tf.math.multiply_no_nan([np.inf, 2.0, np.nan, -1.0], [0.0, 3.0, 0.0, 0.0])
    assert got.numpy().tolist() == [0, 6, 0, 0] and not np.signbit(got.numpy()[3])
    x, y = tf.constant([1.0, 2.0, -3.0]), tf.constant([0.0, 3.0, 0.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = tf.math.multiply_no_nan(x, y)
    assert tape.gradient(z, x).numpy().tolist() == [0, 3, 0]
    assert tape.gradient(z, y).numpy().tolist() == [1, 2, -3]
    assert tf.math.multiply_no_nan(tf.ones([2, 3]), tf.constant([0.0, 1.0, 2.0])).shape == (2, 3)
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.multiply_no_nan([1, 2], [0, 1])


def test_xlog1py_and_lbeta(tf, errors):
    got = tf.math.xlog1py([0.0, 2.0, 0.0, 1.0], [-1.0, 1.0, np.nan, -2.0]).numpy()
    np.testing.assert_allclose(got, [0, 2 * np.log(2), 0, np.nan], rtol=1e-6)
    x, y = tf.constant([0.0, 2.0]), tf.constant([-1.0, 1.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = tf.math.xlog1py(x, y)
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [0, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(z, y).numpy(), [0, 1], rtol=1e-6)
    np.testing.assert_allclose(
        tf.math.lbeta([[1.0, 2.0], [0.5, 0.5]]).numpy(), [-np.log(2), np.log(np.pi)], rtol=1e-5
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.lbeta([[1, 2]])
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.xlog1py([1, 2], [0, 1])


def test_in_top_k(tf):
    pred = [[0.1, 0.5, 0.4], [0.3, 0.3, 0.3], [1.0, 2, 3], [np.nan, 1, 0], [1.0, 2, 3]]
    got = tf.math.in_top_k([1, 2, 5, 1, -1], pred, 1)
    assert got.dtype == tf.bool and got.numpy().tolist() == [True, True, False, False, False]
    assert tf.nn.in_top_k(tf.constant([2, 1], tf.int64), pred[:2], 2).numpy().tolist() == [
        True,
        True,
    ]
    assert tf.math.in_top_k([1], [[0.1, 0.5]], 0).numpy().tolist() == [False]
    with pytest.raises(ValueError):
        tf.math.in_top_k([1], tf.constant([[0.1, 0.5]], tf.float64), 1)


def test_invert_permutation_order_checks_zero_fraction(tf, errors):
    got = tf.math.invert_permutation(tf.constant([3, 0, 1, 2], tf.int64))
    assert got.dtype == tf.int64 and got.numpy().tolist() == [1, 2, 3, 0]
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.invert_permutation([0, 0, 1])
    assert bool(tf.math.is_non_decreasing([[1, 2], [2, 3]])) is True
    assert bool(tf.math.is_non_decreasing(tf.zeros([0]))) is True
    assert bool(tf.math.is_strictly_increasing([1.0, 2.0, 2.0])) is False
    with pytest.raises(TypeError):
        tf.math.is_strictly_increasing(["a", "b"])
    zf = tf.nn.zero_fraction(tf.constant([0.0, 1.0, 2.0]))
    assert zf.dtype == tf.float32 and abs(float(zf) - 1 / 3) < 1e-6


def test_confusion_matrix(tf, errors):
    got = tf.math.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1])
    assert got.dtype == tf.int32 and got.numpy().tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    w = tf.math.confusion_matrix(
        [0, 1], [1, 1], num_classes=3, weights=[0.5, 2.0], dtype=tf.float32
    )
    assert w.numpy().tolist() == [[0, 0.5, 0], [0, 2, 0], [0, 0, 0]]
    traced = tf.function(lambda a, b: tf.math.confusion_matrix(a, b))
    assert traced(tf.constant([0, 1]), tf.constant([2, 1])).numpy().tolist() == [
        [0, 0, 1],
        [0, 1, 0],
        [0, 0, 0],
    ]
    for labels, preds in (([0, 3], [1, 1]), ([0, -1], [1, 1]), ([0, 1], [1, 1, 0])):
        with pytest.raises(errors.InvalidArgumentError):
            tf.math.confusion_matrix(labels, preds, num_classes=3)


def test_scalar_mul_accumulate_n_and_softmax_aliases(tf):
    assert tf.math.scalar_mul(2, tf.constant([1.0, 2.0])).numpy().tolist() == [2, 4]
    with pytest.raises(ValueError):
        tf.math.scalar_mul([2.0, 3.0], tf.constant([1.0, 2.0]))
    assert tf.math.accumulate_n([tf.constant([1, 2]), tf.constant([3, 4])]).numpy().tolist() == [
        4,
        6,
    ]
    with pytest.raises(ValueError):
        tf.math.accumulate_n([tf.constant([1, 2]), tf.constant([3, 4, 5])])
    np.testing.assert_allclose(
        tf.math.log_softmax([1.0, 2.0]).numpy(), [-1.313262, -0.313262], rtol=1e-5
    )
    np.testing.assert_allclose(tf.math.softmax([0.0, 0.0]).numpy(), [0.5, 0.5])
    assert tf.math.softsign([1.0, -3.0]).numpy().tolist() == [0.5, -0.75]


# ---- tf.nn -------------------------------------------------------------------------------------
def test_depth_to_space_and_space_to_depth(tf, errors):
    x = np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1)
    d = tf.nn.space_to_depth(x, 2)
    assert d.dtype == tf.int32 and d.shape == (1, 2, 2, 4)
    assert d.numpy()[0, 0, 1].tolist() == [2, 3, 6, 7]
    assert tf.nn.depth_to_space(d, 2).numpy().tolist() == x.tolist()
    for fn, arg in (
        (tf.nn.depth_to_space, 3),
        (tf.nn.depth_to_space, 1),
        (tf.nn.space_to_depth, 3),
    ):
        with pytest.raises(errors.InvalidArgumentError):
            fn(d, arg)
    y = tf.constant(np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4))
    with tf.GradientTape() as tape:
        tape.watch(y)
        z = tf.nn.depth_to_space(y, 2) * np.arange(8, dtype=np.float32).reshape(1, 2, 4, 1)
    assert tape.gradient(z, y).numpy().ravel().tolist() == [0, 1, 4, 5, 2, 3, 6, 7]


def test_crelu_and_moments_helpers(tf):
    assert tf.nn.crelu([[1.0, -2.0]], axis=0).numpy().tolist() == [[1, 0], [0, 2]]
    y = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    counts, m_ss, v_ss, shift = tf.nn.sufficient_statistics(y, [0])
    assert float(counts) == 2.0 and shift is None
    assert m_ss.numpy().tolist() == [5, 7, 10] and v_ss.numpy().tolist() == [17, 29, 58]
    mean, var = tf.nn.normalize_moments(
        *tf.nn.sufficient_statistics(y, [0], shift=tf.constant(2.0))
    )
    assert mean.numpy().tolist() == [2.5, 3.5, 5] and var.numpy().tolist() == [2.25, 2.25, 4]
    mean, var = tf.nn.weighted_moments(y, [1], tf.constant([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(mean.numpy(), [7 / 3, 0], rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), [8 / 9, 0], rtol=1e-5)
    half = tf.nn.weighted_moments(tf.cast(y, tf.float16), [1], tf.constant(1.0, tf.float16))
    assert half[0].dtype == tf.float16


def test_nn_losses(tf):
    got = tf.nn.weighted_cross_entropy_with_logits(
        [[1.0, 0.0], [0.3, 1.0]], [[2.0, -1.0], [-30.0, 40.0]], 3.0
    )
    np.testing.assert_allclose(
        got.numpy(), [[3 * np.log1p(np.exp(-2)), 0.313262], [27.0, 0.0]], atol=1e-5
    )
    with pytest.raises(ValueError):
        tf.nn.weighted_cross_entropy_with_logits([1.0, 0.0], [[2.0, -1.0]], 3.0)
    full = tf.nn.log_poisson_loss(
        [0.0, 0.5, 2.0, 10.0], [0.1, -1.0, 1.0, 2.0], compute_full_loss=True
    )
    np.testing.assert_allclose(full.numpy(), [1.10517, 0.86788, 1.37009, 2.48514], atol=1e-4)
    assert float(tf.nn.compute_average_loss([[1.0, 2.0], [3.0, 6.0]])) == 6.0
    w = tf.nn.compute_average_loss(
        [1.0, 2.0, 3.0, 6.0], sample_weight=[1.0, 0.0, 1.0, 0.5], global_batch_size=8
    )
    assert float(w) == 0.875  # (1 + 3 + 3) / 8
    with pytest.raises(ValueError):
        tf.nn.compute_average_loss(3.0)
    with pytest.raises(TypeError):
        tf.nn.compute_average_loss([1.0, 2.0], global_batch_size=2.5)
    assert float(tf.nn.scale_regularization_loss(tf.constant([1.0, 2.0]))) == 3.0


# ---- tf.linalg ---------------------------------------------------------------------------------
def test_linalg_solves_and_lu_helpers(tf):
    a = np.array([[4.0, 1, 2], [3, 5, 1], [2, 2, 6]])
    b = np.array([[1.0], [2], [3]])
    np.testing.assert_allclose(
        tf.linalg.triangular_solve(a, b).numpy().ravel(), [0.25, 0.25, 1 / 3]
    )
    up = tf.linalg.triangular_solve(a, b, lower=False, adjoint=True).numpy().ravel()
    np.testing.assert_allclose(up, [0.25, 0.35, 0.3583333], rtol=1e-6)
    chol = tf.linalg.cholesky(a @ a.T)
    np.testing.assert_allclose(
        tf.linalg.cholesky_solve(chol, b).numpy(), np.linalg.solve(a @ a.T, b)
    )
    lu, p = tf.linalg.lu(a)
    np.testing.assert_allclose(tf.linalg.lu_reconstruct(lu, p).numpy(), a)
    np.testing.assert_allclose(tf.linalg.lu_solve(lu, p, b).numpy(), np.linalg.solve(a, b))
    np.testing.assert_allclose(tf.linalg.lu_matrix_inverse(lu, p).numpy(), np.linalg.inv(a))
    x, y = tf.constant(a), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = tf.reduce_sum(tf.linalg.triangular_solve(x, y) ** 2)
    gx, gy = tape.gradient(z, [x, y])
    assert gx.numpy()[0, 1:].tolist() == [0, 0]  # the upper triangle is not read
    np.testing.assert_allclose(gy.numpy().ravel(), [0.027778, 0.055556, 0.111111], rtol=1e-5)


def test_linalg_cross_and_diagonals(tf, errors):
    assert tf.linalg.cross([[1.0, 2, 3]], [[4.0, 5, 7]]).numpy().tolist() == [[-1, 5, -3]]
    with pytest.raises(errors.FailedPreconditionError):
        tf.linalg.cross([[1.0, 2]], [[4.0, 5]])
    tall = tf.linalg.set_diag(np.ones((4, 2), np.float32), [7.0, 8.0])
    assert tall.numpy().tolist() == [[7, 1], [1, 8], [1, 1], [1, 1]]
    with pytest.raises(errors.InvalidArgumentError):
        tf.linalg.set_diag(np.ones((4, 2), np.float32), [7.0, 8.0, 9.0])
    d = tf.linalg.tensor_diag([[1.0, 2.0], [3.0, 4.0]])
    assert d.shape == (2, 2, 2, 2) and float(d[1, 0, 1, 0]) == 3.0 and float(tf.reduce_sum(d)) == 10
    assert tf.linalg.tensor_diag_part(d).numpy().tolist() == [[1, 2], [3, 4]]
    np.testing.assert_allclose(tf.linalg.l2_normalize([3.0, 4.0]).numpy(), [0.6, 0.8])


def test_pools_by_rank_and_lrn(tf, errors):
    x1 = np.arange(2 * 7 * 3, dtype=np.float32).reshape(2, 7, 3) % 5
    got = tf.nn.max_pool1d(x1, 3, 2, "SAME")
    assert got.shape == (2, 4, 3) and got.numpy()[0, :, 0].tolist() == [3, 4, 4, 3]
    assert tf.nn.avg_pool1d(x1, [2], [1, 2, 1], "VALID").numpy()[0, :, 1].tolist() == [
        2.5,
        1.0,
        2.0,
    ]
    assert tf.nn.max_pool(x1, 2, 2, "VALID").shape == (2, 3, 3)
    x2 = np.arange(2 * 5 * 6 * 3, dtype=np.float32).reshape(2, 5, 6, 3) % 7
    assert tf.nn.avg_pool(x2, [2, 3], 2, "SAME").shape == (2, 3, 3, 3)
    got = tf.nn.lrn(np.arange(1, 13, dtype=np.float32).reshape(1, 1, 1, 12))
    np.testing.assert_allclose(
        got.numpy().ravel()[:3], [0.1042572, 0.1684304, 0.2095291], rtol=1e-5
    )
    x = tf.constant(x2 / 7)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = tf.nn.local_response_normalization(x, depth_radius=1, bias=2.0, alpha=0.5, beta=0.75)
    np.testing.assert_allclose(
        tape.gradient(z, x).numpy()[0, 0, 0], [0.5923384, 0.5704125, 0.5573496], rtol=1e-5
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.nn.lrn(x1)


def test_cumulative_logsumexp(tf, errors):
    x = np.array([[-1000.0, 0.0, 3.0, -np.inf, 2.5], [1.0, 2, 3, 4, 5]], np.float32)
    got = tf.math.cumulative_logsumexp(x, axis=1, exclusive=True)
    np.testing.assert_allclose(got.numpy()[0], [-np.inf, -1000, 0, 3.0485873, 3.0485873], rtol=1e-6)
    got = tf.math.cumulative_logsumexp(x, axis=-1, reverse=True).numpy()[1]
    np.testing.assert_allclose(got, [5.4519143, 5.4401897, 5.4076059, 5.3132617, 5.0], rtol=1e-6)
    v = tf.constant([[0.5, 1.0, 2.0], [3.0, -1.0, 0.0]])
    with tf.GradientTape() as tape:
        tape.watch(v)
        z = tf.reduce_sum(tf.math.cumulative_logsumexp(v, axis=1) * [1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        tape.gradient(z, v).numpy()[1], [5.77275, 0.08742, 0.13984], atol=1e-5
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.cumulative_logsumexp([1, 2])
