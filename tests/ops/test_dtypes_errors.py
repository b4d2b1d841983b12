"""Keras 3 result dtypes, framework routing and error messages of unikeras.ops.

The expected dtypes are Keras 3's rules (its JAX backend without x64, which its own
dtype tests treat as the reference): Python scalars are weak; int/bool inputs of float
functions give floatx; mean of ints gives float32; sum of bool/int8/int16 gives int32.
"""

import numpy as np
import pytest

from unikeras import ops, xp

PY = {"py_int": 2, "py_float": 2.5, "py_bool": True}


def arr(fw, dtype, shape=(2, 3)):
    if dtype in PY:
        return PY[dtype]
    if dtype == "bfloat16":
        import ml_dtypes

        return fw.T(np.ones(shape, dtype=ml_dtypes.bfloat16))
    return fw.T(np.ones(shape, dtype=dtype))


def dt(x):
    x = x[0] if isinstance(x, (tuple, list)) else x
    return xp.standardize_dtype(x.dtype)


FLOAT_FNS = ["sin", "cos", "tanh", "exp", "log1p", "sqrt", "arctan", "floor", "ceil", "mean",
             "var", "std", "median", "exp2", "deg2rad", "reciprocal", "logsumexp"]
UNARY_CASES = {  # input dtype -> expected
    **{f: {"bool": "float32", "int8": "float32", "uint8": "float32", "int32": "float32",
           "float16": "float16", "bfloat16": "bfloat16", "float32": "float32"} for f in FLOAT_FNS},
    "sum": {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "int32": "int32",
            "float16": "float16", "float32": "float32"},
    "prod": {"bool": "int32", "int8": "int32", "int32": "int32", "float16": "float16"},
    "cumsum": {"bool": "int32", "int8": "int8", "int32": "int32", "float16": "float16"},
    "argmax": {"bool": "int32", "int8": "int32", "float32": "int32", "float16": "int32"},
    "argsort": {"int8": "int32", "float32": "int32"},
    "count_nonzero": {"bool": "int32", "float32": "int32"},
    "nonzero": {"int32": "int32", "float32": "int32"},
    "abs": {"int8": "int8", "uint8": "uint8", "float16": "float16", "bool": "bool"},
    "square": {"bool": "int32", "int8": "int8", "float16": "float16"},
    "clip": {"bool": "int32", "int8": "int8", "uint8": "uint8", "float16": "float16"},
    "max": {"bool": "bool", "int8": "int8", "float16": "float16"},
    "round": {"int32": "int32", "float16": "float16"},
    "isnan": {"int32": "bool", "float32": "bool"},
    "all": {"int32": "bool", "float32": "bool"},
    "erfinv": {"int32": "float32", "float16": "float16"},
    "logsumexp": {"int32": "float32", "float32": "float32"},
}
UNARY_CALLS = {"clip": lambda x: ops.clip(x, 0, 1)}

BINARY_CASES = {  # (dtype1, dtype2) -> expected
    "add": {("int32", "py_float"): "float32", ("int8", "uint8"): "int16",
            ("int32", "float16"): "float16", ("bfloat16", "float16"): "float32",
            ("int8", "py_int"): "int8", ("bool", "py_int"): "int32", ("float16", "py_float"): "float16",
            ("uint8", "py_int"): "uint8", ("bool", "bool"): "bool", ("int8", "int32"): "int32",
            ("py_int", "float16"): "float16", ("bool", "float16"): "float16",
            ("int32", "float32"): "float32"},
    "multiply": {("int16", "py_float"): "float32", ("bool", "int8"): "int8"},
    "divide": {("int32", "int32"): "float32", ("int8", "int8"): "float32", ("float16", "py_int"): "float16",
               ("bool", "bool"): "float32", ("float16", "float16"): "float16", ("py_int", "int32"): "float32"},
    "floor_divide": {("int32", "int32"): "int32", ("int8", "py_int"): "int8", ("float16", "py_float"): "float16"},
    "mod": {("bool", "bool"): "int32", ("int8", "uint8"): "int16"},
    "power": {("int32", "py_int"): "int32", ("int32", "py_float"): "float32"},
    "maximum": {("int8", "py_float"): "float32", ("uint8", "int8"): "int16"},
    "arctan2": {("int32", "int32"): "float32", ("float16", "py_int"): "float16"},
    "equal": {("int32", "py_float"): "bool", ("float16", "bfloat16"): "bool"},
    "logical_and": {("int32", "float32"): "bool"},
    "where": {("int8", "py_float"): "float32", ("int8", "uint8"): "int16", ("float16", "py_int"): "float16"},
    "matmul": {("int8", "int8"): "int32", ("int32", "float16"): "float16", ("float32", "float32"): "float32"},
    "concatenate": {("int8", "float16"): "float16", ("int32", "int32"): "int32"},
    "average": {("int32", "int32"): "float32", ("float16", "float16"): "float16"},
}
BINARY_CALLS = {
    "where": lambda a, b: ops.where(np.array([[True, False, True]] * 2), a, b),
    "concatenate": lambda a, b: ops.concatenate([a, b]),
    "matmul": lambda a, b: ops.matmul(a, ops.transpose(b) if hasattr(b, "shape") else b),
    "average": lambda a, b: ops.average(a, weights=b),
}

