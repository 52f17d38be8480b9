"""``tf.nn.ctc_loss`` (dense or sparse labels) as the CTC forward recursion in log space over
the time steps (a ``while_loop``, so its gradient is the loop's), and ``ctc_greedy_decoder``
(the per-step argmax composed; merging repeats and dropping blanks in one host node) and
``ctc_beam_search_decoder`` (TF's prefix beam search, a host-side loop: run now when eager, one
host node when traced, as TF runs it as a CPU-only op)."""

from __future__ import annotations

import bisect
import heapq
import math

import numpy as np

from . import _array as A
from . import _math as M
from . import _nn
from . import _segment as S
from . import dtypes as _dt
from ._function import while_loop
from ._sparse import SparseTensor, _host, to_dense
from ._tape import stop_gradient
from ._tensor import constant, convert_to_tensor, errors

__all__ = ["ctc_beam_search_decoder", "ctc_greedy_decoder", "ctc_loss", "ctc_unique_labels"]

_NEG = -1e30  # log(0): finite, so that the recursion's gradients stay finite


def _logsumexp3(a, b, c):
    top = stop_gradient(M.maximum(M.maximum(a, b), c))
    return top + M.log(M.exp(a - top) + M.exp(b - top) + M.exp(c - top))


def _shift(x, k, fill):
    """``x`` moved ``k`` places right along its last axis, ``fill`` coming in."""
    return A.concat([A.fill([A.shape(x)[0], k], constant(fill, x.dtype)), x[:, :-k]], 1)


def _sparse_labels(labels):
    dense = to_dense(labels)
    rows = M.cast(labels.indices[:, 0], _dt.int32)
    counts = S.unsorted_segment_max(M.cast(labels.indices[:, 1], _dt.int32) + 1, rows,
                                    A.shape(dense)[0])  # fmt: skip
    return dense, M.maximum(counts, A.zeros_like(counts))


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):  # fmt: skip
    """TF's ``tf.nn.ctc_loss``: the negative log-likelihood ``[batch]`` of each label sequence
    under the logits' per-step softmax, summed over all CTC alignments. ``labels`` dense
    ``[batch, max_label]`` with ``label_length``, or a SparseTensor (then ``blank_index`` is
    required); ``blank_index`` defaults to 0, a negative one counts from the classes' end."""
    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError(
                "Argument `blank_index` must be provided when `labels` is a `SparseTensor`."
            )
        labels, label_length = _sparse_labels(labels)
    x = convert_to_tensor(logits)
    if not logits_time_major:
        x = A.transpose(x, [1, 0, 2])
    classes = x.shape[-1]
    blank = 0 if blank_index is None else int(blank_index) % classes
    lab = M.cast(convert_to_tensor(labels), _dt.int32)
    if blank:  # TF moves the blank to class 0, which turns a label equal to it into blank - 1
        lab = A.where(M.equal(lab, blank), A.fill(A.shape(lab), blank - 1), lab)
    lab_len = M.cast(convert_to_tensor(label_length), _dt.int32)
    seq_len = M.cast(convert_to_tensor(logit_length), _dt.int32)
    logp = A.transpose(_nn.log_softmax(x), [1, 0, 2])  # [batch, time, classes]
    # the extended labels: a blank before, between and after the labels
    width = lab.shape[1]
    ext = A.reshape(A.stack([A.fill(A.shape(lab), blank), lab], 2), [-1, 2 * width])
    ext = A.concat([ext, A.fill([A.shape(lab)[0], 1], blank)], 1)
    ext_len = 2 * lab_len + 1
    skip = M.logical_and(M.not_equal(ext, blank), M.not_equal(ext, _shift(ext, 2, -1)))
    emit = A.transpose(A.gather(logp, ext, axis=2, batch_dims=1), [1, 0, 2])  # [time, b, s]
    steps = x.shape[0] if x.shape[0] is not None else A.shape(x)[0]
    neg = constant(_NEG, x.dtype)
    first = A.concat([emit[0][:, :2], A.fill([A.shape(ext)[0], 2 * width - 1], neg)], 1)

    def body(t, alpha):
        one = _shift(alpha, 1, _NEG)
        two = A.where(skip, _shift(alpha, 2, _NEG), A.fill(A.shape(alpha), neg))
        new = _logsumexp3(alpha, one, two) + A.gather(emit, t)
        live = A.expand_dims(M.less(t, seq_len), 1)
        return t + 1, A.where(live, new, alpha)

    alpha = while_loop(lambda t, a: M.less(t, steps), body, [constant(1), first])[1]
    end = A.gather(alpha, A.expand_dims(ext_len - 1, 1), batch_dims=1)[:, 0]
    before = A.gather(alpha, A.expand_dims(M.maximum(ext_len - 2, 0), 1), batch_dims=1)[:, 0]
    before = A.where(M.greater(lab_len, 0), before, A.fill(A.shape(before), neg))
    return -_logsumexp3(end, before, A.fill(A.shape(end), neg))


