"""``tf.data.experimental``: the older names TF keeps for ``Dataset``'s members, as functions or
as transformations for ``Dataset.apply``, and the experimental sources and options.

Not here (TF has them): ``service``, ``distributed_save``, ``to_variant`` / ``from_variant``,
``make_saveable_from_iterator``, ``get_model_proto``, ``ServiceOptions``."""

from tensorhouse_ops import io as _io

from . import _more_transforms as _mt
from ._csv import CsvDataset, make_csv_dataset
from ._dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ._dataset import Dataset as _Dataset
from ._iterator import Iterator as _Iterator
from ._more_sources import SqlDataset, from_list
from ._more_sources import random_dataset as _random_dataset
from ._more_transforms import Reducer
from ._optional import Optional
from ._options import (
    AutoShardPolicy,
    AutotuneAlgorithm,
    AutotuneOptions,
    DistributeOptions,
    ExternalStatePolicy,
    OptimizationOptions,
    ThreadingOptions,
)
from ._tables import DatasetInitializer, index_table_from_dataset, table_from_dataset

__all__ = [
    "AUTOTUNE", "AutoShardPolicy", "AutotuneAlgorithm", "AutotuneOptions", "Counter", "CsvDataset",
    "DatasetInitializer", "DistributeOptions", "ExternalStatePolicy", "INFINITE_CARDINALITY",
    "OptimizationOptions", "Optional", "RandomDataset", "Reducer", "SHARD_HINT", "SqlDataset",
    "TFRecordWriter", "ThreadingOptions", "UNKNOWN_CARDINALITY", "assert_cardinality", "at",
    "bucket_by_sequence_length", "cardinality", "choose_from_datasets", "copy_to_device",
    "dense_to_ragged_batch", "dense_to_sparse_batch", "enable_debug_mode", "enumerate_dataset",
    "from_list", "get_next_as_optional", "get_single_element", "get_structure", "group_by_reducer",
    "group_by_window", "ignore_errors", "index_table_from_dataset", "load",
    "make_batched_features_dataset", "make_csv_dataset", "map_and_batch", "pad_to_cardinality",
    "parallel_interleave", "parse_example_dataset", "prefetch_to_device", "rejection_resample",
    "sample_from_datasets", "save", "scan", "shuffle_and_repeat", "snapshot", "table_from_dataset",
    "take_while", "unbatch", "unique",
]  # fmt: skip

SHARD_HINT = -1  # a shard count placeholder filled in by the auto-sharding policy HINT


# ---- sources ----------------------------------------------------------------------------------


def Counter(start=0, step=1, dtype="int64"):  # TF's name
    """``Dataset.counter``."""
    return _Dataset.counter(start, step, dtype)


class RandomDataset(_Dataset):
    """``Dataset.random`` as a class."""

    def __init__(self, seed=None, rerandomize_each_iteration=None, name=None):
        d = _random_dataset(seed, rerandomize_each_iteration, name)
        super().__init__(d._make_iter, d._cardinality, d._spec, "Random")
        self._passes = getattr(d, "_passes", None)

    def __repr__(self):
        return f"<RandomDatasetV2 element_spec={self.element_spec!r}>"


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """``Dataset.sample_from_datasets``."""
    return _Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """``Dataset.choose_from_datasets``."""
    return _Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def load(path, element_spec=None, compression=None, reader_func=None):
    """``Dataset.load``."""
    return _Dataset.load(path, element_spec, compression, reader_func)


def save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    """``Dataset.save``."""
    return dataset.save(path, compression, shard_func, checkpoint_args)


