"""TF's ``tf.summary``: TensorBoard event files written by the ``tensorboard`` package's own
writer and protos (the optional ``summary`` extra: ``pip install 'tensorhouse-ops[summary]'``).

Eagerly a write happens at once. Inside a ``tf.function`` each write is one host-call graph
node (``WriteSummary``) whose inputs are the data, the step and the recording condition, so
the event is written when the graph runs, at each call, with that call's values. The default
writer and the step are the ones in effect while the function is traced (as in TF).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import types
import weakref

import numpy as np

from . import _function, _module, _pyfunc
from . import dtypes as _dt
from ._tensor import Tensor, convert_to_tensor
from ._variables import VARIABLE_LIKE

__all__ = [
    "SummaryWriter", "create_file_writer", "create_noop_writer", "experimental", "flush",
    "histogram", "image", "record_if", "scalar", "should_record_summaries", "text",
    "trace_export", "trace_off", "trace_on", "write",
]  # fmt: skip

DEFAULT_BUCKET_COUNT = 30
_logger = logging.getLogger("tensorhouse")


def _tensorboard():
    """The tensorboard modules the writer uses, imported on first use."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.util import tensor_util
    except ImportError as e:
        raise ImportError(
            "tf.summary writes TensorBoard event files with the `tensorboard` package, which is "
            "not installed; install the extra: pip install 'tensorhouse-ops[summary]'"
        ) from e
    return types.SimpleNamespace(
        event_pb2=event_pb2,
        summary_pb2=summary_pb2,
        EventFileWriter=EventFileWriter,
        tensor_util=tensor_util,
    )


def _plugin_metadata(plugin, description=None):
    import importlib

    _tensorboard()
    module = importlib.import_module(f"tensorboard.plugins.{plugin}.metadata")
    return module.create_summary_metadata(display_name=None, description=description)


# ---- state: the default writer, the step and the recording condition (per thread) ------------

_state = threading.local()


def _get(name, default=None):
    return getattr(_state, name, default)


class SummaryWriter:
    """TF's ``tf.summary.SummaryWriter``: the interface of the summary writers."""

    def set_as_default(self, step=None):
        """Make this the default writer (and set the step when given) until another is set."""
        _state.writer = self
        if step is not None:
            _state.step = step

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Make this the default writer (and the step, when given) inside the block; flushes
        on exit."""
        prev_writer, prev_step = _get("writer"), _get("step")
        _state.writer = self
        if step is not None:
            _state.step = step
        try:
            yield self
        finally:
            _state.writer = prev_writer
            if step is not None:
                _state.step = prev_step
            self.flush()

    def init(self):
        """Open the writer (a no-op: writers open when created)."""

    def flush(self):
        """Write pending events to disk."""

    def close(self):
        """Flush and close the writer."""


class _NoopSummaryWriter(SummaryWriter):
    """A writer that records nothing (``create_noop_writer``)."""

    def _write(self, tag, array, step, metadata):
        return False


class _ResourceSummaryWriter(SummaryWriter):
    """A writer of one event file in ``logdir`` through tensorboard's ``EventFileWriter``."""

    def __init__(self, logdir, max_queue=None, flush_millis=None, filename_suffix=None):
        tb = _tensorboard()
        self._tb = tb
        self._logdir = str(logdir)
        self._lock = threading.Lock()
        self._options = {
            "max_queue_size": 10 if max_queue is None else int(max_queue),
            "flush_secs": 120 if flush_millis is None else max(float(flush_millis) / 1e3, 1e-3),
            "filename_suffix": ".v2" if filename_suffix is None else str(filename_suffix),
        }
        self._reopen()

    def _write(self, tag, array, step, metadata):
        tb = self._tb
        with self._lock:
            if self._closed:  # TF reopens a closed writer on the next write
                self._reopen()
            value = tb.summary_pb2.Summary.Value(
                tag=tag, tensor=tb.tensor_util.make_tensor_proto(array)
            )
            if metadata is not None:
                if isinstance(metadata, bytes):
                    metadata = tb.summary_pb2.SummaryMetadata.FromString(metadata)
                value.metadata.CopyFrom(metadata)
            summary = tb.summary_pb2.Summary(value=[value])
            event = tb.event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)
            self._writer.add_event(event)
        return True

    def _reopen(self):
        """A new event file (TF starts one when a closed writer writes again)."""
        self._writer = self._tb.EventFileWriter(self._logdir, **self._options)
        self._closed = False
        self._finalizer = weakref.finalize(self, self._writer.close)  # flushed at exit too

    def flush(self):
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self):
        with self._lock:
            if not self._closed:
                self._writer.close()
                self._closed = True

    def __repr__(self):
        return f"<tf.summary.SummaryWriter logdir={self._logdir!r}>"


