"""The CPU kernels of tf.string (object arrays of bytes): structural ops, Equal / NotEqual and
Unique, against NumPy references and TF 2.21's values and messages."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, get_device, registry
from tensorhouse_kernels.opdefs import STRING, STRING_OPS

CPU = get_device("/device:CPU:0")


def S(values):
    """An object array of bytes (str values UTF-8 encoded), the host form of tf.string."""
    arr = np.array(values, dtype=object)
    for i, v in enumerate(arr.flat):
        arr.flat[i] = v.encode() if isinstance(v, str) else v
    return arr


def run(op, inputs, attrs=None):
    outputs, used = tk.execute(op, list(inputs), dict(attrs or {}), CPU)
    assert used is CPU
    for out in outputs:
        assert isinstance(out, np.ndarray) and out.flags.c_contiguous
    return outputs


def run1(op, inputs, attrs=None):
    (out,) = run(op, inputs, attrs)
    return out


def same(got, want):
    """Equal values, shape and dtype (object arrays of bytes, or bool / int arrays)."""
    want = np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    assert got.tolist() == want.tolist()


X = S([["a", "bb", "ccc"], ["d", "é", ""]])  # shape (2, 3), a non-ASCII and an empty string


def test_every_string_op_has_a_cpu_kernel_only():
    for op in STRING_OPS:
        assert registry.has(op, "CPU", STRING), op
        assert STRING in tk.get_op_def(op).dtypes, op
        for device_type in ("GPU", "XLA_CPU", "XLA_GPU"):
            assert not registry.has(op, device_type, STRING), (op, device_type)


def test_reshape_identity_transpose_broadcast_tile_reverse():
    same(run1("Reshape", [X], {"shape": (3, -1)}), X.reshape(3, 2))
    same(run1("Reshape", [X[:1, :1].copy()], {"shape": ()}), S("a"))
    same(run1("Identity", [X]), X)
    same(run1("Transpose", [X], {"perm": (1, 0)}), X.T)
    same(run1("BroadcastTo", [S(["p", "q"])], {"shape": (2, 2)}), S([["p", "q"], ["p", "q"]]))
    same(run1("Tile", [X], {"multiples": (1, 2)}), np.tile(X, (1, 2)))
    same(run1("ReverseV2", [X], {"axis": (-1,)}), X[:, ::-1])
    same(run1("ReverseV2", [X], {"axis": ()}), X)


def test_scalars_keep_rank_zero():
    x = S("x")
    assert x.shape == ()
    for op, attrs in [("Transpose", {"perm": ()}), ("ReverseV2", {"axis": ()}),
                      ("Tile", {"multiples": ()}), ("BroadcastTo", {"shape": ()}),
                      ("Identity", {}), ("Pad", {"paddings": ()})]:  # fmt: skip
        same(run1(op, [x], attrs), x)
    same(run1("Equal", [x, S("x")]), np.array(True))
    same(run1("SelectV2", [np.array(False), x, S("y")]), S("y"))


def test_fill_encodes_str_and_zero_is_the_empty_string():
    attrs = {"shape": (2, 1), "dtype": STRING}
    same(run1("Fill", [], {**attrs, "value": "é"}), S([["é"], ["é"]]))
    same(run1("Fill", [], {**attrs, "value": b"\xff"}), S([[b"\xff"], [b"\xff"]]))
    same(run1("Fill", [], {**attrs, "value": 0}), S([[""], [""]]))  # tf.zeros(.., tf.string)
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype string"):
        run("Fill", [], {**attrs, "value": 1})  # tf.ones(.., tf.string), as TF


def test_select_broadcasts():
    cond = np.array([[True], [False]])
    got = run1("SelectV2", [cond, X, S("z")])
    same(got, S([["a", "bb", "ccc"], ["z", "z", "z"]]))


def test_concat_split_split_v():
    same(run1("ConcatV2", [X, X[:, :1].copy()], {"axis": -1}), np.concatenate([X, X[:, :1]], 1))
    a, b, c = run("Split", [X], {"num_split": 3, "axis": 1})
    same(b, X[:, 1:2])
    parts = run("SplitV", [X], {"size_splits": (2, -1), "axis": 1})
    assert [p.shape for p in parts] == [(2, 2), (2, 1)]
    same(parts[1], S([["ccc"], [""]]))


def test_slice_and_strided_slice():
    same(run1("Slice", [X], {"begin": (1, 1), "size": (1, -1)}), S([["é", ""]]))
    attrs = {"begin": (0, -1), "end": (2, 0), "strides": (1, -1), "shrink_axis_mask": 0}
    same(run1("StridedSlice", [X], attrs), X[0:2, -1:0:-1])
    got = run1("StridedSlice", [X], {"begin": (1, 1), "end": (2, 2), "shrink_axis_mask": 3})
    same(got, S("é"))  # a 0-d array, not the bytes object
    grad = run1("StridedSliceGrad", [S(["p", "q"])], {"shape": (4,), "begin": (1,), "end": (3,)})
    same(grad, S(["", "p", "q", ""]))


def test_pad_with_empty_and_given_strings_and_mirror_pad():
    x = S(["a", "bb", "ccc", "d"])
    same(run1("Pad", [x], {"paddings": ((1, 2),)}), S(["", "a", "bb", "ccc", "d", "", ""]))
    got = run1("Pad", [x], {"paddings": ((1, 0),), "constant_values": "q"})
    same(got, S(["q", "a", "bb", "ccc", "d"]))
    reflect = run1("MirrorPad", [x], {"paddings": ((2, 1),), "mode": "REFLECT"})
    same(reflect, S(["ccc", "bb", "a", "bb", "ccc", "d", "ccc"]))  # TF 2.21's values
    sym = run1("MirrorPad", [x], {"paddings": ((2, 1),), "mode": "SYMMETRIC"})
    same(sym, S(["bb", "a", "a", "bb", "ccc", "d", "d"]))


def test_gather_and_gather_nd():
    same(run1("GatherV2", [X, np.array([1, 0, 1], np.int32)]), X[[1, 0, 1]])
    got = run1("GatherV2", [X, np.array([[2], [0]], np.int64)], {"axis": 1})
    same(got, np.take(X, [[2], [0]], axis=1))
    same(run1("GatherNd", [X, np.array([[1, 1], [0, 2]], np.int32)]), S(["é", "ccc"]))
    same(run1("GatherNd", [X, np.array([[1]], np.int32)]), X[[1]])
    same(run1("GatherNd", [X, np.zeros((2, 0), np.int32)]), np.stack([X, X]))  # whole params
    same(run1("GatherV2", [X, np.array(1, np.int32)]), X[1])


def test_out_of_range_indices_are_tf_errors():
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1,0\] = 7 is not in \[0, 2\)"):
        run("GatherV2", [X, np.array([[0], [7]], np.int32)])
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = -1 is not in"):
        run("GatherV2", [X, np.array([-1], np.int32)])
    with pytest.raises(errors.InvalidArgumentError, match=r"^indices = 2 is not in \[0, 2\)"):
        run("GatherV2", [X, np.array(2, np.int32)])  # a scalar index, as TF names it
    msg = r"indices\[1\] = \[0, 5\] does not index into param shape \[2,3\]"
    with pytest.raises(errors.InvalidArgumentError, match=msg):
        run("GatherNd", [X, np.array([[0, 0], [0, 5]], np.int32)])
    msg = r"indices\[0\] = \[4\] does not index into shape \[2\]"
    with pytest.raises(errors.InvalidArgumentError, match=msg):
        run("TensorScatterUpdate", [S(["a", "b"]), np.array([[4]], np.int32), S(["z"])])


def test_scatter_nd_concatenates_repeats_and_tensor_scatter_update_replaces():
    idx = np.array([[0], [0], [2]], np.int32)
    got = run1("ScatterNd", [idx, S(["a", "b", "c"])], {"shape": (3,)})
    same(got, S(["ab", "", "c"]))  # TF adds repeated indices: strings concatenate in order
    x = S(["a", "bb", "ccc"])
    got = run1("TensorScatterUpdate", [x, np.array([[1], [1]], np.int32), S(["y", "z"])])
    same(got, S(["a", "z", "ccc"]))
    same(x, S(["a", "bb", "ccc"]))  # the input is not written


def test_equal_not_equal_broadcast():
    col = S([["a"], ["d"], ["x"]])
    row = S(["a", "d"])
    same(run1("Equal", [col, row]), np.array([[True, False], [False, True], [False, False]]))
    same(run1("NotEqual", [X, S("")]), X != b"")
    same(run1("Equal", [S(["é"]), S(["\u00e9".encode()])]), np.array([True]))


def test_equal_needs_two_string_inputs():
    with pytest.raises(errors.InvalidArgumentError, match="Equal"):
        run("Equal", [X, np.zeros((2, 3), np.int32)])


@pytest.mark.parametrize("out_idx", ["int32", "int64"])
def test_unique_and_unique_with_counts_keep_first_appearance_order(out_idx):
    x = S(["b", "a", "b", "é", "a", "b"])
    y, idx = run("Unique", [x], {"out_idx": out_idx})
    same(y, S(["b", "a", "é"]))
    same(idx, np.array([0, 1, 0, 2, 1, 0], out_idx))
    y, idx, count = run("UniqueWithCounts", [x], {"out_idx": out_idx})
    same(count, np.array([3, 2, 1], out_idx))
    y, idx = run("Unique", [S([])], {"out_idx": out_idx})
    assert y.shape == (0,) and idx.shape == (0,) and y.dtype == object


def test_ops_without_string_kernels_keep_tf_error():
    with pytest.raises(errors.InvalidArgumentError, match="Value for attr 'T' of object"):
        run("AddV2", [X, X])
