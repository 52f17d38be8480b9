// The OpenBLAS entry points the kernels call (scipy-openblas32: 32-bit ints, symbols prefixed
// with scipy_), declared once for every file that uses them.
#pragma once

#include <algorithm>
#include <string>

#include "common.h"

extern "C" {
void scipy_cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float* a, int lda, const float* b, int ldb, float beta, float* c,
                       int ldc);
void scipy_cblas_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                       const double* a, int lda, const double* b, int ldb, double beta, double* c,
                       int ldc);
// The strided batch API arrived in later OpenBLAS releases: weak, so an older library still
// loads and BatchMatMulV2 falls back to one GEMM per matrix.
void scipy_cblas_sgemm_batch_strided(int order, int trans_a, int trans_b, int m, int n, int k,
                                     float alpha, const float* a, int lda, int stride_a,
                                     const float* b, int ldb, int stride_b, float beta, float* c,
                                     int ldc, int stride_c, int batch) __attribute__((weak));
void scipy_cblas_dgemm_batch_strided(int order, int trans_a, int trans_b, int m, int n, int k,
                                     double alpha, const double* a, int lda, int stride_a,
                                     const double* b, int ldb, int stride_b, double beta,
                                     double* c, int ldc, int stride_c, int batch)
    __attribute__((weak));
void scipy_openblas_set_num_threads(int n);
int scipy_openblas_get_num_threads(void);
char* scipy_openblas_get_corename(void);
char* scipy_openblas_get_config(void);
}

namespace th {
// CBLAS enum values (cblas.h's CblasRowMajor, CblasNoTrans, CblasTrans).
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

// The GEMM entry points in use. By default they are the OpenBLAS ones above, run on the
// calling thread. tensorhouse_kernels may swap in another CBLAS with 32-bit ints (oneMKL's
// libmkl_rt, see _blas.py) through the module's blas_use_external: such a library is called
// with a thread count per call (its set_threads_local), runs its threads on the same libgomp
// pool as the kernels, and shares its packed operands between them.
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                         int, float, float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int,
                         const double*, int, double, double*, int);
using SgemmBatchFn = void (*)(int, int, int, int, int, int, float, const float*, int, int,
                              const float*, int, int, float, float*, int, int, int);
using DgemmBatchFn = void (*)(int, int, int, int, int, int, double, const double*, int, int,
                              const double*, int, int, double, double*, int, int, int);
struct BlasTable {
  SgemmFn sgemm;
  DgemmFn dgemm;
  SgemmBatchFn sgemm_batch_strided;  // nullptr: one GEMM per matrix
  DgemmBatchFn dgemm_batch_strided;
  int (*set_threads_local)(int);  // nullptr: the library runs on the calling thread only
  std::string name;               // "openblas", or the name blas_use_external was given
};
BlasTable& blas();  // matmul.cpp

// The thread count a library call gets: set before every call when the library is threaded
// (it is per calling thread, so one call inside a parallel region stays on its thread).
inline void blas_threads(int nt) {
  if (blas().set_threads_local != nullptr) blas().set_threads_local(nt);
}

// One thread pool in the process: OpenBLAS runs on the calling thread only (the module sets
// its thread count to 1 when it loads), and a large GEMM is split across the kernels' own
// OpenMP threads instead. Two pools on a small machine fight: each one's idle threads spin
// on the cores the other one needs (a threaded MatMul followed by a threaded AddV2 took 8 ms
// instead of 0.2 ms), and making OpenMP's threads sleep instead cost every small parallel
// kernel a wake-up (about 30-50 us on this machine).
constexpr int64_t kGemmThreadedFrom = int64_t(1) << 20;  // m * n * k
constexpr int64_t kGemmAlwaysThreaded = int64_t(1) << 27;  // above: threads even when contended

// Block units of a split OpenBLAS GEMM, in rows and columns of row-major C (OpenBLAS's N and
// M, as it computes C^T): a block that starts and ends on multiples of the unit sums every
// element as the whole product does. They follow the core OpenBLAS picked when it loaded
// (measured with tests/test_kernels_claimed_chunks.py): Haswell's and Zen's sgemm tiles rows
// in 12s, and the bits in a tile depend on the product's width, so its columns never split
// (cols 0); SkylakeX's dgemm keeps the bits on row blocks of 24 (not of 8 or 16).
struct SplitUnits {
  int64_t rows, cols;
};
template <typename T>
SplitUnits split_units() {
  static const SplitUnits units = [] {
    const std::string core = scipy_openblas_get_corename();
    const bool f32 = std::is_same_v<T, float>;
    if (core == "Haswell" || core == "Zen") return f32 ? SplitUnits{12, 0} : SplitUnits{8, 16};
    if (core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids")
      return f32 ? SplitUnits{8, 16} : SplitUnits{24, 16};
    return SplitUnits{24, 16};
  }();
  return units;
}

template <typename T>
inline void gemm_call(int ta, int tb, int m, int n, int k, T alpha, const T* a, int lda,
                      const T* b, int ldb, T beta, T* c, int ldc, int nt = 1) {
  blas_threads(nt);
  if constexpr (std::is_same_v<T, float>)
    blas().sgemm(kRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    blas().dgemm(kRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// C = alpha * op(A) @ op(B) + beta * C (row-major). With OpenBLAS, split into row blocks of C
// (or column blocks when C is wider than tall) over the OpenMP threads when the product is
// large enough and no parallel region is running already; each block is one single-threaded
// GEMM over the same k, so the result does not depend on the thread count. A threaded library
// instead gets the whole product and the thread count (oneMKL is set to give the same bits at
// any thread count: _blas.py).
template <typename T>
void gemm_threaded(int ta, int tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                   int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  int nt = 1;
#ifdef _OPENMP
  const int64_t flops = m * n * k;
  if (flops >= kGemmThreadedFrom && !omp_in_parallel() &&
      (flops >= kGemmAlwaysThreaded || !threads_backed_off()))
    nt = num_threads();
#endif
  if (blas().set_threads_local != nullptr) {
    gemm_call<T>(ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c,
                 int(ldc), nt);
    return;
  }
  const SplitUnits units = split_units<T>();
  const bool by_rows = m >= n || units.cols == 0;
  const int64_t span = by_rows ? m : n;
  const int64_t unit = by_rows ? units.rows : units.cols;
  if (nt > span / unit) nt = static_cast<int>(std::max<int64_t>(1, span / unit));
  if (nt <= 1) {
    gemm_call<T>(ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c,
                 int(ldc));
    return;
  }
  RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
    timer.arrive(t);
    const int64_t lo = span * t / nt / unit * unit;
    const int64_t hi = t + 1 == nt ? span : span * (t + 1) / nt / unit * unit;
    if (hi <= lo) continue;
    if (by_rows) {  // rows lo..hi of op(A) and of C
      const T* pa = ta == kTrans ? a + lo : a + lo * lda;
      gemm_call<T>(ta, tb, int(hi - lo), int(n), int(k), alpha, pa, int(lda), b, int(ldb), beta,
                   c + lo * ldc, int(ldc));
    } else {  // columns lo..hi of op(B) and of C
      const T* pb = tb == kTrans ? b + lo * ldb : b + lo;
      gemm_call<T>(ta, tb, int(m), int(hi - lo), int(k), alpha, a, int(lda), pb, int(ldb), beta,
                   c + lo, int(ldc));
    }
  }
}
}  // namespace th
