"""The recurrent time loop, written once against the Array API: a Python loop over the
time axis (``time_loop``). A framework may give a fast path of the same signature in
``unikeras.layers.rnn.<framework>`` (jax: ``lax.scan`` when traced). Masked steps carry
the states through unchanged and output the previous output (or zeros with
``zero_output_for_mask=True``), as Keras 3's ``backend.rnn`` does.
"""

from __future__ import annotations

from ...xp import framework_of, namespace, shim


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
    # the steps' inputs in one op (TF: one Unpack instead of a strided slice per step;
    # torch: one stack in the backward instead of a zero (batch, time, ...) gradient
    # per step); the same values
    unstack = getattr(xp, "unstack", None)
    per_step = unstack(inputs, axis=1) if unstack is not None else None
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        x_t = per_step[t] if per_step is not None else inputs[:, t, ...]
        out, new_states = step(x_t, states)
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
        mod = shim(fw, "layers.rnn") if fw else None
        impl = _loop_cache[fw] = getattr(mod, "time_loop", None) or _generic_time_loop
    return impl(step, inputs, initial_states, mask=mask, go_backwards=go_backwards,
                return_sequences=return_sequences,
                zero_output_for_mask=zero_output_for_mask, unroll=unroll)


time_loop.generic = _generic_time_loop
