"""Masks carried from layer to layer as Keras 3 does: ``Embedding(mask_zero=True)`` and
``Masking`` -> recurrent layers (masked steps keep the state), pooling, attention and the
compiled loss. Fixed weights; NumPy references of the masked computation."""

import numpy as np

IDS = np.array([[3, 1, 4, 0, 0], [2, 0, 0, 0, 0], [1, 2, 3, 4, 1]], dtype=np.int32)
RNG = np.random.default_rng(3)
TABLE = RNG.normal(size=(5, 3)).astype(np.float32)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_ref(x, mask, k, rk, b):
    u = rk.shape[0]
    h, c = np.zeros((x.shape[0], u)), np.zeros((x.shape[0], u))
    for t in range(x.shape[1]):
        i, f, g, o = np.split(x[:, t] @ k + h @ rk + b, 4, axis=-1)
        c_new = sig(f) * c + sig(i) * np.tanh(g)
        h_new = sig(o) * np.tanh(c_new)
        m = mask[:, t : t + 1]
        h, c = np.where(m, h_new, h), np.where(m, c_new, c)
    return h


def gru_ref(x, mask, k, rk, b):
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u))
    for t in range(x.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ k + b[0], 3, axis=-1)
        r_z, r_r, r_h = np.split(h @ rk + b[1], 3, axis=-1)
        z, r = sig(x_z + r_z), sig(x_r + r_r)
        h_new = z * h + (1 - z) * np.tanh(x_h + r * r_h)
        h = np.where(mask[:, t : t + 1], h_new, h)
    return h


def lstm_weights(d, u):
    r = np.random.default_rng(11)
    return [(r.normal(size=s) * 0.5).astype(np.float32) for s in ((d, 4 * u), (u, 4 * u), (4 * u,))]


def test_embedding_mask_zero_lstm_dense_functional(tf):
    layers = tf.keras.layers
    inp = tf.keras.Input((5,), dtype="int32")
    emb = layers.Embedding(5, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    dense = layers.Dense(2)
    model = tf.keras.Model(inp, dense(lstm(emb(inp))))
    emb.set_weights([TABLE])
    w = lstm_weights(3, 4)
    lstm.set_weights(w)
    dk = RNG.normal(size=(4, 2)).astype(np.float32)
    dense.set_weights([dk, np.array([0.1, -0.2], np.float32)])
    h = lstm_ref(TABLE[IDS], IDS != 0, *w)
    expected = h @ dk + np.array([0.1, -0.2])
    close(model(IDS), expected)
    close(tf.function(lambda x: model(x))(tf.constant(IDS)), expected)
    close(model.predict(IDS, verbose=0), expected)


def test_embedding_mask_zero_lstm_sequential_eager(tf):
    layers = tf.keras.layers
    model = tf.keras.Sequential(
        [tf.keras.Input((5,), dtype="int32"), layers.Embedding(5, 3, mask_zero=True),
         layers.LSTM(4)]
    )  # fmt: skip
    model.layers[0].set_weights([TABLE])
    w = lstm_weights(3, 4)
    model.layers[1].set_weights(w)
    close(model(IDS), lstm_ref(TABLE[IDS], IDS != 0, *w))


def test_masking_gru(tf):
    layers = tf.keras.layers
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0
    x[2, 1] = 0.0  # a masked step in the middle keeps the state
    mask = np.any(x != 0.0, axis=-1)
    gru = layers.GRU(3)
    model = tf.keras.Sequential([tf.keras.Input((5, 2)), layers.Masking(0.0), gru])
    r = np.random.default_rng(5)
    w = [(r.normal(size=s) * 0.5).astype(np.float32) for s in ((2, 9), (3, 9), (2, 9))]
    gru.set_weights(w)
    expected = gru_ref(x, mask, *w)
    close(model(x), expected)
    close(tf.function(lambda v: model(v))(tf.constant(x)), expected)
    # Layer by layer, eagerly: the mask rides on the Masking layer's output tensor.
    close(gru(layers.Masking(0.0)(x)), expected)


def test_masked_global_average_pooling_1d(tf):
    layers = tf.keras.layers
    emb = layers.Embedding(5, 3, mask_zero=True)
    pool = layers.GlobalAveragePooling1D()
    emb.build((None, 5))
    emb.set_weights([TABLE])
    mask = (IDS != 0)[..., None]
    expected = (TABLE[IDS] * mask).sum(1) / mask.sum(1)
    close(pool(emb(IDS)), expected)
    inp = tf.keras.Input((5,), dtype="int32")
    model = tf.keras.Model(inp, pool(emb(inp)))
    close(model(IDS), expected)
    close(tf.function(lambda v: model(v))(tf.constant(IDS)), expected)
    # A Dense in between passes the mask through.
    dense = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    close(pool(dense(emb(IDS))), expected.sum(-1, keepdims=True).repeat(2, -1))


def test_mask_through_multi_head_attention(tf):
    layers = tf.keras.layers
    emb = layers.Embedding(5, 4, mask_zero=True)
    emb.build((None, 5))
    emb.set_weights([RNG.normal(size=(5, 4)).astype(np.float32)])
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, seed=1)
    x = emb(IDS)
    auto = mha(x, x)
    plain = tf.constant(np.asarray(x))
    m = tf.constant(IDS != 0)
    explicit = mha(plain, plain, query_mask=m, value_mask=m)
    m_np = IDS != 0
    close(np.asarray(auto)[m_np], np.asarray(explicit)[m_np])  # the unmasked queries
    att = m_np[:, :, None] & m_np[:, None, :]
    close(np.asarray(mha(plain, plain, attention_mask=att))[m_np], np.asarray(explicit)[m_np])
    # the output carries the query's mask
    pooled = layers.GlobalAveragePooling1D()(auto)
    a = np.asarray(auto)
    close(pooled, (a * m_np[..., None]).sum(1) / m_np.sum(1, keepdims=True))


