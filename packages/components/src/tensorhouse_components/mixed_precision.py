"""``keras.mixed_precision``: dtype policies under their older names, and ``LossScaleOptimizer``."""

from .dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from .optimizers import LossScaleOptimizer

__all__ = [
    "DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
    "set_dtype_policy", "set_global_policy",
]  # fmt: skip

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy
