"""Cases for tests/ops/test_image_ops.py: NumPy inputs only, so Keras 3 itself can run the
same calls of ``keras.ops.image`` in a separate process (``python _keras_image_cases.py
OUT_DIR`` with KERAS_BACKEND=jax, writing OUT_DIR/refs.npz) and write the reference outputs.

A case is ``(case_id, function_name, args, kwargs)``.
"""

import numpy as np

rng = np.random.default_rng(1313)
IMG = rng.uniform(0, 1, (2, 6, 7, 3)).astype("float32")          # NHWC
IMG_CF = np.ascontiguousarray(IMG.transpose(0, 3, 1, 2))           # NCHW
ONE = IMG[0]                                                         # HWC
U8 = rng.integers(0, 256, (2, 6, 7, 3)).astype("uint8")
WIDE = rng.uniform(0, 1, (2, 4, 9, 2)).astype("float32")
TALL = rng.uniform(0, 1, (9, 4, 2)).astype("float32")
T_ZOOM = np.array([1.3, 0.0, -0.6, 0.0, 1.3, -0.4, 0.0, 0.0], "float32")
T_BATCH = np.array([[0.9, 0.25, 0.3, -0.2, 1.1, 0.7, 0.0, 0.0],
                    [1.0, 0.0, -2.5, 0.0, 1.0, 1.5, 0.0, 0.0]], "float32")
T_ROT = np.array([0.8, -0.6, 3.1, 0.6, 0.8, -1.2, 0.0, 0.0], "float32")

COORDS = rng.uniform(-2.5, 8.5, (2, 5, 4)).astype("float32")     # points of a 6x7 plane
COORDS3 = rng.uniform(-1.5, 7.5, (3, 10)).astype("float32")       # points of the HWC image

CASES = []
for order in (0, 1):
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        CASES.append((f"map_coordinates_{order}_{mode}", "map_coordinates",
                      (IMG[0, :, :, 0], COORDS, order), {"fill_mode": mode, "fill_value": -0.5}))
CASES += [
    ("map_coordinates_3d", "map_coordinates", (ONE, COORDS3, 1), {}),
    ("map_coordinates_u8", "map_coordinates", (U8[0, :, :, 1], COORDS, 1), {"fill_mode": "reflect"}),
]
for interp in ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"):
    for size in ((9, 11), (3, 4), (6, 3)):
        for aa in (False, True):
            CASES.append((f"resize_{interp}_{size[0]}x{size[1]}_{aa}", "resize", (IMG, size),
                          {"interpolation": interp, "antialias": aa}))
