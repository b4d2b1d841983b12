"""Several optimizers for one model (Keras 3's ``MultiOptimizer`` and
``OptimizerMap``): each variable goes to the optimizer its path selects, and each inner
optimizer keeps its own slots, iterations and learning rate."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from ...utils.serialization import deserialize_simple, register, serialize_simple
from .base import Optimizer
from .loss_scale import LossScaleOptimizer


def _check_inner(optimizer, what):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a Keras Optimizer instance. Received: {optimizer}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")


@register
class OptimizerMap(MutableMapping):
    """Keras' ``OptimizerMap(default_optimizer, optimizer_map=None)``: variable path
    (exact key, else the one regex key that ``re.fullmatch``-es it) -> optimizer, else
    ``default_optimizer``. Calling it with a variable looks up its path."""

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("default_optimizer must be a Keras Optimizer instance. Received: "
                            f"{default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for k, v in (optimizer_map or {}).items():
            self[k] = v

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value "
                             f"{self._optimizer_map[key]}. Please make sure to not use "
                             "duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": serialize_simple(self._default_optimizer),
                "optimizer_map": {k: serialize_simple(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        get = deserialize_simple
        return cls(get(config["default_optimizer"]),
                   {k: get(v) for k, v in (config.get("optimizer_map") or {}).items()})


@register
class MultiOptimizer(Optimizer):
    """Keras' ``MultiOptimizer(optimizer_map, loss_scale_factor=None, name=None)``:
    ``optimizer_map`` is an ``OptimizerMap`` or any callable ``variable -> optimizer``.
    ``apply`` hands each inner optimizer its variables' gradients (each counts its own
    iterations); the MultiOptimizer's ``iterations`` counts the calls. Its variables are
    its own then every inner optimizer's, in order of first use."""

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor,
                         name=name or "multi_optimizer")
        self._optimizer_map = optimizer_map
        for opt in list(getattr(optimizer_map, "values", lambda: [])()) + [
                getattr(optimizer_map, "default_optimizer", None)]:
            if opt is not None and all(opt is not o for o in self._inner_optimizers):
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)

    @property
    def optimizers(self):
        return list(self._inner_optimizers)

    @property
    def variables(self):
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    def _children(self):
        return list(self._inner_optimizers)

    def _move_to(self, framework):
        super()._move_to(framework)
        for opt in self._inner_optimizers:
            opt._move_to(framework)

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access "
                             "the learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the "
                             "learning rate on the individual sub-optimizers instead.")

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self.__dict__["_loss_scale_factor"] = value
        for opt in self.__dict__.get("_inner_optimizers", []):
            opt.loss_scale_factor = value

    def _inner_index(self, opt):
        return next(i for i, o in enumerate(self._inner_optimizers) if o is opt)

    def build(self, variables):
        groups = {}
        self._owner = {}
        for v in variables:
            opt = self._optimizer_map(v)
            _check_inner(opt, f"The optimizer for variable {v.path}")
            if all(opt is not o for o in self._inner_optimizers):
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
            i = self._inner_index(opt)
            self._owner[id(v)] = i
            groups.setdefault(i, []).append(v)
        for i, opt in enumerate(self._inner_optimizers):
            if groups.get(i):
                opt.build(groups[i])
        super().build(variables)

    def _apply(self, pairs, fw):
        groups = {}
        for g, v in pairs:
            i = self._owner.get(id(v))
            if i is None:
                raise ValueError(f"MultiOptimizer: the variable {v.path!r} was not part of "
                                 "the list the optimizer was built with.")
            groups.setdefault(i, []).append((g, v))
        for i, opt in enumerate(self._inner_optimizers):
            if groups.get(i):
                opt._apply(groups[i], fw)
        self.iterations.assign(self.iterations.value + 1)

    def finalize_variable_values(self, var_list):
        for i, opt in enumerate(self._inner_optimizers):
            mine = [v for v in var_list if self.__dict__.get("_owner", {}).get(id(v)) == i]
            if mine:
                opt.finalize_variable_values(mine)

    def get_config(self):
        m = self._optimizer_map
        return {"optimizer_map": serialize_simple(m) if isinstance(m, OptimizerMap) else m,
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        m = config["optimizer_map"]
        if isinstance(m, dict) and m.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(m["config"])
        return cls(**config)
