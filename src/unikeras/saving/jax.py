"""Orbax checkpoints (``orbax-checkpoint``, JAX's checkpoint library) for
``keras.callbacks.OrbaxCheckpoint`` and for loading an Orbax checkpoint directory with
``model.load_weights`` / ``keras.saving.load_model``. Orbax's v1 API, as Keras 3.15
uses it: a ``training.Checkpointer`` over a root directory with one sub-directory per
step, holding the checkpointables ``pytree`` (the model's state tree), ``model_config``
(its JSON config) and, when present, ``assets``. Arrays are written by tensorstore; a
sharded ``jax.Array`` is written shard by shard by the processes that hold it, and read
back into the shardings asked for."""

from __future__ import annotations

import os


def _ocp():
    try:
        import orbax.checkpoint.v1 as ocp
    except ImportError:
        try:
            import orbax.checkpoint.experimental.v1 as ocp
        except ImportError as e:
            raise ImportError(
                "OrbaxCheckpoint requires the 'orbax-checkpoint' package (pip install "
                "orbax-checkpoint, or unikeras[orbax]).") from e
    return ocp


def checkpointer(directory, max_to_keep=None):
    """A ``training.Checkpointer`` keeping the ``max_to_keep`` latest steps (all when
    None); every step it is asked to save is saved."""
    ocp = _ocp()
    pol = ocp.training.preservation_policies.LatestN(max_to_keep) if max_to_keep else None
    return ocp.training.Checkpointer(
        directory=directory, preservation_policy=pol,
        save_decision_policy=ocp.training.save_decision_policies.FixedIntervalPolicy(1))


def save(ckpt, step, payload, background):
    """Save ``payload`` (checkpointables) as ``step``; in the background: the future."""
    ocp = _ocp()
    with ocp.Context():
        if background:
            return ckpt.save_checkpointables_async(step, payload)
        ckpt.save_checkpointables(step, payload)
    return None


def is_multi_process():
    import jax

    return jax.process_count() > 1


def process_index():
    import jax

    return jax.process_index()


def sync(key):
    if is_multi_process():
        _ocp().multihost.sync_global_processes(key)


def is_checkpoint(path):
    """Whether ``path`` is an Orbax checkpoint: a root of step directories or one step."""
    if not os.path.isdir(path):
        return False
    names = os.listdir(path)
    if {"orbax.checkpoint", "pytree", "_CHECKPOINT_METADATA", "checkpoint_metadata"} & set(names):
        return True
    return any(n.isdigit() and os.path.isdir(os.path.join(path, n)) for n in names)


def step_path(path):
    """A step directory: ``path`` itself, or the latest step of a root directory."""
    names = os.listdir(path)
    if not any(n.isdigit() and os.path.isdir(os.path.join(path, n)) for n in names):
        return path
    latest = _ocp().training.Checkpointer(directory=path).latest
    if latest is None:
        raise ValueError(f"No valid checkpoints found in {path}")
    return os.path.join(path, str(latest.step))


def saved_names(step_dir):
    """The checkpointables saved in a step directory."""
    return set(_ocp().checkpointables_metadata(step_dir).metadata.keys())


def load(step_dir, request):
    """``{name: loaded}`` for the checkpointables of ``request`` (``{name: abstract tree
    or None}``; an abstract tree's leaves give the shapes, dtypes and shardings)."""
    ocp = _ocp()
    with ocp.Context():
        return ocp.load_checkpointables(step_dir, request)


def abstract_pytree(step_dir, shardings):
    """The saved state tree's structure with ``jax.ShapeDtypeStruct`` leaves carrying the
    sharding of the variable at each path (``shardings``: ``{group: {path: sharding}}``),
    so that Orbax reads each array into the layout the distribution in force asks for;
    an array with no sharding given goes to the first device (not the devices it was
    saved from, which this process may not have)."""
    import jax

    default = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    meta = _ocp().pytree_metadata(step_dir, checkpointable_name="pytree").metadata

    def walk(node, prefix, group):
        if isinstance(node, dict):
            return {k: walk(v, f"{prefix}{k}/", group) for k, v in node.items()}
        if hasattr(node, "shape") and hasattr(node, "dtype"):
            s = shardings.get(group, {}).get(prefix[:-1]) or default
            return jax.ShapeDtypeStruct(node.shape, node.dtype, sharding=s)
        return node  # a scalar: its metadata is its type's placeholder

    return {group: walk(v, "", group) for group, v in meta.items()}

