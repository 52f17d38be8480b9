// Matrix decompositions through LAPACK (OpenBLAS, scipy-openblas32): Qr (geqrf + orgqr), Svd
// (gesdd), SelfAdjointEigV2 (syevd) and Lu (getrf), each looping over the leading batch dims of
// [..., m, n] matrices with the GIL released.
//
// Each matrix is copied into a column-major work buffer (LAPACK's layout) and the factors are
// copied back row-major; the copies cost O(mn) next to the O(mn min(m, n)) factorizations.
// A matrix with a NaN or an infinity gives NaN factors (Svd, SelfAdjointEigV2), as TF's.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "common.h"
#include "lapack.h"

namespace th {
namespace {

// [..., m, n]: the number of matrices, m and n.
struct Batch {
  int64_t batch = 1;
  int m = 0, n = 0;
};

Batch batch_of(const py::array& a, const char* op) {
  if (a.ndim() < 2) throw py::value_error(std::string(op) + ": input must be at least 2-D");
  const int64_t m = a.shape(a.ndim() - 2), n = a.shape(a.ndim() - 1);
  if (m > INT_MAX || n > INT_MAX)
    throw py::value_error(std::string(op) + ": dimensions beyond 2^31-1 are not supported");
  Batch b;
  b.m = static_cast<int>(m);
  b.n = static_cast<int>(n);
  b.batch = product(shape_of(a), 0, a.ndim() - 2);
  return b;
}

void check_out(const py::array& x, const py::array& out, const char* op, const Shape& want) {
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
  if (shape_of(out) != want)
    throw py::value_error(std::string(op) + ": output shape must be " + shape_str(want));
}

// x's batch dims followed by `tail`.
Shape batch_with(const py::array& x, std::initializer_list<int64_t> tail) {
  const Shape xs = shape_of(x);
  Shape s(xs.begin(), xs.end() - 2);
  s.insert(s.end(), tail);
  return s;
}

Shape with_matrix(const py::array& x, int64_t rows, int64_t cols) {
  const Shape xs = shape_of(x);
  Shape s(xs.begin(), xs.end() - 2);
  s.push_back(rows);
  s.push_back(cols);
  return s;
}

// Row-major rows x cols src into column-major dst (leading dimension rows).
template <typename T>
void to_colmajor(const T* src, T* dst, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) dst[size_t(j) * rows + i] = src[size_t(i) * cols + j];
}

// Column-major src (leading dimension ld) into row-major rows x cols dst.
template <typename T>
void from_colmajor(const T* src, int ld, T* dst, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) dst[size_t(i) * cols + j] = src[size_t(j) * ld + i];
}

