"""tf.audio.decode_wav / encode_wav (16-bit PCM, TF's scaling, channel and sample fitting,
errors) and keras.utils.audio_dataset_from_directory (class folders of .wav files, padded,
fixed-length and ragged batches, splits), checked against TF 2.21 + Keras 3.15."""

import io
import wave

import numpy as np
import pytest


def _wav(samples, rate=8000, channels=1, width=2):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, "<i2" if width == 2 else "u1").tobytes())
    return buf.getvalue()


def test_decode_wav(tf):
    audio, rate = tf.audio.decode_wav(_wav([1, -2, 32767, -32768, 0, 16384], channels=2))
    assert (audio.dtype, rate.dtype, int(rate), tuple(audio.shape)) == (
        tf.float32,
        tf.int32,
        8000,
        (3, 2),
    )
    np.testing.assert_array_equal(audio, np.array([[1, -2], [32767, -32768], [0, 16384]]) / 32768)
    wide, _ = tf.audio.decode_wav(
        _wav([1, 2, 3, 4], channels=2), desired_channels=3, desired_samples=3
    )
    np.testing.assert_array_equal(wide, np.array([[1, 2, 2], [3, 4, 4], [0, 0, 0]]) / 32768)
    narrow, _ = tf.audio.decode_wav(
        _wav([1, 2, 3, 4], channels=2), desired_channels=1, desired_samples=1
    )
    np.testing.assert_array_equal(narrow, [[1 / 32768]])
    traced = tf.function(lambda s: tf.audio.decode_wav(s, desired_channels=2)[0])
    out = traced(tf.constant(_wav([5, -5])))
    np.testing.assert_array_equal(out, np.array([[5, 5], [-5, -5]]) / 32768)


def test_encode_wav_round_trip(tf):
    x = np.array([[0.0, 0.5], [-1.0, 1.0], [0.25, -0.3], [2.0, -2.0]], np.float32)
    data = tf.audio.encode_wav(x, 16000).numpy()
    assert len(data) == 44 + 16 and data[:4] == b"RIFF" and data[36:40] == b"data"
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 16000)
        pcm = np.frombuffer(w.readframes(4), "<i2").reshape(4, 2)
    np.testing.assert_array_equal(
        pcm, [[0, 16384], [-32768, 32767], [8192, -9830], [32767, -32768]]
    )
    back, rate = tf.audio.decode_wav(data)
    np.testing.assert_array_equal(back, pcm / 32768)
    assert int(rate) == 16000


def test_decode_wav_errors(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Header mismatch"):
        tf.audio.decode_wav(b"not a wav file at all")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Can only read 16-bit WAV files"):
        tf.audio.decode_wav(_wav([1, 2], width=1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Data too short"):
        tf.audio.decode_wav(_wav([1, 2, 3])[:40])


@pytest.fixture
def wav_dir(tmp_path):
    lengths = {"cat": [3, 5, 4], "dog": [2, 6]}
    for label, sizes in lengths.items():
        (tmp_path / label).mkdir()
        for i, n in enumerate(sizes):
            (tmp_path / label / f"{i}.wav").write_bytes(_wav(np.arange(1, n + 1) * 100))
    (tmp_path / "cat" / "notes.txt").write_text("skipped")
    return tmp_path


def test_audio_dataset_from_directory(tf, wav_dir):
    u = tf.keras.utils
    ds = u.audio_dataset_from_directory(str(wav_dir), batch_size=8, shuffle=False, verbose=False)
    assert ds.class_names == ["cat", "dog"]
    audio, labels = next(iter(ds))
    assert tuple(audio.shape) == (5, 6, 1) and audio.dtype == tf.float32
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1])
    expect = np.zeros((5, 6))
    for row, n in enumerate([3, 5, 4, 2, 6]):  # sorted file names within each class
        expect[row, :n] = np.arange(1, n + 1) * 100 / 32768
    np.testing.assert_allclose(audio[..., 0], expect)
    fixed = u.audio_dataset_from_directory(
        str(wav_dir),
        output_sequence_length=4,
        batch_size=2,
        shuffle=False,
        label_mode="categorical",
        verbose=False,
    )
    batches = list(fixed)
    assert [tuple(a.shape) for a, _ in batches] == [(2, 4, 1), (2, 4, 1), (1, 4, 1)]
    np.testing.assert_allclose(batches[0][0][..., 0], expect[:2, :4])
    np.testing.assert_array_equal(batches[2][1], [[0.0, 1.0]])
    ragged = u.audio_dataset_from_directory(
        str(wav_dir), ragged=True, labels=None, shuffle=False, batch_size=5, verbose=False
    )
    batch = next(iter(ragged))
    assert isinstance(batch, tf.RaggedTensor)
    assert batch.row_lengths().numpy().tolist() == [3, 5, 4, 2, 6]
    train, val = u.audio_dataset_from_directory(
        str(wav_dir), validation_split=0.4, subset="both", seed=3, verbose=False
    )
    assert sum(int(a.shape[0]) for a, _ in train) == 3 and sum(int(a.shape[0]) for a, _ in val) == 2


def test_audio_dataset_errors(tf, wav_dir):
    u = tf.keras.utils
    with pytest.raises(ValueError, match="Cannot set both `ragged` and `output_sequence_length`"):
        u.audio_dataset_from_directory(str(wav_dir), ragged=True, output_sequence_length=3)
    with pytest.raises(ValueError, match="`sampling_rate` should be higher than 0"):
        u.audio_dataset_from_directory(str(wav_dir), sampling_rate=0)
    with pytest.raises(ValueError, match="The `labels` argument should be a list/tuple"):
        u.audio_dataset_from_directory(str(wav_dir), labels="bad")
    with pytest.raises(ValueError, match='`label_mode` argument must be one of "int"'):
        u.audio_dataset_from_directory(str(wav_dir), label_mode="sparse")
    (wav_dir / "bird").mkdir()
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        u.audio_dataset_from_directory(str(wav_dir / "bird" / ".."), label_mode="binary")
