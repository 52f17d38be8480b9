// Dense linear algebra through LAPACK (OpenBLAS, scipy-openblas32): MatrixInverse, MatrixSolve,
// MatrixDeterminant, LogMatrixDeterminant and Cholesky, each looping over the leading batch dims
// of [..., n, n] matrices with the GIL released.
//
// The buffers are row-major and LAPACK is column-major, so LAPACK sees every row-major matrix as
// its transpose. The kernels use that instead of transposing: the LU factors of A^T serve A
// (det(A^T) = det(A); a system with A is the transposed system of what LAPACK factored), the
// inverse of A^T written column-major reads row-major as the inverse of A, and the lower triangle
// of a row-major matrix is the upper triangle LAPACK's Cholesky reads.
//
// A matrix with an exact zero pivot is singular, as TF's kernels decide it (the smallest
// |pivot| must be > 0): MatrixInverse and MatrixSolve raise InvalidArgumentError, the
// determinants are 0 (sign 0, log |det| = -inf).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common.h"
#include "lapack.h"

namespace th {
namespace {

enum Status { kOk = 0, kSingular = 1, kLapackError = 2 };

// [..., n, n]: the number of matrices and n (the op definitions checked the shapes first; these
// checks are the safety net for direct calls).
struct Square {
  int64_t batch = 1;
  int n = 0;
};

Square square_of(const py::array& a, const char* op, const char* what) {
  const std::string prefix = std::string(op) + ": " + what;
  if (a.ndim() < 2) throw py::value_error(prefix + " must be at least 2-D");
  const int64_t rows = a.shape(a.ndim() - 2), cols = a.shape(a.ndim() - 1);
  if (rows != cols)
    throw py::value_error(prefix + " must be square, got " + shape_str(shape_of(a)));
  if (rows > INT_MAX)
    throw py::value_error(prefix + ": dimensions beyond 2^31-1 are not supported by LAPACK");
  Square s;
  s.n = static_cast<int>(rows);
  s.batch = product(shape_of(a), 0, a.ndim() - 2);
  return s;
}

void check_io(const py::array& x, const py::array& out, const char* op) {
  require_contiguous(x, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
}

void raise_status(int status, const char* op, const char* singular_msg) {
  if (status == kSingular) invalid_argument(singular_msg, op);
  if (status == kLapackError)
    throw std::runtime_error(std::string(op) + ": LAPACK reported an invalid argument");
}

// The n x n matrix src into dst, transposed when `transpose`.
template <typename T>
void copy_matrix(const T* src, T* dst, int n, bool transpose) {
  const size_t nn = size_t(n);
  if (!transpose) {
    std::memcpy(dst, src, sizeof(T) * nn * nn);
    return;
  }
  for (size_t i = 0; i < nn; ++i)
    for (size_t j = 0; j < nn; ++j) dst[j * nn + i] = src[i * nn + j];
}

// ---- MatrixInverse ------------------------------------------------------------------------------

template <typename T>
int inverse_batch(const T* x, T* out, int64_t batch, int n, bool adjoint) {
  std::vector<int> ipiv(n);
  int info = 0;
  T query = 0;
  Lapack<T>::getri(n, out, ipiv.data(), &query, -1, &info);  // workspace size query
  const int lwork = std::max(n, static_cast<int>(query));
  std::vector<T> work(lwork);
  const size_t mat = size_t(n) * n;
  for (int64_t b = 0; b < batch; ++b) {
    T* m = out + b * mat;
    // LAPACK inverts what it sees, A^T, into inv(A^T) column-major: inv(A) row-major. With
    // adjoint the copy is transposed, so the result is inv(A^T) (real dtypes: adjoint = transpose).
    copy_matrix(x + b * mat, m, n, adjoint);
    Lapack<T>::getrf(n, m, ipiv.data(), &info);
    if (info > 0) return kSingular;
    if (info < 0) return kLapackError;
    Lapack<T>::getri(n, m, ipiv.data(), work.data(), lwork, &info);
    if (info != 0) return info > 0 ? kSingular : kLapackError;
  }
  return kOk;
}

void matrix_inverse(py::array x, py::array out, bool adjoint) {
  const char* op = "MatrixInverse";
  check_io(x, out, op);
  const Square s = square_of(x, op, "input");
  if (shape_of(x) != shape_of(out)) throw py::value_error("MatrixInverse: output shape mismatch");
  if (s.batch == 0 || s.n == 0) return;
  const DType dt = dtype_of(x);
  const void* px = x.data();
  void* po = out.mutable_data();
  int status = kOk;
  dispatch_float(dt, op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    status = inverse_batch(static_cast<const T*>(px), static_cast<T*>(po), s.batch, s.n, adjoint);
  });
  raise_status(status, op, "Input is not invertible.");
}

// ---- MatrixSolve --------------------------------------------------------------------------------

template <typename T>
int solve_batch(const T* a, const T* rhs, T* out, int64_t batch, int n, int k, bool adjoint) {
  const size_t nn = size_t(n), kk = size_t(k);
  std::vector<int> ipiv(n);
  std::vector<T> lu(nn * nn), col(nn * kk);
  int info = 0;
  for (int64_t b = 0; b < batch; ++b) {
    std::memcpy(lu.data(), a + b * nn * nn, sizeof(T) * nn * nn);  // LAPACK sees A^T
    Lapack<T>::getrf(n, lu.data(), ipiv.data(), &info);
    if (info > 0) return kSingular;
    if (info < 0) return kLapackError;
    const T* r = rhs + b * nn * kk;
    T* o = out + b * nn * kk;
    for (size_t i = 0; i < nn; ++i)  // the right-hand sides, column-major
      for (size_t j = 0; j < kk; ++j) col[j * nn + i] = r[i * kk + j];
    // The factored matrix is A^T: A X = B is its transposed system ('T'), A^T X = B its own.
    Lapack<T>::getrs(adjoint ? 'N' : 'T', n, k, lu.data(), ipiv.data(), col.data(), &info);
    if (info != 0) return kLapackError;
    for (size_t i = 0; i < nn; ++i)
      for (size_t j = 0; j < kk; ++j) o[i * kk + j] = col[j * nn + i];
  }
  return kOk;
}

void matrix_solve(py::array matrix, py::array rhs, py::array out, bool adjoint) {
  const char* op = "MatrixSolve";
  check_io(matrix, out, op);
  require_contiguous(rhs, op, "rhs");
  require_same_dtype(matrix, rhs, op);
  const Square s = square_of(matrix, op, "matrix");
  const Shape sr = shape_of(rhs), sm = shape_of(matrix);
  if (sr.size() != sm.size() || !std::equal(sm.begin(), sm.end() - 1, sr.begin()))
    throw py::value_error("MatrixSolve: matrix " + shape_str(sm) + " and rhs " + shape_str(sr) +
                          " need the same batch dims and rows");
  if (shape_of(out) != sr) throw py::value_error("MatrixSolve: output shape mismatch");
  const int64_t k = sr.back();
  if (k > INT_MAX) throw py::value_error("MatrixSolve: too many right-hand sides for LAPACK");
  if (s.batch == 0 || s.n == 0 || k == 0) return;
  const void* pa = matrix.data();
  const void* pb = rhs.data();
  void* po = out.mutable_data();
  int status = kOk;
  dispatch_float(dtype_of(matrix), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    status = solve_batch(static_cast<const T*>(pa), static_cast<const T*>(pb),
                         static_cast<T*>(po), s.batch, s.n, int(k), adjoint);
  });
  raise_status(status, op, "Input matrix is not invertible.");
}

// ---- MatrixDeterminant, LogMatrixDeterminant ------------------------------------------------------

// det = sign * |det| from the LU pivots: each row swap flips the sign. `det` gets sign * product,
// `sign` / `log_abs` get the sign and log |det| (any of the three may be null).
template <typename T>
int determinant_batch(const T* x, T* det, T* sign, T* log_abs, int64_t batch, int n) {
  const size_t mat = size_t(n) * n;
  std::vector<int> ipiv(n);
  std::vector<T> lu(mat);
  int info = 0;
  for (int64_t b = 0; b < batch; ++b) {
    double s = 1.0, logsum = 0.0, prod = 1.0;
    if (n > 0) {
      std::memcpy(lu.data(), x + b * mat, sizeof(T) * mat);  // det(A^T) = det(A)
      Lapack<T>::getrf(n, lu.data(), ipiv.data(), &info);    // info > 0: a zero pivot, det 0
      if (info < 0) return kLapackError;
      for (int i = 0; i < n; ++i) {
        const double u = static_cast<double>(lu[size_t(i) * n + i]);
        if (ipiv[i] != i + 1) s = -s;
        if (u < 0) s = -s;
        prod *= u;
        logsum += std::log(std::fabs(u));
      }
      if (prod == 0.0 && logsum == -std::numeric_limits<double>::infinity()) s = 0.0;
    }
    if (det) det[b] = static_cast<T>(s * std::fabs(prod));
    if (sign) sign[b] = static_cast<T>(s);
    if (log_abs) log_abs[b] = static_cast<T>(logsum);
  }
  return kOk;
}

void matrix_determinant(py::array x, py::array out) {
  const char* op = "MatrixDeterminant";
  require_contiguous(x, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
  const Square s = square_of(x, op, "input");
  if (out.size() != s.batch) throw py::value_error("MatrixDeterminant: output shape mismatch");
  if (s.batch == 0) return;
  const void* px = x.data();
  void* po = out.mutable_data();
  int status = kOk;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    status = determinant_batch(static_cast<const T*>(px), static_cast<T*>(po), (T*)nullptr,
                               (T*)nullptr, s.batch, s.n);
  });
  raise_status(status, op, "");
}

