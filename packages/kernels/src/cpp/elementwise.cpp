// Elementwise kernels: unary maps and broadcasting binary ops.
#include <cmath>

#include "broadcast.h"
#include "elementwise_ops.h"

namespace th {
namespace {

using namespace ew;  // NOLINT: the op codes and their math

const char* const kUnaryNames[] = {
    "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p",
    "Reciprocal", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Relu", "Floor", "Ceil", "Erf",
    "Round", "Elu", "Selu", "Softplus", "Relu6"};
const char* const kBinaryNames[] = {
    "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow",
    "ReluGrad", "SigmoidGrad", "TanhGrad", "FloorDiv", "FloorMod", "EluGrad", "SeluGrad",
    "SoftplusGrad", "Relu6Grad", "TruncateMod", "Equal", "NotEqual", "Less", "LessEqual",
    "Greater", "GreaterEqual"};
static_assert(sizeof(kUnaryNames) / sizeof(kUnaryNames[0]) == kUnaryCount);
static_assert(sizeof(kBinaryNames) / sizeof(kBinaryNames[0]) == kBinaryCount);

// The ops TF has integer kernels for (opdefs.py); the others have no integer loops here.
constexpr bool int_unary(int op) {
  return op == kNeg || op == kAbs || op == kSign || op == kSquare || op == kRelu ||
         op == kRelu6 || op == kRound;
}
constexpr bool int_binary(int op) {
  return op != kDiv && op != kSigmoidGrad && op != kTanhGrad && op != kEluGrad &&
         op != kSeluGrad && op != kSoftplusGrad;
}

// Whether a float loop gains from its AVX2 / AVX-512 versions (timed one against the other). A
// loop that calls libm for every element runs about as fast under every ISA and is compiled
// once: sin, cos, tan, erf, pow and fmod, and float64's exp / log family (float32's,
// elementwise_ops.h, vectorizes; float64 Sigmoid gains a little).
constexpr bool float64_libm(int op) {
  return op == kExp || op == kExpm1 || op == kLog || op == kLog1p || op == kTanh ||
         op == kElu || op == kSelu || op == kSoftplus;
}
template <typename T>
constexpr bool wide_unary(int op) {
  return TH_X86_DISPATCH && std::is_floating_point_v<T> && op != kSin && op != kCos &&
         op != kTan && op != kErf && (std::is_same_v<T, float> || !float64_libm(op));
}
template <typename T>
constexpr bool wide_binary(int op) {
  return TH_X86_DISPATCH && std::is_floating_point_v<T> && op != kPow && op != kFloorMod &&
         op != kTruncateMod;
}

// ---- unary ----------------------------------------------------------------------------
// One loop per op so each inner loop is a straight, vectorizable map; the float loops that gain
// from it are also compiled for AVX2 and AVX-512 (common.h).
template <typename T, int OP>
TH_ALWAYS_INLINE void unary_loop(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = unary_apply<T>(OP, x[i]);
}
template <typename T, int OP>
void unary_loop_base(const T* x, T* y, int64_t n) { unary_loop<T, OP>(x, y, n); }
template <typename T, int OP>
TH_TARGET_AVX2 void unary_loop_avx2(const T* x, T* y, int64_t n) { unary_loop<T, OP>(x, y, n); }
template <typename T, int OP>
TH_TARGET_AVX512 void unary_loop_avx512(const T* x, T* y, int64_t n) {
  unary_loop<T, OP>(x, y, n);
}

template <typename T>
using UnaryLoop = void (*)(const T*, T*, int64_t);

// One op's loop for one ISA: its own version where it gains, else the baseline one (none for
// an integer type the op has no kernel for).
template <typename T, int OP, Isa ISA>
constexpr UnaryLoop<T> unary_entry() {
  if constexpr (std::is_integral_v<T> && !int_unary(OP)) return nullptr;
  else if constexpr (ISA == Isa::kAvx512 && wide_unary<T>(OP)) return &unary_loop_avx512<T, OP>;
  else if constexpr (ISA == Isa::kAvx2 && wide_unary<T>(OP)) return &unary_loop_avx2<T, OP>;
  else return &unary_loop_base<T, OP>;
}

template <typename T, int... OPS>
void unary_run(int op, const T* x, T* y, int64_t n, std::integer_sequence<int, OPS...>) {
  using Fn = UnaryLoop<T>;
  static constexpr Fn base[] = {unary_entry<T, OPS, Isa::kBaseline>()...};
  static constexpr Fn avx2[] = {unary_entry<T, OPS, Isa::kAvx2>()...};
  static constexpr Fn avx512[] = {unary_entry<T, OPS, Isa::kAvx512>()...};
  static const Fn* const table = by_isa<const Fn*>(avx512, avx2, base);
  table[op](x, y, n);
}

void unary(int op, py::array x, py::array out) {
  if (op < 0 || op >= kUnaryCount) throw py::value_error("unary: unknown op code");
  require_contiguous(x, "unary", "input");
  require_contiguous(out, "unary", "output");
  require_writable(out, "unary");
  require_same_dtype(x, out, "unary");
  if (x.size() != out.size()) throw py::value_error("unary: input and output sizes differ");
  if (x.dtype().kind() != 'f' && !int_unary(op))
    throw py::type_error(std::string(kUnaryNames[op]) + ": unsupported dtype " + dtype_name(x));
  const int64_t n = x.size();
  dispatch_numeric(dtype_of(x), "unary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(out.mutable_data());
    const int nt = threads_for(n * 4);  // transcendental maps pay for threads sooner
    auto seq = std::make_integer_sequence<int, kUnaryCount>{};
    if (nt <= 1) {
      unary_run<T>(op, px, py_, n, seq);  // small: keeping the GIL is cheaper than releasing
    } else {
      py::gil_scoped_release release;
      RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
      for (int t = 0; t < nt; ++t) {
        timer.arrive(t);
        const int64_t b = n * t / nt, e = n * (t + 1) / nt;
        unary_run<T>(op, px + b, py_ + b, e - b, seq);
      }
    }
  });
}

// ---- binary ---------------------------------------------------------------------------
template <typename T, typename R, int OP>
inline R apply2(T a, T b) {
  if constexpr (OP >= kFirstCompare) return compare<T>(OP, a, b);
  else return arith<T>(OP, a, b);
}

// The four stride cases of an innermost run, each a straight loop.
template <typename T, typename R, int OP>
TH_ALWAYS_INLINE void binary_run(const T* a, int64_t sa, const T* b, int64_t sb, R* o,
                                 int64_t n) {
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

// The run compiled per ISA.
template <typename T, typename R, int OP>
void binary_run_base(const T* a, int64_t sa, const T* b, int64_t sb, R* o, int64_t n) {
  binary_run<T, R, OP>(a, sa, b, sb, o, n);
}
template <typename T, typename R, int OP>
TH_TARGET_AVX2 void binary_run_avx2(const T* a, int64_t sa, const T* b, int64_t sb, R* o,
                                    int64_t n) {
  binary_run<T, R, OP>(a, sa, b, sb, o, n);
}
template <typename T, typename R, int OP>
TH_TARGET_AVX512 void binary_run_avx512(const T* a, int64_t sa, const T* b, int64_t sb, R* o,
                                        int64_t n) {
  binary_run<T, R, OP>(a, sa, b, sb, o, n);
}

template <typename T, typename R>
using BinaryRun = void (*)(const T*, int64_t, const T*, int64_t, R*, int64_t);

template <typename T, typename R, int OP, Isa ISA>
constexpr BinaryRun<T, R> binary_entry() {
  if constexpr (std::is_integral_v<T> && !int_binary(OP)) return nullptr;
  else if constexpr (ISA == Isa::kAvx512 && wide_binary<T>(OP))
    return &binary_run_avx512<T, R, OP>;
  else if constexpr (ISA == Isa::kAvx2 && wide_binary<T>(OP)) return &binary_run_avx2<T, R, OP>;
  else return &binary_run_base<T, R, OP>;
}

// The ops of output type R: the comparisons (bool) from kFirstCompare on, the others from 0.
template <typename R>
constexpr int kFirstOp = std::is_same_v<R, bool> ? kFirstCompare : 0;

template <typename T, typename R, int... I>
BinaryRun<T, R> binary_run_of(int op, std::integer_sequence<int, I...>) {
  using Fn = BinaryRun<T, R>;
  constexpr int f = kFirstOp<R>;
  static constexpr Fn base[] = {binary_entry<T, R, f + I, Isa::kBaseline>()...};
  static constexpr Fn avx2[] = {binary_entry<T, R, f + I, Isa::kAvx2>()...};
  static constexpr Fn avx512[] = {binary_entry<T, R, f + I, Isa::kAvx512>()...};
  static const Fn* const table = by_isa<const Fn*>(avx512, avx2, base);
  return table[op - f];
}

template <typename T, typename R>
BinaryRun<T, R> binary_run_of(int op) {
  constexpr int count = std::is_same_v<R, bool> ? kBinaryCount - kFirstCompare : kFirstCompare;
  return binary_run_of<T, R>(op, std::make_integer_sequence<int, count>{});
}

template <typename T, typename R>
void binary_strided(int op, const StridedPlan& plan, const T* a, const T* b, R* o) {
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  const BinaryRun<T, R> run = binary_run_of<T, R>(op);
  plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
    run(a + offs[0], sa, b + offs[1], sb, o + pos, len);
  });
}

