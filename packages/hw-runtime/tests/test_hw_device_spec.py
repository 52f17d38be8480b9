"""DeviceSpec: parsing, printing, merging and rejecting TF device strings."""

from __future__ import annotations

import re

import pytest

from tensorhouse_hw_runtime import DeviceSpec

FULL = "/job:localhost/replica:0/task:0/device:GPU:0"


def fields(spec: DeviceSpec):
    return (spec.job, spec.replica, spec.task, spec.device_type, spec.device_index)


@pytest.mark.parametrize(
    "text, expected_fields, printed",
    [
        ("/GPU:0", (None, None, None, "GPU", 0), "/device:GPU:0"),
        ("GPU:0", (None, None, None, "GPU", 0), "/device:GPU:0"),
        ("/device:GPU:0", (None, None, None, "GPU", 0), "/device:GPU:0"),
        ("device:GPU:1", (None, None, None, "GPU", 1), "/device:GPU:1"),
        (FULL, ("localhost", 0, 0, "GPU", 0), FULL),
        ("/cpu:*", (None, None, None, "CPU", None), "/device:CPU:*"),
        ("/cpu:0", (None, None, None, "CPU", 0), "/device:CPU:0"),
        ("/gpu:3", (None, None, None, "GPU", 3), "/device:GPU:3"),
        ("/device:gpu:2", (None, None, None, "GPU", 2), "/device:GPU:2"),
        ("/device:xla_cpu:0", (None, None, None, "XLA_CPU", 0), "/device:XLA_CPU:0"),
        ("/job:worker/task:3", ("worker", None, 3, None, None), "/job:worker/task:3"),
        (
            "/job:ps/replica:2/task:1/GPU:1",
            ("ps", 2, 1, "GPU", 1),
            "/job:ps/replica:2/task:1/device:GPU:1",
        ),
        # Field order in the string does not matter; printing uses the canonical order.
        (
            "/device:CPU:0/task:4/job:w",
            ("w", None, 4, "CPU", 0),
            "/job:w/task:4/device:CPU:0",
        ),
        ("/replica:12", (None, 12, None, None, None), "/replica:12"),
        ("  /GPU:0  ", (None, None, None, "GPU", 0), "/device:GPU:0"),
        ("/cpu", (None, None, None, "CPU", None), "/device:CPU:*"),  # TF: index optional
        ("GPU", (None, None, None, "GPU", None), "/device:GPU:*"),
        ("/device:XLA_CPU:0", (None, None, None, "XLA_CPU", 0), "/device:XLA_CPU:0"),
        ("", (None, None, None, None, None), ""),
        ("/", (None, None, None, None, None), ""),
    ],
)
def test_parse_and_print(text, expected_fields, printed):
    spec = DeviceSpec.from_string(text)
    assert fields(spec) == expected_fields
    assert spec.to_string() == printed
    # Printing then parsing gives the same spec back.
    assert DeviceSpec.from_string(printed) == spec


def test_integer_fields_are_ints():
    spec = DeviceSpec.from_string("/job:a/replica:07/task:10/device:GPU:05")
    assert (spec.replica, spec.task, spec.device_index) == (7, 10, 5)
    assert all(type(v) is int for v in (spec.replica, spec.task, spec.device_index))
    assert spec.to_string() == "/job:a/replica:7/task:10/device:GPU:5"


def test_constructor_canonicalizes_type_and_ints():
    spec = DeviceSpec(job="w", replica="1", task=2, device_type="gpu", device_index="3")
    assert fields(spec) == ("w", 1, 2, "GPU", 3)
    assert spec.to_string() == "/job:w/replica:1/task:2/device:GPU:3"
    assert DeviceSpec(device_type="cpu").to_string() == "/device:CPU:*"
    assert DeviceSpec().to_string() == ""


def test_spellings_of_the_same_device_are_equal_and_hash_equal():
    spellings = ["/GPU:0", "GPU:0", "/device:GPU:0", "/gpu:0", "/device:gpu:0"]
    specs = [DeviceSpec.from_string(s) for s in spellings]
    assert len(set(specs)) == 1
    assert specs[0] != DeviceSpec.from_string(FULL)
    assert specs[0] != DeviceSpec.from_string("/GPU:1")
    assert specs[0] != "/device:GPU:0"  # a spec never equals a string


def test_repr_shows_the_string():
    assert repr(DeviceSpec.from_string("gpu:1")) == "<DeviceSpec '/device:GPU:1'>"


def test_replace_returns_a_new_spec():
    spec = DeviceSpec.from_string(FULL)
    other = spec.replace(device_type="cpu", task=5)
    assert other.to_string() == "/job:localhost/replica:0/task:5/device:CPU:0"
    assert spec.to_string() == FULL  # unchanged
    with pytest.raises(TypeError, match="colour"):
        spec.replace(colour="red")


@pytest.mark.parametrize(
    "base, override, merged",
    [
        # The argument's device wins, the base's job/replica/task stay.
        ("/job:a/replica:0/task:1/device:CPU:0", "/GPU:1", "/job:a/replica:0/task:1/device:GPU:1"),
        # Field by field: the override's job wins, the base's task stays.
        ("/job:a/task:1", "/job:b/device:GPU:0", "/job:b/task:1/device:GPU:0"),
        ("/device:GPU:0", "", "/device:GPU:0"),
        ("", "/job:x/replica:2", "/job:x/replica:2"),
        # '*' leaves the index unset, so the base's index is kept (TF's DeviceSpecV2 rule).
        ("/GPU:3", "/cpu:*", "/device:CPU:3"),
        ("/cpu:*", "/device:GPU:2", "/device:GPU:2"),
        (FULL, "/replica:4", "/job:localhost/replica:4/task:0/device:GPU:0"),
    ],
)
def test_make_merged_spec(base, override, merged):
    a, b = DeviceSpec.from_string(base), DeviceSpec.from_string(override)
    out = a.make_merged_spec(b)
    assert out.to_string() == merged
    # Both operands are left untouched.
    assert a == DeviceSpec.from_string(base)
    assert b == DeviceSpec.from_string(override)


def test_make_merged_spec_is_not_symmetric():
    a, b = DeviceSpec.from_string("/job:a/CPU:0"), DeviceSpec.from_string("/job:b/GPU:1")
    assert a.make_merged_spec(b).to_string() == "/job:b/device:GPU:1"
    assert b.make_merged_spec(a).to_string() == "/job:a/device:CPU:0"


@pytest.mark.parametrize(
    "text",
    [
        "/device:GPU",
        "XLA_CPU:0",  # types other than CPU/GPU/TPU/CUSTOM/EPU need "device:"
        "/GPU:x",
        "GPU:-1",
        "/GPU:0/CPU:0",  # two device types
        "/job:a/job:b",  # a field twice
        "/job:a/replica:x",
        "/task:1.5",
        "/task:",
        "/foo:1:2",
        "/job:localhost/replica:0/task:0/device:GPU:0:1",
        "GPU 0",
    ],
)
def test_malformed_raises_value_error_quoting_the_string(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        DeviceSpec.from_string(text)


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="must be a string"):
        DeviceSpec.from_string(0)
