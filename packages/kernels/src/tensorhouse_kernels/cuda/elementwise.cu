// Elementwise kernels: unary maps, broadcasting binary ops (arithmetic and comparisons),
// IsNan / IsFinite / LogicalNot, LogicalAnd / Or, SelectV2, Fill, OneHot. The op codes are the
// C++ CPU module's (UNARY_OPS, BINARY_OPS, ...), so one code means one op on every device.
//
// Binary ops take a `mode`: 0 both operands have the output's shape (contiguous, flat index),
// 1 b is one element, 2 a is one element, 3 general broadcasting by strides (stride 0 on a
// broadcast dim). Modes 0-2 are the fast path: no index math at all.
#include "common.cuh"

enum Unary {
  kNeg, kAbs, kSign, kSquare, kSqrt, kRsqrt, kExp, kExpm1, kLog, kLog1p, kReciprocal,
  kSin, kCos, kTan, kTanh, kSigmoid, kRelu, kFloor, kCeil,
  kErf, kRound, kElu, kSelu, kSoftplus, kRelu6
};

enum Binary {
  kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference, kPow,
  kReluGrad, kSigmoidGrad, kTanhGrad, kFloorDiv, kFloorMod, kEluGrad, kSeluGrad,
  kSoftplusGrad, kRelu6Grad, kTruncateMod,
  kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual
};

#define SELU_SCALE 1.0507009873554804934193349852946
#define SELU_ALPHA 1.6732632423543772848170429916717

template <typename T>
__device__ __forceinline__ T softplus(T x) {
  return x > T(0) ? T(x + log1p(exp(-x))) : T(log1p(exp(x)));
}

template <typename T>
__device__ __forceinline__ T unary_apply(int op, T x) {
  typedef typename Traits<T>::F F;  // the float type integer inputs are computed in
  switch (op) {
    case kNeg: return wrap_neg(x);
    case kAbs: return x < T(0) ? wrap_neg(x) : x;
    case kSign: return is_nan(x) ? x : T((T(0) < x) - (x < T(0)));
    case kSquare: return wrap_mul(x, x);
    case kSqrt: return T(sqrt(F(x)));
    case kRsqrt: return T(F(1) / sqrt(F(x)));
    case kExp: return T(exp(F(x)));
    case kExpm1: return T(expm1(F(x)));
    case kLog: return T(log(F(x)));
    case kLog1p: return T(log1p(F(x)));
    case kReciprocal: return Traits<T>::is_float ? T(F(1) / F(x)) : (x == T(0) ? T(0) : T(T(1) / x));
    case kSin: return T(sin(F(x)));
    case kCos: return T(cos(F(x)));
    case kTan: return T(tan(F(x)));
    case kTanh: return T(tanh(F(x)));
    case kSigmoid: return T(F(1) / (F(1) + exp(-F(x))));
    case kRelu: return (x > T(0) || is_nan(x)) ? x : T(0);
    case kFloor: return T(floor(F(x)));
    case kCeil: return T(ceil(F(x)));
    case kRelu6:
      if (is_nan(x)) return x;
      return x < T(0) ? T(0) : (x > T(6) ? T(6) : x);
  }
  if constexpr (Traits<T>::is_float) {
    const F v = F(x);
    switch (op) {
      case kErf: return T(erf(v));
      case kRound: return T(rint(v));  // half to even
      case kElu: return v < F(0) ? T(expm1(v)) : x;
      case kSelu: return v < F(0) ? T(F(SELU_SCALE * SELU_ALPHA) * expm1(v)) : T(F(SELU_SCALE) * v);
      case kSoftplus: return T(softplus(v));
    }
  }
  return x;  // Round on integers is the identity
}

