"""Recurrent layers, written once: ``RNN(cell)`` and the built-in-cell layers
``SimpleRNN``, ``LSTM``, ``GRU``.
"""

from __future__ import annotations

import numpy as np

from ...utils.serialization import register, serialize_simple
from ... import activations
from ...xp import asarray, framework_of, namespace, shim
from ..input_spec import InputSpec
from ..serialization import deserialize, serialize
from ..layer import Layer
from .cells import (
    _BaseCell, _call_cell, DropoutRNNCell, GRUCell, LSTMCell, SimpleRNNCell,
    StackedRNNCells,
)
from .loop import time_loop


@register
class RNN(Layer):
    """Keras' ``RNN(cell, return_sequences=False, return_state=False,
    go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False)``.

    ``call(sequences, initial_state=None, mask=None, training=False)``. ``stateful=True``
    is not supported (a clear error). ``unroll`` is accepted: the generic loop is always
    unrolled; with jax it selects the unrolled loop instead of ``lax.scan`` under jit.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"{type(self).__name__}: argument `cell` should have a `call` "
                             f"method; received cell={cell!r}")
        if "state_size" not in dir(cell):
            raise ValueError(f"{type(self).__name__}: the RNN cell should have a "
                             "`state_size` attribute (an int or a list of ints, one per "
                             f"state); received cell={cell!r}")
        if stateful:
            raise ValueError(
                f"{type(self).__name__}: stateful=True is not supported by unikeras (state "
                "carried between batches); pass the final states back as `initial_state` "
                "instead. Received stateful=True.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        size = cell.state_size
        if not isinstance(size, (list, tuple, int, np.integer)):
            raise ValueError(f"{type(self).__name__}: state_size must be an int or a "
                             f"list/tuple of ints; received {size!r}")
        self.single_state = isinstance(size, (int, np.integer))

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, (int, np.integer)) else list(size)

    @property
    def states(self):
        return None

    # -------------------------------------------------------------- building
    def build(self, sequences_shape, initial_state_shape=None):
        if sequences_shape is not None and len(sequences_shape) < 3:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" expects inputs of rank >= 3 '
                f"(batch, timesteps, features); received input_shape={sequences_shape}")
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        self.built = True

    # -------------------------------------------------------------- shapes / masks
    def _output_size(self):
        out = getattr(self.cell, "output_size", None)
        if out is None:
            out = self.state_size[0]
        if isinstance(out, (list, tuple)):
            out = out[0]
        return int(out)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        out = self._output_size()
        output_shape = (batch, length, out) if self.return_sequences else (batch, out)
        if not self.return_state:
            return output_shape
        states = []
        for s in self.state_size:
            if isinstance(s, (list, tuple)):
                states.append([(batch, d) for d in s])
            else:
                states.append((batch, int(s)))
        return (output_shape, *states)

    def compute_output_spec(self, sequences, initial_state=None, mask=None, training=None):
        from ..symbolic import KerasTensor

        shapes = self.compute_output_shape(tuple(sequences.shape))
        dt = self.compute_dtype

        def spec(s):
            if isinstance(s, list):
                return [spec(o) for o in s]
            return KerasTensor(s, dt)

        if self.return_state:
            return tuple(spec(s) for s in shapes)
        return spec(shapes)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # -------------------------------------------------------------- calling
    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            init = fn(batch_size=batch_size)
            return list(init) if isinstance(init, (list, tuple)) else [init]
        xp = namespace()
        return [xp.zeros((batch_size, d), dtype=getattr(xp, self.cell.compute_dtype))
                for d in self.state_size]

    def _zero_states(self, xp, sequences, dtype, views=False):
        """Zero initial states on the inputs' framework and device; works with an
        unknown (symbolic) batch size. ``views``: broadcast views of one zero column
        (no copy; for a fused kernel, which reads them), else arrays of their own (the
        generic loop hands them to cells, which may write into them)."""
        cell_init = getattr(type(self.cell), "get_initial_state", None)
        if cell_init is not None and cell_init not in (_BaseCell.get_initial_state,
                                                       StackedRNNCells.get_initial_state):
            fw = framework_of(sequences)
            init = self.cell.get_initial_state(batch_size=sequences.shape[0])
            init = list(init) if isinstance(init, (list, tuple)) else [init]
            return [asarray(s, framework=fw) if framework_of(s) != fw else s for s in init]
        flat = sequences[:, 0, ...]
        flat = xp.reshape(flat, (-1, int(np.prod(flat.shape[1:])))) if flat.ndim != 2 else flat
        z1 = xp.zeros_like(flat[:, :1])
        if z1.dtype != dtype:
            z1 = xp.astype(z1, dtype)

        def make(size):
            if isinstance(size, (list, tuple)):
                return [make(s) for s in size]
            if views and isinstance(z1.shape[0], int):
                return xp.broadcast_to(z1, (z1.shape[0], int(size)))
            return xp.tile(z1, (1, int(size)))

        return [make(s) for s in self.state_size]

    def _prepare_dropout(self, cell, x0, h0, training):
        """Draw the dropout masks once per call, before the loop (so a jax scan body
        never advances a seed)."""
        if isinstance(cell, StackedRNNCells):
            for c, s in zip(cell.cells, h0):
                self._prepare_dropout(c, x0, s, training)
                s = list(s) if isinstance(s, (list, tuple)) else [s]
                x0, _ = _call_cell(c, x0, s, False)
        elif isinstance(cell, DropoutRNNCell) and training:
            h = h0[0] if isinstance(h0, (list, tuple)) else h0
            cell.get_dropout_mask(x0)
            cell.get_recurrent_dropout_mask(h)

    def _reset_dropout(self, cell):
        if isinstance(cell, StackedRNNCells):
            for c in cell.cells:
                self._reset_dropout(c)
        elif isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()

    def call(self, sequences, initial_state=None, mask=None, training=False):
        xp = namespace(sequences)
        name = type(self).__name__
        if sequences.ndim < 3:
            raise ValueError(f'{name} layer "{self.name}" expects inputs of rank >= 3 '
                             "(batch, timesteps, features); received shape "
                             f"{tuple(sequences.shape)}")
        dtype = getattr(xp, self.cell.compute_dtype if isinstance(self.cell, Layer)
                        else self.compute_dtype)
        if initial_state is not None:
            if not isinstance(initial_state, (list, tuple)):
                initial_state = [initial_state]
            initial_state = list(initial_state)
            if len(initial_state) != len(self.state_size):
                raise ValueError(
                    f'{name} layer "{self.name}" expects {len(self.state_size)} initial '
                    f"state(s) (state_size={self.state_size}); received "
                    f"{len(initial_state)}")
            fw = framework_of(sequences)

            def conv(s):
                if isinstance(s, (list, tuple)):
                    return [conv(o) for o in s]
                if framework_of(s) != fw:
                    s = asarray(s, framework=fw)
                return s if s.dtype == dtype else xp.astype(s, dtype)

            initial_state = [conv(s) for s in initial_state]
        if mask is not None:
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
            if mask is not None:
                if mask.ndim == 3:
                    mask = mask[..., 0]
                if mask.dtype != xp.bool:
                    mask = xp.astype(mask, xp.bool)
                if tuple(mask.shape[:2]) != tuple(sequences.shape[:2]) and None not in (
                        tuple(mask.shape[:2]) + tuple(sequences.shape[:2])):
                    raise ValueError(
                        f'{name} layer "{self.name}": the mask must have shape (batch, '
                        f"timesteps) = {tuple(sequences.shape[:2])}; received "
                        f"{tuple(mask.shape)}")
        training = bool(training)
        cell = self.cell
        fused = self._fused_call(sequences, initial_state, mask, training)
        if fused is not None:
            output, states = fused
            return (output, *states) if self.return_state else output
        if initial_state is None:
            initial_state = self._zero_states(xp, sequences, dtype)
        self._prepare_dropout(cell, sequences[:, 0, ...], initial_state, training)

        def step(x, states):
            out, new = _call_cell(cell, x, states, training)
            if not isinstance(new, (list, tuple)):
                new = [new]
            return out, list(new)

        try:
            last, outputs, states = time_loop(
                step, sequences, initial_state, mask=mask, go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
                zero_output_for_mask=self.zero_output_for_mask, unroll=self.unroll)
        finally:
            self._reset_dropout(cell)
        output = outputs if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    # -------------------------------------------------------------- config
    def _fused_call(self, sequences, initial_state, mask, training):
        """``(output, states)`` from a framework's fused kernel, or None to run the
        generic time loop (the default: any cell). ``initial_state`` None: zeros."""
        return None

    def get_config(self):
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize(self.cell),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


_CELL_ATTRS = ("units", "activation", "use_bias", "kernel_initializer",
               "recurrent_initializer", "bias_initializer", "kernel_regularizer",
               "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
               "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


def _cell_layer_config(self):
    """The config of an RNN layer that builds its own cell (SimpleRNN, LSTM, GRU,
    ConvLSTM): the cell's arguments flattened into the layer's, as Keras writes them."""
    config = RNN.get_config(self)
    del config["cell"]
    cell_config = self.cell.get_config()
    for k in ("name", "trainable", "dtype"):
        cell_config.pop(k, None)
    config.update(cell_config)
    config["activity_regularizer"] = serialize_simple(self.activity_regularizer)
    return config


def _from_flat_config(cls, config, custom_objects=None):
    return cls(**dict(config))


class _CellLayer(RNN):
    """An RNN layer built around one of the built-in cells (SimpleRNN, LSTM, GRU):
    constructor arguments are forwarded to the cell, attributes read from it."""

    _cell_class = None
    _cell_name = None

    def __init__(self, cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                 unroll, activity_regularizer, kwargs):
        kwargs.pop("implementation", None)
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__}: invalid value for argument "
                             "`use_cudnn`; expected one of {'auto', True, False}, received "
                             f"use_cudnn={use_cudnn!r}")
        zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        cell = self._cell_class(**cell_kwargs, dtype=kwargs.get("dtype"),
                                trainable=kwargs.get("trainable", True),
                                name=self._cell_name)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    _fused_kernel = None  # name of the framework shim's fused kernel (LSTM, GRU)

    def _fused_call(self, sequences, initial_state, mask, training):
        """The fused kernel when the configuration allows it, as Keras' cuDNN
        conditions: tanh/sigmoid activations, no recurrent dropout, no mask, not
        unrolled, ``use_cudnn`` not False, a shim kernel for the function (GRU with
        ``reset_after=False``: ``fused_gru_reset_before``, TF's CPU only), and the
        shim's ``fused_supported`` (where it has one: TF's device / dtype rules). Input
        dropout is one mask for every step, as the generic loop draws it."""
        cell = self.cell
        if (self._fused_kernel is None or self.use_cudnn is False or self.unroll
                or mask is not None or cell.recurrent_dropout
                or cell.activation is not activations.tanh
                or cell.recurrent_activation is not activations.sigmoid):
            return None
        name = self._fused_kernel
        if not getattr(cell, "reset_after", True):
            name += "_reset_before"  # a different function: only TF's CPU has a kernel
        fw = framework_of(sequences)
        mod = shim(fw, "layers.rnn") if fw else None
        kernel = getattr(mod, name, None)
        if kernel is None:
            return None
        # (the raw arrays, as reads inside call give them, without __getattr__'s cost)
        weights = tuple(cell._call_reads("kernel", "recurrent_kernel", "bias"))
        if any(w is not None and w.dtype != sequences.dtype for w in weights):
            return None  # e.g. float16 inputs with float32 weights: the generic loop
        supported = getattr(mod, "fused_supported", None)
        if supported is not None and not supported(name, sequences, *weights):
            return None  # the framework has no kernel for this device / dtype
        x = sequences
        if training and 0.0 < cell.dropout < 1.0:
            try:
                x = x * cell.get_dropout_mask(x[:, 0, ...])[:, None, ...]
            finally:
                cell.reset_dropout_mask()
        if self.go_backwards:  # outputs in processing order, as the generic loop
            x = namespace(x).flip(x, axis=1)
        if initial_state is None:  # read by the kernel, never written: zero views
            xp = namespace(sequences)
            initial_state = self._zero_states(xp, sequences, getattr(xp, cell.compute_dtype),
                                              views=True)
        outputs, *states = kernel(x, *initial_state, *weights)
        # the last output is the final h: that tensor, not a slice of the sequence (whose
        # gradient would be a zero (batch, time, units) array with one step filled)
        return (outputs if self.return_sequences else states[0]), states

    def __getattr__(self, name):
        if name in _CELL_ATTRS or name in ("recurrent_activation", "unit_forget_bias",
                                           "reset_after", "seed"):
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        return super().__getattr__(name)

    get_config = _cell_layer_config
    from_config = classmethod(_from_flat_config)


@register
class SimpleRNN(_CellLayer):
    """Keras' ``SimpleRNN(units, activation="tanh", use_bias=True, ...,
    return_sequences=False, return_state=False, go_backwards=False, stateful=False,
    unroll=False, seed=None)``."""

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                         unroll, activity_regularizer, kwargs)


@register
class LSTM(_CellLayer):
    """Keras' ``LSTM(units, activation="tanh", recurrent_activation="sigmoid", ...,
    unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, seed=None,
    return_sequences=False, return_state=False, go_backwards=False, stateful=False,
    unroll=False, use_cudnn="auto")``. Weights: kernel (input_dim, 4*units),
    recurrent_kernel (units, 4*units), bias (4*units,), gates ``i, f, c, o``."""

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
    _fused_kernel = "fused_lstm"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                         unroll, activity_regularizer, kwargs)


@register
class GRU(_CellLayer):
    """Keras' ``GRU(units, activation="tanh", recurrent_activation="sigmoid", ...,
    dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
    return_state=False, go_backwards=False, stateful=False, unroll=False,
    reset_after=True, use_cudnn="auto")``. Weights: kernel (input_dim, 3*units),
    recurrent_kernel (units, 3*units), bias (2, 3*units) with ``reset_after`` else
    (3*units,); gates ``z, r, h``."""

    _cell_class = GRUCell
    _cell_name = "gru_cell"
    _fused_kernel = "fused_gru"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed)
        super().__init__(cell_kwargs, return_sequences, return_state, go_backwards, stateful,
                         unroll, activity_regularizer, kwargs)
