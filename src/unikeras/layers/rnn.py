"""Recurrent layers, written once: ``RNN(cell)``, ``SimpleRNN``, ``LSTM``, ``GRU``, their
cells, and ``StackedRNNCells``.

The time loop (``time_loop``) is written once against the Array API: a Python loop over
the time axis. A framework may give a fast path of the same signature in
``unikeras.layers.rnn_kernels.<framework>`` (jax: ``lax.scan`` when traced). Masked
steps carry the states through unchanged and output the previous output (or zeros with
``zero_output_for_mask=True``), as Keras 3's ``backend.rnn`` does.

Weights, shapes and gate orders are Keras 3's: LSTM kernels are ``(input_dim, 4*units)``
with gates ``i, f, c, o``; GRU kernels ``(input_dim, 3*units)`` with gates ``z, r, h``
and, with ``reset_after=True`` (the default), a bias of shape ``(2, 3*units)`` (input
bias, recurrent bias).
"""

from __future__ import annotations

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..state import SeedGenerator
from ..utils.serialization import register, serialize_simple
from ..xp import asarray, framework_of, namespace, shim
from ..xp import random as _random
from .input_spec import InputSpec
from .layer import Layer, _call_params

__all__ = [
    "time_loop",
    "RNN",
    "SimpleRNNCell",
    "SimpleRNN",
    "LSTMCell",
    "LSTM",
    "GRUCell",
    "GRU",
    "StackedRNNCells",
]


def _ser(obj):
    return serialize_simple(obj) if obj is not None and not isinstance(obj, str) else obj


# --------------------------------------------------------------------------- time loop
def _expand_like(m, x):
    """``m`` of shape (batch,) indexed to broadcast against ``x`` (batch, ...)."""
    return m[(slice(None),) + (None,) * (x.ndim - 1)]


def _flat_states(states):
    out = []
    for s in states:
        if isinstance(s, (list, tuple)):
            out.extend(_flat_states(s))
        else:
            out.append(s)
    return out


def _pack_states(structure, flat):
    it = iter(flat)

    def pack(s):
        if isinstance(s, (list, tuple)):
            return [pack(o) for o in s]
        return next(it)

    return [pack(s) for s in structure]


def _first_state(states):
    """The previous output: the first state (of the last cell, for stacked cells)."""
    s = states[0]
    if isinstance(s, (list, tuple)):
        last = states[-1]
        return last[0] if isinstance(last, (list, tuple)) else last
    return s


def _generic_time_loop(step, inputs, initial_states, mask=None, go_backwards=False,
                       return_sequences=True, zero_output_for_mask=False, unroll=False):
    xp = namespace(inputs)
    steps = inputs.shape[1]
    if steps is None:
        raise ValueError(
            "RNN: the number of timesteps must be known to run the time loop; received "
            f"inputs of shape {tuple(inputs.shape)}")
    if steps == 0:
        raise ValueError("RNN: received inputs with 0 timesteps (shape "
                         f"{tuple(inputs.shape)}); at least one is needed")
    states = list(initial_states)
    outputs = []
    last = None
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        out, new_states = step(inputs[:, t, ...], states)
        if mask is not None:
            keep = mask[:, t]
            if zero_output_for_mask:
                prev = xp.zeros_like(out)
            else:
                prev = _first_state(states)
            out = xp.where(_expand_like(keep, out), out, prev)
            flat_new = [xp.where(_expand_like(keep, n), n, s)
                        for n, s in zip(_flat_states(new_states), _flat_states(states))]
            new_states = _pack_states(new_states, flat_new)
        states = list(new_states)
        last = out
        if return_sequences:
            outputs.append(out)
    return last, (xp.stack(outputs, axis=1) if return_sequences else None), states


_loop_cache: dict = {}


