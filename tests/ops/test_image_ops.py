"""``unikeras.ops.image`` against Keras 3 itself, on every installed framework (NumPy
included): Keras runs the cases of ``_keras_image_cases.py`` in a subprocess with its JAX
backend and writes reference outputs; unikeras runs the same calls. Values and dtypes must
agree. Where Keras' JAX backend has no answer (``interpolation="area"``, projective
``c0, c1`` terms) the reference is TensorFlow's own kernel, which Keras' TF backend calls.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from unikeras import layers, ops, xp

sys.path.insert(0, str(Path(__file__).parent))
import _keras_image_cases as kc  # noqa: E402

CASES_FILE = Path(kc.__file__)
TOL = {"lanczos": 3e-5, "bicubic": 2e-5}


@pytest.fixture(scope="module")
def refs(keras_script_refs):
    """Reference outputs from Keras 3 (JAX backend), cached by the cases file's hash."""
    return keras_script_refs(CASES_FILE)


def _np(a):
    return np.asarray(xp.to_numpy(a))


@pytest.mark.parametrize("case", kc.CASES, ids=[c[0] for c in kc.CASES])
def test_image_op_matches_keras(fw, refs, case):
    cid, name, args, kwargs = case
    if f"{cid}__error" in refs:
        pytest.fail(f"Keras itself refused case {cid}: {refs[f'{cid}__error']}")
    expected = [refs[f"{cid}__{i}"] for i in range(10) if f"{cid}__{i}" in refs]
    args = tuple(fw.T(a) if isinstance(a, np.ndarray) else a for a in args)
    out = getattr(ops.image, name)(*args, **kwargs)
    got = list(out) if isinstance(out, (tuple, list)) else [out]
    assert len(got) == len(expected)
    tol = next((v for k, v in TOL.items() if k in cid), 1e-5)
    for g, e in zip(got, expected):
        assert xp.framework_of(g) == fw.name, f"{cid}: a {type(g)} from {fw.name} inputs"
        g = _np(g)
        assert g.shape == e.shape, f"{cid}: shape {g.shape}, Keras gives {e.shape}"
        assert g.dtype == e.dtype, f"{cid}: dtype {g.dtype}, Keras gives {e.dtype}"
        if e.dtype.kind in "iub":
            # integer results are rounded float results: allow one step where the float
            # value sits on a rounding boundary
            assert np.max(np.abs(g.astype(np.int64) - e.astype(np.int64))) <= 1, cid
            assert np.mean(g != e) < 0.02, cid
        else:
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=cid)


# ------------------------------------------------ references beyond Keras' JAX backend
@pytest.mark.parametrize("size, antialias", [((3, 4), False), ((4, 2), True), ((9, 11), False),
                                             ((6, 10), True)])
