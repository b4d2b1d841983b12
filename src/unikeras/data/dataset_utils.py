"""Keras' dataset utilities: ``image_dataset_from_directory``,
``text_dataset_from_directory``, ``audio_dataset_from_directory``,
``timeseries_dataset_from_array`` and ``split_dataset``.

What they return is what Keras 3 returns: a ``tf.data.Dataset`` (``format="tf"``, the
default and the only format here; Keras' ``format="grain"`` is refused with a clear
error). tf.data is framework-neutral input for unikeras: ``model.fit`` takes the
dataset whatever framework trains the model, and its batches convert to any framework.
The directory walk, class order, label lists, shuffling of the file list and the
training/validation split are computed here on the host, exactly as Keras does them;
the TensorFlow file (``data/tensorflow.py``) only builds the tf.data pipeline (read,
decode, resize, shuffle buffer, batch), with the same ops and seeds as Keras, so the
same directory and seed give the same batches as Keras. Without TensorFlow installed
these functions raise an ImportError saying so. ``split_dataset`` follows Keras too:
tf.data for tf.data / array input (torch ``Dataset`` splits when the input is a torch
Dataset or ``preferred_backend="torch"``)."""

from __future__ import annotations

import os
import random as _pyrandom

import numpy as np

from ..xp._registry import is_installed, shim

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)
AUDIO_FORMATS = (".wav",)
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "gaussian", "mitchellcubic")


def _tf_builder(fn, format):
    if format == "grain":
        raise ValueError(f"{fn}: format='grain' (a grain.IterDataset) is not supported by "
                         "unikeras; use format='tf' (a tf.data.Dataset, usable with every "
                         "framework).")
    if format != "tf":
        raise ValueError(f'`format` should be either "tf" or "grain". Received: '
                         f"format={format}")
    if not is_installed("tensorflow"):
        raise ImportError(f"{fn} returns a tf.data.Dataset, as Keras does, and needs "
                          "TensorFlow: `pip install tensorflow-cpu` (the `tensorflow` "
                          "extra). The dataset then feeds a model on any framework.")
    return shim("tensorflow", "data")


def _say(verbose, msg):
    if verbose:
        print(msg)


# ---------------------------------------------------------------- directory indexing

