// Cast between bool, uint8, int32, int64, float16, bfloat16, float32 and float64, as the CPU
// kernels convert: to bool is != 0; float to integer saturates and maps NaN to 0; 16-bit
// floats round to nearest even (NaN stays NaN, overflow gives inf) and are read through
// float32. One kernel per (from, to) pair: cast_<from>_<to>.
#include "common.cuh"
#include <cuda_fp16.h>
#include <cuda_bf16.h>

// Every value passes through a `wide` type: double for floats (exact for every source but
// int64, which converts as C++ does), int64 / uint64 for integers.
template <typename T> struct Wide;
template <> struct Wide<bool> { typedef int64_t type; };
template <> struct Wide<uint8_t> { typedef int64_t type; };
template <> struct Wide<int32_t> { typedef int64_t type; };
template <> struct Wide<int64_t> { typedef int64_t type; };
template <> struct Wide<float> { typedef double type; };
template <> struct Wide<double> { typedef double type; };

template <typename To> struct Store;  // To from a double or an int64 source value

template <typename I>
__device__ __forceinline__ I saturate(double v) {
  if (v != v) return I(0);
  if (v <= (double)lowest_of<I>()) return lowest_of<I>();
  if (v >= (double)highest_of<I>()) return highest_of<I>();
  return (I)v;
}

template <> struct Store<bool> {
  __device__ static bool from(double v) { return v != 0.0; }
  __device__ static bool from(int64_t v) { return v != 0; }
};
template <> struct Store<uint8_t> {
  __device__ static uint8_t from(double v) { return saturate<uint8_t>(v); }
  __device__ static uint8_t from(int64_t v) { return (uint8_t)v; }
};
template <> struct Store<int32_t> {
  __device__ static int32_t from(double v) { return saturate<int32_t>(v); }
  __device__ static int32_t from(int64_t v) { return (int32_t)v; }
};
template <> struct Store<int64_t> {
  __device__ static int64_t from(double v) { return saturate<int64_t>(v); }
  __device__ static int64_t from(int64_t v) { return v; }
};
template <> struct Store<float> {
  __device__ static float from(double v) { return (float)v; }
  __device__ static float from(int64_t v) { return (float)v; }
};
template <> struct Store<double> {
  __device__ static double from(double v) { return v; }
  __device__ static double from(int64_t v) { return (double)v; }
};
template <> struct Store<__half> {
  __device__ static __half from(double v) { return __double2half(v); }
  __device__ static __half from(int64_t v) { return __float2half_rn((float)v); }
};
template <> struct Store<__nv_bfloat16> {
  __device__ static __nv_bfloat16 from(double v) { return __double2bfloat16(v); }
  __device__ static __nv_bfloat16 from(int64_t v) { return __float2bfloat16_rn((float)v); }
};

template <typename From> struct Load {
  __device__ static typename Wide<From>::type get(From v) {
    return (typename Wide<From>::type)v;
  }
};
template <> struct Load<__half> {
  // float32 first, as the CPU: float -> int saturates exactly like a float source
  __device__ static double get(__half v) { return (double)__half2float(v); }
};
template <> struct Load<__nv_bfloat16> {
  __device__ static double get(__nv_bfloat16 v) { return (double)__bfloat162float(v); }
};

template <typename From, typename To>
__device__ void cast_kernel(const From* __restrict__ x, To* __restrict__ y, int64_t n) {
  TH_GRID_STRIDE(i, n) y[i] = Store<To>::from(Load<From>::get(x[i]));
}

#define TH_CAST(F, SF, T, ST)                                                                  \
  extern "C" __global__ void cast_##SF##_##ST(const F* x, T* y, int64_t n) {                  \
    cast_kernel<F, T>(x, y, n);                                                                \
  }
#define TH_CAST_TO_ALL(F, SF)                                                                  \
  TH_CAST(F, SF, bool, b) TH_CAST(F, SF, uint8_t, u8) TH_CAST(F, SF, int32_t, i32)             \
  TH_CAST(F, SF, int64_t, i64) TH_CAST(F, SF, __half, f16)                                     \
  TH_CAST(F, SF, __nv_bfloat16, bf16) TH_CAST(F, SF, float, f32) TH_CAST(F, SF, double, f64)
TH_CAST_TO_ALL(bool, b)
TH_CAST_TO_ALL(uint8_t, u8)
TH_CAST_TO_ALL(int32_t, i32)
TH_CAST_TO_ALL(int64_t, i64)
TH_CAST_TO_ALL(__half, f16)
TH_CAST_TO_ALL(__nv_bfloat16, bf16)
TH_CAST_TO_ALL(float, f32)
TH_CAST_TO_ALL(double, f64)
