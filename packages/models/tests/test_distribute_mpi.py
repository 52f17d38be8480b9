"""MultiWorkerMirroredStrategy across processes: ``mpiexec -n 2`` / ``-n 3`` on 127.0.0.1.

Each test starts one MPI job (a subprocess with a timeout) running WORKER in one of its modes;
the workers write their weights to .npz files that the test compares with a one-process run."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


pytestmark = [
    pytest.mark.skipif(_mpiexec() is None, reason="mpiexec (the mpich wheel) is not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="MPICH's mpiexec is POSIX"),
]

WORKER = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    from tensorhouse_models import Input, Sequential, callbacks, distribute, layers, ops
    from tensorhouse_models import optimizers

    mode, out = sys.argv[1], sys.argv[2]
    options = distribute.experimental.CommunicationOptions(timeout_seconds=8)
    strategy = distribute.MultiWorkerMirroredStrategy(communication_options=options)
    rank, n = strategy.cluster_resolver.task_id, strategy.num_replicas_in_sync
    rng = np.random.default_rng(0)
    x = rng.normal(size=(192, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1)) + 0.3).astype("float32")
    w0 = [np.random.default_rng(1).normal(size=s).astype("float32")
          for s in [(5, 8), (8,), (8, 1), (1,)]]

    def make():
        model = Sequential([Input((5,)), layers.Dense(8, activation="tanh"), layers.Dense(1)])
        model.set_weights(w0)
        model.compile(optimizers.SGD(0.05, momentum=0.9), "mse", metrics=["mae"])
        return model

    def save(name, model, **extra):
        np.savez(os.path.join(out, f"{name}.npz"), *model.get_weights(), **extra)

    if mode == "fit":
        from tensorhouse_models.distribute._strategy import worker_threads
        from tensorhouse_models.distribute._training import StepProfile

        threads = [ops.config.threading.get_intra_op_parallelism_threads(), worker_threads(),
                   int(os.environ.get("MPI_LOCALNRANKS", "0"))]
        with strategy.scope():
            model = make()
        strategy._profile = prof = StepProfile()
        history = model.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
        profile = [prof.steps] + [t for k in prof.PHASES for t in (prof.wall[k], prof.cpu[k])]
        loss = model.evaluate(x, y, batch_size=50, verbose=0)
        pred = model.predict(x, batch_size=50, verbose=0)
        save(f"rank{rank}", model, loss=np.array(history.history["loss"]),
             eval=np.array(loss), pred=pred, threads=np.array(threads),
             profile=np.array(profile))
        if rank == 0:  # the reference: one process, no strategy, batch 64
            ref = make()
            history = ref.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
            save("single", ref, loss=np.array(history.history["loss"]),
                 eval=np.array(ref.evaluate(x, y, batch_size=50, verbose=0)),
                 pred=ref.predict(x, batch_size=50, verbose=0))
            # TF's rule for an uneven split: each replica's mean loss / replicas, summed
            ref = make()
            for epoch in range(3):
                for start in range(0, 192, 64):
                    sizes = [64 // n + (1 if i < 64 % n else 0) for i in range(n)]
                    offsets = np.cumsum([0] + sizes) + start
                    grads = None
                    for a, b in zip(offsets[:-1], offsets[1:]):
                        with ops.GradientTape() as tape:
                            err = ref(x[a:b], training=True) - y[a:b]
                            loss = ops.reduce_mean(err * err) / n
                        g = tape.gradient(loss, ref.trainable_variables)
                        grads = g if grads is None else [p + q for p, q in zip(grads, g)]
                    ref.optimizer.apply(grads, ref.trainable_variables)
            save("split_rule", ref)

    elif mode == "custom":
        with strategy.scope():
            model = make()
        ds = strategy.experimental_distribute_dataset(
            __import__("tensorhouse_models").data.Dataset.from_tensor_slices((x, y)).batch(64)
        )

        @ops.function
        def step(batch):
            bx, by = batch
            with ops.GradientTape() as tape:
                err = model(bx, training=True) - by
                loss = ops.reduce_sum(err * err) / 64.0  # the global batch, as TF's idiom
            grads = tape.gradient(loss, model.trainable_variables)
            grads = distribute.get_replica_context().all_reduce("sum", grads)
            model.optimizer.apply(grads, model.trainable_variables)
            return loss

        losses = []
        for epoch in range(2):
            for batch in ds:
                per_replica = strategy.run(step, args=(batch,))
                losses.append(float(strategy.reduce("SUM", per_replica, axis=None)))
        save(f"rank{rank}", model, loss=np.array(losses))
        if rank == 0:
            ref = make()
            ref_losses = []
            for epoch in range(2):
                for start in range(0, 192, 64):
                    bx, by = x[start:start + 64], y[start:start + 64]
                    with ops.GradientTape() as tape:
                        err = ref(bx, training=True) - by
                        loss = ops.reduce_mean(err * err)
                    ref.optimizer.apply(tape.gradient(loss, ref.trainable_variables),
                                        ref.trainable_variables)
                    ref_losses.append(float(loss))
            save("single", ref, loss=np.array(ref_losses))

    elif mode in ("kill", "resume"):
        backup = os.path.join(out, "backup")
        with strategy.scope():
            model = make()

        def on_batch(batch, logs):
            with open(os.path.join(out, f"progress{rank}.txt"), "a") as f:
                f.write(f"{batch}\\n")
            if mode == "kill" and rank == 1 and len(open(f.name).readlines()) == 7:
                os.kill(os.getpid(), 9)  # mid-epoch 2 (3 batches an epoch)

        def on_epoch(epoch, logs=None):
            with open(os.path.join(out, f"epochs{rank}.txt"), "a") as f:
                f.write(f"{epoch}\\n")

        try:
            model.fit(x, y, batch_size=64, epochs=4, shuffle=False, verbose=0, callbacks=[
                callbacks.BackupAndRestore(backup),
                callbacks.LambdaCallback(on_train_batch_end=on_batch, on_epoch_begin=on_epoch),
            ])
        except Exception as e:  # kept in a file: the job's abort may cut the forwarded stderr
            with open(os.path.join(out, f"error{rank}.txt"), "w") as f:
                f.write(f"{type(e).__name__}: {e}")
            raise
        save(f"rank{rank}", model)
        if rank == 0:
            ref = make()
            ref.fit(x, y, batch_size=64, epochs=4, shuffle=False, verbose=0)
            save("single", ref)
    """
)


