"""TF's sampled losses: ``tf.nn.nce_loss`` and ``tf.nn.sampled_softmax_loss`` (the true and
the sampled classes' logits composed from ops, so their gradients are the ops'),
``tf.nn.compute_accidental_hits`` (composed) and the candidate samplers
``tf.random.log_uniform_candidate_sampler`` / ``uniform_candidate_sampler`` (one stateful host
node drawing with NumPy: a new draw at each run, repeatable under a seed)."""

from __future__ import annotations

import collections
import math

import numpy as np

from . import _array as A
from . import _math as M
from . import _nn, _random
from . import dtypes as _dt
from ._composed import embedding_lookup
from ._pyfunc import host_call
from ._tape import stop_gradient
from ._tensor import convert_to_tensor, errors

__all__ = [
    "compute_accidental_hits", "log_uniform_candidate_sampler", "nce_loss",
    "sampled_softmax_loss", "uniform_candidate_sampler",
]  # fmt: skip

_FLT_MAX = float(np.finfo(np.float32).max)
_Sampled = collections.namedtuple(
    "_Sampled", ["sampled_candidates", "true_expected_count", "sampled_expected_count"]
)
_Hits = collections.namedtuple("ComputeAccidentalHits", ["indices", "ids", "weights"])


def _sampler(op, draw, prob, true_classes, num_true, num_sampled, unique, range_max, seed):
    """A candidate sampler: ``draw(rng, n)`` gives ``n`` classes, ``prob(classes)`` their
    probability; returns TF's ``(sampled int64, true_expected_count, sampled_expected_count)``,
    the expected counts of ``num_tries`` draws when ``unique`` (TF's ``1 - (1 - p)^tries``)."""
    true = M.cast(convert_to_tensor(true_classes), _dt.int64)
    num_sampled, range_max = int(num_sampled), int(range_max)
    if unique and num_sampled > range_max:
        raise errors.InvalidArgumentError(None, op, f"Sampler's range is too small. [Op:{op}]")
    seeds = _random.get_seed(seed)

    def generator():
        """Unseeded: a random one; seeded: the next of the seeds' stream (each run draws
        anew; ``tf.random.set_seed`` restarts the streams, as TF's)."""
        if seeds[1] is None:
            return np.random.default_rng()
        with _random._lock:
            n = _random._streams.pop((op, "", *seeds), 0)
            _random._streams[(op, "", *seeds)] = n + 1
        return np.random.default_rng([*seeds, n])

    def run(arrays):
        bad = arrays[0][(arrays[0] < 0) | (arrays[0] >= range_max)]
        if bad.size:
            message = f"`true_candidate` out of range [0, {range_max}), received {bad[0]}"
            raise errors.InvalidArgumentError(None, op, f"{message} [Op:{op}]")
        rng = generator()
        picked, tries = list(draw(rng, num_sampled)), num_sampled
        while unique and len(set(picked)) < num_sampled:  # draw on until enough distinct ones
            picked += draw(rng, 1).tolist()
            tries += 1
        if unique:
            picked = list(dict.fromkeys(picked))

        def expected(classes):  # in float32, as TF's kernel
            p = prob(np.asarray(classes, np.float64)).astype(np.float32)
            if tries == num_sampled:
                return p * np.float32(num_sampled)
            return -np.expm1(np.float32(tries) * np.log1p(-p))

        return [np.asarray(picked, np.int64), expected(arrays[0]), expected(picked)]

    specs = [((num_sampled,), _dt.int64), (tuple(true.shape), _dt.float32),
             ((num_sampled,), _dt.float32)]  # fmt: skip
    out = _Sampled(*host_call("PyFunc", run, [true], specs, op, arrays=True))
    return type(op, (_Sampled,), {"__slots__": ()})(*out)  # printed with TF's op name


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):  # fmt: skip
    """TF's ``tf.random.log_uniform_candidate_sampler``: classes in ``[0, range_max)`` drawn
    with Zipf-like probability ``log((k + 2) / (k + 1)) / log(range_max + 1)``."""
    log_range = math.log(int(range_max) + 1)

    def draw(rng, n):
        return (np.exp(rng.random(n) * log_range).astype(np.int64) - 1).clip(0, range_max - 1)

    def prob(k):
        return np.log((k + 2.0) / (k + 1.0)) / log_range

    return _sampler("LogUniformCandidateSampler", draw, prob, true_classes, num_true,
                    num_sampled, unique, range_max, seed)  # fmt: skip


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                              name=None):  # fmt: skip
    """TF's ``tf.random.uniform_candidate_sampler``: classes in ``[0, range_max)``, each with
    probability ``1 / range_max``."""

    def draw(rng, n):
        return rng.integers(0, range_max, n)

    def prob(k):
        return np.full(np.shape(k), 1.0 / range_max)

    return _sampler("UniformCandidateSampler", draw, prob, true_classes, num_true, num_sampled,
                    unique, range_max, seed)  # fmt: skip


