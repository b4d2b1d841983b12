"""Keras 3.15's ``keras.utils.bounding_boxes``, written once on the Array API.

Boxes are arrays of shape ``(N, 4)`` or ``(batch, N, 4)`` (or a dict with ``"boxes"``
and ``"labels"``). They stay on the framework they come in (NumPy data stays NumPy,
lists become NumPy; inside ``tf.data`` they are tf tensors and the computation is
TensorFlow's). Formats (case-insensitive): ``"xyxy"``, ``"yxyx"``, ``"xywh"``,
``"center_xywh"``, ``"center_yxhw"`` and the relative ``"rel_xyxy"``, ``"rel_yxyx"``,
``"rel_xywh"``, ``"rel_center_xywh"`` (fractions of the image's width and height).
"""

from __future__ import annotations

import math

import numpy as np

from ..xp import epsilon, framework_of, namespace, shim, standardize_dtype

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")

__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou",
           "convert_format", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas",
           "pad"]


# ---------------------------------------------------------------------- helpers
def _arr(x, dtype=None):
    if framework_of(x) is None or isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if dtype is not None and standardize_dtype(x.dtype) != standardize_dtype(dtype):
        xp = namespace(x)
        mod = shim(framework_of(x), "xp")
        name = standardize_dtype(dtype)
        x = xp.astype(x, mod.dtype(name) if mod is not None else getattr(xp, name))
    return x


def _num(xp, v, dtype):
    """A size or offset (Python number, or an array/scalar tensor) for arithmetic."""
    if v is None or isinstance(v, (int, float, np.integer, np.floating)):
        return None if v is None else float(v)
    if framework_of(v) == "numpy" and np.ndim(v) == 0:
        return float(v)
    return xp.astype(v, dtype) if standardize_dtype(v.dtype) != standardize_dtype(dtype) \
        else v


