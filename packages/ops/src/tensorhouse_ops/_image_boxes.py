"""``tf.image``'s bounding-box ops: ``crop_and_resize``, ``draw_bounding_boxes`` and greedy
non-max suppression, by TF's kernels' rules, composed from gathers, masks and one loop.

Non-max suppression keeps box ``i`` (in descending score order, ties by index) unless a kept
box before it overlaps it by more than the threshold. That rule has one fixed point, found by
repeating ``keep = candidate & ~any(kept before & overlapping)`` until it stops changing (each
pass settles at least one more box, usually all of them in a few passes), with ``O(n^2)``
vectorized work per pass: it traces as one ``while_loop`` and returns a run-time length.
"""

from __future__ import annotations

import numpy as np

from . import _array, _composed, _dynamic, _math
from . import dtypes as _dt
from ._function import while_loop
from ._tensor import VariableLike, convert_to_tensor, errors

__all__ = ["crop_and_resize", "draw_bounding_boxes", "non_max_suppression",
           "non_max_suppression_overlaps", "non_max_suppression_with_scores"]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def _static(x):
    """The value of ``x`` where it is known now (eagerly, or a constant), else ``None``."""
    x = _t(x)
    return None if _dynamic._symbolic(x) else x.numpy()


def crop_and_resize(
    image, boxes, box_indices, crop_size, method="bilinear", extrapolation_value=0.0, name=None
):
    """``[num_boxes, crop_height, crop_width, depth]`` float32: each normalized box
    ``[y1, x1, y2, x2]`` of image ``box_indices[i]`` sampled on a regular grid (bilinear or
    nearest), ``extrapolation_value`` outside the image."""
    image, boxes = _t(image), _t(boxes, _dt.float32)
    box_indices = _t(box_indices, _dt.int32)
    if method not in ("bilinear", "nearest"):
        raise errors.InvalidArgumentError(
            f"CropAndResize: Value for attr 'method' of {method!r}"
            f" is not in the list of allowed values: 'bilinear', "
            f"'nearest'"
        )
    if image.shape.rank != 4 or boxes.shape.rank != 2 or boxes.shape.as_list()[1] != 4:
        raise errors.InvalidArgumentError(
            f"CropAndResize: image must be 4-D and boxes [num_boxes, 4]; got image "
            f"{image.shape}, boxes {boxes.shape}"
        )
    if _static(crop_size) is None:
        raise ValueError("crop_and_resize: crop_size must be known when tracing (a constant)")
    ch, cw = (int(v) for v in np.asarray(_static(crop_size)).reshape(-1))
    if ch <= 0 or cw <= 0:
        raise errors.InvalidArgumentError(
            f"CropAndResize: crop dimensions must be positive, got {[ch, cw]}"
        )
    batch, h, w = image.shape.as_list()[:3]
    known = _static(box_indices)
    if known is not None and batch is not None and np.any((known < 0) | (known >= batch)):
        raise errors.OutOfRangeError(
            f"CropAndResize: box_index has values outside [0, batch_size): {known.tolist()}, "
            f"batch_size {batch}"
        )
    image = _math.cast(image, _dt.float32)
    y1, x1, y2, x2 = _array.unstack(boxes, axis=1)

    def grid(lo, hi, n, size):  # [num_boxes, n] sample coordinates in pixels
        if n == 1:
            return _array.expand_dims(0.5 * (lo + hi) * (size - 1), 1)
        steps = convert_to_tensor(np.arange(n, dtype=np.float32))
        return (
            _array.expand_dims(lo * (size - 1), 1)
            + _array.expand_dims((hi - lo) * ((size - 1) / (n - 1)), 1) * steps
        )

    ys, xs = grid(y1, y2, ch, h), grid(x1, x2, cw, w)
    inside = _math.logical_and(
        _array.expand_dims((ys >= 0) & (ys <= h - 1), 2),
        _array.expand_dims((xs >= 0) & (xs <= w - 1), 1),
    )
    b = _array.reshape(box_indices, [-1, 1, 1])

    def at(yi, xi):  # [num_boxes, ch, cw, depth] pixels at integer rows / columns (clamped)
        yi = _math.cast(_math.clip_by_value(yi, 0.0, h - 1.0), _dt.int32)
        xi = _math.cast(_math.clip_by_value(xi, 0.0, w - 1.0), _dt.int32)
        rows = _array.expand_dims(yi, 2) + _array.zeros_like(_array.expand_dims(xi, 1))
        cols = _array.expand_dims(xi, 1) + _array.zeros_like(_array.expand_dims(yi, 2))
        idx = _array.stack([b + _array.zeros_like(rows), rows, cols], axis=-1)
        return _array.gather_nd(image, idx)

    if method == "nearest":
        out = at(_math.round(ys), _math.round(xs))
    else:
        y0, x0 = _math.floor(ys), _math.floor(xs)
        dy = _array.reshape(ys - y0, [-1, ch, 1, 1])
        dx = _array.reshape(xs - x0, [-1, 1, cw, 1])
        top = at(y0, x0) + (at(y0, x0 + 1) - at(y0, x0)) * dx
        bottom = at(y0 + 1, x0) + (at(y0 + 1, x0 + 1) - at(y0 + 1, x0)) * dx
        out = top + (bottom - top) * dy
    fill = _array.fill(_array.shape(out), _math.cast(extrapolation_value, _dt.float32))
    return _array.where(_array.expand_dims(inside, 3) | _array.zeros_like(out, _dt.bool), out, fill)


