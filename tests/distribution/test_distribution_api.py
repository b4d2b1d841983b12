"""keras.distribution's framework-free objects: DeviceMesh, TensorLayout, LayoutMap
(regex keys), DataParallel / ModelParallel layouts, set_distribution and the scope,
against Keras 3.15's semantics and messages."""

import numpy as np
import pytest

import unikeras as keras

dist = keras.distribution
DEVICES = ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]


def test_device_mesh_checks_and_reshapes():
    mesh = dist.DeviceMesh((2, 2), ["batch", "model"], devices=DEVICES)
    assert mesh.shape == (2, 2) and mesh.axis_names == ["batch", "model"]
    assert mesh.devices.tolist() == [["cpu:0", "cpu:1"], ["cpu:2", "cpu:3"]]
    with pytest.raises(ValueError, match="Shape does not match the number of devices"):
        dist.DeviceMesh((3, 2), ["batch", "model"], devices=DEVICES)
    with pytest.raises(ValueError, match="same size"):
        dist.DeviceMesh((4,), ["batch", "model"], devices=DEVICES)
    with pytest.raises(ValueError, match="cannot be empty"):
        dist.DeviceMesh((), [], devices=DEVICES)


def test_layout_map_regex_keys():
    mesh = dist.DeviceMesh((2, 2), ["batch", "model"], devices=DEVICES)
    lm = dist.LayoutMap(mesh)
    lm["dense/kernel"] = (None, "model")
    lm[".*conv.*kernel"] = ("model", None, None, None)
    lm[".*bias"] = dist.TensorLayout(("model",))
    assert lm["dense/kernel"].axes == (None, "model")  # exact key first
    assert lm["block/conv2d/kernel"].axes == ("model", None, None, None)
    assert lm["dense_1/bias"].device_mesh is mesh  # the map's mesh is filled in
    assert lm["dense_1/kernel"] is None  # fullmatch, not search
    assert len(lm) == 3 and list(lm) == ["dense/kernel", ".*conv.*kernel", ".*bias"]
    with pytest.raises(ValueError, match="already exist"):
        lm["dense/kernel"] = (None, None)
    lm["conv.*"] = (None,)
    with pytest.raises(ValueError, match="matches multiple layout"):
        lm["conv2d/kernel"]
    with pytest.raises(ValueError, match="TensorLayout type"):
        lm["x"] = "model"
    with pytest.raises(ValueError, match="Invalid axis names"):
        dist.TensorLayout(("data",), mesh)


def test_data_and_model_parallel_layouts():
    dp = dist.DataParallel(devices=DEVICES)
    assert dp.batch_dim_name == "batch" and dp.num_model_replicas == 4
    assert dp.get_data_layout((16, 3)).axes == ("batch", None)
    v = keras.Variable(np.zeros((3, 4), "float32"))
    assert dp.get_variable_layout(v).axes == (None, None)
    mesh = dist.DeviceMesh((2, 2), ["data", "model"], devices=DEVICES)
    lm = dist.LayoutMap(mesh)
    lm[".*kernel"] = (None, "model")
    mp = dist.ModelParallel(layout_map=lm)
    assert mp.batch_dim_name == "data" and mp.num_model_replicas == 2
    v.path = "dense/kernel"
    assert mp.get_variable_layout(v).axes == (None, "model")
    v.path = "dense/bias"
    assert mp.get_variable_layout(v).axes == (None, None)
    with pytest.raises(ValueError, match="layout_map"):
        dist.ModelParallel()


def test_set_distribution_and_scope():
    dp = dist.DataParallel(devices=DEVICES)
    assert dist.distribution() is None
    with dp.scope():
        assert dist.distribution() is dp
        inner = dist.DataParallel(devices=DEVICES[:2])
        with inner.scope():
            assert dist.distribution() is inner
        assert dist.distribution() is dp
    assert dist.distribution() is None
    dist.set_distribution(dp)
    try:
        assert dist.distribution() is dp
    finally:
        dist.set_distribution(None)
    with pytest.raises(ValueError, match="Distribution"):
        dist.set_distribution("data_parallel")
