"""Keras 3 ``keras.ops.nn``: forwards to ``unikeras.nn_ops`` (one array-API
implementation per op plus per-framework fused kernels).

Host data (NumPy arrays, and a list as the first argument) is converted to the op's
framework first, so ``ops.relu(np_array)`` runs on the default framework as in Keras.
``ops/nn_extra.py`` adds the names that are array plumbing rather than kernels (normalize,
psnr, polar, depth_to_space, space_to_depth, unfold, fold). Names defined in neither are
not exported (``missing``; see docs/ops.md).
"""

from __future__ import annotations

import functools

from ..state import Variable
from ..xp import framework_of
from ._common import resolve, to_array

#: Keras 3's keras.ops.nn names, in its order.
KERAS_NN_NAMES = (
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax",
    "max_pool", "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu",
    "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth",
    "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
)

__all__: list[str] = []
missing: list[str] = []


def _forward(name, fn):
    def op(*args, **kwargs):
        if any(isinstance(a, Variable) for a in args) or any(
                isinstance(v, Variable) for v in kwargs.values()):
            args = tuple(a.value if isinstance(a, Variable) else a for a in args)
            kwargs = {k: v.value if isinstance(v, Variable) else v for k, v in kwargs.items()}
        arrays = [a for a in args if framework_of(a) is not None]
        arrays += [v for v in kwargs.values() if framework_of(v) is not None]
        if args and isinstance(args[0], (list, tuple)) and name not in ("moments",):
            arrays.append(args[0])
        xp, fw = resolve(name, *arrays)
        new_args = list(args)
        for i, a in enumerate(args):
            f = framework_of(a)
            if (f is not None and f != fw) or (i == 0 and isinstance(a, (list, tuple))):
                new_args[i] = to_array(xp, fw, a)
        new_kwargs = {k: (to_array(xp, fw, v) if framework_of(v) not in (None, fw) else v)
                      for k, v in kwargs.items()}
        return fn(*new_args, **new_kwargs)

    functools.update_wrapper(op, fn)
    op.__module__ = __name__
    op.__wrapped_nn_op__ = fn
    return op


def _build():
    from . import nn_extra

    try:
        from .. import nn_ops
    except ImportError:  # nn_ops not importable: export nothing
        nn_ops = None
    for name in KERAS_NN_NAMES:
        if name in nn_extra.__all__:  # array plumbing written in ops itself
            globals()[name] = getattr(nn_extra, name)
            __all__.append(name)
            continue
        fn = getattr(nn_ops, name, None) if nn_ops is not None else None
        if fn is None or not callable(fn):
            missing.append(name)
            continue
        globals()[name] = _forward(name, fn)
        __all__.append(name)


_build()
