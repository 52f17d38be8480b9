"""The module's link through a cache, as ccache is for its compiles (CMake's linker launcher).

Usage: ``link_cache.py CACHE_DIR COMPILER ARGS...``. The link runs GCC's link-time optimizer
over the whole module, about 150 CPU seconds: more than all the compiles together. A plain
(isolated) ``pip install`` starts from a cleared build dir each time, so ccache alone would leave
that step to every build of an unchanged tree. The key is the link command with each input
file (objects, libraries, the compiler) taken by its name and content, not its directory (the
build environment's OpenBLAS is in a new temporary directory each time); the cache keeps the
last module linked.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import subprocess
import sys


def cache_key(command: list[str], output: str) -> str:
    digest = hashlib.sha256()
    for arg in command:
        path = pathlib.Path(arg)
        if arg != output and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        else:
            digest.update(arg.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def main(cache: str, *command: str) -> int:
    if any(arg.startswith("@") for arg in command):  # a response file: its content is not read
        return subprocess.call(command)
    output = command[command.index("-o") + 1]
    entry = pathlib.Path(cache) / cache_key(list(command), output)
    if entry.is_file():
        shutil.copy(entry, output)  # a new mtime: the module is newer than its inputs
        return 0
    code = subprocess.call(command)
    if code == 0:
        shutil.rmtree(cache, ignore_errors=True)
        entry.parent.mkdir(parents=True)
        shutil.copy(output, entry)
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
