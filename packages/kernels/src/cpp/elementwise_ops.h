// The scalar math of the elementwise ops, shared by the single kernels (elementwise.cpp) and
// FusedElementwise (fused.cpp): one definition, so a fused op computes exactly the bits the
// single op computes. The op codes are the order of _cpu.UNARY_OPS / BINARY_OPS.
#pragma once

#include <cmath>
#include <limits>

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

// ---- float32 exp / log family, vectorizable -----------------------------------------
// libm's expf / logf / tanhf are scalar calls (Tanh on 1e6 floats took 22 ms, NumPy 0.35 ms).
// These are branch-free (selects, which GCC turns into blends) so the multiversioned loops
// vectorize them. Each evaluates in double and rounds to float once: the polynomials' error
// (below 1e-12 relative) is far under float's half ulp, so results are correctly rounded
// except within ~1e-12 of a rounding boundary. Only basic IEEE operations and bit moves: the
// baseline, AVX2 and AVX-512 versions give the same bits. float64 keeps libm.
namespace vm {
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 trailing zero bits: n * kLn2Hi exact
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
constexpr double kSqrt2 = 1.4142135623730951;

TH_ALWAYS_INLINE double clamp(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);  // NaN passes through
}

// e^x for x in [-160, 160] (callers clamp; NaN gives NaN). x = n ln2 + r, |r| <= ln2 / 2, and
// e^r by its Taylor series to r^10 / 10! (truncation below 3e-13), scaled by 2^n through the
// exponent bits (n in [-231, 231]: always a normal double).
TH_ALWAYS_INLINE double exp_d(double x) {
  const double t = x * kLog2e + kRound;
  const double n = t - kRound;
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  double p = 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const int64_t n_int = __builtin_bit_cast(int64_t, t) - __builtin_bit_cast(int64_t, kRound);
  return p * __builtin_bit_cast(double, static_cast<uint64_t>(n_int + 1023) << 52);
}

