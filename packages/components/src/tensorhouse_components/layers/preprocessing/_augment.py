"""Keras 3's geometric augmentation layers: ``RandomShear``, ``RandomPerspective``,
``RandomElasticTransform``, ``RandomErasing``, ``RandomGaussianBlur``.

They follow Keras's image-augmentation protocol: ``get_random_transformation`` draws one
transformation for a call (a dict of tensors, Keras's keys), ``transform_images`` applies it (so
a given transformation gives Keras's numbers), and a dict input's ``"images"``, ``"labels"`` and
``"segmentation_masks"`` go through together. Outputs are in the compute dtype; every draw and
every transform is made of ops, so the layers run in ``tf.function`` and ``Dataset.map``.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    cast,
    concat,
    constant,
    convert_to_tensor,
    expand_dims,
    gather_nd,
    math,
    random,
    reshape,
    squeeze,
    stack,
    transpose,
    where,
    zeros,
)

from ...keras_ops import _image as kimage  # modules: keras_ops imports the layers
from ...keras_ops import _nn as knn
from .._args import dynamic_shape
from ._geometric import _check_modes, affine_transform
from ._image import RandomImageLayer, _hw_axes, set_factor

__all__ = [
    "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomPerspective",
    "RandomShear",
]  # fmt: skip


def images_of(data):
    return convert_to_tensor(data["images"] if isinstance(data, dict) else data)


def unit_range(value, name):
    """Keras's ``_set_factor_by_name`` on [0, 1]: ``f`` is ``(0, f)``, a pair is sorted."""
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[0, 1]. Received: factor={value}"
    )
    if isinstance(value, tuple | list):
        if len(value) != 2 or value[0] > 1 or value[1] < 0:
            raise ValueError(message)
        return tuple(sorted(value))
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(message)
    return (0, value)


class AugmentLayer(RandomImageLayer):
    """Keras's ``BaseImagePreprocessingLayer`` protocol. ``_MASKS``: how segmentation masks
    follow the images (``"nearest"``: resampled like them; ``"same"``: as the images; None:
    left unchanged)."""

    _MASKS = None

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.bounding_box_format = bounding_box_format

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, masks, transformation, training=True):
        if self._MASKS is None or not training or transformation is None:
            return masks
        if self._MASKS == "same":
            return self.transform_images(masks, transformation, training)
        return self._resample(cast(masks, self.compute_dtype), transformation, "nearest")

    def call(self, inputs, training=True):
        training = training is not False
        t = self.get_random_transformation(inputs, training=training)
        if not isinstance(inputs, dict):
            return self.transform_images(inputs, t, training=training)
        out = dict(inputs)
        out["images"] = self.transform_images(inputs["images"], t, training=training)
        if "labels" in out:
            out["labels"] = self.transform_labels(out["labels"], t, training=training)
        if "segmentation_masks" in out:
            out["segmentation_masks"] = self.transform_segmentation_masks(
                out["segmentation_masks"], t, training=training
            )
        if "bounding_boxes" in out:
            self.transform_bounding_boxes(out, t, training)
        return out

    def transform_bounding_boxes(self, data, transformation, training=True):
        raise NotImplementedError(
            f"{type(self).__name__}: bounding boxes are not supported here (images, labels "
            "and segmentation masks are)."
        )

    def transform_images(self, images, transformation, training=True):
        x = cast(images, self.compute_dtype)
        if not training or transformation is None:
            return x
        return self._resample(x, transformation, self.interpolation)

    def _batch(self, data):
        x = images_of(data)
        _hw_axes(len(x.shape), self.data_format)
        return dynamic_shape(x)[0] if len(x.shape) == 4 else 1

    def _hw(self, x):
        h_axis, w_axis = _hw_axes(len(x.shape), self.data_format)
        return x.shape.as_list()[h_axis], x.shape.as_list()[w_axis]

    def _normal(self, shape):
        if self._generator is None:
            return random.normal(shape)
        return self._generator.normal(shape)

    def _log_gamma(self, shape, alpha, tries=12):
        """Logs of Gamma(``alpha``) draws (``alpha`` a number or scalar tensor > 0): Marsaglia
        and Tsang's method for ``alpha + 1`` (first accepted of ``tries`` proposals, each
        accepted with probability > 0.95), times ``u ** (1 / alpha)``; in logs, so tiny
        ``alpha`` stays finite."""
        alpha = cast(alpha, "float32")
        d = alpha + (1.0 - 1.0 / 3.0)
        c = 1.0 / math.sqrt(9.0 * d)
        z = self._normal([*shape, tries])
        v = math.maximum(math.pow(1.0 + c * z, 3.0), 1e-30)
        u = math.maximum(self._uniform([*shape, tries], 0.0, 1.0), 1e-30)
        ok = math.logical_and(
            math.greater(1.0 + c * z, 0.0),
            math.less(math.log(u), 0.5 * z * z + d - d * v + d * math.log(v)),
        )
        ok = cast(ok, "float32")
        first = ok * cast(math.equal(math.cumsum(ok, axis=-1), 1.0), "float32")
        boost = math.log(math.maximum(self._uniform(shape, 0.0, 1.0), 1e-30)) / alpha
        return math.log(d) + math.reduce_sum(first * math.log(v), axis=-1) + boost

    def _beta(self, shape, alpha):
        """Beta(``alpha``, ``alpha``) draws: ``X / (X + Y)`` for gammas ``X``, ``Y``."""
        return math.sigmoid(self._log_gamma(shape, alpha) - self._log_gamma(shape, alpha))

    def _bounds(self, batch, length, ratio):
        """A random span of ``ratio`` of ``length`` per image: (start, end)."""
        crop = ratio * float(length)
        start = self._uniform([batch], 0.0, 1.0) * (float(length) - crop)
        return start, start + crop

    def _chosen(self, batch):
        """Keras's per-image coin: ``u < p`` for ``p`` uniform in ``factor``."""
        p = self._uniform([batch], float(self.factor[0]), float(self.factor[1]))
        return math.less(self._uniform([batch], 0.0, 1.0), p)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "seed": self.seed}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _per_image(flag, x):
    """A ``(batch,)`` flag shaped to select whole images of ``x`` (rank 3 or 4)."""
    return reshape(flag, [-1] + [1] * (len(x.shape) - 1) if len(x.shape) == 4 else [1, 1, 1])


