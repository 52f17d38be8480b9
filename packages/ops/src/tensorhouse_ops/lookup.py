"""``tf.lookup``: static hash and vocabulary tables with their initializers, and
``tf.lookup.experimental.MutableHashTable``."""

from ._lookup import (
    KeyValueTensorInitializer,
    MutableHashTable,
    StaticHashTable,
    StaticVocabularyTable,
    TextFileIndex,
    TextFileInitializer,
    experimental,
)

__all__ = [
    "KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable", "TextFileIndex",
    "TextFileInitializer", "experimental",
]  # fmt: skip

del MutableHashTable  # tf.lookup.experimental.MutableHashTable
