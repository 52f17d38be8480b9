"""Op definitions: each op's inputs, attrs, and its shape and dtype rules.

Rules see only shapes (tuples whose dims may be ``None`` when unknown, as in traced graphs)
and NumPy dtypes, so the ops layer can trace graphs without running anything. ``infer``
raises TF's ``InvalidArgumentError`` naming the op, the shapes and the dtypes.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .runtime import errors

__all__ = ["OpDef", "get_op_def", "list_op_defs", "broadcast_shape", "normalize_axes",
           "check_fused_program", "FUSED_UNARY", "FUSED_BINARY"]  # fmt: skip

_OPS: dict[str, OpDef] = {}


def _bfloat16():
    """bfloat16 when ml_dtypes is loaded already; else none yet (``add_bfloat16`` adds it)."""
    ml_dtypes = sys.modules.get("ml_dtypes")  # importing it takes 0.1-1 s: never done here
    return (np.dtype(ml_dtypes.bfloat16),) if ml_dtypes is not None else ()


FLOAT = (np.dtype("float32"), np.dtype("float64"))
# 16-bit floats (float16; bfloat16 with ml_dtypes): their kernels compute in float32 and round
# each result back, as TF's CPU kernels do. bfloat16 sits right after float16 in every table.
FLOAT16 = (np.dtype("float16"),) + _bfloat16()
FLOATS = FLOAT + FLOAT16
INT = (np.dtype("int32"), np.dtype("int64"))
SMALL_INT = (np.dtype("int8"), np.dtype("int16"))
NUMERIC = FLOATS + INT + SMALL_INT
# The ops TF's CPU kernels also run on uint8 (arithmetic wraps, as TF's).
NUMERIC_U8 = NUMERIC + (np.dtype("uint8"),)
BOOL = np.dtype("bool")


class OpDef:
    """One op type: ``infer(shapes, dtypes, attrs) -> [(shape, dtype), ...]``.

    ``allocates`` is False for ops whose kernels create their outputs themselves (views, or
    outputs whose shape depends on the data); those kernels return their outputs.
    """

    __slots__ = ("name", "num_inputs", "infer", "dtypes", "key", "allocates", "doc")

    def __init__(self, name, num_inputs, infer, dtypes, *, key=None, allocates=True, doc=""):
        self.name = name
        self.num_inputs = num_inputs
        self.infer = infer
        self.dtypes = dtypes  # dtypes the op accepts as its dispatch key
        self.key = key or _key_first_input
        self.allocates = allocates
        self.doc = doc

    def __repr__(self):
        return f"<OpDef {self.name}>"


# Op definitions that take float16 but not bfloat16 (TF has no bfloat16 kernel for them).
_NO_BFLOAT16 = frozenset({"MatrixInverse"})


def _insert_bfloat16(dtypes, bf16: np.dtype):
    i = list(dtypes).index(np.dtype("float16")) + 1
    return dtypes[:i] + type(dtypes)((bf16,)) + dtypes[i:]


def _takes_float16_only(value) -> bool:
    dtypes = value if isinstance(value, tuple | list) else ()
    names = [d.name for d in dtypes if isinstance(d, np.dtype)]
    return len(names) == len(dtypes) and "float16" in names and "bfloat16" not in names


def add_bfloat16(bf16: np.dtype) -> bool:
    """Put ``bf16`` after float16 in the dtype tables and the op definitions that take
    float16 (what they hold when ml_dtypes is loaded first). False if it is there already."""
    if bf16 in FLOAT16:
        return False
    table = globals()
    for name, value in list(table.items()):
        if name.isupper() and _takes_float16_only(value):
            table[name] = _insert_bfloat16(value, bf16)
    for op in _OPS.values():
        if _takes_float16_only(op.dtypes) and op.name not in _NO_BFLOAT16:
            op.dtypes = _insert_bfloat16(op.dtypes, bf16)
    return True


def _register(opdef: OpDef) -> OpDef:
    _OPS[opdef.name] = opdef
    return opdef


def get_op_def(name: str) -> OpDef:
    try:
        return _OPS[name]
    except KeyError:
        raise errors.NotFoundError(f"Op type not registered '{name}'") from None


def list_op_defs() -> list[str]:
    return sorted(_OPS)


def _key_first_input(dtypes, attrs):
    return dtypes[0]


def _key_attr_dtype(dtypes, attrs):
    return np.dtype(attrs["dtype"])


# ---- shared rule helpers ---------------------------------------------------------------------


def _fmt(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _same_dtypes(op, dtypes):
    first = dtypes[0]
    for i, dt in enumerate(dtypes[1:], 1):
        if dt is not first and dt != first:
            raise errors.InvalidArgumentError(
                f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                f"{first.name} tensor but is a {dt.name} tensor [Op:{op}]"
            )
    return first


def _require_dtype(op, dts, i, allowed, what="input"):
    """TF's error for an input whose dtype the op fixes (a bool condition, int indices)."""
    if dts[i] not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise errors.InvalidArgumentError(
            f"cannot compute {op} as {what} #{i}(zero-based) was expected to be a {names} "
            f"tensor but is a {dts[i].name} tensor [Op:{op}]"
        )
    return dts[i]


def _axis(op, axis, rank, what="axis"):
    """One axis as a non-negative int; TF's error when it is out of range."""
    axis = int(axis)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            f"Expected {what} in the range [{-rank}, {rank}), but got {axis} [Op:{op}]"
        )
    return axis % rank


def _dims_of(shape):
    """The number of elements, or None when a dim is unknown."""
    if None in shape:
        return None
    return int(np.prod(shape, dtype=np.int64))


def broadcast_shape(op, a, b):
    """NumPy broadcasting of two shapes (dims may be None); an error names both shapes."""
    if a == b:
        return a
    ra, rb = len(a), len(b)
    out = []
    for i in range(max(ra, rb)):
        da = a[ra - 1 - i] if i < ra else 1
        db = b[rb - 1 - i] if i < rb else 1
        if da == 1:
            out.append(db)
        elif db == 1 or da == db:
            out.append(da)
        elif da is None or db is None:
            out.append(da if db is None else db)
        else:
            raise errors.InvalidArgumentError(
                f"Incompatible shapes: {_fmt(a)} vs. {_fmt(b)} [Op:{op}]"
            )
    return tuple(reversed(out))


def normalize_axes(op, axis, rank):
    """Axes as a sorted tuple of non-negative ints; ``None`` means every axis."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    out = set()
    for a in axis:
        a = int(a)
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                f"Invalid reduction dimension {a} for input with {rank} dimensions [Op:{op}]"
            )
        out.add(a % rank if rank else a)
    return tuple(sorted(out))


# ---- definitions ----------------------------------------------------------------------------


def _unary(name, dtypes=NUMERIC):
    def infer(shapes, dts, attrs):
        return [(shapes[0], dts[0])]

    return _register(OpDef(name, 1, infer, dtypes))


def _binary(name, dtypes=NUMERIC, out_bool=False):
    def infer(shapes, dts, attrs):
        dt = _same_dtypes(name, dts)
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        return [(broadcast_shape(name, shapes[0], shapes[1]), BOOL if out_bool else dt)]

    return _register(OpDef(name, 2, infer, dtypes))


def _predicate(name, dtypes):
    def infer(shapes, dts, attrs):
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        return [(shapes[0], BOOL)]

    return _register(OpDef(name, 1, infer, dtypes))


for _n in ("Neg", "Abs", "Sign"):
    _unary(_n)
for _n in ("Square", "Relu", "Relu6"):
    _unary(_n, NUMERIC_U8)
_unary("Round", FLOATS + INT + (np.dtype("uint8"),))
for _n in (
    "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal",
    "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Floor", "Ceil",
    "Erf", "Elu", "Selu", "Softplus",
):  # fmt: skip
    _unary(_n, FLOATS)
for _n in ("AddV2", "Sub", "Mul", "Maximum", "Minimum", "FloorDiv", "FloorMod", "ReluGrad",
           "Relu6Grad"):  # fmt: skip
    _binary(_n, NUMERIC_U8)
_binary("SquaredDifference", FLOATS + INT)
_binary("Pow")
for _n in ("RealDiv", "SigmoidGrad", "TanhGrad", "EluGrad", "SeluGrad", "SoftplusGrad"):
    _binary(_n, FLOATS)
for _n in ("Less", "LessEqual", "Greater", "GreaterEqual"):
    _binary(_n, NUMERIC_U8, out_bool=True)
for _n in ("Equal", "NotEqual"):
    _binary(_n, NUMERIC_U8 + (BOOL,), out_bool=True)
# C's remainder (fmod for floats); TF's CPU kernels: float32, float64, int32, int64
_binary("TruncateMod", FLOAT + INT)
# TF's error (an InternalError) for an integer TruncateMod by zero
TRUNCATE_MOD_ZERO = (
    "Unexpected error in binary operator (only integer div and mod should have errors) "
    "[Op:TruncateMod]"
)
_predicate("IsNan", FLOATS)
_predicate("IsFinite", FLOATS)
_predicate("LogicalNot", (BOOL,))
for _n in ("LogicalAnd", "LogicalOr"):
    _binary(_n, (BOOL,), out_bool=True)
# inverse trigonometric / hyperbolic functions, lgamma, digamma, atan2 (TF's CPU kernels: Rint
# on float32 / float64 only, Lgamma / Digamma without bfloat16; the others on every float)
for _n in ("Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh", "Rint", "Lgamma",
           "Digamma"):  # fmt: skip
    _unary(_n, FLOATS)
_binary("Atan2", FLOATS)
for _n in ("Zeta", "Polygamma"):  # zeta(x, q), polygamma(n, x): float32 / float64 in TF
    _binary(_n, FLOAT)
# bitwise ops on every integer type; shift counts are clamped to [0, bits - 1], as TF's
BITWISE = INT + SMALL_INT + tuple(np.dtype(d) for d in ("uint8", "uint16", "uint32", "uint64"))
_unary("Invert", BITWISE)
for _n in ("BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"):
    _binary(_n, BITWISE)


# ---- FusedElementwise: a tensorhouse op (not a TF op) ------------------------------------------
# The graph optimizer of the ops layer collapses chains of elementwise ops into one node that
# runs them in a single pass. attrs: ``program``, a tuple of instructions, each writing the
# register numbered by its position (SSA):
#   ("input", i)            input i
#   ("const", value)        a scalar constant (converted to the inputs' dtype)
#   ("unary", op, r)        op in FUSED_UNARY, of register r < this one
#   ("binary", op, r, s)    op in FUSED_BINARY, of registers r, s < this one
# and ``outputs``, the tuple of registers returned (one output each). Inputs share one shape
# or are scalars (shape []), which broadcast; every output has the shape of the non-scalar
# inputs; float32 or float64, one dtype throughout. The ops compute what the TF ops of the same
# names compute.
FUSED_UNARY = (
    "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p",
    "Reciprocal", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Relu", "Floor", "Ceil", "Erf",
    "Round", "Elu", "Selu", "Softplus", "Relu6",
)  # fmt: skip
FUSED_BINARY = (
    "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow",
    "ReluGrad", "SigmoidGrad", "TanhGrad", "FloorDiv", "FloorMod", "EluGrad", "SeluGrad",
    "SoftplusGrad", "Relu6Grad",
)  # fmt: skip
_FUSED_ARITY = {"input": 1, "const": 1, "unary": 2, "binary": 3}


def check_fused_program(attrs, num_inputs):
    """Validate ``FusedElementwise``'s attrs; returns ``(program, outputs)`` as tuples."""
    op = "FusedElementwise"

    def bad(msg):
        raise errors.InvalidArgumentError(f"{msg} [Op:{op}]")

    program, outputs = attrs.get("program"), attrs.get("outputs")
    if not isinstance(program, list | tuple) or not program:
        bad(f"attr 'program' must be a non-empty list of instructions, got {program!r}")
    if not isinstance(outputs, list | tuple) or not outputs:
        bad(f"attr 'outputs' must be a non-empty list of registers, got {outputs!r}")
    for k, ins in enumerate(program):
        kind = ins[0] if isinstance(ins, list | tuple) and ins else None
        if kind not in _FUSED_ARITY or len(ins) != _FUSED_ARITY[kind] + 1:
            bad(
                f"instruction {k} is {ins!r}; expected ('input', i), ('const', value), "
                "('unary', op, r) or ('binary', op, r, s)"
            )
        if kind == "input":
            i = ins[1]
            if not isinstance(i, int | np.integer) or not 0 <= i < num_inputs:
                bad(f"instruction {k} loads input {i!r}, but the op has {num_inputs} inputs")
        elif kind == "const":
            if not isinstance(ins[1], int | float | np.integer | np.floating) or isinstance(
                ins[1], bool
            ):
                bad(f"instruction {k}: the constant must be a real number, got {ins[1]!r}")
        else:
            names = FUSED_UNARY if kind == "unary" else FUSED_BINARY
            if ins[1] not in names:
                bad(f"instruction {k}: {ins[1]!r} is not a fusable {kind} op; valid: "
                    + ", ".join(names))  # fmt: skip
            for r in ins[2:]:
                if not isinstance(r, int | np.integer) or not 0 <= r < k:
                    bad(f"instruction {k} reads register {r!r}; registers 0..{k - 1} exist")
    for r in outputs:
        if not isinstance(r, int | np.integer) or not 0 <= r < len(program):
            bad(f"output register {r!r} is not one of the {len(program)} registers")
    return tuple(program), tuple(outputs)


