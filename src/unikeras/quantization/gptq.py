"""GPTQ (Frantar et al. 2022) as Keras 3.15 runs it (its config: ``quantizers.GPTQConfig``),
written once against the Array API.

Per quantized layer (``[rows, columns]`` kernel, ``W = kernel.T``):

1. Hessian of the layer's inputs ``X`` (``[n, rows]``, every calibration token): a
   running ``H = 2/N sum x x^T`` (each batch's Gram matrix symmetrised, older batches
   decayed by ``N_prev / N``), in float32.
2. Dead inputs (``H_ii = 0``) get ``H_ii = 1``; the diagonal is damped by
   ``hessian_damping * mean(diag H)``; ``Hinv = inv(H)`` (Keras inverts directly; no
   Cholesky factor of the inverse as the reference implementation uses).
3. With ``activation_order``, columns are processed by decreasing ``diag(H)`` (a stable
   order, ties by index).
4. Column by column within blocks of 128: the group's scale and zero are computed
   (once per group of ``group_size`` columns, from the current, error-corrected
   weights), the column quantized, its error ``(w - dq) / Hinv_jj`` pushed onto the
   block's later columns (``- err * Hinv_j,k``) and, after the block, onto all later
   columns through ``Hinv[block, rest]``.
5. ``g_idx[c] = c / group_size`` (float32, in processing order, mapped back to the
   original column order), ``kernel_scale``/``kernel_zero`` ``[columns, n_groups]``;
   4-bit values are packed two per byte along the output axis (``pack_int4``, uint8).
"""

from __future__ import annotations

from ..xp import namespace
from .common import (compute_quantization_parameters, dequantize_with_zero_point,
                     quantize_with_zero_point)


def _stable_descending(xp, metric):
    n = int(metric.shape[0])
    jitter = xp.astype(xp.arange(n), xp.float32) / float(n)
    return xp.argsort(-(metric + jitter * 1e-12), stable=True)