def _shear_range(value, name):
    message = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[0, 1.0]. "
    )
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(message + f"Received: {name}={value}")
        pair = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        pair = (value,)
    else:
        raise ValueError(message + f"Received: {name}={value}")
    symmetric = len(pair) == 2 and pair[0] == -pair[1]  # get_config's form: round-trips
    for v in pair:
        if v > 1.0 or v < (-1.0 if symmetric else 0.0):
            raise ValueError(message + f"Received: input_number={v}")
    return tuple(sorted(value)) if len(pair) == 2 else (-abs(value), abs(value))


class RandomShear(AugmentLayer):
    """While training, shears each image by ``x`` (columns move by ``x`` times the row) and
    ``y`` (rows by ``y`` times the column) drawn from ``x_factor`` / ``y_factor``; both signs
    flip together with probability 1/2."""

    _MASKS = "nearest"

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed, data_format, **kwargs)
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")
        _check_modes(fill_mode, interpolation)
        self.fill_mode, self.fill_value = fill_mode, fill_value
        self.interpolation = interpolation

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch(data)
        invert = where(math.greater(self._uniform([batch, 1], 0.0, 1.0), 0.5), -1.0, 1.0)
        shear_y = self._uniform([batch, 1], float(self.y_factor[0]), float(self.y_factor[1]))
        shear_x = self._uniform([batch, 1], float(self.x_factor[0]), float(self.x_factor[1]))
        shear = concat([shear_x, shear_y], axis=1) * invert
        return {"shear_factor": shear, "input_shape": dynamic_shape(images_of(data))}

    def _resample(self, x, transformation, interpolation):
        s = cast(transformation["shear_factor"], x.dtype)
        one, zero = s[:, :1] * 0.0 + 1.0, s[:, :1] * 0.0
        matrix = concat([one, s[:, :1], zero, s[:, 1:], one, zero], axis=1)
        return affine_transform(
            x, matrix, interpolation, self.fill_mode, float(self.fill_value), self.data_format
        )

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}  # fmt: skip


class RandomPerspective(AugmentLayer):
    """While training, warps each chosen image (probability from ``factor``) so its corners
    move by up to ``scale / 2`` of their coordinates; uncovered pixels take ``fill_value``."""

    _MASKS = "nearest"

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))
        if scale < 0.0 or scale > 1.0:
            raise ValueError(
                f"The `scale` argument should be a number in the range [0,1]. Received: "
                f"scale={scale}"
            )
        _check_modes("constant", interpolation)
        self.scale, self.fill_value, self.interpolation = scale, fill_value, interpolation

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch(data)
        h, w = self._hw(images_of(data))
        apply = self._chosen(batch)
        shift = self._uniform([batch, 4, 2], -0.5 * self.scale, 0.5 * self.scale)
        corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float32)
        start = shift * 0.0 + corners
        return {"apply_perspective": apply, "start_points": start,
                "end_points": start + start * shift,
                "input_shape": dynamic_shape(images_of(data))}  # fmt: skip

    def _resample(self, x, transformation, interpolation):
        batched = x if len(x.shape) == 4 else expand_dims(x, 0)
        out = kimage.perspective_transform(
            batched, transformation["start_points"], transformation["end_points"],
            interpolation, self.fill_value, self.data_format,
        )  # fmt: skip
        out = where(_per_image(transformation["apply_perspective"], batched), out, batched)
        return out if len(x.shape) == 4 else squeeze(out, 0)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}  # fmt: skip


