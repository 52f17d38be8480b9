"""``tf.feature_column`` and ``DenseFeatures``: values by hand (TF 2.15's semantics), hash ids
equal to TF 2.21's own outputs (recorded below), eager == traced, gradients and training."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import tensorhouse_components as keras
import tensorhouse_ops as o

fc = keras.feature_column
DenseFeatures = keras.layers.DenseFeatures


def _both(layer, features):
    """The layer's output eagerly and inside a traced function; they must agree."""
    eager = layer(features).numpy()
    traced = o.function(lambda f: layer(f))(features).numpy()
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-6)
    return eager


def _set_table(layer, table):
    (w,) = layer.weights
    w.assign(np.asarray(table, np.float32))


# ---- numeric and bucketized -----------------------------------------------------------------
def test_numeric_column_reshapes_and_normalizes():
    cols = [
        fc.numeric_column("a"),
        fc.numeric_column("b", shape=(2,), normalizer_fn=lambda x: x * 2),
    ]
    out = _both(DenseFeatures(cols), {"a": np.array([1.0, 2.0]), "b": np.array([[1, 2], [3, 4]])})
    np.testing.assert_array_equal(out, [[1, 2, 4], [2, 6, 8]])


def test_bucketized_boundaries_one_hot():
    b = fc.bucketized_column(fc.numeric_column("x"), [0.0, 1.0, 2.0])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0], np.float32)
    out = _both(DenseFeatures([b]), {"x": x})
    np.testing.assert_array_equal(out, np.eye(4)[[0, 1, 1, 2, 3, 3]])


def test_bucketized_two_dims_dense_and_as_ids():
    b = fc.bucketized_column(fc.numeric_column("x", shape=(2,)), [0.0])
    assert b.num_buckets == 4
    x = np.array([[-1.0, 1.0], [1.0, 1.0]], np.float32)
    dense = _both(DenseFeatures([b]), {"x": x})
    np.testing.assert_array_equal(dense, [[1, 0, 0, 1], [0, 1, 0, 1]])
    # as ids, element j's bucket is offset by j * (len(boundaries) + 1)
    ids = _both(DenseFeatures([fc.indicator_column(b)]), {"x": x})
    np.testing.assert_array_equal(ids, [[1, 0, 0, 1], [0, 1, 0, 1]])


# ---- categorical ids ----------------------------------------------------------------------------
def test_vocabulary_list_oov_buckets_and_counts():
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b", "c"], num_oov_buckets=2)
    feats = {"v": np.array([["a", ""], ["z", "c"], ["b", "b"]])}
    out = _both(DenseFeatures([fc.indicator_column(v)]), feats)
    # TF 2.21's StaticVocabularyTable puts "z" in bucket 3 + Fingerprint64("z") % 2 = 4
    np.testing.assert_array_equal(out, [[1, 0, 0, 0, 0], [0, 0, 1, 0, 1], [0, 2, 0, 0, 0]])


def test_vocabulary_list_default_value_and_missing():
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b"], default_value=1)
    out = _both(DenseFeatures([fc.indicator_column(v)]), {"v": np.array([["a", "q"], ["", ""]])})
    np.testing.assert_array_equal(out, [[1, 1], [0, 0]])
    w = fc.categorical_column_with_vocabulary_list("w", ["a", "b"])  # default -1: not counted
    out = _both(DenseFeatures([fc.indicator_column(w)]), {"w": np.array([["a", "q"]])})
    np.testing.assert_array_equal(out, [[1, 0]])


def test_vocabulary_list_integer_keys_oov():
    v = fc.categorical_column_with_vocabulary_list("v", [10, 20], num_oov_buckets=3)
    out = _both(DenseFeatures([fc.indicator_column(v)]), {"v": np.array([[10, 7, 99, -1]])})
    # TF 2.21: 7 -> 3, 99 -> 2 (OOV by Fingerprint64 of the decimal text); -1 is missing
    np.testing.assert_array_equal(out, [[1, 0, 1, 1, 0]])


