"""``keras.layers.TorchModuleWrapper``: a ``torch.nn.Module`` as a unikeras layer.

Written once here (no torch import); the torch calls are in ``layers/torch.py``.

* Its variables are the module's own ``Parameter`` objects (Keras 3: one Variable per
  ``module.parameters()`` entry, trainable as ``requires_grad``), so ``fit`` on torch and
  any optimizer update the module in place. It runs on torch only.
* ``call(*args, training=None, **kwargs)``: ``training=True`` puts the module in
  ``train()`` mode, ``False`` in ``eval()``; ``None`` leaves its mode as it is (Keras 3
  calls ``train()`` for None; here the module's own mode, which an outer ``eval()``
  reaches, decides). Inside ``stateless_call`` / ``torch.func`` transforms, where the
  variables hold other tensors, the module runs through ``torch.func.functional_call``
  with those tensors.
* Saving: ``save_own_variables`` writes ``module.state_dict()`` (parameters and buffers)
  as named NumPy arrays (``vars/weight``, ``vars/bias``, ``vars/running_mean``: Keras 3's
  layout); ``load_own_variables`` reads them back with ``load_state_dict``. Nothing is
  pickled, nothing is unpickled.
* Config: Keras 3 pickles the module into the config (``torch.save``) and refuses to
  unpickle it in safe mode. unikeras never pickles: the config holds ``output_shape``
  and the module's class name only. To load a ``.keras`` file, pass the module:
  ``load_model(path, custom_objects={"<layer name>": module})`` (a module, or a callable
  returning one), or subclass ``TorchModuleWrapper`` in a registered class whose
  ``__init__`` builds the module; or rebuild the model in code and ``load_weights``. A
  Keras-written config's pickled module is never read.
"""

from __future__ import annotations

from ..xp import shim
from .layer import Layer


def _torch():
    return shim("torch", "layers")


class TorchModuleWrapper(Layer):
    """Keras 3's ``TorchModuleWrapper(module, name=None, output_shape=None, **kwargs)``."""

    _uk_torch_own_vars = False   # torch sees the module's tensors under `module.`

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        tm = _torch()
        if tm is None or not tm.is_module(module):
            raise ValueError(f"TorchModuleWrapper: expected a torch.nn.Module instance; "
                             f"received {module!r} of type {type(module).__name__}")
        tm.check_initialized(module)
        self.output_shape = None if output_shape is None else tuple(output_shape)
        self.__dict__["_only_framework"] = "torch"
        self.__dict__["_only_framework_reason"] = "it wraps a torch.nn.Module"
        self.__dict__["module"] = module
        self.__dict__["_module_entries"] = tm.track_module_parameters(self, module)
        self.built = True
        self._move_to("torch")

    def __setattr__(self, name, value):
        if name == "module":
            raise AttributeError(f"TorchModuleWrapper '{self.name}': the wrapped module "
                                 "cannot be replaced; wrap the new module in a new layer")
        super().__setattr__(name, value)

    def call(self, *args, training=None, **kwargs):
        return _torch().run_wrapped(self, args, kwargs, training)

    def compute_output_shape(self, *args, **kwargs):
        if self.output_shape is not None:
            return self.output_shape
        return super().compute_output_shape(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        if self.output_shape is not None:
            from .symbolic import KerasTensor

            return KerasTensor(self.output_shape, dtype=self.compute_dtype)
        return super().compute_output_spec(*args, **kwargs)

    # ------------------------------------------------------------------ saving
    def save_own_variables(self, store):
        """``module.state_dict()`` as named NumPy arrays (no pickle)."""
        for key, value in _torch().module_state(self.module).items():
            store[key] = value

    def load_own_variables(self, store):
        """``module.load_state_dict`` from named arrays (strict: every key must match)."""
        _torch().load_module_state(self, self.check_own_variables(store))

    def check_own_variables(self, store):
        """The store as ``{name: array}``, checked against the module's state_dict
        (names and shapes); raises a ValueError naming the layer otherwise."""
        arrays = {k.decode() if isinstance(k, bytes) else k: store[k] for k in store.keys()}
        _torch().check_module_state(self, arrays)
        return arrays

    def get_config(self):
        config = super().get_config()
        config["output_shape"] = None if self.output_shape is None else list(self.output_shape)
        cls = type(self.module)
        config["module_class"] = f"{cls.__module__}.{cls.__qualname__}"
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        module_class = config.pop("module_class", None)
        config.pop("module", None)   # Keras 3 writes the module pickled: never read
        if "output_shape" in config and config["output_shape"] is not None:
            config["output_shape"] = tuple(config["output_shape"])
        if cls is not TorchModuleWrapper:
            return cls(**config)     # a subclass builds its own module
        name = config.get("name")
        given = (custom_objects or {}).get(name) if name else None
        if given is not None and not _is_module(given) and callable(given):
            given = given()
        if given is None or not _is_module(given):
            raise ValueError(
                f"TorchModuleWrapper '{name}': the torch module ({module_class or 'unknown class'}) "
                "is not stored in the file. Keras 3 pickles it (torch.save) and refuses to "
                "unpickle it in safe mode; unikeras never pickles. Pass the module when "
                f"loading: load_model(path, custom_objects={{{name!r}: module}}) (a module or "
                "a function returning one), or subclass TorchModuleWrapper in a registered "
                "class that builds its module, or rebuild the model in code and call "
                "load_weights.")
        return cls(given, **config)


def _is_module(obj):
    tm = _torch()
    return tm is not None and tm.is_module(obj)
