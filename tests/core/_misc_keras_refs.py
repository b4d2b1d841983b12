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
    sys.stdout.write("\n" + json.dumps(refs))
