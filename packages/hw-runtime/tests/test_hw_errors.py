"""tf.errors: class names, hierarchy and TF's numeric error codes."""

from __future__ import annotations

import pytest

from tensorhouse_hw_runtime import errors

# TF's error codes (tensorflow/core/protobuf/error_codes.proto).
TF_CODES = {
    "CancelledError": 1,
    "UnknownError": 2,
    "InvalidArgumentError": 3,
    "DeadlineExceededError": 4,
    "NotFoundError": 5,
    "AlreadyExistsError": 6,
    "PermissionDeniedError": 7,
    "ResourceExhaustedError": 8,
    "FailedPreconditionError": 9,
    "AbortedError": 10,
    "OutOfRangeError": 11,
    "UnimplementedError": 12,
    "InternalError": 13,
    "UnavailableError": 14,
    "DataLossError": 15,
    "UnauthenticatedError": 16,
}


def test_module_exports_exactly_tf_error_classes():
    assert set(errors.__all__) == set(TF_CODES) | {"OpError", "OperatorNotAllowedInGraphError"}


def test_operator_not_allowed_in_graph_is_a_type_error_not_an_op_error():
    cls = errors.OperatorNotAllowedInGraphError
    assert cls.__bases__ == (TypeError,)  # as TF's: raised by Python operators, not by ops
    assert not issubclass(cls, errors.OpError)


@pytest.mark.parametrize("name, code", sorted(TF_CODES.items(), key=lambda kv: kv[1]))
def test_error_class_code_and_hierarchy(name, code):
    cls = getattr(errors, name)
    assert cls.__name__ == name
    assert cls.error_code == code
    assert issubclass(cls, errors.OpError)
    assert cls.__bases__ == (errors.OpError,)  # derives from OpError only, as in TF
    err = cls(f"something about {name}")
    assert err.error_code == code
    assert str(err) == f"something about {name}"
    assert err.message == f"something about {name}"
    with pytest.raises(errors.OpError) as info:
        raise cls("boom")
    assert info.value.error_code == code


def test_op_error_base():
    assert issubclass(errors.OpError, Exception)
    assert errors.OpError.error_code == 2  # UNKNOWN, as TF's base


def test_tf_style_constructor_keeps_node_def_and_op():
    node, op = object(), object()
    err = errors.InvalidArgumentError(node, op, "bad shape [2,3]")
    assert err.node_def is node
    assert err.op is op
    assert err.message == "bad shape [2,3]"
    assert str(err) == "bad shape [2,3]"
    lone = errors.NotFoundError("no kernel")
    assert (lone.node_def, lone.op, lone.message) == (None, None, "no kernel")


def test_invalid_argument_is_not_a_value_error():
    # As in TF: callers catching ValueError must not swallow op errors.
    assert not issubclass(errors.InvalidArgumentError, ValueError)
    assert not isinstance(errors.InvalidArgumentError("x"), ValueError)


def test_classes_are_distinct():
    classes = [getattr(errors, n) for n in TF_CODES]
    assert len(set(classes)) == len(classes)
    assert not issubclass(errors.NotFoundError, errors.InvalidArgumentError)
