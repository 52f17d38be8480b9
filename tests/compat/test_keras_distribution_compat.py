"""keras.distribution as Keras 3.15 has it on TensorFlow: list_devices, DeviceMesh,
TensorLayout, LayoutMap (regex keys), DataParallel / ModelParallel, the global distribution
and its scope, with Keras's error texts."""

import numpy as np
import pytest


def test_devices_mesh_and_data_parallel(tf):
    d = tf.keras.distribution
    assert d.list_devices() == d.list_devices("cpu") == ["cpu:0"]  # no accelerator here
    assert d.distribution() is None
    mesh = d.DeviceMesh((1,), ["batch"], d.list_devices())
    assert repr(mesh) == "<DeviceMesh shape=(1,), axis_names=['batch']>"
    np.testing.assert_array_equal(mesh.devices, np.array(["cpu:0"]))
    dp = d.DataParallel()
    assert repr(dp) == "<DataParallel device_mesh=<DeviceMesh shape=(1,), axis_names=['batch']>>"
    assert (dp.batch_dim_name, dp.num_model_replicas, dp.get_tensor_layout("x")) == (
        "batch",
        1,
        None,
    )
    assert d.DataParallel(devices=["cpu:0"]).device_mesh.axis_names == ["batch"]
    with dp.scope():
        assert d.distribution() is dp
    assert d.distribution() is None
    d.set_distribution(dp)
    try:
        assert d.distribution() is dp
    finally:
        d.set_distribution(None)
    layout = dp.get_data_layout((8, 3))
    assert layout.axes == ("batch", None) and layout.device_mesh is dp.device_mesh


def test_layouts_and_model_parallel(tf):
    d = tf.keras.distribution
    layout = d.TensorLayout(["batch", None])
    assert repr(layout) == "<TensorLayout axes=('batch', None), device_mesh=None>"
    mesh = d.DeviceMesh((1, 1), ["batch", "model"], ["cpu:0"])
    layout.device_mesh = mesh
    with pytest.raises(ValueError, match="Cannot override device mesh value"):
        layout.device_mesh = mesh
    lm = d.LayoutMap(mesh)
    lm["dense.*kernel"] = (None, "model")
    assert lm["dense/kernel"].axes == (None, "model") and lm["dense/kernel"].device_mesh is mesh
    assert lm["conv/kernel"] is None and len(lm) == 1 and list(lm) == ["dense.*kernel"]
    mp = d.ModelParallel(layout_map=lm)
    assert (mp.batch_dim_name, mp.num_model_replicas) == ("batch", 1)
    assert mp.get_data_layout((4, 3)).axes == ("batch", None)
    assert mp.get_tensor_layout("dense_1/kernel").axes == (None, "model")
    lm["dense/.*"] = (None, None)
    with pytest.raises(ValueError, match="matches multiple layout specification keys"):
        lm["dense/kernel"]
    with pytest.raises(ValueError, match="already exist in the LayoutMap"):
        lm["dense.*kernel"] = (None,)
    with pytest.raises(ValueError, match="should be a TensorLayout type"):
        lm["k"] = 3
    del lm["dense/.*"]
    assert len(lm) == 1


def test_errors(tf):
    d = tf.keras.distribution
    with pytest.raises(
        ValueError, match=r"Shape does not match the number of devices. Received: shape=\(2,\)"
    ):
        d.DeviceMesh((2,), ["batch"], ["cpu:0"])
    with pytest.raises(ValueError, match="Shape and axis_names should have same size"):
        d.DeviceMesh((1,), ["a", "b"])
    with pytest.raises(ValueError, match="Shape and axis_names cannot be empty"):
        d.DeviceMesh((), [])
    with pytest.raises(ValueError, match="Invalid axis names for Layout"):
        d.TensorLayout(["x"], d.DeviceMesh((1,), ["batch"]))
    with pytest.raises(ValueError, match="You must specify a layout_map argument"):
        d.ModelParallel()
    with pytest.raises(ValueError, match="must be a `LayoutMap` instance"):
        d.ModelParallel(layout_map={})
    with pytest.raises(ValueError, match="Expect `mesh` to be an instance of `DeviceMesh`"):
        d.DataParallel(device_mesh=3)
    kt = tf.keras.Input((3,))
    assert d.distribute_tensor(kt, d.TensorLayout([None, None])) is kt
