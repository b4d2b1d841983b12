"""Property cases for every built-in layer class of ``unikeras.layers``. Imported by the
tests AND by the Keras reference process (``keras_oracle.py``): NumPy and hypothesis
only, no unikeras, no framework.

A case draws ``(config, inputs, call_kwargs)``: ``config`` is the constructor's keyword
arguments (a nested layer is ``("__layer__", class_name, config)``, a function is
``("__fn__", name)`` from ``FUNCTIONS``), ``inputs`` a NumPy array, a list of them
(merging layers: one list argument) or a tuple of them (positional arguments, as
MultiHeadAttention's query and value). ``build_layer(layers_module, cls, config)`` builds the same layer from either
``unikeras.layers`` or ``keras.layers``. Each case is keyed by the class it covers: a
cell class is covered by an ``RNN`` of that cell, a wrapped layer by its wrapper.

``grad``: the input gradient is checked against float64 central differences (False for
integer inputs, layers that ignore their input values, and the recurrent layers whose
finite differences cost too much per example). ``EXCLUDED``: layer classes with no
computation to check, each with its reason.
"""

from __future__ import annotations

import numpy as np

from op_cases import Draw, case_strategy  # noqa: F401  (case_strategy re-exported)


class LayerSpec:
    def __init__(self, gen, cls=None, grad=True, tol=1e-4, keras_dtype="float64"):
        self.gen, self.cls, self.grad, self.tol = gen, cls, grad, tol
        self.keras_dtype = keras_dtype  # the reference's dtype (float64 unless Keras fails)


def _double(x):
    return x * 2.0 + 1.0


FUNCTIONS = {"double": _double}


def build_layer(layers, cls, config, nested_dtype=None):
    """``layers.<cls>(**config)``; nested layers get ``nested_dtype`` where given."""
    def resolve(v):
        if isinstance(v, tuple) and v and v[0] == "__layer__":
            cfg = v[2] if nested_dtype is None else dict(v[2], dtype=nested_dtype)
            return build_layer(layers, v[1], cfg, nested_dtype)
        if isinstance(v, tuple) and v and v[0] == "__fn__":
            return FUNCTIONS[v[1]]
        if isinstance(v, list):
            return [resolve(o) for o in v]
        return v

    return getattr(layers, cls)(**{k: resolve(v) for k, v in config.items()})


def call_layer(layer, inputs, call_kw):
    """A tuple of inputs is positional arguments; anything else is the one input."""
    if isinstance(inputs, tuple):
        return layer(*inputs, **call_kw)
    return layer(inputs, **call_kw)


LAYERS: dict[str, LayerSpec] = {}


def layer(name, gen, **kw):
    LAYERS[name] = LayerSpec(gen, **kw)


def _x(d, shape, kind="normal"):
    return d.x(shape, kind)


def seq(d, feat=None):
    return (d.int(1, 3), d.int(2, 4), feat or d.int(1, 3))


# ----------------------------------------------------------------- core, activations
layer("Dense", lambda d: ({"units": d.int(1, 3), "activation": d.pick([None, "tanh", "relu"]),
                           "use_bias": d.bool()}, _x(d, d.shape(2, 3)), {}))
layer("EinsumDense", lambda d: ({"equation": "ab,bc->ac", "output_shape": (3,), "bias_axes": "c"},
                                _x(d, (2, d.int(1, 4))), {}))
layer("Activation", lambda d: ({"activation": d.pick(["tanh", "sigmoid", "softplus", "gelu"])},
                               _x(d, d.shape(1, 3)), {}))
layer("ReLU", lambda d: ({"max_value": d.pick([None, 2.0]), "negative_slope": d.pick([0.0, 0.1]),
                          "threshold": d.pick([0.0, 0.3])}, _x(d, d.shape(1, 3)), {}))