// Flat path: operands with the output's shape (stride 1) or a single element (stride 0).
template <typename T, typename R>
void binary_flat(int op, const T* a, int64_t sa, const T* b, int64_t sb, R* o, int64_t n) {
  const BinaryRun<T, R> run = binary_run_of<T, R>(op);
  const int nt = threads_for(n);
  if (nt <= 1) {
    run(a, sa, b, sb, o, n);
    return;
  }
  py::gil_scoped_release release;
  RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
    timer.arrive(t);
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    run(a + lo * sa, sa, b + lo * sb, sb, o + lo, hi - lo);
  }
}

inline bool same_shape(const py::array& x, const py::array& y) {
  if (x.ndim() != y.ndim()) return false;
  for (py::ssize_t i = 0; i < x.ndim(); ++i)
    if (x.shape(i) != y.shape(i)) return false;
  return true;
}

// TF's integer division checks every divisor: a zero is an error, never a trap.
void reject_zero_divisor(const py::array& b, const char* op) {
  bool zero = false;
  dispatch_numeric(dtype_of(b), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* p = static_cast<const T*>(b.data());
    const int64_t n = b.size();
    for (int64_t i = 0; i < n && !zero; ++i) zero = p[i] == T(0);
  });
  if (zero) invalid_argument("Integer division by zero", op);
}

