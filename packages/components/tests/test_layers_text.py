"""The string preprocessing layers: StringLookup / IntegerLookup on tf.lookup tables, Hashing,
HashedCrossing and TextVectorization. Hand-computed vocabularies and indices, FarmHash bins
from their definition, eager == traced == Dataset.map, config round trips and Keras's errors."""

import numpy as np
import pytest
from farmhash import Fingerprint64

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "cat, dog; and the BIRD?", "a a a b"]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def traced(layer, x):
    return tf.function(lambda t: layer(t))(tf.constant(x))


def round_trip(layer):
    return layers.deserialize(layers.serialize(layer))


# ---- StringLookup -----------------------------------------------------------------------------
def test_string_lookup_adapt_by_frequency_ties_by_larger_token():
    layer = layers.StringLookup()
    layer.adapt(np.array(["b", "a", "c", "b", "d", "d"]))
    assert layer.get_vocabulary() == ["[UNK]", "d", "b", "c", "a"]  # 2,2 then d > b; c > a
    x = np.array([["b", "zz"], ["a", "d"]])
    assert layer(x).numpy().tolist() == [[2, 0], [4, 1]]
    assert traced(layer, x.tolist()).numpy().tolist() == [[2, 0], [4, 1]]
    mapped = Dataset.from_tensor_slices(x.tolist()).batch(2).map(layer)
    assert [b.numpy().tolist() for b in mapped] == [[[2, 0], [4, 1]]]
    assert layer(tf.constant("c")).numpy() == 3  # a scalar stays a scalar
    assert layer.vocabulary_size() == 5


def test_string_lookup_mask_oov_buckets_and_invert():
    layer = layers.StringLookup(vocabulary=["x", "y"], num_oov_indices=3, mask_token="[M]")
    assert layer.get_vocabulary() == ["[M]", "[UNK]", "[UNK]", "[UNK]", "x", "y"]
    words = ["x", "y", "q", "hello", "[M]"]
    buckets = [1 + Fingerprint64(w.encode()) % 3 for w in ("q", "hello")]
    assert layer(np.array(words)).numpy().tolist() == [4, 5, *buckets, 0]
    inv = layers.StringLookup(vocabulary=["x", "y"], invert=True, mask_token="")
    out = inv(tf.constant([0, 1, 2, 3, 7], tf.int64)).numpy().tolist()
    assert out == [b"", b"[UNK]", b"x", b"y", b"[UNK]"]
    assert inv.get_vocabulary() == ["", "[UNK]", "x", "y"]


def test_string_lookup_encodings_and_tf_idf():
    data = np.array([["a", "b", "c", "a"], ["d", "a", "b", "x"]])
    count = layers.StringLookup(output_mode="count", mask_token="")
    count.adapt(data)  # a: 3; b: 2; c, d, x: 1 -> x > d > c
    assert count.get_vocabulary() == ["[UNK]", "a", "b", "x", "d", "c"]  # no mask slot
    out = count(np.array([["a", "zz", "", ""], ["b", "c", "d", "a"]]))
    assert out.dtype == tf.int64
    assert out.numpy().tolist() == [[1, 1, 0, 0, 0, 0], [0, 1, 1, 0, 1, 1]]
    multi = layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    assert multi(np.array(["b", "b", "q"])).numpy().tolist() == [1, 0, 1]  # 1-D: one sample
    one = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    assert one(np.array(["b", "q"])).numpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.adapt(data)
    idf = {"a": np.log(1 + 2 / 3), "b": np.log(1 + 2 / 3)}
    idf.update({t: np.log(2.0) for t in ("x", "d", "c")})
    oov = np.mean(list(idf.values()))
    expected = [[oov * 1, 2 * idf["a"], idf["b"], 0, 0, 0]]
    close(tfidf(np.array([["a", "b", "a", "q"]])), expected)
    close(traced(tfidf, [["a", "b", "a", "q"]]), expected)
    padded = layers.StringLookup(max_tokens=5, pad_to_max_tokens=True, output_mode="count")
    padded.adapt(["a", "b", "b"])
    assert padded(np.array([["b", "q"]])).numpy().tolist() == [[1, 1, 0, 0, 0]]


def test_string_lookup_max_tokens_config_and_file(tmp_path):
    layer = layers.StringLookup(max_tokens=3)
    layer.adapt(Dataset.from_tensor_slices([["a", "b"], ["b", "c"], ["c", "c"]]).batch(2))
    assert layer.get_vocabulary() == ["[UNK]", "c", "b"]
    given = layers.StringLookup(vocabulary=["p", "q"], mask_token="")
    config = given.get_config()
    assert config["vocabulary"] == ["p", "q"] and config["vocabulary_size"] == 4
    assert "vocabulary_dtype" not in config and config["encoding"] == "utf-8"
    copy = round_trip(given)
    assert copy.get_vocabulary() == ["", "[UNK]", "p", "q"]
    assert copy(np.array(["q", "p", "", "r"])).numpy().tolist() == [3, 2, 0, 1]
    path = tmp_path / "vocab.txt"
    path.write_text("red\ngreen\nblue\n")
    from_file = layers.StringLookup(vocabulary=str(path))
    assert from_file.get_vocabulary() == ["[UNK]", "red", "green", "blue"]
    assert from_file(np.array(["blue", "pink"])).numpy().tolist() == [3, 0]


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeated term"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="Found reserved mask token"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        layers.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(RuntimeError, match="must set the layer's vocabulary"):
        layers.StringLookup(output_mode="count")(np.array(["a"]))
    with pytest.raises(ValueError, match="`idf_weights` argument must also be provided"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="does not exist"):
        layers.StringLookup(vocabulary="/nonexistent/vocab.txt")
    strict = layers.StringLookup(vocabulary=["a"], num_oov_indices=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r'found OOV values \["zz" "yy"\]'):
        strict(np.array(["a", "zz", "yy"]))


