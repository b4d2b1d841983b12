"""Keras 3 preprocessing layers.

One module per family, so the families grow independently:

- ``core``: Rescaling, Normalization, CategoryEncoding (numeric, any framework).
- image layers, text/categorical lookups and audio layers live in their own
  modules beside it and are re-exported here.
"""

from .core import CategoryEncoding, Normalization, Rescaling  # noqa: F401
