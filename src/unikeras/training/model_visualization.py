"""Keras' ``keras.utils.model_to_dot`` and ``plot_model``: the layer graph of a model as a
``pydot.Dot`` (one node per layer, named ``"<name> (<ClassName>)"``, an edge per
connection) and as a picture drawn by Graphviz (``dot``), or the DOT text itself when
``to_file`` ends in ``.dot``.

Needs the ``pydot`` package (extra ``plot``) and, for pictures, the Graphviz ``dot``
program. Nested models are drawn as one node, or as a cluster of their layers with
``expand_nested=True``.
"""

from __future__ import annotations

import html
import os


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("You must install pydot (`pip install pydot`) for "
                          "model_to_dot / plot_model to work.") from None
    return pydot


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _layer_graph(model):
    """``(layers, edges, shapes)``: the layers in order, the edges ``(from, to)`` between
    them and each layer's output shape(s) where known."""
    from ..layers.symbolic import InputLayer
    from .functional import Functional
    from .sequential import Sequential

    if isinstance(model, Functional):
        layers = list(model.layers)
        edges, shapes = [], {}
        for _, _, _, outputs, node in model._nodes:
            for parent in node.parents:
                edge = (parent.layer, node.layer)
                if edge not in edges:
                    edges.append(edge)
            shapes[id(node.layer)] = [tuple(t.shape) for t in outputs]
        for layer in layers:
            if isinstance(layer, InputLayer):
                shapes[id(layer)] = [tuple(layer.batch_shape)]
        return layers, edges, shapes
    if isinstance(model, Sequential):
        layers = list(model.layers)
        shapes = {}
        shape = getattr(model, "_build_shape", None)
        for layer in layers:
            if shape is None:
                break
            try:
                shape = tuple(layer.compute_output_shape(shape))
            except Exception:  # a layer that cannot say without running: no more shapes
                break
            shapes[id(layer)] = [shape]
        return layers, list(zip(layers, layers[1:])), shapes
    return list(getattr(model, "layers", [])), [], {}


def _label(layer, shapes, show_shapes, show_dtype, show_layer_names,
           show_layer_activations, show_trainable):
    cls = type(layer).__name__
    title = f"{layer.name} ({cls})" if show_layer_names else cls
    rows = [f"<b>{html.escape(title)}</b>"]
    if show_shapes:
        rows.append("Output shape: " + html.escape(_shape_text(shapes.get(id(layer)))))
    if show_dtype:
        rows.append("dtype: " + html.escape(str(getattr(layer, "dtype", "?"))))
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        act = layer.activation
        rows.append("Activation: " + html.escape(getattr(act, "__name__", str(act))))
    if show_trainable:
        rows.append("Trainable: " + ("Y" if layer.trainable else "N"))
    cells = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">{cells}</table>>'


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """Keras' ``model_to_dot``: a ``pydot.Dot`` of ``model``'s layers (a ``pydot.Cluster``
    with ``subgraph=True``)."""
    pydot = _pydot()
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by "
                         "calling `build()` or by calling the model on a batch of data.")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
    dot.set_node_defaults(shape="plaintext")
    layers, edges, shapes = _layer_graph(model)
    opts = (show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    entry, exit_ = {}, {}  # a node id per layer, or a nested cluster's first/last node
    for layer in layers:
        if expand_nested and hasattr(layer, "layers") and getattr(layer, "built", False) \
                and layer is not model:
            sub = model_to_dot(layer, *opts[:3], rankdir=rankdir, expand_nested=True,
                               dpi=dpi, subgraph=True, show_layer_activations=opts[3],
                               show_trainable=opts[4])
            dot.add_subgraph(sub)
            inner, _, _ = _layer_graph(layer)
            if inner:
                entry[id(layer)] = str(id(inner[0]))
                exit_[id(layer)] = str(id(inner[-1]))
                continue
        node_id = str(id(layer))
        dot.add_node(pydot.Node(node_id, label=_label(layer, shapes, *opts)))
        entry[id(layer)] = exit_[id(layer)] = node_id
    for a, b in edges:
        dot.add_edge(pydot.Edge(exit_[id(a)], entry[id(b)]))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Keras' ``plot_model``: draw ``model_to_dot(model, ...)`` to ``to_file`` (format from
    the extension: png, svg, pdf, ...; ``.dot`` writes the DOT text, no Graphviz needed).
    Returns an ``IPython.display.Image`` for a PNG in a notebook, else None."""
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    ext = os.path.splitext(to_file)[1][1:].lower() or "png"
    if ext == "dot":
        with open(to_file, "w") as f:
            f.write(dot.to_string())
        return None
    try:
        dot.write(to_file, format=ext)
    except FileNotFoundError:
        raise ImportError("You must install graphviz (see https://graphviz.gitlab.io/"
                          "download/) for plot_model to draw pictures; a `.dot` file "
                          "needs only pydot.") from None
    if ext == "png":
        try:
            from IPython import display, get_ipython

            if get_ipython() is not None:
                return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
