"""Regenerate keras_dtypes.json: the result dtypes Keras 3 gives (NumPy backend) for
ops x input dtypes. Development tool, not a test: run it by hand after changing the
tables below (`python tests/ops/make_keras_dtype_table.py`); tests read the JSON."""

import json
import os
import pathlib

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"  # Keras tests its dtype rules against jax with x64

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import ops  # noqa: E402

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64",
          "float16", "bfloat16", "float32", "float64"]
SCALARS = {"py_int": 2, "py_float": 2.5, "py_bool": True}

UNARY = {
    name: (lambda f: (lambda x: f(x)))(getattr(ops, name))
    for name in """abs absolute arccos arccosh arcsin arcsinh arctan arctanh ceil conj copy
    cos cosh exp exp2 expm1 floor log log10 log1p log2 negative reciprocal round sign sin
    sinh sqrt square tan tanh isfinite isinf isnan logical_not real imag mean sum prod max
    min amax amin argmax argmin argsort sort std var median cumsum cumprod count_nonzero
    all any ravel flip trace diag diagonal nan_to_num erf erfinv logsumexp cbrt trunc
    rsqrt transpose tril triu nonzero ptp signbit fabs deg2rad rad2deg sinc
    relu sigmoid softmax log_softmax gelu silu softplus""".split()
}
UNARY.update({
    "clip": lambda x: ops.clip(x, 0, 1),
    "quantile": lambda x: ops.quantile(x, 0.5),
    "average": lambda x: ops.average(x),
    "diff": lambda x: ops.diff(x),
    "cumsum_axis": lambda x: ops.cumsum(x, axis=0),
    "expand_dims": lambda x: ops.expand_dims(x, 0),
    "tile": lambda x: ops.tile(x, 2),
    "repeat": lambda x: ops.repeat(x, 2),
    "pad": lambda x: ops.pad(x, 1),
    "bincount": lambda x: ops.bincount(ops.cast(x, "int32").reshape(-1)),
})
BINARY = {
    name: (lambda f: (lambda a, b: f(a, b)))(getattr(ops, name))
    for name in """add subtract multiply divide true_divide floor_divide mod power maximum
    minimum arctan2 logaddexp equal not_equal greater greater_equal less less_equal
    logical_and logical_or logical_xor matmul dot outer vdot divide_no_nan hypot fmod
    isclose append kron inner heaviside copysign fmax fmin""".split() if hasattr(ops, name)
}
BINARY.update({
    "where": lambda a, b: ops.where(np.array([[True, False, True]] * 2), a, b),
    "concatenate": lambda a, b: ops.concatenate([a, b]),
    "stack": lambda a, b: ops.stack([a, b]),
    "hstack": lambda a, b: ops.hstack([a, b]),
    "vstack": lambda a, b: ops.vstack([a, b]),
    "tensordot": lambda a, b: ops.tensordot(a, b, axes=0),
    "cross": lambda a, b: ops.cross(a, b),
    "einsum": lambda a, b: ops.einsum("ij,ij->i", a, b),
    "average_w": lambda a, b: ops.average(a, weights=b),
})
NOARG = {
    "arange_int": lambda: ops.arange(5),
    "arange_float": lambda: ops.arange(2.5),
    "arange_mixed": lambda: ops.arange(0, 5, 1.0),
    "zeros": lambda: ops.zeros((2,)),
    "ones": lambda: ops.ones((2,)),
    "empty": lambda: ops.empty((2,)),
    "eye": lambda: ops.eye(2),
    "identity": lambda: ops.identity(2),
    "tri": lambda: ops.tri(2),
    "full_int": lambda: ops.full((2,), 1),
    "full_float": lambda: ops.full((2,), 1.5),
    "linspace": lambda: ops.linspace(0, 1, 5),
    "logspace": lambda: ops.logspace(0, 1, 5),
    "array_int": lambda: ops.array([1, 2]),
    "array_float": lambda: ops.array([1.0, 2]),
    "convert_int": lambda: ops.convert_to_tensor([1, 2]),
    "convert_float": lambda: ops.convert_to_tensor([1.0, 2]),
    "convert_py_float": lambda: ops.convert_to_tensor(1.5),
    "convert_py_int": lambda: ops.convert_to_tensor(1),
    "add_py": lambda: ops.add(1, 2),
    "add_py_float": lambda: ops.add(1, 2.5),
    "divide_py": lambda: ops.divide(1, 2),
    "one_hot": lambda: ops.one_hot(np.array([0, 1]), 3),
}


def arr(dt, shape=(2, 3)):
    if dt == "bfloat16":
        return np.ones(shape, dtype=ml_dtypes.bfloat16)
    return np.ones(shape, dtype=dt)


def name_of(out):
    if isinstance(out, (tuple, list)):
        out = out[0]
    return keras.backend.standardize_dtype(out.dtype)


def run(fn, *args):
    try:
        return name_of(fn(*args))
    except Exception as e:  # noqa: BLE001
        return "error:" + type(e).__name__


def main():
    table = {"unary": {}, "binary": {}, "noarg": {}}
    for name, fn in UNARY.items():
        shape = (3, 3) if name in ("tril", "triu", "trace", "diag", "diagonal") else (2, 3)
        table["unary"][name] = {dt: run(fn, arr(dt, shape)) for dt in DTYPES}
    kinds = DTYPES + list(SCALARS)
    for name, fn in BINARY.items():
        shape = (3,) if name == "cross" else (3, 3) if name in ("matmul", "dot") else (2, 3)
        if name in ("cross",):
            shape = (2, 3)
        res = {}
        for a in kinds:
            for b in kinds:
                if a in SCALARS and b in SCALARS:
                    continue
                xa = SCALARS[a] if a in SCALARS else arr(a, shape)
                xb = SCALARS[b] if b in SCALARS else arr(b, shape)
                res[f"{a},{b}"] = run(fn, xa, xb)
        table["binary"][name] = res
    table["noarg"] = {name: run(fn) for name, fn in NOARG.items()}
    out = pathlib.Path(__file__).with_name("keras_dtypes.json")
    out.write_text(json.dumps(table, indent=0, sort_keys=True))
    print("wrote", out)


if __name__ == "__main__":
    main()