def _fused_elementwise_infer(shapes, dts, attrs):
    op = "FusedElementwise"
    if not shapes:
        raise errors.InvalidArgumentError(f"{op} needs at least one input [Op:{op}]")
    _, outputs = check_fused_program(attrs, len(shapes))
    dt = _same_dtypes(op, dts)
    _require_dtype(op, dts, 0, FLOAT)
    out = None
    for i, s in enumerate(shapes):
        s = tuple(s)
        if not s:
            continue
        if out is None:
            out = s
        elif not _compatible(s, out):
            raise errors.InvalidArgumentError(
                f"input #{i} has shape {_fmt(s)}, but the other inputs have shape {_fmt(out)}: "
                f"the inputs must share one shape or be scalars (shape []) [Op:{op}]"
            )
        else:
            out = _merge(out, s)
    return [(out or (), dt)] * len(outputs)


_register(OpDef("FusedElementwise", None, _fused_elementwise_infer, FLOAT,
                doc="tensorhouse's own op (not TF's): N same-shape or scalar inputs; attrs: "
                "program, outputs (see check_fused_program)"))  # fmt: skip


def _reduce(name, dtypes=NUMERIC):
    def infer(shapes, dts, attrs):
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        shape = shapes[0]
        axes = normalize_axes(name, attrs.get("axis"), len(shape))
        if attrs.get("keep_dims", False):
            out = tuple(1 if i in axes else d for i, d in enumerate(shape))
        else:
            out = tuple(d for i, d in enumerate(shape) if i not in axes)
        return [(out, dts[0])]

    return _register(OpDef(name, 1, infer, dtypes))


for _n in ("Sum", "Prod", "Max", "Min", "Mean"):
    _reduce(_n, NUMERIC_U8)
for _n in ("All", "Any"):
    _reduce(_n, (BOOL,))


def _matmul_infer(shapes, dts, attrs):
    dt = _same_dtypes("MatMul", dts)
    a, b = shapes
    if len(a) != 2 or len(b) != 2:
        raise errors.InvalidArgumentError(
            f"In[0] and In[1] must be rank 2 matrices, got shapes {_fmt(a)} and {_fmt(b)} "
            "[Op:MatMul]"
        )
    m, k = (a[1], a[0]) if attrs.get("transpose_a") else a
    kb, n = (b[1], b[0]) if attrs.get("transpose_b") else b
    if k is not None and kb is not None and k != kb:
        raise errors.InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {_fmt(a)}, In[1]: {_fmt(b)} (dtype {dt.name}, "
            f"transpose_a={bool(attrs.get('transpose_a'))}, "
            f"transpose_b={bool(attrs.get('transpose_b'))}) [Op:MatMul]"
        )
    return [((m, n), dt)]


# TF's CPU MatMul also takes int16, int32, int64 (not int8 or uint8)
MATMUL_TYPES = FLOATS + INT + (np.dtype("int16"),)
_register(OpDef("MatMul", 2, _matmul_infer, MATMUL_TYPES))


def _transpose_infer(shapes, dts, attrs):
    shape, perm = shapes[0], tuple(attrs["perm"])
    if sorted(perm) != list(range(len(shape))):
        raise errors.InvalidArgumentError(
            f"perm {list(perm)} is not a permutation of the {len(shape)} dims of a tensor of "
            f"shape {_fmt(shape)} [Op:Transpose]"
        )
    return [(tuple(shape[p] for p in perm), dts[0])]


ALL = NUMERIC + (BOOL, np.dtype("uint8"))
_register(OpDef("Transpose", 1, _transpose_infer, ALL))


def _reshape_infer(shapes, dts, attrs):
    shape, target = shapes[0], [int(d) for d in attrs["shape"]]
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1 or any(d < -1 for d in target):
        raise errors.InvalidArgumentError(
            f"Reshape to {target}: only one dimension may be -1 and none below it [Op:Reshape]"
        )
    if None in shape:
        return [(tuple(None if d == -1 else d for d in target), dts[0])]
    size = math.prod(shape)  # Python ints: a NumPy reduction costs microseconds per call
    known = math.prod(d for d in target if d != -1)
    if unknown:
        if known == 0 or size % known:
            raise errors.InvalidArgumentError(
                f"Input to reshape is a tensor with {size} values, but the requested shape "
                f"{target} cannot hold them [Op:Reshape]"
            )
        target[unknown[0]] = size // known
    elif known != size:
        raise errors.InvalidArgumentError(
            f"Input to reshape is a tensor with {size} values, but the requested shape has "
            f"{known} (from {_fmt(shape)} to {target}) [Op:Reshape]"
        )
    return [(tuple(target), dts[0])]


_register(OpDef("Reshape", 1, _reshape_infer, ALL, allocates=False))


def _broadcast_to_infer(shapes, dts, attrs):
    shape, target = shapes[0], tuple(int(d) for d in attrs["shape"])
    out = broadcast_shape("BroadcastTo", shape, target)
    if out != target:
        raise errors.InvalidArgumentError(
            f"Unable to broadcast tensor of shape {_fmt(shape)} to tensor of shape "
            f"{_fmt(target)} [Op:BroadcastTo]"
        )
    return [(target, dts[0])]


_register(OpDef("BroadcastTo", 1, _broadcast_to_infer, ALL))
_register(OpDef("Identity", 1, lambda s, d, a: [(s[0], d[0])], ALL))


CAST_TYPES = ALL


def _cast_infer(shapes, dts, attrs):
    dst = np.dtype(attrs["DstT"])
    if dst not in CAST_TYPES or dts[0] not in CAST_TYPES:
        names = ["string" if d.kind == "O" else d.name for d in (dts[0], dst)]
        raise errors.UnimplementedError(f"Cast {names[0]} to {names[1]} is not supported [Op:Cast]")
    return [(shapes[0], dst)]


_register(OpDef("Cast", 1, _cast_infer, CAST_TYPES, doc="attrs: DstT"))


def _shape_attr_infer(shapes, dts, attrs):
    shape = tuple(int(d) for d in attrs["shape"])
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(f"Dimensions must be >= 0, got shape {list(shape)}")
    return [(shape, np.dtype(attrs["dtype"]))]


_register(OpDef("Fill", 0, _shape_attr_infer, ALL, key=_key_attr_dtype, doc="shape, value"))
for _n in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
    _register(OpDef(_n, 0, _shape_attr_infer, FLOATS, key=_key_attr_dtype, doc="seed, seed2"))


def _random_int_infer(shapes, dts, attrs, op="RandomUniformInt"):
    lo, hi = int(attrs["minval"]), int(attrs["maxval"])
    if lo >= hi:
        raise errors.InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi} [Op:{op}]")
    out = _shape_attr_infer(shapes, dts, attrs)
    info = np.iinfo(out[0][1]) if out[0][1] in INT else None
    if info is not None and (lo < info.min or hi > info.max):
        raise errors.InvalidArgumentError(
            f"minval {lo} or maxval {hi} out of range for {out[0][1].name} [Op:{op}]"
        )
    return out


_register(
    OpDef("RandomUniformInt", 0, _random_int_infer, INT, key=_key_attr_dtype,
          doc="shape, dtype, minval, maxval, seed, seed2: minval + bits % (maxval - minval)")
)  # fmt: skip


def stateless_seed(op, attrs):
    """The stateless ops' shape-[2] seed as the Philox (key, counter) pair."""
    seed = [int(s) for s in np.asarray(attrs["seed"]).ravel()]
    if np.asarray(attrs["seed"]).shape != (2,):
        raise errors.InvalidArgumentError(
            f"seed must have shape [2], not {_fmt(np.asarray(attrs['seed']).shape)} [Op:{op}]"
        )
    return seed[0] & (2**64 - 1), seed[1] & (2**64 - 1)


def _stateless_infer(op):
    def infer(shapes, dts, attrs):
        stateless_seed(op, attrs)
        return _shape_attr_infer(shapes, dts, attrs)

    return infer


_STATELESS_DOC = "shape, dtype, seed (2 ints): the same numbers for the same seed"
for _n in ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"):
    _register(OpDef(_n, 0, _stateless_infer(_n), FLOATS, key=_key_attr_dtype, doc=_STATELESS_DOC))


def _stateless_int_infer(shapes, dts, attrs):
    op = "StatelessRandomUniformIntV2"
    stateless_seed(op, attrs)
    return _random_int_infer(shapes, dts, attrs, op)


_register(
    OpDef("StatelessRandomUniformIntV2", 0, _stateless_int_infer, INT, key=_key_attr_dtype,
          doc=_STATELESS_DOC + "; minval, maxval: minval + bits % (maxval - minval), as "
          "RandomUniformInt")
)  # fmt: skip


# ---- elementwise with fixed-dtype inputs ----------------------------------------------------


def _select_infer(shapes, dts, attrs):
    op = "SelectV2"
    _require_dtype(op, dts, 0, (BOOL,))
    if dts[2] != dts[1]:
        raise errors.InvalidArgumentError(
            f"cannot compute {op} as input #2(zero-based) was expected to be a {dts[1].name} "
            f"tensor but is a {dts[2].name} tensor [Op:{op}]"
        )
    c, t, e = (tuple(s) for s in shapes)
    return [(broadcast_shape(op, broadcast_shape(op, c, t), e), dts[1])]


