"""The mid-level API end to end: a Dense layer, a loss, an optimizer, a Dataset and a tape."""

import numpy as np

from tensorhouse_components import layers, losses, ops, optimizers, utils
from tensorhouse_components.data import Dataset


def test_linear_regression_with_a_gradient_tape_loop():
    utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)).astype(np.float32)
    y = (x @ np.array([[2.0], [-3.0]]) + 3.0 + rng.normal(scale=0.1, size=(400, 1))).astype(
        np.float32
    )
    model = layers.Dense(1)
    loss_fn = losses.MeanSquaredError()
    optimizer = optimizers.SGD(learning_rate=0.1)
    dataset = Dataset.from_tensor_slices((x, y)).shuffle(400).batch(32)
    assert int(dataset.cardinality()) == 13

    epoch_losses = []
    for _ in range(8):
        total = 0.0
        for xb, yb in dataset:
            with ops.GradientTape() as tape:
                loss = loss_fn(yb, model(xb))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            total += float(loss) * xb.shape[0]
        epoch_losses.append(total / 400)

    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [2.0, -3.0], atol=0.1)
    np.testing.assert_allclose(bias, [3.0], atol=0.1)
    assert epoch_losses[-1] < 0.05 < epoch_losses[0]
    assert int(optimizer.iterations) == 8 * 13
