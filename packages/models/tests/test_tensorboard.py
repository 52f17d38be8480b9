"""The TensorBoard callback: event files read back with TensorBoard's own reader."""

import numpy as np
import pytest

from tensorhouse_models import Input, Sequential, callbacks, layers, optimizers

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

RNG = np.random.default_rng(5)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-1.0], [2.0]])).astype(np.float32)


def _read(directory):
    acc = event_accumulator.EventAccumulator(str(directory), size_guidance={"histograms": 0})
    acc.Reload()
    return acc


def test_epoch_batch_and_validation_scalars_and_histograms(tmp_path):
    model = Sequential(
        [Input(shape=(3,)), layers.Dense(2, name="hidden"), layers.Dense(1)], name="seq"
    )
    model.compile(optimizers.SGD(learning_rate=0.01), "mse", metrics=["mae"])
    tb = callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1, update_freq=2)
    history = model.fit(X, Y, batch_size=10, epochs=3, validation_split=0.25, verbose=0,
                        callbacks=[tb])  # fmt: skip
    train, val = _read(tmp_path / "train"), _read(tmp_path / "validation")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate", "batch_loss", "batch_mae"} <= set(
        tags["scalars"]
    )
    losses = [e.value for e in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == pytest.approx([0.01] * 3)
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8]  # 3 batches an epoch
    val_losses = [e.value for e in val.Scalars("epoch_loss")]
    np.testing.assert_allclose(val_losses, history.history["val_loss"], rtol=1e-6)
    assert [e.step for e in val.Scalars("evaluation_loss_vs_iterations")] == [3, 6, 9]
    kernel_tag = "seq/hidden/kernel/histogram"  # Keras 3 tags the weight path
    assert kernel_tag in tags["histograms"], tags["histograms"]
    last = train.Histograms(kernel_tag)[-1]
    kernel = model.get_layer("hidden").get_weights()[0]
    assert last.step == 2 and last.histogram_value.num == kernel.size
    np.testing.assert_allclose(last.histogram_value.sum, kernel.sum(), rtol=1e-5)
    np.testing.assert_allclose([last.histogram_value.min, last.histogram_value.max],
                               [kernel.min(), kernel.max()], rtol=1e-6)  # fmt: skip
    assert sum(last.histogram_value.bucket) == kernel.size


def test_histogram_of_a_constant_and_bad_arguments():
    from tensorboard.compat.proto import summary_pb2

    from tensorhouse_models.callbacks._tensorboard import histogram_proto

    h = histogram_proto(summary_pb2, np.full((2, 3), 0.5))
    assert list(h.bucket) == [6.0] and list(h.bucket_limit) == [0.5] and h.sum == 3.0
    h = histogram_proto(summary_pb2, np.arange(10.0))
    assert len(h.bucket) == 30 and sum(h.bucket) == 10 and h.bucket_limit[-1] == 9.0
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq=0)
