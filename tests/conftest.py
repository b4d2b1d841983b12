"""Shared fixtures: tests run parametrized over every installed framework.

``framework``      jax, torch, tensorflow (those installed): training-capable.
``any_framework``  the same plus numpy (inference).
``to_fw``          ``to_fw(numpy_array, framework)`` -> that framework's array.
``to_np``          any array -> NumPy.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# One intra-op thread for torch (read at its import): tests use tiny arrays, and with
# 2 cores shared by parallel workers torch's thread pool makes small ops ~100x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from unikeras.xp import asarray, installed_frameworks, to_numpy  # noqa: E402

TRAINABLE = installed_frameworks()
INFERENCE = TRAINABLE + ["numpy"]


@pytest.fixture(params=TRAINABLE)
def framework(request):
    return request.param


@pytest.fixture(params=INFERENCE)
def any_framework(request):
    """A framework to run on. For "numpy", NumPy is also made the default framework for
    the test (NumPy data otherwise runs on the default framework, e.g. jax)."""
    if request.param == "numpy":
        from unikeras.xp import set_default_framework

        set_default_framework("numpy")
    return request.param


def _to_fw(a, framework):
    if framework == "array_api_strict":
        import array_api_strict

        return array_api_strict.asarray(np.asarray(a))
    return asarray(np.asarray(a), framework=framework)


@pytest.fixture
def to_fw():
    return _to_fw


@pytest.fixture
def to_np():
    return to_numpy


@pytest.fixture(autouse=True)
def _reset_default_framework():
    from unikeras.xp import set_default_framework

    yield
    set_default_framework(None)


@pytest.fixture(scope="session")
def keras_script_refs(request):
    """``keras_script_refs(path)`` -> the arrays a Keras 3 reference script writes.

    The script (``python SCRIPT OUT_DIR``, writing ``OUT_DIR/refs.npz``) runs once in a
    subprocess with ``KERAS_BACKEND=jax`` (Keras and unikeras never share a process); its
    output is cached by the script's hash in pytest's cache. Skips where Keras 3 is not
    installed (the reference, not unikeras, is missing)."""
    import hashlib
    import subprocess
    import sys
    from pathlib import Path

    def run(script):
        pytest.importorskip("keras")
        script = Path(script)
        key = hashlib.sha256(script.read_bytes()).hexdigest()[:16]
        out = request.config.cache.mkdir(f"keras_refs_{script.stem}") / key
        if not (out / "refs.npz").exists():
            tmp = Path(str(out) + f".{os.getpid()}")
            tmp.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                       TF_CPP_MIN_LOG_LEVEL="3")
            proc = subprocess.run([sys.executable, str(script), str(tmp)], env=env,
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stderr[-3000:]
            if not out.exists():
                os.replace(tmp, out)
        with np.load(out / "refs.npz") as f:
            refs = {k: f[k] for k in f.files}
        refs["dir"] = out  # other files the script wrote
        return refs

    return run
