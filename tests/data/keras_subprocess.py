"""Run a snippet under Keras 3 itself in a subprocess (never in the test process: Keras
fixes its backend and jax configuration at import) and return what it stored in the dict
``OUT`` (pickled NumPy/Python values). The dataset-utility tests batch all of a module's
Keras references into one call."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap


def run_keras(code: str, env=None, **inputs):
    """Exec ``code`` with ``keras``, ``np`` and the keyword ``inputs`` in scope; return
    its ``OUT`` dict. ``env``: extra environment variables (e.g. KERAS_HOME, which
    Keras reads at import)."""
    script = textwrap.dedent("""
        import os, pickle, sys
        import numpy as np
        import keras
        inputs = pickle.loads(sys.stdin.buffer.read())
        globals().update(inputs)
        OUT = {}
    """) + textwrap.dedent(code) + (
        "\nwith open(os.environ['UNIKERAS_REF_OUT'], 'wb') as f:\n"
        "    pickle.dump(OUT, f)\n")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="", **(env or {}))
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["UNIKERAS_REF_OUT"] = out = os.path.join(tmp, "out.pkl")
        proc = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(inputs),
                              capture_output=True, env=env, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError("the Keras reference failed:\n"
                               + proc.stderr.decode()[-4000:])
        with open(out, "rb") as f:
            return pickle.load(f)
