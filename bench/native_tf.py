"""Hand-written TensorFlow training loops, Keras-free: tf.Variables, a forward pass
from tf.nn ops, ``tf.function`` + ``GradientTape``, and Adam written with tf ops."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from workloads import HEADS, KEY_DIM, MLP, SEQ, WIDTH, glorot


def init_params(key, rng):
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
    return {k: tf.Variable(v, name=k) for k, v in p.items()}


def _ln(x, g, b, eps=1e-3):
    m, v = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - m) * tf.math.rsqrt(v + eps) * g + b


def forward(key, p, x, seed=None, training=False):
    if key == "W1":
        h = tf.nn.relu(x @ p["w1"] + p["b1"])
        h = tf.nn.relu(h @ p["w2"] + p["b2"])
        return h @ p["w3"] + p["b3"]
    if key == "W2":
        h = tf.nn.relu(tf.nn.conv2d(x, p["k1"], 1, "VALID") + p["c1"])
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.conv2d(h, p["k2"], 1, "VALID") + p["c2"])
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.reshape(h, [tf.shape(h)[0], -1])
        if training:
            h = tf.nn.experimental.stateless_dropout(h, 0.5, seed=seed)
        return h @ p["w"] + p["b"]
    if key == "W3":
        B = tf.shape(x)[0]
        split = lambda t: tf.reshape(t, [B, SEQ, HEADS, KEY_DIM])  # noqa: E731
        q = split(x @ p["wq"] + p["bq"])
        k = split(x @ p["wk"] + p["bk"])
        v = split(x @ p["wv"] + p["bv"])
        s = tf.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(KEY_DIM).astype(np.float32)
        a = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", tf.nn.softmax(s, axis=-1), v), [B, SEQ, WIDTH])
        h = _ln(x + a @ p["wo"] + p["bo"], p["g1"], p["be1"])
        f = tf.nn.relu(h @ p["wf1"] + p["bf1"]) @ p["wf2"] + p["bf2"]
        h = _ln(h + f, p["g2"], p["be2"])
        return tf.reduce_mean(h, axis=1) @ p["wh"] + p["bh"]
    if key == "W4":
        return tf.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    raise KeyError(key)


class Adam:
    """Adam with tf ops on tf.Variables (Keras' formulation)."""

    def __init__(self, variables, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.vars = variables
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = [tf.Variable(tf.zeros_like(v)) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v)) for v in variables]
        self.t = tf.Variable(0.0)

    def apply(self, grads):
        t = self.t.assign_add(1.0)
        alpha = self.lr * tf.sqrt(1.0 - tf.pow(self.b2, t)) / (1.0 - tf.pow(self.b1, t))
        for var, g, m, v in zip(self.vars, grads, self.m, self.v):
            m.assign_add((g - m) * (1.0 - self.b1))
            v.assign_add((tf.square(g) - v) * (1.0 - self.b2))
            var.assign_sub(alpha * m / (tf.sqrt(v) + self.eps))


class Native:
    def __init__(self, key, device="cpu"):
        self.key = key
        self.params = init_params(key, np.random.default_rng(0))
        variables = list(self.params.values())
        self.opt = Adam(variables)
        self.step_count = tf.Variable(0, dtype=tf.int64)
        regression = key == "W4"

        @tf.function(autograph=False)
        def step(x, y):
            seed = tf.stack([tf.constant(0, tf.int64), self.step_count.assign_add(1)])
            with tf.GradientTape() as tape:
                out = forward(key, self.params, x, seed, training=True)
                if regression:
                    loss = tf.reduce_mean(tf.square(out - y))
                else:
                    loss = tf.reduce_mean(
                        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out))
            self.opt.apply(tape.gradient(loss, variables))
            return loss

        self._step = step
        self._predict = tf.function(lambda x: forward(key, self.params, x), autograph=False)
        self.loss = None

    def to_batch(self, x, y):
        return tf.constant(x), tf.constant(y)

    def step(self, batch):
        self.loss = self._step(*batch)

    def sync(self):
        return float(self.loss.numpy())

    def predict(self, x):
        return self._predict(x)

    def sync_out(self, out):
        out.numpy()


def matmul_fn(n):
    a = tf.constant(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
    return lambda: (a @ a).numpy()
