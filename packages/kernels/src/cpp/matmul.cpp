// MatMul and BatchMatMulV2 through OpenBLAS (scipy-openblas32: 32-bit ints, symbols prefixed
// with scipy_), or through the CBLAS that tensorhouse_kernels swapped in (blas.h's BlasTable).
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "common.h"
#include "blas.h"

namespace th {

namespace {

BlasTable openblas_table() {
  return BlasTable{scipy_cblas_sgemm, scipy_cblas_dgemm, scipy_cblas_sgemm_batch_strided,
                   scipy_cblas_dgemm_batch_strided, nullptr, "openblas"};
}

}  // namespace

BlasTable& blas() {
  static BlasTable table = openblas_table();
  return table;
}

namespace {

// Integer GEMM (no BLAS has one): c[m, n] = op(a) op(b), products and sums wrapping in T as
// TF's integer MatMul does. Rows of c split over threads; each element is summed in k order.
template <typename T>
void int_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
              const T* b, int64_t ldb, T* c, bool threads) {
  auto rows = [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      T* ci = c + i * n;
      std::fill(ci, ci + n, T(0));
      for (int64_t p = 0; p < k; ++p) {
        const T av = ta ? a[p * lda + i] : a[i * lda + p];
        if (tb)
          for (int64_t j = 0; j < n; ++j) ci[j] = wrap_add(ci[j], wrap_mul(av, b[j * ldb + p]));
        else
          for (int64_t j = 0; j < n; ++j) ci[j] = wrap_add(ci[j], wrap_mul(av, b[p * ldb + j]));
      }
    }
  };
  if (threads) parallel_for(m, m * n * k, rows);
  else rows(0, m);
}

// Threads for a float GEMM of `flops` multiply-adds (m * n * k, over the whole batch): one
// below kGemmThreadedFrom or inside a parallel region, or while the contention guard backs off
// and the product is short beside the helpers' lag (common.h's contended).
inline int gemm_threads(int64_t flops) {
#ifdef _OPENMP
  if (flops >= kGemmThreadedFrom && !omp_in_parallel() && !contended(flops / kMacsPerNs))
    return num_threads();
#endif
  return 1;
}

constexpr int64_t kGemmBlockMin = int64_t(1) << 21;  // m * n * k of one block of a split GEMM
constexpr int64_t kGemmBlockSpan = 512;  // rows (or columns) of C per block, when there are enough
constexpr int64_t kWideMinK = 256;  // gemm_split's transposed short, wide C