// TF's integer Pow refuses negative exponents before computing anything.
void reject_negative_exponent(const py::array& b) {
  bool negative = false;
  dispatch_numeric(dtype_of(b), "Pow", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_signed_v<T>) {
      const T* p = static_cast<const T*>(b.data());
      const int64_t n = b.size();
      for (int64_t i = 0; i < n && !negative; ++i) negative = p[i] < T(0);
    }
  });
  if (negative) invalid_argument("Integers to negative integer powers are not allowed", "Pow");
}

void binary(int op, py::array a, py::array b, py::array out) {
  if (op < 0 || op >= kBinaryCount) throw py::value_error("binary: unknown op code");
  require_contiguous(a, "binary", "input a");
  require_contiguous(b, "binary", "input b");
  require_contiguous(out, "binary", "output");
  require_writable(out, "binary");
  require_same_dtype(a, b, "binary");
  const bool is_compare = op >= kFirstCompare;
  const DType dt = dtype_of(a);
  if (is_compare ? dtype_of(out) != DType::kBool : dtype_of(out) != dt)
    throw py::value_error("binary: output dtype does not match the op");
  if (a.dtype().kind() != 'f' && !int_binary(op))
    throw py::type_error(std::string(kBinaryNames[op]) + ": unsupported dtype " + dtype_name(a));
  const bool int_division = (op == kFloorDiv || op == kFloorMod || op == kTruncateMod) &&
                            dt != DType::kFloat32 && dt != DType::kFloat64;
  const char* division_op = kBinaryNames[op];
  // (an empty result computes no power, so nothing to refuse, as TF)
  if (op == kPow && out.size() > 0 && dt != DType::kFloat32 && dt != DType::kFloat64)
    reject_negative_exponent(b);
  // Equal shapes or a one-element operand: no broadcast plan, no heap allocation, and the
  // GIL is only released when threads will run (the per-call cost of small ops matters).
  int64_t flat_a = -1, flat_b = -1;
  if (same_shape(a, out)) {
    flat_a = 1;
    flat_b = same_shape(b, out) ? 1 : (b.size() == 1 && b.ndim() <= out.ndim() ? 0 : -1);
  } else if (a.size() == 1 && a.ndim() <= out.ndim() && same_shape(b, out)) {
    flat_a = 0;
    flat_b = 1;
  }
  if (flat_a >= 0 && flat_b >= 0) {
    const int64_t n = out.size();
    if (n == 0) return;
    if (int_division) reject_zero_divisor(b, division_op);
    dispatch_numeric(dt, "binary", [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* pa = static_cast<const T*>(a.data());
      const T* pb = static_cast<const T*>(b.data());
      void* po = out.mutable_data();
      if (is_compare) binary_flat<T, bool>(op, pa, flat_a, pb, flat_b, static_cast<bool*>(po), n);
      else binary_flat<T, T>(op, pa, flat_a, pb, flat_b, static_cast<T*>(po), n);
    });
    return;
  }
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
  if (int_division) reject_zero_divisor(b, division_op);
  StridedPlan plan(so, {broadcast_strides(sa, so), broadcast_strides(sb, so)});
  dispatch_numeric(dt, "binary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    void* po = out.mutable_data();
    py::gil_scoped_release release;
    if (is_compare) binary_strided<T, bool>(op, plan, pa, pb, static_cast<bool*>(po));
    else binary_strided<T, T>(op, plan, pa, pb, static_cast<T*>(po));
  });
}

