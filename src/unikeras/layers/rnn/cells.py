"""Recurrent cells, written once: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``,
``StackedRNNCells`` and the ``DropoutRNNCell`` mixin.

Weights and gate orders are Keras 3's: LSTM kernels are ``(input_dim, 4*units)`` with
gates ``i, f, c, o``; GRU kernels ``(input_dim, 3*units)`` with gates ``z, r, h`` and,
with ``reset_after=True`` (the default), a bias of shape ``(2, 3*units)`` (input bias,
recurrent bias).
"""

from __future__ import annotations

import numpy as np

from ... import activations, constraints, initializers, regularizers
from ...state import SeedGenerator
from ...utils.serialization import register, serialize_simple
from ...xp import namespace, random as _random
from ..serialization import deserialize, serialize
from ..layer import _call_params, Layer


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
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "recurrent_initializer": serialize_simple(self.recurrent_initializer),
            "bias_initializer": serialize_simple(self.bias_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "recurrent_regularizer": serialize_simple(self.recurrent_regularizer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
            "recurrent_constraint": serialize_simple(self.recurrent_constraint),
            "bias_constraint": serialize_simple(self.bias_constraint),
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
        config = super().get_config()
        config["cells"] = [serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
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
