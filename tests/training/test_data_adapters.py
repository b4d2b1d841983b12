"""Every data format trains a small Dense model on every framework, and delivers the
same batches as plain NumPy arrays: SGD from the same initial weights over the same
batches in the same order must end at the same weights."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import framework_of, set_default_framework

N, B = 40, 10
rng = np.random.default_rng(0)
X = rng.normal(size=(N, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + 0.1).astype("float32")
SW = rng.uniform(0.5, 1.5, size=(N,)).astype("float32")
W0 = [rng.normal(size=(4, 1)).astype("float32"), np.zeros((1,), "float32")]


def _model():
    m = keras.Sequential([layers.Input((4,)), layers.Dense(1)])
    m.set_weights(W0)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    return m


class Batches(keras.utils.PyDataset):
    def __init__(self, with_sw=False, **kwargs):
        super().__init__(**kwargs)
        self.with_sw = with_sw
        self.epochs_ended = 0

    def __len__(self):
        return N // B

    def __getitem__(self, i):
        if i >= len(self):
            raise IndexError(i)
        s = slice(i * B, (i + 1) * B)
        return (X[s], Y[s], SW[s]) if self.with_sw else (X[s], Y[s])

    def on_epoch_end(self):
        self.epochs_ended += 1


def _gen(repeat=1, with_sw=False):
    for _ in range(repeat):
        for i in range(N // B):
            s = slice(i * B, (i + 1) * B)
            yield (X[s], Y[s], SW[s]) if with_sw else (X[s], Y[s])


def _tf_dataset():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((X.astype("float64"), Y)).batch(B)


def _torch_loader():
    import torch

    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    return torch.utils.data.DataLoader(ds, batch_size=B, shuffle=False)


def _torch_dataset():
    import torch

    class Pairs(torch.utils.data.Dataset):  # a user subclass: detected through its MRO
        def __len__(self):
            return N

        def __getitem__(self, i):
            return torch.from_numpy(X[i]).double(), torch.from_numpy(Y[i])

    return Pairs()


FORMATS = {
    "numpy": lambda: dict(x=X, y=Y, batch_size=B),
    "pandas": lambda: dict(x=__import__("pandas").DataFrame(X, columns=list("abcd")),
                           y=__import__("pandas").Series(Y[:, 0]), batch_size=B),
    "generator": lambda: dict(x=_gen(repeat=2), steps_per_epoch=N // B),
    "pydataset": lambda: dict(x=Batches()),
    "pydataset_threads": lambda: dict(x=Batches(workers=3, max_queue_size=2)),
    "tf_data": lambda: dict(x=_tf_dataset()),
    "tf_data_repeat": lambda: dict(x=_tf_dataset().repeat(), steps_per_epoch=N // B),
    "tf_data_iterator": lambda: dict(x=iter(_tf_dataset().repeat()), steps_per_epoch=N // B),
    "torch_dataloader": lambda: dict(x=_torch_loader()),
    "torch_dataset": lambda: dict(x=_torch_dataset(), batch_size=B),
}

_reference = {}


def _reference_weights(framework):
    if framework not in _reference:
        m = _model()
        m.fit(framework_array(X, framework), framework_array(Y, framework), batch_size=B,
              epochs=2, shuffle=False, verbose=0)
        _reference[framework] = m.get_weights()
    return _reference[framework]


def framework_array(a, framework):
    from unikeras.xp import asarray

    return asarray(a, framework=framework)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_format_trains_like_numpy(fmt, framework):
    set_default_framework(framework)
    m = _model()
    kwargs = FORMATS[fmt]()
    hist = m.fit(epochs=2, shuffle=False, verbose=0, **kwargs)
    assert m.framework == framework
    assert len(hist.history["loss"]) == 2
    assert hist.history["loss"][1] < hist.history["loss"][0]
    for got, want in zip(m.get_weights(), _reference_weights(framework)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # predict / evaluate accept the same container types
    if fmt in ("tf_data", "torch_dataloader", "pydataset"):
        fresh = FORMATS[fmt]()["x"]
        loss = m.evaluate(fresh, verbose=0)
        assert np.isfinite(loss)
        preds = m.predict(FORMATS[fmt]()["x"], verbose=0)
        assert np.asarray(preds).shape == (N, 1)


def test_generator_with_sample_weights_and_exhaustion(framework):
    set_default_framework(framework)
    m = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = m.fit(_gen(with_sw=True), epochs=3, verbose=0)
    # No steps_per_epoch: exhaustion ends the first epoch; the second finds nothing and
    # training stops with a warning instead of logging empty epochs.
    assert len(hist.history["loss"]) == 1
    assert any("ran out of data" in str(w.message) for w in caught)
    ref = _model()
    ref.fit(framework_array(X, framework), framework_array(Y, framework),
            sample_weight=framework_array(SW, framework), batch_size=B, shuffle=False,
            epochs=1, verbose=0)
    for got, want in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_pydataset_multiprocessing_and_epoch_hooks(framework):
    set_default_framework(framework)
    m = _model()
    ds = Batches(workers=2, use_multiprocessing=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # jax: "os.fork() was called"
        hist = m.fit(ds, epochs=2, shuffle=False, verbose=0)
    assert len(hist.history["loss"]) == 2
    assert ds.epochs_ended == 2
    for got, want in zip(m.get_weights(), _reference_weights(framework)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_unknown_length_iterator_with_progress_bar(framework, capsys):
    """num_batches() is None for a generator: fit runs with the progress bar on."""
    set_default_framework(framework)
    m = _model()
    hist = m.fit(_gen(), epochs=1, verbose=1)
    assert len(hist.history["loss"]) == 1
    assert "Epoch 1/1" in capsys.readouterr().out


def test_dict_inputs_generator(framework):
    set_default_framework(framework)
    a = keras.Input((2,), name="a")
    b = keras.Input((2,), name="b")
    out = layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    m = keras.Model({"a": a, "b": b}, out)
    m.compile(optimizer="sgd", loss="mse")

    def g():
        for i in range(N // B):
            s = slice(i * B, (i + 1) * B)
            yield {"a": X[s, :2], "b": X[s, 2:]}, Y[s]

    hist = m.fit(g(), epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_containers_reject_separate_targets():
    gen = _gen()
    with pytest.raises(ValueError, match="generator input.*y must not be passed"):
        _model().fit(gen, Y, verbose=0)
    with pytest.raises(ValueError, match="infinite"):
        class Infinite(keras.utils.PyDataset):
            def __getitem__(self, i):
                return X[:B], Y[:B]
        _model().fit(Infinite(), verbose=0)


def test_detection_imports_no_framework():
    import subprocess

    code = ("import sys, numpy as np, unikeras.training.data_adapters as d\n"
            "d.get_adapter((b for b in [(np.ones((2, 2)), np.ones((2, 1)))]))\n"
            "print(sorted(m for m in ('jax', 'torch', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