def test_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n")
    v = fc.categorical_column_with_vocabulary_file("v", str(path), num_oov_buckets=1)
    assert v.num_buckets == 4
    out = _both(DenseFeatures([fc.indicator_column(v)]), {"v": np.array([["c", "zz"], ["a", "a"]])})
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [2, 0, 0, 0]])
    short = fc.categorical_column_with_vocabulary_file("s", str(path), vocabulary_size=2)
    out = _both(DenseFeatures([fc.indicator_column(short)]), {"s": np.array([["a", "c"]])})
    np.testing.assert_array_equal(out, [[1, 0]])  # "c" is past vocabulary_size: id -1


def test_identity_default_value():
    i = fc.categorical_column_with_identity("i", 4, default_value=0)
    out = _both(DenseFeatures([fc.indicator_column(i)]), {"i": np.array([[1, 3, -1], [7, -5, 2]])})
    np.testing.assert_array_equal(out, [[0, 1, 0, 1], [2, 0, 1, 0]])


def test_hash_bucket_equals_to_hash_bucket_fast():
    h = fc.categorical_column_with_hash_bucket("h", 10)
    words = np.array(["x", "y", "z"])
    out = _both(DenseFeatures([fc.indicator_column(h)]), {"h": words})
    expect = o.strings.to_hash_bucket_fast(words, 10).numpy()
    np.testing.assert_array_equal(expect, [0, 5, 7])  # TF 2.21's buckets
    np.testing.assert_array_equal(out, np.eye(10)[expect])
    n = fc.categorical_column_with_hash_bucket("n", 10, dtype=o.int64)
    out = _both(DenseFeatures([fc.indicator_column(n)]), {"n": np.array([1, 2, 3, 42])})
    np.testing.assert_array_equal(out, np.eye(10)[[9, 9, 1, 6]])  # TF 2.21's buckets


def test_hash_bucket_dtype_mismatch():
    h = fc.categorical_column_with_hash_bucket("h", 10)
    with pytest.raises(ValueError, match="Column dtype and SparseTensors dtype must be compatible"):
        DenseFeatures([fc.indicator_column(h)])({"h": np.array([1, 2])})


def test_sparse_inputs_unordered_empty_and_rank_one():
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b", "c"])
    layer = DenseFeatures([fc.indicator_column(v)])
    unordered = o.sparse.SparseTensor([[2, 0], [0, 1], [0, 0]], o.constant(["c", "b", "b"]), [3, 2])
    np.testing.assert_array_equal(
        layer({"v": unordered}).numpy(), [[0, 2, 0], [0, 0, 0], [0, 0, 1]]
    )
    empty = o.sparse.SparseTensor(np.zeros((0, 2), np.int64), o.constant([], o.string), [2, 0])
    np.testing.assert_array_equal(_both(layer, {"v": empty}), np.zeros((2, 3)))
    rank1 = o.sparse.SparseTensor([[0], [2]], o.constant(["a", "c"]), [3])
    np.testing.assert_array_equal(_both(layer, {"v": rank1}), [[1, 0, 0], [0, 0, 0], [0, 0, 1]])


# ---- crossed ------------------------------------------------------------------------------------
def test_crossed_string_and_bucketized():
    b = fc.bucketized_column(fc.numeric_column("n"), [0.0, 1.0])
    c = fc.crossed_column(["h", b], 7)
    feats = {"h": np.array(["x", "y", "z"]), "n": np.array([-1.0, 0.5, 2.0], np.float32)}
    out = _both(DenseFeatures([fc.indicator_column(c)]), feats)
    # TF 2.21: tf.sparse.cross_hashed([[x],[y],[z]], [[0],[1],[2]], 7) -> 0, 5, 2
    np.testing.assert_array_equal(out, np.eye(7)[[0, 5, 2]])


def test_crossed_multivalent_sparse_and_hash_key():
    a = o.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], o.constant(["p", "q", "r"]), [3, 2])
    feats = {"a": a, "b": np.array([[1], [2], [3]], np.int64)}
    expect = np.zeros((3, 100))
    expect[0, [72, 27]] = 1  # TF 2.21's SparseCrossHashed ids
    expect[1, 36] = 1
    out = _both(DenseFeatures([fc.indicator_column(fc.crossed_column(["a", "b"], 100))]), feats)
    np.testing.assert_array_equal(out, expect)
    keyed = fc.crossed_column(["a", "b"], 100, hash_key=5)
    out = _both(DenseFeatures([fc.indicator_column(keyed)]), feats)
    assert [np.flatnonzero(r).tolist() for r in out] == [[52, 58], [92], []]