def time_loop(step, inputs, initial_states, mask=None, go_backwards=False,
              return_sequences=True, zero_output_for_mask=False, unroll=False):
    """Run ``step(x_t, states) -> (output_t, new_states)`` over axis 1 of ``inputs``.

    ``mask``: bool (batch, time) or None; where False, the step's states are not
    updated and its output is the previous output (``states[0]``) or zeros with
    ``zero_output_for_mask``. With ``go_backwards`` the steps run from last to first
    and the outputs are stacked in that (processing) order, as in Keras.

    Returns ``(last_output, outputs, final_states)``; ``outputs`` (batch, time, ...) is
    None unless ``return_sequences``.
    """
    fw = framework_of(inputs)
    try:
        impl = _loop_cache[fw]
    except KeyError:
        mod = shim(fw, "layers.rnn_kernels") if fw else None
        impl = _loop_cache[fw] = getattr(mod, "time_loop", None) or _generic_time_loop
    return impl(step, inputs, initial_states, mask=mask, go_backwards=go_backwards,
                return_sequences=return_sequences,
                zero_output_for_mask=zero_output_for_mask, unroll=unroll)


time_loop.generic = _generic_time_loop


# --------------------------------------------------------------------------- cells
class DropoutRNNCell:
    """Mixin for cells with ``dropout`` / ``recurrent_dropout``: one mask per call of the
    RNN layer (the same mask at every step), drawn from ``self.seed_generator``.
    ``dropout_mask_count`` (set when ``recurrent_dropout`` is used, as in Keras'
    implementation 1) gives one mask per gate."""

    dropout_mask_count = None

    def _make_dropout_mask(self, like, rate):
        ones = namespace(like).ones_like(like)
        if self.dropout_mask_count is None:
            return _random.dropout(ones, rate, seed=self.seed_generator)
        return [_random.dropout(ones, rate, seed=self.seed_generator)
                for _ in range(self.dropout_mask_count)]

    def _cached_dropout_mask(self, key, step_input, rate):
        mask = self.__dict__.get(key)
        if mask is None and rate > 0:
            mask = self._make_dropout_mask(step_input, rate)
            self.__dict__[key] = mask
        return mask

    def get_dropout_mask(self, step_input):
        return self._cached_dropout_mask("_dropout_mask", step_input, self.dropout)

    def get_recurrent_dropout_mask(self, step_input):
        return self._cached_dropout_mask("_recurrent_dropout_mask", step_input,
                                         self.recurrent_dropout)

    def reset_dropout_mask(self):
        self.__dict__["_dropout_mask"] = None

    def reset_recurrent_dropout_mask(self):
        self.__dict__["_recurrent_dropout_mask"] = None


def _masked_matmul(x, kernel, mask, gates, units):
    """``x @ kernel`` with dropout ``mask``: None, one array, or one array per gate
    (then each gate's block of columns sees its own masked copy of ``x``)."""
    if mask is None:
        return x @ kernel
    if not isinstance(mask, (list, tuple)):
        return (x * mask) @ kernel
    xp = namespace(x)
    return xp.concat([(x * mask[g]) @ kernel[:, g * units:(g + 1) * units]
                      for g in range(gates)], axis=-1)


