"""The public surface of tensorhouse_components, and the layering rule on its imports."""

import ast
import pathlib
import sys

import tensorhouse_components as tc
import tensorhouse_ops

SRC = pathlib.Path(tc.__file__).parent


def test_top_level_namespace():
    assert set(tc.__all__) == {
        "__version__", "activations", "constraints", "data", "dtype_policies", "feature_column",
        "initializers", "keras_ops",
        "layers", "losses", "metrics", "mixed_precision", "ops", "optimizers",
        "register_serializable", "regularizers", "tree", "utils",
    }  # fmt: skip
    assert tc.__version__.count(".") >= 2
    for name in ("Layer", "Dense", "Input", "InputLayer", "Activation", "KerasTensor"):
        assert hasattr(tc.layers, name)
    for name in ("SGD", "Adam", "RMSprop", "Optimizer", "get"):
        assert hasattr(tc.optimizers, name)
    assert tc.data.AUTOTUNE == -1
    assert callable(tc.utils.set_random_seed)


def test_ops_reexports_the_whole_ops_api():
    missing = [n for n in tensorhouse_ops.__all__ if n != "__version__" and not hasattr(tc.ops, n)]
    assert missing == []
    for sub in ("math", "nn", "random", "dtypes", "errors", "config", "linalg"):
        assert getattr(tc.ops, sub) is getattr(tensorhouse_ops, sub)
    assert tc.ops.matmul is tensorhouse_ops.matmul and tc.ops.Variable is tensorhouse_ops.Variable


def _imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_components_imports_only_ops_numpy_and_the_stdlib():
    # PIL: Pillow (the extra `images`) for keras.utils' image helpers, on first use
    allowed = {"tensorhouse_ops", "tensorhouse_components", "numpy", "__future__", "PIL"}
    for path in SRC.rglob("*.py"):
        for root in _imported_roots(path):
            assert root in allowed or root in sys.stdlib_module_names, (path.name, root)