def _split4(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _cat(xp, parts):
    return xp.concat(parts, axis=-1)


def _clip(xp, x, lo, hi):
    x = xp.maximum(x, lo) if lo is not None else x
    return xp.minimum(x, hi) if hi is not None else x


# ---------------------------------------------------------------------- formats
def _to_xyxy(xp, fmt, b, h, w):
    a, c, d, e = _split4(b)
    if fmt == "xyxy":
        return b
    if fmt == "yxyx":
        return _cat(xp, [c, a, e, d])
    if fmt == "xywh":
        return _cat(xp, [a, c, a + d, c + e])
    if fmt == "center_xywh":
        return _cat(xp, [a - d / 2.0, c - e / 2.0, a + d / 2.0, c + e / 2.0])
    if fmt == "center_yxhw":  # cy, cx, h, w
        return _cat(xp, [c - e / 2.0, a - d / 2.0, c + e / 2.0, a + d / 2.0])
    if fmt == "rel_xyxy":
        return _cat(xp, [a * w, c * h, d * w, e * h])
    if fmt == "rel_yxyx":
        return _cat(xp, [c * w, a * h, e * w, d * h])
    if fmt == "rel_xywh":
        return _cat(xp, [a * w, c * h, (a + d) * w, (c + e) * h])
    if fmt == "rel_center_xywh":
        return _cat(xp, [(a - d / 2.0) * w, (c - e / 2.0) * h, (a + d / 2.0) * w,
                         (c + e / 2.0) * h])
    raise AssertionError(fmt)


def _from_xyxy(xp, fmt, b, h, w):
    x1, y1, x2, y2 = _split4(b)
    if fmt == "xyxy":
        return b
    if fmt == "yxyx":
        return _cat(xp, [y1, x1, y2, x2])
    if fmt == "xywh":
        return _cat(xp, [x1, y1, x2 - x1, y2 - y1])
    if fmt == "center_xywh":
        return _cat(xp, [x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0, x2 - x1, y2 - y1])
    if fmt == "center_yxhw":
        return _cat(xp, [y1 + (y2 - y1) / 2.0, x1 + (x2 - x1) / 2.0, y2 - y1, x2 - x1])
    if fmt == "rel_xyxy":
        return _cat(xp, [x1 / w, y1 / h, x2 / w, y2 / h])
    if fmt == "rel_yxyx":
        return _cat(xp, [y1 / h, x1 / w, y2 / h, x2 / w])
    if fmt == "rel_xywh":
        return _cat(xp, [x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h])
    if fmt == "rel_center_xywh":
        return _cat(xp, [(x1 + (x2 - x1) / 2.0) / w, (y1 + (y2 - y1) / 2.0) / h,
                         (x2 - x1) / w, (y2 - y1) / h])
    raise AssertionError(fmt)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Keras' ``keras.utils.bounding_boxes.convert_format``: boxes (or a dict holding
    ``"boxes"``) from ``source`` format to ``target``, cast to ``dtype``; relative
    formats need ``height`` and ``width``."""
    if isinstance(boxes, dict):
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source=source, target=target,
                                      height=height, width=width, dtype=dtype)
        return out
    boxes = _arr(boxes)
    if tuple(boxes.shape)[-1:] != (4,):
        raise ValueError("`boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={tuple(boxes.shape)}")
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: "
                         f"{SUPPORTED_FORMATS}. Received: source={source!r}, "
                         f"target={target!r}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
            width is None or height is None):
        raise ValueError("convert_format() must receive `height` and `width` transforming "
                         "between relative and absolute formats. convert_format() received "
                         f"source=`{source}`, target=`{target}, but height={height} and "
                         f"width={width}.")
    boxes = _arr(boxes, dtype)
    if source == target:
        return boxes
    xp = namespace(boxes)
    h = _num(xp, height, boxes.dtype)
    w = _num(xp, width, boxes.dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return _from_xyxy(xp, target, _to_xyxy(xp, source, boxes, h, w), h, w)


def _area(xp, boxes):
    x1, y1, x2, y2 = _split4(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Keras' ``clip_to_image_size``: boxes clipped to the image (``"xyxy"``: to
    ``[0, width] x [0, height]``; ``"rel_xyxy"``: to ``[0, 1]``); a box whose clipped
    area is 0 gets the label -1."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            "clip_to_image_size supports bounding_box_format 'xyxy' and 'rel_xyxy' (as "
            f"Keras); received {bounding_box_format!r}: convert_format the boxes first")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = _arr(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    xp = namespace(boxes)
    x1, y1, x2, y2 = _split4(boxes)
    if bounding_box_format == "xyxy":
        w = _num(xp, width, boxes.dtype)
        h = _num(xp, height, boxes.dtype)
    else:
        w = h = 1.0
    x1, x2 = _clip(xp, x1, 0.0, w), _clip(xp, x2, 0.0, w)
    y1, y2 = _clip(xp, y1, 0.0, h), _clip(xp, y2, 0.0, h)
    boxes = _cat(xp, [x1, y1, x2, y2])
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        labels = _arr(labels)
        if framework_of(labels) != framework_of(boxes):
            from ..xp import asarray

            labels = asarray(labels, framework=framework_of(boxes))
        areas = xp.squeeze(_area(xp, boxes), axis=-1)
        result["labels"] = xp.where(areas > 0, labels, xp.asarray(-1, dtype=labels.dtype))
    return result


def _inverse_affine_matrix(xp, center_x, center_y, angle, translate_x, translate_y, scale,
                           shear_x, shear_y, height, width):
    """(B, 3, 3): Keras' inverse affine matrix (TF's ``_get_inverse_affine_matrix``)."""
    dtype = angle.dtype
    angle, shear_x, shear_y = -angle, -shear_x, -shear_y
    w = _num(xp, width, dtype)
    h = _num(xp, height, dtype)
    cx = center_x * (w - 1)
    cy = center_y * (h - 1)
    rot = angle * (1.0 / 180.0 * math.pi)
    tx = -translate_x * (w - 1)
    ty = -translate_y * (h - 1)
    sx = shear_x * (1.0 / 180.0 * math.pi)
    sy = shear_y * (1.0 / 180.0 * math.pi)
    cos_sy = xp.cos(sy)
    tan_sx = xp.tan(sx)
    rot_minus_sy = rot - sy
    cx_plus_tx = cx + tx
    cy_plus_ty = cy + ty
    a = xp.cos(rot_minus_sy) / cos_sy
    b = a * tan_sx + xp.sin(rot)
    c = -xp.sin(rot_minus_sy) / cos_sy
    d = xp.cos(rot) - c * tan_sx
    a0 = d * scale
    a1 = -b * scale
    b0 = -c * scale
    b1 = a * scale
    a2 = cx - a0 * cx_plus_tx - a1 * cy_plus_ty
    b2 = cy - b0 * cx_plus_tx - b1 * cy_plus_ty
    zeros = xp.zeros_like(a0)
    ones = xp.ones_like(a0)
    m = xp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros, ones], axis=-1)
    return xp.reshape(m, (-1, 3, 3))


def _like(xp, v, ref):
    """``v`` (a number or an array) as an array shaped like the batch of ``ref``."""
    if isinstance(v, (int, float, np.integer, np.floating)):
        return xp.full(ref.shape, float(v), dtype=ref.dtype)
    v = _arr(v)
    if framework_of(v) != framework_of(ref):
        from ..xp import asarray

        v = asarray(np.asarray(v) if framework_of(v) == "numpy" else v,
                    framework=framework_of(ref))
    return xp.astype(v, ref.dtype) if v.dtype != ref.dtype else v


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y,
                     height, width, center_x=None, center_y=None,
                     bounding_box_format="xyxy"):
    """Keras' ``affine_transform`` of ``(B, N, 4)`` ``"xyxy"`` boxes: each box's four
    corners go through the inverse of the image transformation (rotation ``angle`` and
    shears in degrees, translations as fractions of the size, ``scale``), and the
    result is their bounding box. Each parameter has one value per batch element."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError("affine_transform supports bounding_box_format='xyxy' "
                                  f"only (as Keras); received {bounding_box_format!r}")
    boxes = _arr(boxes)
    xp = namespace(boxes)
    angle = _arr(angle)
    if framework_of(angle) != framework_of(boxes):
        from ..xp import asarray

        angle = asarray(np.asarray(angle) if framework_of(angle) == "numpy" else angle,
                        framework=framework_of(boxes))
    if not standardize_dtype(angle.dtype).startswith(("float", "bfloat")):
        angle = _arr(angle, "float32")
    args = [_like(xp, v, angle) for v in (translate_x, translate_y, scale, shear_x,
                                             shear_y)]
    cx = 0.5 if center_x is None else center_x
    cy = 0.5 if center_y is None else center_y
    matrix = _inverse_affine_matrix(xp, cx, cy, angle, *args[:1], args[1], args[2],
                                    args[3], args[4], height, width)
    boxes = xp.astype(boxes, matrix.dtype) if boxes.dtype != matrix.dtype else boxes
    mt = xp.permute_dims(matrix[:, :2, :], (0, 2, 1))  # (B, 3, 2)
    p = boxes
    pts = xp.stack([p[..., 0], p[..., 1], p[..., 2], p[..., 1], p[..., 2], p[..., 3],
                    p[..., 0], p[..., 3]], axis=-1)
    shape = tuple(pts.shape)
    pts = xp.reshape(pts, shape[:-1] + (4, 2))
    pts = xp.concat([pts, xp.ones_like(pts[..., :1])], axis=-1)  # (B, N, 4, 3)
    out = xp.matmul(pts, mt[:, None, :, :])  # (B, N, 4, 2)
    return xp.concat([xp.min(out, axis=2), xp.max(out, axis=2)], axis=-1)


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Keras' ``crop``: ``"xyxy"`` boxes moved by ``(-left, -top)`` and clipped to
    ``[0, width] x [0, height]``."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError("crop supports bounding_box_format='xyxy' only (as "
                                  f"Keras); received {bounding_box_format!r}")
    boxes = _arr(boxes)
    xp = namespace(boxes)
    x1, y1, x2, y2 = _split4(boxes)
    top, left = _num(xp, top, boxes.dtype), _num(xp, left, boxes.dtype)
    h, w = _num(xp, height, boxes.dtype), _num(xp, width, boxes.dtype)
    x1, x2 = _clip(xp, x1 - left, 0.0, w), _clip(xp, x2 - left, 0.0, w)
    y1, y2 = _clip(xp, y1 - top, 0.0, h), _clip(xp, y2 - top, 0.0, h)
    return _cat(xp, [x1, y1, x2, y2])


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Keras' ``pad``: ``"xyxy"`` boxes moved by ``(left, top)``."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError("pad supports bounding_box_format='xyxy' only (as "
                                  f"Keras); received {bounding_box_format!r}")
    boxes = _arr(boxes)
    xp = namespace(boxes)
    x1, y1, x2, y2 = _split4(boxes)
    top, left = _num(xp, top, boxes.dtype), _num(xp, left, boxes.dtype)
    return _cat(xp, [x1 + left, y1 + top, x2 + left, y2 + top])


