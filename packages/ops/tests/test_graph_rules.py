"""The graph interpreters' rule tables (compiled CPU, eager replay, XLA) and the hooks that let
the lower ops modules reach the upper ones without importing them."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import _dynamic, _graph, _graph_exec, _graph_replay, _graph_xla, _tape, _tensor

# nodes the interpreters handle inline (no rule): inputs, constants and variable reads
_INLINE = {"Placeholder", "Const", "ReadVariableOp"}


def test_every_graph_only_node_has_a_rule_in_each_interpreter():
    graph_only = _graph.HANDLED | _dynamic.LOCAL
    # the compiled schedule also writes an assigned value into its variable inline
    assert graph_only - _INLINE - {"AssignVariableOp"} <= set(_graph_exec.CPU_RULES)
    assert graph_only - {"Placeholder"} <= set(_graph_replay.REPLAY_RULES)
    assert _graph.HANDLED - _graph.HOST_CALLS - {"Placeholder"} <= set(_graph_xla.XLA_RULES)


def test_hooks_are_set_by_the_upper_modules():
    assert _tensor._trace_op is _graph.trace_op
    assert {"print_write", "variable_created", "grad_handler", "grad_replay", "eager_while"} <= set(
        _graph.HOOKS
    )
    assert {"backward", "ones_like", "zeros_like", "add", "array"} <= set(_tape.GRADIENTS)
    assert set(_graph.GRAPH_ONLY_SHAPES) == set(_dynamic.LOCAL)


def _program(v):
    @tf.function
    def f(x):
        v.assign_add(x)  # Assign rule
        y = tf.cond(x > 0, lambda: x * 2.0, lambda: -x)  # If rule
        _, s = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + y), [0, 0.0])
        return s * v  # While rule; the variable read after its update

    return f


@pytest.mark.parametrize("taped", [False, True])
def test_compiled_and_replayed_graphs_agree_with_hand_values(taped):
    v = tf.Variable(1.0)
    f = _program(v)
    x = tf.constant(1.5)
    if taped:  # a recording tape: the call replays the graph op by op (REPLAY_RULES)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = f(x)
        # s = 3 * 2x = 9, v = 1 + x = 2.5, out = s * v; the assignment carries no gradient
        # (as in TF, which gives 15 here too): d out / dx = 6 * v = 15
        np.testing.assert_allclose(tape.gradient(out, x).numpy(), 15.0, rtol=1e-6)
    else:  # compiled schedule (CPU_RULES)
        out = f(x)
    np.testing.assert_allclose(out.numpy(), 22.5, rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), 2.5, rtol=1e-6)
