// 2-D convolutions, NHWC: Conv2D and its two backprops by im2col + one OpenBLAS GEMM per
// chunk of images; DepthwiseConv2dNative and its backprops by direct loops. The geometry
// (strides, dilations, the top / left padding) is decided by the op definition; every read of
// the input is bounds-checked here, so any padding is memory-safe.
#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "nn.h"
#include "blas.h"

#if TH_X86_DISPATCH
#include <immintrin.h>
#endif

namespace th {

void check_geometry(const Geometry& g, const char* op) {
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1)
    throw py::value_error(std::string(op) + ": strides and dilations must be >= 1");
  if (g.pt < 0 || g.pl < 0) throw py::value_error(std::string(op) + ": negative padding");
  if (g.kh < 0 || g.kw < 0 || g.oh < 0 || g.ow < 0)
    throw py::value_error(std::string(op) + ": negative dimension");
}

namespace {


template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm_threaded<T>(ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, T(1), a, lda, b, ldb,
                   beta, c, ldc);
}

// The im2col matrix of image n: row (oy, ox), columns (ky, kx, c). With dilation 1 a window
// row inside the image is one contiguous run of kw * c input values.
template <typename T>
void im2col(const Geometry& g, const T* x, int64_t n, T* col) {
  const int64_t K = g.kh * g.kw * g.c, run = g.kw * g.c;
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      T* dst = col + (oy * g.ow + ox) * K;
      const int64_t x0 = ox * g.sw - g.pl;
      const bool whole = g.dw == 1 && x0 >= 0 && x0 + g.kw <= g.w;
      for (int64_t ky = 0; ky < g.kh; ++ky) {
        const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        if (iy < 0 || iy >= g.h) {
          std::fill(dst, dst + run, T(0));
          dst += run;
          continue;
        }
        const T* row = x + (n * g.h + iy) * g.w * g.c;
        if (whole) {
          std::memcpy(dst, row + x0 * g.c, run * sizeof(T));
          dst += run;
          continue;
        }
        for (int64_t kx = 0; kx < g.kw; ++kx, dst += g.c) {
          const int64_t ix = x0 + kx * g.dw;
          if (ix < 0 || ix >= g.w) std::fill(dst, dst + g.c, T(0));
          else std::memcpy(dst, row + ix * g.c, g.c * sizeof(T));
        }
      }
    }
}

// dx of image n from its im2col gradient, summed in one fixed order.
template <typename T>
void col2im(const Geometry& g, const T* col, int64_t n, T* dx) {
  const int64_t img = g.h * g.w * g.c;
  T* out = dx + n * img;
  std::fill(out, out + img, T(0));
  const T* src = col;
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ox = 0; ox < g.ow; ++ox)
      for (int64_t ky = 0; ky < g.kh; ++ky) {
        const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        for (int64_t kx = 0; kx < g.kw; ++kx, src += g.c) {
          const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
          T* o = out + (iy * g.w + ix) * g.c;
          for (int64_t c = 0; c < g.c; ++c) o[c] += src[c];
        }
      }
}

bool is_pointwise(const Geometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.oh == g.h && g.ow == g.w;
}

// Runs fn(b) for b in [0, count): on the kernels' threads when the work pays (each task's
// GEMMs then run on its thread), else in order on this thread (its GEMMs may split). Each b is one independent task, so results never depend
// on the thread count.
template <typename Fn>
void for_each_task(int64_t count, int64_t work, Fn&& fn) {
  int nt = threads_for(work);
  if (nt > count) nt = static_cast<int>(count);
  if (nt <= 1) {
    for (int64_t b = 0; b < count; ++b) fn(b);
    return;
  }
  RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < count; ++b) {
    timer.arrive(thread_num());
    fn(b);
  }
}

enum class Pass { kForward, kInput, kFilter };

// ---- direct float32 convolution on AVX-512 ------------------------------------------------
// With AVX-512, float32 convolutions whose output channels (the input's for the input
// gradient) are a multiple of 16 skip im2col: each image is copied once into a zero-padded
// buffer, and register tiles of up to 14 output pixels x 32 channels accumulate straight from
// it and from the filter (which stays in L1). The input gradient at stride 1 is the same
// kernel run on the padded output gradient with the filter flipped and transposed. Threads
// take whole images; the filter gradient keeps the GEMM path's fixed image blocks, so no
// result depends on the thread count.