# ---- IntegerLookup on tables -------------------------------------------------------------------
def test_integer_lookup_large_vocabulary_is_a_table():
    vocab = np.arange(0, 300_000, 3)  # 100,000 tokens: no input x vocabulary comparison
    layer = layers.IntegerLookup(vocabulary=vocab)
    x = np.array([[0, 3, 299_997], [1, 6, -3]])
    expected = [[1, 2, 100_000], [0, 3, 0]]
    assert layer(x).numpy().tolist() == expected
    assert traced(layer, x).numpy().tolist() == expected
    farm = layers.IntegerLookup(vocabulary=[5, 6], num_oov_indices=3, oov_method="farmhash")
    buckets = [Fingerprint64(str(v).encode()) % 3 for v in (7, 8, 9, 10)]  # slots 0..2
    assert farm(np.array([5, 6, 7, 8, 9, 10])).numpy().tolist() == [3, 4, *buckets]
    assert buckets == [1, 1, 2, 2]  # TF 2.21's
    floor = layers.IntegerLookup(vocabulary=[5, 6], num_oov_indices=3)
    assert floor(np.array([5, 7, 8, 9])).numpy().tolist() == [3, 1, 2, 0]


# ---- Hashing / HashedCrossing -------------------------------------------------------------------
def test_hashing_bins_are_fingerprint64():
    x = np.array([["a", "b"], ["c", ""]])
    bins = [[Fingerprint64(s.encode()) % 7 for s in row] for row in x]
    layer = layers.Hashing(num_bins=7)
    out = layer(x)
    assert out.dtype == tf.int64 and out.numpy().tolist() == bins == [[5, 2], [5, 6]]
    assert traced(layer, x.tolist()).numpy().tolist() == bins
    masked = layers.Hashing(num_bins=7, mask_value="")
    expected = [[1 + Fingerprint64(s.encode()) % 6 if s else 0 for s in row] for row in x]
    assert masked(x).numpy().tolist() == expected
    ints = layers.Hashing(num_bins=7)(np.array([[1, 2], [3, 0]]))
    assert ints.numpy().tolist() == [[Fingerprint64(str(v).encode()) % 7 for v in r]
                                     for r in ([1, 2], [3, 0])]  # fmt: skip
    floats = layers.Hashing(num_bins=7)(np.array([[1.7, 2.2], [3.0, 0.0]]))
    assert floats.numpy().tolist() == ints.numpy().tolist()  # floats truncate to int64 first


def test_hashing_salt_and_encodings():
    salted = layers.Hashing(num_bins=7, salt=[133, 137])
    assert salted(tf.constant([["a", "b"], ["c", ""]])).numpy().tolist() == [[4, 4], [0, 6]]
    assert salted.get_config()["salt"] == [133, 137]
    assert layers.Hashing(num_bins=3, salt=5).salt == [5, 5]
    multi = layers.Hashing(num_bins=4, output_mode="multi_hot")(np.array([["a", "b"], ["c", "a"]]))
    assert multi.dtype == tf.float32
    assert multi.numpy().tolist() == [[0, 0, 1, 1], [1, 0, 0, 1]]
    count = layers.Hashing(num_bins=4, output_mode="count")(np.array(["a", "b", "a"]))
    assert count.numpy().tolist() == [0, 0, 1, 2]
    with pytest.raises(ValueError, match="cannot be `None` or non-positive"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="should be an integer type"):
        layers.Hashing(num_bins=3, dtype="float32")


def test_hashed_crossing():
    layer = layers.HashedCrossing(num_bins=10)
    out = layer((np.array(["a", "b", "hello"]), np.array([1, 2, -3])))
    assert out.dtype == tf.int64 and out.numpy().tolist() == [5, 7, 4]  # TF 2.21's bins
    both = (tf.constant([["a"], ["b"]]), tf.constant([[1], [2]], tf.int64))
    assert layer(both).numpy().tolist() == [[5], [7]]
    fn = tf.function(lambda a, b: layer((a, b)))
    assert fn(*both).numpy().tolist() == [[5], [7]]
    one_hot = layers.HashedCrossing(num_bins=10, output_mode="one_hot")(both)
    close(one_hot, np.eye(10)[[5, 7]])
    assert layers.HashedCrossing(num_bins=5)(("a", 1)).numpy() == 0
    with pytest.raises(ValueError, match="at least two inputs"):
        layer((np.array([1]),))
    with pytest.raises(ValueError, match="equal shape"):
        layer((np.array([1, 2]), np.array([1])))
    config = layer.get_config()
    assert config["num_bins"] == 10 and config["output_mode"] == "int"


