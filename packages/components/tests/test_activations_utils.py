"""Where tensorhouse's activations and utils differ from real Keras on purpose (Keras's own
results there are wrong) and the tracing of every activation; the rest is pinned against real
Keras in tests/compat/test_keras_gaps_s31_compat.py."""

import numpy as np
import pytest

import tensorhouse_ops as tops
from tensorhouse_components import activations, initializers, keras_ops, utils


def sparsemax_ref(z):
    """The simplex projection, from its definition (sort, find the support, shift)."""
    out = []
    for row in np.asarray(z, np.float64):
        s = np.sort(row)[::-1]
        k = np.arange(1, len(s) + 1)
        size = k[s - (np.cumsum(s) - 1) / k > 0].max()
        tau = (s[:size].sum() - 1) / size
        out.append(np.maximum(row - tau, 0))
    return np.array(out)


@pytest.mark.parametrize(
    "z", [[[1.0, 1.2, 1.4], [0.2, -0.1, -5.0]], [[0.0, 0.0, 0.0, 0.0], [3.0, -1.0, 2.9, 2.95]]]
)
def test_sparsemax_is_the_simplex_projection(z):
    # Keras's TF backend sums the cumulative sums over the support, which leaves rows that do
    # not sum to 1 (all zeros for [1, 1.2, 1.4]); this is the definition's answer.
    got = activations.sparsemax(np.array(z, np.float32)).numpy()
    np.testing.assert_allclose(got, sparsemax_ref(z), atol=1e-6)
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-6)
    cols = keras_ops.sparsemax(np.array(z, np.float32).T, axis=0).numpy()
    np.testing.assert_allclose(cols, sparsemax_ref(z).T, atol=1e-6)


NAMES = sorted(set(activations.__all__) - {"get", "serialize", "deserialize", "threshold", "glu"})


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_traces_with_eager_numbers(name):
    fn = activations.get(name)
    x = np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4)

    def step(v):
        with tops.GradientTape() as tape:
            tape.watch(v)
            y = fn(v)
        return y, tape.gradient(y, v)

    traced = tops.function(step)
    for a, b in zip(step(tops.constant(x)), traced(tops.constant(x)), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_identity_keeps_its_gain_in_config():
    # Keras 3.15's Identity.get_config() is {} (a round trip loses the gain); this one keeps it.
    init = initializers.Identity(gain=3.0)
    assert init.get_config() == {"gain": 3.0}
    back = initializers.deserialize(initializers.serialize(init))
    np.testing.assert_array_equal(back((2, 2)).numpy(), 3.0 * np.eye(2))


def test_normalize_numpy_axis_zero_normalizes_columns():
    # Keras's NumPy path turns axis=0 into -1 (``axis or -1``); here axis=0 means columns.
    x = np.array([[3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0), [[0.6, 1.0], [0.8, 0.0]])


def test_clear_session_restarts_names():
    from tensorhouse_components import layers

    utils.clear_session()
    assert [layers.Dense(1).name for _ in range(2)] == ["dense", "dense_1"]
    keras_ops.backend.clear_session()
    assert layers.Dense(1).name == "dense"


class TimesK:
    """An activation object with a config (what ``serialize`` gives as a dict)."""

    def __init__(self, k=1.0):
        self.k = k

    def __call__(self, x):
        return x * self.k

    def get_config(self):
        return {"k": self.k}


def test_activation_objects_round_trip_and_unknown_classes_raise():
    config = activations.serialize(TimesK(3.0))
    assert config == {"class_name": "TimesK", "config": {"k": 3.0}}
    back = activations.deserialize(config, custom_objects={"TimesK": TimesK})
    assert isinstance(back, TimesK) and back.k == 3.0
    with pytest.raises(ValueError, match="Unknown activation class_name: 'TimesK'"):
        activations.get(config)
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.get(3)
