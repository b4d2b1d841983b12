"""TensorFlow fused recurrent kernels: LSTM and GRU as one whole-sequence op instead of
the time loop, where ``fused_supported`` says the kernel computes the layer's function.

* GPU (a logical GPU exists and the input is not placed on the CPU): ``CudnnRNNV3``, as
  Keras 3's own TF backend (``keras/src/backend/tensorflow/rnn.py``) calls it, for LSTM
  and GRU (``reset_after=True``), with ``use_bias`` (Keras' cuDNN condition). Keras'
  weights are packed into cuDNN's flat parameter vector on every call: each gate's
  kernel block transposed, LSTM input biases zero and the Keras bias as the recurrent
  bias, GRU gates ``z, r, h`` -> cuDNN's ``r, z, h`` and the ``(2, 3*units)`` bias as
  (input, recurrent). TF registers the kernel's gradient. **Not run here** (CPU-only
  machines): the code follows Keras' calls op for op.
* CPU: ``BlockLSTMV2`` (LSTM, no peephole) is TF's whole-sequence LSTM kernel. Its gate
  layout is ``i, f, c, o`` (Keras' order; ``BlockLSTM``/``LSTMBlockCell`` use ``i, c, f,
  o``), it has no forget bias, and ``cell_clip=0`` turns clipping off, so it computes
  Keras' LSTM with ``w = concat([kernel, recurrent_kernel])``. TF registers the V1
  gradient (``BlockLSTMGrad``, gate layout ``i, c, f, o``) for it, which is wrong for the
  V2 layout: the gradient here is ``BlockLSTMGradV2`` through ``tf.custom_gradient``.
  It is used where it measured faster than the loop: TF's intra-op pool has one thread
  (``CPU_BLOCK_LSTM``; docs/architecture.md, RNN section, has the figures); float32.
* CPU, GRU with ``reset_after=False``: TF has no whole-sequence GRU, but
  ``GRUBlockCell`` is one step of exactly this GRU (the default ``reset_after=True``
  is a different function): ``fused_gru_reset_before`` runs one per step, with its
  gradient from ``GRUBlockCellGrad`` (TF registers none). Measured faster than the loop
  with any thread count; float32.
"""

from __future__ import annotations

import contextlib
import os
import threading

import tensorflow as tf

# BlockLSTMV2 on CPU: "auto" uses it where it measured faster than the unrolled loop,
# i.e. when TF's intra-op thread pool has one thread (with more, the kernel splits its
# small per-step ops across the pool and costs more than the loop: docs/architecture.md,
# RNN section); True / False force it on / off.
CPU_BLOCK_LSTM = "auto"

_gpu = None


def _cpu_block_lstm():
    if CPU_BLOCK_LSTM != "auto":
        return bool(CPU_BLOCK_LSTM)
    # 0: not configured; TF then reads TF_NUM_INTRAOP_THREADS, else uses every core
    threads = (tf.config.threading.get_intra_op_parallelism_threads()
               or int(os.environ.get("TF_NUM_INTRAOP_THREADS") or 0) or os.cpu_count())
    return threads == 1


def _gpu_available():
    global _gpu
    if _gpu is None:
        _gpu = bool(tf.config.list_logical_devices("GPU"))
    return _gpu


def _on_gpu(x):
    if not _gpu_available():
        return False
    device = getattr(x, "device", "") or ""
    return "CPU" not in device.upper()


def _in_xla():
    """Tracing for XLA (``tf.function(jit_compile=True)``, ``compile(jit_compile=True)``):
    these kernels have no XLA lowering."""
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - another TF layout: the loop, always
        return True
    return tf.inside_function() and control_flow_util.GraphOrParentsInXlaContext(
        tf.compat.v1.get_default_graph())


class _Portable(threading.local):
    on = False


_PORTABLE = _Portable()


@contextlib.contextmanager
def portable_graphs():
    """Within: no fused kernel is traced, the loop is. For graphs that leave TensorFlow's
    process (SavedModel/TFLite/ONNX export): TFLite, tf2onnx and serving runtimes have no
    BlockLSTMV2, GRUBlockCell or CudnnRNNV3."""
    prev, _PORTABLE.on = _PORTABLE.on, True
    try:
        yield
    finally:
        _PORTABLE.on = prev


