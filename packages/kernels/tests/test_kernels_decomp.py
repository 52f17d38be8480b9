"""The decomposition kernels' vectors (Svd's u and v, SelfAdjointEigV2's v: their signs are
LAPACK's choice, so they are checked by reconstruction and orthonormality), non-finite input,
and the segment / unique / bincount kernels' TF errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, get_device

CPU = get_device("/device:CPU:0")
RNG = np.random.default_rng(3)


def run(op, inputs, attrs=None):
    inputs = [np.require(x, requirements="C") for x in inputs]  # 0-d stays 0-d
    outputs, used = tk.execute(op, inputs, attrs or {}, CPU)
    assert used is CPU
    return outputs


def _t(x):
    return np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 6, 2), (1, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_vectors_reconstruct_and_are_orthonormal(dtype, shape, full):
    a = RNG.standard_normal(shape).astype(dtype)
    s, u, v = run("Svd", [a], {"compute_uv": True, "full_matrices": full})
    m, n = shape[-2:]
    k = min(m, n)
    tol = 2e-5 if dtype == "float32" else 1e-12
    assert u.shape == shape[:-2] + ((m, m) if full else (m, k))
    assert v.shape == shape[:-2] + ((n, n) if full else (n, k))
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ _t(v[..., :k]), a, atol=tol * 10)
    np.testing.assert_allclose(_t(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] +
                               (u.shape[-1],) * 2), atol=tol * 10)  # fmt: skip
    np.testing.assert_allclose(_t(v) @ v, np.broadcast_to(np.eye(v.shape[-1]), v.shape[:-2] +
                               (v.shape[-1],) * 2), atol=tol * 10)  # fmt: skip
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False),
                               rtol=tol * 10, atol=tol * 10)  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eigenvectors_diagonalise_the_lower_triangle(dtype):
    a = RNG.standard_normal((3, 5, 5)).astype(dtype)
    a[..., 0, 4] = 1e6  # above the diagonal: never read
    e, v = run("SelfAdjointEigV2", [a], {"compute_v": True})
    sym = np.tril(a) + _t(np.tril(a, -1))
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(v @ (e[..., :, None] * _t(v)), sym, atol=tol * 10)
    np.testing.assert_allclose(_t(v) @ v, np.broadcast_to(np.eye(5), (3, 5, 5)), atol=tol)
    assert np.all(np.diff(e, axis=-1) >= 0)


def test_non_finite_matrices_give_nan_factors_and_others_are_unaffected():
    a = RNG.standard_normal((2, 3, 3))
    a[0, 1, 1] = np.inf
    s, u, v = run("Svd", [a], {"compute_uv": True, "full_matrices": False})
    assert np.isnan(s[0]).all() and np.isnan(u[0]).all() and np.isnan(v[0]).all()
    np.testing.assert_allclose(s[1], np.linalg.svd(a[1], compute_uv=False), atol=1e-12)
    e, _ = run("SelfAdjointEigV2", [a], {"compute_v": True})
    assert np.isnan(e[0]).all() and np.isfinite(e[1]).all()


def test_decomposition_shape_errors_are_tf_errors():
    with pytest.raises(errors.InvalidArgumentError, match="rank >= 2"):
        run("Qr", [np.ones(3)], {"full_matrices": False})
    with pytest.raises(errors.InvalidArgumentError, match="must be square"):
        run("SelfAdjointEigV2", [np.ones((2, 3))], {"compute_v": True})
    with pytest.raises(errors.InvalidArgumentError, match=r"^Input is not invertible\. \[Op:Lu\]"):
        run("Lu", [np.zeros((2, 2))], {"output_idx_type": "int32"})


def test_segment_kernel_errors_name_the_op():
    with pytest.raises(errors.InvalidArgumentError, match=r"UnsortedSegmentProd"):
        run("UnsortedSegmentProd", [np.ones(3), np.array([0, 3, 1])], {"num_segments": 3})
    with pytest.raises(errors.InvalidArgumentError, match=r"not increasing \[Op:SegmentMax\]"):
        run("SegmentMax", [np.ones(3), np.array([1, 0, 1])])
    with pytest.raises(errors.InvalidArgumentError, match=r"non-negative! \[Op:DenseBincount\]"):
        run("DenseBincount", [np.array([1, -2]), np.array(3), np.zeros(0, np.int32)])
    with pytest.raises(errors.InvalidArgumentError, match="unique expects a 1D vector"):
        run("Unique", [np.ones((2, 2))], {"out_idx": "int32"})
    with pytest.raises(errors.InvalidArgumentError, match="Leading dim_size"):
        run("LowerBound", [np.ones((2, 3)), np.ones((3, 1))], {"out_type": "int32"})
