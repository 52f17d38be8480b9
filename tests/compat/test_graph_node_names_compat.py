"""Node names of a traced graph (issue 18), as TF names them in ``graph.as_graph_def()``,
``graph.get_operations()`` and a symbolic tensor's name: ``name=`` of the public functions,
``tf.name_scope`` prefixes, TF's unique names (one count per lower-cased name), a constant
operand named after its op (``add/y``), and the constant inputs TF gives ops that take a shape
or axes (``Reshape/shape``, a reduction's ``reduction_indices``, an all-axes reduction's
``Const``)."""

import numpy as np
import pytest


def _graph(tf, fn, shape=(2,)):
    return fn.get_concrete_function(tf.TensorSpec(shape, tf.float32)).graph


def _names(graph_def):
    return [n.name for n in graph_def.node]


def test_graph_def_names_and_constant_inputs(tf):
    @tf.function
    def h(x):
        y = tf.matmul(tf.reshape(x, [1, 2]), tf.fill([2, 2], 1.0)) * 2
        return y + tf.add(x, 1, name="myadd") - tf.reduce_sum(x)

    gd = _graph(tf, h).as_graph_def()
    assert _names(gd) == [
        "x", "Reshape/shape", "Reshape", "Fill/dims", "Fill/value", "Fill", "MatMul", "mul/y",
        "mul", "myadd/y", "myadd", "add", "Const", "Sum", "sub", "Identity",
    ]  # fmt: skip
    nodes = {n.name: n for n in gd.node}
    assert list(nodes["Reshape"].input) == ["x", "Reshape/shape"]
    assert list(nodes["Sum"].input) == ["x", "Const"]
    assert list(nodes["Fill"].input) == ["Fill/dims", "Fill/value"]
    for name, want, dtype in (
        ("Reshape/shape", [1, 2], np.int32),
        ("Const", [0], np.int32),
        ("Fill/dims", [2, 2], np.int32),
        ("Fill/value", 1.0, np.float32),
    ):
        value = tf.make_ndarray(nodes[name].attr["value"].tensor)
        assert nodes[name].op == "Const" and value.dtype == dtype
        np.testing.assert_array_equal(value, want)


def test_shape_and_axis_operands(tf):
    @tf.function
    def h(x):
        a = tf.transpose(tf.reshape(x, [1, 2]))
        b = tf.concat([x, x], 0) + tf.tile(x, [2]) + tf.pad(x, [[1, 1]])
        c = tf.reduce_mean(x, axis=0) + tf.reduce_max(x, 0, keepdims=True)
        d = tf.slice(x, [0], [1]) + x[1:] + tf.cast(tf.argmax(x), tf.float32)
        return a, b, c, d, tf.range(3)

    gd = _graph(tf, h).as_graph_def()
    assert _names(gd)[:-5] == [
        "x", "Reshape/shape", "Reshape", "transpose/perm", "transpose", "concat/axis", "concat",
        "Tile/multiples", "Tile", "add", "Pad/paddings", "Pad", "add_1",
        "Mean/reduction_indices", "Mean", "Max/reduction_indices", "Max", "add_2",
        "Slice/begin", "Slice/size", "Slice", "strided_slice/stack", "strided_slice/stack_1",
        "strided_slice/stack_2", "strided_slice", "add_3", "ArgMax/dimension", "ArgMax", "Cast",
        "add_4", "range/start", "range/limit", "range/delta", "range",
    ]  # fmt: skip
    nodes = {n.name: n for n in gd.node}
    assert list(nodes["strided_slice"].input) == [
        "x",
        "strided_slice/stack",
        "strided_slice/stack_1",
        "strided_slice/stack_2",
    ]
    assert list(nodes["concat"].input) == ["x", "x", "concat/axis"]
    np.testing.assert_array_equal(tf.make_ndarray(nodes["Pad/paddings"].attr["value"].tensor),
                                  [[1, 1]])  # fmt: skip