def fused_supported(name, x, kernel, recurrent_kernel, bias):
    """Whether ``name`` (``"fused_lstm"``, ``"fused_gru"``, ``"fused_gru_reset_before"``)
    runs a fused kernel for inputs ``x`` and these weights (the layer has already
    checked Keras' cuDNN conditions on the activations, dropout, mask and unroll). Never
    under XLA compilation, nor with an unknown number of timesteps, nor in
    ``portable_graphs`` (export)."""
    if x.shape[1] is None or _PORTABLE.on or _in_xla():
        return False
    if _on_gpu(x):
        return (name in ("fused_lstm", "fused_gru") and bias is not None
                and x.dtype in (tf.float16, tf.float32, tf.float64))
    if x.dtype != tf.float32:
        return False
    if name == "fused_gru_reset_before":
        return True
    return name == "fused_lstm" and _cpu_block_lstm()


# ------------------------------------------------------------------ CPU: BlockLSTMV2
@tf.custom_gradient
def _block_lstm(x, c0, h0, w, b):
    """``x`` time-major (time, batch, features) -> (cs, h), both (time, batch, units)."""
    units = tf.shape(h0)[-1]
    zeros = tf.zeros([units], x.dtype)
    seq_len = tf.cast(tf.shape(x)[0], tf.int64)
    i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(
        seq_len_max=seq_len, x=x, cs_prev=c0, h_prev=h0, w=w, wci=zeros, wcf=zeros,
        wco=zeros, b=b, cell_clip=0.0, use_peephole=False)

    def grad(d_cs, d_h):
        d_cs = tf.zeros_like(cs) if d_cs is None else d_cs
        d_h = tf.zeros_like(h) if d_h is None else d_h
        g = tf.raw_ops.BlockLSTMGradV2(
            seq_len_max=seq_len, x=x, cs_prev=c0, h_prev=h0, w=w, wci=zeros, wcf=zeros,
            wco=zeros, b=b, i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=d_cs,
            h_grad=d_h, use_peephole=False)
        return g[0], g[1], g[2], g[3], g[7]

    return (cs, h), grad


def _cpu_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    w = tf.concat([kernel, recurrent_kernel], axis=0)
    b = tf.zeros([tf.shape(w)[1]], x.dtype) if bias is None else tf.convert_to_tensor(bias)
    cs, h = _block_lstm(tf.transpose(x, [1, 0, 2]), c0, h0, w, b)
    return tf.transpose(h, [1, 0, 2]), h[-1], cs[-1]


# ------------------------------------------------------------------ CPU: GRUBlockCell
@tf.custom_gradient
def _gru_block_step(x, h, w_ru, w_c, b_ru, b_c):
    """One step of the ``reset_after=False`` GRU; TF registers no gradient for the op:
    ``GRUBlockCellGrad`` gives the pre-activation gradients, the weights' are the
    matmuls of the step's inputs with them."""
    r, u, c, h_new = tf.raw_ops.GRUBlockCell(x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru,
                                             b_c=b_c)

    def grad(d_h):
        d_x, d_h_prev, d_c_bar, d_ru_bar = tf.raw_ops.GRUBlockCellGrad(
            x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c, r=r, u=u, c=c, d_h=d_h)
        d_w_ru = tf.matmul(tf.concat([x, h], 1), d_ru_bar, transpose_a=True)
        d_w_c = tf.matmul(tf.concat([x, h * r], 1), d_c_bar, transpose_a=True)
        return (d_x, d_h_prev, d_w_ru, d_w_c, tf.reduce_sum(d_ru_bar, 0),
                tf.reduce_sum(d_c_bar, 0))

    return h_new, grad