def test_crossed_nested_name_and_leaves():
    c1 = fc.crossed_column(["a", "b"], 10)
    c2 = fc.crossed_column([c1, "c"], 10)
    assert c2.name == "a_X_b_X_c"
    flat = fc.crossed_column(["a", "b", "c"], 10)
    feats = {"a": np.array(["u", "v"]), "b": np.array(["w", "x"]), "c": np.array(["y", "z"])}
    one = _both(DenseFeatures([fc.indicator_column(c2)]), feats)
    two = _both(DenseFeatures([fc.indicator_column(flat)]), feats)
    np.testing.assert_array_equal(one, two)


# ---- embeddings ---------------------------------------------------------------------------------
TABLE = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0], [-1.0, 1.0]], np.float32)


@pytest.mark.parametrize(
    "combiner, row0",
    [
        ("sum", [4.0, 4.0]),  # ids 0 and 2
        ("mean", [2.0, 2.0]),
        ("sqrtn", [4 / math.sqrt(2), 4 / math.sqrt(2)]),
    ],
)
def test_embedding_combiners(combiner, row0):
    i = fc.categorical_column_with_identity("i", 4)
    layer = DenseFeatures([fc.embedding_column(i, 2, combiner=combiner)])
    feats = {"i": np.array([[0, 2, -1], [1, -1, -1], [-1, -1, -1]])}
    layer(feats)
    _set_table(layer, TABLE)
    out = _both(layer, feats)
    np.testing.assert_allclose(out, [row0, [0.0, 2.0], [0.0, 0.0]], rtol=1e-6)


def test_embedding_weighted_and_sparse_input():
    i = fc.categorical_column_with_identity("i", 4)
    w = fc.weighted_categorical_column(i, "w")
    ids = o.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], o.constant([0, 2, 3], o.int64), [2, 2])
    wts = o.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], o.constant([1.0, 3.0, 2.0]), [2, 2])
    layer = DenseFeatures([fc.embedding_column(w, 2, combiner="mean")])
    feats = {"i": ids, "w": wts}
    layer(feats)
    _set_table(layer, TABLE)
    out = _both(layer, feats)
    # row 0: (1*[1,0] + 3*[3,4]) / 4; row 1: 2*[-1,1] / 2
    np.testing.assert_allclose(out, [[2.5, 3.0], [-1.0, 1.0]], rtol=1e-6)
    ind = _both(DenseFeatures([fc.indicator_column(w)]), feats)
    np.testing.assert_allclose(ind, [[1, 0, 3, 0], [0, 0, 0, 2]])


def test_embedding_max_norm_and_initializer():
    i = fc.categorical_column_with_identity("i", 4)
    col = fc.embedding_column(
        i, 2, combiner="sum", max_norm=1.0, initializer=keras.initializers.Ones()
    )
    layer = DenseFeatures([col])
    out = _both(layer, {"i": np.array([[0, 1]])})
    np.testing.assert_allclose(out, [[math.sqrt(2), math.sqrt(2)]], rtol=1e-6)  # 2 * [1,1]/sqrt 2
    default = DenseFeatures([fc.embedding_column(fc.categorical_column_with_identity("j", 500), 4)])
    default({"j": np.array([[0]])})
    table = default.weights[0].numpy()
    assert table.shape == (500, 4) and np.abs(table).max() <= 2 * 0.5 + 1e-6  # truncated, 1/sqrt(4)
    assert 0.3 < table.std() < 0.6


def test_embedding_gradient_under_tape():
    i = fc.categorical_column_with_identity("i", 4)
    layer = DenseFeatures([fc.embedding_column(i, 2, combiner="mean")])
    feats = {"i": np.array([[0, 2], [2, -1]])}
    layer(feats)
    _set_table(layer, TABLE)
    (table,) = layer.trainable_weights
    with o.GradientTape() as tape:
        loss = o.reduce_sum(layer(feats))
    grad = o.convert_to_tensor(tape.gradient(loss, table)).numpy()
    # mean over 2 ids in row 0 (0.5 each), 1 id in row 1: id 2 gets 0.5 + 1
    np.testing.assert_allclose(grad, [[0.5, 0.5], [0, 0], [1.5, 1.5], [0, 0]])


