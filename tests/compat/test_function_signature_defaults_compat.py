"""tf.function with an input_signature: how the parameters it does not cover bind (TF 2.21's
rules: they keep their defaults, and a value passed for one must equal its default)."""

import pytest


def _spec(tf):
    return [tf.TensorSpec([None], tf.float32)]


def _x(tf):
    return tf.constant([1.0, 2.0])


def test_defaulted_parameter_keeps_its_default(tf):
    def f(x, name=None):
        return x * 2.0 if name is None else x * 3.0

    g = tf.function(f, input_signature=_spec(tf))
    x = _x(tf)
    assert g(x).numpy().tolist() == [2.0, 4.0]
    assert g(x, None).numpy().tolist() == [2.0, 4.0]
    assert g(x, name=None).numpy().tolist() == [2.0, 4.0]
    assert g(x=x).numpy().tolist() == [2.0, 4.0]
    assert g.get_concrete_function()(x, name=None).numpy().tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match=r"Can not cast 'a' to Literal\[None\]"):
        g(x, "a")
    with pytest.raises(TypeError, match=r"Can not cast 'b' to Literal\[None\]"):
        g(x, name="b")
    with pytest.raises(TypeError, match="too many positional arguments"):
        g(x, None, 3)
    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        g()


def test_boolean_default_is_a_literal(tf):
    def f(x, training=False):
        return x * (3.0 if training else 2.0)

    g = tf.function(f, input_signature=_spec(tf))
    assert g(_x(tf), False).numpy().tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match=r"Can not cast True to Literal\[False\]"):
        g(_x(tf), training=True)


def test_keyword_only_and_var_keyword(tf):
    def f(x, *, scale=2.0, **kw):
        return x * scale

    g = tf.function(f, input_signature=_spec(tf))
    assert g(_x(tf)).numpy().tolist() == [2.0, 4.0]
    assert g(_x(tf), scale=2).numpy().tolist() == [2.0, 4.0]  # equal to the default
    with pytest.raises(TypeError, match=r"Can not cast 5.0 to Literal\[2.0\]"):
        g(_x(tf), scale=5.0)
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'a'"):
        g(_x(tf), a=1)

    def h(x, *, k):
        return x

    with pytest.raises(TypeError, match="keyword-only parameter `k` must have a default value"):
        tf.function(h, input_signature=_spec(tf))


def test_signature_covering_a_defaulted_parameter(tf):
    def f(x, y=3.0):
        return x * y

    g = tf.function(f, input_signature=_spec(tf) + [tf.TensorSpec([], tf.float32)])
    assert g(_x(tf)).numpy().tolist() == [3.0, 6.0]
    assert g(_x(tf), 4.0).numpy().tolist() == [4.0, 8.0]
    with pytest.raises(TypeError, match="input_signature contains 1 extra type constraints"):
        tf.function(f, input_signature=_spec(tf) * 3)


def test_signature_not_covering_a_required_parameter(tf):
    def f(x, y, z=1.0):
        return x * y + z

    with pytest.raises(TypeError, match="input_signature missing type constraint for y"):
        tf.function(f, input_signature=_spec(tf))


def test_star_args_take_the_rest_of_the_signature(tf):
    def f(*args):
        return args[0] * 2.0

    g = tf.function(f, input_signature=_spec(tf))
    assert g(_x(tf)).numpy().tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="too many positional arguments"):
        g(_x(tf), _x(tf))

    def h(x, *rest):
        return x * 2.0 + float(len(rest))

    g2 = tf.function(h, input_signature=_spec(tf) * 2)
    assert g2(_x(tf), _x(tf)).numpy().tolist() == [3.0, 5.0]
    with pytest.raises(TypeError, match="missing a required argument: 'rest_0'"):
        g2(_x(tf))


def test_method_with_a_defaulted_parameter(tf):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def m(self, x, name=None):
            return x * 2.0

    assert M().m(_x(tf)).numpy().tolist() == [2.0, 4.0]
