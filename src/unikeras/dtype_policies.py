"""Dtype policies (Keras' ``keras.dtype_policies`` / ``keras.mixed_precision``)."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from .xp.dtypes import floatx, standardize_dtype


class DTypePolicy:
    """A layer's variable dtype and compute dtype: "float32", "mixed_float16"
    (float32 variables, float16 compute), "mixed_bfloat16", or any dtype name."""

    def __init__(self, name=None):
        name = name or floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            name = standardize_dtype(name)
        self.name = name
        if name == "mixed_float16":
            self.variable_dtype, self.compute_dtype = "float32", "float16"
        elif name == "mixed_bfloat16":
            self.variable_dtype, self.compute_dtype = "float32", "bfloat16"
        else:
            try:
                d = standardize_dtype(name)
            except ValueError:
                raise ValueError(
                    "Invalid dtype policy: expected a dtype name, 'mixed_float16' or "
                    f"'mixed_bfloat16'; received {name!r}"
                ) from None
            self.name = d
            self.variable_dtype = self.compute_dtype = d

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'

    @property
    def quantization_mode(self):
        """``None``: no quantization (``QuantizedDTypePolicy`` names its mode)."""
        return None

    def convert_input(self, x, autocast, dtype):
        """Keras' ``DTypePolicy.convert_input``: ``x`` cast to ``dtype`` when ``autocast``
        and ``x`` is a floating array of another dtype, else unchanged."""
        from .xp import framework_of, namespace, native_dtype

        d = standardize_dtype(dtype)
        xdt = getattr(x, "dtype", None)
        if not autocast or xdt is None:
            return x
        cur = standardize_dtype(xdt)
        if cur == d or not (cur.startswith("float") or cur.startswith("bfloat")):
            return x
        xp = namespace(x)
        return xp.astype(x, native_dtype(framework_of(x) or "numpy", d))

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


#: Keras 3.15's quantization modes (the layers' ``_q_modes`` say which each implements)
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """Keras 3's ``QuantizedDTypePolicy(mode, source_name=None)``: the policy of a layer
    quantized with ``layer.quantize(mode)``, named ``f"{mode}_from_{source_name}"``
    (``"int8_from_float32"``); variable and compute dtypes are the source policy's.
    Subclasses: ``Int4DTypePolicy`` ("int4/<block_size>"), ``QuantizedFloat8DTypePolicy``."""

    def __init__(self, mode, source_name=None):
        source = DTypePolicy(source_name or dtype_policy().name)
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of "
                             f"{QUANTIZATION_MODES}. Received: mode={mode}")
        if mode == "int8" and source.compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with "
                             "compute_dtype='float16'.")
        self.variable_dtype, self.compute_dtype = source.variable_dtype, source.compute_dtype
        self.name = f"{mode}_from_{source.name}"
        self._quantization_mode = mode
        self._source_name = source.name

    @property
    def quantization_mode(self):
        return self._quantization_mode

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<{type(self).__name__} "{self.name}">'

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """Keras' ``QuantizedFloat8DTypePolicy(mode, source_name=None,
    amax_history_length=1024)``: the policy of a float8-quantized layer
    (``"float8_from_float32"``); ``amax_history_length`` is the length of the amax
    histories its delayed scaling keeps."""

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int) or isinstance(amax_history_length, bool):
            raise TypeError("`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def __eq__(self, other):
        return (type(other) is type(self) and other.name == self.name
                and other._amax_history_length == self._amax_history_length)

    def __hash__(self):
        return hash((self.name, self._amax_history_length))

    def get_config(self):
        config = super().get_config()
        config["amax_history_length"] = self._amax_history_length
        return config


class Int4DTypePolicy(QuantizedDTypePolicy):
    """Keras' ``Int4DTypePolicy(mode, source_name=None)``: int4 with its block size in the
    mode, ``"int4/<block_size>"`` (-1: per output channel; a positive integer: groups of
    that many inputs), named ``"int4/128_from_float32"``; ``block_size`` and ``mode``
    ("int4") are attributes."""

    def __init__(self, mode, source_name=None):
        parts = mode.split("/") if isinstance(mode, str) else []
        expected = "'int4/<block_size>'"
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(f"Invalid mode for Int4DTypePolicy. Expected format {expected}, "
                             f"but got '{mode}'.")
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError("Invalid mode for Int4DTypePolicy. <block_size> must be an "
                             f"integer. Expected format {expected}, but got '{mode}'.") from None
        if block_size < -1 or block_size == 0:
            raise ValueError("Invalid block_size in mode. Supported values are -1 "
                             "(per-channel) or a positive integer (sub-channel), but got "
                             f"{block_size} from '{mode}'.")
        super().__init__("int4", source_name)
        self.name = f"{mode}_from_{self._source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self):
        config = super().get_config()
        config["mode"] = f"int4/{self.block_size}"
        return config


def _parse_weight_only_mode(cls, algo, mode, bits_ok, bits_msg, group_msg):
    """``"<algo>/<weight_bits>/<group_size>"`` checked as Keras' GPTQ/AWQ policies do:
    ``(weight_bits, group_size)``."""
    parts = mode.split("/") if isinstance(mode, str) else []
    fmt = f"'{algo}/<weight_bits>/<group_size>'"
    if len(parts) != 3 or parts[0] != algo:
        raise ValueError(f"Invalid mode for {cls}. Expected format {fmt}, but got '{mode}'.")
    try:
        bits, group = int(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"Invalid mode for {cls}. <weight_bits> and <group_size> must be "
                         f"integers. Expected format {fmt}, but got '{mode}'.") from None
    if bits not in bits_ok:
        raise ValueError(f"Invalid weight_bits in mode. {bits_msg}, but got {bits} from "
                         f"'{mode}'.")
    if group < -1 or group == 0:
        raise ValueError(f"Invalid group_size in mode. Supported values are -1 ({group_msg}) "
                         f"or a positive integer, but got {group} from '{mode}'.")
    return bits, group


class GPTQDTypePolicy(QuantizedDTypePolicy):
    """Keras 3's ``GPTQDTypePolicy(mode, source_name=None)``: the policy of a layer
    quantized by ``model.quantize("gptq", config=GPTQConfig(...))``; ``mode`` is
    ``"gptq/<weight_bits>/<group_size>"`` (bits 2, 3, 4 or 8; group -1 or positive), the
    name ``"gptq/4/128_from_float32"``. It is what rebuilds the GPTQ variables when a
    quantized model loads (quantization/, layers/quantize_gptq.py)."""

    _algo, _bits_ok = "gptq", (2, 3, 4, 8)
    _bits_msg = "Supported values are 2, 3, 4, and 8"
    _group_msg = "whole-tensor"

    def __init__(self, mode, source_name=None):
        bits, group = _parse_weight_only_mode(type(self).__name__, self._algo, mode,
                                              self._bits_ok, self._bits_msg, self._group_msg)
        super().__init__(self._algo, source_name)
        self.name = f"{mode}_from_{self._source_name}"
        self.mode = self._algo
        self.weight_bits, self.group_size = bits, group

    def get_config(self):
        return {"mode": f"{self.mode}/{self.weight_bits}/{self.group_size}",
                "source_name": self._source_name}


class AWQDTypePolicy(GPTQDTypePolicy):
    """Keras 3's ``AWQDTypePolicy(mode, source_name=None)``: ``"awq/4/<group_size>"``
    (AWQ is 4-bit only), for ``model.quantize("awq", config=AWQConfig(...))``."""

    _algo, _bits_ok = "awq", (4,)
    _bits_msg = "AWQ only supports 4-bit quantization"
    _group_msg = "per-channel"


#: the policy class of a quantized policy name, by the mode's prefix (a mode that adds
#: its own policy class, GPTQ or AWQ, registers it here)
QUANTIZED_POLICY_BY_MODE = {"float8": QuantizedFloat8DTypePolicy,
                            "gptq": GPTQDTypePolicy, "awq": AWQDTypePolicy}


def _quantized_by_str(name):
    if not isinstance(name, str):
        raise TypeError(f"`policy` must be a string. Received: policy={name}")
    if not name.startswith(QUANTIZATION_MODES):
        raise ValueError("`policy` is incompatible with the current supported quantization.")
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) "
                         f"to instantiate `QuantizedDTypePolicy`. Received: policy={name}")
    mode, source = parts
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source)
    for prefix, cls in QUANTIZED_POLICY_BY_MODE.items():
        if mode.startswith(prefix):
            return cls(mode, source)
    return QuantizedDTypePolicy(mode, source)


class FloatDTypePolicy(DTypePolicy):
    """Keras' ``FloatDTypePolicy``: the float policies (every policy unikeras has), kept
    as a name for code written against Keras 3."""


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Keras' ``DTypePolicyMap(default_policy=None, policy_map=None)``: dtype policies by
    layer path. A key is matched exactly first, else as a regular expression with
    ``re.fullmatch`` (``"encoder/.*"``); a path matching two patterns is a ValueError; no
    match gives ``default_policy`` (the global policy when not given). A layer given a
    map as ``dtype`` takes the policy of its name."""

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError("If specified, `policy_map` must be a dict. Received: "
                            f"policy_map={policy_map} of type {type(policy_map)}")
        self._default_policy_arg = default_policy
        self._default_policy = None if default_policy is None else get(default_policy)
        self._policy_map = {}
        for key, value in (policy_map or {}).items():
            self[key] = value

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @name.setter
    def name(self, value):  # DTypePolicy.__init__ is not run; nothing to store
        pass

    @property
    def default_policy(self):
        return self._default_policy or dtype_policy()

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    def __getitem__(self, key):
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [p for p in self._policy_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: "
                f"{matches}. Please make sure each path only matches at most one dtype "
                "policy specification key in the DTypePolicyMap.")
        if matches:
            return self._policy_map[matches[0]]
        return self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Please make sure to not use duplicated keys.")
        try:
            policy = get(policy)
        except Exception:
            raise ValueError("Cannot interpret the assigned value by `keras.dtype_policies."
                             f"get`. Received: {policy} of type {type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __iter__(self):
        return iter(self._policy_map)

    def __len__(self):
        return len(self._policy_map)

    def __eq__(self, other):
        return (isinstance(other, DTypePolicyMap) and other.get_config() == self.get_config())

    __hash__ = None

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (f"<DTypePolicyMap at {hex(id(self))} default_policy={self.default_policy.name}"
                f", mapping={mapping}>")

    def get_config(self):
        default = self._default_policy_arg
        if isinstance(default, DTypePolicy):
            default = serialize(default)
        return {"default_policy": default,
                "policy_map": {k: serialize(v) for k, v in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("default_policy"), dict):
            config["default_policy"] = deserialize(config["default_policy"], custom_objects)
        config["policy_map"] = {k: deserialize(v, custom_objects)
                                for k, v in (config.get("policy_map") or {}).items()}
        return cls(**config)


_global = [None]


def set_dtype_policy(policy) -> None:
    _global[0] = None if policy is None else DTypePolicy(policy)


def dtype_policy() -> DTypePolicy:
    return _global[0] or DTypePolicy(floatx())


def get(identifier) -> DTypePolicy:
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        if identifier.get("class_name") in _CLASSES and identifier.get("class_name") not in (
                "DTypePolicy", "FloatDTypePolicy"):
            return deserialize(identifier)
        return DTypePolicy(identifier.get("config", identifier).get("name"))
    if isinstance(identifier, str) and identifier.startswith(QUANTIZATION_MODES):
        return _quantized_by_str(identifier)
    return DTypePolicy(identifier)


#: the policy classes ``deserialize`` knows by name (GPTQ/AWQ policies register here)
_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
            "DTypePolicyMap": DTypePolicyMap, "QuantizedDTypePolicy": QuantizedDTypePolicy,
            "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy,
            "Int4DTypePolicy": Int4DTypePolicy,
            "GPTQDTypePolicy": GPTQDTypePolicy, "AWQDTypePolicy": AWQDTypePolicy}


def serialize(dtype_policy) -> dict:
    """Keras' ``dtype_policies.serialize``: ``{"module", "class_name", "config",
    "registered_name"}`` as Keras writes it."""
    module = ("keras.dtype_policies"
              if isinstance(dtype_policy, (DTypePolicyMap, QuantizedDTypePolicy)) else "keras")
    return {"module": module, "class_name": type(dtype_policy).__name__,
            "config": dtype_policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Keras' ``dtype_policies.deserialize``: the policy of a ``serialize`` dict (a bare
    string is returned as it is, as Keras does)."""
    if not isinstance(config, dict):
        return config
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"dtype_policies.deserialize: unknown dtype policy class {name!r}; "
                         f"expected one of {sorted(_CLASSES)}")
    cfg = config.get("config") or {}
    if cls is DTypePolicyMap:
        return cls.from_config(cfg, custom_objects)
    return cls.from_config(cfg)


# Keras' mixed_precision spellings
set_global_policy = set_dtype_policy
global_policy = dtype_policy
Policy = DTypePolicy
