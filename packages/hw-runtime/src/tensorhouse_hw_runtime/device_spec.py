"""TF-style device names: ``DeviceSpec`` parses, prints and merges them.

Accepted spellings (case of the device type is ignored, as in TF)::

    /GPU:0   GPU:0   /device:GPU:0   /job:localhost/replica:0/task:0/device:GPU:0   /cpu:*
"""

from __future__ import annotations

import functools

__all__ = ["DeviceSpec"]

# Device types TF accepts without the "device:" prefix ("/GPU:0", "/cpu"); any type may be
# spelled with it ("/device:XLA_CPU:0").
_SHORT_TYPES = frozenset({"CPU", "GPU", "TPU", "CUSTOM", "EPU"})


class DeviceSpec:
    """A (possibly partial) device specification, as TF's ``tf.DeviceSpec``.

    Unset fields are ``None``; ``make_merged_spec`` fills them from another spec.
    """

    __slots__ = ("_job", "_replica", "_task", "_device_type", "_device_index", "_str")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self._job = job
        self._replica = None if replica is None else int(replica)
        self._task = None if task is None else int(task)
        self._device_type = None if device_type is None else _canonical_type(device_type)
        self._device_index = None if device_index is None else int(device_index)
        self._str = None

    job = property(lambda self: self._job)
    replica = property(lambda self: self._replica)
    task = property(lambda self: self._task)
    device_type = property(lambda self: self._device_type)
    device_index = property(lambda self: self._device_index)

    @classmethod
    def from_string(cls, spec: str) -> DeviceSpec:
        return _parse(spec)

    def to_string(self) -> str:
        if self._str is None:
            parts = []
            if self._job is not None:
                parts.append(f"/job:{self._job}")
            if self._replica is not None:
                parts.append(f"/replica:{self._replica}")
            if self._task is not None:
                parts.append(f"/task:{self._task}")
            if self._device_type is not None:
                index = "*" if self._device_index is None else self._device_index
                parts.append(f"/device:{self._device_type}:{index}")
            self._str = "".join(parts)
        return self._str

    def make_merged_spec(self, dev: DeviceSpec) -> DeviceSpec:
        """A new spec: ``dev``'s set fields override this spec's."""
        theirs, mine = dev._key(), self._key()
        return DeviceSpec(*(m if t is None else t for m, t in zip(mine, theirs)))

    def replace(self, **kwargs) -> DeviceSpec:
        fields = {
            "job": self._job,
            "replica": self._replica,
            "task": self._task,
            "device_type": self._device_type,
            "device_index": self._device_index,
        }
        unknown = set(kwargs) - set(fields)
        if unknown:
            raise TypeError(f"DeviceSpec.replace() got unexpected fields: {sorted(unknown)}")
        fields.update(kwargs)
        return DeviceSpec(**fields)

    def _key(self):
        return (self._job, self._replica, self._task, self._device_type, self._device_index)

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"<DeviceSpec {self.to_string()!r}>"


def _canonical_type(device_type: str) -> str:
    return device_type.upper()  # TF accepts 'cpu' and 'gpu' and prints 'CPU' and 'GPU'.


@functools.lru_cache(maxsize=256)
def _parse(spec: str) -> DeviceSpec:
    """TF's grammar: '/'-separated job:NAME, replica:N, task:N, and TYPE[:N|*] (for CPU, GPU,
    TPU, CUSTOM and EPU) or device:TYPE:N|*."""
    if not isinstance(spec, str):
        raise TypeError(f"A device name must be a string, got {type(spec).__name__}: {spec!r}")
    fields: dict = {}
    for piece in spec.strip().split("/"):
        if not piece:
            continue
        parts = piece.split(":")
        head = parts[0]
        if len(parts) == 2 and head in ("job", "replica", "task"):
            key, value = head, parts[1]
            if key != "job":
                value = _int(spec, key, value)
        elif len(parts) in (1, 2) and head.upper() in _SHORT_TYPES:
            key, value = "device", (head, parts[1] if len(parts) == 2 else "*")
        elif len(parts) == 3 and head == "device" and parts[1]:
            key, value = "device", (parts[1], parts[2])
        else:
            raise ValueError(
                f"Malformed device specification {spec!r}: cannot parse {piece!r}; expected "
                "'/GPU:0', 'GPU:0', '/device:GPU:0' or "
                "'/job:localhost/replica:0/task:0/device:GPU:0'"
            )
        if key in fields:
            raise ValueError(f"Malformed device specification {spec!r}: {key!r} given twice")
        fields[key] = value
    device_type, index = fields.pop("device", (None, "*"))
    if device_type is not None:
        fields["device_type"] = device_type
        fields["device_index"] = None if index == "*" else _int(spec, "device index", index)
    return DeviceSpec(**fields)


def _int(spec: str, what: str, value: str) -> int:
    if not value.isdigit():
        raise ValueError(
            f"Malformed device specification {spec!r}: {what} must be a non-negative integer, "
            f"got {value!r}"
        )
    return int(value)
