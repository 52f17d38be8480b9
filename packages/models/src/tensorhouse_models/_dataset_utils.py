"""Keras 3's data utilities: ``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array`` and ``split_dataset``, as ``tf.data`` pipelines.

Files are indexed as Keras does (class folders sorted by name, files sorted within each, hidden
folders skipped, the list shuffled with ``np.random.RandomState(seed)`` and cut for
``validation_split`` from the end); loading (``read_file``, ``decode_image``, ``resize``) runs in
``Dataset.map``, traced.
"""

from __future__ import annotations

import os
import random as _pyrandom

import numpy as np

from tensorhouse_components import data, ops

__all__ = [
    "image_dataset_from_directory", "split_dataset", "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]  # fmt: skip

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                   "mitchellcubic")  # fmt: skip


# ---- indexing ----------------------------------------------------------------------------------
def _check_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def _files_under(directory, follow_links, formats):
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda w: w[0]):
        found.extend((root, f) for f in sorted(files) if f.lower().endswith(formats))
    return found


def _index(directory, labels, formats, class_names, shuffle, seed, follow_links, verbose):
    """Keras's ``index_directory``: ``(file paths, labels or None, class names or None)``."""
    if labels == "inferred":
        subdirs = [
            d for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]  # fmt: skip
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of "
                    f"the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError(
                    "When `labels=None` (no labels), argument `class_names` cannot be specified."
                )
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    names, found_labels = [], []
    for index, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        base = os.path.basename(folder)
        for root, fname in _files_under(folder, follow_links, formats):
            names.append(os.path.join(base, os.path.relpath(os.path.join(root, fname), folder)))
            found_labels.append(index)
    if labels == "inferred":
        out_labels = np.asarray(found_labels, dtype="int32")
        class_names = subdirs
    elif labels is None:
        out_labels, class_names = None, None
    else:
        if len(labels) != len(names):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(names)} files in "
                f"directory {directory}."
            )
        out_labels = np.asarray(labels)
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if out_labels is None:
            print(f"Found {len(names)} files.")
        else:
            print(f"Found {len(names)} files belonging to {len(class_names)} classes.")
    paths = [os.path.join(directory, n) for n in names]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if out_labels is not None:
            np.random.RandomState(seed).shuffle(out_labels)
    return paths, out_labels, class_names


def _split(samples, labels, validation_split, subset):
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - n_val} files for training.")
        return samples[:-n_val], None if labels is None else labels[:-n_val]
    if subset == "validation":
        print(f"Using {n_val} files for validation.")
        return samples[-n_val:], None if labels is None else labels[-n_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def _label_dataset(labels, label_mode, num_classes):
    ds = data.Dataset.from_tensor_slices(labels)
    if label_mode == "binary":
        return ds.map(lambda x: ops.expand_dims(ops.cast(x, "float32"), axis=-1))
    if label_mode == "categorical":
        return ds.map(lambda x: ops.one_hot(x, num_classes))
    return ds


def _check_labels(labels, label_mode, class_names):
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                "as the number of files in the target directory. If you wish to infer the "
                "labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains images '
                f"(no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )


def _build(paths, labels, label_mode, num_classes, load, shuffle, buffer, seed, batch_size):
    ds = data.Dataset.from_tensor_slices(paths)
    if label_mode:
        ds = data.Dataset.zip((ds, _label_dataset(labels, label_mode, num_classes)))
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer, seed=seed)
    if label_mode:
        ds = ds.map(lambda x, y: (load(x), y), num_parallel_calls=data.AUTOTUNE)
    else:
        ds = ds.map(load, num_parallel_calls=data.AUTOTUNE)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.prefetch(data.AUTOTUNE)