// log(x) for finite x > 0 (callers select the special cases). x = 2^e m, m in
// [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its series
// to s^15 (truncation below 4e-14 relative).
TH_ALWAYS_INLINE double log_d(double x) {
  const uint64_t bits = __builtin_bit_cast(uint64_t, x);
  // the biased exponent as a double, without an int64 -> double conversion (none in AVX2)
  const double biased =
      __builtin_bit_cast(double, (bits >> 52) | 0x4330000000000000ull) - 4503599627370496.0;
  double m = __builtin_bit_cast(double, (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  const bool big = m > kSqrt2;
  m = big ? m * 0.5 : m;
  const double e = biased - 1023.0 + (big ? 1.0 : 0.0);
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double p = 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  p = p * z + 1.0;
  return e * kLn2Hi + (e * kLn2Lo + 2.0 * s * p);
}

// log(1 + x) for x > -1, finite: the series to x^4 for |x| < 1e-4 (error below 1e-20
// relative), else log(1 + x), where 1 + x is exact for a float x (at most 37 bits below 2^0).
TH_ALWAYS_INLINE double log1p_d(double x) {
  const double series = x * (1.0 - x * (0.5 - x * (1.0 / 3 - x * 0.25)));
  return (x < 1e-4 && x > -1e-4) ? series : log_d(1.0 + x);
}

TH_ALWAYS_INLINE float exp_f(float x) {
  return static_cast<float>(exp_d(clamp(x, -160.0, 100.0)));  // over / underflow when rounded
}

// e^x - 1 of a float, in double.
TH_ALWAYS_INLINE double expm1_d(double d) {
  const double small = d * (1.0 + d * (0.5 + d * (1.0 / 6)));  // |x| < 1e-5: error < 1e-21
  const double big = exp_d(clamp(d, -160.0, 100.0)) - 1.0;
  return (d < 1e-5 && d > -1e-5) ? small : big;
}

TH_ALWAYS_INLINE float expm1_f(float x) { return static_cast<float>(expm1_d(x)); }

TH_ALWAYS_INLINE float log_f(float x) {
  const bool normal = x > 0.0f && x < __builtin_inff();
  const double r = log_d(normal ? static_cast<double>(x) : 1.0);
  const float special = x == 0.0f ? -__builtin_inff() : (x > 0.0f ? x : __builtin_nanf(""));
  return normal ? static_cast<float>(r) : special;  // log(inf) = inf, log(NaN) = NaN
}

TH_ALWAYS_INLINE float log1p_f(float x) {
  const bool normal = x > -1.0f && x < __builtin_inff();
  const double v = log1p_d(normal ? static_cast<double>(x) : 0.0);
  const float special = x == -1.0f ? -__builtin_inff() : (x > 0.0f ? x : __builtin_nanf(""));
  return normal ? static_cast<float>(v) : special;
}

TH_ALWAYS_INLINE float tanh_f(float x) {
  const double d = x;
  const double a = d < 0 ? -d : d;
  const double z = d * d;  // |x| < 1/16: the odd series to x^7 (error below 1e-11 relative)
  const double series = d * (1.0 - z * (1.0 / 3 - z * (2.0 / 15 - z * (17.0 / 315))));
  const double t = 1.0 - 2.0 / (exp_d(clamp(2.0 * a, 0.0, 100.0)) + 1.0);
  return static_cast<float>(a < 0.0625 ? series : (d < 0 ? -t : t));  // NaN: t is NaN
}

TH_ALWAYS_INLINE double sigmoid_d(double d) {
  return 1.0 / (1.0 + exp_d(clamp(-d, -160.0, 160.0)));  // down to 3e-70: 0 as a float
}

TH_ALWAYS_INLINE float sigmoid_f(float x) { return static_cast<float>(sigmoid_d(x)); }

TH_ALWAYS_INLINE float softplus_f(float x) {
  const double d = x;
  const double a = d < 0 ? -d : d;
  const double l = log1p_d(exp_d(clamp(-a, -160.0, 0.0)));  // log(1 + e^-|x|)
  return x != x ? x : static_cast<float>(d > 0 ? d + l : l);
}
}  // namespace vm

// log(1 + exp(x)) without overflow: x + log1p(exp(-x)) for positive x.
template <typename T>
TH_ALWAYS_INLINE T softplus(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::softplus_f(x);
  return x > T(0) ? T(x + std::log1p(std::exp(-x))) : T(std::log1p(std::exp(x)));
}

template <typename T>
TH_ALWAYS_INLINE T expm1_of(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::expm1_f(x);
  else return T(std::expm1(x));
}

// Always inlined: with op a constant the switch folds away and the loops vectorize (as an
// out-of-line call the float exp / log family ran scalar, 10-30x slower).
template <typename T>
TH_ALWAYS_INLINE T unary_apply(int op, T x) {
  switch (op) {
    case kNeg: return wrap_neg(x);
    case kAbs: return x < T(0) ? wrap_neg(x) : x;
    case kSign: return x != x ? x : T((T(0) < x) - (x < T(0)));  // NaN stays NaN, as TF
    case kSquare: return wrap_mul(x, x);
    case kSqrt: return T(std::sqrt(x));
    case kRsqrt: return T(1) / T(std::sqrt(x));
    case kExp:
      if constexpr (std::is_same_v<T, float>) return vm::exp_f(x);
      else return T(std::exp(x));
    case kExpm1: return expm1_of(x);
    case kLog:
      if constexpr (std::is_same_v<T, float>) return vm::log_f(x);
      else return T(std::log(x));
    case kLog1p:
      if constexpr (std::is_same_v<T, float>) return vm::log1p_f(x);
      else return T(std::log1p(x));
    case kReciprocal: return T(1) / x;
    case kSin: return T(std::sin(x));
    case kCos: return T(std::cos(x));
    case kTan: return T(std::tan(x));
    case kTanh:
      if constexpr (std::is_same_v<T, float>) return vm::tanh_f(x);
      else return T(std::tanh(x));
    case kSigmoid:
      if constexpr (std::is_same_v<T, float>) return vm::sigmoid_f(x);
      else return T(1) / (T(1) + T(std::exp(-x)));
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
      case kElu: return x < T(0) ? expm1_of(x) : x;
      case kSelu:
        if constexpr (std::is_same_v<T, float>)  // in double, rounded once
          return static_cast<float>(x < 0.0f ? (kSeluScale * kSeluAlpha) * vm::expm1_d(x)
                                             : kSeluScale * double(x));
        else return x < T(0) ? T(kSeluScale * kSeluAlpha) * expm1_of(x) : T(kSeluScale) * x;
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
  kTruncateMod,                        // C's fmod / %: the remainder has the dividend's sign
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

// C's remainder of truncated division: fmod for floats (exact, so fmod(-3, inf) = -3), except
// that a subnormal divisor counts as zero (NaN), as in TF's CPU kernel; % for integers. Integer
// divisors of zero are rejected before any loop runs; x % -1 is 0 (INT_MIN % -1 would trap).
template <typename T>
inline T truncate_mod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const T m = std::fabs(b);
    return m < std::numeric_limits<T>::min() ? std::numeric_limits<T>::quiet_NaN()
                                             : std::fmod(a, b);
  } else if constexpr (std::is_unsigned_v<T>) {
    return b == 0 ? T(0) : T(a % b);
  } else {
    return (b == 0 || b == -1) ? T(0) : T(a % b);
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
TH_ALWAYS_INLINE T arith(int op, T a, T b) {
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
    case kTruncateMod: return truncate_mod(a, b);
    case kRelu6Grad: return (b > T(0) && b < T(6)) ? a : T(0);
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case kEluGrad: return b < T(0) ? a * (b + T(1)) : a;
      case kSeluGrad: return b < T(0) ? a * (b + T(kSeluScale * kSeluAlpha)) : a * T(kSeluScale);
      case kSoftplusGrad:
        if constexpr (std::is_same_v<T, float>)
          return static_cast<float>(double(a) * vm::sigmoid_d(b));
        else return a / (T(1) + T(std::exp(-b)));
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

// ---- more math: inverse trigonometric and hyperbolic functions, lgamma, digamma, bitwise -------
// Their own op codes (_cpu.MATH_UNARY_OPS / MATH_BINARY_OPS), apart from the fusable ops above.
enum MathUnary {
  kAtan, kAcos, kAsin, kSinh, kCosh, kAcosh, kAsinh, kAtanh, kLgamma, kDigamma,  // floats
  kErfinv, kNdtri, kBesselI0, kBesselI0e, kBesselI1, kBesselI1e,                // floats
  kInvert,                                                                      // integers
  kMathUnaryCount
};
enum MathBinary {
  kAtan2, kZeta, kPolygamma, kNextAfter,  // floats: atan2(y, x), zeta(x, q), polygamma(n, x)
  kBitwiseAnd, kBitwiseOr, kBitwiseXor, kLeftShift, kRightShift,  // integers
  kMathBinaryCount
};
constexpr int kFirstIntegerUnary = kInvert;
constexpr int kFirstIntegerBinary = kBitwiseAnd;

// The digamma function psi(x) in double. Poles (0, negative integers) and -inf give NaN, as
// TF's kernel. x < 0 reflects: psi(x) = psi(1 - x) - pi / tan(pi x), with tan's argument
// reduced exactly (x - round(x)); x > 0 climbs to x >= 10 by psi(x) = psi(x + 1) - 1 / x, then
// the asymptotic series ln x - 1 / 2x - sum B_2k / (2k x^2k), to x^-14 (error below 1e-16).
inline double digamma_d(double x) {
  if (x != x) return x;
  if (x <= 0.0 && x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  double acc = 0.0;
  if (x < 0.0) {
    constexpr double kPi = 3.14159265358979323846;
    acc = -kPi / std::tan(kPi * (x - std::nearbyint(x)));
    x = 1.0 - x;
  }
  while (x < 10.0) {
    acc -= 1.0 / x;
    x += 1.0;
  }
  const double z = 1.0 / (x * x);
  double tail = 691.0 / 32760 - z / 12;
  tail = 1.0 / 240 - z * (1.0 / 132 - z * tail);
  tail = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * tail)));
  return acc + (std::log(x) - 0.5 / x - tail);
}

// The Hurwitz zeta function sum_k (k + q)^-x, in double, with TF's special cases: x = 1 is
// inf, x < 1 NaN; an integer q <= 0 is a pole (inf for an even integer x, else NaN), and a
// non-integer q < 0 needs an integer x. Euler-Maclaurin: at least 9 terms (until q + k > 9)
// summed, then the integral of the tail, half its first term and the Bernoulli corrections
// B_2j / (2j)! x (x + 1) ... (x + 2j - 2) a^(-x - 2j + 1), stopping below double's epsilon.
inline double zeta_d(double x, double q) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kEps = 1.11022302462515654042e-16;
  // (2j)! / B_2j for j = 1 .. 12
  static constexpr double kBernoulli[] = {
      12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1892437580.3183792, 74724249600.0,
      -2950130727918.164, 116467828143500.67, -4597978722407473.0, 1.8152105401943546e+17,
      -7.166165256175667e+18};
  if (x == 1.0) return kInf;
  if (!(x > 1.0) || q != q) return kNaN;
  if (q <= 0.0) {
    if (q == std::floor(q))
      return (x == std::floor(x) && std::fmod(x, 2.0) == 0.0) ? kInf : kNaN;
    if (x != std::floor(x)) return kNaN;
  }
  double s = std::pow(q, -x), a = q, b = 0.0;
  for (int i = 0; i < 9 || a <= 9.0; ++i) {
    a += 1.0;
    b = std::pow(a, -x);
    s += b;
    if (std::fabs(b / s) < kEps) return s;
  }
  if (b == 0.0) return s;  // the tail is 0 too (and a may be inf)
  const double w = a;
  s += b * w / (x - 1.0) - 0.5 * b;
  double rise = 1.0, k = 0.0;
  for (double d : kBernoulli) {
    rise *= x + k;
    b /= w;
    const double t = rise * b / d;
    s += t;
    if (std::fabs(t / s) < kEps) break;
    k += 1.0;
    rise *= x + k;
    b /= w;
    k += 1.0;
  }
  return s;
}

// log |Gamma(x)| through the reentrant libm call (lgamma writes the global signgam).
inline double lgamma_d(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// The n-th derivative of digamma: digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x) with n!
// as exp(lgamma(n + 1)), as TF's kernel; a non-integer n is NaN.
inline double polygamma_d(double n, double x) {
  if (n != std::floor(n)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 0.0) return digamma_d(x);
  const double n1 = n + 1.0;
  const double sign = std::fmod(n1, 2.0) == 0.0 ? 1.0 : -1.0;
  return sign * std::exp(lgamma_d(n1)) * zeta_d(n1, x);
}

// ---- inverse error functions and the modified Bessel functions of order 0 and 1 --------------
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;

// Newton's method from a start close enough for it to converge in a few steps; it stops when the
// step falls below double's resolution of x.
template <typename F>
inline double newton(double x, F step) {
  for (int i = 0; i < 40; ++i) {
    const double dx = step(x);
    x -= dx;
    if (!(std::fabs(dx) > 2e-16 * std::fabs(x))) break;
  }
  return x;
}

// x > 0 with erfc(x) = q, for 0 < q < 0.5. Newton's method on log erfc (close to -x^2, so it
// converges from the start below, which erfc(x) ~ exp(-x^2) / (x sqrt(pi)) gives).
inline double erfcinv_small(double q) {
  const double t = -std::log(q), lq = -t;
  const double x0 = std::sqrt(t - 0.5 * std::log(t) - 0.57236494292470008707);
  return newton(x0, [lq](double x) {
    const double c = std::erfc(x);
    if (c == 0.0) return 0.0;  // q below double's range of erfc: keep the start's estimate
    return (std::log(c) - lq) / (-kTwoOverSqrtPi * std::exp(-x * x) / c);
  });
}

// erf^-1(y): Newton's method on erf for |y| <= 0.5, on log erfc of 1 - |y| (exact there) beyond.
inline double erfinv_d(double y) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (!(std::fabs(y) <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (std::fabs(y) == 1.0) return y * kInf;
  if (std::fabs(y) > 0.5) return std::copysign(erfcinv_small(1.0 - std::fabs(y)), y);
  const double x0 = y * (0.88622692545275801365 + 0.23201366653465444 * y * y);
  return newton(x0, [y](double x) {
    return (std::erf(x) - y) / (kTwoOverSqrtPi * std::exp(-x * x));
  });
}

// The inverse of the standard normal CDF: -sqrt(2) erfc^-1(2p), with 2p and 2 - 2p exact.
inline double ndtri_d(double p) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kSqrt2 = 1.41421356237309504880;
  if (!(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  const double q = 2.0 * p;
  if (q < 0.5) return -kSqrt2 * erfcinv_small(q);
  if (q > 1.5) return kSqrt2 * erfcinv_small(2.0 - q);
  return kSqrt2 * erfinv_d(q - 1.0);  // q - 1 exact; +0 at p = 1/2
}

// I_nu(x) for nu = 0, 1, times exp(-|x|) when scaled. Below |x| = 20 the power series
// (x/2)^nu sum_k (x^2/4)^k / (k! (k + nu)!), whose terms are all positive; above, the asymptotic
// expansion e^|x| / sqrt(2 pi |x|) sum_k (-1)^k prod_j (4 nu^2 - (2j - 1)^2) / (k! (8|x|)^k),
// whose smallest term there is below 1e-17.
inline double bessel_i_d(int nu, double x, bool scaled) {
  if (x != x) return x;
  const double ax = std::fabs(x), sign = (nu == 1 && x < 0.0) ? -1.0 : 1.0;
  if (ax == std::numeric_limits<double>::infinity()) return scaled ? 0.0 : sign * ax;
  double s;
  if (ax <= 20.0) {
    const double z = 0.25 * ax * ax;
    double term = nu == 1 ? 0.5 * ax : 1.0;
    s = term;
    for (int k = 1; term > 1e-17 * s; ++k) {
      term *= z / (k * double(k + nu));
      s += term;
    }
    return sign * (scaled ? s * std::exp(-ax) : s);
  }
  double term = 1.0;
  s = 1.0;
  for (int k = 1; k < 60; ++k) {
    const double odd = 2.0 * k - 1.0;
    const double next = -term * (4.0 * nu * nu - odd * odd) / (8.0 * k * ax);
    if (std::fabs(next) >= std::fabs(term) || std::fabs(next) < 1e-17 * std::fabs(s)) break;
    term = next;
    s += term;
  }
  s /= std::sqrt(2.0 * 3.14159265358979323846 * ax);
  if (scaled) return sign * s;
  const double half = std::exp(0.5 * ax);  // e^ax as two halves: finite for ax past 709
  return sign * (half * s * half);
}

// TF's shifts: the shift count is clamped to [0, bits - 1]; left shifts move the bits of the
// unsigned type (no overflow), right shifts of signed types are arithmetic.
template <typename T>
TH_ALWAYS_INLINE T shift_count(T y) {
  constexpr T kMax = T(sizeof(T) * 8 - 1);
  if constexpr (std::is_signed_v<T>) {
    if (y < T(0)) return T(0);
  }
  return y > kMax ? kMax : y;
}

template <typename T>
TH_ALWAYS_INLINE T math_unary_apply(int op, T x) {
  if constexpr (std::is_floating_point_v<T>) {
    const double d = x;  // float32 computes in double and rounds once
    switch (op) {
      case kAtan: return T(std::atan(d));
      case kAcos: return T(std::acos(d));
      case kAsin: return T(std::asin(d));
      case kSinh: return T(std::sinh(d));
      case kCosh: return T(std::cosh(d));
      case kAcosh: return T(std::acosh(d));
      case kAsinh: return T(std::asinh(d));
      case kAtanh: return T(std::atanh(d));
      case kLgamma: return T(lgamma_d(d));
      case kDigamma: return T(digamma_d(d));
      case kErfinv: return T(erfinv_d(d));
      case kNdtri: return T(ndtri_d(d));
      case kBesselI0: return T(bessel_i_d(0, d, false));
      case kBesselI0e: return T(bessel_i_d(0, d, true));
      case kBesselI1: return T(bessel_i_d(1, d, false));
      case kBesselI1e: return T(bessel_i_d(1, d, true));
    }
  } else {
    if (op == kInvert) return T(~x);
  }
  return x;  // the callers reject op / dtype pairs that have no kernel
}

template <typename T>
TH_ALWAYS_INLINE T math_binary_apply(int op, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case kAtan2: return T(std::atan2(double(a), double(b)));
      case kZeta: return T(zeta_d(a, b));
      case kPolygamma: return T(polygamma_d(a, b));
      case kNextAfter: return std::nextafter(a, b);  // in T: float32 steps float32's ulp
    }
  } else {
    using U = std::make_unsigned_t<T>;
    switch (op) {
      case kBitwiseAnd: return T(a & b);
      case kBitwiseOr: return T(a | b);
      case kBitwiseXor: return T(a ^ b);
      case kLeftShift: return T(U(U(a) << U(shift_count(b))));
      case kRightShift: return T(a >> shift_count(b));
    }
  }
  return a;
}

}  // namespace ew
}  // namespace th