def test_masked_loss_in_evaluate(tf):
    layers = tf.keras.layers
    inp = tf.keras.Input((5,), dtype="int32")
    emb = layers.Embedding(5, 3, mask_zero=True)
    dense = layers.Dense(1)
    model = tf.keras.Model(inp, dense(emb(inp)))
    emb.set_weights([TABLE])
    dk = np.array([[0.5], [-1.0], [0.25]], np.float32)
    dense.set_weights([dk, np.array([0.3], np.float32)])
    y = RNG.normal(size=(3, 5, 1)).astype(np.float32)
    pred = TABLE[IDS] @ dk + 0.3
    per_step = ((pred - y) ** 2).mean(-1)
    mask = IDS != 0
    expected = per_step[mask].mean()
    model.compile(optimizer="sgd", loss="mse")
    close(model.evaluate(IDS, y, batch_size=3, verbose=0), expected, 1e-5)
    # A per-step sample weight multiplies the masked per-step losses.
    sw = np.array([[1.0, 2.0, 0.5, 3.0, 1.0]] * 3, np.float32)
    weighted = (per_step * sw * mask).sum() / mask.sum()
    close(model.evaluate(IDS, y, sample_weight=sw, batch_size=3, verbose=0), weighted, 1e-5)
    # Training on the masked loss: one SGD step equals the gradient of the masked mean.
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    model.fit(IDS, y, batch_size=3, epochs=1, verbose=0, shuffle=False)
    e = TABLE[IDS][mask]
    grad_b = (2 * (pred[mask] - y[mask])).mean()
    grad_k = (2 * (pred[mask] - y[mask]) * e).mean(0)
    close(dense.get_weights()[1], 0.3 - 0.1 * np.array([grad_b]), 1e-5)
    close(dense.get_weights()[0][:, 0], dk[:, 0] - 0.1 * grad_k, 1e-5)


def test_masked_compiled_metric_in_evaluate(tf):
    inp = tf.keras.Input((5,), dtype="int32")
    emb = tf.keras.layers.Embedding(5, 1, mask_zero=True)
    model = tf.keras.Model(inp, emb(inp))
    emb.set_weights([TABLE[:, :1]])
    y = RNG.normal(size=(3, 5, 1)).astype(np.float32)
    err = np.abs(TABLE[IDS][..., :1] - y)[..., 0]
    mask = IDS != 0
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    got = model.evaluate(IDS, y, batch_size=3, verbose=0, return_dict=True)
    close(got["mae"], err[mask].mean())
    # `metrics` are unweighted: a sample weight changes the loss, not them; the mask stays
    sw = np.array([[1.0, 2.0, 0.5, 3.0, 1.0]] * 3, np.float32)
    got = model.evaluate(IDS, y, sample_weight=sw, batch_size=3, verbose=0, return_dict=True)
    close(got["mae"], err[mask].mean())
    sq = ((TABLE[IDS][..., :1] - y) ** 2)[..., 0]
    close(got["loss"], (sq * sw * mask).sum() / mask.sum())


def test_mask_through_dot_attention(tf):
    layers = tf.keras.layers
    emb = layers.Embedding(5, 3, mask_zero=True)
    emb.build((None, 5))
    emb.set_weights([TABLE])
    x = emb(IDS)
    auto = layers.Attention()([x, x])
    m = IDS != 0
    plain = tf.constant(TABLE[IDS])
    explicit = layers.Attention()([plain, plain], mask=[tf.constant(m), tf.constant(m)])
    close(auto, explicit)
    q, v = TABLE[IDS], TABLE[IDS]
    scores = np.einsum("bqd,bkd->bqk", q, v)
    scores = np.where(m[:, None, :], scores, -1e9)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    close(auto, np.einsum("bqk,bkd->bqd", w, v) * m[..., None])
    pooled = layers.GlobalAveragePooling1D()(auto)  # the output keeps the query's mask
    a = np.asarray(auto)
    close(pooled, (a * m[..., None]).sum(1) / m.sum(1, keepdims=True))


def test_mask_flows_through_return_sequences_into_the_next_layers(tf):
    layers = tf.keras.layers
    inp = tf.keras.Input((5,), dtype="int32")
    emb = layers.Embedding(5, 3, mask_zero=True)
    rnn = layers.SimpleRNN(2, return_sequences=True)
    lstm = layers.LSTM(2)
    seq = rnn(emb(inp))
    model = tf.keras.Model(inp, [layers.GlobalAveragePooling1D()(seq), lstm(seq)])
    emb.set_weights([TABLE])
    r = np.random.default_rng(2)
    rw = [(r.normal(size=s) * 0.5).astype(np.float32) for s in ((3, 2), (2, 2), (2,))]
    rnn.set_weights(rw)
    lw = lstm_weights(2, 2)
    lstm.set_weights(lw)
    x, mask = TABLE[IDS], IDS != 0
    h, outs = np.zeros((3, 2)), []
    for t in range(5):
        h_new = np.tanh(x[:, t] @ rw[0] + h @ rw[1] + rw[2])
        h = np.where(mask[:, t : t + 1], h_new, h)
        outs.append(h)
    outs = np.stack(outs, 1)
    pooled, last = model(IDS)
    close(pooled, (outs * mask[..., None]).sum(1) / mask.sum(1, keepdims=True))
    close(last, lstm_ref(outs, mask, *lw))
