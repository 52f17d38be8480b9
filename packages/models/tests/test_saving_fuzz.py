"""The loaders fuzzed (issue 17): ``.keras`` archives, ``.weights.h5`` files and legacy ``.h5``
files with one structured change each (a zip member dropped, added, renamed or damaged; a JSON
key dropped or given a value of another type; an HDF5 dataset deleted, reshaped, retyped,
turned into a group or a link; an attribute replaced), a few thousand cases in all. Loading
either works (and the model then predicts) or raises a ``ValueError`` / ``OSError`` / TF error
(``TypeError`` for a config key the layer does not take, as Keras); nothing else, no crash, no
hang."""

from __future__ import annotations

import io
import json
import os
import random
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import tensorhouse_models as keras
from tensorhouse_models import ops
from tensorhouse_models.saving import load_model

CASES = int(os.environ.get("TENSORHOUSE_SAVING_FUZZ_CASES", "700"))  # per format
ALLOWED = (ValueError, OSError, ops.errors.OpError)
X = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
JUNK = [None, -1, 0, 2**40, -(2**63), 1e300, 1.5, "", "??", "relu", [], [1, 2], [[None]], {},
        {"class_name": "Lambda", "config": {}}, {"module": "os", "class_name": "system"},
        True]  # fmt: skip
RETYPED = [np.array([b"a", b"b"]), np.array(3, "int64"), np.zeros(0), np.array([1 + 2j]),
           np.array([True]), np.float64(1e308)]  # fmt: skip


def _model():
    model = keras.Sequential([
        keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="d1"),
        keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2, name="d2"),
    ])  # fmt: skip
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(X, np.ones((2, 2), "float32"), verbose=0)
    return model


def _mangle_json(rng, obj, depth=0):
    """``obj`` with one change at a random depth: a key dropped, a value replaced by junk."""
    if isinstance(obj, dict) and obj:
        key = rng.choice(sorted(obj))
        out = dict(obj)
        if isinstance(obj[key], (dict, list)) and obj[key] and rng.random() < 0.7:
            out[key] = _mangle_json(rng, obj[key], depth + 1)
        elif rng.random() < 0.3:
            del out[key]
        else:
            out[key] = rng.choice(JUNK)
        return out
    if isinstance(obj, list) and obj:
        i = rng.randrange(len(obj))
        out = list(obj)
        if rng.random() < 0.25:
            del out[i]
        else:
            out[i] = _mangle_json(rng, obj[i], depth + 1)
        return out
    return rng.choice(JUNK)


