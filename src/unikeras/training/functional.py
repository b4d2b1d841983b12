"""Functional models: a graph of layer calls recorded on KerasTensors.

The graph is stored as a list of nodes in topological order, each naming its layer by
index into ``self._layers`` (never by object), so a rebuilt pytree copy of the model
runs its own copied layers. Shared layers and nested models are layers like any other.
"""

from __future__ import annotations

from .._nest import map_nested
from ..layers.operation import Operation
from ..layers.symbolic import InputLayer, KerasTensor, Node, OpLayer, _flat
from ..utils.serialization import keras_class, keras_identity, lookup, register
from ..xp import namespace, standardize_dtype
from .data import check_numeric
from .model import Model


_DTYPE_NAMES = {}  # framework dtype object -> standardized name (a dict hit per call)


def cast_input(model, value, dtype):
    """An input array converted to its ``Input``'s dtype, as Keras 3's Functional models
    do (``convert_to_tensor(x, dtype=input.dtype)``): int data into a float model is
    cast, strings are refused with a clear error. About 0.3 us per input and call when
    nothing needs converting (one dict lookup and a comparison)."""
    vd = getattr(value, "dtype", None)
    if vd is None or dtype is None or dtype == "string":
        return value
    try:
        current = _DTYPE_NAMES[vd]
    except (KeyError, TypeError):
        if getattr(vd, "kind", None) in ("U", "S", "O"):
            check_numeric(value, f'the input of model "{model.name}"')
        try:
            current = standardize_dtype(vd)
        except (TypeError, ValueError):
            return value
        try:
            _DTYPE_NAMES[vd] = current
        except TypeError:
            pass
    if current == dtype or isinstance(value, KerasTensor):
        return value
    xp = namespace(value)
    return xp.astype(value, getattr(xp, dtype))


def _walk(outputs, first_seen=None):
    """Nodes reachable from ``outputs``, in topological order (depth-first from the
    outputs, inputs in call order). ``first_seen`` (a dict) receives each layer's
    pre-order index, Keras' tie-break among layers of equal depth."""
    order, seen, visiting = [], set(), set()

    def visit(node):
        if id(node) in seen:
            return
        if id(node) in visiting:
            raise ValueError("The layer graph has a cycle")
        if first_seen is not None:
            first_seen.setdefault(id(node.layer), len(first_seen))
        visiting.add(id(node))
        for t in node.inputs:
            if t._history is None:
                raise ValueError(f"{t} is not the output of an Input or a layer call")
            visit(t._history[0])
        visiting.discard(id(node))
        seen.add(id(node))
        order.append(node)

    for t in outputs:
        if not isinstance(t, KerasTensor) or t._history is None:
            raise ValueError("Model outputs must be KerasTensors produced by layers called on "
                             f"Input(); received {t!r}")
        visit(t._history[0])
    return order


def _keras_layer_order(nodes, first_seen):
    """The model's layers in Keras 3's order (``ops.function.map_graph``): by depth (the
    longest path to an output) decreasing, ties by first visit from the outputs. The
    order of ``model.layers`` is the order of the weights in ``get_weights`` and in
    Keras' weights files, so it must be Keras's exactly (a residual block's main branch
    comes before its shortcut, which creation order would not give)."""
    node_depth, layer_depth = {}, {}
    parents = {id(n): [t._history[0] for t in n.inputs] for n in nodes}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for parent in parents[id(node)]:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers, ids = [], set()
    for node in nodes:
        if id(node.layer) not in ids:
            ids.add(id(node.layer))
            layers.append(node.layer)
    layers.sort(key=lambda lay: (-layer_depth[id(lay)], first_seen[id(lay)]))
    return layers


