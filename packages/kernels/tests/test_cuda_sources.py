"""The CUDA sources compile, and the host side of the GPU kernels is right, without a GPU.

CI has nvcc but no GPU and no driver: every ``cuda/*.cu`` source is compiled to PTX for
sm_80 and sm_90 (one translation unit of all sources per architecture, the two in parallel,
device optimization off: this checks that the code compiles, quickly). The rest checks what
runs on the host: op codes match the C++ module's, argument packing follows the C layout,
the index math of views and reductions, and the on-disk cubin cache. For the kernels that
have not run on a GPU yet, the host-side plans (TopKV2's padding and scratch, Where's chunks,
Range's arguments, FusedElementwise's program words and register slots) are checked here,
and Python replays of the device index math (the bitonic network, the fused interpreter,
linalg.cu's pivoted LU, substitutions and Cholesky) check that math against NumPy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tensorhouse_kernels import _cpu, gpu

NVCC = gpu.find_nvcc()
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not installed (CUDA toolkit)")
SOURCES = sorted(gpu.SOURCE_DIR.glob("*.cu"))


def test_every_source_is_listed_and_shipped():
    assert {p.stem for p in SOURCES} == set(gpu.SOURCES)
    assert (gpu.SOURCE_DIR / "common.cuh").exists()


@needs_nvcc
@pytest.mark.parametrize("arch", ["sm_80 sm_90"])
def test_every_source_compiles_to_ptx(tmp_path, arch):
    unity = tmp_path / "all.cu"
    unity.write_text("".join(f'#include "{p}"\n' for p in SOURCES))
    start = time.perf_counter()
    procs = {
        a: subprocess.Popen(
            [NVCC, "-ptx", f"-arch={a}", "-std=c++17", "-Xcicc", "-O0", f"-I{gpu.SOURCE_DIR}",
             str(unity), "-o", str(tmp_path / f"{a}.ptx")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=gpu.tool_env(),
        )
        for a in arch.split()
    }  # fmt: skip
    outs = {a: proc.communicate(timeout=300)[0] for a, proc in procs.items()}
    for a, proc in procs.items():
        out = outs[a]
        assert proc.returncode == 0, f"nvcc -ptx -arch={a} failed:\n{out}"
        assert "warning" not in out.lower(), out
    wall = time.perf_counter() - start
    for a in procs:
        ptx = (tmp_path / f"{a}.ptx").read_text()
        entries = {line.split()[-1].rstrip("(") for line in ptx.splitlines() if ".entry" in line}
        # One kernel per (op family, dtype): a source that lost its instantiations shows here.
        assert len(entries) >= 190, sorted(entries)
        for name in (
            "unary_f32",
            "binary_i64",
            "reduce_f64",
            "gemm_f32",
            "gemm_tf32",
            "softmax_f32",
            "conv2d_f32",
            "pool_f64",
            "bn_apply_f32",
            "gather_x32_i64",
            "scatter_nd_f32_i32",
            "random_f32",
            "truncated_f64",
            "cast_f64_bf16",
            "layer_norm_f32",
            "layer_norm_grad_sums_f64",
            "top_k_shared_f32",
            "top_k_global_i64",
            "where_count_u8",
            "where_write_f64",
            "range_i32",
            "fused_f64",
            "lu_solve_shared_f32",
            "lu_solve_global_f64",
            "lu_det_shared_f64",
            "lu_det_global_f32",
            "cholesky_shared_f32",
            "cholesky_global_f64",
        ):
            assert name in entries, f"{name} missing from the {a} PTX"  # fmt: skip
    print(f"nvcc -ptx of {len(SOURCES)} sources for {arch}: {wall:.1f} s")


@needs_nvcc
def test_compile_source_caches_cubins(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORHOUSE_CACHE", str(tmp_path))
    cubin = gpu.compile_source("random", "sm_80")
    assert cubin[:4] == b"\x7fELF"  # a cubin is an ELF image
    (cached,) = (tmp_path / "cuda").glob("random-sm_80-*.cubin")
    assert cached.read_bytes() == cubin
    cached.write_bytes(b"\x7fELF-from-cache")  # a second call must not run nvcc again
    assert gpu.compile_source("random", "sm_80") == b"\x7fELF-from-cache"


def test_source_text_inlines_the_header():
    text = gpu.source_text("elementwise")
    assert '#include "common.cuh"' not in text and "struct Dims" in text


def test_cuda_op_codes_follow_the_cpp_module():
    def cpp_order(codes):
        return [name for name, _ in sorted(codes.items(), key=lambda kv: kv[1])]

    strip = [n[1:] for n in gpu.cuda_enum("elementwise", "Unary")]
    assert strip == [n.replace("Neg", "Neg") for n in cpp_order(_cpu.UNARY_OPS)]
    binary = cpp_order(_cpu.BINARY_OPS)
    cuda = [n[1:] for n in gpu.cuda_enum("elementwise", "Binary")]
    renamed = {"AddV2": "Add", "RealDiv": "Div"}
    assert cuda == [renamed.get(n, n) for n in binary]
    assert [n[1:] for n in gpu.cuda_enum("reduce", "Reduce")] == cpp_order(_cpu.REDUCE_OPS)
    assert cpp_order(_cpu.PREDICATE_OPS) == ["IsNan", "IsFinite", "LogicalNot"]
    assert cpp_order(_cpu.LOGICAL_OPS) == ["LogicalAnd", "LogicalOr"]


def test_arguments_are_packed_in_the_c_layout():
    packed = gpu._pack([gpu.Ptr(0x1000), np.int32(7), np.int64(-2), gpu.Dims([3, 4]),
                        np.int32(5), np.float64(0.5), np.uint8(9)])  # fmt: skip
    assert len(packed) == 8 + 4 + 4 + 8 + 64 + 4 + 4 + 8 + 1
    assert packed[:8] == (0x1000).to_bytes(8, "little")
    assert packed[8:12] == (7).to_bytes(4, "little") and packed[12:16] == bytes(4)  # padding
    assert int.from_bytes(packed[16:24], "little", signed=True) == -2
    assert np.frombuffer(packed[24:88], np.int64).tolist() == [3, 4, 0, 0, 0, 0, 0, 0]
    assert np.frombuffer(packed[96:104], np.float64)[0] == 0.5 and packed[104] == 9
    with pytest.raises(TypeError, match="wrap it"):
        gpu._pack([3])


def test_fill_values_are_converted_like_the_cpu():
    assert gpu._as_bits(3.7, "int32") == 3
    assert gpu._as_bits(1e30, "int64") == 2**63 - 1  # saturates
    assert gpu._as_bits(-1, "uint8") == 0
    assert gpu._as_bits(float("nan"), "int32") == 0
    assert gpu._as_bits(2.5, "float32") == np.float32(2.5).view(np.uint32)
    assert gpu._as_bits(-0.0, "float64") == np.float64(-0.0).view(np.uint64)
    assert gpu._as_bits(2, "bool") == 1


def test_reduce_layout_groups_the_reduced_axes():
    assert gpu.reduce_layout((2, 3, 4), [1]) == (2, 3, 4, None)
    assert gpu.reduce_layout((2, 3, 4), [1, 2]) == (2, 12, 1, None)
    assert gpu.reduce_layout((2, 3, 4), [0, 2]) == (3, 8, 1, [1, 0, 2])
    assert gpu.reduce_layout((2, 1, 4), [0, 1]) == (1, 2, 4, None)  # size-1 dims ignored
    assert gpu.reduce_layout((5, 6), []) == (30, 1, 1, None)


def test_view_geometry_matches_numpy():
    x = np.arange(60).reshape(3, 4, 5)
    for index in ([slice(None, None, -1), slice(1, 3)], [1, slice(None, None, 2)],
                  [slice(None), np.newaxis, slice(4, 0, -3)]):  # fmt: skip
        shape, offset, strides = gpu.view_geometry(x.shape, index)
        flat = x.ravel()
        got = np.lib.stride_tricks.as_strided(flat[offset:], shape, [s * 8 for s in strides])
        np.testing.assert_array_equal(got, x[tuple(index)])


def test_collapse_and_broadcast_strides():
    assert gpu.broadcast_strides((3, 1), (2, 3, 4)) == [0, 1, 0]
    assert gpu.collapse([2, 3, 4], [12, 4, 1], [12, 4, 1]) == ([24], [[1], [1]])
    assert gpu.collapse([2, 3, 4], [12, 4, 1], [0, 0, 1]) == ([6, 4], [[4, 1], [0, 1]])
    with pytest.raises(Exception, match="at most 8"):
        gpu.collapse([2] * 9, [2**i for i in range(8, -1, -1)], [0, 1] * 4 + [0])


def test_importing_the_kernels_does_not_load_the_cuda_driver():
    code = "import sys, tensorhouse_kernels; print('pycuda.driver' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_cuda_sources_are_package_data():
    # scikit-build-core's wheel.packages ships the package directory whole: the installed
    # package (or the source tree) has every source in tensorhouse_kernels/cuda, beside gpu/.
    installed = Path(gpu.__file__).resolve().parent.parent / "cuda"
    assert installed == gpu.SOURCE_DIR.resolve()
    assert sorted(p.name for p in installed.glob("*.cu")) == sorted(p.name for p in SOURCES)
    assert shutil.which("nvcc") is None or NVCC is not None


def test_fused_op_codes_are_the_elementwise_kernels():
    from tensorhouse_kernels.opdefs import FUSED_BINARY, FUSED_UNARY

    assert [n[1:] for n in gpu.cuda_enum("elementwise", "Unary")] == list(FUSED_UNARY)
    renamed = {"AddV2": "Add", "RealDiv": "Div"}
    cuda = [n[1:] for n in gpu.cuda_enum("elementwise", "Binary")]
    assert cuda[: len(FUSED_BINARY)] == [renamed.get(n, n) for n in FUSED_BINARY]


_NP_UNARY = {"Neg": np.negative, "Exp": np.exp, "Square": np.square, "Tanh": np.tanh}
_NP_BINARY = {"AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "Maximum": np.maximum}


def _random_program(rng, n_in, length):
    program = [("input", i) for i in range(n_in)] + [("const", float(rng.normal()))]
    while len(program) < length:
        k = len(program)
        if rng.random() < 0.4:
            program.append(("unary", str(rng.choice(list(_NP_UNARY))), int(rng.integers(k))))
        else:
            a, b = (int(v) for v in rng.integers(k, size=2))
            program.append(("binary", str(rng.choice(list(_NP_BINARY))), a, b))
    outputs = tuple(int(v) for v in rng.choice(len(program), size=3))
    return tuple(program), outputs


def _replay_fused(words, n_instr, inputs, n_out, n):
    """elementwise.cu's fused_kernel in Python: the words' layout and the slots."""
    rows = words[: 6 * n_instr].reshape(n_instr, 6)
    tail = words[6 * n_instr :]
    n_in = len(inputs)
    steps, slots = tail[n_in : 2 * n_in], tail[2 * n_in + n_out :]
    unary = {c: _NP_UNARY[name] for name, c in _cpu.UNARY_OPS.items() if name in _NP_UNARY}
    binary = {c: _NP_BINARY[name] for name, c in _cpu.BINARY_OPS.items() if name in _NP_BINARY}
    out = np.zeros((n_out, n))
    for i in range(n):
        reg = [None] * 32
        for kind, arg, a, b, dst, bits in rows:
            if kind == 0:
                v = inputs[arg][i * steps[arg]]
            elif kind == 1:
                v = np.int64(bits).view(np.float64)
            elif kind == 2:
                v = unary[arg](reg[a])
            else:
                v = binary[arg](reg[a], reg[b])
            reg[dst] = v
        out[:, i] = [reg[s] for s in slots]
    return out


def test_fused_program_words_and_slots_compute_the_program():
    rng = np.random.default_rng(0)
    for trial in range(30):
        program, outputs = _random_program(rng, 2, int(rng.integers(3, 14)))
        x = rng.uniform(-1, 1, 5)
        s = rng.uniform(-1, 1, 1)
        words, used = gpu.fused_program(program, outputs, [0x1000, 0x2000], [1, 0],
                                        [0x3000 + j for j in range(3)], _cpu.UNARY_OPS,
                                        _cpu.BINARY_OPS)  # fmt: skip
        assert words.dtype == np.int64 and used <= len(program)
        assert words[6 * len(program) : 6 * len(program) + 2].tolist() == [0x1000, 0x2000]
        got = _replay_fused(words, len(program), [x, s], 3, 5)
        regs = []
        with np.errstate(all="ignore"):
            for ins in program:
                if ins[0] == "input":
                    regs.append(x if ins[1] == 0 else np.broadcast_to(s, 5))
                elif ins[0] == "const":
                    regs.append(np.full(5, ins[1]))
                elif ins[0] == "unary":
                    regs.append(_NP_UNARY[ins[1]](regs[ins[2]]))
                else:
                    regs.append(_NP_BINARY[ins[1]](regs[ins[2]], regs[ins[3]]))
        np.testing.assert_array_equal(got, np.array([regs[r] for r in outputs]),
                                      err_msg=f"trial {trial}: {program} {outputs}")  # fmt: skip


def test_fused_slots_reuse_dead_registers():
    chain = [("input", 0)] + [("unary", "Exp", k) for k in range(40)]
    slots, used = gpu.fused_slots(chain, (40,))
    assert used == 1 and len(slots) == 41  # a chain runs in place: one slot, not 41
    wide = [("input", 0)] + [("unary", "Exp", 0) for _ in range(40)]
    _, used = gpu.fused_slots(wide, tuple(range(41)))
    assert used == 41 > gpu._FUSED_SLOTS  # every register an output: the per-op host path


def _replay_bitonic(values, p):
    """select.cu's bitonic_sort and topk_before in Python (ascending rank, padding last)."""
    n = len(values)
    v = list(values) + [0.0] * (p - n)
    idx = list(range(p))

    def before(a, ia, b, ib):
        pa, pb = ia >= n, ib >= n
        if pa != pb:
            return pb
        if not pa:
            an, bn = a != a, b != b
            if an != bn:
                return an
            if not an and a != b:
                return a > b
        return ia < ib

    size = 2
    while size <= p:
        stride = size >> 1
        while stride > 0:
            for t in range(p >> 1):
                i = (t // stride) * (stride << 1) + t % stride
                j = i + stride
                up = (i & size) == 0
                swap = before(v[j], idx[j], v[i], idx[i]) if up else before(
                    v[i], idx[i], v[j], idx[j])  # fmt: skip
                if swap:
                    v[i], v[j], idx[i], idx[j] = v[j], v[i], idx[j], idx[i]
            stride >>= 1
        size <<= 1
    return idx


def test_top_k_bitonic_network_orders_as_the_cpu():
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5, 8, 13, 33, 64):
        x = rng.integers(-2, 3, n).astype(np.float64)
        x[rng.random(n) < 0.2] = np.nan
        _, p, _ = gpu.top_k_plan(1, n, 8)
        values, indices = np.zeros((1, n)), np.zeros((1, n), np.int32)
        _cpu.top_k(x[None], n, values, indices)  # the CPU kernel's order
        assert _replay_bitonic(x, p)[:n] == indices[0].tolist(), x


