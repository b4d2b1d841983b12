"""Hostile model files, crafted on the fly (no binary is committed).

Each hostile load runs in a fresh subprocess with a 3 GB address-space cap
(RLIMIT_AS) and a timeout; the test asserts that the load is refused with a ValueError
naming the problem, that the child's peak memory stayed small, that no byte of a file
outside the archive reached the weights, and that no canary file was created. The
child runs on NumPy (the checks are framework-independent and happen before any array
is made); docs/security.md maps each test to the attack and the Keras CVE.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import unikeras as keras
from unikeras import layers

CANARY = b"CANARY-SECRET-BYTES-0123456789abcdefghijklmnopqrst"[:48]  # 12 float32s
PEAK_LIMIT_MB = 600

_CHILD = r"""
import json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
os.environ["UNIKERAS_BACKEND"] = "numpy"
import numpy as np
import unikeras as keras
from unikeras import layers
kind, path = sys.argv[1], sys.argv[2]
out = {"error": None, "message": "", "weights": None}
model = None
t = time.time()
try:
    if kind == "model":
        keras.saving.load_model(path, compile=False)
    else:
        model = keras.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
        model.set_weights([np.full(w.shape, 0.5, "float32") for w in model.get_weights()])
        model.load_weights(path)
except BaseException as e:  # report everything: the parent decides
    out["error"], out["message"] = type(e).__name__, str(e)
if model is not None:
    out["weights"] = b"".join(np.asarray(w).tobytes() for w in model.get_weights()).hex()
