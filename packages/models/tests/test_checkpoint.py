"""``train.Checkpoint`` / ``CheckpointManager`` and the tensor bundle under them: SSTable and
bundle round trips, byte-level agreement with TF's files (committed under tests/compat/data),
the object graph's keys, restore checks, the manager's bookkeeping, and a fuzzed loader."""

from __future__ import annotations

import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tensorhouse_models as keras
from tensorhouse_components import ops
from tensorhouse_components.data import Dataset
from tensorhouse_components.ops import errors
from tensorhouse_models import train
from tensorhouse_models.saving import _tensor_bundle as tb
from tensorhouse_models.saving._checkpoint_protos import BundleHeaderProto, TrackableObjectGraph

DATA = Path(__file__).resolve().parents[3] / "tests" / "compat" / "data" / "checkpoints"
TF_MODEL = str(DATA / "model" / "ckpt-1")
L = keras.layers


def _sequential():
    return keras.Sequential([
        keras.Input((3,)), L.Dense(4, activation="relu"), L.BatchNormalization(), L.Dense(2),
    ])  # fmt: skip


# --------------------------------------------------------------------------- SSTable / bundle


@pytest.mark.parametrize("block_size", [64, 262144])
def test_sstable_round_trip(monkeypatch, block_size):
    monkeypatch.setattr(tb, "_BLOCK_SIZE", block_size)
    items = [(b"", b"header")] + [
        (f"key/{i:04d}/x".encode(), bytes([i % 7]) * (i % 5)) for i in range(100)
    ]
    data = tb.build_table(items)
    assert struct.unpack("<Q", data[-8:])[0] == 0xDB4775248B80FB57
    assert tb.read_table(data) == items


def test_sstable_prefix_compression_and_restarts():
    items = [(f"a{i:03d}".encode(), b"v") for i in range(40)]
    table = tb.build_table(items)
    ((_, handle),) = tb._block_entries(tb._block(table, _index_handle(table), "index"))
    block = tb._block(table, tb._decode_handle(handle), "data")
    assert struct.unpack("<I", block[-4:])[0] == 3  # a restart point every 16 keys
    # the second entry shares "a00" with the first: shared=3, unshared=1, value length=1
    assert block[len(b"\x00\x04\x01a000v") : len(b"\x00\x04\x01a000v") + 3] == b"\x03\x01\x01"
    assert tb.read_table(table) == items


def _index_handle(table: bytes):
    footer = table[-48:]
    _, pos = tb._read_varint(footer, 0, 40, "f")
    _, pos = tb._read_varint(footer, pos, 40, "f")
    offset, pos = tb._read_varint(footer, pos, 40, "f")
    size, _ = tb._read_varint(footer, pos, 40, "f")
    return offset, size


def test_masked_crc_known_value():
    # TF's crc32c::Mask of crc32c(b"") == 0 is 0xa282ead8; of "abc" it is rotate + delta.
    assert tb.masked_crc(b"") == 0xA282EAD8
    crc = 0x364B3FB7  # crc32c("abc")
    assert tb.masked_crc(b"abc") == ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def test_reads_tf_index_and_header():
    items = tb.read_table((DATA / "model" / "ckpt-1.index").read_bytes())
    assert items[0][0] == b""
    header = BundleHeaderProto.FromString(items[0][1])
    assert (header.num_shards, header.endianness, header.version.producer) == (1, 0, 1)
    keys = [k.decode() for k, _ in items[1:]]
    assert keys == sorted(keys) and "_CHECKPOINTABLE_OBJECT_GRAPH" in keys


def test_rewriting_tf_tensors_gives_tf_bytes_and_checksums(tmp_path):
    tf_reader = tb.BundleReader(TF_MODEL)
    tensors = {k: (tf_reader.dtype_name(k), tf_reader.tensor(k)) for k in tf_reader.keys()}
    tb.write_bundle(str(tmp_path / "x"), tensors)
    mine = tb.BundleReader(str(tmp_path / "x"))
    tf_data = (DATA / "model" / "ckpt-1.data-00000-of-00001").read_bytes()
    my_data = Path(tb.data_path(str(tmp_path / "x"))).read_bytes()
    for key in tf_reader.keys():
        a, b = tf_reader.entry(key), mine.entry(key)
        assert (a.dtype, a.crc32c, a.size, a.shape) == (b.dtype, b.crc32c, b.size, b.shape), key
        assert tf_data[a.offset : a.offset + a.size] == my_data[b.offset : b.offset + b.size]


