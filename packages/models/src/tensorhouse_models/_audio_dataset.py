"""Keras 3's ``audio_dataset_from_directory``: class folders of ``.wav`` files as a
``Dataset`` of ``(audio, labels)`` batches, decoded by ``tf.audio.decode_wav`` in a traced
``Dataset.map`` (indexing and splitting as the other ``*_dataset_from_directory``)."""

from __future__ import annotations

import numpy as np

from tensorhouse_components import data, ops

from ._dataset_utils import _check_split, _index, _label_dataset, _split

__all__ = ["audio_dataset_from_directory"]

ALLOWED_FORMATS = (".wav",)


def _check(labels, label_mode, class_names, ragged, output_sequence_length, sampling_rate):
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(
                "The `labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of audio files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains audio '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}"
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
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(
                "`sampling_rate` should have an integer value. "
                f"Received: sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
        raise ImportError(  # Keras resamples with tensorflow-io, which tensorhouse does not have
            "To use the argument `sampling_rate`, you should install tensorflow_io. You can "
            "install it via `pip install tensorflow-io`."
        )


def audio_dataset_from_directory(
    directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
    sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True, seed=None,
    validation_split=None, subset=None, follow_links=False, verbose=True,
):  # fmt: skip
    """Batches of float32 ``(samples, channels)`` audio (zero-padded to the longest in the
    batch; cut or padded to ``output_sequence_length``; ragged with ``ragged=True``) and
    labels; ``subset="both"`` gives the training and validation datasets."""
    _check(labels, label_mode, class_names, ragged, output_sequence_length, sampling_rate)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    buffer = batch_size * 8 if batch_size is not None else 1024
    paths, labels, class_names = _index(directory, labels, ALLOWED_FORMATS, class_names, shuffle,
                                        seed, follow_links, verbose)  # fmt: skip
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    length = -1 if output_sequence_length is None else output_sequence_length

    def load(path):
        audio = ops.audio.decode_wav(ops.io.read_file(path), desired_samples=length)[0]
        return ops.RaggedTensor.from_tensor(audio) if ragged else audio

    out = []
    for which in ["training", "validation"] if subset == "both" else [subset]:
        part_paths, part_labels = _split(paths, labels, validation_split, which)
        if not part_paths:
            what = f"{which} " if subset == "both" else ""
            raise ValueError(
                f"No {what}audio files found in directory {directory}. "
                f"Allowed format(s): {ALLOWED_FORMATS}"
            )
        ds = data.Dataset.from_tensor_slices(part_paths)
        if label_mode:
            num_classes = len(class_names) if class_names else 0
            ds = data.Dataset.zip((ds, _label_dataset(part_labels, label_mode, num_classes)))
        if shuffle and not (subset == "both" and which == "validation"):
            ds = ds.shuffle(buffer_size=buffer, seed=seed)
        if label_mode:
            ds = ds.map(lambda x, y: (load(x), y), num_parallel_calls=data.AUTOTUNE)
        else:
            ds = ds.map(load, num_parallel_calls=data.AUTOTUNE)
        ds = ds.prefetch(data.AUTOTUNE)
        if batch_size is not None:
            padded = output_sequence_length is None and not ragged
            ds = ds.padded_batch(batch_size) if padded else ds.batch(batch_size)
        ds.class_names = class_names
        out.append(ds)
    return out if subset == "both" else out[0]
