"""``tf.io.gfile``: TF's file-system functions on the local file system, with TF's errors."""

from __future__ import annotations

import collections
import glob as _glob
import os
import shutil

from tensorhouse_kernels.runtime import errors

__all__ = [
    "GFile", "copy", "exists", "glob", "isdir", "join", "listdir", "makedirs", "mkdir",
    "remove", "rename", "rmtree", "stat", "walk",
]  # fmt: skip

FileStatistics = collections.namedtuple("FileStatistics", "length mtime_nsec is_directory")


def _path(p) -> str:
    p = os.fspath(p)
    return p.decode("utf-8") if isinstance(p, bytes) else p


def _not_found(path):
    return errors.NotFoundError(None, None, f"{path}; No such file or directory")


class GFile:
    """``tf.io.gfile.GFile``: a file opened lazily (on first use) in ``mode``; text modes read
    and write ``str``, ``"b"`` modes ``bytes``."""

    def __init__(self, name, mode="r"):
        self.name, self.mode = _path(name), mode
        self._f = None

    def _file(self):
        if self._f is None:
            try:
                self._f = open(self.name, self.mode)
            except (FileNotFoundError, NotADirectoryError):
                raise _not_found(self.name) from None
        return self._f

    def read(self, n=-1):
        """Up to ``n`` characters (bytes in a binary mode); everything left when ``n < 0``."""
        return self._file().read(n)

    def readline(self):
        """The next line, with its newline."""
        return self._file().readline()

    def readlines(self):
        """All the remaining lines."""
        return self._file().readlines()

    def write(self, data):
        """Append ``data``."""
        self._file().write(data)

    def seek(self, offset, whence=0):
        """Move to ``offset``."""
        return self._file().seek(offset, whence)

    def tell(self):
        """The current position."""
        return self._file().tell()

    def size(self):
        """The file's length in bytes."""
        return stat(self.name).length

    def flush(self):
        """Write what is buffered."""
        if self._f is not None:
            self._f.flush()

    def close(self):
        """Close the file."""
        if self._f is not None:
            self._f.close()
            self._f = None

    def __iter__(self):
        return iter(self._file())

    def __next__(self):
        return next(self._file())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_f", None) is not None:
            self._f.close()


def exists(path) -> bool:
    """Whether ``path`` exists."""
    return os.path.exists(_path(path))


def isdir(path) -> bool:
    """Whether ``path`` is a directory."""
    return os.path.isdir(_path(path))


def glob(pattern) -> list[str]:
    """The paths matching ``pattern`` (one pattern or a list of them)."""
    patterns = [pattern] if isinstance(pattern, str | bytes | os.PathLike) else pattern
    return [f for p in patterns for f in _glob.glob(_path(p))]


def join(path, *paths) -> str:
    """``path`` and ``paths`` joined with ``/``."""
    return os.path.join(_path(path), *(_path(p) for p in paths))


def listdir(path) -> list[str]:
    """The entries of the directory ``path`` (names only)."""
    try:
        return os.listdir(_path(path))
    except (FileNotFoundError, NotADirectoryError):
        raise errors.NotFoundError(None, None, f"Could not find directory {_path(path)}") from None


def makedirs(path):
    """Create ``path`` and its missing parents; an existing directory is fine."""
    os.makedirs(_path(path), exist_ok=True)


def mkdir(path):
    """Create the directory ``path`` (its parent must exist); an existing one is fine."""
    try:
        os.mkdir(_path(path))
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise _not_found(_path(path)) from None


def remove(path):
    """Delete the file ``path``."""
    try:
        os.remove(_path(path))
    except FileNotFoundError:
        raise _not_found(_path(path)) from None


def rmtree(path):
    """Delete the directory ``path`` and everything in it."""
    try:
        shutil.rmtree(_path(path))
    except FileNotFoundError:
        raise _not_found(_path(path)) from None


def _check_target(dst, overwrite):
    if not overwrite and os.path.exists(dst):
        raise errors.AlreadyExistsError(None, None, "file already exists")


def copy(src, dst, overwrite=False):
    """Copy the file ``src`` to ``dst``."""
    src, dst = _path(src), _path(dst)
    _check_target(dst, overwrite)
    try:
        shutil.copyfile(src, dst)
    except FileNotFoundError:
        raise _not_found(src) from None


def rename(src, dst, overwrite=False):
    """Move ``src`` to ``dst``."""
    src, dst = _path(src), _path(dst)
    _check_target(dst, overwrite)
    try:
        os.replace(src, dst)
    except FileNotFoundError:
        raise _not_found(src) from None


def stat(path) -> FileStatistics:
    """``length`` in bytes, ``mtime_nsec`` and ``is_directory`` of ``path``."""
    try:
        s = os.stat(_path(path))
    except FileNotFoundError:
        raise _not_found(_path(path)) from None
    return FileStatistics(s.st_size, s.st_mtime_ns, os.path.isdir(_path(path)))


def walk(top, topdown=True, onerror=None):
    """``(dirname, subdirs, files)`` for each directory under ``top``."""
    yield from os.walk(_path(top), topdown=topdown, onerror=onerror)