_register(OpDef("SelectV2", 3, _select_infer, ALL, key=lambda dts, attrs: dts[1]))


# ---- ops along one axis ------------------------------------------------------------------------


def _arg_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        axis = _axis(name, attrs.get("axis", 0), len(shape), "dimension")
        if shape[axis] == 0:
            raise errors.InvalidArgumentError(
                f"Reduction axis {axis} is empty in shape {_fmt(shape)} [Op:{name}]"
            )
        out_type = np.dtype(attrs.get("output_type", "int64"))
        if out_type not in INT:
            raise errors.InvalidArgumentError(
                f"output_type must be int32 or int64, got {out_type.name} [Op:{name}]"
            )
        return [(shape[:axis] + shape[axis + 1 :], out_type)]

    return _register(OpDef(name, 1, infer, NUMERIC_U8 + (BOOL,), doc="attrs: axis, output_type"))


def _cumulative_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        _axis(name, attrs.get("axis", 0), len(shape))
        return [(shape, dts[0])]

    return _register(OpDef(name, 1, infer, NUMERIC_U8, doc="attrs: axis, exclusive, reverse"))


for _n in ("ArgMax", "ArgMin"):
    _arg_infer(_n)
for _n in ("Cumsum", "Cumprod"):
    _cumulative_infer(_n)


def _top_k_infer(shapes, dts, attrs):
    op = "TopKV2"
    shape, k = tuple(shapes[0]), int(attrs["k"])
    if k < 0:
        raise errors.InvalidArgumentError(f"Need k >= 0, got {k} [Op:{op}]")
    if not shape:
        raise errors.InvalidArgumentError(
            f"input must be >= 1-D, got shape {_fmt(shape)} [Op:{op}]"
        )
    if shape[-1] is not None and shape[-1] < k:
        raise errors.InvalidArgumentError(
            f"input must have at least k columns. Had {shape[-1]}, needed {k} [Op:{op}]"
        )
    out = shape[:-1] + (k,)
    return [(out, dts[0]), (out, np.dtype("int32"))]


_register(OpDef("TopKV2", 1, _top_k_infer, NUMERIC_U8, doc="attrs: k, sorted"))


# ---- batched matmul, softmax and the fused losses --------------------------------------------


def _batch_matmul_infer(shapes, dts, attrs):
    op = "BatchMatMulV2"
    dt = _same_dtypes(op, dts)
    a, b = tuple(shapes[0]), tuple(shapes[1])
    for i, s in enumerate((a, b)):
        if len(s) < 2:
            raise errors.InvalidArgumentError(f"In[{i}] ndims must be >= 2: {len(s)} [Op:{op}]")
    adj_x, adj_y = bool(attrs.get("adj_x")), bool(attrs.get("adj_y"))
    m, k = (a[-1], a[-2]) if adj_x else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if adj_y else (b[-2], b[-1])
    if k is not None and kb is not None and k != kb:
        raise errors.InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {_fmt(a)}, In[1]: {_fmt(b)} (dtype {dt.name}, "
            f"adj_x={adj_x}, adj_y={adj_y}) [Op:{op}]"
        )
    try:
        batch = broadcast_shape(op, a[:-2], b[:-2])
    except errors.InvalidArgumentError:
        raise errors.InvalidArgumentError(
            f"In[0] and In[1] must have compatible batch dimensions: {_fmt(a)} vs. {_fmt(b)} "
            f"[Op:{op}]"
        ) from None
    return [(batch + (m, n), dt)]


_register(OpDef("BatchMatMulV2", 2, _batch_matmul_infer, MATMUL_TYPES, doc="attrs: adj_x, adj_y"))


def _softmax_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        if not shape:
            raise errors.InvalidArgumentError(
                f"logits must have >= 1 dimension, got {_fmt(shape)} [Op:{name}]"
            )
        return [(shape, dts[0])]

    return _register(OpDef(name, 1, infer, FLOATS, doc="over the last axis"))


for _n in ("Softmax", "LogSoftmax"):
    _softmax_infer(_n)


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _merge(a, b):
    return tuple(y if x is None else x for x, y in zip(a, b))


def _xent_infer(shapes, dts, attrs):
    op = "SoftmaxCrossEntropyWithLogits"
    dt = _same_dtypes(op, dts)
    f, lab = tuple(shapes[0]), tuple(shapes[1])
    if len(f) != 2 or not _compatible(f, lab):
        raise errors.InvalidArgumentError(
            f"logits and labels must be [batch, classes] of the same shape: "
            f"logits_size={_fmt(f)} labels_size={_fmt(lab)} [Op:{op}]"
        )
    shape = _merge(f, lab)
    return [((shape[0],), dt), (shape, dt)]


_register(OpDef("SoftmaxCrossEntropyWithLogits", 2, _xent_infer, FLOATS, doc="-> loss, backprop"))


def _sparse_xent_infer(shapes, dts, attrs):
    op = "SparseSoftmaxCrossEntropyWithLogits"
    _require_dtype(op, dts, 1, INT)
    f, lab = tuple(shapes[0]), tuple(shapes[1])
    if len(f) != 2:
        raise errors.InvalidArgumentError(f"logits must be 2-D, but got shape {_fmt(f)} [Op:{op}]")
    if len(lab) != 1:
        raise errors.InvalidArgumentError(
            f"labels must be 1-D, but got shape {_fmt(lab)} [Op:{op}]"
        )
    if not _compatible(f[:1], lab):
        raise errors.InvalidArgumentError(
            "logits and labels must have the same first dimension, got logits shape "
            f"{_fmt(f)} and labels shape {_fmt(lab)} [Op:{op}]"
        )
    if f[1] == 0:
        raise errors.InvalidArgumentError(
            f"Must have at least one class, but got logits shape {_fmt(f)} [Op:{op}]"
        )
    batch = f[0] if f[0] is not None else lab[0]
    return [((batch,), dts[0]), ((batch, f[1]), dts[0])]


_register(
    OpDef(
        "SparseSoftmaxCrossEntropyWithLogits",
        2,
        _sparse_xent_infer,
        FLOATS,
        doc="-> loss, backprop",
    )
)


# ---- array ops ---------------------------------------------------------------------------------


def _concat_infer(shapes, dts, attrs):
    op = "ConcatV2"
    if not shapes:
        raise errors.InvalidArgumentError(f"{op} needs at least one input [Op:{op}]")
    dt = _same_dtypes(op, dts)
    first = tuple(shapes[0])
    rank = len(first)
    if rank == 0:
        raise errors.InvalidArgumentError(
            f"Can't concatenate scalars (use tf.stack instead) [Op:{op}]"
        )
    axis = int(attrs.get("axis", 0))
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), "
            f"but got {axis} [Op:{op}]"
        )
    axis %= rank
    out = list(first)
    total = 0
    for i, s in enumerate(shapes):
        s = tuple(s)
        if len(s) != rank:
            raise errors.InvalidArgumentError(
                f"ConcatOp : Ranks of all input tensors should match: shape[0] = {_fmt(first)} "
                f"vs. shape[{i}] = {_fmt(s)} [Op:{op}]"
            )
        for d in range(rank):
            if d == axis:
                continue
            if out[d] is not None and s[d] is not None and out[d] != s[d]:
                raise errors.InvalidArgumentError(
                    f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                    f"{_fmt(first)} vs. shape[{i}] = {_fmt(s)} [Op:{op}]"
                )
            out[d] = s[d] if out[d] is None else out[d]
        total = None if total is None or s[axis] is None else total + s[axis]
    out[axis] = total
    return [(tuple(out), dt)]


_register(OpDef("ConcatV2", None, _concat_infer, ALL, doc="N inputs; attrs: axis"))


def _split_axis(op, shape, attrs):
    if not shape:
        raise errors.InvalidArgumentError(f"Can't split a scalar (rank 0) tensor [Op:{op}]")
    return _axis(op, attrs.get("axis", 0), len(shape), "split dimension")


def _split_infer(shapes, dts, attrs):
    op = "Split"
    shape, num = tuple(shapes[0]), int(attrs["num_split"])
    if num < 1:
        raise errors.InvalidArgumentError(
            f"Number of ways to split should be > 0, but got {num} [Op:{op}]"
        )
    axis = _split_axis(op, shape, attrs)
    d = shape[axis]
    if d is not None and d % num:
        raise errors.InvalidArgumentError(
            "Number of ways to split should evenly divide the split dimension, but got "
            f"split_dim {axis} (size = {d}) and num_split {num} [Op:{op}]"
        )
    part = None if d is None else d // num
    return [(shape[:axis] + (part,) + shape[axis + 1 :], dts[0])] * num


def split_sizes(op, dim, size_splits):
    """SplitV's sizes with the one -1 resolved (None when ``dim`` is unknown)."""
    sizes = [int(v) for v in size_splits]
    unknown = [i for i, v in enumerate(sizes) if v == -1]
    if not sizes or len(unknown) > 1 or any(v < -1 for v in sizes):
        raise errors.InvalidArgumentError(
            f"size_splits must be non-empty sizes >= 0 with at most one -1, got {sizes} [Op:{op}]"
        )
    known = sum(v for v in sizes if v != -1)
    if dim is None:
        return [None if v == -1 else v for v in sizes]
    if (unknown and known > dim) or (not unknown and known != dim):
        raise errors.InvalidArgumentError(
            "Determined shape must either match input shape along split_dim exactly if fully "
            "specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {known} for split_dim of size {dim} [Op:{op}]"
        )
    if unknown:
        sizes[unknown[0]] = dim - known
    return sizes


def _split_v_infer(shapes, dts, attrs):
    op = "SplitV"
    shape = tuple(shapes[0])
    axis = _split_axis(op, shape, attrs)
    sizes = split_sizes(op, shape[axis], attrs["size_splits"])
    return [(shape[:axis] + (s,) + shape[axis + 1 :], dts[0]) for s in sizes]


_register(OpDef("Split", 1, _split_infer, ALL, doc="attrs: num_split, axis"))
_register(OpDef("SplitV", 1, _split_v_infer, ALL, doc="attrs: size_splits, axis"))


def slice_bounds(op, shape, begin, size):
    """Slice's (begin, size) per dim with -1 sizes resolved; TF's errors on bad bounds."""
    begin, size = [int(v) for v in begin], [int(v) for v in size]
    if len(begin) != len(shape) or len(size) != len(shape):
        raise errors.InvalidArgumentError(
            f"Expected begin and size arguments to be 1-D tensors of size {len(shape)}, but got "
            f"shapes [{len(begin)}] and [{len(size)}] instead. [Op:{op}]"
        )
    out = []
    for i, (b, s, d) in enumerate(zip(begin, size, shape)):
        if d is None:
            out.append(None if s == -1 else s)
            continue
        if not 0 <= b <= d:
            raise errors.InvalidArgumentError(
                f"Expected begin[{i}] in [0, {d}], but got {b} [Op:{op}]"
            )
        s = d - b if s == -1 else s
        if not 0 <= s <= d - b:
            raise errors.InvalidArgumentError(
                f"Expected size[{i}] in [0, {d - b}], but got {s} [Op:{op}]"
            )
        out.append(s)
    return begin, out


