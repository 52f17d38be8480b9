"""BackupAndRestore against a real crash: a training process killed with SIGKILL at a random
step and started again ends with the weights of a run that was never interrupted."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from tensorhouse_models import Input, Sequential, callbacks, layers, optimizers

    backup, progress, out = sys.argv[1], sys.argv[2], sys.argv[3]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype("float32")
    model = Sequential([Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizers.SGD(learning_rate=0.01, momentum=0.9), "mse")

    def step_done(batch, logs):
        with open(progress, "a") as f:
            f.write("step\\n")
        time.sleep(0.01)

    model.fit(x, y, batch_size=5, epochs=6, shuffle=False, verbose=0, callbacks=[
        callbacks.BackupAndRestore(backup) if backup != "-" else callbacks.Callback(),
        callbacks.LambdaCallback(on_train_batch_end=step_done),
    ])
    np.savez(out, *model.get_weights())
    """
)


def _run(tmp_path, tag, backup):
    progress = tmp_path / f"{tag}.progress"
    out = tmp_path / f"{tag}.npz"
    cmd = [sys.executable, "-c", SCRIPT, str(backup), str(progress), str(out)]
    return cmd, progress, out


def _weights(path):
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_run_killed_at_a_random_step_resumes_to_the_same_weights(tmp_path):
    cmd, _, straight = _run(tmp_path, "straight", "-")
    subprocess.run(cmd, check=True, timeout=300)

    backup = tmp_path / "backup"
    kill_at = random.Random().randint(3, 40)  # of the 48 steps (6 epochs of 8 batches)
    cmd, progress, resumed = _run(tmp_path, "killed", backup)
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if progress.exists() and progress.read_text().count("step") >= kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before step {kill_at}"
    assert not resumed.exists()
    subprocess.run(cmd, check=True, timeout=300)  # the same command, started again
    for a, b in zip(_weights(resumed), _weights(straight)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"killed at {kill_at}")
    assert not backup.exists()  # removed once the run finished
