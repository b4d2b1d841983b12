"""``unikeras.ops``: Keras 3's ``keras.ops`` namespace, written once against the Array
API standard.

An op with array inputs runs in their framework and returns that framework's array; an
op with no array input (``ops.arange(5)``, ``ops.zeros((2, 3))``) and ops on NumPy
arrays, lists or scalars run on the default framework
(``unikeras.xp.default_framework()``). Arrays of two frameworks in one call raise a
TypeError naming both. Submodule-style access works as in Keras: ``ops.nn.relu``,
``ops.linalg.svd``, ``ops.numpy.add``, ``ops.math.top_k``, ``ops.core.cond``.
"""

from __future__ import annotations

from . import autodiff, core, einops, image, linalg, math, nn, np_api, segment, signal
from .core import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .np_api import *  # noqa: F401,F403
from .einops import rearrange  # noqa: F401
from .autodiff import custom_gradient, jvp  # noqa: F401

numpy = np_api

# keras.ops.numpy also exposes these core/math names
from .linalg import norm  # noqa: E402,F401

__all__ = sorted(set(core.__all__) | set(linalg.__all__) | set(math.__all__) | set(nn.__all__)
                 | set(np_api.__all__) | set(einops.__all__)
                 | set(autodiff.__all__)
                 | {"nn", "linalg", "numpy", "math", "core", "image"})

# ops called on KerasTensors record graph nodes (ops/_symbolic.py)
from . import _symbolic  # noqa: E402

_symbolic.install(globals(), __all__, (core, einops, linalg, math, nn, np_api, segment, signal)
                  + np_api.MODULES)
_symbolic.install(vars(image), image.__all__, (image,), prefix="image.")
