"""``keras.utils.get_file`` against files served by a local ``http.server`` on 127.0.0.1, and
``keras.datasets`` on small files of each dataset's format placed where the loaders look (their
hashes set to those files', as Keras's real hashes name the real files)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import tarfile
import threading
import zipfile

import numpy as np
import pytest

from tensorhouse_models import datasets
from tensorhouse_models.utils import get_file


# ---- a local server ---------------------------------------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    hits: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    _Quiet.hits = []
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", _Quiet.hits
    httpd.shutdown()
    httpd.server_close()


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- get_file ---------------------------------------------------------------------------------
def test_download_cache_and_hash_checks(server, tmp_path, capsys):
    root, url, hits = server
    data = b"some bytes\n" * 1000
    (root / "a.txt").write_bytes(data)
    cache = tmp_path / "cache"
    cache.mkdir()  # Keras's rule: a cache_dir that is not a writable folder yet means /tmp/.keras
    path = get_file(origin=url + "a.txt", file_hash=sha256(data), cache_dir=str(cache))
    assert path == str(cache / "datasets" / "a.txt")
    assert read(path, "rb") == data
    assert f"Downloading data from {url}a.txt" in capsys.readouterr().out
    # cached: no second request
    again = get_file("a.txt", url + "a.txt", file_hash=sha256(data), cache_dir=str(cache))
    assert again == path and len(hits) == 1
    # a cached file whose hash does not match is fetched again
    with open(path, "wb") as f:
        f.write(b"stale")
    get_file("a.txt", url + "a.txt", file_hash=sha256(data), cache_dir=str(cache))
    assert len(hits) == 2 and read(path, "rb") == data
    assert "file hash does not match the original value" in capsys.readouterr().out
    # md5 (Keras's legacy argument) and force_download
    md5 = hashlib.md5(data).hexdigest()
    get_file("a.txt", url + "a.txt", md5_hash=md5, cache_dir=str(cache), force_download=True)
    assert len(hits) == 3
    # a download that does not match the expected hash
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        get_file("b.txt", url + "a.txt", file_hash="0" * 64, cache_dir=str(cache))


def test_keras_home_names_and_errors(server, tmp_path, monkeypatch):
    root, url, _ = server
    (root / "x.bin").write_bytes(b"x")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file(origin=url + "x.bin", cache_subdir="sub")
    assert path == str(tmp_path / "home" / "sub" / "x.bin")
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("x.bin")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file(os.path.join("a", "x.bin"), url + "x.bin")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin=url)
    with pytest.raises(Exception, match=r"URL fetch failure on .*missing\.bin: 404"):
        get_file(origin=url + "missing.bin")
    assert not os.path.exists(tmp_path / "home" / "datasets" / "missing.bin")
    assert [n for n in os.listdir(tmp_path / "home" / "datasets") if n.startswith(".")] == []


def _tar(members: dict, mode="w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_extract_tar_and_zip_with_keras_folder_names(server, tmp_path):
    root, url, _ = server
    (root / "pack.tar.gz").write_bytes(_tar({"d/one.txt": b"1", "../escape.txt": b"no"}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("z/two.txt", "2")
    (root / "pack.zip").write_bytes(buffer.getvalue())
    cache = str(tmp_path / "c")
    os.mkdir(cache)
    # no fname: the archive is "<name>_archive", unpacked into "<name>"
    out = get_file(origin=url + "pack.tar.gz", extract=True, cache_dir=cache)
    assert out == os.path.join(cache, "datasets", "pack.tar.gz")
    assert read(os.path.join(out, "d", "one.txt"), "r") == "1"
    assert os.path.isfile(os.path.join(cache, "datasets", "pack.tar.gz_archive"))
    assert not os.path.exists(os.path.join(cache, "datasets", "escape.txt"))
    # fname with a dot: kept as the archive's name, unpacked into "<stem>_extracted"
    out = get_file("pack.zip", url + "pack.zip", extract=True, cache_dir=cache)
    assert out == os.path.join(cache, "datasets", "pack_extracted")
    assert read(os.path.join(out, "z", "two.txt"), "r") == "2"
    # fname without a dot: unpacked into "<fname>", the archive beside it
    out = get_file("folder", url + "pack.tar.gz", untar=True, cache_dir=cache)
    assert out == os.path.join(cache, "datasets", "folder")
    assert os.path.isfile(os.path.join(out, "d", "one.txt"))
    # not an archive: a warning, no folder
    (root / "plain.txt").write_bytes(b"plain")
    with pytest.warns(UserWarning, match="Could not extract archive"):
        get_file("plain", url + "plain.txt", extract=True, cache_dir=cache)


# ---- datasets ---------------------------------------------------------------------------------
def _place(monkeypatch, tmp_path, module, relpath, data):
    """Put ``data`` where ``module``'s loader looks and make its expected hash that file's."""
    home = tmp_path / "keras"
    monkeypatch.setenv("KERAS_HOME", str(home))
    target = home / "datasets" / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if module is not None:
        monkeypatch.setattr(module, "FILE_HASH", sha256(data))


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_mnist(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 2, dtype=np.uint8),
    }
    _place(monkeypatch, tmp_path, datasets.mnist, "mnist.npz", _npz(**arrays))
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.shape == (2, 28, 28)


def test_fashion_mnist_idx_files(monkeypatch, tmp_path):
    rng = np.random.default_rng(1)
    images = {n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (5, 3)}
    labels = {n: rng.integers(0, 10, n, dtype=np.uint8) for n in (5, 3)}
    files = {
        "train-labels-idx1-ubyte.gz": b"\0" * 8 + labels[5].tobytes(),
        "train-images-idx3-ubyte.gz": b"\0" * 16 + images[5].tobytes(),
        "t10k-labels-idx1-ubyte.gz": b"\0" * 8 + labels[3].tobytes(),
        "t10k-images-idx3-ubyte.gz": b"\0" * 16 + images[3].tobytes(),
    }
    for name, raw in files.items():
        _place(monkeypatch, tmp_path, None, f"fashion-mnist/{name}", gzip.compress(raw))
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images[5])
    np.testing.assert_array_equal(y_train, labels[5])
    np.testing.assert_array_equal(x_test, images[3])
    np.testing.assert_array_equal(y_test, labels[3])


def _cifar_batch(data, labels, key="labels"):
    return pickle.dumps({b"data": data, key.encode(): labels, b"batch_label": b"x"})


def test_cifar10_batches_channels_last(monkeypatch, tmp_path):
    rng = np.random.default_rng(2)
    train = np.zeros((50000, 3072), np.uint8)  # zeros but for a few rows: quick to compress
    test = np.zeros((10000, 3072), np.uint8)
    train[[7, 12345, 49999]] = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    test[[0, 9999]] = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
    train_labels = rng.integers(0, 10, 50000).tolist()
    members = {
        f"cifar-10-batches-py/data_batch_{i}": _cifar_batch(
            train[(i - 1) * 10000 : i * 10000], train_labels[(i - 1) * 10000 : i * 10000]
        )
        for i in range(1, 6)
    }
    members["cifar-10-batches-py/test_batch"] = _cifar_batch(test, list(range(10)) * 1000)
    archive = _tar(members)
    _place(monkeypatch, tmp_path, datasets.cifar10, "cifar-10-batches-py-target_archive", archive)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (50000, 32, 32, 3) and y_train.shape == (50000, 1)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_train[7], train[7].reshape(3, 32, 32).transpose(1, 2, 0))
    np.testing.assert_array_equal(x_test[-1], test[-1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert y_train[12345, 0] == train_labels[12345] and y_test[13, 0] == 3


def test_cifar100_label_modes_and_a_hostile_pickle(monkeypatch, tmp_path):
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)

    def batch(fine, coarse):
        return pickle.dumps({b"data": data, b"fine_labels": fine, b"coarse_labels": coarse})

    archive = _tar({
        "cifar-100-python/train": batch([5, 6, 7, 8], [1, 1, 2, 2]),
        "cifar-100-python/test": batch([9, 9, 9, 9], [3, 3, 3, 3]),
    })  # fmt: skip
    _place(monkeypatch, tmp_path, datasets.cifar100, "cifar-100-python-target_archive", archive)
    (x_train, y_train), (_, y_test) = datasets.cifar100.load_data()
    assert y_train.ravel().tolist() == [5, 6, 7, 8] and y_test.ravel().tolist() == [9] * 4
    assert datasets.cifar100.load_data("coarse")[0][1].ravel().tolist() == [1, 1, 2, 2]
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data("medium")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    hostile = _tar({
        "cifar-100-python/train": pickle.dumps({b"data": Evil()}),
        "cifar-100-python/test": batch([0] * 4, [0] * 4),
    })  # fmt: skip
    _place(monkeypatch, tmp_path, datasets.cifar100, "cifar-100-python-target_archive", hostile)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `posix.system`"):
        datasets.cifar100.load_data()


def _ragged(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(x) for x in lists]
    return out


def test_imdb_word_index_rules(monkeypatch, tmp_path):
    x_train = _ragged([[1, 2, 3], [4, 5], [6, 7, 8, 9]])
    x_test = _ragged([[10, 2], [3, 3, 3, 3, 3]])
    arrays = dict(x_train=x_train, y_train=np.array([0, 1, 0]), x_test=x_test,
                  y_test=np.array([1, 0]))  # fmt: skip
    _place(monkeypatch, tmp_path, datasets.imdb, "imdb.npz", _npz(**arrays))
    order_train = np.arange(3)
    rng = np.random.RandomState(113)
    rng.shuffle(order_train)
    order_test = np.arange(2)
    rng.shuffle(order_test)
    (xt, yt), (xs, ys) = datasets.imdb.load_data()
    expected = [[1] + [w + 3 for w in x_train[i]] for i in order_train]
    assert [list(x) for x in xt] == expected
    assert yt.tolist() == [[0, 1, 0][i] for i in order_train]
    # num_words defaults to the largest index, which itself becomes oov_char (Keras's rule)
    test = [[1] + [w + 3 for w in x_test[i]] for i in order_test]
    assert max(max(x) for x in test) == 13
    assert [list(x) for x in xs] == [[2 if w == 13 else w for w in x] for x in test]
    # num_words / skip_top / oov_char, maxlen, no start_char
    (xt, _), _ = datasets.imdb.load_data(num_words=8, skip_top=2, maxlen=5)
    kept = [x for x in ([1] + [w + 3 for w in x_train[i]] for i in order_train) if len(x) < 5]
    assert [list(x) for x in xt] == [[w if 2 <= w < 8 else 2 for w in x] for x in kept]
    (xt, _), _ = datasets.imdb.load_data(start_char=None, index_from=0, oov_char=None,
                                         num_words=5)  # fmt: skip
    assert [list(x) for x in xt] == [[w for w in x_train[i] if w < 5] for i in order_train]
    with pytest.raises(ValueError, match="no sequence was kept"):
        datasets.imdb.load_data(maxlen=2)
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        datasets.imdb.load_data(nb_words=3)


def test_imdb_word_index_json(monkeypatch, tmp_path):
    data = json.dumps({"the": 1, "and": 2}).encode()
    _place(monkeypatch, tmp_path, None, "imdb_word_index.json", data)
    monkeypatch.setattr(datasets.imdb, "get_file", functools.partial(_cached_only))
    assert datasets.imdb.get_word_index() == {"the": 1, "and": 2}


def _cached_only(fname, origin, file_hash):
    from tensorhouse_models._file_utils import keras_home

    path = os.path.join(keras_home(), "datasets", fname)
    assert os.path.exists(path) and origin.endswith(fname) and len(file_hash) == 32
    return path


def test_reuters_split_and_labels(monkeypatch, tmp_path):
    xs = _ragged([[1, 2], [3], [4, 5, 6], [7], [8, 9]])
    ys = np.array([0, 1, 2, 3, 4])
    _place(monkeypatch, tmp_path, datasets.reuters, "reuters.npz", _npz(x=xs, y=ys))
    order = np.arange(5)
    np.random.RandomState(7).shuffle(order)
    (xt, yt), (xv, yv) = datasets.reuters.load_data(test_split=0.4, seed=7)
    assert yt.tolist() + yv.tolist() == ys[order].tolist() and len(yt) == 3
    assert [list(x) for x in xt] == [[1] + [w + 3 for w in xs[i]] for i in order[:3]]
    assert len(datasets.reuters.get_label_names()) == 46
    assert datasets.reuters.get_label_names()[3] == "earn"


@pytest.mark.parametrize("name", ["boston_housing", "california_housing"])
def test_housing_shuffle_split(monkeypatch, tmp_path, name):
    module = getattr(datasets, name)
    x = np.arange(20, dtype="float64").reshape(10, 2)
    y = np.arange(10, dtype="float32")
    _place(monkeypatch, tmp_path, module, f"{name}.npz", _npz(x=x, y=y))
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    (xt, yt), (xv, yv) = module.load_data(test_split=0.3)
    np.testing.assert_array_equal(xt, x[order[:7]])
    np.testing.assert_array_equal(yv, y[order[7:]])
    assert xv.shape == (3, 2)


def test_housing_arguments(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="Invalid `test_split` argument"):
        datasets.boston_housing.load_data(test_split=1.0)
    x = np.zeros((700, 8))
    data = _npz(x=x, y=np.zeros(700))
    _place(monkeypatch, tmp_path, datasets.california_housing, "california_housing.npz", data)
    (xt, _), (xv, _) = datasets.california_housing.load_data(version="small")
    assert len(xt) + len(xv) == 600
    with pytest.raises(ValueError, match="Argument `version`"):
        datasets.california_housing.load_data(version="huge")
