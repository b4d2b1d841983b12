"""Keras 3 reference script for tests/ops/test_image_ops.py: a Functional model whose
graph holds keras.ops.image Operations, saved as OUT_DIR/image_ops.keras, with its
predictions on fixed inputs in OUT_DIR/refs.npz (``python _keras_image_model.py OUT_DIR``,
KERAS_BACKEND=jax)."""

import sys

import numpy as np

if __name__ == "__main__":
    import keras

    out = sys.argv[1]
    inp = keras.Input((12, 10, 3))
    x = keras.ops.image.resize(inp, (8, 8), interpolation="bicubic", antialias=True)
    x = keras.ops.image.crop_images(x, 1, 1, target_height=6, target_width=6)
    x = keras.ops.image.gaussian_blur(x, (3, 3), (1.0, 1.0), data_format="channels_last")
    x = keras.ops.image.extract_patches(x, 2)
    x = keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(seed=1))(x)
    model = keras.Model(inp, x)
    data = np.random.default_rng(0).uniform(0, 1, (2, 12, 10, 3)).astype("float32")
    model.save(f"{out}/image_ops.keras")
    np.savez(f"{out}/refs.npz", x=data, y=np.asarray(model.predict(data, verbose=0)))
