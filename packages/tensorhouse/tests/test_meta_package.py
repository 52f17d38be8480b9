"""`import tensorhouse as tf`: TF's names, a lazy import, the demo and the CLI."""

import subprocess
import sys

import numpy as np

import tensorhouse as tf


def test_tf_names_resolve_to_the_layers():
    names = ["constant", "Variable", "GradientTape", "matmul", "reduce_mean", "square",
             "float32", "random", "errors", "config", "device", "nn", "math"]  # fmt: skip
    for name in names:
        assert getattr(tf, name) is not None, name
    assert tf.keras.layers.Dense is not None and tf.keras.Sequential is not None
    assert tf.keras.optimizers.SGD is not None and tf.keras.losses.MeanSquaredError is not None
    assert tf.data.Dataset is not None
    x = tf.constant([[1.0, 2.0]])
    np.testing.assert_allclose(tf.matmul(x, tf.constant([[3.0], [4.0]])).numpy(), [[11.0]])
    assert tf.config.list_physical_devices("CPU")[0].name == "/physical_device:CPU:0"


def test_import_is_lazy():
    code = (
        "import sys, tensorhouse; "
        "print(sorted(m for m in sys.modules if m.startswith('tensorhouse_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_name_is_an_attribute_error():
    try:
        tf.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("expected AttributeError")


def test_demo_recovers_w_and_b_at_every_level(capsys):
    from tensorhouse import demo

    assert demo.regression_tour() == 0
    out = capsys.readouterr().out
    assert out.count("OK") == 3, out
    for level in ("1. ops", "2. components", "3. models"):
        assert level in out
    assert "w = [+2.0000, -3.0000] and b = +3.0000" in out


def test_demo_digits_classifier(capsys, tmp_path):
    from tensorhouse import demo

    png = tmp_path / "demo.png"
    assert demo.digits_classifier(verbose=0, png=str(png)) == 0
    out = capsys.readouterr().out
    if "skipped" in out:  # scikit-learn (the demo extra) is not installed here
        return
    accuracy = float(out.split("accuracy ")[1].split(",")[0])
    assert accuracy >= demo.MIN_DIGITS_ACCURACY
    rows = [line.split() for line in out.splitlines() if line[:6].strip().isdigit()]
    assert sum(int(v) for row in rows[-10:] for v in row[1:]) == 360  # the held-out images
    assert png.exists() == ("written to" in out)
    assert "loaded back: the same predictions" in out


def test_confusion_matrix_counts_pairs():
    from tensorhouse import demo

    m = demo.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), n=3)
    np.testing.assert_array_equal(m, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_cli_info_reports_devices_and_kernels():
    out = subprocess.run(
        [sys.executable, "-m", "tensorhouse", "info"], capture_output=True, text=True, check=True
    ).stdout
    assert "/job:localhost/replica:0/task:0/device:CPU:0" in out
    assert "OpenBLAS" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("CPU "))
    assert int(line.split()[1]) > 50  # kernels registered for the CPU


def test_keras_saving_names():
    from tensorhouse_models import saving

    assert tf.keras.models.load_model is saving.load_model
    assert tf.keras.saving.register_keras_serializable is saving.register_keras_serializable