def _launch(tmp_path, n, mode, timeout=240, survive_a_kill=False):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("TF_CONFIG", None)
    cmd = [_mpiexec(), "-n", str(n), "-host", "127.0.0.1"]
    if survive_a_kill:
        # by default mpiexec ends every worker when one dies; with -disable-auto-cleanup and
        # a shell reporting the death as an exit status, the survivors live on to report it
        cmd[1:1] = ["-disable-auto-cleanup"]
        cmd += ["sh", "-c", '"$0" "$@"; exit $?']
    cmd += [sys.executable, str(script), mode, str(tmp_path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def _load(path):
    with np.load(path) as f:
        weights = [f[k] for k in sorted((k for k in f.files if k.startswith("arr_")),
                                        key=lambda k: int(k[4:]))]  # fmt: skip
        extra = {k: f[k] for k in f.files if not k.startswith("arr_")}
    return weights, extra


def _check(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_fit_on_two_workers_matches_one_process_with_the_global_batch(tmp_path):
    _check(_launch(tmp_path, 2, "fit"))
    single, ref = _load(tmp_path / "single.npz")
    for rank in (0, 1):
        weights, got = _load(tmp_path / f"rank{rank}.npz")
        for w, s in zip(weights, single):
            np.testing.assert_allclose(w, s, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got["loss"], ref["loss"], rtol=1e-5)  # global loss logs
        np.testing.assert_allclose(got["eval"], ref["eval"], rtol=1e-5)  # metrics summed
        np.testing.assert_allclose(got["pred"], ref["pred"], rtol=1e-5, atol=1e-6)
        assert got["pred"].shape == (192, 1)
        # each rank's share of the cores (``worker_threads``, tested alone in
        # test_distribute.py) set as its kernel threads before the runtime started
        set_threads, share, local_ranks = got["threads"]
        assert local_ranks == 2 and set_threads == share >= 1
        # the step profile: 3 epochs of 3 steps, each phase timed, CPU within wall time
        steps, times = got["profile"][0], got["profile"][1:].reshape(-1, 2)
        assert steps == 9 and len(times) == 6
        assert (times >= 0).all() and (times[:, 1] <= times[:, 0] + 0.02).all()
        assert times[0, 0] > 0 and times[2, 0] > 0  # compute, all-reduce
    assert np.abs(single[0] - np.random.default_rng(1).normal(size=(5, 8))).max() > 1e-2


def test_fit_on_three_workers_splits_each_batch_unevenly_as_tf_does(tmp_path):
    _check(_launch(tmp_path, 3, "fit"))
    rule, _ = _load(tmp_path / "split_rule.npz")  # 64 = 22 + 21 + 21, TF's loss scaling
    for rank in (0, 1, 2):
        weights, _ = _load(tmp_path / f"rank{rank}.npz")
        for w, s in zip(weights, rule):
            np.testing.assert_allclose(w, s, rtol=1e-5, atol=1e-6)


def test_custom_loop_with_run_all_reduce_and_reduce(tmp_path):
    _check(_launch(tmp_path, 2, "custom"))
    single, ref = _load(tmp_path / "single.npz")
    for rank in (0, 1):
        weights, got = _load(tmp_path / f"rank{rank}.npz")
        for w, s in zip(weights, single):
            np.testing.assert_allclose(w, s, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got["loss"], ref["loss"], rtol=1e-5)
    assert len(ref["loss"]) == 6


def test_a_killed_worker_is_detected_and_a_restart_resumes_from_the_backup(tmp_path):
    proc = _launch(tmp_path, 2, "kill", timeout=120, survive_a_kill=True)
    why = proc.stdout[-2000:] + proc.stderr[-3000:]  # (it flaked under load: say why)
    assert proc.returncode != 0, why
    error = (tmp_path / "error0.txt").read_text()  # the survivor's error
    assert error.startswith("UnavailableError: "), why + error
    assert "timed out after 8 s: a peer worker is dead or stuck" in error, why + error
    assert not (tmp_path / "rank0.npz").exists(), why
    assert (tmp_path / "backup" / "latest.weights.h5").exists(), why  # epoch 1 backed up
    assert (tmp_path / "epochs1.txt").read_text().split() == ["0", "1", "2"], why
    for f in tmp_path.glob("epochs*.txt"):
        f.unlink()
    _check(_launch(tmp_path, 2, "resume"))
    for rank in (0, 1):  # both resumed at epoch 2, the first not backed up
        assert (tmp_path / f"epochs{rank}.txt").read_text().split() == ["2", "3"]
    single, _ = _load(tmp_path / "single.npz")
    for rank in (0, 1):
        weights, _ = _load(tmp_path / f"rank{rank}.npz")
        for w, s in zip(weights, single):
            np.testing.assert_allclose(w, s, rtol=1e-5, atol=1e-6)
    assert not (tmp_path / "backup").exists()  # the chief removed it at the end
