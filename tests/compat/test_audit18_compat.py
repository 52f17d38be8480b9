"""Issue 18's last gaps: ``gather`` / ``gather_nd`` with ``batch_dims``, top-level names TF has
(``tf.reduce_logsumexp``, ``tf.raw_ops``, ``tf.types``), ``ConcreteFunction.function_type``."""

from __future__ import annotations

import numpy as np
import pytest


def _gather_ref(params, indices, axis, b):
    out = np.empty(indices.shape[:b] + params.shape[b:axis] + indices.shape[b:]
                   + params.shape[axis + 1 :], params.dtype)  # fmt: skip
    for bi in np.ndindex(*indices.shape[:b]):
        out[bi] = np.take(params[bi], indices[bi], axis=axis - b)
    return out


def _gather_nd_ref(params, indices, b):
    out = np.empty(indices.shape[:-1] + params.shape[b + indices.shape[-1] :], params.dtype)
    for bi in np.ndindex(*indices.shape[:b]):
        out[bi] = params[bi][tuple(np.moveaxis(indices[bi], -1, 0))]
    return out


@pytest.mark.parametrize(
    "pshape, ishape, axis, b",
    [((2, 3, 4), (2, 5), 1, 1), ((2, 3, 4), (2, 2), 2, 1), ((2, 3, 4, 5), (2, 3, 2, 2), 2, 2),
     ((2, 3, 4), (2, 3), 2, -1), ((3, 4), (3,), 1, 1), ((2, 3, 4, 2), (2, 2), 2, 1)],
)  # fmt: skip
def test_gather_with_batch_dims_matches_numpy_eager_and_traced(tf, pshape, ishape, axis, b):
    rng = np.random.default_rng(0)
    params = rng.normal(size=pshape).astype(np.float32)
    bb = b + len(ishape) if b < 0 else b
    indices = rng.integers(0, pshape[axis], size=ishape).astype(np.int32)
    want = _gather_ref(params, indices, axis, bb)
    got = tf.gather(params, indices, axis=axis, batch_dims=b)
    np.testing.assert_array_equal(got.numpy(), want)
    spec = [
        tf.TensorSpec([None, *pshape[1:]], tf.float32),
        tf.TensorSpec([None, *ishape[1:]], tf.int32),
    ]
    f = tf.function(lambda p, i: tf.gather(p, i, axis=axis, batch_dims=b), input_signature=spec)
    np.testing.assert_array_equal(f(params, indices).numpy(), want)


def test_gather_batch_dims_defaults_axis_and_takes_the_gradient(tf):
    params = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    idx = tf.constant([[0, 2, 2], [1, 1, 0]])
    np.testing.assert_array_equal(
        tf.gather(params, idx, batch_dims=1).numpy(), _gather_ref(params.numpy(), idx.numpy(), 1, 1)
    )
    with tf.GradientTape() as tape:
        tape.watch(params)
        y = tf.reduce_sum(tf.gather(params, idx, axis=2, batch_dims=1) * 2.0)
    want = np.zeros((2, 3, 4), np.float32)
    for i in range(2):
        for j in idx.numpy()[i]:
            want[i, :, j] += 2.0
    np.testing.assert_array_equal(tf.convert_to_tensor(tape.gradient(y, params)).numpy(), want)


def test_gather_batch_dims_errors(tf):
    params = tf.zeros([2, 3])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"indices\[1,0\] = 3 is not in \[0, 3\)"
    ):
        tf.gather(params, tf.constant([[0], [3]]), axis=1, batch_dims=1)
    f = tf.function(lambda p, i: tf.gather(p, i, axis=1, batch_dims=1))
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(params, tf.constant([[0], [3]]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(params, tf.constant([[-1], [0]]))
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"params.shape\[0\]: 2 should be equal to indices.shape\[0\]: 3",
    ):
        tf.gather(params, tf.constant([[0], [1], [2]]), axis=1, batch_dims=1)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"batch_dims in the range \[-2, 2\], but got 3"
    ):
        tf.gather(params, tf.constant([[0], [1]]), axis=1, batch_dims=3)
    with pytest.raises(
        ValueError, match=r"`batch_dims` = 2 must be less than rank\(`indices`\) = 2"
    ):
        tf.gather_nd(params, tf.constant([[0], [1]]), batch_dims=2)


