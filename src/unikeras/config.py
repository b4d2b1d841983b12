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


# ---------------------------------------------------------------- traceback filtering
_traceback_filtering = [True]


def enable_traceback_filtering() -> None:
    """Keras' ``keras.config.enable_traceback_filtering()``. Keras trims its own frames
    from tracebacks; unikeras raises its errors where they happen (its frames are few and
    name the layer), so the switch is recorded and reported, and filters nothing."""
    _traceback_filtering[0] = True


def disable_traceback_filtering() -> None:
    """Keras' ``keras.config.disable_traceback_filtering()`` (see
    ``enable_traceback_filtering``: full tracebacks are what unikeras always shows)."""
    _traceback_filtering[0] = False


def is_traceback_filtering_enabled() -> bool:
    return _traceback_filtering[0]


# ---------------------------------------------------------------- interactive logging
def enable_interactive_logging() -> None:
    """Keras' switch: progress bars and ``fit`` messages go to stdout (the default)."""
    from .utils.io import enable_interactive_logging as _on

    _on()


def disable_interactive_logging() -> None:
    """Keras' switch: progress messages go to the ``logging`` module (logger
    ``"unikeras"``, level INFO) instead of stdout, and no progress bar is drawn."""
    from .utils.io import disable_interactive_logging as _off

    _off()


def is_interactive_logging_enabled() -> bool:
    from .utils.io import is_interactive_logging_enabled as _get

    return _get()


# ---------------------------------------------------------------- debugging caps on fit
_max_epochs = [None]
_max_steps_per_epoch = [None]


def set_max_epochs(max_epochs) -> None:
    """Keras' ``set_max_epochs``: ``fit`` runs at most this many epochs, whatever its
    ``epochs`` argument (``None`` removes the cap). For quick runs of long scripts."""
    _max_epochs[0] = None if max_epochs is None else int(max_epochs)


def max_epochs():
    return _max_epochs[0]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Keras' ``set_max_steps_per_epoch``: every ``fit`` epoch (and its validation pass)
    stops after at most this many steps (``None`` removes the cap)."""
    _max_steps_per_epoch[0] = None if max_steps_per_epoch is None else int(max_steps_per_epoch)


def max_steps_per_epoch():
    return _max_steps_per_epoch[0]


# ---------------------------------------------------------------- backend choice
def set_backend(backend: str) -> None:
    """Keras' ``set_backend``. Keras reloads itself on another backend; unikeras runs every
    framework in one process, the framework of a call being that of its arrays. What a
    backend choice still decides here is the default framework: where NumPy data, Python
    lists and array-less ops (``ops.zeros``) run, as ``UNIKERAS_BACKEND`` does at start.
    So ``set_backend("torch")`` makes torch that default for the rest of the process;
    models and arrays made before keep working (nothing is reloaded). ``"tf"`` means
    ``"tensorflow"``; an unknown or uninstalled name is a ValueError / ImportError."""
    from .xp._registry import SHIMMED, is_installed, set_default_framework

    name = str(backend).strip().lower()
    if name == "tf":
        name = "tensorflow"
    if name not in SHIMMED:
        raise ValueError(f"set_backend: expected one of {sorted(SHIMMED)}; received "
                         f"{backend!r}")
    if not is_installed(name):
        raise ImportError(f"set_backend: the backend {name!r} is not installed")
    set_default_framework(name)


def is_nnx_enabled() -> bool:
    """Keras' ``is_nnx_enabled``: whether layers are Flax NNX modules (Keras' opt-in
    ``KERAS_NNX_ENABLED``). unikeras layers are JAX pytrees and never NNX modules, so
    this is always ``False``; Flax models run in unikeras through ``FlaxLayer``."""
    return False
