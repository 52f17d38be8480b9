"""``tf.profiler`` times ops and traced calls through the ``_record.profile`` hook: set only
while a profiler runs, nothing of the op path swapped."""

import tensorhouse_ops as tf
from tensorhouse_ops import _record, _tensor, profiler
from tensorhouse_ops._function import ConcreteFunction


def test_the_hook_is_set_only_while_profiling(tmp_path):
    run_kernel, call_flat = _tensor._kernel_execute, ConcreteFunction._call_flat
    f = tf.function(lambda x: tf.matmul(x, x) + 1.0)
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert _record.profile is None
    profiler.experimental.start(str(tmp_path))
    try:
        assert _record.profile is not None
        session = profiler._session
        y = f(x + 1.0)
        z = tf.reduce_sum(y, axis=0)
    finally:
        profiler.experimental.stop(save=False)
    assert _record.profile is None
    assert (_tensor._kernel_execute, ConcreteFunction._call_flat) == (run_kernel, call_flat)
    names = [e[1] for e in session.events]
    assert names == ["AddV2", "__inference_<lambda>", "Sum"]
    assert all(e[3] >= 0 for e in session.events)
    assert z.numpy().tolist() == [46.0, 60.0]  # [[17, 22], [29, 38]] summed over rows
    before = len(session.events)
    f(x)  # no profiler: nothing timed
    assert len(session.events) == before
