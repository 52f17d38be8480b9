"""``tf.train``'s checkpoints: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``,
``list_variables`` and ``load_variable``, in TensorFlow 2's own file format."""

from .saving._checkpoint import (
    Checkpoint,
    CheckpointManager,
    latest_checkpoint,
    list_variables,
    load_variable,
)

__all__ = [
    "Checkpoint", "CheckpointManager", "latest_checkpoint", "list_variables", "load_variable",
]  # fmt: skip
