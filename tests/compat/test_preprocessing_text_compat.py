"""tf.keras.layers string preprocessing (StringLookup, IntegerLookup, Hashing, HashedCrossing,
TextVectorization): vocabularies, indices, bins, dtypes and config keys as Keras 3.15 has them,
eagerly, in a tf.function and in Dataset.map."""

import numpy as np
import pytest

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "cat, dog; and the BIRD?", "a a a b"]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def as_list(x):
    return np.asarray(x).tolist()


def test_string_lookup_adapt_int_and_modes(tf):
    L = tf.keras.layers
    data = np.array([["a", "b", "c", "a"], ["d", "a", "b", "x"]])
    layer = L.StringLookup(mask_token="")
    layer.adapt(data)
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b", "x", "d", "c"]
    assert layer.vocabulary_size() == 7
    x = np.array([["a", "zz", "", ""], ["b", "c", "d", "a"]])
    out = layer(x)
    assert out.dtype == tf.int64 and as_list(out) == [[2, 1, 0, 0], [3, 6, 5, 2]]
    fn = tf.function(lambda t: layer(t))
    assert as_list(fn(tf.constant(x.tolist()))) == [[2, 1, 0, 0], [3, 6, 5, 2]]
    count = L.StringLookup(output_mode="count", mask_token="")
    count.adapt(data)
    out = count(x)
    assert out.dtype == tf.int64 and as_list(out) == [[1, 1, 0, 0, 0, 0], [0, 1, 1, 0, 1, 1]]
    one = L.StringLookup(output_mode="one_hot")
    one.adapt(data)
    assert as_list(one(np.array(["a", "b", "q"]))) == [
        [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]
    ]  # fmt: skip
    multi = L.StringLookup(vocabulary=["b", "a"], output_mode="multi_hot")
    assert as_list(multi(tf.constant(["a", "b", "b"]))) == [0, 1, 1]


def test_string_lookup_tf_idf(tf):
    layer = tf.keras.layers.StringLookup(output_mode="tf_idf", mask_token="")
    layer.adapt(np.array([["a", "b", "c", "a"], ["d", "a", "b", "x"]]))
    weights = np.log(1 + 2 / np.array([3, 3, 2, 2, 2]))  # a, b, x, d, c: documents + 1
    out = layer(np.array([["a", "zz", "", ""], ["b", "c", "d", "a"]]))
    assert out.dtype == tf.float32
    close(out, [[weights.mean(), weights[0], 0, 0, 0, 0],
                [0, weights[0], weights[1], 0, weights[3], weights[4]]])  # fmt: skip


def test_string_lookup_oov_buckets_invert_and_config(tf):
    L = tf.keras.layers
    layer = L.StringLookup(vocabulary=["x", "y"], num_oov_indices=3, mask_token="[M]")
    assert as_list(layer(tf.constant(["x", "y", "q", "hello", "[M]"]))) == [4, 5, 3, 2, 0]
    assert layer.get_vocabulary(include_special_tokens=False) == ["x", "y"]
    config = layer.get_config()
    assert sorted(config) == sorted([
        "dtype", "encoding", "idf_weights", "invert", "mask_token", "max_tokens", "name",
        "num_oov_indices", "oov_method", "oov_token", "output_mode", "pad_to_max_tokens",
        "salt", "sparse", "trainable", "vocabulary", "vocabulary_size",
    ])  # fmt: skip
    assert config["vocabulary"] == ["x", "y"] and config["vocabulary_size"] == 6
    copy = L.StringLookup.from_config(config)
    assert copy.get_vocabulary() == layer.get_vocabulary()
    inv = L.StringLookup(vocabulary=["x", "y"], invert=True, mask_token="")
    assert as_list(inv(tf.constant([0, 1, 2, 3, 7], tf.int64))) == [
        b"", b"[UNK]", b"x", b"y", b"[UNK]"
    ]  # fmt: skip
    padded = L.StringLookup(max_tokens=3, pad_to_max_tokens=True, output_mode="multi_hot")
    padded.adapt(["a", "b", "b", "c", "c", "c"])
    assert padded.get_vocabulary() == ["[UNK]", "c", "b"]
    assert as_list(padded(["b", "c"])) == [0, 1, 1]
    with pytest.raises(ValueError, match="repeated term"):
        L.StringLookup(vocabulary=["a", "a"])


def test_string_lookup_adapt_dataset_and_map(tf):
    L = tf.keras.layers
    layer = L.StringLookup()
    layer.adapt(tf.data.Dataset.from_tensor_slices(["b", "a", "b", "c", "c", "c"]).batch(4))
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    ds = tf.data.Dataset.from_tensor_slices([["a", "c"], ["z", "b"]]).batch(2).map(layer)
    assert [as_list(b) for b in ds] == [[[3, 1], [0, 2]]]


