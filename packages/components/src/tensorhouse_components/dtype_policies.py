"""Keras 3's dtype policies: the dtype a layer's variables are stored in and the one it computes in.

``"float32"``, ``"float64"``, ``"float16"``, ``"bfloat16"`` (both dtypes the same) and the mixed
policies ``"mixed_float16"`` / ``"mixed_bfloat16"`` (float32 variables, 16-bit compute). The global
policy (``set_dtype_policy`` / ``dtype_policy``) is what layers built without ``dtype=`` take.

The ops layer stores 16-bit floats but has no arithmetic kernels for them (only ``Cast``), so a
layer whose compute dtype is 16-bit runs its arithmetic in float32 and rounds its float inputs and
outputs to the compute dtype: the dtypes a caller sees are Keras's.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import DType, as_dtype, bfloat16

# Keras's ``keras.dtype_policies``; the global policy's functions are ``keras.config``'s.
__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
HALF = ("float16", "bfloat16")  # storage-only dtypes on the ops layer: arithmetic runs in float32


def _parse(name):
    if name in _MIXED:
        return _MIXED[name], "float32"
    try:
        dtype = as_dtype(name).name
    except (TypeError, ValueError):
        raise ValueError(
            f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
            "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
            "'float32'."
        ) from None
    return dtype, dtype


def bfloat16_storage() -> bool:
    """Whether bfloat16 tensors can be stored (NumPy's bfloat16 comes from ml_dtypes)."""
    storage = bfloat16.as_numpy_dtype
    return storage is not None and np.dtype(storage).kind != "O"  # object: no bfloat16 type


class DTypePolicy:
    """A dtype policy: ``name``, ``compute_dtype`` and ``variable_dtype`` (Keras 3's)."""

    def __init__(self, name=None):
        if name is None:
            name = "float32"
        if not isinstance(name, str):
            raise TypeError(
                "'name' must be a string, such as 'mixed_float16'. Received: "
                f"name={name} (of type {type(name)})"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse(name)
        if "bfloat16" in (self._compute_dtype, self._variable_dtype) and not bfloat16_storage():
            raise ValueError(
                f"The {name!r} dtype policy needs bfloat16 storage, which comes from the "
                "ml_dtypes package (installed with jax): pip install ml_dtypes"
            )

    @property
    def name(self) -> str:
        """The policy's name, e.g. ``"mixed_float16"``."""
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of a layer's computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of a layer's variables."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: no float policy is quantized."""
        return None

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(other) is type(self) and other._name == self._name

    # as Keras's: policies compare by name and are not hashable
    __hash__ = None  # pyright: ignore[reportAssignmentType]  # the idiom for unhashable

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name for a float ``DTypePolicy``."""


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def serialize(policy) -> dict:
    """Keras's dict form of a policy."""
    if not isinstance(policy, DTypePolicy):
        raise ValueError(f"Expected a `DTypePolicy` instance. Received: policy={policy!r}")
    return {
        "module": "keras",
        "class_name": type(policy).__name__,
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """A policy from ``serialize``'s dict (or a ``{"class_name", "config"}`` dict)."""
    if not isinstance(config, dict) or config.get("class_name") not in _CLASSES:
        raise ValueError(f"Could not interpret dtype policy config: {config!r}")
    return _CLASSES[config["class_name"]].from_config(config.get("config") or {})


def get(identifier):
    """A policy from a name, a dtype, a dict or a policy; None gives the global policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    if isinstance(identifier, DType):
        return DTypePolicy(identifier.name)
    raise ValueError(
        "Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
        f"Received: dtype={identifier}"
    )


_global_policy = None


def set_dtype_policy(policy) -> None:
    """Set the policy of the layers created from now on without ``dtype=``."""
    global _global_policy
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError(
                "Invalid `policy` argument. Expected the string name of a policy (such as "
                f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                f"(of type {type(policy)})"
            )
        policy = DTypePolicy(policy)
    _global_policy = policy


def dtype_policy() -> DTypePolicy:
    """The global policy (``"float32"`` until ``set_dtype_policy`` changes it)."""
    return _global_policy if _global_policy is not None else DTypePolicy("float32")
