"""TF functions added in session 31 (issue 18) against NumPy / hand-computed references:
tf.image's patches, Sobel, PSNR / SSIM, YIQ, crop_and_resize, draw_bounding_boxes and non-max
suppression (hard and soft); eager == traced; gradients by finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors


def img(*shape, seed=0):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def np_patches(x, k, s, r, padding):
    (kh, kw), (sh, sw), (rh, rw) = k, s, r
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1
    if padding == "SAME":
        oh, ow = -(-x.shape[1] // sh), -(-x.shape[2] // sw)
        ph, pw = max((oh - 1) * sh + eh - x.shape[1], 0), max((ow - 1) * sw + ew - x.shape[2], 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (x.shape[1] - eh) // sh + 1, (x.shape[2] - ew) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, kh * kw * x.shape[3]), x.dtype)
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * sh : i * sh + eh : rh, j * sw : j * sw + ew : rw, :]
            out[:, i, j] = win.reshape(x.shape[0], -1)
    return out


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_extract_patches_against_numpy(padding):
    x = img(2, 9, 7, 3)
    got = tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1], padding)
    np.testing.assert_array_equal(got.numpy(), np_patches(x, (3, 2), (2, 3), (1, 2), padding))
    ints = np.arange(2 * 5 * 5).reshape(2, 5, 5, 1).astype(np.int32)
    out = tf.image.extract_patches(ints, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], padding)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), np_patches(ints, (2, 2), (1, 1), (1, 1), padding))


def test_extract_patches_gradient_counts_the_uses():
    x = tf.constant(img(1, 4, 4, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    uses = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], np.float32)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], uses)


def test_sobel_edges_against_numpy():
    x = img(2, 6, 5, 2)
    p = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32)
    want = np.zeros((*x.shape, 2), np.float32)
    for a in range(3):
        for b in range(3):
            win = p[:, a : a + 6, b : b + 5]
            want[..., 0] += ky[a, b] * win
            want[..., 1] += ky.T[a, b] * win
    np.testing.assert_allclose(tf.image.sobel_edges(x).numpy(), want, rtol=1e-5, atol=1e-6)


def test_psnr_by_hand_and_for_integer_images():
    a, b = np.zeros((1, 2, 2, 1), np.float32), np.full((1, 2, 2, 1), 0.1, np.float32)
    np.testing.assert_allclose(tf.image.psnr(a, b, 1.0).numpy(), [20.0], rtol=1e-5)
    u8 = tf.image.psnr(np.zeros((2, 2, 1), np.uint8), np.full((2, 2, 1), 51, np.uint8), 255)
    np.testing.assert_allclose(u8.numpy(), 20 * np.log10(5.0), rtol=1e-5)


def np_ssim_map(x, y, size=3, sigma=1.5, c1=1e-4, c2=9e-4):
    g = np.exp(-0.5 * (np.arange(size) - (size - 1) / 2) ** 2 / sigma**2)
    w = np.outer(g, g) / np.outer(g, g).sum()
    h, wd = x.shape[0] - size + 1, x.shape[1] - size + 1

    def blur(t):
        return sum(w[i, j] * t[i : i + h, j : j + wd] for i in range(size) for j in range(size))

    mx, my = blur(x), blur(y)
    lum = (2 * mx * my + c1) / (mx**2 + my**2 + c1)
    cs = (2 * (blur(x * y) - mx * my) + c2) / (blur(x * x) + blur(y * y) - mx**2 - my**2 + c2)
    return lum * cs


def test_ssim_against_numpy():
    x, y = img(7, 8, 2, seed=1), img(7, 8, 2, seed=2)
    want = np.mean([np_ssim_map(x[..., c], y[..., c]) for c in range(2)], axis=0)
    got = tf.image.ssim(x, y, 1.0, filter_size=3, return_index_map=True)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        tf.image.ssim(x, y, 1.0, filter_size=3).numpy(), want.mean(), rtol=1e-4
    )
    np.testing.assert_allclose(tf.image.ssim(x, x, 1.0, filter_size=3).numpy(), 1.0, rtol=1e-5)
    same = tf.image.ssim_multiscale(img(1, 64, 64, 1), img(1, 64, 64, 1), 1.0, filter_size=3)
    np.testing.assert_allclose(same.numpy(), [1.0], rtol=1e-5)


def test_yiq_round_trip():
    x = img(4, 5, 3)
    y = tf.image.rgb_to_yiq(x)
    np.testing.assert_allclose(y.numpy()[..., 0], x @ [0.299, 0.587, 0.114], rtol=1e-5)
    np.testing.assert_allclose(
        tf.image.yiq_to_rgb(y).numpy(), x, atol=1e-4
    )  # TF rounds its matrices


def np_crop_and_resize(image, boxes, idx, ch, cw, extrapolation=0.0):
    _, h, w, d = image.shape
    out = np.zeros((len(boxes), ch, cw, d), np.float32)
    for n, ((y1, x1, y2, x2), b) in enumerate(zip(boxes, idx)):
        for i in range(ch):
            y = (
                y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1)
                if ch > 1
                else 0.5 * (y1 + y2) * (h - 1)
            )
            for j in range(cw):
                x = (
                    x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1)
                    if cw > 1
                    else 0.5 * (x1 + x2) * (w - 1)
                )
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[n, i, j] = extrapolation
                    continue
                t, lft = int(np.floor(y)), int(np.floor(x))
                bo, r = min(t + 1, h - 1), min(lft + 1, w - 1)
                top = image[b, t, lft] + (image[b, t, r] - image[b, t, lft]) * (x - lft)
                bot = image[b, bo, lft] + (image[b, bo, r] - image[b, bo, lft]) * (x - lft)
                out[n, i, j] = top + (bot - top) * (y - t)
    return out


def test_crop_and_resize_against_numpy_and_finite_differences():
    image = img(2, 7, 6, 2)
    boxes = np.array(
        [[0.13, 0.22, 0.81, 0.93], [-0.2, 0.1, 0.5, 1.3], [0.9, 0.8, 0.2, 0.1]], np.float32
    )
    got = tf.image.crop_and_resize(image, boxes, [0, 1, 1], [4, 3], extrapolation_value=-1.0)
    want = np_crop_and_resize(image, boxes, [0, 1, 1], 4, 3, -1.0)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    one = tf.image.crop_and_resize(image, boxes, [1, 0, 1], [1, 1])
    np.testing.assert_allclose(
        one.numpy(), np_crop_and_resize(image, boxes, [1, 0, 1], 1, 1), atol=1e-6
    )
    weights = np.cos(np.arange(4 * 4 * 3 * 2)).reshape(4, 4, 3, 2).astype(np.float32)
    b = tf.constant((boxes[:2] + [[0, 0, 0, 0], [0.31, 0.05, 0.03, -0.4]]).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(b)
        loss = tf.reduce_sum(tf.image.crop_and_resize(image, b, [0, 1], [4, 3]) * weights[:2])
    grad = tape.gradient(loss, b).numpy()
    eps, base = 1e-3, b.numpy().astype(np.float64)
    for i, j in np.ndindex(2, 4):
        hi, lo = base.copy(), base.copy()
        hi[i, j] += eps
        lo[i, j] -= eps
        fd = (
            np.sum(np_crop_and_resize(image, hi, [0, 1], 4, 3) * weights[:2])
            - np.sum(np_crop_and_resize(image, lo, [0, 1], 4, 3) * weights[:2])
        ) / (2 * eps)
        np.testing.assert_allclose(grad[i, j], fd, rtol=2e-3, atol=2e-3)


def test_draw_bounding_boxes_by_hand():
    canvas = np.zeros((1, 5, 5, 1), np.float32)
    boxes = [[[0.0, 0.0, 0.5, 0.5], [0.25, 0.5, 1.0, 1.0], [0.9, 0.9, 0.1, 0.1]]]
    got = tf.image.draw_bounding_boxes(canvas, boxes, [[0.5], [1.0]]).numpy()[0, :, :, 0]
    want = np.array(
        [
            [0.5, 0.5, 0.5, 0, 0],
            [0.5, 0, 1, 1, 1],
            [0.5, 0.5, 1, 0, 1],
            [0, 0, 1, 0, 1],
            [0, 0, 1, 1, 1],
        ],
        np.float32,
    )
    np.testing.assert_array_equal(got, want)
    default = tf.image.draw_bounding_boxes(
        np.zeros((1, 3, 3, 3), np.float32), [[[0, 0, 1, 1.0]]], None
    )
    np.testing.assert_array_equal(default.numpy()[0, 0, 0], [1, 1, 0])  # the first default: yellow


def np_nms(boxes, scores, k, thr, score_thr=-np.inf):
    def iou(a, b):
        ya, yb = sorted(a[::2]), sorted(b[::2])
        xa, xb = sorted(a[1::2]), sorted(b[1::2])
        inter = max(min(ya[1], yb[1]) - max(ya[0], yb[0]), 0) * max(
            min(xa[1], xb[1]) - max(xa[0], xb[0]), 0
        )
        union = (ya[1] - ya[0]) * (xa[1] - xa[0]) + (yb[1] - yb[0]) * (xb[1] - xb[0]) - inter
        return inter / union if union > 0 else 0.0

    kept = []
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i)):
        if (
            scores[i] > score_thr
            and len(kept) < k
            and all(iou(boxes[i], boxes[j]) <= thr for j in kept)
        ):
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_max_suppression_against_numpy_eager_and_traced(seed):
    rng = np.random.default_rng(seed)
    boxes = rng.random((40, 4)).astype(np.float32)
    boxes[:, 2:] = boxes[:, :2] + rng.random((40, 2)).astype(np.float32) * 0.5
    boxes[::5] = boxes[::5, [2, 3, 0, 1]]  # corners in the other order
    scores = rng.random(40).astype(np.float32)
    scores[3] = scores[4]
    want = np_nms(boxes, scores, 12, 0.3, 0.2)
    assert tf.image.non_max_suppression(boxes, scores, 12, 0.3, 0.2).numpy().tolist() == want
    traced = tf.function(lambda b, s, k: tf.image.non_max_suppression(b, s, k, 0.3, 0.2))
    assert traced(tf.constant(boxes), tf.constant(scores), tf.constant(12)).numpy().tolist() == want
    idx, sc = tf.image.non_max_suppression_with_scores(boxes, scores, 5, 0.5)
    assert idx.numpy().tolist() == np_nms(boxes, scores, 5, 0.5)
    np.testing.assert_array_equal(sc.numpy(), scores[idx.numpy()])


def test_soft_nms_by_hand():
    boxes = [[0, 0, 1, 1.0], [0, 0, 1, 1.0], [0, 0.5, 1, 1.5], [2, 2, 3, 3.0]]
    idx, sc = tf.image.non_max_suppression_with_scores(
        boxes, [0.9, 0.8, 0.7, 0.1], 10, soft_nms_sigma=0.5
    )
    # box 1 overlaps box 0 fully (decay e^-1), box 2 a third (e^-1/9) of both 0 and 1
    assert idx.numpy().tolist() == [0, 2, 1, 3]
    want = [0.9, 0.7 * np.exp(-1 / 9), 0.8 * np.exp(-1) * np.exp(-1 / 9), 0.1]
    np.testing.assert_allclose(sc.numpy(), want, rtol=1e-5)


def test_overlaps_nms_reads_candidate_then_kept():
    overlaps = np.array([[0, 0, 0], [0.9, 0, 0], [0, 0, 0]], np.float32)  # 1 overlaps 0, not 0 -> 1
    got = tf.image.non_max_suppression_overlaps(overlaps, [0.9, 0.8, 0.7], 3, 0.5)
    assert got.numpy().tolist() == [0, 2]
    got = tf.image.non_max_suppression_overlaps(overlaps.T, [0.9, 0.8, 0.7], 3, 0.5)
    assert got.numpy().tolist() == [0, 1, 2]


def test_image_gap_errors():
    x = img(1, 4, 4, 3)
    with pytest.raises(errors.UnimplementedError):
        tf.image.extract_patches(x, [2, 2, 2, 1], [1] * 4, [1] * 4, "VALID")
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.extract_patches(x[0], [1, 2, 2, 1], [1] * 4, [1] * 4, "VALID")
    with pytest.raises(errors.OutOfRangeError):
        tf.image.crop_and_resize(x, [[0, 0, 1, 1.0]], [1], [2, 2])
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.draw_bounding_boxes(x[..., :2], [[[0, 0, 1, 1.0]]], None)
    with pytest.raises(errors.InvalidArgumentError):
        tf.image.non_max_suppression([[0, 0, 1, 1.0]], [1.0], 1, 1.5)
    with pytest.raises(errors.InvalidArgumentError, match="filter size"):
        tf.image.ssim(x, x, 1.0)


# ---- tf.math -----------------------------------------------------------------------------------
def grads(f, *xs):
    xs = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        z = f(*xs)
    return z, tape.gradient(z, xs)


def test_multiply_no_nan_and_xlog1py_values_and_gradients():
    x, y = (
        np.array([np.inf, 2, np.nan, -1, 4], np.float32),
        np.array([0, 3, 0, 0, np.nan], np.float32),
    )
    got = tf.math.multiply_no_nan(x, y).numpy()
    np.testing.assert_array_equal(got, [0, 6, 0, 0, np.nan])
    assert not np.signbit(got[3])
    z, (gx, gy) = grads(tf.math.multiply_no_nan, np.float32([1, 2, -3]), np.float32([0, 3, 0]))
    np.testing.assert_array_equal(gx.numpy(), [0, 3, 0])
    np.testing.assert_array_equal(gy.numpy(), [1, 2, -3])  # d(x*y)/dy = x, also where y is 0
    z, (gx, gy) = grads(tf.math.xlog1py, np.float32([0, 2, 0.5]), np.float32([-1, 1, 3]))
    np.testing.assert_allclose(z.numpy(), [0, 2 * np.log(2), 0.5 * np.log(4)], rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), [0, np.log(2), np.log(4)], rtol=1e-6)
    np.testing.assert_allclose(gy.numpy(), [0, 1, 0.125], rtol=1e-6)
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.xlog1py([1, 2], [0, 1])


def test_lbeta_against_lgamma():
    from math import lgamma

    x = np.float32([[1, 2], [3, 4], [0.5, 0.5]])
    want = [sum(lgamma(v) for v in row) - lgamma(sum(row)) for row in x.tolist()]
    np.testing.assert_allclose(tf.math.lbeta(x).numpy(), want, rtol=1e-5)


def test_in_top_k_ties_nan_and_range():
    pred = np.float32([[0.1, 0.5, 0.4], [0.3, 0.3, 0.3], [1, 2, 3], [np.nan, 1, 0], [1, 2, 3]])
    assert tf.math.in_top_k([1, 2, 5, 1, -1], pred, 1).numpy().tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert tf.nn.in_top_k([2, 1, 1, 2, 1], pred, 2).numpy().tolist() == [
        True,
        True,
        True,
        False,
        True,
    ]
    traced = tf.function(lambda t, p: tf.math.in_top_k(t, p, 1))
    assert traced(tf.constant([1, 0]), tf.constant(pred[:2])).numpy().tolist() == [True, True]


def test_permutations_and_order_checks():
    perm = np.random.default_rng(0).permutation(9).astype(np.int64)
    got = tf.math.invert_permutation(perm)
    assert got.dtype == tf.int64 and got.numpy().tolist() == np.argsort(perm).tolist()
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.invert_permutation([0, 0, 1])
    assert tf.math.is_non_decreasing([[1, 2], [2, 3]]).numpy()
    assert not tf.math.is_non_decreasing([[1, 2], [1, 3]]).numpy()
    assert not tf.math.is_strictly_increasing([1.0, 2.0, 2.0]).numpy()
    assert tf.math.is_strictly_increasing(tf.zeros([0])).numpy()
    assert tf.math.zero_fraction([[0, 1], [0, 3]]).numpy() == 0.5


def test_confusion_matrix_against_numpy():
    rng = np.random.default_rng(0)
    labels, preds = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    weights = rng.random(50).astype(np.float32)
    want = np.zeros((5, 5), np.float32)
    np.add.at(want, (labels, preds), weights)
    got = tf.math.confusion_matrix(labels, preds, 5, weights=weights, dtype=tf.float32)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    counts = tf.function(lambda a, b: tf.math.confusion_matrix(a, b))(
        tf.constant(labels), tf.constant(preds)
    )
    np.testing.assert_array_equal(
        counts.numpy(), np.histogram2d(labels, preds, bins=[np.arange(5)] * 2)[0]
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.confusion_matrix([0, 3], [1, 1], num_classes=3)


def test_scalar_mul_and_accumulate_n():
    np.testing.assert_array_equal(tf.math.scalar_mul(2, tf.constant([1.0, 2.0])).numpy(), [2, 4])
    with pytest.raises(ValueError):
        tf.math.scalar_mul([2.0, 3.0], tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(tf.math.accumulate_n([[1, 2], [3, 4], [5, 6]]).numpy(), [9, 12])
    with pytest.raises(ValueError):
        tf.math.accumulate_n([[1, 2], [3, 4, 5]])


# ---- tf.nn -------------------------------------------------------------------------------------
def test_depth_space_round_trip_against_numpy():
    x = np.arange(2 * 4 * 6 * 3, dtype=np.float32).reshape(2, 4, 6, 3)
    d = tf.nn.space_to_depth(x, 2).numpy()
    want = x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 2, 3, 12)
    np.testing.assert_array_equal(d, want)
    np.testing.assert_array_equal(tf.nn.depth_to_space(d, 2).numpy(), x)
    traced = tf.function(lambda t: tf.nn.depth_to_space(t, 2))
    np.testing.assert_array_equal(traced(tf.constant(d)).numpy(), x)
    with pytest.raises(errors.InvalidArgumentError):
        tf.nn.depth_to_space(d, 5)


def test_moments_helpers_against_numpy():
    x = img(3, 4, seed=3)
    counts, m_ss, v_ss, shift = tf.nn.sufficient_statistics(x, [0], shift=tf.constant(0.5))
    assert float(counts) == 3.0
    np.testing.assert_allclose(m_ss.numpy(), (x - 0.5).sum(0), rtol=1e-6)
    mean, var = tf.nn.normalize_moments(counts, m_ss, v_ss, shift)
    np.testing.assert_allclose(mean.numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), x.var(0), rtol=1e-4, atol=1e-6)
    w = img(3, 4, seed=4)
    mean, var = tf.nn.weighted_moments(x, [0], w)
    want = (w * x).sum(0) / w.sum(0)
    np.testing.assert_allclose(mean.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), (w * (x - want) ** 2).sum(0) / w.sum(0), rtol=1e-4)


def test_nn_losses_against_numpy():
    labels, logits = img(5, seed=5), (img(5, seed=6) - 0.5) * 20
    want = -(
        3 * labels * np.log(1 / (1 + np.exp(-logits)))
        + (1 - labels) * np.log(1 - 1 / (1 + np.exp(-logits)))
    )
    got = tf.nn.weighted_cross_entropy_with_logits(labels, logits, 3.0)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    targets, log_input = np.float32([0, 0.5, 2, 10]), np.float32([0.1, -1, 1, 2])
    full = tf.nn.log_poisson_loss(targets, log_input, compute_full_loss=True).numpy()
    base = np.exp(log_input) - log_input * targets
    stirling = (
        targets[2:] * np.log(targets[2:]) - targets[2:] + 0.5 * np.log(2 * np.pi * targets[2:])
    )
    np.testing.assert_allclose(full, np.concatenate([base[:2], base[2:] + stirling]), rtol=1e-5)
    assert float(tf.nn.compute_average_loss([1.0, 2.0, 3.0, 6.0])) == 3.0
    assert (
        float(tf.nn.compute_average_loss([1.0, 2.0], sample_weight=[1.0, 0.5], global_batch_size=4))
        == 0.5
    )
    assert float(tf.nn.scale_regularization_loss([tf.constant(1.0), tf.constant(2.5)])) == 3.5
    np.testing.assert_array_equal(tf.nn.crelu([[1.0, -2.0]]).numpy(), [[1, 0, 0, 2]])


# ---- tf.linalg ---------------------------------------------------------------------------------
def test_linalg_composed_against_numpy():
    rng = np.random.default_rng(0)
    a = rng.random((2, 4, 4)) + 4 * np.eye(4)
    b = rng.random((2, 4, 3))
    got = tf.linalg.triangular_solve(a, b, lower=True)
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(np.tril(a), b), rtol=1e-10)
    got = tf.linalg.triangular_solve(a, b, lower=False, adjoint=True)
    np.testing.assert_allclose(
        got.numpy(), np.linalg.solve(np.swapaxes(np.triu(a), 1, 2), b), rtol=1e-10
    )
    spd = a @ np.swapaxes(a, 1, 2)
    got = tf.linalg.cholesky_solve(np.linalg.cholesky(spd), b)
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(spd, b), rtol=1e-8)
    lu, p = tf.linalg.lu(a)
    np.testing.assert_allclose(tf.linalg.lu_reconstruct(lu, p).numpy(), a, rtol=1e-10)
    np.testing.assert_allclose(
        tf.linalg.lu_solve(lu, p, b).numpy(), np.linalg.solve(a, b), rtol=1e-8
    )
    np.testing.assert_allclose(
        tf.linalg.lu_matrix_inverse(lu, p).numpy(), np.linalg.inv(a), rtol=1e-8
    )
    u, v = rng.random((5, 3)), rng.random((5, 3))
    np.testing.assert_allclose(tf.linalg.cross(u, v).numpy(), np.cross(u, v), rtol=1e-12)
    d = rng.random((2, 3))
    np.testing.assert_array_equal(
        tf.linalg.tensor_diag(d).numpy(), np.diag(d.ravel()).reshape(2, 3, 2, 3)
    )
    np.testing.assert_array_equal(tf.linalg.tensor_diag_part(tf.linalg.tensor_diag(d)).numpy(), d)
    x = rng.random((2, 4, 3))
    want = x.copy()
    want[:, range(3), range(3)] = d
    np.testing.assert_array_equal(tf.linalg.set_diag(x, d).numpy(), want)


def test_pools_and_lrn_against_numpy():
    x = img(2, 7, 3, seed=7)
    want = np.stack([x[:, i : i + 3].max(1) for i in range(0, 5, 2)], 1)
    np.testing.assert_array_equal(tf.nn.max_pool1d(x, 3, 2, "VALID").numpy(), want)
    np.testing.assert_array_equal(tf.nn.max_pool(x, [1, 3, 1], 2, "VALID").numpy(), want)
    want = np.stack([x[:, i : i + 2].mean(1) for i in range(6)], 1)
    np.testing.assert_allclose(tf.nn.avg_pool(x, 2, 1, "VALID").numpy(), want, rtol=1e-6)
    y = img(1, 2, 3, 6, seed=8)
    sq = np.pad(y**2, [(0, 0)] * 3 + [(2, 2)])
    total = sum(sq[..., i : i + 6] for i in range(5))
    want = y / (1.5 + 0.25 * total) ** 0.75
    got = tf.nn.local_response_normalization(y, depth_radius=2, bias=1.5, alpha=0.25, beta=0.75)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    with pytest.raises(errors.UnimplementedError):
        tf.nn.max_pool(np.zeros((1, 2, 2, 2, 1), np.float32), 2, 2, "VALID")


def test_cumulative_logsumexp_against_numpy():
    x = np.array([[-1000.0, 0, 3, -np.inf, 2.5], [1, 2, 3, 4, 5]], np.float64)
    np.testing.assert_allclose(
        tf.math.cumulative_logsumexp(x, 1).numpy(), np.logaddexp.accumulate(x, 1)
    )
    rev = tf.math.cumulative_logsumexp(x, -1, exclusive=True, reverse=True).numpy()
    want = np.concatenate(
        [np.logaddexp.accumulate(x[:, ::-1], 1)[:, ::-1][:, 1:], [[-np.inf]] * 2], 1
    )
    np.testing.assert_allclose(rev, want)
    v = img(3, 4, seed=9)
    _, (g,) = grads(lambda t: tf.reduce_sum(tf.math.cumulative_logsumexp(t, 0) ** 2), v)
    eps, fd = 1e-3, np.zeros_like(v)
    for i, j in np.ndindex(*v.shape):
        hi, lo = v.astype(np.float64), v.astype(np.float64)
        hi[i, j] += eps
        lo[i, j] -= eps
        f = lambda a: np.sum(np.logaddexp.accumulate(a, 0) ** 2)  # noqa: E731
        fd[i, j] = (f(hi) - f(lo)) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-3)
