"""Keras 3's mask rules per layer family: ``supports_masking``, ``compute_mask`` and the mask
the outputs carry (read by a probe layer's ``mask=`` argument, eagerly and in a
``tf.function``) for masks made by ``Masking`` / ``Embedding(mask_zero=True)``. The expected
masks are Keras's rules written out in NumPy."""

import numpy as np
import pytest

M = np.array([[True, True, False, False], [True, False, True, True]])
M2 = np.array([[True, False, True, False], [True, True, True, False]])
IDS = np.array([[1, 2, 0, 0], [3, 0, 4, 4]])
RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 1.0, (2, 4, 3)).astype(np.float32)  # no zeros: Masking marks M's only
X2 = RNG.uniform(0.5, 1.0, (2, 4, 3)).astype(np.float32)


def probe(tf):
    class Probe(tf.keras.layers.Layer):
        """Records the mask its input carries."""

        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            self.got = mask
            return x

    return Probe()


def carried(tf, outputs):
    """The masks the outputs carry, one per output (None where none)."""
    found = []
    for y in tf.nest.flatten(outputs):
        p = probe(tf)
        p(y)
        found.append(p.got)
    return found


def masked(tf, x, m):
    """``x`` carrying mask ``m`` (made by ``Masking``: the masked steps zeroed)."""
    x = tf.convert_to_tensor(x)
    if m is None:
        return x
    return tf.keras.layers.Masking(0.0)(x * m[..., None].astype(np.float32))


def same(got, expected):
    expected = list(expected) if isinstance(expected, list | tuple) else [expected]
    expected += [None] * (len(got) - len(expected))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
        else:
            np.testing.assert_array_equal(np.asarray(g), e)


# (name, make(layers), inputs, input masks, Keras's output masks, Keras's supports_masking)
CASES = [
    ("dense", lambda L: L.Dense(2), X, M, M, True),
    ("activation", lambda L: L.Activation("tanh"), X, M, M, True),
    ("dropout", lambda L: L.Dropout(0.5), X, M, M, True),
    ("layer_norm", lambda L: L.LayerNormalization(), X, M, M, True),
    ("batch_norm", lambda L: L.BatchNormalization(), X, M, M, True),
    ("prelu", lambda L: L.PReLU(), X, M, M, True),
    ("conv1d", lambda L: L.Conv1D(2, 2), X, M, None, False),
    ("flatten", lambda L: L.Flatten(), X, M, None, False),
    ("max_pool", lambda L: L.MaxPooling1D(2), X, M, None, False),
    ("global_avg_pool", lambda L: L.GlobalAveragePooling1D(), X, M, None, True),
    ("global_max_pool", lambda L: L.GlobalMaxPooling1D(), X, M, None, False),
    ("lstm_seq", lambda L: L.LSTM(2, return_sequences=True), X, M, M, True),
    ("lstm_last", lambda L: L.LSTM(2), X, M, None, True),
    ("lstm_states", lambda L: L.LSTM(2, return_sequences=True, return_state=True), X, M,
     [M, None, None], True),
    ("gru_states", lambda L: L.GRU(2, return_state=True), X, M, [None, None], True),
    ("simple_rnn", lambda L: L.SimpleRNN(2, return_sequences=True), X, M, M, True),
    ("rnn_cell", lambda L: L.RNN(L.GRUCell(2), return_sequences=True), X, M, M, True),
    ("bidirectional", lambda L: L.Bidirectional(L.LSTM(2, return_sequences=True)), X, M, M,
     True),
    ("bidirectional_last", lambda L: L.Bidirectional(L.LSTM(2)), X, M, None, True),
    ("bidirectional_no_merge",
     lambda L: L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode=None), X, M,
     [M, M], True),
    ("bidirectional_states",
     lambda L: L.Bidirectional(L.GRU(2, return_sequences=True, return_state=True)), X, M, M,
     True),
    ("time_distributed", lambda L: L.TimeDistributed(L.Dense(2)), X, M, M, True),
    ("add", lambda L: L.Add(), [X, X2], [M, M2], M | M2, True),
    ("add_one_mask", lambda L: L.Add(), [X, X2], [M, None], None, True),
    ("multiply", lambda L: L.Multiply(), [X, X2], [M, M2], M | M2, True),
    ("average", lambda L: L.Average(), [X, X2], [M, M2], M | M2, True),
    ("concatenate", lambda L: L.Concatenate(), [X, X2], [M, M2], M | M2, True),
    ("concatenate_one_mask", lambda L: L.Concatenate(), [X, X2], [M, None],
     np.ones_like(M), True),
    ("concatenate_time", lambda L: L.Concatenate(axis=1), [X, X2], [M, M2],
     np.concatenate([M, M2], 1), True),
    ("dot", lambda L: L.Dot(axes=-1), [X, X2], [M, M2], None, True),
    ("attention", lambda L: L.Attention(), [X, X2], [M, M2], M, True),
    ("attention_unmasked_query", lambda L: L.Attention(), [X, X2], [None, M2], None, True),
    ("additive_attention", lambda L: L.AdditiveAttention(), [X, X2], [M, M2], M, True),
]  # fmt: skip