def _hits(true, sampled):
    """``[batch, num_true, num_sampled]``: where a sampled class is one of the row's true ones,
    at the last position it was sampled at only (as TF's class-to-position map keeps)."""
    pos = A.range(A.shape(sampled)[0])
    again = M.logical_and(M.equal(A.expand_dims(sampled, 1), sampled),
                          M.greater(pos, A.expand_dims(pos, 1)))  # fmt: skip
    last = M.logical_not(M.reduce_any(again, 1))
    hit = M.equal(A.expand_dims(true, 2), A.reshape(sampled, [1, 1, -1]))
    return M.logical_and(hit, A.reshape(last, [1, 1, -1]))


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """TF's ``tf.nn.compute_accidental_hits``: each (row, true slot, sampled position) where a
    sampled class equals a true one, as ``(row indices int32, sampled positions int64,
    weights -FLT_MAX float32)``, rows first, then true slots."""
    true = M.cast(convert_to_tensor(true_classes), _dt.int64)
    sampled = M.cast(convert_to_tensor(sampled_candidates), _dt.int64)
    at = A.where(_hits(true, sampled))  # [n, 3] int64, row-major
    weights = A.fill(A.shape(at)[:1], np.float32(-_FLT_MAX))
    return _Hits(M.cast(at[:, 0], _dt.int32), at[:, 2], weights)


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, remove_accidental_hits, seed):  # fmt: skip
    """TF's ``_compute_sampled_logits`` (``subtract_log_q``): the logits ``[batch, num_true +
    num_sampled]`` of the true then the sampled classes, each less the log of its expected
    count, and their targets (``1 / num_true`` for the true ones, 0 for the sampled)."""
    x = convert_to_tensor(inputs)
    labels = M.cast(convert_to_tensor(labels), _dt.int64)
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed
        )
    sampled, true_count, sampled_count = (stop_gradient(convert_to_tensor(s))
                                          for s in sampled_values)  # fmt: skip
    sampled = M.cast(sampled, _dt.int64)

    def rows(table, ids):
        got = embedding_lookup(table if isinstance(table, list | tuple) else [table], ids)
        return got if got.dtype == x.dtype else M.cast(got, x.dtype)

    true_w = rows(weights, labels)  # [batch, num_true, dim]
    true_logits = M.reduce_sum(A.expand_dims(x, 1) * true_w, 2) + rows(biases, labels)
    sampled_logits = M.matmul(x, rows(weights, sampled), transpose_b=True) + rows(biases, sampled)
    if remove_accidental_hits:  # a sampled class that is a true one drops out (-FLT_MAX)
        hit = M.reduce_any(_hits(labels, sampled), 1)
        big = A.fill(A.shape(hit), M.cast(-_FLT_MAX, x.dtype))
        sampled_logits += A.where(hit, big, A.zeros_like(big))
    true_logits -= M.log(M.cast(true_count, x.dtype))
    sampled_logits -= M.log(M.cast(sampled_count, x.dtype))
    logits = A.concat([true_logits, sampled_logits], 1)
    targets = A.concat([A.ones_like(true_logits) / num_true, A.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):  # fmt: skip
    """TF 2's ``tf.nn.nce_loss``: per example, the summed sigmoid cross-entropy of the true
    classes (target ``1 / num_true``) and the sampled ones (target 0); ``weights``
    ``[num_classes, dim]`` (or its 'div' shards), ``labels`` ``[batch, num_true]``."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                      num_true, sampled_values, remove_accidental_hits,
                                      None)  # fmt: skip
    return M.reduce_sum(_nn.sigmoid_cross_entropy_with_logits(targets, logits), 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None,
                         name="sampled_softmax_loss"):  # fmt: skip
    """TF 2's ``tf.nn.sampled_softmax_loss``: per example, the softmax cross-entropy over the
    true and the sampled classes' logits, the true ones the targets (``1 / num_true`` each)."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                      num_true, sampled_values, remove_accidental_hits,
                                      seed)  # fmt: skip
    return _nn.softmax_cross_entropy_with_logits(stop_gradient(targets), logits)
