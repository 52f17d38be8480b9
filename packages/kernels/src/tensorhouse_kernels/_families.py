"""Kernel tables split by op family: one module per family, merged into one table per device."""

from __future__ import annotations


def merge_tables(families) -> tuple[dict, dict]:
    """``(table, family)``: the ``TABLE`` of each family module in one dict, and each op's
    family name (the module's last name). An op in two families is a ValueError at import."""
    table: dict = {}
    family: dict = {}
    for module in families:
        name = module.__name__.rsplit(".", 1)[-1]
        for op, fn in module.TABLE.items():
            if op in table:
                raise ValueError(f"op {op!r} is in two families: {family[op]} and {name}")
            table[op] = fn
            family[op] = name
    return table, family
