"""One benchmark process: one implementation (unikeras, native or keras) on one
framework, driven by bench/run.py over a pipe (one JSON command per line in, one JSON
answer per line out). Not meant to be run by hand.

    python bench/worker.py --impl unikeras|native|keras --fw jax|torch|tensorflow
                           [--device cpu|cuda]

Commands: setup (build a workload's model and run its first step, timed), warmup,
fit / tob / native (timed steps), predict (throughput), serve (predict throughput
at a given batch size), mem (ru_maxrss), profile
(cProfile of a unikeras fit), matmul (GFLOP/s), quit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

T_START = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import resource  # noqa: E402

import numpy as np  # noqa: E402

from workloads import WORKLOADS, build_model  # noqa: E402


def _rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _minflt():
    """Minor page faults of this process so far (all threads). Recorded around every
    timed measurement: memory the allocator returned to the OS and takes back faults in
    again page by page (~1-2 us each), which can move a step time by tens of percent."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _median(a):
    return float(np.median(a))


# Warm-up: a measurement is repeated (up to WARMUP_MAX times) until it takes fewer than
# WARMUP_FAULTS minor page faults per step, so that the timed rounds start once the heap
# has grown to its steady size (with the runner's allocator setting it then stops
# faulting; the first few steps grow it, ~4,000-20,000 faults per step on W2/W6).
WARMUP_MAX, WARMUP_FAULTS = 6, 50


def warm(measure, steps):
    """Run ``measure(steps)`` (returning ``(seconds per step, faults per step, ...)``)
    until the heap is warm; the faults per step of each run."""
    seen = []
    for _ in range(WARMUP_MAX):
        seen.append(measure(steps)[-1])
        if seen[-1] < WARMUP_FAULTS:
            break
    return seen


def import_framework(fw):
    t = time.perf_counter()
    if fw == "jax":
        import jax  # noqa: F401
    elif fw == "torch":
        import torch  # noqa: F401
    elif fw == "tensorflow":
        import tensorflow  # noqa: F401
    return time.perf_counter() - t


def to_fw(a, fw, device):
    """A NumPy array as an array of ``fw`` on ``device`` (the framework's own call)."""
    if fw == "jax":
        import jax
        import jax.numpy as jnp

        if device == "cuda":
            return jax.device_put(a, jax.devices("gpu")[0])
        return jnp.asarray(a)
    if fw == "torch":
        import torch

        return torch.from_numpy(np.ascontiguousarray(a)).to(device)
    import tensorflow as tf

    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        return tf.identity(tf.constant(a))


def sync_any(out):
    """Wait for an output (any framework) to be computed."""
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    elif type(out).__module__.startswith("torch"):
        import torch

        if out.is_cuda:
            torch.cuda.synchronize()
    elif hasattr(out, "numpy"):
        out.numpy()


def framework_info(fw):
    info = {}
    if fw == "torch":
        import torch

        info.update(torch_threads=torch.get_num_threads(),
                    torch_interop_threads=torch.get_num_interop_threads())
    elif fw == "tensorflow":
        import tensorflow as tf

        info.update(tf_intra_op=tf.config.threading.get_intra_op_parallelism_threads(),
                    tf_inter_op=tf.config.threading.get_inter_op_parallelism_threads())
    elif fw == "jax":
        import jax

        info.update(jax_devices=[str(d) for d in jax.devices()])
    return info


