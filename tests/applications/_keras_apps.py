"""The Keras side of the keras.applications tests, shared by every test_*.py here.

Keras 3 (in a subprocess, torch backend) builds each case small with ``weights=None``,
gives its batch norms (and adapt()-style Normalization layers) non-trivial statistics,
saves its weights and records its layer names, classes, weight paths and shapes, its
``preprocess_input`` and one forward pass.
A test module calls ``keras_reference(tmp_path_factory, CASES, STRUCTURE_ONLY)`` once
(one subprocess per module) and checks unikeras against the files it wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

import unikeras as keras
from unikeras.xp import to_numpy


def images(shape=(32, 32, 3)):
    """The two test images of ``shape`` (the same pixels for every call)."""
    rng = np.random.default_rng(3)
    return rng.uniform(0, 255, size=(2, *shape)).astype("float32")


def case_images(kw):
    """A case's test images: its ``input_shape`` (32x32x3 when it names none)."""
    return images(tuple(kw.get("input_shape", (32, 32, 3))))


X = images()

_KERAS_SIDE = r"""
import os, sys, json
import numpy as np, keras, h5py
from keras.src.legacy.saving import legacy_h5_format
from keras.src.initializers.random_initializers import VarianceScaling
random_init = VarianceScaling.__call__
d = sys.argv[1]
cases, legacy = json.load(open(d + "/cases.json"))
rng = np.random.default_rng(0)
out = {}
for cid, mod, fn, kw, forward in cases:
    if "input_shape" in kw: kw["input_shape"] = tuple(kw["input_shape"])
    module = getattr(keras.applications, mod)
    keras.backend.clear_session()  # automatic layer names as in a fresh session
    # a structure-only build needs no random weights (their draws are most of the time)
    VarianceScaling.__call__ = (random_init if forward else
                                lambda self, shape, dtype=None: keras.ops.zeros(shape, dtype))
    # (keras.applications.mobilenet_v3 has no MobileNetV3Small: only the package has it)
    m = (getattr(module, fn, None) or getattr(keras.applications, fn))(weights=None, **kw)
    out[cid] = {"layers": [l.name for l in m.layers if l.weights],
                "classes": [type(l).__name__ for l in m.layers],
                "weights": [[w.path, list(w.shape)] for w in m.weights],
                "name": m.name}
    if not forward:
        continue
    for l in m.layers:
        if isinstance(l, keras.layers.BatchNormalization):
            n = l.moving_mean.shape[0]
            new = {"gamma": rng.uniform(0.5, 1.5, n), "beta": rng.normal(0, 0.1, n),
                   "moving_mean": rng.normal(0, 0.1, n),
                   "moving_variance": rng.uniform(0.5, 1.5, n)}
            l.set_weights([new[w.name] for w in l.weights])  # (no gamma if scale=False)
        elif type(l).__name__ == "LayerScale":  # ConvNeXt's (initialized to 1e-6)
            l.set_weights([rng.uniform(0.5, 1.5, l.projection_dim)])
        elif isinstance(l, keras.layers.Normalization) and l.weights:
            # an adapt()-style Normalization (its mean/variance are weights): ImageNet-like
            # statistics of [0, 1] pixels
            n = tuple(l.adapt_mean.shape)
            l.adapt_mean.assign(rng.uniform(0.3, 0.6, n))
            l.adapt_variance.assign(rng.uniform(0.03, 0.08, n))
            l.finalize_state()
    m.save_weights(d + f"/{cid}.weights.h5")
    if cid == "inception_resnet_v2":  # its own layer class, in a whole-model file
        m.save(d + f"/{cid}.keras")
    if cid in legacy:
        with h5py.File(d + f"/{cid}.h5", "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, m)
    xp = module.preprocess_input(np.load(d + f"/{cid}_x.npy"))
    np.save(d + f"/{cid}_pre.npy", xp)
    np.save(d + f"/{cid}_out.npy", keras.ops.convert_to_numpy(m(xp, training=False)))
EXTRA
json.dump(out, open(d + "/facts.json", "w"))
"""


