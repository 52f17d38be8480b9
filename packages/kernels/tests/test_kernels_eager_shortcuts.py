"""eager_shortcut: Reshape, Transpose, ConcatV2, Pack, MatMul and the reductions called directly
give execute's results bit for bit, decline where execute raises, and remember shape rules."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors
from tensorhouse_kernels.opdefs._base import RuleCache

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4)).astype(np.float32)
Y = RNG.standard_normal((4, 2)).astype(np.float32)

I8, I32, I64, F64 = (X.astype(t) for t in (np.int8, np.int32, np.int64, np.float64))
CUBE = X.reshape(3, 2, 2) > 0
NO_T = {"transpose_a": False, "transpose_b": False}

# (op, shortcut arguments after the device, execute's inputs, execute's attrs)
CASES = [
    ("Reshape", (X, (2, 6)), [X], {"shape": (2, 6)}),
    ("Reshape", (X, (-1,)), [X], {"shape": (-1,)}),
    ("Reshape", (I8, (4, -1)), [I8], {"shape": (4, -1)}),
    ("Transpose", (X, (1, 0)), [X], {"perm": (1, 0)}),
    ("Transpose", (CUBE, (2, 0, 1)), [CUBE], {"perm": (2, 0, 1)}),
    ("Transpose", (I64, (0, 1)), [I64], {"perm": (0, 1)}),
    ("ConcatV2", ([X, X], 0), [X, X], {"axis": 0}),
    ("ConcatV2", ([X, X[:, :1], X], -1), [X, X[:, :1], X], {"axis": -1}),
    ("ConcatV2", ([F64, F64], 1), [F64, F64], {"axis": 1}),
    ("Pack", ([X, X * 2], 1), [X, X * 2], {"axis": 1}),
    ("Pack", ([I32, I32, I32], -1), [I32, I32, I32], {"axis": -1}),
    ("MatMul", (X, Y, False, False), [X, Y], NO_T),
    ("MatMul", (X, X, True, False), [X, X], {"transpose_a": True, "transpose_b": False}),
    ("MatMul", (Y, Y, False, True), [Y, Y], {"transpose_a": False, "transpose_b": True}),
    ("MatMul", (I32, I32.T.copy(), False, False), [I32, I32.T.copy()], NO_T),
    ("Sum", (X, None, False), [X], {"axis": None, "keep_dims": False}),
    ("Sum", (X, (1,), True), [X], {"axis": (1,), "keep_dims": True}),
    ("Mean", (F64, (-2,), False), [F64], {"axis": (-2,), "keep_dims": False}),
    ("Max", (X, (0, 1), True), [X], {"axis": (0, 1), "keep_dims": True}),
    ("All", (X > 0, (0,), False), [X > 0], {"axis": (0,), "keep_dims": False}),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_shortcut_gives_executes_bits(cpu, case):
    op, args, inputs, attrs = CASES[case]
    f = tk.eager_shortcut(op)
    (want,), _ = tk.execute(op, inputs, attrs, cpu)
    for _ in range(2):  # the second call takes the remembered shape rule
        got = f(cpu, *args)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)
    if op not in ("Reshape", "All"):  # the values themselves, beside NumPy's
        ref = {
            "Transpose": lambda: np.transpose(inputs[0], attrs["perm"]),
            "ConcatV2": lambda: np.concatenate(inputs, attrs["axis"]),
            "Pack": lambda: np.stack(inputs, attrs["axis"]),
            "MatMul": lambda: (
                (inputs[0].T if attrs["transpose_a"] else inputs[0])
                @ (inputs[1].T if attrs["transpose_b"] else inputs[1])
            ),
            "Sum": lambda: inputs[0].sum(attrs["axis"], keepdims=attrs["keep_dims"]),
            "Mean": lambda: inputs[0].mean(attrs["axis"], keepdims=attrs["keep_dims"]),
            "Max": lambda: inputs[0].max(attrs["axis"], keepdims=attrs["keep_dims"]),
        }[op]()
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)


BAD = [
    ("Reshape", (X, (5, -1)), [X], {"shape": (5, -1)}, "12 values"),
    ("Reshape", (X, (-1, -1)), [X], {"shape": (-1, -1)}, "not both 0 and 1"),
    ("Transpose", (X, (0, 0)), [X], {"perm": (0, 0)}, "not a permutation"),
    ("ConcatV2", ([X, Y], 0), [X, Y], {"axis": 0}, "Dimension 1 in both shapes must be equal"),
    ("ConcatV2", ([X, X], 2), [X, X], {"axis": 2}, "range [-2, 2), but got 2"),
    ("Pack", ([X, Y], 0), [X, Y], {"axis": 0}, "Shapes of all inputs must match"),
    ("Pack", ([X, X], 3), [X, X], {"axis": 3}, "axis = 3 not in [-3, 3)"),
    ("MatMul", (X, X, False, False), [X, X], {}, "Matrix size-incompatible"),
    ("Sum", (X, (2,), False), [X], {"axis": (2,), "keep_dims": False}, "Invalid reduction"),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_shortcut_declines_bad_input_that_execute_rejects(cpu, case):
    op, args, inputs, attrs, message = BAD[case]
    for _ in range(2):  # a failed rule is never remembered
        assert tk.eager_shortcut(op)(cpu, *args) is None
    with pytest.raises(errors.InvalidArgumentError, match=re.escape(message)):
        tk.execute(op, inputs, attrs, cpu)


def test_shortcut_declines_other_kernels_and_mixed_dtypes(cpu):
    half = X.astype(np.float16)  # 16-bit floats: another (wrapped) kernel, execute's path
    assert tk.eager_shortcut("Transpose")(cpu, half, (1, 0)) is None
    assert tk.eager_shortcut("MatMul")(cpu, half, half.T, False, False) is None
    assert tk.eager_shortcut("MatMul")(cpu, X, Y.astype(np.float64), False, False) is None
    assert tk.eager_shortcut("ConcatV2")(cpu, [X, X.astype(np.float64)], 0) is None
    assert tk.eager_shortcut("Pack")(cpu, [X, X.astype(np.float64)], 0) is None
    assert tk.eager_shortcut("Pack")(cpu, [half, half], 0) is None
    text = np.array([[b"a", b"b"]], dtype=object)  # strings: their own kernels
    assert tk.eager_shortcut("Reshape")(cpu, text, (2,)) is None
    assert tk.eager_shortcut("Gather") is None  # no shortcut of its own


def test_large_transpose_and_concat_take_the_threaded_copy(cpu):
    big = RNG.standard_normal((300, 200)).astype(np.float32)  # 60,000 elements
    np.testing.assert_array_equal(tk.eager_shortcut("Transpose")(cpu, big, (1, 0)), big.T)
    joined = tk.eager_shortcut("ConcatV2")(cpu, [big, big[:5]], 0)
    np.testing.assert_array_equal(joined, np.concatenate([big, big[:5]]))
    packed = tk.eager_shortcut("Pack")(cpu, [big, big * 2], 1)
    np.testing.assert_array_equal(packed, np.stack([big, big * 2], 1))


def test_shortcuts_log_placement_once(cpu, capsys):
    from tensorhouse_hw_runtime import debugging

    before = debugging.get_log_device_placement()
    debugging.set_log_device_placement(True)
    try:
        tk.eager_shortcut("Reshape")(cpu, X, (12,))
        tk.eager_shortcut("Sum")(cpu, X, None, False)
        assert tk.eager_shortcut("MatMul")(cpu, X, X, False, False) is None  # declined: no line
    finally:
        debugging.set_log_device_placement(before)
    name = cpu.name
    assert capsys.readouterr().err.splitlines() == [
        f"Executing op Reshape in device {name}",
        f"Executing op Sum in device {name}",
    ]


def test_rule_cache_remembers_and_empties_when_full():
    cache = RuleCache("Reshape", size=2)
    f32 = np.dtype("float32")
    assert cache.infer([(3, 4)], [f32], {"shape": (-1,)}) == [((12,), f32)]
    assert cache.infer([(3, 4)], [f32], {"shape": (5,)}) is None  # the rule raised
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1 and len(cache) == 2
    cache.put("c", 3)  # full: emptied first
    assert dict(cache) == {"c": 3}
