// Elementwise kernels: unary maps and broadcasting binary ops.
#include <cmath>

#include "broadcast.h"

namespace th {
namespace {

// ---- unary ----------------------------------------------------------------------------
enum Unary {
  kNeg, kAbs, kSign, kSquare, kSqrt, kRsqrt, kExp, kExpm1, kLog, kLog1p, kReciprocal,
  kSin, kCos, kTan, kTanh, kSigmoid, kRelu, kFloor, kCeil, kUnaryCount
};

template <typename T>
inline T unary_apply(int op, T x) {
  switch (op) {
    case kNeg: return -x;
    case kAbs: return x < T(0) ? -x : x;
    case kSign: return x != x ? x : T((T(0) < x) - (x < T(0)));  // NaN stays NaN, as TF
    case kSquare: return x * x;
    case kSqrt: return T(std::sqrt(x));
    case kRsqrt: return T(1) / T(std::sqrt(x));
    case kExp: return T(std::exp(x));
    case kExpm1: return T(std::expm1(x));
    case kLog: return T(std::log(x));
    case kLog1p: return T(std::log1p(x));
    case kReciprocal: return T(1) / x;
    case kSin: return T(std::sin(x));
    case kCos: return T(std::cos(x));
    case kTan: return T(std::tan(x));
    case kTanh: return T(std::tanh(x));
    case kSigmoid: return T(1) / (T(1) + T(std::exp(-x)));
    case kRelu: return (x > T(0) || x != x) ? x : T(0);  // NaN propagates, as TF
    case kFloor: return T(std::floor(x));
    case kCeil: return T(std::ceil(x));
  }
  return x;
}

// One loop per op so each inner loop is a straight, vectorizable map.
template <typename T, int OP>
void unary_loop(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = unary_apply<T>(OP, x[i]);
}

template <typename T, int... OPS>
void unary_run(int op, const T* x, T* y, int64_t n, std::integer_sequence<int, OPS...>) {
  using Fn = void (*)(const T*, T*, int64_t);
  static constexpr Fn table[] = {&unary_loop<T, OPS>...};
  table[op](x, y, n);
}

void unary(int op, py::array x, py::array out) {
  if (op < 0 || op >= kUnaryCount) throw py::value_error("unary: unknown op code");
  require_contiguous(x, "unary", "input");
  require_contiguous(out, "unary", "output");
  require_writable(out, "unary");
  require_same_dtype(x, out, "unary");
  if (x.size() != out.size()) throw py::value_error("unary: input and output sizes differ");
  const int64_t n = x.size();
  dispatch_numeric(dtype_of(x), "unary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    const int nt = threads_for(n * 4);  // transcendental maps pay for threads sooner
    auto seq = std::make_integer_sequence<int, kUnaryCount>{};
    if (nt <= 1) {
      unary_run<T>(op, px, py_, n, seq);
    } else {
#pragma omp parallel for num_threads(nt) schedule(static)
      for (int t = 0; t < nt; ++t) {
        const int64_t b = n * t / nt, e = n * (t + 1) / nt;
        unary_run<T>(op, px + b, py_ + b, e - b, seq);
      }
    }
  });
}

// ---- binary ---------------------------------------------------------------------------
enum Binary {
  kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference, kPow,
  kReluGrad, kSigmoidGrad, kTanhGrad,  // (a, b) = (gradients, features) / (y, dy) as TF
  kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,  // bool outputs
  kBinaryCount
};
constexpr int kFirstCompare = kEqual;

template <typename T>
inline T arith(int op, T a, T b) {
  switch (op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    case kMaximum: return (a > b || a != a) ? a : b;  // NaN in either operand propagates
    case kMinimum: return (a < b || a != a) ? a : b;
    case kSquaredDifference: return (a - b) * (a - b);
    case kPow: return T(std::pow(a, b));
    case kReluGrad: return b > T(0) ? a : T(0);
    case kSigmoidGrad: return b * a * (T(1) - a);
    case kTanhGrad: return b * (T(1) - a * a);
  }
  return a;
}

template <typename T>
inline bool compare(int op, T a, T b) {
  switch (op) {
    case kEqual: return a == b;
    case kNotEqual: return a != b;
    case kLess: return a < b;
    case kLessEqual: return a <= b;
    case kGreater: return a > b;
    case kGreaterEqual: return a >= b;
  }
  return false;
}

template <typename T, typename R, int OP>
inline R apply2(T a, T b) {
  if constexpr (OP >= kFirstCompare) return compare<T>(OP, a, b);
  else return arith<T>(OP, a, b);
}

// The four stride cases of an innermost run, each a straight loop.
template <typename T, typename R, int OP>
void binary_run(const T* a, int64_t sa, const T* b, int64_t sb, R* o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = apply2<T, R, OP>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = apply2<T, R, OP>(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = apply2<T, R, OP>(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = apply2<T, R, OP>(a[i * sa], b[i * sb]);
  }
}

template <typename T, typename R, int OP>
void binary_typed(const StridedPlan& plan, const T* a, const T* b, R* o) {
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
    binary_run<T, R, OP>(a + offs[0], sa, b + offs[1], sb, o + pos, len);
  });
}

