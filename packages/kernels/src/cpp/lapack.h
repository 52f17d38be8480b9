// The LAPACK entry points the linear-algebra kernels call, from the OpenBLAS library the module
// already links (scipy-openblas32: 32-bit ints, symbols prefixed with scipy_). These are the
// Fortran interfaces: column-major matrices, every argument by pointer. The trailing size_t
// arguments are the hidden lengths of the character arguments (gfortran's convention; OpenBLAS's
// own C implementations of these routines ignore them).
#pragma once

#include <cstddef>

extern "C" {
void scipy_sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void scipy_dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void scipy_sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work,
                   const int* lwork, int* info);
void scipy_dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
                   const int* lwork, int* info);
void scipy_sgetrs_(const char* trans, const int* n, const int* nrhs, const float* a,
                   const int* lda, const int* ipiv, float* b, const int* ldb, int* info,
                   std::size_t trans_len);
void scipy_dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a,
                   const int* lda, const int* ipiv, double* b, const int* ldb, int* info,
                   std::size_t trans_len);
void scipy_spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info,
                   std::size_t uplo_len);
void scipy_dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info,
                   std::size_t uplo_len);
void scipy_sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
                   const int* lwork, int* info);
void scipy_dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau,
                   double* work, const int* lwork, int* info);
void scipy_sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda,
                   const float* tau, float* work, const int* lwork, int* info);
void scipy_dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda,
                   const double* tau, double* work, const int* lwork, int* info);
void scipy_sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda,
                   float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* work,
                   const int* lwork, int* iwork, int* info, std::size_t jobz_len);
void scipy_dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda,
                   double* s, double* u, const int* ldu, double* vt, const int* ldvt,
                   double* work, const int* lwork, int* iwork, int* info, std::size_t jobz_len);
void scipy_ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda,
                   float* w, float* work, const int* lwork, int* iwork, const int* liwork,
                   int* info, std::size_t jobz_len, std::size_t uplo_len);
void scipy_dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                   double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                   int* info, std::size_t jobz_len, std::size_t uplo_len);
}

namespace th {

// The routines above by element type, so the kernels are written once as templates.
template <typename T>
struct Lapack;

template <>
struct Lapack<float> {
  static void getrf(int n, float* a, int* ipiv, int* info) {
    scipy_sgetrf_(&n, &n, a, &n, ipiv, info);
  }
  static void getri(int n, float* a, const int* ipiv, float* work, int lwork, int* info) {
    scipy_sgetri_(&n, a, &n, ipiv, work, &lwork, info);
  }
  static void getrs(char trans, int n, int nrhs, const float* a, const int* ipiv, float* b,
                    int* info) {
    scipy_sgetrs_(&trans, &n, &nrhs, a, &n, ipiv, b, &n, info, 1);
  }
  static void potrf(char uplo, int n, float* a, int* info) {
    scipy_spotrf_(&uplo, &n, a, &n, info, 1);
  }
  // The decompositions (decomp.cpp): column-major m x n matrices with lda = m.
  static void geqrf(int m, int n, float* a, float* tau, float* work, int lwork, int* info) {
    scipy_sgeqrf_(&m, &n, a, &m, tau, work, &lwork, info);
  }
  static void orgqr(int m, int n, int k, float* a, const float* tau, float* work, int lwork,
                    int* info) {
    scipy_sorgqr_(&m, &n, &k, a, &m, tau, work, &lwork, info);
  }
  static void gesdd(char jobz, int m, int n, float* a, float* s, float* u, int ldu, float* vt, int ldvt,
                    float* work, int lwork, int* iwork, int* info) {
    scipy_sgesdd_(&jobz, &m, &n, a, &m, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1);
  }
  static void syevd(char jobz, char uplo, int n, float* a, float* w, float* work, int lwork, int* iwork,
                    int liwork, int* info) {
    scipy_ssyevd_(&jobz, &uplo, &n, a, &n, w, work, &lwork, iwork, &liwork, info, 1, 1);
  }
};

template <>
struct Lapack<double> {
  static void getrf(int n, double* a, int* ipiv, int* info) {
    scipy_dgetrf_(&n, &n, a, &n, ipiv, info);
  }
  static void getri(int n, double* a, const int* ipiv, double* work, int lwork, int* info) {
    scipy_dgetri_(&n, a, &n, ipiv, work, &lwork, info);
  }
  static void getrs(char trans, int n, int nrhs, const double* a, const int* ipiv, double* b,
                    int* info) {
    scipy_dgetrs_(&trans, &n, &nrhs, a, &n, ipiv, b, &n, info, 1);
  }
  static void potrf(char uplo, int n, double* a, int* info) {
    scipy_dpotrf_(&uplo, &n, a, &n, info, 1);
  }
  // The decompositions (decomp.cpp): column-major m x n matrices with lda = m.
  static void geqrf(int m, int n, double* a, double* tau, double* work, int lwork, int* info) {
    scipy_dgeqrf_(&m, &n, a, &m, tau, work, &lwork, info);
  }
  static void orgqr(int m, int n, int k, double* a, const double* tau, double* work, int lwork,
                    int* info) {
    scipy_dorgqr_(&m, &n, &k, a, &m, tau, work, &lwork, info);
  }
  static void gesdd(char jobz, int m, int n, double* a, double* s, double* u, int ldu, double* vt, int ldvt,
                    double* work, int lwork, int* iwork, int* info) {
    scipy_dgesdd_(&jobz, &m, &n, a, &m, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1);
  }
  static void syevd(char jobz, char uplo, int n, double* a, double* w, double* work, int lwork, int* iwork,
                    int liwork, int* info) {
    scipy_dsyevd_(&jobz, &uplo, &n, a, &n, w, work, &lwork, iwork, &liwork, info, 1, 1);
  }
};

}  // namespace th