def test_resize_area_matches_tensorflow(fw, size, antialias):
    tf = pytest.importorskip("tensorflow")
    want = tf.image.resize(kc.IMG, size, method="area", antialias=antialias).numpy()
    got = _np(ops.image.resize(fw.T(kc.IMG), size, interpolation="area", antialias=antialias))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    cf = _np(ops.image.resize(fw.T(kc.IMG_CF), size, interpolation="area",
                              data_format="channels_first"))
    np.testing.assert_allclose(cf, want.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_projective_terms_match_tensorflow(fw, interpolation):
    """``c0, c1`` divide as in tf.raw_ops.ImageProjectiveTransformV3 (Keras' TF backend)."""
    tf = pytest.importorskip("tensorflow")
    t = np.array([[1.1, 0.2, -0.5, 0.1, 0.9, 0.3, 0.04, -0.03],
                  [0.9, -0.1, 0.8, 0.2, 1.2, -0.6, -0.02, 0.05]], "float32")
    want = tf.raw_ops.ImageProjectiveTransformV3(
        images=kc.IMG, transforms=t, output_shape=kc.IMG.shape[1:3], fill_value=0.3,
        interpolation=interpolation.upper(), fill_mode="CONSTANT").numpy()
    got = _np(ops.image.affine_transform(fw.T(kc.IMG), fw.T(t), interpolation=interpolation,
                                         fill_value=0.3))
    if interpolation == "nearest":  # rounding ties of the projected coordinate may differ
        assert np.mean(np.abs(got - want) > 1e-5) < 0.02
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ properties
def test_resize_to_own_size_is_identity(fw):
    for interp in ("bilinear", "bicubic", "lanczos5", "area", "nearest"):
        out = _np(ops.image.resize(fw.T(kc.IMG), kc.IMG.shape[1:3], interpolation=interp,
                                   antialias=True))
        np.testing.assert_allclose(out, kc.IMG, rtol=1e-6, atol=1e-6, err_msg=interp)


def test_crop_inverts_pad(fw):
    x = fw.T(kc.IMG)
    padded = ops.image.pad_images(x, 2, 1, 3, 4)
    assert tuple(padded.shape) == (2, 11, 12, 3)
    assert np.all(_np(padded)[:, :2] == 0) and np.all(_np(padded)[:, :, -4:] == 0)
    back = ops.image.crop_images(padded, 2, 1, 3, 4)
    np.testing.assert_array_equal(_np(back), kc.IMG)


def test_affine_identity_and_integer_shift(fw):
    ident = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    for interp in ("bilinear", "nearest"):
        out = _np(ops.image.affine_transform(fw.T(kc.IMG), fw.T(ident), interpolation=interp))
        np.testing.assert_allclose(out, kc.IMG, atol=1e-6)
    shift = np.array([1, 0, 2, 0, 1, 1, 0, 0], "float32")  # out(x, y) = in(x + 2, y + 1)
    out = _np(ops.image.affine_transform(fw.T(kc.IMG), fw.T(shift)))
    np.testing.assert_allclose(out[:, :-1, :-2], kc.IMG[:, 1:, 2:], atol=1e-6)
    assert np.all(out[:, -1] == 0) and np.all(out[:, :, -2:] == 0)


def test_image_ops_are_graph_nodes():
    """On KerasTensors the ops record a Functional node with Keras' output shape."""
    inp = layers.Input((None, None, 3))
    r = ops.image.resize(inp, (5, 4), interpolation="bicubic")
    assert tuple(r.shape) == (None, 5, 4, 3)
    c = ops.image.crop_images(r, 1, 1, target_height=3, target_width=2)
    p = ops.image.pad_images(c, 1, 0, 1, 0)
    t = layers.Input((8,))
    a = ops.image.affine_transform(p, t)
    assert tuple(a.shape) == (None, 5, 2, 3)
    from unikeras import Model

    model = Model([inp, t], a)
    x = kc.IMG
    tr = np.tile(kc.T_ZOOM, (2, 1))
    got = _np(model.predict([x, tr], verbose=0))
    want = ops.image.affine_transform(ops.image.pad_images(ops.image.crop_images(
        ops.image.resize(x, (5, 4), interpolation="bicubic"), 1, 1, target_height=3,
        target_width=2), 1, 0, 1, 0), tr)
    np.testing.assert_allclose(got, _np(want), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, match", [
    (lambda T: ops.image.resize(T(kc.IMG), (4,)), "tuple of 2 integers"),
    (lambda T: ops.image.resize(T(kc.IMG), (0, 4)), "positive height and width"),
    (lambda T: ops.image.resize(T(kc.IMG[0, 0]), (2, 2)), "Invalid images rank"),
    (lambda T: ops.image.resize(T(kc.IMG), (2, 2), interpolation="cubic"), "interpolation"),
    (lambda T: ops.image.resize(T(kc.IMG), (2, 2), fill_mode="reflect"), "fill_mode"),
    (lambda T: ops.image.resize(T(kc.IMG), (2, 2), crop_to_aspect_ratio=True,
                                pad_to_aspect_ratio=True), "Only one of"),
    (lambda T: ops.image.resize(T(kc.IMG), (2, 2), data_format="nhwc"), "data_format"),
    (lambda T: ops.image.affine_transform(T(kc.IMG), T(kc.T_ZOOM), fill_mode="edge"),
     "fill_mode"),
    (lambda T: ops.image.affine_transform(T(kc.IMG), T(kc.T_ZOOM), interpolation="bicubic"),
     "interpolation"),
    (lambda T: ops.image.affine_transform(T(kc.IMG), T(kc.T_ZOOM[:6])), "8 values"),
    (lambda T: ops.image.affine_transform(T(kc.IMG), T(kc.T_ZOOM[None, None])),
     "Invalid transform rank"),
    (lambda T: ops.image.crop_images(T(kc.IMG), 1, 1), "exactly two of"),
    (lambda T: ops.image.crop_images(T(kc.IMG), 1, 1, target_height=9, target_width=2),
     "does not fit"),
    (lambda T: ops.image.crop_images(T(kc.IMG), -1, 1, target_height=2, target_width=2),
     "top_cropping must be >= 0"),
    (lambda T: ops.image.pad_images(T(kc.IMG), 1, 1, target_height=3, target_width=20),
     "bottom_padding must be >= 0"),
    (lambda T: ops.image.pad_images(T(kc.IMG), 1, None, 1, None), "exactly two of"),
])
def test_bad_arguments(fw, call, match):
    with pytest.raises(ValueError, match=match):
        call(fw.T)