void log_matrix_determinant(py::array x, py::array sign, py::array log_abs) {
  const char* op = "LogMatrixDeterminant";
  require_contiguous(x, op, "input");
  for (const py::array* o : {&sign, &log_abs}) {
    require_contiguous(*o, op, "output");
    require_writable(*o, op);
    require_same_dtype(x, *o, op);
  }
  const Square s = square_of(x, op, "input");
  if (sign.size() != s.batch || log_abs.size() != s.batch)
    throw py::value_error("LogMatrixDeterminant: output shape mismatch");
  if (s.batch == 0) return;
  const void* px = x.data();
  void* ps = sign.mutable_data();
  void* pl = log_abs.mutable_data();
  int status = kOk;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    status = determinant_batch(static_cast<const T*>(px), (T*)nullptr, static_cast<T*>(ps),
                               static_cast<T*>(pl), s.batch, s.n);
  });
  raise_status(status, op, "");
}

// ---- Cholesky -----------------------------------------------------------------------------------

template <typename T>
int cholesky_batch(const T* x, T* out, int64_t batch, int n) {
  const size_t nn = size_t(n), mat = nn * nn;
  int info = 0;
  for (int64_t b = 0; b < batch; ++b) {
    T* m = out + b * mat;
    std::memcpy(m, x + b * mat, sizeof(T) * mat);
    // Only the row-major lower triangle is read (TF's rule): LAPACK's upper triangle. It factors
    // A = U^T U there, and U column-major reads row-major as L, with A = L L^T.
    Lapack<T>::potrf('U', n, m, &info);
    if (info > 0) return kSingular;
    if (info < 0) return kLapackError;
    for (size_t i = 0; i < nn; ++i)
      for (size_t j = i + 1; j < nn; ++j) m[i * nn + j] = T(0);
  }
  return kOk;
}

