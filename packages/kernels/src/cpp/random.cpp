// Counter-based random numbers: Philox4x32-10. Element i always comes from counter block
// i / 4, so the numbers do not depend on the thread count.
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"

namespace th {
namespace {

struct Philox {
  uint32_t key[2];
  uint32_t hi[2];  // upper half of the 128-bit counter (from the op seed)

  static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
    const uint64_t p = static_cast<uint64_t>(a) * b;
    *hi = static_cast<uint32_t>(p >> 32);
    return static_cast<uint32_t>(p);
  }

  // The four 32-bit words of block `block`.
  inline void block(uint64_t block, uint32_t out[4]) const {
    uint32_t c[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), hi[0],
                     hi[1]};
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
      uint32_t h0, h1;
      const uint32_t l0 = mulhilo(0xD2511F53u, c[0], &h0);
      const uint32_t l1 = mulhilo(0xCD9E8D57u, c[2], &h1);
      c[0] = h1 ^ c[1] ^ k0;
      c[1] = l1;
      c[2] = h0 ^ c[3] ^ k1;
      c[3] = l0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (int i = 0; i < 4; ++i) out[i] = c[i];
  }
};

inline float uniform_f32(uint32_t x) {  // 23 random mantissa bits -> [0, 1)
  const uint32_t bits = (x >> 9) | 0x3f800000u;
  float f;
  std::memcpy(&f, &bits, 4);
  return f - 1.0f;
}

inline double uniform_f64(uint32_t a, uint32_t b) {  // 52 random mantissa bits -> [0, 1)
  const uint64_t bits = ((static_cast<uint64_t>(a) << 20) ^ b) & ((1ull << 52) - 1);
  const uint64_t one = 0x3ff0000000000000ull | bits;
  double d;
  std::memcpy(&d, &one, 8);
  return d - 1.0;
}

Philox make(uint64_t seed, uint64_t seed2) {
  Philox p;
  p.key[0] = static_cast<uint32_t>(seed);
  p.key[1] = static_cast<uint32_t>(seed >> 32);
  p.hi[0] = static_cast<uint32_t>(seed2);
  p.hi[1] = static_cast<uint32_t>(seed2 >> 32);
  return p;
}

// kind 0: uniform [0, 1); kind 1: standard normal (Box-Muller on each block's pairs).
template <typename T>
void fill_random(const Philox& g, int kind, T* out, int64_t n) {
  const int64_t per_block = std::is_same_v<T, float> ? 4 : 2;
  const int64_t blocks = (n + per_block - 1) / per_block;
  const int nt = threads_for(n * 8);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    uint32_t w[4];
    g.block(static_cast<uint64_t>(blk), w);
    T u[4];
    if constexpr (std::is_same_v<T, float>) {
      for (int i = 0; i < 4; ++i) u[i] = uniform_f32(w[i]);
    } else {
      u[0] = uniform_f64(w[0], w[1]);
      u[1] = uniform_f64(w[2], w[3]);
    }
    if (kind == 1) {
      for (int i = 0; i + 1 < per_block; i += 2) {
        const T eps = std::numeric_limits<T>::min();
        const T u1 = u[i] < eps ? eps : u[i];
        const T r = std::sqrt(T(-2) * std::log(u1));
        const T theta = T(2 * M_PI) * u[i + 1];
        u[i] = r * std::sin(theta);
        u[i + 1] = r * std::cos(theta);
      }
    }
    const int64_t base = blk * per_block;
    for (int64_t i = 0; i < per_block && base + i < n; ++i) out[base + i] = u[i];
  }
}

void random_fill(int kind, py::array out, uint64_t seed, uint64_t seed2) {
  require_contiguous(out, "Random", "output");
  require_writable(out, "Random");
  if (kind < 0 || kind > 1) throw py::value_error("random: unknown kind");
  const Philox g = make(seed, seed2);
  const int64_t n = out.size();
  dispatch_float(dtype_of(out), "Random", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    fill_random<T>(g, kind, po, n);
  });
}