// ---- bool outputs of one input: IsNan, IsFinite (floats), LogicalNot (bool) --------------
enum Predicate { kIsNan, kIsFinite, kLogicalNot, kPredicateCount };

void predicate(int op, py::array x, py::array out) {
  if (op < 0 || op >= kPredicateCount) throw py::value_error("predicate: unknown op code");
  require_contiguous(x, "predicate", "input");
  require_contiguous(out, "predicate", "output");
  require_writable(out, "predicate");
  if (dtype_of(out) != DType::kBool) throw py::value_error("predicate: output must be bool");
  if (x.size() != out.size()) throw py::value_error("predicate: input and output sizes differ");
  const int64_t n = x.size();
  bool* po = static_cast<bool*>(out.mutable_data());
  if (op == kLogicalNot) {
    if (dtype_of(x) != DType::kBool) throw py::type_error("LogicalNot: input must be bool");
    const uint8_t* px = static_cast<const uint8_t*>(x.data());
    py::gil_scoped_release release;
    parallel_for(n, n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) po[i] = px[i] == 0;
    });
    return;
  }
  dispatch_float(dtype_of(x), op == kIsNan ? "IsNan" : "IsFinite", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    py::gil_scoped_release release;
    parallel_for(n, n, [&](int64_t b, int64_t e) {
      if (op == kIsNan)
        for (int64_t i = b; i < e; ++i) po[i] = px[i] != px[i];
      else
        for (int64_t i = b; i < e; ++i) po[i] = std::isfinite(px[i]);
    });
  });
}

