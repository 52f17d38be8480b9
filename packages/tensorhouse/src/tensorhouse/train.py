"""``tf.train``: checkpoints in TensorFlow 2's format (the models layer) and the ``Example``
family of protobuf messages (the ops layer)."""

from tensorhouse_models import ops as _ops
from tensorhouse_models import train as _checkpoints

_examples = _ops.train
__all__ = sorted(set(_checkpoints.__all__) | set(_examples.__all__))
for _name in __all__:
    _module = _checkpoints if _name in _checkpoints.__all__ else _examples
    globals()[_name] = getattr(_module, _name)