template <typename T>
__device__ __forceinline__ T floor_div(T a, T b) {
  typedef typename Traits<T>::F F;
  if constexpr (Traits<T>::is_float) {
    return T(floor(F(a) / F(b)));
  } else {
    if (b == T(0)) return T(0);
    if (Traits<T>::is_signed && b == T(-1)) return wrap_neg(a);
    const T q = a / b, r = a - q * b;
    return (Traits<T>::is_signed && r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(q - T(1)) : q;
  }
}

template <typename T>
__device__ __forceinline__ T floor_mod(T a, T b) {
  typedef typename Traits<T>::F F;
  if constexpr (Traits<T>::is_float) {
    const T r = T(fmod(F(a), F(b)));
    return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? T(r + b) : r;
  } else {
    if (b == T(0) || (Traits<T>::is_signed && b == T(-1))) return T(0);
    const T r = a % b;
    return (Traits<T>::is_signed && r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(r + b) : r;
  }
}

// C's remainder: fmod for floats, % for integers (a zero divisor gives 0 here; x % -1 is 0).
template <typename T>
__device__ __forceinline__ T truncate_mod(T a, T b) {
  typedef typename Traits<T>::F F;
  if constexpr (Traits<T>::is_float) {
    return T(fmod(F(a), F(b)));
  } else {
    if (b == T(0) || (Traits<T>::is_signed && b == T(-1))) return T(0);
    return T(a % b);
  }
}

template <typename T>
__device__ __forceinline__ T arith(int op, T a, T b) {
  switch (op) {
    case kAdd: return wrap_add(a, b);
    case kSub: return wrap_sub(a, b);
    case kMul: return wrap_mul(a, b);
    case kDiv: return (!Traits<T>::is_float && b == T(0)) ? T(0) : T(a / b);
    case kMaximum: return (a > b || is_nan(a)) ? a : b;
    case kMinimum: return (a < b || is_nan(a)) ? a : b;
    case kSquaredDifference: return wrap_mul(wrap_sub(a, b), wrap_sub(a, b));
    case kPow: return T(pow(typename Traits<T>::F(a), typename Traits<T>::F(b)));
    case kReluGrad: return b > T(0) ? a : T(0);
    case kSigmoidGrad: return b * a * (T(1) - a);
    case kTanhGrad: return b * (T(1) - a * a);
    case kFloorDiv: return floor_div(a, b);
    case kFloorMod: return floor_mod(a, b);
    case kRelu6Grad: return (b > T(0) && b < T(6)) ? a : T(0);
    case kTruncateMod: return truncate_mod(a, b);
  }
  if constexpr (Traits<T>::is_float) {
    switch (op) {
      case kEluGrad: return b < T(0) ? T(a * (b + T(1))) : a;
      case kSeluGrad:
        return b < T(0) ? T(a * (b + T(SELU_SCALE * SELU_ALPHA))) : T(a * T(SELU_SCALE));
      case kSoftplusGrad: return T(a / (T(1) + T(exp(-b))));
    }
  }
  return a;
}

template <typename T>
__device__ __forceinline__ bool compare(int op, T a, T b) {
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

template <typename T>
__device__ void unary_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, int op) {
  TH_GRID_STRIDE(i, n) y[i] = unary_apply<T>(op, x[i]);
}

// The flat modes read a[i] / b[i] or a single element; mode 3 broadcasts by strides.
template <typename T, typename R, bool CMP>
__device__ void binary_kernel(const T* __restrict__ a, const T* __restrict__ b,
                              R* __restrict__ out, int64_t n, int op, int mode, int ndim,
                              Dims shape, Dims sa, Dims sb) {
  if (mode == 0) {
    TH_GRID_STRIDE(i, n) {
      if (CMP) out[i] = (R)compare<T>(op, a[i], b[i]);
      else out[i] = (R)arith<T>(op, a[i], b[i]);
    }
  } else if (mode == 1) {
    const T bv = b[0];
    TH_GRID_STRIDE(i, n) {
      if (CMP) out[i] = (R)compare<T>(op, a[i], bv);
      else out[i] = (R)arith<T>(op, a[i], bv);
    }
  } else if (mode == 2) {
    const T av = a[0];
    TH_GRID_STRIDE(i, n) {
      if (CMP) out[i] = (R)compare<T>(op, av, b[i]);
      else out[i] = (R)arith<T>(op, av, b[i]);
    }
  } else {
    TH_GRID_STRIDE(i, n) {
      int64_t oa, ob;
      strided_offset2(i, ndim, shape, sa, sb, &oa, &ob);
      if (CMP) out[i] = (R)compare<T>(op, a[oa], b[ob]);
      else out[i] = (R)arith<T>(op, a[oa], b[ob]);
    }
  }
}

#define TH_ELEMENTWISE(T, S)                                                                  \
  extern "C" __global__ void unary_##S(const T* x, T* y, int64_t n, int op) {                \
    unary_kernel<T>(x, y, n, op);                                                             \
  }                                                                                           \
  extern "C" __global__ void binary_##S(const T* a, const T* b, T* out, int64_t n, int op,   \
                                        int mode, int ndim, Dims shape, Dims sa, Dims sb) {   \
    binary_kernel<T, T, false>(a, b, out, n, op, mode, ndim, shape, sa, sb);                  \
  }                                                                                           \
  extern "C" __global__ void compare_##S(const T* a, const T* b, uint8_t* out, int64_t n,    \
                                         int op, int mode, int ndim, Dims shape, Dims sa,     \
                                         Dims sb) {                                           \
    binary_kernel<T, uint8_t, true>(a, b, out, n, op, mode, ndim, shape, sa, sb);             \
  }