def _mangle_bytes(rng, data: bytes) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return data[: rng.randrange(len(data) + 1)]
    buf = bytearray(data)
    for _ in range(1 if kind == 1 else rng.randrange(2, 16)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    if kind == 3:
        buf += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return bytes(buf)


def _mangle_h5(rng, data: bytes) -> bytes:
    """The HDF5 file in ``data`` with one structural change (h5py in memory)."""
    buf = io.BytesIO(data)
    with h5py.File(buf, "r+") as f:
        names = []
        f.visit(names.append)
        attrs = [(n, a) for n in ["", *names] for a in (f[n] if n else f).attrs]
        kind = rng.randrange(7)
        if kind == 6 and attrs:
            owner, attr = rng.choice(attrs)
            obj = f[owner] if owner else f
            value = obj.attrs[attr]
            if isinstance(value, bytes | str) and value[:1] in (b"{", "{"):
                text = value.decode() if isinstance(value, bytes) else value
                obj.attrs[attr] = json.dumps(_mangle_json(rng, json.loads(text)))
            else:
                obj.attrs[attr] = rng.choice([np.int64(3), "junk", np.zeros((2, 2)), [b"x", b""]])
            return buf.getvalue()
        if not names:
            return buf.getvalue()
        name = rng.choice(names)
        obj = f[name]
        parent = obj.parent
        base = name.rsplit("/", 1)[-1]
        if kind == 0:
            del f[name]
        elif kind == 1 and isinstance(obj, h5py.Dataset):
            shape = tuple(d + rng.choice([-1, 1]) for d in obj.shape) or (2,)
            del f[name]
            parent.create_dataset(base, data=np.ones([max(d, 0) for d in shape], "float32"))
        elif kind == 2 and isinstance(obj, h5py.Dataset):
            del f[name]
            parent.create_dataset(base, data=rng.choice(RETYPED))
        elif kind == 3:
            del f[name]
            parent.create_group(base)
        elif kind == 4:
            del f[name]
            parent[base] = h5py.SoftLink(rng.choice(["/", "/" + name, "/nowhere"]))
        elif isinstance(obj, h5py.Group):
            obj.create_dataset(f"extra{rng.randrange(10**6)}", data=np.ones(2))
        else:  # an extra weight beside it
            parent.create_dataset(f"{base}_{rng.randrange(10**6)}", data=np.ones(2))
    return buf.getvalue()


def _rezip(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _mangle_archive(rng, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    kind = rng.randrange(5)
    if kind == 0:
        return _mangle_bytes(rng, data)
    if kind == 1:
        victim = rng.choice(sorted(members))
        data = members.pop(victim)
        if rng.random() < 0.5:
            members[rng.choice(["../x.json", "/abs.h5", victim.upper(), "assets/x"])] = data
        return _rezip(members)
    name = rng.choice(sorted(members))
    if name.endswith(".json") and kind == 2:
        members[name] = json.dumps(_mangle_json(rng, json.loads(members[name]))).encode()
    elif name.endswith(".h5") and kind in (2, 3):
        members[name] = _mangle_h5(rng, members[name])
    else:
        members[name] = _mangle_bytes(rng, members[name])
    return _rezip(members)


def _outcomes(tmp_path, filename, good: bytes, mangle, load, seed):
    rng = random.Random(seed)
    path = tmp_path / filename
    counts: dict = {}
    for i in range(CASES):
        path.write_bytes(mangle(rng, good))
        try:
            with warnings.catch_warnings():  # Keras's warnings (a skipped optimizer state)
                warnings.simplefilter("ignore", UserWarning)
                out = np.asarray(load(str(path))(X, training=False))
            key = "ok"
            assert out.shape[0] == 2
        except ALLOWED as e:
            key = type(e).__name__
            assert str(e), f"case {i}: {key} without a message"
        except TypeError as e:  # Keras's class for a config key the layer does not take
            assert str(e).startswith("Unrecognized keyword arguments"), f"case {i}: {e}"
            key = "TypeError"
        except Exception as e:  # anything else is a defect
            raise AssertionError(f"case {i} (seed {seed}): {type(e).__name__}: {e}") from e
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_fuzzed_keras_archives(tmp_path):
    _model().save(tmp_path / "good.keras")
    good = (tmp_path / "good.keras").read_bytes()
    counts = _outcomes(tmp_path, "c.keras", good, _mangle_archive, load_model, 17)
    print(counts)
    assert counts.get("ok", 0) > CASES // 20 and counts.get("ValueError", 0) > CASES // 4


def test_fuzzed_weights_files(tmp_path):
    _model().save_weights(tmp_path / "good.weights.h5")
    good = (tmp_path / "good.weights.h5").read_bytes()
    target = _model()

    def load(path):
        target.load_weights(path)
        return target

    def mangle(rng, data):
        return _mangle_h5(rng, data) if rng.random() < 0.7 else _mangle_bytes(rng, data)

    counts = _outcomes(tmp_path, "c.weights.h5", good, mangle, load, 18)
    print(counts)
    assert counts.get("ok", 0) > CASES // 20 and counts.get("ValueError", 0) > CASES // 4


def test_fuzzed_legacy_h5_files(tmp_path):
    with pytest.warns(UserWarning, match="considered legacy"):  # Keras's warning, as Keras
        _model().save(tmp_path / "good.h5")
    good = (tmp_path / "good.h5").read_bytes()

    def mangle(rng, data):
        return _mangle_h5(rng, data) if rng.random() < 0.8 else _mangle_bytes(rng, data)

    counts = _outcomes(tmp_path, "c.h5", good, mangle, load_model, 19)
    print(counts)
    assert counts.get("ok", 0) > CASES // 20 and counts.get("ValueError", 0) > CASES // 4