layer("LeakyReLU", lambda d: ({"negative_slope": d.pick([0.1, 0.3])}, _x(d, d.shape(1, 3)), {}))
layer("ELU", lambda d: ({"alpha": d.pick([0.5, 1.0])}, _x(d, d.shape(1, 3)), {}))
layer("PReLU", lambda d: ({}, _x(d, (2, 3, 2)), {}))
layer("Softmax", lambda d: ({"axis": d.pick([-1, 1])}, _x(d, (2, 3, 2)), {}))
layer("Identity", lambda d: ({}, _x(d, d.shape(1, 3)), {}))
layer("ActivityRegularization", lambda d: ({"l1": 0.01}, _x(d, d.shape(1, 3)), {}))
layer("Lambda", lambda d: ({"function": ("__fn__", "double")}, _x(d, d.shape(1, 3)), {}))
layer("Embedding", lambda d: ({"input_dim": 5, "output_dim": d.int(1, 3)}, d.x((2, 3), "small"),
                              {}), grad=False)
# the reverse call (hidden states -> logits over the vocabulary); its forward call is
# Embedding's (case above, tested for it in tests/layers/test_keras315_layers.py)
layer("ReversibleEmbedding", lambda d: ({"input_dim": 5, "output_dim": 3,
                                        "tie_weights": d.bool(),
                                        "logit_soft_cap": d.pick([None, 2.0])},
                                       _x(d, (2, d.int(1, 3), 3)), {"reverse": True}))
# grad=False: moving a masked step off mask_value unmasks it (no derivative there)
layer("Masking", lambda d: ({"mask_value": 0.0},
                            _x(d, (2, 3, 2)) * np.array([1, 0, 1], "float32")[None, :, None], {}),
      grad=False)
# ----------------------------------------------------------------- dropout and noise (inference)
for _n, _kw in [("Dropout", {"rate": 0.3}), ("AlphaDropout", {"rate": 0.3}),
                ("GaussianDropout", {"rate": 0.3}), ("GaussianNoise", {"stddev": 0.5})]:
    layer(_n, lambda d, kw=_kw: (kw, _x(d, d.shape(1, 3)), {"training": False}))
layer("SpatialDropout1D", lambda d: ({"rate": 0.3}, _x(d, (2, 3, 2)), {"training": False}))
layer("SpatialDropout2D", lambda d: ({"rate": 0.3}, _x(d, (2, 3, 3, 2)), {"training": False}))
layer("SpatialDropout3D", lambda d: ({"rate": 0.3}, _x(d, (1, 2, 3, 2, 2)), {"training": False}))
# ----------------------------------------------------------------- normalization
layer("BatchNormalization", lambda d: ({"axis": d.pick([-1, 1]), "center": d.bool()},
                                       _x(d, (3, 2, 4)), {"training": d.bool()}))
layer("LayerNormalization", lambda d: ({"axis": d.pick([-1, [1, 2]])}, _x(d, (2, 3, 4)), {}))
layer("GroupNormalization", lambda d: ({"groups": d.pick([1, 2, 4])}, _x(d, (2, 3, 4)), {}))
layer("RMSNormalization", lambda d: ({"axis": -1}, _x(d, (2, 3, 4)), {}))
layer("UnitNormalization", lambda d: ({"axis": d.pick([-1, 1])}, _x(d, (2, 3, 4)), {}))
layer("Normalization", lambda d: ({"axis": -1, "mean": [0.5, -1.0, 2.0],
                                   "variance": [1.0, 4.0, 0.25]}, _x(d, (2, 3)), {}))
layer("STFTSpectrogram", lambda d: ({"mode": d.pick(["magnitude", "real", "stft", "psd", "log"]),
                                     "frame_length": 8, "frame_step": d.pick([4, 8]),
                                     "padding": d.pick(["valid", "same"])},
                                    _x(d, (2, 16, 2)), {}))
layer("Rescaling", lambda d: ({"scale": d.pick([0.5, 1 / 255]), "offset": d.pick([0.0, -1.0])},
                              _x(d, d.shape(1, 3)), {}))
# ----------------------------------------------------------------- merging
for _n in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    layer(_n, lambda d, n=_n: ({}, [_x(d, (2, 3)) for _ in range(2 if n == "Subtract"
                                                                 else d.int(2, 3))], {}))