TH_NUMERIC_TYPES(TH_ELEMENTWISE)

// IsNan (0), IsFinite (1) on floats -> bool.
#define TH_PREDICATE(T, S)                                                                    \
  extern "C" __global__ void predicate_##S(const T* x, uint8_t* out, int64_t n, int op) {    \
    TH_GRID_STRIDE(i, n) {                                                                    \
      const T v = x[i];                                                                       \
      out[i] = op == 0 ? (uint8_t)(v != v) : (uint8_t)(v - v == T(0));                        \
    }                                                                                         \
  }
TH_FLOAT_TYPES(TH_PREDICATE)

extern "C" __global__ void logical_not(const uint8_t* x, uint8_t* out, int64_t n) {
  TH_GRID_STRIDE(i, n) out[i] = x[i] == 0;
}

// LogicalAnd (0) / LogicalOr (1), broadcasting by strides; bytes read as zero / non-zero.
extern "C" __global__ void logical(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n,
                                   int op, int ndim, Dims shape, Dims sa, Dims sb) {
  TH_GRID_STRIDE(i, n) {
    int64_t oa, ob;
    strided_offset2(i, ndim, shape, sa, sb, &oa, &ob);
    const bool x = a[oa] != 0, y = b[ob] != 0;
    out[i] = op == 0 ? (x && y) : (x || y);
  }
}

// SelectV2(cond, t, e): three-way broadcasting; elements move as bits of their size.
#define TH_SELECT(T, S)                                                                       \
  extern "C" __global__ void select_##S(const uint8_t* c, const T* t, const T* e, T* out,    \
                                        int64_t n, int ndim, Dims shape, Dims sc, Dims st,    \
                                        Dims se) {                                            \
    TH_GRID_STRIDE(i, n) {                                                                    \
      int64_t oc, ot;                                                                         \
      strided_offset2(i, ndim, shape, sc, st, &oc, &ot);                                      \
      out[i] = c[oc] ? t[ot] : e[strided_offset(i, ndim, shape, se)];                         \
    }                                                                                         \
  }
TH_SELECT(uint8_t, x8)
TH_SELECT(uint16_t, x16)
TH_SELECT(uint32_t, x32)
TH_SELECT(bits64_t, x64)

// Fill with one value given as the element's bits (the host converts it to the dtype).
#define TH_FILL(T, S)                                                                         \
  extern "C" __global__ void fill_##S(T* out, int64_t n, T value) {                          \
    TH_GRID_STRIDE(i, n) out[i] = value;                                                      \
  }
TH_FILL(uint8_t, x8)
TH_FILL(uint16_t, x16)
TH_FILL(uint32_t, x32)
TH_FILL(bits64_t, x64)

// OneHot: out (outer, depth, inner) from indices (outer, inner); on / off given as bits.
#define TH_ONE_HOT(I, SI, T, S)                                                               \
  extern "C" __global__ void one_hot_##SI##_##S(const I* idx, T* out, int64_t outer,         \
                                                int64_t depth, int64_t inner, T on, T off) {  \
    const int64_t n = outer * depth * inner;                                                  \
    TH_GRID_STRIDE(i, n) {                                                                    \
      const int64_t k = i % inner, d = (i / inner) % depth, o = i / (inner * depth);          \
      out[i] = (int64_t)idx[o * inner + k] == d ? on : off;                                   \
    }                                                                                         \
  }
