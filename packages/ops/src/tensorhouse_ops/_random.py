"""Random ops with TF 2's seed rules (``tf.random.set_seed`` plus per-op seeds).

An op's two seeds (``get_seed``), as TF's four cases:

1. no global seed, no op seed: random seeds, new numbers on every call and every run;
2. a global seed and no op seed: the op seed comes from a stream that the global seed fixes
   (eager: a ``random.Random(global seed)``; while a ``tf.function`` is traced: a counter per
   function graph from 0, so two functions draw the same sequence, as TF's graphs do);
3. an op seed and no global seed: the default global seed 87654321 with the op seed;
4. both: both.

A stateful random op with given seeds is one stream, as TF's cached kernel with its internal
counter: eager calls of the same op type and dtype with the same (global, op) seed pair draw
the stream's next numbers, and ``set_seed`` resets every eager stream, so the sequence repeats
after ``set_seed`` with the same seed. Each random op traced into a ``tf.function`` graph is a
stream of its own, advanced on each call of the function (two traced ops with one op seed draw
the same numbers, and new ones on the next call); ``set_seed`` does not reset those (as TF).
The n-th draw of a stream runs the kernel with ``seed2 + n * 2**32`` (op seeds are below 2**31,
so every draw of every stream has a Philox counter of its own).
"""

from __future__ import annotations

import os
import threading
import weakref

# ``dtype: Any`` / ``minval: Any`` below: they take dtypes, names, NumPy types, numbers, tensors
# (a type checker would infer ``DType`` / ``int`` from the defaults alone)
from typing import Any

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import _dynamic, _tensor
from . import _math as M
from . import dtypes as _dt
from ._array import _dims, expand_dims, gather
from ._graph import current_graph
from ._tensor import _op, convert_to_tensor
from ._variables import VARIABLE_LIKE, Variable


