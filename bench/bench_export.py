"""Inference latency of each exported form of one model against unikeras' own
``model.predict`` and ``model(x)``, one thread everywhere (docs/serving.md has the run).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_export.py [--repeats 200]

The model (an MLP with BatchNormalization, 64 -> 256 -> 256 -> 10, and an LSTM(32) over
16 steps) is trained for a few steps on torch, then exported to every format (SavedModel, ONNX, torch, jax, LiteRT); each
artifact is loaded in this process (loading needs no unikeras, but timing them side by
side is fairer) and called on batches of 1 and 256. Reported: the median over
``--repeats`` calls after warm-up, in microseconds per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))


def _median_us(fn, repeats):
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def build(kind):
    import unikeras as keras
    from unikeras import layers

    keras.utils.set_random_seed(0)
    if kind == "mlp":
        return keras.Sequential([layers.Input((64,)), layers.Dense(256, activation="relu"),
                                 layers.BatchNormalization(), layers.Dense(256, activation="relu"),
                                 layers.Dense(10)]), (64,)
    return keras.Sequential([layers.Input((16, 8)), layers.LSTM(32), layers.Dense(10)]), (16, 8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--models", default="mlp,lstm")
    args = ap.parse_args()

    import jax
    import onnxruntime as ort
    import tensorflow as tf
    import torch

    import unikeras as keras  # noqa: F401

    torch.set_num_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp()
    rows = []
    for kind in args.models.split(","):
        model, shape = build(kind)
        model.compile(optimizer="adam", loss="mse")
        xt = rng.normal(size=(64,) + shape).astype("float32")
        model.fit(torch.from_numpy(xt), torch.zeros(64, 10), batch_size=32, epochs=1, verbose=0)
        paths = {"tf_saved_model": f"{tmp}/{kind}_sm", "onnx": f"{tmp}/{kind}.onnx",
                 "torch": f"{tmp}/{kind}.pt2", "jax": f"{tmp}/{kind}.jax",
                 "litert": f"{tmp}/{kind}.tflite"}
        for fmt, p in paths.items():
            model.export(p, format=fmt, verbose=False)
        sm = tf.saved_model.load(paths["tf_saved_model"])
        sess = ort.InferenceSession(paths["onnx"], opts, providers=["CPUExecutionProvider"])
        in_name = sess.get_inputs()[0].name
        pt = torch.export.load(paths["torch"]).module()
        with open(paths["jax"], "rb") as f:
            exp = jax.export.deserialize(bytearray(f.read()))
        jcall = jax.jit(exp.call)
        lite = tf.lite.Interpreter(model_path=paths["litert"], num_threads=1)
        lite_run = lite.get_signature_runner("serving_default")
        lite_in = lite.get_signature_list()["serving_default"]["inputs"][0]
        for batch in (1, 256):
            x = rng.normal(size=(batch,) + shape).astype("float32")
            xs = {"numpy": x, "torch": torch.from_numpy(x), "tensorflow": tf.constant(x),
                  "jax": jax.numpy.asarray(x)}
            res = {}
            for fw in ("jax", "torch", "tensorflow"):
                xf = xs[fw]
                res[f"unikeras predict ({fw})"] = _median_us(
                    lambda: jax.block_until_ready(model.predict(xf, batch_size=batch, verbose=0)),
                    args.repeats)

                def direct(xf=xf, fw=fw):
                    out = model(xf, training=False)
                    if fw == "jax":
                        out.block_until_ready()
                res[f"unikeras model(x) ({fw})"] = _median_us(direct, args.repeats)
            res["SavedModel serve (tf)"] = _median_us(lambda: sm.serve(xs["tensorflow"]), args.repeats)
            res["ONNX (onnxruntime)"] = _median_us(lambda: sess.run(None, {in_name: x}), args.repeats)

            def run_pt():
                with torch.inference_mode():
                    pt(xs["torch"])
            res["ExportedProgram .module() (torch)"] = _median_us(run_pt, args.repeats)
            res["jax.export (jit(exp.call))"] = _median_us(
                lambda: jcall(xs["jax"]).block_until_ready(), args.repeats)
            res["LiteRT (tf.lite.Interpreter)"] = _median_us(lambda: lite_run(**{lite_in: x}),
                                                             args.repeats)
            for name, us in res.items():
                rows.append((kind, batch, name, us))
    print("| model | batch | form | median us/call |")
    print("| --- | --- | --- | --- |")
    for kind, batch, name, us in rows:
        print(f"| {kind} | {batch} | {name} | {us:,.0f} |")


if __name__ == "__main__":
    main()
