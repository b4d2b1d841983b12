"""unikeras.xp: namespaces, framework detection, conversion, dtypes, devices."""

import numpy as np
import pytest

from unikeras import xp


def test_namespace_of_each_framework(any_framework, to_fw):
    a = to_fw(np.arange(6.0, dtype="float32").reshape(2, 3), any_framework)
    ns = xp.namespace(a)
    out = ns.sum(ns.reshape(a, (3, 2)), axis=0)
    assert xp.framework_of(out) == any_framework
    np.testing.assert_allclose(xp.to_numpy(out), [6.0, 9.0])


def test_python_scalars_allowed_beside_arrays(framework, to_fw):
    a = to_fw(np.ones(3, "float32"), framework)
    assert xp.namespace(a, 2.0, None, 3) is xp.namespace(a)


def test_mixing_frameworks_names_both(to_fw):
    fws = xp.installed_frameworks()
    if len(fws) < 2:
        pytest.skip("needs two frameworks")
    a, b = to_fw(np.ones(2), fws[0]), to_fw(np.ones(2), fws[1])
    with pytest.raises(TypeError) as err:
        xp.namespace(a, b)
    assert fws[0] in str(err.value) and fws[1] in str(err.value)


def test_array_api_strict_namespace():
    strict = pytest.importorskip("array_api_strict")
    a = strict.asarray([1.0, 2.0])
    assert xp.framework_of(a) == "array_api_strict"
    assert xp.namespace(a).sum(a) == strict.asarray(3.0)


@pytest.mark.parametrize("dst", ["numpy", "jax", "torch", "tensorflow"])
def test_to_framework_round_trip(any_framework, dst, to_fw):
    if dst not in xp.installed_frameworks(include_numpy=True):
        pytest.skip(f"{dst} not installed")
    src = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    a = to_fw(src, any_framework)
    b = xp.to_framework(a, dst)
    assert xp.framework_of(b) == dst
    np.testing.assert_array_equal(xp.to_numpy(b), src)


def test_dlpack_conversion_is_zero_copy_torch_numpy():
    torch = pytest.importorskip("torch")
    t = torch.arange(4, dtype=torch.float32)
    n = xp.to_framework(t, "numpy")
    t[0] = 42.0
    assert n[0] == 42.0


@pytest.mark.parametrize("spelling,expected", [
    ("float32", "float32"), ("float", "float32"), (float, "float32"), (int, "int64"),
    ("double", "float64"), (np.float16, "float16"), (np.dtype("int8"), "int8"), (bool, "bool"),
])
def test_standardize_dtype(spelling, expected):
    assert xp.standardize_dtype(spelling) == expected


def test_standardize_framework_dtypes(any_framework, to_fw):
    for name in ("float32", "int32", "bool", "float64"):
        a = to_fw(np.zeros(2, dtype=name), any_framework)
        assert xp.dtype_of(a) in (name, "float32" if name == "float64" else name, "int32")


def test_standardize_dtype_rejects_unknown():
    with pytest.raises(ValueError, match="Invalid dtype.*'floaty'"):
        xp.standardize_dtype("floaty")


def test_result_dtype_follows_keras_rules():
    assert xp.result_dtype("int32", "float16") == "float16"
    assert xp.result_dtype("bfloat16", "float16") == "float32"
    assert xp.result_dtype("int8", "uint8") == "int16"
    assert xp.result_dtype("int32", float) == "float32"
    assert xp.result_dtype("float16", float) == "float16"


def test_floatx_round_trip():
    assert xp.floatx() == "float32"
    xp.set_floatx("float64")
    try:
        assert xp.floatx() == "float64"
        assert xp.standardize_dtype(None) == "float64"
    finally:
        xp.set_floatx("float32")
    with pytest.raises(ValueError):
        xp.set_floatx("int32")


def test_device_helpers(any_framework, to_fw):
    a = to_fw(np.ones(2), any_framework)
    assert xp.device_of(a).startswith("cpu")
    b = xp.to_device(a, "cpu")
    np.testing.assert_array_equal(xp.to_numpy(b), [1.0, 1.0])


def test_default_framework_from_env(monkeypatch):
    from unikeras.xp import _registry

    monkeypatch.setenv("UNIKERAS_BACKEND", "numpy")
    _registry.set_default_framework(None)
    assert xp.default_framework() == "numpy"
    monkeypatch.setenv("UNIKERAS_BACKEND", "nonsense")
    _registry.set_default_framework(None)
    with pytest.raises(ValueError, match="nonsense"):
        xp.default_framework()
    monkeypatch.delenv("UNIKERAS_BACKEND")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    _registry.set_default_framework(None)
    if xp.is_installed("torch"):
        assert xp.default_framework() == "torch"
