"""The model as a JAX pytree on W4's network (MLP 32-32-1, MSE, batch 32), jax:
per-call costs of flatten / aux-data equality / unflatten, a jitted f(model, x), W4 fit,
and (with "new") an optax step over the model as the params tree against the same step
over a list of arrays. A/B: run it with two checkouts' src on PYTHONPATH, alternating:

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_pytree.py new

("old" skips the optax step, which needs gradient trees that share the model's
structure). Numbers and the decision they back: docs/architecture.md, "How tree
structures compare"."""
import os, sys, time, statistics, numpy as np
import jax, jax.numpy as jnp
import unikeras as keras
from unikeras import layers
mode = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.normal(size=(32 * 400, 32)).astype("float32"); Y = rng.normal(size=(32 * 400, 1)).astype("float32")
def build():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([layers.Input((32,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return m
def med(f, reps=7):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
out = {}
m = build()
m.fit(X[:64], Y[:64], batch_size=32, epochs=1, verbose=0)
out["fit W4 ms/step"] = med(lambda: m.fit(X, Y, batch_size=32, epochs=1, verbose=0, shuffle=False)) / 400 * 1e3
# jitted forward over the model as an argument (flatten + aux-data equality per call)
x = jnp.asarray(X[:32])
f = jax.jit(lambda m, x: m(x))
f(m, x).block_until_ready()
def run_f():
    for _ in range(400): r = f(m, x)
    r.block_until_ready()
out["jit(model, x) forward us/call"] = med(run_f) / 400 * 1e6
leaves, td = jax.tree_util.tree_flatten(m)
out["tree_flatten us"] = med(lambda: [jax.tree_util.tree_flatten(m) for _ in range(1000)]) / 1000 * 1e6
td2 = jax.tree_util.tree_structure(m)
out["treedef == us"] = med(lambda: [td == td2 for _ in range(1000)]) / 1000 * 1e6
out["tree_unflatten us"] = med(lambda: [jax.tree_util.tree_unflatten(td, leaves) for _ in range(1000)]) / 1000 * 1e6
if mode == "new":
    import optax
    tx = optax.adam(1e-3)
    def mse(model, x, y): return jnp.mean((model(x) - y) ** 2)
    @jax.jit
    def step(model, s, x, y):
        l, g = jax.value_and_grad(mse)(model, x, y)
        u, s = tx.update(g, s, model)
        return optax.apply_updates(model, u), s, l
    params = [jnp.asarray(v.numpy()) for v in m.variables]
    def pmse(p, x, y): return jnp.mean((jax.nn.relu(x @ p[0] + p[1]) @ p[2] + p[3] - y) ** 2)
    @jax.jit
    def pstep(p, s, x, y):
        l, g = jax.value_and_grad(pmse)(p, x, y)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, l
    xs = jnp.asarray(X).reshape(400, 32, 32); ys = jnp.asarray(Y).reshape(400, 32, 1)
    state = [m, tx.init(m)]; pstate = [params, tx.init(params)]
    def run_model():
        mm, s = state
        for i in range(400): mm, s, l = step(mm, s, xs[i], ys[i])
        l.block_until_ready(); state[:] = [mm, s]
    def run_plain():
        p, s = pstate
        for i in range(400): p, s, l = pstep(p, s, xs[i], ys[i])
        l.block_until_ready(); pstate[:] = [p, s]
    run_model(); run_plain()
    out["optax step, model pytree ms/step"] = med(run_model) / 400 * 1e3
    out["optax step, list of arrays ms/step"] = med(run_plain) / 400 * 1e3
for k, v in out.items(): print(f"{mode:4s} {k:38s} {v:8.3f}")