def _from_directory(directory, labels, label_mode, class_names, shuffle, seed, validation_split,
                    subset, follow_links, verbose, formats, kind, load, batch_size):  # fmt: skip
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = _index(directory, labels, formats, class_names, shuffle, seed,
                                        follow_links, verbose)  # fmt: skip
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    buffer = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    subsets = ["training", "validation"] if subset == "both" else [subset]
    out = []
    for which in subsets:
        part_paths, part_labels = _split(paths, labels, validation_split, which)
        if not part_paths:
            what = f"{which} " if subset == "both" else ""
            allowed = f"formats: {formats}" if len(formats) > 1 else f"format: {formats[0]}"
            raise ValueError(f"No {what}{kind} found in directory {directory}. Allowed {allowed}")
        # with subset="both" the validation part keeps its order, as in Keras
        mix = shuffle and not (subset == "both" and which == "validation")
        ds = _build(part_paths, part_labels, label_mode, num_classes, load, mix, buffer, seed,
                    batch_size)  # fmt: skip
        ds.class_names = class_names
        ds.file_paths = part_paths
        out.append(ds)
    return out if subset == "both" else out[0]


# ---- images and text ---------------------------------------------------------------------------
def image_dataset_from_directory(
    directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
    batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
    subset=None, interpolation="bilinear", follow_links=False, crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False, data_format=None, verbose=True,
):  # fmt: skip
    """A ``Dataset`` of ``(images, labels)`` batches from class folders of image files (``jpeg``,
    ``png``, ``bmp``, ``gif``), resized to ``image_size``; ``subset="both"`` gives the
    training and validation datasets."""
    _check_labels(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. Received: '
            f"color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, list | tuple) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
            f"image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    data_format = data_format or "channels_last"
    height, width = int(image_size[0]), int(image_size[1])

    def load(path):
        image = ops.image.decode_image(ops.io.read_file(path), channels=channels,
                                       expand_animations=False)  # fmt: skip
        if crop_to_aspect_ratio:
            image = _crop_to_aspect(image, height, width)
            image = ops.image.resize(image, (height, width), method=interpolation)
        elif pad_to_aspect_ratio:
            image = ops.image.resize_with_pad(image, height, width, method=interpolation)
        else:
            image = ops.image.resize(image, (height, width), method=interpolation)
        if hasattr(image, "set_shape"):  # traced: the decoded size is known only at run time
            image.set_shape((height, width, channels))
        if data_format == "channels_first":
            image = ops.transpose(image, (2, 0, 1))
        return image

    return _from_directory(directory, labels, label_mode, class_names, shuffle, seed,
                           validation_split, subset, follow_links, verbose, IMAGE_FORMATS,
                           "images", load, batch_size)  # fmt: skip


def _crop_to_aspect(image, height, width):
    """The largest centred crop with aspect ratio ``height : width`` (Keras's smart_resize),
    on an image whose size is known only when it runs."""
    shape = ops.shape(image)
    h, w = ops.cast(shape[0], "float32"), ops.cast(shape[1], "float32")
    crop_h = ops.cast(ops.minimum(h, w * (height / width)), "int32")
    crop_w = ops.cast(ops.minimum(w, h * (width / height)), "int32")
    crop_h, crop_w = ops.maximum(crop_h, 1), ops.maximum(crop_w, 1)
    top = ops.cast(ops.cast(shape[0] - crop_h, "float32") / 2, "int32")
    left = ops.cast(ops.cast(shape[1] - crop_w, "float32") / 2, "int32")
    return ops.slice(image, ops.stack([top, left, 0]), ops.stack([crop_h, crop_w, -1]))


def text_dataset_from_directory(
    directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
    max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
    follow_links=False, verbose=True,
):  # fmt: skip
    """A ``Dataset`` of ``(texts, labels)`` batches from class folders of ``.txt`` files."""
    _check_labels(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None

    def load(path):
        text = ops.io.read_file(path)
        if max_length is not None:
            text = ops.strings.substr(text, 0, max_length)
        return text

    return _from_directory(directory, labels, label_mode, class_names, shuffle, seed,
                           validation_split, subset, follow_links, verbose, (".txt",), "text files",
                           load, batch_size)  # fmt: skip


# ---- time series -------------------------------------------------------------------------------
def timeseries_dataset_from_array(
    data_array=None, targets=None, sequence_length=None, sequence_stride=1, sampling_rate=1,
    batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None, **kwargs,
):  # fmt: skip
    """Sliding windows over ``data`` (each ``sequence_length`` steps, ``sampling_rate`` apart,
    starting every ``sequence_stride`` steps), with the target at each window's start."""
    array = kwargs.pop("data", data_array)
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {list(kwargs)}")
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= len(array):
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {len(array)}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= len(array):
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {len(array)}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= len(array):
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {len(array)}"
            )
    start = start_index or 0
    end = len(array) if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    index_dtype = "int32" if count < 2147483647 else "int64"
    starts = np.arange(0, count, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(sequence_length, dtype=index_dtype) * sampling_rate
    windows = starts[:, None] + offsets[None, :]
    values = ops.convert_to_tensor(np.asarray(array)[start:end])
    ds = data.Dataset.from_tensor_slices(windows).map(lambda idx: ops.gather(values, idx))
    if targets is not None:
        target_values = ops.convert_to_tensor(np.asarray(targets)[start:end])
        target_ds = data.Dataset.from_tensor_slices(starts).map(
            lambda i: ops.gather(target_values, i)
        )
        ds = data.Dataset.zip((ds, target_ds))
    ds = ds.prefetch(data.AUTOTUNE)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        ds = ds.batch(batch_size)
    elif shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds


# ---- split_dataset -----------------------------------------------------------------------------
def _split_sizes(left, right, total):
    for name, v in (("left_size", left), ("right_size", right)):
        if v is not None and type(v) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                f"type({name})={type(v)}."
            )
    if left == 0 and right == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must "
            "be non-zero."
        )
    for name, v in (("left_size", left), ("right_size", right)):
        if (type(v) is int and (v <= 0 or v >= total)) or (type(v) is float and not 0 < v < 1):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a float "
                f"within the range `[0, 1]`. Received: {name}={v}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than "
            "or equal to 1."
        )
    left = round(left * total) if type(left) is float else left
    right = round(right * total) if type(right) is float else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {left + right}and total_length = {total}"
        )
    for v, side in ((left, "left"), (right, "right")):
        if v == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}."
                f"Resulting {side} side dataset split will be empty. Adjust any of the "
                "aforementioned parameters"
            )
    return int(left), int(right)


