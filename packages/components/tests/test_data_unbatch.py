"""unbatch: TF's errors for scalar or mismatched components, at construction and at run time."""

import numpy as np
import pytest

from tensorhouse_components.data import Dataset
from tensorhouse_ops import TensorSpec, errors


@pytest.mark.parametrize(
    "make",
    [
        lambda: Dataset.from_tensor_slices([1, 2]),
        lambda: Dataset.range(3),
        lambda: Dataset.from_tensor_slices([1.5]).batch(1).unbatch(),
        lambda: Dataset.from_tensors({"a": np.zeros([2, 1]), "b": 5}),
        lambda: Dataset.from_tensor_slices(([1, 2], [[1], [2]])),
    ],
)
def test_scalar_components_raise_value_error_at_construction(make):
    with pytest.raises(ValueError, match=r"^Cannot unbatch an input with scalar components\.$"):
        make().unbatch()


def test_mismatched_known_leading_dims_raise_value_error():
    with pytest.raises(ValueError, match="matching leading dimension. Encountered both 1 and 2"):
        Dataset.from_tensors(([1], [1, 2])).unbatch()


def test_rows_come_out_in_order():
    ds = Dataset.from_tensors((np.arange(6).reshape(3, 2), np.array([7, 8, 9]))).unbatch()
    got = [(a.numpy().tolist(), int(b)) for a, b in ds]
    assert got == [([0, 1], 7), ([2, 3], 8), ([4, 5], 9)]


def _gen(values, n):
    sig = tuple(TensorSpec(None, "int32") for _ in range(n))
    return Dataset.from_generator(lambda: iter(values), output_signature=sig)


def test_unknown_rank_unbatches_by_value():
    ds = _gen([([1], [4]), ([2, 3], [5, 6])], 2).unbatch()
    assert [(int(a), int(b)) for a, b in ds] == [(1, 4), (2, 5), (3, 6)]


def test_scalar_value_of_unknown_rank_raises_invalid_argument():
    ds = _gen([([1], 2)], 2).unbatch()
    with pytest.raises(errors.InvalidArgumentError, match="non-scalar value in each component"):
        list(ds)


def test_mismatched_batch_sizes_at_run_time_raise_invalid_argument():
    ds = _gen([([1], [2, 3])], 2).unbatch()
    with pytest.raises(errors.InvalidArgumentError, match="Component 0 had size 1 but component 1"):
        list(ds)
