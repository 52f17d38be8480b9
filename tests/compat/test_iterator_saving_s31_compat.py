"""``tf.train.Checkpoint(it=iter(dataset))``: a ``tf.data`` iterator's position is saved and
restored (TF 2.21 and tensorhouse; the state itself is each one's own format). After
``restore``, ``next`` gives the element after the saved one, on the same iterator or a new one
over the same pipeline, through ``CheckpointManager`` too."""

import os

import numpy as np
import pytest


def _values(it, n):
    return [np.asarray(next(it)).tolist() for _ in range(n)]


PIPELINES = {
    "range": lambda tf: tf.data.Dataset.range(7),
    "map_batch": lambda tf: tf.data.Dataset.range(10).map(lambda x: x * 3).batch(4),
    "repeat": lambda tf: tf.data.Dataset.range(3).repeat(3),
    "slices_batch": lambda tf: tf.data.Dataset.from_tensor_slices(
        {"a": np.arange(12, dtype="float32").reshape(6, 2), "b": np.arange(6)}
    ).batch(2),
}  # fmt: skip
AFTER_SAVE = {"range": [3, 4, 5], "repeat": [0, 1, 2]}  # the elements after the first three


@pytest.mark.parametrize("name", ["range", "repeat"])
def test_restore_goes_on_after_the_saved_element(tf, tmp_path, name):
    it = iter(PIPELINES[name](tf))
    assert len(_values(it, 3)) == 3
    ckpt = tf.train.Checkpoint(it=it)
    path = ckpt.save(os.path.join(tmp_path, "ckpt"))
    assert _values(it, 3) == AFTER_SAVE[name]  # moved on
    ckpt.restore(path)
    assert _values(it, 2) == AFTER_SAVE[name][:2]
    fresh = iter(PIPELINES[name](tf))
    tf.train.Checkpoint(it=fresh).restore(path).assert_consumed()
    assert _values(fresh, 2) == AFTER_SAVE[name][:2]


def test_map_batch_and_end_of_sequence(tf, tmp_path):
    it = iter(PIPELINES["map_batch"](tf))
    assert _values(it, 2) == [[0, 3, 6, 9], [12, 15, 18, 21]]
    ckpt = tf.train.Checkpoint(it=it)
    path = ckpt.write(os.path.join(tmp_path, "w"))
    assert _values(it, 1) == [[24, 27]]
    with pytest.raises(StopIteration):
        next(it)
    ckpt.read(path)
    assert _values(it, 1) == [[24, 27]]
    with pytest.raises(StopIteration):
        next(it)


def test_dict_elements(tf, tmp_path):
    it = iter(PIPELINES["slices_batch"](tf))
    next(it)
    ckpt = tf.train.Checkpoint(it=it)
    path = ckpt.save(os.path.join(tmp_path, "d"))
    next(it), next(it)
    ckpt.restore(path)
    element = next(it)
    assert np.asarray(element["a"]).tolist() == [[4.0, 5.0], [6.0, 7.0]]
    assert np.asarray(element["b"]).tolist() == [2, 3]


@pytest.mark.parametrize("reshuffle", [True, False])
def test_seeded_shuffle_repeat(tf, tmp_path, reshuffle):
    """The shuffle's order (a new one each pass unless ``reshuffle_each_iteration=False``)
    goes on where the save left it, also past the end of a pass."""
    ds = tf.data.Dataset.range(8).shuffle(8, seed=5, reshuffle_each_iteration=reshuffle)
    ds = ds.map(lambda x: x + 100).batch(3).repeat(3)
    it = iter(ds)
    _values(it, 4)  # into the second pass
    ckpt = tf.train.Checkpoint(it=it)
    path = ckpt.save(os.path.join(tmp_path, "s"))
    expected = _values(it, 5)
    assert sorted(sum(expected[2:], [])) == list(range(100, 108))  # the third pass, whole
    ckpt.restore(path)
    assert _values(it, 5) == expected
    fresh = iter(ds)
    tf.train.Checkpoint(it=fresh).restore(path)
    assert _values(fresh, 5) == expected


def test_checkpoint_manager_with_model_variable(tf, tmp_path):
    it = iter(tf.data.Dataset.range(100).batch(10))
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(it=it, step=step)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for _ in range(3):
        next(it)
        step.assign_add(1)
        manager.save()
    assert len(manager.checkpoints) == 2
    next(it), next(it)
    step.assign(50)
    ckpt.restore(manager.latest_checkpoint).assert_consumed()
    assert int(step.numpy()) == 3
    assert np.asarray(next(it)).tolist() == list(range(30, 40))
    older = manager.checkpoints[0]
    ckpt.restore(older)
    assert np.asarray(next(it)).tolist() == list(range(20, 30))


def test_iterator_taken_in_a_function_is_counted(tf, tmp_path):
    it = iter(tf.data.Dataset.range(10))

    @tf.function
    def take():
        return next(it)

    assert [int(take()) for _ in range(3)] == [0, 1, 2]
    ckpt = tf.train.Checkpoint(it=it)
    path = ckpt.save(os.path.join(tmp_path, "f"))
    take(), take()
    ckpt.restore(path)
    assert int(take()) == 3