// A convolution of an already padded input: in [hp][wp][ci], filter [kh][kw][ci][co],
// out [oh][ow][co]; window (oy, ox) starts at input (oy * sh, ox * sw).
struct Direct {
  int64_t hp, wp, ci, kh, kw, co, oh, ow, sh, sw, dh, dw;
};

// dst[Y][X] = src[Y - y0][X - x0] inside src ([h][w][c]), 0 elsewhere; dst is [hp][wp][c].
template <typename T>
void pad_image(const T* src, int64_t h, int64_t w, int64_t c, int64_t y0, int64_t x0,
               int64_t hp, int64_t wp, T* dst) {
  for (int64_t y = 0; y < hp; ++y) {
    T* d = dst + y * wp * c;
    const int64_t sy = y - y0;
    if (sy < 0 || sy >= h) {
      std::fill(d, d + wp * c, T(0));
      continue;
    }
    const int64_t xb = std::clamp<int64_t>(x0, 0, wp), xe = std::clamp<int64_t>(x0 + w, 0, wp);
    if (xb >= xe) {
      std::fill(d, d + wp * c, T(0));
      continue;
    }
    std::fill(d, d + xb * c, T(0));
    std::memcpy(d + xb * c, src + (sy * w + (xb - x0)) * c, (xe - xb) * c * sizeof(T));
    std::fill(d + xe * c, d + wp * c, T(0));
  }
}

#if TH_X86_DISPATCH
// P output pixels of one row x NV * 16 output channels: in points at the first window's
// origin, f at the filter's channel block, out at the first pixel's channel block. XS, when
// not 0, is the pixel stride sw * ci known at compile time: the P input addresses are then
// one register plus constants (with a run-time stride GCC keeps P pointers, and spills).
template <int P, int NV, int XS>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void direct_tile(const Direct& d, const float* in,
                                                   const float* f, float* out) {
  __m512 acc[P][NV];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_setzero_ps();
  const int64_t xs = XS ? XS : d.sw * d.ci;
  for (int64_t ky = 0; ky < d.kh; ++ky)
    for (int64_t kx = 0; kx < d.kw; ++kx) {
      const float* ip = in + (ky * d.dh * d.wp + kx * d.dw) * d.ci;
      const float* fp = f + (ky * d.kw + kx) * d.ci * d.co;
      for (int64_t c = 0; c < d.ci; ++c) {
        __m512 w[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) w[v] = _mm512_loadu_ps(fp + c * d.co + 16 * v);
#pragma GCC unroll 16
        for (int p = 0; p < P; ++p) {
          const __m512 b = _mm512_set1_ps(ip[p * xs + c]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_fmadd_ps(b, w[v], acc[p][v]);
        }
      }
    }
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(out + p * d.co + 16 * v, acc[p][v]);
}

template <int NV, int XS>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void direct_row(const Direct& d, const float* row,
                                                  const float* f, float* orow) {
  int64_t ox = 0;
  const int64_t xs = d.sw * d.ci;
  for (; ox + 14 <= d.ow; ox += 14)
    direct_tile<14, NV, XS>(d, row + ox * xs, f, orow + ox * d.co);
  if (ox + 7 <= d.ow) {
    direct_tile<7, NV, XS>(d, row + ox * xs, f, orow + ox * d.co);
    ox += 7;
  }
  if (ox + 4 <= d.ow) {
    direct_tile<4, NV, XS>(d, row + ox * xs, f, orow + ox * d.co);
    ox += 4;
  }
  for (; ox < d.ow; ++ox) direct_tile<1, NV, XS>(d, row + ox * xs, f, orow + ox * d.co);
}

template <int XS>
TH_TARGET_AVX512 void direct_image_xs(const Direct& d, const float* in, const float* f,
                                      float* out) {
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    const float* row = in + oy * d.sh * d.wp * d.ci;
    float* orow = out + oy * d.ow * d.co;
    int64_t o0 = 0;
    for (; o0 + 32 <= d.co; o0 += 32) direct_row<2, XS>(d, row, f + o0, orow + o0);
    if (o0 < d.co) direct_row<1, XS>(d, row, f + o0, orow + o0);
  }
}

