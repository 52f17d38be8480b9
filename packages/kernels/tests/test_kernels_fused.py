"""FusedElementwise: programs of elementwise ops in one pass, against NumPy and the single ops.

Each fused op must give the bits its own kernel gives (the same scalar math), with vector and
scalar operands, across tiles and threads; bad programs get TF's error naming the op.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import from_host, get_device, list_devices, to_host
from tensorhouse_kernels import _cpu, opdefs
from tensorhouse_kernels.runtime import errors

CPU = get_device("/device:CPU:0")
FLOATS = ("float32", "float64")


def run(program, outputs, inputs, device=CPU):
    attrs = {"program": tuple(program), "outputs": tuple(outputs)}
    outs, used = tk.execute("FusedElementwise", inputs, attrs, device)
    assert used is device
    return outs


def single(op, inputs):
    return tk.execute(op, inputs, {}, CPU)[0][0]


def positive(rng, dtype, shape):
    return np.asarray(rng.uniform(0.1, 3.0, size=shape).astype(dtype))


def test_op_names_follow_the_cpp_module():
    assert tuple(_cpu.FUSED_UNARY_OPS) == opdefs.FUSED_UNARY
    assert tuple(_cpu.FUSED_BINARY_OPS) == opdefs.FUSED_BINARY
    for op in opdefs.FUSED_UNARY + opdefs.FUSED_BINARY:
        assert op in tk.list_op_defs()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", opdefs.FUSED_UNARY)
def test_every_unary_op_gives_the_single_kernels_bits(op, dtype):
    rng = np.random.default_rng(0)
    for shape in [(), (7,), (3, 700)]:  # one element, one tile, several tiles
        x = positive(rng, dtype, shape) * np.where(rng.random(shape) < 0.5, -1, 1).astype(dtype)
        x = np.asarray(np.abs(x) if op in ("Sqrt", "Rsqrt", "Log", "Log1p") else x)
        (got,) = run([("input", 0), ("unary", op, 0)], [1], [x])
        np.testing.assert_array_equal(got, single(op, [x]), err_msg=f"{op} {shape}")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", opdefs.FUSED_BINARY)
def test_every_binary_op_with_vector_and_scalar_operands(op, dtype):
    rng = np.random.default_rng(1)
    a, b = positive(rng, dtype, (5, 300)), positive(rng, dtype, (5, 300))
    s, t = positive(rng, dtype, ()), positive(rng, dtype, ())
    prog = [("input", 0), ("input", 1), ("binary", op, 0, 1)]
    np.testing.assert_array_equal(run(prog, [2], [a, b])[0], single(op, [a, b]))
    np.testing.assert_array_equal(run(prog, [2], [a, s])[0], single(op, [a, s]))
    np.testing.assert_array_equal(run(prog, [2], [s, b])[0], single(op, [s, b]))
    np.testing.assert_array_equal(run(prog, [2], [s, t])[0], single(op, [s, t]))
    # a constant operand, on either side
    c = float(np.asarray(1.75, dtype))
    left = run([("const", c), ("input", 0), ("binary", op, 0, 1)], [2], [b])[0]
    np.testing.assert_array_equal(left, single(op, [np.asarray(c, dtype), b]))


def adam_program():
    """m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2; p' = p - lr m' / (sqrt(v') + eps)."""
    return [
        ("input", 0),  # 0 p
        ("input", 1),  # 1 g
        ("input", 2),  # 2 m
        ("input", 3),  # 3 v
        ("input", 4),  # 4 lr (scalar)
        ("const", 0.9),  # 5
        ("binary", "Mul", 5, 2),  # 6
        ("const", 0.1),  # 7
        ("binary", "Mul", 7, 1),  # 8
        ("binary", "AddV2", 6, 8),  # 9 m'
        ("const", 0.999),  # 10
        ("binary", "Mul", 10, 3),  # 11
        ("unary", "Square", 1),  # 12
        ("const", 0.001),  # 13
        ("binary", "Mul", 13, 12),  # 14
        ("binary", "AddV2", 11, 14),  # 15 v'
        ("binary", "Mul", 4, 9),  # 16
        ("unary", "Sqrt", 15),  # 17
        ("const", 1e-7),  # 18
        ("binary", "AddV2", 17, 18),  # 19
        ("binary", "RealDiv", 16, 19),  # 20
        ("binary", "Sub", 0, 20),  # 21 p'
    ]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(10,), (256, 256), (100_003,)])
def test_adam_update_with_three_outputs_matches_numpy(shape, dtype):
    rng = np.random.default_rng(2)
    p, g, m = (np.asarray(rng.standard_normal(shape), dtype) for _ in range(3))
    v = positive(rng, dtype, shape)
    lr = np.asarray(0.01, dtype)
    m2, v2, p2 = run(adam_program(), [9, 15, 21], [p, g, m, v, lr])
    d = np.dtype(dtype).type
    em = d(0.9) * m + d(0.1) * g
    ev = d(0.999) * v + d(0.001) * np.square(g)
    ep = p - lr * em / (np.sqrt(ev) + d(1e-7))
    for got, exp in ((m2, em), (v2, ev), (p2, ep)):
        assert got.dtype == np.dtype(dtype) and got.shape == shape
        np.testing.assert_array_equal(got, exp)  # NumPy does the same operations in order