def _slice_infer(shapes, dts, attrs):
    _, size = slice_bounds("Slice", tuple(shapes[0]), attrs["begin"], attrs["size"])
    return [(tuple(size), dts[0])]


_register(OpDef("Slice", 1, _slice_infer, ALL, doc="attrs: begin, size"))

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def strided_slice_spec(op, shape, attrs):
    """TF's strided-slice rules: ``(index, final_shape)``.

    ``index`` is a NumPy basic index (ints, slices, None) that selects the slice as a view, or
    None when a dim of ``shape`` is unknown. Masks, negative indices and clamping follow TF's
    ``ValidateStridedSliceOp``.
    """
    begin = [int(v) for v in attrs.get("begin", ())]
    end = [int(v) for v in attrs.get("end", ())]
    strides = attrs.get("strides")
    strides = [1] * len(begin) if strides is None else [int(v) for v in strides]
    if not len(begin) == len(end) == len(strides):
        raise errors.InvalidArgumentError(
            "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
            f"[{len(begin)}], [{len(end)}], and [{len(strides)}] instead. [Op:{op}]"
        )
    bm, em, ellipsis, new_axis, shrink = (int(attrs.get(k, 0)) for k in _MASKS)
    if ellipsis & (ellipsis - 1):
        raise errors.InvalidArgumentError(f"Multiple ellipses in slice spec not allowed [Op:{op}]")
    n, rank = len(begin), len(shape)
    sparse = n
    if not ellipsis & ((1 << n) - 1):  # no ellipsis: one is implied at the end
        ellipsis = 1 << n
        sparse = n + 1
    ell_at = ellipsis.bit_length() - 1
    new_after = sum(1 for i in range(ell_at + 1, n) if new_axis >> i & 1)
    # Sparse spec -> one (begin, end, stride, begin_masked, end_masked, shrink) per input dim.
    dense, items = [], []
    for i in range(sparse):
        if ellipsis >> i & 1:
            stop = min(rank - (sparse - i) + 1 + new_after, rank)
            while len(dense) < stop:
                items.append(len(dense))
                dense.append((0, 0, 1, True, True, False))
        elif new_axis >> i & 1:
            items.append(None)
        else:
            if len(dense) == rank:
                raise errors.InvalidArgumentError(
                    f"Index out of range using input dim {rank}; input has only {rank} dims "
                    f"[Op:{op}]"
                )
            items.append(len(dense))
            dense.append(
                (begin[i], end[i], strides[i], bool(bm >> i & 1), bool(em >> i & 1),
                 bool(shrink >> i & 1))
            )  # fmt: skip
    index, sizes = [], []
    for i, (b, e, s, b_masked, e_masked, shrink_i) in enumerate(dense):
        d = shape[i]
        if s == 0:
            raise errors.InvalidArgumentError(f"strides[{i}] must be non-zero [Op:{op}]")
        if shrink_i and s <= 0:
            raise errors.InvalidArgumentError(
                f"only stride 1 allowed on non-range indexing. [Op:{op}]"
            )
        if d is None:
            index, sizes = None, sizes + [1 if shrink_i else None]
            continue
        if shrink_i:
            b = b + d if b < 0 else b
            if not 0 <= b < d:
                raise errors.InvalidArgumentError(
                    f"slice index {b} of dimension {i} out of bounds. [Op:{op}]"
                )
            sizes.append(1)
            if index is not None:
                index.append(b)
            continue
        lo, hi = (0, d) if s > 0 else (-1, d - 1)

        def canonical(x, masked, c, lo=lo, hi=hi, s=s, d=d):
            if masked:
                return (lo, hi)[c] if s > 0 else (lo, hi)[1 - c]
            x = x + d if x < 0 else x
            return min(max(x, lo), hi)

        b, e = canonical(b, b_masked, 0), canonical(e, e_masked, 1)
        length = e - b
        if length == 0 or (length < 0) != (s < 0):
            size = 0
        else:
            size = -(-abs(length) // abs(s))
        sizes.append(size)
        if index is not None:
            index.append(slice(0, 0) if size == 0 else slice(b, None if e < 0 else e, s))
    final = []
    np_index = []
    for it in items:
        if it is None:
            final.append(1)
            np_index.append(None)
        else:
            if not dense[it][5]:
                final.append(sizes[it])
            if index is not None:
                np_index.append(index[it])
    return (None if index is None else tuple(np_index)), tuple(final)


def _strided_slice_infer(shapes, dts, attrs):
    _, final = strided_slice_spec("StridedSlice", tuple(shapes[0]), attrs)
    return [(final, dts[0])]


def _strided_slice_grad_infer(shapes, dts, attrs):
    op = "StridedSliceGrad"
    shape = tuple(int(d) for d in attrs["shape"])
    _, final = strided_slice_spec(op, shape, attrs)
    dy = tuple(shapes[0])
    if not _compatible(dy, final):
        raise errors.InvalidArgumentError(
            f"shape of dy was {_fmt(dy)} instead of {_fmt(final)} [Op:{op}]"
        )
    return [(shape, dts[0])]


_SLICE_DOC = "attrs: begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, "
_register(OpDef("StridedSlice", 1, _strided_slice_infer, ALL, doc=_SLICE_DOC + "shrink_axis_mask"))
_register(
    OpDef("StridedSliceGrad", 1, _strided_slice_grad_infer, ALL, doc="dy; attrs: shape, and "
          + _SLICE_DOC[7:] + "shrink_axis_mask")
)  # fmt: skip


def _pad_infer(shapes, dts, attrs):
    op = "Pad"
    shape = tuple(shapes[0])
    pads = [tuple(int(v) for v in p) for p in attrs["paddings"]]
    if len(pads) != len(shape) or any(len(p) != 2 for p in pads):
        raise errors.InvalidArgumentError(
            f"paddings must be a [{len(shape)}, 2] list for an input of shape {_fmt(shape)}, "
            f"got {[list(p) for p in pads]} [Op:{op}]"
        )
    for a, b in pads:
        if a < 0 or b < 0:
            raise errors.InvalidArgumentError(f"Paddings must be non-negative: {a} {b} [Op:{op}]")
    return [(tuple(None if d is None else a + d + b for d, (a, b) in zip(shape, pads)), dts[0])]


_register(OpDef("Pad", 1, _pad_infer, ALL, doc="attrs: paddings, constant_values"))


def mirror_pad_mode(op, attrs):
    """MirrorPad's mode attr: ``"REFLECT"`` (the edge is not repeated) or ``"SYMMETRIC"``."""
    mode = str(attrs.get("mode", "")).upper()
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise errors.InvalidArgumentError(
            f"mode must be REFLECT or SYMMETRIC, got {attrs.get('mode')!r} [Op:{op}]"
        )
    return mode


def mirror_pad_copies(op, shape, attrs):
    """MirrorPad as a list of (source index, destination index) pairs of slices of the output,
    in order: the input goes to the centre, then each axis's borders are mirrored from the
    part already written (all of the earlier axes, the centre of the later ones)."""
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    off = 1 if mirror_pad_mode(op, attrs) == "REFLECT" else 0
    centre = [slice(a, a + d) for (a, _), d in zip(pads, shape)]
    pairs = []
    for ax, ((a, b), d) in enumerate(zip(pads, shape)):

        def at(sl, ax=ax):
            return tuple(slice(None) if i < ax else sl if i == ax else centre[i]
                         for i in range(len(shape)))  # fmt: skip

        if a:  # out[a - 1 - j] = out[a + off + j]
            pairs.append((at(slice(a + off + a - 1, a + off - 1, -1)), at(slice(0, a))))
        if b:  # out[a + d + j] = out[a + d - 1 - off - j]
            stop = a + d - off - b - 1
            pairs.append((at(slice(a + d - 1 - off, stop if stop >= 0 else None, -1)),
                          at(slice(a + d, a + d + b))))  # fmt: skip
    return centre, pairs


def _mirror_pad_infer(shapes, dts, attrs):
    op = "MirrorPad"
    mode = mirror_pad_mode(op, attrs)
    out = _pad_infer(shapes, dts, attrs)
    for d, (a, b) in zip(shapes[0], attrs["paddings"]):
        a, b = int(a), int(b)
        if d is None:
            continue
        if mode == "REFLECT" and (a >= d or b >= d):
            raise errors.InvalidArgumentError(
                f"paddings must be less than the dimension size: {a}, {b} not less than {d} "
                f"(REFLECT) for an input of shape {_fmt(shapes[0])} [Op:{op}]"
            )
        if mode == "SYMMETRIC" and (a > d or b > d):
            raise errors.InvalidArgumentError(
                f"paddings must be no greater than the dimension size: {a}, {b} greater than "
                f"{d} (SYMMETRIC) for an input of shape {_fmt(shapes[0])} [Op:{op}]"
            )
    return out


_register(
    OpDef("MirrorPad", 1, _mirror_pad_infer, ALL,
          doc="attrs: paddings, mode (REFLECT: the edge row is not repeated; SYMMETRIC: it is)")
)  # fmt: skip


def _tile_infer(shapes, dts, attrs):
    op = "Tile"
    shape = tuple(shapes[0])
    mult = [int(m) for m in attrs["multiples"]]
    if len(mult) != len(shape):
        raise errors.InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {len(shape)} but got length "
            f"{len(mult)} [Op:{op}]"
        )
    for i, m in enumerate(mult):
        if m < 0:
            raise errors.InvalidArgumentError(
                f"Expected multiples[{i}] >= 0, but got {m} [Op:{op}]"
            )
    return [(tuple(None if d is None else d * m for d, m in zip(shape, mult)), dts[0])]


_register(OpDef("Tile", 1, _tile_infer, ALL, doc="attrs: multiples"))


def _reverse_infer(shapes, dts, attrs):
    op = "ReverseV2"
    shape = tuple(shapes[0])
    normalized_reverse_axes(op, attrs["axis"], len(shape))
    return [(shape, dts[0])]


def normalized_reverse_axes(op, axis, rank):
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    out = []
    for i, a in enumerate(axes):
        a = int(a)
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}] [Op:{op}]"
            )
        if a % rank in out:
            raise errors.InvalidArgumentError(
                f"axis {a % rank} specified more than once. [Op:{op}]"
            )
        out.append(a % rank)
    return out


_register(OpDef("ReverseV2", 1, _reverse_infer, ALL, doc="attrs: axis (list)"))


# ---- index-driven ops ----------------------------------------------------------------------


def _gather_infer(shapes, dts, attrs):
    op = "GatherV2"
    _require_dtype(op, dts, 1, INT)
    params, idx = tuple(shapes[0]), tuple(shapes[1])
    batch_dims = int(attrs.get("batch_dims", 0))
    if batch_dims != 0:
        raise errors.UnimplementedError(
            f"GatherV2 with batch_dims={batch_dims} is not supported (only 0) [Op:{op}]"
        )
    if not params:
        raise errors.InvalidArgumentError(f"params must be at least 1-D, got shape [] [Op:{op}]")
    axis = _axis(op, attrs.get("axis", 0), len(params))
    return [(params[:axis] + idx + params[axis + 1 :], dts[0])]


_register(OpDef("GatherV2", 2, _gather_infer, ALL, doc="params, indices; attrs: axis, batch_dims"))


