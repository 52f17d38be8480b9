"""``InputSpec``: what a layer accepts (rank, dtype, shape, fixed axes), checked by
``Layer.__call__`` before and after ``build`` with Keras 3's error texts."""

from __future__ import annotations

from tensorhouse_ops.nest import flatten

__all__ = ["InputSpec", "assert_input_compatibility"]


def _dtype_name(dtype) -> str:
    return str(getattr(dtype, "name", dtype))


def _shape(x) -> tuple:
    shape = x.shape
    return tuple(shape.as_list() if hasattr(shape, "as_list") else shape)


class InputSpec:
    """The rank (``ndim``, ``min_ndim``, ``max_ndim``), ``dtype``, ``shape`` (None: any size)
    and ``axes`` (``{axis: size}``) an input of a layer must have."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):  # fmt: skip
        self.dtype = None if dtype is None else _dtype_name(dtype)
        self.shape = None if shape is None else tuple(shape)
        self.ndim = ndim if shape is None else len(self.shape)
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional = name, optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(
                    f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}"
                )

    def __repr__(self):
        parts = [
            f"{key}={value}"
            for key, value in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                               ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                               ("axes", self.axes))
            if value
        ]  # fmt: skip
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_one(x, spec, index, layer_name):
    def incompatible(what):
        return ValueError(
            f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible "
            f"with the layer: {what}"
        )

    if not hasattr(x, "shape"):
        raise ValueError(
            f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
            f"layer '{layer_name}'."
        )
    shape = _shape(x)
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise incompatible(
            f"expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise incompatible(f"expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise incompatible(
            f"expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.dtype is not None and _dtype_name(x.dtype) != spec.dtype:
        raise incompatible(f"expected dtype={spec.dtype}, found dtype={_dtype_name(x.dtype)}")
    for axis, value in spec.axes.items():
        if value is not None and shape[axis] not in (value, None):
            raise incompatible(
                f"expected axis {axis} of input shape to have value {value}, but received "
                f"input with shape {shape}"
            )
    if spec.shape is not None:
        spec_shape = spec.shape
        if spec.allow_last_axis_squeeze:
            shape = shape[:-1] if shape and shape[-1] == 1 else shape
            spec_shape = spec_shape[:-1] if spec_shape and spec_shape[-1] == 1 else spec_shape
        for want, got in zip(spec_shape, shape):
            if want is not None and got is not None and want != got:
                raise incompatible(f"expected shape={spec.shape}, found shape={shape}")


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras's ``ValueError`` where ``inputs`` do not match ``input_spec`` (one spec, or
    one per input; a dict of inputs is read by the specs' names)."""
    if not input_spec:
        return
    specs = flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            for name in names:
                if name not in inputs:
                    raise ValueError(
                        f'Missing data for input "{name}". You passed a data dictionary with '
                        f"keys {list(inputs.keys())}. Expected the following keys: {names}"
                    )
            inputs = [inputs[name] for name in names]
    inputs = flatten(inputs)
    if len(inputs) != len(specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(inputs)} input tensors. Inputs received: {inputs}"
        )
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is not None and not (x is None and spec.optional):
            _check_one(x, spec, index, layer_name)
