"""Known bugs the fuzzer finds, by case signature (``entry|class|detail``, fnmatch patterns).

Each is a bug in a file this suite's session could not fix (another helper's file); the CI-sized
run excludes them, and each has a strict xfail regression test in
``tests/compat/test_fuzz_regressions_compat.py``. Remove a line when its bug is fixed.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

KNOWN: list[tuple[str, str]] = [
    # Not bugs: Keras 3.15 itself lets these classes escape for the same input (checked with
    # TENSORHOUSE_FUZZ_TF=1), and the house matches Keras's error classes.
    ("keras.from_config|RAW|KeyError: '_'",
     "as Keras: Sequential.from_config of a config without 'layers' raises KeyError"),
    ("keras.loss|RAW|IndexError: tuple index out of range",
     "as Keras: SparseCategoricalCrossentropy with scalar y_true raises IndexError"),
    ("keras.load_model|RAW|KeyError (want *): '_'",
     "as Keras: load_model of a .keras without config.json raises zipfile's KeyError"),
    ("keras.load_weights|RAW|KeyError (want *): '_'",
     "as Keras: load_weights of a damaged .h5 raises h5py's KeyError"),
    ("keras.layer|RAW|IndexError: tuple index out of range",
     "as Keras: LayerNormalization(axis=k) on an input of rank <= k raises IndexError"),
]  # fmt: skip


def bug_of(signature: str) -> str | None:
    """The known bug a signature belongs to, or None."""
    for pattern, bug in KNOWN:
        if fnmatchcase(signature, pattern):
            return bug
    return None
