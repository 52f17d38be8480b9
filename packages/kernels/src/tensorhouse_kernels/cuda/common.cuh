// Shared by every tensorhouse CUDA source: fixed-width types, the index math of strided
// (broadcast) operands, wrapping integer arithmetic and the float accumulator types.
//
// Each .cu file is one module: gpu.py compiles it with nvcc (this header inlined) and looks its
// kernels up by their extern "C" names, `<kernel>_<type suffix>`: b (bool as a byte), u8, i32,
// i64, f32, f64 (and f16 / bf16 for Cast). Kernels take plain parameters; gpu.py packs them in
// the C layout. Element counts and offsets are int64_t; every kernel is a grid-stride loop, so
// any grid size is correct.
#pragma once

#include <stdint.h>

// Unsigned instantiations compare with zero on purpose (one template for every type).
#pragma nv_diag_suppress 186

#define TH_MAX_DIMS 8

// 8-byte elements moved as bits (a one-word name, so T(0) works in the macros).
typedef unsigned long long bits64_t;

// A shape or a set of element strides, up to TH_MAX_DIMS dims (passed by value).
struct Dims {
  int64_t v[TH_MAX_DIMS];
};

// Element offset of flat index i (row-major over `shape`) in an operand with `strides`.
__device__ __forceinline__ int64_t strided_offset(int64_t i, int ndim, const Dims& shape,
                                                  const Dims& strides) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    const int64_t n = shape.v[d];
    const int64_t q = i / n;
    off += (i - q * n) * strides.v[d];
    i = q;
  }
  return off;
}

// Two operands at once (binary broadcasting): one division per dim.
__device__ __forceinline__ void strided_offset2(int64_t i, int ndim, const Dims& shape,
                                                const Dims& sa, const Dims& sb, int64_t* oa,
                                                int64_t* ob) {
  int64_t a = 0, b = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    const int64_t n = shape.v[d];
    const int64_t q = i / n;
    const int64_t r = i - q * n;
    a += r * sa.v[d];
    b += r * sb.v[d];
    i = q;
  }
  *oa = a;
  *ob = b;
}

#define TH_GRID_STRIDE(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (int64_t)blockDim.x * gridDim.x)

// ---- type traits without <type_traits> (kept small: nvcc -ptx needs no host headers) -------
template <typename T> struct Traits;
template <> struct Traits<bool> {
  static constexpr bool is_float = false, is_signed = false;
  typedef uint8_t U;
  typedef double F;
};
template <> struct Traits<uint8_t> {
  static constexpr bool is_float = false, is_signed = false;
  typedef uint8_t U;
  typedef double F;
};
template <> struct Traits<int32_t> {
  static constexpr bool is_float = false, is_signed = true;
  typedef uint32_t U;
  typedef double F;
};
template <> struct Traits<int64_t> {
  static constexpr bool is_float = false, is_signed = true;
  typedef uint64_t U;
  typedef double F;
};
template <> struct Traits<float> {
  static constexpr bool is_float = true, is_signed = true;
  typedef float U;
  typedef float F;
};
template <> struct Traits<double> {
  static constexpr bool is_float = true, is_signed = true;
  typedef double U;
  typedef double F;
};

// Sums of floats accumulate in double (as the CPU kernels); integers in their own type.
template <typename T> struct AccOf { typedef T type; };
template <> struct AccOf<float> { typedef double type; };

// Integer arithmetic wraps (two's complement), as TF's kernels; uint8 without promotion.
template <typename T>
__device__ __forceinline__ T wrap_add(T a, T b) {
  typedef typename Traits<T>::U U;
  return (T)(U)((U)a + (U)b);
}
template <typename T>
__device__ __forceinline__ T wrap_sub(T a, T b) {
  typedef typename Traits<T>::U U;
  return (T)(U)((U)a - (U)b);
}
template <typename T>
__device__ __forceinline__ T wrap_mul(T a, T b) {
  typedef typename Traits<T>::U U;
  return (T)(U)((U)a * (U)b);
}
template <typename T>
__device__ __forceinline__ T wrap_neg(T a) {
  if (Traits<T>::is_float) return -a;
  return wrap_sub((T)0, a);
}

template <typename T>
__device__ __forceinline__ bool is_nan(T x) {
  return x != x;
}

template <typename T> __device__ __forceinline__ T lowest_of();
template <> __device__ __forceinline__ uint8_t lowest_of<uint8_t>() { return 0; }
template <> __device__ __forceinline__ int32_t lowest_of<int32_t>() { return (int32_t)0x80000000; }
template <> __device__ __forceinline__ int64_t lowest_of<int64_t>() {
  return (int64_t)0x8000000000000000ull;
}
template <> __device__ __forceinline__ float lowest_of<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double lowest_of<double>() {
  return -__longlong_as_double(0x7ff0000000000000ll);
}

template <typename T> __device__ __forceinline__ T highest_of();
template <> __device__ __forceinline__ uint8_t highest_of<uint8_t>() { return 255; }
template <> __device__ __forceinline__ int32_t highest_of<int32_t>() { return 0x7fffffff; }
template <> __device__ __forceinline__ int64_t highest_of<int64_t>() {
  return 0x7fffffffffffffffll;
}
template <> __device__ __forceinline__ float highest_of<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double highest_of<double>() {
  return __longlong_as_double(0x7ff0000000000000ll);
}

// The kernels' "X(T, suffix)" lists, for instantiating one extern "C" kernel per type.
#define TH_NUMERIC_TYPES(X) X(uint8_t, u8) X(int32_t, i32) X(int64_t, i64) X(float, f32) X(double, f64)
#define TH_FLOAT_TYPES(X) X(float, f32) X(double, f64)
#define TH_INDEX_TYPES(X) X(int32_t, i32) X(int64_t, i64)
