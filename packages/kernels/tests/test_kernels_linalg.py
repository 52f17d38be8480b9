"""The LAPACK kernels (MatrixInverse, MatrixSolve, MatrixDeterminant, LogMatrixDeterminant,
Cholesky) beyond the registry-generated NumPy references: singular and non-positive-definite
input, shape and dtype errors with TF's messages, the GIL released while LAPACK runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, get_device
from tensorhouse_kernels import _cpu

CPU = get_device("/device:CPU:0")
FLOATS = ("float32", "float64")


def run(op, inputs, attrs=None):
    outputs, used = tk.execute(op, [np.ascontiguousarray(x) for x in inputs], attrs or {}, CPU)
    assert used is CPU
    return outputs


SINGULAR = np.array([[1.0, 0.0, -1.0], [-1.0, 1.0, 0.0], [0.0, -1.0, 1.0]])  # rows sum to 0


@pytest.mark.parametrize("dtype", FLOATS)
def test_singular_matrix_errors(dtype):
    a = np.stack([np.eye(3), SINGULAR]).astype(dtype)  # the second matrix of the batch
    with pytest.raises(errors.InvalidArgumentError, match=r"^Input is not invertible\. "
                       r"\[Op:MatrixInverse\]$"):  # fmt: skip
        run("MatrixInverse", [a])
    with pytest.raises(errors.InvalidArgumentError, match="Input matrix is not invertible"):
        run("MatrixSolve", [a, np.ones((2, 3, 2), dtype)])
    with pytest.raises(errors.InvalidArgumentError, match=r"\[Op:MatrixSolve\]"):
        run("MatrixSolve", [a[1], np.ones((3, 1), dtype)], {"adjoint": True})
    (det,) = run("MatrixDeterminant", [a])
    np.testing.assert_array_equal(det, np.array([1.0, 0.0], dtype))
    sign, log_abs = run("LogMatrixDeterminant", [a])
    assert sign.tolist() == [1.0, 0.0]
    assert log_abs[0] == 0 and log_abs[1] == -np.inf


def test_solve_with_no_right_hand_sides_skips_the_singular_check():
    (out,) = run("MatrixSolve", [SINGULAR, np.ones((3, 0))])
    assert out.shape == (3, 0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cholesky_of_a_matrix_that_is_not_positive_definite(dtype):
    with pytest.raises(errors.InvalidArgumentError, match="Cholesky decomposition was not "
                       r"successful\. The input might not be valid\. \[Op:Cholesky\]"):  # fmt: skip
        run("Cholesky", [np.array([[1.0, 2.0], [2.0, 1.0]], dtype)])


def test_adjoint_flags_match_numpy():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(2, 4, 4)) + 4 * np.eye(4)
    b = rng.normal(size=(2, 4, 3))
    (inv_t,) = run("MatrixInverse", [a], {"adjoint": True})
    np.testing.assert_allclose(inv_t, np.linalg.inv(np.swapaxes(a, -1, -2)), rtol=1e-12)
    (x,) = run("MatrixSolve", [a, b], {"adjoint": True})
    np.testing.assert_allclose(np.swapaxes(a, -1, -2) @ x, b, atol=1e-12)
    (x,) = run("MatrixSolve", [a, b])
    np.testing.assert_allclose(a @ x, b, atol=1e-12)


def test_determinant_signs_follow_the_pivots():
    perm = np.eye(4)[[1, 0, 2, 3]]  # one row swap: det -1
    (det,) = run("MatrixDeterminant", [np.stack([perm, 2 * np.eye(4), -np.eye(4)])])
    np.testing.assert_allclose(det, [-1.0, 16.0, 1.0])
    sign, log_abs = run("LogMatrixDeterminant", [np.diag([-2.0, 3.0, 1e-300, 1e-300])])
    assert sign == -1.0
    np.testing.assert_allclose(log_abs, np.log(6.0) + 2 * np.log(1e-300), rtol=1e-14)


def test_cholesky_reads_only_the_lower_triangle():
    a = np.array([[4.0, 99.0], [2.0, 5.0]])
    (chol,) = run("Cholesky", [a])
    np.testing.assert_allclose(chol, [[2.0, 0.0], [1.0, 2.0]])


@pytest.mark.parametrize(
    "op, inputs, pattern",
    [
        ("MatrixInverse", [np.ones(3)], r"rank >= 2, got shape \[3\] \(float64\)"),
        ("MatrixInverse", [np.ones((2, 3))], r"must be square, got shape \[2,3\] \(float64\)"),
        ("MatrixDeterminant", [np.ones((4, 2, 3))], r"square, got shape \[4,2,3\]"),
        ("LogMatrixDeterminant", [np.ones((3,))], "rank >= 2"),
        ("Cholesky", [np.ones((1, 2))], "square"),
        ("MatrixSolve", [np.ones((3, 3)), np.ones((2, 1))], r"same number of rows: matrix "
         r"\[3,3\] and rhs \[2,1\] \(float64\)"),
        ("MatrixSolve", [np.ones((2, 3, 3)), np.ones((3, 1))], "same outer dimensions"),
        ("MatrixSolve", [np.ones((2, 3, 3)), np.ones((4, 3, 1))], "same outer dimensions"),
        ("MatrixSolve", [np.ones((3, 3)), np.ones(3)], "Input tensor 1 must have rank >= 2"),
        ("MatrixSolve", [np.ones((3, 3)), np.ones((3, 1), np.float32)],
         "expected to be a float64 tensor but is a float32 tensor"),
    ],
)  # fmt: skip
def test_shape_and_dtype_errors_name_the_op(op, inputs, pattern):
    with pytest.raises(errors.InvalidArgumentError, match=pattern) as info:
        tk.execute(op, inputs, {}, CPU)
    assert f"[Op:{op}]" in str(info.value)


def test_integer_matrices_are_outside_the_type_list():
    with pytest.raises(errors.InvalidArgumentError, match=r"int32 is not in the list of allowed "
                       r"values: float32, float64, float16 \[Op:MatrixInverse\]"):  # fmt: skip
        tk.execute("MatrixInverse", [np.eye(2, dtype=np.int32)], {}, CPU)


def test_cpp_safety_net_rejects_bad_buffers():
    with pytest.raises(ValueError, match="square"):
        _cpu.matrix_inverse(np.ones((2, 3)), np.empty((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        _cpu.cholesky(np.eye(3)[:, ::-1], np.empty((3, 3)))
    with pytest.raises(ValueError, match="dtype"):
        _cpu.matrix_determinant(np.eye(3), np.empty((), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        _cpu.matrix_inverse(np.eye(2, dtype=np.int64), np.empty((2, 2), np.int64))


def test_the_gil_is_released_while_lapack_runs():
    """A Python thread keeps running while a large batch of inverses is computed."""
    a = np.ascontiguousarray(np.eye(64) * 2 + np.random.default_rng(0).uniform(0, 0.1, (64, 64)))
    batch = np.ascontiguousarray(np.broadcast_to(a, (300, 64, 64)))
    out = np.empty_like(batch)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        start = time.perf_counter()
        _cpu.matrix_inverse(batch, out)
        end = time.perf_counter()
    finally:
        done.set()
        t.join()
    np.testing.assert_allclose(out[7] @ a, np.eye(64), atol=1e-10)
    inside = [x for x in ticks if start < x < end]
    if end - start > 0.05:  # long enough for the ticker to have run several times
        assert len(inside) >= 3, (end - start, len(inside))