def _gather_nd_infer(shapes, dts, attrs):
    op = "GatherNd"
    _require_dtype(op, dts, 1, INT)
    params, idx = tuple(shapes[0]), tuple(shapes[1])
    if not idx or idx[-1] is None:
        raise errors.InvalidArgumentError(
            f"indices must be at least 1-D with a known last dim, got shape {_fmt(idx)} [Op:{op}]"
        )
    k = idx[-1]
    if k > len(params):
        raise errors.InvalidArgumentError(
            "index innermost dimension length must be <= params rank; saw: "
            f"{k} vs. {len(params)} [Op:{op}]"
        )
    return [(idx[:-1] + params[k:], dts[0])]


_register(OpDef("GatherNd", 2, _gather_nd_infer, ALL, doc="params, indices"))


def _scatter_nd_infer(shapes, dts, attrs):
    op = "ScatterNd"
    _require_dtype(op, dts, 0, INT)
    shape = tuple(int(d) for d in attrs["shape"])
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(f"Dimensions must be >= 0, got shape {list(shape)}")
    _check_scatter_shapes(op, tuple(shapes[0]), tuple(shapes[1]), shape)
    return [(shape, dts[1])]


def _check_scatter_shapes(op, idx, upd, shape):
    """ScatterNd / TensorScatterUpdate: indices (batch..., k) address the first k dims of the
    output ``shape``, and updates must have shape batch + shape[k:]."""
    if not idx or idx[-1] is None:
        raise errors.InvalidArgumentError(
            f"indices must be at least 1-D with a known last dim, got shape {_fmt(idx)} [Op:{op}]"
        )
    k = idx[-1]
    if k > len(shape):
        raise errors.InvalidArgumentError(
            "index innermost dimension length must be <= output rank; saw: "
            f"{k} vs. {len(shape)} [Op:{op}]"
        )
    expect = idx[:-1] + shape[k:]
    if not _compatible(upd, expect):
        raise errors.InvalidArgumentError(
            f"updates must have shape {_fmt(expect)} (indices.shape[:-1] + shape[{k}:]) for "
            f"indices of shape {_fmt(idx)} and output shape {_fmt(shape)}, got {_fmt(upd)} "
            f"[Op:{op}]"
        )


_register(
    OpDef("ScatterNd", 2, _scatter_nd_infer, NUMERIC_U8 + (BOOL,), key=lambda dts, attrs: dts[1],
          doc="indices, updates; attrs: shape")
)  # fmt: skip


def _tensor_scatter_update_infer(shapes, dts, attrs):
    op = "TensorScatterUpdate"
    _require_dtype(op, dts, 1, INT)
    if dts[2] != dts[0]:
        raise errors.InvalidArgumentError(
            f"cannot compute {op} as input #2(zero-based) was expected to be a {dts[0].name} "
            f"tensor but is a {dts[2].name} tensor [Op:{op}]"
        )
    shape = tuple(shapes[0])
    _check_scatter_shapes(op, tuple(shapes[1]), tuple(shapes[2]), shape)
    return [(shape, dts[0])]


_register(
    OpDef("TensorScatterUpdate", 3, _tensor_scatter_update_infer, ALL,
          doc="tensor, indices, updates: a copy of tensor with the slices at indices replaced "
          "(in index order: with duplicate indices the last update wins)")
)  # fmt: skip


def _segment_sum_infer(shapes, dts, attrs):
    op = "UnsortedSegmentSum"
    _require_dtype(op, dts, 1, INT)
    data, ids = tuple(shapes[0]), tuple(shapes[1])
    n = int(attrs["num_segments"])
    if n < 0:
        raise errors.InvalidArgumentError(
            f"Input num_segments == {n} must not be negative. [Op:{op}]"
        )
    if not _compatible(data[: len(ids)], ids):
        raise errors.InvalidArgumentError(
            f"data.shape = {_fmt(data)} does not start with segment_ids.shape = {_fmt(ids)} "
            f"[Op:{op}]"
        )
    return [((n,) + data[len(ids) :], dts[0])]


_register(
    OpDef("UnsortedSegmentSum", 2, _segment_sum_infer, NUMERIC_U8,
          doc="data, segment_ids; attrs: num_segments")
)  # fmt: skip


def _one_hot_infer(shapes, dts, attrs):
    op = "OneHot"
    idx = tuple(shapes[0])
    depth, axis = int(attrs["depth"]), int(attrs.get("axis", -1))
    if depth < 0:
        raise errors.InvalidArgumentError(f"depth must be non-negative, got: {depth} [Op:{op}]")
    rank = len(idx)
    if not -1 <= axis <= rank:
        raise errors.InvalidArgumentError(
            f"Expected axis to be -1 or between [0, {rank + 1}).  But received: {axis} [Op:{op}]"
        )
    dt = np.dtype(attrs.get("dtype", "float32"))
    if dt not in ALL:
        raise errors.UnimplementedError(f"OneHot to {dt.name} is not supported [Op:{op}]")
    pos = rank if axis == -1 else axis
    return [(idx[:pos] + (depth,) + idx[pos:], dt)]


_register(
    OpDef("OneHot", 1, _one_hot_infer, INT + (np.dtype("uint8"), np.dtype("int8")),
          doc="indices; attrs: depth, on_value, off_value, axis, dtype")
)  # fmt: skip


def range_size(start, limit, delta, dtype):
    """The length of TF's Range, computed in ``dtype`` as TF does; TF's errors on bad bounds."""
    op = "Range"
    dtype = np.dtype(dtype)
    if delta == 0:
        raise errors.InvalidArgumentError(f"Requires delta != 0: {delta} [Op:{op}]")
    if delta > 0 and start > limit:
        raise errors.InvalidArgumentError(
            f"Requires start <= limit when delta > 0: {start}/{limit} [Op:{op}]"
        )
    if delta < 0 and start < limit:
        raise errors.InvalidArgumentError(
            f"Requires start >= limit when delta < 0: {start}/{limit} [Op:{op}]"
        )
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        for name, v in (("start", start), ("limit", limit), ("delta", delta)):
            if not info.min <= int(v) <= info.max:
                raise errors.InvalidArgumentError(
                    f"{name} = {v} is out of range for dtype {dtype.name} [Op:{op}]"
                )
        return (abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta))
    t = dtype.type
    with np.errstate(all="ignore"):
        return int(np.ceil(np.abs((t(limit) - t(start)) / t(delta))))


def _range_infer(shapes, dts, attrs):
    dtype = np.dtype(attrs["dtype"])
    return [((range_size(attrs["start"], attrs["limit"], attrs["delta"], dtype),), dtype)]


_register(
    OpDef("Range", 0, _range_infer, NUMERIC_U8, key=_key_attr_dtype,
          doc="attrs: start, limit, delta, dtype")
)  # fmt: skip


def _where_infer(shapes, dts, attrs):
    return [((None, len(shapes[0])), np.dtype("int64"))]


_register(OpDef("Where", 1, _where_infer, ALL, allocates=False, doc="int64 [num_true, rank]"))


# ---- neural-network ops (NHWC) ---------------------------------------------------------------
# Shape inputs that TF passes as tensors (Conv2DBackpropInput's input_sizes, Conv2DBackpropFilter's
# filter_sizes, AvgPoolGrad's orig_input_shape) are attrs here, as for Reshape.

_CONV_DOC = "attrs: strides, padding (SAME, VALID, EXPLICIT), explicit_paddings, dilations"


def _hw(op, attrs, name, default=1):
    """An NHWC attr (``strides``, ``dilations``, ``ksize``) as (h, w); 1, 2 or 4 entries."""
    v = attrs.get(name, default)
    if isinstance(v, int | np.integer):
        v = [int(v)]
    v = [int(x) for x in v]
    if len(v) == 4:
        if v[0] != 1 or v[3] != 1:
            raise errors.UnimplementedError(
                f"Current implementation does not yet support {name} in the batch and depth "
                f"dimensions. [Op:{op}]"
            )
        v = v[1:3]
    elif len(v) == 1:
        v = v * 2
    if len(v) != 2 or min(v) < 1:
        raise errors.InvalidArgumentError(
            f"{name} must have 1, 2 or 4 positive entries, got {attrs.get(name)} [Op:{op}]"
        )
    return tuple(v)


def _padding(op, attrs, allow_explicit=True):
    p = attrs.get("padding", "VALID")
    p = p.decode() if isinstance(p, bytes) else str(p)
    p = p.upper()
    if p not in ("SAME", "VALID", "EXPLICIT") or (p == "EXPLICIT" and not allow_explicit):
        raise errors.InvalidArgumentError(f"Unknown padding {attrs.get('padding')!r} [Op:{op}]")
    explicit = None
    if p == "EXPLICIT":
        ex = [
            int(v) for v in np.asarray(attrs.get("explicit_paddings", ()), dtype=np.int64).ravel()
        ]
        if len(ex) != 8 or min(ex) < 0 or any(ex[i] for i in (0, 1, 6, 7)):
            raise errors.InvalidArgumentError(
                "explicit_paddings must be 8 non-negative values, zero for the batch and depth "
                f"dimensions, got {attrs.get('explicit_paddings')} [Op:{op}]"
            )
        explicit = ((ex[2], ex[3]), (ex[4], ex[5]))
    return p, explicit


