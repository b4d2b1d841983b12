"""Hand-written JAX training loops for the workloads: pure functions on a dict of
arrays, ``jax.jit`` with the parameters and optimizer state donated, optax.adam."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from workloads import HEADS, KEY_DIM, MLP, SEQ, UNITS5, W6_CONVS, WIDTH, numpy_params



def init_params(key, rng):
    return {k: jnp.asarray(v) for k, v in numpy_params(key, rng).items()}


def init_state(key):
    """Non-trained state (W6's BatchNorm moving statistics)."""
    if key != "W6":
        return {}
    return {n + s: (jnp.zeros if s == "_m" else jnp.ones)(c, jnp.float32)
            for n, _, c, _, _ in W6_CONVS for s in ("_m", "_v")}


def _lstm(p, x):
    """Keras gate order i, f, c, o; the input projection of every step in one matmul,
    the recurrence in lax.scan."""
    u = UNITS5
    xi = jnp.einsum("btf,fg->tbg", x, p["wi"]) + p["b"]

    def step(carry, xt):
        h, c = carry
        z = xt + h @ p["wh"]
        i, f = jax.nn.sigmoid(z[:, :u]), jax.nn.sigmoid(z[:, u:2 * u])
        c = f * c + i * jnp.tanh(z[:, 2 * u:3 * u])
        h = jax.nn.sigmoid(z[:, 3 * u:]) * jnp.tanh(c)
        return (h, c), None

    zeros = jnp.zeros((x.shape[0], u), x.dtype)
    (h, _), _ = jax.lax.scan(step, (zeros, zeros), xi)
    return h


def _resnet(p, state, x, training):
    """W6's forward; returns (logits, new BatchNorm state)."""
    new = {}

    def conv_bn(h, name, relu=True):
        _, _, _, k, stride = next(c for c in W6_CONVS if c[0] == name)
        h = jax.lax.conv_general_dilated(h, p[name], (stride, stride), "SAME",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        if training:
            # one pass for both moments (E[x^2] - E[x]^2, flax BatchNorm's default fast
            # variance) and one scale-and-shift: 0.88x the step of jnp.var and
            # (h - m) * rsqrt(v + eps) * g + b (86-87 vs 98-99 ms, process CPU time, one
            # process, interleaved rounds)
            m = jnp.mean(h, (0, 1, 2))
            v = jnp.maximum(jnp.mean(jnp.square(h), (0, 1, 2)) - jnp.square(m), 0.0)
            new[name + "_m"] = 0.99 * state[name + "_m"] + 0.01 * m
            new[name + "_v"] = 0.99 * state[name + "_v"] + 0.01 * v
        else:
            m, v = state[name + "_m"], state[name + "_v"]
        scale = p[name + "_g"] * jax.lax.rsqrt(v + 1e-3)
        h = h * scale + (p[name + "_b"] - m * scale)
        return jax.nn.relu(h) if relu else h

    h = conv_bn(x, "c0")
    h = jax.nn.relu(h + conv_bn(conv_bn(h, "b1a"), "b1b", relu=False))
    h = jax.nn.relu(conv_bn(h, "b2s", relu=False) + conv_bn(conv_bn(h, "b2a"), "b2b", relu=False))
    return jnp.mean(h, (1, 2)) @ p["wd"] + p["bd"], (new if training else state)


def _ln(x, g, b, eps=1e-3):
    m = jnp.mean(x, -1, keepdims=True)
    v = jnp.mean(jnp.square(x - m), -1, keepdims=True)
    return (x - m) * jax.lax.rsqrt(v + eps) * g + b


def _pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def forward(key, p, x, rng_key=None, training=False):
    if key == "W1":
        h = jax.nn.relu(x @ p["w1"] + p["b1"])
        h = jax.nn.relu(h @ p["w2"] + p["b2"])
        return h @ p["w3"] + p["b3"]
    if key == "W2":
        dn = ("NHWC", "HWIO", "NHWC")
        h = jax.lax.conv_general_dilated(x, p["k1"], (1, 1), "VALID", dimension_numbers=dn)
        h = _pool(jax.nn.relu(h + p["c1"]))
        h = jax.lax.conv_general_dilated(h, p["k2"], (1, 1), "VALID", dimension_numbers=dn)
        h = _pool(jax.nn.relu(h + p["c2"]))
        h = h.reshape(h.shape[0], -1)
        if training:
            keep = jax.random.bernoulli(rng_key, 0.5, h.shape)
            h = jnp.where(keep, h / 0.5, 0.0)
        return h @ p["w"] + p["b"]
    if key == "W3":
        B = x.shape[0]
        split = lambda t: t.reshape(B, SEQ, HEADS, KEY_DIM)  # noqa: E731
        q = split(x @ p["wq"] + p["bq"])
        k = split(x @ p["wk"] + p["bk"])
        v = split(x @ p["wv"] + p["bv"])
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(KEY_DIM).astype(np.float32)
        a = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(s, axis=-1), v).reshape(B, SEQ, WIDTH)
        h = _ln(x + a @ p["wo"] + p["bo"], p["g1"], p["be1"])
        f = jax.nn.relu(h @ p["wf1"] + p["bf1"]) @ p["wf2"] + p["bf2"]
        h = _ln(h + f, p["g2"], p["be2"])
        return jnp.mean(h, axis=1) @ p["wh"] + p["bh"]
    if key == "W4":
        return jax.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    if key == "W5":
        return _lstm(p, p["emb"][x]) @ p["wd"] + p["bd"]
    if key == "W7":
        return forward("W1", p, x)
    raise KeyError(key)


class Native:
    """``step(batch)`` trains one step; ``predict(x)`` runs the jitted forward."""

    def __init__(self, key, device="cpu"):
        self.key = key
        self.params = init_params(key, np.random.default_rng(0))
        self.tx = optax.adam(1e-3)
        self.opt_state = self.tx.init(self.params)
        self.rng = jax.random.PRNGKey(0)
        regression = key == "W4"
        self.state = init_state(key)

        def loss_fn(params, state, x, y, rk):
            if key == "W6":
                out, state = _resnet(params, state, x, training=True)
            else:
                out = forward(key, params, x, rk, training=True)
            if regression:
                return jnp.mean(jnp.square(out - y)), state
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(out, y)), state

        def step(params, opt_state, state, rk, x, y):
            rk, sub = jax.random.split(rk)
            (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                params, state, x, y, sub)
            updates, opt_state = self.tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, state, rk, loss

        def predict(params, state, x):
            if key == "W6":
                return _resnet(params, state, x, training=False)[0]
            return forward(key, params, x)

        self._step = jax.jit(step, donate_argnums=(0, 1, 2, 3))
        self._predict = jax.jit(predict)
        self.loss = None

    def to_batch(self, x, y):
        return jnp.asarray(x), jnp.asarray(y)

    def step(self, batch):
        self.params, self.opt_state, self.state, self.rng, self.loss = self._step(
            self.params, self.opt_state, self.state, self.rng, *batch)

    def sync(self):
        return float(self.loss)

    def predict(self, x):
        return self._predict(self.params, self.state, x)

    def sync_out(self, out):
        out.block_until_ready()


def matmul_fn(n):
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
    mm = jax.jit(lambda a: a @ a)
    return lambda: mm(a).block_until_ready()