@pytest.mark.parametrize(
    "value",
    [
        np.arange(6, dtype="float32").reshape(2, 3) - 2.5,
        np.array(3.25, dtype="float64"),
        np.array([1, -2], dtype="int8"),
        np.array([[7]], dtype="uint64"),
        np.array([65535, 3], dtype="uint16"),
        np.array([-(2**40)], dtype="int64"),
        np.array([True, False, True]),
        np.array([1.5, -2.0], dtype="float16"),
        np.array([1 + 2j], dtype="complex64"),
        np.zeros((0, 3), dtype="int32"),
        np.array([1.5, -0.25], dtype=ops.bfloat16.as_numpy_dtype),
    ],
)
def test_bundle_round_trip_dtypes(tmp_path, value):
    name = value.dtype.name
    tb.write_bundle(str(tmp_path / "b"), {"t": (name, value)})
    out = tb.BundleReader(str(tmp_path / "b")).tensor("t")
    assert out.dtype == value.dtype and out.shape == value.shape
    np.testing.assert_array_equal(out, value)


def test_bundle_round_trip_strings(tmp_path):
    value = np.array([[b"", b"abc"], ["\u00e9t\u00e9".encode(), b"\x00" * 200]], dtype=object)
    tb.write_bundle(str(tmp_path / "s"), {"s": ("string", value)})
    out = tb.BundleReader(str(tmp_path / "s")).tensor("s")
    assert out.shape == (2, 2) and list(out.reshape(-1)) == list(value.reshape(-1))


# --------------------------------------------------------------------------- the object graph


def test_module_keys_values_and_graph(tmp_path):
    mod = ops.Module()
    mod.w = ops.Variable([[1.0, 2.0]])
    mod.items = [ops.Variable(3, dtype=ops.int64), {"a.b/c": ops.Variable(4.5)}]
    mod.skip = [1, 2]
    path = train.Checkpoint(mod=mod, v=ops.Variable(True)).write(str(tmp_path / "m"))
    assert [(k, s) for k, s in train.list_variables(path)] == [
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []),
        ("mod/items/0/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("mod/items/1/a..b.Sc/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("mod/w/.ATTRIBUTES/VARIABLE_VALUE", [1, 2]),
        ("v/.ATTRIBUTES/VARIABLE_VALUE", []),
    ]
    assert train.load_variable(path, "mod/items/1/a..b.Sc/.ATTRIBUTES/VARIABLE_VALUE") == 4.5
    graph = TrackableObjectGraph.FromString(
        train.load_variable(path, "_CHECKPOINTABLE_OBJECT_GRAPH")
    )
    assert [c.local_name for c in graph.nodes[0].children] == ["mod", "v"]
    assert all(n.has_checkpoint_values.value for n in graph.nodes)


def test_keras_keys_are_tfs(tmp_path):
    model = _sequential()
    opt = keras.optimizers.SGD(0.1, momentum=0.9)
    model.compile(opt, "mse")
    opt.build(model.trainable_variables)
    path = train.Checkpoint(model=model).write(str(tmp_path / "k"))
    # TF 2.21's list for the same model: the first path breadth first, so the trainable
    # variables are reached through the compiled model's optimizer.
    expected = [
        "model/_functional/_operations/2/moving_mean",
        "model/_functional/_operations/2/moving_variance",
        "model/optimizer/_iterations", "model/optimizer/_learning_rate",
        *[f"model/optimizer/_trainable_variables/{i}" for i in range(6)],
        *[f"model/optimizer/_variables/{i}" for i in range(2, 8)],
    ]  # fmt: skip
    keys = [k for k, _ in train.list_variables(path)]
    assert keys == ["_CHECKPOINTABLE_OBJECT_GRAPH"] + [
        k + "/.ATTRIBUTES/VARIABLE_VALUE" for k in expected
    ]
    # without the optimizer, Dense keeps Keras 3's ``_kernel`` name
    keys = [
        k
        for k, _ in train.list_variables(
            train.Checkpoint(m=_sequential()).write(str(tmp_path / "n"))
        )
    ]
    assert "m/_functional/_operations/3/_kernel/.ATTRIBUTES/VARIABLE_VALUE" in keys


