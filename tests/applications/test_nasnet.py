"""keras.applications.nasnet against Keras 3 itself (one Keras subprocess for the module,
tests/applications/_keras_apps.py; on Keras' TensorFlow backend, as Keras refuses
NASNetMobile on torch).

NASNetMobile, the smallest variant, at 32x32 with Keras' weights: layer names, classes,
weight paths (under Keras' name scopes) and shapes, ``preprocess_input`` and the outputs
on every framework. NASNetLarge's topology (six normal cells a stack, the reduction
cells' outputs skipped) by structure at small widths through ``nasnet.NASNet``, and the
arguments NASNetLarge/NASNetMobile give ``NASNet`` equal Keras's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import unikeras as keras

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).parent))
from _keras_apps import case_images, check_forward, check_structure, keras_reference  # noqa: E402

# (1000 classes, the ImageNet head: the same weights also load as weights="imagenet")
CASES = [("nasnet_mobile", "nasnet", "NASNetMobile", dict(input_shape=(32, 32, 3),
                                                        classifier_activation=None))]
# NASNetLarge's cell pattern (skip_reduction=True) at small widths
LARGE_TOPOLOGY = dict(input_shape=(32, 32, 3), penultimate_filters=96, num_blocks=2,
                      stem_block_filters=8, skip_reduction=True, filter_multiplier=2,
                      include_top=False, pooling="avg", default_size=331, name="nasnet_l")

# Keras' side beyond the case: its model (`m`, the loop's last) in the legacy .h5
# layout under its ImageNet file name; NASNetLarge's topology; the variants' arguments
_EXTRA = r"""
from keras.src.applications import nasnet as N
from keras.src.legacy.saving import legacy_h5_format
with h5py.File(d + "/nasnet_mobile.h5", "w") as f:
    legacy_h5_format.save_weights_to_hdf5_group(f, m)
keras.backend.clear_session()
m = N.NASNet(weights=None, **%(large)r)
out["large_topology"] = {"layers": [l.name for l in m.layers if l.weights],
                         "classes": [type(l).__name__ for l in m.layers],
                         "weights": [[w.path, list(w.shape)] for w in m.weights],
                         "name": m.name}
real = N.NASNet
for f in ("NASNetLarge", "NASNetMobile"):
    def record(*a, **k):
        out[f + "_args"] = [list(a), k]
        raise KeyboardInterrupt
    N.NASNet = record
    try:
        getattr(N, f)(weights=None, include_top=False)
    except KeyboardInterrupt:
        pass
N.NASNet = real
""" % {"large": LARGE_TOPOLOGY}


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, extra=_EXTRA, backend="tensorflow")


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


def test_imagenet_file_from_the_keras_cache(keras_dir, tmp_path, monkeypatch):
    """Keras' legacy .h5 layout by its ImageNet file name (``nasnet_mobile.h5``) is what
    weights="imagenet" loads."""
    import shutil

    import numpy as np

    from unikeras.xp import set_default_framework, to_numpy

    set_default_framework("numpy")  # (NumPy inputs would run on eager jax otherwise)
    cid, _, _, kw = CASES[0]
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    shutil.copy(keras_dir / "nasnet_mobile.h5", tmp_path / "models")
    # (include_top=True with ImageNet weights takes input_shape 224x224 only: the case's
    # 32x32 comes as an input tensor, as Keras allows)
    m = keras.applications.nasnet.NASNetMobile(
        weights="imagenet", input_tensor=keras.Input(kw["input_shape"]),
        classifier_activation=kw["classifier_activation"])
    x = keras.applications.nasnet.preprocess_input(case_images(kw))
    out = to_numpy(m(x, training=False))
    ref = np.load(keras_dir / f"{cid}_out.npy")
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4 * float(np.abs(ref).max()))


def test_large_topology_and_arguments(keras_dir, monkeypatch):
    from unikeras.applications import nasnet

    facts = json.loads((keras_dir / "facts.json").read_text())
    keras.utils.clear_session(free_memory=False)
    check_structure(nasnet.NASNet(weights=None, **LARGE_TOPOLOGY), facts["large_topology"])
    for f in ("NASNetLarge", "NASNetMobile"):
        seen = []
        monkeypatch.setattr(nasnet, "NASNet", lambda *a, **k: seen.append([list(a), k]))
        getattr(keras.applications, f)(weights=None, include_top=False)
        # (JSON made Keras's tuple input_shape a list)
        assert json.loads(json.dumps(seen[0])) == facts[f + "_args"]


def test_imagenet_file_names_and_errors(tmp_path, monkeypatch):
    from unikeras.applications import nasnet

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot download.*nasnet_mobile_no_top\.h5"):
        keras.applications.NASNetMobile(input_shape=(32, 32, 3), include_top=False)
    with pytest.raises(ValueError, match="input_shape argument must be static"):
        keras.applications.NASNetLarge(input_shape=(None, None, 3), include_top=False)
    with pytest.raises(ValueError, match="classes` should be 1000"):
        keras.applications.NASNetLarge(classes=10)
    with pytest.raises(ValueError, match="ImageNet weights can only be loaded with"):
        nasnet.NASNet(input_shape=(32, 32, 3), include_top=False, default_size=100)
    with pytest.raises(ValueError, match="must be a multiple of 24"):
        nasnet.NASNet(input_shape=(32, 32, 3), weights=None, penultimate_filters=100)
    keras.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="does not support the `channels_first`"):
            keras.applications.NASNetMobile(weights=None)
    finally:
        keras.config.set_image_data_format("channels_last")
