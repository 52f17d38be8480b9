"""``tf.data.experimental.CsvDataset`` and ``make_csv_dataset``: specs, values, TF's field rules
and errors, the same text run on TF 2.21 and on tensorhouse."""

from __future__ import annotations

import collections
import gzip

import numpy as np
import pytest

CSV = 'a,b,c,d\n1,2.5,hello,x\n3,,"wor,ld",y\n5,6.0,NA,z\n'


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    return str(path)


def _rows(ds):
    return [tuple(v.item() if isinstance(v, np.generic) else v for v in row)
            for row in ds.as_numpy_iterator()]  # fmt: skip


def test_record_defaults_give_types_and_fill_missing(tf, csv_file):
    ds = tf.data.experimental.CsvDataset(
        csv_file,
        [tf.int32, tf.constant([9.0]), tf.constant(["def"]), tf.string],
        header=True,
        na_value="NA",
    )
    assert ds.element_spec == (
        tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.string),
    )  # fmt: skip
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert _rows(ds) == [(1, 2.5, b"hello", b"x"), (3, 9.0, b"wor,ld", b"y"),
                         (5, 6.0, b"def", b"z")]  # fmt: skip
    first = next(iter(ds))
    assert first[0].dtype == tf.int32 and first[1].dtype == tf.float32
    assert repr(ds).startswith("<CsvDatasetV2 element_spec=(TensorSpec(shape=(), dtype=tf.int32")


def test_select_and_exclude_columns(tf, csv_file):
    ds = tf.data.experimental.CsvDataset(
        csv_file, [tf.float64, tf.string], header=True, select_cols=[0, 2]
    )
    assert _rows(ds) == [(1.0, b"hello"), (3.0, b"wor,ld"), (5.0, b"NA")]
    assert ds.element_spec[0] == tf.TensorSpec([], tf.float64)
    ex = tf.data.experimental.CsvDataset(
        csv_file, [tf.constant([0], tf.int64), tf.string], header=True, exclude_cols=[1, 2]
    )
    assert ex.element_spec[0] == tf.TensorSpec([], tf.int64)
    assert _rows(ex) == [(1, b"x"), (3, b"y"), (5, b"z")]


def test_gzip_and_other_delimiters(tf, tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b"1;x\n2;y\n"))
    ds = tf.data.experimental.CsvDataset(
        str(path), [tf.int64, tf.string], compression_type="GZIP", field_delim=";"
    )
    assert _rows(ds) == [(1, b"x"), (2, b"y")]