def ctc_unique_labels(labels, name=None):
    """TF's ``tf.nn.ctc_unique_labels``: each row's distinct labels in order of first appearance
    (int64, zero-padded) and, for each label, the int32 index of its value among them."""
    x = M.cast(convert_to_tensor(labels), _dt.int64)
    width = x.shape[1]
    same = M.equal(A.expand_dims(x, 2), A.expand_dims(x, 1))  # [b, i, j]: x[i] == x[j]
    earlier = constant(np.tril(np.ones((width, width), bool), -1))
    first = M.logical_not(M.reduce_any(M.logical_and(same, earlier), 2))
    place = M.cumsum(M.cast(first, _dt.int32), 1) - 1  # each first occurrence's slot
    owner = M.logical_and(same, A.expand_dims(first, 1))  # j: the first occurrence of x[i]
    idx = M.reduce_sum(M.cast(owner, _dt.int32) * A.expand_dims(place, 1), 2)
    slots = M.equal(A.expand_dims(place, 2), constant(np.arange(width, dtype=np.int32)))
    hits = M.logical_and(slots, A.expand_dims(first, 2))  # [b, i, slot]
    unique = M.reduce_sum(M.cast(hits, _dt.int64) * A.expand_dims(x, 2), 1)
    return unique, idx


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """TF's ``tf.nn.ctc_greedy_decoder``: the best class at each step (of the first
    ``sequence_length``), repeats merged (a blank between breaks a run) and blanks dropped;
    returns ``([SparseTensor int64 [batch, max_len]], -sum of the best logits [batch, 1])``.
    ``blank_index`` defaults to the last class."""
    x = convert_to_tensor(inputs)
    classes = x.shape[-1]
    blank = classes - 1 if blank_index is None else int(blank_index) % classes
    seq_len = M.cast(convert_to_tensor(sequence_length), _dt.int32)
    live = M.less(A.expand_dims(A.range(A.shape(x)[0]), 1), A.expand_dims(seq_len, 0))
    best = M.argmax(x, -1, output_type=_dt.int64)  # [time, batch]
    score = A.where(live, M.reduce_max(x, -1), A.zeros_like(x[..., 0]))
    neg_sum = A.expand_dims(-M.reduce_sum(score, 0), 1)

    def decode(best, live):
        idx, vals, width = [], [], 0
        for b in range(best.shape[1]):
            out, prev = [], -1
            for t in np.flatnonzero(live[:, b]):
                c = int(best[t, b])
                if c != blank and not (merge_repeated and c == prev):
                    out.append(c)
                prev = c
            idx += [[b, j] for j in range(len(out))]
            vals += out
            width = max(width, len(out))
        return (np.asarray(idx, np.int64).reshape(-1, 2), np.asarray(vals, np.int64),
                np.array([best.shape[1], width], np.int64))  # fmt: skip

    specs = [((None, 2), _dt.int64), ((None,), _dt.int64), ((2,), _dt.int64)]
    idx, vals, shape = _host(decode, [best, live], specs, "CTCGreedyDecoder")
    return [SparseTensor(idx, vals, shape)], neg_sum


_LOG0 = -math.inf
_BEAM = "CTCBeamSearchDecoder"


def _beam_error(message, cls=errors.InvalidArgumentError):
    return cls(None, _BEAM, f"{message} [Op:{_BEAM}]")


def _lse(a, b):
    if a == _LOG0:
        return b
    top, low = (a, b) if a > b else (b, a)
    return top + math.log1p(math.exp(low - top))


class _Prefix:
    """A node of the beam's prefix tree: its label, its parent and children, and its
    log-probabilities ``[ending in blank, ending in its label, total]`` now and a step before."""

    __slots__ = ("label", "parent", "children", "new", "old")

    def __init__(self, label, parent):
        self.label, self.parent, self.children = label, parent, {}
        self.new, self.old = [_LOG0] * 3, [_LOG0] * 3

    def labels(self):
        out, node = [], self
        while node.parent is not None:
            out.append(node.label)
            node = node.parent
        return out[::-1]


