"""torch and tensorflow in one process, imported in either order, with one model."""

import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("tensorflow")

SCRIPT = """
import importlib, numpy as np
for name in {order!r}:
    importlib.import_module(name)
import torch, tensorflow as tf
import unikeras as keras
from unikeras import layers
model = keras.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = x[:, :2]
model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=1, verbose=0)
a = model(torch.from_numpy(x)).detach().numpy()
model.fit(tf.constant(x), tf.constant(y), epochs=1, verbose=0)
model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=1, verbose=0)
b = model(tf.constant(x)).numpy()
c = model(torch.from_numpy(x)).detach().numpy()
assert np.allclose(b, c, atol=1e-5), (b - c)
print("ok")
"""


@pytest.mark.parametrize("order", [("torch", "tensorflow"), ("tensorflow", "torch")])
def test_both_import_orders(order):
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(order=list(order))],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
