"""More transformations: ``ignore_errors``, ``rejection_resample``, ``sparse_batch``,
``snapshot``, ``fingerprint`` and the ``experimental`` ones (``assert_cardinality``,
``pad_to_cardinality``, ``group_by_reducer``, ``at``). Functions given here are traced once, as
``map``'s: through ``map`` itself, or through ``ops.function`` on the element spec."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil

import numpy as np

from tensorhouse_ops import SparseTensor, SparseTensorSpec, TensorSpec, errors, function, random
from tensorhouse_ops import io as tf_io

from . import _params, _save
from . import _structure as st
from ._dataset import _INF, _UNK, Dataset, _call, _Counter, _tensor_element

__all__ = [
    "Reducer", "assert_cardinality", "at", "fingerprint", "group_by_reducer", "ignore_errors",
    "pad_to_cardinality", "rejection_resample", "snapshot", "sparse_batch",
]  # fmt: skip

_log = logging.getLogger("tensorhouse.data")


class _Skipped:
    """What a ``map`` gives in place of an element whose function failed, under
    ``ignore_errors`` (see ``skip_errors``)."""

    def __init__(self, error):
        self.error = error


def skip_errors(apply):
    """``apply`` for a ``map`` under ``ignore_errors``: a failing element becomes a ``_Skipped``
    (passed on by later maps), which ``ignore_errors`` drops."""

    def run(element):
        if isinstance(element, _Skipped):
            return element
        try:
            return apply(element)
        except Exception as e:
            return _Skipped(e)

    return run


def ignore_errors(dataset, log_warning=False):
    """``Dataset.ignore_errors``: the elements whose computation did not fail. A failure in a
    ``map`` function drops that element and the pass goes on; a failure elsewhere (a reader, a
    filter, a batch) ends the pass there, with a warning logged (TF would go on)."""

    def it(ctx):
        flagged = _params.Bound(ctx, {})  # the same options and bindings, flagged
        flagged._skip_errors = True
        upstream = dataset._make_iter(flagged)
        try:
            for element in upstream:
                if isinstance(element, _Skipped):
                    _warn(log_warning, element.error)
                    continue
                yield element
        except Exception as e:  # the upstream ended with this error: always said, as TF goes on
            _log.warning("ignore_errors: the pass ends at an error outside a map function: %s", e)

    return Dataset(it, _UNK, lambda: dataset.element_spec, "IgnoreErrors", (dataset,))


def _warn(log_warning, error):
    if log_warning:
        _log.warning("Error raised with error message %s", error)


# ---- sampling ---------------------------------------------------------------------------------


def _seeded_rng(seed, passes):
    s1, s2 = random.get_seed(seed)
    if s1 is None:
        s1, s2 = secrets.randbits(63), secrets.randbits(63)
    return lambda: np.random.default_rng([s1 & (2**63 - 1), s2 & (2**63 - 1), passes.next()])


def rejection_resample(dataset, class_func, target_dist, initial_dist=None, seed=None):
    """``Dataset.rejection_resample``: ``(class, element)`` pairs, elements kept at random so
    that the classes follow ``target_dist``. The acceptance of class ``i`` is
    ``(target_i / initial_i) / max_j(target_j / initial_j)``, with ``initial_dist`` given or
    estimated from the classes seen so far in the pass."""
    target = np.asarray(st.to_host(target_dist), "float64")
    known = None if initial_dist is None else np.asarray(st.to_host(initial_dist), "float64")
    if target.ndim != 1 or (known is not None and known.shape != target.shape):
        raise errors.InvalidArgumentError(
            None, None, f"rejection_resample: target_dist must be a vector and initial_dist of "
            f"its shape; received {target.shape} and {None if known is None else known.shape}",
        )  # fmt: skip
    with_class = _with_class(dataset, class_func)
    passes = _Counter()
    rng = _seeded_rng(seed, passes)

    def it(ctx):
        draw = rng()
        counts = np.zeros(len(target))
        for element in with_class._make_iter(ctx):
            k = int(element[0])
            if not 0 <= k < len(target):
                raise errors.InvalidArgumentError(
                    None, None, f"rejection_resample: class {k} is outside [0, {len(target)})"
                )
            counts[k] += 1
            initial = known if known is not None else counts / counts.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(initial > 0, target / initial, 0.0)
            if draw.random() < ratio[k] / ratio.max():
                yield element

    out = Dataset(it, _UNK, lambda: with_class.element_spec, "Filter", (with_class,))
    out._passes = passes
    return out


def _with_class(dataset, class_func):
    """``(class_func(element), element)`` through a traced ``map``."""
    if isinstance(dataset.element_spec, tuple):
        return dataset.map(lambda *e: (class_func(*e), e))
    return dataset.map(lambda e: (class_func(e), e))


# ---- batching into sparse tensors -----------------------------------------------------------


def sparse_batch(dataset, batch_size, row_shape):
    """``Dataset.sparse_batch``: ``batch_size`` elements as one ``SparseTensor`` of shape
    ``[n, *row_shape]`` holding every entry of each element (a None in ``row_shape`` takes the
    batch's largest size)."""
    size = int(batch_size)
    if size <= 0:
        raise errors.InvalidArgumentError(
            None, None, f"Batch size must be greater than zero, got {size}"
        )
    spec = dataset.element_spec
    if not isinstance(spec, TensorSpec):
        raise TypeError(f"sparse_batch: elements must be single tensors; received {spec}")
    if isinstance(row_shape, list | tuple):
        rows = [-1 if d is None else int(d) for d in row_shape]
    else:
        rows = [int(d) for d in st.to_host(row_shape).reshape(-1)]

    def it(ctx):
        pending = []
        for element in dataset._make_iter(ctx):
            pending.append(element)
            if len(pending) == size:
                yield _to_sparse(pending, rows)
                pending = []
        if pending:
            yield _to_sparse(pending, rows)

    card = dataset._cardinality
    card = -(-card // size) if card >= 0 else card
    out_spec = SparseTensorSpec([None, *[d if d >= 0 else None for d in rows]], spec.dtype)
    return Dataset(it, card, out_spec, "DenseToSparseBatch", (dataset,))


def _to_sparse(elements, rows):
    shape = list(rows)
    indices, values = [], []
    for b, e in enumerate(elements):
        text = f"Input element had shape ({_dims_text(e.shape)}) that is"
        if e.ndim != len(rows):
            raise errors.InvalidArgumentError(
                None, None, f"{text} incompatible with the row shape ({_dims_text(rows)}). "
                "[Op:DenseToSparseBatchDataset]",
            )  # fmt: skip
        if any(d >= 0 and n > d for n, d in zip(e.shape, rows)):
            raise errors.DataLossError(
                None, None, f"{text} larger than the row shape ({_dims_text(rows)}). "
                "[Op:DenseToSparseBatchDataset]",
            )  # fmt: skip
        shape = [max(s, n) if d < 0 else d for s, n, d in zip(shape, e.shape, rows)]
        idx = np.indices(e.shape).reshape(e.ndim, -1).T
        indices.append(np.concatenate([np.full((len(idx), 1), b), idx], 1))
        values.append(e.reshape(-1))
    index = np.concatenate(indices).astype(np.int64).reshape(-1, len(rows) + 1)
    return SparseTensor(index, np.concatenate(values), [len(elements), *shape])


def _dims_text(dims):
    return "[" + ",".join(str(d) for d in dims) + "]"


# ---- snapshot and fingerprint ----------------------------------------------------------------


def fingerprint(dataset) -> int:
    """A stable uint64 hash of the pipeline: each dataset's kind, cardinality and element spec,
    input after input, and the data of ``from_tensor_slices`` sources."""
    h = hashlib.sha256()
    stack, seen = [dataset], set()
    while stack:
        ds = stack.pop()
        if id(ds) in seen or not isinstance(ds, Dataset):
            continue
        seen.add(id(ds))
        h.update(f"{ds._kind}|{ds._cardinality}|{ds.element_spec!r}|".encode())
        if ds._source is not None:
            for leaf in st.flatten(ds._source[0]):
                h.update(np.ascontiguousarray(leaf).tobytes() if leaf.dtype != object
                         else repr(leaf.tolist()).encode())  # fmt: skip
        stack.extend(reversed(ds._inputs))
    return int.from_bytes(h.digest()[:8], "little")


_SNAPSHOT_COMPRESSIONS = {"AUTO": "", "NONE": "", "": "", "GZIP": "GZIP", "ZLIB": "ZLIB"}


def snapshot(dataset, path, compression="AUTO", reader_func=None, shard_func=None):
    """``Dataset.snapshot``: the first complete pass writes the elements under
    ``path/<fingerprint>/`` (``Dataset.save``'s layout, ``shard_func`` picking shards); later
    passes, in this process or another, read them back (``reader_func`` ordering the shards).
    A pass left early writes nothing."""
    kind = _SNAPSHOT_COMPRESSIONS.get((compression or "").upper())
    if kind is None:
        raise errors.InvalidArgumentError(
            None, None, f"Unsupported compression: {compression}; expected AUTO, GZIP, ZLIB or "
            "NONE (SNAPPY is not available) [Op:SnapshotDatasetV2]",
        )  # fmt: skip
    where = os.path.join(os.fspath(path), f"{fingerprint(dataset):016x}")

    def it(ctx):
        if os.path.exists(os.path.join(where, _save._META_FILE)):
            yield from _save.load(where, None, kind, reader_func)._make_iter(ctx)
            return
        yield from _write_through(dataset._make_iter(ctx), where, kind, shard_func,
                                  dataset.element_spec)  # fmt: skip

    return Dataset(it, dataset._cardinality, lambda: dataset.element_spec, "Snapshot",
                   (dataset,))  # fmt: skip


def _write_through(elements, where, kind, shard_func, spec):
    """``elements`` passed on, each also written to a temporary run directory that becomes
    ``where`` when the pass completes."""
    run = f"{where}.tmp-{secrets.token_hex(4)}"
    os.makedirs(os.path.join(run, "shards"))
    writers: dict = {}
    count, complete = 0, False
    shard_of = None if shard_func is None else function(lambda *e: shard_func(*e))
    try:
        for element in elements:
            shard = 0
            if shard_of is not None:
                flat = _tensor_element(element)
                shard = int(st.to_host(_call(shard_of, flat)))
            if shard not in writers:
                name = os.path.join(run, "shards", f"{shard:08d}.shard")
                writers[shard] = tf_io.TFRecordWriter(name, tf_io.TFRecordOptions(kind))
            writers[shard].write(_save._encode(element))
            count += 1
            yield element
        complete = True
    finally:
        for w in writers.values():
            w.close()
        if complete:
            with open(os.path.join(run, _save._SPEC_FILE), "w") as f:
                json.dump(_save._spec_json(spec), f)
            meta = {"num_elements": count, "compression": kind, "shards": sorted(writers)}
            with open(os.path.join(run, _save._META_FILE), "w") as f:
                json.dump(meta, f)
            try:
                os.rename(run, where)
            except OSError:  # another pass finished first: its files stand
                shutil.rmtree(run, ignore_errors=True)
        else:
            shutil.rmtree(run, ignore_errors=True)


# ---- experimental transformations -----------------------------------------------------------


def assert_cardinality(dataset, expected):
    """``experimental.assert_cardinality``: the dataset with cardinality ``expected``;
    ``FailedPreconditionError`` when a pass gives more or fewer elements."""
    expected = int(st.to_host(expected))

    def it(ctx):
        n = 0
        for element in dataset._make_iter(ctx):
            n += 1
            if expected != _INF and n > expected:
                raise errors.FailedPreconditionError(
                    None, None, f"Input dataset was expected to contain {_elements(expected)} "
                    f"but contained at least {_elements(n)}.",
                )  # fmt: skip
            yield element
        if n < expected or expected == _INF:
            expected_text = "an infinite number of elements" if expected == _INF else (
                _elements(expected))  # fmt: skip
            raise errors.FailedPreconditionError(
                None, None, f"Input dataset was expected to contain {expected_text} but "
                f"contained only {_elements(n)}.",
            )  # fmt: skip

    return Dataset(it, expected, lambda: dataset.element_spec, "AssertCardinality", (dataset,))


def _elements(n):
    return f"{n} element" + ("" if n == 1 else "s")


def pad_to_cardinality(dataset, cardinality, mask_key="valid"):
    """``experimental.pad_to_cardinality``: a dict dataset padded with zero elements up to
    ``cardinality``, each element given a bool ``mask_key`` (True on the real ones)."""
    spec = dataset.element_spec
    if not isinstance(spec, dict):
        raise ValueError("`pad_to_cardinality` requires its input dataset to be a dictionary.")
    card, target = dataset._cardinality, int(cardinality)
    if card < 0:
        raise ValueError(
            "The dataset passed into `pad_to_cardinality` must have a known cardinalty, but has "
            f"cardinality {card}"
        )
    if card > target:
        raise ValueError(
            "The dataset passed into `pad_to_cardinality` must have a cardinalty less than the "
            f"target cardinality ({target}), but has cardinality {card}"
        )
    for s in st.flatten(spec):
        if not isinstance(s, TensorSpec) or not s.shape.is_fully_defined():
            raise ValueError(f"pad_to_cardinality needs fully defined shapes; received {spec}")
    padding = {k: _zeros(s) for k, s in spec.items()}

    def it(ctx):
        n = 0
        for element in dataset._make_iter(ctx):
            n += 1
            yield {**element, mask_key: np.asarray(True)}
        for _ in range(target - n):
            yield {**padding, mask_key: np.asarray(False)}

    out_spec = {**spec, mask_key: TensorSpec([], "bool")}
    return Dataset(it, target, out_spec, "PadToCardinality", (dataset,))


def _zeros(spec):
    if st.dtype_name(spec.dtype) == "string":
        return np.full(st.dims(spec), b"", dtype=object)
    return np.zeros(st.dims(spec), st.dtype_name(spec.dtype))


def at(dataset, index):
    """``experimental.at``: the element at ``index`` (``OutOfRangeError`` outside the dataset;
    ``UnimplementedError`` where the cardinality is unknown, as TF's filter, interleave...).
    Found by iterating: a shuffled dataset gives its iteration's element, not TF's."""
    i, card = int(st.to_host(index)), dataset._cardinality
    if card == _UNK:
        raise errors.UnimplementedError(
            None, None, f"Random access is not implemented for dataset {dataset._kind}Dataset "
            "(unknown cardinality) [Op:GetElementAtIndex]",
        )  # fmt: skip
    if i < 0 or 0 <= card <= i:
        bound = f"[0, {card})" if card >= 0 else "[0, ...)"
        raise errors.OutOfRangeError(
            None, None, f"Index out of range {bound}:{i} [Op:GetElementAtIndex]"
        )
    for n, element in enumerate(dataset._host_iter()):
        if n == i:
            return _tensor_element(element)
    raise errors.OutOfRangeError(None, None, f"Index out of range: {i} [Op:GetElementAtIndex]")


class Reducer:
    """``experimental.Reducer``: ``init_func(key) -> state``, ``reduce_func(state, element) ->
    state``, ``finalize_func(state) -> output``."""

    def __init__(self, init_func, reduce_func, finalize_func):
        self._init_func = init_func
        self._reduce_func = reduce_func
        self._finalize_func = finalize_func

    init_func = property(lambda self: self._init_func)
    reduce_func = property(lambda self: self._reduce_func)
    finalize_func = property(lambda self: self._finalize_func)


def group_by_reducer(dataset, key_func, reducer):
    """``experimental.group_by_reducer``: the elements grouped by the int64 ``key_func``, each
    group folded by the reducer; one output per key, in key order, as TF. The
    key function runs in a traced ``map``; the reducer's functions are traced once each."""
    keyed = _with_key(dataset, key_func)
    init, fold = function(reducer.init_func), function(reducer.reduce_func)
    finalize = function(lambda *state: reducer.finalize_func(*state))  # a tuple unpacked

    def it(ctx):
        states: dict = {}
        for key, element in keyed._make_iter(ctx):
            k = int(key)
            if k not in states:
                states[k] = _tupled(init(st.to_tensor(key)))
            states[k] = fold(states[k], _tensor_element(element))
        for k in sorted(states):
            yield st.map_structure(st.to_host, _tupled(_call(finalize, _tupled(states[k]))))

    def spec():
        key_spec = TensorSpec([], "int64")
        state = init.get_concrete_function(key_spec).structured_outputs
        state_spec = st.map_structure(st.spec_of_output, _tupled(state))
        args = state_spec if type(state_spec) is tuple else (state_spec,)
        out = finalize.get_concrete_function(*args).structured_outputs
        return st.map_structure(st.spec_of_output, _tupled(out))

    return Dataset(it, _UNK, spec, "GroupByReducer", (keyed,))


def _tupled(x):
    return tuple(x) if isinstance(x, list) else x


def _with_key(dataset, key_func):
    keyed = _with_class(dataset, key_func)
    key = keyed.element_spec[0]
    if st.dtype_name(key.dtype) != "int64" or key.shape != []:
        raise ValueError(
            "Invalid `key_func`. Expected `key_func` to return a scalar tf.int64 tensor, but "
            f"instead `key_func` has output types=<dtype: '{st.dtype_name(key.dtype)}'> and "
            f"shapes={key.shape}."
        )
    return keyed
