// Softmax and LogSoftmax over the last axis, and the fused cross-entropies (dense labels;
// sparse class indices), each giving the loss and its gradient (backprop) in one pass. One
// block per row: the row's max and sum of exponentials are combined in shared memory in a fixed
// tree. A sparse label out of [0, classes) gives a NaN loss and a NaN backprop row, as TF's GPU
// kernel (the CPU raises InvalidArgumentError; the GPU does not stop to read labels back).
#include "common.cuh"

#define TH_ROW_THREADS 256

template <typename T>
__device__ __forceinline__ T block_max(T v, T* part) {
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const T a = part[threadIdx.x], b = part[threadIdx.x + s];
      part[threadIdx.x] = (is_nan(a) || a >= b) ? a : b;  // NaN wins, as the CPU's row max
    }
    __syncthreads();
  }
  const T r = part[0];
  __syncthreads();
  return r;
}

template <typename T>
__device__ __forceinline__ T block_sum(T v, T* part) {
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  const T r = part[0];
  __syncthreads();
  return r;
}

template <typename T>
__device__ __forceinline__ T row_max(const T* x, int64_t n, T* part) {
  T m = lowest_of<T>();
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const T v = x[j];
    if (is_nan(v) || v > m || is_nan(m)) m = is_nan(m) ? m : v;
  }
  return block_max(m, part);
}

template <typename T>
__device__ void softmax_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows,
                               int64_t n, int log) {
  __shared__ T part[TH_ROW_THREADS];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* p = x + row * n;
    T* q = y + row * n;
    const T mx = row_max(p, n, part);
    T s = T(0);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += exp(p[j] - mx);
    const T sum = block_sum(s, part);
    if (log) {
      const T lse = ::log(sum);
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) q[j] = (p[j] - mx) - lse;
    } else {
      const T inv = T(1) / sum;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) q[j] = exp(p[j] - mx) * inv;
    }
  }
}

// loss[r] = sum_j labels * (logsumexp - shifted); backprop = softmax - labels.
template <typename T>
__device__ void xent_kernel(const T* __restrict__ x, const T* __restrict__ labels,
                            T* __restrict__ loss, T* __restrict__ back, int64_t rows,
                            int64_t n) {
  __shared__ T part[TH_ROW_THREADS];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* p = x + row * n;
    const T* l = labels + row * n;
    T* g = back + row * n;
    if (n == 0) {
      if (threadIdx.x == 0) loss[row] = T(0);
      continue;
    }
    const T mx = row_max(p, n, part);
    T s = T(0);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += exp(p[j] - mx);
    const T sum = block_sum(s, part);
    const T lse = ::log(sum), inv = T(1) / sum;
    T total = T(0);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const T sh = p[j] - mx;
      total += l[j] * (lse - sh);
      g[j] = exp(sh) * inv - l[j];
    }
    total = block_sum(total, part);
    if (threadIdx.x == 0) loss[row] = total;
  }
}

template <typename T, typename L>
__device__ void sparse_xent_kernel(const T* __restrict__ x, const L* __restrict__ labels,
                                   T* __restrict__ loss, T* __restrict__ back, int64_t rows,
                                   int64_t n) {
  __shared__ T part[TH_ROW_THREADS];
  const T nan = T(__longlong_as_double(0x7ff8000000000000ll));
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* p = x + row * n;
    T* g = back + row * n;
    const int64_t label = (int64_t)labels[row];
    const bool ok = label >= 0 && label < n;
    const T mx = row_max(p, n, part);
    T s = T(0);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += exp(p[j] - mx);
    const T sum = block_sum(s, part);
    const T lse = ::log(sum), inv = T(1) / sum;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
      g[j] = ok ? exp(p[j] - mx) * inv - (j == label ? T(1) : T(0)) : nan;
    if (threadIdx.x == 0) loss[row] = ok ? lse - (p[label] - mx) : nan;
  }
}

#define TH_SOFTMAX(T, S)                                                                       \
  extern "C" __global__ void softmax_##S(const T* x, T* y, int64_t rows, int64_t n, int log) { \
    softmax_kernel<T>(x, y, rows, n, log);                                                     \
  }                                                                                            \
  extern "C" __global__ void xent_##S(const T* x, const T* labels, T* loss, T* back,           \
                                      int64_t rows, int64_t n) {                               \
    xent_kernel<T>(x, labels, loss, back, rows, n);                                            \
  }                                                                                            \
  extern "C" __global__ void sparse_xent_##S##_i32(const T* x, const int32_t* labels, T* loss, \
                                                   T* back, int64_t rows, int64_t n) {         \
    sparse_xent_kernel<T, int32_t>(x, labels, loss, back, rows, n);                            \
  }                                                                                            \
  extern "C" __global__ void sparse_xent_##S##_i64(const T* x, const int64_t* labels, T* loss, \
                                                   T* back, int64_t rows, int64_t n) {         \
    sparse_xent_kernel<T, int64_t>(x, labels, loss, back, rows, n);                            \
  }
TH_FLOAT_TYPES(TH_SOFTMAX)
