"""tf.distribute in one process: MirroredStrategy over two logical CPUs (in a subprocess, since
logical devices are set before the runtime starts), OneDeviceStrategy, the contexts, reduce /
run semantics (checked against TF 2.21), distributed datasets and TF_CONFIG."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tensorhouse_models import Input, Sequential, data, distribute, layers, ops, optimizers

MIRRORED = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from tensorhouse_models import Input, Sequential, data, distribute, layers, ops, optimizers

    cpu = ops.config.list_physical_devices("CPU")[0]
    ops.config.set_logical_device_configuration(
        cpu, [ops.config.LogicalDeviceConfiguration()] * 2)
    strategy = distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    out = {"devices": list(strategy.extended.worker_devices)}

    # run: a PerReplica, each replica on its device
    r = strategy.run(lambda v: (v * 2, ops.constant(1.0).device), args=(ops.constant(3.0),))
    out["run_type"] = type(r[0]).__name__
    out["run_values"] = [float(v) for v in r[0].values]
    out["run_devices"] = list(r[1].values)
    out["reduce"] = [float(strategy.reduce("SUM", r[0], axis=None)),
                     float(strategy.reduce(distribute.ReduceOp.MEAN, r[0], axis=None))]

    def in_replica():
        ctx = distribute.get_replica_context()
        one = ops.cast(ctx.replica_id_in_sync_group, "float32") + 1.0
        return ctx.all_reduce("sum", one), ctx.all_reduce("mean", [one, 2 * one])

    total, means = strategy.run(in_replica)
    out["all_reduce"] = [float(v) for v in total.values]
    out["all_reduce_mean"] = [[float(v) for v in m.values] for m in means]

    ds = data.Dataset.range(10).map(lambda i: ops.cast(i, "float32")).batch(4)
    out["batches"], out["axis0"] = [], []
    for b in strategy.experimental_distribute_dataset(ds):
        out["batches"].append([ops.convert_to_numpy(v).tolist() for v in b.values])
        out["axis0"].append([float(strategy.reduce("SUM", b, axis=0)),
                             float(strategy.reduce("MEAN", b, axis=0))])

    def dataset_fn(ctx):
        out["input_context"] = [ctx.num_input_pipelines, ctx.input_pipeline_id,
                                ctx.num_replicas_in_sync, ctx.get_per_replica_batch_size(8)]
        return data.Dataset.range(8).batch(ctx.get_per_replica_batch_size(4))

    out["from_function"] = [
        [ops.convert_to_numpy(v).tolist() for v in b.values]
        for b in strategy.distribute_datasets_from_function(dataset_fn)
    ]

    # fit under the strategy against one process with the same global batch
    rng = np.random.default_rng(0)
    x = rng.normal(size=(130, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1)) + 0.3).astype("float32")
    w0 = [np.random.default_rng(1).normal(size=s).astype("float32")
          for s in [(5, 8), (8,), (8, 1), (1,)]]

    def make(opt=None):
        m = Sequential([Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
        m.set_weights(w0)
        m.compile(opt or optimizers.SGD(0.05, momentum=0.9), "mse", metrics=["mae"])
        return m

    single = make()
    h0 = single.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    with strategy.scope():
        mirrored = make()
        out["in_scope"] = [distribute.has_strategy(), distribute.in_cross_replica_context()]
    out["model_strategy"] = mirrored.distribute_strategy is strategy
    h1 = mirrored.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    np.savez(sys.argv[1] + "/fit.npz", *single.get_weights(), *mirrored.get_weights())
    out["fit_loss"] = [h0.history["loss"], h1.history["loss"]]
    out["fit_mae"] = [h0.history["mae"], h1.history["mae"]]
    out["evaluate"] = [single.evaluate(x, y, batch_size=50, verbose=0),
                       mirrored.evaluate(x, y, batch_size=50, verbose=0)]
    p0, p1 = (m.predict(x, batch_size=50, verbose=0) for m in (single, mirrored))
    out["predict"] = [float(np.abs(p0 - p1).max()), list(p1.shape)]

    # a custom loop: per-replica gradients of the loss over the global batch, reduced (SUM)
    with strategy.scope():
        model = make(optimizers.Adam(0.01))
    ref = make(optimizers.Adam(0.01))
    step_fn = ops.function(lambda bx, by: _grads(model, bx, by))

    def _grads(m, bx, by):
        with ops.GradientTape() as tape:
            err = m(bx, training=True) - by
            loss = ops.reduce_sum(err * err) / 64.0
        return tape.gradient(loss, m.trainable_variables), loss

    losses = []
    dist = strategy.experimental_distribute_dataset(
        data.Dataset.from_tensor_slices((x[:128], y[:128])).batch(64))
    for _ in range(2):
        for bx, by in dist:
            grads, loss = strategy.run(step_fn, args=(bx, by))
            grads = strategy.reduce("SUM", grads, axis=None)
            model.optimizer.apply(grads, model.trainable_variables)
            losses.append(float(strategy.reduce("SUM", loss, axis=None)))
    ref_losses = []
    for _ in range(2):
        for s in range(0, 128, 64):
            g, loss = _grads(ref, x[s:s + 64], y[s:s + 64])
            ref.optimizer.apply(g, ref.trainable_variables)
            ref_losses.append(float(loss))
    np.savez(sys.argv[1] + "/custom.npz", *ref.get_weights(), *model.get_weights())
    out["custom_loss"] = [ref_losses, losses]
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    """The results of MIRRORED, run once in a fresh process."""
    folder = tmp_path_factory.mktemp("mirrored")
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(folder)],
        capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "TF_CONFIG"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), folder


def _pairs(path):
    with np.load(path) as f:
        arrays = [f[f"arr_{i}"] for i in range(len(f.files))]
    half = len(arrays) // 2
    return arrays[:half], arrays[half:]


def test_mirrored_run_and_reduce_match_tf(mirrored):
    out, _ = mirrored
    assert out["devices"] == [
        "/job:localhost/replica:0/task:0/device:CPU:0",
        "/job:localhost/replica:0/task:0/device:CPU:1",
    ]
    assert out["run_type"] == "PerReplica"
    assert out["run_values"] == [6.0, 6.0]
    assert out["run_devices"] == out["devices"]  # each replica ran on its own logical CPU
    assert out["reduce"] == [12.0, 6.0]  # TF: SUM 12, MEAN 6


def test_mirrored_replica_context_all_reduce(mirrored):
    out, _ = mirrored
    assert out["all_reduce"] == [3.0, 3.0]  # 1 + 2 on both replicas
    assert out["all_reduce_mean"] == [[1.5, 1.5], [3.0, 3.0]]


def test_mirrored_distributed_dataset_splits_each_global_batch(mirrored):
    out, _ = mirrored
    assert out["batches"] == [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8], [9]]]
    assert out["axis0"] == [[6.0, 1.5], [22.0, 5.5], [17.0, 8.5]]  # TF's numbers
    assert out["input_context"] == [1, 0, 2, 4]
    assert out["from_function"] == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]


def test_mirrored_fit_matches_one_process_with_the_global_batch(mirrored):
    out, folder = mirrored
    assert out["in_scope"] == [True, True] and out["model_strategy"]
    single, mirrored_w = _pairs(folder / "fit.npz")
    for a, b in zip(single, mirrored_w):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["fit_loss"][1], out["fit_loss"][0], rtol=1e-5)
    np.testing.assert_allclose(out["fit_mae"][1], out["fit_mae"][0], rtol=1e-5)
    np.testing.assert_allclose(out["evaluate"][1], out["evaluate"][0], rtol=1e-5)
    assert out["predict"][0] < 1e-5 and out["predict"][1] == [130, 1]
    assert out["fit_loss"][0][2] < out["fit_loss"][0][0]  # it trained


def test_mirrored_custom_loop_with_run_and_reduce(mirrored):
    out, folder = mirrored
    ref, got = _pairs(folder / "custom.npz")
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["custom_loss"][1], out["custom_loss"][0], rtol=1e-5)


# ---- in this process ------------------------------------------------------------------------
def test_default_strategy_and_contexts():
    assert not distribute.has_strategy()
    assert not distribute.in_cross_replica_context()
    default = distribute.get_strategy()
    assert default.num_replicas_in_sync == 1
    ctx = distribute.get_replica_context()
    assert ctx is not None and int(ctx.replica_id_in_sync_group) == 0
    strategy = distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        assert distribute.get_strategy() is strategy
        assert distribute.has_strategy() and distribute.in_cross_replica_context()
        assert distribute.get_replica_context() is None
        inside = strategy.run(lambda: distribute.get_replica_context())
        assert isinstance(inside, distribute.ReplicaContext)
        with pytest.raises(ValueError, match="Mixing different tf.distribute.Strategy"):
            with distribute.MirroredStrategy(["/cpu:0"]).scope():
                pass
    assert distribute.get_strategy() is default


def test_one_device_strategy_run_and_reduce():
    strategy = distribute.OneDeviceStrategy("/cpu:0")
    assert strategy.num_replicas_in_sync == 1
    assert strategy.extended.worker_devices == ("/job:localhost/replica:0/task:0/device:CPU:0",)
    out = strategy.run(lambda a, b: a * b, args=(ops.constant([1.0, 2.0]), 3.0))
    np.testing.assert_allclose(ops.convert_to_numpy(out), [3.0, 6.0])
    np.testing.assert_allclose(ops.convert_to_numpy(strategy.reduce("SUM", out, None)), [3, 6])
    assert float(strategy.reduce("SUM", out, axis=0)) == 9.0
    assert float(strategy.reduce("MEAN", out, axis=0)) == 4.5
    assert strategy.experimental_local_results(out)[0] is out
    batches = list(strategy.experimental_distribute_dataset(data.Dataset.range(5).batch(2)))
    assert [ops.convert_to_numpy(b).tolist() for b in batches] == [[0, 1], [2, 3], [4]]


def test_reduce_op_and_bad_reductions():
    assert distribute.ReduceOp.coerce("sum") is distribute.ReduceOp.SUM
    assert distribute.ReduceOp.from_variable_aggregation("mean") is distribute.ReduceOp.MEAN
    with pytest.raises(ValueError, match="'MAX' is not a valid ReduceOp"):
        distribute.OneDeviceStrategy("/cpu:0").reduce("MAX", ops.constant(1.0), axis=None)
    mirrored = distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert float(mirrored.reduce("MEAN", ops.constant(4.0), axis=None)) == 4.0  # mirrored value
    with pytest.raises(ValueError, match="non-DistributedValues"):
        mirrored.reduce("SUM", ops.constant(4.0), axis=None)
    pr = distribute.PerReplica([ops.constant([1.0, 2.0]), ops.constant([5.0])])
    assert float(mirrored.reduce("MEAN", pr, axis=0)) == pytest.approx(8.0 / 3)
    np.testing.assert_allclose(ops.convert_to_numpy(mirrored.gather(pr, axis=0)), [1, 2, 5])


def test_mirrored_strategy_reports_its_devices_and_rejects_duplicates():
    s = distribute.MirroredStrategy(["/cpu:0", "/cpu:1", "/cpu:2"])
    assert s.num_replicas_in_sync == 3
    assert s.extended.parameter_devices[2].endswith("device:CPU:2")
    with pytest.raises(ValueError, match="No duplicates"):
        distribute.MirroredStrategy(["/cpu:0", "CPU:0"])


def test_split_of_a_global_batch_between_three_replicas():
    from tensorhouse_models.distribute._input import split_batch

    strategy = distribute.MirroredStrategy(["/cpu:0", "/cpu:1", "/cpu:2"])
    x = np.arange(20, dtype="float32").reshape(10, 2)
    shards = split_batch(strategy, (x, x[:, :1]))
    assert [ops.convert_to_numpy(s[0]).shape[0] for s in shards] == [4, 3, 3]  # TF's rebatch
    np.testing.assert_array_equal(ops.convert_to_numpy(shards[1][1]), x[4:7, :1])


def test_communication_options_and_input_context():
    o = distribute.experimental.CommunicationOptions()
    assert (o.bytes_per_pack, o.timeout_seconds) == (0, None)
    assert o.implementation is distribute.CommunicationImplementation.AUTO
    o = distribute.CommunicationOptions(1024, 5, "NCCL")
    assert o.implementation is distribute.CommunicationImplementation.NCCL
    with pytest.raises(ValueError, match="bytes_per_pack"):
        distribute.CommunicationOptions(bytes_per_pack=-1)
    ctx = distribute.InputContext(2, 1, 4)
    assert ctx.get_per_replica_batch_size(64) == 16
    with pytest.raises(ValueError, match="not divisible"):
        ctx.get_per_replica_batch_size(10)


def test_tf_config_cluster_resolver(monkeypatch):
    config = {
        "cluster": {"chief": ["h0:2222"], "worker": ["h1:2222", "h2:2222"]},
        "task": {"type": "worker", "index": 1},
    }
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    r = distribute.cluster_resolver.TFConfigClusterResolver()
    assert (r.task_type, r.task_id) == ("worker", 1)
    assert r.cluster_spec().as_dict() == config["cluster"]
    assert r.num_workers() == 3 and r.rank() == 2  # the chief is rank 0
    assert r.master() == "h2:2222"
    assert r.master(rpc_layer="grpc") == "grpc://h2:2222"


def test_fit_under_one_device_strategy_matches_plain_fit():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")
    w0 = [np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")]

    def make():
        m = Sequential([Input((3,)), layers.Dense(1)])
        m.set_weights(w0)
        m.compile(optimizers.SGD(0.1), "mse")
        return m

    plain = make()
    plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    with distribute.OneDeviceStrategy("/cpu:0").scope():
        one = make()
    one.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), one.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    assert np.abs(plain.get_weights()[0] - w0[0]).max() > 0.1


def test_fit_with_an_empty_share_follows_tfs_scaling():
    """Three replicas, a last batch of two rows: shares 1, 1 and 0. Each replica's mean loss
    is divided by 3 (TF's scaling for the global batch); the empty share adds nothing."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")
    w0 = [np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")]

    def make():
        m = Sequential([Input((3,)), layers.Dense(1)])
        m.set_weights(w0)
        m.compile(optimizers.SGD(0.1), "mse")
        return m

    with distribute.MirroredStrategy(["/cpu:0", "/cpu:1", "/cpu:2"]).scope():
        model = make()
    logs = model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0).history
    w, b = w0[0].astype("float64"), w0[1].astype("float64")
    for rows in ([[0, 1], [2, 3], [4, 5]], [[6], [7], []]):  # the shares of each batch
        gw, gb = np.zeros_like(w), np.zeros_like(b)
        for r in rows:
            if r:
                err = x[r] @ w + b - y[r]
                gw += 2 * x[r].T @ err / len(r) / 3
                gb += 2 * err.mean(axis=0) / 3
        w, b = w - 0.1 * gw, b - 0.1 * gb
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-7)
    assert np.isfinite(logs["loss"][0])


