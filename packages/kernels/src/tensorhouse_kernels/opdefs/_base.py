"""The op-definition core: ``OpDef``, the table of definitions, dtype tables, rule helpers."""

from __future__ import annotations

import sys

import numpy as np

from ..runtime import errors

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
    outputs whose shape depends on the data): ``execute`` gives them empty slots to set.
    """

    __slots__ = ("name", "num_inputs", "infer", "dtypes", "key", "keyed", "allocates", "doc")

    def __init__(self, name, num_inputs, infer, dtypes, *, key=None, allocates=True, doc=""):
        self.name = name
        self.num_inputs = num_inputs
        self.infer = infer
        self.dtypes = dtypes  # dtypes the op accepts as its dispatch key
        self.key = key or _key_first_input  # key(dtypes, attrs) -> the registry's dispatch key
        self.keyed = key is not None  # False: the key is the first input's dtype
        self.allocates = allocates
        self.doc = doc

    def __repr__(self):
        return f"<OpDef {self.name}>"


# Op definitions that take float16 but not bfloat16 (TF has no bfloat16 kernel for them).
_NO_BFLOAT16 = frozenset({"MatrixInverse", "BesselI0", "BesselI0e", "BesselI1", "BesselI1e"})


def _insert_bfloat16(dtypes, bf16: np.dtype):
    i = list(dtypes).index(np.dtype("float16")) + 1
    return dtypes[:i] + type(dtypes)((bf16,)) + dtypes[i:]


def _takes_float16_only(value) -> bool:
    dtypes = value if isinstance(value, tuple | list) else ()
    names = [d.name for d in dtypes if isinstance(d, np.dtype)]
    return len(names) == len(dtypes) and "float16" in names and "bfloat16" not in names


def _namespaces() -> list[dict]:
    """The globals of the ``opdefs`` package and of each of its modules (their dtype tables)."""
    package = __name__.rpartition(".")[0]
    loaded = list(sys.modules.items())
    return [vars(m) for name, m in loaded if name == package or name.startswith(package + ".")]


def add_bfloat16(bf16: np.dtype) -> bool:
    """Put ``bf16`` after float16 in the dtype tables and the op definitions that take
    float16 (what they hold when ml_dtypes is loaded first). False if it is there already."""
    if bf16 in FLOAT16:
        return False
    for table in _namespaces():
        for name, value in list(table.items()):
            if name.isupper() and _takes_float16_only(value):
                table[name] = _insert_bfloat16(value, bf16)
    for op in _OPS.values():
        if _takes_float16_only(op.dtypes) and op.name not in _NO_BFLOAT16:
            op.dtypes = _insert_bfloat16(op.dtypes, bf16)
    return True


FAMILY: dict[str, str] = {}  # op type -> the family module that defines it ("array", ...)


def _register(opdef: OpDef) -> OpDef:
    """Add ``opdef`` to the table, under the family of the module that calls this; an op
    defined twice is an error at import."""
    family = sys._getframe(1).f_globals["__name__"].rsplit(".", 1)[-1]
    if opdef.name in _OPS:
        first = FAMILY[opdef.name]
        raise ValueError(f"op {opdef.name!r} is defined twice: in {first} and {family}")
    _OPS[opdef.name] = opdef
    FAMILY[opdef.name] = family
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


class DTypeError(errors.InvalidArgumentError):
    """The ``InvalidArgumentError`` of an input with the wrong dtype, raised by the definitions'
    dtype checks, so that a caller tells it from a shape error by its class (a traced op
    raises ``TypeError`` for it, ``ValueError`` for the others). Printed as TF prints it."""


DTypeError.__name__ = DTypeError.__qualname__ = "InvalidArgumentError"  # TF's printed form


def _fmt(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _same_dtypes(op, dtypes):
    first = dtypes[0]
    for i, dt in enumerate(dtypes[1:], 1):
        if dt is not first and dt != first:
            raise DTypeError(
                f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                f"{first.name} tensor but is a {dt.name} tensor [Op:{op}]"
            )
    return first


def _require_dtype(op, dts, i, allowed, what="input"):
    """TF's error for an input whose dtype the op fixes (a bool condition, int indices)."""
    if dts[i] not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise DTypeError(
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


# TF's CPU MatMul also takes int16, int32, int64 (not int8 or uint8)
MATMUL_TYPES = FLOATS + INT + (np.dtype("int16"),)


ALL = NUMERIC + (BOOL, np.dtype("uint8"))


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _merge(a, b):
    return tuple(y if x is None else x for x, y in zip(a, b))


# ---- remembered shape-rule results (the eager shortcuts of the pure-shape ops) ----------------


class RuleCache(dict):
    """One op's shape-rule results by a key of everything the rule reads (input shapes,
    dtypes, attrs); emptied when it holds ``size`` of them. ``get(key)`` is the hot path."""

    __slots__ = ("op_type", "size")

    def __init__(self, op_type: str, size: int = 1024):
        super().__init__()
        self.op_type = op_type
        self.size = size

    def infer(self, shapes, dtypes, attrs):
        """The rule's output specs, or ``None`` where it raises (the full path reports it)."""
        try:
            return _OPS[self.op_type].infer(shapes, dtypes, attrs)
        except Exception:
            return None

    def put(self, key, value):
        """Remember ``value`` under ``key``; returns it."""
        if len(self) >= self.size:
            self.clear()
        self[key] = value
        return value
