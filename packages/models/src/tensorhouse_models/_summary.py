"""``Model.summary()``: a table of layers, output shapes and parameter counts."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["print_summary"]


def _count(weights):
    return sum(math.prod(w.shape.as_list()) for w in weights)


def _bytes(weights):
    return sum(
        math.prod(w.shape.as_list()) * np.dtype(w.dtype.as_numpy_dtype).itemsize for w in weights
    )


def _readable(n_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024


def _shape_str(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_str(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(
        shape) == 1 else "") + ")"  # fmt: skip


def print_summary(model, line_length=None, print_fn=None):
    if not model.built:
        raise ValueError(
            f"Model {model.name!r} has not yet been built. Build the model first by calling "
            "`build()`, by calling it on a batch of data, or by starting it with an Input."
        )
    print_fn = print_fn or (lambda line: print(line, flush=True))
    rows = [
        (f"{layer.name} ({type(layer).__name__})", _shape_str(model._output_shape_of(layer)),
         str(layer.count_params() if layer.built else 0))
        for layer in model._summary_layers()
    ]  # fmt: skip
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(r[i]) for r in [*rows, header]) + 3 for i in range(3)]
    total = max(line_length or 65, sum(widths) + 1)
    widths[0] += total - (sum(widths) + 1)

    def line(cells):
        return " " + "".join(c.ljust(w) for c, w in zip(cells[:2], widths[:2])) + cells[
            2].rjust(widths[2] - 3)  # fmt: skip

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * total)
    print_fn(line(header))
    print_fn("=" * total)
    for i, row in enumerate(rows):
        print_fn(line(row))
        if i < len(rows) - 1:
            print_fn("")
    print_fn("=" * total)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    n_t, n_n = _count(trainable), _count(non_trainable)
    b_t, b_n = _bytes(trainable), _bytes(non_trainable)
    print_fn(f"Total params: {n_t + n_n:,} ({_readable(b_t + b_n)})")
    print_fn(f"Trainable params: {n_t:,} ({_readable(b_t)})")
    print_fn(f"Non-trainable params: {n_n:,} ({_readable(b_n)})")
    print_fn("_" * total)