def test_restores_tf_written_model_and_builds_optimizer():
    expected = np.load(DATA / "model_expected.npz")
    model = _sequential()
    opt = keras.optimizers.Adam(0.01)
    model.compile(opt, "mse")
    ckpt = train.Checkpoint(model=model, optimizer=opt)
    ckpt.restore(TF_MODEL).assert_consumed()
    assert opt.built and int(ckpt.save_counter.numpy()) == 1
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, expected[f"weight_{i}"])
    for i, v in enumerate(opt.variables):
        np.testing.assert_array_equal(v.numpy(), expected[f"opt_{i}"])
    np.testing.assert_allclose(
        model.predict(expected["x"], verbose=0), expected["predictions"], 1e-5
    )


def test_save_restore_round_trip_continues_training(tmp_path):
    x = np.linspace(-1, 1, 12).reshape(4, 3).astype("float32")
    y = np.linspace(0, 1, 8).reshape(4, 2).astype("float32")
    a, b = _sequential(), _sequential()
    for m in (a, b):
        m.compile(keras.optimizers.Adam(0.05), "mse")
    a.fit(x, y, epochs=2, verbose=0)
    path = train.Checkpoint(model=a, optimizer=a.optimizer).save(str(tmp_path / "ck"))
    train.Checkpoint(model=b, optimizer=b.optimizer).restore(path).assert_consumed()
    a.fit(x, y, epochs=1, verbose=0)
    b.fit(x, y, epochs=1, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    assert int(b.optimizer.iterations.numpy()) == 3


# --------------------------------------------------------------------------- restore checks


def test_shape_and_dtype_mismatch(tmp_path):
    path = train.Checkpoint(v=ops.Variable([1.0, 2.0])).write(str(tmp_path / "a"))
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        train.Checkpoint(v=ops.Variable([1.0, 2.0, 3.0])).restore(path)
    with pytest.raises(errors.InvalidArgumentError, match="expected dtype int32"):
        train.Checkpoint(v=ops.Variable([1, 2])).restore(path)


def test_status_assertions(tmp_path):
    path = train.Checkpoint(v=ops.Variable([1.0, 2.0]), u=ops.Variable(5.0)).write(
        str(tmp_path / "a")
    )
    v = ops.Variable([0.0, 0.0])
    status = train.Checkpoint(v=v).read(path)
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint.*u/.ATTRIBUTES"):
        status.assert_consumed()
    assert status.expect_partial() is status
    status = train.Checkpoint(v=v, w=ops.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="Found 2 Python objects.*save_counter"):
        status.assert_existing_objects_matched()
    with pytest.raises(AssertionError):
        train.Checkpoint(v=v).restore(None).assert_consumed()
    status = train.Checkpoint(v=v, u=ops.Variable(0.0)).read(path)
    assert status.assert_consumed() is status


def test_checkpoint_rejects_non_trackables():
    with pytest.raises(ValueError, match="expecting v to be a trackable object.*got 3"):
        train.Checkpoint(v=3)


def test_missing_files(tmp_path):
    with pytest.raises(errors.NotFoundError, match="nope"):
        train.Checkpoint(v=ops.Variable(1.0)).restore(str(tmp_path / "nope"))
    path = train.Checkpoint(v=ops.Variable(1.0)).write(str(tmp_path / "a"))
    os.remove(tb.data_path(path))
    with pytest.raises(errors.NotFoundError, match="data-00000-of-00001"):
        train.Checkpoint(v=ops.Variable(1.0)).restore(path)
    with pytest.raises(errors.NotFoundError, match="Key nope not found"):
        train.load_variable(path, "nope")
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
        train.list_variables(str(tmp_path))


# --------------------------------------------------------------------------- save / manager


def test_save_counter_and_state_file(tmp_path):
    v = ops.Variable(1.0)
    ckpt = train.Checkpoint(v=v)
    first = ckpt.save(str(tmp_path / "c"))
    second = ckpt.save(str(tmp_path / "c"))
    assert (Path(first).name, Path(second).name) == ("c-1", "c-2")
    assert train.latest_checkpoint(str(tmp_path)) == second
    assert (tmp_path / "checkpoint").read_text() == (
        'model_checkpoint_path: "c-2"\nall_model_checkpoint_paths: "c-2"\n'
    )
    ckpt.write(str(tmp_path / "w"))
    assert int(ckpt.save_counter.numpy()) == 2 and train.latest_checkpoint(str(tmp_path)) == second
    assert int(train.load_variable(second, "save_counter/.ATTRIBUTES/VARIABLE_VALUE")) == 2


def test_manager_keeps_the_newest(tmp_path):
    v = ops.Variable(0.0)
    ckpt = train.Checkpoint(v=v)
    manager = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None
    for value in (1.0, 2.0, 3.0):
        v.assign(value)
        manager.save()
    path = manager.save(checkpoint_number=10)
    names = [Path(p).name for p in manager.checkpoints]
    assert names == ["ckpt-3", "ckpt-10"] and manager.latest_checkpoint == path
    assert sorted(os.listdir(tmp_path)) == sorted(
        [
            "checkpoint",
            *[f"ckpt-{n}{s}" for n in (3, 10) for s in (".index", ".data-00000-of-00001")],
        ]
    )
    assert int(ckpt.save_counter.numpy()) == 4
    again = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert again.checkpoints == manager.checkpoints
    assert train.latest_checkpoint(str(tmp_path)) == path
    v.assign(0.0)
    assert again.restore_or_initialize() == path and float(v.numpy()) == 3.0


def test_manager_preserves_every_n_hours(tmp_path):
    ckpt = train.Checkpoint(v=ops.Variable(0.0))
    manager = train.CheckpointManager(
        ckpt, str(tmp_path), max_to_keep=1, keep_checkpoint_every_n_hours=0.0
    )
    paths = [manager.save() for _ in range(3)]
    assert manager.checkpoints == paths[-1:]
    assert all(os.path.exists(tb.index_path(p)) for p in paths)
    with pytest.raises(ValueError, match="max_to_keep"):
        train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=0)


