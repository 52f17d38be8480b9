"""``tf.experimental``: the names of it that tensorhouse has (``Optional``)."""

from tensorhouse_models import data as _data

Optional = _data.Optional

__all__ = ["Optional"]