void cholesky(py::array x, py::array out) {
  const char* op = "Cholesky";
  check_io(x, out, op);
  const Square s = square_of(x, op, "input");
  if (shape_of(x) != shape_of(out)) throw py::value_error("Cholesky: output shape mismatch");
  if (s.batch == 0 || s.n == 0) return;
  const void* px = x.data();
  void* po = out.mutable_data();
  int status = kOk;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    status = cholesky_batch(static_cast<const T*>(px), static_cast<T*>(po), s.batch, s.n);
  });
  raise_status(status, op,
               "Cholesky decomposition was not successful. The input might not be valid.");
}

}  // namespace

void init_linalg(py::module_& m) {
  m.def("matrix_inverse", &matrix_inverse, py::arg("x"), py::arg("out"),
        py::arg("adjoint") = false, "MatrixInverse over [..., n, n] (LAPACK getrf + getri).");
  m.def("matrix_solve", &matrix_solve, py::arg("matrix"), py::arg("rhs"), py::arg("out"),
        py::arg("adjoint") = false, "MatrixSolve: [..., n, n] and [..., n, k] (getrf + getrs).");
  m.def("matrix_determinant", &matrix_determinant, py::arg("x"), py::arg("out"),
        "MatrixDeterminant over [..., n, n] from the LU pivots.");
  m.def("log_matrix_determinant", &log_matrix_determinant, py::arg("x"), py::arg("sign"),
        py::arg("log_abs_determinant"), "LogMatrixDeterminant: sign and log |det|.");
  m.def("cholesky", &cholesky, py::arg("x"), py::arg("out"),
        "Cholesky of [..., n, n] (potrf) from the lower triangle; the upper part is zeroed.");
}

}  // namespace th
