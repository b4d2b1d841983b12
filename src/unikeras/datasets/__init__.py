"""Keras' ``keras.datasets``: the real loaders, reading Keras' cache.

Each ``load_data()`` finds its file in ``$KERAS_HOME/datasets`` (default
``~/.keras/datasets``) under the name Keras uses, checks Keras' sha256/md5 of it, and
only if it is missing (or fails the check) fetches it from Keras' origin. Without
network access, place the files Keras downloads there (docs/datasets.md lists them):
``mnist.npz``, ``fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``,
``cifar-10-batches-py-target_archive`` (the cifar-10-python.tar.gz),
``cifar-100-python-target_archive`` (cifar-100-python.tar.gz), ``imdb.npz``,
``imdb_word_index.json``, ``reuters.npz``, ``reuters_word_index.json``,
``boston_housing.npz``, ``california_housing.npz``. Pickled and object-array files
are read without executing anything (``datasets/_common.py``)."""

from . import (  # noqa: F401
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
