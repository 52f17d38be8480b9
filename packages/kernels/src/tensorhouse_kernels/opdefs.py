"""Op definitions: each op's inputs, attrs, and its shape and dtype rules.

Rules see only shapes (tuples whose dims may be ``None`` when unknown, as in traced graphs)
and NumPy dtypes, so the ops layer can trace graphs without running anything. ``infer``
raises TF's ``InvalidArgumentError`` naming the op, the shapes and the dtypes.
"""

from __future__ import annotations

import numpy as np

from .runtime import errors

__all__ = ["OpDef", "get_op_def", "list_op_defs", "broadcast_shape", "normalize_axes"]

_OPS: dict[str, OpDef] = {}

FLOAT = (np.dtype("float32"), np.dtype("float64"))
INT = (np.dtype("int32"), np.dtype("int64"))
NUMERIC = FLOAT + INT
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
        if dt != first:
            raise errors.InvalidArgumentError(
                f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                f"{first.name} tensor but is a {dt.name} tensor [Op:{op}]"
            )
    return first


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
        return [(broadcast_shape(name, shapes[0], shapes[1]), BOOL if out_bool else dt)]

    return _register(OpDef(name, 2, infer, dtypes))


for _n in ("Neg", "Abs", "Sign", "Square", "Relu"):
    _unary(_n)
for _n in (
    "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal",
    "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Floor", "Ceil",
):  # fmt: skip
    _unary(_n, FLOAT)
for _n in ("AddV2", "Sub", "Mul", "Maximum", "Minimum", "SquaredDifference"):
    _binary(_n)
for _n in ("RealDiv", "Pow", "ReluGrad", "SigmoidGrad", "TanhGrad"):
    _binary(_n, FLOAT)
for _n in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"):
    _binary(_n, NUMERIC, out_bool=True)


def _reduce(name, dtypes=NUMERIC):
    def infer(shapes, dts, attrs):
        shape = shapes[0]
        axes = normalize_axes(name, attrs.get("axis"), len(shape))
        if attrs.get("keep_dims", False):
            out = tuple(1 if i in axes else d for i, d in enumerate(shape))
        else:
            out = tuple(d for i, d in enumerate(shape) if i not in axes)
        return [(out, dts[0])]

    return _register(OpDef(name, 1, infer, dtypes))


for _n in ("Sum", "Prod", "Max", "Min", "Mean"):
    _reduce(_n)


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


_register(OpDef("MatMul", 2, _matmul_infer, FLOAT))


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
    size = int(np.prod(shape, dtype=np.int64))
    known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
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


def _cast_infer(shapes, dts, attrs):
    dst = np.dtype(attrs["DstT"])
    if dst not in ALL:
        raise errors.UnimplementedError(
            f"Cast {dts[0].name} to {dst.name} is not supported [Op:Cast]"
        )
    return [(shapes[0], dst)]


_register(OpDef("Cast", 1, _cast_infer, ALL, doc="attrs: DstT"))


def _shape_attr_infer(shapes, dts, attrs):
    shape = tuple(int(d) for d in attrs["shape"])
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(f"Dimensions must be >= 0, got shape {list(shape)}")
    return [(shape, np.dtype(attrs["dtype"]))]


_register(OpDef("Fill", 0, _shape_attr_infer, ALL, key=_key_attr_dtype, doc="shape, value"))
for _n in ("RandomUniform", "RandomStandardNormal"):
    _register(OpDef(_n, 0, _shape_attr_infer, FLOAT, key=_key_attr_dtype, doc="seed, seed2"))
