// Complex kernels (complex64 / complex128 as std::complex<float> / <double>): elementwise maps,
// broadcasting binary ops, the real <-> complex ops (Complex, Real, Imag, ComplexAbs, Angle),
// the plane split / merge the linear ops run through, and GEMM through OpenBLAS cgemm / zgemm.
#include <cmath>
#include <complex>

#include "broadcast.h"

extern "C" {
void scipy_cblas_cgemm(int order, int trans_a, int trans_b, int m, int n, int k,
                       const void* alpha, const void* a, int lda, const void* b, int ldb,
                       const void* beta, void* c, int ldc);
void scipy_cblas_zgemm(int order, int trans_a, int trans_b, int m, int n, int k,
                       const void* alpha, const void* a, int lda, const void* b, int ldb,
                       const void* beta, void* c, int ldc);
}

namespace th {
namespace {

bool is_complex(const py::array& a) { return a.dtype().kind() == 'c'; }

// Calls fn with a typed null pointer: float for complex64, double for complex128.
template <typename Fn>
void dispatch_complex(const py::array& a, const char* op, Fn&& fn) {
  if (is_complex(a) && a.dtype().itemsize() == 8) fn(static_cast<float*>(nullptr));
  else if (is_complex(a) && a.dtype().itemsize() == 16) fn(static_cast<double*>(nullptr));
  else throw py::type_error(std::string(op) + ": needs complex64 or complex128, got " +
                            dtype_name(a));
}

// The real dtype of the complex one (float32 for complex64): kind 'f', half the item size.
void require_real_of(const py::array& real, const py::array& cplx, const char* op) {
  if (real.dtype().kind() != 'f' || real.dtype().itemsize() * 2 != cplx.dtype().itemsize())
    throw py::value_error(std::string(op) + ": " + dtype_name(real) + " is not the real dtype of " +
                          dtype_name(cplx));
}

void require_same_size(const py::array& a, const py::array& b, const char* op) {
  if (a.size() != b.size())
    throw py::value_error(std::string(op) + ": input and output sizes differ");
}

template <typename Body>
void for_each_index(int64_t n, int64_t cost, Body&& body) {
  parallel_for(n, n * cost, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) body(i);
  });
}

// ---- unary: complex -> complex --------------------------------------------------------------
enum UnaryOp { kNeg, kConj, kSquare, kSqrt, kRsqrt, kExp, kLog, kReciprocal, kSign, kSin, kCos,
               kTanh, kTan, kSinh, kCosh, kAsin, kAcos, kAtan, kAsinh, kAcosh, kAtanh, kSigmoid,
               kExpm1, kLog1p, kUnaryCount };
const char* const kUnaryNames[] = {"Neg", "Conj", "Square", "Sqrt", "Rsqrt", "Exp", "Log",
                                   "Reciprocal", "Sign", "Sin", "Cos", "Tanh", "Tan", "Sinh",
                                   "Cosh", "Asin", "Acos", "Atan", "Asinh", "Acosh", "Atanh",
                                   "Sigmoid", "Expm1", "Log1p"};
static_assert(sizeof(kUnaryNames) / sizeof(kUnaryNames[0]) == kUnaryCount, "one name per op");

// exp(z) - 1 without cancellation near 0: expm1(x) cos(y) - 2 sin(y/2)^2 + i e^x sin(y).
template <typename T>
std::complex<T> expm1_of(std::complex<T> z) {
  const T x = z.real(), y = z.imag(), h = std::sin(y / 2);
  return {std::expm1(x) * std::cos(y) - 2 * h * h, std::exp(x) * std::sin(y)};
}

// log(1 + z) without cancellation near 0: log|1 + z| = log1p(2x + x^2 + y^2) / 2.
template <typename T>
std::complex<T> log1p_of(std::complex<T> z) {
  const T x = z.real(), y = z.imag();
  return {std::log1p(x * (2 + x) + y * y) / 2, std::atan2(y, 1 + x)};
}