def _randbits(k: int) -> int:
    """``k`` random bits from the OS (as ``random.SystemRandom``; that module loads lazily)."""
    return int.from_bytes(os.urandom((k + 7) // 8), "little") >> (-k % 8)


__all__ = [
    "set_seed", "get_seed", "uniform", "normal", "truncated_normal", "stateless_uniform",
    "stateless_normal", "stateless_truncated_normal",
]  # fmt: skip

_DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
_MASK64 = 2**64 - 1
_global_seed = None
_op_seeds = None  # random.Random(global seed): case 2's eager op seeds
_streams: dict = {}  # (op type, dtype, seed, seed2) -> eager draws so far, least recent first
_STREAMS_MAX = 1 << 16  # a program that seeds each call anew (seed + step) must not grow it
_graph_op_seeds = weakref.WeakKeyDictionary()  # outermost traced graph -> next op seed
_lock = threading.Lock()


def set_seed(seed):
    """Set the global random seed (TF's ``tf.random.set_seed``) and reset the eager streams."""
    global _global_seed, _op_seeds
    with _lock:
        _global_seed = None if seed is None else int(seed)
        if seed is None:
            _op_seeds = None
        else:
            import random  # stdlib: loaded only once a global seed is set

            _op_seeds = random.Random(_global_seed)
        _streams.clear()


def _truncate(seed):
    return _tensor._int_arg(seed) % _MAXINT32  # TF's: seeds fit a 32-bit int


def _tracing_graph():
    """The outermost graph being traced in this thread, or None when running eagerly."""
    if not _tensor._tracing:
        return None
    g = current_graph()
    while g is not None and g.outer is not None:
        g = g.outer
    return g


def _implicit_op_seed():
    graph = _tracing_graph()
    with _lock:
        if graph is None:
            return _op_seeds.randint(0, _MAXINT32 - 1)
        n = _graph_op_seeds.get(graph, 0)
        _graph_op_seeds[graph] = n + 1
        return n


def get_seed(op_seed):
    """TF's rule: the (global, op) seed pair an op uses; ``(None, None)`` when neither seed is
    set (the op then draws random seeds)."""
    if _global_seed is not None:
        if op_seed is None:
            op_seed = _implicit_op_seed()
        seeds = _truncate(_global_seed), _truncate(op_seed)
    elif op_seed is not None:
        seeds = _DEFAULT_GRAPH_SEED, _truncate(op_seed)
    else:
        return None, None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds  # (0, 0) means "random" to TF's kernels


def _seeds(seed):
    """``(seed, seed2, stream)``: the kernel's seeds, and whether the op seed was given (then
    the op is a stream that advances on each eager call)."""
    s1, s2 = get_seed(seed)
    if s1 is None:
        return _randbits(63), _randbits(63), False
    return s1, s2, seed is not None


def stream_attrs(attrs, n):
    """The attrs of a stream's n-th draw (n = 0: the first): a fresh Philox counter range."""
    if n == 0:
        return attrs
    return dict(attrs, seed2=(int(attrs["seed2"]) + (n << 32)) & _MASK64)


class NodeStream:
    """The draw counter of one random op traced into a graph (``attrs["_stream"]``): the
    compiled graph and the eager replay of the graph advance the same one."""

    __slots__ = ("draws", "lock")

    def __init__(self):
        self.draws = 0
        self.lock = threading.Lock()

    def next_attrs(self, attrs):
        with self.lock:
            n = self.draws
            self.draws += 1
        base = {k: v for k, v in attrs.items() if k != "_stream"}
        return stream_attrs(base, n)


class GeneratorStream(NodeStream):
    """The draws of a ``Generator`` traced into a graph: each run takes the generator's next
    seeds from its state variable (and advances it), as an eager draw does, so traced and
    eager draws, and draws in several functions, share one sequence."""

    __slots__ = ("generator",)

    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def next_attrs(self, attrs):
        with self.lock:
            self.draws += 1
        seed, seed2 = self.generator._next_seeds()
        base = {k: v for k, v in attrs.items() if k != "_stream"}
        return dict(base, seed=seed, seed2=seed2)


def node_attrs(attrs):
    """The kernel attrs for the next run of a traced random op (its stream advances)."""
    stream = attrs.get("_stream")
    return attrs if stream is None else stream.next_attrs(attrs)


def _random_op(op_type, attrs, stream):
    """Run (or trace) a stateful random op; eager calls of a seeded op advance its stream."""
    if _tracing_graph() is not None:
        attrs = dict(attrs, _stream=NodeStream())
        return _dynamic.shaped_op(op_type, [], attrs, attrs.pop("shape"))
    if stream:
        key = (op_type, attrs["dtype"].str, attrs["seed"], attrs["seed2"])
        with _lock:
            n = _streams.pop(key, 0)  # re-inserted last: the dict keeps the most recent streams
            _streams[key] = n + 1
            if len(_streams) > _STREAMS_MAX:
                del _streams[next(iter(_streams))]
        attrs = stream_attrs(attrs, n)
    return _op(op_type, [], attrs)


def _shape(shape):
    """A shape argument; while tracing it may be a tensor known only at run time."""
    if _tracing_graph() is not None:
        return shape
    return tuple(_dims(shape))


def uniform(
    shape,
    minval: Any = 0,
    maxval=None,
    dtype: Any = _dt.float32,
    seed=None,
    name=None,
):
    """TF's ``tf.random.uniform``: floats in [minval, maxval); integers (``RandomUniformInt``)
    need an explicit maxval, as in TF."""
    dtype = _dt.as_dtype(dtype)
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        s1, s2, stream = _seeds(seed)
        attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2,
                 "minval": int(minval), "maxval": int(maxval)}  # fmt: skip
        return _random_op("RandomUniformInt", attrs, stream)
    if not dtype.is_floating:
        raise TypeError(f"random.uniform with dtype {dtype.name}: needs a float or int dtype")
    s1, s2, stream = _seeds(seed)
    attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2}
    return _in_range(_random_op("RandomUniform", attrs, stream), minval, maxval)


def _in_range(u, minval, maxval):
    """Uniform draws ``u`` in [0, 1) moved to [minval, maxval) (``maxval`` None: 1)."""
    maxval = 1 if maxval is None else maxval
    if isinstance(minval, int | float) and isinstance(maxval, int | float):
        if (minval, maxval) == (0, 1):
            return u
        scaled = M.multiply(u, maxval - minval)
    else:
        scaled = M.multiply(u, M.subtract(maxval, minval))
    del u  # the draws are freed before the add: two buffers at the peak, not three
    return M.add(scaled, minval)


def normal(shape, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, seed=None, name=None):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"random.normal with dtype {dtype.name}: needs a float dtype")
    s1, s2, stream = _seeds(seed)
    attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2}
    return _scaled(_random_op("RandomStandardNormal", attrs, stream), mean, stddev)


def _scaled(z, mean, stddev):
    plain = isinstance(stddev, int | float) and isinstance(mean, int | float)
    if plain and mean == 0 and stddev == 1:
        return z
    scaled = M.multiply(z, stddev)
    del z  # freed before the add, as in _in_range
    return M.add(scaled, mean)


def _float_dtype(fn, dtype):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"random.{fn} with dtype {dtype.name}: needs a float dtype")
    return dtype


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, seed=None, name=None):
    """TF's ``tf.random.truncated_normal``: normals beyond two stddevs are drawn again."""
    dtype = _float_dtype("truncated_normal", dtype)
    s1, s2, stream = _seeds(seed)
    attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2}
    return _scaled(_random_op("TruncatedNormal", attrs, stream), mean, stddev)


