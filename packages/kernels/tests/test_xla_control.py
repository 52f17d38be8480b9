"""The XLA control flow the ops layer's jit_compile lowering builds If / While nodes from:
``xla.cond``, ``xla.while_loop``, ``xla.jit`` and ``xla.step_seed``, around ``jit_graph``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from tensorhouse_kernels import xla


def test_cond_runs_the_branch_the_predicate_picks():
    add = xla.jit_graph([("AddV2", [0, 1], [2], {})], [0, 1], [2])
    mul = xla.jit_graph([("Mul", [0, 1], [2], {})], [0, 1], [2])

    @xla.jit
    def f(p, a, b):
        return xla.cond(p, lambda: tuple(add(a, b)), lambda: tuple(mul(a, b)))

    a, b = np.array([2.0, 3.0], np.float32), np.array([4.0, -1.0], np.float32)
    np.testing.assert_array_equal(f(True, a, b)[0], a + b)
    np.testing.assert_array_equal(f(False, a, b)[0], a * b)


def test_while_loop_counts_steps_and_stops_at_maximum_iterations():
    double = xla.jit_graph([("AddV2", [0, 0], [1], {})], [0], [1])

    def run(limit, bound):
        @xla.jit
        def f(x):
            steps = []

            def body(step, carry):
                steps.append(step)
                (y,) = double(carry[0])
                return (y, carry[1] + step)

            return xla.while_loop(lambda step, c: c[0] < limit, body, (x, np.int64(0)), bound)

        return [np.asarray(v) for v in f(np.float32(1.5))]

    y, step_sum = run(100.0, None)  # 1.5 -> 3 -> 6 -> ... -> 192: 7 steps, 0 + 1 + ... + 6
    assert float(y) == 192.0 and int(step_sum) == 21
    y, step_sum = run(100.0, 3)
    assert float(y) == 12.0 and int(step_sum) == 3


def test_step_seed_is_an_lcg_step_of_the_pair():
    pair = np.array([12345, 678], np.uint64)
    got = np.asarray(xla.jit(lambda p, s: xla.step_seed(p, s))(pair, np.int64(4)))
    lcg = 6364136223846793005
    want = [(12345 * lcg + 5) % 2**64, 678]
    assert got.dtype == np.uint64 and got.tolist() == want