def _data_format(op, attrs):
    fmt = attrs.get("data_format", "NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    if fmt != "NHWC":
        raise errors.UnimplementedError(f"Only NHWC data_format is supported, got {fmt} [Op:{op}]")


def window_geometry(op, in_hw, k_hw, attrs, dilations=(1, 1), allow_explicit=True):
    """Output (h, w) and the (top, left) padding of a window op, as TF computes them."""
    strides = _hw(op, attrs, "strides")
    mode, explicit = _padding(op, attrs, allow_explicit)
    out, pads = [], []
    for i in range(2):
        n, k, s, d = in_hw[i], k_hw[i], strides[i], dilations[i]
        if n is None or k is None:
            out.append(None)
            pads.append(0)
            continue
        eff = (k - 1) * d + 1
        if mode == "SAME":
            o = -(-n // s)
            pads.append(max((o - 1) * s + eff - n, 0) // 2)
        else:
            explicit_pads = explicit if mode == "EXPLICIT" and explicit is not None else None
            before, after = explicit_pads[i] if explicit_pads is not None else (0, 0)
            num = n + before + after - eff + s
            o = num // s if num >= 0 else -(-num // s)  # C's division, as TF
            pads.append(before)
        if o < 0:
            raise errors.InvalidArgumentError(
                f"Computed output size would be negative: {o} [input_size: {n}, "
                f"effective_filter_size: {eff}, stride: {s}] [Op:{op}]"
            )
        out.append(o)
    return tuple(out), tuple(pads), strides


def conv_params(op, in_shape, filter_shape, attrs):
    """(out_hw, (pad_top, pad_left), strides, dilations) of a Conv2D-family op."""
    dil = _hw(op, attrs, "dilations")
    out_hw, pads, strides = window_geometry(op, in_shape[1:3], filter_shape[:2], attrs, dil)
    return out_hw, pads, strides, dil


def _rank4(op, shape, what):
    if len(shape) != 4:
        raise errors.InvalidArgumentError(
            f"{what} must be 4-dimensional, got shape {_fmt(shape)} [Op:{op}]"
        )


def _conv_out_shape(op, x, f, depthwise):
    _rank4(op, x, "input")
    _rank4(op, f, "filter")
    if None not in (x[3], f[2]) and x[3] != f[2]:
        raise errors.InvalidArgumentError(
            f"input depth must equal filter depth: {x[3]} vs {f[2]}; input shape {_fmt(x)}, "
            f"filter shape {_fmt(f)} [Op:{op}]"
        )


def _conv_infer(op, depthwise):
    def infer(shapes, dts, attrs):
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        x, f = tuple(shapes[0]), tuple(shapes[1])
        _conv_out_shape(op, x, f, depthwise)
        (oh, ow), _, _, _ = conv_params(op, x, f, attrs)
        depth = (None if None in f[2:] else f[2] * f[3]) if depthwise else f[3]
        return [((x[0], oh, ow, depth), dt)]

    return infer


def _check_backprop(op, x, f, dy, attrs, depthwise):
    _conv_out_shape(op, x, f, depthwise)
    _rank4(op, dy, "out_backprop")
    (oh, ow), _, _, _ = conv_params(op, x, f, attrs)
    depth = (None if None in f[2:] else f[2] * f[3]) if depthwise else f[3]
    want = (x[0], oh, ow, depth)
    if not _compatible(want, dy):
        raise errors.InvalidArgumentError(
            f"out_backprop shape {_fmt(dy)} does not match the computed output shape "
            f"{_fmt(want)} of input {_fmt(x)} and filter {_fmt(f)} [Op:{op}]"
        )


def _backprop_input_infer(op, depthwise):
    def infer(shapes, dts, attrs):  # inputs: filter, out_backprop; attr input_sizes
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        x = tuple(int(d) for d in attrs["input_sizes"])
        _check_backprop(op, x, tuple(shapes[0]), tuple(shapes[1]), attrs, depthwise)
        return [(x, dt)]

    return infer


def _backprop_filter_infer(op, depthwise):
    def infer(shapes, dts, attrs):  # inputs: input, out_backprop; attr filter_sizes
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        f = tuple(int(d) for d in attrs["filter_sizes"])
        _check_backprop(op, tuple(shapes[0]), f, tuple(shapes[1]), attrs, depthwise)
        return [(f, dt)]

    return infer


for _n, _dw in (("Conv2D", False), ("DepthwiseConv2dNative", True)):
    _ct = FLOATS if _dw else FLOATS + (np.dtype("int32"),)  # TF's Conv2D also takes int32
    _register(OpDef(_n, 2, _conv_infer(_n, _dw), _ct, doc="input, filter; " + _CONV_DOC))
    _b = _n + "BackpropInput"
    _register(OpDef(_b, 2, _backprop_input_infer(_b, _dw), _ct,
                    doc="filter, out_backprop; attrs: input_sizes, " + _CONV_DOC[7:]))  # fmt: skip
    _b = _n + "BackpropFilter"
    _register(OpDef(_b, 2, _backprop_filter_infer(_b, _dw), FLOATS,
                    doc="input, out_backprop; attrs: filter_sizes, " + _CONV_DOC[7:]))  # fmt: skip


def pool_params(op, in_shape, attrs):
    """(out_hw, (pad_top, pad_left), strides, ksize) of a pooling op (SAME or VALID)."""
    ksize = _hw(op, attrs, "ksize")
    out_hw, pads, strides = window_geometry(op, in_shape[1:3], ksize, attrs, allow_explicit=False)
    return out_hw, pads, strides, ksize


def _pool_infer(op):
    def infer(shapes, dts, attrs):
        _data_format(op, attrs)
        x = tuple(shapes[0])
        _rank4(op, x, "input")
        (oh, ow), _, _, _ = pool_params(op, x, attrs)
        return [((x[0], oh, ow, x[3]), dts[0])]

    return infer


def _pool_grad_check(op, x, dy, attrs):
    _rank4(op, x, "orig_input")
    (oh, ow), _, _, _ = pool_params(op, x, attrs)
    want = (x[0], oh, ow, x[3])
    if not _compatible(want, dy):
        raise errors.InvalidArgumentError(
            f"gradient shape {_fmt(dy)} does not match the pooled shape {_fmt(want)} of input "
            f"{_fmt(x)} [Op:{op}]"
        )


def _max_pool_grad_infer(shapes, dts, attrs):  # orig_input, orig_output, grad -> like input
    op = "MaxPoolGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    _pool_grad_check(op, x, tuple(shapes[2]), attrs)
    return [(x, dt)]


def _max_pool_grad_grad_infer(shapes, dts, attrs):  # orig_input, orig_output, grad of input
    op = "MaxPoolGradGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    if not _compatible(x, tuple(shapes[2])):
        raise errors.InvalidArgumentError(
            f"grad shape {_fmt(shapes[2])} must match orig_input shape {_fmt(x)} [Op:{op}]"
        )
    return _pool_infer(op)([x], [dt], attrs)


def _avg_pool_grad_infer(shapes, dts, attrs):  # grad; attr orig_input_shape
    op = "AvgPoolGrad"
    x = tuple(int(d) for d in attrs["orig_input_shape"])
    _pool_grad_check(op, x, tuple(shapes[0]), attrs)
    return [(x, dts[0])]


_POOL_DOC = "attrs: ksize, strides, padding (SAME, VALID)"
_register(OpDef("MaxPool", 1, _pool_infer("MaxPool"), NUMERIC_U8, doc=_POOL_DOC))
_register(OpDef("AvgPool", 1, _pool_infer("AvgPool"), FLOATS, doc=_POOL_DOC))
_register(OpDef("MaxPoolGrad", 3, _max_pool_grad_infer, NUMERIC_U8,
                doc="orig_input, orig_output, grad; " + _POOL_DOC))  # fmt: skip
_register(OpDef("MaxPoolGradGrad", 3, _max_pool_grad_grad_infer, NUMERIC_U8,
                doc="orig_input, orig_output, grad (input-shaped); " + _POOL_DOC))  # fmt: skip
_register(OpDef("AvgPoolGrad", 1, _avg_pool_grad_infer, FLOATS,
                doc="grad; attrs: orig_input_shape, " + _POOL_DOC[7:]))  # fmt: skip


def _vector_check(op, shape, depth, what):
    if len(shape) != 1 or not _compatible(tuple(shape), (depth,)):
        raise errors.InvalidArgumentError(
            f"{what} must be 1-D of size {depth} (the last dimension of the input), got shape "
            f"{_fmt(shape)} [Op:{op}]"
        )


def _bias_add_infer(shapes, dts, attrs):
    op = "BiasAdd"
    dt = _same_dtypes(op, dts)
    _data_format(op, attrs)
    x = tuple(shapes[0])
    if len(x) < 2:
        raise errors.InvalidArgumentError(f"Input tensor must be at least 2D: {_fmt(x)} [Op:{op}]")
    _vector_check(op, shapes[1], x[-1], "bias")
    return [(x, dt)]


def _bias_add_grad_infer(shapes, dts, attrs):
    op = "BiasAddGrad"
    _data_format(op, attrs)
    x = tuple(shapes[0])
    if len(x) < 2:
        raise errors.InvalidArgumentError(f"Input tensor must be at least 2D: {_fmt(x)} [Op:{op}]")
    return [((x[-1],), dts[0])]


_register(OpDef("BiasAdd", 2, _bias_add_infer, NUMERIC_U8, doc="value, bias; last axis"))
_register(OpDef("BiasAddGrad", 1, _bias_add_grad_infer, NUMERIC_U8, doc="out_backprop"))


def _batch_norm_dtypes(op, dts, n_x):
    """(T, U) of a FusedBatchNorm op: its first ``n_x`` inputs are T, the rest U: float32 for
    16-bit T (TF's mixed kernels), else T."""
    dt = _same_dtypes(op, dts[:n_x])
    u = np.dtype("float32") if dt in FLOAT16 else dt
    for i in range(n_x, len(dts)):
        if dts[i] != u:
            raise errors.InvalidArgumentError(
                f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                f"{u.name} tensor but is a {dts[i].name} tensor [Op:{op}]"
            )
    return dt, u


def _batch_norm_infer(shapes, dts, attrs):
    """x, scale, offset, mean, variance -> y, batch_mean, batch_variance, reserve 1-3."""
    op = "FusedBatchNormV3"
    dt, u = _batch_norm_dtypes(op, dts, 1)
    _data_format(op, attrs)
    x = tuple(shapes[0])
    _rank4(op, x, "x")
    c = x[3]
    training = bool(attrs.get("is_training", True))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    for i, what in ((1, "scale"), (2, "offset"), (3, "mean"), (4, "variance")):
        if i >= 3 and training and factor == 1.0 and tuple(shapes[i]) == (0,):
            continue  # TF: empty running statistics are fine when they are not used
        _vector_check(op, shapes[i], c, what)
    v = ((c,), u)
    return [(x, dt), v, v, v, v, ((0,), u)]


def _batch_norm_grad_infer(shapes, dts, attrs):
    """y_backprop, x, scale, reserve_space_1/2/3 -> x, scale, offset backprops, reserve 4, 5."""
    op = "FusedBatchNormGradV3"
    dt, u = _batch_norm_dtypes(op, dts[:5], 2)
    _data_format(op, attrs)
    x = tuple(shapes[1])
    _rank4(op, x, "x")
    if not _compatible(tuple(shapes[0]), x):
        raise errors.InvalidArgumentError(
            f"x and y_backprop must have same shape, but x has shape {_fmt(x)} and y_backprop "
            f"has shape {_fmt(shapes[0])} [Op:{op}]"
        )
    for i, what in ((2, "scale"), (3, "reserve_space_1"), (4, "reserve_space_2")):
        _vector_check(op, shapes[i], x[3], what)
    v = ((x[3],), u)
    return [(x, dt), v, v, ((0,), u), ((0,), u)]


_BN_DOC = "attrs: epsilon, exponential_avg_factor, is_training, data_format"
_register(OpDef("FusedBatchNormV3", 5, _batch_norm_infer, FLOATS, doc=_BN_DOC))
_register(OpDef("FusedBatchNormGradV3", 6, _batch_norm_grad_infer, FLOATS,
                doc="attrs: epsilon, is_training, data_format"))  # fmt: skip


def _layer_norm_infer(shapes, dts, attrs):
    """x, gamma, beta -> y, mean, rstd (normalized over the last axis)."""
    op = "LayerNorm"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    if not x:
        raise errors.InvalidArgumentError(f"x must be at least 1-D, got shape [] [Op:{op}]")
    _vector_check(op, shapes[1], x[-1], "gamma")
    _vector_check(op, shapes[2], x[-1], "beta")
    return [(x, dt), (x[:-1], dt), (x[:-1], dt)]


def _layer_norm_grad_infer(shapes, dts, attrs):
    """dy, x, gamma, mean, rstd -> dx, dgamma, dbeta."""
    op = "LayerNormGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[1])
    if not x or not _compatible(tuple(shapes[0]), x):
        raise errors.InvalidArgumentError(
            f"dy shape {_fmt(shapes[0])} must equal x shape {_fmt(x)} (at least 1-D) [Op:{op}]"
        )
    _vector_check(op, shapes[2], x[-1], "gamma")
    for i, what in ((3, "mean"), (4, "rstd")):
        if not _compatible(tuple(shapes[i]), x[:-1]):
            raise errors.InvalidArgumentError(
                f"{what} shape {_fmt(shapes[i])} must be {_fmt(x[:-1])} [Op:{op}]"
            )
    return [(x, dt), ((x[-1],), dt), ((x[-1],), dt)]


_register(OpDef("LayerNorm", 3, _layer_norm_infer, FLOAT, doc="attrs: epsilon"))
_register(OpDef("LayerNormGrad", 5, _layer_norm_grad_infer, FLOAT, doc="dy, x, gamma, mean, rstd"))


# ---- whole-sequence recurrent layers (Keras's gate order; rnn.cpp) ------------------------------


def _rnn_dims(op, shapes, gates):
    """(batch, time, features, units) from x [B, T, I] and recurrent_kernel [u, gates * u]."""
    x, rk = tuple(shapes[0]), tuple(shapes[4 if op.startswith("LSTM") else 3])
    if len(x) != 3:
        raise errors.InvalidArgumentError(
            f"x must be 3-D [batch, time, features], got shape {_fmt(x)} [Op:{op}]"
        )
    if len(rk) != 2 or rk[0] is None or (rk[1] is not None and rk[1] != gates * rk[0]):
        raise errors.InvalidArgumentError(
            f"recurrent_kernel must be [units, {gates} * units], got shape {_fmt(rk)} [Op:{op}]"
        )
    return x[0], x[1], x[2], rk[0]


def _rnn_check(op, shape, want, what):
    if not _compatible(tuple(shape), tuple(want)):
        raise errors.InvalidArgumentError(
            f"{what} must have shape {_fmt(want)}, got {_fmt(shape)} [Op:{op}]"
        )


def _rnn_mask(op, shapes, count, b, t):
    """``count`` inputs, or one more: a mask [B, T] (0 / 1; an empty one [0] for none)."""
    if len(shapes) not in (count, count + 1):
        raise errors.InvalidArgumentError(
            f"{op} expects {count} inputs, or {count + 1} with a mask, got {len(shapes)} [Op:{op}]"
        )
    if len(shapes) > count and tuple(shapes[count]) != (0,):
        _rnn_check(op, shapes[count], (b, t), "mask")


def _lstm_infer(shapes, dts, attrs):
    """x, h0, c0, kernel, recurrent_kernel, bias[, mask] -> y [B, T, u] (step order), h, c, and
    the saved gates [T, B, 4u] and cell states [T, B, u] for LSTMSequenceGrad."""
    op = "LSTMSequence"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes, 4)
    _rnn_mask(op, shapes, 6, b, t)
    for k, want, what in ((1, (b, u), "h0"), (2, (b, u), "c0"), (3, (i, 4 * u), "kernel"),
                          (5, (4 * u,), "bias")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, u), dt), ((b, u), dt), ((b, u), dt), ((t, b, 4 * u), dt), ((t, b, u), dt)]


