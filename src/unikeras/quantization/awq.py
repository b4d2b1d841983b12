"""AWQ (Lin et al. 2023) as Keras 3.15 runs it (its config: ``quantizers.AWQConfig``),
written once against the Array API.

Per quantized layer (``W = kernel.T``, ``[columns, rows]``): the calibration records the
largest ``|x|`` of each input channel (``x_max``, values under 1e-8 taken as 1). A grid
search over ``ratio = i / num_grid_points`` (``i = 0..num_grid_points``) tries the
channel scales ``s = max(x_max ** ratio, 1e-4)`` normalised by ``sqrt(max(s) min(s))``,
quantizes ``W * s`` (4-bit, asymmetric, per row or per group of ``group_size``) and keeps
the ``s`` with the smallest ``mean(((W - dq(W * s) / s) * x_max) ** 2)`` (the first on
ties). The layer stores the packed 4-bit ``W * s`` quantized, its ``kernel_scale`` and
``kernel_zero``, ``awq_scales = s`` and ``g_idx``; a call uses ``dq / awq_scales``.
"""

from __future__ import annotations

from ..xp import namespace
from .common import (compute_quantization_parameters, dequantize_with_sz_map,
                     dequantize_with_zero_point, quantize_with_sz_map,
                     quantize_with_zero_point)


def _quantize(xp, w, group_size):
    """4-bit asymmetric quantization of ``w`` (per row, or by groups of columns):
    ``(q, scale, zero, g_idx or None)``."""
    scale, zero, maxq = compute_quantization_parameters(
        w, bits=4, symmetric=False, per_channel=True, group_size=group_size)
    if group_size == -1:
        return quantize_with_zero_point(w, scale, zero, maxq), scale, zero, None
    g_idx = xp.arange(int(w.shape[1])) // group_size
    g_idx = xp.astype(g_idx, xp.int32)
    return quantize_with_sz_map(w, scale, zero, g_idx, maxq), scale, zero, g_idx


def awq_search_optimal_scales(weights, activation_magnitudes, *, num_grid_points=20,
                              group_size=-1):
    """Keras' ``awq_search_optimal_scales``: the per-input-channel scales ``[in]`` of the
    grid point with the smallest activation-weighted reconstruction error."""
    xp = namespace(weights, activation_magnitudes)
    x_max = xp.astype(activation_magnitudes, xp.float32)
    x_max = xp.where(x_max < 1e-8, xp.ones_like(x_max), x_max)
    best_loss, best = None, xp.ones_like(x_max)
    for i in range(num_grid_points + 1):
        ratio = i / num_grid_points
        s = xp.ones_like(x_max) if ratio == 0 else xp.pow(x_max, ratio)
        s = xp.maximum(s, xp.asarray(1e-4, dtype=s.dtype))
        mean = xp.sqrt(xp.max(s) * xp.min(s))
        s = s / xp.maximum(mean, xp.asarray(1e-8, dtype=mean.dtype))
        ws = weights * s
        q, scale, zero, g_idx = _quantize(xp, ws, group_size)
        dq = dequantize_with_zero_point(q, scale, zero) if g_idx is None \
            else dequantize_with_sz_map(q, scale, zero, g_idx)
        loss = xp.mean((weights - dq / s) ** 2 * x_max ** 2)
        if best_loss is None or bool(loss < best_loss):
            best_loss, best = loss, s
    return best


def awq_quantize_matrix(weights_t, activation_magnitudes, *, num_grid_points=20,
                        group_size=-1):
    """Keras' ``awq_quantize_matrix``: ``(quantized [out, in], scale, zero, awq_scales
    [in], g_idx [in] float32)``."""
    xp = namespace(weights_t)
    s = awq_search_optimal_scales(weights_t, activation_magnitudes,
                                  num_grid_points=num_grid_points, group_size=group_size)
    q, scale, zero, g_idx = _quantize(xp, weights_t * s, group_size)
    in_features = int(weights_t.shape[1])
    g_idx = xp.zeros((in_features,), dtype=xp.float32) if g_idx is None \
        else xp.astype(g_idx, xp.float32)
    return q, scale, zero, s, g_idx


class AWQ:
    """One layer's AWQ state (Keras' ``AWQ``): the running per-channel ``max |x|`` of its
    inputs, and ``quantize_layer`` writing the layer's AWQ variables."""

    def __init__(self, layer, config):
        from .common import kernel_rows_columns

        self.layer, self.config = layer, config
        self.rows, self.columns = kernel_rows_columns(layer._wq_float_kernel().shape)
        self.activation_magnitudes = None
        self.num_samples = 0

    def update(self, x):
        if x is None:
            raise ValueError("Input tensor cannot be None.")
        xp = namespace(x)
        x = xp.astype(xp.reshape(x, (-1, self.rows)), xp.float32)
        if int(x.shape[0]) == 0:
            raise ValueError("Input tensor cannot be empty.")
        batch_max = xp.max(xp.abs(x), axis=0)
        if self.activation_magnitudes is None:
            self.activation_magnitudes = xp.zeros((self.rows,), dtype=xp.float32)
        self.activation_magnitudes = xp.maximum(self.activation_magnitudes, batch_max)
        self.num_samples += int(x.shape[0])

    def quantize_layer(self):
        kernel = self.layer._wq_float_kernel_2d()
        xp = namespace(kernel)
        mags = self.activation_magnitudes
        if mags is None:
            mags = xp.zeros((self.rows,), dtype=xp.float32)
        q, scale, zero, s, g_idx = awq_quantize_matrix(
            xp.matrix_transpose(kernel), mags, num_grid_points=self.config.num_grid_points,
            group_size=self.config.group_size)
        self.layer._wq_finish(q, scale, zero, g_idx, awq_scales=s)