def _call(tf, layer, x, m):
    if isinstance(x, list):
        return layer([masked(tf, a, b) for a, b in zip(x, m)])
    return layer(masked(tf, x, m))


@pytest.mark.filterwarnings("ignore:.*does not support masking")
@pytest.mark.parametrize("name, make, x, m, expected, supports", CASES, ids=[c[0] for c in CASES])
def test_mask_rules(tf, name, make, x, m, expected, supports):
    layer = make(tf.keras.layers)
    same(carried(tf, _call(tf, layer, x, m)), expected)
    assert layer.supports_masking == supports
    if supports:  # the others' compute_mask is never used for their outputs
        xs = [tf.constant(a) for a in x] if isinstance(x, list) else tf.constant(x)
        ms = [None if b is None else tf.constant(b) for b in m] if isinstance(x, list) else m
        got = layer.compute_mask(xs, ms)
        same(list(got) if isinstance(got, list | tuple) else [got], expected)

    @tf.function
    def traced(*inputs):
        found = carried(tf, _call(tf, layer, list(inputs) if len(inputs) > 1 else inputs[0], m))
        return [tf.constant(False) if f is None else f for f in found]

    flat = traced(*[tf.constant(a) for a in x]) if isinstance(x, list) else traced(tf.constant(x))
    want = list(expected) if isinstance(expected, list) else [expected]
    want += [None] * (len(flat) - len(want))
    for f, e in zip(flat, want):
        np.testing.assert_array_equal(np.asarray(f), False if e is None else e)


def test_embedding_and_masking_make_masks(tf):
    L = tf.keras.layers
    emb = L.Embedding(5, 3, mask_zero=True)
    same(carried(tf, emb(tf.constant(IDS))), IDS != 0)
    same([emb.compute_mask(tf.constant(IDS))], IDS != 0)
    assert emb.supports_masking and not L.Embedding(5, 3).supports_masking
    same(carried(tf, L.Embedding(5, 3)(tf.constant(IDS))), None)
    masking = L.Masking(0.0)
    same(carried(tf, masking(tf.constant(X * M[..., None]))), M)
    # a mask the input already carries is replaced by the one computed from the values
    same(carried(tf, L.Masking(5.0)(masked(tf, X, M2))), np.ones_like(M))


def test_the_default_compute_mask_returns_the_input_mask(tf):
    # Keras's Layer.compute_mask, even where the layer does not support masking (the mask is
    # then never attached to its outputs)
    flatten = tf.keras.layers.Flatten()
    assert not flatten.supports_masking
    same([flatten.compute_mask(tf.constant(X), tf.constant(M))], M)