// RandomUniformInt: minval + bits % (maxval - minval), as TF's CPU kernel: int32 takes one
// 32-bit word per element (4 per block), int64 two words (2 per block).
template <typename T>
void fill_int(const Philox& g, T lo, T hi, T* out, int64_t n) {
  using U = std::make_unsigned_t<T>;
  const U range = static_cast<U>(static_cast<U>(hi) - static_cast<U>(lo));
  const int64_t per_block = sizeof(T) == 4 ? 4 : 2;
  const int64_t blocks = (n + per_block - 1) / per_block;
  const int nt = threads_for(n * 8);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    uint32_t w[4];
    g.block(static_cast<uint64_t>(blk), w);
    const int64_t base = blk * per_block;
    for (int64_t i = 0; i < per_block && base + i < n; ++i) {
      U bits;
      if constexpr (sizeof(T) == 4) bits = w[i];
      else bits = (static_cast<uint64_t>(w[2 * i]) << 32) | w[2 * i + 1];
      out[base + i] = static_cast<T>(static_cast<U>(static_cast<U>(lo) + bits % range));
    }
  }
}

void random_int(py::array out, int64_t minval, int64_t maxval, uint64_t seed, uint64_t seed2) {
  require_contiguous(out, "RandomUniformInt", "output");
  require_writable(out, "RandomUniformInt");
  if (minval >= maxval)
    invalid_argument("Need minval < maxval: " + std::to_string(minval) + " >= " +
                         std::to_string(maxval),
                     "RandomUniformInt");
  const Philox g = make(seed, seed2);
  const int64_t n = out.size();
  dispatch_index(dtype_of(out), "RandomUniformInt", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if (minval < std::numeric_limits<T>::lowest() || maxval > std::numeric_limits<T>::max())
      throw py::value_error("RandomUniformInt: minval or maxval out of range for the dtype");
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    fill_int<T>(g, static_cast<T>(minval), static_cast<T>(maxval), po, n);
  });
}

// TruncatedNormal: standard normals within two standard deviations, resampled beyond (as TF).
// Element i tries blocks i, i + n, i + 2n, ... (two Box-Muller normals each) until one lands
// inside, so each element depends only on its index and the key.
template <typename T>
void fill_truncated(const Philox& g, T* out, int64_t n) {
  const int nt = threads_for(n * 16);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < n; ++i) {
    T value = 0;
    for (uint64_t attempt = 0;; ++attempt) {
      uint32_t w[4];
      g.block(static_cast<uint64_t>(i) + attempt * static_cast<uint64_t>(n), w);
      T u0, u1;
      if constexpr (std::is_same_v<T, float>) {
        u0 = uniform_f32(w[0]);
        u1 = uniform_f32(w[1]);
      } else {
        u0 = uniform_f64(w[0], w[1]);
        u1 = uniform_f64(w[2], w[3]);
      }
      const T eps = std::numeric_limits<T>::min();
      const T r = std::sqrt(T(-2) * std::log(u0 < eps ? eps : u0));
      const T theta = T(2 * M_PI) * u1;
      const T z0 = r * std::sin(theta), z1 = r * std::cos(theta);
      if (std::fabs(z0) < T(2)) {
        value = z0;
        break;
      }
      if (std::fabs(z1) < T(2)) {
        value = z1;
        break;
      }
    }
    out[i] = value;
  }
}

void truncated_normal(py::array out, uint64_t seed, uint64_t seed2) {
  require_contiguous(out, "TruncatedNormal", "output");
  require_writable(out, "TruncatedNormal");
  const Philox g = make(seed, seed2);
  const int64_t n = out.size();
  dispatch_float(dtype_of(out), "TruncatedNormal", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    fill_truncated<T>(g, po, n);
  });
}

}  // namespace

void init_random(py::module_& m) {
  m.def("random_fill", &random_fill, py::arg("kind"), py::arg("out"), py::arg("seed"),
        py::arg("seed2"), "Fill with Philox4x32-10 numbers: kind 0 uniform, 1 normal.");
  m.def("random_int", &random_int, py::arg("out"), py::arg("minval"), py::arg("maxval"),
        py::arg("seed"), py::arg("seed2"), "RandomUniformInt: minval + bits % (maxval - minval).");
  m.def("truncated_normal", &truncated_normal, py::arg("out"), py::arg("seed"), py::arg("seed2"),
        "TruncatedNormal: normals within two stddevs, resampled beyond.");
  m.def("philox_block", [](uint64_t seed, uint64_t seed2, uint64_t block) {
    uint32_t w[4];
    make(seed, seed2).block(block, w);
    return py::make_tuple(w[0], w[1], w[2], w[3]);
  });
}

}  // namespace th
