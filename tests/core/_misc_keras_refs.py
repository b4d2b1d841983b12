"""What Keras 3 itself gives for the small API of tests/core/test_keras_misc_api.py
(``python _misc_keras_refs.py``: prints JSON). Shared with the test: the Progbar
scripts and the dtype-policy-map configuration."""

import io
import json
import os
import subprocess
import sys


def run_keras_script(path):
    """Run ``path`` with Keras 3 (NumPy backend) in a subprocess; the JSON its last
    output line holds."""
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(path)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def progbar_script(keras):
    """Draws of a Progbar (verbose 1, not a terminal, and verbose 2) as printed."""
    out = io.StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        p = keras.utils.Progbar(4, stateful_metrics=["acc"], interval=0)
        for i in range(4):
            p.update(i + 1, values=[("loss", 0.5 * i), ("acc", 0.1 * i)])
        p = keras.utils.Progbar(3, verbose=2)
        for i in range(3):
            p.add(1, values=[("loss", 0.0001 * (i + 1))])
        p = keras.utils.Progbar(None, interval=0)
        p.update(2, values=[("loss", 1.0)])
        p.update(4, values=[("loss", 3.0)], finalize=True)
    finally:
        sys.stdout = saved
    return out.getvalue()


def policy_map_config(dtype_policies):
    m = dtype_policies.DTypePolicyMap(default_policy="float32")
    m["encoder/.*"] = "float16"
    m["decoder"] = dtype_policies.DTypePolicy("mixed_bfloat16")
    return dtype_policies.serialize(m)


def operation_api(keras):
    """Layers as Operations: the facts Keras 3 and unikeras must agree on (run by both)."""
    layers, ops = keras.layers, keras.ops

    class Scale(layers.Layer):  # no get_config: Keras' automatic config
        def __init__(self, factor=2.0, mode="mul", extra=None, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    class Plus(keras.Operation):
        def __init__(self, offset, name=None):
            super().__init__(name=name)
            self.offset = offset

        def call(self, x):
            return ops.add(x, self.offset)

    class Net(keras.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    class Holder(layers.Layer):  # a non-plain argument: no automatic config
        def __init__(self, fn, **kwargs):
            super().__init__(**kwargs)
            self.fn = fn

    out = {}
    dense = layers.Dense(3, name="d")
    out["isinstance"] = [isinstance(o, keras.Operation) for o in
                         (dense, Scale(), Plus(1.0), Net(2), keras.Sequential(),
                          layers.InputLayer(shape=(2,)))]
    out["issubclass"] = [issubclass(c, keras.Operation)
                         for c in (layers.Layer, keras.Model, layers.Conv2D)]
    x = keras.Input((5,), name="x")
    spec = dense.compute_output_spec(x)
    out["spec"] = [list(spec.shape), spec.dtype]
    y = dense.symbolic_call(x)  # a layer's: the output spec (its __call__ records nodes)
    out["symbolic"] = [list(y.shape), y.dtype]
    try:
        dense.input
    except AttributeError as e:
        out["no_node"] = str(e)
    y = dense(x)
    out["call"] = [list(y.shape), dense.input is x, dense.output is y,
                   [list(w.shape) for w in dense.weights]]
    p = Plus(1.5, name="plus")
    z = p(y)
    out["op"] = [list(z.shape), p.input is y, p.output is z, p.name, p.get_config()]
    try:
        layers.Dense(2).output
    except AttributeError as e:
        out["never_called"] = str(e).replace("dense_1", "<name>").split(" has never")[1]
    s = Scale(3.0, name="s")
    cfg = {k: v for k, v in s.get_config().items() if k != "dtype"}
    out["auto_config"] = cfg
    out["from_config"] = Scale.from_config(s.get_config()).factor
    try:  # Keras 3.15 records a Model's arguments without them (Model.__new__): it raises
        out["model_config"] = {k: v for k, v in Net(4, name="net").get_config().items()
                               if k != "dtype"}
    except NotImplementedError:
        out["model_config"] = "NotImplementedError"
    try:
        Scale.from_config({"factor": 1.0, "bogus": 1})
    except Exception as e:
        out["bad_config"] = [type(e).__name__, str(e).split("config=")[0]]
    try:
        Holder(len).get_config()
    except Exception as e:
        out["no_auto"] = [type(e).__name__, "must override `get_config()`" in str(e)]
    return out


if __name__ == "__main__":
    import keras

    refs = {"progbar": progbar_script(keras),
            "policy_map": policy_map_config(keras.dtype_policies),
            "policy": keras.dtype_policies.serialize(keras.DTypePolicy("mixed_float16"))}
    m = keras.dtype_policies.DTypePolicyMap(default_policy="float32")
    m["encoder/.*"] = "float16"
    m["encoder/attention/.*"] = "bfloat16"
    refs["lookups"] = {}
    for path in ("encoder/x", "encoder/attention/q", "decoder", "encoder"):
        try:
            refs["lookups"][path] = m[path].name
        except ValueError:
            refs["lookups"][path] = "ValueError"
    refs["operation_api"] = operation_api(keras)
    sys.stdout.write("\n" + json.dumps(refs))
