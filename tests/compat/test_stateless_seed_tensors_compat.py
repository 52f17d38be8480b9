"""The stateless random ops take their seed (and shape) as tensors, as TF 2.21's do: inside
``tf.function`` and ``Dataset.map`` a seed known only at run time gives the numbers an eager
call with the same seed gives; bad seeds raise TF's errors; ``tf.image.stateless_random_*``,
``tf.random.experimental.stateless_split`` / ``stateless_fold_in`` and Keras's random functions
with a ``SeedGenerator`` inside ``tf.function`` (the numbers are each library's own streams)."""

import numpy as np
import pytest

SEEDS = [[1, 2], [7, -3]]


def _draws(tf):
    """name -> fn(seed): each stateless op of tf.random, on a seed tensor."""
    r = tf.random
    return {
        "uniform": lambda s: r.stateless_uniform([5], s),
        "uniform_int": lambda s: r.stateless_uniform([5], s, 0, 100, dtype=tf.int64),
        "normal": lambda s: r.stateless_normal([2, 3], s, 1.0, 2.0),
        "truncated_normal": lambda s: r.stateless_truncated_normal([4], s),
        "gamma": lambda s: r.stateless_gamma([3, 2], s, alpha=[1.0, 3.0]),
        "poisson": lambda s: r.stateless_poisson([4], s, lam=3.0),
        "binomial": lambda s: r.stateless_binomial([4], s, counts=30.0, probs=0.4),
        "categorical": lambda s: r.stateless_categorical([[0.0, 1.0, 2.0]], 6, s),
        "split": lambda s: r.experimental.stateless_split(s, 3),
        "fold_in": lambda s: r.experimental.stateless_fold_in(s, 5),
    }


DRAWS = ["uniform", "uniform_int", "normal", "truncated_normal", "gamma", "poisson", "binomial",
         "categorical", "split", "fold_in"]  # fmt: skip


@pytest.mark.parametrize("name", DRAWS)
@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_a_traced_seed_gives_the_eager_numbers(tf, name, dtype):
    fn = _draws(tf)[name]
    traced = tf.function(fn)
    got = [traced(tf.constant(s, dtype)).numpy() for s in SEEDS]
    want = [fn(tf.constant(s, dtype)).numpy() for s in SEEDS]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    if name != "fold_in":  # fold_in keeps the data, the seeds differ in one entry only
        assert not np.array_equal(got[0], got[1])


def test_split_and_fold_in_are_the_experimental_functions(tf):
    s = tf.constant([4, 5], tf.int64)
    np.testing.assert_array_equal(
        tf.random.split(s, 2).numpy(), tf.random.experimental.stateless_split(s, 2).numpy()
    )
    np.testing.assert_array_equal(
        tf.random.fold_in(s, 3).numpy(), tf.random.experimental.stateless_fold_in(s, 3).numpy()
    )
    assert tf.random.experimental.stateless_split(s).shape == (2, 2)