# --------------------------------------------------------------------------- implementations
class KerasLike:
    """unikeras or Keras 3: the same Keras API. unikeras gets framework arrays (the data
    decides the framework); Keras 3 gets NumPy arrays (its backend is fixed at import)."""

    def __init__(self, impl, fw, device):
        self.impl, self.fw, self.device = impl, fw, device
        t = time.perf_counter()
        if impl == "unikeras":
            import unikeras as k
        else:
            import keras as k
        self.k = k
        self.import_lib_s = time.perf_counter() - t
        self.model = None

    def _data(self, a):
        return to_fw(a, self.fw, self.device) if self.impl == "unikeras" else a

    def setup(self, key, n_batches):
        w = WORKLOADS[key]
        self.w = w
        x, y = w.data(n_batches)
        self.x_np, self.y_np = x, y
        self.x, self.y = self._data(x), self._data(y)
        B = w.batch
        self.batches = [(self.x[i * B:(i + 1) * B], self.y[i * B:(i + 1) * B])
                        for i in range(n_batches)]
        k = self.k
        if self.impl == "unikeras":
            k.utils.set_random_seed(0)
        else:
            k.utils.set_random_seed(0)
        t0 = time.perf_counter()
        self.model = build_model(k, key)
        t1 = time.perf_counter()
        self._fit(1)
        t2 = time.perf_counter()
        return {"build_s": t1 - t0, "first_step_s": t2 - t1,
                "params": int(self.model.count_params())}

    def _timer(self):
        k = self.k
        rec = {}

        class Timer(k.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                rec["f0"] = _minflt()
                rec["t0"] = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                for v in (logs or {}).values():  # Keras may hand over device scalars
                    float(v)
                rec["t1"] = time.perf_counter()
                rec["f1"] = _minflt()
        return Timer(), rec

    def _fit(self, steps):
        B = self.w.batch
        cb, rec = self._timer()
        t = time.perf_counter()
        self.model.fit(self.x[:steps * B], self.y[:steps * B], batch_size=B, epochs=1,
                       shuffle=False, verbose=0, callbacks=[cb])
        wall = time.perf_counter() - t
        return (rec["t1"] - rec["t0"]) / steps, wall / steps, (rec["f1"] - rec["f0"]) / steps

    def warmup(self, steps=2):
        res = {"fit_minflt_step": warm(self._fit, steps), "tob_minflt_step": warm(self._tob, steps)}
        self._predict(2)
        return res

    def fit(self, steps):
        per_step, wall, faults = self._fit(steps)
        return {"step_s": per_step, "call_step_s": wall, "minflt_step": faults}

    def _tob(self, steps):
        m = self.model
        n = len(self.batches)
        f = _minflt()
        t = time.perf_counter()
        for i in range(steps):
            xb, yb = self.batches[i % n]
            m.train_on_batch(xb, yb)  # returns floats: synchronous
        t = time.perf_counter() - t
        return t / steps, (_minflt() - f) / steps

    def tob(self, steps):
        per_step, faults = self._tob(steps)
        return {"step_s": per_step, "minflt_step": faults}

    def _predict(self, n_batches):
        B = self.w.batch
        x = self.x[:n_batches * B]
        t = time.perf_counter()
        out = self.model.predict(x, batch_size=B, verbose=0)
        sync_any(out)
        return n_batches * B / (time.perf_counter() - t)

    def predict(self, n_batches):
        return {"samples_per_s": self._predict(n_batches)}

    def serve(self, batch_size, n_samples):
        """``predict`` of ``n_samples`` rows at ``batch_size`` (serving throughput)."""
        x = self.x[:n_samples]
        self.model.predict(x[:batch_size], batch_size=batch_size, verbose=0)  # warm
        t = time.perf_counter()
        sync_any(self.model.predict(x, batch_size=batch_size, verbose=0))
        return {"samples_per_s": n_samples / (time.perf_counter() - t)}

    def profile(self, steps, top=25):
        import cProfile
        import io
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        self._fit(steps)
        pr.disable()
        out = {}
        for sort in ("tottime", "cumulative"):
            s = io.StringIO()
            st = pstats.Stats(pr, stream=s)
            st.sort_stats(sort).print_stats(top)
            text = s.getvalue()
            # keep the table only, with paths shortened
            lines = text.splitlines()
            i = next((j for j, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
            out[sort] = "\n".join(_short(ln) for ln in lines[i:] if ln.strip())
        out["steps"] = steps
        return out


def _short(line):
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        j = line.find(marker)
        if j >= 0:
            k = line.rfind(" ", 0, j)
            return line[:k + 1] + line[j + len(marker):]
    return line


class NativeImpl:
    def __init__(self, fw, device):
        self.fw, self.device = fw, device
        t = time.perf_counter()
        if fw == "jax":
            import native_jax as mod
        elif fw == "torch":
            import native_torch as mod
        else:
            import native_tf as mod
        self.mod = mod
        self.import_lib_s = time.perf_counter() - t

    def setup(self, key, n_batches):
        w = WORKLOADS[key]
        self.w = w
        x, y = w.data(n_batches)
        t0 = time.perf_counter()
        self.net = self.mod.Native(key, device=self.device)
        B = w.batch
        self.batches = [self.net.to_batch(x[i * B:(i + 1) * B], y[i * B:(i + 1) * B])
                        for i in range(n_batches)]
        t1 = time.perf_counter()
        self.net.step(self.batches[0])
        self.net.sync()
        t2 = time.perf_counter()
        n_params = int(sum(np.prod(v.shape) for v in self._params()))
        return {"build_s": t1 - t0, "first_step_s": t2 - t1, "params": n_params}

    def _params(self):
        if self.fw == "torch":
            return list(self.net.model.parameters())
        return list(self.net.params.values())

    def _steps(self, steps):
        n = len(self.batches)
        f = _minflt()
        t = time.perf_counter()
        for i in range(steps):
            self.net.step(self.batches[i % n])
        self.net.sync()
        t = time.perf_counter() - t
        return t / steps, (_minflt() - f) / steps

    def warmup(self, steps=2):
        res = {"fit_minflt_step": warm(self._steps, steps)}
        self._predict(2)
        return res

    def fit(self, steps):
        per_step, faults = self._steps(steps)
        return {"step_s": per_step, "minflt_step": faults}

    def _predict(self, n_batches):
        xs = [b[0] for b in self.batches[:n_batches]]
        t = time.perf_counter()
        for xb in xs:
            out = self.net.predict(xb)
        self.net.sync_out(out)
        return n_batches * self.w.batch / (time.perf_counter() - t)

    def predict(self, n_batches):
        return {"samples_per_s": self._predict(n_batches)}

    def serve(self, batch_size, n_samples):
        """The native forward over ``n_samples`` rows in batches of ``batch_size``."""
        x = np.concatenate([self.w.data(len(self.batches))[0]])[:n_samples]
        xs = [self.net.to_batch(x[i:i + batch_size], np.zeros(0, np.int32))[0]
              for i in range(0, n_samples, batch_size)]
        self.net.sync_out(self.net.predict(xs[0]))  # warm
        t = time.perf_counter()
        for xb in xs:
            out = self.net.predict(xb)
        self.net.sync_out(out)
        return {"samples_per_s": n_samples / (time.perf_counter() - t)}

    def matmul(self, n, repeat=10):
        fn = self.mod.matmul_fn(n, self.device) if self.fw == "torch" else self.mod.matmul_fn(n)
        fn()
        ts = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return {"n": n, "gflops": [2 * n ** 3 / t / 1e9 for t in ts]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True, choices=["unikeras", "native", "keras"])
    ap.add_argument("--fw", required=True, choices=["jax", "torch", "tensorflow"])
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()

    # Answers go to a private copy of stdout; anything the libraries print goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def reply(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    hello = {"pid": os.getpid(), "python_start_s": T_START,
             "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES", "")}
    try:
        hello["libc"] = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        hello["import_fw_s"] = import_framework(a.fw)
        impl = NativeImpl(a.fw, a.device) if a.impl == "native" else KerasLike(a.impl, a.fw, a.device)
        hello["import_lib_s"] = impl.import_lib_s
        hello["rss_after_import_kb"] = _rss_kb()
        hello.update(framework_info(a.fw))
    except Exception:
        hello["error"] = traceback.format_exc()
        reply(hello)
        return
    reply(hello)
    for line in sys.stdin:
        cmd = json.loads(line)
        name = cmd.pop("cmd")
        if name == "quit":
            reply({"ok": True})
            return
        try:
            if name == "mem":
                res = {"ru_maxrss_kb": _rss_kb()}
                if a.fw == "torch" and a.device == "cuda":
                    import torch

                    res["cuda_max_allocated"] = torch.cuda.max_memory_allocated()
            else:
                res = getattr(impl, name)(**cmd)
                res = res if res is not None else {}
        except Exception:
            res = {"error": traceback.format_exc()}
        reply(res)


if __name__ == "__main__":
    main()