// Checks that out_shape is the broadcast of the shapes in `ins`.
void require_broadcast(const std::vector<Shape>& ins, const Shape& so, const char* op) {
  const size_t r = so.size();
  for (const auto& s : ins) {
    bool ok = s.size() <= r;
    for (size_t j = 0; ok && j < s.size(); ++j) {
      const int64_t d = s[s.size() - 1 - j];
      ok = d == so[r - 1 - j] || d == 1;
    }
    if (!ok)
      throw py::value_error(std::string(op) + ": input shape " + shape_str(s) +
                            " does not broadcast to " + shape_str(so));
  }
}

// ---- LogicalAnd, LogicalOr with broadcasting (bytes read as 0 / non-zero) -----------------
enum Logical { kLogicalAnd, kLogicalOr, kLogicalCount };

void logical(int op, py::array a, py::array b, py::array out) {
  if (op < 0 || op >= kLogicalCount) throw py::value_error("logical: unknown op code");
  const char* name = op == kLogicalAnd ? "LogicalAnd" : "LogicalOr";
  require_contiguous(a, name, "input a");
  require_contiguous(b, name, "input b");
  require_contiguous(out, name, "output");
  require_writable(out, name);
  if (dtype_of(a) != DType::kBool || dtype_of(b) != DType::kBool || dtype_of(out) != DType::kBool)
    throw py::type_error(std::string(name) + ": inputs and output must be bool");
  const Shape sa = shape_of(a), sb = shape_of(b), so = shape_of(out);
  require_broadcast({sa, sb}, so, name);
  if (out.size() == 0) return;
  StridedPlan plan(so, {broadcast_strides(sa, so), broadcast_strides(sb, so)});
  const uint8_t* pa = static_cast<const uint8_t*>(a.data());
  const uint8_t* pb = static_cast<const uint8_t*>(b.data());
  bool* po = static_cast<bool*>(out.mutable_data());
  const int64_t ia = plan.inner_stride(0), ib = plan.inner_stride(1);
  py::gil_scoped_release release;
  plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
    const uint8_t* x = pa + offs[0];
    const uint8_t* y = pb + offs[1];
    bool* o = po + pos;
    if (op == kLogicalAnd)
      for (int64_t i = 0; i < len; ++i) o[i] = (x[i * ia] != 0) & (y[i * ib] != 0);
    else
      for (int64_t i = 0; i < len; ++i) o[i] = (x[i * ia] != 0) | (y[i * ib] != 0);
  });
}

// ---- SelectV2(cond, t, e): three-way broadcasting; elements are moved as bits -----------
void select(py::array cond, py::array t, py::array e, py::array out) {
  const char* name = "SelectV2";
  require_contiguous(cond, name, "condition");
  require_contiguous(t, name, "t");
  require_contiguous(e, name, "e");
  require_contiguous(out, name, "output");
  require_writable(out, name);
  if (dtype_of(cond) != DType::kBool) throw py::type_error("SelectV2: condition must be bool");
  require_same_dtype(t, e, name);
  require_same_dtype(t, out, name);
  const Shape sc = shape_of(cond), st = shape_of(t), se = shape_of(e), so = shape_of(out);
  require_broadcast({sc, st, se}, so, name);
  if (out.size() == 0) return;
  StridedPlan plan(so, {broadcast_strides(sc, so), broadcast_strides(st, so),
                        broadcast_strides(se, so)});
  const uint8_t* pc = static_cast<const uint8_t*>(cond.data());
  dispatch_bits(t, name, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pt = static_cast<const T*>(t.data());
    const T* pe = static_cast<const T*>(e.data());
    T* po = static_cast<T*>(out.mutable_data());
    const int64_t ic = plan.inner_stride(0), it = plan.inner_stride(1), ie = plan.inner_stride(2);
    py::gil_scoped_release release;
    plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
      const uint8_t* c = pc + offs[0];
      const T* x = pt + offs[1];
      const T* y = pe + offs[2];
      T* o = po + pos;
      for (int64_t i = 0; i < len; ++i) o[i] = c[i * ic] ? x[i * it] : y[i * ie];
    });
  });
}

