"""A SavedModel function that differentiates through a traced loop: saved in the loop
gradient's differentiable form (the fast form's WhileGrad walks a runtime-only history), and
read back with the same numbers."""

import tensorhouse as tf


class _Loop(tf.Module):
    def __init__(self):
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def grad(self, x):
        with tf.GradientTape() as tape:
            y = tf.while_loop(
                lambda i, a: i < 3,
                lambda i, a: (i + 1, a * self.v * x),
                [tf.constant(0), tf.constant(1.0)],
            )[1]
        return y, tape.gradient(y, self.v)


def test_loop_gradient_function_saves_and_loads(tmp_path):
    m = _Loop()
    y, g = m.grad(tf.constant(1.5))
    # y = (v x)^3, dy/dv = 3 v^2 x^3
    assert abs(float(y) - 27.0) < 1e-5 and abs(float(g) - 3 * 4 * 1.5**3) < 1e-4
    ops_here = [op.type for op in m.grad.get_concrete_function().graph.get_operations()]
    assert "WhileGrad" in ops_here  # the fast form runs here
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    y2, g2 = loaded.grad(tf.constant(1.5))
    assert abs(float(y2) - 27.0) < 1e-5 and abs(float(g2) - 40.5) < 1e-4
    y3, g3 = loaded.grad(tf.constant(-1.0))
    assert abs(float(y3) + 8.0) < 1e-5 and abs(float(g3) + 12.0) < 1e-4