// One image: in [hp][wp][ci] -> out [oh][ow][co]; co is a multiple of 16.
void direct_image(const Direct& d, const float* in, const float* f, float* out) {
  switch (d.sw * d.ci) {
    case 16: direct_image_xs<16>(d, in, f, out); break;
    case 32: direct_image_xs<32>(d, in, f, out); break;
    case 64: direct_image_xs<64>(d, in, f, out); break;
    default: direct_image_xs<0>(d, in, f, out);
  }
}

// df [kh][kw][ci][co] += the filter gradient of one image: in is its padded input (forward
// geometry d), dy its output gradient [oh][ow][co].
template <int CB, int NV>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void filter_tile(const Direct& d, const float* in,
                                                   const float* dy, float* df) {
  __m512 acc[CB][NV];
#pragma GCC unroll 16
  for (int i = 0; i < CB; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_loadu_ps(df + i * d.co + 16 * v);
  const int64_t xs = d.sw * d.ci;
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    const float* xrow = in + oy * d.sh * d.wp * d.ci;
    const float* grow = dy + oy * d.ow * d.co;
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      __m512 g[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) g[v] = _mm512_loadu_ps(grow + ox * d.co + 16 * v);
#pragma GCC unroll 16
      for (int i = 0; i < CB; ++i) {
        const __m512 b = _mm512_set1_ps(xrow[ox * xs + i]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(b, g[v], acc[i][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < CB; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(df + i * d.co + 16 * v, acc[i][v]);
}

template <int NV>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void filter_block(const Direct& d, const float* in,
                                                    const float* dy, float* df) {
  int64_t c = 0;
  for (; c + 8 <= d.ci; c += 8) filter_tile<8, NV>(d, in + c, dy, df + c * d.co);
  if (c + 4 <= d.ci) {
    filter_tile<4, NV>(d, in + c, dy, df + c * d.co);
    c += 4;
  }
  for (; c < d.ci; ++c) filter_tile<1, NV>(d, in + c, dy, df + c * d.co);
}

TH_TARGET_AVX512 void direct_filter_image(const Direct& d, const float* in, const float* dy,
                                          float* df) {
  for (int64_t ky = 0; ky < d.kh; ++ky)
    for (int64_t kx = 0; kx < d.kw; ++kx) {
      const float* tap_in = in + (ky * d.dh * d.wp + kx * d.dw) * d.ci;
      float* tap_df = df + (ky * d.kw + kx) * d.ci * d.co;
      int64_t o0 = 0;
      for (; o0 + 32 <= d.co; o0 += 32) filter_block<2>(d, tap_in, dy + o0, tap_df + o0);
      if (o0 < d.co) filter_block<1>(d, tap_in, dy + o0, tap_df + o0);
    }
}
#endif  // TH_X86_DISPATCH

bool direct_applies(Pass pass, const Geometry& g, int64_t o) {
#if TH_X86_DISPATCH
  if (cpu_isa() != Isa::kAvx512) return false;
  if (pass == Pass::kInput) return g.c % 16 == 0 && g.sh == 1 && g.sw == 1;
  return o % 16 == 0;
#else
  return false;
#endif
}

// Runs fn(i) for i in [0, count) on the kernels' threads when `work` pays for them.
template <typename Fn>
void for_each_index(int64_t count, int64_t work, Fn&& fn) {
  int nt = threads_for(work);
  if (nt > count) nt = static_cast<int>(count);
  if (nt <= 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    timer.arrive(thread_num());
    fn(i);
  }
}

void direct_run(Pass pass, const Geometry& g, int64_t o, const float* x, const float* f,
                const float* dy, float* out, int64_t work) {
#if TH_X86_DISPATCH
  const int64_t per_img = g.oh * g.ow;
  if (pass == Pass::kInput) {
    // dx = a stride-1 convolution of dy, padded by (kh-1)*dh - pt on top (and so on), with
    // ft[ky][kx][o][c] = f[kh-1-ky][kw-1-kx][c][o].
    const Direct d{g.h + (g.kh - 1) * g.dh, g.w + (g.kw - 1) * g.dw, o, g.kh, g.kw, g.c,
                   g.h, g.w, 1, 1, g.dh, g.dw};
    std::vector<float> ft(static_cast<size_t>(g.kh * g.kw * o * g.c));
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx)
        for (int64_t c = 0; c < g.c; ++c)
          for (int64_t j = 0; j < o; ++j)
            ft[((ky * g.kw + kx) * o + j) * g.c + c] =
                f[(((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.c + c) * o + j];
    for_each_index(g.n, work, [&](int64_t n) {
      std::unique_ptr<float[]> pad(new float[d.hp * d.wp * d.ci]);
      pad_image(dy + n * per_img * o, g.oh, g.ow, o, (g.kh - 1) * g.dh - g.pt,
                (g.kw - 1) * g.dw - g.pl, d.hp, d.wp, pad.get());
      direct_image(d, pad.get(), ft.data(), out + n * g.h * g.w * g.c);
    });
    return;
  }
  const int64_t hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const int64_t wp = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const Direct d{hp, wp, g.c, g.kh, g.kw, o, g.oh, g.ow, g.sh, g.sw, g.dh, g.dw};
  if (pass == Pass::kForward) {
    for_each_index(g.n, work, [&](int64_t n) {
      std::unique_ptr<float[]> pad(new float[d.hp * d.wp * d.ci]);
      pad_image(x + n * g.h * g.w * g.c, g.h, g.w, g.c, g.pt, g.pl, d.hp, d.wp, pad.get());
      direct_image(d, pad.get(), f, out + n * per_img * o);
    });
    return;
  }
  // Filter gradient: the GEMM path's fixed image blocks, summed in order.
  const int64_t K = g.kh * g.kw * g.c;
  const int64_t block = std::max<int64_t>(1, (g.n + 15) / 16), blocks = (g.n + block - 1) / block;
  std::vector<float> part(static_cast<size_t>(blocks * K * o), 0.0f);
  for_each_index(blocks, work, [&](int64_t b) {
    std::unique_ptr<float[]> pad(new float[d.hp * d.wp * d.ci]);
    for (int64_t n = b * block; n < std::min(g.n, (b + 1) * block); ++n) {
      pad_image(x + n * g.h * g.w * g.c, g.h, g.w, g.c, g.pt, g.pl, d.hp, d.wp, pad.get());
      direct_filter_image(d, pad.get(), dy + n * per_img * o, part.data() + b * K * o);
    }
  });
  std::copy(part.begin(), part.begin() + K * o, out);
  for (int64_t b = 1; b < blocks; ++b) {
    const float* p = part.data() + b * K * o;
    for (int64_t i = 0; i < K * o; ++i) out[i] += p[i];
  }
#endif
}

template <typename T>
void conv_run(Pass pass, const Geometry& g, int64_t o, const T* x, const T* f, const T* dy, T* out) {
  const int64_t K = g.kh * g.kw * g.c, per_img = g.oh * g.ow;
  const int64_t out_size = pass == Pass::kForward  ? g.n * per_img * o
                           : pass == Pass::kInput ? g.n * g.h * g.w * g.c
                                                  : K * o;
  if (out_size == 0) return;
  if (pass == Pass::kFilter && (g.n == 0 || per_img == 0)) {
    std::fill(out, out + K * o, T(0));
    return;
  }
  if (pass == Pass::kInput && (K == 0 || o == 0 || per_img == 0)) {
    std::fill(out, out + g.n * g.h * g.w * g.c, T(0));
    return;
  }
  if (pass == Pass::kForward && K == 0) {
    std::fill(out, out + g.n * per_img * o, T(0));
    return;
  }
  const int64_t work = g.n * per_img * K * o / 16;  // GEMM flops count more than copies
  if constexpr (std::is_same_v<T, float>) {
    if (direct_applies(pass, g, o)) {
      direct_run(pass, g, o, x, f, dy, out, work);
      return;
    }
  }
  const bool pointwise = is_pointwise(g);           // the input is its own im2col matrix
  if (pass != Pass::kFilter) {
    for_each_task(g.n, work, [&](int64_t n) {
      std::unique_ptr<T[]> col(pointwise ? nullptr : new T[per_img * K]);  // not zeroed
      if (pass == Pass::kForward) {
        const T* a = x + n * per_img * K;
        if (!pointwise) {
          im2col(g, x, n, col.get());
          a = col.get();
        }
        gemm<T>(false, false, per_img, o, K, a, K, f, o, T(0), out + n * per_img * o, o);
      } else {
        T* c = pointwise ? out + n * per_img * K : col.get();
        gemm<T>(false, true, per_img, K, o, dy + n * per_img * o, o, f, o, T(0), c, K);
        if (!pointwise) col2im(g, col.get(), n, out);
      }
    });
    return;
  }
  // The filter gradient sums over images: fixed blocks of images (set by the batch size alone)
  // each sum into their own buffer, then the blocks are added in order.
  const int64_t block = std::max<int64_t>(1, (g.n + 15) / 16), blocks = (g.n + block - 1) / block;
  std::vector<T> part(static_cast<size_t>(blocks * K * o));
  for_each_task(blocks, work, [&](int64_t b) {
    std::unique_ptr<T[]> col(pointwise ? nullptr : new T[per_img * K]);
    T* acc = part.data() + b * K * o;
    for (int64_t n = b * block; n < std::min(g.n, (b + 1) * block); ++n) {
      const T* a = x + n * per_img * K;
      if (!pointwise) {
        im2col(g, x, n, col.get());
        a = col.get();
      }
      gemm<T>(true, false, K, o, per_img, a, K, dy + n * per_img * o, o,
              n == b * block ? T(0) : T(1), acc, o);
    }
  });
  std::copy(part.begin(), part.begin() + K * o, out);
  for (int64_t b = 1; b < blocks; ++b) {
    const T* p = part.data() + b * K * o;
    for (int64_t i = 0; i < K * o; ++i) out[i] += p[i];
  }
}

// ---- int32 convolutions (TF's CPU kernels take int32 for Conv2D and its input gradient) ----
// Direct loops; sums wrap around (two's complement, as TF), in a fixed order per element.

template <typename T>
void int_conv_forward(const Geometry& g, int64_t o, const T* x, const T* f, T* y) {
  using U = WrapType<T>;
  const int64_t rows = g.n * g.oh;
  parallel_for(rows, rows * g.ow * o * g.kh * g.kw * g.c, [&](int64_t r0, int64_t r1) {
    std::vector<U> acc(static_cast<size_t>(o));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        std::fill(acc.begin(), acc.end(), U(0));
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const T* in = x + ((n * g.h + iy) * g.w + ix) * g.c;
            const T* fk = f + (ky * g.kw + kx) * g.c * o;
            for (int64_t c = 0; c < g.c; ++c) {
              const U v = static_cast<U>(in[c]);
              for (int64_t j = 0; j < o; ++j) acc[j] += v * static_cast<U>(fk[c * o + j]);
            }
          }
        }
        T* out = y + (r * g.ow + ox) * o;
        for (int64_t j = 0; j < o; ++j) out[j] = static_cast<T>(acc[j]);
      }
    }
  });
}

// dx by gathering: each input pixel sums the output pixels whose windows cover it.
template <typename T>
void int_conv_input(const Geometry& g, int64_t o, const T* f, const T* dy, T* dx) {
  using U = WrapType<T>;
  const int64_t rows = g.n * g.h;
  parallel_for(rows, rows * g.w * o * g.kh * g.kw * g.c, [&](int64_t r0, int64_t r1) {
    std::vector<U> acc(static_cast<size_t>(g.c));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.h, iy = r % g.h;
      for (int64_t ix = 0; ix < g.w; ++ix) {
        std::fill(acc.begin(), acc.end(), U(0));
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t ty = iy + g.pt - ky * g.dh;
          if (ty < 0 || ty % g.sh) continue;
          const int64_t oy = ty / g.sh;
          if (oy >= g.oh) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t tx = ix + g.pl - kx * g.dw;
            if (tx < 0 || tx % g.sw) continue;
            const int64_t ox = tx / g.sw;
            if (ox >= g.ow) continue;
            const T* gy = dy + ((n * g.oh + oy) * g.ow + ox) * o;
            const T* fk = f + (ky * g.kw + kx) * g.c * o;
            for (int64_t c = 0; c < g.c; ++c)
              for (int64_t j = 0; j < o; ++j)
                acc[c] += static_cast<U>(gy[j]) * static_cast<U>(fk[c * o + j]);
          }
        }
        T* out = dx + (r * g.w + ix) * g.c;
        for (int64_t c = 0; c < g.c; ++c) out[c] = static_cast<T>(acc[c]);
      }
    }
  });
}

