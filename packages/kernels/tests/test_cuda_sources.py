"""The CUDA sources compile, and the host side of the GPU kernels is right, without a GPU.

CI has nvcc but no GPU and no driver: every ``cuda/*.cu`` source is compiled to PTX for
sm_80 and sm_90 (one translation unit of all sources per architecture, the two in parallel,
device optimization off: this checks that the code compiles, quickly). The rest checks what
runs on the host: op codes match the C++ module's, argument packing follows the C layout,
the index math of views and reductions, and the on-disk cubin cache.
"""

from __future__ import annotations

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
    # package (or the source tree) has every source next to gpu.py.
    installed = Path(gpu.__file__).resolve().parent / "cuda"
    assert sorted(p.name for p in installed.glob("*.cu")) == sorted(p.name for p in SOURCES)
    assert shutil.which("nvcc") is None or NVCC is not None
