"""TFRecord framing and ``tf.train.Example`` parsing in C++ (``cpp/example_parse.cpp``), for the
ops layer's ``tf.io`` and ``tf.data`` readers."""

from __future__ import annotations

import types

from .cpu import _cpu

__all__ = ["host_records"]

host_records = types.SimpleNamespace(
    split_records=_cpu.split_records,
    masked_crc32c=_cpu.masked_crc32c,
    parse_example_dense=_cpu.parse_example_dense,
)
host_records.__doc__ = (
    "TFRecord framing and Example parsing on the host, in C++: split_records(buf, start, "
    "max_records) -> (records, end, status), masked_crc32c(data), and "
    "parse_example_dense(serialized, keys, kinds, sizes, outs) -> bool (False: not the regular "
    "case, parse the slow way)."
)
