"""Convolutional LSTM, written once: ``ConvLSTM1D`` / ``ConvLSTM2D`` / ``ConvLSTM3D``, an
``RNN`` over the cell ``ConvLSTMCell`` whose input and recurrent transformations are
convolutions (``nn_ops.conv``, so each framework's own convolution kernel runs).

Keras 3's layout: ``kernel`` ``(*kernel_size, input_channels, 4 * filters)``,
``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 *
filters,)``, gates ``i, f, c, o`` along the last axis; the recurrent convolution has
stride 1 and ``"same"`` padding; ``unit_forget_bias`` starts the forget gate's bias at 1.
"""

from __future__ import annotations

import numpy as np

from ... import activations, constraints, initializers, nn_ops, regularizers
from ...state import SeedGenerator
from ...utils.serialization import register, serialize_simple
from ...xp import namespace
from .._arguments import _who, normalize_data_format, normalize_padding, normalize_tuple
from ..convolutional import conv_output_length
from ..input_spec import InputSpec
from ..layer import Layer
from .cells import DropoutRNNCell
from .recurrent import RNN, _cell_layer_config, _from_flat_config


class ConvLSTMCell(DropoutRNNCell, Layer):
    """One step of a ConvLSTM: states ``[h, c]``, each shaped like the convolution's
    output for one timestep. ``dropout`` / ``recurrent_dropout`` draw one mask per gate
    for the whole sequence."""

    dropout_mask_count = 4

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        if not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{who}: `filters` must be a positive integer; received "
                             f"filters={filters!r}")
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.padding = normalize_padding(padding, ("valid", "same"), who)
        self.data_format = normalize_data_format(data_format, who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters

    def build(self, input_shape):
        channels_first = self.data_format == "channels_first"
        spatial = tuple(input_shape[2:] if channels_first else input_shape[1:-1])
        if None in spatial:
            raise ValueError("ConvLSTM layers only support static input shapes for the "
                             f"spatial dimension. Received invalid input shape: "
                             f"input_shape={tuple(input_shape)}")
        channels = input_shape[1 if channels_first else -1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             f"None. Full input shape received: input_shape={input_shape}")
        self.spatial_dims = spatial
        self.input_dim = int(channels)
        f = self.filters
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.input_dim, 4 * f), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (f, 4 * f), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                base = self.bias_initializer

                def init(shape, dtype=None):
                    return np.concatenate([np.asarray(base((f,), dtype)),
                                           np.ones((f,), dtype or "float32"),
                                           np.asarray(base((2 * f,), dtype))])
            self.bias = self.add_weight(shape=(4 * f,), name="bias", initializer=init,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def state_shape(self, batch_size):
        """The shape of ``h`` and ``c`` for ``batch_size`` sequences."""
        out = tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in zip(
            self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_first":
            return (batch_size, self.filters) + out
        return (batch_size,) + out + (self.filters,)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        f = self.filters
        dp = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if training and 0.0 < self.recurrent_dropout < 1.0 else None)
        kernel, recurrent_kernel, bias = self.kernel, self.recurrent_kernel, self.bias
        xp = namespace(inputs)
        last = self.data_format == "channels_last"
        bias_shape = (1,) * (self.rank + 1) + (-1,) if last else (1, -1) + (1,) * self.rank

        def conv_x(x, k):
            return nn_ops.conv(x, k, strides=self.strides, padding=self.padding,
                               data_format=self.data_format, dilation_rate=self.dilation_rate)

        def conv_h(h, k):
            return nn_ops.conv(h, k, strides=1, padding="same", data_format=self.data_format)

        if dp is None and rdp is None:
            # no dropout: one convolution of all four gates for the input, one for the
            # state, split along the channels
            z = conv_x(inputs, kernel) + conv_h(h_tm1, recurrent_kernel)
            if bias is not None:
                z = z + xp.reshape(bias, bias_shape)
            gates = [z[..., g * f:(g + 1) * f] if last else z[:, g * f:(g + 1) * f]
                     for g in range(4)]
        else:
            gates = []
            for g in range(4):
                x = inputs if dp is None else inputs * dp[g]
                h = h_tm1 if rdp is None else h_tm1 * rdp[g]
                z = (conv_x(x, kernel[..., g * f:(g + 1) * f])
                     + conv_h(h, recurrent_kernel[..., g * f:(g + 1) * f]))
                if bias is not None:
                    z = z + xp.reshape(bias[g * f:(g + 1) * f], bias_shape)
                gates.append(z)
        ra = self.recurrent_activation
        i, fg, o = ra(gates[0]), ra(gates[1]), ra(gates[3])
        c = fg * c_tm1 + i * self.activation(gates[2])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size,
            "strides": self.strides, "padding": self.padding,
            "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "recurrent_initializer": serialize_simple(self.recurrent_initializer),
            "bias_initializer": serialize_simple(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "recurrent_regularizer": serialize_simple(self.recurrent_regularizer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
            "recurrent_constraint": serialize_simple(self.recurrent_constraint),
            "bias_constraint": serialize_simple(self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config


_CELL_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format",
              "dilation_rate", "activation", "recurrent_activation", "use_bias",
              "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout", "seed")


class ConvLSTM(RNN):
    """The ConvLSTM layers' base: an ``RNN`` of a ``ConvLSTMCell`` of rank
    ``_rank``. Inputs ``(batch, time, *spatial, channels)`` (``channels_last``) or
    ``(batch, time, channels, *spatial)``."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            self._rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell",
            dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=self._rank + 3)

    def __getattr__(self, name):
        if name in _CELL_ARGS:
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        return super().__getattr__(name)

    def _zero_states(self, xp, sequences, dtype):
        # zeros of the state shape on the inputs' framework and device: a sum over one
        # step's spatial and channel axes gives a (batch,) zero vector to broadcast
        step = sequences[:, 0, ...]
        z = xp.sum(step * 0, axis=tuple(range(1, step.ndim)))
        if z.dtype != dtype:
            z = xp.astype(z, dtype)
        shape = self.cell.state_shape(step.shape[0])
        zeros = xp.broadcast_to(xp.reshape(z, (-1,) + (1,) * (len(shape) - 1)),
                                (z.shape[0],) + shape[1:])
        return [zeros, zeros]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.state_shape(batch)
        out = (batch, steps) + state[1:] if self.return_sequences else state
        if self.return_state:
            return out, state, state
        return out

    def compute_output_spec(self, sequences, initial_state=None, mask=None, training=None):
        from ..symbolic import KerasTensor

        shapes = self.compute_output_shape(tuple(sequences.shape))
        if self.return_state:
            return tuple(KerasTensor(s, self.compute_dtype) for s in shapes)
        return KerasTensor(shapes, self.compute_dtype)

    get_config = _cell_layer_config
    from_config = classmethod(_from_flat_config)


def _conv_lstm_class(name, rank):
    cls = type(name, (ConvLSTM,), {
        "_rank": rank, "__module__": __name__,
        "__doc__": (f"Keras' ``{name}(filters, kernel_size, strides=1, padding='valid', "
                    "data_format=None, dilation_rate=1, activation='tanh', "
                    "recurrent_activation='sigmoid', use_bias=True, ..., "
                    "unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, seed=None, "
                    "return_sequences=False, return_state=False, go_backwards=False)``: a "
                    f"convolutional LSTM over sequences of {rank}-D inputs.")})
    return register(cls)


ConvLSTM1D = _conv_lstm_class("ConvLSTM1D", 1)
ConvLSTM2D = _conv_lstm_class("ConvLSTM2D", 2)
ConvLSTM3D = _conv_lstm_class("ConvLSTM3D", 3)