@register
class Functional(Model):
    """``Model(inputs, outputs, name=None)``."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_in = [t for t in _flat(inputs)]
        flat_out = [t for t in _flat(outputs)]
        for t in flat_in:
            if not isinstance(t, KerasTensor) or t._history is None or not isinstance(
                    t._history[0].layer, InputLayer):
                raise ValueError("Model inputs must come from keras.Input(); received "
                                 f"{t!r}")
        first_seen = {}
        nodes = _walk(flat_out, first_seen)
        in_ids = {id(t) for t in flat_in}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs[0]) not in in_ids:
                raise ValueError(
                    f'Graph disconnected: the output depends on Input "{node.layer.name}", '
                    "which is not among the model's inputs")
        layers = _keras_layer_order(nodes, first_seen)
        for layer in layers:
            if layer not in self._layers:
                self._layers.append(layer)
        from ..state.tree import bump_structure_version

        bump_structure_version()
        index = {id(layer): i for i, layer in enumerate(self._layers)}
        self._nodes = [(index[id(n.layer)], n.args, n.kwargs, n.outputs, n)
                       for n in nodes if not isinstance(n.layer, InputLayer)]
        self._flat_inputs = flat_in
        self._flat_outputs = flat_out
        self.input_names = [t._history[0].layer.name for t in flat_in]
        self.output_names = [t._history[0].layer.name for t in flat_out]
        if len(set(self.output_names)) != len(self.output_names):
            self.output_names = [f"{n}_{i}" if self.output_names.count(n) > 1 else n
                                 for i, n in enumerate(self.output_names)]
        self._layer_nodes = {}
        for _, _, _, _, n in self._nodes:
            self._layer_nodes.setdefault(id(n.layer), []).append(n)
        self.built = True

    @property
    def layers(self):
        return list(self._layers)

    @property
    def _accepts_strings(self):
        return any(t.dtype == "string" for t in self._flat_inputs)

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    def _bind_inputs(self, inputs):
        values = {}
        flat = self._flat_inputs
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                for key, t in self._inputs_struct.items():
                    if key not in inputs:
                        raise ValueError(f'Model "{self.name}" expects input {key!r}; received '
                                         f"keys {sorted(inputs)}")
                    values[id(t)] = cast_input(self, inputs[key], t.dtype)
            else:
                for t, name in zip(flat, self.input_names):
                    if name not in inputs:
                        raise ValueError(f'Model "{self.name}" expects input {name!r}; received '
                                         f"keys {sorted(inputs)}")
                    values[id(t)] = cast_input(self, inputs[name], t.dtype)
            return values
        given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(flat):
            raise ValueError(f'Model "{self.name}" expects {len(flat)} input(s), but it '
                             f"received {len(given)} input tensors")
        for t, v in zip(flat, given):
            if v is not None and hasattr(v, "shape") and len(v.shape) != len(t.shape):
                raise ValueError(
                    f'Input of model "{self.name}" is incompatible: expected shape={t.shape}, '
                    f"found shape={tuple(v.shape)}")
            values[id(t)] = cast_input(self, v, t.dtype)
        return values

    def call(self, inputs, training=None, mask=None):
        values = self._bind_inputs(inputs)
        masks = {}
        if mask is not None:
            for t, m in zip(self._flat_inputs, mask if isinstance(mask, (list, tuple)) else [mask]):
                masks[id(t)] = m
        layers = self._layers
        for layer_index, args, kwargs, outputs, _ in self._nodes:
            layer = layers[layer_index]
            cargs = map_nested(lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, args)
            ckwargs = map_nested(lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, kwargs)
            in_masks = [masks.get(id(a)) for a in _flat(args) if isinstance(a, KerasTensor)]
            if any(m is not None for m in in_masks) and "mask" not in ckwargs and layer._accepts_mask():
                ckwargs["mask"] = in_masks[0] if len(in_masks) == 1 else in_masks
            out = layer(*cargs, **ckwargs)
            flat_out = [o for o in _flat(out)]
            for t, v in zip(outputs, flat_out):
                values[id(t)] = v
            if any(m is not None for m in in_masks) or layer._produces_mask:
                inp = cargs[0] if cargs else None
                prev = in_masks[0] if len(in_masks) == 1 else (in_masks or None)
                out_mask = layer.compute_mask(inp, prev)
                if out_mask is not None:
                    for t, m in zip(outputs, out_mask if isinstance(out_mask, (list, tuple)) else [out_mask]):
                        masks[id(t)] = m
        return map_nested(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_spec(self, *args, **kwargs):
        return map_nested(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)

    # ------------------------------------------------------------------ config
    def get_config(self):
        node_keys = {}
        layer_configs = []
        for layer in self._layers:
            nodes = [] if isinstance(layer, InputLayer) else self._layer_nodes.get(id(layer), [])
            for i, n in enumerate(nodes):
                node_keys[id(n)] = i
        for layer in self._layers:
            inbound = []
            for n in ([] if isinstance(layer, InputLayer) else self._layer_nodes.get(id(layer), [])):
                inbound.append({"args": _ser_tensors(n.args, node_keys),
                                "kwargs": _ser_tensors(n.kwargs, node_keys)})
            spec = layer.keras_operation() if isinstance(layer, OpLayer) else None
            if spec is None:
                module, registered = keras_identity(type(layer))
                spec = {"module": module, "class_name": keras_class(type(layer)).__name__,
                        "config": layer.get_config(), "registered_name": registered}
            layer_configs.append({**spec, "name": layer.name, "inbound_nodes": inbound})

        def ref(t):
            node, idx = t._history
            return [node.layer.name, node_keys.get(id(node), 0), idx]

        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": map_nested(ref, self._inputs_struct),
                "output_layers": map_nested(ref, self._outputs_struct)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize as deserialize_layer

        created = {}
        outputs_by_node = {}
        pending = list(config["layers"])
        # Input layers first, then repeatedly every layer whose inputs exist.
        for spec in pending:
            layer = deserialize_layer(spec, custom_objects=custom_objects)
            created[spec["name"]] = layer
            if isinstance(layer, InputLayer):
                outputs_by_node[(spec["name"], 0)] = [layer.output]
                outputs_by_node[(spec["name"], "input")] = [layer.output]
        remaining = [(spec, i, node) for spec in pending if not isinstance(created[spec["name"]], InputLayer)
                     for i, node in enumerate(spec["inbound_nodes"])]
        progress = True
        while remaining and progress:
            progress = False
            rest = []
            for spec, i, node in remaining:
                try:
                    args = _deser_tensors(node["args"], outputs_by_node)
                    kwargs = _deser_tensors(node.get("kwargs", {}), outputs_by_node)
                except KeyError:
                    rest.append((spec, i, node))
                    continue
                out = created[spec["name"]](*args, **kwargs)
                outputs_by_node[(spec["name"], i)] = [o for o in _flat(out)]
                progress = True
            remaining = rest
        if remaining:
            raise ValueError("Could not rebuild the functional graph from the config: "
                             f"unresolved nodes of {[s['name'] for s, _, _ in remaining]}")

        def resolve(ref):
            if isinstance(ref, dict):
                return {k: resolve(v) for k, v in ref.items()}
            if ref and isinstance(ref[0], (list, tuple, dict)):
                return [resolve(r) for r in ref]
            name, node_index, tensor_index = ref
            key = (name, 0) if isinstance(created[name], InputLayer) else (name, node_index)
            return outputs_by_node[key][tensor_index]

        inputs = resolve(config["input_layers"])
        outputs = resolve(config["output_layers"])
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _ser_tensors(obj, node_keys):
    def ser(a):
        if isinstance(a, KerasTensor):
            node, idx = a._history
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(a.shape), "dtype": a.dtype,
                               "keras_history": [node.layer.name, node_keys.get(id(node), 0), idx]}}
        return a
    return map_nested(ser, obj if not isinstance(obj, tuple) else list(obj))


def _deser_tensors(obj, outputs_by_node):
    def de(a):
        if isinstance(a, dict) and a.get("class_name") == "__keras_tensor__":
            name, node_index, idx = a["config"]["keras_history"]
            # an Input has one node, whatever index the file gives it; any other layer's
            # node must exist already (a shared layer's later node is not its first)
            key = (name, node_index)
            if key not in outputs_by_node and (name, "input") in outputs_by_node:
                key = (name, 0)
            if key not in outputs_by_node:
                raise KeyError(key)
            return outputs_by_node[key][idx]
        if isinstance(a, dict):
            return {k: de(v) for k, v in a.items()}
        if isinstance(a, list):
            return [de(v) for v in a]
        return a
    return de(obj)


class Function(Operation):
    """Keras' ``keras.Function(inputs, outputs, name=None)``: the graph of operations
    between symbolic ``inputs`` and ``outputs``, callable on arrays with the structure of
    ``inputs`` (``fn([a, b])``). ``inputs`` may be ``keras.Input``s or bare
    ``KerasTensor``s (the ops recorded on them are the graph). It has no training API
    (``Model`` is the Function with weights' training); it runs through the same graph
    executor as a Functional model."""

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        for t in _flat(inputs):
            if isinstance(t, KerasTensor) and t._history is None:
                source = InputLayer(batch_shape=t.shape, dtype=t.dtype, input_tensor=t)
                t._history = (Node(source, (), {}, [t]), 0)
        self._graph = Functional(inputs, outputs, name=f"{self.name}_graph")
        self._layers = [self._graph]

    @property
    def inputs(self):
        return self._graph.inputs

    @property
    def outputs(self):
        return self._graph.outputs

    @property
    def operations(self):
        """The graph's operations (its layers and recorded ops), inputs included, in
        execution order."""
        return self._graph.layers

    def call(self, inputs):
        return self._graph(inputs)

    def compute_output_spec(self, inputs):
        return self._graph.compute_output_spec(inputs)