def keras_reference(tmp_path_factory, cases_forward, cases_structure=(), extra="",
                    backend="torch", before=None, legacy_h5=()):
    """Run Keras on the cases; return the directory of its files. ``extra``: more
    Keras-side code, run after the cases (``d``, ``keras``, ``np`` and the ``out`` dict
    written to facts.json in scope); ``before(d)`` writes unikeras' files for it first;
    ``backend``: Keras' backend (NASNetMobile refuses torch). The forward cases whose id
    is in ``legacy_h5`` also save their weights in Keras' legacy ``.h5`` layout
    (``<id>.h5``, the format of the ImageNet files)."""
    d = tmp_path_factory.mktemp("apps")
    if before is not None:
        before(d)
    for cid, _, _, kw in cases_forward:
        np.save(d / f"{cid}_x.npy", case_images(kw))
    cases = [[c, m, f, kw, True] for c, m, f, kw in cases_forward]
    cases += [[c, m, f, kw, False] for c, m, f, kw in cases_structure]
    (d / "cases.json").write_text(json.dumps([cases, list(legacy_h5)]))
    # Keras' torch backend: the same Keras code, built ~20x faster than on jax here (no
    # per-initializer compilation); Keras never shares this process with unikeras.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND=backend,
               OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", _KERAS_SIDE.replace("EXTRA", extra), str(d)],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return d


def build(module, fn, kw, weights=None):
    """unikeras's model for the case, its automatic layer names counted from a fresh
    session (as the Keras side builds each case)."""
    keras.utils.clear_session(free_memory=False)
    return getattr(getattr(keras.applications, module), fn)(weights=weights, **kw)


def zero_initializers(monkeypatch):
    """Zeros for every VarianceScaling initializer (Glorot, He, ...): for a model that
    is only built and inspected, whose random draws would be most of its build time."""
    from unikeras import initializers

    monkeypatch.setattr(initializers.VarianceScaling, "__call__",
                        lambda self, shape, dtype=None: np.zeros(
                            shape, initializers._np_dtype(dtype)))


def check_structure(m, facts):
    assert m.name == facts["name"]
    assert [layer.name for layer in m.layers if layer.weights] == facts["layers"]
    # Keras lists no op node (`x + y` on KerasTensors); unikeras records them as OpLayers
    assert [type(layer).__name__ for layer in m.layers
            if type(layer).__name__ != "OpLayer"] == facts["classes"]
    assert [[w.path, list(w.shape)] for w in m.weights] == facts["weights"]


def check_forward(cid, module, fn, kw, keras_dir, framework, to_fw):
    """Keras's weights file loads; structure, preprocess_input and outputs equal Keras's."""
    facts = json.loads((keras_dir / "facts.json").read_text())[cid]
    m = build(module, fn, kw, weights=str(keras_dir / f"{cid}.weights.h5"))
    check_structure(m, facts)
    pre_ref = np.load(keras_dir / f"{cid}_pre.npy")
    x = case_images(kw)
    pre_np = getattr(keras.applications, module).preprocess_input(x.copy())
    np.testing.assert_allclose(pre_np, pre_ref, rtol=1e-6, atol=1e-5)
    # (NumPy arrays are preprocessed in place, as in Keras: give a copy)
    pre = getattr(keras.applications, module).preprocess_input(to_fw(x.copy(), framework))
    np.testing.assert_allclose(to_numpy(pre), pre_ref, rtol=1e-6, atol=1e-4)
    if framework == "jax":
        # compiled once as a jax user would run it: op-by-op eager jax compiles each
        # primitive per shape (~30 s for DenseNet121's ~400 layers, 12 s under jit)
        out = to_numpy(m.predict(pre, verbose=0))
    else:
        out = to_numpy(m(pre, training=False))
    ref = np.load(keras_dir / f"{cid}_out.npy")
    assert out.shape == ref.shape
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4 * scale)
