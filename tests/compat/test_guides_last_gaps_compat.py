"""The TF guides' last gaps (issue 18): ``adjust_contrast`` has no gradient (TF's LookupError
names its op), and a traced string ``+`` is a graph node named ``add``."""

import numpy as np
import pytest


def test_adjust_contrast_values_and_no_gradient(tf):
    image = tf.Variable([[[0.5, 0.0, 0.0], [0.1, 0.4, 0.2]]])
    factor = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        out = tf.image.adjust_contrast(image, factor)
    mean = np.array([0.3, 0.2, 0.1], np.float32)
    want = (np.array([[[0.5, 0.0, 0.0], [0.1, 0.4, 0.2]]], np.float32) - mean) * 2.0 + mean
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-7)
    with pytest.raises(LookupError, match="gradient registry has no entry for: AdjustContrastv2"):
        tape.gradient(out, [image, factor])


def test_adjust_contrast_has_no_gradient_inside_a_function(tf):
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.image.adjust_contrast(x, 1.5)
        return tape.gradient(y, x)

    # TF wraps it in its StagingError (traced user code); the message is the same
    with pytest.raises(Exception, match="gradient registry has no entry for: AdjustContrastv2"):
        f(tf.ones([2, 2, 3]))


@pytest.mark.parametrize("spec", ["scalar", "unknown_rank"])
def test_traced_string_add_is_a_node_named_add(tf, spec):
    specs = {"scalar": tf.TensorSpec([], tf.string), "unknown_rank": tf.TensorSpec(None, tf.string)}

    @tf.function
    def double(a):
        return a + a

    cf = double.get_concrete_function(specs[spec])
    edges = [(list(n.input), n.name) for n in cf.graph.as_graph_def().node]
    assert edges == [([], "a"), (["a", "a"], "add"), (["add"], "Identity")]
    x = tf.constant("ab") if spec == "scalar" else tf.constant(["x", "yz"])
    want = b"abab" if spec == "scalar" else [b"xx", b"yzyz"]
    assert np.asarray(cf(x).numpy()).tolist() == want


def test_string_join_takes_its_name(tf):
    @tf.function
    def f(a):
        return tf.strings.join([a, a], separator="-", name="joined")

    cf = f.get_concrete_function(tf.TensorSpec([], tf.string))
    assert [n.name for n in cf.graph.as_graph_def().node] == ["a", "joined", "Identity"]
    assert cf(tf.constant("q")).numpy() == b"q-q"