# ------------------------------------------------------------- elastic_transform
def test_elastic_transform_alpha_zero_is_identity(fw):
    for mode in ("reflect", "constant", "wrap"):
        out = ops.image.elastic_transform(fw.T(kc.IMG), alpha=0.0, sigma=1.0, fill_mode=mode,
                                          seed=3)
        assert xp.framework_of(out) == fw.name
        np.testing.assert_allclose(_np(out), kc.IMG, atol=1e-6, err_msg=mode)


def test_elastic_transform_displacements(fw):
    """On ramp images ``I(y, x) = x`` (and ``= y``) bilinear sampling is exact, so the
    output minus the ramp is the displacement field: it must be ``alpha`` times a
    Gaussian-blurred N(0, sigma^2) field (its variance ``alpha^2 sigma^2 sum(k^2)``), the
    row and column fields independent, and a seed must reproduce it."""
    h = w = 40
    sigma, alpha = 1.5, 0.8
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    ramp = np.stack([xs, ys], axis=-1)[None].astype("float32").repeat(3, axis=0)  # (3,h,w,2)
    out = _np(ops.image.elastic_transform(fw.T(ramp), alpha=alpha, sigma=sigma, seed=11,
                                          fill_mode="nearest"))
    again = _np(ops.image.elastic_transform(fw.T(ramp), alpha=alpha, sigma=sigma, seed=11,
                                            fill_mode="nearest"))
    np.testing.assert_array_equal(out, again)
    other = _np(ops.image.elastic_transform(fw.T(ramp), alpha=alpha, sigma=sigma, seed=12,
                                            fill_mode="nearest"))
    assert not np.allclose(out, other)
    inner = (slice(None), slice(6, -6), slice(6, -6))
    dx = (out[..., 0] - ramp[..., 0])[inner]
    dy = (out[..., 1] - ramp[..., 1])[inner]
    k = int(6 * sigma) | 1
    g = np.exp(-0.5 * ((np.arange(k) - (k - 1) / 2) / sigma) ** 2)
    g /= g.sum()
    var = alpha ** 2 * sigma ** 2 * np.sum(np.outer(g, g) ** 2)
    for field in (dx, dy):
        assert 0.6 * var < field.var() < 1.6 * var, (field.var(), var)
        assert abs(field.mean()) < 0.3 * np.sqrt(var)
        # smooth: neighbouring displacements are strongly correlated
        assert np.corrcoef(field[:, :, :-1].ravel(), field[:, :, 1:].ravel())[0, 1] > 0.6
    assert abs(np.corrcoef(dx.ravel(), dy.ravel())[0, 1]) < 0.2  # independent fields
    cf = _np(ops.image.elastic_transform(fw.T(np.ascontiguousarray(ramp.transpose(0, 3, 1, 2))),
                                         alpha=alpha, sigma=sigma, seed=11, fill_mode="nearest",
                                         data_format="channels_first"))
    np.testing.assert_allclose(cf, out.transpose(0, 3, 1, 2), atol=1e-5)


# ------------------------------------------------------------- more properties
def test_scale_and_translate_host_and_array_parameters_agree(fw):
    args = ((2, 9, 5, 3), [1.5, 0.7], [0.3, -1.0], (1, 2), "lanczos3")
    host = _np(ops.image.scale_and_translate(fw.T(kc.IMG), *args))
    arr = _np(ops.image.scale_and_translate(fw.T(kc.IMG), args[0], fw.T(np.float32(args[1])),
                                            fw.T(np.float32(args[2])), *args[3:]))
    np.testing.assert_allclose(host, arr, rtol=1e-5, atol=1e-6)


