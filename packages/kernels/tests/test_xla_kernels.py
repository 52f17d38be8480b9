"""The XLA kernels beyond conformance: execute's contract, errors, placement, jit_graph."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import jax

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, list_devices, to_host
from tensorhouse_kernels import xla

XLA = next(iter(list_devices("XLA_CPU")), None)
pytestmark = pytest.mark.skipif(XLA is None, reason="no XLA_CPU device (TENSORHOUSE_XLA=0?)")
f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64


def on_xla(*arrays):
    return [from_host(np.asarray(a), XLA) for a in arrays]


def run(op, inputs, attrs=None):
    outputs, used = tk.execute(op, on_xla(*inputs), dict(attrs or {}), XLA)
    assert used is XLA
    return [to_host(o, XLA) for o in outputs]


def seeded(attrs):
    """``(inputs, attrs)``: a stateless op's ``seed`` pair moved to its int64 seed input."""
    if not isinstance(attrs.get("seed"), list):
        return [], attrs
    seed = np.array([s & 2**64 - 1 for s in attrs["seed"]], np.uint64).view(np.int64)
    return [seed], {k: v for k, v in attrs.items() if k != "seed"}


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


def test_xla_kernels_set_empty_slots_under_the_one_contract():
    assert not XLA.writable  # immutable jax.Array: execute allocates nothing
    registry, seen = tk.runtime.registry, []
    kernel = registry.lookup("AddV2", "XLA_CPU", np.dtype(f32))

    def spy(inputs, outputs, attrs):
        seen.append(list(outputs))
        assert kernel(inputs, outputs, attrs) is None

    registry.register("AddV2", "XLA_CPU", f32, spy, priority=98)
    try:
        (out,) = run("AddV2", [np.ones(2, f32), np.ones(2, f32)], {})
    finally:
        registry.unregister("AddV2", "XLA_CPU", f32, priority=98)
    assert seen == [[None]] and out.tolist() == [2.0, 2.0]


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
    run("Sum", [x], {"axis": [0]})
    run("Sum", [x], {"axis": [0]})  # same attrs, same signature: cached
    (s,) = run("Sum", [x], {"axis": (1,)})
    np.testing.assert_array_equal(s, np.full(4, 5, f32))


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