#define TH_ONE_HOT_ALL(I, SI)                                                                 \
  TH_ONE_HOT(I, SI, uint8_t, x8)                                                              \
  TH_ONE_HOT(I, SI, uint32_t, x32) TH_ONE_HOT(I, SI, bits64_t, x64)
TH_ONE_HOT_ALL(uint8_t, u8)
TH_ONE_HOT_ALL(int32_t, i32)
TH_ONE_HOT_ALL(int64_t, i64)

// Range: out[i] = start + i * delta, as TF's GPU kernel (not the CPU's running sum value +=
// delta: float results can differ in the last bits, more so for long ranges). Integers wrap.
template <typename T>
__device__ void range_kernel(T* __restrict__ out, int64_t n, T start, T delta) {
  typedef typename Traits<T>::U U;
  TH_GRID_STRIDE(i, n) {
    if constexpr (Traits<T>::is_float) out[i] = start + (T)i * delta;
    else out[i] = wrap_add(start, wrap_mul((T)(U)i, delta));
  }
}
#define TH_RANGE(T, S)                                                                        \
  extern "C" __global__ void range_##S(T* out, int64_t n, T start, T delta) {                \
    range_kernel<T>(out, n, start, delta);                                                    \
  }
TH_NUMERIC_TYPES(TH_RANGE)

// FusedElementwise: an interpreter. Each thread runs the node's whole program for one element
// at a time, with the unary / binary op codes and scalar math above (unary_apply, arith), so a
// fused chain computes what the single GPU kernels compute. gpu.py's fused_program encodes the
// program as int64 words (rows of TH_FUSED_ROW: kind, input or op code, slot a, slot b,
// destination slot, constant as double bits), then per input its address and element step
// (1, or 0 for a shape-[] input), then per output its address and slot. Registers live in
// TH_FUSED_SLOTS slots that gpu.py assigns by liveness; longer-lived programs run on the host
// path (one single kernel per instruction). Not run on a GPU yet (nvcc -ptx only).
#define TH_FUSED_SLOTS 32
#define TH_FUSED_ROW 6
enum FusedKind { kFusedInput, kFusedConst, kFusedUnary, kFusedBinary };

template <typename T>
__device__ void fused_kernel(const int64_t* __restrict__ prog, int n_instr, int n_in, int n_out,
                             int64_t n) {
  const int64_t* ins = prog + (int64_t)TH_FUSED_ROW * n_instr;
  const int64_t* outs = ins + 2 * (int64_t)n_in;
  T reg[TH_FUSED_SLOTS];
  TH_GRID_STRIDE(i, n) {
    for (int k = 0; k < n_instr; ++k) {
      const int64_t* row = prog + (int64_t)TH_FUSED_ROW * k;
      const int kind = (int)__ldg(row), arg = (int)__ldg(row + 1);
      T v;
      if (kind == kFusedInput) {
        const T* p = (const T*)(uintptr_t)__ldg(ins + arg);
        v = p[i * __ldg(ins + n_in + arg)];
      } else if (kind == kFusedConst) {
        v = (T)__longlong_as_double(__ldg(row + 5));
      } else if (kind == kFusedUnary) {
        v = unary_apply<T>(arg, reg[__ldg(row + 2)]);
      } else {
        v = arith<T>(arg, reg[__ldg(row + 2)], reg[__ldg(row + 3)]);
      }
      reg[__ldg(row + 4)] = v;
    }
    for (int j = 0; j < n_out; ++j) {
      T* p = (T*)(uintptr_t)__ldg(outs + j);
      p[i] = reg[__ldg(outs + n_out + j)];
    }
  }
}
#define TH_FUSED(T, S)                                                                        \
  extern "C" __global__ void fused_##S(const int64_t* prog, int n_instr, int n_in, int n_out, \
                                       int64_t n) {                                           \
    fused_kernel<T>(prog, n_instr, n_in, n_out, n);                                           \
  }
TH_FLOAT_TYPES(TH_FUSED)
