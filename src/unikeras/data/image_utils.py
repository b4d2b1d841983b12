"""Keras' image file helpers: ``load_img``, ``save_img``, ``img_to_array``,
``array_to_img`` (``keras.utils`` and ``keras.preprocessing.image``), and
``keras.preprocessing.image.smart_resize``.

The file helpers work on the host with Pillow, as Keras does (``pip install pillow``;
the ``image`` extra). ``smart_resize`` takes a NumPy array or any framework's array and
returns the same kind (a centred crop to the target aspect ratio, then
``ops.image.resize``)."""

from __future__ import annotations

import io
import pathlib
import warnings

import numpy as np

from ..config import image_data_format
from ..xp.dtypes import floatx


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - pillow is in the test extra
        raise ImportError("Could not import PIL.Image: the image file utilities "
                          "(load_img, save_img, array_to_img, the directory loaders' "
                          "PIL route) need Pillow: `pip install pillow`.") from e
    return Image


def _resampling(name):
    Image = _pil()
    r = getattr(Image, "Resampling", Image)
    methods = {"nearest": r.NEAREST, "bilinear": r.BILINEAR, "bicubic": r.BICUBIC,
               "hamming": r.HAMMING, "box": r.BOX, "lanczos": r.LANCZOS}
    if name not in methods:
        raise ValueError(f"Invalid interpolation method {name} specified. Supported "
                         f"methods are {', '.join(methods)}")
    return methods[name]


def _data_format(data_format):
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("data_format must be 'channels_last' or 'channels_first'; "
                         f"received data_format={data_format!r}")
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 array (one image) as a PIL Image: 1 channel -> "L" (or "I" above 255),
    3 -> "RGB", 4 -> "RGBA". ``scale`` maps the array's [min, max] to [0, 255]."""
    Image = _pil()
    data_format = _data_format(data_format)
    from ..xp import to_numpy

    x = np.asarray(to_numpy(x) if not isinstance(x, (list, tuple, np.ndarray)) else x,
                   dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A PIL Image as a rank-3 NumPy array (a channel axis is added to grayscale)."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape if data_format == "channels_first" else x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a path or file object (the format from the extension, or
    ``file_format``); extra keyword arguments go to ``PIL.Image.save``."""
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file (path or ``io.BytesIO``) as a PIL Image, converted to
    ``color_mode`` ("grayscale", "rgb", "rgba") and resized to ``target_size``
    ``(height, width)`` if given (``keep_aspect_ratio`` takes the centred crop of the
    target's aspect ratio first)."""
    Image = _pil()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"; received '
                         f"color_mode={color_mode!r}")
    if target_size is not None:
        wh = (int(target_size[1]), int(target_size[0]))
        if img.size != wh:
            resample = _resampling(interpolation)
            if keep_aspect_ratio:
                width, height = img.size
                crop_h = min(height, (width * wh[1]) // wh[0])
                crop_w = min(width, (height * wh[0]) // wh[1])
                top, left = (height - crop_h) // 2, (width - crop_w) // 2
                img = img.resize(wh, resample, box=[left, top, left + crop_w, top + crop_h])
            else:
                img = img.resize(wh, resample)
    return img


def crop_box(height, width, size):
    """Keras' smart_resize crop: ``(top, left, crop_height, crop_width)`` of the largest
    centred window of ``size``'s aspect ratio."""
    th, tw = size
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize an image (or a batch) to ``size`` without distorting its aspect ratio: the
    largest centred crop of the target's aspect ratio, resized. NumPy in, NumPy out; a
    framework's array in, that framework's array out."""
    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    from ..xp import framework_of

    was_host = framework_of(x) in (None, "numpy")
    if was_host:
        x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError("Expected an image array with shape `(height, width, channels)`, "
                         "or `(batch_size, height, width, channels)`, but got input with "
                         f"incorrect rank, of shape {tuple(x.shape)}.")
    if data_format == "channels_last":
        height, width = int(x.shape[-3]), int(x.shape[-2])
    else:
        height, width = int(x.shape[-2]), int(x.shape[-1])
    top, left, ch, cw = crop_box(height, width, size)
    rows, cols = slice(top, top + ch), slice(left, left + cw)
    if data_format == "channels_last":
        x = x[..., rows, cols, :]
    else:
        x = x[..., rows, cols]
    from ..ops import image as ops_image

    out = ops_image.resize(x, size, interpolation=interpolation, data_format=data_format)
    if was_host:
        from ..xp import to_numpy

        out = np.asarray(to_numpy(out))
    return out