def _valid_files(directory, follow_links, formats):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda w: w[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                yield root, fname


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` of the files under ``directory`` whose
    extension is in ``formats``, Keras' way: classes are the sorted subdirectories not
    starting with "." (or ``class_names``, in that order), files within a class are in
    sorted walk order, and ``shuffle`` permutes paths and labels with
    ``np.random.RandomState(seed)``."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"The directory {directory!r} does not exist or is not a "
                         "directory.")
    if labels == "inferred":
        subdirs = [d.rstrip("/") for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError("The `class_names` passed did not match the names of the "
                                 "subdirectories of the target directory. Expected: "
                                 f"{subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted "
                             "list of labels).")
    filenames, inferred = [], []
    for index, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        dirname = os.path.basename(root_dir)
        for root, fname in _valid_files(root_dir, follow_links, formats):
            rel = os.path.relpath(os.path.join(root, fname), root_dir)
            filenames.append(os.path.join(dirname, rel))
            inferred.append(index)
    if labels == "inferred":
        labels = np.asarray(inferred, dtype="int32")
        class_names = list(subdirs)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of "
                             f"files in the target directory. len(labels) is "
                             f"{len(labels)} while we found {len(filenames)} files in "
                             f"directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
    if labels is None:
        _say(verbose, f"Found {len(filenames)} files.")
    else:
        _say(verbose, f"Found {len(filenames)} files belonging to {len(class_names)} "
                      "classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            if not isinstance(labels, np.ndarray):
                labels = list(labels)
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """Keras' split: the last ``int(validation_split * n)`` samples are validation."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        _say(verbose, f"Using {len(samples) - n_val} files for training.")
        samples = samples[:-n_val]
        labels = labels[:-n_val] if labels is not None else None
    elif subset == "validation":
        _say(verbose, f"Using {n_val} files for validation.")
        samples = samples[-n_val:]
        labels = labels[-n_val:] if labels is not None else None
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", '
                         f"received: {subset}")
    return samples, labels


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and "
                         "inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, to make sure that there is no "
                         "overlap between the training and validation subset.")


def _check_labels(labels, label_mode, class_names, what):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"`labels` argument should be a list/tuple of integer "
                             f"labels, of the same size as the number of {what} files in "
                             "the target directory. If you wish to infer the labels from "
                             'the subdirectory names in the target directory, pass '
                             '`labels="inferred"`. If you wish to get a dataset that only '
                             f"contains {what} samples (no labels), pass `labels=None`. "
                             f"Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def _from_directory(fn, what, directory, labels, label_mode, class_names, formats,
                    batch_size, shuffle, seed, validation_split, subset, follow_links,
                    verbose, build):
    """The shared driver: index, split, then ``build(paths, labels, num_classes,
    shuffle, buffer_size, seed)`` per subset; sets ``class_names`` (and ``file_paths``
    where Keras does, through ``build``)."""
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, formats=formats, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    buffer = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    allowed = ", ".join(formats)

    def one(sub, shuffled):
        p, lab = training_or_validation_split(paths, labels, validation_split, sub,
                                              verbose=verbose)
        if not p:
            kind = {"training": "training ", "validation": "validation "}.get(
                sub if subset == "both" else None, "")
            raise ValueError(f"No {kind}{what} files found in directory {directory}. "
                             f"Allowed format(s): {allowed}")
        ds = build(list(p), lab, num_classes, shuffled, buffer, seed)
        ds.class_names = class_names
        return ds

    if subset == "both":
        return [one("training", shuffle), one("validation", False)]
    return one(subset, shuffle)


# ---------------------------------------------------------------- public loaders

def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, format="tf", verbose=True):
    """A ``tf.data.Dataset`` of ``(images, labels)`` batches from class subdirectories
    of image files (.bmp .gif .jpeg .jpg .png), as Keras 3: images float32
    ``(batch, height, width, channels)`` (channels first with that data format), labels
    int32 ``(batch,)`` / float32 one-hot / float32 ``(batch, 1)`` for "int" /
    "categorical" / "binary". Attributes ``class_names`` and ``file_paths``.
    ``subset="both"`` returns ``[train, validation]``."""
    fn = "image_dataset_from_directory"
    labels, label_mode = _check_labels(labels, label_mode, class_names, "image")
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can "
                         "be set to `True`.")
    from ..config import image_data_format

    data_format = data_format or image_data_format()
    tfu = _tf_builder(fn, format)

    def build(paths, labs, num_classes, shuffled, buffer, seed):
        ds = tfu.image_dataset(paths, labs, label_mode, num_classes, tuple(image_size),
                               channels, interpolation, data_format, crop_to_aspect_ratio,
                               pad_to_aspect_ratio, shuffled, buffer, seed, batch_size)
        ds.file_paths = paths
        return ds

    return _from_directory(fn, "image", directory, labels, label_mode, class_names,
                           IMAGE_FORMATS, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, verbose, build)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None,
                                subset=None, follow_links=False, format="tf",
                                verbose=True):
    """A ``tf.data.Dataset`` of ``(texts, labels)`` batches from class subdirectories of
    .txt files, as Keras 3: texts are string tensors ``(batch,)`` (the first
    ``max_length`` bytes if given). Attribute ``class_names``."""
    fn = "text_dataset_from_directory"
    labels, label_mode = _check_labels(labels, label_mode, class_names, "text")
    tfu = _tf_builder(fn, format)

    def build(paths, labs, num_classes, shuffled, buffer, seed):
        return tfu.text_dataset(paths, labs, label_mode, num_classes, max_length,
                                shuffled, buffer, seed, batch_size)

    return _from_directory(fn, "text", directory, labels, label_mode, class_names,
                           TEXT_FORMATS, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, verbose, build)


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False,
                                 validation_split=None, subset=None, shuffle=True,
                                 seed=None, follow_links=False, verbose=True):
    """A ``tf.data.Dataset`` of ``(audio, labels)`` batches from class subdirectories of
    .wav files, as Keras 3: float32 audio ``(batch, samples, channels)``, padded to the
    longest clip of the batch, cut/padded to ``output_sequence_length``, or ragged.
    ``sampling_rate`` (resampling) needs tensorflow-io, as in Keras. Attribute
    ``class_names``."""
    fn = "audio_dataset_from_directory"
    labels, label_mode = _check_labels(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError("`sampling_rate` should have an integer value. Received: "
                             f"sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. Received: "
                             f"sampling_rate={sampling_rate}")
        if not is_installed("tensorflow_io"):
            raise ImportError("To use the argument `sampling_rate`, you should install "
                              "tensorflow_io. You can install it via `pip install "
                              "tensorflow-io`.")
    tfu = _tf_builder(fn, "tf")

    def build(paths, labs, num_classes, shuffled, buffer, seed):
        return tfu.audio_dataset(paths, labs, label_mode, num_classes, sampling_rate,
                                 output_sequence_length, ragged, shuffled, buffer, seed,
                                 batch_size)

    return _from_directory(fn, "audio", directory, labels, label_mode, class_names,
                           AUDIO_FORMATS, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, verbose, build)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False,
                                  seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """A ``tf.data.Dataset`` of sliding windows over ``data`` (and the target at each
    window's start), as Keras 3: window ``i`` holds steps ``p, p + sampling_rate, ...``
    (``sequence_length`` of them) of ``data[start_index:end_index]``, with ``p`` the
    ``i``-th multiple of ``sequence_stride``; ``shuffle`` permutes the windows."""
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: "
                         f"sampling_rate={sampling_rate}")
    if sampling_rate >= n:
        raise ValueError(f"`sampling_rate` must be lower than the length of the data. "
                         f"Received: sampling_rate={sampling_rate}, for data of length {n}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: "
                         f"sequence_stride={sequence_stride}")
    if sequence_stride >= n:
        raise ValueError(f"`sequence_stride` must be lower than the length of the data. "
                         f"Received: sequence_stride={sequence_stride}, for data of "
                         f"length {n}")
    tfu = _tf_builder("timeseries_dataset_from_array", format)
    start_index = start_index or 0
    end_index = end_index or n
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    index_dtype = "int32" if num_seqs < 2147483647 else "int64"
    starts = np.arange(0, num_seqs, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    return tfu.timeseries_dataset(data, targets, starts, int(sequence_length),
                                  int(sampling_rate), start_index, end_index, batch_size,
                                  shuffle, seed)


# ---------------------------------------------------------------- split_dataset

def _is_tf_dataset(ds):
    return any(c.__name__ in ("DatasetV2", "Dataset") and "tensorflow" in c.__module__
               for c in type(ds).__mro__)


def _is_torch_dataset(ds):
    return any(c.__name__ == "Dataset" and c.__module__.startswith("torch.utils.data")
               for c in type(ds).__mro__)


def _split_sizes(left_size, right_size, total):
    """Keras' rules for the two sizes: ints are counts, floats fractions in (0, 1);
    None is the complement; each side must be non-empty."""
    for name, v in (("left_size", left_size), ("right_size", right_size)):
        if v is not None and type(v) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, "
                            f"Received: type({name})={type(v)}.")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be "
                         "specified. Received: left_size=None and right_size=None")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    for name, v in (("left_size", left_size), ("right_size", right_size)):
        if (type(v) is int and (v <= 0 or v >= total)) or (
                type(v) is float and (v <= 0 or v >= 1)):
            raise ValueError(f"`{name}` should be either a positive integer smaller than "
                             f"{total}, or a float within the range `[0, 1]`. Received: "
                             f"{name}={v}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It "
                         "must be less than or equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than "
                         f"the {total}. Received: left_size + right_size = "
                         f"{left + right}and total_length = {total}")
    for side, v in (("left", left), ("right", right)):
        if v == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and "
                             f"`right_size`={right}.Resulting {side} side dataset split "
                             "will be empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


