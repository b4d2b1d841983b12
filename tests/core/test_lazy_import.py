"""`import unikeras` imports no framework. (Its import time is a benchmark figure:
bench/run.py, "import" section of docs/benchmarks.md.)"""

import subprocess
import sys


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_import_unikeras_imports_no_framework():
    out = _run(
        "import sys, unikeras, unikeras.layers, unikeras.models, unikeras.optimizers, "
        "unikeras.losses, unikeras.metrics, unikeras.xp, unikeras.state\n"
        "print(','.join(m for m in ('jax', 'torch', 'tensorflow') if m in sys.modules) or 'none')")
    assert out == "none"


def test_a_framework_is_imported_when_its_arrays_are_seen():
    out = _run(
        "import sys, numpy as np, unikeras\n"
        "from unikeras import xp\n"
        "xp.namespace(np.ones(2))\n"
        "print('torch' in sys.modules)")
    assert out == "False"
