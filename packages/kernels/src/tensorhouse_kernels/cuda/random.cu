// Philox4x32-10 random numbers laid out exactly as the CPU kernels (src/cpp/random.cpp): the
// 128-bit counter is (block low, block high, seed2 low, seed2 high), the key (seed low, seed
// high); element i of a float32 output is word i % 4 of block i / 4 (float64: two words per
// element, two elements per block). The same seed gives the same bits as the CPU for uniform
// floats and for RandomUniformInt; normals go through Box-Muller with the GPU's log / sin /
// cos, which may differ from the host's libm in the last ulp or two.
#include "common.cuh"

struct Philox {
  uint32_t k0, k1, h0, h1;
};

__device__ __forceinline__ void philox_block(const Philox& g, uint64_t block, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = g.h0, c3 = g.h1;
  uint32_t k0 = g.k0, k1 = g.k1;
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    const uint32_t l0 = 0xD2511F53u * c0, h0 = __umulhi(0xD2511F53u, c0);
    const uint32_t l1 = 0xCD9E8D57u * c2, h1 = __umulhi(0xCD9E8D57u, c2);
    c0 = h1 ^ c1 ^ k0;
    c1 = l1;
    c2 = h0 ^ c3 ^ k1;
    c3 = l0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

__device__ __forceinline__ Philox make(uint64_t seed, uint64_t seed2) {
  Philox g;
  g.k0 = (uint32_t)seed;
  g.k1 = (uint32_t)(seed >> 32);
  g.h0 = (uint32_t)seed2;
  g.h1 = (uint32_t)(seed2 >> 32);
  return g;
}

__device__ __forceinline__ float uniform_f32(uint32_t x) {
  return __uint_as_float((x >> 9) | 0x3f800000u) - 1.0f;
}

__device__ __forceinline__ double uniform_f64(uint32_t a, uint32_t b) {
  const uint64_t bits = (((uint64_t)a << 20) ^ b) & ((1ull << 52) - 1);
  return __longlong_as_double((long long)(0x3ff0000000000000ull | bits)) - 1.0;
}

#define TH_TWO_PI 6.283185307179586476925286766559

// kind 0: uniform [0, 1); kind 1: standard normal (Box-Muller on each block's pairs).
extern "C" __global__ void random_f32(float* out, int64_t n, uint64_t seed, uint64_t seed2,
                                      int kind) {
  const Philox g = make(seed, seed2);
  TH_GRID_STRIDE(blk, (n + 3) / 4) {
    uint32_t w[4];
    philox_block(g, (uint64_t)blk, w);
    float u[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) u[i] = uniform_f32(w[i]);
    if (kind == 1) {
#pragma unroll
      for (int i = 0; i < 4; i += 2) {
        const float u1 = u[i] < 1.17549435e-38f ? 1.17549435e-38f : u[i];
        const float r = sqrtf(-2.0f * logf(u1));
        const float theta = (float)TH_TWO_PI * u[i + 1];
        u[i] = r * sinf(theta);
        u[i + 1] = r * cosf(theta);
      }
    }
    for (int i = 0; i < 4 && blk * 4 + i < n; ++i) out[blk * 4 + i] = u[i];
  }
}

extern "C" __global__ void random_f64(double* out, int64_t n, uint64_t seed, uint64_t seed2,
                                      int kind) {
  const Philox g = make(seed, seed2);
  TH_GRID_STRIDE(blk, (n + 1) / 2) {
    uint32_t w[4];
    philox_block(g, (uint64_t)blk, w);
    double u[2] = {uniform_f64(w[0], w[1]), uniform_f64(w[2], w[3])};
    if (kind == 1) {
      const double u1 = u[0] < 2.2250738585072014e-308 ? 2.2250738585072014e-308 : u[0];
      const double r = sqrt(-2.0 * log(u1));
      const double theta = TH_TWO_PI * u[1];
      u[0] = r * sin(theta);
      u[1] = r * cos(theta);
    }
    for (int i = 0; i < 2 && blk * 2 + i < n; ++i) out[blk * 2 + i] = u[i];
  }
}

// RandomUniformInt: lo + bits % (hi - lo); int32 one word per element (4 per block), int64 two
// words (2 per block), as TF's CPU kernel and ours.
extern "C" __global__ void random_int_i32(int32_t* out, int64_t n, int64_t lo, int64_t hi,
                                          uint64_t seed, uint64_t seed2) {
  const Philox g = make(seed, seed2);
  const uint32_t range = (uint32_t)hi - (uint32_t)lo;
  TH_GRID_STRIDE(blk, (n + 3) / 4) {
    uint32_t w[4];
    philox_block(g, (uint64_t)blk, w);
    for (int i = 0; i < 4 && blk * 4 + i < n; ++i)
      out[blk * 4 + i] = (int32_t)((uint32_t)lo + w[i] % range);
  }
}

extern "C" __global__ void random_int_i64(int64_t* out, int64_t n, int64_t lo, int64_t hi,
                                          uint64_t seed, uint64_t seed2) {
  const Philox g = make(seed, seed2);
  const uint64_t range = (uint64_t)hi - (uint64_t)lo;
  TH_GRID_STRIDE(blk, (n + 1) / 2) {
    uint32_t w[4];
    philox_block(g, (uint64_t)blk, w);
    for (int i = 0; i < 2 && blk * 2 + i < n; ++i) {
      const uint64_t bits = ((uint64_t)w[2 * i] << 32) | w[2 * i + 1];
      out[blk * 2 + i] = (int64_t)((uint64_t)lo + bits % range);
    }
  }
}

// TruncatedNormal: element i tries blocks i, i + n, i + 2n, ... (two normals each) until one
// lies within two standard deviations, as the CPU kernel.
extern "C" __global__ void truncated_f32(float* out, int64_t n, uint64_t seed, uint64_t seed2) {
  const Philox g = make(seed, seed2);
  TH_GRID_STRIDE(i, n) {
    float value = 0.0f;
    for (uint64_t attempt = 0;; ++attempt) {
      uint32_t w[4];
      philox_block(g, (uint64_t)i + attempt * (uint64_t)n, w);
      const float u0 = uniform_f32(w[0]), u1 = uniform_f32(w[1]);
      const float r = sqrtf(-2.0f * logf(u0 < 1.17549435e-38f ? 1.17549435e-38f : u0));
      const float theta = (float)TH_TWO_PI * u1;
      const float z0 = r * sinf(theta), z1 = r * cosf(theta);
      if (fabsf(z0) < 2.0f) { value = z0; break; }
      if (fabsf(z1) < 2.0f) { value = z1; break; }
    }
    out[i] = value;
  }
}

extern "C" __global__ void truncated_f64(double* out, int64_t n, uint64_t seed, uint64_t seed2) {
  const Philox g = make(seed, seed2);
  TH_GRID_STRIDE(i, n) {
    double value = 0.0;
    for (uint64_t attempt = 0;; ++attempt) {
      uint32_t w[4];
      philox_block(g, (uint64_t)i + attempt * (uint64_t)n, w);
      const double u0 = uniform_f64(w[0], w[1]), u1 = uniform_f64(w[2], w[3]);
      const double r = sqrt(-2.0 * log(u0 < 2.2250738585072014e-308 ? 2.2250738585072014e-308 : u0));
      const double theta = TH_TWO_PI * u1;
      const double z0 = r * sin(theta), z1 = r * cos(theta);
      if (fabs(z0) < 2.0) { value = z0; break; }
      if (fabs(z1) < 2.0) { value = z1; break; }
    }
    out[i] = value;
  }
}

// The words of one block, for tests that pin the stream against the CPU's philox_block.
extern "C" __global__ void philox_words(uint32_t* out, int64_t blocks, uint64_t seed,
                                        uint64_t seed2) {
  const Philox g = make(seed, seed2);
  TH_GRID_STRIDE(b, blocks) {
    uint32_t w[4];
    philox_block(g, (uint64_t)b, w);
    for (int i = 0; i < 4; ++i) out[b * 4 + i] = w[i];
  }
}
