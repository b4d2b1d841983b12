"""The benchmark's hand-written loops compute the workloads they claim: the jax and TF
versions (same initial values) agree step by step, and each native loop and the unikeras
model have the same parameter count (bench/run.py reports both)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench")
sys.path.insert(0, os.path.abspath(BENCH))

import workloads  # noqa: E402


@pytest.mark.parametrize("key", ["W5", "W6"])
def test_native_jax_and_tf_agree_and_match_the_keras_model_size(key):
    pytest.importorskip("jax")
    pytest.importorskip("tensorflow")
    pytest.importorskip("optax")
    import native_jax
    import native_tf

    import unikeras

    w = workloads.WORKLOADS[key]
    x, y = w.data(1)
    losses = {}
    for name, mod in (("jax", native_jax), ("tf", native_tf)):
        net = mod.Native(key)
        batch = net.to_batch(x, y)
        losses[name] = []
        for _ in range(3):
            net.step(batch)
            losses[name].append(net.sync())
        n_params = sum(int(np.prod(v.shape)) for v in net.params.values())
    np.testing.assert_allclose(losses["jax"], losses["tf"], rtol=2e-3)  # Adam: optax eps 1e-8, the TF loop Keras' 1e-7
    assert losses["jax"][-1] < losses["jax"][0]
    assert n_params == workloads.build_model(unikeras, key).count_params() - (
        # BatchNorm moving statistics are Keras weights but native state
        sum(2 * c for _, _, c, _, _ in native_jax.W6_CONVS) if key == "W6" else 0)


@pytest.mark.parametrize("key", ["W5", "W6"])
def test_native_torch_trains(key):
    pytest.importorskip("torch")
    import native_torch

    w = workloads.WORKLOADS[key]
    x, y = w.data(1)
    net = native_torch.Native(key)
    batch = net.to_batch(x, y)
    first = None
    for _ in range(4):
        net.step(batch)
        first = net.sync() if first is None else first
    assert net.sync() < first


@pytest.mark.parametrize("key", ["W2", "W6"])
def test_native_torch_memory_format_changes_only_the_storage(key):
    """The conv loops run channels_last (bench/native_torch.CONV_FORMAT, the faster
    layout on CPU); they compute what the contiguous NCHW loop computes."""
    torch = pytest.importorskip("torch")
    import native_torch

    w = workloads.WORKLOADS[key]
    x, y = w.data(1)
    losses, fmts = [], (torch.channels_last, torch.contiguous_format)
    for fmt in fmts:
        net = native_torch.Native(key, memory_format=fmt)
        batch = net.to_batch(x[:16], y[:16])
        assert batch[0].is_contiguous(memory_format=fmt)
        losses.append([(net.step(batch), net.sync())[1] for _ in range(2)])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert native_torch.CONV_FORMAT is torch.channels_last
