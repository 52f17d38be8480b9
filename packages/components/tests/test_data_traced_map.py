"""``Dataset.map`` runs its function traced: one trace on the element spec (unknown dims stay
unknown), the graph per element, eager only for functions that cannot trace."""

from __future__ import annotations

import collections

import numpy as np

import tensorhouse_ops as tfo
from tensorhouse_components.data import Dataset


def _images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (3 + i, 8 - i, 3), dtype=np.uint8) for i in range(5)]


def test_python_runs_once_and_values_match_eager():
    calls = []

    def fn(x):
        calls.append(1)
        return tfo.math.sqrt(tfo.cast(x, "float32")) * 3.0 + 1.0

    got = [float(v) for v in Dataset.range(6).map(fn)]
    assert len(calls) == 1  # traced once; iterating runs the graph
    np.testing.assert_allclose(got, np.sqrt(np.arange(6, dtype=np.float32)) * 3 + 1, rtol=1e-6)
    assert [float(v) for v in Dataset.range(6).map(fn)] == got


def test_one_trace_serves_every_image_size():
    traces = []
    images = _images()

    def load(png):
        traces.append(1)
        image = tfo.image.decode_png(png, channels=3)
        return tfo.image.resize(image, [4, 6]), tfo.shape(image)

    pngs = np.array([tfo.image.encode_png(im).numpy() for im in images], dtype=object)
    for workers in (None, 3):
        traces.clear()
        ds = Dataset.from_tensor_slices(pngs).map(load, num_parallel_calls=workers)
        out = list(ds)
        assert len(traces) == 1
        for image, (resized, shape) in zip(images, out):
            assert list(shape.numpy()) == list(image.shape)
            want = tfo.image.resize(tfo.constant(image), [4, 6]).numpy()
            np.testing.assert_array_equal(resized.numpy(), want)


def test_untraceable_function_runs_eagerly_per_element():
    calls = []

    def fn(x):
        calls.append(1)
        return int(x.numpy()) * 10  # needs a value: cannot trace

    assert [int(v) for v in Dataset.range(4).map(fn)] == [0, 10, 20, 30]
    assert len(calls) >= 4


def test_ordered_dict_and_tuple_layout_survive():
    ds = Dataset.from_tensor_slices(
        collections.OrderedDict([("z", np.arange(3)), ("a", np.arange(3) * 2.0)])
    )
    out = ds.map(lambda d: collections.OrderedDict([("m", d["a"] + 1.0), ("b", (d["z"], d["z"]))]))
    first = next(iter(out))
    assert isinstance(first, collections.OrderedDict) and list(first) == ["m", "b"]
    assert float(first["m"]) == 1.0 and isinstance(first["b"], tuple)


def test_parallel_traced_map_keeps_order_with_random_ops():
    def fn(x):
        noise = tfo.random.uniform([2], seed=3)
        return tfo.cast(x, "float32") + 0.0 * tfo.reduce_sum(noise)

    got = [float(v) for v in Dataset.range(50).map(fn, num_parallel_calls=4)]
    assert got == [float(i) for i in range(50)]


def test_filter_and_take_while_trace_their_predicates():
    calls = []

    def even(x):
        calls.append(1)
        return tfo.math.equal(tfo.math.floormod(x, 2), 0)

    assert [int(v) for v in Dataset.range(7).filter(even)] == [0, 2, 4, 6]
    assert len(calls) <= 2  # the construction check and the run: not once per element
    calls.clear()
    small = Dataset.range(9).take_while(lambda x: calls.append(1) or x < 4)
    assert [int(v) for v in small] == [0, 1, 2, 3]
    assert len(calls) <= 2