def assert_random_equal(op, got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "i" or op in ("RandomUniform", "StatelessRandomUniformV2"):
        np.testing.assert_array_equal(got, want)
    else:
        tol = 1e-5 if want.dtype == f32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


RANDOM_LARGE = [
    ("TruncatedNormal", {"shape": (250, 401), "seed": 7, "seed2": 2**63 + 1}),
    ("StatelessTruncatedNormalV2", {"shape": (100003,), "seed": [-1, 2**40]}),
    ("StatelessRandomNormalV2", {"shape": (33, 1001), "seed": [3, 4]}),
    ("StatelessRandomUniformV2", {"shape": (33, 1001), "seed": [2**62, -(2**63)]}),
]


@pytest.mark.parametrize("op, attrs", RANDOM_LARGE, ids=[o for o, _ in RANDOM_LARGE])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_new_random_ops_give_the_cpu_numbers_on_large_shapes(op, attrs, dtype):
    # 1e5 truncated normals: about 200 are resampled once (blocks i + n), some twice.
    cpu = tk.runtime.get_device("/device:CPU:0")
    inputs, attrs = seeded(dict(attrs, dtype=dtype))
    (want,), _ = tk.execute(op, inputs, dict(attrs), cpu)
    (got,) = run(op, inputs, attrs)
    assert_random_equal(op, got, np.asarray(want))
    if "Truncated" in op:
        assert np.abs(got).max() < 2 and np.abs(got).max() > 1.99
        assert abs(got.mean()) < 0.02 and abs(got.std() - 0.8796) < 0.01  # TF's truncated std


def test_truncated_normal_retries_in_batches_and_still_gives_the_cpu_numbers():
    # About 40 of 20000 elements miss on the first attempt; batches of 3 take many rounds.
    cpu = tk.runtime.get_device("/device:CPU:0")
    for dtype in (f32, f64):
        attrs = {"shape": (20000,), "dtype": dtype, "seed": 99, "seed2": 2**64 - 2}
        (want,), _ = tk.execute("TruncatedNormal", [], dict(attrs), cpu)
        run_jit = jax.jit(lambda s, s2, dt=dtype: xla._truncated_normal(dt, 20000, s, s2, 3))
        got = np.asarray(run_jit(np.uint64(99), np.uint64(2**64 - 2)))
        assert_random_equal("TruncatedNormal", got, np.asarray(want))


def test_random_uniform_int_gives_the_cpu_numbers_and_stays_in_range():
    cpu = tk.runtime.get_device("/device:CPU:0")
    bounds = {
        "int32": [(-(2**31), 2**31 - 1), (-7, 1), (5, 6), (0, 3)],
        "int64": [(-(2**63), 2**63 - 1), (-(2**62), 2**62 + 1), (2**40, 2**40 + 9), (-3, 0)],
    }
    for dtype, pairs in bounds.items():
        for lo, hi in pairs:
            attrs = {"shape": (41, 97), "dtype": dtype, "minval": lo, "maxval": hi,
                     "seed": 2**64 - 5, "seed2": 11}  # fmt: skip
            (want,), _ = tk.execute("RandomUniformInt", [], dict(attrs), cpu)
            (got,) = run("RandomUniformInt", [], attrs)
            assert_random_equal("RandomUniformInt", got, np.asarray(want))
            assert got.min() >= lo and got.max() < hi
    with pytest.raises(errors.InvalidArgumentError, match="Need minval < maxval"):
        run("RandomUniformInt", [], dict(attrs, minval=3, maxval=3))


def test_a_new_seed_or_bound_does_not_recompile_the_random_kernels(monkeypatch):
    cpu = tk.runtime.get_device("/device:CPU:0")
    cases = {
        "TruncatedNormal": [
            {"seed": s, "seed2": s2} for s, s2 in [(0, 0), (2**64 - 1, 5), (9, 2**63)]
        ],
        "RandomUniformInt": [
            {"seed": 1, "seed2": 2, "minval": -5, "maxval": 7},
            {"seed": 3, "seed2": 2**64 - 1, "minval": 0, "maxval": 2**31 - 1},
            {"seed": 2**63, "seed2": 0, "minval": -(2**31), "maxval": 2**31 - 1},
        ],
        "StatelessTruncatedNormalV2": [{"seed": s} for s in ([1, 2], [-5, 6], [2**63, 0])],
        "StatelessRandomUniformV2": [{"seed": s} for s in ([1, 2], [3, 2**64 - 1], [-1, -2])],
    }
    for op, variants in cases.items():
        traces = []

        def counted(inputs, attrs, fn=xla.TABLE[op], traces=traces):
            traces.append(attrs)
            return fn(inputs, attrs)

        monkeypatch.setitem(xla.TABLE, op, counted)
        kernel = xla.make_kernel(op)
        dtype = "int32" if op == "RandomUniformInt" else "float32"
        for variant in variants:
            inputs, attrs = seeded(dict(variant, shape=(6, 7), dtype=dtype))
            got = tk.Outputs([None])
            got.device = XLA
            kernel(on_xla(*inputs), got, dict(attrs))
            (got,) = got
            (want,), _ = tk.execute(op, inputs, dict(attrs), cpu)
            assert_random_equal(op, to_host(got, XLA), np.asarray(want))
        assert len(traces) == 1, op  # traced (and compiled) once for all the seeds and bounds


def test_jit_graph_runs_the_new_random_ops_as_the_cpu_does():
    cpu = tk.runtime.get_device("/device:CPU:0")
    nodes = [
        ("TruncatedNormal", {"shape": (5000,), "dtype": "float64", "seed": 2**64 - 1, "seed2": 3}),
        ("RandomUniformInt", {"shape": (3, 5), "dtype": "int64", "seed": 1, "seed2": 2,
                              "minval": -(2**63), "maxval": 2**63 - 1}),
        ("StatelessRandomUniformV2", {"shape": (9,), "dtype": "float32", "seed": [1, 2]}),
        ("StatelessRandomNormalV2", {"shape": (9,), "dtype": "float64", "seed": [1, 2]}),
        ("StatelessTruncatedNormalV2", {"shape": (4, 999), "dtype": "float32", "seed": [-5, 6]}),
    ]  # fmt: skip
    nodes = [(op, *seeded(attrs)) for op, attrs in nodes]  # a seed: an argument of the graph
    seeds = [x for _, inputs, _ in nodes for x in inputs]
    args, schedule = iter(range(100, 100 + len(seeds))), []
    for i, (op, inputs, attrs) in enumerate(nodes):
        schedule.append((op, [next(args) for _ in inputs], [i], attrs))
    graph = xla.jit_graph(schedule, range(100, 100 + len(seeds)), list(range(len(nodes))))
    outputs = graph(*seeds)
    for (op, inputs, attrs), got in zip(nodes, outputs):
        (want,), _ = tk.execute(op, inputs, dict(attrs), cpu)
        assert_random_equal(op, np.asarray(got), np.asarray(want))


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


# ---- neural-network ops: what the generated cases do not reach --------------------------------


def test_max_pool_and_its_gradients_treat_ties_and_nan_as_the_cpu():
    nan = np.nan
    x = np.array([[1, 1, nan, 5, 7, nan, nan, nan], [1, 1, 2, 3, nan, nan, nan, nan]], f32)
    x = x.reshape(1, 2, 8, 1)
    pool = {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}
    (y,) = run("MaxPool", [x], pool)  # NaN never wins; an all-NaN window gives -inf
    np.testing.assert_array_equal(y.ravel(), [1, 5, 7, -np.inf])
    dy = np.array([10, 20, 30, 40], f32).reshape(1, 1, 4, 1)
    (dx,) = run("MaxPoolGrad", [x, y, dy], pool)  # the first maximum; NaN only when first
    want = np.zeros((1, 2, 8, 1), f32)
    want[0, 0, [0, 2, 4, 6], 0] = [10, 20, 30, 40]
    np.testing.assert_array_equal(dx, want)
    g = np.arange(16, dtype=f32).reshape(1, 2, 8, 1)
    (gg,) = run("MaxPoolGradGrad", [x, y, g], pool)
    np.testing.assert_array_equal(gg.ravel(), [0, 2, 4, 6])
    # Overlapping windows of ties: each routes to its own first (top-left) element.
    ones = np.ones((1, 3, 3, 1), f32)
    overlap = {"ksize": [1, 2, 2, 1], "strides": [1, 1, 1, 1], "padding": "VALID"}
    (dx,) = run("MaxPoolGrad", [ones, ones[:, :2, :2], ones[:, :2, :2]], overlap)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    cpu = tk.runtime.get_device("/device:CPU:0")
    for op, inputs, attrs in (("MaxPool", [x], pool), ("MaxPoolGrad", [x, y, dy], pool),
                              ("MaxPoolGradGrad", [x, y, g], pool)):  # fmt: skip
        (want,), _ = tk.execute(op, inputs, dict(attrs), cpu)
        np.testing.assert_array_equal(run(op, inputs, attrs)[0], want)


def test_convolutions_with_padding_beyond_the_window_and_strides_beyond_it():
    # EXPLICIT padding wider than the window (the input gradient's padding goes negative) and
    # strides longer than the window (input rows no window reads get a zero gradient).
    cpu = tk.runtime.get_device("/device:CPU:0")
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 7, 8, 3)).astype(f64)
    cases = [
        ((1, 2, 3, 4), {"strides": [1, 1, 1, 1], "padding": "EXPLICIT",
                        "explicit_paddings": [0, 0, 3, 1, 0, 4, 0, 0]}),
        ((2, 1, 3, 2), {"strides": [1, 3, 4, 1], "padding": "VALID", "dilations": [1, 1, 2, 1]}),
    ]  # fmt: skip
    for f_shape, attrs in cases:
        f = rng.uniform(-1, 1, f_shape).astype(f64)
        for base, filt in (("Conv2D", f), ("DepthwiseConv2dNative", f[..., :1].copy())):
            (y,), _ = tk.execute(base, [x, filt], dict(attrs), cpu)
            dy = rng.uniform(-1, 1, y.shape).astype(f64)
            grads = [
                (base, [x, filt], attrs),
                (base + "BackpropInput", [filt, dy], dict(attrs, input_sizes=list(x.shape))),
                (base + "BackpropFilter", [x, dy], dict(attrs, filter_sizes=list(filt.shape))),
            ]
            for op, inputs, a in grads:
                (want,), _ = tk.execute(op, inputs, dict(a), cpu)
                (got,) = run(op, inputs, a)
                assert got.shape == want.shape, op
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=op)
    # Strides 3 > 2 rows and 4 > 1 column: rows 2, 5, 6 and columns 1-3, 5-7 are read by no
    # window, their gradient is 0.
    (dx,) = run("Conv2DBackpropInput", [np.ones((2, 1, 3, 2)), np.ones((2, 2, 2, 2))],
                {"strides": [1, 3, 4, 1], "padding": "VALID", "dilations": [1, 1, 2, 1],
                 "input_sizes": [2, 7, 8, 3]})  # fmt: skip
    np.testing.assert_array_equal(dx[:, [2, 5, 6]], 0)
    np.testing.assert_array_equal(dx[0, 0, :, 0], [2, 0, 0, 0, 2, 0, 0, 0])
    np.testing.assert_array_equal(dx[1, 4, :, 2], [2, 0, 0, 0, 2, 0, 0, 0])