def _samples(dataset):
    """The dataset as a list of samples (each a tuple of NumPy arrays, or one array)."""
    if isinstance(dataset, np.ndarray):
        return list(dataset)
    if isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(a) for a in dataset]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("split_dataset: the arrays of `dataset` must have the same "
                             f"length; received lengths {[len(a) for a in arrays]}")
        return [tuple(a[i] for a in arrays) for i in range(n)]
    return list(iter(dataset))


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split a ``tf.data.Dataset``, a torch ``Dataset``, an array or a list/tuple of
    same-length arrays into a left and a right dataset (``left_size``/``right_size``:
    counts or fractions). As Keras: two ``tf.data.Dataset`` (batched like a batched
    input), or two torch ``Dataset`` when the input is a torch Dataset or
    ``preferred_backend="torch"`` (or NumPy input with torch the default framework)."""
    if preferred_backend is None:
        if _is_torch_dataset(dataset):
            preferred_backend = "torch"
        elif _is_tf_dataset(dataset):
            preferred_backend = "tensorflow"
        elif isinstance(dataset, (list, tuple, np.ndarray)):
            from ..config import backend

            preferred_backend = backend()
        else:
            raise TypeError(f"Unsupported dataset type: {type(dataset)}")
    if preferred_backend == "torch":
        if not (_is_torch_dataset(dataset) or _is_tf_dataset(dataset)
                or isinstance(dataset, (list, tuple, np.ndarray))):
            raise TypeError("The `dataset` argument must be a `torch.utils.data.Dataset` "
                            "object, or a list/tuple of arrays. Received: "
                            f"dataset={dataset} of type {type(dataset)}")
        return shim("torch", "data").split_dataset(dataset, left_size, right_size, shuffle,
                                                    seed)
    if not (_is_tf_dataset(dataset) or isinstance(dataset, (list, tuple, np.ndarray))):
        raise TypeError("The `dataset` argument must be either a `tf.data.Dataset` "
                        "object, or a list/tuple of arrays. Received: "
                        f"dataset={dataset} of type {type(dataset)}")
    tfu = _tf_builder("split_dataset", "tf")
    samples = tfu.dataset_samples(dataset) if _is_tf_dataset(dataset) else _samples(dataset)
    if not samples:
        raise ValueError("Received an empty dataset. Argument `dataset` must be a "
                         "non-empty list/tuple of `numpy.ndarray` objects or "
                         "`tf.data.Dataset` objects.")
    if shuffle:
        if seed is None:
            seed = _pyrandom.randint(0, int(1e6))
        _pyrandom.seed(seed)
        _pyrandom.shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))
    return tfu.split_from_samples(samples[:left], samples[-right:], dataset)
