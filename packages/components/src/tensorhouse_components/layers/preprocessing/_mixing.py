"""Keras 3's mixing and composite augmentation layers: ``CutMix``, ``MixUp``, ``AugMix``,
``RandAugment``, ``Pipeline`` and ``MaxNumBoundingBoxes``.

CutMix and MixUp mix each image (and its label, in a dict input) with another image of the
batch; AugMix and RandAugment compose the other augmentation layers. Beta and Dirichlet weights
come from the layer's own seeded draws (Gamma variates by Marsaglia and Tsang), so the layers
trace with an unknown batch size.
"""

from __future__ import annotations

import random as _pyrandom

from tensorhouse_ops import argsort, cast, concat, fill, gather, math, nn, reshape, where

from .._args import dynamic_shape
from .._layer import Layer
from ._augment import AugmentLayer, box_masks, images_of
from ._image import set_factor

__all__ = ["AugMix", "CutMix", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment"]


class _MixLayer(AugmentLayer):
    """Images mixed with a shuffled copy of the batch, labels by ``mix_weight``."""

    _MASKS = "same"

    def _permutation(self, batch):
        return argsort(self._uniform([batch], 0.0, 1.0))

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None or len(labels.shape) == 1:
            return labels  # an unbatched label mixes only with itself
        w = reshape(cast(transformation["mix_weight"], labels.dtype), [-1, 1])
        other = gather(labels, transformation["permutation_order"], axis=0)
        return w * labels + (1.0 - w) * other


class CutMix(_MixLayer):
    """While training, pastes into each image of a batch a box of another image of it (the
    box's area ``1 - lambda`` of the image, ``lambda ~ Beta(a, a)``, ``a`` uniform in
    ``factor``); labels are mixed by the pasted area."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))

    def get_random_transformation(self, data, training=True, seed=None):
        x = images_of(data)
        if not training or len(x.shape) == 3:
            return None
        batch = self._batch(data)
        h, w = self._hw(x)
        alpha = self._uniform([], float(self.factor[0]), float(self.factor[1])) + 1e-6
        ratio = math.sqrt(1.0 - self._beta([batch], alpha))
        (x0, x1), (y0, y1) = self._bounds(batch, w, ratio), self._bounds(batch, h, ratio)
        return {"permutation_order": self._permutation(batch),
                "batch_masks": box_masks((x0, x1, y0, y1), h, w, self.data_format),
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / float(w * h)}  # fmt: skip

    def transform_images(self, images, transformation, training=True):
        x = cast(images, self.compute_dtype)
        if not training or transformation is None:
            return x
        other = gather(x, transformation["permutation_order"], axis=0)
        return where(transformation["batch_masks"], other, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class MixUp(_MixLayer):
    """While training, each image (and label) becomes ``l x + (1 - l) x'`` for another image
    ``x'`` of the batch, ``l ~ Beta(alpha, alpha)`` per image."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.alpha = alpha

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch(data)
        return {"mix_weight": self._beta([batch], self.alpha),
                "permutation_order": self._permutation(batch)}  # fmt: skip

    def transform_images(self, images, transformation, training=True):
        if not training:  # Keras leaves the input's dtype at inference
            return images
        x = cast(images, self.compute_dtype)
        if len(x.shape) == 3:
            return x
        w = reshape(cast(transformation["mix_weight"], x.dtype), [-1, 1, 1, 1])
        return w * x + (1.0 - w) * gather(x, transformation["permutation_order"], axis=0)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _augmentation(class_name, **kwargs):
    """An augmentation layer of this package by class name (the colour layers live in a
    sibling module)."""
    from .. import preprocessing

    return getattr(preprocessing, class_name)(**kwargs)


class _Composite(AugmentLayer):
    """AugMix's and RandAugment's sub-layers, made as Keras makes them."""

    def __init__(self, ops, value_range, factor, interpolation, seed, data_format, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self._ops = ops
        self.factor = set_factor(factor, (0, 1))
        self.value_range, self.interpolation = value_range, interpolation
        common = {"seed": seed, "data_format": data_format, **kwargs}
        ranged = {"factor": self.factor, "value_range": value_range, **common}
        warp = {"interpolation": interpolation, **common}
        made = {
            "random_shear": ("RandomShear", {"x_factor": self.factor, "y_factor": self.factor,
                                             **warp}),
            "random_translation": ("RandomTranslation", {"height_factor": self.factor,
                                                         "width_factor": self.factor, **warp}),
            "random_rotation": ("RandomRotation", {"factor": self.factor, **warp}),
            "random_brightness": ("RandomBrightness", ranged),
            "random_color_degeneration": ("RandomColorDegeneration", ranged),
            "random_contrast": ("RandomContrast", ranged),
            "random_sharpness": ("RandomSharpness", ranged),
            "random_posterization": ("RandomPosterization", {
                **ranged, "factor": max(1, int(8 * self.factor[1]))}),
            "solarization": ("Solarization", {"addition_factor": self.factor,
                                              "threshold_factor": self.factor,
                                              "value_range": value_range, **common}),
            "auto_contrast": ("AutoContrast", {"value_range": value_range,
                                               "data_format": data_format, **kwargs}),
            "equalization": ("Equalization", {"value_range": value_range,
                                              "data_format": data_format, **kwargs}),
        }  # fmt: skip
        for name in ops:
            setattr(self, name, _augmentation(made[name][0], **made[name][1]))

    def transform_segmentation_masks(self, masks, transformation, training=True):
        raise NotImplementedError(
            f"{type(self).__name__}: segmentation masks are not supported here."
        )

    def _apply(self, name, x):
        return cast(getattr(self, name)(x, training=True), x.dtype)

    def transform_images(self, images, transformation, training=True):
        x = cast(images, self.compute_dtype)
        return self._augment(x) if training else x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "factor": self.factor,
                "interpolation": self.interpolation}  # fmt: skip


_AUGMIX_OPS = (
    "random_shear", "random_translation", "random_rotation", "random_posterization",
    "solarization", "auto_contrast", "equalization",
)  # fmt: skip
_COLOR_OPS = ("random_brightness", "random_color_degeneration", "random_contrast",
              "random_sharpness")  # fmt: skip


class AugMix(_Composite):
    """While training, ``w x + (1 - w) sum_i m_i chain_i(x)``: ``num_chains`` chains of up to
    ``chain_depth`` operations picked at random (in Python, per call, as Keras; a traced
    function keeps the picks of its trace), chain weights ``m ~ Dirichlet(alpha)``, ``w ~
    Beta(alpha, alpha)``, clipped to ``value_range``."""

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        ops = _AUGMIX_OPS + (_COLOR_OPS if all_ops else ())
        super().__init__(ops, value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self._picks = _pyrandom.Random(seed)

    def _augment(self, x):
        weights = cast(nn.softmax(self._log_gamma([self.num_chains], self.alpha)), x.dtype)
        keep = cast(self._beta([], self.alpha), x.dtype)
        mixed = 0.0
        for i in range(self.num_chains):
            chain = x
            for _ in range(self.chain_depth):
                name = self._picks.choice([*self._ops, None])
                if name is not None:
                    chain = self._apply(name, chain)
            mixed = mixed + chain * weights[i]
        out = keep * x + (1.0 - keep) * mixed
        return math.minimum(math.maximum(out, self.value_range[0]), self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "alpha": self.alpha,
                "all_ops": self.all_ops}  # fmt: skip


class RandAugment(_Composite):
    """While training, ``num_ops`` times: one of eleven augmentations (shear, translation,
    rotation, brightness, colour degeneration, contrast, sharpness, posterization,
    solarization, auto-contrast, equalization), picked uniformly for the whole batch, each at
    strength ``factor``."""

    _OPS = (*_AUGMIX_OPS[:3], *_COLOR_OPS, *_AUGMIX_OPS[3:])

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(self._OPS, value_range, factor, interpolation, seed, data_format,
                         **kwargs)  # fmt: skip
        self.num_ops = num_ops

    def _augment(self, x):
        n = len(self._ops)
        picks = cast(math.minimum(self._uniform([self.num_ops], 0.0, float(n)), n - 1.0), "int32")
        for i in range(self.num_ops):
            for k, name in enumerate(self._ops):
                x = where(math.equal(picks[i], k), self._apply(name, x), x)
        return x

    def get_config(self):
        return {**super().get_config(), "num_ops": self.num_ops}


class Pipeline(Layer):
    """Applies ``layers`` in order (a training flag passes to those that take one)."""

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self._pipeline_layers = layers

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            takes = "training" in getattr(layer, "_call_params", ())
            kwargs = {"training": training} if takes and training is not None else {}
            inputs = layer(inputs, **kwargs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from .. import serialize

        return {"layers": [serialize(layer) for layer in self._pipeline_layers],
                "name": self.name}  # fmt: skip

    @classmethod
    def from_config(cls, config):
        from .. import deserialize

        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        return cls(**{**config, "layers": [deserialize(c) for c in layers]})


class MaxNumBoundingBoxes(AugmentLayer):
    """Pads (with ``fill_value``) or truncates a dict input's ``bounding_boxes`` ``boxes`` and
    ``labels`` to ``max_number`` boxes per image; images pass unchanged."""

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(None, kwargs.pop("data_format", None), **kwargs)
        self.max_number, self.fill_value = int(max_number), int(fill_value)

    def transform_images(self, images, transformation, training=True):
        return images

    def transform_bounding_boxes(self, data, transformation, training=True):
        if not self.bounding_box_format:  # Keras's check, made for every such layer
            raise ValueError(
                "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                "bounding box format. Pass a `bounding_box_format` argument to your "
                f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
            )
        boxes = dict(data["bounding_boxes"])
        for key, width in (("boxes", [4]), ("labels", [])):
            value = boxes[key]
            unbatched = len(value.shape) == 1 + len(width)
            value = value[None] if unbatched else value
            value = value[:, : self.max_number]
            n = dynamic_shape(value)[1]
            short = (
                max(self.max_number - n, 0)
                if isinstance(n, int)
                else math.maximum(self.max_number - n, 0)
            )
            pad = fill([dynamic_shape(value)[0], short, *width],
                       cast(self.fill_value, value.dtype))  # fmt: skip
            value = reshape(concat([value, pad], axis=1), [-1, self.max_number, *width])
            boxes[key] = value[0] if unbatched else value
        data["bounding_boxes"] = boxes

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "max_number": self.max_number}
        config.pop("seed")
        return config