// C = op(A) @ op(B) on nt threads. OpenBLAS: row blocks of C (column blocks when C is wider
// than tall and the core allows) on multiples of split_units, claimed by the threads
// (claim_chunks), each one single-threaded GEMM over the whole k, so the bits never depend on
// the thread count. A threaded library (oneMKL) gets the whole product and nt.
template <typename T>
void gemm_split(int ta, int tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                const T* b, int64_t ldb, T* c, int64_t ldc, int nt) {
  const bool library_threads = blas().set_threads_local != nullptr;
  const SplitUnits units = split_units<T>();
  // A core whose columns never split (Haswell's sgemm) would run a short, wide C on fewer
  // threads than the machine has cores (m / units.rows row blocks): it computes C^T = op(B)^T
  // op(A)^T in row blocks into scratch, then transposes. Chosen by the shape and the machine's
  // core count, never the thread count, so the bits do not depend on the thread count; the
  // copy (m * n moves) is small beside the product when k >= kWideMinK.
  static const int64_t procs = omp_get_num_procs();
  if (!library_threads && units.cols == 0 && n > m && (m + units.rows - 1) / units.rows < procs &&
      k >= kWideMinK && m * n * k >= kGemmThreadedFrom) {
    std::unique_ptr<T[]> t(new T[m * n]);
    gemm_split<T>(tb == kTrans ? kNoTrans : kTrans, ta == kTrans ? kNoTrans : kTrans, n, m, k, b,
                  ldb, a, lda, t.get(), m, nt);
    parallel_for(n, m * n, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = j0; j < j1; ++j) c[i * ldc + j] = t[j * m + i];
    });
    return;
  }
  if (library_threads || nt <= 1) {
    gemm_call<T>(ta, tb, int(m), int(n), int(k), T(1), a, int(lda), b, int(ldb), T(0), c,
                 int(ldc), nt);
    return;
  }
  const bool by_rows = m >= n || units.cols == 0;
  const int64_t span = by_rows ? m : n;
  const int64_t unit = by_rows ? units.rows : units.cols;
  // Every block at least kGemmBlockMin multiply-adds: OpenBLAS takes another kernel for
  // small products (32 x 120 x 260 rounded differently from the same rows of 300 x 120 x 260).
  // Cuts fall on multiples of unit, so blocks of span / chunks >= min_span lines (a multiple
  // of unit) never come out shorter than min_span.
  const int64_t per_line = (by_rows ? n : m) * k;
  const int64_t min_span = ((kGemmBlockMin + per_line - 1) / per_line + unit - 1) / unit * unit;
  // Each block repacks the whole other operand (one OpenBLAS call each): 8 blocks of a
  // 1024-square product cost 10% more CPU time than one GEMM, 2 blocks 2%. So blocks of at
  // least kGemmBlockSpan lines, but one per thread at least.
  const int64_t chunks = std::min({span / unit, span / min_span, int64_t(nt) * kChunksPerThread,
                                   std::max<int64_t>(nt, span / kGemmBlockSpan)});
  if (chunks <= 1) {
    gemm_call<T>(ta, tb, int(m), int(n), int(k), T(1), a, int(lda), b, int(ldb), T(0), c,
                 int(ldc));
    return;
  }
  claim_chunks(nt, chunks, [&](int64_t t) {
    const int64_t lo = span * t / chunks / unit * unit;
    const int64_t hi = t + 1 == chunks ? span : span * (t + 1) / chunks / unit * unit;
    if (hi <= lo) return;
    if (by_rows) {  // rows lo..hi of op(A) and of C
      const T* pa = ta == kTrans ? a + lo : a + lo * lda;
      gemm_call<T>(ta, tb, int(hi - lo), int(n), int(k), T(1), pa, int(lda), b, int(ldb), T(0),
                   c + lo * ldc, int(ldc));
    } else {  // columns lo..hi of op(B) and of C
      const T* pb = tb == kTrans ? b + lo * ldb : b + lo;
      gemm_call<T>(ta, tb, int(m), int(hi - lo), int(k), T(1), a, int(lda), pb, int(ldb), T(0),
                   c + lo, int(ldc));
    }
  });
}

// MatMul / BatchMatMulV2 on int16, int32, int64 (the integer types TF's CPU kernels take).
template <typename Fn>
bool dispatch_int_gemm(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kInt16: fn(static_cast<int16_t*>(nullptr)); return true;
    case DType::kInt32: fn(static_cast<int32_t*>(nullptr)); return true;
    case DType::kInt64: fn(static_cast<int64_t*>(nullptr)); return true;
    default: return false;
  }
}

