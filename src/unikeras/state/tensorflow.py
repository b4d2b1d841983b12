"""TensorFlow shim for unikeras.state: variables are tf.Variable objects updated with
``.assign`` (GradientTape watches them). Layers take part in tf.nest through the
``__tf_flatten__`` / ``__tf_unflatten__`` protocol defined on the class itself; a
``Variable`` box is a tf.nest leaf that TF treats as a resource variable
(``_should_act_as_resource_variable``, ``handle``, ``__tf_tensor__``)."""

import tensorflow as tf

from ..xp import to_framework

try:  # unikeras is written without data-dependent Python control flow: autograph must
    # not rewrite it when a user's tf.function calls a layer (Keras is excluded likewise).
    from tensorflow.python.autograph.core import config as _ag_config

    if not any(getattr(r, "_prefix", None) == "unikeras" for r in _ag_config.CONVERSION_RULES):
        _ag_config.CONVERSION_RULES = (_ag_config.DoNotConvert("unikeras"),) + tuple(
            _ag_config.CONVERSION_RULES)
except Exception:  # pragma: no cover - internal layout of another TF version
    pass


_AGGREGATIONS = {"none": tf.VariableAggregation.NONE, "sum": tf.VariableAggregation.SUM,
                 "mean": tf.VariableAggregation.MEAN,
                 "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA}


def make_variable(value, variable):
    if isinstance(value, tf.Variable):
        return value
    if not isinstance(value, tf.Tensor):  # host data (a variable made in a TF scope)
        if tf.inside_function():
            # made while a tf.function traces (an optimizer built by its first apply
            # inside strategy.run): made eagerly, once, in the same strategy, as Keras
            # initialises its variables under tf.init_scope
            strategy = tf.distribute.get_strategy()
            with tf.init_scope(), strategy.scope():
                return make_variable(to_framework(value, "tensorflow"), variable)
        value = to_framework(value, "tensorflow")
    name = variable.name.replace("/", "_")
    if not tf.distribute.has_strategy():
        return tf.Variable(value, trainable=variable.trainable, name=name)
    # Under a tf.distribute strategy's scope the strategy makes the variable (mirrored
    # for MirroredStrategy). How replicas' writes combine (replica context):
    # * metric state (aggregation "sum", as Keras' Metric.add_variable): one local copy
    #   per replica, summed when read across replicas (ON_READ, SUM), so written-once
    #   `total.assign(total + x)` accumulates per replica and reads as the global sum;
    # * other non-trainable floats (BatchNorm statistics): the replicas' mean;
    # * integer state (seed counters advance alike on every replica): the first's;
    # * trainable weights are written by the optimizer in cross-replica context.
    aggregation = getattr(variable, "aggregation", "none") or "none"
    sync = tf.VariableSynchronization.AUTO
    if not variable.trainable:
        if aggregation == "sum":
            sync = tf.VariableSynchronization.ON_READ
        elif aggregation == "none":
            aggregation = "mean" if "float" in variable.dtype else "only_first_replica"
    return tf.Variable(value, trainable=variable.trainable, name=name, synchronization=sync,
                       aggregation=_AGGREGATIONS.get(aggregation, tf.VariableAggregation.NONE))


try:  # the graph's strategy stack: what tf.distribute.has_strategy() reads, at ~1/4 of
    # its cost (it is asked on every step and for every host-data default_framework())
    from tensorflow.python.framework.ops import get_default_graph as _default_graph

    _default_graph()._distribution_strategy_stack

    def strategy_scope_open():
        """True inside a tf.distribute strategy's scope (not the default strategy)."""
        # empty stack: no scope (the common case, cheap); else TF's exact answer (the
        # default strategy's own scope may be on the stack)
        return bool(_default_graph()._distribution_strategy_stack) and \
            tf.distribute.has_strategy()
except Exception:  # pragma: no cover - another TF version's internals
    def strategy_scope_open():
        """True inside a tf.distribute strategy's scope (not the default strategy)."""
        return tf.distribute.has_strategy()


def storage_dtype(dtype):
    return dtype


def variables_captured_by(fns):
    """(trainable, non-trainable) tf.Variables that the functions (tf.functions, their
    restored SavedModel forms, concrete functions) capture, each once, in first-use
    order over all their traces (export's endpoints, TFSMLayer's weights)."""
    concrete = []
    for fn in fns:
        if hasattr(fn, "_list_all_concrete_functions"):
            found = fn._list_all_concrete_functions()
            concrete += list(found) if found else [fn.get_concrete_function()]
        elif hasattr(fn, "concrete_functions"):
            concrete += list(fn.concrete_functions)
        else:
            concrete.append(fn)
    trainable, others, seen = [], [], set()
    for cf in concrete:
        for v in cf.trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                trainable.append(v)
    for cf in concrete:
        for v in cf.variables:
            if id(v) not in seen:
                seen.add(id(v))
                others.append(v)
    return trainable, others


def raw_array(native):
    if isinstance(native, tf.Variable):
        return tf.convert_to_tensor(native)
    return native


_SUM = tf.VariableAggregation.SUM
try:
    from tensorflow.python.distribute.values import SyncOnReadVariable as _PerReplica
except Exception:  # pragma: no cover - another TF version's internals
    _PerReplica = ()


def assign(native, value, variable):
    if isinstance(native, tf.Variable):
        value = tf.cast(value, native.dtype)
        if (native.aggregation == _SUM and not isinstance(native, _PerReplica)
                and _in_replicas()):
            # One copy that every replica writes (CentralStorageStrategy, or a mirrored
            # "sum" variable): the written-once `total.assign(total + x)` becomes the
            # replica's delta, and the deltas sum.
            native.assign_add(value - native.read_value())
        else:
            native.assign(value)
        return native
    return tf.cast(value, native.dtype)


def _in_replicas():
    if not strategy_scope_open():
        return False
    ctx = tf.distribute.get_replica_context()
    return ctx is not None and ctx.num_replicas_in_sync > 1


def to_tensor(native, dtype=None, name=None):
    """``tf.convert_to_tensor`` of a box's value (its ``__tf_tensor__``)."""
    return tf.convert_to_tensor(native, dtype=dtype, name=name)


# ------------------------------------------------------------------------------------
# Object-graph checkpointing. When TF is imported, every unikeras Trackable (layers,
# models, optimizers, metrics, seed generators) becomes a TF trackable: the shared base
# `Trackable` gets `_TrackableMixin` beside its empty Python base (state/tree.py), so
# `tf.train.Checkpoint(model=model, optimizer=opt)`, `tf.Module` attributes and
# `tf.saved_model.save` see the model's tf.Variables. Child names follow the structure
# (attribute names, else positions), never the unique layer names, so a fresh model
# built the same way restores a checkpoint.

_TFTrackable = tf.__internal__.tracking.Trackable


def _attribute_names(d, objs):
    ids = {id(o) for o in objs}
    return {id(v): k for k, v in d.items()
            if id(v) in ids and not k.startswith("_") and isinstance(k, str)}


def named_children(obj):
    """{name: child} of ``obj`` for TF's object graph: tf.Variables and trackables."""
    if any(v.framework != "tensorflow" for v in obj._tree_variables()):
        obj._move_to("tensorflow")  # TF asks: the values live in tf.Variables from now on
    d = obj.__dict__
    out = {}

    def add(items, prefix, names):
        for i, item in enumerate(items):
            child = getattr(item, "_value", item)  # a Variable box -> its tf.Variable
            if isinstance(child, _TFTrackable):
                out.setdefault(names.get(id(item), f"{prefix}-{i}"), child)

    if "_vars_by_attr" in d:  # a Layer / Model
        weights = obj._own_weights()
        add(weights, "variable", {id(v): k for k, v in d["_vars_by_attr"].items()})
        add(d["_layers"], "layer", _attribute_names(d, d["_layers"]))
        seeds = d["_seed_generators"]
        add(seeds, "seed_generator", _attribute_names(d, seeds))
        optimizer = d.get("optimizer")
        if isinstance(optimizer, _TFTrackable):
            out.setdefault("optimizer", optimizer)
    else:
        own, children = obj._own_variables(), obj._children()
        add(own, "variable", _attribute_names(d, own))
        add(children, "child", _attribute_names(d, children))
    return out


class _TrackableMixin(_TFTrackable):
    def _trackable_children(self, save_type="checkpoint", **kwargs):
        return named_children(self)


def restore_deferred(obj):
    """A checkpoint restored before ``obj`` had these children: fill them now."""
    pending = obj._deferred_dependencies
    if not pending:
        return
    children = named_children(obj)
    for name in [n for n in pending if n in children]:
        obj._handle_deferred_dependencies(name, children[name])


def _become_tf_trackables():
    from .tree import Trackable, _FrameworkBases

    if not issubclass(Trackable, _TFTrackable):
        Trackable.__bases__ = (_FrameworkBases, _TrackableMixin)


_become_tf_trackables()


def read_value(native):
    """The value a call returns for ``return self.v``: a tensor read of the variable."""
    return raw_array(native)
