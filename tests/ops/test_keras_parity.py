"""The newer Keras 3 ops (activations, Fourier, segment, NaN-aware, windows, unique,
depth/space, unfold/fold, rearrange, ...) against Keras 3 itself.

Keras runs the cases of ``_keras_cases.py`` in a subprocess with its JAX backend (whose
dtype rules unikeras follows) and writes reference outputs; unikeras runs the same cases on
every installed framework. Values must agree; dtypes must agree exactly on jax, and
elsewhere up to the integer width (unikeras gives int64 indices where the framework's
default is 64-bit, as Keras' torch and TF backends do).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unikeras import ops, xp

sys.path.insert(0, str(Path(__file__).parent))
import _keras_cases as kc  # noqa: E402

keras_spec = pytest.importorskip("keras")

CASES_FILE = Path(kc.__file__)


@pytest.fixture(scope="module")
def refs(request):
    """Reference outputs from Keras 3 (JAX backend), cached by the cases file's hash."""
    key = hashlib.sha256(CASES_FILE.read_bytes()).hexdigest()[:16]
    cache = request.config.cache.mkdir("keras_parity_refs") / f"{key}-{keras_spec.__version__}.npz"
    if not cache.exists():
        tmp = cache.with_suffix(f".{os.getpid()}.npz")
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                   TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run([sys.executable, str(CASES_FILE), str(tmp)], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        os.replace(tmp, cache)
    with np.load(cache) as f:
        return {k: f[k] for k in f.files}


def _outputs(refs, cid):
    if f"{cid}__error" in refs:
        pytest.fail(f"Keras itself refused case {cid}: {refs[f'{cid}__error']}")
    out, i = [], 0
    while f"{cid}__{i}" in refs:
        out.append(refs[f"{cid}__{i}"])
        i += 1
    return out


def _np_sparsemax(x, axis=-1):
    """Martins & Astudillo (2016), per row; Keras 3.15's own sparsemax sums the cumulative
    sums and does not sum to 1 (keras-team/keras#23469), so the paper is the reference."""
    z = np.moveaxis(x.astype(np.float64), axis, -1)
    out = np.empty_like(z)
    for i in np.ndindex(z.shape[:-1]):
        srt = np.sort(z[i])[::-1]
        k = np.arange(1, srt.size + 1)
        support = 1 + k * srt > np.cumsum(srt)
        kk = k[support].max()
        out[i] = np.maximum(z[i] - (srt[:kk].sum() - 1) / kk, 0)
    return np.moveaxis(out, -1, axis).astype(x.dtype)


OVERRIDES = {"sparsemax": lambda args, kwargs: [_np_sparsemax(*args, **kwargs)]}

TOL = {"stft": 2e-4, "istft": 2e-4, "fft2": 2e-5, "ifft2": 2e-5, "i0": 2e-5, "psnr": 1e-4,
       "cdist": 2e-5, "unfold": 1e-6, "fold": 2e-5}


def _check_dtype(fw, name, got, want):
    g, w = got.dtype, want.dtype
    if fw == "jax" or g.kind in "fcb" or w.kind in "fcb":
        assert g == w, f"{name}: dtype {g}, Keras gives {w}"
    else:  # integer width follows the framework's default index width
        assert g.kind in "iu" and w.kind in "iu", f"{name}: dtype {g}, Keras gives {w}"


@pytest.mark.parametrize("case", kc.CASES, ids=[c[0] for c in kc.CASES])
def test_op_matches_keras(fw, refs, case):
    cid, name, args, kwargs = case
    expected = _outputs(refs, cid)
    if name in OVERRIDES:
        expected = OVERRIDES[name](args, kwargs)
    out = getattr(ops, name)(*kc.resolve_args(args, ops, fw.T), **kwargs)
    got = kc._flatten(out)
    assert len(got) == len(expected), f"{name}: {len(got)} outputs, Keras gives {len(expected)}"
    tol = TOL.get(name, 1e-5)
    for g, e in zip(got, expected):
        assert xp.framework_of(g) == fw.name, f"{name}: a {type(g)} from {fw.name} inputs"
        g = np.asarray(xp.to_numpy(g))
        assert g.shape == e.shape, f"{name}: shape {g.shape}, Keras gives {e.shape}"
        _check_dtype(fw.name, name, g, e)
        if e.dtype.kind in "iub":
            np.testing.assert_array_equal(g, e, err_msg=name)
        else:
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=name)


def test_argpartition_partitions(fw):
    x = kc.G
    for kth, axis in ((2, -1), (1, 0), (5, 1)):
        idx = np.asarray(xp.to_numpy(ops.argpartition(fw.T(x), kth, axis=axis)))
        assert np.array_equal(np.sort(idx, axis=axis),
                              np.broadcast_to(np.expand_dims(np.arange(x.shape[axis]),
                                                             1 - (axis % 2)), x.shape)), \
            "argpartition must give a permutation along the axis"
        part = np.take_along_axis(x, idx, axis=axis)
        kth_vals = np.take(part, [kth], axis=axis)
        np.testing.assert_array_equal(kth_vals, np.take(np.sort(x, axis=axis), [kth], axis=axis))
        assert np.all(np.take(part, range(kth), axis=axis) <= kth_vals)
        assert np.all(np.take(part, range(kth + 1, x.shape[axis]), axis=axis) >= kth_vals)


def test_stft_istft_round_trip(fw):
    sig = fw.T(kc.SIG)
    spec = ops.stft(sig, 16, 4, 16)
    back = ops.istft(spec, 16, 4, 16, length=kc.SIG.shape[-1])
    np.testing.assert_allclose(np.asarray(xp.to_numpy(back)), kc.SIG, atol=1e-5)


def test_fold_is_unfold_adjoint(fw):
    """<unfold(x), y> == <x, fold(y)>: fold sums the patches back (col2im)."""
    x = kc.IMG_CF
    y = np.random.default_rng(0).standard_normal((2, 3 * 6, 16)).astype("float32")
    u = np.asarray(xp.to_numpy(ops.unfold(fw.T(x), (2, 3), padding=1, stride=2)))
    assert u.shape == y.shape
    f = np.asarray(xp.to_numpy(ops.fold(fw.T(y), (6, 8), (2, 3), padding=1, stride=2)))
    np.testing.assert_allclose(np.vdot(u, y), np.vdot(x, f), rtol=1e-4)


@pytest.mark.parametrize("call, match", [
    (lambda T: ops.fft(T(kc.RE)), "ops.fft: expected a tuple \\(real, imag\\)"),
    (lambda T: ops.stft(T(kc.SIG), 16, 4, 8), "fft_length >= sequence_length"),
    (lambda T: ops.depth_to_space(T(kc.IMG), 3), "ops.depth_to_space"),
    (lambda T: ops.rearrange(T(kc.IMG), "b h w -> b (h w)"), "ops.rearrange"),
    (lambda T: ops.gcd(T(kc.F), T(kc.F)), "ops.gcd: expected integer arrays"),
    (lambda T: ops.cdist(T(kc.F3), T(kc.F3[..., :2])), "ops.cdist: expected the same last"),
    (lambda T: ops.view_as_complex(T(kc.F)), "ops.view_as_complex: expected a last dimension"),
])
def test_bad_arguments_name_the_op(fw, call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(fw.T)
