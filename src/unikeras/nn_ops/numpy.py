"""NumPy fast paths for unikeras.nn_ops (NumPy is the inference backend): convolution
and pooling through strided views and tensordot/matmul. Same names and signatures as
the generic ops."""

from __future__ import annotations

import numpy as np
