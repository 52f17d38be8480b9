"""Control flow inside a ``jax.jit`` computation: what the ops layer builds ``If`` / ``While``
nodes from under ``jit_compile=True`` (each run of kernel nodes between them is a ``jit_graph``
call). The functions take and return tuples of arrays; JAX is imported on the first call."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cond", "jit", "step_seed", "while_loop"]

# JAX's modules, bound by bind() when the first XLA kernel or control-flow call runs
jax: Any = None
jnp: Any = None
lax: Any = None

_LCG = 6364136223846793005  # Knuth's MMIX multiplier


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jax, jnp, lax
    jax, jnp, lax = jax_module, numpy_module, lax_module


def _loaded():
    if jax is None:
        from . import _load  # the package binds every family module, this one included

        _load()


def jit(fn):
    """``fn(*arrays) -> list of arrays`` compiled as one ``jax.jit`` computation."""
    _loaded()
    return jax.jit(fn)


def cond(pred, then_fn, else_fn):
    """``then_fn()`` where the boolean scalar ``pred`` holds, else ``else_fn()``: both branches
    return tuples of the same shapes and dtypes; only the one taken runs."""
    _loaded()
    return tuple(lax.cond(pred, then_fn, else_fn))


def while_loop(cond_fn, body_fn, carry, maximum_iterations=None):
    """``carry = body_fn(step, carry)`` while ``cond_fn(step, carry)`` holds (and ``step``, the
    int64 count of iterations run, is below ``maximum_iterations`` when given); returns the
    final carry (a tuple). The body keeps each value's shape and dtype."""
    _loaded()
    n = len(carry)

    def test(values):
        ok = cond_fn(values[n], tuple(values[:n]))
        if maximum_iterations is None:
            return ok
        return jnp.logical_and(ok, values[n] < maximum_iterations)

    def body(values):
        return (*body_fn(values[n], tuple(values[:n])), values[n] + 1)

    return tuple(lax.while_loop(test, body, (*carry, np.int64(0)))[:n])


def step_seed(seed_pair, step):
    """A random op's uint64 (seed, seed2) pair for loop iteration ``step``: the seed stepped by
    an LCG with the count, so iterations (and nested loops, stepping again) draw apart."""
    _loaded()
    pair = jnp.asarray(seed_pair, jnp.uint64)
    return pair * jnp.asarray([_LCG, 1], jnp.uint64) + jnp.asarray([step + 1, 0], jnp.uint64)