def test_top_k_plan_pads_rows_and_bounds_the_scratch():
    assert gpu.top_k_plan(3, 1, 4) == ("shared", 1, 3)
    assert gpu.top_k_plan(3, 5, 4) == ("shared", 8, 3)
    assert gpu.top_k_plan(10**6, 2048, 8) == ("shared", 2048, gpu.MAX_BLOCKS)
    kind, p, grid = gpu.top_k_plan(100, 2049, 4)
    assert (kind, p, grid) == ("global", 4096, 100)
    kind, p, grid = gpu.top_k_plan(10**5, 3 * 10**6, 8)
    assert kind == "global" and p == 1 << 22 and grid * p * 12 <= gpu._TOPK_SCRATCH_BYTES
    assert gpu.top_k_plan(1, 2**31 - 1, 8)[2] == 1  # one block, whatever the scratch


def test_where_layout_covers_the_input_in_order():
    assert gpu.where_layout(0) == (0, 0)
    for n in (1, 7, 4096, 4097, 10**6, 10**9 + 7):
        chunks, per = gpu.where_layout(n)
        assert 1 <= chunks <= 1024 and chunks * per >= n and (chunks - 1) * per < n, n


def test_range_scalars_follow_the_dtype():
    s, d = gpu.range_scalars(0.1, 0.7, "float32")
    assert s.dtype == np.float32 and s == np.float32(0.1) and d == np.float32(0.7)
    assert gpu.range_scalars(3, -1, "int32") == (3, -1)
    s, d = gpu.range_scalars(2**31, -(2**63), "int64")
    assert (s, d) == (2**31, -(2**63)) and s.dtype == np.int64
    assert gpu.range_scalars(2**31, 1, "int32")[0] == -(2**31)  # wraps, as the kernel's math


