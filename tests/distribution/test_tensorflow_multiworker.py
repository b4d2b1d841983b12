"""TensorFlow across 2 worker processes on the loopback address
(tf.distribute.MultiWorkerMirroredStrategy): opened by the user around a unikeras model,
or made by keras.distribution.initialize + DataParallel; each equals one process on the
global batches. About 30 s each on the loaded 2-core machine: three interpreters import
TensorFlow (the script: tf_multiworker_script.py)."""

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")

SCRIPT = pathlib.Path(__file__).with_name("tf_multiworker_script.py")


@pytest.mark.parametrize("mode", ["scope", "distribution"])
def test_tensorflow_multiworker_equals_one_process(tmp_path, mode):
    env = dict(os.environ, UNIKERAS_BACKEND="tensorflow", OMP_NUM_THREADS="1")
    env.pop("TF_CONFIG", None)
    out = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), mode], env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert "tf multi-worker ok" in out.stdout