def gptq_quantize_matrix(weights_t, inv_hessian, *, blocksize=128, group_size=-1,
                         activation_order=False, order_metric=None, find_params=None):
    """Keras' ``gptq_quantize_matrix``: ``(quantized [out, in] (float values 0..maxq),
    scale [out, n_groups], zero [out, n_groups], g_idx [in] float32)`` for the
    transposed kernel ``weights_t`` and the inverse Hessian."""
    xp = namespace(weights_t, inv_hessian)
    in_features = int(weights_t.shape[1])
    if activation_order:
        if order_metric is None:
            order_metric = 1.0 / (xp.linalg.diagonal(inv_hessian) + 1e-12)
        else:
            order_metric = xp.astype(order_metric, xp.float32)
            order_metric = xp.where(xp.isfinite(order_metric), order_metric,
                                    xp.zeros_like(order_metric))
        perm = _stable_descending(xp, order_metric)
        inv_perm = xp.argsort(perm, stable=True)
        weights_t = xp.take(weights_t, perm, axis=1)
        inv_hessian = xp.take(xp.take(inv_hessian, perm, axis=0), perm, axis=1)
    buf = weights_t
    group = in_features if group_size == -1 else group_size
    q_cols, scales, zeros = [], [], []
    # a group's parameters are computed once, at its first column (Keras recomputes them
    # when a group straddles two blocks of 128 and then fails to assign the extra chunk)
    cached, cached_start = None, -1
    # Every step works on whole arrays of fixed shapes (columns picked with ``take``, the
    # update of the later columns masked) so that JAX compiles each eager op once per
    # layer rather than once per column; the arithmetic is Keras' (masked entries
    # subtract an exact zero).
    for b0 in range(0, in_features, blocksize):
        b1 = min(b0 + blocksize, in_features)
        width = b1 - b0
        block = buf[:, b0:b1]
        hinv = inv_hessian[b0:b1, b0:b1]
        later = xp.arange(width)
        errs = []
        for j in range(width):
            col = b0 + j
            start = (col // group) * group if group != in_features else 0
            if start != cached_start:
                # from the weights as they were when this block began (Keras reads its
                # buffer, which the in-block corrections do not touch)
                src = buf if group == in_features else xp.take(
                    buf, xp.asarray(list(range(start, min(start + group, in_features)))),
                    axis=1)
                cached = find_params(src)
                scales.append(cached[0])
                zeros.append(cached[1])
                cached_start = start
            scale, zero, maxq = cached
            jj = xp.asarray([j])
            w = xp.take(block, jj, axis=1)
            q = quantize_with_zero_point(w, scale, zero, maxq)
            q_cols.append(q)
            h_row = xp.take(hinv, jj, axis=0)
            err = (w - dequantize_with_zero_point(q, scale, zero)) / xp.take(h_row, jj, axis=1)
            errs.append(err)
            if j < width - 1:
                h_tail = xp.where(later > j, h_row, xp.zeros_like(h_row))
                block = block - xp.matmul(err, h_tail)
        if b1 < in_features:
            total = xp.matmul(xp.concat(errs, axis=1), inv_hessian[b0:b1, b1:])
            buf = xp.concat([buf[:, :b1], buf[:, b1:] - total], axis=1)
    quantized = xp.concat(q_cols, axis=1)
    g_idx = xp.astype(xp.arange(in_features), xp.float32) / float(group)
    if activation_order:
        g_idx = xp.take(g_idx, inv_perm, axis=0)
        quantized = xp.take(quantized, inv_perm, axis=1)
    return quantized, xp.concat(scales, axis=1), xp.concat(zeros, axis=1), g_idx


class GPTQ:
    """One layer's GPTQ state (Keras' ``GPTQ``): the running Hessian of its inputs, and
    ``quantize_and_correct_layer`` writing the layer's GPTQ variables."""

    def __init__(self, layer, config):
        from .common import kernel_rows_columns

        self.layer, self.config = layer, config
        self.rows, self.columns = kernel_rows_columns(layer._wq_float_kernel().shape)
        self.hessian = None
        self.num_samples = 0

    def update(self, x):
        """Fold a batch of the layer's inputs (``[..., rows]``) into the Hessian."""
        if x is None:
            raise ValueError("Input tensor cannot be None.")
        xp = namespace(x)
        if len(x.shape) < 2:
            raise ValueError(f"Input tensor must have rank >= 2 (got rank {len(x.shape)}).")
        x = xp.astype(xp.reshape(x, (-1, self.rows)), xp.float32)
        n = int(x.shape[0])
        if n == 0:
            raise ValueError("Input tensor cannot be empty.")
        gram = xp.matmul(xp.matrix_transpose(x), x)
        gram = (gram + xp.matrix_transpose(gram)) / 2.0
        total = self.num_samples + n
        if self.hessian is None:
            self.hessian = xp.zeros((self.rows, self.rows), dtype=xp.float32)
        if self.num_samples > 0:
            self.hessian = self.hessian * (self.num_samples / total)
        self.hessian = self.hessian + (2.0 / total) * gram
        self.num_samples = total

    def quantize_and_correct_layer(self, blocksize=128):
        layer, cfg = self.layer, self.config
        kernel = layer._wq_float_kernel_2d()
        xp = namespace(kernel)
        h = self.hessian
        if h is None:  # never called: Keras' zero Hessian
            h = xp.zeros((self.rows, self.rows), dtype=xp.float32)
        diag = xp.linalg.diagonal(h)
        dead = diag == 0.0
        diag = xp.where(dead, xp.ones_like(diag), diag)
        eye = xp.eye(self.rows, dtype=h.dtype)
        h = h + eye * xp.where(dead, xp.ones_like(diag), xp.zeros_like(diag))[None, :]
        diag = diag + cfg.hessian_damping * xp.mean(diag)
        h = h - eye * xp.linalg.diagonal(h)[None, :] + eye * diag[None, :]
        hinv = xp.linalg.inv(h)
        bits = cfg.weight_bits

        def find_params(t):
            return compute_quantization_parameters(
                t, bits=bits, symmetric=cfg.symmetric, per_channel=cfg.per_channel,
                group_size=cfg.group_size)

        q, scale, zero, g_idx = gptq_quantize_matrix(
            xp.matrix_transpose(kernel), hinv, blocksize=blocksize,
            group_size=cfg.group_size, activation_order=cfg.activation_order,
            order_metric=xp.linalg.diagonal(h), find_params=find_params)
        layer._wq_finish(q, scale, zero, g_idx)