NOARG_CASES = {
    "arange_int": (lambda: ops.arange(5), "int32"),
    "arange_float": (lambda: ops.arange(2.5), "float32"),
    "arange_mixed": (lambda: ops.arange(0, 5, 1.0), "float32"),
    "arange_dtype": (lambda: ops.arange(5, dtype="float16"), "float16"),
    "zeros": (lambda: ops.zeros((2,)), "float32"),
    "ones_int": (lambda: ops.ones((2,), dtype="int32"), "int32"),
    "empty": (lambda: ops.empty((2,)), "float32"),
    "eye": (lambda: ops.eye(2), "float32"),
    "identity": (lambda: ops.identity(2), "float32"),
    "tri": (lambda: ops.tri(2), "float32"),
    "full_int": (lambda: ops.full((2,), 1), "float32"),
    "full_float": (lambda: ops.full((2,), 1.5), "float32"),
    "linspace": (lambda: ops.linspace(0, 1, 5), "float32"),
    "logspace": (lambda: ops.logspace(0, 1, 5), "float32"),
    "array_int": (lambda: ops.array([1, 2]), "int32"),
    "array_float": (lambda: ops.array([1.0, 2]), "float32"),
    "convert_py_float": (lambda: ops.convert_to_tensor(1.5), "float32"),
    "convert_py_int": (lambda: ops.convert_to_tensor(1), "int32"),
    "convert_dtype": (lambda: ops.convert_to_tensor([1, 2], dtype="float16"), "float16"),
    "add_py": (lambda: ops.add(1, 2), "int32"),
    "add_py_float": (lambda: ops.add(1, 2.5), "float32"),
    "divide_py": (lambda: ops.divide(1, 2), "float32"),
}


def _skip(fw, *dtypes):
    if not fw.x64 and any("64" in d for d in dtypes):
        pytest.skip("JAX runs without x64, as Keras' JAX backend")


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
def test_unary_dtypes(fw, name):
    fn = UNARY_CALLS.get(name, getattr(ops, name))
    bad = {}
    for din, expected in UNARY_CASES[name].items():
        got = dt(fn(arr(fw, din)))
        if got != expected:
            bad[din] = (got, expected)
    assert not bad, f"ops.{name}: input dtype -> (got, expected Keras 3): {bad}"


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
def test_binary_dtypes(fw, name):
    fn = BINARY_CALLS.get(name, getattr(ops, name))
    bad = {}
    for (d1, d2), expected in BINARY_CASES[name].items():
        got = dt(fn(arr(fw, d1), arr(fw, d2)))
        if got != expected:
            bad[(d1, d2)] = (got, expected)
        if d1 != d2 and name not in ("average", "matmul", "concatenate"):
            got = dt(fn(arr(fw, d2), arr(fw, d1)))
            if got != expected:
                bad[(d2, d1)] = (got, expected)
    assert not bad, f"ops.{name}: dtypes -> (got, expected Keras 3): {bad}"


def test_noarg_dtypes_and_framework(fw):
    bad = {}
    for name, (call, expected) in NOARG_CASES.items():
        out = call()
        assert xp.framework_of(out) == fw.name, f"{name}: expected a {fw.name} array (the default framework)"
        if dt(out) != expected:
            bad[name] = (dt(out), expected)
    assert not bad, bad


def test_64bit_inputs_keep_width(fw):
    _skip(fw, "float64")
    assert dt(ops.sin(arr(fw, "float64"))) == "float64"
    assert dt(ops.sum(arr(fw, "int64"))) == "int64"
    assert dt(ops.add(arr(fw, "int64"), 2.5)) == "float32"
    assert dt(ops.mean(arr(fw, "int64"))) == "float32"
    assert dt(ops.add(arr(fw, "int64"), arr(fw, "float16"))) == "float16"