_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


class RandomElasticTransform(AugmentLayer):
    """While training, displaces the pixels of each chosen image (probability from
    ``factor``) along a smooth random field: Gaussian noise blurred with ``sigma = 0.05 d
    min(h, w)`` (a ``6 int(sigma) + 1`` window) and scaled by ``alpha = 0.1 d max(h, w)``, ``d``
    uniform in ``scale``; read back through ``fill_mode``, clipped to ``value_range``. As
    Keras's TF backend, one noise field moves both axes."""

    _MASKS = "nearest"

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))
        self.scale = unit_range(scale, "scale")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear')."
            )
        if fill_mode not in _ELASTIC_FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(_ELASTIC_FILL_MODES)}."
            )
        self.interpolation, self.fill_mode = interpolation, fill_mode
        self.fill_value, self.value_range = fill_value, value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        batch = self._batch(data)
        h, w = self._hw(images_of(data))
        apply = self._chosen(batch)
        distortion = self._uniform([], float(self.scale[0]), float(self.scale[1]))
        return {"apply_transform": apply, "distortion_factor": distortion,
                "noise": self._normal([batch, h, w])}  # fmt: skip

    def _field(self, noise, sigma, h, w):
        """``noise * sigma`` blurred by the normalised Gaussian of ``sigma`` on the taps
        ``|r| <= 3 int(sigma)`` (zero padding), one axis at a time."""
        radius = 3 * int(0.05 * min(h, w) * self.scale[1] + 1e-4)  # the widest window
        r = constant(np.arange(-radius, radius + 1, dtype=np.float32))
        taps = math.exp(-0.5 * math.square(r / sigma))
        taps = taps * cast(math.less_equal(math.abs(r), 3.0 * math.floor(sigma)), "float32")
        taps = taps / math.reduce_sum(taps)
        field = expand_dims(noise * sigma, -1)
        for shape in ([-1, 1, 1, 1], [1, -1, 1, 1]):
            field = knn.depthwise_conv(field, reshape(taps, shape), padding="same",
                                   data_format="channels_last")  # fmt: skip
        return squeeze(field, -1)

    def _resample(self, x, transformation, interpolation):
        batched = x if len(x.shape) == 4 else expand_dims(x, 0)
        if self.data_format == "channels_first":
            batched = transpose(batched, [0, 2, 3, 1])
        h, w = batched.shape.as_list()[1:3]
        d = cast(transformation["distortion_factor"], "float32")
        alpha, sigma = float(max(h, w)) * (0.1 * d), float(min(h, w)) * (0.05 * d)
        shift = alpha * self._field(cast(transformation["noise"], "float32"), sigma, h, w)
        rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                                 indexing="ij")  # fmt: skip
        out = _read_at(batched, shift + rows, shift + cols, interpolation, self.fill_mode,
                       self.fill_value)  # fmt: skip
        out = where(_per_image(transformation["apply_transform"], out), out, batched)
        out = math.minimum(math.maximum(out, self.value_range[0]), self.value_range[1])
        if self.data_format == "channels_first":
            out = transpose(out, [0, 3, 1, 2])
        return out if len(x.shape) == 4 else squeeze(out, 0)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range}  # fmt: skip


def _read_at(x, rows, cols, interpolation, fill_mode, fill_value):
    """``x`` ``(batch, h, w, c)`` read at float ``rows`` / ``cols`` ``(batch, h, w)`` as
    ``keras.ops.image.map_coordinates`` reads (order 0: halves to even; order 1: linear),
    indices folded by ``fill_mode``, ``fill_value`` outside for ``constant``."""
    batch, h, w = dynamic_shape(rows)
    ids = cast(math.cumsum(rows[:, :1, :1] * 0.0 + 1.0, axis=0) - 1.0, "int32") + zeros(
        [1, h, w], "int32"
    )
    if interpolation == "nearest":
        corners = [(cast(math.round(rows), "int32"), cast(math.round(cols), "int32"), None)]
    else:
        r0, c0 = math.floor(rows), math.floor(cols)
        fr, fc = rows - r0, cols - c0
        r0, c0 = cast(r0, "int32"), cast(c0, "int32")
        corners = [(r0 + i, c0 + j, (fr if i else 1.0 - fr) * (fc if j else 1.0 - fc))
                   for i in (0, 1) for j in (0, 1)]  # fmt: skip
    out = 0.0
    for r, c, weight in corners:
        r, r_in = kimage._fold_index(r, h, fill_mode)
        c, c_in = kimage._fold_index(c, w, fill_mode)
        values = gather_nd(x, stack([ids, r, c], axis=-1))
        if fill_mode == "constant":
            inside = expand_dims(math.logical_and(r_in, c_in), -1)
            values = where(inside, values, values * 0.0 + float(fill_value))
        out = out + (values if weight is None else values * expand_dims(cast(weight, x.dtype), -1))
    return out