def test_layer_norm_blocks_match_the_cpu_row_blocks():
    assert [gpu.layer_norm_blocks(r) for r in (0, 1, 512, 513, 5000)] == [1, 1, 1, 2, 10]


# ---- linalg.cu: constants, plans, arguments, and Python replays of the device loops ---------


def _cu_define(source, name):
    text = (gpu.SOURCE_DIR / f"{source}.cu").read_text()
    return int(re.search(rf"#define {name} (\d+)", text).group(1))


def test_linalg_constants_follow_the_cuda_source():
    assert _cu_define("linalg", "TH_LA_THREADS") == gpu._LA_THREADS
    assert _cu_define("linalg", "TH_LA_SHARED_BYTES") == gpu._LA_SHARED_BYTES
    assert _cu_define("linalg", "TH_LA_MAX_N") == gpu._LA_MAX_N
    assert gpu._LA_THREADS % 32 == 0  # find_pivot's shuffles assume whole warps


def test_linalg_plan_picks_shared_or_global_and_bounds_the_scratch():
    assert gpu.linalg_batch((2, 3, 5, 5)) == (6, 5) and gpu.linalg_batch((4, 4)) == (1, 4)
    assert gpu.linalg_plan("MatrixInverse", (3, 64, 64), 8) == ("shared", 3, 0)
    assert gpu.linalg_plan("MatrixInverse", (90, 90), 4) == ("shared", 1, 0)
    assert gpu.linalg_plan("MatrixInverse", (0, 0), 8) == ("shared", 1, 0)  # 0 x 0: det 1
    assert gpu.linalg_plan("MatrixInverse", (0, 5, 5), 8) == ("shared", 1, 0)
    assert gpu.linalg_plan("MatrixInverse", (10**6, 2, 2), 8) == ("shared", gpu.MAX_BLOCKS, 0)
    assert gpu.linalg_plan("MatrixSolve", (3, 65, 65), 8) == ("global", 3, 3 * 65 * 65)
    assert gpu.linalg_plan("MatrixSolve", (91, 91), 4) == ("global", 1, 91 * 91)
    assert gpu.linalg_plan("Cholesky", (7, 91, 91), 4, scratch=False) == ("global", 7, 0)
    kind, grid, scratch = gpu.linalg_plan("MatrixDeterminant", (10**4, 1024, 1024), 8)
    assert kind == "global" and grid == 32 and scratch * 8 <= gpu._LA_SCRATCH_BYTES
    for dtype in (np.float32, np.float64):  # a shared matrix fits the .cu's buffer
        size = np.dtype(dtype).itemsize
        n = max(n for n in range(1, 200) if gpu.linalg_plan("X", (n, n), size)[0] == "shared")
        assert n * n * np.dtype(dtype).itemsize <= _cu_define("linalg", "TH_LA_SHARED_BYTES")
        assert n >= 64
    with pytest.raises(gpu.errors.UnimplementedError,
                       match=r"MatrixInverse on /device:GPU:0: .*1024 x 1024.*got shape "
                       r"\(2, 1025, 1025\).*\[Op:MatrixInverse\]$"):  # fmt: skip
        gpu.linalg_plan("MatrixInverse", (2, 1025, 1025), 4, "/device:GPU:0")


