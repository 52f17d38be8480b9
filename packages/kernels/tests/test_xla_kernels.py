"""The XLA kernels beyond conformance: execute's contract, errors, placement, jit_graph."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import jax

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, list_devices, to_host
from tensorhouse_kernels import xla
from tensorhouse_kernels.execute import _returning

XLA = next(iter(list_devices("XLA_CPU")), None)
pytestmark = pytest.mark.skipif(XLA is None, reason="no XLA_CPU device (TENSORHOUSE_XLA=0?)")
f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64


def on_xla(*arrays):
    return [from_host(np.asarray(a), XLA) for a in arrays]


def run(op, inputs, attrs=None):
    outputs, used = tk.execute(op, on_xla(*inputs), dict(attrs or {}), XLA)
    assert used is XLA
    return [to_host(o, XLA) for o in outputs]


def raises(op, inputs, attrs, match):
    with pytest.raises(errors.InvalidArgumentError, match=match) as info:
        tk.execute(op, on_xla(*inputs), attrs, XLA)
    assert str(info.value).endswith(f"[Op:{op}]"), str(info.value)
    return str(info.value)


# ---- execute's contract ------------------------------------------------------------------------


def test_xla_kernels_return_jax_arrays_on_the_device_and_allocate_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(XLA, "allocate", lambda *a: calls.append(a))
    a, b = on_xla(np.ones((2, 3), f32), np.full((3,), 2, f32))
    (out,), used = tk.execute("AddV2", [a, b], {}, XLA)
    assert used is XLA and not calls
    assert isinstance(out, jax.Array)
    assert out.devices() == {XLA.native}
    np.testing.assert_array_equal(np.asarray(out), np.full((2, 3), 3, f32))


def test_ops_without_inputs_land_on_the_device():
    attrs = {"shape": (2, 2), "dtype": "float32", "value": 1.5}
    (out,), used = tk.execute("Fill", [], attrs, XLA)
    assert used is XLA and out.devices() == {XLA.native}
    np.testing.assert_array_equal(np.asarray(out), np.full((2, 2), 1.5, f32))


def test_outputs_are_counted_in_the_device_memory_stats():
    before = XLA.stats.current
    (out,), _ = tk.execute("Fill", [], {"shape": (1000,), "dtype": "float64", "value": 0}, XLA)
    assert XLA.stats.current >= before + 8000
    del out


def test_cpu_kernels_are_not_marked_and_keep_the_fill_contract():
    from tensorhouse_hw_runtime.registry import list_kernels

    for k in list_kernels(device_type="CPU"):
        assert k.kernel not in _returning, k
    for k in list_kernels(device_type="XLA_CPU"):
        if k.source == xla.SOURCE:
            assert k.kernel in _returning and k.kernel.returns_outputs


def test_multi_output_and_view_ops():
    x = np.arange(12, dtype=f32).reshape(3, 4)
    parts = run("Split", [x], {"num_split": 2, "axis": 1})
    np.testing.assert_array_equal(parts[1], x[:, 2:])
    (y,) = run("Reshape", [x], {"shape": (2, -1)})
    np.testing.assert_array_equal(y, x.reshape(2, 6))
    (w,) = run("Where", [x > 8], {})
    np.testing.assert_array_equal(w, np.argwhere(x > 8))


def test_kernels_are_compiled_once_per_attrs():
    x = np.ones((4, 5), f32)
    kernel = tk.runtime.registry.lookup("Sum", "XLA_CPU", np.dtype(f32))
    run("Sum", [x], {"axis": [0]})
    run("Sum", [x], {"axis": [0]})  # same attrs, same signature: cached
    (s,) = run("Sum", [x], {"axis": (1,)})
    np.testing.assert_array_equal(s, np.full(4, 5, f32))
    assert kernel.returns_outputs


# ---- semantics that the conformance cases touch only lightly ---------------------------------


def test_random_numbers_equal_the_cpu_stream_and_do_not_recompile_per_seed():
    cpu = tk.runtime.get_device("/device:CPU:0")
    for dtype in ("float32", "float64"):
        for op in ("RandomUniform", "RandomStandardNormal"):
            for seed, seed2 in [(0, 0), (2**63 + 7, 2**64 - 1), (12345, 2**40)]:
                attrs = {"shape": (3, 37), "dtype": dtype, "seed": seed, "seed2": seed2}
                (want,), _ = tk.execute(op, [], attrs, cpu)
                (got,) = run(op, [], attrs)
                if op == "RandomUniform":
                    np.testing.assert_array_equal(got, want)
                else:
                    tol = 1e-5 if dtype == "float32" else 1e-12
                    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_integer_wrapping_and_division_edges():
    lo = np.iinfo(i32).min
    a, b = np.array([lo, lo, 7, -7], i32), np.array([-1, 1, -2, 2], i32)
    (q,) = run("FloorDiv", [a, b])
    (r,) = run("FloorMod", [a, b])
    np.testing.assert_array_equal(q, [lo, lo, -4, -4])
    np.testing.assert_array_equal(r, [0, 0, -1, 1])
    (n,) = run("Neg", [np.array([lo], i32)])
    assert n[0] == lo
    (s,) = run("Sum", [np.array([2**31 - 1, 1], i32)])
    assert s.dtype == i32 and s == lo


def test_cast_saturates_and_maps_nan_to_zero():
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.9, -2.9], f32)
    (y,) = run("Cast", [x], {"DstT": "int32"})
    np.testing.assert_array_equal(y, [0, 2**31 - 1, -(2**31), 2**31 - 1, -(2**31), 2, -2])
    (u,) = run("Cast", [x], {"DstT": "uint8"})
    np.testing.assert_array_equal(u, [0, 255, 0, 255, 0, 2, 0])


def test_round_is_half_to_even_and_top_k_ranks_nan_first():
    (r,) = run("Round", [np.array([0.5, 1.5, 2.5, -0.5, -2.5], f32)])
    np.testing.assert_array_equal(r, [0, 2, 2, -0, -2])
    v, i = run("TopKV2", [np.array([1.0, np.nan, 3.0, 3.0, -0.0, 0.0], f32)], {"k": 6})
    np.testing.assert_array_equal(i, [1, 2, 3, 0, 4, 5])


# ---- errors for bad values: checked on the host, with the CPU kernels' messages ---------------


@pytest.mark.parametrize("op", ["FloorDiv", "FloorMod"])
@pytest.mark.parametrize("dtype", [i32, i64])
def test_integer_division_by_zero(op, dtype):
    a, b = np.array([[7, -7, 3]], dtype), np.array([[2], [0]], dtype)
    assert raises(op, [a, b], {}, "Integer division by zero") == (
        f"Integer division by zero [Op:{op}]"
    )
    (out,) = run(op, [a.astype(f32), b.astype(f32)])  # floats divide as IEEE does
    assert out.shape == (2, 3)


@pytest.mark.parametrize("idx_dtype", [i32, i64])
def test_gather_index_out_of_range(idx_dtype):
    params = np.arange(15, dtype=f32).reshape(5, 3)
    msg = raises("GatherV2", [params, np.array([[0, 1], [7, 2]], idx_dtype)], {"axis": 0}, "not in")
    assert msg == "indices[1,0] = 7 is not in [0, 5) [Op:GatherV2]"
    raises("GatherV2", [params, np.array([-1], idx_dtype)], {"axis": 1}, r"\[0\] = -1 is not in")


def test_gather_nd_scatter_nd_and_segment_ids_out_of_range():
    msg = raises("GatherNd", [np.zeros((4, 3), f32), np.array([[1, 2], [4, 0]], i64)], {}, "does")
    assert msg == "indices[1] = [4, 0] does not index into param shape [4,3] [Op:GatherNd]"
    msg = raises(
        "ScatterNd", [np.array([[1], [5]], i32), np.ones((2, 3), f32)], {"shape": (4, 3)}, "does"
    )
    assert msg == "indices[1] = [5] does not index into shape [4,3] [Op:ScatterNd]"
    msg = raises(
        "UnsortedSegmentSum",
        [np.ones((3, 2), f32), np.array([0, 3, 1], i32)],
        {"num_segments": 3},
        "out of range",
    )
    assert msg == "segment_ids[1] = 3 is out of range [0, 3) [Op:UnsortedSegmentSum]"


@pytest.mark.parametrize("bad", [3, -1])
def test_sparse_label_out_of_range(bad):
    op = "SparseSoftmaxCrossEntropyWithLogits"
    msg = raises(op, [np.ones((3, 3), f32), np.array([0, bad, 1], i64)], {}, "label value")
    assert msg == (
        f"Received a label value of {bad} which is outside the valid range of [0, 3).  "
        f"Label values: 0 {bad} 1 [Op:{op}]"
    )


def test_shape_errors_come_from_the_op_definition():
    with pytest.raises(errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs\. \[3\]"):
        tk.execute("AddV2", on_xla(np.ones(2, f32), np.ones(3, f32)), {}, XLA)


# ---- whole graphs under jax.jit ----------------------------------------------------------------


def mlp_schedule():
    # slots: 0 x, 1 w, 2 b, 3 labels | 4 xw, 5 logits, 6 relu, 7 loss, 8 backprop, 9 mean
    return [
        ("MatMul", [0, 1], [4], {}),
        ("AddV2", [4, 2], [5], {}),
        ("Relu", [5], [6], {}),
        ("SparseSoftmaxCrossEntropyWithLogits", [6, 3], [7, 8], {}),
        ("Mean", [7], [9], {"axis": None, "keep_dims": False}),
    ]


def test_jit_graph_matches_eager_execution():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(8, 5)).astype(f32), rng.normal(size=(5, 4)).astype(f32)
    b, labels = rng.normal(size=(4,)).astype(f32), rng.integers(0, 4, size=8).astype(i32)
    fn = xla.jit_graph(mlp_schedule(), input_slots=[0, 1, 2, 3], output_slots=[9, 8])
    loss, backprop = fn(*on_xla(x, w, b, labels))
    assert isinstance(loss, jax.Array) and loss.shape == () and loss.dtype == f32
    (xw,) = run("MatMul", [x, w])
    (logits,) = run("AddV2", [xw, b])
    (h,) = run("Relu", [logits])
    l_eager, g_eager = run("SparseSoftmaxCrossEntropyWithLogits", [h, labels])
    (m_eager,) = run("Mean", [l_eager], {"axis": None})
    np.testing.assert_allclose(np.asarray(loss), m_eager, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(backprop), g_eager, rtol=1e-6, atol=1e-7)
    # numpy arguments work too, and the function is a real jax.jit (traceable by jax.grad).
    (again, _) = fn(x, w, b, labels)
    np.testing.assert_allclose(np.asarray(again), m_eager, rtol=1e-6)
    grad = jax.grad(lambda w_: fn(x, w_, b, labels)[0])(w)
    assert grad.shape == w.shape


def test_jit_graph_checks_shapes_while_tracing_and_refuses_where():
    fn = xla.jit_graph([("AddV2", [0, 1], [2], {})], [0, 1], [2])
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        fn(np.ones(2, f32), np.ones(3, f32))
    with pytest.raises(errors.UnimplementedError, match="data-dependent"):
        xla.jit_graph([("Where", [0], [1], {})], [0], [1])
    with pytest.raises(errors.UnimplementedError, match="NoSuchOp"):
        xla.jit_graph([("NoSuchOp", [0], [1], {})], [0], [1])


def test_jit_graph_runs_ops_without_inputs_as_the_cpu_does():
    cpu = tk.runtime.get_device("/device:CPU:0")
    uniform = {"shape": (5,), "dtype": "float64", "seed": 2**64 - 1, "seed2": 2**63 + 3}
    rng = {"start": 0.1, "limit": 1.0, "delta": 0.1, "dtype": "float32"}
    fn = xla.jit_graph([("RandomUniform", [], [0], uniform), ("Range", [], [1], rng)], [], [0, 1])
    u, r = fn()
    (u_cpu,), _ = tk.execute("RandomUniform", [], uniform, cpu)
    (r_cpu,), _ = tk.execute("Range", [], rng, cpu)
    np.testing.assert_array_equal(np.asarray(u), u_cpu)
    np.testing.assert_array_equal(np.asarray(r), r_cpu)  # accumulated in float32, in order
