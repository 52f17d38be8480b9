"""A first op loads the tensor stack only: no Keras layers, no bfloat16 library, no JAX.

Each check runs in a fresh interpreter, since this test session has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# what ``tf.constant(1.0) + 1.0`` must leave unloaded (seconds of import time between them)
HEAVY = [
    "tensorhouse_components.layers",
    "tensorhouse_components.keras_ops",
    "tensorhouse_components.data",
    "tensorhouse_models.callbacks",
    "tensorhouse_models.saving",
    "tensorhouse_models._model",
    "tensorhouse_ops.io",
    "tensorhouse_ops.strings",
    "tensorhouse_ops._function",  # tf.function, autograph and the graph machinery
    "tensorhouse_ops._grad_rules",  # the gradient rules: loaded with the tapes' names
    "ml_dtypes",
    "jax",
    "pycuda",
    "h5py",
    "importlib.metadata",
    "tensorhouse_hw_runtime.collective",  # multi-worker only: MPI
    "tensorhouse_hw_runtime.backends._pool",  # the GPU memory pool: with a first GPU buffer
    "tensorhouse_kernels._string_kernels",  # tf.string's kernels: on a first CPU miss
    "random",  # the stdlib module: only once a global seed is set
]


def _run(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_first_op_loads_no_heavy_module():
    got = _run(
        "import json, sys\n"
        "import tensorhouse as tf\n"
        "y = tf.constant(1.0) + 1.0\n"
        f"print(json.dumps([float(y), [m for m in {HEAVY!r} if m in sys.modules]]))"
    )
    assert got == [2.0, []]


def test_names_still_load_on_first_use():
    got = _run(
        "import json, sys\n"
        "import tensorhouse as tf\n"
        "layer = tf.keras.layers.Dense(2)\n"
        "import tensorhouse_models as m\n"
        "ok = m.layers.Dense is type(layer) and m.Sequential.__name__ == 'Sequential'\n"
        "ok = ok and 'Dense' in dir(m.layers) and 'Model' in dir(m) and 'layers' in dir(m)\n"
        "from tensorhouse_components import register_serializable\n"
        "print(json.dumps([ok, isinstance(tf.__version__, str) and bool(m.__version__),\n"
        "    'tensorhouse_components.layers' in sys.modules, 'jax' in sys.modules]))"
    )
    assert got == [True, True, True, False]


def test_bfloat16_loads_ml_dtypes_on_first_use():
    pytest.importorskip("ml_dtypes")
    got = _run(
        "import json, sys\n"
        "import tensorhouse as tf\n"
        "x = tf.constant([1.5, 2.25])\n"
        "before = 'ml_dtypes' in sys.modules\n"
        "b = tf.cast(x, tf.bfloat16) * 2.0\n"
        "import ml_dtypes, numpy as np\n"
        "a = tf.constant(np.array([3, 4], ml_dtypes.bfloat16))\n"
        "print(json.dumps([before, b.dtype.name, b.numpy().astype(float).tolist(),\n"
        "    a.dtype.name, (a + a).numpy().astype(float).tolist()]))"
    )
    assert got == [False, "bfloat16", [3.0, 4.5], "bfloat16", [6.0, 8.0]]


_REGISTRY = (
    "import json, sys\n"
    "{first}\n"
    "import tensorhouse_kernels\n"
    "from tensorhouse_kernels import get_op_def, list_op_defs\n"
    "from tensorhouse_kernels.runtime import list_kernels\n"
    "loaded = 'ml_dtypes' in sys.modules\n"
    "import ml_dtypes\n"
    "reg = sorted((k.op_type, k.device_type, k.dtype, k.priority, k.source,\n"
    "              getattr(k.kernel, '__qualname__', '')) for k in list_kernels())\n"
    "ops = {{n: [d.name for d in get_op_def(n).dtypes] for n in list_op_defs()}}\n"
    "print(json.dumps([loaded, reg, ops]))"
)


def test_bfloat16_added_late_equals_bfloat16_from_the_start():
    """The kernels that ml_dtypes loaded late gives are those it gives when loaded first."""
    pytest.importorskip("ml_dtypes")
    late = _run(_REGISTRY.format(first=""))
    early = _run(_REGISTRY.format(first="import ml_dtypes"))
    assert (late[0], early[0]) == (False, True)
    assert any(k[2] == "bfloat16" for k in late[1])
    assert late[1] == early[1]
    assert late[2] == early[2]
    assert "bfloat16" in late[2]["MatMul"] and "bfloat16" not in late[2]["MatrixInverse"]


def test_info_does_not_load_jax():
    got = _run(
        "import json, sys\n"
        "from tensorhouse_kernels.runtime import info\n"
        "report = info()\n"
        "print(json.dumps([report['backends']['cpu'], 'jax' in sys.modules,\n"
        "    sorted({d.split(':')[-2] for d in report['logical_devices']})]))"
    )
    assert got[:2] == ["loaded", False]
    assert "CPU" in got[2] and not {"XLA_CPU", "XLA_GPU", "TPU"} & set(got[2])


def test_the_rest_of_the_ops_layer_loads_on_first_use():
    got = _run(
        "import json, sys\n"
        "import tensorhouse as tf\n"
        "x = tf.constant([300.0, -5.0, 2.5])\n"
        "sat = tf.dtypes.saturate_cast(x, tf.uint8).numpy().tolist()\n"
        "v = tf.Variable(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    y = tf.cond(v > 0.0, lambda: v * v, lambda: -v)\n"
        "g = float(tape.gradient(y, v))\n"
        "print(json.dumps([sat, g, 'tensorhouse_ops._control_flow_grad' in sys.modules]))"
    )
    assert got == [[255, 0, 2], 6.0, True]


def test_the_string_kernels_load_on_a_first_string_op():
    got = _run(
        "import json, sys\n"
        "import tensorhouse as tf\n"
        "import tensorhouse_kernels as k\n"
        "listed = {'host_strings', 'xla'} <= set(dir(k))\n"
        "before = 'tensorhouse_kernels._string_kernels' in sys.modules\n"
        "s = tf.strings.upper(tf.constant(['ab', 'c'])).numpy().tolist()\n"
        "print(json.dumps([listed, before, [b.decode() for b in s],\n"
        "    k.host_strings.lower_ascii is not None]))"
    )
    assert got == [True, False, ["AB", "C"], True]
