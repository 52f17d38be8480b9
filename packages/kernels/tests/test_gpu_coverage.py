"""Every op of the CPU kernel library has a CUDA kernel, or is excluded on purpose.

The op list comes from the runtime's registry, so an op added to the CPU library without a
GPU kernel (``tensorhouse_kernels.gpu.TABLE``) or an entry in ``gpu.EXCLUDED`` fails here.
"""

from __future__ import annotations

import contextlib
import importlib.util

import numpy as np

from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import Outputs, get_op_def, gpu

HAS_BFLOAT16 = importlib.util.find_spec("ml_dtypes") is not None  # bfloat16 kernels need it

if HAS_BFLOAT16:
    import ml_dtypes  # noqa: F401 - the kernels add bfloat16 when ml_dtypes is first loaded


def test_every_cpu_op_has_a_gpu_kernel_or_a_stated_exclusion():
    cpu = gpu.cpu_op_dtypes()
    assert len(cpu) >= 80  # guards against an empty registry hiding everything
    missing = sorted(set(cpu) - set(gpu.TABLE) - set(gpu.EXCLUDED))
    assert not missing, (
        f"CPU ops without a GPU kernel: {missing}. Add a kernel to tensorhouse_kernels.gpu.TABLE "
        "(and its CUDA source), or list the op in gpu.EXCLUDED with the reason."
    )


def test_exclusions_are_explained_and_not_registered():
    assert not set(gpu.EXCLUDED) & set(gpu.TABLE)
    for op, reason in gpu.EXCLUDED.items():
        assert isinstance(reason, str) and len(reason) > 20, op
        assert not list_kernels(op_type=op, device_type="GPU"), op


def test_gpu_kernels_have_the_cpu_dtypes_when_registered():
    cpu = gpu.cpu_op_dtypes()
    registered = {k.op_type for k in list_kernels(device_type="GPU") if k.source == gpu.SOURCE}
    for op in registered:
        got = {k.dtype for k in list_kernels(op_type=op, device_type="GPU")}
        assert got == set(cpu[op]) & gpu._GPU_DTYPES - set(gpu.NO_CUDA_DTYPES.get(op, ())), op
    assert registered <= set(cpu)


def test_table_covers_the_issue_list():
    for op in ("AddV2", "Exp", "Sum", "Mean", "MatMul", "BatchMatMulV2", "Softmax",
               "LogSoftmax", "SoftmaxCrossEntropyWithLogits",
               "SparseSoftmaxCrossEntropyWithLogits", "Conv2D", "Conv2DBackpropInput",
               "Conv2DBackpropFilter", "MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad",
               "FusedBatchNormV3", "FusedBatchNormGradV3", "GatherV2", "GatherNd", "ScatterNd",
               "UnsortedSegmentSum", "RandomUniform", "RandomStandardNormal", "Cast"):  # fmt: skip
        assert op in gpu.TABLE, op


def test_pairs_without_cuda_code_are_not_registered_on_the_gpu():
    cpu = gpu.cpu_op_dtypes()
    for op, dtypes in gpu.NO_CUDA_DTYPES.items():
        real = {d for d in dtypes if d != "bfloat16" or HAS_BFLOAT16}
        assert real <= set(cpu[op]), op  # each names a pair the CPU really has
        chosen = gpu.gpu_dtypes(op, cpu[op])
        assert chosen and not set(chosen) & set(dtypes), (op, chosen)  # floats stay on the GPU
        on_gpu = {k.dtype for k in list_kernels(op_type=op, device_type="GPU")}
        assert not on_gpu & set(dtypes), op
    assert gpu.gpu_dtypes("MaxPool", ["float32", "int32"]) == ["float32"]


class _FakeBackend:
    def __init__(self):
        self.active = []

    @contextlib.contextmanager
    def activate(self, device):
        self.active.append(device)
        yield


class _FakeDevice:
    def __init__(self):
        self.backend = _FakeBackend()


class _FakeBuffer(np.ndarray):  # stands in for a GPUArray: a ``gpudata`` and a ``th_device``
    gpudata = 0


def _buffer(values, device):
    b = np.asarray(values, np.float32).view(_FakeBuffer)
    b.th_device = device
    return b


def _outputs(device, *buffers):
    outputs = Outputs(buffers)
    outputs.device = device
    return outputs


def test_gpu_kernel_fills_the_outputs_execute_allocated(monkeypatch):
    # One contract: execute runs the shape rule and allocates; the GPU kernel only launches.
    dev = _FakeDevice()
    calls = []

    def launch(device, inputs, outputs, attrs):
        calls.append(device)
        np.negative(inputs[0], out=outputs[0])

    monkeypatch.setitem(gpu.TABLE, "Neg", launch)
    monkeypatch.setattr(get_op_def("Neg"), "infer", None)  # the kernel must not run the rule
    kernel = gpu.make_kernel("Neg")
    x, out = _buffer([1.0, -2.0], dev), _buffer([0.0, 0.0], dev)
    assert kernel([x], _outputs(dev, out), {}) is None
    assert out.tolist() == [-1.0, 2.0]
    assert calls == [dev] and dev.backend.active == [dev]


def test_gpu_kernel_of_an_op_that_does_not_allocate_sets_its_empty_slots(monkeypatch):
    dev = _FakeDevice()
    seen = []

    def reshape(device, ins, outs, attrs):
        seen.append((device, outs))  # the CUDA side gets no buffers: it makes the view
        return (ins[0].reshape(2, 1),)

    monkeypatch.setitem(gpu.TABLE, "Reshape", reshape)
    kernel = gpu.make_kernel("Reshape")
    outputs = _outputs(dev, None)
    assert kernel([_buffer([3.0, 4.0], dev)], outputs, {"shape": (2, 1)}) is None
    (y,) = outputs
    assert y.shape == (2, 1) and y.tolist() == [[3.0], [4.0]] and seen == [(dev, None)]
    assert dev.backend.active == [dev]
