"""JAX (and Flax) side of ``JaxLayer`` / ``FlaxLayer``: pytree traversal of the wrapped
function's params/state, seeds as JAX PRNG keys, and Flax module init/apply."""

import jax
import jax.numpy as jnp
import numpy as np


def flatten(tree):
    """Leaves and treedef by jax.tree_util (it knows Flax's FrozenDict and every class
    registered with JAX)."""
    return jax.tree_util.tree_flatten(tree)


def unflatten(treedef, leaves):
    return jax.tree_util.tree_unflatten(treedef, leaves)


def is_array_leaf(value):
    """Leaves that become variables: arrays and Python numbers (other leaves are
    configuration the function receives as is)."""
    return isinstance(value, (jax.Array, np.ndarray, np.generic, bool, int, float))


def as_jax(tree):
    """Host (NumPy) arrays in ``tree`` as JAX arrays; JAX arrays and tracers unchanged."""
    return jax.tree_util.tree_map(
        lambda a: jnp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a, tree)


def to_key(seed):
    """A unikeras seed pair (``[seed, counter]``: an int array or a pair of ints) as a
    raw JAX PRNG key (uint32[2]), as Keras' jax backend passes its seed state."""
    return jnp.asarray(seed).astype(jnp.uint32)


def ones(shape):
    return jnp.ones(shape)


def in_trace(tree):
    return any(isinstance(a, jax.core.Tracer) for a in jax.tree_util.tree_leaves(tree))


# -- Flax linen -----------------------------------------------------------------------
def flax_apply(module, method, variables, inputs, rngs, training=None):
    from flax.linen import DenyList

    kwargs = {} if training is None else {"training": training}
    return module.apply(variables, inputs, rngs=rngs, method=method,
                        mutable=DenyList(["params"]), **kwargs)


def flax_init(module, method, rngs, inputs, training=None):
    kwargs = {} if training is None else {"training": training}
    return module.init(rngs, inputs, method=method, **kwargs)


def is_flax_module(module):
    from flax import linen

    return isinstance(module, linen.Module)
