// MatMul through OpenBLAS (scipy-openblas32: 32-bit ints, symbols prefixed with scipy_).
#include <climits>
#include <cstring>

#include "common.h"

extern "C" {
void scipy_cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float* a, int lda, const float* b, int ldb, float beta, float* c,
                       int ldc);
void scipy_cblas_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                       const double* a, int lda, const double* b, int ldb, double beta, double* c,
                       int ldc);
void scipy_openblas_set_num_threads(int n);
int scipy_openblas_get_num_threads(void);
char* scipy_openblas_get_corename(void);
char* scipy_openblas_get_config(void);
}

namespace th {
namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

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
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw py::value_error("MatMul: dimensions beyond 2^31-1 are not supported by 32-bit BLAS");
  if (m == 0 || n == 0) return;
  const int ta = transpose_a ? kTrans : kNoTrans, tb = transpose_b ? kTrans : kNoTrans;
  const int lda = static_cast<int>(a.shape(1)), ldb = static_cast<int>(b.shape(1));
  void* pc = out.mutable_data();
  if (k == 0) {
    std::memset(pc, 0, out.nbytes());
    return;
  }
  const DType dt = dtype_of(a);
  const void* pa = a.data();
  const void* pb = b.data();
  py::gil_scoped_release release;
  if (dt == DType::kFloat32) {
    scipy_cblas_sgemm(kRowMajor, ta, tb, int(m), int(n), int(k), 1.0f,
                      static_cast<const float*>(pa), lda, static_cast<const float*>(pb), ldb,
                      0.0f, static_cast<float*>(pc), int(n));
  } else if (dt == DType::kFloat64) {
    scipy_cblas_dgemm(kRowMajor, ta, tb, int(m), int(n), int(k), 1.0,
                      static_cast<const double*>(pa), lda, static_cast<const double*>(pb), ldb,
                      0.0, static_cast<double*>(pc), int(n));
  } else {
    py::gil_scoped_acquire acquire;
    throw py::type_error("MatMul: BLAS path needs float32 or float64");
  }
}

}  // namespace

void init_matmul(py::module_& m) {
  m.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("transpose_a") = false, py::arg("transpose_b") = false);
  m.def("blas_set_num_threads", [](int n) { scipy_openblas_set_num_threads(n); });
  m.def("blas_get_num_threads", []() { return scipy_openblas_get_num_threads(); });
  m.def("blas_corename", []() { return std::string(scipy_openblas_get_corename()); });
  m.def("blas_config", []() { return std::string(scipy_openblas_get_config()); });
}

}  // namespace th