def test_outputs_that_are_inputs_constants_scalars_or_repeated():
    x = np.arange(1200, dtype=np.float32).reshape(4, 300)
    s = np.asarray(2.0, np.float32)
    prog = [("input", 0), ("input", 1), ("const", 3.0), ("binary", "Mul", 0, 1),
            ("binary", "AddV2", 1, 2)]  # fmt: skip
    outs = run(prog, [3, 0, 2, 4, 3], [x, s])
    expected = [x * 2, x, np.full_like(x, 3), np.full_like(x, 5), x * 2]
    for got, exp in zip(outs, expected):
        assert got.shape == x.shape
        np.testing.assert_array_equal(got, exp)


def test_all_scalar_inputs_give_a_scalar():
    a, b = np.asarray(3.0), np.asarray(4.0)
    prog = [("input", 0), ("input", 1), ("binary", "Mul", 0, 0), ("binary", "Mul", 1, 1),
            ("binary", "AddV2", 2, 3), ("unary", "Sqrt", 4)]  # fmt: skip
    (out,) = run(prog, [5], [a, b])
    assert out.shape == () and out == 5.0


def test_empty_inputs_and_long_programs():
    (out,) = run([("input", 0), ("unary", "Exp", 0)], [1], [np.zeros((0, 3), np.float32)])
    assert out.shape == (0, 3)
    # more live registers than the stack holds: the buffers move to the heap
    x = np.linspace(0.1, 1.0, 5000).astype(np.float64)
    prog = [("input", 0)]
    for k in range(40):
        prog.append(("binary", "Mul", 0, 0) if k == 0 else ("binary", "AddV2", len(prog) - 1, 0))
    prog += [("binary", "AddV2", k, k + 1) for k in range(1, 40)]
    (out,) = run(prog, [len(prog) - 1], [x])
    regs = [x]
    for ins in prog[1:]:
        regs.append(regs[ins[2]] * regs[ins[3]] if ins[1] == "Mul" else regs[ins[2]] + regs[ins[3]])
    np.testing.assert_array_equal(out, regs[-1])


@pytest.mark.parametrize(
    "program, outputs, message",
    [
        ([], [0], "attr 'program' must be a non-empty list"),
        ([("input", 0)], [], "attr 'outputs' must be a non-empty list"),
        ([("load", 0)], [0], "instruction 0 is ('load', 0)"),
        ([("input", 0), ("unary", "Exp")], [1], "instruction 1 is"),
        ([("input", 3)], [0], "loads input 3, but the op has 1 inputs"),
        ([("input", 0), ("unary", "Cosh", 0)], [1], "'Cosh' is not a fusable unary op"),
        ([("input", 0), ("binary", "Equal", 0, 0)], [1], "'Equal' is not a fusable binary op"),
        ([("input", 0), ("unary", "Exp", 1)], [1], "reads register 1; registers 0..0 exist"),
        ([("input", 0), ("const", "two")], [1], "the constant must be a real number"),
        ([("input", 0)], [1], "output register 1 is not one of the 1 registers"),
    ],
)
def test_bad_programs_are_errors_naming_the_op(program, outputs, message):
    x = np.ones(3, np.float32)
    with pytest.raises(errors.InvalidArgumentError, match="Op:FusedElementwise") as info:
        run(program, outputs, [x])
    assert message in str(info.value)


def test_bad_inputs_are_errors_naming_the_op():
    prog, outs = [("input", 0), ("input", 1), ("binary", "AddV2", 0, 1)], [2]
    f32 = np.ones(3, np.float32)
    with pytest.raises(errors.InvalidArgumentError, match=r"input #1 has shape \[4\].*\[3\]"):
        run(prog, outs, [f32, np.ones(4, np.float32)])
    with pytest.raises(errors.InvalidArgumentError, match="FusedElementwise"):
        run(prog, outs, [f32, np.ones(3, np.float64)])
    with pytest.raises(errors.InvalidArgumentError, match="float32 or float64"):
        run(prog, outs, [np.ones(3, np.int32), np.ones(3, np.int32)])
    with pytest.raises(errors.InvalidArgumentError, match="at least one input"):
        run([("const", 1.0)], [0], [])
    # the C++ kernel checks what reaches it directly, too
    code = np.array([[0, 0, 0, 0], [2, 0, 5, 0]], np.int64)
    with pytest.raises(ValueError, match="FusedElementwise: instruction 1 reads register 5"):
        _cpu.fused(code, np.zeros(2), np.array([1]), [f32], [np.empty(3, np.float32)])


def test_shape_rule_with_unknown_dims():
    infer = tk.get_op_def("FusedElementwise").infer
    attrs = {"program": (("input", 0), ("input", 1), ("binary", "Mul", 0, 1)), "outputs": (2, 2)}
    f32 = np.dtype("float32")
    assert infer([(None, 3), (2, None)], [f32, f32], attrs) == [((2, 3), f32)] * 2
    assert infer([(), (None,)], [f32, f32], attrs) == [((None,), f32)] * 2


XLA = next(iter(list_devices("XLA_CPU")), None)


@pytest.mark.skipif(XLA is None, reason="no XLA_CPU device")
def test_xla_kernel_matches_the_cpu():
    rng = np.random.default_rng(3)
    p, g, m = (np.asarray(rng.standard_normal((64, 33)), np.float32) for _ in range(3))
    v = positive(rng, "float32", (64, 33))
    inputs = [p, g, m, v, np.asarray(0.01, np.float32)]
    cpu = run(adam_program(), [9, 15, 21, 4], inputs)
    xla = run(adam_program(), [9, 15, 21, 4], [from_host(x, XLA) for x in inputs], XLA)
    for c, x in zip(cpu, xla):
        np.testing.assert_allclose(to_host(x, XLA), c, rtol=1e-6, atol=1e-6)
