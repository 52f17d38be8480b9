// Matrix products, row-major: C[b] = op(A[b]) @ op(B[b]) for a batch b = blockIdx.z (batch
// strides in elements; 0 repeats an operand), op = transpose when ta / tb is set.
//
// gemm_f32 / gemm_f64: a block computes a BM x BN tile of C, staging BK-deep slices of A and
// B in shared memory; each thread keeps a TM x TN register tile. Thread (ty, tx) owns rows
// ty + i * (BM / TM) and columns tx + j * (BN / TN), so neighbouring threads read neighbouring
// shared-memory words (no bank conflicts) and write neighbouring columns of C (coalesced).
// Edges are zero-filled on load and guarded on store: any M, N, K.
//
// gemm_tf32: TensorFloat-32 tensor cores (wmma, m16n16k8) for float32 when
// config.experimental.enable_tensor_float_32_execution(True) and the GPU is sm_80 or newer;
// inputs are rounded to TF32 (10 mantissa bits), accumulation is float32. On older
// architectures its body compiles to nothing and gpu.py never launches it.
#include "common.cuh"
#include <mma.h>

template <typename T>
__device__ __forceinline__ T load_a(const T* A, int64_t m, int64_t k, int64_t M, int64_t K,
                                    int ta) {
  if (m >= M || k >= K) return T(0);
  return ta ? A[k * M + m] : A[m * K + k];
}

template <typename T>
__device__ __forceinline__ T load_b(const T* B, int64_t k, int64_t n, int64_t K, int64_t N,
                                    int tb) {
  if (k >= K || n >= N) return T(0);
  return tb ? B[n * K + k] : B[k * N + n];
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
__device__ void gemm_tiled(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C,
                           int64_t M, int64_t N, int64_t K, int ta, int tb, int64_t sa,
                           int64_t sb, int64_t sc) {
  constexpr int TX = BN / TN, TY = BM / TM, THREADS = TX * TY;
  __shared__ T As[BK][BM];
  __shared__ T Bs[BK][BN];
  A += blockIdx.z * sa;
  B += blockIdx.z * sb;
  C += blockIdx.z * sc;
  const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
  const int64_t m0 = (int64_t)blockIdx.y * BM, n0 = (int64_t)blockIdx.x * BN;
  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  for (int64_t k0 = 0; k0 < K; k0 += BK) {
    // A's slice: walk memory order (k fastest when A is M x K, m fastest when transposed).
#pragma unroll
    for (int e = tid; e < BM * BK; e += THREADS) {
      int m, k;
      if (ta) m = e % BM, k = e / BM;
      else m = e / BK, k = e % BK;
      As[k][m] = load_a(A, m0 + m, k0 + k, M, K, ta);
    }
#pragma unroll
    for (int e = tid; e < BN * BK; e += THREADS) {
      int n, k;
      if (tb) n = e / BK, k = e % BK;
      else n = e % BN, k = e / BN;
      Bs[k][n] = load_b(B, k0 + k, n0 + n, K, N, tb);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[kk][ty + i * TY];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx + j * TX];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int64_t m = m0 + ty + i * TY;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int64_t n = n0 + tx + j * TX;
      if (n < N) C[m * N + n] = acc[i][j];
    }
  }
}

// float32: 128 x 128 tiles, 8 x 8 per thread, 256 threads. float64: 64 x 64, 4 x 4, 256.
extern "C" __global__ void __launch_bounds__(256)
    gemm_f32(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K, int ta,
             int tb, int64_t sa, int64_t sb, int64_t sc) {
  gemm_tiled<float, 128, 128, 8, 8, 8>(A, B, C, M, N, K, ta, tb, sa, sb, sc);
}

extern "C" __global__ void __launch_bounds__(256)
    gemm_f64(const double* A, const double* B, double* C, int64_t M, int64_t N, int64_t K,
             int ta, int tb, int64_t sa, int64_t sb, int64_t sc) {
  gemm_tiled<double, 64, 64, 8, 4, 4>(A, B, C, M, N, K, ta, tb, sa, sb, sc);
}

// TF32: 64 x 64 tiles, BK = 16, four warps (128 threads), each warp 32 x 32 = 2 x 2 fragments.
#define TF32_BM 64
#define TF32_BN 64
#define TF32_BK 16
#define TF32_LDA (TF32_BK + 4)  // row pitches: multiples of 4 floats, rows 32-byte aligned
#define TF32_LDB (TF32_BN + 4)
#define TF32_LDC (TF32_BN + 4)

extern "C" __global__ void __launch_bounds__(128)
    gemm_tf32(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K, int ta,
              int tb, int64_t sa, int64_t sb, int64_t sc) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  __shared__ __align__(32) float As[TF32_BM * TF32_LDA];
  __shared__ __align__(32) float Bs[TF32_BK * TF32_LDB];
  __shared__ __align__(32) float Cs[TF32_BM * TF32_LDC];
  A += blockIdx.z * sa;
  B += blockIdx.z * sb;
  C += blockIdx.z * sc;
  const int tid = threadIdx.x, warp = tid / 32;
  const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
  const int64_t m0 = (int64_t)blockIdx.y * TF32_BM, n0 = (int64_t)blockIdx.x * TF32_BN;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  for (int64_t k0 = 0; k0 < K; k0 += TF32_BK) {
    for (int e = tid; e < TF32_BM * TF32_BK; e += 128) {
      int m, k;
      if (ta) m = e % TF32_BM, k = e / TF32_BM;
      else m = e / TF32_BK, k = e % TF32_BK;
      As[m * TF32_LDA + k] = wmma::__float_to_tf32(load_a(A, m0 + m, k0 + k, M, K, ta));
    }
    for (int e = tid; e < TF32_BN * TF32_BK; e += 128) {
      int n, k;
      if (tb) n = e / TF32_BK, k = e % TF32_BK;
      else n = e % TF32_BN, k = e / TF32_BN;
      Bs[k * TF32_LDB + n] = wmma::__float_to_tf32(load_b(B, k0 + k, n0 + n, K, N, tb));
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TF32_BK; kk += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(a[i], As + (wm + i * 16) * TF32_LDA + kk, TF32_LDA);
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b[j], Bs + kk * TF32_LDB + wn + j * 16, TF32_LDB);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(Cs + (wm + i * 16) * TF32_LDC + wn + j * 16, acc[i][j], TF32_LDC,
                              wmma::mem_row_major);
  __syncthreads();
  for (int e = tid; e < TF32_BM * TF32_BN; e += 128) {
    const int m = e / TF32_BN, n = e % TF32_BN;
    if (m0 + m < M && n0 + n < N) C[(m0 + m) * N + n0 + n] = Cs[m * TF32_LDC + n];
  }
#endif
}