class _BaseCell(DropoutRNNCell, Layer):
    """Shared constructor pieces of the built-in cells."""

    _gates = 1

    def __init__(self, units, activation, use_bias, kernel_initializer,
                 recurrent_initializer, bias_initializer, kernel_regularizer,
                 recurrent_regularizer, bias_regularizer, kernel_constraint,
                 recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                f"{type(self).__name__}: received an invalid value for argument `units`, "
                f"expected a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        if self.recurrent_dropout > 0 and self._gates > 1:
            self.dropout_mask_count = self._gates
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.output_size = self.units

    def _add_kernels(self, input_shape, width):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f'{type(self).__name__} "{self.name}": the last dimension of '
                             f"the inputs must be known; received input_shape={input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, width), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)

    def _add_bias(self, shape, initializer):
        if not self.use_bias:
            self.bias = None
            return
        self.bias = self.add_weight(shape=shape, name="bias", initializer=initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint)

    def _dropout_masks(self, inputs, h_tm1, training):
        if not training:
            return None, None
        dp = self.get_dropout_mask(inputs) if 0.0 < self.dropout < 1.0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if 0.0 < self.recurrent_dropout < 1.0 else None)
        return dp, rdp

    def get_initial_state(self, batch_size=None):
        """Zero states (compute dtype) in the default framework's namespace."""
        xp = namespace()
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [
            self.state_size]
        return [xp.zeros((batch_size, d), dtype=getattr(xp, self.compute_dtype))
                for d in sizes]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        out = tuple(inputs_shape[:-1]) + (self.units,)
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [
            self.state_size]
        return out, [tuple(inputs_shape[:-1]) + (d,) for d in sizes]

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "recurrent_initializer": _ser(self.recurrent_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "recurrent_regularizer": _ser(self.recurrent_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "recurrent_constraint": _ser(self.recurrent_constraint),
            "bias_constraint": _ser(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config


@register
class SimpleRNNCell(_BaseCell):
    """Keras' ``SimpleRNNCell(units, activation="tanh", use_bias=True, ...)``:
    ``h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)``."""

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape, self.units)
        self._add_bias((self.units,), self.bias_initializer)
        self.built = True

    def call(self, sequence, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        dp, rdp = self._dropout_masks(sequence, prev, training)
        h = _masked_matmul(sequence, self.kernel, dp, 1, self.units)
        if self.bias is not None:
            h = h + self.bias
        out = h + _masked_matmul(prev, self.recurrent_kernel, rdp, 1, self.units)
        out = self.activation(out)
        return out, ([out] if isinstance(states, (list, tuple)) else out)


@register
class LSTMCell(_BaseCell):
    """Keras' ``LSTMCell(units, activation="tanh", recurrent_activation="sigmoid",
    use_bias=True, ..., unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0,
    seed=None)``. Gates in Keras order ``i, f, c, o``; states ``[h, c]``."""

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        u = self.units
        self._add_kernels(input_shape, 4 * u)
        init = self.bias_initializer
        if self.unit_forget_bias:
            base = self.bias_initializer

            def init(shape, dtype=None):
                return np.concatenate([np.asarray(base((u,), dtype)),
                                       np.asarray(initializers.Ones()((u,), dtype)),
                                       np.asarray(base((2 * u,), dtype))])
        self._add_bias((4 * u,), init)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        u = self.units
        dp, rdp = self._dropout_masks(inputs, h_tm1, training)
        z = _masked_matmul(inputs, self.kernel, dp, 4, u)
        z = z + _masked_matmul(h_tm1, self.recurrent_kernel, rdp, 4, u)
        if self.bias is not None:
            z = z + self.bias
        ra = self.recurrent_activation
        i = ra(z[:, :u])
        f = ra(z[:, u:2 * u])
        c = f * c_tm1 + i * self.activation(z[:, 2 * u:3 * u])
        o = ra(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


@register
class GRUCell(_BaseCell):
    """Keras' ``GRUCell(units, activation="tanh", recurrent_activation="sigmoid",
    use_bias=True, ..., reset_after=True, seed=None)``. Gates in Keras order
    ``z, r, h``; ``h = z * h_prev + (1 - z) * hh``. With ``reset_after`` (cuDNN / torch
    convention) the bias has shape ``(2, 3*units)``."""

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        u = self.units
        self._add_kernels(input_shape, 3 * u)
        self._add_bias((2, 3 * u) if self.reset_after else (3 * u,), self.bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        dp, rdp = self._dropout_masks(inputs, h_tm1, training)
        if self.bias is None:
            in_bias = rec_bias = None
        elif self.reset_after:
            in_bias, rec_bias = self.bias[0, ...], self.bias[1, ...]
        else:
            in_bias, rec_bias = self.bias, None
        mx = _masked_matmul(inputs, self.kernel, dp, 3, u)
        if in_bias is not None:
            mx = mx + in_bias
        rk = self.recurrent_kernel
        if isinstance(rdp, (list, tuple)):
            h_z, h_r, h_h = h_tm1 * rdp[0], h_tm1 * rdp[1], h_tm1 * rdp[2]
        elif rdp is not None:
            h_z = h_r = h_h = h_tm1 * rdp
        else:
            h_z = h_r = h_h = h_tm1
        if h_z is h_r:
            inner = h_z @ (rk if self.reset_after else rk[:, :2 * u])
        else:
            xp = namespace(inputs)
            parts = [h_z @ rk[:, :u], h_r @ rk[:, u:2 * u]]
            if self.reset_after:
                parts.append(h_h @ rk[:, 2 * u:])
            inner = xp.concat(parts, axis=-1)
        if rec_bias is not None:
            inner = inner + rec_bias
        ra = self.recurrent_activation
        z = ra(mx[:, :u] + inner[:, :u])
        r = ra(mx[:, u:2 * u] + inner[:, u:2 * u])
        if self.reset_after:
            rh = r * inner[:, 2 * u:]
        else:
            rh = (r * h_h) @ rk[:, 2 * u:]
        hh = self.activation(mx[:, 2 * u:] + rh)
        h = z * h_tm1 + (1 - z) * hh
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


@register
class StackedRNNCells(Layer):
    """Keras' ``StackedRNNCells(cells)``: several cells run as one, each feeding the
    next; the state is the list of the cells' states."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell) or "state_size" not in dir(cell):
                raise ValueError("StackedRNNCells: every cell needs a `call` method and a "
                                 f"`state_size` attribute; received {cell!r}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        out = getattr(last, "output_size", None)
        if out is not None:
            return out
        s = last.state_size
        return s[0] if isinstance(s, (list, tuple)) else s

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
            out = getattr(cell, "output_size", None)
            if out is None:
                s = cell.state_size
                out = s[0] if isinstance(s, (list, tuple)) else s
            shape = shape[:-1] + (out,)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            single = not isinstance(state, (list, tuple))
            out = _call_cell(cell, inputs, [state] if single else list(state), training)
            inputs, st = out
            if not isinstance(st, (list, tuple)):
                st = [st]
            new_states.append(st[0] if single else list(st))
        return inputs, new_states

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            st = fn(batch_size=batch_size)
            out.append(st if isinstance(cell.state_size, (list, tuple)) else st[0])
        return out

    def get_config(self):
        from . import serialize

        config = super().get_config()
        config["cells"] = [serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _call_cell(cell, x, states, training):
    """Call a cell inside the RNN's call: a Layer cell's ``call`` directly (its
    variables already read as raw arrays there), anything else through ``__call__``."""
    if isinstance(cell, Layer):
        if _call_params(type(cell))[0]:
            return cell.call(x, states, training=training)
        return cell.call(x, states)
    return cell(x, states)


# --------------------------------------------------------------------------- layers
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
        from .symbolic import KerasTensor

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

    def _zero_states(self, xp, sequences, dtype):
        """Zero initial states on the inputs' framework and device; works with an
        unknown (symbolic) batch size."""
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
        if initial_state is None:
            initial_state = self._zero_states(xp, sequences, dtype)
        else:
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
    def get_config(self):
        from . import serialize

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
        from . import deserialize

        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


_CELL_ATTRS = ("units", "activation", "use_bias", "kernel_initializer",
               "recurrent_initializer", "bias_initializer", "kernel_regularizer",
               "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
               "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


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

    def __getattr__(self, name):
        if name in _CELL_ATTRS or name in ("recurrent_activation", "unit_forget_bias",
                                           "reset_after", "seed"):
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        return super().__getattr__(name)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell_config.pop(k, None)
        config.update(cell_config)
        config["activity_regularizer"] = _ser(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**dict(config))


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