def _variance(variance, like):
    if variance is None:
        return None
    v = np.asarray(variance, dtype=np.float32) if framework_of(variance) in (None, "numpy") \
        else variance
    if tuple(v.shape)[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    from ..xp import asarray

    return asarray(v, dtype=standardize_dtype(like.dtype), framework=framework_of(like))


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Keras' ``encode_box_to_deltas``: boxes as offsets from ``anchors`` in
    ``encoding_format`` (center offsets divided by the anchor's size, log size ratios),
    divided by ``variance`` when given."""
    if variance is not None and tuple(np.shape(variance))[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError("`encoding_format` should be one of 'center_xywh' or "
                         f"'center_yxhw', got {encoding_format}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    enc_anchors = convert_format(anchors, source=anchor_format, target=encoding_format,
                                 height=height, width=width)
    boxes = convert_format(boxes, source=box_format, target=encoding_format, height=height,
                           width=width)
    xp = namespace(boxes)
    if framework_of(enc_anchors) != framework_of(boxes):
        from ..xp import asarray

        enc_anchors = asarray(enc_anchors, framework=framework_of(boxes))
    eps = epsilon()
    anchor_dims = xp.maximum(enc_anchors[..., 2:], eps)
    box_dims = xp.maximum(boxes[..., 2:], eps)
    delta = xp.concat([(boxes[..., :2] - enc_anchors[..., :2]) / anchor_dims,
                       xp.log(box_dims / anchor_dims)], axis=-1)
    var = _variance(variance, delta)
    if var is not None:
        delta = delta / var
    return delta


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Keras' ``decode_deltas_to_boxes``: the inverse of ``encode_box_to_deltas``
    (anchors and deltas may be dicts of levels), returned in ``box_format``."""
    if variance is not None and tuple(np.shape(variance))[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError("`encoded_format` should be 'center_xywh' or 'center_yxhw', but "
                         f"got '{encoded_format}'.")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]

    def decode(anchor, delta):
        enc = convert_format(anchor, source=anchor_format, target=encoded_format,
                             height=height, width=width)
        delta = _arr(delta, enc.dtype)
        xp = namespace(delta)
        if framework_of(enc) != framework_of(delta):
            from ..xp import asarray

            enc = asarray(enc, framework=framework_of(delta))
        var = _variance(variance, delta)
        if var is not None:
            delta = delta * var
        box = xp.concat([delta[..., :2] * enc[..., 2:] + enc[..., :2],
                         xp.exp(delta[..., 2:]) * enc[..., 2:]], axis=-1)
        return convert_format(box, source=encoded_format, target=box_format, height=height,
                              width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {lvl: decode(a, boxes_delta[lvl]) for lvl, a in anchors.items()}
    return decode(anchors, boxes_delta)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """Keras' ``compute_iou``: the pairwise IoU table ``[M, N]`` (or ``[batch, M, N]``
    when either set is batched); with ``use_masking``, pairs involving a box whose
    coordinates are all negative get ``mask_val``."""
    r1, r2 = len(np.shape(boxes1)) if framework_of(boxes1) is None else len(boxes1.shape), \
        len(np.shape(boxes2)) if framework_of(boxes2) is None else len(boxes2.shape)
    if r1 not in (2, 3):
        raise ValueError("compute_iou() expects boxes1 to be batched, or to be unbatched. "
                         f"Received len(boxes1.shape)={r1}, len(boxes2.shape)={r2}. "
                         "Expected either len(boxes1.shape)=2 AND or len(boxes1.shape)=3.")
    if r2 not in (2, 3):
        raise ValueError("compute_iou() expects boxes2 to be batched, or to be unbatched. "
                         f"Received len(boxes1.shape)={r1}, len(boxes2.shape)={r2}. "
                         "Expected either len(boxes2.shape)=2 AND or len(boxes2.shape)=3.")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         "`image_shape` argument must be provided. Received `image_shape`: "
                         f"{image_shape}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    b1 = convert_format(boxes1, source=bounding_box_format, target="yxyx", height=height,
                        width=width)
    b2 = convert_format(boxes2, source=bounding_box_format, target="yxyx", height=height,
                        width=width)
    xp = namespace(b1, b2)
    ymin1, xmin1, ymax1, xmax1 = _split4(b1)
    ymin2, xmin2, ymax2, xmax2 = _split4(b2)

    def t(v):  # (.., N, 1) -> (.., 1, N)
        return xp.permute_dims(v, (1, 0) if len(v.shape) == 2 else (0, 2, 1))

    ih = xp.maximum(xp.minimum(ymax1, t(ymax2)) - xp.maximum(ymin1, t(ymin2)), 0.0)
    iw = xp.maximum(xp.minimum(xmax1, t(xmax2)) - xp.maximum(xmin1, t(xmin2)), 0.0)
    inter = ih * iw
    area1 = xp.squeeze((ymax1 - ymin1) * (xmax1 - xmin1), axis=-1)
    area2 = xp.squeeze((ymax2 - ymin2) * (xmax2 - xmin2), axis=-1)
    area1 = xp.expand_dims(area1, axis=-1)
    area2 = xp.expand_dims(area2, axis=1 if len(area2.shape) == 2 else 0)
    union = area1 + area2 - inter
    res = inter / (union + epsilon())
    if not use_masking:
        return res
    m1 = xp.max(b1, axis=-1, keepdims=True) < 0.0
    m2 = xp.max(b2, axis=-1, keepdims=True) < 0.0
    background = xp.logical_or(m1, xp.permute_dims(m2, (1, 0) if r1 == 2 else (0, 2, 1)))
    return xp.where(background, xp.full_like(res, float(mask_val)), res)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Keras' ``compute_ciou``: the complete IoU (IoU minus the normalised center
    distance and the aspect-ratio term) of matching boxes, shape ``(...)``."""
    if "rel" in bounding_box_format:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         "`image_shape` argument must be provided. Received `image_shape`: "
                         f"{image_shape}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    b1 = convert_format(boxes1, source=bounding_box_format, target="xyxy", height=height,
                        width=width)
    b2 = convert_format(boxes2, source=bounding_box_format, target="xyxy", height=height,
                        width=width)
    xp = namespace(b1, b2)
    eps = epsilon()
    x_min1, y_min1, x_max1, y_max1 = _split4(b1)
    x_min2, y_min2, x_max2, y_max2 = _split4(b2)
    width_1 = x_max1 - x_min1
    height_1 = y_max1 - y_min1 + eps
    width_2 = x_max2 - x_min2
    height_2 = y_max2 - y_min2 + eps
    inter = (xp.maximum(xp.minimum(x_max1, x_max2) - xp.maximum(x_min1, x_min2), 0.0)
             * xp.maximum(xp.minimum(y_max1, y_max2) - xp.maximum(y_min1, y_min2), 0.0))
    union = width_1 * height_1 + width_2 * height_2 - inter + eps
    iou = xp.squeeze(inter / (union + eps), axis=-1)
    cw = xp.maximum(x_max1, x_max2) - xp.minimum(x_min1, x_min2)
    ch = xp.maximum(y_max1, y_max2) - xp.minimum(y_min1, y_min2)
    diag = xp.squeeze(cw ** 2 + ch ** 2 + eps, axis=-1)
    dist = xp.squeeze(((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2
                      + ((y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2) ** 2, axis=-1)
    v = xp.squeeze((4 / math.pi ** 2) * (xp.atan(width_2 / height_2)
                                         - xp.atan(width_1 / height_1)) ** 2, axis=-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (dist / diag + v * alpha)


# ---------------------------------------------------------------------- layer inputs
def validate_bounding_boxes(bounding_boxes):
    """Keras' check of a ``{"boxes", "labels"}`` dict (shapes ``(N, 4)`` / ``(N,)`` or
    batched ``(B, N, 4)`` / ``(B, N)``)."""
    if (not isinstance(bounding_boxes, dict) or "labels" not in bounding_boxes
            or "boxes" not in bounding_boxes):
        raise ValueError("Expected `bounding_boxes` agurment to be a dict with keys 'boxes' "
                         f"and 'labels'. Received: bounding_boxes={bounding_boxes}")
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list):
        if not isinstance(labels, list):
            raise ValueError("If `bounding_boxes['boxes']` is a list, then "
                             "`bounding_boxes['labels']` must also be a list. Received: "
                             f"bounding_boxes['labels']={labels}")
        if len(boxes) != len(labels):
            raise ValueError("If `bounding_boxes['boxes']` and `bounding_boxes['labels']` "
                             "are both lists, they must have the same length. Received: "
                             f"len(bounding_boxes['boxes'])={len(boxes)} and "
                             f"len(bounding_boxes['labels'])={len(labels)}")
        return
    bs, ls = tuple(boxes.shape), tuple(labels.shape)
    if len(bs) == 2:
        if len(ls) not in (1, 2):
            raise ValueError(f"Found bounding_boxes['boxes'].shape={bs} and expected "
                             "bounding_boxes['labels'] to have rank 1 or 2, but received: "
                             f"bounding_boxes['labels'].shape={ls}")
    elif len(bs) == 3:
        if len(ls) not in (2, 3):
            raise ValueError(f"Found bounding_boxes['boxes'].shape={bs} and expected "
                             "bounding_boxes['labels'] to have rank 2 or 3, but received: "
                             f"bounding_boxes['labels'].shape={ls}")
    else:
        raise ValueError("Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape "
                         "(num_boxes, 4) or (batch_size, num_boxes, 4). Received: "
                         f"bounding_boxes['boxes'].shape={bs}")


def densify_bounding_boxes(bounding_boxes, is_batched=False, max_boxes=None,
                           boxes_default_value=0, labels_default_value=-1, like=None):
    """Boxes as dense arrays on the framework of ``like``: float32 boxes; lists of
    per-image lists padded to the longest (boxes with ``boxes_default_value``, labels
    with ``labels_default_value``) or cut to ``max_boxes``."""
    from ..xp import asarray

    validate_bounding_boxes(bounding_boxes)
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    fw = framework_of(like) if like is not None else None
    if isinstance(boxes, list) and boxes and isinstance(boxes[0], list) and (
            boxes[0] and isinstance(boxes[0][0], list)):
        n = max_boxes if max_boxes is not None else max(len(b) for b in boxes)
        new_b, new_l = [], []
        for b, lab in zip(boxes, labels):
            b, lab = list(b)[:n], list(lab)[:n]
            new_b.append(b + [[boxes_default_value] * 4] * (n - len(b)))
            new_l.append(lab + [labels_default_value] * (n - len(lab)))
        boxes, labels = new_b, new_l
    out = dict(bounding_boxes)
    b = np.asarray(boxes, dtype=np.float32) if framework_of(boxes) is None or \
        isinstance(boxes, list) else boxes
    lab = np.asarray(labels) if framework_of(labels) is None or isinstance(labels, list) \
        else labels
    if fw is not None and fw != "numpy":
        b = asarray(b, framework=fw) if framework_of(b) != fw else b
        lab = asarray(lab, framework=fw) if framework_of(lab) != fw else lab
    out["boxes"] = _arr(b, "float32")
    out["labels"] = lab
    return out
