"""CUDA elementwise kernels: unary, binary, predicates, SelectV2, Cast, fused programs."""

from __future__ import annotations

import numpy as np

from ..opdefs import check_fused_program
from ._cuda import (
    _CAST,
    Dims,
    _bits,
    _copy_from_view,
    _fill,
    _launch,
    _num,
    _op_codes,
    broadcast_strides,
    c_strides,
    collapse,
    ptr,
)

# ---- kernels: fn(device, inputs, outputs, attrs) ------------------------------------------------


def _unary(code):
    def fn(dev, inputs, outputs, attrs):
        x, y = inputs[0], outputs[0]
        _launch(dev, "elementwise", f"unary_{_num(x.dtype, 'unary')}",
                [ptr(x), ptr(y), np.int64(y.size), np.int32(code)], n=y.size)  # fmt: skip

    return fn


def _binary_args(a, b, out):
    n = out.size
    if a.shape == out.shape and b.shape == out.shape:
        return 0, [], [], [], n
    if a.shape == out.shape and b.size == 1:
        return 1, [], [], [], n
    if b.shape == out.shape and a.size == 1:
        return 2, [], [], [], n
    shape, (sa, sb) = collapse(
        list(out.shape),
        broadcast_strides(a.shape, out.shape),
        broadcast_strides(b.shape, out.shape),
    )
    return 3, shape, sa, sb, n


def _binary(code, compare):
    kind = "compare" if compare else "binary"

    def fn(dev, inputs, outputs, attrs):
        a, b = inputs
        out = outputs[0]
        mode, shape, sa, sb, n = _binary_args(a, b, out)
        _launch(dev, "elementwise", f"{kind}_{_num(a.dtype, kind)}", [
            ptr(a), ptr(b), ptr(out), np.int64(n), np.int32(code), np.int32(mode),
            np.int32(len(shape)), Dims(shape), Dims(sa), Dims(sb),
        ], n=n)  # fmt: skip

    return fn


def _predicate(code):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        if code == 2:  # LogicalNot
            _launch(dev, "elementwise", "logical_not", [ptr(x), ptr(out), np.int64(out.size)],
                    n=out.size)  # fmt: skip
        else:
            _launch(dev, "elementwise", f"predicate_{_num(x.dtype, 'predicate')}",
                    [ptr(x), ptr(out), np.int64(out.size), np.int32(code)], n=out.size)  # fmt: skip

    return fn


def _logical(code):
    def fn(dev, inputs, outputs, attrs):
        a, b = inputs
        out = outputs[0]
        shape, (sa, sb) = collapse(
            list(out.shape), broadcast_strides(a.shape, out.shape),
            broadcast_strides(b.shape, out.shape),
        )  # fmt: skip
        _launch(dev, "elementwise", "logical", [
            ptr(a), ptr(b), ptr(out), np.int64(out.size), np.int32(code),
            np.int32(len(shape)), Dims(shape), Dims(sa), Dims(sb),
        ], n=out.size)  # fmt: skip

    return fn


def _select(dev, inputs, outputs, attrs):
    c, t, e = inputs
    out = outputs[0]
    shape, (sc, st, se) = collapse(
        list(out.shape), *(broadcast_strides(x.shape, out.shape) for x in (c, t, e))
    )
    _launch(dev, "elementwise", f"select_{_bits(out.dtype)}", [
        ptr(c), ptr(t), ptr(e), ptr(out), np.int64(out.size), np.int32(len(shape)),
        Dims(shape), Dims(sc), Dims(st), Dims(se),
    ], n=out.size)  # fmt: skip