def _lstm_grad_infer(shapes, dts, attrs):
    """dy, dh, dc, x, h0, c0, kernel, recurrent_kernel, y, gates, cs, bias[, mask] -> dx, dh0,
    dc0, dkernel, drecurrent_kernel, dbias (bias only for the gradient rule's composed copy)."""
    op = "LSTMSequenceGrad"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes[3:], 4)
    _rnn_mask(op, shapes, 12, b, t)
    for k, want, what in ((0, (b, t, u), "dy"), (1, (b, u), "dh"), (2, (b, u), "dc"),
                          (6, (i, 4 * u), "kernel"), (8, (b, t, u), "y"),
                          (9, (t, b, 4 * u), "gates"), (10, (t, b, u), "cs")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, i), dt), ((b, u), dt), ((b, u), dt), ((i, 4 * u), dt), ((u, 4 * u), dt),
            ((4 * u,), dt)]  # fmt: skip


def _gru_bias_shape(attrs, u):
    return (2, 3 * u) if attrs.get("reset_after", True) else (3 * u,)


def _gru_infer(shapes, dts, attrs):
    """x, h0, kernel, recurrent_kernel, bias[, mask] -> y [B, T, u] (step order), h, and the
    saved gates [T, B, 4u] (z, r, candidate, recurrent candidate) for GRUSequenceGrad."""
    op = "GRUSequence"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes, 3)
    _rnn_mask(op, shapes, 5, b, t)
    for k, want, what in ((1, (b, u), "h0"), (2, (i, 3 * u), "kernel"),
                          (4, _gru_bias_shape(attrs, u), "bias")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, u), dt), ((b, u), dt), ((t, b, 4 * u), dt)]


def _gru_grad_infer(shapes, dts, attrs):
    """dy, dh, x, h0, kernel, recurrent_kernel, y, saved, bias[, mask] -> dx, dh0, dkernel,
    drecurrent_kernel, dbias (bias only for the gradient rule's composed copy)."""
    op = "GRUSequenceGrad"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes[2:], 3)
    _rnn_mask(op, shapes, 9, b, t)
    for k, want, what in ((0, (b, t, u), "dy"), (1, (b, u), "dh"), (4, (i, 3 * u), "kernel"),
                          (6, (b, t, u), "y"), (7, (t, b, 4 * u), "saved")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, i), dt), ((b, u), dt), ((i, 3 * u), dt), ((u, 3 * u), dt),
            (_gru_bias_shape(attrs, u), dt)]  # fmt: skip


# (a last, optional input: the mask [B, T])
_register(OpDef("LSTMSequence", None, _lstm_infer, FLOAT, doc="attrs: go_backwards"))
_register(OpDef("LSTMSequenceGrad", None, _lstm_grad_infer, FLOAT, doc="attrs: go_backwards"))
_register(OpDef("GRUSequence", None, _gru_infer, FLOAT, doc="attrs: go_backwards, reset_after"))
_register(OpDef("GRUSequenceGrad", None, _gru_grad_infer, FLOAT,
                doc="attrs: go_backwards, reset_after"))  # fmt: skip


# ---- dense linear algebra (LAPACK on the CPU): [..., n, n] matrices, batched -----------------


def _batch_square(op, shape, dt):
    """The batch dims and n of a ``[..., n, n]`` shape; TF's errors for a bad rank or a
    non-square matrix, with the shape and dtype."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    rows, cols = shape[-2], shape[-1]
    if rows is not None and cols is not None and rows != cols:
        raise errors.InvalidArgumentError(
            f"Input matrix must be square, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    return shape[:-2], rows if rows is not None else cols


def _square_same_shape_infer(op):
    def infer(shapes, dts, attrs):
        batch, n = _batch_square(op, shapes[0], dts[0])
        return [(batch + (n, n), dts[0])]

    return infer


def _determinant_infer(op, outputs):
    def infer(shapes, dts, attrs):
        batch, _ = _batch_square(op, shapes[0], dts[0])
        return [(batch, dts[0])] * outputs

    return infer


def _matrix_solve_infer(shapes, dts, attrs):
    op = "MatrixSolve"
    dt = _same_dtypes(op, dts)
    batch, n = _batch_square(op, shapes[0], dt)
    rhs = tuple(shapes[1])
    if len(rhs) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 1 must have rank >= 2, got shape {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    if len(rhs) != len(shapes[0]) or not _compatible(rhs[:-2], batch):
        raise errors.InvalidArgumentError(
            "All input tensors must have the same outer dimensions: matrix "
            f"{_fmt(shapes[0])} and rhs {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    if n is not None and rhs[-2] is not None and rhs[-2] != n:
        raise errors.InvalidArgumentError(
            "Input matrix and right-hand side must have the same number of rows: matrix "
            f"{_fmt(shapes[0])} and rhs {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    return [(_merge(batch, rhs[:-2]) + (n if n is not None else rhs[-2], rhs[-1]), dt)]


_LINALG_DOCS = {
    "MatrixInverse": "attrs: adjoint (inverts the adjoint); a singular input is an error",
    "MatrixSolve": "matrix [..., n, n], rhs [..., n, k]; attrs: adjoint",
    "MatrixDeterminant": "[..., n, n] -> [...]",
    "LogMatrixDeterminant": "[..., n, n] -> sign [...], log_abs_determinant [...]",
    "Cholesky": "lower-triangular L with L L^T = input (only its lower triangle is read)",
}
# TF's CPU MatrixInverse also takes float16 (not bfloat16)
_register(OpDef("MatrixInverse", 1, _square_same_shape_infer("MatrixInverse"), FLOAT + FLOAT16[:1]))
_register(OpDef("MatrixSolve", 2, _matrix_solve_infer, FLOAT))
_register(OpDef("MatrixDeterminant", 1, _determinant_infer("MatrixDeterminant", 1), FLOAT))
_register(OpDef("LogMatrixDeterminant", 1, _determinant_infer("LogMatrixDeterminant", 2), FLOAT))
_register(OpDef("Cholesky", 1, _square_same_shape_infer("Cholesky"), FLOAT))
for _n, _doc in _LINALG_DOCS.items():
    _OPS[_n].doc = _doc


# ---- matrix decompositions (LAPACK on the CPU): [..., m, n] matrices, batched -----------------


def _batch_matrix(op, shape, dt):
    """The batch dims, m and n of a ``[..., m, n]`` shape; TF's error for a rank below 2."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    return shape[:-2], shape[-2], shape[-1]


def _min_dim(m, n):
    return None if m is None or n is None else min(m, n)


def _qr_infer(shapes, dts, attrs):
    batch, m, n = _batch_matrix("Qr", shapes[0], dts[0])
    cols = m if attrs.get("full_matrices", False) else _min_dim(m, n)
    return [(batch + (m, cols), dts[0]), (batch + (cols, n), dts[0])]


def _svd_infer(shapes, dts, attrs):
    batch, m, n = _batch_matrix("Svd", shapes[0], dts[0])
    k, dt = _min_dim(m, n), dts[0]
    if not attrs.get("compute_uv", True):
        return [(batch + (k,), dt), ((0,), dt), ((0,), dt)]
    full = attrs.get("full_matrices", False)
    return [(batch + (k,), dt), (batch + (m, m if full else k), dt),
            (batch + (n, n if full else k), dt)]  # fmt: skip


def _eig_infer(shapes, dts, attrs):
    batch, n = _batch_square("SelfAdjointEigV2", shapes[0], dts[0])
    v = batch + (n, n) if attrs.get("compute_v", True) else (0,)
    return [(batch + (n,), dts[0]), (v, dts[0])]


def _index_type(op, attrs, name):
    dt = np.dtype(attrs.get(name, "int32"))
    if dt not in INT:
        raise errors.InvalidArgumentError(f"{name} must be int32 or int64, got {dt.name} [Op:{op}]")
    return dt


def _lu_infer(shapes, dts, attrs):
    batch, n = _batch_square("Lu", shapes[0], dts[0])
    return [(batch + (n, n), dts[0]), (batch + (n,), _index_type("Lu", attrs, "output_idx_type"))]


_register(OpDef("Qr", 1, _qr_infer, FLOAT, doc="q, r; attrs: full_matrices"))
_register(OpDef("Svd", 1, _svd_infer, FLOAT,
                doc="s (descending), u, v with x = u diag(s) v^T; attrs: compute_uv, "
                "full_matrices (u, v are empty [0] without compute_uv)"))  # fmt: skip
