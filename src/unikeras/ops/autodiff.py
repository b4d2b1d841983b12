"""Keras 3's autodiff ops: ``custom_gradient`` and ``jvp``. Each framework's own
machinery does the work (jax.custom_gradient / jax.jvp, torch.autograd.Function /
torch.func.jvp, tf.custom_gradient / tf.autodiff.ForwardAccumulator, in the shims); this
module picks the framework from the arguments, as every op does."""

from __future__ import annotations

import functools

import optree

from ..xp import default_framework, framework_of
from ._common import _Variable, op_error, ops_shim

__all__ = ["custom_gradient", "jvp"]

def _framework(op, tree):
    """The one framework of the array leaves of ``tree`` (the default framework if none)."""
    found = None
    for leaf in optree.tree_leaves(tree, none_is_leaf=False):
        if isinstance(leaf, _Variable):
            leaf = leaf.value
        fw = framework_of(leaf)
        if fw is None or fw == "numpy":
            continue
        if found is not None and fw != found:
            raise op_error(op, f"Arrays from two frameworks: {found} and {fw}", TypeError)
        found = fw
    fw = found or default_framework()
    if not hasattr(ops_shim(fw), "custom_gradient"):  # no autodiff (NumPy, strict)
        raise op_error(op, f"expected jax, torch or tensorflow arrays (autodiff); received "
                       f"{fw} arrays, which have no automatic differentiation")
    return fw


def custom_gradient(f):
    """Decorate ``f(*args) -> (outputs, grad_fn)`` so that its gradient is
    ``grad_fn(upstream)`` (one gradient per positional argument, a single array for a
    single argument), on the framework of the arguments it is called with::

        @ops.custom_gradient
        def log1pexp(x):
            e = ops.exp(x)
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))
            return ops.log(1 + e), grad

    Works under jax.jit / jax.grad, torch autograd and tf.GradientTape / tf.function."""
    if not callable(f):
        raise op_error("custom_gradient", f"expected a function; received {type(f).__name__}",
                       TypeError)
    per_framework = {}

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        fw = _framework("custom_gradient", args)
        fn = per_framework.get(fw)
        if fn is None:
            fn = per_framework[fw] = ops_shim(fw).custom_gradient(f)
        return fn(*args, **kwargs)

    return wrapper


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product: ``(fun(*primals), J @ tangents)``, plus
    ``aux`` when ``has_aux`` (``fun`` then returns ``(output, aux)``). ``primals`` and
    ``tangents`` are tuples or lists of the same structure, one entry per positional
    argument of ``fun``."""
    if not callable(fun):
        raise op_error("jvp", f"expected a function; received {type(fun).__name__}", TypeError)
    for name, v in (("primals", primals), ("tangents", tangents)):
        if not isinstance(v, (tuple, list)):
            raise op_error("jvp", f"expected {name} to be a tuple or list of arguments; "
                           f"received {type(v).__name__}", TypeError)
    p_struct = optree.tree_structure(tuple(primals))
    t_struct = optree.tree_structure(tuple(tangents))
    if p_struct != t_struct:
        raise op_error("jvp", f"expected tangents with the structure of primals; received "
                       f"{t_struct} for primals {p_struct}")
    fw = _framework("jvp", (primals, tangents))
    return ops_shim(fw).jvp(fun, tuple(primals), tuple(tangents), bool(has_aux))
