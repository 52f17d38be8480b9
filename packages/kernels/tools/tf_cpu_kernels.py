"""Write the (op, dtype) pairs real TensorFlow registers CPU kernels for, for our op names.

Needs real TensorFlow (it reads TF's kernel registry), so it runs in a TF venv; the op names
come from tensorhouse's op definitions, read by a second interpreter that has tensorhouse:

    /tmp/tfv/bin/python packages/kernels/tools/tf_cpu_kernels.py \
        --tensorhouse-python .venv/bin/python > packages/kernels/tests/data/tf_cpu_kernels.json

The output is a fact about TF (``tests/test_dtype_coverage.py`` checks our kernels against it).
Each op maps to the dtypes of the type attr our kernels dispatch on (``T`` unless listed in
``_DISPATCH_ATTR``; ``null`` where the op has fixed dtypes, as LogicalAnd); a kernel with no
constraint on that attr covers every dtype the op def allows ("*": any dtype). Kernels with a
label (selected only on request) are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# Ops whose dispatch dtype (the op def's ``key`` in tensorhouse) is not TF's attr ``T``.
_DISPATCH_ATTR = {
    "Cast": "SrcT",
    "GatherV2": "Tparams",
    "GatherNd": "Tparams",
    "OneHot": "TI",
    "Range": "Tidx",
    "RandomUniformInt": "Tout",
    "RandomUniform": "dtype",
    "RandomStandardNormal": "dtype",
    "TruncatedNormal": "dtype",
    "StatelessRandomUniformV2": "dtype",
    "StatelessRandomNormalV2": "dtype",
    "StatelessTruncatedNormalV2": "dtype",
    "StatelessRandomUniformIntV2": "dtype",
}


def our_ops(python: str) -> list[str]:
    code = "from tensorhouse_kernels.opdefs import list_op_defs; print('\\n'.join(list_op_defs()))"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def tf_pairs(ops: list[str]) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.python.framework import kernels, op_def_registry

    def name(enum):
        return tf.dtypes.as_dtype(enum).name

    out = {}
    for op in ops:
        op_def = op_def_registry.get(op)
        if op_def is None:
            continue  # a tensorhouse op TF does not have
        attr = _DISPATCH_ATTR.get(op, "T")
        attr_defs = [a for a in op_def.attr if a.name == attr]
        if attr_defs:
            allowed = {name(t) for t in attr_defs[0].allowed_values.list.type}
        else:  # no type attr (LogicalAnd, All): the first input's fixed dtype
            attr, allowed = None, {name(op_def.input_arg[0].type)}
        dtypes = set()
        for k in kernels.get_registered_kernels_for_op(op).kernel:
            if k.device_type != "CPU" or k.label:
                continue
            limits = [c for c in k.constraint if c.name == attr]
            if limits:
                dtypes |= {name(t) for t in limits[0].allowed_values.list.type}
            else:
                dtypes |= allowed or {"*"}  # "*": any dtype
        out[op] = {"attr": attr, "dtypes": sorted(dtypes)}
    return {"tensorflow": tf.__version__, "device": "CPU", "ops": out}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tensorhouse-python", required=True, help="a python with tensorhouse")
    args = p.parse_args()
    json.dump(tf_pairs(our_ops(args.tensorhouse_python)), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