_register(OpDef("SelfAdjointEigV2", 1, _eig_infer, FLOAT,
                doc="e (ascending), v (eigenvectors in columns) from the lower triangle; "
                "attrs: compute_v"))  # fmt: skip
_register(OpDef("Lu", 1, _lu_infer, FLOAT,
                doc="packed L\\U and p with x[p] = L U; attrs: output_idx_type"))  # fmt: skip


# ---- segments, distinct values, counts, sorted search -----------------------------------------


def _unsorted_segment_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 1, INT)
        data, ids = tuple(shapes[0]), tuple(shapes[1])
        n = int(attrs["num_segments"])
        if n < 0:
            raise errors.InvalidArgumentError(
                f"Input num_segments == {n} must not be negative. [Op:{op}]"
            )
        if not _compatible(data[: len(ids)], ids):
            raise errors.InvalidArgumentError(
                f"data.shape = {_fmt(data)} does not start with segment_ids.shape = "
                f"{_fmt(ids)} [Op:{op}]"
            )
        return [((n,) + data[len(ids) :], dts[0])]

    return infer


def _sorted_segment_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 1, INT)
        data, ids = tuple(shapes[0]), tuple(shapes[1])
        if len(ids) != 1:
            raise errors.InvalidArgumentError(
                f"segment_ids should be a vector, got shape {_fmt(ids)} [Op:{op}]"
            )
        if not data or not _compatible(data[:1], ids):
            raise errors.InvalidArgumentError(
                f"segment_ids should be the same size as dimension 0 of input. [Op:{op}]"
            )
        return [((None,) + data[1:], dts[0])]

    return infer


for _n in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
    _register(OpDef(_n, 2, _unsorted_segment_infer(_n), NUMERIC_U8,
                    doc="data, segment_ids; attrs: num_segments (an empty segment holds the "
                    "identity: lowest, highest or 1)"))  # fmt: skip
for _n in ("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"):
    _register(
        OpDef(
            _n,
            2,
            _sorted_segment_infer(_n),
            NUMERIC_U8,
            allocates=False,
            doc="data, sorted segment_ids: ids[-1] + 1 rows (a missing id: 0, Prod 1)",
        )
    )


def _unique_infer(op, outputs):
    def infer(shapes, dts, attrs):
        x = tuple(shapes[0])
        if len(x) != 1:
            raise errors.InvalidArgumentError(f"unique expects a 1D vector. [Op:{op}]")
        idx = _index_type(op, attrs, "out_idx")
        return [((None,), dts[0]), (x, idx), ((None,), idx)][:outputs]

    return infer


_register(OpDef("Unique", 1, _unique_infer("Unique", 2), NUMERIC_U8 + (BOOL,), allocates=False,
                doc="y (first appearances), idx; attrs: out_idx"))  # fmt: skip
_register(OpDef("UniqueWithCounts", 1, _unique_infer("UniqueWithCounts", 3),
                NUMERIC_U8 + (BOOL,), allocates=False,
                doc="y, idx, count; attrs: out_idx"))  # fmt: skip


def _bincount_infer(shapes, dts, attrs):
    op = "DenseBincount"
    _require_dtype(op, dts, 0, INT)
    arr, size, w = tuple(shapes[0]), tuple(shapes[1]), tuple(shapes[2])
    if len(arr) > 2:
        raise errors.InvalidArgumentError(
            f"Input must be at most 2-D, got shape {_fmt(arr)} [Op:{op}]"
        )
    if size != ():
        raise errors.InvalidArgumentError(f"size must be a scalar, got {_fmt(size)} [Op:{op}]")
    if w != (0,) and not _compatible(w, arr):
        raise errors.InvalidArgumentError(
            f"Input must have the same shape as weights or weights must have 0 elements: "
            f"input {_fmt(arr)}, weights {_fmt(w)} [Op:{op}]"
        )
    if dts[2] not in (np.dtype("int32"), np.dtype("int64")) + FLOAT:
        raise errors.InvalidArgumentError(
            f"weights must be int32, int64, float32 or float64, got {dts[2].name} [Op:{op}]"
        )
    return [(arr[:-1] + (None,), dts[2])]


_register(
    OpDef(
        "DenseBincount",
        3,
        _bincount_infer,
        INT,
        allocates=False,
        doc="arr [n] or [rows, n], size (scalar), weights (arr's shape or [0]): the "
        "counts [size] or [rows, size] in weights' dtype; attrs: binary_output",
    )
)


def _bound_infer(op):
    def infer(shapes, dts, attrs):
        _same_dtypes(op, dts)
        s, v = tuple(shapes[0]), tuple(shapes[1])
        if len(s) != 2 or len(v) != 2 or not _compatible(s[:1], v[:1]):
            raise errors.InvalidArgumentError(
                f"Leading dim_size of both tensors must match: sorted_inputs {_fmt(s)}, "
                f"values {_fmt(v)} [Op:{op}]"
            )
        out = np.dtype(attrs.get("out_type", "int32"))
        if out not in INT:
            raise errors.InvalidArgumentError(
                f"out_type must be int32 or int64, got {out.name} [Op:{op}]"
            )
        return [(_merge(v[:1], s[:1]) + v[1:], out)]

    return infer


for _n in ("LowerBound", "UpperBound"):
    _register(
        OpDef(
            _n,
            2,
            _bound_infer(_n),
            NUMERIC,
            doc="sorted_inputs [B, N], values [B, M] -> [B, M]; attrs: out_type",
        )
    )


# ---- string tensors ----------------------------------------------------------------------------
# tf.string is a NumPy object array of ``bytes`` on the host. The ops below also take it, as TF's
# CPU kernels do (the structural ops, Equal / NotEqual, Unique): ``_string_kernels`` runs them.
STRING = np.dtype(object)
STRING_OPS = (
    "Reshape", "Identity", "Transpose", "BroadcastTo", "Fill", "SelectV2", "ConcatV2", "Split",
    "SplitV", "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "MirrorPad", "Tile", "ReverseV2",
    "GatherV2", "GatherNd", "ScatterNd", "TensorScatterUpdate", "Equal", "NotEqual", "Unique",
    "UniqueWithCounts",
)  # fmt: skip
for _n in STRING_OPS:
    _OPS[_n].dtypes = _OPS[_n].dtypes + (STRING,)


# ---- complex dtypes (complex64, complex128) ------------------------------------------------------
# The ops TF's CPU kernels run on complex too (arithmetic, sums, products of matrices, data
# movement), and the complex-only ones: Complex, Real, Imag, Conj, ComplexAbs, Angle and the
# Fourier transforms over the innermost 1, 2 or 3 dims.
COMPLEX = (np.dtype("complex64"), np.dtype("complex128"))
_REAL_OF = {COMPLEX[0]: FLOAT[0], COMPLEX[1]: FLOAT[1]}
_COMPLEX_OF = {r: c for c, r in _REAL_OF.items()}
COMPLEX_OPS = (
    "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Reciprocal", "Sign", "Sin", "Cos", "Tanh",
    "AddV2", "Sub", "Mul", "RealDiv", "Pow", "Equal", "NotEqual", "Sum", "Mean", "Prod",
    "Cumsum",
    "MatMul", "BatchMatMulV2", "Transpose", "Reshape", "BroadcastTo", "Identity", "Cast", "Fill",
    "SelectV2", "ConcatV2", "Split", "SplitV", "Slice", "StridedSlice", "StridedSliceGrad",
    "Pad", "Tile", "ReverseV2", "GatherV2", "GatherNd", "ScatterNd", "TensorScatterUpdate",
    "UnsortedSegmentSum",
)  # fmt: skip
for _n in COMPLEX_OPS:
    _OPS[_n].dtypes = _OPS[_n].dtypes + COMPLEX
CAST_TYPES = CAST_TYPES + COMPLEX


def real_dtype(dt):
    """float32 for complex64, float64 for complex128; a real dtype as it is."""
    return _REAL_OF.get(np.dtype(dt), np.dtype(dt))


def _complex_infer(shapes, dts, attrs):
    op = "Complex"
    dt = _same_dtypes(op, dts)
    _require_dtype(op, dts, 0, FLOAT)
    return [(broadcast_shape(op, tuple(shapes[0]), tuple(shapes[1])), _COMPLEX_OF[dt])]


def _to_real_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        return [(tuple(shapes[0]), _REAL_OF[dts[0]])]

    return infer


def _conj_infer(shapes, dts, attrs):
    _require_dtype("Conj", dts, 0, COMPLEX)
    return [(tuple(shapes[0]), dts[0])]


_register(OpDef("Complex", 2, _complex_infer, FLOAT, doc="real, imag (broadcast) -> complex"))
for _n in ("Real", "Imag", "ComplexAbs", "Angle"):
    _register(OpDef(_n, 1, _to_real_infer(_n), COMPLEX, doc="complex -> its real dtype"))
_register(OpDef("Conj", 1, _conj_infer, COMPLEX))


def fft_rank(op):
    """The number of innermost dims an FFT op transforms (FFT: 1, RFFT2D: 2, IFFT3D: 3)."""
    return int(op[-2]) if op.endswith("D") else 1


def _check_fft_rank(op, shape):
    rank = fft_rank(op)
    if len(shape) < rank:
        raise errors.InvalidArgumentError(
            f"Input must have rank of at least {rank} but got: {_fmt(shape)} [Op:{op}]"
        )
    return rank


def fft_lengths(op, attrs, rank):
    """RFFT / IRFFT's ``fft_length`` attr: ``rank`` non-negative ints."""
    lengths = [int(v) for v in np.asarray(attrs["fft_length"]).reshape(-1)]
    if len(lengths) != rank or any(v < 0 for v in lengths):
        raise errors.InvalidArgumentError(
            f"fft_length must be {rank} non-negative values, got {lengths} [Op:{op}]"
        )
    return lengths


def _fft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        _check_fft_rank(op, tuple(shapes[0]))
        return [(tuple(shapes[0]), dts[0])]

    return infer


def _rfft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, FLOAT)
        shape = tuple(shapes[0])
        lengths = fft_lengths(op, attrs, _check_fft_rank(op, shape))
        inner = lengths[:-1] + [lengths[-1] // 2 + 1 if lengths[-1] else 0]
        return [(shape[: len(shape) - len(inner)] + tuple(inner), _COMPLEX_OF[dts[0]])]

    return infer


def _irfft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        shape = tuple(shapes[0])
        lengths = fft_lengths(op, attrs, _check_fft_rank(op, shape))
        return [(shape[: len(shape) - len(lengths)] + tuple(lengths), _REAL_OF[dts[0]])]

    return infer


FFT_OPS = ("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D")
RFFT_OPS = ("RFFT", "RFFT2D", "RFFT3D")
IRFFT_OPS = ("IRFFT", "IRFFT2D", "IRFFT3D")
for _n in FFT_OPS:
    _register(OpDef(_n, 1, _fft_infer(_n), COMPLEX, doc="over the innermost dims"))
for _n in RFFT_OPS:
    _register(OpDef(_n, 1, _rfft_infer(_n), FLOAT, doc="attrs: fft_length (cropped / padded)"))
for _n in IRFFT_OPS:
    _register(OpDef(_n, 1, _irfft_infer(_n), COMPLEX, doc="attrs: fft_length (real output)"))
