"""The training engine: the trainer (compile, fit, evaluate, predict), the epoch iterator and
its data adapters, the compiled losses and metrics, and ``PyDataset``."""
