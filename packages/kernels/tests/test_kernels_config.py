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
print(os.environ.get("OMP_WAIT_POLICY"), os.environ.get("GOMP_SPINCOUNT"))
"""


def test_openmp_wait_policy_is_set_only_while_the_module_loads():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    run = lambda e: subprocess.run([sys.executable, "-c", OMP_SCRIPT], capture_output=True,  # noqa: E731
                                   text=True, check=True, env=e).stdout.strip()  # fmt: skip
    assert run(env) == "None None"  # restored: other OpenMP libraries keep their defaults
    assert run({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE None"  # the user's choice
    assert run({**env, "GOMP_SPINCOUNT": "7"}) == "None 7"


# ---- every ISA version of the hot loops gives the baseline's results ---------------------------
ISA_SCRIPT = """
import sys
import numpy as np
import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import get_device
from tensorhouse_kernels import _cpu
cpu = get_device("/CPU:0")
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 1000)).astype(np.float32) * 30
x[3, 7] = np.nan
y = rng.standard_normal((64, 1000)).astype(np.float32)
img = rng.uniform(-1, 1, (2, 9, 11, 16)).astype(np.float32)
f = rng.uniform(-1, 1, (3, 3, 16, 32)).astype(np.float32)
dy = rng.uniform(-1, 1, (2, 9, 11, 32)).astype(np.float32)
conv = {"strides": [1, 1, 1, 1], "padding": "SAME", "dilations": [1, 1, 1, 1]}
cases = {
    "AddV2": ("AddV2", [x, y], {}), "AddV2_bcast": ("AddV2", [x, y[:1]], {}),
    "Maximum": ("Maximum", [x, y], {}), "Mul": ("Mul", [x, y], {}), "Relu": ("Relu", [x], {}),
    "TanhGrad": ("TanhGrad", [x, y], {}), "SigmoidGrad": ("SigmoidGrad", [x, y], {}),
    "Exp": ("Exp", [y], {}), "Softmax": ("Softmax", [x], {}), "LogSoftmax": ("LogSoftmax", [y], {}),
    "Conv2D": ("Conv2D", [img, f], conv),
    "Conv2DBackpropInput": ("Conv2DBackpropInput", [f, dy], dict(conv, input_sizes=img.shape)),
    "Conv2DBackpropFilter": ("Conv2DBackpropFilter", [img, dy], dict(conv, filter_sizes=f.shape)),
}
out = {k: tk.execute(op, ins, attrs, cpu)[0][0] for k, (op, ins, attrs) in cases.items()}
np.savez(sys.argv[1], isa=_cpu.cpu_isa(), **out)
"""


def test_every_isa_version_matches_the_baseline(tmp_path):
    import os

    import numpy as np

    results = {}
    for isa in ("baseline", "avx2", "best"):
        path = tmp_path / f"{isa}.npz"
        env = dict(os.environ, TENSORHOUSE_CPU_ISA=isa)
        subprocess.run([sys.executable, "-c", ISA_SCRIPT, str(path)], env=env, check=True)
        results[isa] = dict(np.load(path))
    assert str(results["baseline"]["isa"]) == "baseline"
    base = results["baseline"]
    for isa in ("avx2", "best"):
        for k, v in results[isa].items():
            if k == "isa":
                continue
            if k in ("AddV2", "AddV2_bcast", "Maximum", "Mul", "Relu", "TanhGrad", "SigmoidGrad"):
                np.testing.assert_array_equal(v, base[k], err_msg=f"{k} {isa}")
            else:  # FMA contraction (softmax, conv) and wider sums round differently
                np.testing.assert_allclose(v, base[k], rtol=2e-6, atol=1e-5, err_msg=f"{k} {isa}")