void require_4d(const py::array& a, const char* op, const char* what) {
  if (a.ndim() != 4)
    throw py::value_error(std::string(op) + ": " + what + " must be 4-D, got shape " +
                          shape_str(shape_of(a)));
  require_contiguous(a, op, what);
}

// x [n,h,w,c], filter [kh,kw,c,o] (depthwise: [kh,kw,c,m], o = c*m), y [n,oh,ow,o].
Geometry make_geometry(const py::array& x, const py::array& f, const py::array& y, int64_t sh,
                       int64_t sw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, const char* op,
                       bool depthwise) {
  require_4d(x, op, "input");
  require_4d(f, op, "filter");
  require_4d(y, op, "output");
  require_same_dtype(x, f, op);
  require_same_dtype(x, y, op);
  Geometry g{x.shape(0), x.shape(1), x.shape(2), x.shape(3), f.shape(0), f.shape(1),
             y.shape(1), y.shape(2), sh, sw, dh, dw, pt, pl};
  check_geometry(g, op);
  const int64_t o = depthwise ? f.shape(2) * f.shape(3) : f.shape(3);
  if (f.shape(2) != g.c || y.shape(0) != g.n || y.shape(3) != o)
    throw py::value_error(std::string(op) + ": input " + shape_str(shape_of(x)) + ", filter " +
                          shape_str(shape_of(f)) + " and output " + shape_str(shape_of(y)) +
                          " do not match");
  if (!depthwise && (g.n * g.oh * g.ow > INT_MAX || g.kh * g.kw * g.c > INT_MAX || o > INT_MAX))
    throw py::value_error(std::string(op) + ": dimensions beyond 2^31-1 are not supported");
  return g;
}

