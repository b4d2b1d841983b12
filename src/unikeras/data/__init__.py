"""The data utilities behind ``keras.utils`` (dataset loaders, timeseries windows,
split_dataset, pad_sequences, to_categorical, normalize, the image file helpers,
get_file), ``keras.preprocessing`` and ``keras.datasets``. Host-side code (NumPy,
Pillow, the standard library); the framework containers they return are built by
``data/tensorflow.py`` (tf.data) and ``data/torch.py`` (torch Dataset splits)."""