void matmul(py::array a, py::array b, py::array out, bool transpose_a, bool transpose_b) {
  require_contiguous(a, "MatMul", "a");
  require_contiguous(b, "MatMul", "b");
  require_contiguous(out, "MatMul", "output");
  require_writable(out, "MatMul");
  require_same_dtype(a, b, "MatMul");
  require_same_dtype(a, out, "MatMul");
  if (a.ndim() != 2 || b.ndim() != 2 || out.ndim() != 2)
    throw py::value_error("MatMul: a, b and output must be 2-D");
  const int64_t m = transpose_a ? a.shape(1) : a.shape(0);
  const int64_t k = transpose_a ? a.shape(0) : a.shape(1);
  const int64_t kb = transpose_b ? b.shape(1) : b.shape(0);
  const int64_t n = transpose_b ? b.shape(0) : b.shape(1);
  if (k != kb || out.shape(0) != m || out.shape(1) != n)
    throw py::value_error("MatMul: inner dimensions or output shape do not match");
  const DType dt = dtype_of(a);
  const bool integer = dt != DType::kFloat32 && dt != DType::kFloat64;
  if (!integer && (m > INT_MAX || n > INT_MAX || k > INT_MAX))
    throw py::value_error("MatMul: dimensions beyond 2^31-1 are not supported by 32-bit BLAS");
  if (m == 0 || n == 0) return;
  if (integer) {
    const bool known = dispatch_int_gemm(dt, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* pa = static_cast<const T*>(a.data());
      const T* pb = static_cast<const T*>(b.data());
      T* pc = static_cast<T*>(out.mutable_data());
      py::gil_scoped_release release;
      int_gemm<T>(transpose_a, transpose_b, m, n, k, pa, a.shape(1), pb, b.shape(1), pc, true);
    });
    if (!known) throw py::type_error("MatMul: unsupported dtype " + dtype_name(a));
    return;
  }
  const int ta = transpose_a ? kTrans : kNoTrans, tb = transpose_b ? kTrans : kNoTrans;
  const int lda = static_cast<int>(a.shape(1)), ldb = static_cast<int>(b.shape(1));
  void* pc = out.mutable_data();
  if (k == 0) {
    std::memset(pc, 0, out.nbytes());
    return;
  }
  const void* pa = a.data();
  const void* pb = b.data();
  py::gil_scoped_release release;
  const int nt = gemm_threads(m * n * k);
  if (dt == DType::kFloat32) {
    gemm_split<float>(ta, tb, m, n, k, static_cast<const float*>(pa), lda,
                      static_cast<const float*>(pb), ldb, static_cast<float*>(pc), n, nt);
  } else if (dt == DType::kFloat64) {
    gemm_split<double>(ta, tb, m, n, k, static_cast<const double*>(pa), lda,
                       static_cast<const double*>(pb), ldb, static_cast<double*>(pc), n, nt);
  } else {
    py::gil_scoped_acquire acquire;
    throw py::type_error("MatMul: BLAS path needs float32 or float64");
  }
}

// One GEMM per output matrix. Many matrices: the threads claim them one at a time (a late
// helper holds back no share); fewer than the threads: each GEMM splits (gemm_split). On one
// thread, one strided-batch call when every batch offset is a multiple of a fixed stride and
// the library has the API.
template <typename T>
void batch_gemm(int ta, int tb, int m, int n, int k, const T* a, int lda, const T* b, int ldb,
                T* c, const Shape& a_off, const Shape& b_off, bool strided) {
  const int64_t batch = static_cast<int64_t>(a_off.size());
  const int64_t mat_c = int64_t(m) * n;
  const int nt = gemm_threads(batch * mat_c * k);
  if (nt > 1 && batch >= nt) {
    claim_chunks(nt, batch, [&](int64_t i) {
      gemm_call<T>(ta, tb, m, n, k, T(1), a + a_off[i], lda, b + b_off[i], ldb, T(0),
                   c + i * mat_c, n);
    });
    return;
  }
  if (nt <= 1 && strided) {
    if constexpr (std::is_same_v<T, float>) {
      if (blas().sgemm_batch_strided != nullptr) {
        blas_threads(1);
        blas().sgemm_batch_strided(kRowMajor, ta, tb, m, n, k, 1.0f, a, lda, int(a_off[1]), b,
                                   ldb, int(b_off[1]), 0.0f, c, n, int(mat_c), int(batch));
        return;
      }
    } else {
      if (blas().dgemm_batch_strided != nullptr) {
        blas_threads(1);
        blas().dgemm_batch_strided(kRowMajor, ta, tb, m, n, k, 1.0, a, lda, int(a_off[1]), b,
                                   ldb, int(b_off[1]), 0.0, c, n, int(mat_c), int(batch));
        return;
      }
    }
  }
  for (int64_t i = 0; i < batch; ++i)
    gemm_split<T>(ta, tb, m, n, k, a + a_off[i], lda, b + b_off[i], ldb, c + i * mat_c, n, nt);
}

