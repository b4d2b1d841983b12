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


class Config:
    """Keras' ``keras.utils.Config``: a dict whose keys are also attributes
    (``config.learning_rate = 1e-3``), that can be frozen against changes (``freeze()``;
    a change then raises ValueError) and written as JSON (``to_json()``)."""

    __attrs__ = None

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)
        object.__setattr__(self, "__attrs__", set(dir(self)))

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _check(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        import copy

        return copy.copy(self._config)

    def to_json(self):
        import json

        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._check()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check()
        return self._config.update(*args, **kwargs)

    def get(self, key, default=None):
        return self._config.get(key, default)

    def __setattr__(self, name, value):
        self._check()
        if name in self.__attrs__:
            raise AttributeError(f"Cannot set attribute {name!r}: it is a method of Config.")
        self._config[name] = value

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.__dict__.get("_config", {}):
            raise AttributeError(f"Unknown attribute: '{name}'.")
        return self._config[name]

    def __setitem__(self, key, value):
        self._check()
        self._config[key] = value

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __len__(self):
        return len(self._config)

    def __iter__(self):
        return iter(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


def get_source_inputs(tensor):
    """Keras' ``get_source_inputs``: the ``Input`` tensors that ``tensor`` (a
    ``KerasTensor`` made by calling layers on inputs) was computed from, in the order the
    graph reaches them; a tensor without history is its own source."""
    tensor_type = _symbolic_hook.handler[0]
    if tensor_type is None or not isinstance(tensor, tensor_type):
        raise ValueError(f"get_source_inputs: expected a KerasTensor; received {tensor!r:.200}")
    out, seen = [], set()

    def visit(t):
        history = t._history
        if history is None or not history[0].inputs:
            if id(t) not in seen:
                seen.add(id(t))
                out.append(t)
            return
        for parent in history[0].inputs:
            visit(parent)

    visit(tensor)
    return out