def test_integer_lookup_oov_methods(tf):
    L = tf.keras.layers
    floor = L.IntegerLookup(num_oov_indices=3, vocabulary=[5, 6])
    assert as_list(floor(np.array([5, 6, 7, 8, 9, 10]))) == [3, 4, 1, 2, 0, 1]
    farm = L.IntegerLookup(num_oov_indices=3, vocabulary=[5, 6], oov_method="farmhash")
    assert as_list(farm(np.array([5, 6, 7, 8, 9, 10]))) == [3, 4, 1, 1, 2, 2]
    layer = L.IntegerLookup()
    layer.adapt(tf.data.Dataset.from_tensor_slices([[1, 2], [2, 3], [3, 3]]).batch(2))
    assert layer.get_vocabulary() == [-1, 3, 2, 1]
    assert layer.get_config()["vocabulary_size"] == 4


def test_hashing(tf):
    L = tf.keras.layers
    x = np.array([["a", "b"], ["c", ""]])
    out = L.Hashing(num_bins=7)(x)
    assert out.dtype == tf.int64 and as_list(out) == [[5, 2], [5, 6]]
    assert as_list(L.Hashing(num_bins=7, mask_value="")(x)) == [[4, 5], [5, 0]]
    salted = tf.constant([["a", "b"], ["c", ""]])
    assert as_list(L.Hashing(num_bins=7, salt=[133, 137])(salted)) == [[4, 4], [0, 6]]
    assert as_list(L.Hashing(num_bins=7, salt=133)(salted)) == [[4, 5], [3, 6]]
    assert as_list(L.Hashing(num_bins=7)(np.array([[1, 2], [3, 0]]))) == [[5, 5], [2, 2]]
    assert as_list(L.Hashing(num_bins=7, mask_value=0)(np.array([[1, 2], [3, 0]]))) == [
        [4, 2], [4, 0]
    ]  # fmt: skip
    multi = L.Hashing(num_bins=4, output_mode="multi_hot")(np.array([["a", "b"], ["c", "a"]]))
    assert multi.dtype == tf.float32
    assert as_list(multi) == [[0, 0, 1, 1], [1, 0, 0, 1]]
    layer = L.Hashing(num_bins=4, output_mode="one_hot")
    assert as_list(layer(np.array(["a", "b", "a"]))) == [[0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert sorted(layer.get_config()) == sorted(
        ["dtype", "mask_value", "name", "num_bins", "output_mode", "salt", "sparse", "trainable"]
    )


def test_hashed_crossing(tf):
    L = tf.keras.layers
    layer = L.HashedCrossing(num_bins=10)
    out = layer((np.array(["a", "b", "hello"]), np.array([1, 2, -3])))
    assert out.dtype == tf.int64 and as_list(out) == [5, 7, 4]
    one_hot = L.HashedCrossing(num_bins=5, output_mode="one_hot")
    out = one_hot((np.array([["a"], ["b"]]), np.array([[1], [2]])))
    assert out.dtype == tf.float32 and as_list(out) == [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]
    assert int(L.HashedCrossing(num_bins=5)(("a", 1))) == 0
    assert as_list(layer([np.array(["a", "b"]), np.array([1, 2])])) == [5, 7]  # a list too
    a = tf.keras.Input(shape=(1,), dtype="string")
    b = tf.keras.Input(shape=(1,), dtype="int64")
    crossed = L.HashedCrossing(num_bins=10, output_mode="one_hot")([a, b])
    assert tuple(crossed.shape) == (None, 10)
    model = tf.keras.Model([a, b], crossed)
    out = model([tf.constant([["a"], ["b"]]), tf.constant([[1], [2]], tf.int64)])
    assert as_list(np.argmax(out, -1)) == [5, 7]
    with pytest.raises(ValueError, match="at least two inputs"):
        layer((np.array([1]),))


def test_text_vectorization_adapt_and_call(tf):
    L = tf.keras.layers
    layer = L.TextVectorization()
    layer.adapt(np.array(DOCS))
    assert layer.get_vocabulary() == [
        "", "[UNK]", "the", "a", "dog", "cat", "sat", "on", "my", "mat", "homework", "bird",
        "b", "ate", "and",
    ]  # fmt: skip
    out = layer(np.array(DOCS))
    assert out.dtype == tf.int64
    assert as_list(out) == [[2, 5, 6, 7, 2, 9], [2, 4, 13, 8, 10, 0], [5, 4, 14, 2, 11, 0],
                            [3, 3, 3, 12, 0, 0]]  # fmt: skip
    short = L.TextVectorization(max_tokens=8, output_sequence_length=4)
    short.adapt(np.array(DOCS))
    expected = [[2, 5, 6, 7], [2, 4, 1, 1], [5, 4, 1, 2], [3, 3, 3, 1]]
    assert as_list(short(np.array(DOCS))) == expected
    assert as_list(short(np.array([["Cat sat"]]))) == [[5, 6, 0, 0]]
    fn = tf.function(lambda t: short(t))
    assert as_list(fn(tf.constant(DOCS))) == expected
    ds = tf.data.Dataset.from_tensor_slices(DOCS).batch(2).map(short)
    assert [as_list(b) for b in ds] == [expected[:2], expected[2:]]
    config = short.get_config()
    assert sorted(config) == sorted([
        "dtype", "encoding", "idf_weights", "max_tokens", "name", "ngrams", "output_mode",
        "output_sequence_length", "pad_to_max_tokens", "ragged", "sparse", "split",
        "standardize", "trainable", "vocabulary", "vocabulary_size",
    ])  # fmt: skip
    assert config["vocabulary_size"] == 8


def test_text_vectorization_ngrams_modes(tf):
    L = tf.keras.layers
    layer = L.TextVectorization(ngrams=2, output_mode="count")
    layer.adapt(tf.data.Dataset.from_tensor_slices(DOCS).batch(2))
    assert layer.get_vocabulary()[:12] == [
        "[UNK]", "the", "a", "dog", "cat", "a a", "the mat", "the dog", "the cat", "the bird",
        "sat on", "sat",
    ]  # fmt: skip
    assert layer.vocabulary_size() == 29
    out = layer(np.array(DOCS[:2]))
    assert out.dtype == tf.int64
    assert as_list(out)[0][:10] == [0, 2, 0, 0, 1, 0, 1, 0, 1, 0]
    tfidf = L.TextVectorization(output_mode="tf_idf", standardize="lower")
    tfidf.adapt(np.array(DOCS))
    out = tfidf(np.array(DOCS[3:]))
    close(out[0][:3], [0.0, 0.0, 3 * np.log(1 + 4 / 2)], 1e-4)
    chars = L.TextVectorization(output_mode="multi_hot", split="character", standardize=None,
                                vocabulary=["a", "b", "c"])  # fmt: skip
    assert as_list(chars(["abcz", "Aa"])) == [[1, 1, 1, 1], [1, 1, 0, 0]]
    ragged = L.TextVectorization(ragged=True, vocabulary=["the", "cat"])
    assert ragged(["the cat the", "dog"]).to_list() == [[2, 3, 2], [1]]
    whole = L.TextVectorization(split=None, vocabulary=["a b", "c"], output_sequence_length=3)
    assert as_list(whole(np.array([["A B"], ["c"], ["d"]]))) == [[2, 0, 0], [3, 0, 0], [1, 0, 0]]
    with pytest.raises(ValueError, match="output_sequence_length"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)


def test_text_model_trains_through_dataset(tf):
    L = tf.keras.layers
    docs = ["good great fine", "bad awful poor", "great good", "poor bad", "fine good great",
            "awful bad"] * 20  # fmt: skip
    labels = np.array([1, 0, 1, 0, 1, 0] * 20, dtype="float32")
    vectorize = L.TextVectorization(output_sequence_length=4)
    vectorize.adapt(np.array(docs))
    inputs = tf.keras.Input(shape=(1,), dtype="string")
    x = L.Embedding(vectorize.vocabulary_size(), 4)(vectorize(inputs))
    outputs = L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x))
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    ds = tf.data.Dataset.from_tensor_slices(([[d] for d in docs], labels)).batch(12)
    history = model.fit(ds, epochs=5, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    assert as_list(np.round(model(tf.constant([["good great"], ["bad poor"]])))) == [[1], [0]]
    lookup = L.StringLookup(vocabulary=["red", "green", "blue"])
    names = ["red", "blue", "green", "pink"] * 10
    colors = tf.data.Dataset.from_tensor_slices((names, np.array([1, 0, 1, 0] * 10, "float32")))
    mapped = colors.batch(4).map(lambda a, b: (lookup(a), b))
    small = tf.keras.Sequential([L.Embedding(4, 3), L.Dense(1, activation="sigmoid")])
    small.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    assert small.fit(mapped, epochs=10, verbose=0).history["accuracy"][-1] == 1.0


def test_given_idf_weights_and_set_vocabulary(tf):
    L = tf.keras.layers
    layer = L.TextVectorization(
        output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[0.5, 0.25]
    )
    close(layer(np.array(["a a b q"])), [[0.375, 1.0, 0.25]])  # OOV weight: the mean
    layer.set_vocabulary(["b", "c"], idf_weights=[1.0, 2.0])
    close(layer(np.array(["a b c c"])), [[1.5, 1.0, 4.0]])
    assert layer.get_vocabulary() == ["[UNK]", "b", "c"]
    special = L.StringLookup(
        output_mode="tf_idf",
        vocabulary=["[UNK]", "a", "b"],
        idf_weights=[0.1, 0.5, 0.25],
        pad_to_max_tokens=True,
        max_tokens=5,
    )
    close(special(np.array([["a", "q"]])), [[0.1, 0.5, 0.0, 0.0, 0.0]])
    ints = L.IntegerLookup(vocabulary=[7, 8])
    ints.set_vocabulary([9, 10, 11])
    assert as_list(ints(np.array([9, 7, 11]))) == [1, 0, 3]
    assert ints.get_config()["vocabulary"] == [7, 8]  # the constructor's, as Keras keeps it
    frozen = L.StringLookup(vocabulary=["a"], output_mode="count")
    with pytest.raises(RuntimeError, match="vocabulary size cannot be changed"):
        frozen.set_vocabulary(["a", "b"])
