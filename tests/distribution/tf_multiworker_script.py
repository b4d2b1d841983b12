"""Run by test_tensorflow_multiworker.py (not a test module itself): 2 TensorFlow
workers on 127.0.0.1 train under MultiWorkerMirroredStrategy, opened by the user
(mode "scope") or by keras.distribution.initialize + DataParallel (mode
"distribution"); each worker reads the same global batches of 16 and its replica takes
its half. The parent checks both workers' weights against one process on the global
batches. Usage: python tf_multiworker_script.py OUT_DIR MODE"""
import json
import os
import socket
import subprocess
import sys

import numpy as np

from dp_common import data, make

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
    ports = []
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
        ports.append(str(s.getsockname()[1]))
    for s in socks:
        s.close()
    env = dict(os.environ, UNIKERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    ps = [subprocess.Popen([sys.executable, __file__, str(r), ",".join(ports), out, mode],
                           env=env) for r in range(2)]
    try:
        rc = [p.wait(timeout=200) for p in ps]
    finally:
        for p in ps:
            if p.poll() is None:
                p.kill()
    assert rc == [0, 0], rc
    os.environ["UNIKERAS_BACKEND"] = "tensorflow"
    import unikeras as keras
    x, y = data()
    ref = make(keras)
    ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    r = np.concatenate([w.ravel() for w in ref.get_weights()])
    for k in range(2):
        np.testing.assert_allclose(np.load(f"{out}/tf{k}.npy"), r, rtol=1e-5, atol=1e-6)
    print("tf multi-worker ok")