template <typename T>
std::complex<T> unary_apply(int op, std::complex<T> x) {
  using C = std::complex<T>;
  switch (op) {
    case kNeg: return -x;
    case kConj: return std::conj(x);
    case kSquare: return x * x;
    case kSqrt: return std::sqrt(x);
    case kRsqrt: return C(1) / std::sqrt(x);
    case kExp: return std::exp(x);
    case kLog: return std::log(x);
    case kReciprocal: return C(1) / x;
    case kSign: {
      const T r = std::abs(x);
      return r == T(0) ? C(0) : x / r;
    }
    case kSin: return std::sin(x);
    case kCos: return std::cos(x);
    case kTan: return std::tan(x);
    case kSinh: return std::sinh(x);
    case kCosh: return std::cosh(x);
    case kAsin: return std::asin(x);
    case kAcos: return std::acos(x);
    case kAtan: return std::atan(x);
    case kAsinh: return std::asinh(x);
    case kAcosh: return std::acosh(x);
    case kAtanh: return std::atanh(x);
    case kSigmoid: return C(1) / (C(1) + std::exp(-x));
    case kExpm1: return expm1_of(x);
    case kLog1p: return log1p_of(x);
    default: return std::tanh(x);
  }
}

void complex_unary(int op, py::array x, py::array out) {
  if (op < 0 || op >= kUnaryCount) throw py::value_error("complex_unary: unknown op code");
  require_contiguous(x, "complex_unary", "input");
  require_contiguous(out, "complex_unary", "output");
  require_writable(out, "complex_unary");
  require_same_dtype(x, out, "complex_unary");
  require_same_size(x, out, "complex_unary");
  dispatch_complex(x, "complex_unary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const C* px = static_cast<const C*>(x.data());
    C* po = static_cast<C*>(out.mutable_data());
    py::gil_scoped_release release;
    for_each_index(x.size(), 16, [&](int64_t i) { po[i] = unary_apply<T>(op, px[i]); });
  });
}

// ---- complex -> real: Real, Imag, ComplexAbs, Angle ----------------------------------------
enum ToRealOp { kReal, kImag, kAbs, kAngle, kToRealCount };

void complex_to_real(int op, py::array x, py::array out) {
  if (op < 0 || op >= kToRealCount) throw py::value_error("complex_to_real: unknown op code");
  require_contiguous(x, "complex_to_real", "input");
  require_contiguous(out, "complex_to_real", "output");
  require_writable(out, "complex_to_real");
  require_real_of(out, x, "complex_to_real");
  require_same_size(x, out, "complex_to_real");
  dispatch_complex(x, "complex_to_real", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const std::complex<T>* px = static_cast<const std::complex<T>*>(x.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    for_each_index(x.size(), 4, [&](int64_t i) {
      const std::complex<T> v = px[i];
      po[i] = op == kReal ? v.real() : op == kImag ? v.imag() : op == kAbs ? std::abs(v)
                                                                            : std::arg(v);
    });
  });
}

// ---- broadcasting binary ops -----------------------------------------------------------------
enum BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kEqual, kNotEqual, kBinaryCount };
const char* const kBinaryNames[] = {"AddV2", "Sub", "Mul", "RealDiv", "Pow", "Equal", "NotEqual"};

template <typename T>
std::complex<T> binary_apply(int op, std::complex<T> a, std::complex<T> b) {
  switch (op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    default: return std::pow(a, b);
  }
}

