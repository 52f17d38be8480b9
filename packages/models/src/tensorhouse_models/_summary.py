"""``Model.summary()``: Keras 3's box table, drawn by ``rich`` (the library Keras draws it with).

Columns: layer name (type), output shape, parameter count, and for functional models that are
not a plain chain, what each layer is connected to; ``show_trainable`` adds a Trainable column.
Below it: total, trainable and non-trainable parameters with their bytes, and the optimizer's
once it is built. The widths follow Keras: 88 columns (108 for the connected-to table, 12 more
with ``show_trainable``), at most the terminal's width less 4, split at Keras's fractions.
"""

from __future__ import annotations

import logging
import math
import shutil

import numpy as np

from tensorhouse_components.keras_ops import config as _config
from tensorhouse_components.layers import Operation as _Operation

__all__ = ["print_summary"]


def _count(weights):
    return sum(math.prod(w.shape.as_list()) for w in weights)


def _bytes(weights):
    seen = {id(w): w for w in weights}.values()
    return sum(
        math.prod(w.shape.as_list()) * np.dtype(w.dtype.as_numpy_dtype).itemsize for w in seen
    )


def _readable(n_bytes):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes / 1024 < 1 or unit == "TB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024


def _num(x):
    return f"[color({45 if x is None else 34})]{x}[/]"


def _bold(text, color=None):
    return f"[bold][color({color})]{text}[/][/]" if color else f"[bold]{text}[/]"


def _shape_str(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_str(s) for s in shape)
    dims = ", ".join(_num(d) for d in shape)
    return f"({dims}{',' if len(shape) == 1 else ''})"


def _widths(line_length, positions):
    out, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        out.append(width)
        current += width
    return out


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):  # fmt: skip
    import rich.console
    import rich.markup
    import rich.table

    if not print_fn and not _config.is_interactive_logging_enabled():
        print_fn = logging.getLogger("tensorhouse_models").info  # Keras: to absl's log
    connections = getattr(model, "_connections", None)
    chain = connections is None or model._is_chain()
    if chain:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    default = min(default, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default
    columns = [
        rich.table.Column(name, justify=a, width=w)
        for name, a, w in zip(header, align, _widths(line_length, positions))
    ]
    table = rich.table.Table(*columns, width=line_length, show_lines=True)

    def fields(layer, owner, prefix=""):
        name = rich.markup.escape(f"{prefix}{layer.name}")
        kind = type(layer).__name__
        if isinstance(layer, _Operation):  # an op node: Keras's class for it
            kind = layer.spec.class_name if layer.spec is not None else kind
        name += f" ([color(33)]{rich.markup.escape(kind)}[/])"
        if not layer.built:
            params = f"{_num(0)} (unbuilt)"
        else:
            params = _num(f"{layer.count_params():,}")
        shape_of = getattr(owner, "_output_shape_of", None) or model._output_shape_of
        row = [name, _shape_str(shape_of(layer)), params]
        if not chain:
            row.append(connections(layer))
        if show_trainable:
            if layer.weights:
                row.append(_bold("Y", 34) if layer.trainable else _bold("N", 9))
            else:
                row.append(_bold("-"))
        return row

    def rows_of(layer, owner, level=0):
        rows = [fields(layer, owner, "   " * level + "└ " if level else "")]
        if expand_nested and getattr(layer, "layers", None):
            for sub in layer.layers:
                rows.extend(rows_of(sub, layer, level + 1))
        return rows

    layers = model._summary_layers()
    if layer_range is not None:
        names = [layer.name for layer in layers]
        start, end = (names.index(n) if n in names else None for n in layer_range)
        if start is None or end is None:
            raise ValueError(
                f"layer_range={layer_range!r} names layers that the model does not have; its "
                f"layers are {names}"
            )
        layers = layers[start : end + 1]
    for layer in layers:
        for row in rows_of(layer, model):
            table.add_row(*row)

    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    n_t, n_n = _count(trainable), _count(non_trainable)
    b_t, b_n = _bytes(trainable), _bytes(non_trainable)
    optimizer = getattr(model, "optimizer", None)
    opt_vars = optimizer.variables if getattr(optimizer, "built", False) else []
    n_o, b_o = _count(opt_vars), _bytes(opt_vars)

    if print_fn:
        console = rich.console.Console(highlight=False, force_terminal=False, color_system=None)
        console.begin_capture()
    else:
        console = rich.console.Console(highlight=False)
    console.print(_bold(f'Model: "{rich.markup.escape(model.name)}"'))
    console.print(table)
    console.print(_bold(" Total params: ") + _num(f"{n_t + n_n + n_o:,}")
                  + f" ({_readable(b_t + b_n + b_o)})")  # fmt: skip
    console.print(_bold(" Trainable params: ") + _num(f"{n_t:,}") + f" ({_readable(b_t)})")
    console.print(_bold(" Non-trainable params: ") + _num(f"{n_n:,}") + f" ({_readable(b_n)})")
    if opt_vars:
        console.print(_bold(" Optimizer params: ") + _num(f"{n_o:,}") + f" ({_readable(b_o)})")
    if print_fn:
        print_fn(console.end_capture())