template <typename T, typename R, int... OPS>
void binary_switch(int op, const StridedPlan& plan, const T* a, const T* b, R* o,
                   std::integer_sequence<int, OPS...>) {
  using Fn = void (*)(const StridedPlan&, const T*, const T*, R*);
  static constexpr Fn table[] = {&binary_typed<T, R, OPS>...};
  table[op](plan, a, b, o);
}

void binary(int op, py::array a, py::array b, py::array out) {
  if (op < 0 || op >= kBinaryCount) throw py::value_error("binary: unknown op code");
  require_contiguous(a, "binary", "input a");
  require_contiguous(b, "binary", "input b");
  require_contiguous(out, "binary", "output");
  require_writable(out, "binary");
  require_same_dtype(a, b, "binary");
  const bool is_compare = op >= kFirstCompare;
  if (is_compare ? dtype_of(out) != DType::kBool : dtype_of(out) != dtype_of(a))
    throw py::value_error("binary: output dtype does not match the op");
  const Shape sa = shape_of(a), sb = shape_of(b), so = shape_of(out);
  // Validate that out is the broadcast of a and b.
  const size_t r = so.size();
  if (sa.size() > r || sb.size() > r) throw py::value_error("binary: output rank too small");
  for (size_t j = 0; j < r; ++j) {
    const int64_t da = j < sa.size() ? sa[sa.size() - 1 - j] : 1;
    const int64_t db = j < sb.size() ? sb[sb.size() - 1 - j] : 1;
    const int64_t d = so[r - 1 - j];
    if ((da != d && da != 1) || (db != d && db != 1) || (da == 1 && db == 1 && d != 1))
      throw py::value_error("binary: shapes " + shape_str(sa) + " and " + shape_str(sb) +
                            " do not broadcast to " + shape_str(so));
  }
  if (out.size() == 0) return;
  StridedPlan plan(so, {broadcast_strides(sa, so), broadcast_strides(sb, so)});
  auto seq = std::make_integer_sequence<int, kBinaryCount>{};
  dispatch_numeric(dtype_of(a), "binary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    void* po = out.mutable_data();
    py::gil_scoped_release release;
    if (is_compare) binary_switch<T, bool>(op, plan, pa, pb, static_cast<bool*>(po), seq);
    else binary_switch<T, T>(op, plan, pa, pb, static_cast<T*>(po), seq);
  });
}

}  // namespace

void init_elementwise(py::module_& m) {
  m.def("unary", &unary, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("binary", &binary, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  py::dict u, bn;
  const char* unary_names[] = {"Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1",
                               "Log", "Log1p", "Reciprocal", "Sin", "Cos", "Tan", "Tanh",
                               "Sigmoid", "Relu", "Floor", "Ceil"};
  for (int i = 0; i < kUnaryCount; ++i) u[unary_names[i]] = i;
  const char* binary_names[] = {"AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum",
                                "SquaredDifference", "Pow", "ReluGrad", "SigmoidGrad",
                                "TanhGrad", "Equal", "NotEqual", "Less", "LessEqual",
                                "Greater", "GreaterEqual"};
  for (int i = 0; i < kBinaryCount; ++i) bn[binary_names[i]] = i;
  m.attr("UNARY_OPS") = u;
  m.attr("BINARY_OPS") = bn;
}

}  // namespace th
