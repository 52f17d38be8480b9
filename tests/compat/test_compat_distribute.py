"""tf.distribute's single-replica behaviour as TF 2.21 has it: the default strategy and its
contexts, OneDeviceStrategy's run / reduce, ReduceOp, CommunicationOptions, InputContext and
fit under a strategy's scope."""

import numpy as np
import pytest


def test_default_strategy_and_contexts(tf):
    d = tf.distribute
    assert not d.has_strategy() and not d.in_cross_replica_context()
    assert d.get_strategy().num_replicas_in_sync == 1
    assert d.get_replica_context() is not None
    s = d.OneDeviceStrategy("/cpu:0")
    with s.scope():
        assert d.get_strategy() is s
        assert d.has_strategy() and d.in_cross_replica_context()
        assert d.get_replica_context() is None
        inside = s.run(lambda: d.get_replica_context().num_replicas_in_sync)
        assert inside == 1
    assert not d.has_strategy()


def test_one_device_run_and_reduce(tf):
    s = tf.distribute.OneDeviceStrategy("/cpu:0")
    out = s.run(lambda a: a * 2.0, args=(tf.constant([1.0, 2.0, 3.0]),))
    np.testing.assert_allclose(np.asarray(out), [2.0, 4.0, 6.0])
    assert float(s.reduce(tf.distribute.ReduceOp.SUM, out, axis=0)) == 12.0
    assert float(s.reduce("MEAN", out, axis=0)) == 4.0
    np.testing.assert_allclose(np.asarray(s.reduce("SUM", out, axis=None)), [2.0, 4.0, 6.0])
    assert len(s.experimental_local_results(out)) == 1
    assert s.extended.worker_devices == ("/job:localhost/replica:0/task:0/device:CPU:0",)


def test_reduce_op_names_and_errors(tf):
    ReduceOp = tf.distribute.ReduceOp
    assert ReduceOp.SUM.value == "SUM" and ReduceOp.MEAN.value == "MEAN"
    with pytest.raises(ValueError, match="'MAX' is not a valid ReduceOp"):
        tf.distribute.OneDeviceStrategy("/cpu:0").reduce("MAX", tf.constant(1.0), axis=None)


def test_communication_options_and_input_context(tf):
    o = tf.distribute.experimental.CommunicationOptions()
    assert (o.bytes_per_pack, o.timeout_seconds) == (0, None)
    assert o.implementation == tf.distribute.experimental.CommunicationImplementation.AUTO
    o = tf.distribute.experimental.CommunicationOptions(
        bytes_per_pack=1024, timeout_seconds=5,
        implementation=tf.distribute.experimental.CommunicationImplementation.NCCL,
    )  # fmt: skip
    assert (o.bytes_per_pack, o.timeout_seconds) == (1024, 5)
    ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1,
                                     num_replicas_in_sync=4)  # fmt: skip
    assert (ctx.num_input_pipelines, ctx.input_pipeline_id, ctx.num_replicas_in_sync) == (2, 1, 4)
    assert ctx.get_per_replica_batch_size(64) == 16
    with pytest.raises(ValueError, match="not divisible"):
        ctx.get_per_replica_batch_size(10)


def test_distributed_dataset_on_one_device(tf):
    s = tf.distribute.OneDeviceStrategy("/cpu:0")
    ds = tf.data.Dataset.range(5).batch(2)
    got = [np.asarray(b).tolist() for b in s.experimental_distribute_dataset(ds)]
    assert got == [[0, 1], [2, 3], [4]]


def test_fit_in_a_strategy_scope_matches_plain_fit(tf):
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")

    def run(scope):
        with scope:
            m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            m.set_weights([np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")])
            m.compile(keras.optimizers.SGD(0.1), "mse")
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return m.get_weights()

    import contextlib

    plain = run(contextlib.nullcontext())
    under = run(tf.distribute.OneDeviceStrategy("/cpu:0").scope())
    for a, b in zip(plain, under):
        np.testing.assert_allclose(b, a, rtol=1e-5)
    w, b = np.full((3, 1), 0.1), np.zeros(1)  # SGD on the MSE, by hand
    for _ in range(2):
        for i in range(0, 32, 8):
            err = x[i : i + 8] @ w + b - y[i : i + 8]
            w, b = w - 0.1 * 2 * x[i : i + 8].T @ err / 8, b - 0.1 * 2 * err.mean(axis=0)
    np.testing.assert_allclose(under[0], w, rtol=1e-4)
    np.testing.assert_allclose(under[1], b, rtol=1e-4, atol=1e-6)
