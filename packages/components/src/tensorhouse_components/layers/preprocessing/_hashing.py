"""``Hashing`` (values to hash bins) and ``HashedCrossing`` (crosses of features to bins), with
TF's hashes: FarmHash Fingerprint64 (SipHash-2-4 with a ``salt``); crosses as
``tf.sparse.cross_hashed``."""

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tf
from tensorhouse_ops import cast, convert_to_tensor, expand_dims, lookup, reshape, squeeze

from .._layer import Layer
from . import _adapt
from ._categorical import encode, sparse_encode

__all__ = ["HashedCrossing", "Hashing"]


def _salt_pair(salt, layer):
    if salt is None:
        return None
    if isinstance(salt, tuple | list) and len(salt) == 2:
        return list(salt)
    if isinstance(salt, int):
        return [salt, salt]
    raise ValueError(
        f"The `salt` argument for `{layer}` can only be a tuple of size 2 integers, or a single "
        f"integer. Received: salt={salt}."
    )


class Hashing(_adapt.StringInputs, Layer):
    """Hashes values (strings, integers, floats cast to int64) into ``num_bins`` bins; with a
    ``mask_value``, bin 0 is the mask's and the others hash into ``num_bins - 1``."""

    def __init__(
        self,
        num_bins,
        mask_value=None,
        salt=None,
        output_mode="int",
        sparse=False,
        **kwargs,
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        kwargs.setdefault("autocast", False)  # inputs keep their dtype (floats are truncated)
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'in64'. Received: dtype={kwargs['dtype']}"
            )
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {modes}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                '`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, or '
                f'`"count"`. Received: sparse={sparse} and output_mode={output_mode}'
            )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = _salt_pair(salt, "Hashing")
        self._mask_table = None

    def _is_mask(self, values):
        """1 where ``values`` equal ``mask_value`` (a one-key lookup table), else 0."""
        if self._mask_table is None:
            is_string = values.dtype == tf.string
            key = self.mask_value
            if is_string:
                key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
            keys = np.array([key], dtype=object if is_string else values.dtype.name)
            init = lookup.KeyValueTensorInitializer(
                keys, np.array([1], np.int64), values.dtype, "int64"
            )
            self._mask_table = lookup.StaticHashTable(init, 0)
        if values.dtype != tf.string and values.dtype != self._mask_table.key_dtype:
            values = cast(values, self._mask_table.key_dtype)
        return self._mask_table.lookup(values)

    def _bins(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = self._is_mask(values)
        if values.dtype.is_floating:
            values = cast(values, "int64")
        if values.dtype != tf.string:
            values = tf.strings.as_string(values)
        if self.strong_hash:
            out = tf.strings.to_hash_bucket_strong(values, bins, key=self.salt)
        else:
            out = tf.strings.to_hash_bucket_fast(values, bins)
        if mask is not None:
            out = (out + 1) * (1 - mask)
        return out

    def call(self, inputs):
        if not isinstance(inputs, tf.Tensor):
            inputs = convert_to_tensor(inputs)
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(self._call_dense(inputs.flat_values))
        return self._call_dense(inputs)

    def _call_dense(self, inputs):
        ids = self._bins(inputs)  # elementwise: shape ops run on the (integer) bins
        shape = ids.shape.as_list()
        if self.output_mode == "one_hot" and shape and shape[-1] == 1:
            ids = squeeze(ids, -1)
        if self.output_mode == "int":
            return cast(ids, self.compute_dtype)
        if self.output_mode != "one_hot" and ids.shape.rank == 0:
            ids = expand_dims(ids, -1)
        if self.sparse:
            return sparse_encode(ids, self.num_bins, self.output_mode, self.compute_dtype)
        return encode(ids, self.num_bins, self.output_mode, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return (*tuple(input_shape)[:-1], self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}  # fmt: skip


class HashedCrossing(_adapt.StringInputs, Layer):
    """Crosses features (integers or strings, shapes ``()``, ``(batch,)`` or ``(batch, 1)``)
    into ``num_bins`` bins by TF's ``cross_hashed``."""

    _several_inputs = True

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):  # fmt: skip
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        kwargs.setdefault("autocast", False)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode` argument of layer HashedCrossing. Allowed "
                f"values are: ['int', 'one_hot']. Received: {output_mode}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _check(self, inputs):
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on at least two inputs. "
                f"Received: inputs={inputs}"
            )
        inputs = [x if isinstance(x, tf.Tensor) else convert_to_tensor(x) for x in inputs]
        first = tuple(inputs[0].shape.as_list())
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={inputs}"
            )
        if not all(tuple(x.shape.as_list()) == first for x in inputs[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}"
            )
        if any(isinstance(x, tf.RaggedTensor) for x in inputs):
            raise ValueError(
                f"All `HashedCrossing` inputs should be dense tensors. Received: inputs={inputs}"
            )
        if not all(x.dtype.is_integer or x.dtype == tf.string for x in inputs):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={inputs}"
            )
        return inputs, first

    def call(self, inputs):
        inputs, first = self._check(inputs)
        # one cross per row: the crosses in row order are the output's elements
        crossed = tf.sparse.cross_hashed(list(inputs), num_buckets=self.num_bins)
        out = reshape(crossed.values, [-1, 1] if len(first) == 2 else [-1])
        if not first:
            out = reshape(out, [])
        if self.output_mode == "int":
            return cast(out, self.compute_dtype)
        if self.sparse:
            return sparse_encode(out, self.num_bins, "one_hot", self.compute_dtype)
        return encode(out, self.num_bins, "one_hot", self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            return (*shape[:-1], self.num_bins)
        return (*shape, self.num_bins)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype_policy.name}  # fmt: skip