@pytest.mark.parametrize(
    "pshape, ishape, b", [((2, 3, 4), (2, 1, 2), 1), ((2, 3, 4), (2, 5, 1), 1),
                          ((2, 3, 4, 5), (2, 3, 1), 2), ((3, 4), (3, 1), 1)],
)  # fmt: skip
def test_gather_nd_with_batch_dims_matches_numpy(tf, pshape, ishape, b):
    rng = np.random.default_rng(1)
    params = rng.normal(size=pshape).astype(np.float32)
    k = ishape[-1]
    indices = np.stack(
        [rng.integers(0, pshape[b + j], size=ishape[:-1]) for j in range(k)], -1
    ).astype(np.int32)
    want = _gather_nd_ref(params, indices, b)
    np.testing.assert_array_equal(tf.gather_nd(params, indices, batch_dims=b).numpy(), want)
    f = tf.function(lambda p, i: tf.gather_nd(p, i, batch_dims=b))
    np.testing.assert_array_equal(f(params, indices).numpy(), want)
    p = tf.constant(params)
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.reduce_sum(tf.gather_nd(p, indices, batch_dims=b))
    g = tf.convert_to_tensor(tape.gradient(y, p)).numpy()
    want_g = np.zeros(pshape, np.float32)
    for bi in np.ndindex(*ishape[:b]):
        for ix in indices[bi].reshape(-1, k):
            want_g[bi + tuple(ix)] += 1.0
    np.testing.assert_array_equal(g, want_g)


def test_type_names_are_tfs(tf):
    x, v = tf.constant([1.0, 2.0]), tf.Variable(1.0)
    assert type(x).__name__ == "EagerTensor" and type(v).__name__ == "ResourceVariable"
    assert isinstance(x, tf.Tensor) and isinstance(v, tf.Variable) and not isinstance(v, tf.Tensor)
    assert type(v + 1.0).__name__ == "EagerTensor"
    seen = []

    @tf.function
    def f(t):
        seen.append(type(t).__name__)
        return t * 2.0

    np.testing.assert_array_equal(f(x).numpy(), [2.0, 4.0])
    assert seen == ["SymbolicTensor"]
    with pytest.raises(TypeError, match="ResourceVariable.__format__"):
        format(tf.Variable([1.0]), ".2f")


def test_function_type_and_output_shapes(tf):
    @tf.function
    def f(x, y):
        return {"a": x * y, "b": tf.cast(x, tf.int32)}

    c = f.get_concrete_function(tf.TensorSpec([None, 2], tf.float32), 3)
    ft = c.function_type
    assert str(ft) == (
        "(x: TensorSpec(shape=(None, 2), dtype=tf.float32, name=None), y: Literal[3]) -> "
        "Dict[['a', TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)], "
        "['b', TensorSpec(shape=(None, 2), dtype=tf.int32, name=None)]]"
    )
    assert list(ft.parameters) == ["x", "y"]
    assert ft.parameters["x"].kind.name == "POSITIONAL_OR_KEYWORD"
    assert str(ft.parameters["y"].type_constraint) == "Literal[3]"
    assert c.output_shapes == {"a": tf.TensorShape([None, 2]), "b": tf.TensorShape([None, 2])}
    assert c.output_dtypes == {"a": tf.float32, "b": tf.int32}
    assert isinstance(f, tf.types.experimental.GenericFunction)
    assert isinstance(f, tf.types.experimental.PolymorphicFunction)
    assert isinstance(c, tf.types.experimental.ConcreteFunction)
    assert isinstance(ft, tf.types.experimental.FunctionType)
    assert not isinstance(tf.constant(1.0), tf.types.experimental.ConcreteFunction)
    like = tf.types.experimental.TensorLike.__args__
    assert int in like and float in like and np.ndarray in like