# ---- TextVectorization ----------------------------------------------------------------------
def test_text_vectorization_adapt_and_int_output():
    layer = layers.TextVectorization()
    layer.adapt(np.array(DOCS))
    vocab = layer.get_vocabulary()
    assert vocab[:6] == ["", "[UNK]", "the", "a", "dog", "cat"]  # the: 5, a: 3, dog/cat: 2
    assert layer.vocabulary_size() == 15
    out = layer(np.array(DOCS))
    assert out.numpy().tolist()[3] == [3, 3, 3, vocab.index("b"), 0, 0]  # padded to longest
    assert out.numpy().tolist()[0] == [2, 5, vocab.index("sat"), vocab.index("on"), 2,
                                       vocab.index("mat")]  # fmt: skip


def test_text_vectorization_sequence_length_traced_and_dataset():
    layer = layers.TextVectorization(max_tokens=8, output_sequence_length=4)
    layer.adapt(np.array(DOCS))
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "a", "dog", "cat", "sat", "on"]
    expected = [[2, 5, 6, 7], [2, 4, 1, 1], [5, 4, 1, 2], [3, 3, 3, 1]]
    assert layer(np.array(DOCS)).numpy().tolist() == expected
    assert traced(layer, DOCS).numpy().tolist() == expected
    mapped = Dataset.from_tensor_slices(DOCS).batch(2).map(layer)
    assert [b.numpy().tolist() for b in mapped] == [expected[:2], expected[2:]]
    assert layer(np.array([["Cat sat"]])).numpy().tolist() == [[5, 6, 0, 0]]
    assert layer.compute_output_shape((None, 1)) == (None, 4)


def test_text_vectorization_ngrams_counts_from_dataset():
    layer = layers.TextVectorization(ngrams=2, output_mode="count")
    layer.adapt(Dataset.from_tensor_slices(DOCS).batch(2))  # streamed batch by batch
    vocab = layer.get_vocabulary()
    assert vocab[:6] == ["[UNK]", "the", "a", "dog", "cat", "a a"]
    assert layer.vocabulary_size() == 29
    out = layer(np.array(["the cat the cat zebra"])).numpy()[0]
    assert out[vocab.index("the")] == 2 and out[vocab.index("the cat")] == 2
    assert out[vocab.index("cat")] == 2 and out[0] == 3  # zebra, cat the, cat zebra: OOV
    assert out.sum() == 9  # 5 unigrams + 4 bigrams


def test_text_vectorization_modes_and_options():
    chars = layers.TextVectorization(output_mode="multi_hot", split="character",
                                     standardize=None, vocabulary=["a", "b", "c"])  # fmt: skip
    assert chars(np.array(["abcz", "Aa"])).numpy().tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    ragged = layers.TextVectorization(ragged=True, vocabulary=["the", "cat"])
    out = ragged(np.array(["the cat the", "dog"]))
    assert isinstance(out, tf.RaggedTensor) and out.to_list() == [[2, 3, 2], [1]]
    whole = layers.TextVectorization(split=None, vocabulary=["a b", "c"], output_sequence_length=3)
    assert whole(np.array([["A B"], ["c"], ["d"]])).numpy().tolist() == [[2, 0, 0], [3, 0, 0],
                                                                          [1, 0, 0]]  # fmt: skip
    bigrams = layers.TextVectorization(ngrams=(2,), vocabulary=["the cat"])
    assert bigrams(np.array(["the cat sat"])).numpy().tolist() == [[2, 1]]
    custom = layers.TextVectorization(
        standardize=lambda x: tf.strings.regex_replace(x, "[0-9]", ""),
        split=lambda x: tf.strings.split(x, sep="-"),
        vocabulary=["ab", "cd"],
    )
    assert custom(np.array(["ab1-cd2-ef"])).numpy().tolist() == [[2, 3, 1]]
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(np.array(["x y", "x"]))
    idf_x, idf_y = np.log(1 + 2 / 3), np.log(1 + 2 / 2)
    close(tfidf(np.array(["x x y q"])), [[(idf_x + idf_y) / 2, 2 * idf_x, idf_y]])


def test_text_vectorization_config_and_errors():
    layer = layers.TextVectorization(max_tokens=8, ngrams=2, output_sequence_length=4)
    layer.adapt(np.array(DOCS))
    config = layer.get_config()
    assert config["vocabulary_size"] == 8 and config["ngrams"] == 2
    assert config["standardize"] == "lower_and_strip_punctuation"
    given = layers.TextVectorization(vocabulary=["x", "y"], output_sequence_length=3)
    copy = round_trip(given)
    assert copy.get_vocabulary() == ["", "[UNK]", "x", "y"]
    assert copy(np.array(["y x z"])).numpy().tolist() == [[3, 2, 1]]
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="`ngrams` must be None, an integer"):
        layers.TextVectorization(ngrams="2")
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        given(np.array([["a", "b"]]))
