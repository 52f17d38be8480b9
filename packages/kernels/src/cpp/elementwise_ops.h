// The scalar math of the elementwise ops, shared by the single kernels (elementwise.cpp) and
// FusedElementwise (fused.cpp): one definition, so a fused op computes exactly the bits the
// single op computes. The op codes are the order of _cpu.UNARY_OPS / BINARY_OPS.
#pragma once

#include <cmath>

#include "common.h"

namespace th {
namespace ew {

// ---- unary ----------------------------------------------------------------------------
enum Unary {
  kNeg, kAbs, kSign, kSquare, kSqrt, kRsqrt, kExp, kExpm1, kLog, kLog1p, kReciprocal,
  kSin, kCos, kTan, kTanh, kSigmoid, kRelu, kFloor, kCeil,
  kErf, kRound, kElu, kSelu, kSoftplus, kRelu6, kUnaryCount
};

// SELU's constants, as TF (Klambauer et al., 2017).
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;

// log(1 + exp(x)) without overflow: x + log1p(exp(-x)) for positive x.
template <typename T>
inline T softplus(T x) {
  return x > T(0) ? T(x + std::log1p(std::exp(-x))) : T(std::log1p(std::exp(x)));
}

template <typename T>
inline T unary_apply(int op, T x) {
  switch (op) {
    case kNeg: return wrap_neg(x);
    case kAbs: return x < T(0) ? wrap_neg(x) : x;
    case kSign: return x != x ? x : T((T(0) < x) - (x < T(0)));  // NaN stays NaN, as TF
    case kSquare: return wrap_mul(x, x);
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
    case kRelu6: {  // NaN propagates, as TF
      if (x != x) return x;
      return x < T(0) ? T(0) : x > T(6) ? T(6) : x;
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case kErf: return std::erf(x);
      case kRound: return std::nearbyint(x);  // ties to even under the default rounding mode
      case kElu: return x < T(0) ? T(std::expm1(x)) : x;
      case kSelu:
        return x < T(0) ? T(kSeluScale * kSeluAlpha) * T(std::expm1(x)) : T(kSeluScale) * x;
      case kSoftplus: return softplus(x);
    }
  }
  return x;  // Round on integers is the identity; the float-only ops have no integer kernels
}

// ---- binary ---------------------------------------------------------------------------
enum Binary {
  kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference, kPow,
  kReluGrad, kSigmoidGrad, kTanhGrad,  // (a, b) = (gradients, features) / (y, dy) as TF
  kFloorDiv, kFloorMod,
  kEluGrad, kSeluGrad,                 // (gradients, outputs)
  kSoftplusGrad, kRelu6Grad,           // (gradients, features)
  kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,  // bool outputs
  kBinaryCount
};
constexpr int kFirstCompare = kEqual;

// Python's floor division and modulo. Integer divisors of zero are rejected before any loop
// runs; the guards here only keep a bad call from trapping. INT_MIN / -1 wraps.
template <typename T>
inline T floor_div(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::floor(a / b);
  } else if constexpr (std::is_unsigned_v<T>) {
    return b == 0 ? T(0) : T(a / b);
  } else {
    using U = std::make_unsigned_t<T>;
    if (b == 0) return T(0);
    if (b == -1) return static_cast<T>(U(0) - static_cast<U>(a));
    const T q = a / b, r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? T(q - 1) : q;
  }
}

template <typename T>
inline T floor_mod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const T r = std::fmod(a, b);
    return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? T(r + b) : r;
  } else if constexpr (std::is_unsigned_v<T>) {
    return b == 0 ? T(0) : T(a % b);
  } else {
    if (b == 0 || b == -1) return T(0);
    const T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
  }
}

// Integer powers by squaring, wrapping on overflow as the other integer ops do; the caller
// rejects negative exponents first (TF's "Integers to negative integer powers").
template <typename T>
inline T int_pow(T a, T b) {
  T result = T(1);
  while (b > T(0)) {
    if (b & T(1)) result = wrap_mul(result, a);
    b = T(b >> 1);
    if (b) a = wrap_mul(a, a);
  }
  return result;
}

template <typename T>
inline T arith(int op, T a, T b) {
  switch (op) {
    case kAdd: return wrap_add(a, b);
    case kSub: return wrap_sub(a, b);
    case kMul: return wrap_mul(a, b);
    case kDiv: return a / b;
    case kMaximum: return (a > b || a != a) ? a : b;  // NaN in either operand propagates
    case kMinimum: return (a < b || a != a) ? a : b;
    case kSquaredDifference: return wrap_mul(wrap_sub(a, b), wrap_sub(a, b));
    case kPow:
      if constexpr (std::is_integral_v<T>) return int_pow(a, b);
      else return T(std::pow(a, b));
    case kReluGrad: return b > T(0) ? a : T(0);
    case kSigmoidGrad: return b * a * (T(1) - a);
    case kTanhGrad: return b * (T(1) - a * a);
    case kFloorDiv: return floor_div(a, b);
    case kFloorMod: return floor_mod(a, b);
    case kRelu6Grad: return (b > T(0) && b < T(6)) ? a : T(0);
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case kEluGrad: return b < T(0) ? a * (b + T(1)) : a;
      case kSeluGrad: return b < T(0) ? a * (b + T(kSeluScale * kSeluAlpha)) : a * T(kSeluScale);
      case kSoftplusGrad: return a / (T(1) + T(std::exp(-b)));
    }
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

}  // namespace ew
}  // namespace th
