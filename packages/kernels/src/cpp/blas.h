// The OpenBLAS entry points the kernels call (scipy-openblas32: 32-bit ints, symbols prefixed
// with scipy_), declared once for every file that uses them.
#pragma once

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
}  // namespace th