def test_names_given_scopes_and_unique_names(tf):
    seen = {}

    @tf.function
    def h(x):
        a = tf.add(x, 1.0, name="a") + tf.add(x, 2.0, name="a") + tf.multiply(x, 3.0, name="A")
        b = tf.reshape(x, [2], name="r") * tf.reduce_mean(x, name="m")
        with tf.name_scope("outer"):
            with tf.name_scope("inner"):
                d = tf.sqrt(x, name="root")
            e = tf.exp(x) + tf.nn.relu(x, name="act")
        seen["d"], seen["e"] = d.name, e.name
        return a + b + d + e

    with tf.name_scope("around"):  # a scope open around the trace does not name its ops
        graph = _graph(tf, h)
    assert _names(graph.as_graph_def()) == [
        "x", "a/y", "a", "a_1/y", "a_1", "add", "A_2/y", "A_2", "add_1", "r/shape", "r",
        "Const", "m", "mul", "outer/inner/root", "outer/Exp", "outer/act", "outer/add", "add_2",
        "add_3", "add_4", "Identity",
    ]  # fmt: skip
    assert seen == {"d": "outer/inner/root:0", "e": "outer/add:0"}


def test_get_operations_names_are_the_graph_def_names(tf):
    @tf.function
    def h(x):
        with tf.name_scope("block"):
            y = tf.nn.relu(tf.add(x, 1.0, name="shift"), name="act")
        return tf.identity(y * 2.0, name="out")

    graph = _graph(tf, h)
    names = [op.name for op in graph.get_operations()]
    assert (
        names
        == _names(graph.as_graph_def())
        == ["x", "block/shift/y", "block/shift", "block/act", "mul/y", "mul", "out", "Identity"]
    )
    assert graph.get_operations()[3].outputs[0].name == "block/act:0"


def test_constant_operands_of_select_logical_and_bias_add(tf):
    @tf.function
    def h(x):
        a = tf.where(x > 0, x, 0.0)
        c = tf.logical_and(x > 0, True)
        d = tf.math.squared_difference(x, 1.0) + tf.math.floordiv(x, 2.0)
        return a, c, d, tf.nn.bias_add(tf.reshape(x, [1, 2]), [1.0, 2.0])

    assert _names(_graph(tf, h).as_graph_def())[:-4] == [
        "x", "Greater/y", "Greater", "SelectV2/e", "SelectV2", "Greater_1/y", "Greater_1",
        "LogicalAnd/y", "LogicalAnd", "SquaredDifference/y", "SquaredDifference", "floordiv/y",
        "floordiv", "add", "Reshape/shape", "Reshape", "BiasAdd/bias", "BiasAdd",
    ]  # fmt: skip


def test_autograph_control_flow_nodes_are_cond_and_while(tf):
    @tf.function
    def h(x):
        y = tf.add(x, 1.0, name="pre")
        if tf.reduce_sum(x) > 0:
            y = y * 2.0
        else:
            y = y - 1.0
        for i in tf.range(3):
            y = y + tf.cast(i, tf.float32)
        return tf.identity(y, name="result")

    nodes = [(n.name, n.op) for n in _graph(tf, h).as_graph_def().node]
    assert nodes[:7] == [("x", "Placeholder"), ("pre/y", "Const"), ("pre", "AddV2"),
                         ("Const", "Const"), ("Sum", "Sum"), ("Greater/y", "Const"),
                         ("Greater", "Greater")]  # fmt: skip
    assert ("cond", "StatelessIf") in nodes and ("while", "StatelessWhile") in nodes
    assert nodes[-2:] == [("result", "Identity"), ("Identity", "Identity")]


def test_small_fills_are_named_constants(tf):
    @tf.function
    def h(x):
        a = tf.matmul(x, tf.ones([3, 2]))
        b = tf.zeros([2, 2]) + a
        c = tf.ones_like(x) + tf.zeros_like(x)
        with tf.name_scope("blk"):
            d = tf.ones([2], name="unit") + x[0, :2]
        return b, c, d, x @ tf.transpose(x)

    gd = _graph(tf, h, (2, 3)).as_graph_def()
    nodes = {n.name: n for n in gd.node}
    for name, value in (("ones", np.ones((3, 2))), ("zeros", np.zeros((2, 2))),
                        ("ones_like", np.ones((2, 3))), ("zeros_like", np.zeros((2, 3))),
                        ("blk/unit", np.ones(2))):  # fmt: skip
        assert nodes[name].op == "Const"
        got = tf.make_ndarray(nodes[name].attr["value"].tensor)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, value)
    # the ``@`` operator's node is ``matmul`` (``matmul_1``: one count per lower-cased name)
    assert [(n.name, n.op, list(n.input)) for n in gd.node if n.op != "Const"] == [
        ("x", "Placeholder", []), ("MatMul", "MatMul", ["x", "ones"]),
        ("add", "AddV2", ["zeros", "MatMul"]), ("add_1", "AddV2", ["ones_like", "zeros_like"]),
        ("blk/strided_slice", "StridedSlice", ["x", "blk/strided_slice/stack",
                                               "blk/strided_slice/stack_1",
                                               "blk/strided_slice/stack_2"]),
        ("blk/add", "AddV2", ["blk/unit", "blk/strided_slice"]),
        ("transpose", "Transpose", ["x", "transpose/perm"]),
        ("matmul_1", "MatMul", ["x", "transpose"]), ("Identity", "Identity", ["add"]),
        ("Identity_1", "Identity", ["add_1"]), ("Identity_2", "Identity", ["blk/add"]),
        ("Identity_3", "Identity", ["matmul_1"]),
    ]  # fmt: skip


