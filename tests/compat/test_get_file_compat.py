"""``keras.utils.get_file``'s cache paths, extraction folder names and hash errors, against real
Keras 3.15 (``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse, on files served from 127.0.0.1."""

import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading

import pytest


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def url(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(b"0123456789" * 100)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("inner/file.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    (root / "arch.tar.gz").write_bytes(buffer.getvalue())
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_cache_paths_and_extraction_names(tf, url, tmp_path):
    get_file = tf.keras.utils.get_file
    cache = str(tmp_path / "cache")
    os.makedirs(cache)  # Keras uses /tmp/.keras when cache_dir is not (yet) a writable folder
    data_hash = hashlib.sha256(b"0123456789" * 100).hexdigest()
    path = get_file(origin=url + "data.bin", file_hash=data_hash, cache_dir=cache)
    assert os.path.relpath(path, cache) == os.path.join("datasets", "data.bin")
    path = get_file("named.bin", url + "data.bin", cache_dir=cache, cache_subdir="sub")
    assert os.path.relpath(path, cache) == os.path.join("sub", "named.bin")
    out = get_file(origin=url + "arch.tar.gz", extract=True, cache_dir=cache)
    assert os.path.relpath(out, cache) == os.path.join("datasets", "arch.tar.gz")
    assert sorted(os.listdir(os.path.join(cache, "datasets"))) == [
        "arch.tar.gz", "arch.tar.gz_archive", "data.bin",
    ]  # fmt: skip
    with open(os.path.join(out, "inner", "file.txt")) as f:
        assert f.read() == "hello"
    cache = str(tmp_path / "cache2")
    os.makedirs(cache)
    out = get_file("arch.tar.gz", url + "arch.tar.gz", extract=True, cache_dir=cache)
    assert os.path.relpath(out, cache) == os.path.join("datasets", "arch_extracted")
    assert sorted(os.listdir(os.path.join(cache, "datasets"))) == ["arch.tar.gz", "arch_extracted"]
    out = get_file("folder", url + "arch.tar.gz", extract=True, cache_dir=cache)
    assert os.path.relpath(out, cache) == os.path.join("datasets", "folder")


def test_errors(tf, url, tmp_path):
    get_file = tf.keras.utils.get_file
    cache = str(tmp_path / "cache")
    os.makedirs(cache)
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected. The auto file"):
        get_file("x.bin", url + "data.bin", file_hash="1" * 64, cache_dir=cache)
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file("a/b.bin", url + "data.bin", cache_dir=cache)
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("b.bin", cache_dir=cache)
    with pytest.raises(
        Exception, match="URL fetch failure on .*nothing.bin: 404 -- File not found"
    ):
        get_file("c.bin", url + "nothing.bin", cache_dir=cache)
