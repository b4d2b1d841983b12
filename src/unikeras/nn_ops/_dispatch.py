"""Dispatch of neural-net ops to per-framework fused kernels.

Each op has one generic implementation written against the Array API standard. A
framework's shim module ``unikeras.nn_ops.<framework>`` may define a function of the
same name and signature: the fused fast path. The choice is made once per (op,
framework) and cached, so dispatch costs one dict lookup per call.
"""

from __future__ import annotations

import functools

from ..xp import framework_of, shim, default_framework


def fused(generic):
    """Decorator: make ``generic(x, ...)`` dispatch on the framework of ``x`` (its
    first argument) to the shim's function of the same name, when there is one."""
    name = generic.__name__
    cache: dict = {}

    @functools.wraps(generic)
    def op(x, *args, **kwargs):
        fw = framework_of(x)
        try:
            impl = cache[fw]
        except KeyError:
            mod = shim(fw or default_framework(), "nn_ops")
            impl = cache[fw] = getattr(mod, name, None) or generic
        return impl(x, *args, **kwargs)

    op.generic = generic
    op.fast_path = lambda framework: getattr(shim(framework, "nn_ops"), name, None)
    return op
