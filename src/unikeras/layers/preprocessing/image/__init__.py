"""Keras 3's image preprocessing and augmentation layers, written once.

``base``: ``BaseImagePreprocessingLayer`` (the transformation split, dict inputs,
batched/unbatched images, seeds). One module per layer family beside it."""

from .base import BaseImagePreprocessingLayer  # noqa: F401
from .affine import RandomRotation, RandomShear, RandomTranslation, RandomZoom  # noqa: F401
from .crop import CenterCrop, RandomCrop  # noqa: F401
from .max_num_bounding_boxes import MaxNumBoundingBoxes  # noqa: F401
from .random_flip import RandomFlip  # noqa: F401
from .resizing import Resizing  # noqa: F401
from .warp import RandomElasticTransform, RandomPerspective  # noqa: F401
from .color import (AutoContrast, ContrastLimitedAdaptiveHistogramEqualization,  # noqa: F401
                    Equalization, RandomBrightness, RandomColorDegeneration,
                    RandomColorJitter, RandomContrast, RandomGaussianBlur, RandomGrayscale,
                    RandomHue, RandomInvert, RandomPosterization, RandomSaturation,
                    RandomSharpness, Solarization)
from .mix import CutMix, MixUp, RandomErasing  # noqa: F401
from .augment import AugMix, RandAugment  # noqa: F401