def test_clip_by_value_nodes_and_order(tf):
    @tf.function
    def h(x):
        return tf.clip_by_value(x, 0.0, 1.0)

    gd = _graph(tf, h).as_graph_def()
    assert [(n.name, n.op) for n in gd.node][1:-1] == [
        ("clip_by_value/Minimum/y", "Const"), ("clip_by_value/Minimum", "Minimum"),
        ("clip_by_value/y", "Const"), ("clip_by_value", "Maximum"),
    ]  # fmt: skip
    # the minimum is taken first: a lower bound above the upper one wins
    got = tf.clip_by_value(tf.constant([-1.0, 0.5, 4.0]), 3.0, 1.0)
    np.testing.assert_array_equal(got.numpy(), [3.0, 3.0, 3.0])


def test_axis_and_shape_operands(tf):
    @tf.function
    def h(x):
        a = tf.cumsum(x, axis=1) + tf.reverse(x, [0])
        return a, tf.broadcast_to(x, [2, 2, 3]), tf.one_hot(tf.constant([0, 2]), 3)

    gd = _graph(tf, h, (2, 3)).as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert list(nodes["Cumsum"].input) == ["x", "Cumsum/axis"]
    assert list(nodes["ReverseV2"].input) == ["x", "ReverseV2/axis"]
    assert list(nodes["BroadcastTo"].input) == ["x", "BroadcastTo/shape"]
    assert list(nodes["one_hot"].input) == [
        "Const", "one_hot/depth", "one_hot/on_value", "one_hot/off_value",
    ]  # fmt: skip
    for name, want, dtype in (
        ("Cumsum/axis", 1, np.int32), ("ReverseV2/axis", [0], np.int32),
        ("BroadcastTo/shape", [2, 2, 3], np.int32), ("one_hot/depth", 3, np.int32),
        ("one_hot/on_value", 1.0, np.float32), ("one_hot/off_value", 0.0, np.float32),
    ):  # fmt: skip
        value = tf.make_ndarray(nodes[name].attr["value"].tensor)
        assert nodes[name].op == "Const" and value.dtype == dtype
        np.testing.assert_array_equal(value, want)


def test_expand_dims_and_squeeze_node_names(tf):
    @tf.function
    def h(x):
        return tf.squeeze(tf.expand_dims(x, 0)), tf.expand_dims(x, -1, name="col")

    names = [op.name for op in _graph(tf, h).get_operations()]
    assert {"ExpandDims", "Squeeze", "col"} <= set(names)
    assert names.index("ExpandDims") < names.index("Squeeze") < names.index("col")


def test_traced_fills_keep_values_and_dtypes(tf):
    @tf.function
    def h(x):
        out = [tf.zeros([2], dt) for dt in (tf.int64, tf.bool, tf.float16, tf.string)]
        out += [tf.ones((1, 2), tf.uint8), tf.ones(3), tf.zeros(tf.TensorShape([2, 1]))]
        return out + [tf.ones_like(x > 0), tf.zeros_like(x, dtype=tf.int32)]

    got = h(tf.constant([1.0, 2.0]))
    want = [np.zeros(2, np.int64), np.zeros(2, bool), np.zeros(2, np.float16),
            np.array([b"", b""], object), np.ones((1, 2), np.uint8), np.ones(3, np.float32),
            np.zeros((2, 1), np.float32), np.ones(2, bool), np.zeros(2, np.int32)]  # fmt: skip
    for g, w in zip(got, want, strict=True):
        assert g.numpy().dtype == w.dtype
        np.testing.assert_array_equal(g.numpy(), w)

    @tf.function
    def bad():
        return tf.ones([2], tf.string)

    with pytest.raises(TypeError, match="Expected string, but got 1 of type 'int'"):
        bad()