def _cast(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    name = f"cast_{_CAST[x.dtype.name]}_{_CAST[out.dtype.name]}"
    _launch(dev, "cast", name, [ptr(x), ptr(out), np.int64(x.size)], n=x.size)


# FusedElementwise (elementwise.cu's fused_*): the program as int64 words, registers in slots.
_FUSED_SLOTS = 32  # elementwise.cu's TH_FUSED_SLOTS
_FUSED_KINDS = {"input": 0, "const": 1, "unary": 2, "binary": 3}


def fused_slots(program, outputs) -> tuple[list[int], int]:
    """A slot for each register, reused once its last reader has run (outputs stay live to
    the end): ``(slot per register, slots used)``. The lowest free slot is taken first."""
    n = len(program)
    last = [-1] * n
    for k, ins in enumerate(program):
        if ins[0] in ("unary", "binary"):
            for r in ins[2:]:
                last[int(r)] = k
    for r in outputs:
        last[int(r)] = n
    slot, free, used = [0] * n, [], 0
    for k, ins in enumerate(program):
        if ins[0] in ("unary", "binary"):  # operands read for the last time free their slots
            for r in {int(r) for r in ins[2:]}:
                if last[r] == k:
                    free.append(slot[r])
        if free:
            free.sort()
            slot[k] = free.pop(0)
        else:
            slot[k], used = used, used + 1
        if last[k] < 0:  # never read
            free.append(slot[k])
    return slot, used


def fused_program(program, outputs, in_addrs, in_steps, out_addrs, unary, binary):
    """The words fused_* reads: per instruction (kind, input or op code, slot a, slot b,
    destination slot, the constant's float64 bits), then the inputs' addresses and element
    steps, then the outputs' addresses and slots. ``unary`` / ``binary`` map op names to the
    op codes. Returns ``(words, slots used)``."""
    slot, used = fused_slots(program, outputs)
    rows = np.zeros((len(program), 6), np.int64)
    for k, ins in enumerate(program):
        kind = ins[0]
        rows[k, 0], rows[k, 4] = _FUSED_KINDS[kind], slot[k]
        if kind == "input":
            rows[k, 1] = int(ins[1])
        elif kind == "const":
            rows[k, 5] = np.float64(ins[1]).view(np.int64)
        else:
            rows[k, 1] = (unary if kind == "unary" else binary)[ins[1]]
            rows[k, 2] = slot[int(ins[2])]
            rows[k, 3] = slot[int(ins[-1])]
    tail = [*in_addrs, *in_steps, *out_addrs, *(slot[int(r)] for r in outputs)]
    words = np.concatenate([rows.ravel(), np.array(tail, np.uint64).view(np.int64)])
    return words, used


def _fused(dev, inputs, outputs, attrs):
    program, outs = check_fused_program(attrs, len(inputs))
    out0 = outputs[0]
    n = out0.size
    if n == 0:
        return
    unary, binary = _op_codes()[:2]
    words, used = fused_program(
        program, outs, [ptr(x) for x in inputs],
        [int(x.shape == out0.shape) for x in inputs], [ptr(o) for o in outputs], unary, binary,
    )  # fmt: skip
    if used > _FUSED_SLOTS:
        _fused_by_ops(dev, inputs, outputs, program, outs, unary, binary)
        return
    prog = dev.backend.from_host(dev, words)
    _launch(dev, "elementwise", f"fused_{_num(out0.dtype, 'FusedElementwise')}", [
        ptr(prog), np.int32(len(program)), np.int32(len(inputs)), np.int32(len(outputs)),
        np.int64(n),
    ], n=n)  # fmt: skip


def _fused_by_ops(dev, inputs, outputs, program, outs, unary, binary):
    """Programs with more live registers than the interpreter's slots: one single kernel per
    instruction, each register a full (or shape-[]) buffer. The same scalar math."""
    dtype, shape = outputs[0].dtype, outputs[0].shape
    regs = []
    for ins in program:
        kind = ins[0]
        if kind == "input":
            regs.append(inputs[int(ins[1])])
        elif kind == "const":
            r = dev.allocate((), dtype)
            _fill(dev, r, float(ins[1]))
            regs.append(r)
        elif kind == "unary":
            x = regs[int(ins[2])]
            y = dev.allocate(x.shape, dtype)
            _unary(unary[ins[1]])(dev, [x], [y], {})
            regs.append(y)
        else:
            a, b = regs[int(ins[2])], regs[int(ins[3])]
            y = dev.allocate(shape if shape in (a.shape, b.shape) else (), dtype)
            _binary(binary[ins[1]], False)(dev, [a, b], [y], {})
            regs.append(y)
    for r, out in zip(outs, outputs):
        src = regs[int(r)]
        strides = c_strides(shape) if src.shape == shape else [0] * len(shape)
        _copy_from_view(dev, src, shape, 0, strides, out)


def _table() -> dict:
    unary, binary, predicate, logical, _ = _op_codes()
    first_compare = binary["Equal"]
    return {
        **{name: _unary(code) for name, code in unary.items()},
        **{name: _binary(code, code >= first_compare) for name, code in binary.items()},
        **{name: _predicate(code) for name, code in predicate.items()},
        **{name: _logical(code) for name, code in logical.items()},
        "SelectV2": _select, "Cast": _cast, "FusedElementwise": _fused,
    }  # fmt: skip


TABLE: dict = _table()  # op type -> fn(device, inputs, outputs, attrs)