def _helper_that_raises(x):
    if x > 0:
        y = tf_reshape_of(x)
    else:
        y = x
    return y


def tf_reshape_of(x):
    raise ValueError("bad value")


def test_errors_while_tracing_show_the_user_frames(tf):
    @tf.function
    def f(x):
        for _ in tf.range(2):
            x = _helper_that_raises(x)
        return x

    with pytest.raises(ValueError) as info:
        f(tf.constant(1.0))
    text = str(info.value)
    assert text.startswith("in user code:\n\n") and text.endswith("\n    ValueError: bad value\n")
    frames = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("File ")]
    assert [f.rsplit(", in ", 1)[1] for f in frames] == [
        "f  *", "_helper_that_raises  *", "tf_reshape_of  *"
    ]  # fmt: skip
    assert "x = _helper_that_raises(x)" in text and "y = tf_reshape_of(x)" in text

    @tf.function
    def g():
        return tf.Variable(1.0)

    with pytest.raises(ValueError, match="in user code:(.|\n)*return tf.Variable") as info:
        g()
    assert (
        str(info.value)
        .strip()
        .endswith(
            "tf.function only supports singleton tf.Variables created on the first call. Make sure "
            "the tf.Variable is only created once or created outside tf.function. See "
            "https://www.tensorflow.org/guide/function#creating_tfvariables for more information."
        )
    )

    @tf.function(autograph=False)
    def h(x):
        raise ValueError("plain")

    with pytest.raises(ValueError, match="^plain$"):
        h(tf.constant(1.0))


@pytest.mark.parametrize(
    "kind, value, where, hint",
    [("if", 1, "if statement", True), ("if", [True, False], "if statement", False),
     ("while", 3, "while loop", True), ("if", 1.5, "if statement", True)],
)  # fmt: skip
def test_tensor_conditions_must_be_scalar_bools(tf, kind, value, where, hint):
    @tf.function
    def f_if(x):
        if x:
            x = x + x
        return x

    @tf.function
    def f_while(x):
        while x:
            x = x - 1
        return x

    f = f_if if kind == "if" else f_while
    with pytest.raises(ValueError) as info:
        f(tf.constant(value))
    last = str(info.value).strip().splitlines()[-1]
    assert f"condition of {where} expected to be `tf.bool` scalar, got Tensor(" in last
    assert ("to use as boolean Tensor, use `tf.cast`" in last) == hint
    assert last.endswith("to check for None, use `is not None`")


def test_a_symbolic_tensor_formats_as_its_text(tf):
    out = []

    @tf.function
    def f(x):
        out.append(f"{x}")
        with pytest.raises(TypeError, match="unsupported format string passed to SymbolicTensor"):
            f"{x:.2f}"
        return x

    f(tf.constant(1.0))
    assert out == ['Tensor("x:0", shape=(), dtype=float32)']


def test_tensors_used_outside_their_block_or_function(tf):
    @tf.function
    def f(n):
        out = []
        for i in tf.range(n):
            out.append(i * 2)
        return tf.stack(out)

    with pytest.raises(ValueError, match="is out of scope and cannot be used here") as e:
        f(tf.constant(3))
    assert type(e.value).__name__ == "InaccessibleTensorError"
    leaked = []

    @tf.function
    def g():
        leaked.append(tf.constant(1.0) * 2.0)
        return leaked[0]

    @tf.function
    def h():
        return leaked[0] + 1.0

    g()
    with pytest.raises(TypeError, match="cannot be accessed from here, because it was defined in"):
        h()


def _printed(tf, capfd, *args, **kwargs):
    import sys

    capfd.readouterr()
    tf.print(*args, output_stream=sys.stdout, **kwargs)
    sys.stdout.flush()
    return capfd.readouterr().out


