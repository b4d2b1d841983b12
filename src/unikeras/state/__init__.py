"""The pytree state core: variables, stateless scopes, seed generators, tree
registration with optree / jax / torch / tf.nest, and trainable/non-trainable split and
merge helpers."""

from .seed import SeedGenerator
from .tree import (
    NAMESPACE,
    Trackable,
    rebuild,
    tree_flatten,
    tree_map,
    tree_unflatten,
)
from .variables import StatelessScope, Variable, in_stateless_scope

__all__ = [
    "Variable",
    "StatelessScope",
    "in_stateless_scope",
    "SeedGenerator",
    "Trackable",
    "NAMESPACE",
    "rebuild",
    "tree_flatten",
    "tree_map",
    "tree_unflatten",
    "split_state",
    "merge_state",
    "swap_values",
]


def split_state(obj):
    """(trainable values, non-trainable values) of every variable ``obj`` reaches."""
    vs = obj._tree_variables()
    return ([v._value for v in vs if v.trainable], [v._value for v in vs if not v.trainable])


def merge_state(obj, trainable_values, non_trainable_values):
    """A copy of ``obj`` (see ``rebuild``) holding the given values."""
    vs = obj._tree_variables()
    t, n = iter(trainable_values), iter(non_trainable_values)
    values = [next(t) if v.trainable else next(n) for v in vs]
    return rebuild(obj, vs, values)


class swap_values:
    """Context manager: temporarily put ``values`` into ``variables`` (inside a
    StatelessScope, so assignments only rebind); on exit, the original values are
    restored. ``scope.assigned`` and the variables' values read before exit give the
    results. This is how stateless_call / stateless_apply stay pure without copying
    the model."""

    def __init__(self, variables, values):
        self.variables = list(variables)
        self.values = list(values)
        if len(self.variables) != len(self.values):
            raise ValueError(
                f"Expected {len(self.variables)} values, one per variable; received {len(self.values)}"
            )

    def __enter__(self):
        self._saved = [(v._value, v._framework) for v in self.variables]
        from ..xp import framework_of

        for v, val in zip(self.variables, self.values):
            v._value = val
            fw = framework_of(val)
            if fw is not None:
                v._framework = fw
        self.scope = StatelessScope().__enter__()
        return self.scope

    def __exit__(self, *exc):
        self.scope.__exit__(*exc)
        for v, (val, fw) in zip(self.variables, self._saved):
            v._value = val
            v._framework = fw
        return False