def seed_input(seed):
    """A stateless op's ``seed`` as TF takes it: an int32 / int64 tensor of shape [2] (which
    the op checks), a value known only at run time inside traced code."""
    if isinstance(seed, VARIABLE_LIKE):
        seed = seed._th_read()
    try:
        s = convert_to_tensor(seed)
    except (OverflowError, ValueError, TypeError):
        raise ValueError(f"seed must be a shape [2] tensor of ints, got {seed!r}") from None
    if s.dtype not in (_dt.int32, _dt.int64):
        error = TypeError if _tracing_graph() is not None else errors.InvalidArgumentError
        raise error(
            f"Value passed to parameter 'seed' has DataType {s.dtype.name} not in list of "
            "allowed values: int32, int64"
        )
    return s


def _stateless(op_type, shape, seed, dtype, bounds=()):
    """Run (or trace) a stateless op on its seed (and ``bounds``) inputs."""
    inputs = [seed_input(seed), *(convert_to_tensor(b, dtype) for b in bounds)]
    attrs = {"shape": _shape(shape), "dtype": dtype._np}
    if _tracing_graph() is not None:
        return _dynamic.shaped_op(op_type, inputs, attrs, attrs.pop("shape"))
    return _op(op_type, inputs, attrs)


def stateless_uniform(
    shape, seed, minval: Any = 0, maxval=None, dtype: Any = _dt.float32, name=None
):
    """TF's ``tf.random.stateless_uniform``: the same seed gives the same numbers. Floats in
    [minval, maxval); int32 / int64 in [minval, maxval) (``StatelessRandomUniformIntV2``),
    which needs both bounds, as in TF."""
    dtype = _dt.as_dtype(dtype)
    if dtype in (_dt.int32, _dt.int64):
        if minval is None or maxval is None:
            raise ValueError(
                f"stateless_uniform with dtype {dtype.name} needs minval and maxval "
                "(the full-range form is not supported)"
            )
        return _stateless("StatelessRandomUniformIntV2", shape, seed, dtype, (minval, maxval))
    dtype = _float_dtype("stateless_uniform", dtype)
    u = _stateless("StatelessRandomUniformV2", shape, seed, dtype)
    return _in_range(u, minval, maxval)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, name=None):
    dtype = _float_dtype("stateless_normal", dtype)
    return _scaled(_stateless("StatelessRandomNormalV2", shape, seed, dtype), mean, stddev)


def stateless_truncated_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, name=None
):
    dtype = _float_dtype("stateless_truncated_normal", dtype)
    return _scaled(_stateless("StatelessTruncatedNormalV2", shape, seed, dtype), mean, stddev)


# ---- shuffle, categorical ---------------------------------------------------------------------


def shuffle(value, seed=None, name=None):
    """TF's ``tf.random.shuffle``: ``value`` with its first dimension randomly permuted.

    The permutation is the order of ``n`` uniform keys (``TopKV2`` over them), so it follows
    the seed rules of ``uniform`` and runs inside traced functions.
    """
    x = value._th_read() if isinstance(value, VARIABLE_LIKE) else convert_to_tensor(value)
    if x.shape.rank == 0:
        raise ValueError(f"random.shuffle needs a tensor of rank >= 1, got shape {x.shape}")
    n = x.shape[0]
    if n is None:
        raise ValueError("random.shuffle needs a known first dimension while tracing")
    if n <= 1:
        return _op("Identity", [x])
    keys = uniform([n], seed=seed)
    return gather(x, M.top_k(keys, k=n).indices)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """TF's ``tf.random.categorical``: ``[batch, num_samples]`` class indices drawn from the
    unnormalized log-probabilities ``logits`` (``[batch, classes]``), by the Gumbel-max rule:
    ``argmax(logits + g)`` with ``g = -log(-log(u))`` for uniform ``u``."""
    lg = logits._th_read() if isinstance(logits, VARIABLE_LIKE) else convert_to_tensor(logits)
    if lg.shape.rank != 2:
        raise ValueError(f"logits should be a matrix [batch, classes], got shape {lg.shape}")
    if not lg.dtype.is_floating:
        raise TypeError(f"random.categorical needs float logits, got {lg.dtype.name}")
    out_type = _dt.int64 if dtype is None else _dt.as_dtype(dtype)
    if out_type not in (_dt.int32, _dt.int64):
        raise ValueError(f"random.categorical: dtype must be int32 or int64, got {out_type.name}")
    batch, classes = lg.shape.as_list()
    tiny = float(_np_finfo(lg.dtype).tiny)
    u = uniform([batch, int(num_samples), classes], minval=tiny, maxval=1.0, dtype=lg.dtype,
                seed=seed)  # fmt: skip
    gumbel = M.negative(M.log(M.negative(M.log(u))))
    return M.argmax(M.add(expand_dims(lg, 1), gumbel), axis=2, output_type=out_type)