class RandomErasing(AugmentLayer):
    """While training, replaces a random box of each chosen image (probability from
    ``factor``; each side ``sqrt(s)`` of the image's, ``s`` uniform in ``scale``) by
    ``fill_value`` (a number or one per channel) or, when None, by Gaussian noise times
    ``value_range[1]``, clipped to ``value_range``."""

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))
        self.scale = unit_range(scale, "scale")
        bad = not isinstance(fill_value, int | float | tuple | list | type(None))
        if bad or (isinstance(fill_value, tuple | list) and len(fill_value) != 3):
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers) "
            )
        self.fill_value, self.value_range = fill_value, value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        x = images_of(data)
        batch = self._batch(data)
        h, w = self._hw(x)
        ratio = math.sqrt(self._uniform([batch, 2], float(self.scale[0]), float(self.scale[1])))
        boxes = self._bounds(batch, w, ratio[:, 0]) + self._bounds(batch, h, ratio[:, 1])
        apply = self._chosen(batch)
        shape = dynamic_shape(x)
        if self.fill_value is None:
            fill = self._normal(shape) * float(self.value_range[1])
        else:
            fill = zeros(shape) + np.asarray(self.fill_value, np.float32)
        fill = math.minimum(math.maximum(fill, self.value_range[0]), self.value_range[1])
        return {"apply_erasing": apply, "batch_masks": box_masks(boxes, h, w, self.data_format),
                "fill_value": fill}  # fmt: skip

    def transform_images(self, images, transformation, training=True):
        x = cast(images, self.compute_dtype)
        if not training or transformation is None:
            return x
        masks = transformation["batch_masks"]
        fill = cast(transformation["fill_value"], x.dtype)
        if len(x.shape) == 3:
            masks = masks[0]
        erased = where(masks, fill + x * 0.0, x)
        return where(_per_image(transformation["apply_erasing"], x), erased, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range}  # fmt: skip


def box_masks(boxes, h, w, data_format):
    """``(batch, h, w, 1)`` (or ``(batch, 1, h, w)``) masks of the pixel centres' grid
    ``x0 <= col < x1``, ``y0 <= row < y1`` for per-image bounds ``(x0, x1, y0, y1)``."""
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")  # fmt: skip
    x0, x1, y0, y1 = (reshape(b, [-1, 1, 1]) for b in boxes)
    inside = math.logical_and(
        math.logical_and(math.greater_equal(cols, x0), math.less(cols, x1)),
        math.logical_and(math.greater_equal(rows, y0), math.less(rows, y1)),
    )
    return expand_dims(inside, 1 if data_format == "channels_first" else -1)


def _kernel_size(value):
    message = f"kernel_size must be an odd number. Received: kernel_size={value}"
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(
                "The `kernel_size` argument should be a number (or a list of two numbers) "
                f"Received: kernel_size={value}"
            )
        if value[0] % 2 == 0 or value[1] % 2 == 0:
            raise ValueError(message)
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value % 2 == 0:
        raise ValueError(message)
    return (value, value)


class RandomGaussianBlur(AugmentLayer):
    """While training, blurs each chosen image (probability from ``factor``) with a Gaussian
    of ``kernel_size`` whose two sigmas are drawn (once per call) from ``sigma`` in [0, 1],
    clipped to ``value_range``."""

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = unit_range(sigma, "sigma")
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        apply = self._chosen(self._batch(data))
        sigma = self._uniform([2], float(self.sigma[0]), float(self.sigma[1])) + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def transform_images(self, images, transformation, training=True):
        x = cast(images, self.compute_dtype)
        if not training or transformation is None:
            return x
        sigma = cast(transformation["blur_factor"], x.dtype)
        blurred = kimage.gaussian_blur(x, self.kernel_size, (sigma[0], sigma[1]), self.data_format)
        out = where(_per_image(transformation["should_apply_blur"], x), blurred, x)
        return math.minimum(math.maximum(out, self.value_range[0]), self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range}  # fmt: skip