// which: 0 forward (a = input, b = filter, c = output), 1 backprop input (a = dx, b = filter,
// c = dy: a is written), 2 backprop filter (a = input, b = dfilter: written, c = dy).
void conv2d(int which, py::array a, py::array b, py::array c, int64_t sh, int64_t sw, int64_t dh,
            int64_t dw, int64_t pt, int64_t pl) {
  static const char* names[] = {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"};
  if (which < 0 || which > 2) throw py::value_error("conv2d: unknown pass");
  const char* op = names[which];
  const Geometry g = make_geometry(a, b, c, sh, sw, dh, dw, pt, pl, op, false);
  py::array& out = which == 0 ? c : which == 1 ? a : b;
  require_writable(out, op);
  const int64_t o = b.shape(3);
  if (dtype_of(a) == DType::kInt32 && which != 2) {
    const auto* pb = static_cast<const int32_t*>(b.data());
    auto* po = static_cast<int32_t*>(out.mutable_data());
    py::gil_scoped_release release;
    if (which == 0) int_conv_forward<int32_t>(g, o, static_cast<const int32_t*>(a.data()), pb, po);
    else int_conv_input<int32_t>(g, o, pb, static_cast<const int32_t*>(c.data()), po);
    return;
  }
  dispatch_float(dtype_of(a), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    const T* pc = static_cast<const T*>(c.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    if (which == 0) conv_run<T>(Pass::kForward, g, o, pa, pb, nullptr, po);
    else if (which == 1) conv_run<T>(Pass::kInput, g, o, nullptr, pb, pc, po);
    else conv_run<T>(Pass::kFilter, g, o, pa, nullptr, pc, po);
  });
}

template <typename T>
void depthwise_forward(const Geometry& g, int64_t m, const T* x, const T* f, T* y) {
  const int64_t o = g.c * m, rows = g.n * g.oh;
  parallel_for(rows, rows * g.ow * o * g.kh * g.kw, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* out = y + (r * g.ow + ox) * o;
        std::fill(out, out + o, T(0));
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const T* in = x + ((n * g.h + iy) * g.w + ix) * g.c;
            const T* fk = f + (ky * g.kw + kx) * o;
            for (int64_t c = 0; c < g.c; ++c)
              for (int64_t j = 0; j < m; ++j) out[c * m + j] += in[c] * fk[c * m + j];
          }
        }
      }
    }
  });
}