def create_file_writer(
    logdir,
    max_queue=None,
    flush_millis=None,
    filename_suffix=None,
    name=None,
    experimental_trackable=False,
    experimental_mesh=None,
):
    """TF's ``tf.summary.create_file_writer``: a writer of a new event file in ``logdir``."""
    if logdir is None:
        raise ValueError("Expected logdir to be a string, got None")
    with _pyfunc.init_scope():
        return _ResourceSummaryWriter(logdir, max_queue, flush_millis, filename_suffix)


def create_noop_writer():
    """TF's ``tf.summary.create_noop_writer``: a writer that records nothing."""
    return _NoopSummaryWriter()


# ---- step and recording condition -------------------------------------------------------------


def _set_step(step):
    """TF's ``tf.summary.experimental.set_step``: the default step (an int, tensor or
    Variable, read when a write runs)."""
    _state.step = step


def _get_step():
    """TF's ``tf.summary.experimental.get_step``: the default step, or None."""
    return _get("step")


@contextlib.contextmanager
def record_if(condition):
    """TF's ``tf.summary.record_if``: record only while ``condition`` (a bool, a bool tensor or
    a callable returning one) holds."""
    prev = _get("condition", True)
    _state.condition = condition
    try:
        yield
    finally:
        _state.condition = prev


def _condition():
    cond = _get("condition", True)
    if callable(cond):
        cond = cond()
    if isinstance(cond, VARIABLE_LIKE):
        cond = cond._th_read()
    return cond


def should_record_summaries():
    """TF's ``tf.summary.should_record_summaries``: a bool tensor, True when a default writer
    exists and the recording condition holds."""
    writer = _get("writer")
    if writer is None or isinstance(writer, _NoopSummaryWriter):
        return convert_to_tensor(False)
    cond = _condition()
    return cond if isinstance(cond, Tensor) else convert_to_tensor(bool(cond))


@contextlib.contextmanager
def _summary_scope(name, default_name=None, values=None):
    """TF's ``tf.summary.experimental.summary_scope``: yields ``(tag, scope)``, the name
    prefixed by the active name scopes."""
    name = name or default_name
    prefix = _module.scopes()[-1] if _module.scopes() else ""
    tag = f"{prefix}/{name}" if prefix else name
    yield tag, tag + "/"


# ---- writing ----------------------------------------------------------------------------------


def _to_tensor(x, dtype=None):
    if isinstance(x, VARIABLE_LIKE):
        return x._th_read()
    return convert_to_tensor(x, dtype)


def _emit(tag, inputs, compute, step, metadata, name="WriteSummary"):
    """Write ``compute(arrays of inputs)`` under ``tag`` at ``step`` when the recording
    condition holds: at once eagerly, when the graph runs in a trace. Returns the bool tensor
    TF returns (whether it wrote)."""
    writer = _get("writer")
    if writer is None:
        return convert_to_tensor(False)
    if step is None:
        step = _get_step()
        if step is None:
            raise ValueError(
                "No step set. Please specify one either through the `step` argument or through "
                "tf.summary.experimental.set_step()"
            )
    cond = _condition()
    if not isinstance(cond, Tensor) and not bool(cond):
        return convert_to_tensor(False)
    extra = [_to_tensor(step)]
    if isinstance(cond, Tensor):
        extra.append(cond)
    n = len(inputs)

    def run(tensors):
        arrays = [np.asarray(t) for t in tensors]
        if len(arrays) > n + 1 and not bool(arrays[n + 1]):
            return [convert_to_tensor(False)]
        wrote = writer._write(tag, compute(*arrays[:n]), int(arrays[n]), metadata)
        return [convert_to_tensor(bool(wrote))]

    return _pyfunc.host_call(name, run, list(inputs) + extra, [((), _dt.bool)], tag)[0]


