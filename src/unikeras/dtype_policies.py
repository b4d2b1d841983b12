"""Dtype policies (Keras' ``keras.dtype_policies`` / ``keras.mixed_precision``)."""

from __future__ import annotations

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

    def get_config(self):
        return {"name": self.name}


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
        return DTypePolicy(identifier.get("config", identifier).get("name"))
    return DTypePolicy(identifier)


# Keras' mixed_precision spellings
set_global_policy = set_dtype_policy
global_policy = dtype_policy
Policy = DTypePolicy