_COLORS = np.array(
    [
        [1, 1, 0, 1],
        [0, 0, 1, 1],
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [0.5, 0, 0.5, 1],
        [0.5, 0.5, 0, 1],
        [0.5, 0, 0, 1],
        [0, 0, 0.5, 1],
        [0, 1, 1, 1],
        [1, 0, 1, 1],
    ],
    np.float32,
)


def draw_bounding_boxes(images, boxes, colors, name=None):
    """Each box ``[y1, x1, y2, x2]`` (normalized) outlined one pixel wide in its colour
    (``colors`` cycled; later boxes drawn over earlier ones), as TF's kernel draws them."""
    images, boxes = _t(images), _t(boxes, _dt.float32)
    if images.shape.rank != 4 or boxes.shape.rank != 3 or boxes.shape.as_list()[2] != 4:
        raise errors.InvalidArgumentError(
            f"DrawBoundingBoxes: images must be 4-D and boxes [batch, num_boxes, 4]; got "
            f"images {images.shape}, boxes {boxes.shape}"
        )
    h, w, depth = images.shape.as_list()[1:]
    if depth not in (1, 3, 4):
        raise errors.InvalidArgumentError(
            f"DrawBoundingBoxes: Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA); "
            f"got images of shape {images.shape}"
        )
    table = _COLORS.copy()
    if depth == 1:
        table[:, 0] = 1
    colors = convert_to_tensor(table) if colors is None else _t(colors, _dt.float32)
    if colors.shape.rank != 2 or colors.shape.as_list()[1] < depth:
        raise errors.InvalidArgumentError(
            f"DrawBoundingBoxes: colors must be a 2-D table with at least {depth} columns, got "
            f"shape {colors.shape}"
        )
    num_colors = colors.shape.as_list()[0]
    if num_colors == 0:
        colors, num_colors = convert_to_tensor(table), len(table)
    lo_r, lo_c, hi_r, hi_c = (
        _array.reshape(_math.cast(v * (n - 1), _dt.int32), [-1, boxes.shape.as_list()[1], 1, 1])
        for v, n in zip(_array.unstack(boxes, axis=2), (h, w, h, w))
    )
    rows = _array.reshape(_array.range(h), [1, 1, h, 1])
    cols = _array.reshape(_array.range(w), [1, 1, 1, w])
    drawn = (lo_r <= hi_r) & (lo_c <= hi_c) & (lo_r < h) & (hi_r >= 0) & (lo_c < w) & (hi_c >= 0)
    across = (cols >= lo_c) & (cols <= hi_c)
    down = (rows >= lo_r) & (rows <= hi_r)
    outline = ((rows == lo_r) | (rows == hi_r)) & across | ((cols == lo_c) | (cols == hi_c)) & down
    mask = _math.cast(drawn & outline, _dt.int32)  # [batch, boxes, h, w]
    order = _array.reshape(_array.range(1, boxes.shape.as_list()[1] + 1), [1, -1, 1, 1])
    last = _math.reduce_max(mask * order, axis=1)  # the last box drawn at each pixel, 1-based
    color = _array.gather(colors[:, :depth], _math.floormod(last - 1, num_colors))
    painted = _array.expand_dims(last > 0, 3) | _array.zeros_like(images, _dt.bool)
    return _array.where(painted, _math.cast(color, images.dtype), images)


