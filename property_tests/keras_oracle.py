"""Keras 3 itself as the independent reference of the generated property tests.

Keras runs in ONE long-lived subprocess per test process (``KERAS_BACKEND=jax``, x64
enabled so that float64 inputs are computed in float64), started on the first request:
Keras and unikeras never share a process (Keras fixes its backend at import, unikeras
must not see Keras' jax configuration). Requests and answers are pickled over the
subprocess' stdin/stdout; answers are cached per request.

Requests (all NumPy values, so both sides build their own arrays):

* ``("op", name, call, args, kwargs)``: ``keras.ops.<name>(*args, **kwargs)``, or with
  ``call`` the function ``op_cases.CALLS[call](keras.ops, *args, **kwargs)`` (control
  flow, decompositions compared through reconstructions, ...).
* ``("layer", class_name, config, weights, inputs, call_kwargs)``: the Keras layer built
  from ``config`` (``layer_cases.build_layer``, in float64 unless ``config`` names a dtype), given ``weights`` with
  ``set_weights`` (unikeras keeps Keras' weight
  order, invariant 5), called on ``inputs``.
* ``("func", dotted, args, kwargs)``: ``keras.<dotted>(*args, **kwargs)`` (e.g.
  ``"utils.bounding_boxes.convert_format"``).
* ``("names",)``: the public names of ``keras.ops`` and ``keras.layers``.
* ``("data_layer", class_name, config, adapt_data, calls)``: a Keras preprocessing
  layer (StringLookup, TextVectorization, Hashing, ...) built from ``config``, adapted on
  ``adapt_data`` (None: not adapted), then called on each ``(inputs, as_tf)`` of
  ``calls`` (``as_tf``: inputs given as tf tensors, as tf.data would). Answers
  ``{"outs": [...], "vocab": get_vocabulary() or None, "bins": bin_boundaries or None}``
  with string outputs as lists of str.

An answer is ``("ok", outputs as nested NumPy)`` or ``("error", "Type: message")``.

* ``("layer_method", class_name, config, method, args, kwargs)``: a Keras layer built
  from ``config``, then ``layer.<method>(*args, **kwargs)`` (the image layers'
  ``transform_images(images, transformation)``: a transformation given, not drawn).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------- client
class KerasOracle:
    def __init__(self):
        self._proc = None
        self._cache = {}

    def _start(self):
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", JAX_ENABLE_X64="1",
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=_HERE)
        self._proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, request):
        blob = pickle.dumps(request, protocol=5)
        key = hashlib.sha256(blob).hexdigest()
        if key in self._cache:
            return self._cache[key]
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        self._proc.stdin.write(struct.pack("<Q", len(blob)) + blob)
        self._proc.stdin.flush()
        head = self._proc.stdout.read(8)
        if len(head) < 8:
            self._proc = None
            raise RuntimeError(f"the Keras reference process died on {request[:2]!r}")
        (n,) = struct.unpack("<Q", head)
        answer = pickle.loads(self._proc.stdout.read(n))
        self._cache[key] = answer
        return answer

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
        self._proc = None


_ORACLE = None


def oracle() -> KerasOracle:
    global _ORACLE
    if _ORACLE is None:
        _ORACLE = KerasOracle()
    return _ORACLE


def keras_reference(request):
    """The Keras outputs of ``request``; a Keras refusal raises ``KerasRefused``."""
    status, value = oracle().ask(request)
    if status != "ok":
        raise KerasRefused(value)
    return value


class KerasRefused(Exception):
    pass


# --------------------------------------------------------------------------- server
def _to_numpy(keras, x):
    if isinstance(x, (tuple, list)):
        return type(x)(_to_numpy(keras, v) for v in x) if not hasattr(x, "_fields") else \
            tuple(_to_numpy(keras, v) for v in x)
    if isinstance(x, dict):
        return {k: _to_numpy(keras, v) for k, v in x.items()}
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return x
    import numpy as np

    return np.asarray(keras.ops.convert_to_numpy(x))


def _plain(x):
    """Keras' tracked containers (a config's lists) as plain lists/tuples/dicts."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_plain(v) for v in x)
    return x


def _tensors(keras, x):
    import numpy as np

    if isinstance(x, np.ndarray):
        return keras.ops.convert_to_tensor(x)
    if isinstance(x, tuple) and x and isinstance(x[0], str) and x[0] == "__complex__":
        return keras.ops.view_as_complex(keras.ops.convert_to_tensor(x[1]))
    if isinstance(x, (list, tuple)):
        return type(x)(_tensors(keras, v) for v in x)
    if isinstance(x, dict):
        return {k: _tensors(keras, v) for k, v in x.items()}
    return x


