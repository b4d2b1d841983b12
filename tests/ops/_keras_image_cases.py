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
