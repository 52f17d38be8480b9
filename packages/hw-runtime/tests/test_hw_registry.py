"""The kernel registry: registration, priorities, lookups, errors, listing."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import errors
from tensorhouse_hw_runtime.registry import KernelInfo

F32 = np.dtype("float32")


def cpp_kernel(inputs, outputs, attrs):
    return "cpp"


def python_kernel(inputs, outputs, attrs):
    return "python"


def test_register_and_lookup(fresh_registry):
    reg = fresh_registry
    reg.register("MyOp", "CPU", "float32", cpp_kernel)
    assert reg.lookup("MyOp", "CPU", F32) is cpp_kernel
    # The dtype may be given as a name or a NumPy type too.
    assert reg.lookup("MyOp", "CPU", "float32") is cpp_kernel
    assert reg.lookup("MyOp", "CPU", np.float32) is cpp_kernel
    assert reg.has("MyOp", "CPU", F32)
    assert not reg.has("MyOp", "CPU", np.dtype("float64"))
    assert not reg.has("MyOp", "GPU", F32)


def test_device_type_is_upper_cased_at_registration(fresh_registry):
    fresh_registry.register("MyOp", "gpu", np.float64, cpp_kernel)
    assert fresh_registry.lookup("MyOp", "GPU", np.dtype("float64")) is cpp_kernel
    (info,) = fresh_registry.list_kernels()
    assert info.device_type == "GPU"
    assert info.dtype == "float64"


def test_kernel_info_fields(fresh_registry):
    fresh_registry.register("MyOp", "CPU", "int32", cpp_kernel, priority=3, source="mylib")
    fresh_registry.register("MyOp", "CPU", "int64", python_kernel)
    infos = fresh_registry.list_kernels("MyOp")
    assert infos == [
        KernelInfo("MyOp", "CPU", "int32", 3, "mylib", cpp_kernel),
        KernelInfo("MyOp", "CPU", "int64", 0, __name__, python_kernel),  # source: __module__
    ]


def test_higher_priority_python_kernel_overrides(fresh_registry):
    reg = fresh_registry
    reg.register("MatMul", "CPU", "float32", cpp_kernel, source="cpp")
    reg.register("MatMul", "CPU", "float32", python_kernel, priority=10, source="py")
    assert reg.lookup("MatMul", "CPU", F32) is python_kernel
    assert reg.lookup("MatMul", "CPU", F32)(None, None, None) == "python"
    # A lower priority registered later does not displace the best one.
    low = lambda i, o, a: "low"  # noqa: E731
    reg.register("MatMul", "CPU", "float32", low, priority=-5, source="low")
    assert reg.lookup("MatMul", "CPU", F32) is python_kernel
    assert [(k.priority, k.source) for k in reg.list_kernels("MatMul")] == [
        (10, "py"),
        (0, "cpp"),
        (-5, "low"),
    ]
    # Unregistering the override brings the next best back.
    reg.unregister("MatMul", "CPU", "float32", priority=10)
    assert reg.lookup("MatMul", "CPU", F32) is cpp_kernel
    reg.unregister("MatMul", "CPU", "float32", priority=0)
    assert reg.lookup("MatMul", "CPU", F32) is low
    reg.unregister("MatMul", "CPU", "float32", priority=-5)
    assert not reg.has("MatMul", "CPU", F32)
    assert reg.list_kernels("MatMul") == []
    with pytest.raises(errors.NotFoundError):
        reg.lookup("MatMul", "CPU", F32)


def test_equal_priority_is_already_exists(fresh_registry):
    reg = fresh_registry
    reg.register("Softmax", "CPU", "float32", cpp_kernel, priority=2, source="first_lib")
    with pytest.raises(errors.AlreadyExistsError) as info:
        reg.register("Softmax", "cpu", np.float32, python_kernel, priority=2)
    msg = str(info.value)
    assert "'Softmax'" in msg
    assert "float32" in msg and "CPU" in msg
    assert "priority 2" in msg
    assert "first_lib" in msg  # who holds the slot
    assert info.value.error_code == 6
    # The failed registration left the registry as it was.
    assert reg.lookup("Softmax", "CPU", F32) is cpp_kernel
    assert len(reg.list_kernels("Softmax")) == 1


def test_missing_kernel_lists_what_is_registered_for_that_op(fresh_registry):
    reg = fresh_registry
    reg.register("MyOp", "CPU", "float32", cpp_kernel)
    reg.register("MyOp", "CPU", "float64", cpp_kernel)
    reg.register("MyOp", "GPU", "float32", cpp_kernel)
    reg.register("OtherOp", "CPU", "int32", cpp_kernel)
    with pytest.raises(errors.NotFoundError) as info:
        reg.lookup("MyOp", "CPU", np.dtype("int32"))
    msg = str(info.value)
    assert "'MyOp'" in msg and "int32" in msg
    assert msg.endswith("Registered kernels for 'MyOp': CPU:float32, CPU:float64, GPU:float32")
    assert "OtherOp" not in msg
    assert info.value.error_code == 5


def test_missing_op_lists_none(fresh_registry):
    with pytest.raises(errors.NotFoundError, match="Registered kernels for 'Nope': none$"):
        fresh_registry.lookup("Nope", "CPU", F32)


def test_lookup_with_dtype_name_of_missing_kernel_is_not_found(fresh_registry):
    fresh_registry.register("MyOp", "CPU", "float32", cpp_kernel)
    with pytest.raises(errors.NotFoundError, match="dtype float64"):
        fresh_registry.lookup("MyOp", "CPU", "float64")


def test_bad_registrations_are_type_errors(fresh_registry):
    with pytest.raises(TypeError, match="callable"):
        fresh_registry.register("MyOp", "CPU", "float32", "not a function")
    with pytest.raises(TypeError, match="not a NumPy dtype"):
        fresh_registry.register("MyOp", "CPU", "no_such_dtype", cpp_kernel)
    assert fresh_registry.list_kernels() == []


def test_unregister_unknown_is_a_no_op(fresh_registry):
    fresh_registry.register("MyOp", "CPU", "float32", cpp_kernel)
    fresh_registry.unregister("Nope", "CPU", "float32")
    fresh_registry.unregister("MyOp", "CPU", "float32", priority=7)  # no such priority
    assert fresh_registry.lookup("MyOp", "CPU", F32) is cpp_kernel


def test_list_kernels_filters_and_sorts(fresh_registry):
    reg = fresh_registry
    reg.register("B", "GPU", "float32", cpp_kernel)
    reg.register("A", "CPU", "int64", cpp_kernel)
    reg.register("B", "CPU", "float64", cpp_kernel)
    reg.register("A", "CPU", "float32", cpp_kernel)
    reg.register("A", "CPU", "float32", python_kernel, priority=1)
    key = [(k.op_type, k.device_type, k.dtype, k.priority) for k in reg.list_kernels()]
    assert key == [
        ("A", "CPU", "float32", 1),
        ("A", "CPU", "float32", 0),
        ("A", "CPU", "int64", 0),
        ("B", "CPU", "float64", 0),
        ("B", "GPU", "float32", 0),
    ]
    assert [k.dtype for k in reg.list_kernels("B")] == ["float64", "float32"]
    assert [(k.op_type, k.dtype) for k in reg.list_kernels(device_type="gpu")] == [("B", "float32")]
    assert reg.list_kernels("A", "GPU") == []
    assert reg.op_types() == {"A", "B"}
    assert reg.op_types("GPU") == {"B"}


def test_concurrent_registration_keeps_every_entry(fresh_registry):
    reg = fresh_registry
    barrier = threading.Barrier(8)

    def worker(p):
        barrier.wait(10)
        for dt in ("float32", "float64", "int32"):
            reg.register("Racy", "CPU", dt, lambda i, o, a, p=p: p, priority=p)

    threads = [threading.Thread(target=worker, args=(p,)) for p in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for dt in ("float32", "float64", "int32"):
        infos = reg.list_kernels("Racy")
        assert sorted(k.priority for k in infos if k.dtype == dt) == list(range(8))
        assert reg.lookup("Racy", "CPU", np.dtype(dt))(None, None, None) == 7


def test_register_kernel_decorator_on_global_registry(global_op):
    @rt.register_kernel(global_op, "CPU", ["float32", np.int64], source="decorated")
    def kernel(inputs, outputs, attrs):
        return 42

    assert kernel(None, None, None) == 42  # the decorator returns the function
    assert rt.registry.lookup(global_op, "CPU", F32) is kernel
    assert rt.registry.lookup(global_op, "CPU", np.dtype("int64")) is kernel
    assert [(k.dtype, k.source) for k in rt.list_kernels(op_type=global_op)] == [
        ("float32", "decorated"),
        ("int64", "decorated"),
    ]

    @rt.register_kernel(global_op, "CPU", "float64")  # a single dtype, not a list
    def kernel64(inputs, outputs, attrs):
        return 64

    assert rt.registry.lookup(global_op, "CPU", np.dtype("float64")) is kernel64
    assert rt.list_kernels(op_type=global_op, device_type="CPU")[1].source == __name__


def test_deferred_kernels_register_when_their_device_type_is_first_asked_about(fresh_registry):
    reg = fresh_registry
    calls = []

    def loader():
        calls.append(1)
        reg.register("MyOp", "XLA_CPU", "float32", cpp_kernel)

    reg.defer(["xla_cpu"], loader)
    reg.register("MyOp", "CPU", "float32", python_kernel)  # another device type: not loaded
    assert reg.find(("MyOp", "XLA_CPU", F32)) is None and calls == []
    assert [k.device_type for k in reg.list_kernels(device_type="CPU")] == ["CPU"]
    assert calls == []
    assert reg.has("MyOp", "XLA_CPU", F32) and calls == [1]
    assert reg.lookup("MyOp", "XLA_CPU", F32) is cpp_kernel
    assert not reg.load_deferred() and calls == [1]  # once only


def test_a_loader_whose_registers_run_another_deferred_loader_runs_each_once(fresh_registry):
    """Listing every kernel runs the XLA loader, whose CPU register runs the CPU loader (the
    string kernels) inside it: each runs once, and the listing holds the kernels of both."""
    reg = fresh_registry
    calls = []

    def xla():
        calls.append("xla")
        reg.register("MyOp", "XLA_CPU", "float32", cpp_kernel)
        reg.register("MyOp", "CPU", "float32", cpp_kernel)  # runs the CPU loader first

    def cpu():
        calls.append("cpu")
        reg.register("StringOp", "CPU", "object", python_kernel)

    reg.defer(["XLA_CPU"], xla)
    reg.defer(["CPU"], cpu)
    got = [(k.op_type, k.device_type) for k in reg.list_kernels()]
    assert got == [("MyOp", "CPU"), ("MyOp", "XLA_CPU"), ("StringOp", "CPU")]
    assert calls == ["xla", "cpu"] and not reg.load_deferred()


@pytest.mark.parametrize("query", ["lookup", "list", "register", "op_types"])
def test_every_query_of_a_deferred_device_type_loads_it_first(fresh_registry, query):
    reg = fresh_registry
    reg.defer(["TPU"], lambda: reg.register("MyOp", "TPU", "float32", cpp_kernel))
    if query == "lookup":
        assert reg.lookup("MyOp", "TPU", "float32") is cpp_kernel  # a miss of `find` loads
    elif query == "list":
        assert [k.kernel for k in reg.list_kernels()] == [cpp_kernel]
    elif query == "op_types":
        assert reg.op_types("TPU") == {"MyOp"}
    else:  # the clash is reported as if the deferred kernel had been registered at once
        with pytest.raises(errors.AlreadyExistsError, match="already registered"):
            reg.register("MyOp", "TPU", "float32", python_kernel)


def test_a_query_during_another_threads_deferred_load_waits_for_its_kernels(fresh_registry):
    reg = fresh_registry
    started, release = threading.Event(), threading.Event()

    def loader():  # slow: a second thread asks while it runs
        started.set()
        release.wait(5)
        reg.register("MyOp", "XLA_CPU", "float32", cpp_kernel)

    reg.defer(["XLA_CPU"], loader)
    first = threading.Thread(target=reg.list_kernels, kwargs={"device_type": "XLA_CPU"})
    first.start()
    assert started.wait(5)
    seen = []
    second = threading.Thread(
        target=lambda: seen.append(
            ([k.kernel for k in reg.list_kernels(device_type="XLA_CPU")],
             reg.has("MyOp", "XLA_CPU", F32))
        )
    )  # fmt: skip
    second.start()
    second.join(0.3)  # the second query reaches the registry while the loader still runs
    release.set()
    first.join(5)
    second.join(5)
    assert seen == [([cpp_kernel], True)]  # before: [] while the first thread was loading
