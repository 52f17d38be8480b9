// Data movement: a strided copy (Transpose, BroadcastTo, Slice, StridedSlice, ReverseV2, Tile,
// Split, and the writes of ConcatV2 / Pad / StridedSliceGrad into views of their output),
// GatherV2, GatherNd, ScatterNd, TensorScatterUpdate and UnsortedSegmentSum.
//
// Out-of-range indices follow TF's GPU kernels, not its CPU ones (the GPU does not stop to read
// indices back): a gather writes 0 for a bad index, ScatterNd and UnsortedSegmentSum drop the
// update. Scatters add with atomics, so float sums may differ from the CPU's in the last bits.
#include "common.cuh"

// dst[offset(dst_strides, i)] = src[offset(src_strides, i)] over `shape`; strides in elements
// (zero: broadcast, negative: reversed); elements move as bits of their size.
#define TH_COPY(T, S)                                                                          \
  extern "C" __global__ void copy_##S(const T* src, T* dst, int64_t n, int ndim, Dims shape,  \
                                      Dims ss, Dims ds) {                                      \
    TH_GRID_STRIDE(i, n) {                                                                     \
      int64_t os, od;                                                                          \
      strided_offset2(i, ndim, shape, ss, ds, &os, &od);                                       \
      dst[od] = src[os];                                                                       \
    }                                                                                          \
  }                                                                                            \
  extern "C" __global__ void copy_dense_##S(const T* src, T* dst, int64_t n, int ndim,         \
                                            Dims shape, Dims ss) {                             \
    TH_GRID_STRIDE(i, n) dst[i] = src[strided_offset(i, ndim, shape, ss)];                     \
  }
TH_COPY(uint8_t, x8)
TH_COPY(uint16_t, x16)
TH_COPY(uint32_t, x32)
TH_COPY(bits64_t, x64)

// The flat offset of index tuple t (k ints) into dims; false when a part is out of range.
template <typename I>
__device__ __forceinline__ bool nd_offset(const I* idx, int64_t t, int k, const Dims& dims,
                                          int64_t* off) {
  int64_t o = 0;
  bool ok = true;
  for (int d = 0; d < k; ++d) {
    const int64_t v = (int64_t)idx[t * k + d];
    ok = ok && v >= 0 && v < dims.v[d];
    o = o * dims.v[d] + v;
  }
  *off = o;
  return ok;
}

// GatherV2 (batch_dims 0): params (outer, N, inner), indices (M) -> (outer, M, inner).
#define TH_GATHER(T, S, I, SI)                                                                 \
  extern "C" __global__ void gather_##S##_##SI(const T* params, const I* idx, T* out,         \
                                               int64_t outer, int64_t limit, int64_t m,        \
                                               int64_t inner) {                                \
    TH_GRID_STRIDE(i, outer * m * inner) {                                                     \
      const int64_t k = i % inner, j = (i / inner) % m, o = i / (inner * m);                   \
      const int64_t v = (int64_t)idx[j];                                                       \
      out[i] = (v >= 0 && v < limit) ? params[(o * limit + v) * inner + k] : T(0);             \
    }                                                                                          \
  }                                                                                            \
  extern "C" __global__ void gather_nd_##S##_##SI(const T* params, const I* idx, T* out,      \
                                                  int64_t count, int k, Dims dims,             \
                                                  int64_t slice) {                             \
    TH_GRID_STRIDE(i, count * slice) {                                                         \
      const int64_t t = i / slice, s = i - t * slice;                                          \
      int64_t off;                                                                             \
      out[i] = nd_offset(idx, t, k, dims, &off) ? params[off * slice + s] : T(0);              \
    }                                                                                          \
  }
#define TH_GATHER_ALL(I, SI)                                                                   \
  TH_GATHER(uint8_t, x8, I, SI)                                                                \
  TH_GATHER(uint32_t, x32, I, SI) TH_GATHER(bits64_t, x64, I, SI)
TH_GATHER_ALL(int32_t, i32)
TH_GATHER_ALL(int64_t, i64)

// Atomic adds that wrap for integers; uint8 goes through a compare-and-swap of its word.
__device__ __forceinline__ void add_to(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void add_to(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void add_to(int32_t* p, int32_t v) { atomicAdd(p, v); }
__device__ __forceinline__ void add_to(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)v);
}
__device__ __forceinline__ void add_to(uint8_t* p, uint8_t v) {
  unsigned int* word = reinterpret_cast<unsigned int*>((uintptr_t)p & ~(uintptr_t)3);
  const unsigned int shift = ((uintptr_t)p & 3) * 8;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned int byte = ((assumed >> shift) + v) & 0xffu;
    old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (byte << shift));
  } while (assumed != old);
}

// ScatterNd: out (zeroed first by gpu.py) += updates at the index tuples (duplicates add).
// UnsortedSegmentSum: out (num_segments, inner) += data (M, inner) at ids >= 0.
#define TH_SCATTER(T, S, I, SI)                                                                \
  extern "C" __global__ void scatter_nd_##S##_##SI(const I* idx, const T* updates, T* out,    \
                                                   int64_t count, int k, Dims dims,            \
                                                   int64_t slice) {                            \
    TH_GRID_STRIDE(i, count * slice) {                                                         \
      const int64_t t = i / slice, s = i - t * slice;                                          \
      int64_t off;                                                                             \
      if (nd_offset(idx, t, k, dims, &off)) add_to(out + off * slice + s, updates[i]);         \
    }                                                                                          \
  }                                                                                            \
  extern "C" __global__ void segment_sum_##S##_##SI(const T* data, const I* ids, T* out,      \
                                                    int64_t m, int64_t inner,                  \
                                                    int64_t segments) {                        \
    TH_GRID_STRIDE(i, m * inner) {                                                             \
      const int64_t v = (int64_t)ids[i / inner];                                               \
      if (v >= 0 && v < segments) add_to(out + v * inner + i % inner, data[i]);                \
    }                                                                                          \
  }
#define TH_SCATTER_ALL(T, S) TH_SCATTER(T, S, int32_t, i32) TH_SCATTER(T, S, int64_t, i64)
TH_NUMERIC_TYPES(TH_SCATTER_ALL)

// TensorScatterUpdate (gpu.py copies the tensor into out first): the slices at the index tuples
// are overwritten in index order, one thread per column of the slice, so with duplicate indices
// the last update wins, as on the CPU. Out-of-range tuples are skipped (TF's GPU rule).
#define TH_SCATTER_SET(T, S, I, SI)                                                            \
  extern "C" __global__ void scatter_set_##S##_##SI(const I* idx, const T* updates, T* out,   \
                                                    int64_t count, int k, Dims dims,           \
                                                    int64_t slice) {                           \
    TH_GRID_STRIDE(s, slice) {                                                                 \
      for (int64_t t = 0; t < count; ++t) {                                                    \
        int64_t off;                                                                           \
        if (nd_offset(idx, t, k, dims, &off)) out[off * slice + s] = updates[t * slice + s];   \
      }                                                                                        \
    }                                                                                          \
  }
#define TH_SCATTER_SET_ALL(I, SI)                                                              \
  TH_SCATTER_SET(uint8_t, x8, I, SI)                                                           \
  TH_SCATTER_SET(uint32_t, x32, I, SI) TH_SCATTER_SET(bits64_t, x64, I, SI)
TH_SCATTER_SET_ALL(int32_t, i32)
TH_SCATTER_SET_ALL(int64_t, i64)
