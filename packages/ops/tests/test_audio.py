"""tf.audio.decode_wav / encode_wav on the ops layer alone: samples read as int16 / 32768,
channels and lengths fitted as TF fits them, eager and traced the same, TF's error class."""

import io
import wave

import numpy as np
import pytest

import tensorhouse_ops as ops


def _wav(frames, channels):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(np.asarray(frames, "<i2").tobytes())
    return buf.getvalue()


def test_decode_fits_channels_and_samples():
    data = _wav([100, -200, 300, -400, 500, -600], channels=2)
    audio, rate = ops.audio.decode_wav(data)
    np.testing.assert_array_equal(
        audio.numpy(), np.array([[100, -200], [300, -400], [500, -600]]) / 32768
    )
    assert int(rate) == 22050 and rate.dtype == ops.int32
    fitted, _ = ops.audio.decode_wav(data, desired_channels=3, desired_samples=4)
    expect = np.array([[100, -200, -200], [300, -400, -400], [500, -600, -600], [0, 0, 0]]) / 32768
    np.testing.assert_array_equal(fitted.numpy(), expect)
    traced = ops.function(
        lambda s: ops.audio.decode_wav(s, desired_channels=3, desired_samples=4)[0]
    )
    out = traced(ops.constant(data))
    assert tuple(out.shape) == (4, 3)
    np.testing.assert_array_equal(out.numpy(), expect)


def test_encode_scales_rounds_and_clips():
    x = np.array([[0.5], [-0.30001], [1.5], [-1.0]], np.float32)
    data = ops.audio.encode_wav(x, 8000).numpy()
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (1, 8000, 4)
        pcm = np.frombuffer(w.readframes(4), "<i2")
    np.testing.assert_array_equal(pcm, [16384, -9831, 32767, -32768])
    with pytest.raises(TypeError, match="EncodeWav: `audio` must be float32"):
        ops.audio.encode_wav(np.zeros((2, 1), np.int32), 8000)


def test_decode_errors():
    with pytest.raises(ops.errors.InvalidArgumentError, match=r"Header mismatch.*\[Op:DecodeWav\]"):
        ops.audio.decode_wav(b"RIFX")
    riff = b"RIFF" + (20).to_bytes(4, "little") + b"WAVE" + b"data" + (4).to_bytes(4, "little")
    with pytest.raises(ops.errors.InvalidArgumentError, match="fmt chunk must come before"):
        ops.audio.decode_wav(riff + b"\0\0\0\0")
    with pytest.raises(TypeError, match="`contents` must be a string tensor"):
        ops.audio.decode_wav(3.0)