def test_host_data_goes_to_the_array_framework(fw):
    a = fw.T(np.ones(3, "float32"))
    for out in (ops.add(a, np.ones(3, "float32")), ops.add(np.ones(3, "float32"), a),
                ops.concatenate([np.ones(2, "float32"), a]), ops.multiply([1.0, 2.0, 3.0], a),
                ops.sum(np.ones(3)), ops.where(np.ones(3) > 0, a, 0.0)):
        assert xp.framework_of(out) == fw.name


def test_mixed_frameworks_raise_naming_both():
    fws = [f for f in xp.installed_frameworks() if f != "numpy"]
    if len(fws) < 2:
        pytest.skip("needs two frameworks")
    a = xp.asarray(np.ones(3, "float32"), framework=fws[0])
    b = xp.asarray(np.ones(3, "float32"), framework=fws[1])
    with pytest.raises(TypeError) as e:
        ops.add(a, b)
    msg = str(e.value)
    assert "ops.add" in msg and fws[0] in msg and fws[1] in msg


@pytest.mark.parametrize("case", [
    ("reshape", lambda fw: ops.reshape(fw.T(np.ones((2, 3))), (4, 2)), ValueError, ["(2, 3)", "(4, 2)"]),
    ("matmul", lambda fw: ops.matmul(fw.T(np.ones((2, 3))), fw.T(np.ones((2, 3)))), ValueError, ["(2, 3)"]),
    ("squeeze", lambda fw: ops.squeeze(fw.T(np.ones((2, 3))), axis=1), ValueError, ["size 1", "(2, 3)"]),
    ("take", lambda fw: ops.take(fw.T(np.ones(3)), fw.T(np.ones(2, "float32"))), TypeError, ["integer", "float32"]),
    ("pad", lambda fw: ops.pad(fw.T(np.ones(3)), 1, mode="bogus"), ValueError, ["mode", "'bogus'"]),
    ("concatenate", lambda fw: ops.concatenate([fw.T(np.ones((2, 3))), fw.T(np.ones(3))]), ValueError, ["rank", "(3,)"]),
    ("stack", lambda fw: ops.stack([fw.T(np.ones(2)), fw.T(np.ones(3))]), ValueError, ["(2,)", "(3,)"]),
    ("quantile", lambda fw: ops.quantile(fw.T(np.ones(3)), 0.5, method="cubic"), ValueError, ["method", "'cubic'"]),
    ("transpose", lambda fw: ops.transpose(fw.T(np.ones((2, 3))), (0, 0)), ValueError, ["permutation", "(0, 0)"]),
    ("segment_sum", lambda fw: ops.segment_sum(fw.T(np.ones((3, 2))), fw.T(np.array([0, 1]))), ValueError, ["length 3", "(2,)"]),
    ("top_k", lambda fw: ops.top_k(fw.T(np.ones((2, 3))), 5), ValueError, ["k <= 3", "k=5"]),
    ("erf", lambda fw: ops.erf(fw.T(np.ones(3, "int32"))), TypeError, ["float", "int32"]),
    ("add", lambda fw: ops.add(fw.T(np.ones(3)), fw.T(np.ones(4))), ValueError, ["(3,)", "(4,)"]),
    ("cast", lambda fw: ops.cast(fw.T(np.ones(3)), "float42"), ValueError, ["float42"]),
    ("slice", lambda fw: ops.slice(fw.T(np.ones((2, 3))), (0,), (1, 1)), ValueError, ["length 2", "received 1"]),
    ("inv", lambda fw: ops.inv(fw.T(np.ones((2, 3)))), ValueError, ["square", "(2, 3)"]),
], ids=lambda c: c[0])
def test_errors_name_op_expected_received(fw, case):
    name, call, cls, parts = case
    with pytest.raises(cls) as e:
        call(fw)
    msg = str(e.value)
    if name != "cast":
        assert f"ops.{name}" in msg, msg
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"


def test_namespace_layout():
    assert ops.nn is not None and ops.linalg.svd is ops.svd and ops.numpy.add is ops.add
    assert len([n for n in ops.__all__ if callable(getattr(ops, n))]) >= 150
    import unikeras.ops.np_api as np_api

    for name in np_api.__all__:
        assert getattr(ops, name) is getattr(np_api, name)
