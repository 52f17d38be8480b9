"""What tensorhouse_models passes up to the meta-package, and the layering rule on imports."""

import ast
import pathlib
import sys

import tensorhouse_components as tc
import tensorhouse_models as tm

SRC = pathlib.Path(tm.__file__).parent


def test_namespace_passes_up_the_components():
    for name in ("ops", "layers", "losses", "metrics", "optimizers", "initializers",
                 "activations", "regularizers", "data"):  # fmt: skip
        assert getattr(tm, name) is getattr(tc, name), name
    assert tm.Input is tc.layers.Input
    assert tm.utils.set_random_seed is tc.utils.set_random_seed
    for name in ("Model", "Sequential", "Input", "callbacks", "utils", "__version__"):
        assert name in tm.__all__
    for name in ("Callback", "History", "ProgbarLogger", "EarlyStopping", "LambdaCallback"):
        assert hasattr(tm.callbacks, name)
    assert issubclass(tm.Sequential, tm.Model) and issubclass(tm.Model, tm.layers.Layer)


def _imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_models_imports_only_components_numpy_rich_and_the_stdlib():
    # rich draws summary()'s table, as it does for Keras; tensorboard (optional) writes the
    # TensorBoard callback's event files; h5py reads and writes the .weights.h5 files;
    # protobuf ("google") and google_crc32c, TF's checkpoint files (train.py); onnx (optional)
    # writes export.to_onnx's files; sklearn (optional) under keras.wrappers; IPython (optional)
    # shows plot_model's image in a notebook
    allowed = {"tensorhouse_components", "tensorhouse_models", "numpy", "rich", "tensorboard",
               "h5py", "__future__", "google", "google_crc32c", "onnx", "sklearn",
               "IPython"}  # fmt: skip
    for path in SRC.rglob("*.py"):
        for root in _imported_roots(path):
            assert root in allowed or root in sys.stdlib_module_names, (path.name, root)