layer("Concatenate", lambda d: ({"axis": d.pick([-1, 1])}, [_x(d, (2, 3, 2)), _x(d, (2, 3, 2))], {}))
layer("Dot", lambda d: ({"axes": d.pick([-1, 1]), "normalize": d.bool()},
                        [_x(d, (2, 3)), _x(d, (2, 3))], {}))
# ----------------------------------------------------------------- reshaping
layer("Flatten", lambda d: ({}, _x(d, (2, 3, 2)), {}))
layer("Reshape", lambda d: ({"target_shape": d.pick([(6,), (3, 2), (-1, 3)])}, _x(d, (2, 3, 2)), {}))
layer("Permute", lambda d: ({"dims": d.pick([(2, 1), (1, 2)])}, _x(d, (2, 3, 2)), {}))
layer("RepeatVector", lambda d: ({"n": d.int(1, 3)}, _x(d, (2, 3)), {}))
layer("Cropping1D", lambda d: ({"cropping": (d.int(0, 1), d.int(0, 1))}, _x(d, (2, 4, 2)), {}))
layer("Cropping2D", lambda d: ({"cropping": ((1, 0), (0, 1))}, _x(d, (2, 3, 4, 2)), {}))
layer("Cropping3D", lambda d: ({"cropping": ((1, 0), (0, 1), (1, 1))}, _x(d, (1, 3, 3, 3, 2)), {}))
layer("ZeroPadding1D", lambda d: ({"padding": d.int(1, 2)}, _x(d, (2, 3, 2)), {}))
layer("ZeroPadding2D", lambda d: ({"padding": ((1, 0), (0, 2))}, _x(d, (2, 2, 3, 2)), {}))
layer("ZeroPadding3D", lambda d: ({"padding": 1}, _x(d, (1, 2, 2, 2, 1)), {}))
layer("UpSampling1D", lambda d: ({"size": d.int(1, 3)}, _x(d, (2, 3, 2)), {}))
layer("UpSampling2D", lambda d: ({"size": (2, 1), "interpolation": d.pick(["nearest", "bilinear"])},
                                 _x(d, (1, 3, 3, 2)), {}))
layer("UpSampling3D", lambda d: ({"size": 2}, _x(d, (1, 2, 2, 2, 1)), {}))
layer("CategoryEncoding", lambda d: ({"num_tokens": 4, "output_mode": d.pick(["one_hot",
                                                                             "multi_hot", "count"])},
                                     d.x((3, 2), "small"), {}), grad=False)
# ----------------------------------------------------------------- image preprocessing
layer("CenterCrop", lambda d: ({"height": d.int(1, 5), "width": d.int(1, 4)},
                               _x(d, (2, 5, 4, 2)), {}))
layer("RandomFlip", lambda d: ({"mode": d.pick(["horizontal", "vertical",
                                                "horizontal_and_vertical"]), "seed": 1},
                               _x(d, (2, 3, 4, 2)), {"training": False}))
layer("RandomCrop", lambda d: ({"height": 2, "width": 2, "seed": 1}, _x(d, (2, 3, 4, 2)),
                               {"training": False}))
layer("Resizing", lambda d: ({"height": d.int(2, 5), "width": d.int(2, 5),
                              "interpolation": d.pick(["bilinear", "nearest", "bicubic"])},
                             _x(d, (2, 4, 3, 2)), {}))
layer("RandomRotation", lambda d: ({"factor": d.pick([0.1, (0.25, 0.25)]), "seed": 1,
                                    "fill_mode": d.pick(["reflect", "constant"])},
                                   _x(d, (2, 4, 5, 2)), {"training": False}))
layer("RandomTranslation", lambda d: ({"height_factor": 0.2, "width_factor": 0.3, "seed": 1},
                                      _x(d, (2, 4, 5, 2)), {"training": False}))
layer("RandomZoom", lambda d: ({"height_factor": 0.2, "seed": 1}, _x(d, (2, 4, 5, 2)),
                               {"training": False}))
layer("RandomShear", lambda d: ({"x_factor": 0.2, "y_factor": 0.1, "seed": 1},
                                _x(d, (2, 4, 5, 2)), {"training": False}))
layer("RandomPerspective", lambda d: ({"scale": 0.5, "seed": 1}, _x(d, (2, 4, 5, 2)),
                                      {"training": False}))