class _FakeBuffer:
    """A GPUArray stand-in: shape, dtype, a fake address, ``get()``."""

    _next = 0x10000

    def __init__(self, shape, dtype, value=None):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.host = np.zeros(self.shape, self.dtype) if value is None else np.array(value)
        self.gpudata = _FakeBuffer._next if self.size else None
        _FakeBuffer._next += 0x10000

    def get(self):
        return self.host


class _FakeDevice:
    name = "/job:localhost/replica:0/task:0/device:GPU:0"

    def __init__(self):
        self.backend = self
        self.allocated = []

    def allocate(self, shape, dtype):
        self.allocated.append((tuple(shape), np.dtype(dtype).name))
        return _FakeBuffer(shape, dtype)

    def from_host(self, dev, array):
        return _FakeBuffer(array.shape, array.dtype, array)


def _signature(kernel):
    """The argument kinds of linalg.cu's ``kernel`` (from its extern "C" definition)."""
    text = (gpu.SOURCE_DIR / "linalg.cu").read_text()
    params = re.search(kernel + r"_##S\(([^)]*)\)", text).group(1)
    kinds = []
    for p in params.replace("\\", " ").split(","):
        kinds.append("ptr" if "*" in p else "int64" if "int64_t" in p else "int32")
    return kinds


