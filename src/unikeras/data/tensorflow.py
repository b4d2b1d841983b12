"""TensorFlow's part of the data utilities: the tf.data pipelines they return
(``data/dataset_utils.py`` does the directory walk, labels, shuffling of the file list
and the splits on the host; here the same tf.data ops and seeds as Keras 3 read, decode,
resize, shuffle and batch)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _labeled(paths, labels, label_mode, num_classes, shuffle, buffer, seed):
    """(path, label) or path elements, shuffled with Keras' buffer and seed."""
    ds = tf.data.Dataset.from_tensor_slices(paths)
    if label_mode:
        lab = tf.data.Dataset.from_tensor_slices(np.asarray(labels))
        if label_mode == "binary":
            lab = lab.map(lambda y: tf.expand_dims(tf.cast(y, "float32"), axis=-1),
                          num_parallel_calls=tf.data.AUTOTUNE)
        elif label_mode == "categorical":
            lab = lab.map(lambda y: tf.one_hot(y, num_classes),
                          num_parallel_calls=tf.data.AUTOTUNE)
        ds = tf.data.Dataset.zip((ds, lab))
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer or 1024, seed=seed)
    return ds


def _map_x(ds, labeled, fn):
    if labeled:
        return ds.map(lambda x, y: (fn(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE)


def _batched(ds, batch_size):
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def image_dataset(paths, labels, label_mode, num_classes, image_size, channels,
                  interpolation, data_format, crop, pad, shuffle, buffer, seed, batch_size):
    h, w = image_size

    def load(path):
        img = tf.image.decode_image(tf.io.read_file(path), channels=channels,
                                    expand_animations=False)
        if crop:
            shape = tf.shape(img)
            height, width = shape[0], shape[1]
            # smart_resize's crop (image_utils.crop_box) with traced sizes
            ch = tf.maximum(tf.minimum(height, tf.cast(
                tf.cast(width * h, "float32") / w, "int32")), 1)
            cw = tf.maximum(tf.minimum(width, tf.cast(
                tf.cast(height * w, "float32") / h, "int32")), 1)
            top = tf.cast(tf.cast(height - ch, "float32") / 2, "int32")
            left = tf.cast(tf.cast(width - cw, "float32") / 2, "int32")
            img = img[top:top + ch, left:left + cw, :]
            img = tf.image.resize(img, image_size, method=interpolation)
        elif pad:
            img = tf.image.resize_with_pad(img, h, w, method=interpolation)
        else:
            img = tf.image.resize(img, image_size, method=interpolation)
        if data_format == "channels_first":
            img = tf.transpose(img, (2, 0, 1))
            img.set_shape((channels, h, w))
        else:
            img.set_shape((h, w, channels))
        return img

    ds = _labeled(paths, labels, label_mode, num_classes, shuffle, buffer, seed)
    return _batched(_map_x(ds, bool(label_mode), load), batch_size)


def text_dataset(paths, labels, label_mode, num_classes, max_length, shuffle, buffer, seed,
                 batch_size):
    def load(path):
        txt = tf.io.read_file(path)
        if max_length is not None:
            txt = tf.strings.substr(txt, 0, max_length)
        return txt

    ds = _labeled(paths, labels, label_mode, num_classes, shuffle, buffer, seed)
    return _batched(_map_x(ds, bool(label_mode), load), batch_size)


def audio_dataset(paths, labels, label_mode, num_classes, sampling_rate,
                  output_sequence_length, ragged, shuffle, buffer, seed, batch_size):
    def load(path):
        audio, rate = tf.audio.decode_wav(tf.io.read_file(path),
                                          desired_samples=output_sequence_length or -1)
        if sampling_rate is not None:
            import tensorflow_io as tfio

            audio = tfio.audio.resample(input=audio, rate_in=tf.cast(rate, tf.int64),
                                        rate_out=sampling_rate)
        if ragged:
            audio = tf.RaggedTensor.from_tensor(audio)
        return audio

    ds = _labeled(paths, labels, label_mode, num_classes, shuffle, buffer, seed)
    ds = _map_x(ds, bool(label_mode), load).prefetch(tf.data.AUTOTUNE)
    if batch_size is not None:
        if output_sequence_length is None and not ragged:
            ds = ds.padded_batch(batch_size)
        else:
            ds = ds.batch(batch_size)
    return ds


def timeseries_dataset(data, targets, starts, sequence_length, sampling_rate, start_index,
                       end_index, batch_size, shuffle, seed):
    steps = data[start_index:end_index]
    offsets = np.arange(sequence_length, dtype=starts.dtype) * starts.dtype.type(
        sampling_rate)
    windows = tf.data.Dataset.from_tensor_slices(starts)
    const = tf.constant(np.asarray(steps)) if isinstance(steps, np.ndarray) else steps
    ds = windows.map(lambda p: tf.gather(const, p + offsets),
                     num_parallel_calls=tf.data.AUTOTUNE)
    if targets is not None:
        tsteps = targets[start_index:end_index]
        tconst = tf.constant(np.asarray(tsteps)) if isinstance(tsteps, np.ndarray) else tsteps
        ds = tf.data.Dataset.zip((ds, windows.map(lambda p: tf.gather(tconst, p))))
    ds = ds.prefetch(tf.data.AUTOTUNE)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        ds = ds.batch(batch_size)
    elif shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds


def dataset_samples(dataset):
    """A tf.data dataset as a list of NumPy samples (unbatched first if it is batched)."""
    if hasattr(dataset, "_batch_size"):
        dataset = dataset.unbatch()
    return list(dataset.as_numpy_iterator())


def split_from_samples(left, right, original):
    """Two tf.data datasets from lists of samples, batched like ``original``."""
    def restack(samples):
        first = samples[0]
        if isinstance(first, dict):
            return {k: np.stack([s[k] for s in samples]) for k in first}
        if isinstance(first, (tuple, list)):
            return tuple(restack([s[i] for s in samples]) for i in range(len(first)))
        return np.stack([np.asarray(s) for s in samples])

    out = []
    batch = getattr(original, "_batch_size", None)
    for part in (left, right):
        ds = tf.data.Dataset.from_tensor_slices(restack(part))
        if batch is not None:
            ds = ds.batch(int(batch))
        out.append(ds.prefetch(tf.data.AUTOTUNE))
    return tuple(out)
