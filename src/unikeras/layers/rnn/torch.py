"""PyTorch fused recurrent kernels: LSTM and GRU (``reset_after=True``) run as one
``torch.lstm`` / ``torch.gru`` call (the ATen kernels behind ``torch.nn.LSTM``/``GRU``:
oneDNN on CPU, cuDNN on GPU) instead of a Python loop of per-step ops.

Keras keeps its weight layout; the kernels get views (LSTM: transposed copies) of it:

* LSTM: Keras gates ``i, f, c, o`` are torch's ``i, f, g, o``, so ``weight_ih`` is
  ``kernel.T`` and ``weight_hh`` is ``recurrent_kernel.T``; Keras' single bias is
  ``bias_ih`` with a zero ``bias_hh``.
* GRU: Keras gates ``z, r, h`` become torch's ``r, z, n`` (a column permutation);
  ``reset_after=True`` is torch's formula (``n = tanh(W_in x + b_in + r * (W_hn h +
  b_hn))``, ``h' = (1 - z) * n + z * h``) with the bias rows ``(input, recurrent)``.

Autograd flows through the kernels to the Keras variables.
"""

from __future__ import annotations

import torch


def _gru_order(w, u):
    """Columns ``z, r, h`` (Keras) -> ``r, z, h`` (torch), last axis."""
    return torch.cat([w[..., u:2 * u], w[..., :u], w[..., 2 * u:]], dim=-1)


def fused_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    """``x`` (batch, time, features) -> (outputs (batch, time, units), h, c). The
    transposed kernels are made contiguous here, once per call: the kernel needs them
    so and would otherwise copy the views in the forward and again in the backward."""
    params = [kernel.T.contiguous(), recurrent_kernel.T.contiguous()]
    if bias is not None:
        params += [bias, torch.zeros_like(bias)]
    out, h, c = torch.lstm(x, [h0[None], c0[None]], params, bias is not None, 1, 0.0,
                           False, False, True)
    return out, h[0], c[0]


def fused_gru(x, h0, kernel, recurrent_kernel, bias):
    """``x`` (batch, time, features) -> (outputs (batch, time, units), h); ``bias`` is
    Keras' ``(2, 3*units)`` reset_after bias or None."""
    u = recurrent_kernel.shape[0]
    params = [_gru_order(kernel, u).T, _gru_order(recurrent_kernel, u).T]
    if bias is not None:
        b = _gru_order(bias, u)
        params += [b[0], b[1]]
    out, h = torch.gru(x, h0[None], params, bias is not None, 1, 0.0, False, False, True)
    return out, h[0]