// x: [..., m, k] (or [..., k, m] with adj_x), y: [..., k, n] (or [..., n, k] with adj_y);
// the batch dims broadcast. Real dtypes only, so adjoint is transpose.
void batch_matmul(py::array x, py::array y, py::array out, bool adj_x, bool adj_y) {
  const char* op = "BatchMatMulV2";
  require_contiguous(x, op, "x");
  require_contiguous(y, op, "y");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, y, op);
  require_same_dtype(x, out, op);
  const Shape sx = shape_of(x), sy = shape_of(y), so = shape_of(out);
  if (sx.size() < 2 || sy.size() < 2 || so.size() < 2)
    throw py::value_error("BatchMatMulV2: x, y and output must be at least 2-D");
  const size_t rx = sx.size(), ry = sy.size(), ro = so.size();
  const int64_t m = adj_x ? sx[rx - 1] : sx[rx - 2], k = adj_x ? sx[rx - 2] : sx[rx - 1];
  const int64_t ky = adj_y ? sy[ry - 1] : sy[ry - 2], n = adj_y ? sy[ry - 2] : sy[ry - 1];
  if (k != ky || so[ro - 2] != m || so[ro - 1] != n)
    throw py::value_error("BatchMatMulV2: inner dimensions or output shape do not match");
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw py::value_error("BatchMatMulV2: dimensions beyond 2^31-1 are not supported");
  // Batch dims: out's are the broadcast of x's and y's; offsets in elements per output matrix.
  const Shape bo(so.begin(), so.end() - 2), bx(sx.begin(), sx.end() - 2),
      by(sy.begin(), sy.end() - 2);
  const size_t nb = bo.size();
  if (bx.size() > nb || by.size() > nb)
    throw py::value_error("BatchMatMulV2: output has fewer batch dims than an input");
  Shape stride_x(nb, 0), stride_y(nb, 0);
  int64_t acc_x = m * k, acc_y = k * n;
  for (size_t j = 0; j < nb; ++j) {
    const size_t i = nb - 1 - j;
    const int64_t dx = j < bx.size() ? bx[bx.size() - 1 - j] : 1;
    const int64_t dy = j < by.size() ? by[by.size() - 1 - j] : 1;
    if ((dx != bo[i] && dx != 1) || (dy != bo[i] && dy != 1) || (dx == 1 && dy == 1 && bo[i] != 1))
      throw py::value_error("BatchMatMulV2: batch dims " + shape_str(bx) + " and " +
                            shape_str(by) + " do not broadcast to " + shape_str(bo));
    stride_x[i] = dx == 1 ? 0 : acc_x;
    stride_y[i] = dy == 1 ? 0 : acc_y;
    acc_x *= dx;
    acc_y *= dy;
  }
  const int64_t batch = product(bo);
  if (out.size() == 0) return;
  void* pc = out.mutable_data();
  if (k == 0) {
    std::memset(pc, 0, out.nbytes());
    return;
  }
  Shape a_off(batch), b_off(batch), idx(nb, 0);
  for (int64_t t = 0; t < batch; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t i = 0; i < nb; ++i) oa += idx[i] * stride_x[i], ob += idx[i] * stride_y[i];
    a_off[t] = oa;
    b_off[t] = ob;
    for (size_t i = nb; i-- > 0;) {
      if (++idx[i] < bo[i]) break;
      idx[i] = 0;
    }
  }
  bool strided = batch > 1 && a_off[1] <= INT_MAX && b_off[1] <= INT_MAX && m * n <= INT_MAX;
  for (int64_t t = 1; strided && t < batch; ++t)
    strided = a_off[t] == t * a_off[1] && b_off[t] == t * b_off[1];
  const int ta = adj_x ? kTrans : kNoTrans, tb = adj_y ? kTrans : kNoTrans;
  const int lda = static_cast<int>(sx[rx - 1]), ldb = static_cast<int>(sy[ry - 1]);
  const DType dt = dtype_of(x);
  if (dt != DType::kFloat32 && dt != DType::kFloat64) {
    const bool known = dispatch_int_gemm(dt, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* pa = static_cast<const T*>(x.data());
      const T* pb = static_cast<const T*>(y.data());
      T* po = static_cast<T*>(pc);
      py::gil_scoped_release release;
      const bool per_matrix = batch == 1;  // one matrix: its rows split; else the batch does
      parallel_for(batch, batch * m * n * k, [&](int64_t b0, int64_t b1) {
        for (int64_t t = b0; t < b1; ++t)
          int_gemm<T>(adj_x, adj_y, m, n, k, pa + a_off[t], sx[rx - 1], pb + b_off[t],
                      sy[ry - 1], po + t * m * n, per_matrix);
      });
    });
    if (!known) throw py::type_error("BatchMatMulV2: unsupported dtype " + dtype_name(x));
    return;
  }
  const void* pa = x.data();
  const void* pb = y.data();
  py::gil_scoped_release release;
  if (dt == DType::kFloat32)
    batch_gemm<float>(ta, tb, int(m), int(n), int(k), static_cast<const float*>(pa), lda,
                      static_cast<const float*>(pb), ldb, static_cast<float*>(pc), a_off, b_off,
                      strided);
  else
    batch_gemm<double>(ta, tb, int(m), int(n), int(k), static_cast<const double*>(pa), lda,
                       static_cast<const double*>(pb), ldb, static_cast<double*>(pc), a_off,
                       b_off, strided);
}

}  // namespace

