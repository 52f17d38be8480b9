"""``run_layer_test``: one call checks a layer the way Keras 3's ``run_layer_test`` does.

For a layer class, its constructor arguments and an input shape (with the batch dimension):
1. it builds on a real batch and gives ``expected_output_shape`` (and ``expected_output_dtype``),
   with the expected numbers of trainable and non-trainable weights;
2. called on ``Input`` (batch unknown) it gives a symbolic tensor of that shape, batch ``None``;
3. ``from_config(get_config())`` (and ``layers.deserialize(layers.serialize(...))``) rebuilds a
   layer that, given the same weights, computes the same output;
4. inside ``tensorhouse_ops.function`` it computes what it computes eagerly (in inference mode,
   and in training mode when the layer has no randomness);
5. with ``check_unknown_batch``, traced with an ``input_signature`` whose batch dimension is
   ``None``, it gives the eager output at the test batch size and at that size + 1 (in training
   mode with randomness, the output shapes);
6. with ``check_gradients``, built in float64, the gradient of ``sum(output * r)`` with respect
   to the input and each trainable weight matches central differences;
7. with ``check_mixed_precision`` (float inputs), the layer under ``mixed_float16`` keeps float32
   weights, gives float16 outputs and, with the same weights, the float32 numbers within 1e-2;
8. masks, Keras's way: ``supports_masking`` is the one given; with ``input_mask`` (a boolean
   array, or a list with one per input, None for an unmasked one) attached to the inputs, or
   with ``expected_mask`` alone (a layer that makes masks, such as ``Embedding``), the outputs
   carry ``expected_mask`` (one per output; None: no mask), eagerly and traced, and (where it
   ``supports_masking``) ``compute_mask`` gives it; a ``call`` that takes ``mask=`` computes,
   from the attached masks, what it computes with them passed explicitly.
Each failure names the layer, the step and the numbers.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import GradientTape, TensorSpec, constant, function, reduce_sum
from tensorhouse_ops.nest import flatten, map_structure

from .. import layers as layers_module
from .._masks import get_keras_mask, set_keras_mask

__all__ = ["run_layer_test"]


def _sample(shape, dtype, rng, input_range):
    lo, hi = input_range
    if np.dtype(dtype).kind in "iu":
        return rng.integers(int(lo), int(hi), size=shape).astype(dtype)
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def _numpy(x):
    return np.asarray(x)


def _close(a, b, rtol, atol, what):
    for x, y in zip(flatten(a), flatten(b)):
        np.testing.assert_allclose(_numpy(x), _numpy(y), rtol=rtol, atol=atol, err_msg=what)


def run_layer_test(
    layer_cls,
    init_kwargs=None,
    input_shape=None,
    input_dtype="float32",
    input_data=None,
    expected_output_shape=None,
    expected_output_dtype=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    call_kwargs=None,
    supports_training=True,
    random_in_training=False,
    check_symbolic=True,
    check_gradients=False,
    check_unknown_batch=True,
    check_mixed_precision=True,
    input_range=(-1.0, 1.0),
    seed=0,
    rtol=1e-5,
    atol=1e-6,
    supports_masking=None,
    input_mask=None,
    expected_mask=None,
):
    """Run the checks listed in the module docstring; raises ``AssertionError`` on the first
    that fails. Returns the built layer."""
    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    name = layer_cls.__name__
    if input_data is None:
        if input_shape is None:
            raise ValueError("run_layer_test needs input_shape or input_data")
        shapes = _as_structure(input_shape)
        if _is_shape(shapes):
            input_data = _sample(shapes, input_dtype, rng, input_range)
        else:
            input_data = [_sample(s, input_dtype, rng, input_range) for s in shapes]
    x = map_structure(constant, input_data)

    # 1. build on data; shapes, dtype and weight counts
    layer = layer_cls(**init_kwargs)
    out = layer(x, **call_kwargs)
    if expected_output_shape is not None:
        got = _shapes(out)
        assert got == _as_structure(expected_output_shape), (
            f"{name}: output shape {got}, expected {expected_output_shape}"
        )
    if expected_output_dtype is not None:
        for t in flatten(out):
            assert t.dtype.name == expected_output_dtype, (
                f"{name}: output dtype {t.dtype.name}, expected {expected_output_dtype}"
            )
    if expected_num_trainable_weights is not None:
        n = len(layer.trainable_weights)
        assert n == expected_num_trainable_weights, (
            f"{name}: {n} trainable weights, expected {expected_num_trainable_weights}"
        )
    if expected_num_non_trainable_weights is not None:
        n = len(layer.non_trainable_weights)
        assert n == expected_num_non_trainable_weights, (
            f"{name}: {n} non-trainable weights, expected {expected_num_non_trainable_weights}"
        )

    # 2. symbolic call on Input: the same shape with the batch unknown
    if check_symbolic and expected_output_shape is not None:
        symbolic_layer = layer_cls(**init_kwargs)
        inputs = map_structure(
            lambda a: layers_module.Input(shape=a.shape[1:], dtype=str(a.dtype)), input_data
        )
        sym = symbolic_layer(inputs, **call_kwargs)
        got = _shapes(sym)
        want = _as_structure(expected_output_shape)
        want = (None, *want[1:]) if _is_shape(want) else [(None, *w[1:]) for w in want]
        assert got == want, f"{name}: symbolic output shape {got}, expected {want}"

    # 3. config round trips, the same weights giving the same output
    reference = layer(x, **call_kwargs)
    for rebuilt in (
        layer_cls.from_config(layer.get_config()),
        layers_module.deserialize(
            layers_module.serialize(layer), custom_objects={layer_cls.__name__: layer_cls}
        ),
    ):
        rebuilt(x, **call_kwargs)
        rebuilt.set_weights(layer.get_weights())
        _close(rebuilt(x, **call_kwargs), reference, rtol, atol, f"{name}: config round trip")

    # 4. eager == traced, inference and (when deterministic) training
    modes = [False] + ([True] if supports_training and not random_in_training else [])
    for training in modes:
        kwargs = dict(call_kwargs, training=training) if supports_training else call_kwargs
        eager = layer(x, **kwargs)
        traced = function(lambda inp, kw=kwargs: layer(inp, **kw))(x)
        _close(traced, eager, rtol, atol, f"{name}: traced != eager (training={training})")

    # 5. traced with the batch dimension unknown, at two batch sizes
    if check_unknown_batch:
        _check_unknown_batch(layer, input_data, call_kwargs, supports_training, random_in_training,
                             rtol, atol, name)  # fmt: skip

    # 6. gradients against central differences, in float64
    if check_gradients:
        _check_gradients(layer_cls, init_kwargs, input_data, call_kwargs, rng, name)

    # 7. mixed precision: float32 weights, float16 outputs, the float32 numbers
    floats = all(np.dtype(a.dtype).kind == "f" for a in flatten(input_data))
    if check_mixed_precision and floats and "dtype" not in init_kwargs:
        mixed = layer_cls(**dict(init_kwargs, dtype="mixed_float16"))
        mixed(x, **call_kwargs)
        mixed.set_weights(layer.get_weights())
        kinds = {w.dtype.name for w in mixed.weights if w.dtype.is_floating}
        assert kinds <= {"float32"}, f"{name}: mixed_float16 weights in {kinds}, not float32"
        out = mixed(x, **call_kwargs)
        kinds = {t.dtype.name for t in flatten(out) if t.dtype.is_floating}
        assert kinds <= {"float16"}, f"{name}: mixed_float16 outputs in {kinds}, not float16"
        now = layer(x, **call_kwargs)  # after training calls moved any moving statistics
        _close(out, now, 1e-2, 1e-2, f"{name}: mixed_float16 numbers")

    # 8. masks: supports_masking, the output masks eager and traced, compute_mask, mask=
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking, (
            f"{name}: supports_masking is {layer.supports_masking}, expected {supports_masking}"
        )
    if input_mask is not None or expected_mask is not None:
        _check_masks(layer, x, input_mask, expected_mask, call_kwargs, rtol, atol, name)
    return layer


def _masked(x, input_mask):
    """Copies of the inputs ``x`` carrying ``input_mask`` (the structure of ``x``)."""
    if input_mask is None:
        return x, None
    masks = [None if m is None else constant(m) for m in flatten(input_mask)]
    copies = [t + 0 if m is not None else t for t, m in zip(flatten(x), masks)]
    for t, m in zip(copies, masks):
        set_keras_mask(t, m)
    return _pack(x, copies), masks if isinstance(x, list | tuple) else masks[0]


def _same_masks(got, expected, what):
    """``got`` (a mask per output) against ``expected`` (one mask, or one per output; the
    outputs past it carry none)."""
    expected = list(expected) if isinstance(expected, list | tuple) else [expected]
    expected += [None] * (len(got) - len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None:
            assert g is None, f"{what}: output {i} carries a mask, Keras's has none"
        else:
            assert g is not None, f"{what}: output {i} carries no mask, Keras's has one"
            np.testing.assert_array_equal(_numpy(g), np.asarray(e), err_msg=f"{what}, output {i}")


def _check_masks(layer, x, input_mask, expected_mask, call_kwargs, rtol, atol, name):
    xm, masks = _masked(x, input_mask)
    out = layer(xm, **call_kwargs)
    _same_masks([get_keras_mask(t) for t in flatten(out)], expected_mask, f"{name}: mask")

    def traced(inputs):
        y = layer(_masked(inputs, input_mask)[0], **call_kwargs)
        return [get_keras_mask(t) for t in flatten(y)]

    _same_masks(function(traced)(x), expected_mask, f"{name}: traced mask")
    if layer.supports_masking:  # (Keras's compute_mask of the others returns the input's)
        computed = layer.compute_mask(xm, masks)
        _same_masks(flatten(computed) if isinstance(computed, list | tuple)
                    else [computed], expected_mask, f"{name}: compute_mask")  # fmt: skip
    if masks is not None and "mask" in getattr(layer, "_call_params", ()):
        explicit = layer(x, **dict(call_kwargs, mask=masks))
        _close(out, explicit, rtol, atol, f"{name}: the attached mask != mask= passed")


def _check_unknown_batch(layer, data, call_kwargs, supports_training, random, rtol, atol, name):
    signature = [
        map_structure(lambda a: TensorSpec([None, *a.shape[1:]], dtype=str(a.dtype)), data)
    ]
    bigger = map_structure(lambda a: np.concatenate([a, a[:1]]), data)
    for training in [False, True] if supports_training else [None]:
        kwargs = call_kwargs if training is None else dict(call_kwargs, training=training)
        traced = function(_caller(layer, kwargs), input_signature=signature)
        for batch in (data, bigger):
            x = map_structure(constant, batch)
            got, eager = traced(x), layer(x, **kwargs)
            what = f"{name}: traced with batch None != eager (training={training}, batch "
            what += f"{len(flatten(batch)[0])})"
            if training and random:
                assert _shapes(got) == _shapes(eager), f"{what}: {_shapes(got)}"
            else:
                _close(got, eager, rtol, atol, what)


def _caller(layer, kwargs):
    return lambda inputs: layer(inputs, **kwargs)


def _is_shape(x):
    return isinstance(x, tuple | list) and all(isinstance(d, int | type(None)) for d in x)


def _as_structure(shape):
    """A shape (a sequence of ints) as a tuple; a list of shapes as a list of tuples."""
    if _is_shape(shape):
        return tuple(shape)
    return [_as_structure(s) for s in shape]


def _shapes(tensors):
    """The shape of a tensor, or the list of shapes of a list of tensors (symbolic or not)."""
    if isinstance(tensors, list | tuple):
        return [_shapes(t) for t in tensors]
    shape = tensors.shape
    return tuple(shape.as_list() if hasattr(shape, "as_list") else shape)


def _check_gradients(layer_cls, init_kwargs, input_data, call_kwargs, rng, name, eps=1e-6):
    layer = layer_cls(**dict(init_kwargs, dtype="float64"))
    xs = [np.asarray(a, dtype=np.float64) for a in flatten(input_data)]
    structure = input_data
    layer(map_structure(constant, _pack(structure, xs)), **call_kwargs)
    out_probe = layer(map_structure(constant, _pack(structure, xs)), **call_kwargs)
    weights_r = [rng.standard_normal(_numpy(t).shape) for t in flatten(out_probe)]

    def objective():
        out = layer(map_structure(constant, _pack(structure, xs)), **call_kwargs)
        return sum(float(np.sum(_numpy(o) * r)) for o, r in zip(flatten(out), weights_r))

    tensors = [constant(a) for a in xs]
    with GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        out = layer(_pack(structure, tensors), **call_kwargs)
        total = sum(reduce_sum(o * constant(r)) for o, r in zip(flatten(out), weights_r))
    variables = list(layer.trainable_weights)
    grads = tape.gradient(total, tensors + variables)
    for i, (a, g) in enumerate(zip(xs, grads[: len(xs)])):
        assert g is not None, f"{name}: the gradient of input {i} is None"
        numeric = _numeric(objective, a, eps)
        np.testing.assert_allclose(_numpy(g), numeric, rtol=1e-4, atol=1e-6,
                                   err_msg=f"{name}: gradient of input {i}")  # fmt: skip
    for v, g in zip(variables, grads[len(xs) :]):
        assert g is not None, f"{name}: the gradient of {v.name} is None"
        value = np.array(_numpy(v))
        picked = rng.permutation(value.size)[:40]  # a sample of entries keeps it quick
        numeric = []
        for j in picked:
            diffs = []
            for sign in (1, -1):
                moved = value.copy()
                moved.reshape(-1)[j] += sign * eps
                v.assign(moved)
                diffs.append(objective())
            numeric.append((diffs[0] - diffs[1]) / (2 * eps))
        v.assign(value)
        np.testing.assert_allclose(_numpy(g).reshape(-1)[picked], numeric, rtol=1e-4, atol=1e-6,
                                   err_msg=f"{name}: gradient of {v.name}")  # fmt: skip


def _pack(structure, flat):
    from tensorhouse_ops.nest import pack_sequence_as

    return pack_sequence_as(structure, list(flat))


def _numeric(objective, a, eps):
    """Central differences of ``objective`` in each entry of ``a`` (changed in place)."""
    out = np.zeros_like(a)
    flat, grad = a.reshape(-1), out.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = objective()
        flat[j] = old - eps
        down = objective()
        flat[j] = old
        grad[j] = (up - down) / (2 * eps)
    return out
