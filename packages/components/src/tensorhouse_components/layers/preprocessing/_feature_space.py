"""``keras.utils.FeatureSpace``: a dict of raw structured features in, one encoded vector (or a
dict of encoded features) out, built from the preprocessing layers.

Each feature gets a preprocessing layer (``Normalization``, ``Discretization``, a lookup,
``Hashing``, ...), crosses go through ``HashedCrossing`` on the preprocessed values, and
``one_hot`` features are encoded with ``CategoryEncoding``. Features are merged in sorted name
order, then the crosses in sorted name order, as Keras does. The encoders and the concatenation
are made once, on the symbolic ``Input``s, when the space is first adapted or used.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    RaggedTensor,
    SparseTensor,
    Tensor,
    Variable,
    cast,
    concat,
    convert_to_tensor,
    expand_dims,
    reshape,
    squeeze,
)

from ... import _naming
from ...data import Dataset
from .._input import Input, KerasTensor
from .._layer import Layer
from . import _adapt
from ._categorical import CategoryEncoding
from ._hashing import HashedCrossing, Hashing
from ._numerical import Discretization, Normalization, Rescaling
from ._string_lookup import IntegerLookup, StringLookup
from ._text_vectorization import TextVectorization

__all__ = ["Cross", "Feature", "FeatureSpace"]

_MODULE = "keras.src.layers.preprocessing.feature_space"  # where Keras's files name them


def _object_dict(obj) -> dict:
    """Keras's dict for a FeatureSpace helper object (``Feature``, ``Cross``)."""
    name = type(obj).__name__
    return {"module": _MODULE, "class_name": name, "config": obj.get_config(),
            "registered_name": name}  # fmt: skip


def _dtype_name(x) -> str:
    dtype = x.dtype
    return str(getattr(dtype, "name", dtype))


class TFDIdentity(Layer):
    """The preprocessor of a plain ``float`` feature: its input in the layer's dtype."""

    def call(self, inputs):
        return cast(inputs, self.compute_dtype)


class TFDConcat(Layer):
    """Concatenates the encoded features along ``axis``."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return concat(list(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


_OWN_LAYERS = {"TFDIdentity": TFDIdentity, "TFDConcat": TFDConcat}


def _serialize_layer(layer) -> dict:
    from .. import serialize

    out = serialize(layer)
    if type(layer) in _OWN_LAYERS.values():
        out.update(module=_MODULE, registered_name=type(layer).__name__)  # Keras's names
    return out


def _deserialize_layer(config):
    from .. import deserialize

    return deserialize(config, _OWN_LAYERS)


class Cross:
    """A feature cross: the named features hashed together into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        """The cross's name: its feature names joined by ``_X_``."""
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}  # fmt: skip

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature: its input dtype, its preprocessing layer and how its output is encoded."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize_layer(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "preprocessor": _serialize_layer(self.preprocessor),
                "output_mode": self.output_mode}  # fmt: skip

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _deserialize_helper(config, expected):
    """A ``Feature`` or ``Cross`` from its dict."""
    classes = {"Feature": Feature, "Cross": Cross}
    cls = classes.get(config.get("class_name"))
    if cls is not expected:
        raise ValueError(f"Expected a serialized {expected.__name__}. Received: {config!r}")
    inner = dict(config.get("config") or {})
    return cls.from_config(inner)


def _to_tensor(x):
    """A FeatureSpace input value as a tensor (strings as ``bytes`` string tensors)."""
    if isinstance(x, Tensor | SparseTensor | RaggedTensor | KerasTensor):
        return x
    if isinstance(x, Variable):
        return x.value()
    strings = _adapt.string_tensor(x)
    if strings is not None:
        return strings
    if isinstance(x, list | tuple | int | float):
        return convert_to_tensor(x)
    return convert_to_tensor(np.asarray(x))


