"""Run by test_tensorflow_multiworker.py (not a test module itself): 2 TensorFlow
workers on 127.0.0.1 train under MultiWorkerMirroredStrategy, opened by the user
(mode "scope") or by keras.distribution.initialize + DataParallel (mode
"distribution"); each worker reads the same global batches of 16 and its replica takes
its half. The parent checks both workers' weights against one process on the global
batches. Usage: python tf_multiworker_script.py OUT_DIR MODE"""
import json
import os
import sys

import numpy as np

from dp_common import check_against_one_process, data, free_ports, make, run_workers

if len(sys.argv) > 3:  # worker
    import signal
    signal.alarm(180)  # bounded: a worker whose peer died never waits for it
    rank, ports, out, mode = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3], sys.argv[4]
    addresses = [f"127.0.0.1:{p}" for p in ports]
    import unikeras as keras
    x, y = data()
    if mode == "scope":
        os.environ["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": rank}})
        import tensorflow as tf
        with tf.distribute.MultiWorkerMirroredStrategy().scope():
            m = make(keras)
            m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    else:
        d = keras.distribution
        d.initialize(",".join(addresses), 2, rank)
        assert d.DataParallel().num_processes == 2
        with d.DataParallel().scope():
            m = make(keras)
            m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        import tensorflow as tf
        assert isinstance(m.layers[0].kernel.value, tf.distribute.DistributedValues)
    np.save(f"{out}/tf{rank}.npy", np.concatenate([a.ravel() for a in m.get_weights()]))
else:
    out, mode = sys.argv[1], sys.argv[2]
    ports = ",".join(map(str, free_ports(2)))
    env = dict(os.environ, UNIKERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    run_workers(__file__, lambda r: (r, ports, out, mode), env)
    os.environ["UNIKERAS_BACKEND"] = "tensorflow"
    import unikeras as keras
    check_against_one_process(keras, lambda k: np.load(f"{out}/tf{k}.npy"))
    print("tf multi-worker ok")
