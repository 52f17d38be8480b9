"""Utilities (``keras.utils``): seeding and data packing."""

from tensorhouse_components.utils import clear_session, set_random_seed

from ._data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = [
    "clear_session", "pack_x_y_sample_weight", "set_random_seed", "unpack_x_y_sample_weight",
]  # fmt: skip