// ---- MathUnary / MathBinary: float math (atan ... digamma, atan2) and integer bits ----------
// Calls fn with a typed null pointer: float32 / float64 for the float ops, every integer type
// (uint16 / 32 / 64 too) for the bitwise ones; anything else is a TypeError naming the op.
template <typename Fn>
void dispatch_math(const py::array& a, bool integer, const char* op, Fn&& fn) {
  const auto dt = a.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (!integer && kind == 'f' && size == 4) return fn(static_cast<float*>(nullptr));
  if (!integer && kind == 'f' && size == 8) return fn(static_cast<double*>(nullptr));
  if (integer && kind == 'i') {
    if (size == 1) return fn(static_cast<int8_t*>(nullptr));
    if (size == 2) return fn(static_cast<int16_t*>(nullptr));
    if (size == 4) return fn(static_cast<int32_t*>(nullptr));
    if (size == 8) return fn(static_cast<int64_t*>(nullptr));
  }
  if (integer && kind == 'u') {
    if (size == 1) return fn(static_cast<uint8_t*>(nullptr));
    if (size == 2) return fn(static_cast<uint16_t*>(nullptr));
    if (size == 4) return fn(static_cast<uint32_t*>(nullptr));
    if (size == 8) return fn(static_cast<uint64_t*>(nullptr));
  }
  throw py::type_error(std::string(op) + ": unsupported dtype " + std::string(py::str(dt)));
}

template <typename T, int OP>
void math_unary_loop(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = math_unary_apply<T>(OP, x[i]);
}

template <typename T, int... OPS>
void math_unary_run(int op, const T* x, T* y, int64_t n, std::integer_sequence<int, OPS...>) {
  using Fn = void (*)(const T*, T*, int64_t);
  static constexpr Fn table[] = {&math_unary_loop<T, OPS>...};
  table[op](x, y, n);
}

void math_unary(int op, py::array x, py::array out) {
  if (op < 0 || op >= kMathUnaryCount) throw py::value_error("math_unary: unknown op code");
  require_contiguous(x, "math_unary", "input");
  require_contiguous(out, "math_unary", "output");
  require_writable(out, "math_unary");
  require_same_dtype(x, out, "math_unary");
  if (x.size() != out.size()) throw py::value_error("math_unary: input and output sizes differ");
  const int64_t n = x.size();
  dispatch_math(x, op >= kFirstIntegerUnary, "math_unary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(out.mutable_data());
    auto seq = std::make_integer_sequence<int, kMathUnaryCount>{};
    const int nt = threads_for(n * 8);  // libm calls: threads pay sooner
    if (nt <= 1) {
      math_unary_run<T>(op, px, py_, n, seq);
      return;
    }
    py::gil_scoped_release release;
    RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; ++t) {
      timer.arrive(t);
      const int64_t b = n * t / nt, e = n * (t + 1) / nt;
      math_unary_run<T>(op, px + b, py_ + b, e - b, seq);
    }
  });
}

template <typename T, int OP>
void math_binary_loop(const T* a, int64_t sa, const T* b, int64_t sb, T* o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = math_binary_apply<T>(OP, a[i], b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = math_binary_apply<T>(OP, a[i * sa], b[i * sb]);
  }
}

