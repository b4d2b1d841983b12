"""bench/run.py's worker environment (the allocator setting every benchmark process runs
with) and the report's page-fault figures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
sys.path.insert(0, BENCH)

import render  # noqa: E402
import run  # noqa: E402


def test_worker_env_sets_the_allocator_tunables_for_every_worker():
    for impl in run.IMPLS:
        env = run.worker_env(impl, "torch", base={"PATH": "/bin"})
        assert env["GLIBC_TUNABLES"] == run.MALLOC_SETTING
        assert env.get("KERAS_BACKEND") == ("torch" if impl == "keras" else None)
    # tunables the user set are kept, ours appended
    env = run.worker_env("native", "jax", base={"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:" + run.MALLOC_SETTING
    # --default-malloc: the environment's allocator settings untouched
    assert "GLIBC_TUNABLES" not in run.worker_env("unikeras", "jax", True, base={})
    assert run.worker_env("unikeras", "jax", True, base={"GLIBC_TUNABLES": "x=1"})[
        "GLIBC_TUNABLES"] == "x=1"


_ALLOC = """
import resource, numpy as np
flt = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(16 * 2**20, np.float32)  # 64 MiB, freed again
f = flt()
for _ in range(5):
    np.ones(16 * 2**20, np.float32)
print(flt() - f)
"""


def test_the_allocator_setting_reuses_freed_memory_without_page_faults():
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        libc = None
    if not libc or not libc.startswith("glibc"):
        pytest.skip("the tunables are glibc's")
    pytest.importorskip("numpy")
    env = run.worker_env("native", "torch", base=dict(os.environ))
    out = subprocess.run([sys.executable, "-c", _ALLOC], env=env, capture_output=True,
                         text=True, check=True).stdout
    # 5 x 64 MiB = 81,920 pages: with glibc's defaults each block is its own mmap, faulted
    # in again every time (hundreds to tens of thousands of faults, depending on huge
    # pages); with the setting the heap keeps the block and reuses it.
    assert int(out) < 100


def _results(malloc):
    timing = {k: {"median": v, "min": v, "max": v, "n": 1, "values": [v]}
              for k, v in (("unikeras.fit", 0.05), ("native.fit", 0.048), ("keras.fit", 0.1))}
    faults = {k: {"median": v, "min": v, "max": v, "n": 1, "values": [v]}
              for k, v in (("unikeras.fit", 10172.0), ("native.fit", 3.0))}
    entry = {"steps": 6, "cold": {}, "hello": {"native": {"libc": "glibc 2.36"}},
             "timing": timing, "minflt": faults, "predict": {}, "mem": {}, "errors": {}}
    res = {"machine": {"device": "cpu", "python": "3.11", "OMP_NUM_THREADS": "1"},
           "args": {"repeats": 1}, "runs": {"torch/W2": entry}, "matmul": {}}
    if malloc is not None:
        res["malloc"] = malloc
    return res


def test_report_shows_faults_per_step_and_the_allocator_setting():
    text = render.render(_results(f"GLIBC_TUNABLES={run.MALLOC_SETTING}"))
    row = next(ln for ln in text.splitlines() if ln.startswith("| torch | 50.00"))
    assert row.endswith("| 10,172 · 3 · n/a |")
    line = next(ln for ln in text.splitlines() if ln.startswith("* Allocator:"))
    assert run.MALLOC_SETTING in line and "glibc 2.36" in line
    assert "`--default-malloc`" in render.render(_results("glibc defaults"))
    # results from before faults and the setting were recorded still render
    old = _results(None)
    del old["runs"]["torch/W2"]["minflt"]
    assert "| n/a · n/a · n/a |" in render.render(old)


def test_warm_up_repeats_a_measurement_until_the_heap_stops_faulting():
    import worker

    faults = iter([9000.0, 4000.0, 3.0, 0.0])
    calls = []

    def measure(steps):
        calls.append(steps)
        return 0.01, next(faults)

    assert worker.warm(measure, 4) == [9000.0, 4000.0, 3.0]
    assert calls == [4, 4, 4]
    # bounded: a measurement that keeps faulting (e.g. --default-malloc) stops after
    # WARMUP_MAX runs
    assert len(worker.warm(lambda s: (0.01, 1e4), 2)) == worker.WARMUP_MAX