layer("RandomElasticTransform", lambda d: ({"seed": 1}, _x(d, (2, 4, 5, 2)),
                                           {"training": False}))
layer("MaxNumBoundingBoxes", lambda d: ({"max_number": d.int(1, 3)}, _x(d, (1, 3, 3, 2)),
                                        {}))
# ----------------------------------------------------------------- convolution and pooling
def _conv(rank, transpose=False):
    def gen(d):
        spatial = (5, 4, 3)[:rank]
        cfg = {"filters": d.int(1, 3), "kernel_size": 2, "strides": d.pick([1, 2]),
               "padding": d.pick(["valid", "same"]), "activation": d.pick([None, "relu"])}
        return cfg, _x(d, (2,) + spatial + (2,)), {}
    return gen


for _r in (1, 2, 3):
    layer(f"Conv{_r}D", _conv(_r))
    layer(f"Conv{_r}DTranspose", _conv(_r))
for _r in (1, 2):
    layer(f"DepthwiseConv{_r}D", lambda d, r=_r: (
        {"kernel_size": 2, "depth_multiplier": d.int(1, 2), "padding": d.pick(["valid", "same"])},
        _x(d, (2,) + (4, 3)[:r] + (2,)), {}))
    layer(f"SeparableConv{_r}D", lambda d, r=_r: (
        {"filters": d.int(1, 3), "kernel_size": 2, "depth_multiplier": d.int(1, 2)},
        _x(d, (2,) + (4, 3)[:r] + (2,)), {}))
for _r in (1, 2, 3):
    for _kind in ("Max", "Average"):
        layer(f"{_kind}Pooling{_r}D", lambda d, r=_r: (
            {"pool_size": 2, "strides": d.pick([1, 2]), "padding": d.pick(["valid", "same"])},
            _x(d, (2,) + (4, 5, 3)[:r] + (2,)), {}))
        layer(f"Global{_kind}Pooling{_r}D", lambda d, r=_r: (
            {"keepdims": d.bool()}, _x(d, (2,) + (3, 2, 2)[:r] + (2,)), {}))
for _r in (1, 2, 3):
    for _kind in ("Max", "Average"):
        # input sizes that do and do not divide the output size (overlapping windows)
        layer(f"Adaptive{_kind}Pooling{_r}D", lambda d, r=_r: (
            {"output_size": d.pick([2, (3, 2, 2)[:r]]),
             "data_format": d.pick(["channels_last", "channels_first"])},
            _x(d, (2,) + (5, 4, 3)[:r] + (2,)), {}))
# ----------------------------------------------------------------- recurrent
def _rnn(cls):
    return lambda d: ({"units": d.int(1, 3), "return_sequences": d.bool(),
                       "go_backwards": d.bool()}, _x(d, seq(d)), {})


# Keras 3.15's SimpleRNN fails in float64 on jax (its scan carry turns float32)
layer("SimpleRNN", _rnn("SimpleRNN"), keras_dtype="float32")
layer("LSTM", _rnn("LSTM"))
layer("GRU", lambda d: ({"units": d.int(1, 3), "return_sequences": d.bool(),
                         "reset_after": d.bool()}, _x(d, seq(d)), {}))
for _cell in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
    layer(_cell, lambda d, c=_cell: ({"cell": ("__layer__", c, {"units": d.int(1, 3)}),
                                      "return_sequences": d.bool()}, _x(d, seq(d)), {}), cls="RNN")
layer("RNN", lambda d: ({"cell": ("__layer__", "SimpleRNNCell", {"units": 2}),
                         "return_state": False, "go_backwards": d.bool()}, _x(d, seq(d)), {}))
layer("StackedRNNCells", lambda d: ({"cell": ("__layer__", "StackedRNNCells", {"cells": [
    ("__layer__", "SimpleRNNCell", {"units": 2}), ("__layer__", "LSTMCell", {"units": 3})]})},
    _x(d, seq(d)), {}), cls="RNN")
