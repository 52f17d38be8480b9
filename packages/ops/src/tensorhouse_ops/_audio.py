"""``tf.audio``: ``decode_wav`` / ``encode_wav``, 16-bit PCM WAV files as TF reads and writes
them (samples scaled to [-1, 1) float32 with shape ``(samples, channels)``), run on the host:
eagerly, or as one host node of a traced graph (so ``Dataset.map(decode_wav)`` traces)."""

from __future__ import annotations

import struct

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import dtypes as _dt
from ._image_codecs import _bytes, _data, _string
from ._pyfunc import host_call
from ._tensor import convert_to_tensor

__all__ = ["decode_wav", "encode_wav"]

_HOST = "PyFuncStateless"


def _bad(msg, op="DecodeWav"):
    return errors.InvalidArgumentError(None, None, f"{msg} [Op:{op}]")


def _parse(data):
    """(int16 samples as (frames, channels), sample rate) of a PCM WAV file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _bad("Header mismatch: Expected RIFF/WAVE but found something else")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if tag == b"fmt ":
            if len(body) < 16:
                raise _bad(f"Bad format chunk size for WAV: Expected 16 or 18, but got {size}")
            fmt = struct.unpack_from("<HHIIHH", body)
            if fmt[0] != 1:
                raise _bad(f"Bad audio format for WAV: Expected 1 (PCM), but got {fmt[0]}")
            if fmt[5] != 16:
                raise _bad(f"Can only read 16-bit WAV files, but received {fmt[5]}")
            if fmt[1] < 1:
                raise _bad("Bad number of channels for WAV file: 0")
        elif tag == b"data":
            if fmt is None:
                raise _bad("The fmt chunk must come before the data chunk")
            if len(body) < size:
                raise _bad("Data too short when trying to read data chunk")
            channels = fmt[1]
            frames = len(body) // (2 * channels)
            samples = np.frombuffer(body, "<i2", frames * channels).reshape(frames, channels)
            return samples, fmt[2]
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    if pos < len(data):
        raise _bad("Data too short when trying to read chunk header")
    raise _bad("No data chunk found in WAV")


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """A 16-bit PCM WAV file as ``(audio, sample_rate)``: float32 ``(samples, channels)``
    in [-1, 1) and an int32 scalar. ``desired_channels`` repeats the last channel or drops
    extra ones, ``desired_samples`` pads with zeros or truncates (-1: as stored)."""
    contents = _bytes(contents, "DecodeWav")
    desired_channels, desired_samples = int(desired_channels), int(desired_samples)

    def run(arrays):
        samples, rate = _parse(_data(arrays[0]))
        frames, channels = samples.shape
        want_c = channels if desired_channels == -1 else desired_channels
        want_n = frames if desired_samples == -1 else desired_samples
        out = np.zeros((want_n, want_c), np.float32)
        picked = samples[: min(frames, want_n), np.minimum(np.arange(want_c), channels - 1)]
        out[: picked.shape[0]] = picked.astype(np.float32) / 32768.0
        return [out, np.asarray(rate, np.int32)]

    shape = (None if desired_samples == -1 else desired_samples,
             None if desired_channels == -1 else desired_channels)  # fmt: skip
    outs = host_call(_HOST, run, [contents], [(shape, _dt.float32), ((), _dt.int32)],
                     "DecodeWav", arrays=True)  # fmt: skip
    return tuple(outs)


def encode_wav(audio, sample_rate, name=None):
    """``audio`` (float32 ``(samples, channels)``; times 32768, rounded, clipped to int16) as
    a 16-bit PCM WAV file at ``sample_rate`` (an int32 scalar)."""
    audio = convert_to_tensor(audio)
    sample_rate = convert_to_tensor(sample_rate)
    if audio.dtype != _dt.float32:
        raise TypeError(f"EncodeWav: `audio` must be float32, got {audio.dtype.name}")
    if audio.shape.rank not in (None, 2):
        raise _bad(f"audio must be 2-dimensional (samples, channels), got {audio.shape}",
                   "EncodeWav")  # fmt: skip
    if sample_rate.shape.rank not in (None, 0):
        raise _bad(f"Input sample_rate should be a scalar tensor, got {sample_rate.shape}",
                   "EncodeWav")  # fmt: skip

    def run(arrays):
        x, rate = arrays[0], int(arrays[1])
        pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes()
        channels = x.shape[1]
        header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
        header += struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * 2 * channels,
                              2 * channels, 16)  # fmt: skip
        return [_string(header + b"data" + struct.pack("<I", len(pcm)) + pcm)]

    return host_call(_HOST, run, [audio, sample_rate], [((), _dt.string)], "EncodeWav",
                     arrays=True)[0]  # fmt: skip
