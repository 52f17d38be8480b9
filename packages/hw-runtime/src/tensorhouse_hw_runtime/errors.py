"""TensorFlow's error classes (``tf.errors``), shared by every layer above.

Each class keeps TF's name and its ``error_code`` and, as in TF, derives from ``OpError``
only (an ``InvalidArgumentError`` is not a ``ValueError``).
"""

from __future__ import annotations

__all__ = [
    "OpError",
    "CancelledError",
    "UnknownError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "UnimplementedError",
    "InternalError",
    "UnavailableError",
    "DataLossError",
    "UnauthenticatedError",
    "OperatorNotAllowedInGraphError",
]


class OpError(Exception):
    """Base class of the errors an op raises when it fails (TF's ``tf.errors.OpError``)."""

    error_code = 2

    def __init__(self, node_def=None, op=None, message=None, *args):
        # TF's signature is (node_def, op, message); accept a lone message too.
        if message is None and op is None and isinstance(node_def, str):
            node_def, message = None, node_def
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _make(name: str, code: int, doc: str) -> type[OpError]:
    return type(name, (OpError,), {"error_code": code, "__doc__": doc})


CancelledError = _make("CancelledError", 1, "An operation was cancelled.")
UnknownError = _make("UnknownError", 2, "An unknown error.")
InvalidArgumentError = _make(
    "InvalidArgumentError", 3, "An op received an invalid argument (shape, dtype, value)."
)
DeadlineExceededError = _make("DeadlineExceededError", 4, "A deadline expired.")
NotFoundError = _make("NotFoundError", 5, "A requested entity (a kernel, a file) was not found.")
AlreadyExistsError = _make("AlreadyExistsError", 6, "An entity that should be new already exists.")
PermissionDeniedError = _make("PermissionDeniedError", 7, "Permission denied.")
ResourceExhaustedError = _make("ResourceExhaustedError", 8, "A resource (memory) is exhausted.")
FailedPreconditionError = _make(
    "FailedPreconditionError", 9, "The system is not in a state the operation needs."
)
AbortedError = _make("AbortedError", 10, "An operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", 11, "An operation ran past the valid range.")
UnimplementedError = _make("UnimplementedError", 12, "The operation is not implemented.")
InternalError = _make("InternalError", 13, "An internal invariant was broken.")
UnavailableError = _make("UnavailableError", 14, "The runtime is unavailable.")
DataLossError = _make("DataLossError", 15, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _make("UnauthenticatedError", 16, "The request is not authenticated.")


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operation on a symbolic tensor that a traced function cannot express (using it
    as a ``bool``, iterating over it); a ``TypeError`` as in TF, not an ``OpError``."""
