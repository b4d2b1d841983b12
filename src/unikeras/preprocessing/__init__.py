"""Keras' ``keras.preprocessing``: the dataset loaders and the ``image`` and
``sequence`` helpers under their Keras 3 module names (the same functions as in
``keras.utils``)."""

from ..data.dataset_utils import (  # noqa: F401
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from . import image, sequence  # noqa: F401
