"""``keras.utils.get_file``: download a file once into the Keras cache, check its hash, unpack it.

The cache is ``$KERAS_HOME`` or ``~/.keras`` (``/tmp/.keras`` when that is not writable), the
file goes to ``<cache>/<cache_subdir>/<fname>``; a cached file whose hash does not match is
downloaded again. Downloads use the standard library's ``urllib`` (HTTP(S), FTP and ``file:``
URLs) into the target's directory under a temporary name, renamed into place once whole, so an
interrupted download never leaves a partial file where the cache looks. Archives (tar, tar.gz,
tar.bz2, zip) are unpacked member by member after a check that no member escapes the
extraction directory (absolute paths, ``..``, links pointing outside).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = ["extract_archive", "get_file", "hash_file", "inside", "keras_home", "validate_file"]


def keras_home() -> str:
    """Keras's cache root: ``$KERAS_HOME`` or ``~/.keras``."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"Unknown hash algorithm {algorithm!r}: use 'auto', 'sha256' or 'md5'")


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """The hex digest of a file (``sha256`` or ``md5``)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """Whether the file's hash equals ``file_hash`` (``auto``: sha256 for 64 hex digits)."""
    hasher = _hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash)


# ---- archives ----------------------------------------------------------------------------------
def inside(base, target) -> bool:
    """Whether ``target`` (links resolved) lies under the folder ``base``."""
    base = os.path.realpath(base)
    return os.path.commonpath([base, os.path.realpath(target)]) == base


def _safe_tar_members(archive, base):
    for member in archive.getmembers():
        target = os.path.join(base, member.name)
        if not inside(base, target):
            continue  # an absolute path or ``..``: skipped, as Keras does
        if member.issym() or member.islnk():
            link = os.path.join(os.path.dirname(target), member.linkname)
            if member.islnk():
                link = os.path.join(base, member.linkname)
            if not inside(base, link):
                continue
        if member.isdev():
            continue
        yield member


def _safe_zip_members(archive, base):
    for name in archive.namelist():
        if inside(base, os.path.join(base, name)):
            yield name


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Unpack a tar (gz, bz2, xz) or zip archive into ``path``; False when it is neither (of
    the formats asked for)."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar":
            matches, opener = tarfile.is_tarfile(file_path), tarfile.open
        elif kind == "zip":
            matches, opener = zipfile.is_zipfile(file_path), zipfile.ZipFile
        else:
            raise NotImplementedError(kind)
        if not matches:
            continue
        with opener(file_path) as archive:
            try:
                os.makedirs(path, exist_ok=True)
                if kind == "tar":
                    members = list(_safe_tar_members(archive, path))
                    # the standard library's "data" filter too, where this Python has it
                    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    archive.extractall(path, members=members, **safe)
                else:
                    archive.extractall(path, members=list(_safe_zip_members(archive, path)))
            except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.exists(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


# ---- download ----------------------------------------------------------------------------------
class _Progress:
    """urllib's report hook drawing Keras's progress bar."""

    def __init__(self):
        self.bar, self.done = None, False

    def __call__(self, blocks, block_size, total):
        from .callbacks import Progbar

        total = None if total == -1 else total
        if self.bar is None:
            self.bar = Progbar(total)
        current = blocks * block_size
        if total is None or current < total:
            self.bar.update(current)
        elif not self.done:
            self.bar.update(self.bar.target)
            self.done = True


def _download(origin, target):
    print(f"Downloading data from {origin}")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target))
    os.close(fd)
    try:
        try:
            urllib.request.urlretrieve(origin, tmp, _Progress())
        except urllib.error.HTTPError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        except urllib.error.URLError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Keras 3's ``get_file``: the cached path of ``origin``'s file (downloaded when missing or
    when its hash does not match), or the directory it was unpacked into (``extract``)."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(keras_home() if cache_dir is None else os.fspath(cache_dir))
    if not os.access(base, os.W_OK):  # Keras's rule: a folder that does not exist yet too
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else ""
    if not given:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'.Please "
                "specify the `fname` argument."
            )
    elif os.sep in fname:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )
    if extract or untar:
        if given and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{hash_algorithm} file hash does not match the original value of {file_hash} so "
            "we will re-download the data."
        )
        download = True
    if download:
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does "
                f"not match the provided value of {file_hash}."
            )
    if extract or untar:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            import warnings

            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