def _samples(dataset):
    """The dataset as a list of samples (NumPy structures) and the batch size it had."""
    if isinstance(dataset, data.Dataset):
        batch = None
        if getattr(dataset, "_kind", None) == "Batch":  # the last step was ``batch()``
            first = next(iter(dataset), None)
            batch = None if first is None else len(ops.nest.flatten(first)[0])
            dataset = dataset.unbatch()
        return [ops.nest.map_structure(np.asarray, s) for s in dataset], batch
    if isinstance(dataset, np.ndarray):
        return list(dataset), None
    if isinstance(dataset, list | tuple):
        arrays = [np.asarray(a) for a in dataset]
        if len({len(a) for a in arrays}) > 1:
            raise ValueError("All arrays of `dataset` must have the same length")
        return [tuple(a[i] for a in arrays) for i in range(len(arrays[0]))], None
    if isinstance(dataset, dict):
        keys = list(dataset)
        arrays = [np.asarray(dataset[k]) for k in keys]
        return [dict(zip(keys, (a[i] for a in arrays))) for i in range(len(arrays[0]))], None
    raise TypeError(
        "The `dataset` argument must be either a `tf.data.Dataset` object, or a list/tuple of "
        f"arrays. Received: dataset={dataset} of type {type(dataset)}"
    )


def _stack(samples):
    first = samples[0]
    if isinstance(first, dict):
        return {k: np.stack([s[k] for s in samples]) for k in first}
    if isinstance(first, tuple):
        return tuple(np.stack([s[i] for s in samples]) for i in range(len(first)))
    return np.stack(samples)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Two ``Dataset``s from one: the first ``left_size`` samples and the last ``right_size``
    (ints, or fractions of the length), shuffled first with ``seed`` if asked."""
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    samples, batch = _samples(dataset)
    if shuffle:
        if seed is None:
            seed = _pyrandom.randint(0, int(1e6))
        _pyrandom.Random(seed).shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))
    parts = []
    for chunk in (samples[:left], samples[-right:]):
        ds = data.Dataset.from_tensor_slices(_stack(chunk))
        if batch is not None:
            ds = ds.batch(batch)
        parts.append(ds.prefetch(data.AUTOTUNE))
    return parts[0], parts[1]