def test_embedding_not_trainable():
    i = fc.categorical_column_with_identity("i", 4)
    layer = DenseFeatures([fc.embedding_column(i, 2, trainable=False)])
    layer({"i": np.array([[0]])})
    assert len(layer.trainable_weights) == 0 and len(layer.non_trainable_weights) == 1


def test_shared_embeddings_share_one_table():
    a = fc.categorical_column_with_identity("a", 4)
    b = fc.categorical_column_with_identity("b", 4)
    ea, eb = fc.shared_embeddings([a, b], 2, combiner="sum")
    assert (ea.name, eb.name) == ("a_shared_embedding", "b_shared_embedding")
    assert ea.shared_embedding_column_creator is eb.shared_embedding_column_creator
    layer = DenseFeatures([eb, ea])
    feats = {"a": np.array([[0, 1]]), "b": np.array([[3, -1]])}
    layer(feats)
    assert len(layer.weights) == 1
    _set_table(layer, TABLE)
    np.testing.assert_allclose(_both(layer, feats), [[1.0, 2.0, -1.0, 1.0]])


# ---- the layer ----------------------------------------------------------------------------------
def test_dense_features_orders_columns_by_name_and_reports_each():
    cols = [fc.numeric_column("b"), fc.numeric_column("a", shape=(2,))]
    layer = DenseFeatures(cols)
    per = {}
    out = layer({"a": np.array([[1.0, 2.0]]), "b": np.array([3.0])}, cols_to_output_tensors=per)
    np.testing.assert_array_equal(out.numpy(), [[1, 2, 3]])
    np.testing.assert_array_equal(per[cols[0]].numpy(), [[3]])


def test_dense_features_errors():
    v = fc.categorical_column_with_vocabulary_list("v", ["a"])
    with pytest.raises(ValueError, match="Items of feature_columns must be a DenseColumn"):
        DenseFeatures([v])
    with pytest.raises(ValueError, match="feature_columns must not be empty"):
        DenseFeatures([])
    with pytest.raises(ValueError, match="Duplicate feature column name"):
        DenseFeatures([fc.numeric_column("a"), fc.numeric_column("a", shape=2)])
    layer = DenseFeatures([fc.numeric_column("a")])
    with pytest.raises(ValueError, match="We expected a dictionary here"):
        layer(np.array([1.0]))
    with pytest.raises(ValueError, match="Feature a is not in features dictionary"):
        layer({"b": np.array([1.0])})
    sp = o.sparse.SparseTensor([[0, 0]], o.constant([1.0]), [1, 1])
    with pytest.raises(ValueError, match="SparseTensor is not supported. key: a"):
        layer({"a": sp})


def test_sequence_columns_and_bad_combiner_are_refused():
    with pytest.raises(ValueError, match="Items of feature_columns must be a DenseColumn"):
        DenseFeatures([fc.sequence_numeric_column("s")])
    seq = fc.sequence_categorical_column_with_identity("q", 3)
    layer = DenseFeatures([fc.embedding_column(seq, 2)])
    with pytest.raises(ValueError, match="must not be of type SequenceCategoricalColumn"):
        layer({"q": np.array([[1]])})
    bad = DenseFeatures(
        [fc.embedding_column(fc.categorical_column_with_identity("i", 3), 2, "max")]
    )
    with pytest.raises(
        ValueError, match="combiner must be one of 'mean', 'sqrtn' or 'sum', got max"
    ):
        bad({"i": np.array([[1]])})


