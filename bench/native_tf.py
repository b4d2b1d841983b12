"""Hand-written TensorFlow training loops, Keras-free: tf.Variables, a forward pass
from tf.nn ops, ``tf.function`` + ``GradientTape``, and Adam written with tf ops."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from workloads import HEADS, KEY_DIM, MLP, SEQ, T5, UNITS5, W6_CONVS, WIDTH, numpy_params


def init_params(key, rng):
    return {k: tf.Variable(v, name=k) for k, v in numpy_params(key, rng).items()}


def init_state(key):
    """W6's BatchNorm moving statistics (non-trainable tf.Variables)."""
    if key != "W6":
        return {}
    return {n + s: tf.Variable((tf.zeros if s == "_m" else tf.ones)(c), trainable=False)
            for n, _, c, _, _ in W6_CONVS for s in ("_m", "_v")}


def _lstm(p, x):
    """Keras gate order; the recurrence unrolled over the 40 steps inside the
    tf.function (faster on CPU than a while_loop), the inputs split time-major once
    (per-step strided slices of a batch-major projection measured 2x slower)."""
    u = UNITS5
    steps = tf.unstack(tf.transpose(x, [1, 0, 2]), num=T5)  # time-major, one per step
    h = c = tf.zeros([tf.shape(x)[0], u])
    for x_t in steps:
        z = x_t @ p["wi"] + p["b"] + h @ p["wh"]
        i, f = tf.sigmoid(z[:, :u]), tf.sigmoid(z[:, u:2 * u])
        c = f * c + i * tf.tanh(z[:, 2 * u:3 * u])
        h = tf.sigmoid(z[:, 3 * u:]) * tf.tanh(c)
    return h


def _resnet(p, state, x, training):
    def conv_bn(h, name, relu=True):
        stride = next(c for c in W6_CONVS if c[0] == name)[4]
        h = tf.nn.conv2d(h, p[name], stride, "SAME")
        if training:
            m, v = tf.nn.moments(h, axes=[0, 1, 2])
            state[name + "_m"].assign(0.99 * state[name + "_m"] + 0.01 * m)
            state[name + "_v"].assign(0.99 * state[name + "_v"] + 0.01 * v)
        else:
            m, v = state[name + "_m"], state[name + "_v"]
        h = tf.nn.batch_normalization(h, m, v, p[name + "_b"], p[name + "_g"], 1e-3)
        return tf.nn.relu(h) if relu else h

    h = conv_bn(x, "c0")
    h = tf.nn.relu(h + conv_bn(conv_bn(h, "b1a"), "b1b", relu=False))
    h = tf.nn.relu(conv_bn(h, "b2s", relu=False) + conv_bn(conv_bn(h, "b2a"), "b2b", relu=False))
    return tf.reduce_mean(h, [1, 2]) @ p["wd"] + p["bd"]


def _ln(x, g, b, eps=1e-3):
    m, v = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - m) * tf.math.rsqrt(v + eps) * g + b


def forward(key, p, x, seed=None, training=False, state=None):
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
    if key == "W5":
        return _lstm(p, tf.gather(p["emb"], x)) @ p["wd"] + p["bd"]
    if key == "W6":
        return _resnet(p, state, x, training)
    if key == "W7":
        return forward("W1", p, x)
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
        self.state = init_state(key)
        variables = list(self.params.values())
        self.opt = Adam(variables)
        self.step_count = tf.Variable(0, dtype=tf.int64)
        regression = key == "W4"

        @tf.function(autograph=False)
        def step(x, y):
            seed = tf.stack([tf.constant(0, tf.int64), self.step_count.assign_add(1)])
            with tf.GradientTape() as tape:
                out = forward(key, self.params, x, seed, training=True, state=self.state)
                if regression:
                    loss = tf.reduce_mean(tf.square(out - y))
                else:
                    loss = tf.reduce_mean(
                        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out))
            self.opt.apply(tape.gradient(loss, variables))
            return loss

        self._step = step
        self._predict = tf.function(lambda x: forward(key, self.params, x, state=self.state),
                                    autograph=False)
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