out["seconds"] = time.time() - t
# VmHWM: this process image's peak RSS (ru_maxrss would include the parent's, which a
# vfork-spawned child inherits across exec)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
out["peak_mb"] = (int(hwm[0].split()[1]) if hwm else
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print("RESULT" + json.dumps(out))
"""


def _load_in_child(kind, path, timeout=60):
    env = dict(os.environ, UNIKERAS_BACKEND="numpy", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert lines, f"child died (rc={proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(lines[-1][len("RESULT"):])


def _assert_refused(result, *patterns):
    assert result["error"] == "ValueError", result
    msg = result["message"]
    for p in patterns:
        assert p in msg, (p, msg)
    assert result["peak_mb"] < PEAK_LIMIT_MB, result
    if result["weights"] is not None:  # load_weights: all-or-nothing, nothing foreign
        w = bytes.fromhex(result["weights"])
        assert CANARY[:8] not in w
        assert np.all(np.frombuffer(w, "float32") == 0.5), "a failed load changed weights"


# ------------------------------------------------------------------ helpers
def _model():
    m = keras.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    m.set_weights([np.full(w.shape, 0.25, "float32") for w in m.get_weights()])
    return m


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    m = _model()
    m.save(d / "good.keras")
    m.save_weights(d / "good.weights.h5")
    with zipfile.ZipFile(d / "good.keras") as z:
        config = z.read("config.json")
    return {"dir": d, "keras": d / "good.keras", "h5": d / "good.weights.h5",
            "config": config}


@pytest.fixture
def canary(tmp_path):
    p = tmp_path / "secret.bin"
    p.write_bytes(CANARY)
    return p


def _weights_with(src, dst, edit):
    """Copy a good .weights.h5 and let ``edit(h5file)`` make it hostile."""
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def _keras_with(saved, dst, weights_path=None, config=None, extra=()):
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", saved["config"] if config is None else config)
        if weights_path is not None:
            z.write(weights_path, "model.weights.h5")
        for info, data in extra:
            z.writestr(info, data)
    return dst


KERNEL = "layers/dense/vars/0"


def _replace(f, path, **kwargs):
    del f[path]
    return f.create_dataset(path, **kwargs)


# ------------------------------------------------------------------ HDF5 tricks
def test_external_raw_storage_is_refused(saved, canary, tmp_path):
    edit = lambda f: _replace(f, KERNEL, shape=(4, 3), dtype="f4",  # noqa: E731
                              external=[(str(canary), 0, 48)])
    h5 = _weights_with(saved["h5"], tmp_path / "ext.weights.h5", edit)
    _assert_refused(_load_in_child("weights", h5), KERNEL, "external file")
    archive = _keras_with(saved, tmp_path / "ext.keras", h5)
    _assert_refused(_load_in_child("model", archive), KERNEL, "external file")


def test_external_and_soft_links_are_refused(saved, canary, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.frombuffer(CANARY, "float32").reshape(4, 3)

    def external(f):
        del f[KERNEL]
        f[KERNEL] = h5py.ExternalLink(str(other), "/data")

    def soft(f):
        del f[KERNEL]
        f[KERNEL] = h5py.SoftLink("/layers/dense_1/vars/0")

    def linked_group(f):  # a whole group through an external link
        del f["layers/dense"]
        f["layers/dense"] = h5py.ExternalLink(str(other), "/")

    for name, edit, words in (("ext", external, "external link"), ("soft", soft, "soft link"),
                              ("grp", linked_group, "external link")):
        h5 = _weights_with(saved["h5"], tmp_path / f"{name}.weights.h5", edit)
        _assert_refused(_load_in_child("weights", h5), words)
    archive = _keras_with(saved, tmp_path / "link.keras", tmp_path / "ext.weights.h5")
    _assert_refused(_load_in_child("model", archive), KERNEL, "external link")


def test_virtual_dataset_is_refused(saved, canary, tmp_path):
    other = tmp_path / "source.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.frombuffer(CANARY, "float32").reshape(4, 3)

    def vds(f):
        del f[KERNEL]
        lay = h5py.VirtualLayout(shape=(4, 3), dtype="f4")
        lay[:] = h5py.VirtualSource(str(other), "data", shape=(4, 3))
        f.create_virtual_dataset(KERNEL, lay, fillvalue=0)

    h5 = _weights_with(saved["h5"], tmp_path / "vds.weights.h5", vds)
    _assert_refused(_load_in_child("weights", h5), KERNEL, "virtual dataset")
    archive = _keras_with(saved, tmp_path / "vds.keras", h5)
    _assert_refused(_load_in_child("model", archive), KERNEL, "virtual dataset")


def test_shape_bomb_is_refused_before_reading(saved, tmp_path):
    # 15 KB on disk, 8 GiB declared (gzip, nothing written): refused from its header
    edit = lambda f: _replace(f, KERNEL, shape=(1 << 31,), dtype="f4",  # noqa: E731
                              chunks=(1 << 20,), compression="gzip")
    h5 = _weights_with(saved["h5"], tmp_path / "bomb.weights.h5", edit)
    assert os.path.getsize(h5) < 100_000
    r = _load_in_child("weights", h5)
    _assert_refused(r, KERNEL, "decompression/shape bomb")
    assert r["seconds"] < 5
    # a chunk far larger than its dataset (a huge buffer per read) is refused
    edit = lambda f: _replace(f, KERNEL, data=np.full((4, 3), 0.5, "f4"),  # noqa: E731
                              chunks=(1024, 1024), maxshape=(None, None))
    h5 = _weights_with(saved["h5"], tmp_path / "chunk.weights.h5", edit)
    _assert_refused(_load_in_child("weights", h5), KERNEL, "chunks", "larger than the dataset")
    # a legitimately chunked, resizable dataset (chunk == dataset) still loads
    edit = lambda f: _replace(f, KERNEL, data=np.full((4, 3), 0.5, "f4"),  # noqa: E731
                              chunks=(4, 3), maxshape=(None, None))
    h5 = _weights_with(saved["h5"], tmp_path / "ok.weights.h5", edit)
    assert _load_in_child("weights", h5)["error"] is None


def test_declared_size_beyond_the_archive_is_refused(saved, tmp_path):
    # a stored member whose header claims more bytes than the file holds
    archive = _keras_with(saved, tmp_path / "a.keras", saved["h5"])
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("model.weights.h5")
    for base in (info.header_offset, data.rfind(b"PK\x01\x02")):  # local and central header
        sig = bytes(data[base:base + 4])
        off = base + (22 if sig == b"PK\x03\x04" else 24)
        data[off:off + 4] = struct.pack("<L", 1 << 31)  # uncompressed size
        data[off - 4:off] = struct.pack("<L", 1 << 31)  # compressed size
    archive.write_bytes(bytes(data))
    _assert_refused(_load_in_child("model", archive), "model.weights.h5")


# ------------------------------------------------------------------ zip tricks
def _deflated_zeros(n_mib):
    """A raw deflate stream of ``n_mib`` MiB of zeros, built from one flushed block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    c.compress(bytes(1 << 20))
    c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * n_mib + c.flush(zlib.Z_FINISH)


def _raw_zip(path, members):
    """Write a zip by hand: ``members`` = (name, method, stored bytes, declared size, crc,
    unix mode or None)."""
    out, central = bytearray(), bytearray()
    for name, method, data, size, crc, mode in members:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc,
                           len(data), size, len(n), 0) + n + data
        ext = (mode << 16) if mode is not None else 0
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, 20, 0, method,
                               0, 0x21, crc, len(data), size, len(n), 0, 0, 0, 0, ext,
                               offset) + n
    cd_offset = len(out)
    out += central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members),
                                 len(members), len(central), cd_offset, 0)
    path.write_bytes(bytes(out))
    return path


