"""Keras 3's constructor signatures: every class of ``keras.layers``, ``keras.optimizers``,
``keras.losses`` and ``keras.metrics`` that tensorhouse has takes the parameters real Keras 3.15
names, in its order, of its kinds, with its defaults (``inspect.signature``), recorded in
``data/keras_signatures_keras315.json`` by ``make_keras_signatures_data.py``."""

import inspect
import json
import os

import pytest

DATA = os.path.join(os.path.dirname(__file__), "data", "keras_signatures_keras315.json")
NAMESPACES = ("layers", "optimizers", "losses", "metrics")

RECORDED = {}
if os.path.exists(DATA):  # absent only while make_keras_signatures_data.py writes it
    with open(DATA) as _f:
        RECORDED = json.load(_f)
    RECORDED.pop("keras_version")

# Keras's base classes define ``__new__(cls, *args, **kwargs)``, which ``inspect.signature``
# reports in place of their ``__init__``; tensorhouse's report the arguments they take.
_BASES = {"layers.Layer", "optimizers.Optimizer"}


def signature_rows(cls):
    """``[name, kind, repr(default)]`` per constructor parameter, or None for a non-class."""
    if not inspect.isclass(cls):
        return None
    rows = []
    for p in inspect.signature(cls).parameters.values():
        default = "<required>" if p.default is inspect.Parameter.empty else repr(p.default)
        rows.append([p.name, p.kind.name, default])
    return rows


def _case(name):
    if name in _BASES:
        reason = "Keras's base class reports its __new__'s (*args, **kwargs)"
        return pytest.param(name, marks=pytest.mark.th_xfail(reason=reason))
    return name


@pytest.mark.parametrize("name", [_case(n) for n in sorted(RECORDED)])
def test_constructor_signature_is_keras(tf, name):
    ns, cls_name = name.split(".")
    cls = getattr(getattr(tf.keras, ns), cls_name, None)
    if cls is None:
        pytest.skip(f"tensorhouse has no keras.{name}")
    assert signature_rows(cls) == RECORDED[name]


def test_the_record_covers_the_namespaces(tf):
    # the classes compared: all of Keras's (real TF), the ones tensorhouse has (a sample of them)
    for name in ("layers.Dense", "layers.LSTM", "layers.Conv2D", "optimizers.Adam",
                 "losses.Huber", "metrics.AUC", "layers.MaxPooling2D", "layers.Add"):  # fmt: skip
        assert name in RECORDED
        ns, cls_name = name.split(".")
        assert inspect.isclass(getattr(getattr(tf.keras, ns), cls_name))


def test_positional_arguments_follow_keras_order(tf):
    conv = tf.keras.layers.Conv2D(4, 3, 2, "same", None, 1, 1, "relu", False)
    assert (conv.strides, conv.padding, conv.use_bias) == ((2, 2), "same", False)
    assert conv.activation is tf.keras.activations.relu
    lstm = tf.keras.layers.LSTM(3, "relu", "tanh", False)
    assert (lstm.activation, lstm.use_bias) == (tf.keras.activations.relu, False)
    adam = tf.keras.optimizers.Adam(0.01, 0.8, 0.99, 1e-6, True, None, 1.5)
    assert (adam.amsgrad, adam.clipnorm, adam.beta_1) == (True, 1.5, 0.8)
    pool = tf.keras.layers.MaxPooling2D(3, None, "valid", None, "pool_x")
    assert (pool.pool_size, pool.strides, pool.name) == ((3, 3), (3, 3), "pool_x")
