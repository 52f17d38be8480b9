"""The string hashes behind ``tf.strings.to_hash_bucket*``, vectorised over a 1-D object array
of ``bytes``: FarmHash ``Fingerprint64`` (the ``cityhash`` package's ``farmhash`` module),
SipHash-2-4 with a 128-bit key, and TF's legacy ``Hash64`` (a MurmurHash2 variant)."""

from __future__ import annotations

import numpy as np

_U64 = np.uint64


def _unique(hash_fn):
    """``hash_fn`` run once per distinct string (text has few distinct tokens)."""

    def run(flat: np.ndarray, *args) -> np.ndarray:
        table = dict.fromkeys(flat.tolist())
        if len(table) * 2 > len(flat):
            return hash_fn(flat, *args)
        keys = np.empty(len(table), dtype=object)
        keys[:] = list(table)
        table = dict(zip(table, hash_fn(keys, *args).tolist()))
        return np.fromiter(map(table.__getitem__, flat), dtype=np.uint64, count=len(flat))

    run.__doc__ = hash_fn.__doc__
    return run


def _fingerprint64(flat: np.ndarray) -> np.ndarray:
    """FarmHash ``Fingerprint64`` of each string, as uint64."""
    from farmhash import Fingerprint64

    return np.fromiter(map(Fingerprint64, flat), dtype=np.uint64, count=len(flat))


def _groups(flat: np.ndarray, tail: bool):
    """The strings grouped by their count of full 64-bit words and whether bytes trail
    them (SipHash's ``tail``: always one more word): ``(indices, words [g, count] uint64
    little-endian, lengths)`` each."""
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    key = (lengths // 8) * 2 + (1 if tail else (lengths % 8 > 0))
    for k in np.unique(key).tolist():
        idx = np.nonzero(key == k)[0]
        size = (k // 2 + k % 2) * 8
        data = b"".join([v.ljust(size, b"\0") for v in flat[idx].tolist()])
        words = np.frombuffer(data, dtype="<u8").reshape(len(idx), size // 8).astype(_U64)
        yield idx, words, lengths[idx]


def _rotl(x, b):
    return (x << _U64(b)) | (x >> _U64(64 - b))


def _siphash24(flat: np.ndarray, k0: int, k1: int) -> np.ndarray:
    """SipHash-2-4 of each string under the key ``(k0, k1)``, as uint64."""
    k0, k1 = _U64(k0 & (2**64 - 1)), _U64(k1 & (2**64 - 1))
    out = np.empty(len(flat), dtype=_U64)
    with np.errstate(over="ignore"):
        for idx, words, lengths in _groups(flat, tail=True):
            n = len(idx)
            v = [np.full(n, k0 ^ _U64(0x736F6D6570736575), dtype=_U64),
                 np.full(n, k1 ^ _U64(0x646F72616E646F6D), dtype=_U64),
                 np.full(n, k0 ^ _U64(0x6C7967656E657261), dtype=_U64),
                 np.full(n, k1 ^ _U64(0x7465646279746573), dtype=_U64)]  # fmt: skip
            # the last word: the trailing bytes with the length's low byte on top
            words[:, -1] |= (lengths.astype(_U64) & _U64(0xFF)) << _U64(56)
            for j in range(words.shape[1]):
                m = words[:, j]
                v[3] ^= m
                _sip_rounds(v, 2)
                v[0] ^= m
            v[2] ^= _U64(0xFF)
            _sip_rounds(v, 4)
            out[idx] = v[0] ^ v[1] ^ v[2] ^ v[3]
    return out


def _sip_rounds(v, count):
    for _ in range(count):
        v[0] += v[1]
        v[1] = _rotl(v[1], 13) ^ v[0]
        v[0] = _rotl(v[0], 32)
        v[2] += v[3]
        v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] += v[3]
        v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] += v[1]
        v[1] = _rotl(v[1], 17) ^ v[2]
        v[2] = _rotl(v[2], 32)


def _legacy_hash64(flat: np.ndarray, seed: int = 0xDECAFCAFFE) -> np.ndarray:
    """TF's ``Hash64(data, n, seed)`` (``tf.strings.to_hash_bucket``'s), as uint64."""
    m, r = _U64(0xC6A4A7935BD1E995), _U64(47)
    out = np.empty(len(flat), dtype=_U64)
    with np.errstate(over="ignore"):
        for idx, words, lengths in _groups(flat, tail=False):
            h = _U64(seed) ^ (lengths.astype(_U64) * m)
            full = int(lengths[0]) // 8 if len(idx) else 0  # same word count: same full words
            for j in range(full):
                k = words[:, j] * m
                k ^= k >> r
                k *= m
                h = (h ^ k) * m
            if words.shape[1] > full:  # 1..7 trailing bytes
                h = (h ^ words[:, full]) * m
            h ^= h >> r
            h *= m
            h ^= h >> r
            out[idx] = h
    return out


fingerprint64 = _fingerprint64  # one C call a string: a dict of distinct ones costs more
siphash24 = _unique(_siphash24)
legacy_hash64 = _unique(_legacy_hash64)