@pytest.mark.parametrize(
    ("cpus", "affinity", "env", "want"),
    [
        (2, 2, {"MPI_LOCALNRANKS": "2"}, 1),  # two ranks on two unpinned cores: one each
        (16, 16, {"MPI_LOCALNRANKS": "4"}, 4),
        (16, 16, {"MPI_LOCALNRANKS": "4", "OMP_NUM_THREADS": "2"}, 2),  # at most OMP's
        (16, 3, {"MPI_LOCALNRANKS": "4"}, 3),  # pinned (taskset): its own cores
        (2, 1, {"MPI_LOCALNRANKS": "2"}, 1),
        (8, 8, {"OMPI_COMM_WORLD_LOCAL_SIZE": "3"}, 2),  # Open MPI's name for it
        (2, 2, {"MPI_LOCALNRANKS": "4"}, 1),  # more ranks than cores: still one thread
        (4, 4, {}, 4),  # one worker alone
    ],
)
def test_worker_threads_share_the_cores_between_ranks(monkeypatch, cpus, affinity, env, want):
    from tensorhouse_models.distribute._strategy import worker_threads

    for name in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(affinity)), raising=False)
    assert worker_threads() == want


def test_auto_shard_policy_is_tf_data_s_and_steers_the_split():
    # one enum: tf.data's options take the value the distribute input reads
    assert distribute.AutoShardPolicy is data.experimental.AutoShardPolicy
    opts = data.Options()
    opts.experimental_distribute.auto_shard_policy = distribute.AutoShardPolicy.OFF
    assert opts.experimental_distribute.auto_shard_policy == data.experimental.AutoShardPolicy.OFF
    assert [(m.name, int(m)) for m in distribute.AutoShardPolicy] == [
        ("OFF", -1), ("AUTO", 0), ("FILE", 1), ("DATA", 2), ("HINT", 3)]  # fmt: skip