def _np_finfo(dtype):
    return _dt._finfo(dtype._np)


# ---- Generator ----------------------------------------------------------------------------


def _mix64(x):
    """SplitMix64's finalizer: a seed spread over 64 bits (a Generator's key)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class Generator:
    """TF's ``tf.random.Generator``: a random stream with its own state.

    The state is an int64 ``Variable`` ``[counter, 0, key]`` (the layout of TF's Philox
    state; the numbers are this library's Philox streams, not TF's bit for bit). Each draw,
    eager or in a run of a traced function, uses the key and the counter, then advances the
    counter, so the same seed gives the same sequence of draws wherever they are made.
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            state = copy_from.state.numpy()
        elif state is None:
            raise ValueError("Generator needs copy_from or state (or use Generator.from_seed)")
        if alg not in (None, 1, "philox", "PHILOX"):
            raise ValueError(f"Generator: unsupported algorithm {alg!r} (only Philox)")
        self._state = Variable(_state_array(state), trainable=False, name="generator_state")

    @classmethod
    def from_seed(cls, seed, alg=None):
        return cls(state=[0, 0, _mix64(int(seed) & _MASK64) >> 1], alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls(state=[0, 0, _randbits(63)], alg=alg)

    @classmethod
    def from_state(cls, state, alg):
        return cls(state=state.numpy() if hasattr(state, "numpy") else state, alg=alg)

    @property
    def state(self):
        return self._state

    @property
    def algorithm(self):
        return 1  # TF's RNG_ALG_PHILOX

    @property
    def key(self):
        return self._state.numpy()[2]

    def reset(self, state):
        self._state.assign(_state_array(state))

    def reset_from_seed(self, seed):
        self.reset([0, 0, _mix64(int(seed) & _MASK64) >> 1])

    def _next_seeds(self):
        """The kernel seeds of the next draw; the state's counter advances."""
        with _lock:
            state = self._state.numpy()
            key, counter = int(state[2]), int(state[0])
            self._state.assign([counter + 1, int(state[1]), key])
        return key, (counter << 32) & _MASK64

    def _draw(self, op_type, shape, dtype, extra=None):
        attrs = {"shape": _shape(shape), "dtype": dtype._np, **(extra or {})}
        if _tracing_graph() is not None:  # each run draws the generator's next seeds
            attrs = dict(attrs, seed=0, seed2=0, _stream=GeneratorStream(self))
            return _dynamic.shaped_op(op_type, [], attrs, attrs.pop("shape"))
        seed, seed2 = self._next_seeds()
        return _op(op_type, [], dict(attrs, seed=seed, seed2=seed2))

    def uniform(self, shape, minval: Any = 0, maxval=None, dtype: Any = _dt.float32, name=None):
        dtype = _dt.as_dtype(dtype)
        if dtype.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
            extra = {"minval": int(minval), "maxval": int(maxval)}
            return self._draw("RandomUniformInt", shape, dtype, extra)
        dtype = _float_dtype("Generator.uniform", dtype)
        return _in_range(self._draw("RandomUniform", shape, dtype), minval, maxval)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, name=None):
        dtype = _float_dtype("Generator.normal", dtype)
        return _scaled(self._draw("RandomStandardNormal", shape, dtype), mean, stddev)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype: Any = _dt.float32, name=None):
        dtype = _float_dtype("Generator.truncated_normal", dtype)
        return _scaled(self._draw("TruncatedNormal", shape, dtype), mean, stddev)

    def make_seeds(self, count=1):
        """``[2, count]`` int64 seeds for the ``stateless_*`` ops, drawn from this stream."""
        return self.uniform([2, int(count)], 0, _MAXINT32, dtype=_dt.int64)

    def split(self, count=1):
        """``count`` new generators whose keys are drawn from this one."""
        keys = self.uniform([int(count)], 0, _MAXINT32, dtype=_dt.int64).numpy()
        return [Generator(state=[0, 0, _mix64(int(k)) >> 1]) for k in keys]


def _state_array(state):
    arr = np.asarray(state, dtype=np.int64)
    if arr.shape != (3,):
        raise ValueError(f"Generator state must have shape [3], got {list(arr.shape)}")
    return arr


_global_generator = None


def get_global_generator():
    """TF's ``tf.random.get_global_generator`` (seeded non-deterministically, once)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = Generator.from_non_deterministic_state()
    return _global_generator


def set_global_generator(generator):
    global _global_generator
    _global_generator = generator


__all__ += [
    "shuffle", "categorical", "Generator", "get_global_generator", "set_global_generator",
]  # fmt: skip