def test_tf_print_formats_values_as_tf(tf, capfd):
    assert _printed(tf, capfd, tf.constant("s")) == "s\n"  # a lone string scalar as it is
    assert _printed(tf, capfd, tf.constant("s"), tf.constant("t")) == '"s" "t"\n'
    assert _printed(tf, capfd, tf.constant([["a"], ["b"]])) == '[["a"]\n ["b"]]\n'
    assert _printed(tf, capfd, [tf.constant("v"), "w"], {"k": tf.constant(2)}) == (
        "[\"v\", 'w'] {'k': 2}\n"
    )
    assert _printed(tf, capfd, tf.constant([[1, 10], [100, 2]])) == "[[1 10]\n [100 2]]\n"
    assert _printed(tf, capfd, tf.constant([[True, False]]), tf.constant(True)) == "[[1 0]] 1\n"
    assert _printed(tf, capfd, tf.range(20), summarize=2) == "[0 1 ... 18 19]\n"
    floats = tf.constant([-1.0, 1e-8, 123456789.0, 0.1, 1 / 3, float("nan"), float("inf")])
    assert (
        _printed(tf, capfd, floats, summarize=-1)
        == "[-1 1e-08 123456792 0.1 0.333333343 nan inf]\n"
    )
    assert _printed(tf, capfd, tf.constant(1 / 3, tf.float64)) == "0.33333333333333331\n"
    assert _printed(tf, capfd, "a", tf.Variable(2.5), sep="|", end="<\n") == "a|2.5<\n"

    @tf.function
    def f(x, y):
        import sys

        tf.print(x, output_stream=sys.stdout)
        tf.print(x, {"y": y}, [y, "z"], output_stream=sys.stdout)
        return x

    capfd.readouterr()
    f(tf.constant("in"), tf.constant([1.5, 2.0]))
    __import__("sys").stdout.flush()
    assert capfd.readouterr().out == "in\n\"in\" {'y': [1.5 2]} [[1.5 2], 'z']\n"


def test_batch_jacobian_sums_each_target_column_over_the_batch(tf):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4, 3)).astype(np.float32))
    w = tf.constant(rng.normal(size=(3, 2)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = tf.matmul(x, w)
        coupled = tf.tanh(h - tf.reduce_mean(h, axis=0, keepdims=True)) * h**2
        alone = tf.tanh(h) * h**2
    for y, diagonal in ((coupled, False), (alone, True)):
        j = tape.jacobian(y, x).numpy()
        jb = tape.batch_jacobian(y, x).numpy()
        assert jb.shape == (4, 2, 3)
        np.testing.assert_allclose(jb, np.transpose(j.sum(axis=0), (1, 0, 2)), atol=1e-5)
        assert np.allclose(jb, np.einsum("bxby->bxy", j), atol=1e-5) == diagonal


@pytest.mark.parametrize(
    "fn, shapes, cls, text",
    [
        (lambda tf, a, b: tf.matmul(a, b), ([2, 3], [2, 3]), ValueError, "[2,3], [2,3]."),
        (lambda tf, a, b: a + b, ([2, 3], [4, 3]), ValueError, "[2,3], [4,3]."),
        (lambda tf, a, b: tf.concat([a, b], 1), ([2, 3], [4, 3]), ValueError, "[2,3], [4,3]"),
        (lambda tf, a, b: a + tf.cast(b, tf.int32), ([2], [2]), TypeError, "int32"),
    ],
)
def test_an_op_that_cannot_be_built_while_tracing(tf, fn, shapes, cls, text):
    # eagerly InvalidArgumentError; while tracing, TF's shape functions raise ValueError naming
    # the node and its input shapes, and a wrong input dtype is a TypeError
    a, b = tf.ones(shapes[0]), tf.ones(shapes[1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        fn(tf, a, b)
    with pytest.raises(cls) as e:
        tf.function(lambda a, b: fn(tf, a, b))(a, b)
    assert not isinstance(e.value, tf.errors.OpError) and text in str(e.value)
    if cls is ValueError:
        assert "with input shapes: " in str(e.value)