CASES += [
    ("resize_cf", "resize", (IMG_CF, (4, 10)), {"data_format": "channels_first"}),
    ("resize_cf_bicubic", "resize", (IMG_CF, (3, 5)),
     {"data_format": "channels_first", "interpolation": "bicubic", "antialias": True}),
    ("resize_unbatched", "resize", (ONE, (5, 9)), {}),
    ("resize_unbatched_cf", "resize", (IMG_CF[0], (5, 9)),
     {"data_format": "channels_first", "interpolation": "nearest"}),
    ("resize_u8", "resize", (U8, (4, 9)), {}),
    ("resize_u8_lanczos", "resize", (U8, (11, 5)), {"interpolation": "lanczos3"}),
    ("resize_u8_nearest", "resize", (U8, (11, 5)), {"interpolation": "nearest"}),
    ("resize_crop_wide", "resize", (WIDE, (4, 4)), {"crop_to_aspect_ratio": True}),
    ("resize_crop_tall", "resize", (TALL, (3, 3)), {"crop_to_aspect_ratio": True}),
    ("resize_crop_cf", "resize", (np.ascontiguousarray(WIDE.transpose(0, 3, 1, 2)), (5, 5)),
     {"crop_to_aspect_ratio": True, "data_format": "channels_first"}),
    ("resize_pad_wide", "resize", (WIDE, (6, 6)),
     {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("resize_pad_tall", "resize", (TALL, (4, 4)), {"pad_to_aspect_ratio": True}),
    ("resize_pad_cf", "resize", (np.ascontiguousarray(WIDE.transpose(0, 3, 1, 2)), (6, 6)),
     {"pad_to_aspect_ratio": True, "fill_value": 0.25, "data_format": "channels_first"}),
    ("resize_pad_unbatched_cf", "resize", (np.ascontiguousarray(TALL.transpose(2, 0, 1)), (4, 4)),
     {"pad_to_aspect_ratio": True, "fill_value": -1.0, "data_format": "channels_first"}),
]
for interp in ("bilinear", "nearest"):
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        CASES.append((f"affine_{interp}_{mode}", "affine_transform", (IMG, T_BATCH),
                      {"interpolation": interp, "fill_mode": mode}))
CASES += [
    ("affine_fill_value", "affine_transform", (ONE, T_ZOOM), {"fill_value": 0.75}),
    ("affine_rot_reflect", "affine_transform", (ONE, T_ROT), {"fill_mode": "reflect"}),
    ("affine_cf", "affine_transform", (IMG_CF, T_BATCH), {"data_format": "channels_first"}),
    ("affine_unbatched", "affine_transform", (ONE, T_ROT), {"fill_mode": "wrap"}),
    ("affine_u8", "affine_transform", (U8, T_BATCH), {}),
    ("crop_tl", "crop_images", (IMG, 1, 2), {"target_height": 3, "target_width": 4}),
    ("crop_br", "crop_images", (IMG,), {"bottom_cropping": 2, "right_cropping": 1,
                                         "target_height": 3, "target_width": 5}),
    ("crop_mixed", "crop_images", (ONE,), {"top_cropping": 1, "bottom_cropping": 2,
                                           "left_cropping": 3, "target_width": 2}),
    ("crop_cf", "crop_images", (IMG_CF, 2, 1), {"bottom_cropping": 1, "right_cropping": 3,
                                               "data_format": "channels_first"}),
    ("pad_tl", "pad_images", (IMG, 2, 3), {"target_height": 10, "target_width": 12}),
    ("pad_br", "pad_images", (ONE,), {"bottom_padding": 1, "right_padding": 2,
                                      "target_height": 9, "target_width": 9}),
    ("pad_cf", "pad_images", (IMG_CF, 1, 0, 2, 4), {"data_format": "channels_first"}),
    ("pad_u8", "pad_images", (U8, 1, 1, 1, 1), {}),
]

# ------------------------------------------------------------- colour spaces
GREYISH = IMG.copy()
GREYISH[0, 0, :, :] = 0.5          # r == g == b: zero saturation, hue 0
GREYISH[0, 1, :, 1] = GREYISH[0, 1, :, 0]  # ties between the max channels
HSV = rng.uniform(0, 1, (2, 6, 7, 3)).astype("float32")
CASES += [
    ("grayscale", "rgb_to_grayscale", (IMG,), {}),
    ("grayscale_cf", "rgb_to_grayscale", (IMG_CF,), {"data_format": "channels_first"}),
    ("grayscale_u8", "rgb_to_grayscale", (U8,), {}),
    ("grayscale_one_channel", "rgb_to_grayscale", (IMG[..., :1],), {}),
    ("rgb_to_hsv", "rgb_to_hsv", (GREYISH,), {}),
    ("rgb_to_hsv_cf", "rgb_to_hsv", (IMG_CF[0],), {"data_format": "channels_first"}),
    ("hsv_to_rgb", "hsv_to_rgb", (HSV,), {}),
    ("hsv_to_rgb_cf", "hsv_to_rgb", (np.ascontiguousarray(HSV.transpose(0, 3, 1, 2)),),
     {"data_format": "channels_first"}),
]
# ------------------------------------------------------------------- patches
VOL = rng.uniform(0, 1, (2, 5, 6, 4, 2)).astype("float32")
CASES += [
    ("patches_2", "extract_patches", (IMG, 2), {}),
    ("patches_3x2_s1", "extract_patches", (IMG, (3, 2)), {"strides": 1}),
    ("patches_same", "extract_patches", (IMG, (3, 3)), {"strides": (2, 2), "padding": "same"}),
    ("patches_dilated", "extract_patches", (IMG, (2, 2)), {"strides": 1, "dilation_rate": 2}),
    ("patches_cf", "extract_patches", (IMG_CF, (2, 3)), {"data_format": "channels_first"}),
    ("patches_unbatched", "extract_patches", (ONE, (3, 3)), {"strides": (1, 2)}),
    ("patches_u8", "extract_patches", (U8, 2), {}),
    ("patches_3d_via_2d", "extract_patches", (VOL, (2, 3, 2)), {}),
    ("patches3d", "extract_patches_3d", (VOL, (2, 3, 2)), {}),
    ("patches3d_int", "extract_patches_3d", (VOL, 2), {"strides": 1, "padding": "same"}),
    ("patches3d_cf", "extract_patches_3d",
     (np.ascontiguousarray(VOL.transpose(0, 4, 1, 2, 3)), (2, 2, 2)),
     {"strides": (1, 2, 1), "data_format": "channels_first"}),
    ("patches3d_unbatched", "extract_patches_3d", (VOL[0], (3, 2, 2)), {"strides": 1}),
]
# ------------------------------------------------------------------- filters
BIG = rng.uniform(0, 1, (2, 16, 15, 3)).astype("float32")
BIG2 = np.clip(BIG + rng.normal(0, 0.1, BIG.shape), 0, 1).astype("float32")
CASES += [
    # data_format given: Keras' JAX backend reads data_format=None as channels_first here
    ("blur_default", "gaussian_blur", (IMG,), {"data_format": "channels_last"}),
    ("blur_asym", "gaussian_blur", (IMG,), {"kernel_size": (5, 3), "sigma": (1.5, 0.7),
                                            "data_format": "channels_last"}),
    ("blur_even", "gaussian_blur", (IMG,), {"kernel_size": (4, 2), "sigma": (1.0, 2.0),
                                            "data_format": "channels_last"}),
    ("blur_cf", "gaussian_blur", (IMG_CF,), {"kernel_size": (3, 5), "sigma": (0.8, 1.2),
                                             "data_format": "channels_first"}),
    ("blur_unbatched", "gaussian_blur", (ONE,), {"kernel_size": (7, 7), "sigma": (2.0, 2.0),
                                                 "data_format": "channels_last"}),
    ("sobel", "sobel_edges", (IMG,), {}),
    ("sobel_cf", "sobel_edges", (IMG_CF,), {"data_format": "channels_first"}),
    ("ssim", "ssim", (BIG, BIG2), {}),
    ("ssim_small_filter", "ssim", (IMG, IMG[::-1]), {"filter_size": 3, "filter_sigma": 0.8}),
    ("ssim_params", "ssim", (BIG * 255, BIG2 * 255), {"max_val": 255.0, "filter_size": 7,
                                                      "k1": 0.02, "k2": 0.05}),
    ("ssim_cf", "ssim", (np.ascontiguousarray(BIG.transpose(0, 3, 1, 2)),
                         np.ascontiguousarray(BIG2.transpose(0, 3, 1, 2))),
     {"data_format": "channels_first"}),
    ("ssim_unbatched", "ssim", (BIG[0], BIG2[0]), {"filter_size": 5}),
]
# ------------------------------------------------------- perspective / scale
START = np.array([[[0, 0], [0, 5], [6, 0], [6, 5]], [[0, 0], [0, 5], [6, 0], [6, 5]]], "float32")
END = np.array([[[0.5, 0.3], [0.2, 5.4], [5.6, -0.4], [6.3, 4.7]],
                [[1.0, 1.0], [0.5, 4.0], [5.0, 0.5], [6.5, 5.5]]], "float32")
CASES += [
    ("perspective", "perspective_transform", (IMG, START, END), {}),
    ("perspective_nearest", "perspective_transform", (IMG, START, END),
     {"interpolation": "nearest", "fill_value": 0.5}),
    ("perspective_cf", "perspective_transform", (IMG_CF, START, END),
     {"data_format": "channels_first"}),
    ("perspective_unbatched", "perspective_transform", (ONE, START[1], END[1]),
     {"fill_value": -1.0}),
]
PLANE = np.arange(9, dtype="float32").reshape((3, 3))
for method in ("linear", "bilinear", "cubic", "lanczos3", "lanczos5"):
    for aa in (True, False):
        CASES.append((f"scale_translate_{method}_{aa}", "scale_and_translate",
                      (IMG, (2, 9, 5, 3), np.array([1.5, 0.7], "float32"),
                       np.array([0.3, -1.0], "float32"), (1, 2), method), {"antialias": aa}))
CASES += [
    ("scale_translate_doc", "scale_and_translate",
     (PLANE, (5, 5), np.array([2.0, 2.0], "float32"), np.array([-0.5, -0.5], "float32"),
      (0, 1), "linear"), {}),
    ("scale_translate_one_axis", "scale_and_translate",
     (IMG, (2, 6, 12, 3), np.array([1.8], "float32"), np.array([0.25], "float32"), (2,),
      "cubic"), {}),
    ("scale_translate_u8", "scale_and_translate",
     (U8, (2, 4, 4, 3), np.array([0.6, 0.5], "float32"), np.array([0.0, 0.5], "float32"),
      (1, 2), "linear"), {}),
]


if __name__ == "__main__":  # run by Keras 3 in a subprocess: write reference outputs
    import sys

    import keras

    refs = {}
    for cid, name, args, kwargs in CASES:
        try:
            args = tuple(keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a
                         for a in args)
            out = getattr(keras.ops.image, name)(*args, **kwargs)
        except Exception as e:  # recorded, so the test says what Keras refused
            refs[f"{cid}__error"] = np.array(f"{type(e).__name__}: {e}")
            continue
        outs = out if isinstance(out, (tuple, list)) else [out]
        for i, o in enumerate(outs):
            refs[f"{cid}__{i}"] = np.asarray(keras.ops.convert_to_numpy(o))
    np.savez(f"{sys.argv[1]}/refs.npz", **refs)