def _kind(arg):
    if isinstance(arg, gpu.Ptr):
        return "ptr"
    return {np.dtype(np.int64): "int64", np.dtype(np.int32): "int32"}[arg.dtype]


def _record_launches(monkeypatch):
    calls = []

    def fake_launch(dev, module, kernel, args, *, n=None, grid=None, block=None):
        calls.append((module, kernel, args, grid, block))

    monkeypatch.setattr(gpu.linalg, "_launch", fake_launch)  # the LAPACK family launches
    return calls


@pytest.mark.parametrize("op, shapes, kernel, grid", [
    ("MatrixInverse", [(2, 3, 5, 5)], "lu_solve_shared_f64", 6),
    ("MatrixInverse", [(100, 100)], "lu_solve_global_f64", 1),
    ("MatrixSolve", [(4, 7, 7), (4, 7, 3)], "lu_solve_shared_f64", 4),
    ("MatrixDeterminant", [(3, 0, 0)], "lu_det_shared_f64", 3),
    ("LogMatrixDeterminant", [(2, 70, 70)], "lu_det_global_f64", 2),
    ("Cholesky", [(5, 80, 80)], "cholesky_global_f64", 5),
])  # fmt: skip
def test_linalg_kernels_pass_the_cuda_signature(monkeypatch, op, shapes, kernel, grid):
    calls = _record_launches(monkeypatch)
    dev = _FakeDevice()
    inputs = [_FakeBuffer(s, np.float64) for s in shapes]
    specs = gpu._OPS[op].infer(shapes, [np.float64] * len(shapes), {"adjoint": True})
    outputs = [_FakeBuffer(s, d) for s, d in specs]
    gpu.TABLE[op](dev, inputs, outputs, {"adjoint": True})
    ((module, name, args, got_grid, block),) = calls
    assert (module, name, got_grid, block) == ("linalg", kernel, (grid, 1, 1), (256, 1, 1))
    assert [_kind(a) for a in args] == _signature(kernel.rsplit("_", 1)[0])
    n = shapes[0][-1]
    if "global" in kernel and op != "Cholesky":  # the scratch: n * n elements per block
        assert dev.allocated == [((grid * n * n,), "float64")]
        assert int(args[3 if "solve" in kernel else 4])
    else:
        assert dev.allocated == []  # shared memory, or Cholesky in its output
    if op == "MatrixInverse":
        assert int(args[1]) == 0 and int(args[-1]) == 1  # no rhs (the identity); adjoint
    if op == "LogMatrixDeterminant":
        assert int(args[1]) == 0 and int(args[2]) and int(args[3])  # det null; sign, log