layer("Bidirectional", lambda d: ({"layer": ("__layer__", d.pick(["LSTM", "GRU", "SimpleRNN"]),
                                             {"units": 2, "return_sequences": True}),
                                   "merge_mode": d.pick(["concat", "sum", "ave", "mul"])},
                                  _x(d, seq(d)), {}))
def _conv_lstm(rank):
    def gen(d):
        spatial = (4, 3, 3)[:rank]
        cfg = {"filters": d.int(1, 2), "kernel_size": 2, "padding": d.pick(["valid", "same"]),
               "strides": d.pick([1, 2]) if rank == 1 else 1,
               "return_sequences": d.bool(), "go_backwards": d.bool(),
               "data_format": d.pick(["channels_last", "channels_first"])}
        shape = (2, 3) + (spatial + (2,) if cfg["data_format"] == "channels_last"
                          else (2,) + spatial)
        return cfg, _x(d, shape), {}
    return gen


for _r in (1, 2, 3):
    # gradients through the time loop: ConvLSTM1D only (2D/3D: the same code, more cost)
    layer(f"ConvLSTM{_r}D", _conv_lstm(_r), grad=_r == 1)
layer("TimeDistributed", lambda d: ({"layer": ("__layer__", "Dense", {"units": 2})},
                                    _x(d, (2, 3, 2)), {}))
# inference (training=True assigns the kernel, so a second framework would see it
# normalized twice): the weight order [kernel, vector_u, bias] is what this checks;
# the power iteration is tested against NumPy in tests/layers/test_keras315_layers.py
def _spectral(d):
    inner, shape = d.pick([(("__layer__", "Dense", {"units": 2}), (2, 3)),
                           (("__layer__", "Conv1D", {"filters": 2, "kernel_size": 2}),
                            (2, 4, 3))])
    return {"layer": inner, "power_iterations": d.int(1, 2)}, _x(d, shape), {}


layer("SpectralNormalization", _spectral)
# ----------------------------------------------------------------- attention
layer("Attention", lambda d: ({"use_scale": d.bool(), "score_mode": d.pick(["dot", "concat"])},
                              [_x(d, (2, 3, 4)), _x(d, (2, 2, 4))], {}))
layer("AdditiveAttention", lambda d: ({"use_scale": d.bool()},
                                      [_x(d, (2, 3, 4)), _x(d, (2, 2, 4))], {}))
layer("MultiHeadAttention", lambda d: ({"num_heads": d.int(1, 2), "key_dim": 2},
                                       (_x(d, (2, 3, 4)), _x(d, (2, 2, 4))), {}))

# fused path (dot_product_attention, grouped heads) and the scores path
# (return_attention_scores) with causal, sliding-window and gate variants
layer("GroupedQueryAttention", lambda d: (
    {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": d.pick([1, 2, 4]),
     "use_gate": d.bool(), "sliding_window": d.pick([None, 2]), "use_bias": d.bool()},
    (_x(d, (2, 3, 4)), _x(d, (2, d.pick([3, 4]), 4))),
    {"use_causal_mask": d.bool(), "return_attention_scores": d.bool()}),
    cls="GroupQueryAttention")

# ----------------------------------------------------------------- image color and mixing
# Images in [0, 255] (or [0, 1]); random layers either with a factor range of one point
# (deterministic, compared with Keras) or at inference (training=False: the identity).


def _img(d, shape=(2, 4, 5, 3), scale=255.0):
    return _x(d, shape, "prob") * scale


layer("AutoContrast", lambda d: ({"value_range": (0, 255)}, _img(d), {}), grad=False)
layer("Equalization", lambda d: ({"bins": d.pick([256, 32])}, _img(d), {"training": True}),
      grad=False)
layer("ContrastLimitedAdaptiveHistogramEqualization",
      lambda d: ({"tile_grid_size": (2, 2), "clip_limit": d.pick([0.0, 2.0])}, _img(d), {}),
      grad=False)
layer("Solarization", lambda d: ({"value_range": (0, 1)}, _img(d, scale=1.0),
                                 {"training": True}))
layer("RandomBrightness", lambda d: ({"factor": (0.1, 0.1)}, _img(d), {"training": True}))
layer("RandomContrast", lambda d: ({"factor": 0.5}, _img(d), {"training": False}))
layer("RandomColorDegeneration", lambda d: ({"factor": (0.4, 0.4)}, _img(d),
                                            {"training": True}))