def make_batched_features_dataset(file_pattern, batch_size, features, reader=None,
                                  label_key=None, reader_args=None, num_epochs=None,
                                  shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                                  prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False,
                                  drop_final_batch=False):  # fmt: skip
    """Batches of parsed ``tf.train.Example``s from the files matching ``file_pattern``: the
    files (shuffled with ``shuffle``) read by ``reader`` (``TFRecordDataset``), records
    shuffled, repeated ``num_epochs`` times (forever when None), batched, parsed with
    ``features``; with ``label_key`` an ``(features, label)`` pair."""
    from ._readers import TFRecordDataset

    reader = TFRecordDataset if reader is None else reader
    args = list(reader_args or ())
    files = _Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    threads = reader_num_threads or 1
    ds = files.interleave(lambda f: reader(f, *args), cycle_length=threads,
                          num_parallel_calls=None if threads == 1 else threads,
                          deterministic=not sloppy_ordering)  # fmt: skip
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=drop_final_batch)
    ds = ds.apply(parse_example_dataset(features, parser_num_threads or 1))
    if label_key is not None:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key}) must be one of the "
                             f"`features` keys.")  # fmt: skip
        ds = ds.map(lambda x: (x, x.pop(label_key)))
    return ds.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)


class TFRecordWriter:
    """``experimental.TFRecordWriter``: ``write(dataset)`` writes a dataset of scalar strings to
    ``filename`` as TFRecords (``compression_type`` None, ``"ZLIB"`` or ``"GZIP"``)."""

    def __init__(self, filename, compression_type=None):
        self._filename = filename
        self._compression = _io.TFRecordOptions(compression_type)

    def write(self, dataset):
        """Write every element of ``dataset`` (scalar ``tf.string``s)."""
        spec = dataset.element_spec if isinstance(dataset, _Dataset) else None
        dtype, shape = getattr(spec, "dtype", None), getattr(spec, "shape", None)
        if dtype is None or dtype.name != "string" or shape != []:
            raise TypeError(
                "Invalid `dataset.` Expected a `dataset` that produces scalar `tf.string` "
                f"elements, but got a dataset which produces elements with shapes "
                f"{getattr(spec, 'shape', spec)} and types {getattr(spec, 'dtype', spec)}."
            )
        with _io.TFRecordWriter(self._filename, self._compression) as writer:
            for record in dataset.as_numpy_iterator():
                writer.write(record)


# ---- transformations for Dataset.apply ------------------------------------------------------


def _method(name, *args, **kwargs):
    return lambda dataset: getattr(dataset, name)(*args, **kwargs)


def assert_cardinality(expected_cardinality):
    """The dataset with this cardinality; ``FailedPreconditionError`` when a pass differs."""
    return lambda dataset: _mt.assert_cardinality(dataset, expected_cardinality)


def pad_to_cardinality(cardinality, mask_key="valid"):
    """A dict dataset padded with zeros to ``cardinality``, ``mask_key`` marking real ones."""
    return lambda dataset: _mt.pad_to_cardinality(dataset, cardinality, mask_key)


def group_by_reducer(key_func, reducer):
    """Elements grouped by ``key_func`` and folded by ``reducer``, one output per key."""
    return lambda dataset: _mt.group_by_reducer(dataset, key_func, reducer)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):  # fmt: skip
    """``Dataset.bucket_by_sequence_length``."""
    return _method("bucket_by_sequence_length", element_length_func, bucket_boundaries,
                   bucket_batch_sizes, padded_shapes, padding_values, pad_to_bucket_boundary,
                   no_padding, drop_remainder)  # fmt: skip


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """``Dataset.group_by_window``."""
    return _method("group_by_window", key_func, reduce_func, window_size, window_size_func)


def unbatch():
    """``Dataset.unbatch``."""
    return _method("unbatch")


def unique():
    """``Dataset.unique``."""
    return _method("unique")


def scan(initial_state, scan_func):
    """``Dataset.scan``."""
    return _method("scan", initial_state, scan_func)


def take_while(predicate):
    """``Dataset.take_while``."""
    return _method("take_while", predicate)


def ignore_errors(log_warning=False):
    """``Dataset.ignore_errors``."""
    return _method("ignore_errors", log_warning)


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """``Dataset.rejection_resample``."""
    return _method("rejection_resample", class_func, target_dist, initial_dist, seed)


