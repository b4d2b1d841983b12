"""TensorFlow across 2 worker processes on the loopback address
(tf.distribute.MultiWorkerMirroredStrategy): opened by the user around a unikeras model,
or made by keras.distribution.initialize + DataParallel; each equals one process on the
global batches. About 30 s each on the loaded 2-core machine: three interpreters import
TensorFlow (the script: tf_multiworker_script.py)."""

import pathlib
import sys

import pytest

pytest.importorskip("tensorflow")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from dp_common import run_script  # noqa: E402

SCRIPT = pathlib.Path(__file__).with_name("tf_multiworker_script.py")


@pytest.mark.parametrize("mode", ["scope", "distribution"])
def test_tensorflow_multiworker_equals_one_process(tmp_path, mode):
    run_script(SCRIPT, [tmp_path, mode], "tensorflow", "tf multi-worker ok")