def test_extract_patches_match_numpy_windows(fw):
    x = kc.IMG
    got = _np(ops.image.extract_patches(fw.T(x), (2, 3), strides=(2, 1)))
    for i in range(got.shape[1]):
        for j in range(got.shape[2]):
            want = x[:, 2 * i:2 * i + 2, j:j + 3, :].reshape(2, -1)
            np.testing.assert_array_equal(got[:, i, j], want)


def test_hsv_round_trip(fw):
    x = fw.T(kc.IMG)
    back = _np(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(x)))
    np.testing.assert_allclose(back, kc.IMG, atol=2e-6)


def test_ssim_of_identical_images_is_one(fw):
    v = _np(ops.image.ssim(fw.T(kc.BIG), fw.T(kc.BIG)))
    np.testing.assert_allclose(v, np.ones(2), atol=1e-5)


def test_more_image_ops_are_graph_nodes():
    from unikeras import Model

    inp = layers.Input((16, 15, 3))
    outs = [ops.image.rgb_to_grayscale(inp), ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(inp)),
            ops.image.gaussian_blur(inp, data_format="channels_last"),
            ops.image.sobel_edges(inp), ops.image.extract_patches(inp, 4),
            ops.image.ssim(inp, ops.image.gaussian_blur(inp))]
    shapes = [(None, 16, 15, 1), (None, 16, 15, 3), (None, 16, 15, 3), (None, 16, 15, 3, 2),
              (None, 4, 3, 48), (None,)]
    assert [tuple(o.shape) for o in outs] == shapes
    model = Model(inp, outs)
    got = model.predict(kc.BIG, verbose=0)
    want = [ops.image.rgb_to_grayscale(kc.BIG), kc.BIG, ops.image.gaussian_blur(kc.BIG),
            ops.image.sobel_edges(kc.BIG), ops.image.extract_patches(kc.BIG, 4),
            ops.image.ssim(kc.BIG, ops.image.gaussian_blur(kc.BIG))]
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), _np(w), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda T: ops.image.rgb_to_grayscale(T(kc.IMG[..., :2])), "Invalid channel size"),
    (lambda T: ops.image.rgb_to_hsv(T(kc.U8)), "expected float dtype"),
    (lambda T: ops.image.hsv_to_rgb(T(kc.IMG[0, 0])), "Invalid images rank"),
    (lambda T: ops.image.extract_patches(T(kc.IMG), (2, 2, 2, 2)), "length 2 or 3"),
    (lambda T: ops.image.extract_patches(T(kc.IMG), (9, 2)), "do not fit"),
    (lambda T: ops.image.extract_patches(T(kc.IMG), 2, padding="full"), "padding"),
    (lambda T: ops.image.extract_patches_3d(T(kc.ONE), 2), "Invalid images rank"),
    (lambda T: ops.image.sobel_edges(T(kc.ONE)), "expected rank 4"),
    (lambda T: ops.image.ssim(T(kc.IMG), T(kc.IMG[:, :5])), "same shape"),
    (lambda T: ops.image.ssim(T(kc.IMG), T(kc.IMG)), "filter_size"),
    (lambda T: ops.image.perspective_transform(T(kc.IMG), T(kc.START[:, :3]), T(kc.END[:, :3])),
     "Invalid start_points shape"),
    (lambda T: ops.image.perspective_transform(T(kc.IMG), T(kc.START), T(kc.END[0])),
     "same shape"),
    (lambda T: ops.image.scale_and_translate(T(kc.IMG), (2, 9, 5, 3), [1.0, 1.0], [0.0, 0.0],
                                             (1, 2), "area"), "method"),
    (lambda T: ops.image.scale_and_translate(T(kc.IMG), (2, 9, 5), [1.0, 1.0], [0.0, 0.0],
                                             (1, 2), "linear"), "output_shape"),
    (lambda T: ops.image.elastic_transform(T(kc.IMG), fill_mode="edge"), "fill_mode"),
    (lambda T: ops.image.map_coordinates(T(kc.ONE), T(kc.COORDS), 1), "First dim"),
    (lambda T: ops.image.map_coordinates(T(kc.IMG[0, :, :, 0]), T(kc.COORDS), 3), "order"),
])
def test_more_bad_arguments(fw, call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(fw.T)


@pytest.mark.parametrize("interp, antialias, size", [
    ("bilinear", False, (20, 13)), ("bilinear", True, (7, 9)), ("bicubic", True, (8, 6)),
    ("area", False, (9, 20)), ("bicubic", False, (20, 5)), ("lanczos3", True, (8, 8))])
def test_resize_fast_paths_equal_the_generic_version(fw, monkeypatch, interp, antialias, size):
    """Where a framework resizes with its own kernel (jax.image, F.interpolate,
    tf.image.resize), the result equals the generic weight-matrix resampling."""
    from unikeras.ops._common import ops_shim

    x = np.random.default_rng(5).uniform(0, 1, (2, 17, 15, 3)).astype("float32")
    fast = _np(ops.image.resize(fw.T(x), size, interpolation=interp, antialias=antialias))
    mod = ops_shim(fw.name)
    if mod is not None and hasattr(mod, "resize_images"):
        monkeypatch.delattr(mod, "resize_images")
    generic = _np(ops.image.resize(fw.T(x), size, interpolation=interp, antialias=antialias))
    np.testing.assert_allclose(fast, generic, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
def test_warp_fast_paths_equal_the_generic_version(fw, monkeypatch, mode, interp):
    """Where a framework samples with its own kernel (jax map_coordinates, torch
    grid_sample, TF ImageProjectiveTransformV3), far-outside coordinates included, the
    result equals the generic gathers."""
    from unikeras.ops._common import ops_shim

    x = np.random.default_rng(6).uniform(0, 1, (2, 7, 6, 3)).astype("float32")
    t = np.array([[2.9, 0.4, -9.0, -0.5, 3.1, -8.0, 0, 0],
                  [-2.2, 0.3, 12.0, 0.7, 2.5, -7.5, 0, 0]], "float32")
    kw = {"interpolation": interp, "fill_mode": mode, "fill_value": 0.25}
    fast = _np(ops.image.affine_transform(fw.T(x), fw.T(t), **kw))
    mod = ops_shim(fw.name)
    for name in ("warp_images", "affine_images"):
        if mod is not None and hasattr(mod, name):
            monkeypatch.delattr(mod, name)
    generic = _np(ops.image.affine_transform(fw.T(x), fw.T(t), **kw))
    np.testing.assert_allclose(fast, generic, rtol=1e-5, atol=2e-6)


def test_image_ops_trace_with_unknown_batch_in_tf_function():
    """Inside tf.data / tf.function the batch size is unknown until run time."""
    tf = pytest.importorskip("tensorflow")

    @tf.function(input_signature=[tf.TensorSpec((None, 6, 7, 3), tf.float32),
                                  tf.TensorSpec((None, 8), tf.float32)])
    def f(x, t):
        return (ops.image.affine_transform(x, t), ops.image.resize(x, (4, 5)),
                ops.image.crop_images(x, 1, 1, target_height=3, target_width=4),
                ops.image.pad_images(x, 1, 1, 1, 1))

    got = f(kc.IMG, kc.T_BATCH)
    want = (ops.image.affine_transform(kc.IMG, kc.T_BATCH), ops.image.resize(kc.IMG, (4, 5)),
            kc.IMG[:, 1:4, 1:5], np.pad(kc.IMG, ((0, 0), (1, 1), (1, 1), (0, 0))))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), _np(w), rtol=1e-5, atol=1e-6)


def test_load_keras_model_with_image_operations(keras_script_refs):
    """A .keras file written by Keras 3 whose graph holds keras.ops.image Operations
    (Resize, CropImages, GaussianBlur, ExtractPatches) loads as OpLayer("image.<fn>")
    nodes and predicts what Keras predicted."""
    import unikeras

    refs = keras_script_refs(Path(__file__).parent / "_keras_image_model.py")
    model = unikeras.saving.load_model(str(refs["dir"] / "image_ops.keras"))
    got = _np(model.predict(refs["x"], verbose=0))
    np.testing.assert_allclose(got, refs["y"], rtol=1e-5, atol=1e-5)
