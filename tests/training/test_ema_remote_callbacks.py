"""SwapEMAWeights against Keras 3's own fits (``_keras_ema_refs.py``: the validation
losses computed with the moving averages swapped in, with and without swap_on_epoch) on
every framework, through a LossScaleOptimizer and with predict; RemoteMonitor posting
each epoch's logs to a local HTTP server on 127.0.0.1 (form field and JSON), nothing
before the first epoch ends, a warning when the server is unreachable."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras

REFS = Path(__file__).with_name("_keras_ema_refs.py")


@pytest.fixture(scope="module")
def refs(keras_script_refs):
    return keras_script_refs(REFS)


def _model(refs):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"),
                          keras.layers.Dense(2)])
    m.set_weights([refs[f"w{i}"] for i in range(4)])
    return m


@pytest.mark.parametrize("tag", ["plain", "swap", "epoch"])
def test_swap_ema_weights_matches_keras(tag, framework, to_fw, refs):
    m = _model(refs)
    m.compile(keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.8), "mse")
    cbs = [] if tag == "plain" else [keras.callbacks.SwapEMAWeights(swap_on_epoch=tag == "epoch")]
    x, y = to_fw(refs["x"], framework), to_fw(refs["y"], framework)
    h = m.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
              validation_data=(x[:10], y[:10]), callbacks=cbs)
    np.testing.assert_allclose(h.history["loss"], refs[f"{tag}_loss"], rtol=1e-5)
    np.testing.assert_allclose(h.history["val_loss"], refs[f"{tag}_val_loss"], rtol=1e-5)
    for i, w in enumerate(m.get_weights()):
        np.testing.assert_allclose(w, refs[f"{tag}_after{i}"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), refs[f"{tag}_eval"], rtol=1e-5)
    if tag == "swap":  # the averages were in the model for validation only
        assert not np.allclose(refs["swap_val_loss"], refs["plain_val_loss"])


def test_swap_ema_weights_evaluate_predict_and_loss_scaling(framework, to_fw, to_np, refs):
    m = _model(refs)
    m.compile(keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)), "mse")
    x, y = to_fw(refs["x"], framework), to_fw(refs["y"], framework)
    m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    inner = m.optimizer.inner_optimizer
    # give the averages and the variables different values
    for v, e in zip(inner._trainable_variables, inner._ema):
        e.assign(np.asarray(v.numpy()) * 0.5)
    live = [np.array(w) for w in m.get_weights()]
    ema = [np.asarray(e.numpy()) for e in inner._ema]
    cb = keras.callbacks.SwapEMAWeights()
    p_ema = to_np(m.predict(x, verbose=0, callbacks=[cb]))
    for w, l in zip(m.get_weights(), live):  # swapped back after predict
        np.testing.assert_array_equal(w, l)
    m.set_weights(ema)
    np.testing.assert_allclose(p_ema, to_np(m.predict(x, verbose=0)), rtol=1e-6)
    m.set_weights(live)
    ev = m.evaluate(x, y, verbose=0, callbacks=[cb])
    m.set_weights(ema)
    np.testing.assert_allclose(ev, m.evaluate(x, y, verbose=0), rtol=1e-6)


def test_swap_ema_weights_needs_use_ema(refs):
    m = _model(refs)
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match="`use_ema=True` is set on the optimizer"):
        m.evaluate(refs["x"], refs["y"], verbose=0,
                   callbacks=[keras.callbacks.SwapEMAWeights()])


class _Collector(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Collector.posts = []
    httpd = HTTPServer(("127.0.0.1", 0), _Collector)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Collector.posts
    httpd.shutdown()
    httpd.server_close()


def test_remote_monitor_posts_each_epoch(server, framework, to_fw, refs):
    root, posts = server
    m = _model(refs)
    m.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    x, y = to_fw(refs["x"], framework), to_fw(refs["y"], framework)
    mon = keras.callbacks.RemoteMonitor(root=root, path="/epochs", field="payload",
                                        headers={"X-Run": "7"})
    assert posts == []
    h = m.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[mon])
    assert len(posts) == 2
    for epoch, (path, ctype, body) in enumerate(posts):
        assert path == "/epochs" and ctype == "application/x-www-form-urlencoded"
        sent = json.loads(urllib.parse.parse_qs(body.decode())["payload"][0])
        assert sent["epoch"] == epoch
        assert sent["loss"] == pytest.approx(h.history["loss"][epoch], rel=1e-6)
        assert sent["mae"] == pytest.approx(h.history["mae"][epoch], rel=1e-6)
    posts.clear()
    m.fit(x, y, batch_size=8, epochs=1, verbose=0,
          callbacks=[keras.callbacks.RemoteMonitor(root=root, send_as_json=True)])
    (path, ctype, body), = posts
    assert path == "/publish/epoch/end/" and ctype == "application/json"
    assert set(json.loads(body)) == {"epoch", "loss", "mae"}


def test_remote_monitor_unreachable_warns(refs):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    m = _model(refs)
    m.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        m.fit(refs["x"], refs["y"], epochs=1, verbose=0,
              callbacks=[keras.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}")])
