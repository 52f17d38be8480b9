"""keras.utils' dataset builders: folders of images and texts (made here with Pillow), sliding
windows against NumPy, split_dataset's sizes and order."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tensorhouse_models import utils

PIL = pytest.importorskip("PIL.Image")


def _images(root, counts, size=(6, 8)):
    rng = np.random.default_rng(0)
    for name, n in counts.items():
        os.makedirs(root / name, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            PIL.fromarray(pixels).save(root / name / f"img_{i}.png")
    (root / next(iter(counts)) / "notes.txt").write_text("not an image")
    os.makedirs(root / ".hidden", exist_ok=True)


def test_image_dataset_from_directory(tmp_path, capsys):
    _images(tmp_path, {"cats": 3, "dogs": 2})
    ds = utils.image_dataset_from_directory(tmp_path, image_size=(4, 4), batch_size=2,
                                            shuffle=False)  # fmt: skip
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["cats", "dogs"]
    assert [os.path.relpath(p, tmp_path) for p in ds.file_paths] == [
        "cats/img_0.png", "cats/img_1.png", "cats/img_2.png", "dogs/img_0.png", "dogs/img_1.png",
    ]  # fmt: skip
    batches = list(ds)
    assert [tuple(x.shape) for x, _ in batches] == [(2, 4, 4, 3), (2, 4, 4, 3), (1, 4, 4, 3)]
    labels = np.concatenate([np.asarray(y) for _, y in batches])
    assert labels.tolist() == [0, 0, 0, 1, 1] and labels.dtype == np.int32
    first = np.asarray(PIL.open(tmp_path / "cats" / "img_0.png")).astype(np.float32)
    from tensorhouse_models import ops

    want = ops.image.resize(first, (4, 4)).numpy()
    np.testing.assert_allclose(np.asarray(batches[0][0][0]), want, rtol=1e-5)


def test_image_dataset_options_and_errors(tmp_path):
    _images(tmp_path, {"a": 4, "b": 4})
    train, val = utils.image_dataset_from_directory(
        tmp_path, image_size=5, label_mode="categorical", color_mode="grayscale",
        validation_split=0.25, subset="both", seed=1, batch_size=None, verbose=False,
    )  # fmt: skip
    assert len(train.file_paths) == 6 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    x, y = next(iter(train))
    assert tuple(x.shape) == (5, 5, 1) and np.asarray(y).sum() == 1.0
    binary = utils.image_dataset_from_directory(
        tmp_path, label_mode="binary", batch_size=8, image_size=(3, 3), verbose=False, seed=2
    )
    _, yb = next(iter(binary))
    assert (
        tuple(yb.shape) == (8, 1) and sorted(np.asarray(yb).ravel().tolist()) == [0] * 4 + [1] * 4
    )
    with pytest.raises(ValueError, match="you must provide a `seed`"):
        utils.image_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="`color_mode` must be one of"):
        utils.image_dataset_from_directory(tmp_path, color_mode="cmyk")
    with pytest.raises(ValueError, match="did not match the names"):
        utils.image_dataset_from_directory(tmp_path, class_names=["a", "zebra"])
    empty = tmp_path / "empty"
    os.makedirs(empty / "x")
    with pytest.raises(ValueError, match="No images found in directory"):
        utils.image_dataset_from_directory(empty, verbose=False)


def test_text_dataset_from_directory(tmp_path):
    for label, texts in {"neg": ["bad film", "awful"], "pos": ["great", "loved it a lot"]}.items():
        os.makedirs(tmp_path / label)
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t)
    ds = utils.text_dataset_from_directory(tmp_path, batch_size=4, shuffle=False, max_length=5,
                                           verbose=False)  # fmt: skip
    x, y = next(iter(ds))
    assert [v.decode() for v in np.asarray(x).tolist()] == ["bad f", "awful", "great", "loved"]
    assert np.asarray(y).tolist() == [0, 0, 1, 1]


def test_timeseries_windows_against_numpy():
    data = np.arange(100, dtype=np.float32).reshape(50, 2)
    targets = np.arange(50) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, sequence_length=5, sequence_stride=3,
                                             sampling_rate=2, batch_size=4)  # fmt: skip
    xs = np.concatenate([np.asarray(x) for x, _ in ds])
    ys = np.concatenate([np.asarray(y) for _, y in ds])
    starts = np.arange(0, 50 - 4 * 2, 3)
    np.testing.assert_array_equal(xs, np.stack([data[s : s + 10 : 2] for s in starts]))
    np.testing.assert_array_equal(ys, targets[starts])
    windows = utils.timeseries_dataset_from_array(data, None, sequence_length=3, start_index=10,
                                                  end_index=20, batch_size=None)  # fmt: skip
    got = np.stack([np.asarray(w) for w in windows])
    np.testing.assert_array_equal(got, np.stack([data[10 + s : 13 + s] for s in range(8)]))
    shuffled = utils.timeseries_dataset_from_array(data, targets, 5, shuffle=True, seed=3,
                                                   batch_size=None)  # fmt: skip
    pairs = [(np.asarray(x), int(np.asarray(y))) for x, y in shuffled]
    assert sorted(y for _, y in pairs) == (np.arange(46) * 10).tolist()
    assert all(np.array_equal(x, data[y // 10 : y // 10 + 5]) for x, y in pairs)
    with pytest.raises(ValueError, match="`sampling_rate` must be higher than 0"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_split_dataset_sizes_and_order():
    x = np.arange(10)
    y = np.arange(10) * 2
    left, right = utils.split_dataset((x, y), left_size=0.7)
    assert [int(a) for a, _ in left] == list(range(7))
    assert [(int(a), int(b)) for a, b in right] == [(7, 14), (8, 16), (9, 18)]
    left, right = utils.split_dataset(x, right_size=2, shuffle=True, seed=5)
    got = sorted([int(v) for v in left] + [int(v) for v in right])
    assert got == list(range(10)) and len(list(right)) == 2
    from tensorhouse_models import data

    batched = data.Dataset.from_tensor_slices(x).batch(3)
    left, right = utils.split_dataset(batched, left_size=4)
    assert [np.asarray(b).tolist() for b in left] == [[0, 1, 2], [3]]
    assert [np.asarray(b).tolist() for b in right] == [[4, 5, 6], [7, 8, 9]]
    with pytest.raises(ValueError, match="At least one of the `left_size`"):
        utils.split_dataset(x)
    with pytest.raises(ValueError, match="`left_size` should be either a positive integer"):
        utils.split_dataset(x, left_size=10)