template <typename T, int... OPS>
auto math_binary_fn(int op, std::integer_sequence<int, OPS...>) {
  using Fn = void (*)(const T*, int64_t, const T*, int64_t, T*, int64_t);
  static constexpr Fn table[] = {&math_binary_loop<T, OPS>...};
  return table[op];
}

void math_binary(int op, py::array a, py::array b, py::array out) {
  if (op < 0 || op >= kMathBinaryCount) throw py::value_error("math_binary: unknown op code");
  require_contiguous(a, "math_binary", "input a");
  require_contiguous(b, "math_binary", "input b");
  require_contiguous(out, "math_binary", "output");
  require_writable(out, "math_binary");
  require_same_dtype(a, b, "math_binary");
  require_same_dtype(a, out, "math_binary");
  const Shape sa = shape_of(a), sb = shape_of(b), so = shape_of(out);
  require_broadcast({sa, sb}, so, "math_binary");
  if (out.size() == 0) return;
  StridedPlan plan(so, {broadcast_strides(sa, so), broadcast_strides(sb, so)});
  dispatch_math(a, op >= kFirstIntegerBinary, "math_binary", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    T* po = static_cast<T*>(out.mutable_data());
    const auto run = math_binary_fn<T>(op, std::make_integer_sequence<int, kMathBinaryCount>{});
    const int64_t ia = plan.inner_stride(0), ib = plan.inner_stride(1);
    py::gil_scoped_release release;
    plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
      run(pa + offs[0], ia, pb + offs[1], ib, po + pos, len);
    });
  });
}

}  // namespace

void init_elementwise(py::module_& m) {
  m.def("cpu_isa", []() { return std::string(isa_name(cpu_isa())); },
        "The instruction set the hot loops were picked for: avx512, avx2 or baseline.");
  m.def("unary", &unary, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("binary", &binary, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("predicate", &predicate, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("logical", &logical, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("select", &select, py::arg("cond"), py::arg("t"), py::arg("e"), py::arg("out"));
  m.def("math_unary", &math_unary, py::arg("op"), py::arg("x"), py::arg("out"));
  m.def("math_binary", &math_binary, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  py::dict u, bn, pr, lg;
  for (int i = 0; i < kUnaryCount; ++i) u[kUnaryNames[i]] = i;
  for (int i = 0; i < kBinaryCount; ++i) bn[kBinaryNames[i]] = i;
  pr["IsNan"] = int(kIsNan);
  pr["IsFinite"] = int(kIsFinite);
  pr["LogicalNot"] = int(kLogicalNot);
  lg["LogicalAnd"] = int(kLogicalAnd);
  lg["LogicalOr"] = int(kLogicalOr);
  const char* math_unary_names[] = {"Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh",
                                    "Asinh", "Atanh", "Lgamma", "Digamma", "Erfinv",
                                    "Ndtri", "BesselI0", "BesselI0e", "BesselI1",
                                    "BesselI1e", "Invert"};
  static_assert(sizeof(math_unary_names) / sizeof(math_unary_names[0]) == kMathUnaryCount);
  const char* math_binary_names[] = {"Atan2",     "Zeta",       "Polygamma", "NextAfter",
                                     "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift",
                                     "RightShift"};
  static_assert(sizeof(math_binary_names) / sizeof(math_binary_names[0]) == kMathBinaryCount);
  py::dict mu, mb;
  for (int i = 0; i < kMathUnaryCount; ++i) mu[math_unary_names[i]] = i;
  for (int i = 0; i < kMathBinaryCount; ++i) mb[math_binary_names[i]] = i;
  m.attr("MATH_UNARY_OPS") = mu;
  m.attr("MATH_BINARY_OPS") = mb;
  m.attr("UNARY_OPS") = u;
  m.attr("BINARY_OPS") = bn;
  m.attr("PREDICATE_OPS") = pr;
  m.attr("LOGICAL_OPS") = lg;
}

}  // namespace th