def _beam_step(leaves, x, width, blank):
    """One time step of TF's CTC prefix beam search over the logits row ``x`` (the beam kept
    as a min-heap of ``(total, order, prefix)``); returns the new heap."""
    x = x - x.max()
    x = (x - math.log(np.exp(x).sum())).tolist()  # log-softmax, as TF's kernel feeds the search
    ranked = sorted(((-v, k) for k, v in enumerate(x) if k != blank))  # best label first
    neg_best = [v for v, _ in ranked]
    branches = [p for _, _, p in sorted(leaves, key=lambda e: -e[0])]
    for p in branches:
        p.old = list(p.new)
    heap, order = [], 0
    for p in branches:
        blk, lab, _ = p.new
        if p.parent is not None:
            if p.parent.new[2] != _LOG0:  # a prefix still in the beam feeds its child's label
                up = p.parent.old[0] if p.label == p.parent.label else p.parent.old[2]
                lab = _lse(lab, up)
            lab += x[p.label]
        blk = p.old[2] + x[blank]
        p.new = [blk, lab, _lse(blk, lab)]
        heap.append((p.new[2], order, p))
        order += 1
    heapq.heapify(heap)

    def candidate(total):
        return total > _LOG0 and (len(heap) < width or total > heap[0][0])

    for p in branches:
        if not candidate(p.old[2]):
            continue
        # the beam's bottom only rises as it fills: a label below it now never gets in (the
        # cut a hair low, so rounding keeps every label that may)
        floor = heap[0][0] if len(heap) == width else _LOG0
        cut = floor - p.old[2]
        cut -= 1e-9 * abs(cut) + 1e-30 if cut != _LOG0 else 0.0
        tried = {k for _, k in ranked[: bisect.bisect_left(neg_best, -cut)]}
        if p.label >= 0:  # a repeat of the prefix's last label only after a blank
            tried.discard(p.label)
            if x[p.label] + p.old[0] > floor:
                tried.add(p.label)
        for label in sorted(tried.union(p.children)):  # in TF's order of the labels
            c = p.children.get(label) or p.children.setdefault(label, _Prefix(label, p))
            if c.new[2] != _LOG0:  # already in the beam
                continue
            total = x[label] + (p.old[0] if label == p.label else p.old[2])
            if label in tried and candidate(total):
                c.new = [_LOG0, total, total]
                if len(heap) == width:
                    heapq.heappop(heap)[2].new = [_LOG0] * 3  # the bottom leaves the beam
                heapq.heappush(heap, (total, order, c))
                order += 1
            else:  # out of the beam: as a branch of this step too it no longer grows
                c.new, c.old = [_LOG0] * 3, [_LOG0] * 3
    return heap


def _beam_search(x, seq_len, width, top_paths):
    """TF's CTCBeamSearchDecoder on NumPy: ``x`` ``[time, batch, classes]`` logits (the blank
    the last class); returns per path ``(indices, values, dense_shape)`` and the log-probs."""
    blank, batch = x.shape[2] - 1, x.shape[1]
    if len(seq_len) != batch:
        raise _beam_error(
            f"len(sequence_length) != batch_size.  len(sequence_length):  {len(seq_len)} "
            f"batch_size: {batch}", errors.FailedPreconditionError,
        )  # fmt: skip
    for b, n in enumerate(seq_len):
        if n > x.shape[0]:
            raise _beam_error(f"sequence_length({b}) <= {len(x)}", errors.FailedPreconditionError)
    paths = [[] for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths), x.dtype)
    for b in range(batch):
        root = _Prefix(-1, None)
        root.new = [0.0, _LOG0, 0.0]
        heap = [(0.0, 0, root)]
        for t in range(int(seq_len[b])):
            heap = _beam_step(heap, x[t, b].astype(np.float64), width, blank)
        if top_paths > width:
            raise _beam_error("requested more paths than the beam width.")
        if top_paths > len(heap):
            raise _beam_error("Less leaves in the beam search than requested.")
        best = sorted(heap, key=lambda e: (-e[0], e[1]))[:top_paths]
        for k, (total, _, p) in enumerate(best):
            paths[k].append(p.labels())
            scores[b, k] = total
    out = []
    for rows in paths:
        idx = [[b, j] for b, row in enumerate(rows) for j in range(len(row))]
        vals = [c for row in rows for c in row]
        width_k = max(map(len, rows), default=0)
        out += [np.asarray(idx, np.int64).reshape(-1, 2), np.asarray(vals, np.int64),
                np.array([batch, width_k], np.int64)]  # fmt: skip
    return out + [scores]


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """TF 2's ``tf.nn.ctc_beam_search_decoder``: the ``top_paths`` best label sequences of the
    ``[time, batch, classes]`` logits (blank the last class) by CTC prefix beam search of
    ``beam_width`` prefixes, repeated labels merged by the alignment (a blank between keeps
    them apart); returns ``([top_paths SparseTensors int64 [batch, max_len]], log-probs
    [batch, top_paths])``, each the log of the summed softmax probability of the alignments
    the beam kept. Integer ``inputs`` are cast to float32."""
    x = convert_to_tensor(inputs)
    seq_len = M.cast(convert_to_tensor(sequence_length), _dt.int32)
    for attr, v in (("beam_width", beam_width), ("top_paths", top_paths)):
        if int(v) < 1:
            raise _beam_error(f"Value for attr '{attr}' of {v} must be at least minimum 1")
    if x.dtype not in (_dt.float32, _dt.float64):
        x = M.cast(x, _dt.float32)
    if x.shape.rank != 3:
        raise _beam_error("inputs is not a 3-Tensor")
    if seq_len.shape.rank != 1:
        raise _beam_error("sequence_length is not a vector")
    batch = x.shape[1]
    run = lambda x, n: _beam_search(x, n, int(beam_width), int(top_paths))  # noqa: E731
    specs = [((None, 2), _dt.int64), ((None,), _dt.int64), ((2,), _dt.int64)] * int(top_paths)
    outs = _host(run, [x, seq_len], specs + [((batch, int(top_paths)), x.dtype)], _BEAM)
    decoded = [SparseTensor(*outs[i : i + 3]) for i in range(0, 3 * int(top_paths), 3)]
    return decoded, outs[-1]
