"""TF's higher-order functions: ``map_fn``, ``scan``, ``foldl`` / ``foldr``, ``vectorized_map``
(a loop), ``switch_case`` and ``case``.

Eagerly they are Python loops and ``if``s over the ops. In a trace they are ``while_loop``s
and ``cond``s: the loop reads element ``i`` with ``gather`` and writes its result into a
preallocated stack with ``tensor_scatter_nd_update``, whose shape comes from tracing ``fn``
once on one element in a throwaway branch graph. Gradients come from those ops' rules (a tape
around a function replays the loop op by op).
"""

from __future__ import annotations

from tensorhouse_kernels.runtime import errors

from . import _array as A
from . import _function as F
from . import _math as M
from . import dtypes as _dt
from ._pyfunc import executing_eagerly
from ._tensor import Tensor, convert_to_tensor
from ._variables import VARIABLE_LIKE
from .nest import assert_same_structure, flatten, is_nested, pack_sequence_as

__all__ = ["case", "foldl", "foldr", "map_fn", "scan", "switch_case", "vectorized_map"]


def _tensors(structure):
    return [x._th_read() if isinstance(x, VARIABLE_LIKE) else convert_to_tensor(x)
            for x in flatten(structure)]  # fmt: skip


def _length(flat, what):
    if not flat:
        raise ValueError(f"{what}: elems must be a tensor or a non-empty structure of tensors")
    for t in flat:
        if t.shape.rank == 0:
            raise ValueError(f"{what}: elements in elems must be 1+ dimensional, got a scalar")
    n = flat[0].shape[0]
    return n if n is not None else A.shape(flat[0])[0]


def _take(flat, i):
    return [A.gather(t, i) for t in flat]


def _spec_dtypes(signature):
    """The flat dtypes of ``fn_output_signature`` (DTypes or TensorSpecs)."""
    return [s if isinstance(s, _dt.DType) else _dt.as_dtype(getattr(s, "dtype", s))
            for s in flatten(signature)]  # fmt: skip


def _check_outputs(result, signature):
    flat = _tensors(result)
    if signature is not None:
        assert_same_structure(signature, result, check_types=False)
        for t, dt in zip(flat, _spec_dtypes(signature)):
            if t.dtype != dt:
                raise errors.InvalidArgumentError(
                    f"TensorArray dtype is {dt.name} but Op is trying to write dtype {t.dtype.name}"
                )
    return flat


def _probe(fn, args):
    """Trace ``fn(*args)`` into a throwaway branch graph: its result structure and the flat
    output (shape, dtype) pairs, without adding anything to the graph being traced."""
    g, result = F._trace_branch(fn, args, "probe")
    return result, [(o.shape, o.dtype) for o in g.outputs]


def _stack_buffer(n, shape, dtype):
    if None in tuple(shape):
        raise ValueError(
            f"In a tf.function the loop's per-element result needs a static shape, got {shape}"
        )
    return A.zeros([n, *shape], dtype=dtype)


def _put(buf, i, value):
    return A.tensor_scatter_nd_update(buf, A.reshape(i, [1, 1]), A.expand_dims(value, 0))


def _elems_of(structure, flat):
    return pack_sequence_as(structure, flat) if is_nested(structure) else flat[0]


# ---- map_fn / vectorized_map -----------------------------------------------------------------


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):  # fmt: skip
    """TF's ``tf.map_fn``: ``fn`` on each slice of ``elems`` along axis 0, results stacked."""
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if signature is None:
        signature = pack_sequence_as(elems, [t.dtype for t in _tensors(elems)])
    return _map(fn, elems, signature, "map_fn")


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """TF's ``tf.vectorized_map``, computed as a loop over axis 0 (the results are the same)."""
    return _map(fn, elems, None, "vectorized_map")


def _map(fn, elems, signature, what):
    flat = _tensors(elems)
    n = _length(flat, what)

    def call(xs):
        return fn(_elems_of(elems, xs))

    if executing_eagerly():
        outs = [_check_outputs(call(_take(flat, i)), signature) for i in range(int(n))]
        if not outs:
            raise ValueError(f"{what} on zero elements is not supported eagerly here")
        structure = call(_take(flat, 0)) if signature is None else signature
        return pack_sequence_as(structure, [A.stack(list(col)) for col in zip(*outs)])
    result, specs = _probe(lambda *xs: call(list(xs)), _take(flat, 0))
    _check_outputs(result, signature)
    bufs = [_stack_buffer(n, s, dt) for s, dt in specs]

    def body(i, *acc):
        ys = _tensors(call(_take(flat, i)))
        return (i + 1, *[_put(b, i, y) for b, y in zip(acc, ys)])

    init = [A.identity(t) for t in (convert_to_tensor(0), *bufs)]
    out = F.while_loop(lambda i, *acc: M.less(i, n), body, init)
    return pack_sequence_as(result, list(out[1:]))


# ---- scan / foldl / foldr ----------------------------------------------------------------


