"""TF 2.21's behaviour in issue 18's small gaps: a concrete function's named input specs and
``Identity`` outputs, control flow on tensors of unknown rank, complex ``cumprod`` and
``squared_difference`` with their gradients."""

import numpy as np


def test_structured_input_signature_names_the_parameters(tf):
    f = tf.function(lambda a, b: a + b)
    spec = tf.TensorSpec([2], tf.float32)
    args, kwargs = f.get_concrete_function(spec, spec).structured_input_signature
    assert kwargs == {}
    assert [(s.name, s.shape.as_list(), s.dtype) for s in args] == [
        ("a", [2], tf.float32),
        ("b", [2], tf.float32),
    ]

    @tf.function
    def g(x, y, *args, k=None, scale=1.0):
        return x[0] * scale

    cf = g.get_concrete_function(
        [tf.TensorSpec([2]), tf.TensorSpec([3])],
        {"p": tf.TensorSpec([1])},
        tf.constant(1.0),
        3,
        k=tf.TensorSpec([4], tf.int32),
    )
    args, kwargs = cf.structured_input_signature
    assert [s.name for s in args[0]] == ["x_0", "x_1"]
    assert args[1]["p"].name == "y_p"
    assert (args[2].name, args[2].shape.as_list(), args[3]) == ("args_0", [], 3)
    assert (kwargs["k"].name, kwargs["k"].dtype, kwargs["k"].shape.as_list()) == (
        "k",
        tf.int32,
        [4],
    )


def test_a_named_input_signature_keeps_its_names(tf):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="zz")])
    def h(x):
        return x, x + 1

    cf = h.get_concrete_function()
    assert repr(cf.structured_input_signature) == (
        "((TensorSpec(shape=(None,), dtype=tf.float32, name='zz'),), {})"
    )
    assert [t.name for t in cf.outputs] == ["Identity:0", "Identity_1:0"]


def test_structured_outputs_are_the_identity_tensors(tf):
    @tf.function
    def g(x):
        return {"s": x * 2, "t": x, "n": 3}

    cf = g.get_concrete_function(tf.TensorSpec([None], tf.float32))
    out = cf.structured_outputs
    assert list(out) == ["s", "t", "n"]
    assert sorted(t.name for t in out.values()) == ["Identity:0", "Identity_1:0", "Identity_2:0"]
    assert out["n"].dtype == tf.int32
    assert [t.name for t in cf.outputs] == ["Identity:0", "Identity_1:0", "Identity_2:0"]
    np.testing.assert_array_equal(cf(tf.constant([1.0, 2.0]))["s"].numpy(), [2.0, 4.0])
    single = tf.function(lambda a: a * 2).get_concrete_function(tf.TensorSpec([2], tf.float32))
    assert single.structured_outputs.name == "Identity:0"


def test_cond_and_while_loop_on_unknown_rank(tf):
    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def f(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)

    assert f.get_concrete_function().outputs[0].shape.rank is None
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(tf.constant([[-1.0], [-3.0]])).numpy(), [[-2.0], [-4.0]])
    assert f(tf.constant(3.0)).numpy() == 6.0

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def w(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0), (0, x))[1]

    np.testing.assert_array_equal(w(tf.constant([[1.0], [-3.0]])).numpy(), [[8.0], [-24.0]])
    v = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(v)
        a = tf.reduce_sum(f(v) * v)
        b = tf.reduce_sum(w(v))
    np.testing.assert_array_equal(tape.gradient(a, v).numpy(), [4.0, 8.0])
    np.testing.assert_array_equal(tape.gradient(b, v).numpy(), [8.0, 8.0])


def _cumprod_ref(x, axis, exclusive, reverse):
    x = np.flip(x, axis) if reverse else x
    out = np.cumprod(x, axis=axis)
    if exclusive:
        out = np.concatenate(
            [np.ones_like(np.take(out, [0], axis)), np.delete(out, -1, axis)], axis
        )
    return np.flip(out, axis) if reverse else out


def test_complex_cumprod(tf):
    rng = np.random.default_rng(0)
    xn = rng.normal(size=(2, 5)) + 1j * rng.normal(size=(2, 5))
    for dtype in (tf.complex64, tf.complex128):
        x = tf.constant(xn, dtype)
        for axis in (1, -2):
            for exclusive in (False, True):
                for reverse in (False, True):
                    got = tf.math.cumprod(x, axis=axis, exclusive=exclusive, reverse=reverse)
                    assert got.dtype == dtype
                    want = _cumprod_ref(xn, axis, exclusive, reverse)
                    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    traced = tf.function(lambda t: tf.math.cumprod(t, axis=1, reverse=True))
    x = tf.constant(xn, tf.complex64)
    np.testing.assert_allclose(traced(x).numpy(), _cumprod_ref(xn, 1, False, True), rtol=1e-5)


def test_complex_cumprod_gradient_is_tfs_unconjugated_rule(tf):
    xn = np.array([1 + 2j, 0.5 - 1j, -1 + 0.25j])
    x = tf.constant(xn, tf.complex128)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.math.cumprod(x)
    # d sum(cumprod(x)) / dx_k = sum over j >= k of prod_{i <= j, i != k} x_i, as TF gives it
    want = [1 + xn[1] + xn[1] * xn[2], xn[0] + xn[0] * xn[2], xn[0] * xn[1]]
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want, rtol=1e-12)


def test_complex_squared_difference(tf):
    xn = np.array([1 + 2j, 0.5 - 1j, -1 + 0.25j])
    yn = np.array([2 - 1j, 1j, 3 + 0j])
    for dtype in (tf.complex64, tf.complex128):
        x, y = tf.constant(xn, dtype), tf.constant(yn, dtype)
        out = tf.math.squared_difference(x, y)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), np.abs(xn - yn) ** 2, rtol=1e-6)
        traced = tf.function(tf.math.squared_difference)(x, y)
        np.testing.assert_allclose(traced.numpy(), np.abs(xn - yn) ** 2, rtol=1e-6)
        dy = tf.constant([1 + 1j, 2.0, -1j], dtype)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, y])
            z = tf.math.squared_difference(x, y)
        gx, gy = tape.gradient(z, [x, y], output_gradients=dy)
        want = 2 * dy.numpy() * (xn - yn)  # TF's rule: 2 dy (x - y), not conjugated
        np.testing.assert_allclose(gx.numpy(), want, rtol=1e-6)
        np.testing.assert_allclose(gy.numpy(), -want, rtol=1e-6)