def _serve_one(keras, op_cases, layer_cases, request):
    kind = request[0]
    if kind == "names":
        import inspect

        ops = sorted(n for n in dir(keras.ops) if not n.startswith("_")
                     and callable(getattr(keras.ops, n)) and not inspect.ismodule(getattr(keras.ops, n))
                     and not inspect.isclass(getattr(keras.ops, n)))
        lays = sorted(n for n in dir(keras.layers) if not n.startswith("_")
                      and inspect.isclass(getattr(keras.layers, n)))
        image_ops = sorted(n for n in dir(keras.ops.image) if not n.startswith("_")
                           and callable(getattr(keras.ops.image, n)))
        return {"ops": ops, "layers": lays, "image_ops": image_ops}
    if kind == "op":
        _, name, call, args, kwargs = request
        args, kwargs = _tensors(keras, args), _tensors(keras, kwargs)
        if call is not None:
            out = op_cases.CALLS[call](keras.ops, *args, **kwargs)
        else:
            fn = keras.ops
            for part in name.split("."):  # "image.resize" -> keras.ops.image.resize
                fn = getattr(fn, part)
            out = fn(*args, **kwargs)
        return _to_numpy(keras, out)
    if kind == "func":  # ("func", "utils.bounding_boxes.convert_format", args, kwargs)
        _, dotted, args, kwargs = request
        fn = keras
        for part in dotted.split("."):
            fn = getattr(fn, part)
        return _to_numpy(keras, fn(*_tensors(keras, args), **_tensors(keras, kwargs)))
    if kind == "layer":
        _, cls, config, weights, inputs, call_kwargs = request
        layer = layer_cases.build_layer(keras.layers, cls, dict({"dtype": "float64"}, **config))
        xs = _tensors(keras, inputs)
        layer_cases.call_layer(layer, xs, call_kwargs)
        if weights:
            layer.set_weights(list(weights))
        xs = _tensors(keras, inputs)  # Keras' image layers write into a dict input
        return _to_numpy(keras, layer_cases.call_layer(layer, xs, call_kwargs))
    if kind == "data_layer":
        return _serve_data_layer(keras, request)
    if kind == "feature_space":
        return _serve_feature_space(keras, request)
    if kind == "layer_method":
        _, cls, config, method, args, kwargs = request
        layer = layer_cases.build_layer(keras.layers, cls, config)
        out = getattr(layer, method)(*_tensors(keras, args), **_tensors(keras, kwargs))
        return _plain(_to_numpy(keras, out))
    raise ValueError(f"unknown request {kind!r}")


def _serve_feature_space(keras, request):
    """``("feature_space", features, kwargs, adapt_dict, call_dict)``: features map a
    name to a type name or ``(method, kwargs)`` of ``FeatureSpace.<method>``."""
    import numpy as np

    _, features, kwargs, adapt, data = request
    FS = keras.utils.FeatureSpace
    feats = {n: (getattr(FS, f[0])(name=n, **f[1]) if isinstance(f, tuple) else f)
             for n, f in features.items()}
    fs = FS(features=feats, **kwargs)
    fs.adapt(adapt)
    out = fs(data)
    if isinstance(out, dict):
        return {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in out.items()}
    return np.asarray(keras.ops.convert_to_numpy(out))


def _serve_data_layer(keras, request):
    import numpy as np
    import tensorflow as tf

    _, cls, config, adapt, calls = request
    layer = getattr(keras.layers, cls)(**config)
    if adapt is not None:
        layer.adapt(adapt)
    outs = []
    for inputs, as_tf in calls:
        if as_tf:
            inputs = (tuple(tf.constant(v) for v in inputs) if isinstance(inputs, tuple)
                      else tf.constant(inputs))
        y = layer(inputs)
        if isinstance(y, tf.Tensor):
            y = y.numpy()
        else:
            y = np.asarray(keras.ops.convert_to_numpy(y))
        if y.dtype.kind in "SO":
            y = np.vectorize(lambda b: b.decode("utf-8") if isinstance(b, bytes) else b,
                             otypes=[object])(y)
        outs.append(y)
    vocab = layer.get_vocabulary() if hasattr(layer, "get_vocabulary") else None
    if vocab is not None:
        vocab = [v.decode("utf-8") if isinstance(v, bytes) else
                 (v.item() if hasattr(v, "item") else v) for v in vocab]
    bins = getattr(layer, "bin_boundaries", None)
    return {"outs": outs, "vocab": vocab, "bins": None if bins is None else list(bins)}


def _serve():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras
    import layer_cases  # the same case modules as the tests (CALLS, build_layer)
    import op_cases

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything Keras prints must not corrupt the channel
    while True:
        head = stdin.read(8)
        if len(head) < 8:
            return
        (n,) = struct.unpack("<Q", head)
        request = pickle.loads(stdin.read(n))
        try:
            answer = ("ok", _serve_one(keras, op_cases, layer_cases, request))
        except Exception as e:  # the test reports what Keras refused
            answer = ("error", f"{type(e).__name__}: {e}")
        blob = pickle.dumps(answer, protocol=5)
        stdout.write(struct.pack("<Q", len(blob)) + blob)
        stdout.flush()


if __name__ == "__main__":
    _serve()