def test_linalg_empty_inputs_launch_nothing(monkeypatch):
    calls = _record_launches(monkeypatch)
    dev = _FakeDevice()
    for op, shapes in [("MatrixInverse", [(0, 0)]), ("MatrixInverse", [(0, 4, 4)]),
                       ("MatrixSolve", [(5, 5), (5, 0)]), ("Cholesky", [(3, 0, 0)]),
                       ("MatrixDeterminant", [(0, 3, 3)])]:  # fmt: skip
        inputs = [_FakeBuffer(s, np.float32) for s in shapes]
        specs = gpu._OPS[op].infer(shapes, [np.float32] * len(shapes), {})
        gpu.TABLE[op](dev, inputs, [_FakeBuffer(s, d) for s, d in specs], {})
    assert calls == []


def test_singular_flag_raises_the_cpu_error(monkeypatch):
    dev = _FakeDevice()
    created = []
    real_from_host = dev.from_host

    def from_host(d, array):
        created.append(real_from_host(d, array))
        return created[-1]

    dev.from_host = from_host
    # the kernel found a zero pivot: it sets the flag, which the host reads back
    monkeypatch.setattr(gpu.linalg, "_launch", lambda *a, **k: created[-1].host.__setitem__(0, 1))
    x = _FakeBuffer((2, 3, 3), np.float32)
    with pytest.raises(gpu.errors.InvalidArgumentError,
                       match=r"^Input is not invertible\. \[Op:MatrixInverse\]$"):  # fmt: skip
        gpu.TABLE["MatrixInverse"](dev, [x], [_FakeBuffer((2, 3, 3), np.float32)], {})
    with pytest.raises(
        gpu.errors.InvalidArgumentError,
        match=r"^Input matrix is not invertible\. \[Op:MatrixSolve\]$",
    ):
        gpu.TABLE["MatrixSolve"](dev, [x, _FakeBuffer((2, 3, 1), np.float32)],
                                 [_FakeBuffer((2, 3, 1), np.float32)], {})  # fmt: skip
    assert created[0].host.dtype == np.int32 and created[0].host.shape == (1,)


def _idamax(col, k):
    """LAPACK's pivot: scan from row k, keep the first strictly larger |value|."""
    best, at = abs(col[k]), k
    for i in range(k + 1, len(col)):
        if abs(col[i]) > best:
            best, at = abs(col[i]), i
    return at


