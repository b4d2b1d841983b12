"""The unikeras benchmark suite: unikeras fit / train_on_batch against a hand-written
native loop and Keras 3 fit, on jax, torch and tensorflow; writes docs/benchmarks.md.

    .venv/bin/python bench/run.py                      # full run (~15 min on 2 cores)
    .venv/bin/python bench/run.py --quick              # smoke run (fewer repeats/steps)
    .venv/bin/python bench/run.py --device cuda        # on a GPU machine, same report
    .venv/bin/python bench/run.py --frameworks torch --workloads W4 --out /tmp/b.md
    .venv/bin/python bench/run.py --report-only bench/results-cpu.json

How it measures (side by side, in one run): for each framework and workload, three
long-lived worker processes (bench/worker.py) are started one after the other:
unikeras, the native loop, Keras 3 (with KERAS_BACKEND set). Each imports its
framework, builds the model and runs its first step (timed cold: time to first step),
then the runner interleaves repeats: in each round every measurement (unikeras fit,
unikeras train_on_batch, native loop, Keras fit, Keras train_on_batch) runs once, in an
order rotated from round to round, while the other workers wait idle on their pipes.
Medians and min/max over the rounds are reported. Each timed measurement also records the
process' minor page faults per step (getrusage ru_minflt), shown in the report.

Allocator: every worker (unikeras, native and Keras 3, on every framework) runs with
glibc's heap trimming off and its mmap threshold raised (MALLOC_SETTING below, passed as
GLIBC_TUNABLES in the workers' environment only; the library itself never changes the
allocator), and each worker's warm-up repeats its measurements until they stop faulting
(bench/worker.py: warm). With glibc's defaults a step that frees tens of MB of activations hands them
back to the OS and faults them in again on the next step: thousands of minor faults per
step whose count depends on the process' heap layout, so the same loop in two fresh
processes measured 3,900 and 7,900 faults per step and ratios swung between 0.9 and 1.4.
PyTorch's CPU performance guide recommends a non-trimming allocator (jemalloc, tcmalloc)
for the same reason. ``--default-malloc`` runs with glibc's defaults instead.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from workloads import WORKLOADS  # noqa: E402

FRAMEWORKS = ("jax", "torch", "tensorflow")
IMPLS = ("unikeras", "native", "keras")
# (impl, command) measured in every round
MEASURES = [("unikeras", "fit"), ("unikeras", "tob"), ("native", "fit"), ("keras", "fit"),
            ("keras", "tob")]

# glibc malloc tunables for every worker process (see the module docstring): memory freed
# at the top of the heap is kept (trim threshold 1 GB), allocations below 1 GB come from
# the heap, never from their own mmap (which munmap returns to the OS on free), and every
# thread allocates from the main heap (arena_max=1): in the per-thread arenas glibc
# creates otherwise, a block larger than their 64 MiB heaps is always its own mmap
# whatever the threshold, and XLA:CPU's worker threads allocate such blocks every step
# (the native jax W6 loop: ~20,700 faults per step, 140 -> 95 ms CPU time per step).
MALLOC_SETTING = ("glibc.malloc.trim_threshold=1000000000:glibc.malloc.mmap_threshold=1000000000"
                  ":glibc.malloc.arena_max=1")


def worker_env(impl, fw, default_malloc=False, base=None):
    """The environment of a worker process: Keras 3's backend, quiet TF logs, and the
    benchmark's allocator setting (appended to any GLIBC_TUNABLES already set) unless
    ``default_malloc``."""
    env = dict(os.environ if base is None else base)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONWARNINGS"] = "ignore"
    if impl == "keras":
        env["KERAS_BACKEND"] = fw
    else:
        env.pop("KERAS_BACKEND", None)
    if not default_malloc:
        prev = env.get("GLIBC_TUNABLES")
        env["GLIBC_TUNABLES"] = f"{prev}:{MALLOC_SETTING}" if prev else MALLOC_SETTING
    return env


# --------------------------------------------------------------------------- workers
class Worker:
    def __init__(self, impl, fw, device, log_dir, default_malloc=False):
        env = worker_env(impl, fw, default_malloc)
        self.name = f"{impl}-{fw}"
        self.log = open(os.path.join(log_dir, f"{self.name}.log"), "a")
        self.t_spawn = time.perf_counter()
        self.p = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "worker.py"), "--impl", impl, "--fw", fw,
             "--device", device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            cwd=ROOT, env=env)
        self.hello = self._read()
        if "error" not in self.hello:
            self.hello["process_to_ready_s"] = time.perf_counter() - self.t_spawn

    def _read(self):
        line = self.p.stdout.readline()
        if not line:
            return {"error": f"{self.name} exited (rc={self.p.poll()}); see its log"}
        return json.loads(line)

    def ask(self, cmd, **kw):
        if self.p.poll() is not None:
            return {"error": f"{self.name} is not running"}
        self.p.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.p.stdin.flush()
        return self._read()

    def close(self):
        try:
            if self.p.poll() is None:
                self.ask("quit")
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()
        self.log.close()


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


# --------------------------------------------------------------------------- machine
def machine_info(device):
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "device": device,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)")}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    info["loadavg_start"] = os.getloadavg()
    from importlib import metadata

    vers = {}
    for pkg in ("numpy", "jax", "jaxlib", "optax", "torch", "tensorflow-cpu", "tensorflow",
                "keras", "array-api-compat", "optree", "unikeras"):
        try:
            vers[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    info["versions"] = vers
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                     capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            info["git"] += " (+ uncommitted changes in src/)"
    except OSError:
        pass
    return info


def numpy_matmul(n, repeat=10):
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        a @ a
        out.append(2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return out


def import_times(repeat):
    """``import unikeras`` in fresh interpreters (median of ``repeat``)."""
    res = {}
    snippets = {
        "import unikeras": "import unikeras",
        "import unikeras; touch layers/models/optimizers":
            "import unikeras as k; k.layers.Dense; k.Sequential; k.optimizers.Adam",
        "python -c pass (interpreter start, subtracted above)": "pass",
    }
    code = ("import time, sys; t=time.perf_counter(); exec(sys.argv[1]); "
            "print(time.perf_counter()-t); import sys as s; "
            "print(sorted(m for m in ('jax','torch','tensorflow') if m in s.modules))")
    for label, snippet in snippets.items():
        ts, fws = [], None
        for _ in range(repeat):
            out = subprocess.run([sys.executable, "-c", code, snippet], capture_output=True,
                                 text=True, cwd=ROOT).stdout.split("\n")
            ts.append(float(out[0]))
            fws = out[1]
        res[label] = {"stats": stats(ts), "frameworks_imported": fws}
    return res


# --------------------------------------------------------------------------- the run
def run_workload(fw, key, args, log_dir, results):
    w = WORKLOADS[key]
    steps = max(2, int(round(w.steps * args.steps_scale)))
    n_batches = max(steps, 4)
    entry = {"steps": steps, "cold": {}, "hello": {}, "rounds": [], "timing": {},
             "predict": {}, "mem": {}, "errors": {}}
    results["runs"][f"{fw}/{key}"] = entry
    workers = {}
    try:
        for impl in IMPLS:
            if impl == "keras" and args.no_keras:
                continue
            wk = Worker(impl, fw, args.device, log_dir, args.default_malloc)
            entry["hello"][impl] = wk.hello
            if "error" in wk.hello:
                entry["errors"][impl] = wk.hello["error"]
                wk.close()
                continue
            r = wk.ask("setup", key=key, n_batches=n_batches)
            if "error" in r:
                entry["errors"][impl] = r["error"]
                wk.close()
                continue
            entry["cold"][impl] = r
            workers[impl] = wk
            if impl == "native" and fw not in results["matmul"]:
                results["matmul"][fw] = wk.ask("matmul", n=args.matmul_n)
        for impl, wk in workers.items():
            r = wk.ask("warmup", steps=steps)
            if "error" in r:
                entry["errors"][impl] = r["error"]
            else:
                entry.setdefault("warmup", {})[impl] = r
        measures = [(i, c) for i, c in MEASURES if i in workers and i not in entry["errors"]]
        samples = {f"{i}.{c}": [] for i, c in measures}
        faults = {f"{i}.{c}": [] for i, c in measures}
        for rnd in range(args.repeats):
            k = rnd % len(measures)
            order = measures[k:] + measures[:k]
            for impl, cmd in order:
                r = workers[impl].ask(cmd, steps=steps)
                if "error" in r:
                    entry["errors"][f"{impl}.{cmd}"] = r["error"]
                    continue
                samples[f"{impl}.{cmd}"].append(r["step_s"])
                faults[f"{impl}.{cmd}"].append(r.get("minflt_step"))
            entry["rounds"].append(order)
        entry["timing"] = {k: stats(v) for k, v in samples.items()}
        entry["minflt"] = {k: stats(v) for k, v in faults.items()}
        pred = {i: [] for i in workers}
        pb = max(2, int(round(args.predict_batches)))
        impls = list(workers)
        for rnd in range(max(1, args.repeats // 2 + 1)):
            k = rnd % len(impls)
            for impl in impls[k:] + impls[:k]:
                r = workers[impl].ask("predict", n_batches=min(pb, n_batches))
                if "error" not in r:
                    pred[impl].append(r["samples_per_s"])
                else:
                    entry["errors"][f"{impl}.predict"] = r["error"]
        entry["predict"] = {k: stats(v) for k, v in pred.items()}
        for bs in w.serving:  # serving throughput at fixed batch sizes (W7)
            n_samples = 64 if bs == 1 else min(4 * bs, n_batches * w.batch)
            serve = {i: [] for i in workers}
            for rnd in range(max(1, args.repeats // 2 + 1)):
                k = rnd % len(impls)
                for impl in impls[k:] + impls[:k]:
                    r = workers[impl].ask("serve", batch_size=bs, n_samples=n_samples)
                    if "error" not in r:
                        serve[impl].append(r["samples_per_s"])
                    else:
                        entry["errors"][f"{impl}.serve{bs}"] = r["error"]
            entry.setdefault("serving", {})[str(bs)] = {k: stats(v) for k, v in serve.items()}
        for impl, wk in workers.items():
            entry["mem"][impl] = wk.ask("mem")
        if "unikeras" in workers and args.profile:
            entry["profile"] = workers["unikeras"].ask("profile", steps=steps)
    finally:
        for wk in workers.values():
            wk.close()
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS))
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS))
    ap.add_argument("--repeats", type=int, default=5, help="interleaved rounds per workload")
    ap.add_argument("--steps-scale", type=float, default=1.0,
                    help="scale the steps per measurement (W1 20, W2 6, W3 10, W4 400, "
                         "W5 8, W6 4, W7 4)")
    ap.add_argument("--predict-batches", type=int, default=8)
    ap.add_argument("--matmul-n", type=int, default=None)
    ap.add_argument("--no-keras", action="store_true")
    ap.add_argument("--default-malloc", action="store_true",
                    help="run the workers with glibc's default allocator settings (heap "
                         "trimming on) instead of GLIBC_TUNABLES=" + MALLOC_SETTING)
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--quick", action="store_true", help="2 rounds, half the steps")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--json", default=None,
                    help="raw results (default $TMPDIR/unikeras-bench/results-<device>.json)")
    ap.add_argument("--report-only", metavar="JSON", help="re-render the report from raw results")
    args = ap.parse_args()
    if args.report_only:
        with open(args.report_only) as f:
            results = json.load(f)
        write_report(results, args.out)
        return
    if args.quick:
        args.repeats, args.steps_scale = 2, args.steps_scale * 0.5
    if args.matmul_n is None:
        args.matmul_n = 4096 if args.device == "cuda" else 1024
    scratch = os.path.join(tempfile.gettempdir(), "unikeras-bench")
    json_path = args.json or os.path.join(scratch, f"results-{args.device}.json")
    log_dir = os.path.join(scratch, "logs")
    os.makedirs(log_dir, exist_ok=True)

    t0 = time.perf_counter()
    results = {"machine": machine_info(args.device), "args": vars(args), "runs": {},
               "malloc": "glibc defaults" if args.default_malloc else
               f"GLIBC_TUNABLES={MALLOC_SETTING}",
               "matmul": {}, "started": datetime.datetime.now().isoformat(timespec="seconds")}
    print(f"[bench] {results['machine'].get('cpu')} x{os.cpu_count()}, load {os.getloadavg()}",
          flush=True)
    results["matmul"]["numpy"] = {"n": args.matmul_n, "gflops": numpy_matmul(args.matmul_n)}
    results["import"] = import_times(5)
    for fw in args.frameworks:
        for key in args.workloads:
            t = time.perf_counter()
            entry = run_workload(fw, key, args, log_dir, results)
            tm = entry["timing"]

            def med(k):
                s = tm.get(k)
                return f"{s['median'] * 1e3:8.2f}" if s else "     n/a"
            print(f"[bench] {fw:<10} {key}: ms/step unikeras fit {med('unikeras.fit')} "
                  f"tob {med('unikeras.tob')} native {med('native.fit')} "
                  f"keras fit {med('keras.fit')}  ({time.perf_counter() - t:.0f} s)"
                  + (f"  errors: {sorted(entry['errors'])}" if entry["errors"] else ""),
                  flush=True)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = time.perf_counter() - t0
    with open(json_path, "w") as f:
        json.dump(results, f, indent=1)
    write_report(results, args.out)
    print(f"[bench] done in {results['elapsed_s']:.0f} s: {args.out}, {json_path}")


# --------------------------------------------------------------------------- report
def write_report(results, path):
    from render import render  # bench/render.py

    text = render(results)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