def test_manager_reads_tf_state(tmp_path):
    shutil.copytree(DATA / "managed", tmp_path / "m")
    v = ops.Variable(0.0)
    ckpt = train.Checkpoint(v=v)
    manager = train.CheckpointManager(ckpt, str(tmp_path / "m"), max_to_keep=2)
    assert [Path(p).name for p in manager.checkpoints] == ["ckpt-2", "ckpt-3"]
    ckpt.restore(manager.latest_checkpoint).assert_consumed()
    assert float(v.numpy()) == 3.0 and int(ckpt.save_counter.numpy()) == 3
    assert Path(manager.save()).name == "ckpt-4"
    assert not (tmp_path / "m" / "ckpt-2.index").exists()


# --------------------------------------------------------------------------- damaged files

_ALLOWED = (errors.DataLossError, errors.NotFoundError, errors.InvalidArgumentError)


def _mutate(rng, data: bytes) -> bytes:
    kind = rng.randrange(4)
    if kind == 0 or len(data) < 2:
        return data[: rng.randrange(len(data) + 1)]
    buf = bytearray(data)
    if kind == 1:
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif kind == 2:
        for _ in range(rng.randrange(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    else:
        buf += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return bytes(buf)


def test_fuzzed_files_raise_only_tf_errors(tmp_path):
    model = _sequential()
    model.compile(keras.optimizers.Adam(0.01), "mse")
    good = train.Checkpoint(model=model, optimizer=model.optimizer).write(str(tmp_path / "good"))
    files = {s: Path(good + s).read_bytes() for s in (".index", ".data-00000-of-00001")}
    rng = random.Random(1234)
    outcomes = {"ok": 0, "error": 0}
    for i in range(500):
        prefix = str(tmp_path / f"bad{i % 5}")
        target = rng.choice(list(files))
        for suffix, data in files.items():
            Path(prefix + suffix).write_bytes(_mutate(rng, data) if suffix == target else data)
        try:
            train.Checkpoint(model=model, optimizer=model.optimizer).restore(prefix)
            outcomes["ok"] += 1
        except _ALLOWED as e:
            assert Path(prefix).name in str(e), e
            outcomes["error"] += 1
    assert outcomes["error"] > 400  # checksums catch nearly every change


def test_fuzzed_object_graph_with_valid_checksums(tmp_path):
    mod = ops.Module()
    mod.a = ops.Variable([1.0, 2.0])
    mod.b = [ops.Variable(3), {"c": ops.Variable(4.0)}]
    good = train.Checkpoint(mod=mod).write(str(tmp_path / "g"))
    reader = tb.BundleReader(good)
    tensors = {k: (reader.dtype_name(k), reader.tensor(k)) for k in reader.keys()}
    graph = tensors["_CHECKPOINTABLE_OBJECT_GRAPH"][1].item()
    rng = random.Random(99)
    for i in range(200):
        tensors["_CHECKPOINTABLE_OBJECT_GRAPH"] = ("string", np.array(_mutate(rng, graph), object))
        prefix = str(tmp_path / f"m{i % 3}")
        tb.write_bundle(prefix, tensors)
        try:
            train.Checkpoint(mod=mod).read(prefix)
        except (*_ALLOWED, ValueError):  # ValueError: a key moved onto another shape, as TF
            pass


# --------------------------------------------------------------------------- killed saves

_SAVER = """
import sys
import numpy as np
from tensorhouse_components import ops
from tensorhouse_models import train

v = ops.Variable(np.zeros(500_000, "float32"))
manager = train.CheckpointManager(train.Checkpoint(v=v), sys.argv[1], max_to_keep=1)
for i in range(1, 100_000):
    v.assign(np.full(500_000, float(i), "float32"))
    manager.save()
    print(i, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.013, 0.041])
def test_killed_save_leaves_the_previous_checkpoint_readable(tmp_path, delay):
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(3):  # three saves done; kill during a later one
            assert proc.stdout.readline(), "the saver exited early"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    path = train.latest_checkpoint(str(tmp_path))
    v = ops.Variable(np.zeros(500_000, "float32"))
    train.Checkpoint(v=v).restore(path).assert_consumed()
    value = v.numpy()
    assert value[0] >= 3 and np.all(value == value[0])
    assert Path(path).name == f"ckpt-{int(value[0])}"


def test_deferred_restoration_through_fit(tmp_path):
    expected = np.load(DATA / "model_expected.npz")
    model = keras.Sequential([L.Dense(4, activation="relu"), L.BatchNormalization(), L.Dense(2)])
    opt = keras.optimizers.Adam(0.01)
    model.compile(opt, "mse")
    status = train.Checkpoint(model=model, optimizer=opt).restore(TF_MODEL)
    with pytest.raises(AssertionError, match="Unresolved object"):
        status.assert_consumed()  # nothing is built yet
    assert "build" in vars(model)
    model.fit(expected["x"], np.zeros((4, 2), "float32"), epochs=1, verbose=0)  # builds, traced
    status.assert_consumed()
    assert "build" not in vars(model) and int(opt.iterations.numpy()) == 2
    # the step was taken from the restored state: same as restoring into a built model
    ref = _sequential()
    ref_opt = keras.optimizers.Adam(0.01)
    ref.compile(ref_opt, "mse")
    train.Checkpoint(model=ref, optimizer=ref_opt).restore(TF_MODEL).assert_consumed()
    ref.fit(expected["x"], np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ---- tf.data iterators (their position; TF's variant state is refused) ----------------------
def test_iterator_position_and_object_graph(tmp_path):
    ds = Dataset.range(6).shuffle(6, seed=1).batch(2).repeat(2)
    it = iter(ds)
    first = [next(it).numpy().tolist() for _ in range(4)]  # into the second pass
    ckpt = train.Checkpoint(it=it)
    path = ckpt.write(str(tmp_path / "c"))
    reader = tb.BundleReader(path)
    graph = TrackableObjectGraph.FromString(reader.tensor("_CHECKPOINTABLE_OBJECT_GRAPH").item())
    (attr,) = graph.nodes[1].attributes
    assert (attr.name, attr.checkpoint_key) == ("ITERATOR", "it/.ATTRIBUTES/ITERATOR")
    # four taken, the shuffle's first pass was 0
    assert reader.tensor("it/.ATTRIBUTES/ITERATOR_STATE").tolist() == [4, 0]
    rest = [next(it).numpy().tolist() for _ in range(2)]
    assert sorted(sum(first[:3], [])) == list(range(6)) and first[:3] != first[3:] + rest
    with pytest.raises(StopIteration):
        next(it)
    ckpt.read(path)
    assert [next(it).numpy().tolist() for _ in range(2)] == rest


def test_iterator_state_checked(tmp_path):
    it = iter(Dataset.range(3).shuffle(3, seed=2))
    train.Checkpoint(it=it).write(str(tmp_path / "c"))
    plain = iter(Dataset.range(3))  # no shuffle: a state of another length
    with pytest.raises(errors.InvalidArgumentError, match=r"expected int64 \[1\]"):
        train.Checkpoint(it=plain).read(str(tmp_path / "c"))
    with pytest.raises(errors.UnimplementedError, match="Cannot restore the OwnedIterator"):
        train.Checkpoint(it=plain).read(str(DATA / "iterator" / "ckpt"))  # written by TF
    status = train.Checkpoint().read(str(tmp_path / "c"))
    with pytest.raises(AssertionError, match="Unresolved object.*it/.ATTRIBUTES/ITERATOR"):
        status.assert_consumed()
