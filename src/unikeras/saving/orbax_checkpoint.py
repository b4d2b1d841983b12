"""Orbax checkpoint directories (``keras.callbacks.OrbaxCheckpoint``'s, laid out as Keras
3.15 writes them): the checkpointables ``pytree`` (``model.get_state_tree()``) and
``model_config`` (``{"config": <the model's JSON config>}``), one step directory each.
``model.load_weights(directory)`` and ``keras.saving.load_model(directory)`` read the
latest step (or the step directory given). Written once; Orbax itself is called through
``saving/jax.py`` (orbax-checkpoint needs JAX installed, whatever framework the model runs
on). A model living on JAX saves its ``jax.Array``s as they are (a sharded array shard
by shard); other frameworks save NumPy copies. Loading with a JAX distribution in force
reads every array into the layout the distribution asks for (each process reads its
shards), else onto one device."""

from __future__ import annotations

import json

import numpy as np

from ..xp import shim
from ..xp._registry import default_framework

def orbax():
    """``saving/jax.py`` (the Orbax calls), or an ImportError saying what to install."""
    mod = shim("jax", "saving")
    if mod is None:
        raise ImportError("Orbax checkpoints need JAX and the 'orbax-checkpoint' package "
                          "(pip install orbax-checkpoint jax, or unikeras[orbax]).")
    return mod


def is_orbax_checkpoint(path):
    try:
        return orbax().is_checkpoint(path)
    except ImportError:
        return False


def _python_scalars(tree):
    """0-d NumPy arrays and NumPy scalars as Python numbers (what Orbax stores as scalars)."""
    if isinstance(tree, dict):
        return {k: _python_scalars(v) for k, v in tree.items()}
    if isinstance(tree, np.ndarray) and tree.ndim == 0 or isinstance(tree, np.generic):
        return tree.item()
    return tree


def payload(model, config_json=None):
    """The checkpointables of one save: ``pytree`` (the state tree; only the model's
    variables when no ``config_json`` is given: ``save_weights_only``) and, with
    ``config_json`` (the model's JSON config), ``model_config``."""
    if getattr(model, "_framework", None) == "jax":
        tree = model.get_state_tree()
    else:
        tree = _python_scalars(model.get_state_tree(value_format="numpy_array"))
    if config_json is None:
        return {"pytree": {k: tree[k] for k in ("trainable_variables", "non_trainable_variables")}}
    return {"pytree": tree, "model_config": {"config": config_json}}


def _shardings(model):
    """``{group: {path: NamedSharding}}`` from the JAX distribution in force, or {}."""
    from ..distribution import distribution

    dist = distribution()
    if dist is None or default_framework() != "jax":
        return {}
    mod = shim("jax", "distribution")
    return {g: {v.path: mod.variable_sharding(dist, v) for v in vs}
            for g, vs in model._state_groups().items()}


def _read_state(model, step_dir):
    o = orbax()
    if model.optimizer is not None and not model.optimizer.built and model.built:
        model.optimizer.build(model.trainable_variables)  # so that its slots are restored
    abstract = o.abstract_pytree(step_dir, _shardings(model))
    return o.load(step_dir, {"pytree": abstract})["pytree"]


def _flat(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _assign_state(model, state, where):
    """Assign the loaded state tree: every weight of the model must be in it (matched by
    variable path, as Keras' ``set_state_tree``), else a ValueError naming the missing
    paths and nothing is assigned; optimizer and metrics variables are restored where
    their paths match."""
    from .weights_h5 import assign_all

    pending, missing = [], []
    for group, variables in model._state_groups().items():
        flat = _flat(state.get(group) or {})
        for v in variables:
            if v.path in flat:
                pending.append((v, flat[v.path]))
            elif group in ("trainable_variables", "non_trainable_variables"):
                missing.append(v.path)
    if missing:
        saved = sorted(_flat(state.get("trainable_variables") or {}))
        raise ValueError(
            f"load_weights: the Orbax checkpoint {where!r} has no value for the model's "
            f"variables {missing[:10]} (variables are matched by path; the checkpoint holds "
            f"{saved[:10]}{' ...' if len(saved) > 10 else ''}). Name the layers alike.")
    assign_all(pending)


def load_weights(model, path):
    """Set ``model``'s state from the latest step of an Orbax directory (or the step
    directory ``path``): all of the model's weights or, on a mismatch, none."""
    step_dir = orbax().step_path(path)
    _assign_state(model, _read_state(model, step_dir), step_dir)


def load_config(path):
    """``(step directory, the model's config spec)`` of an Orbax directory's latest step
    (or of the step directory ``path``), for ``load_model``."""
    o = orbax()
    step_dir = o.step_path(path)
    if "model_config" not in o.saved_names(step_dir):
        raise ValueError("Checkpoint does not contain model configuration. This checkpoint "
                         "may have been saved with save_weights_only=True.")
    config = o.load(step_dir, {"model_config": None})["model_config"]["config"]
    return step_dir, (json.loads(config) if isinstance(config, str) else config)


def load_state(model, step_dir):
    """Assign a step directory's state to ``model`` (see ``load_weights``)."""
    _assign_state(model, _read_state(model, step_dir), step_dir)
