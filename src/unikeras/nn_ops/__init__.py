"""Neural-net ops the Array API standard lacks (Keras 3's ``keras.ops.nn`` semantics).

Every op has one generic implementation written against the standard (``op.generic``)
and may have a fused fast path per framework in ``unikeras.nn_ops.<framework>`` (see
``_dispatch.fused``): the framework of the first argument picks it. ``op.fast_path(fw)``
returns the fast path of a framework (None if it has none).
"""

from __future__ import annotations

from .activations import (
    celu,
    elu,
    erf,
    erfc,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
    glu,
    hard_tanh,
    hard_shrink,
    soft_shrink,
    tanh_shrink,
    threshold,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    sparsemax,
)
from .conv import conv, conv_bias, conv_transpose, depthwise_conv, separable_conv
from .pooling import average_pool, max_pool
from .misc import (
    batch_norm_training,
    batch_normalization,
    dense,
    dot_product_attention,
    dropout,
    embedding_lookup,
    in_top_k,
    layer_normalization,
    moments,
    multi_hot,
    one_hot,
    rms_normalization,
    top_k,
)
from .ctc import ctc_decode, ctc_loss
from .losses import (
    binary_crossentropy,
    categorical_crossentropy,
    label_smoothing,
    mean_squared_error_mean,
    sparse_categorical_crossentropy,
    sparse_categorical_crossentropy_mean,
)

__all__ = [
    # activations
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish",
    "softplus", "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish",
    "log_sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "erf", "erfc",
    "celu", "glu", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "threshold",
    "sparse_plus", "sparse_sigmoid", "squareplus", "sparsemax",
    # convolution and pooling
    "conv", "conv_bias", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool",
    "average_pool",
    # normalization, encodings, attention, top-k, dropout
    "dense", "moments", "batch_normalization", "batch_norm_training", "layer_normalization",
    "rms_normalization",
    "one_hot", "multi_hot", "dot_product_attention", "top_k", "in_top_k", "dropout",
    "embedding_lookup",
    # losses
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "label_smoothing", "mean_squared_error_mean",
    "sparse_categorical_crossentropy_mean",
    # CTC
    "ctc_loss", "ctc_decode",
]