def write(tag, tensor, step=None, metadata=None, name=None):
    """TF's ``tf.summary.write``: write ``tensor`` (or the value of a callable) under ``tag``."""
    if _get("writer") is None:
        return convert_to_tensor(False)
    if callable(tensor):
        tensor = tensor()
    t = _to_tensor(tensor)
    return _emit(tag, [t], lambda a: np.asarray(a), step, metadata)


def scalar(name, data, step=None, description=None):
    """TF's ``tf.summary.scalar``: a float32 scalar for TensorBoard's Scalars dashboard."""
    if _get("writer") is None:
        return convert_to_tensor(False)
    data = _to_tensor(data)
    if data.shape.rank != 0:
        raise ValueError(f"Expected scalar shape, saw shape: {data.shape}.")
    with _summary_scope(name, "scalar_summary") as (tag, _):
        meta = _plugin_metadata("scalar", description)
        return _emit(tag, [data], lambda a: np.asarray(a, np.float32), step, meta)


def _buckets(data, bucket_count):
    """TF 2.21's histogram: ``[bucket_count, 3]`` float64 rows ``[left, right, count]`` of equal
    width between the data's min and max (all in the last bucket when min == max)."""
    data = np.asarray(data, np.float64).reshape(-1)
    k = max(int(bucket_count), 0)
    if k == 0 or data.size == 0:
        return np.zeros((k, 3), np.float64)
    lo, hi = data.min(), data.max()
    if hi == lo:
        counts = np.zeros(k, np.float64)
        counts[-1] = data.size
        edges = np.full(k, hi)
        return np.stack([edges, edges, counts], axis=1)
    width = (hi - lo) / k
    index = np.minimum(np.floor((data - lo) / width).astype(np.int64), k - 1)
    counts = np.bincount(index, minlength=k).astype(np.float64)
    edges = lo + np.arange(k + 1, dtype=np.float64) * ((hi - lo) / k)
    edges[-1] = hi
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def histogram(name, data, step=None, buckets=None, description=None):
    """TF's ``tf.summary.histogram``: ``buckets`` (default 30) equal-width buckets of ``data``."""
    if _get("writer") is None:
        return convert_to_tensor(False)
    data = _to_tensor(data)
    k = DEFAULT_BUCKET_COUNT if buckets is None else buckets
    with _summary_scope(name, "histogram_summary") as (tag, _):
        meta = _plugin_metadata("histogram", description)
        if isinstance(k, Tensor):
            return _emit(tag, [data, k], lambda a, b: _buckets(a, int(b)), step, meta)
        return _emit(tag, [data], lambda a: _buckets(a, int(k)), step, meta)