def test_batch_norm_rounds_x_times_k_before_adding_as_the_cpu():
    # One row: the variance is 0 and k = scale / sqrt(eps) is large, so y = x * k + b cancels.
    # The CPU rounds x * k first; an FMA would differ by up to half an ulp of x * k (~3e-5).
    cpu = tk.runtime.get_device("/device:CPU:0")
    rng = np.random.default_rng(5)
    x = rng.normal(2, 3, (1, 1, 1, 64)).astype(f32)
    scale, offset = rng.normal(size=(2, 64)).astype(f32)
    attrs = {"epsilon": 1e-5, "is_training": True, "exponential_avg_factor": 1.0}
    inputs = [x, scale, offset, np.zeros(0, f32), np.zeros(0, f32)]
    want, _ = tk.execute("FusedBatchNormV3", inputs, dict(attrs), cpu)
    got = run("FusedBatchNormV3", inputs, attrs)
    assert [g.shape for g in got] == [(1, 1, 1, 64), (64,), (64,), (64,), (64,), (0,)]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(got[0].ravel(), offset, atol=1e-3)  # x - mean = 0, up to that ulp
    np.testing.assert_array_equal(got[3], x.ravel())  # reserve_space_1: the batch mean
    np.testing.assert_array_equal(got[4], 0)  # reserve_space_2: the biased variance