def test_bad_seeds_raise_tfs_errors_eagerly(tf):
    for seed in ([1, 2, 3], [[1, 2]]):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
            tf.random.stateless_uniform([2], seed=seed)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32, int64"):
        tf.random.stateless_normal([2], seed=[1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
        tf.random.stateless_poisson([2], seed=[1, 2, 3], lam=1.0)


def test_bad_seeds_raise_tfs_errors_while_tracing(tf):
    f = tf.function(lambda s: tf.random.stateless_uniform([3], seed=s))
    with pytest.raises(ValueError):
        f.get_concrete_function(tf.TensorSpec([3], tf.int64))
    with pytest.raises(TypeError, match="int32, int64"):
        f.get_concrete_function(tf.TensorSpec([2], tf.float32))
    unknown = f.get_concrete_function(tf.TensorSpec([None], tf.int64))  # checked when run
    assert unknown.structured_outputs.shape.as_list() == [3]
    np.testing.assert_array_equal(
        unknown(tf.constant([1, 2], tf.int64)).numpy(),
        tf.random.stateless_uniform([3], seed=[1, 2]).numpy(),
    )


def test_a_shape_tensor_gives_unknown_dims_and_the_eager_numbers(tf):
    f = tf.function(lambda s, n: tf.random.stateless_normal([n, 2], seed=s))
    spec = f.get_concrete_function(tf.TensorSpec([2], tf.int64), tf.TensorSpec([], tf.int32))
    assert spec.structured_outputs.shape.as_list() == [None, 2]
    got = f(tf.constant([3, 4], tf.int64), tf.constant(3))
    np.testing.assert_array_equal(got.numpy(), tf.random.stateless_normal([3, 2], [3, 4]).numpy())


STATELESS_IMAGE = [
    ("stateless_random_flip_left_right", {}),
    ("stateless_random_flip_up_down", {}),
    ("stateless_random_brightness", {"max_delta": 0.3}),
    ("stateless_random_contrast", {"lower": 0.5, "upper": 1.5}),
    ("stateless_random_saturation", {"lower": 0.5, "upper": 1.5}),
    ("stateless_random_hue", {"max_delta": 0.2}),
]


@pytest.mark.parametrize("name, kwargs", STATELESS_IMAGE, ids=[n for n, _ in STATELESS_IMAGE])
def test_image_stateless_ops_are_functions_of_the_seed(tf, name, kwargs):
    fn = getattr(tf.image, name)
    img = tf.constant(np.random.default_rng(0).uniform(size=(4, 5, 3)).astype(np.float32))
    runs = {tuple(s): fn(img, seed=tf.constant(s), **kwargs).numpy() for s in SEEDS}
    traced = tf.function(lambda x, s: fn(x, seed=s, **kwargs))
    for s, want in runs.items():
        np.testing.assert_array_equal(fn(img, seed=list(s), **kwargs).numpy(), want)
        np.testing.assert_allclose(traced(img, tf.constant(s)).numpy(), want, rtol=1e-6)
        assert want.shape == (4, 5, 3)


def test_image_stateless_flips_flip_or_keep_each_image(tf):
    batch = np.arange(8 * 2 * 3 * 1, dtype=np.float32).reshape(8, 2, 3, 1)
    flipped = [
        tf.image.stateless_random_flip_left_right(batch, seed=[i, 9]).numpy() for i in range(6)
    ]
    kinds = set()
    for out in flipped:
        for x, y in zip(batch, out):
            same, mirrored = np.array_equal(x, y), np.array_equal(x[:, ::-1], y)
            assert same or mirrored
            kinds.add(mirrored)
    assert kinds == {True, False}


def test_image_stateless_crop_is_a_window_of_the_image(tf):
    img = np.arange(6 * 7 * 2, dtype=np.int32).reshape(6, 7, 2)
    crops = [tf.image.stateless_random_crop(img, [3, 4, 2], seed=[s, 1]).numpy() for s in range(8)]
    offsets = set()
    for c in crops:
        i, j = np.argwhere(img[:, :, 0] == c[0, 0, 0])[0]
        np.testing.assert_array_equal(c, img[i : i + 3, j : j + 4])
        offsets.add((i, j))
    assert len(offsets) > 1
    with pytest.raises(ValueError):
        tf.image.stateless_random_brightness(img, -1.0, seed=[1, 2])
    with pytest.raises(ValueError):
        tf.image.stateless_random_hue(img, 0.7, seed=[1, 2])


def test_dataset_map_with_split_seeds_gives_the_eager_images(tf):
    imgs = np.random.default_rng(1).uniform(size=(5, 4, 6, 3)).astype(np.float32)
    seeds = tf.random.experimental.stateless_split([1, 2], 5)

    def augment(img, seed):
        img = tf.image.stateless_random_flip_left_right(img, seed)
        return tf.image.stateless_random_brightness(img, 0.2, seed)

    ds = tf.data.Dataset.zip(
        (tf.data.Dataset.from_tensor_slices(imgs), tf.data.Dataset.from_tensor_slices(seeds))
    )
    got = [x.numpy() for x in ds.map(augment)]
    for i, g in enumerate(got):
        np.testing.assert_allclose(g, augment(tf.constant(imgs[i]), seeds[i]).numpy(), rtol=1e-6)


def test_generator_make_seeds_in_dataset_map(tf):
    rng = tf.random.Generator.from_seed(123)

    def f(x):
        seed = rng.make_seeds(1)[:, 0]
        return tf.random.stateless_uniform([2], seed), seed

    out = list(tf.data.Dataset.range(3).map(f))
    seeds = {tuple(s.numpy()) for _, s in out}
    assert len(seeds) == 3  # a new seed per element
    for u, s in out:
        np.testing.assert_array_equal(u.numpy(), tf.random.stateless_uniform([2], s).numpy())


def test_keras_seed_generator_inside_tf_function_draws_anew(tf):
    keras = tf.keras
    eager_gen, traced_gen = keras.random.SeedGenerator(42), keras.random.SeedGenerator(42)
    want = [keras.random.normal([3], seed=eager_gen).numpy() for _ in range(3)]
    f = tf.function(lambda: keras.random.normal([3], seed=traced_gen))
    got = [f().numpy() for _ in range(3)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert not np.array_equal(got[0], got[1])


def test_keras_binomial_with_a_seed_generator_inside_tf_function(tf):
    keras = tf.keras
    gen = keras.random.SeedGenerator(7)
    f = tf.function(lambda: keras.random.binomial([64], 10, 0.5, seed=gen))
    a, b = f().numpy(), f().numpy()
    assert not np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 10 and abs(a.mean() - 5) < 1.0
    fixed = tf.function(lambda: keras.random.binomial([64], 10, 0.5, seed=3))
    np.testing.assert_array_equal(fixed().numpy(), fixed().numpy())


def test_parameterized_truncated_normal(tf):
    fn = tf.random.stateless_parameterized_truncated_normal
    x = fn([1000, 2], tf.constant([1, 2]), means=[0.0, 50.0], stddevs=2.0, minvals=[-1.0, 55.0],
           maxvals=[1.0, 60.0])  # fmt: skip
    assert x.shape == (1000, 2) and x.dtype == tf.float32
    v = x.numpy()
    assert (np.abs(v[:, 0]) <= 1.0).all() and ((v[:, 1] >= 55.0) & (v[:, 1] <= 60.0)).all()
    assert abs(v[:, 0].mean()) < 0.1 and v[:, 1].mean() < 57.0  # the tail's mass near 55
    f64 = [tf.constant(c, tf.float64) for c in (0.0, 1.0, -2.0, 2.0)]
    assert fn([3], [1, 2], *f64).dtype == tf.float64
    traced = tf.function(lambda s: fn([4], s, means=3.0))
    np.testing.assert_array_equal(traced(tf.constant([5, 6])).numpy(), fn([4], [5, 6], 3.0).numpy())
    for kwargs in ({"stddevs": -1.0}, {"minvals": 1.0, "maxvals": 1.0}, {"means": [[1.0, 2.0]]},
                   {"means": tf.constant(0.0, tf.float64)}):  # fmt: skip
        with pytest.raises(tf.errors.InvalidArgumentError):
            fn([3, 2], [1, 2], **kwargs)


def test_integer_bounds_may_be_tensors_known_when_the_function_runs(tf):
    f = tf.function(
        lambda s, x: tf.random.stateless_uniform([50], s, 0, tf.shape(x)[0], dtype=tf.int32)
    )
    got = f(tf.constant([1, 2]), tf.zeros([7])).numpy()
    want = tf.random.stateless_uniform([50], [1, 2], 0, 7, dtype=tf.int32).numpy()
    np.testing.assert_array_equal(got, want)
    assert set(got.tolist()) == set(range(7))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval, got 0 >= 0"):
        f(tf.constant([1, 2]), tf.zeros([0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval, got 3 >= 3"):
        tf.random.stateless_uniform([5], [1, 2], 3, 3, dtype=tf.int64)


def test_stateless_shuffle_is_a_permutation_fixed_by_the_seed(tf):
    shuffle = tf.random.experimental.stateless_shuffle
    x = np.arange(20 * 2).reshape(20, 2)
    a = shuffle(x, [1, 2]).numpy()
    np.testing.assert_array_equal(a, shuffle(tf.constant(x), tf.constant([1, 2])).numpy())
    assert sorted(a[:, 0].tolist()) == list(range(0, 40, 2)) and (a[:, 1] == a[:, 0] + 1).all()
    assert not np.array_equal(a, x) and not np.array_equal(a, shuffle(x, [1, 3]).numpy())
    f = tf.function(shuffle)
    spec = f.get_concrete_function(tf.TensorSpec([None, 2], tf.int64), tf.TensorSpec([2], tf.int32))
    assert spec.structured_outputs.shape.as_list() == [None, 2]
    np.testing.assert_array_equal(f(tf.constant(x), tf.constant([1, 2])).numpy(), a)
    assert shuffle(3, [1, 2]).numpy() == 3 and shuffle(tf.zeros([0, 2]), [1, 2]).shape == (0, 2)