def _to_uint8(images):
    """TF's ``convert_image_dtype(images, uint8, saturate=True)``."""
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind == "f":
        return np.clip(images.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    if images.dtype.kind == "b":
        return images.astype(np.uint8) * 255
    info = np.iinfo(images.dtype)
    shift = max(info.bits - (1 if info.min < 0 else 0) - 8, 0)
    return np.clip(images.astype(np.int64) >> shift, 0, 255).astype(np.uint8)


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _encode_images(images, max_outputs):
    """``[width, height, png...]`` as TensorBoard's image plugin reads it (Pillow's PNG)."""
    import io

    from PIL import Image

    images = _to_uint8(np.asarray(images))
    out = [str(images.shape[2]).encode(), str(images.shape[1]).encode()]
    for img in images[: max(int(max_outputs), 0)]:
        c = img.shape[-1]
        buf = io.BytesIO()
        Image.fromarray(img[..., 0] if c == 1 else img, _MODES[c]).save(buf, format="PNG")
        out.append(buf.getvalue())
    return np.array(out, dtype=object)


def image(name, data, step=None, max_outputs=3, description=None):
    """TF's ``tf.summary.image``: ``[k, h, w, c]`` images (c in 1..4) as PNGs, at most
    ``max_outputs`` of them; floats are clipped to [0, 1]."""
    if _get("writer") is None:
        return convert_to_tensor(False)
    data = _to_tensor(data)
    if data.shape.rank != 4:
        raise ValueError(
            f"Tensor  must have rank 4.  Received rank {data.shape.rank}, shape {data.shape}"
        )
    if data.shape[3] is not None and data.shape[3] not in _MODES:
        raise ValueError(f"Images must have 1, 2, 3 or 4 channels, got shape {data.shape}")
    with _summary_scope(name, "image_summary") as (tag, _):
        meta = _plugin_metadata("image", description)
        return _emit(tag, [data], lambda a: _encode_images(a, max_outputs), step, meta)


def text(name, data, step=None, description=None):
    """TF's ``tf.summary.text``: a string tensor for TensorBoard's Text dashboard."""
    data = _to_tensor(data)
    if data.dtype != _dt.string:
        raise TypeError(f"tensor must be of type tf.string; got tf.{data.dtype.name}")
    if _get("writer") is None:
        return convert_to_tensor(False)
    with _summary_scope(name, "text_summary") as (tag, _):
        meta = _plugin_metadata("text", description)
        return _emit(tag, [data], lambda a: np.asarray(a, dtype=object), step, meta)


def flush(writer=None, name=None):
    """TF's ``tf.summary.flush``: flush ``writer`` (default: the default writer)."""
    writer = _get("writer") if writer is None else writer
    if writer is None:
        return None
    if _pyfunc.executing_eagerly():
        writer.flush()
        return None

    def run(tensors):
        writer.flush()
        return []

    _pyfunc.host_call("FlushSummaryWriter", run, [], [], "flush")
    return None


experimental = types.SimpleNamespace(
    set_step=_set_step, get_step=_get_step, summary_scope=_summary_scope
)


# ---- tracing the graphs of the functions called ------------------------------------------------


_trace_profiler = [False]  # whether trace_on started the profiler (trace_export stops it)


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """TF's ``tf.summary.trace_on``: record the graph of every ``tf.function`` called from now
    on, for ``trace_export``; ``profiler=True`` also runs ``tf.profiler`` into
    ``profiler_outdir`` until ``trace_export`` (``profiler.py``)."""
    if _function.traced_calls is not None:
        _logger.warning("Trace already enabled")
        return
    _function.traced_calls = [] if graph or profiler else None
    if profiler:
        if profiler_outdir is None:
            _logger.warning("No `profiler_outdir` passed to trace_on(). Profiler won't be enabled.")
        else:
            from . import profiler as _profiler  # protobuf, loaded on first use

            _profiler.start(profiler_outdir)
            _trace_profiler[0] = True


def trace_off():
    """TF's ``tf.summary.trace_off``: stop recording and forget what was recorded."""
    _function.traced_calls = None
    if _trace_profiler[0]:
        from . import profiler as _profiler  # protobuf, loaded on first use

        _trace_profiler[0] = False
        if _profiler.is_running():
            _profiler.stop(save=False)


def trace_export(name, step=None, profiler_outdir=None):
    """TF's ``tf.summary.trace_export``: write the recorded graphs to the default writer as
    TF does (a ``graph_run_metadata_graph`` summary holding a ``RunMetadata`` whose
    ``function_graphs`` are the GraphDefs), then stop tracing."""
    calls = _function.traced_calls
    if calls is None:
        raise ValueError("Must enable trace before export through tf.summary.trace_on.")
    if _trace_profiler[0]:  # the profile is saved where trace_on said
        from . import profiler as _profiler  # protobuf, loaded on first use

        if profiler_outdir:
            _logger.warning(
                "Ignoring `profiler_outdir` passed to trace_export(). Please pass it to "
                "trace_on() instead."
            )
        _trace_profiler[0] = False
        if _profiler.is_running():
            _profiler.stop()
    try:
        writer = _get("writer")
        if writer is None or isinstance(writer, _NoopSummaryWriter):
            return
        if step is None:
            step = _get_step()
            if step is None:
                raise ValueError(
                    "No step set. Please specify one either through the `step` argument or "
                    "through tf.summary.experimental.set_step()"
                )
        cond = _condition()
        if not bool(np.asarray(cond)):
            return
        from tensorboard.compat.proto import config_pb2

        tb = _tensorboard()
        run = config_pb2.RunMetadata()  # pyright: ignore[reportAttributeAccessIssue] - generated
        for cf in calls:
            graph = run.function_graphs.add()
            graph.pre_optimization_graph.ParseFromString(
                cf.graph.as_graph_def().SerializeToString()
            )
        meta = tb.summary_pb2.SummaryMetadata(
            plugin_data=tb.summary_pb2.SummaryMetadata.PluginData(
                plugin_name="graph_run_metadata_graph", content=b"1"
            )
        )
        value = np.asarray(run.SerializeToString(), dtype=object)
        writer._write(name, value, int(np.asarray(_to_tensor(step))), meta)
    finally:
        _function.traced_calls = None