// dx by gathering: each input pixel sums the output pixels whose windows cover it.
template <typename T>
void depthwise_input(const Geometry& g, int64_t m, const T* f, const T* dy, T* dx) {
  const int64_t o = g.c * m, rows = g.n * g.h;
  parallel_for(rows, rows * g.w * o * g.kh * g.kw, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.h, iy = r % g.h;
      for (int64_t ix = 0; ix < g.w; ++ix) {
        T* out = dx + (r * g.w + ix) * g.c;
        std::fill(out, out + g.c, T(0));
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t ty = iy + g.pt - ky * g.dh;
          if (ty < 0 || ty % g.sh) continue;
          const int64_t oy = ty / g.sh;
          if (oy >= g.oh) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t tx = ix + g.pl - kx * g.dw;
            if (tx < 0 || tx % g.sw) continue;
            const int64_t ox = tx / g.sw;
            if (ox >= g.ow) continue;
            const T* gy = dy + ((n * g.oh + oy) * g.ow + ox) * o;
            const T* fk = f + (ky * g.kw + kx) * o;
            for (int64_t c = 0; c < g.c; ++c) {
              T s = 0;
              for (int64_t j = 0; j < m; ++j) s += gy[c * m + j] * fk[c * m + j];
              out[c] += s;
            }
          }
        }
      }
    }
  });
}