def test_field_errors(tf, csv_file, tmp_path):
    def rows(defaults, path=csv_file, **kw):
        return list(tf.data.experimental.CsvDataset(path, defaults, **kw))

    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Field 2 in record is not a valid int32: hello"):  # fmt: skip
        rows([tf.int32, tf.float32, tf.int32, tf.string], header=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 2 fields but have more"):
        rows([tf.int32, tf.float32], header=True)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Field 1 is required but missing in record!"):  # fmt: skip
        rows([tf.int32, tf.float32, tf.string, tf.string], header=True)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Unquoted fields cannot have quotes inside"):  # fmt: skip
        rows([tf.string], field_delim="\t")
    short = tmp_path / "short.csv"
    short.write_text("1,2,3\n4,5\n")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 3 fields but have 2"):
        rows([tf.int32] * 3, path=str(short))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="select_cols should be strictly increasing indices"):  # fmt: skip
        tf.data.experimental.CsvDataset(csv_file, [tf.int32, tf.int32], select_cols=[2, 0])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="select_cols should match output size"):  # fmt: skip
        tf.data.experimental.CsvDataset(csv_file, [tf.int32], select_cols=[0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Either select_cols or exclude_cols should be empty"):  # fmt: skip
        tf.data.experimental.CsvDataset(csv_file, [tf.int32], select_cols=[0], exclude_cols=[1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="field_delim should be only 1 char"):
        tf.data.experimental.CsvDataset(csv_file, [tf.int32], field_delim=";;")
    one_default = "There should only be 1 default per field but field 0 has 2"
    with pytest.raises(tf.errors.InvalidArgumentError, match=one_default):
        tf.data.experimental.CsvDataset(csv_file, [tf.constant([1, 2])])
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        rows([tf.int32], path=str(tmp_path / "missing.csv"))


def test_make_csv_dataset_infers_types_and_batches_ordered_dicts(tf, csv_file):
    ds = tf.data.experimental.make_csv_dataset(
        csv_file, batch_size=2, shuffle=False, num_epochs=1, na_value="NA"
    )
    spec = ds.element_spec
    assert isinstance(spec, collections.OrderedDict) and list(spec) == ["a", "b", "c", "d"]
    assert spec["a"] == tf.TensorSpec([None], tf.int32)
    assert spec["b"] == tf.TensorSpec([None], tf.float32)
    assert spec["c"] == tf.TensorSpec([None], tf.string)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 2 and isinstance(batches[0], collections.OrderedDict)
    np.testing.assert_array_equal(batches[0]["a"], [1, 3])
    np.testing.assert_array_equal(batches[0]["b"], np.array([2.5, 0.0], np.float32))
    assert batches[0]["c"].tolist() == [b"hello", b"wor,ld"]
    assert batches[1]["c"].tolist() == [b""] and batches[1]["d"].tolist() == [b"z"]


def test_make_csv_dataset_label_select_and_epochs(tf, csv_file):
    ds = tf.data.experimental.make_csv_dataset(
        csv_file, batch_size=2, shuffle=False, num_epochs=1, label_name="a", na_value="NA",
        select_columns=["a", "b", "c"],
    )  # fmt: skip
    features, label = ds.element_spec
    assert list(features) == ["b", "c"] and label == tf.TensorSpec([None], tf.int32)
    (f1, l1), (f2, l2) = list(ds.as_numpy_iterator())
    np.testing.assert_array_equal(l1, [1, 3])
    np.testing.assert_array_equal(f2["b"], [6.0])
    forever = tf.data.experimental.make_csv_dataset(csv_file, batch_size=2, shuffle=False)
    assert int(forever.cardinality()) == tf.data.INFINITE_CARDINALITY
    assert forever.element_spec["a"] == tf.TensorSpec([2], tf.int32)
    a = [v["a"].tolist() for v in forever.take(3).as_numpy_iterator()]
    assert a == [[1, 3], [5, 1], [3, 5]]
    named = tf.data.experimental.make_csv_dataset(
        csv_file, batch_size=4, column_names=["p", "q", "r", "s"],
        column_defaults=[tf.int64, tf.constant([1.0]), tf.string, tf.string],
        shuffle=False, num_epochs=1,
    )  # fmt: skip
    assert list(named.element_spec) == ["p", "q", "r", "s"]
    assert named.element_spec["p"] == tf.TensorSpec([None], tf.int64)
    (batch,) = list(named.as_numpy_iterator())
    np.testing.assert_array_equal(batch["q"], [2.5, 1.0, 6.0])


def test_make_csv_dataset_shuffles_all_rows(tf, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(50)))
    ds = tf.data.experimental.make_csv_dataset(
        str(path), batch_size=10, num_epochs=1, shuffle_seed=3
    )
    got = np.concatenate([b["n"] for b in ds.as_numpy_iterator()])
    assert sorted(got.tolist()) == list(range(50)) and got.tolist() != list(range(50))


def test_make_csv_dataset_errors(tf, csv_file, tmp_path):
    with pytest.raises(ValueError, match="`label_name` provided must be one of the columns"):
        tf.data.experimental.make_csv_dataset(csv_file, batch_size=2, label_name="zz")
    with pytest.raises(ValueError, match="Expected `column_names` or `header` arguments"):
        tf.data.experimental.make_csv_dataset(csv_file, batch_size=2, header=False)
    with pytest.raises(ValueError, match="No files match `file_pattern`"):
        tf.data.experimental.make_csv_dataset(str(tmp_path / "zz*.csv"), batch_size=2)


def test_decode_csv(tf):
    a, b = tf.io.decode_csv(["1,a", '2,"b,c"', "3,"], [[0], ["none"]])
    assert a.dtype == tf.int32 and b.dtype == tf.string
    np.testing.assert_array_equal(a.numpy(), [1, 2, 3])
    assert b.numpy().tolist() == [b"a", b"b,c", b"none"]
    x, y = tf.io.decode_csv(["NA;2.5;z"], [[7], [0.0]], field_delim=";", na_value="NA",
                            select_cols=[0, 1])  # fmt: skip
    assert int(x.numpy()[0]) == 7 and float(y.numpy()[0]) == 2.5
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Field 0 in record 1 is not a valid int32: x"):  # fmt: skip
        tf.io.decode_csv(["1", "x"], [[0]])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expect 2 fields but have 3 in record 0"):  # fmt: skip
        tf.io.decode_csv(["1,a,3"], [[0], [""]])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Field 1 is required but missing in record 0!"):  # fmt: skip
        tf.io.decode_csv(["1,"], [[0], tf.constant([], tf.string)])
    traced = tf.function(lambda r: tf.io.decode_csv(r, [[0.0], [0]])[0] * 2.0)
    np.testing.assert_array_equal(traced(tf.constant(["1.5,2", ",3"])).numpy(), [3.0, 0.0])