layer("RandomColorJitter", lambda d: ({"brightness_factor": 0.2, "hue_factor": 0.2}, _img(d),
                                      {"training": False}))
layer("RandomHue", lambda d: ({"factor": 0.5}, _img(d), {"training": False}))
layer("RandomSaturation", lambda d: ({"factor": (0.3, 0.3)}, _img(d), {"training": True}),
      grad=False)
layer("RandomGrayscale", lambda d: ({"factor": 1.0}, _img(d), {"training": True}))
layer("RandomInvert", lambda d: ({"factor": (1.0, 1.0)}, _img(d), {"training": True}))
layer("RandomPosterization", lambda d: ({"factor": (4, 4)}, _img(d), {"training": True}),
      grad=False)
layer("RandomSharpness", lambda d: ({"factor": (0.3, 0.3)}, _img(d), {"training": True}))
layer("RandomGaussianBlur", lambda d: ({"factor": (1.0, 1.0), "sigma": (0.6, 0.6)}, _img(d),
                                       {"training": True}))
layer("RandomErasing", lambda d: ({}, _img(d), {"training": False}))
layer("MixUp", lambda d: ({}, _img(d), {"training": False}))
layer("CutMix", lambda d: ({}, _img(d), {"training": False}))
# the policies draw their operations: inference (their numerics are tested against Keras
# with given transformations in tests/layers/test_image_color.py)
layer("RandAugment", lambda d: ({"num_ops": d.pick([1, 2])}, _img(d), {"training": False}))
layer("AugMix", lambda d: ({"chain_depth": d.pick([1, 2])}, _img(d), {"training": False}))

for _n in ("SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "StackedRNNCells", "Bidirectional"):
    LAYERS[_n].grad = False  # covered by test_rnn_attention_layers' gradient checks

# Layer classes with nothing of their own to compute, each with the reason.
EXCLUDED = {
    "Layer": "the abstract base class (every case above exercises it)",
    "Wrapper": "abstract base of TimeDistributed and Bidirectional (covered through them)",
    "InputLayer": "a placeholder of Functional models with no computation",
    "Pipeline": "Keras' Pipeline takes no dtype argument (the reference builds every layer "
                "in float64); its composition is tested in "
                "tests/layers/test_image_preprocessing_geometry.py",
    # wrappers of one framework's own function or module: their numerics are that
    # framework's, and they run on it alone (tested in tests/layers/test_jax_layer.py,
    # tests/torch_interop/, tests/core/test_tensorflow_citizen.py)
    "JaxLayer": "wraps a user's JAX function (jax only)",
    "FlaxLayer": "wraps a user's Flax module (jax only)",
    "TorchModuleWrapper": "wraps a user's torch.nn.Module (torch only)",
    "TFSMLayer": "loads a TF SavedModel's endpoint (tensorflow only)",
    # data layers: strings or vocabularies on the host, integer outputs, no gradient;
    # each output mode is compared with Keras 3 itself on every framework in
    # tests/layers/test_text_preprocessing.py (the oracle's "data_layer" request)
    "StringLookup": "string vocabulary lookup on the host (tests/layers/test_text_preprocessing.py)",
    "IntegerLookup": "integer vocabulary lookup on the host (tests/layers/test_text_preprocessing.py)",
    "TextVectorization": "string tokenizer on the host (tests/layers/test_text_preprocessing.py)",
    "Hashing": "farmhash/SipHash of values on the host (tests/layers/test_text_preprocessing.py)",
    "HashedCrossing": "hashed feature cross on the host (tests/layers/test_text_preprocessing.py)",
    "Discretization": "piecewise-constant bucketing, no gradient; every mode vs Keras on every "
                      "framework in tests/layers/test_text_preprocessing.py",
    "MelSpectrogram": "Keras' DataLayer builds its mel filter bank in float32 whatever the "
                      "dtype (no float64 reference); configurations vs Keras on every "
                      "framework in tests/layers/test_audio_layers.py",
}
