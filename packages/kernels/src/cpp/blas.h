// The OpenBLAS entry points the kernels call (scipy-openblas32: 32-bit ints, symbols prefixed
// with scipy_), declared once for every file that uses them.
#pragma once

#include <algorithm>

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

// One thread pool in the process: OpenBLAS runs on the calling thread only (the module sets
// its thread count to 1 when it loads), and a large GEMM is split across the kernels' own
// OpenMP threads instead. Two pools on a small machine fight: each one's idle threads spin
// on the cores the other one needs (a threaded MatMul followed by a threaded AddV2 took 8 ms
// instead of 0.2 ms), and making OpenMP's threads sleep instead cost every small parallel
// kernel a wake-up (about 30-50 us on this machine).
constexpr int64_t kGemmThreadedFrom = int64_t(1) << 20;  // m * n * k

template <typename T>
inline void gemm_call(int ta, int tb, int m, int n, int k, T alpha, const T* a, int lda,
                      const T* b, int ldb, T beta, T* c, int ldc) {
  if constexpr (std::is_same_v<T, float>)
    scipy_cblas_sgemm(kRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    scipy_cblas_dgemm(kRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// C = alpha * op(A) @ op(B) + beta * C (row-major), split into row blocks of C (or column
// blocks when C is wider than tall) over the OpenMP threads when the product is large enough
// and no parallel region is running already. Each block is one single-threaded GEMM over the
// same k, so the result does not depend on the thread count.
template <typename T>
void gemm_threaded(int ta, int tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                   int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  int nt = 1;
#ifdef _OPENMP
  if (m * n * k >= kGemmThreadedFrom && !omp_in_parallel()) nt = num_threads();
#endif
  const bool by_rows = m >= n;
  const int64_t span = by_rows ? m : n;
  const int64_t unit = by_rows ? 8 : 16;  // blocks keep whole register tiles
  if (nt > span / unit) nt = static_cast<int>(std::max<int64_t>(1, span / unit));
  if (nt <= 1) {
    gemm_call<T>(ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c,
                 int(ldc));
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
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