def fused_gru_reset_before(x, h0, kernel, recurrent_kernel, bias):
    """The ``reset_after=False`` GRU as one ``GRUBlockCell`` per step (CPU): Keras'
    ``hh = tanh(x W_h + b_h + (r * h) U_h)``, ``h' = z * h + (1 - z) * hh`` is the
    cell's formula with ``w_ru = [[W_r, W_z], [U_r, U_z]]`` (its gates are ``r, u``;
    Keras' ``z, r``), ``w_c = [[W_h], [U_h]]``. ``x`` (batch, time, features) ->
    (outputs (batch, time, units), h)."""
    u = recurrent_kernel.shape[0]
    w_ru = tf.concat([tf.concat([kernel[:, u:2 * u], kernel[:, :u]], 1),
                      tf.concat([recurrent_kernel[:, u:2 * u], recurrent_kernel[:, :u]], 1)],
                     0)
    w_c = tf.concat([kernel[:, 2 * u:], recurrent_kernel[:, 2 * u:]], 0)
    if bias is None:
        b_ru, b_c = tf.zeros([2 * u], x.dtype), tf.zeros([u], x.dtype)
    else:
        b_ru, b_c = tf.concat([bias[u:2 * u], bias[:u]], 0), bias[2 * u:]
    h, outputs = h0, []
    for x_t in tf.unstack(x, axis=1):
        h = _gru_block_step(x_t, h, w_ru, w_c, b_ru, b_c)
        outputs.append(h)
    return tf.stack(outputs, axis=1), h


# ------------------------------------------------------------------ GPU: CudnnRNNV3
def _cudnn_params(weights, biases):
    """cuDNN's flat parameter vector: each ``(in, units)`` gate block transposed and
    flattened, then the bias vectors."""
    return tf.concat([tf.reshape(tf.transpose(w), [-1]) for w in weights]
                     + [tf.reshape(b, [-1]) for b in biases], axis=0)


def _cudnn(x, h0, c0, params, mode):
    batch, steps = tf.shape(x)[0], tf.shape(x)[1]
    outputs, h, c, _, _ = tf.raw_ops.CudnnRNNV3(
        input=x, input_h=tf.expand_dims(h0, 1),
        input_c=0 if c0 is None else tf.expand_dims(c0, 1), params=params,
        is_training=True, rnn_mode=mode, sequence_lengths=tf.fill([batch], steps),
        time_major=False)
    return outputs, tf.squeeze(h, 1), (None if c0 is None else tf.squeeze(c, 1))


def _gpu_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    weights = tf.split(kernel, 4, axis=1) + tf.split(recurrent_kernel, 4, axis=1)
    biases = tf.split(tf.concat([tf.zeros_like(bias), bias], 0), 8)
    if tf.sysconfig.get_build_info().get("is_rocm_build"):  # MIOpen: i, f, o, c
        order = (0, 1, 3, 2, 4, 5, 7, 6)
        weights = [weights[j] for j in order]
        biases = [biases[j] for j in order]
    return _cudnn(x, h0, c0, _cudnn_params(weights, biases), "lstm")


def _gpu_gru(x, h0, kernel, recurrent_kernel, bias):
    weights = tf.split(kernel, 3, axis=1) + tf.split(recurrent_kernel, 3, axis=1)
    biases = tf.split(tf.reshape(bias, [-1]), 6)
    if tf.sysconfig.get_build_info().get("is_cuda_build"):  # cuDNN: r, z, h
        for j, k in ((0, 1), (3, 4)):
            weights[j], weights[k] = weights[k], weights[j]
            biases[j], biases[k] = biases[k], biases[j]
    outputs, h, _ = _cudnn(x, h0, None, _cudnn_params(weights, biases), "gru")
    return outputs, h


# ------------------------------------------------------------------ the shim's kernels
def fused_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    """``x`` (batch, time, features) -> (outputs (batch, time, units), h, c)."""
    if _on_gpu(x):
        return _gpu_lstm(x, h0, c0, kernel, recurrent_kernel, bias)
    return _cpu_lstm(x, h0, c0, kernel, recurrent_kernel, bias)


def fused_gru(x, h0, kernel, recurrent_kernel, bias):
    """``x`` (batch, time, features) -> (outputs (batch, time, units), h); ``bias`` is
    Keras' ``(2, 3*units)`` reset_after bias (GPU only: ``fused_supported``)."""
    return _gpu_gru(x, h0, kernel, recurrent_kernel, bias)
