"""Recurrent layers, written once: ``RNN(cell)``, ``SimpleRNN``, ``LSTM``, ``GRU``, their
cells and ``StackedRNNCells``.

``loop.py`` is the time loop (``time_loop``, a Python loop over the time axis on the
Array API); ``cells.py`` the cells; ``recurrent.py`` the layers. A framework may give a
fast path of ``time_loop`` in ``rnn/<framework>.py`` (the shim area ``layers.rnn``; jax:
``lax.scan`` when traced), and fused LSTM/GRU kernels (torch: ``torch.lstm``/``gru``;
TensorFlow: ``CudnnRNNV3`` on GPU, ``BlockLSTMV2`` on CPU with one intra-op thread).
"""

from .cells import DropoutRNNCell, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .loop import time_loop
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

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
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
]