def test_config_round_trips_through_json():
    @keras.register_serializable(package="fc_test")
    def double(x):
        return x * 2

    b = fc.bucketized_column(fc.numeric_column("m", normalizer_fn=double), [0.0, 1.0])
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b"], num_oov_buckets=1)
    i = fc.categorical_column_with_identity("i", 4)
    sa, sb = fc.shared_embeddings([i, fc.categorical_column_with_identity("j", 4)], 3)
    cols = [
        fc.numeric_column("n", shape=2, default_value=[1.0, 2.0]),
        b,
        fc.indicator_column(fc.crossed_column([b, "v", i], 10, hash_key=3)),
        fc.embedding_column(v, 2, combiner="sqrtn"),
        fc.indicator_column(fc.weighted_categorical_column(i, "w")),
        sa,
        sb,
    ]
    layer = DenseFeatures(cols)
    config = json.loads(json.dumps(keras.layers.serialize(layer)))
    back = keras.layers.deserialize(config)
    assert [c.name for c in back._feature_columns] == [c.name for c in layer._feature_columns]
    same = [a == c for a, c in zip(layer._feature_columns, back._feature_columns)]
    assert same == [True, False, True, False, True, True, False]  # embeddings: new initializers
    shared = [c for c in back._feature_columns if "shared" in c.name]
    assert shared[0].shared_embedding_column_creator is shared[1].shared_embedding_column_creator
    feats = {
        "n": np.array([[1.0, 2.0]]), "m": np.array([0.6]), "v": np.array([["a", "q"]]),
        "i": np.array([[1]]), "j": np.array([[2]]), "w": np.array([[2.0]]),
    }  # fmt: skip
    expect = layer(feats).numpy()
    back(feats)
    back.set_weights(layer.get_weights())
    np.testing.assert_allclose(_both(back, feats), expect)
    # sorted by name, m_bucketized sits at columns 20:23: double(0.6) = 1.2 is in [1, inf)
    np.testing.assert_array_equal(expect[0, 20:25], [0, 0, 1, 1, 2])


def test_functional_model_on_dict_inputs():
    inputs = {
        "x": keras.layers.Input(shape=(1,), name="x"),
        "cat": keras.layers.Input(shape=(1,), name="cat", dtype="string"),
    }
    cols = [
        fc.numeric_column("x"),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("cat", ["a", "b", "c"])),
    ]
    out = DenseFeatures(cols)(inputs)
    assert tuple(out.shape) == (None, 4)


def test_parse_example_spec_feeds_the_layer():
    cols = [
        fc.numeric_column("n"),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("v", ["a", "b"])),
    ]
    spec = fc.make_parse_example_spec(cols)
    ex = o.train.Example(
        features=o.train.Features(
            feature={
                "n": o.train.Feature(float_list=o.train.FloatList(value=[2.5])),
                "v": o.train.Feature(bytes_list=o.train.BytesList(value=[b"b", b"b", b"a"])),
            }
        )
    )
    parsed = o.io.parse_example([ex.SerializeToString()], spec)
    out = _both(DenseFeatures(cols), dict(parsed))
    np.testing.assert_array_equal(out, [[2.5, 1, 2]])


def _columns():
    x = fc.numeric_column("x")
    xb = fc.bucketized_column(x, [0.0])
    cat = fc.categorical_column_with_vocabulary_list("cat", ["a", "b", "c"])
    return [
        x,
        xb,
        fc.embedding_column(cat, 4),
        fc.indicator_column(fc.crossed_column([xb, "cat"], 16)),
    ]


def _xor_data(n=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n).astype(np.float32)
    cat = rng.choice(["a", "b", "c"], size=n)
    y = ((x > 0) ^ (cat == "b")).astype(np.float32)
    return x, cat, y


def test_trains_in_a_traced_gradient_loop():
    x, cat, y = _xor_data()
    keras.utils.set_random_seed(0)
    features = DenseFeatures(_columns())
    head = keras.layers.Dense(1)
    opt = keras.optimizers.Adam(0.05)
    ds = keras.data.Dataset.from_tensor_slices(({"x": x, "cat": cat}, y)).batch(32)

    @o.function
    def step(f, t):
        with o.GradientTape() as tape:
            logits = o.reshape(head(features(f)), [-1])
            loss = o.reduce_mean(o.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=logits))
        variables = features.trainable_weights + head.trainable_weights
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    losses = [float(np.mean([step(f, t).numpy() for f, t in ds])) for _ in range(12)]
    assert losses[-1] < 0.15 < losses[0]


def test_trains_with_fit_on_a_dict_dataset():
    models = pytest.importorskip("tensorhouse_models")
    x, cat, y = _xor_data()
    keras.utils.set_random_seed(0)

    class Wide(models.Model):
        def __init__(self):
            super().__init__()
            self.features = DenseFeatures(_columns())
            self.head = keras.layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            return self.head(self.features(inputs))

    model = Wide()
    model.compile(
        optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )
    ds = (
        keras.data.Dataset.from_tensor_slices(({"x": x, "cat": cat}, y))
        .shuffle(256, seed=1)
        .batch(32)
    )
    history = model.fit(ds, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.15 < history.history["loss"][0]
    assert history.history["accuracy"][-1] >= 0.98
