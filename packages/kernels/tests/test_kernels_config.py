"""tf.config.threading set before the first op (TF's only allowed time) reaches the kernels."""

import subprocess
import sys

SCRIPT = """
from tensorhouse_hw_runtime import config
config.threading.set_intra_op_parallelism_threads(1)
import numpy as np
import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import get_device
from tensorhouse_kernels import _cpu
(out,), _ = tk.execute("AddV2", [np.ones(3, np.float32)] * 2, {}, get_device("/CPU:0"))
assert out.tolist() == [2.0, 2.0, 2.0]
print(_cpu.num_threads(), _cpu.blas_get_num_threads())
try:
    config.threading.set_intra_op_parallelism_threads(2)
except RuntimeError as e:
    print("RuntimeError:", e)
"""


def test_thread_count_set_before_init_is_honoured_and_fixed_after():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True).stdout.splitlines()  # fmt: skip
    assert out[0] == "1 1"
    assert out[1] == "RuntimeError: Intra op parallelism cannot be modified after initialization."


CORE_SCRIPT = """
import os
import tensorhouse_kernels as tk
from tensorhouse_kernels import _blas, _cpu
print(_blas.core_type(), _cpu.blas_corename(), os.environ.get("OPENBLAS_CORETYPE"))
"""


def _core_run(env_extra):
    import os

    env = {k: v for k, v in os.environ.items() if "CORETYPE" not in k}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CORE_SCRIPT], capture_output=True, text=True,
                         check=True, env=env).stdout.split()  # fmt: skip
    return out


def test_private_blas_takes_the_cpus_best_core_despite_a_pinned_openblas_coretype():
    wanted, loaded, env_after = _core_run({"OPENBLAS_CORETYPE": "Prescott"})
    assert env_after == "Prescott"  # NumPy's setting is left as it was
    if wanted == "None":  # a CPU without AVX2: OpenBLAS's own detection, honouring the pin
        assert loaded == "Prescott"
    else:
        assert loaded == wanted  # e.g. SkylakeX on an AVX-512 machine


def test_tensorhouse_blas_coretype_overrides():
    wanted, loaded, env_after = _core_run({"TENSORHOUSE_BLAS_CORETYPE": "Sandybridge"})
    assert (wanted, loaded, env_after) == ("Sandybridge", "Sandybridge", "None")


OMP_SCRIPT = """
import os
import tensorhouse_kernels
print(os.environ.get("OMP_WAIT_POLICY"))
"""


def test_openmp_wait_policy_is_set_only_while_the_module_loads():
    import os

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    run = lambda e: subprocess.run([sys.executable, "-c", OMP_SCRIPT], capture_output=True,  # noqa: E731
                                   text=True, check=True, env=e).stdout.strip()  # fmt: skip
    assert run(env) == "None"  # restored: other OpenMP libraries keep their defaults
    assert run({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"  # the user's choice stands