def _iou(boxes):
    """``[n, n]`` intersection over union (corners in either order; empty boxes give 0)."""
    y1, x1, y2, x2 = _array.unstack(boxes, axis=1)
    top, bottom = _math.minimum(y1, y2), _math.maximum(y1, y2)
    left, right = _math.minimum(x1, x2), _math.maximum(x1, x2)
    area = (bottom - top) * (right - left)

    def pair(a, b, f):
        return f(_array.expand_dims(a, 1), _array.expand_dims(b, 0))

    inter = _math.maximum(
        pair(bottom, bottom, _math.minimum) - pair(top, top, _math.maximum), 0.0
    ) * _math.maximum(pair(right, right, _math.minimum) - pair(left, left, _math.maximum), 0.0)
    union = pair(area, area, _math.add) - inter
    valid = pair(area > 0, area > 0, _math.logical_and) & (union > 0)
    return _array.where(valid, _math.divide_no_nan(inter, union), _array.zeros_like(inter))


def _nms(overlaps, scores, max_output_size, threshold, score_threshold, op):
    scores = _t(scores, _dt.float32)
    max_output_size = _t(max_output_size, _dt.int32)
    if scores.shape.rank != 1 or max_output_size.shape.rank != 0:
        raise errors.InvalidArgumentError(
            f"{op}: scores must be 1-D and max_output_size a scalar; got scores {scores.shape}, "
            f"max_output_size {max_output_size.shape}"
        )
    threshold, score_threshold = (_math.cast(v, _dt.float32) for v in (threshold, score_threshold))
    known = _static(threshold)
    if known is not None and op != "NonMaxSuppressionWithOverlaps" and not 0 <= known <= 1:
        raise errors.InvalidArgumentError(f"{op}: iou_threshold must be in [0, 1], got {known}")
    order = _composed.argsort(scores, direction="DESCENDING", stable=True)
    sorted_scores = _array.gather(scores, order)
    over = _array.gather(_array.gather(overlaps, order), order, axis=1) > threshold
    n = _array.shape(scores)[0]
    earlier = _array.range(n)[:, None] < _array.range(n)[None, :]
    suppress = _math.cast(over & earlier, _dt.float32)  # [j, i]: j kept suppresses i
    candidate = sorted_scores > score_threshold

    def body(keep, changed):
        hits = _math.matmul(_array.expand_dims(_math.cast(keep, _dt.float32), 0), suppress)[0]
        new = candidate & (hits < 0.5)
        return new, _math.reduce_any(_math.not_equal(new, keep))

    keep, _ = while_loop(lambda keep, changed: changed, body, (candidate, True))
    keep = keep & (_math.cumsum(_math.cast(keep, _dt.int32)) <= max_output_size)
    return _array.boolean_mask(order, keep), _array.boolean_mask(sorted_scores, keep)


def non_max_suppression(
    boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), name=None
):
    """The int32 indices of at most ``max_output_size`` boxes kept by greedy non-max
    suppression, by descending score."""
    return non_max_suppression_with_scores(
        boxes, scores, max_output_size, iou_threshold, score_threshold
    )[0]