template <typename T>
bool all_finite(const T* p, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

template <typename T>
void fill_nan(T* p, size_t count) {
  std::fill(p, p + count, std::numeric_limits<T>::quiet_NaN());
}

template <typename T>
void eye_into(T* p, int rows, int cols) {
  std::fill(p, p + size_t(rows) * cols, T(0));
  for (int i = 0; i < std::min(rows, cols); ++i) p[size_t(i) * cols + i] = T(1);
}

// The workspace size LAPACK asks for (a query returns it as the first work element).
template <typename T>
int work_size(T query, int at_least) {
  return std::max(at_least, static_cast<int>(query) + 1);
}

// ---- Qr: q [..., m, qc], r [..., qc, n] with qc = m (full_matrices) or min(m, n) ------------

template <typename T>
int qr_batch(const T* x, T* q, T* r, int64_t batch, int m, int n, bool full) {
  const int k = std::min(m, n), qc = full ? m : k;
  const size_t xs = size_t(m) * n, qs = size_t(m) * qc, rs = size_t(qc) * n;
  std::vector<T> a(xs), tau(std::max(k, 1)), qa(std::max<size_t>(qs, 1));
  int info = 0;
  T query = 0;
  Lapack<T>::geqrf(m, n, a.data(), tau.data(), &query, -1, &info);
  int lwork = work_size(query, std::max(1, n));
  T query2 = 0;
  if (k > 0) Lapack<T>::orgqr(m, qc, k, qa.data(), tau.data(), &query2, -1, &info);
  lwork = std::max(lwork, work_size(query2, std::max(1, qc)));
  std::vector<T> work(lwork);
  for (int64_t b = 0; b < batch; ++b) {
    T* qb = q + b * qs;
    T* rb = r + b * rs;
    if (k == 0) {  // an empty matrix: Q is the identity (or empty), R is empty or zeros
      eye_into(qb, m, qc);
      std::fill(rb, rb + rs, T(0));
      continue;
    }
    to_colmajor(x + b * xs, a.data(), m, n);
    Lapack<T>::geqrf(m, n, a.data(), tau.data(), work.data(), lwork, &info);
    if (info < 0) return info;
    for (int i = 0; i < qc; ++i)  // R: the upper triangle of the first qc rows
      for (int j = 0; j < n; ++j) rb[size_t(i) * n + j] = j >= i ? a[size_t(j) * m + i] : T(0);
    std::fill(qa.begin(), qa.end(), T(0));
    std::memcpy(qa.data(), a.data(), sizeof(T) * size_t(m) * k);  // the k reflectors
    Lapack<T>::orgqr(m, qc, k, qa.data(), tau.data(), work.data(), lwork, &info);
    if (info < 0) return info;
    from_colmajor(qa.data(), m, qb, m, qc);
  }
  return 0;
}

void qr(py::array x, py::array q, py::array r, bool full_matrices) {
  const char* op = "Qr";
  require_contiguous(x, op, "input");
  const Batch s = batch_of(x, op);
  const int k = std::min(s.m, s.n), qc = full_matrices ? s.m : k;
  check_out(x, q, op, with_matrix(x, s.m, qc));
  check_out(x, r, op, with_matrix(x, qc, s.n));
  if (s.batch == 0) return;
  const void* px = x.data();
  void* pq = q.mutable_data();
  void* pr = r.mutable_data();
  int info = 0;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    info = qr_batch(static_cast<const T*>(px), static_cast<T*>(pq), static_cast<T*>(pr), s.batch,
                    s.m, s.n, full_matrices);
  });
  if (info != 0) throw std::runtime_error("Qr: LAPACK reported an invalid argument");
}

// ---- Svd: s [..., k], u [..., m, uc], v [..., n, uc'] (TF's order: s, u, v with A = U S V^T) --

template <typename T>
int svd_batch(const T* x, T* s, T* u, T* v, int64_t batch, int m, int n, bool uv, bool full) {
  const int k = std::min(m, n), uc = full ? m : k, vc = full ? n : k;
  const size_t xs = size_t(m) * n;
  const size_t us = uv ? size_t(m) * uc : 0, vs = uv ? size_t(n) * vc : 0;
  std::vector<T> a(std::max<size_t>(xs, 1)), ua(std::max<size_t>(us, 1)),
      vta(std::max<size_t>(vs, 1));
  std::vector<int> iwork(8 * std::max(k, 1));
  const char jobz = !uv ? 'N' : full ? 'A' : 'S';
  const int ldu = std::max(m, 1), ldvt = uv ? std::max(vc, 1) : 1;
  int info = 0;
  T query = 0;
  if (k > 0)
    Lapack<T>::gesdd(jobz, m, n, a.data(), s, ua.data(), ldu, vta.data(), ldvt, &query, -1,
                     iwork.data(), &info);
  const int lwork = work_size(query, 1);
  std::vector<T> work(lwork);
  for (int64_t b = 0; b < batch; ++b) {
    T* sb = s + b * k;
    T* ub = u + b * us;
    T* vb = v + b * vs;
    if (k == 0) {
      if (uv) {
        eye_into(ub, m, uc);
        eye_into(vb, n, vc);
      }
      continue;
    }
    const T* xb = x + b * xs;
    if (!all_finite(xb, xs)) {
      fill_nan(sb, k);
      fill_nan(ub, us);
      fill_nan(vb, vs);
      continue;
    }
    to_colmajor(xb, a.data(), m, n);
    Lapack<T>::gesdd(jobz, m, n, a.data(), sb, ua.data(), ldu, vta.data(), ldvt, work.data(),
                     lwork, iwork.data(), &info);
    if (info < 0) return info;
    if (info > 0) {  // no convergence
      fill_nan(sb, k);
      fill_nan(ub, us);
      fill_nan(vb, vs);
      continue;
    }
    if (!uv) continue;
    from_colmajor(ua.data(), ldu, ub, m, uc);
    // V = (V^T)^T: V^T is column-major vc x n, so V[i][j] = V^T[j][i] = vta[i * ldvt + j].
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < vc; ++j) vb[size_t(i) * vc + j] = vta[size_t(i) * ldvt + j];
  }
  return 0;
}