def enumerate_dataset(start=0):
    """``Dataset.enumerate``."""
    return _method("enumerate", start)


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """``Dataset.snapshot``."""
    return _method("snapshot", path, compression, reader_func, shard_func)


def dense_to_sparse_batch(batch_size, row_shape):
    """``Dataset.sparse_batch``."""
    return _method("sparse_batch", batch_size, row_shape)


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype="int64"):
    """``Dataset.ragged_batch``."""
    return _method("ragged_batch", batch_size, drop_remainder, row_splits_dtype)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):  # fmt: skip
    """``map`` then ``batch`` (TF's fused form); ``num_parallel_batches`` or
    ``num_parallel_calls``, not both."""
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`map_and_batch` allows only one of `num_parallel_batches` and "
                         "`num_parallel_calls` to be set.")  # fmt: skip
    calls = num_parallel_calls
    if num_parallel_batches is not None:
        calls = int(num_parallel_batches) * int(batch_size)
    return lambda dataset: dataset.map(map_func, calls).batch(batch_size, drop_remainder)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):  # fmt: skip
    """``interleave`` with ``cycle_length`` parallel calls, in order unless ``sloppy``."""
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length,
                                              num_parallel_calls=cycle_length,
                                              deterministic=not sloppy)  # fmt: skip


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """``shuffle(buffer_size, seed)`` then ``repeat(count)`` (TF's fused form)."""
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """Vectors of serialized ``tf.train.Example``s parsed with ``features``
    (``io.parse_example`` in a traced ``map``)."""
    if features is None:
        raise ValueError("Argument `features` is required, but not specified.")
    calls = None if num_parallel_calls == 1 else num_parallel_calls

    def apply(dataset):
        spec = dataset.element_spec
        if not (getattr(spec, "dtype", None) == "string" and spec.shape.rank == 1):
            raise TypeError("Input dataset should be a dataset of vectors of strings")
        return dataset.map(lambda x: _io.parse_example(x, features), calls, deterministic)

    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """The elements handed over on ``target_device``'s placement; on one host, a prefetch."""
    return prefetch_to_device(target_device, 1)


def prefetch_to_device(device, buffer_size=None):
    """Elements produced ahead (``buffer_size``, AUTOTUNE when None) for ``device``; this
    pipeline's elements are host arrays until iterated, so it is a prefetch here."""
    from tensorhouse_ops import DeviceSpec

    DeviceSpec.from_string(device)  # a bad device name fails now, as TF
    return lambda dataset: dataset.prefetch(AUTOTUNE if buffer_size is None else buffer_size)


# ---- whole datasets and iterators -----------------------------------------------------------


def cardinality(dataset):
    """``dataset.cardinality()``."""
    return dataset.cardinality()


def get_single_element(dataset):
    """``dataset.get_single_element()``."""
    if not isinstance(dataset, _Dataset):
        raise TypeError(f"Invalid `dataset`. Expected a `tf.data.Dataset` object but got "
                        f"{type(dataset)}.")  # fmt: skip
    return dataset.get_single_element()


def at(dataset, index):
    """The element at ``index``; ``OutOfRangeError`` past the end."""
    return _mt.at(dataset, index)


def get_structure(dataset_or_iterator):
    """The ``element_spec`` of a dataset or an iterator."""
    if isinstance(dataset_or_iterator, _Dataset | _Iterator):
        return dataset_or_iterator.element_spec
    raise TypeError(
        "Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a `tf.data.Dataset` or "
        f"tf.data.Iterator object, but got {type(dataset_or_iterator)}."
    )


def get_next_as_optional(iterator):
    """``iterator.get_next_as_optional()``."""
    return iterator.get_next_as_optional()


_DEBUG_MODE = [False]


def enable_debug_mode():
    """TF's debug mode (functions run as written, in order): this pipeline keeps its order and
    runs functions that cannot trace eagerly already, so this only records the switch."""
    _DEBUG_MODE[0] = True