def conv_net_schedule(conv, pool, bn):
    """A conv block forward and backward: slots 0 x, 1 filter, 2 bias, 3 scale, 4 offset,
    5 empty running statistics, 6 the pooled output's gradient."""
    return [
        ("Conv2D", [0, 1], [7], conv),
        ("BiasAdd", [7, 2], [8], {}),
        ("FusedBatchNormV3", [8, 3, 4, 5, 5], [9, 10, 11, 12, 13, 14], bn),
        ("Relu", [9], [15], {}),
        ("MaxPool", [15], [16], pool),
        ("AvgPool", [15], [17], pool),
        ("MaxPoolGrad", [15, 16, 6], [18], pool),
        ("AvgPoolGrad", [6], [19], dict(pool, orig_input_shape=[2, 5, 4, 8])),
        ("AddV2", [18, 19], [20], {}),
        ("ReluGrad", [20, 9], [21], {}),
        ("FusedBatchNormGradV3", [21, 8, 3, 12, 13, 14], [22, 23, 24, 25, 26], bn),
        ("BiasAddGrad", [22], [27], {}),
        ("Conv2DBackpropInput", [1, 22], [28], dict(conv, input_sizes=[2, 9, 9, 3])),
        ("Conv2DBackpropFilter", [0, 22], [29], dict(conv, filter_sizes=[3, 3, 3, 8])),
    ]


def test_jit_graph_runs_a_conv_block_forward_and_backward_as_the_cpu_does():
    conv = {"strides": [1, 2, 2, 1], "padding": "EXPLICIT", "dilations": [1, 1, 2, 1],
            "explicit_paddings": [0, 0, 1, 2, 2, 0, 0, 0]}  # fmt: skip
    pool = {"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
    bn = {"epsilon": 1e-3, "is_training": True}
    schedule = conv_net_schedule(conv, pool, bn)
    rng = np.random.default_rng(7)
    args = [rng.uniform(-1, 1, s).astype(f32) for s in
            [(2, 9, 9, 3), (3, 3, 3, 8), (8,), (8,), (8,), (0,), (2, 3, 2, 8)]]  # fmt: skip
    outs = [16, 17, 10, 11, 23, 24, 27, 28, 29]
    got = xla.jit_graph(schedule, list(range(7)), outs)(*on_xla(*args))
    cpu = tk.runtime.get_device("/device:CPU:0")
    slots = dict(enumerate(args))
    for op, ins, out_slots, attrs in schedule:
        ys, _ = tk.execute(op, [slots[i] for i in ins], dict(attrs), cpu)
        slots.update(zip(out_slots, (np.asarray(y) for y in ys)))
    assert slots[16].shape == (2, 3, 2, 8) and slots[29].shape == (3, 3, 3, 8)
    for i, g in zip(outs, got):
        assert isinstance(g, jax.Array) and g.dtype == f32
        np.testing.assert_allclose(np.asarray(g), slots[i], rtol=1e-5, atol=1e-5, err_msg=i)
    assert np.abs(slots[28]).sum() > 0 and np.abs(slots[29]).sum() > 0


def test_stateless_int_bounds_are_inputs_checked_on_the_host():
    cpu = tk.runtime.get_device("/device:CPU:0")
    op, attrs = "StatelessRandomUniformIntV2", {"shape": (5, 7), "dtype": "int32"}
    seed = np.array([-3, 2**31 - 1], np.int32)
    for lo, hi in [(-(2**31), 2**31 - 1), (-7, 1), (5, 6)]:
        inputs = [seed, np.array(lo, np.int32), np.array(hi, np.int32)]
        (want,), _ = tk.execute(op, inputs, dict(attrs), cpu)
        (got,) = run(op, inputs, attrs)
        np.testing.assert_array_equal(got, want)
        assert got.min() >= lo and got.max() < hi
    bad = [seed, np.array(4, np.int32), np.array(4, np.int32)]
    raises(op, bad, attrs, "Need minval < maxval, got 4 >= 4")