def _accumulate(fn, elems, initializer, reverse, keep, what):
    """The loop of scan (``keep``: every accumulator, stacked) and the folds (the last one)."""
    flat = _tensors(elems)
    n = _length(flat, what)
    if initializer is None:
        first = convert_to_tensor(n - 1 if reverse else 0) if not isinstance(n, int) else (
            n - 1 if reverse else 0)  # fmt: skip
        acc0 = _elems_of(elems, _take(flat, first))
        start = 1
    else:
        acc0 = initializer
        start = 0
    acc_flat = _tensors(acc0)

    def step(acc, i):
        out = fn(pack_sequence_as(acc0, acc), _elems_of(elems, _take(flat, i)))
        try:
            assert_same_structure(acc0, out, check_types=False)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"{what}: fn must return the structure of the accumulator: {e}"
            ) from None
        return _tensors(out)

    def index(k):  # the k-th step's element index
        return (n - 1 - k) if reverse else k

    if executing_eagerly():
        n = int(n)
        acc, kept = acc_flat, [acc_flat] if start else []
        for k in range(start, n):
            acc = step(acc, index(k))
            kept.append(acc)
        if not keep:
            return pack_sequence_as(acc0, acc)
        if reverse:
            kept = kept[::-1]
        return pack_sequence_as(acc0, [A.stack(list(col)) for col in zip(*kept)])
    bufs = []
    if keep:
        bufs = [_stack_buffer(n, t.shape, t.dtype) for t in acc_flat]
        if start:
            bufs = [_put(b, convert_to_tensor(index(0)), t) for b, t in zip(bufs, acc_flat)]
    m = len(acc_flat)

    def body(k, *vs):
        acc, kept = list(vs[:m]), list(vs[m:])
        new = step(acc, index(k))
        if keep:
            kept = [_put(b, index(k), t) for b, t in zip(kept, new)]
        return (k + 1, *new, *kept)

    # loop variables as graph tensors: the loop is a While node even when all start constant
    init = [A.identity(t) for t in (convert_to_tensor(start), *acc_flat, *bufs)]
    out = F.while_loop(lambda k, *vs: M.less(k, n), body, init)
    return pack_sequence_as(acc0, list(out[1 + m :] if keep else out[1 : 1 + m]))


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):  # fmt: skip
    """TF's ``tf.scan``: every accumulator of ``fn(acc, x)`` over axis 0, stacked."""
    return _accumulate(fn, elems, initializer, reverse, True, "scan")


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):  # fmt: skip
    """TF's ``tf.foldl``: ``fn(acc, x)`` over axis 0 from the first element; the last acc."""
    return _accumulate(fn, elems, initializer, False, False, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):  # fmt: skip
    """TF's ``tf.foldr``: ``fn(acc, x)`` over axis 0 from the last element; the last acc."""
    return _accumulate(fn, elems, initializer, True, False, "foldr")


# ---- switch_case / case ---------------------------------------------------------------------


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """TF's ``tf.switch_case``: run ``branch_fns[branch_index]``; an index out of range runs
    ``default`` (the last branch when None)."""
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype!r}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if isinstance(branch_fns, dict):
        keys = sorted(branch_fns)
        if keys != list(range(len(keys))):
            found = ",".join(str(k) for k in keys)
            raise ValueError(
                f"branch indices (keys) must form contiguous range of [0 to {len(keys)}) but "
                f"found {{{found}}}"
            )
        branch_fns = [branch_fns[k] for k in keys]
    else:
        branch_fns = [f for _, f in branch_fns] if isinstance(branch_fns[0], tuple) else branch_fns
    for f in branch_fns:
        if not callable(f):
            raise TypeError(f"branch_fns[i] must be callable, got {f!r}")
    fns = list(branch_fns) + ([default] if default is not None else [])
    if executing_eagerly():
        i = int(branch_index.numpy())
        return (fns[i] if 0 <= i < len(branch_fns) else fns[-1])()
    chain = fns[-1]
    for k in range(len(fns) - 2, -1, -1):
        chain = _link(M.equal(branch_index, k), fns[k], chain)
    return chain()


def _link(pred, then_fn, else_fn):
    return lambda: F.cond(pred, then_fn, else_fn)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """TF's ``tf.case``: the function of the first true predicate, else ``default``."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    for pred, fn in pairs:
        if not isinstance(pred, Tensor):
            raise TypeError(f"pred must be a Tensor, got: {pred}")
        if not callable(fn):
            raise TypeError(f"fn for pred {pred} must be callable.")
    if executing_eagerly():
        truth = [bool(p.numpy()) for p, _ in pairs]
        checked = truth if default is not None else truth[:-1]  # TF: the last pair defaults
        if exclusive and sum(checked) > 1:
            raise errors.InvalidArgumentError(
                "Input error: exclusive=True: more than 1 conditions evaluated as True: "
                + ", ".join(str(t) for t in truth)
            )
        for t, (_, fn) in zip(truth, pairs):
            if t:
                return fn()
        if default is None:
            raise errors.InvalidArgumentError(
                "Input error: None of conditions evaluated as True: "
                + ", ".join(str(t) for t in truth)
            )
        return default()
    if default is None:  # TF runs the last function when no predicate holds
        pairs, default = pairs[:-1], pairs[-1][1]
    chain = default
    for pred, fn in reversed(pairs):
        chain = _link(pred, fn, chain)
    return chain()