def _replay_pivot(col, k, threads, warp):
    """linalg.cu's find_pivot: per-thread strided scans, shuffle-down reductions per warp
    (lanes past the warp keep their value), then thread 0 over the warps in order."""
    n = len(col)
    best, at = [-1.0] * threads, [n] * threads
    for t in range(threads):
        for i in range(k + t, n, threads):
            v = abs(col[i])
            if v > best[t]:
                best[t], at[t] = v, i

    def beats(v, i, bv, bi):
        return v > bv or (v == bv and i < bi)

    for w0 in range(0, threads, warp):
        off = warp // 2
        while off:
            seen = [(best[w0 + lane + off], at[w0 + lane + off]) if lane + off < warp
                    else (best[w0 + lane], at[w0 + lane]) for lane in range(warp)]  # fmt: skip
            for lane, (v, i) in enumerate(seen):
                if beats(v, i, best[w0 + lane], at[w0 + lane]):
                    best[w0 + lane], at[w0 + lane] = v, i
            off //= 2
    b, bi = best[0], at[0]
    for q in range(1, threads // warp):
        if beats(best[q * warp], at[q * warp], b, bi):
            b, bi = best[q * warp], at[q * warp]
    return k if col[k] != col[k] else bi


def _replay_lu(a, threads=256, warp=32):
    """linalg.cu's lu_factor: (LU in place, perm, swaps, singular)."""
    a = np.array(a, dtype=np.float64)
    n = a.shape[0]
    perm, swaps, singular = list(range(n)), 0, False
    for k in range(n):
        p = _replay_pivot(a[:, k].tolist(), k, threads, warp)
        assert p == _idamax(a[:, k].tolist(), k)  # the device's reduction is LAPACK's scan
        pivot = a[p, k]
        if pivot == 0:
            singular = True
            continue
        if p != k:
            a[[k, p]] = a[[p, k]]
            perm[k], perm[p] = perm[p], perm[k]
            swaps += 1
        a[k + 1 :, k] /= pivot
        m = n - k - 1
        idx = np.arange(m * m)
        i, j = k + 1 + idx // m, k + 1 + idx % m
        a[i, j] -= a[i, k] * a[k, j]
    return a, perm, swaps, singular


def _replay_solve(lu, perm, rhs):
    """lu_solve's per-column substitutions (rhs None: the identity)."""
    n = lu.shape[0]
    k = n if rhs is None else rhs.shape[1]
    x = np.zeros((n, k))
    for c in range(k):
        for i in range(n):
            x[i, c] = rhs[perm[i], c] if rhs is not None else float(perm[i] == c)
        for i in range(1, n):
            s = x[i, c]
            for j in range(i):
                s -= lu[i, j] * x[j, c]
            x[i, c] = s
        for i in range(n - 1, -1, -1):
            s = x[i, c]
            for j in range(i + 1, n):
                s -= lu[i, j] * x[j, c]
            x[i, c] = s / lu[i, i]
    return x


def _replay_det(lu, swaps):
    s, logsum, prod = (-1.0 if swaps & 1 else 1.0), 0.0, 1.0
    with np.errstate(divide="ignore"):
        for u in np.diag(lu):
            if u < 0:
                s = -s
            prod *= u
            logsum += np.log(abs(u))
    if prod == 0.0 and logsum == -np.inf:
        s = 0.0
    return s * abs(prod), s, logsum


def test_pivot_search_replay_is_lapacks_first_largest():
    rng = np.random.default_rng(3)
    for threads, warp in ((256, 32), (8, 4), (4, 2)):
        for _ in range(200):
            n = int(rng.integers(1, 40))
            col = rng.integers(-3, 4, n).astype(np.float64)  # many ties
            col[rng.random(n) < 0.15] = np.nan
            k = int(rng.integers(0, n))
            assert _replay_pivot(col.tolist(), k, threads, warp) == _idamax(col.tolist(), k), (
                threads,
                col,
                k,
            )


def _pivot_heavy(rng, n):
    kind = rng.integers(4)
    if kind == 0:  # small integers: ties in |value| everywhere
        return rng.integers(-2, 3, (n, n)).astype(np.float64) + 5 * np.eye(n)[rng.permutation(n)]
    if kind == 1:  # a permuted, scaled diagonal with zeros on the diagonal
        return (np.diag(rng.uniform(1, 2, n)) @ np.eye(n)[rng.permutation(n)]) + 1e-3 * (
            rng.standard_normal((n, n))
        )
    if kind == 2:  # rows growing downwards: a swap at every step
        return rng.standard_normal((n, n)) * np.arange(1, n + 1)[:, None] ** 2
    return rng.standard_normal((n, n))


@pytest.mark.parametrize("threads, warp", [(256, 32), (4, 2)])
def test_lu_replay_solves_inverts_and_finds_determinants(threads, warp):
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(1, 13))
        a = _pivot_heavy(rng, n)
        lu, perm, swaps, singular = _replay_lu(a, threads, warp)
        if singular:
            continue
        lower, upper = np.tril(lu, -1) + np.eye(n), np.triu(lu)
        np.testing.assert_allclose(lower @ upper, a[perm], atol=1e-10 * max(1, abs(a).max()))
        assert abs(lower).max() <= 1.0  # partial pivoting bounds the multipliers
        cond = np.linalg.cond(a)
        np.testing.assert_allclose(_replay_solve(lu, perm, None), np.linalg.inv(a),
                                   rtol=1e-9 * cond, atol=1e-9 * cond)  # fmt: skip
        b = rng.standard_normal((n, 3))
        np.testing.assert_allclose(_replay_solve(lu, perm, b), np.linalg.solve(a, b),
                                   rtol=1e-9 * cond, atol=1e-9 * cond)  # fmt: skip
        lu_t, perm_t, _, _ = _replay_lu(a.T, threads, warp)  # adjoint: loaded transposed
        np.testing.assert_allclose(_replay_solve(lu_t, perm_t, b), np.linalg.solve(a.T, b),
                                   rtol=1e-9 * cond, atol=1e-9 * cond)  # fmt: skip
        det, sign, logabs = _replay_det(lu, swaps)
        ref_sign, ref_log = np.linalg.slogdet(a)
        assert sign == ref_sign
        np.testing.assert_allclose(logabs, ref_log, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(det, np.linalg.det(a), rtol=1e-9)


def test_lu_replay_flags_exactly_singular_matrices_as_the_cpu():
    singular = [np.array([[1.0, 0.0, -1.0], [-1.0, 1.0, 0.0], [0.0, -1.0, 1.0]]),
                np.zeros((3, 3)), np.array([[1.0, 2.0], [2.0, 4.0]]),
                np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 6.0]]),
                np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 4.0, 6.0]])]  # fmt: skip
    for a in singular:
        lu, perm, swaps, flag = _replay_lu(a)
        assert flag, a
        assert np.isfinite(lu).all()  # a zero column is skipped, never divided by
        assert _replay_det(lu, swaps)[:2] == (0.0, 0.0)
        assert _replay_det(lu, swaps)[2] == -np.inf
        det = np.ones(1)
        _cpu.matrix_determinant(np.ascontiguousarray(a[None]), det)
        assert det[0] == 0.0  # the CPU (LAPACK on the transpose) finds it singular too
    assert _replay_det(np.zeros((0, 0)), 0) == (1.0, 1.0, 0.0)  # 0 x 0: det 1


