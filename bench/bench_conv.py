"""conv2d per framework: the framework's own call, the unikeras fast path and the
generic Array API path, side by side (ratios to the native call). Not a test.

    .venv/bin/python bench/bench_conv.py [--size 32] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from unikeras import nn_ops  # noqa: E402
from unikeras.xp import asarray, installed_frameworks  # noqa: E402


def native(fw):
    if fw == "jax":
        import jax

        return lambda x, w: jax.lax.conv_general_dilated(
            x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")).block_until_ready()
    if fw == "torch":
        import torch.nn.functional as F

        return lambda x, w: F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1),
                                     padding="same").permute(0, 2, 3, 1)
    if fw == "tensorflow":
        import tensorflow as tf

        return lambda x, w: tf.nn.conv2d(x, w, 1, "SAME")
    return None


def timeit(fn, repeat):
    fn()
    t = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    return (time.perf_counter() - t) / repeat * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=10)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(a.batch, a.size, a.size, a.channels)).astype("float32")
    w = rng.normal(size=(3, 3, a.channels, a.channels)).astype("float32")
    print(f"conv2d {x.shape} * {w.shape}, 'same', ms per call")
    print(f"{'framework':<12}{'native':>10}{'fast path':>12}{'generic':>10}{'fast/nat':>10}{'gen/nat':>9}")
    for fw in installed_frameworks(include_numpy=True):
        xf, wf = asarray(x, framework=fw), asarray(w, framework=fw)
        nat = native(fw)
        t_nat = timeit(lambda: nat(xf, wf), a.repeat) if nat else float("nan")
        t_fast = timeit(lambda: nn_ops.conv(xf, wf, 1, "same"), a.repeat)
        try:
            t_gen = timeit(lambda: nn_ops.conv.generic(xf, wf, 1, "same"), max(a.repeat // 2, 1))
        except Exception as e:  # e.g. TF namespace not there yet
            print(f"  ({fw} generic path failed: {type(e).__name__}: {e})")
            t_gen = float("nan")
        base = t_nat if nat else t_fast
        print(f"{fw:<12}{t_nat:>10.2f}{t_fast:>12.2f}{t_gen:>10.2f}{t_fast / base:>10.2f}"
              f"{t_gen / base:>9.2f}")


if __name__ == "__main__":
    main()