void complex_binary(int op, py::array a, py::array b, py::array out) {
  if (op < 0 || op >= kBinaryCount) throw py::value_error("complex_binary: unknown op code");
  require_contiguous(a, "complex_binary", "input a");
  require_contiguous(b, "complex_binary", "input b");
  require_contiguous(out, "complex_binary", "output");
  require_writable(out, "complex_binary");
  require_same_dtype(a, b, "complex_binary");
  const bool compare = op == kEqual || op == kNotEqual;
  if (compare ? out.dtype().kind() != 'b' : !a.dtype().is(out.dtype()))
    throw py::value_error("complex_binary: wrong output dtype " + dtype_name(out));
  const Shape so = shape_of(out);
  StridedPlan plan(so, {broadcast_strides(shape_of(a), so), broadcast_strides(shape_of(b), so)});
  dispatch_complex(a, "complex_binary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const C* pa = static_cast<const C*>(a.data());
    const C* pb = static_cast<const C*>(b.data());
    void* po = out.mutable_data();
    const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
    py::gil_scoped_release release;
    plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
      const C* x = pa + offs[0];
      const C* y = pb + offs[1];
      if (compare) {
        bool* o = static_cast<bool*>(po) + pos;
        for (int64_t i = 0; i < len; ++i) o[i] = (x[i * sa] == y[i * sb]) == (op == kEqual);
      } else {
        C* o = static_cast<C*>(po) + pos;
        for (int64_t i = 0; i < len; ++i) o[i] = binary_apply<T>(op, x[i * sa], y[i * sb]);
      }
    });
  });
}

// Complex(re, im): broadcasting, as TF's op.
void make_complex(py::array re, py::array im, py::array out) {
  require_contiguous(re, "make_complex", "real part");
  require_contiguous(im, "make_complex", "imaginary part");
  require_contiguous(out, "make_complex", "output");
  require_writable(out, "make_complex");
  require_same_dtype(re, im, "make_complex");
  require_real_of(re, out, "make_complex");
  const Shape so = shape_of(out);
  StridedPlan plan(so, {broadcast_strides(shape_of(re), so), broadcast_strides(shape_of(im), so)});
  dispatch_complex(out, "make_complex", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pr = static_cast<const T*>(re.data());
    const T* pi = static_cast<const T*>(im.data());
    std::complex<T>* po = static_cast<std::complex<T>*>(out.mutable_data());
    const int64_t sr = plan.inner_stride(0), si = plan.inner_stride(1);
    py::gil_scoped_release release;
    plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
      const T* r = pr + offs[0];
      const T* m = pi + offs[1];
      for (int64_t i = 0; i < len; ++i) po[pos + i] = std::complex<T>(r[i * sr], m[i * si]);
    });
  });
}

// The planes of a contiguous complex array into two contiguous real arrays of its size.
void complex_split(py::array x, py::array re, py::array im) {
  require_contiguous(x, "complex_split", "input");
  for (auto* p : {&re, &im}) {
    require_contiguous(*p, "complex_split", "output");
    require_writable(*p, "complex_split");
    require_real_of(*p, x, "complex_split");
    require_same_size(x, *p, "complex_split");
  }
  dispatch_complex(x, "complex_split", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const std::complex<T>* px = static_cast<const std::complex<T>*>(x.data());
    T* pr = static_cast<T*>(re.mutable_data());
    T* pi = static_cast<T*>(im.mutable_data());
    py::gil_scoped_release release;
    for_each_index(x.size(), 1, [&](int64_t i) {
      pr[i] = px[i].real();
      pi[i] = px[i].imag();
    });
  });
}

// Products of the rows of a [rows, n] array: Prod, with the reduced axes moved last.
void complex_prod_rows(py::array x, py::array out) {
  require_contiguous(x, "complex_prod_rows", "input");
  require_contiguous(out, "complex_prod_rows", "output");
  require_writable(out, "complex_prod_rows");
  require_same_dtype(x, out, "complex_prod_rows");
  if (x.ndim() != 2 || out.size() != x.shape(0))
    throw py::value_error("complex_prod_rows: needs x [rows, n] and out [rows]");
  dispatch_complex(x, "complex_prod_rows", [&](auto* tag) {
    using C = std::complex<std::remove_pointer_t<decltype(tag)>>;
    const C* px = static_cast<const C*>(x.data());
    C* po = static_cast<C*>(out.mutable_data());
    const int64_t rows = x.shape(0), n = x.shape(1);
    py::gil_scoped_release release;
    parallel_for(rows, rows * n, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        C p(1);
        for (int64_t j = 0; j < n; ++j) p *= px[r * n + j];
        po[r] = p;
      }
    });
  });
}