def _replay_cholesky(x):
    """linalg.cu's cholesky: lower triangle only, NaN in it when a pivot is not > 0."""
    n = x.shape[0]
    a = np.tril(np.array(x, dtype=np.float64))
    for k in range(n):
        d = a[k, k]
        if not d > 0:
            return np.where(np.tri(n, dtype=bool), np.nan, 0.0)
        a[k, k] = r = np.sqrt(d)
        a[k + 1 :, k] /= r
        m = n - k - 1
        idx = np.arange(m * m)
        i, j = k + 1 + idx // m, k + 1 + idx % m
        keep = j <= i
        a[i[keep], j[keep]] -= a[i[keep], k] * a[j[keep], k]
    return a


def test_cholesky_replay_reads_the_lower_triangle_and_fills_nan_on_failure():
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 7, 12):
        low = np.tril(rng.standard_normal((n, n)), -1) + np.diag(rng.uniform(1, 2, n))
        spd = low @ low.T
        garbage = spd + np.triu(rng.uniform(-9, 9, (n, n)), 1)  # never read
        got = _replay_cholesky(garbage)
        np.testing.assert_allclose(got, np.linalg.cholesky(spd), rtol=1e-12, atol=1e-12)
        assert (np.triu(got, 1) == 0).all()
    bad = _replay_cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert np.isnan(bad[np.tril_indices(2)]).all() and bad[0, 1] == 0
    assert np.isnan(_replay_cholesky(np.array([[np.nan]]))).all()
