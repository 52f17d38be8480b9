"""TextVectorization's ``int`` output cut and padded to ``output_sequence_length`` (ngrams
looked up straight into the padded rows), checked against TF: eagerly and in Dataset.map."""

from __future__ import annotations

TEXT = ["a b c", "C, a b!", "", "a b c a b c a z"]
# unigrams then bigrams per row, 1 the OOV id, 0 the padding
WANT = [[2, 3, 4, 5, 6, 0], [4, 2, 3, 1, 5, 0], [0, 0, 0, 0, 0, 0], [2, 3, 4, 2, 3, 4]]


def test_ngrams_cut_and_padded(tf):
    layer = tf.keras.layers.TextVectorization(
        vocabulary=["a", "b", "c", "a b", "b c"], ngrams=2, output_sequence_length=6
    )
    x = tf.constant(TEXT)
    out = layer(x)
    assert out.dtype == tf.int64 and out.numpy().tolist() == WANT
    batches = tf.data.Dataset.from_tensor_slices(x).batch(2).map(layer)
    assert batches.element_spec.shape.as_list() == [None, 6]
    assert [b.numpy().tolist() for b in batches] == [WANT[:2], WANT[2:]]


def test_ragged_output_is_cut_not_padded(tf):
    layer = tf.keras.layers.TextVectorization(
        vocabulary=["a", "b"], output_sequence_length=2, ragged=True
    )
    out = layer(tf.constant(TEXT))
    assert isinstance(out, tf.RaggedTensor)
    assert out.to_list() == [[2, 3], [1, 2], [], [2, 3]]