def non_max_suppression_with_scores(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    soft_nms_sigma=0.0,
    name=None,
):
    """``(selected_indices, selected_scores)`` of greedy non-max suppression (hard; a
    ``soft_nms_sigma`` above 0 is refused here)."""
    boxes = _t(boxes, _dt.float32)
    if boxes.shape.rank != 2 or boxes.shape.as_list()[1] != 4:
        raise errors.InvalidArgumentError(
            f"NonMaxSuppressionV5: boxes must be [num_boxes, 4], got {boxes.shape}"
        )
    sigma = _math.cast(soft_nms_sigma, _dt.float32)
    if _static(sigma) is None:
        raise errors.UnimplementedError(
            "NonMaxSuppressionV5: soft_nms_sigma must be a constant here"
        )
    if float(_static(sigma)) < 0:
        raise errors.InvalidArgumentError(
            f"NonMaxSuppressionV5: soft_nms_sigma must be >= 0, got {float(_static(sigma))}"
        )
    if float(_static(sigma)) > 0:
        return _soft_nms(_iou(boxes), scores, max_output_size, score_threshold, sigma)
    return _nms(
        _iou(boxes), scores, max_output_size, iou_threshold, score_threshold, "NonMaxSuppressionV5"
    )


def _soft_nms(iou, scores, max_output_size, score_threshold, sigma):
    """Soft-NMS: pick the best live box, decay the others' scores by
    ``exp(-iou^2 / (2 sigma))`` (TF ignores ``iou_threshold`` here), drop those at or below
    ``score_threshold``; the decayed scores are returned."""
    scores = _t(scores, _dt.float32)
    limit = _math.minimum(_t(max_output_size, _dt.int32), _array.size(scores))
    score_threshold = _math.cast(score_threshold, _dt.float32)
    scale = -0.5 / sigma
    index = _array.range(_array.size(scores))
    picked = _array.zeros_like(index)

    def body(k, current, alive, picked, picked_scores):
        best = _math.argmax(
            _array.where(alive, current, _array.fill(_array.shape(current), float("-inf"))),
            output_type=_dt.int32,
        )
        slot = _array.expand_dims(_array.expand_dims(k, 0), 0)
        picked = _array.tensor_scatter_nd_update(picked, slot, _array.expand_dims(best, 0))
        picked_scores = _array.tensor_scatter_nd_update(
            picked_scores, slot, _array.expand_dims(current[best], 0)
        )
        sim = _array.gather(iou, best)
        current = current * _math.exp(scale * sim * sim)
        alive = alive & (current > score_threshold) & _math.not_equal(index, best)
        return k + 1, current, alive, picked, picked_scores

    k, _, _, picked, picked_scores = while_loop(
        lambda k, current, alive, *_: (k < limit) & _math.reduce_any(alive),
        body,
        (
            _math.cast(0, _dt.int32),
            scores,
            scores > score_threshold,
            picked,
            _array.zeros_like(scores),
        ),
    )
    taken = index < k
    return _array.boolean_mask(picked, taken), _array.boolean_mask(picked_scores, taken)


def non_max_suppression_overlaps(
    overlaps,
    scores,
    max_output_size,
    overlap_threshold=0.5,
    score_threshold=float("-inf"),
    name=None,
):
    """``non_max_suppression`` with a given ``[n, n]`` overlap matrix in place of IoU."""
    overlaps = _t(overlaps, _dt.float32)
    if overlaps.shape.rank != 2:
        raise errors.InvalidArgumentError(
            f"NonMaxSuppressionWithOverlaps: overlaps must be 2-D, got {overlaps.shape}"
        )
    # TF compares ``overlaps[candidate, kept]``; ``_nms`` reads ``[kept, candidate]``
    return _nms(
        _array.transpose(overlaps),
        scores,
        max_output_size,
        overlap_threshold,
        score_threshold,
        "NonMaxSuppressionWithOverlaps",
    )[0]
