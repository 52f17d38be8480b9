"""``+`` on string tensors inside tf.function (issue 18): one ``Add`` node named ``add`` whatever
the shapes (TF broadcasts inside it, with no ``BroadcastTo`` nodes), the broadcast values, and
TF's errors for shapes that do not broadcast (a ValueError while tracing, else at run time)."""

import numpy as np
import pytest


def _nodes(tf, fn, *specs):
    graph = fn.get_concrete_function(*[tf.TensorSpec(s, tf.string) for s in specs]).graph
    return [(n.name, n.op, list(n.input)) for n in graph.as_graph_def().node]


def test_string_add_is_one_add_node(tf):
    @tf.function
    def f(a, b):
        return a + b

    want = [("a", "Placeholder", []), ("b", "Placeholder", []), ("add", "Add", ["a", "b"]),
            ("Identity", "Identity", ["add"])]  # fmt: skip
    for shapes in ([[], []], [[2], [2]], [[2, 1], [3]], [[None], [None]], [None, [2]]):
        assert _nodes(tf, f, *shapes) == want, shapes
    cf = f.get_concrete_function(tf.TensorSpec([None, 1], tf.string), tf.TensorSpec([3], tf.string))
    assert cf.structured_outputs.shape.as_list() == [None, 3]
    got = f(tf.constant([["a"], ["b"]]), tf.constant(["c", "d", "e"])).numpy()
    np.testing.assert_array_equal(got, [[b"ac", b"ad", b"ae"], [b"bc", b"bd", b"be"]])


def test_string_add_shapes_that_do_not_broadcast(tf):
    @tf.function
    def f(a, b):
        return a + b

    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        f(tf.constant(["a", "b"]), tf.constant(["c", "d", "e"]))
    g = f.get_concrete_function(tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"
    ):
        g(tf.constant(["a", "b"]), tf.constant(["c", "d", "e"]))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"
    ):
        tf.constant(["a", "b"]) + tf.constant(["c", "d", "e"])