void svd(py::array x, py::array s, py::array u, py::array v, bool compute_uv, bool full) {
  const char* op = "Svd";
  require_contiguous(x, op, "input");
  const Batch b = batch_of(x, op);
  const int k = std::min(b.m, b.n);
  check_out(x, s, op, batch_with(x, {k}));
  if (compute_uv) {
    check_out(x, u, op, with_matrix(x, b.m, full ? b.m : k));
    check_out(x, v, op, with_matrix(x, b.n, full ? b.n : k));
  }
  if (b.batch == 0) return;
  const void* px = x.data();
  void* ps = s.mutable_data();
  void* pu = compute_uv ? u.mutable_data() : nullptr;
  void* pv = compute_uv ? v.mutable_data() : nullptr;
  int info = 0;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    info = svd_batch(static_cast<const T*>(px), static_cast<T*>(ps), static_cast<T*>(pu),
                     static_cast<T*>(pv), b.batch, b.m, b.n, compute_uv, full);
  });
  if (info != 0) throw std::runtime_error("Svd: LAPACK reported an invalid argument");
}

// ---- SelfAdjointEigV2: e [..., n] ascending, v [..., n, n] (eigenvectors in columns) ---------
// Only the lower triangle is read (TF's rule): row-major lower is the upper triangle LAPACK sees.

template <typename T>
int eigh_batch(const T* x, T* e, T* v, int64_t batch, int n, bool vectors) {
  const size_t nn = size_t(n) * n;
  std::vector<T> a(std::max<size_t>(nn, 1));
  const char jobz = vectors ? 'V' : 'N';
  int info = 0, iquery = 0;
  T query = 0;
  Lapack<T>::syevd(jobz, 'U', n, a.data(), e, &query, -1, &iquery, -1, &info);
  const int lwork = work_size(query, 1), liwork = std::max(iquery, 1);
  std::vector<T> work(lwork);
  std::vector<int> iwork(liwork);
  for (int64_t b = 0; b < batch; ++b) {
    T* eb = e + b * n;
    T* vb = vectors ? v + b * nn : nullptr;
    const T* xb = x + b * nn;
    bool finite = true;
    for (int i = 0; i < n && finite; ++i)
      for (int j = 0; j <= i; ++j)
        if (!std::isfinite(xb[size_t(i) * n + j])) finite = false;
    if (!finite) {
      fill_nan(eb, n);
      if (vectors) fill_nan(vb, nn);
      continue;
    }
    std::memcpy(a.data(), xb, sizeof(T) * nn);
    Lapack<T>::syevd(jobz, 'U', n, a.data(), eb, work.data(), lwork, iwork.data(), liwork, &info);
    if (info < 0) return info;
    if (info > 0) {
      fill_nan(eb, n);
      if (vectors) fill_nan(vb, nn);
      continue;
    }
    if (vectors) from_colmajor(a.data(), n, vb, n, n);
  }
  return 0;
}

