"""The benchmark workloads: shapes, synthetic data (fixed seed), analytic FLOP counts,
and one model builder shared by unikeras and Keras 3 (both speak the Keras 3 API).

Framework-free: NumPy only. The hand-written native models live in bench/native_*.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED = 1234

# W3 geometry
SEQ, WIDTH, HEADS, MLP = 64, 128, 4, 512
KEY_DIM = WIDTH // HEADS
# W5 geometry
T5, VOCAB5, EMB5, UNITS5 = 40, 2000, 32, 64


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    batch: int
    x_shape: tuple          # per sample
    n_classes: int          # 0: regression (MSE, 1 output)
    steps: int              # steps per timed measurement (fit / train_on_batch / native)
    vocab: int = 0          # > 0: integer token inputs in [0, vocab) (int32)
    serving: tuple = ()     # predict batch sizes measured for serving (W7)

    def data(self, n_batches):
        """Synthetic inputs and labels for ``n_batches`` batches (NumPy, float32; int32
        tokens for a text workload)."""
        rng = np.random.default_rng(SEED)
        n = n_batches * self.batch
        if self.vocab:
            x = rng.integers(0, self.vocab, size=(n, *self.x_shape)).astype(np.int32)
        else:
            x = rng.standard_normal((n, *self.x_shape), dtype=np.float32)
        if self.n_classes:
            y = rng.integers(0, self.n_classes, size=(n,)).astype(np.int32)
        else:
            y = rng.standard_normal((n, 1), dtype=np.float32)
        return x, y


W1 = Workload("W1", "MLP 784-512-512-10 relu, softmax CE, Adam, batch 128", 128, (784,), 10, 20)
W2 = Workload("W2", "ConvNet 28x28x1 Conv32-Pool-Conv64-Pool-Drop0.5-Dense10, Adam, batch 128",
              128, (28, 28, 1), 10, 6)
W3 = Workload("W3", "Transformer encoder block seq 64, width 128, 4 heads, MLP 512, LayerNorm, "
              "batch 32, Adam", 32, (64, 128), 10, 10)
# W4 steps take ~0.05-2 ms: 400 per measurement keep each measurement well above the
# scheduler's noise (60 gave 3-6 ms measurements whose medians moved by 30% run to run)
W4 = Workload("W4", "Tiny MLP 32-32-1, MSE, Adam, batch 32 (per-step overhead)", 32, (32,), 0, 400)

# W5: the classic Keras text classifier (embedding -> LSTM -> logits); the LSTM runs the
# framework's fused kernel where unikeras has one (torch) and a hand-written loop in the
# native jax/TF versions (lax.scan / an unrolled tf.function loop, as an expert writes it).
W5 = Workload("W5", "LSTM text classifier: tokens 40 (vocab 2000) -> Embedding 32 -> LSTM 64 "
              "-> Dense 2, Adam, batch 64", 64, (T5,), 2, 8, vocab=2000)
W6 = Workload("W6", "Small ResNet 32x32x3: Conv16-BN + 2 residual blocks (16, 32 stride 2, "
              "BN), GAP, Dense 10, Adam, batch 64", 64, (32, 32, 3), 10, 4)
# W7: serving latency: predict throughput of W1's MLP at batch 1 and batch 256 (fit is
# measured too, as W1 at batch 256: 16 steps, ~0.1 s per measurement, as W1's 20 steps;
# 4 steps gave 30 ms measurements whose medians moved by 15% run to run).
W7 = Workload("W7", "Serving: predict of the W1 MLP at batch 1 and batch 256 (samples/s)", 256,
              (784,), 10, 16, serving=(1, 256))

WORKLOADS = {w.key: w for w in (W1, W2, W3, W4, W5, W6, W7)}



# --------------------------------------------------------------------------- FLOPs
def _dense(n_in, n_out):
    return n_in * n_out  # MACs per sample


def macs_per_sample(key):
    """Multiply-accumulates of one forward pass for one sample, per layer: a list of
    (name, MACs, is_first_layer)."""
    if key == "W1":
        return [("dense1", _dense(784, 512), True), ("dense2", _dense(512, 512), False),
                ("dense3", _dense(512, 10), False)]
    if key == "W2":
        return [("conv1", 26 * 26 * 32 * (3 * 3 * 1), True),
                ("conv2", 11 * 11 * 64 * (3 * 3 * 32), False),
                ("dense", _dense(5 * 5 * 64, 10), False)]
    if key == "W3":
        L, d = SEQ, WIDTH
        return [("qkv", 3 * L * d * d, True), ("scores", L * L * d, False),
                ("attn@v", L * L * d, False), ("out_proj", L * d * d, False),
                ("mlp", 2 * L * d * MLP, False), ("head", _dense(d, 10), False)]
    if key == "W4":
        return [("dense1", _dense(32, 32), True), ("dense2", _dense(32, 1), False)]
    if key == "W5":  # the embedding is a gather (no MACs); its input needs no gradient
        return [("lstm", T5 * 4 * UNITS5 * (EMB5 + UNITS5), False),
                ("dense", _dense(UNITS5, 2), False)]
    if key == "W6":
        return [("conv0", 32 * 32 * 16 * 27, True),
                ("block1", 2 * 32 * 32 * 16 * 144, False),
                ("block2", 16 * 16 * 32 * (144 + 288 + 16), False),
                ("dense", _dense(32, 10), False)]
    if key == "W7":
        return macs_per_sample("W1")
    raise KeyError(key)


def flops(key, batch):
    """(forward FLOPs, training-step FLOPs) per batch, counting matmul/conv/attention
    products only (2 FLOPs per MAC; elementwise ops, softmax, norms, pooling and the
    optimizer ignored). A training step is the forward, the weight gradients (= forward)
    and the input gradients (= forward, except for the first layer, whose input needs
    none). The scores and attn@v products have no weights: their backward is two
    input-gradient products, which the same count gives."""
    layers = macs_per_sample(key)
    fwd = sum(m for _, m, _ in layers)
    train = 3 * fwd - sum(m for _, m, first in layers if first)
    return 2 * fwd * batch, 2 * train * batch


# --------------------------------------------------------------------------- models
def build_model(k, key):
    """The workload's model with the Keras 3 API of module ``k`` (``unikeras`` or
    ``keras``), compiled with Adam(1e-3). Logits + from_logits cross-entropy."""
    L = k.layers
    if key == "W1":
        model = k.Sequential([L.Input(shape=(784,)), L.Dense(512, activation="relu"),
                              L.Dense(512, activation="relu"), L.Dense(10)])
    elif key == "W2":
        model = k.Sequential([
            L.Input(shape=(28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
            L.Dropout(0.5), L.Dense(10)])
    elif key == "W3":
        inp = L.Input(shape=(SEQ, WIDTH))
        a = L.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM)(inp, inp)
        h = L.LayerNormalization()(L.Add()([inp, a]))
        f = L.Dense(MLP, activation="relu")(h)
        f = L.Dense(WIDTH)(f)
        h = L.LayerNormalization()(L.Add()([h, f]))
        out = L.Dense(10)(L.GlobalAveragePooling1D()(h))
        model = k.Model(inp, out)
    elif key == "W4":
        model = k.Sequential([L.Input(shape=(32,)), L.Dense(32, activation="relu"), L.Dense(1)])
    elif key == "W5":
        model = k.Sequential([L.Input(shape=(T5,), dtype="int32"), L.Embedding(VOCAB5, EMB5),
                              L.LSTM(UNITS5), L.Dense(2)])
    elif key == "W6":
        def conv_bn(h, filters, stride=1, relu=True, kernel=3):
            h = L.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(h)
            h = L.BatchNormalization()(h)
            return L.ReLU()(h) if relu else h

        def block(h, filters, stride):
            skip = h if stride == 1 else conv_bn(h, filters, stride, relu=False, kernel=1)
            r = conv_bn(conv_bn(h, filters, stride), filters, relu=False)
            return L.ReLU()(L.Add()([skip, r]))

        inp = L.Input(shape=(32, 32, 3))
        h = block(block(conv_bn(inp, 16), 16, 1), 32, 2)
        model = k.Model(inp, L.Dense(10)(L.GlobalAveragePooling2D()(h)))
    elif key == "W7":
        return build_model(k, "W1")
    else:
        raise KeyError(key)
    loss = (k.losses.SparseCategoricalCrossentropy(from_logits=True) if WORKLOADS[key].n_classes
            else k.losses.MeanSquaredError())
    model.compile(optimizer=k.optimizers.Adam(learning_rate=1e-3), loss=loss)
    return model


def glorot(rng, shape, fan_in, fan_out):
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=shape).astype(np.float32)


# W6: (name, in channels, out channels, kernel, stride) of every conv, in order
W6_CONVS = [("c0", 3, 16, 3, 1), ("b1a", 16, 16, 3, 1), ("b1b", 16, 16, 3, 1),
            ("b2a", 16, 32, 3, 2), ("b2b", 32, 32, 3, 1), ("b2s", 16, 32, 1, 2)]


def numpy_params(key, rng):
    """The hand-written loops' initial parameters (NumPy; the same values for the jax
    and TF loops, so they can be checked against each other)."""
    z = lambda *s: np.zeros(s, np.float32)  # noqa: E731
    if key == "W1":
        p = {"w1": glorot(rng, (784, 512), 784, 512), "b1": z(512),
             "w2": glorot(rng, (512, 512), 512, 512), "b2": z(512),
             "w3": glorot(rng, (512, 10), 512, 10), "b3": z(10)}
    elif key == "W2":
        p = {"k1": glorot(rng, (3, 3, 1, 32), 9, 288), "c1": z(32),
             "k2": glorot(rng, (3, 3, 32, 64), 288, 576), "c2": z(64),
             "w": glorot(rng, (1600, 10), 1600, 10), "b": z(10)}
    elif key == "W3":
        d = WIDTH
        p = {"wq": glorot(rng, (d, d), d, d), "bq": z(d), "wk": glorot(rng, (d, d), d, d),
             "bk": z(d), "wv": glorot(rng, (d, d), d, d), "bv": z(d),
             "wo": glorot(rng, (d, d), d, d), "bo": z(d),
             "g1": np.ones(d, np.float32), "be1": z(d), "g2": np.ones(d, np.float32), "be2": z(d),
             "wf1": glorot(rng, (d, MLP), d, MLP), "bf1": z(MLP),
             "wf2": glorot(rng, (MLP, d), MLP, d), "bf2": z(d),
             "wh": glorot(rng, (d, 10), d, 10), "bh": z(10)}
    elif key == "W4":
        p = {"w1": glorot(rng, (32, 32), 32, 32), "b1": z(32),
             "w2": glorot(rng, (32, 1), 32, 1), "b2": z(1)}
    elif key == "W5":
        u = UNITS5
        p = {"emb": rng.uniform(-0.05, 0.05, (VOCAB5, EMB5)).astype(np.float32),
             "wi": glorot(rng, (EMB5, 4 * u), EMB5, 4 * u),
             "wh": glorot(rng, (u, 4 * u), u, 4 * u), "b": z(4 * u),
             "wd": glorot(rng, (u, 2), u, 2), "bd": z(2)}
    elif key == "W6":
        p = {}
        for name, cin, cout, k, _ in W6_CONVS:
            p[name] = glorot(rng, (k, k, cin, cout), k * k * cin, k * k * cout)
            p[name + "_g"], p[name + "_b"] = np.ones(cout, np.float32), z(cout)
        p["wd"], p["bd"] = glorot(rng, (32, 10), 32, 10), z(10)
    elif key == "W7":
        return numpy_params("W1", rng)
    return p
