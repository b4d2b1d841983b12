"""Every built-in layer class of ``unikeras.layers`` against Keras 3 (invariants 5 and 6),
generated from the layer registry: ``test_every_layer_class_has_a_case`` fails when a
layer class has neither a case in ``layer_cases.LAYERS`` nor a reasoned entry in
``layer_cases.EXCLUDED``, so a new layer is covered by default.

For each drawn case the unikeras layer is built, given random weights, and called on
every installed framework (numpy, jax, torch, tensorflow); Keras builds the same layer
from the same config in float64 (JAX backend, separate process: ``keras_oracle.py``),
takes the same weights with ``set_weights`` and is called on the same inputs: outputs
must agree. For the differentiable ones the input gradient of ``sum(layer(x))`` on jax,
torch and tensorflow must match float64 central differences of the NumPy path.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layer_cases
from harness import (_to_numpy_nested, assert_close, assert_covered, differentiable_frameworks,
                     finite_difference_grad, frameworks, grad_everywhere, map_arrays,
                     to_framework)
from keras_oracle import keras_reference
from op_cases import Draw

from unikeras import layers
from unikeras.xp import set_default_framework

SHIMMED = [f for f in frameworks() if f != "array_api_strict"]
EXAMPLES = max(2, settings.default.max_examples // 4)


def layer_classes() -> dict[str, type]:
    """{canonical class name: class} of the public layer classes (aliases such as
    ``Conv2D`` / ``Convolution2D`` are one class)."""
    out = {}
    for name in dir(layers):
        obj = getattr(layers, name)
        if inspect.isclass(obj) and issubclass(obj, layers.Layer):
            out[obj.__name__] = obj
    return out


def test_every_layer_class_has_a_case():
    assert_covered(layer_classes(), layer_cases.LAYERS, layer_cases.EXCLUDED, "layer classes",
                   "layer_cases.py")


def _f64(a):
    return a.astype(np.float64) if a.dtype == np.float32 else a


_call = layer_cases.call_layer


def _on_numpy(fn, *a, **k):
    set_default_framework("numpy")
    try:
        return fn(*a, **k)
    finally:
        set_default_framework(None)


def _build(name, config, inputs, seed, dtype="float32", weights=None):
    """The unikeras layer, built by a first call on NumPy, with random weights (moving
    variances positive; weights a layer computes from its config are kept)."""
    spec = layer_cases.LAYERS[name]
    lay = layer_cases.build_layer(layers, spec.cls or name, dict(config, dtype=dtype), dtype)
    _on_numpy(_call, lay, map_arrays(inputs, lambda a: a.astype(dtype) if a.dtype.kind == "f" else a), {})
    if weights is None:
        rng = np.random.default_rng(seed)
        weights = []
        for v, w in zip(lay.weights, lay.get_weights()):
            path = getattr(v, "path", getattr(v, "name", ""))
            if "variance" in path:
                w = rng.uniform(0.5, 1.5, w.shape)
            elif v.trainable or "moving_mean" in path:
                w = rng.normal(size=w.shape) * 0.7
            weights.append(np.asarray(w, dtype=dtype))
    lay.set_weights([np.asarray(w, dtype=dtype) for w in weights])
    return lay, weights


@st.composite
def layer_case(draw, name):
    d = Draw(draw)
    config, inputs, call_kw = layer_cases.LAYERS[name].gen(d)
    return config, inputs, call_kw, d.int(0, 2**16)


@pytest.mark.parametrize("name", sorted(layer_cases.LAYERS))
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_layer_matches_keras(name, data):
    spec = layer_cases.LAYERS[name]
    config, inputs, call_kw, seed = data.draw(layer_case(name), label="config, inputs, call")
    lay, weights = _build(name, config, inputs, seed)
    f64 = spec.keras_dtype == "float64"
    want = keras_reference(("layer", spec.cls or name, dict(config, dtype=spec.keras_dtype),
                            [_f64(w) if f64 else w for w in weights],
                            map_arrays(inputs, _f64) if f64 else inputs, call_kw))
    for fw in SHIMMED:
        if fw == "numpy":
            got = _on_numpy(_call, lay, inputs, call_kw)
        else:
            got = _call(lay, map_arrays(inputs, lambda a: to_framework(a, fw)), call_kw)
        assert_close(_to_numpy_nested(got), want, "float32", rtol=spec.tol, atol=spec.tol,
                     name=f"layers.{name}({config}) on {fw}")


GRAD_LAYERS = sorted(n for n, s in layer_cases.LAYERS.items() if s.grad)


@pytest.mark.parametrize("name", GRAD_LAYERS)
@settings(max_examples=max(1, EXAMPLES // 2))
@given(data=st.data())
def test_layer_input_gradient_matches_finite_differences(name, data):
    config, inputs, call_kw, seed = data.draw(layer_case(name), label="config, inputs, call")
    lay, weights = _build(name, config, inputs, seed)
    lay64, _ = _build(name, config, inputs, seed, "float64", weights)
    xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]

    def fn_for(layer):
        def fn(*a):
            if isinstance(inputs, tuple):
                return layer(*a, **call_kw)
            return layer(list(a) if isinstance(inputs, list) else a[0], **call_kw)
        return fn

    nums = tuple(range(len(xs)))
    grads = grad_everywhere(fn_for(lay), *xs, argnums=nums, frameworks=differentiable_frameworks())
    fd = finite_difference_grad(fn_for(lay64), *[_f64(x) for x in xs], argnums=nums)
    for fw, g in grads.items():
        for i, (a, b) in enumerate(zip(g, fd)):
            assert_close(a, b, "float32", rtol=2e-3, atol=2e-3,
                         name=f"d layers.{name}({config}) / d input {i} on {fw}")