class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured features (Keras's ``FeatureSpace``)."""

    # ---- feature constructors ---------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature with a preprocessing layer of your own."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values passed through as they are."""
        name = name or _naming.unique_name("float")
        preprocessor = TFDIdentity(dtype="float32", name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values rescaled as ``x * scale + offset``."""
        name = name or _naming.unique_name("float_rescaled")
        preprocessor = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized by an adapted ``Normalization``."""
        name = name or _naming.unique_name("float_normalized")
        preprocessor = Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values bucketized by a ``Discretization`` (adapted unless given boundaries)."""
        name = name or _naming.unique_name("float_discretized")
        preprocessor = Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def integer_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """Integer values indexed by an adapted ``IntegerLookup``."""
        name = name or _naming.unique_name("integer_categorical")
        preprocessor = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="int32", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def string_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """String values indexed by an adapted ``StringLookup``."""
        name = name or _naming.unique_name("string_categorical")
        preprocessor = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="string", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String values hashed into ``num_bins`` bins."""
        name = name or _naming.unique_name("string_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="string", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer values hashed into ``num_bins`` bins."""
        name = name or _naming.unique_name("integer_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="int32", preprocessor=preprocessor, output_mode=output_mode)

    # ---- construction -----------------------------------------------------------------
    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
    ):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {
            key: self._standardize_feature(key, value) for key, value in features.items()
        }
        self.crosses = []
        for cross in crosses or ():
            if isinstance(cross, dict):
                cross = _deserialize_helper(cross, Cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "When specifying `crosses`, the argument `crossing_dim` "
                        "(dimensionality of the crossing space) should be specified as well."
                    )
                if any(key not in features for key in cross):
                    raise ValueError(
                        "All features referenced in the `crosses` argument should be present "
                        f"in the `features` dict. Received unknown features: {cross}"
                    )
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        self.inputs = {
            key: Input(shape=(1,), dtype=feature.dtype, name=key)
            for key, feature in self.features.items()
        }
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {
            cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
            for cross in self.crosses
        }
        self.one_hot_encoders = {}
        self.concat = None
        self._encoders_made = False
        self._is_adapted = False
        self._preprocessed_features_names = None
        self._crossed_features_names = None
        self._sublayers_built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _deserialize_helper(feature, Feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    # ---- adapt ------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self) -> list:
        names = []
        for name in self.features:
            preprocessor = self.preprocessors[name]
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue  # mean and variance given
            if isinstance(preprocessor, TextVectorization) and getattr(
                preprocessor, "_has_input_vocabulary", False
            ):
                continue  # vocabulary given
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapt each feature's preprocessor on ``dataset`` (a ``Dataset`` of dicts, or a dict
        of arrays / lists), then build the encoders."""
        if not isinstance(dataset, Dataset):
            if not isinstance(dataset, dict):
                raise ValueError(
                    "`adapt()` can only be called on a tf.data.Dataset or a dict of "
                    f"arrays/lists. Received instead: {dataset} (of type {type(dataset)})"
                )
            dataset = Dataset.from_tensor_slices(dataset)
        for name in self._list_adaptable_preprocessors():
            feature_dataset = dataset.map(lambda x, key=name: x[key])
            first = next(iter(feature_dataset))
            rank = len(first.shape)
            if rank == 0:  # unbatched scalars
                feature_dataset = feature_dataset.batch(32)
            if rank in (0, 1):  # one column per feature, so the statistics reduce over -1
                feature_dataset = feature_dataset.map(lambda x: expand_dims(x, -1))
            self.preprocessors[name].adapt(feature_dataset)
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    # ---- the functional view ----------------------------------------------------------
    def get_inputs(self) -> dict:
        """The dict of symbolic ``Input``s, one per feature (shape ``(None, 1)``)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded symbolic tensor (or dict) computed from ``get_inputs()``."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _check_if_adapted(self):
        if self._is_adapted:
            return
        if self._list_adaptable_preprocessors():
            raise ValueError(
                "You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                "using it."
            )
        self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ---- the computation --------------------------------------------------------------
    def _preprocess_features(self, features) -> dict:
        out = {}
        for name, value in features.items():
            if name not in self.preprocessors:
                raise KeyError(
                    f"Feature {name!r} is not in this FeatureSpace. Known features: "
                    f"{sorted(self.preprocessors)}"
                )
            out[name] = self.preprocessors[name](value)
        return out

    def _cross_features(self, features) -> dict:
        out = {}
        for cross in self.crosses:
            missing = [n for n in cross.feature_names if n not in features]
            if missing:
                raise KeyError(f"The cross {cross.name!r} needs the missing features {missing}")
            values = [features[n] for n in cross.feature_names]
            out[cross.name] = self.crossers[cross.name](values)
        return out

    def _cardinality(self, name, preprocessor):
        """The number of values a ``one_hot`` feature's preprocessor can output."""
        if isinstance(preprocessor, IntegerLookup | StringLookup):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, Discretization | Hashing | HashedCrossing):
            return preprocessor.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
            "and the dimensionality of its output space is not known, thus it cannot be one-hot "
            "encoded. Try using `output_mode='int'`."
        )

    def _make_encoders(self, names, values):
        """Create the one-hot encoders (and the concatenation) from the first, symbolic pass,
        checking the dtypes each output mode needs."""
        specs = {**self.features, **self.crosses_by_name}
        for name, value in zip(names, values, strict=True):
            spec = specs[name]
            dtype = _dtype_name(value)
            if spec.output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(
                        f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor "
                        f"should return an integer dtype. Instead it returns a {dtype} dtype."
                    )
                preprocessor = self.preprocessors.get(name) or self.crossers.get(name)
                cardinality = self._cardinality(name, preprocessor)
                if cardinality is not None:  # None: left as it is (Keras does the same)
                    encoder = CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot")
                    self.one_hot_encoders[name] = encoder
                    dtype = _dtype_name(encoder(value))
            if self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been "
                    f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                )
        if self.output_mode == "concat":
            self.concat = TFDConcat(axis=-1)

    def _merge_features(self, preprocessed, crossed):
        if not self._preprocessed_features_names:
            self._preprocessed_features_names = sorted(preprocessed)
            self._crossed_features_names = sorted(crossed)
        names = self._preprocessed_features_names + self._crossed_features_names
        merged = {**preprocessed, **crossed}
        missing = [n for n in names if n not in merged]
        if missing:
            raise KeyError(f"Missing features in the FeatureSpace's input: {missing}")
        values = [merged[n] for n in names]
        if not self._encoders_made:
            self._make_encoders(names, values)
            self._encoders_made = True
        encoded = {}
        for name, value in zip(names, values, strict=True):
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        return self.concat([encoded[n] for n in names])

    def __call__(self, data):
        """Encode a dict of features, batched (``(batch,)`` or ``(batch, 1)`` each) or one
        sample (scalars: the batch axis is dropped again from the result)."""
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)}"
            )
        data = {key: _to_tensor(value) for key, value in data.items()}
        rebatched = False
        for key, x in data.items():
            if len(x.shape) == 0:
                data[key] = reshape(x, (1, 1))
                rebatched = True
            elif len(x.shape) == 1:
                data[key] = expand_dims(x, -1)
        preprocessed = self._preprocess_features(data)
        crossed = self._cross_features(preprocessed)
        merged = self._merge_features(preprocessed, crossed)
        if not rebatched:
            return merged
        if self.output_mode == "concat":
            if merged.shape[0] != 1:
                raise ValueError(
                    f"Expected rebatched data to have batch size 1. Received: shape={merged.shape}"
                )
            return squeeze(merged, axis=0)
        return {
            key: squeeze(x, axis=0) if len(x.shape) == 2 and x.shape[0] == 1 else x
            for key, x in merged.items()
        }

    # ---- config and saving --------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            "features": {name: _object_dict(f) for name, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_object_dict(c) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self) -> dict:
        return {
            name: feature.preprocessor.get_build_config() or {}
            for name, feature in self.features.items()
        }

    def build_from_config(self, config):
        for name, build_config in (config or {}).items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True

    def save_own_variables(self, store) -> None:
        return

    def load_own_variables(self, store) -> None:
        # A FeatureSpace read back from a file holds its preprocessors' adapted state (the
        # loader may skip ``build_from_config``, which Keras uses to say so).
        self._is_adapted = True
