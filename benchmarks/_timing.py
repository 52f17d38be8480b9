"""Timing helpers shared by the benchmarks: best-of-repeats per call, in microseconds."""

from __future__ import annotations

import timeit


def per_call_us(fn, number=20000, repeat=7) -> float:
    """Best per-call time over ``repeat`` runs of ``number`` calls (noise only adds time)."""
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def table(rows, header=("case", "us/call", "ratio")) -> str:
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{header[0]:<{width}}{header[1]:>10}  {header[2]}"]
    for name, us, note in rows:
        lines.append(f"{name:<{width}}{us:>10.3f}  {note}")
    return "\n".join(lines)
