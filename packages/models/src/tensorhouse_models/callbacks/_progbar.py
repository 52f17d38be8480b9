"""``Progbar`` (``keras.utils.Progbar``): Keras 3's progress bar.

On a terminal (``verbose=1``) one line is redrawn in place, at most every ``interval`` seconds:
``" 3/13 ━━━━━━━━━━━━━━━━━━━━ 2s 5ms/step - accuracy: 0.5000 - loss: 0.9000"`` with the ETA
while it runs and the elapsed time once it is done. When the output is not a terminal only the
finished line is printed. ``verbose=2`` prints one plain line at the end:
``"13/13 - 0s - 5ms/step - accuracy: 0.5000 - loss: 0.9000"``.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time

import numpy as np

from tensorhouse_components.keras_ops import config as _config

__all__ = ["Progbar", "format_value"]

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR = "\u2501"  # a heavy horizontal line, Keras's bar glyph


def format_value(v) -> str:
    """Keras's number format: four decimals, scientific notation below 1e-3."""
    if isinstance(v, float | np.floating):
        return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 or not math.isfinite(v) else f"{v:.4e}"
    return str(v)


def _format_eta(seconds) -> str:
    if seconds >= 3600:
        return f"{int(seconds) // 3600}:{int(seconds) % 3600 // 60:02d}:{int(seconds) % 60:02d}"
    if seconds >= 60:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
    return f"{seconds:.0f}s"


def _format_per_unit(seconds, unit) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules or bool(
        os.environ.get("TENSORHOUSE_PROGBAR_LIVE")
    )  # fmt: skip


class Progbar:
    """A progress bar over ``target`` steps (``None``: unknown, counted as it goes)."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None):  # fmt: skip
        self.target = target
        self.width = int(width)
        self.verbose = verbose
        self.interval = float(interval)
        self.unit_name = unit_name
        self._stream = stream
        self._values: dict = {}
        self._seen = 0
        self._start = time.time()
        self._last_draw = 0.0
        self._drawn_width = 0
        self._live = None

    @property
    def stream(self):
        return self._stream or sys.stdout

    def update(self, current, values=None, finalize=None):
        """Move to step ``current`` with ``values`` (pairs of name and value, or a dict)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values.items() if isinstance(values, dict) else values or []:
            self._values[k] = v
        self._seen = current
        now = time.time()
        if self.verbose == 1:
            if self._live is None:
                self._live = _is_terminal(self.stream)
            if not finalize and (not self._live or now - self._last_draw < self.interval):
                return
            self._last_draw = now
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            elapsed = now - self._start
            per = elapsed / max(current, 1)
            target = self.target if self.target is not None else current
            width = len(str(target))
            line = f"{current:{width}d}/{target} - {elapsed:.0f}s - "
            line += _format_per_unit(per, self.unit_name) + self._metrics_text()
            self._emit(line + "\n")

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _metrics_text(self) -> str:
        return "".join(f" - {k}: {format_value(scalar(v))}" for k, v in self._values.items())

    def _draw(self, current, now, finalize):
        elapsed = now - self._start
        per = elapsed / current if current else 0.0
        if self.target is not None:
            width = len(str(self.target))
            count = f"{current:{width}d}/{self.target}"
            done = min(int(self.width * current / self.target), self.width) if self.target else 0
        else:
            count, done = f"{current}", self.width
        bar = f"{_BOLD}{count}{_RESET} {_GREEN}{_BAR * done}{_RESET}"
        bar += f"{_GREY}{_BAR * (self.width - done)}{_RESET}"
        if finalize or self.target is None:
            clock = _format_eta(elapsed)
        else:
            clock = _format_eta(per * (self.target - current))
        line = f"{bar} {_BOLD}{clock}{_RESET} {_format_per_unit(per, self.unit_name)}"
        line += self._metrics_text()
        pad = max(self._drawn_width - len(line), 0)
        self._drawn_width = len(line)
        prefix = "\r" if self._live else ""
        self._emit(prefix + line + " " * pad + ("\n" if finalize else ""))

    def _emit(self, text):
        """To the stream, or to the log once interactive logging is off (Keras's switch)."""
        if not _config.is_interactive_logging_enabled():
            logging.getLogger("tensorhouse_models").info(text)
            return
        self.stream.write(text)
        self.stream.flush()


def scalar(v):
    """A log value as a Python float (a scalar tensor is read back); other values unchanged."""
    if hasattr(v, "numpy"):
        v = v.numpy()
    try:
        return float(np.asarray(v))
    except (TypeError, ValueError):
        return v
