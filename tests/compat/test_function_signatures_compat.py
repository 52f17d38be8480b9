"""tf.function's printed types and calling rules, as TF 2.21 prints and applies them."""

import pytest


def _g(tf):
    @tf.function
    def g(a, b=2):
        return a * b

    return g


def test_traced_tensors_are_named_after_their_parameters(tf):
    seen = []

    @tf.function
    def f(a, b):
        seen.append((str(a), repr(b)))
        return a + b

    f(tf.constant(1), tf.constant(2))
    assert seen == [
        ('Tensor("a:0", shape=(), dtype=int32)', "<tf.Tensor 'b:0' shape=() dtype=int32>")
    ]


def test_python_values_returned_become_tensors(tf):
    foo = 2

    @tf.function
    def f():
        return 1 + foo, [2.5, True], None, "s"

    n, (x, b), none, s = f()
    assert n.dtype == tf.int32 and int(n) == 3
    assert x.dtype == tf.float32 and float(x) == 2.5 and b.dtype == tf.bool
    assert none is None and s.numpy() == b"s"


def test_pretty_printed_concrete_signatures(tf):
    g = _g(tf)
    g(tf.constant(3))
    g(tf.constant(3.0), tf.constant(4.0))
    assert g.pretty_printed_concrete_signatures() == (
        "Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.int32, name=None)\n"
        "  b (POSITIONAL_OR_KEYWORD): Literal[2]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(), dtype=tf.int32, name=None)\n"
        "Captures:\n"
        "  None\n"
        "\n"
        "Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "  b (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "Output Type:\n"
        "  TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None"
    )


def test_concrete_function_prints_its_type(tf):
    cf = _g(tf).get_concrete_function(tf.TensorSpec([None, 3], tf.float32), 3)
    assert str(cf) == (
        "ConcreteFunction Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)\n"
        "  b (POSITIONAL_OR_KEYWORD): Literal[3]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None"
    )
    assert repr(cf).startswith(
        "<ConcreteFunction (a: TensorSpec(shape=(None, 3), dtype=tf.float32, name=None), "
        "b: Literal[3]) -> TensorSpec(shape=(None, 3), dtype=tf.float32, name=None) at 0x"
    )

    @tf.function
    def d(x):
        return {"y": [x], "x": x * 2}

    out = str(d.get_concrete_function(tf.TensorSpec([2], tf.int32)))
    assert (
        "  Dict[['y', List[TensorSpec(shape=(2,), dtype=tf.int32, name=None)]], ['x', "
        "TensorSpec(shape=(2,), dtype=tf.int32, name=None)]]"
    ) in out


def test_concrete_function_call_rules(tf):
    cf = _g(tf).get_concrete_function(tf.TensorSpec([2], tf.float32), 3)
    assert cf(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    assert cf(a=tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    assert cf(tf.constant([1.0, 2.0]), 3).numpy().tolist() == [3.0, 6.0]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="expected to be a float tensor but is a int32"
    ):
        cf(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        cf(b=tf.constant([1.0, 2.0]))


def test_gradient_of_a_variable_target(tf):
    v = tf.Variable([1.0, 2.0])
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        r = v
    grads = tape.gradient(r, [v, w])
    assert grads[0].numpy().tolist() == [1.0, 1.0] and grads[1] is None
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        r = v
    assert tape.gradient(r, v).numpy().tolist() == [1.0, 1.0]
    with tf.GradientTape() as tape:
        y = v * 2
    assert tape.gradient([y, v], v).numpy().tolist() == [3.0, 3.0]


def test_function_of_a_keras_model_and_of_star_args(tf):
    m = tf.keras.Sequential(
        [tf.keras.Input((3,)), tf.keras.layers.Dense(2, kernel_initializer="ones")]
    )
    cf = tf.function(m).get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    assert cf(tf.ones([2, 3])).numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]

    @tf.function
    def k(x, *args, y=1, **kw):
        return x + sum(args) * y + sum(kw.values())

    out = k(tf.constant(1.0), tf.constant(2.0), tf.constant(3.0), y=2, z=tf.constant(10.0))
    assert float(out) == 21.0
    assert float(k(tf.constant(1.0))) == 1.0


def test_graph_as_graph_def(tf):
    @tf.function
    def f(x):
        return tf.reshape(x * 2.0, [3, 2]) + tf.constant([[1.0, 2.0]])

    gd = f.get_concrete_function(tf.TensorSpec([2, 3], tf.float32)).graph.as_graph_def()
    nodes = {n.op: n for n in gd.node}
    ph = nodes["Placeholder"]
    assert ph.name == "x" and list(ph.input) == []
    assert ph.attr["dtype"].type == 1  # DT_FLOAT
    assert [d.size for d in ph.attr["shape"].shape.dim] == [2, 3]
    consts = [n for n in gd.node if n.op == "Const"]
    assert any(n.attr["value"].tensor.dtype == 1 for n in consts)
    names = {n.name for n in gd.node}
    for n in gd.node:  # every input names a node of the graph (output 0, or "node:k")
        assert all(i.split(":")[0].lstrip("^") in names for i in n.input)
    assert gd.node[-1].op == "Identity"
    assert len(gd.SerializeToString()) > 0


def test_summary_trace_export_writes_the_function_graphs(tf, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.compat.proto import config_pb2

    writer = tf.summary.create_file_writer(str(tmp_path))

    @tf.function
    def f(x):
        return x * 2.0 + 1.0

    tf.summary.trace_on(graph=True, profiler=False)
    f(tf.constant(1.0))
    with writer.as_default():
        tf.summary.trace_export(name="my_trace", step=3)
    writer.flush()
    with pytest.raises(ValueError, match="Must enable trace before export"):
        tf.summary.trace_export(name="again", step=0)
    found = []
    for path in tmp_path.iterdir():
        for event in EventFileLoader(str(path)).Load():
            if event.WhichOneof("what") != "summary":
                continue
            for value in event.summary.value:
                run = config_pb2.RunMetadata()
                run.ParseFromString(value.tensor.string_val[0])
                ops = {n.op for g in run.function_graphs for n in g.pre_optimization_graph.node}
                found.append((event.step, value.tag, value.metadata.plugin_data.plugin_name,
                              value.metadata.plugin_data.content, "Mul" in ops))  # fmt: skip
    assert found == [(3, "my_trace", "graph_run_metadata_graph", b"1", True)]
    tf.summary.trace_on(graph=True)
    tf.summary.trace_off()
    with pytest.raises(ValueError, match="Must enable trace before export"):
        tf.summary.trace_export(name="off", step=0)
