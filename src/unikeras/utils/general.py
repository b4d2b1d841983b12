"""Keras' small ``keras.utils`` / ``keras.backend`` helpers that need no higher package:
``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight`` (the batch convention of
``fit``; ``training.data`` uses them), ``is_keras_tensor`` (through the symbolic hook, so
``utils`` does not import ``layers``), ``get_uid`` and ``clear_session`` (the counters of
automatic names kept in ``state.variables``)."""

from __future__ import annotations

from .. import _symbolic_hook


def unpack_x_y_sample_weight(data):
    """Keras' ``keras.utils.unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be (x,), (x, y) or (x, y, sample_weight); "
                     f"received a tuple of length {len(data)}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Keras' ``keras.utils.pack_x_y_sample_weight``: ``x`` alone is not wrapped (a
    ``train_step`` of ``fit(x)`` gets the batch itself, as in Keras), a tuple or list
    ``x`` becomes ``(x,)``."""
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic ``KerasTensor`` (``Input()`` and what layers return on
    it)."""
    tensor_type = _symbolic_hook.handler[0]
    return tensor_type is not None and isinstance(x, tensor_type)


def get_uid(prefix=""):
    """Keras' ``backend.get_uid``: a per-prefix counter shared with automatic names
    (after one ``Dense`` was made, ``get_uid("dense")`` gives 2)."""
    from ..state.variables import _naming

    _naming[prefix] = _naming.get(prefix, 0) + 1
    return _naming[prefix]


def clear_session(free_memory=True):
    """Keras' ``clear_session``: automatic names start again (a new ``Dense`` is
    ``"dense"``) and, with ``free_memory``, garbage is collected. unikeras keeps no
    global graph or model registry, so nothing else is held."""
    import gc

    from ..state.variables import _naming

    _naming.clear()
    if free_memory:
        gc.collect()