// ---- GEMM: out[b] = op(a[b]) @ op(b[b]); op 0: none, 1: transpose, 2: conjugate transpose --
template <typename T>
void gemm_one(int ta, int tb, int m, int n, int k, const std::complex<T>* a, int lda,
              const std::complex<T>* b, int ldb, std::complex<T>* c) {
  const std::complex<T> one(1), zero(0);
  if constexpr (std::is_same_v<T, float>)
    scipy_cblas_cgemm(101, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, n);
  else
    scipy_cblas_zgemm(101, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, n);
}

void complex_matmul(py::array a, py::array b, py::array out, int op_a, int op_b) {
  const char* op = "complex_matmul";
  require_contiguous(a, op, "a");
  require_contiguous(b, op, "b");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(a, b, op);
  require_same_dtype(a, out, op);
  if (a.ndim() != 3 || b.ndim() != 3 || out.ndim() != 3)
    throw py::value_error("complex_matmul: a, b and out must be [batch, rows, cols]");
  const int64_t batch = out.shape(0);
  for (auto* p : {&a, &b})
    if (p->shape(0) != batch && p->shape(0) != 1)
      throw py::value_error("complex_matmul: batch dims differ");
  const int64_t m = out.shape(1), n = out.shape(2);
  const int64_t k = op_a ? a.shape(1) : a.shape(2);
  if ((op_a ? a.shape(2) : a.shape(1)) != m || (op_b ? b.shape(2) : b.shape(1)) != k ||
      (op_b ? b.shape(1) : b.shape(2)) != n)
    throw py::value_error("complex_matmul: shapes do not match");
  const int ta = op_a == 0 ? 111 : op_a == 1 ? 112 : 113;
  const int tb = op_b == 0 ? 111 : op_b == 1 ? 112 : 113;
  dispatch_complex(a, op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const C* pa = static_cast<const C*>(a.data());
    const C* pb = static_cast<const C*>(b.data());
    C* po = static_cast<C*>(out.mutable_data());
    if (m * n == 0) return;
    const int64_t step_a = a.shape(0) == 1 ? 0 : a.shape(1) * a.shape(2);
    const int64_t step_b = b.shape(0) == 1 ? 0 : b.shape(1) * b.shape(2);
    py::gil_scoped_release release;
    if (k == 0) {
      std::fill(po, po + batch * m * n, C(0));
      return;
    }
    parallel_for(batch, batch * m * n * k, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        gemm_one<T>(ta, tb, int(m), int(n), int(k), pa + i * step_a, int(a.shape(2)),
                    pb + i * step_b, int(b.shape(2)), po + i * m * n);
    });
  });
}

}  // namespace

void init_complex(py::module_& m) {
  py::dict unary_ops, binary_ops;
  for (int i = 0; i < kUnaryCount; ++i) unary_ops[kUnaryNames[i]] = i;
  for (int i = 0; i < kBinaryCount; ++i) binary_ops[kBinaryNames[i]] = i;
  m.attr("COMPLEX_UNARY_OPS") = unary_ops;
  m.attr("COMPLEX_BINARY_OPS") = binary_ops;
  py::dict to_real;
  to_real["Real"] = int(kReal);
  to_real["Imag"] = int(kImag);
  to_real["ComplexAbs"] = int(kAbs);
  to_real["Angle"] = int(kAngle);
  m.attr("COMPLEX_TO_REAL_OPS") = to_real;
  m.def("complex_unary", &complex_unary, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("complex_to_real", &complex_to_real, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("complex_binary", &complex_binary, py::arg("op"), py::arg("a"), py::arg("b"),
        py::arg("out"), "Broadcasting; Equal / NotEqual write a bool output.");
  m.def("make_complex", &make_complex, py::arg("real"), py::arg("imag"), py::arg("out"));
  m.def("complex_prod_rows", &complex_prod_rows, py::arg("x"), py::arg("out"));
  m.def("complex_split", &complex_split, py::arg("x"), py::arg("real"), py::arg("imag"));
  m.def("complex_matmul", &complex_matmul, py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("op_a"), py::arg("op_b"),
        "[batch (or 1), m, k] @ [batch (or 1), k, n]; op 0 none, 1 transpose, 2 adjoint.");
}

}  // namespace th
