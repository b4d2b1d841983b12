"""Keras 3 preprocessing layers.

One module per family, so the families grow independently:

- ``core``: Rescaling, Normalization, CategoryEncoding (numeric, any framework).
- ``image/``: the image preprocessing and augmentation layers (a package: the base
  class, then one module per family).
- ``pipeline``: ``Pipeline``.
- text/categorical lookups and audio layers live in their own modules beside it and
  are re-exported here.
"""

from .core import CategoryEncoding, Normalization, Rescaling  # noqa: F401
from .lookup import IntegerLookup, StringLookup  # noqa: F401
from .hashing import HashedCrossing, Hashing  # noqa: F401
from .discretization import Discretization  # noqa: F401
from .text_vectorization import TextVectorization  # noqa: F401
from .image import (BaseImagePreprocessingLayer, CenterCrop, MaxNumBoundingBoxes,  # noqa: F401
                    RandomCrop, RandomFlip, RandomRotation, RandomShear, RandomTranslation,
                    RandomZoom, Resizing, RandomElasticTransform, RandomPerspective)
from .pipeline import Pipeline  # noqa: F401
from .audio import MelSpectrogram, STFTSpectrogram  # noqa: F401
from .image import AugMix, RandAugment  # noqa: F401
from .image import (AutoContrast, ContrastLimitedAdaptiveHistogramEqualization, CutMix,  # noqa: F401
                    Equalization, MixUp, RandomBrightness, RandomColorDegeneration,
                    RandomColorJitter, RandomContrast, RandomErasing, RandomGaussianBlur,
                    RandomGrayscale, RandomHue, RandomInvert, RandomPosterization,
                    RandomSaturation, RandomSharpness, Solarization)
