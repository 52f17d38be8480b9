"""Callbacks (``keras.callbacks``): hooks called by ``fit``, ``evaluate`` and ``predict``, one
module per callback."""

from ._backup_and_restore import BackupAndRestore
from ._callback import Callback
from ._callback_list import CallbackList
from ._csv_logger import CSVLogger
from ._early_stopping import EarlyStopping
from ._history import History
from ._lambda_callback import LambdaCallback
from ._lr_callbacks import LearningRateScheduler, ReduceLROnPlateau
from ._model_checkpoint import ModelCheckpoint
from ._progbar import Progbar
from ._progbar_logger import ProgbarLogger
from ._remote_monitor import RemoteMonitor
from ._swap_ema_weights import SwapEMAWeights
from ._tensorboard import TensorBoard
from ._terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
    "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "Progbar", "ProgbarLogger",
    "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN",
]  # fmt: skip
