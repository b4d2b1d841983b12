"""Per-framework fast paths for the recurrent time loop.

``unikeras.layers.rnn_kernels.<framework>`` may define ``time_loop`` with the signature
of ``unikeras.layers.rnn.time_loop``; ``rnn.time_loop`` picks it by the framework of the
inputs (resolved once per framework through ``unikeras.xp.shim``).
"""