def test_decompression_bomb_and_lying_size_header(saved, tmp_path):
    config = saved["config"]
    bomb = _deflated_zeros(3 * 1024)  # 3 GiB of zeros in ~3 MB
    assert len(bomb) < 8 << 20
    members = [("config.json", 0, config, len(config), zlib.crc32(config), None)]
    archive = _raw_zip(tmp_path / "bomb.keras",
                       members + [("model.weights.h5", 8, bomb, 3 << 30, 0, None)])
    r = _load_in_child("model", archive)
    _assert_refused(r, "model.weights.h5", "decompression bomb")
    assert r["seconds"] < 5
    # the header lies (2 KiB) about a member that inflates to 3 GiB: never more than the
    # declared bytes are inflated, and those are not an HDF5 file
    archive = _raw_zip(tmp_path / "liar.keras",
                       members + [("model.weights.h5", 8, bomb, 2048, 0, None)])
    r = _load_in_child("model", archive)
    _assert_refused(r, "model.weights.h5")
    assert r["seconds"] < 5
    # a config.json declaring more than the JSON limit is refused before it is read
    archive = _raw_zip(tmp_path / "bigjson.keras",
                       [("config.json", 8, _deflated_zeros(80), 80 << 20, 0, None)])
    _assert_refused(_load_in_child("model", archive), "config.json", "limit")


def test_zip_members_that_are_links_are_refused(saved, tmp_path):
    config = saved["config"]
    target = b"/etc/passwd"
    for name in ("model.weights.h5", "assets/x"):
        members = [("config.json", 0, config, len(config), zlib.crc32(config), None),
                   (name, 0, target, len(target), zlib.crc32(target), stat.S_IFLNK | 0o777)]
        archive = _raw_zip(tmp_path / "link.keras", members)
        _assert_refused(_load_in_child("model", archive), name, "symbolic link")
    # duplicate members: which config is meant is ambiguous
    members = [("config.json", 0, config, len(config), zlib.crc32(config), None)] * 2
    _assert_refused(_load_in_child("model", _raw_zip(tmp_path / "dup.keras", members)),
                    "twice")


# ------------------------------------------------------------------ code and classes
def _lambda_config(saved, code_fn):
    spec = json.loads(saved["config"])
    from unikeras.utils.serialization import serialize_function

    spec["config"]["layers"].insert(1, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "evil", "function": serialize_function(code_fn),
                   "output_shape": None, "arguments": {}}})
    return json.dumps(spec)


def test_lambda_bytecode_refused_in_safe_mode_and_no_canary(saved, tmp_path):
    flag = str(tmp_path / "pwned")
    code = eval(f"lambda x: (open({flag!r}, 'w').write('x'), x)[1]")  # what a file could carry
    archive = _keras_with(saved, tmp_path / "lambda.keras", saved["h5"],
                          config=_lambda_config(saved, code))
    _assert_refused(_load_in_child("model", archive), "Python lambda", "safe_mode=False")
    assert not os.path.exists(flag)
    # the opt-out runs it, as in Keras
    keras.saving.load_model(archive, safe_mode=False)
    assert os.path.exists(flag)


def test_unregistered_classes_and_functions_are_refused(saved, tmp_path):
    spec = json.loads(saved["config"])
    spec["config"]["layers"][1]["config"]["activation"] = {
        "module": "os", "class_name": "function", "config": "os.system",
        "registered_name": "os.system"}
    archive = _keras_with(saved, tmp_path / "act.keras", saved["h5"], config=json.dumps(spec))
    _assert_refused(_load_in_child("model", archive), "os.system")
    spec = json.loads(saved["config"])
    spec["config"]["layers"][1].update(class_name="Popen", module="subprocess",
                                       registered_name="Popen")
    archive = _keras_with(saved, tmp_path / "cls.keras", saved["h5"], config=json.dumps(spec))
    r = _load_in_child("model", archive)
    _assert_refused(r, "Popen")
    assert "nknown" in r["message"]


def test_missing_weights_member_is_refused(saved, tmp_path):
    archive = _keras_with(saved, tmp_path / "noweights.keras", None)
    _assert_refused(_load_in_child("model", archive), "no model.weights.h5", "random weights")


def test_config_cannot_switch_safe_mode_off(saved, tmp_path):
    """A Lambda whose function names the library's own switch (or load_model with
    safe_mode=False): library functions are not registered, so the file cannot call them
    (Keras CVE-2025-8747 / CVE-2025-9906), and safe mode stays on."""
    for module, fn in (("keras.config", "enable_unsafe_deserialization"),
                       ("keras.models", "load_model"),
                       ("unikeras.config", "enable_unsafe_deserialization")):
        spec = json.loads(saved["config"])
        spec["config"]["layers"].insert(1, {
            "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "switch", "arguments": {"safe_mode": False},
                       "function": {"module": module, "class_name": "function",
                                    "config": fn, "registered_name": fn}}})
        archive = _keras_with(saved, tmp_path / "switch.keras", saved["h5"],
                              config=json.dumps(spec))
        _assert_refused(_load_in_child("model", archive), f"unknown function {fn!r}")
    with pytest.raises(ValueError, match="unknown function"):
        keras.saving.load_model(archive)
    from unikeras.saving import in_safe_mode

    assert in_safe_mode() is None  # nothing switched it off


def test_legacy_h5_models_are_refused(saved, tmp_path):
    legacy = tmp_path / "model.h5"
    legacy.write_bytes(saved["h5"].read_bytes())
    with pytest.raises(ValueError, match="legacy HDF5"):
        keras.saving.load_model(legacy)
