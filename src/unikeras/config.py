"""Keras' ``keras.config``: global settings."""

from __future__ import annotations

from .xp import default_framework as _default_framework
from .xp import framework_scope  # noqa: F401  (keras.config.framework_scope)
from .xp.dtypes import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401

_image_data_format = ["channels_last"]
_flash_attention = [None]  # Keras' global "flash_attention" attribute: None or False


def image_data_format() -> str:
    return _image_data_format[0]


def set_image_data_format(data_format: str) -> None:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("data_format must be 'channels_last' or 'channels_first'; received "
                         f"{data_format!r}")
    _image_data_format[0] = data_format


def backend() -> str:
    """The default framework (what NumPy data and array-less ops run on)."""
    return _default_framework()


def set_dtype_policy(policy) -> None:
    from .dtype_policies import set_dtype_policy as _set

    _set(policy)


def dtype_policy():
    from .dtype_policies import dtype_policy as _get

    return _get()


def enable_unsafe_deserialization() -> None:
    """Keras' ``keras.config.enable_unsafe_deserialization()``: turn safe mode off for the
    rest of the process, so loading may rebuild a Python lambda saved by Keras (its
    bytecode runs). Only for files you trust; ``load_model(..., safe_mode=False)`` does the
    same for one load."""
    from .utils.serialization import enable_unsafe_deserialization as _enable

    _enable()


def enable_flash_attention() -> None:
    """Keras' ``keras.config.enable_flash_attention()`` (the default): attention layers
    (MultiHeadAttention) may use the framework's fused attention kernel (torch
    ``scaled_dot_product_attention``, ``jax.nn.dot_product_attention``, cuDNN flash
    attention where the inputs allow) when the call allows it."""
    _flash_attention[0] = None


def disable_flash_attention() -> None:
    """Keras' ``keras.config.disable_flash_attention()``: attention layers built after
    this do not ask for flash attention."""
    _flash_attention[0] = False


def is_flash_attention_enabled():
    """Keras' ``keras.config.is_flash_attention_enabled()``: ``False`` when disabled,
    else ``None`` (enabled: used where supported), as Keras 3 returns."""
    return _flash_attention[0]