void eigh(py::array x, py::array e, py::array v, bool compute_v) {
  const char* op = "SelfAdjointEigV2";
  require_contiguous(x, op, "input");
  const Batch b = batch_of(x, op);
  if (b.m != b.n) throw py::value_error("SelfAdjointEigV2: input must be square");
  check_out(x, e, op, batch_with(x, {b.n}));
  if (compute_v) check_out(x, v, op, shape_of(x));
  if (b.batch == 0 || b.n == 0) return;
  const void* px = x.data();
  void* pe = e.mutable_data();
  void* pv = compute_v ? v.mutable_data() : nullptr;
  int info = 0;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    py::gil_scoped_release release;
    info = eigh_batch(static_cast<const T*>(px), static_cast<T*>(pe), static_cast<T*>(pv),
                      b.batch, b.n, compute_v);
  });
  if (info != 0)
    throw std::runtime_error("SelfAdjointEigV2: LAPACK reported an invalid argument");
}

// ---- Lu: packed L\U [..., n, n] and the row permutation p [..., n] with x[p] = L U -----------

template <typename T, typename I>
int lu_batch(const T* x, T* lu, I* perm, int64_t batch, int n) {
  const size_t nn = size_t(n) * n;
  std::vector<T> a(std::max<size_t>(nn, 1));
  std::vector<int> ipiv(std::max(n, 1));
  int info = 0;
  for (int64_t b = 0; b < batch; ++b) {
    to_colmajor(x + b * nn, a.data(), n, n);
    Lapack<T>::getrf(n, a.data(), ipiv.data(), &info);
    if (info < 0) return -1;
    if (info > 0) return 1;  // an exact zero pivot
    from_colmajor(a.data(), n, lu + b * nn, n, n);
    I* pb = perm + b * n;
    for (int i = 0; i < n; ++i) pb[i] = I(i);
    for (int i = 0; i < n; ++i) std::swap(pb[i], pb[ipiv[i] - 1]);  // the swaps in order
  }
  return 0;
}

void lu(py::array x, py::array lu_out, py::array perm) {
  const char* op = "Lu";
  require_contiguous(x, op, "input");
  const Batch b = batch_of(x, op);
  if (b.m != b.n) throw py::value_error("Lu: input must be square");
  check_out(x, lu_out, op, shape_of(x));
  require_contiguous(perm, op, "permutation");
  require_writable(perm, op);
  if (b.batch == 0 || b.n == 0) return;
  const void* px = x.data();
  void* pl = lu_out.mutable_data();
  void* pp = perm.mutable_data();
  int status = 0;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    dispatch_index(dtype_of(perm), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      py::gil_scoped_release release;
      status = lu_batch(static_cast<const T*>(px), static_cast<T*>(pl), static_cast<I*>(pp),
                        b.batch, b.n);
    });
  });
  if (status > 0) invalid_argument("Input is not invertible.", op);
  if (status < 0) throw std::runtime_error("Lu: LAPACK reported an invalid argument");
}

}  // namespace

void init_decomp(py::module_& m) {
  m.def("qr", &qr, py::arg("x"), py::arg("q"), py::arg("r"), py::arg("full_matrices"),
        "Qr of [..., m, n] (geqrf + orgqr): q [..., m, m or k], r [..., m or k, n].");
  m.def("svd", &svd, py::arg("x"), py::arg("s"), py::arg("u"), py::arg("v"),
        py::arg("compute_uv"), py::arg("full_matrices"),
        "Svd of [..., m, n] (gesdd): s descending, u, v with x = u diag(s) v^T.");
  m.def("self_adjoint_eig", &eigh, py::arg("x"), py::arg("e"), py::arg("v"),
        py::arg("compute_v"), "SelfAdjointEigV2 (syevd) from the lower triangle.");
  m.def("lu", &lu, py::arg("x"), py::arg("lu"), py::arg("perm"),
        "Lu of [..., n, n] (getrf): packed L\\U and p with x[p] = L U.");
}

}  // namespace th