void init_matmul(py::module_& m) {
  scipy_openblas_set_num_threads(1);  // one pool: GEMMs split over the OpenMP threads
  m.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("transpose_a") = false, py::arg("transpose_b") = false);
  m.def("batch_matmul", &batch_matmul, py::arg("x"), py::arg("y"), py::arg("out"),
        py::arg("adj_x") = false, py::arg("adj_y") = false);
  m.def("blas_has_batch_strided", []() { return blas().sgemm_batch_strided != nullptr; });
  // Swap in another CBLAS (32-bit ints, row-major CBLAS signatures) by the addresses of its
  // entry points; set_threads_local(n) sets the library's thread count for the calling thread.
  // Called by _blas.py before any kernel runs, and by tests.
  m.def(
      "blas_use_external",
      [](const std::string& name, std::uintptr_t sgemm, std::uintptr_t dgemm,
         std::uintptr_t sgemm_batch, std::uintptr_t dgemm_batch, std::uintptr_t threads_local) {
        if (sgemm == 0 || dgemm == 0 || threads_local == 0)
          throw py::value_error("blas_use_external: sgemm, dgemm and set_threads_local are needed");
        blas() = BlasTable{reinterpret_cast<SgemmFn>(sgemm), reinterpret_cast<DgemmFn>(dgemm),
                           reinterpret_cast<SgemmBatchFn>(sgemm_batch),
                           reinterpret_cast<DgemmBatchFn>(dgemm_batch),
                           reinterpret_cast<int (*)(int)>(threads_local), name};
      },
      py::arg("name"), py::arg("sgemm"), py::arg("dgemm"), py::arg("sgemm_batch_strided"),
      py::arg("dgemm_batch_strided"), py::arg("set_threads_local"));
  m.def("blas_use_openblas", []() { blas() = openblas_table(); });
  m.def("blas_name", []() { return blas().name; });
  m.def("blas_set_num_threads", [](int n) { scipy_openblas_set_num_threads(n); });
  m.def("blas_get_num_threads", []() { return scipy_openblas_get_num_threads(); });
  m.def("blas_corename", []() { return std::string(scipy_openblas_get_corename()); });
  m.def("blas_config", []() { return std::string(scipy_openblas_get_config()); });
}

}  // namespace th
