"""Property tests (hypothesis): random shapes against NumPy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import get_device

# Few examples, no deadline (first calls warm caches), no example database written to disk,
# and derandomized so a CI run is reproducible.
SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True)

BINARY = {
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "SquaredDifference": lambda a, b: np.square(a - b),
    "Less": np.less,
    "GreaterEqual": np.greater_equal,
    "Equal": np.equal,
}

two_shapes = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=5, min_side=0, max_side=4
)


def execute1(op, inputs, attrs):
    (out,), _ = tk.execute(op, inputs, attrs, get_device("CPU:0"))
    return out


@SETTINGS
@given(
    shapes=two_shapes,
    op=st.sampled_from(sorted(BINARY)),
    dtype=st.sampled_from(["float32", "float64", "int32", "int64"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_broadcast_binary_matches_numpy(shapes, op, dtype, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = np.asarray(rng.integers(-4, 5, a_shape).astype(dtype))
    b = np.asarray(rng.integers(-4, 5, b_shape).astype(dtype))
    out = execute1(op, [a, b], {})
    expected = np.asarray(BINARY[op](a, b))
    if expected.dtype != np.bool_:
        expected = expected.astype(dtype)
    assert out.shape == shapes.result_shape
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@SETTINGS
@given(
    shapes=two_shapes,
    seed=st.integers(0, 2**32 - 1),
)
def test_broadcast_float_ops_match_numpy(shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = np.asarray(rng.uniform(0.5, 2.0, a_shape))
    b = np.asarray(rng.uniform(-2.0, 2.0, b_shape))
    np.testing.assert_allclose(execute1("RealDiv", [a, b], {}), a / b, rtol=1e-14)
    np.testing.assert_allclose(execute1("Pow", [a, b], {}), a**b, rtol=1e-14)


@SETTINGS
@given(
    x=hnp.arrays(
        dtype=st.sampled_from([np.float64, np.int64]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
        elements=st.integers(-100, 100),
    ),
    data=st.data(),
    keep=st.booleans(),
    op=st.sampled_from(["Sum", "Max", "Min"]),
)
def test_reductions_match_numpy(x, data, keep, op):
    axes = data.draw(
        st.none() | st.lists(st.integers(0, max(x.ndim - 1, 0)), unique=True, max_size=x.ndim)
        if x.ndim
        else st.none(),
        label="axes",
    )
    x = np.ascontiguousarray(x) if x.ndim else np.asarray(x)
    out = execute1(op, [x], {"axis": axes, "keep_dims": keep})
    np_axes = None if axes is None else tuple(axes)
    is_float = x.dtype.kind == "f"
    if op == "Sum":
        expected = np.sum(x, axis=np_axes, keepdims=keep)
    elif op == "Max":  # an empty Max is the lowest value, as in TF
        lowest = -np.inf if is_float else np.iinfo(x.dtype).min
        expected = np.max(x, axis=np_axes, keepdims=keep, initial=lowest)
    else:
        highest = np.inf if is_float else np.iinfo(x.dtype).max
        expected = np.min(x, axis=np_axes, keepdims=keep, initial=highest)
    expected = np.asarray(expected).astype(x.dtype)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@SETTINGS
@given(
    x=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.int64, np.uint8, np.bool_]),
        shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4),
    ),
    data=st.data(),
)
def test_transpose_matches_numpy(x, data):
    perm = data.draw(st.permutations(list(range(x.ndim))), label="perm")
    x = np.asarray(x)
    out = execute1("Transpose", [x], {"perm": perm})
    np.testing.assert_array_equal(out, np.transpose(x, perm))
    assert out.shape == tuple(x.shape[p] for p in perm)


@SETTINGS
@given(
    shapes=two_shapes,
    dtype=st.sampled_from(["int32", "int64"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_floor_div_and_mod_recombine(shapes, dtype, seed):
    """a == (a // b) * b + a % b, with Python's signs, under broadcasting."""
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = np.asarray(rng.integers(-50, 51, a_shape).astype(dtype))
    b = np.asarray((rng.integers(1, 8, b_shape) * rng.choice([-1, 1], b_shape)).astype(dtype))
    q, r = execute1("FloorDiv", [a, b], {}), execute1("FloorMod", [a, b], {})
    np.testing.assert_array_equal(q, a // b)
    np.testing.assert_array_equal(r, a % b)
    np.testing.assert_array_equal(q * b + r, np.broadcast_to(a, q.shape))


three_shapes = hnp.mutually_broadcastable_shapes(
    num_shapes=3, min_dims=0, max_dims=4, min_side=0, max_side=3
)


@SETTINGS
@given(shapes=three_shapes, seed=st.integers(0, 2**32 - 1))
def test_select_v2_broadcasts_three_ways(shapes, seed):
    rng = np.random.default_rng(seed)
    c_shape, t_shape, e_shape = shapes.input_shapes
    c = np.asarray(rng.random(c_shape) < 0.5)
    t, e = np.asarray(rng.standard_normal(t_shape)), np.asarray(rng.standard_normal(e_shape))
    out = execute1("SelectV2", [c, t, e], {})
    assert out.shape == shapes.result_shape
    np.testing.assert_array_equal(out, np.where(c, t, e))


@SETTINGS
@given(
    x=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.int64, np.bool_]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
    ),
    data=st.data(),
)
def test_split_then_concat_is_identity(x, data):
    x = np.ascontiguousarray(x)
    axis = data.draw(st.integers(0, x.ndim - 1), label="axis")
    cuts = sorted(data.draw(st.lists(st.integers(0, x.shape[axis]), max_size=3), label="cuts"))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [x.shape[axis]])]
    parts, _ = tk.execute("SplitV", [x], {"size_splits": sizes, "axis": axis}, get_device("CPU:0"))
    for part, ref in zip(parts, np.split(x, cuts, axis=axis)):
        np.testing.assert_array_equal(part, ref)
    np.testing.assert_array_equal(execute1("ConcatV2", parts, {"axis": axis}), x)


@SETTINGS
@given(
    x=hnp.arrays(
        dtype=np.float64,
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
        elements=st.integers(-3, 3),
    ),
    data=st.data(),
)
def test_strided_slice_matches_python_slicing(x, data):
    """Random Python slices (steps of either sign, out-of-range bounds) against NumPy."""
    x = np.ascontiguousarray(x)
    bound = st.none() | st.integers(-7, 7)
    index = tuple(
        slice(data.draw(bound), data.draw(bound), data.draw(st.sampled_from([None, 1, 2, -1, -3])))
        for _ in range(x.ndim)
    )
    begin = [0 if s.start is None else s.start for s in index]
    end = [0 if s.stop is None else s.stop for s in index]
    strides = [1 if s.step is None else s.step for s in index]
    begin_mask = sum(1 << i for i, s in enumerate(index) if s.start is None)
    end_mask = sum(1 << i for i, s in enumerate(index) if s.stop is None)
    attrs = {"begin": begin, "end": end, "strides": strides, "begin_mask": begin_mask,
             "end_mask": end_mask}  # fmt: skip
    np.testing.assert_array_equal(execute1("StridedSlice", [x], attrs), x[index])