// dfilter: one (ky, kx) tap per task, summed over (n, oy, ox) in order.
template <typename T>
void depthwise_filter(const Geometry& g, int64_t m, const T* x, const T* dy, T* df) {
  const int64_t o = g.c * m, taps = g.kh * g.kw;
  parallel_for(taps, taps * g.n * g.oh * g.ow * o, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t ky = t / g.kw, kx = t % g.kw;
      T* out = df + t * o;
      std::fill(out, out + o, T(0));
      for (int64_t n = 0; n < g.n; ++n)
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const T* in = x + ((n * g.h + iy) * g.w + ix) * g.c;
            const T* gy = dy + ((n * g.oh + oy) * g.ow + ox) * o;
            for (int64_t c = 0; c < g.c; ++c)
              for (int64_t j = 0; j < m; ++j) out[c * m + j] += in[c] * gy[c * m + j];
          }
        }
    }
  });
}

void depthwise(int which, py::array a, py::array b, py::array c, int64_t sh, int64_t sw,
               int64_t dh, int64_t dw, int64_t pt, int64_t pl) {
  static const char* names[] = {"DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                                "DepthwiseConv2dNativeBackpropFilter"};
  if (which < 0 || which > 2) throw py::value_error("depthwise: unknown pass");
  const char* op = names[which];
  const Geometry g = make_geometry(a, b, c, sh, sw, dh, dw, pt, pl, op, true);
  py::array& out = which == 0 ? c : which == 1 ? a : b;
  require_writable(out, op);
  const int64_t m = b.shape(3);
  dispatch_float(dtype_of(a), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    const T* pc = static_cast<const T*>(c.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    if (which == 0) depthwise_forward<T>(g, m, pa, pb, po);
    else if (which == 1) depthwise_input<T>(g, m, pb, pc, po);
    else depthwise_filter<T>(g, m, pa, pc, po);
  });
}

}  // namespace

void init_conv(py::module_& m) {
  m.def("conv2d", &conv2d, py::arg("which"), py::arg("a"), py::arg("b"), py::arg("c"),
        py::arg("sh"), py::arg("sw"), py::arg("dh"), py::arg("dw"), py::arg("pad_top"),
        py::arg("pad_left"),
        "Conv2D (which=0: a input, b filter, c out), backprop input (1: a dx out, b filter, "
        "c dy), backprop filter (2: a input, b dfilter out, c dy); NHWC, im2col + GEMM.");
  m.def("depthwise_conv2d", &depthwise, py::arg("which"), py::arg("a"), py::arg("b"),
        py::arg("c"), py::arg("sh"), py::arg("sw"), py::arg("dh"), py::arg("dw"),
        py::arg("pad_top"), py::arg("pad_left"), "DepthwiseConv2dNative and backprops (as conv2d).");
}

}  // namespace th
