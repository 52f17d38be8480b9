// 2-D convolutions, NHWC, direct: Conv2D and its two backprops, DepthwiseConv2dNative and its
// two backprops. The op definitions decide the geometry (strides, dilations, the top / left
// padding); every input read is bounds-checked, so any padding is memory-safe. Each output
// element is one thread's sum in a fixed order (no atomics): results never depend on the grid.
//
// Layouts: x [n, h, w, c], filter [kh, kw, c, o] (depthwise: [kh, kw, c, m], o = c * m),
// y [n, oh, ow, o]. Neighbouring threads take neighbouring output channels, so filter and
// y reads are coalesced.
#include "common.cuh"

struct Geometry {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, o;
};

// y[n, oy, ox, o] = sum_{ky, kx, c} x[n, iy, ix, c] * f[ky, kx, c, o]
template <typename T>
__device__ void conv_forward(const T* __restrict__ x, const T* __restrict__ f,
                             T* __restrict__ y, Geometry g) {
  TH_GRID_STRIDE(i, g.n * g.oh * g.ow * g.o) {
    const int64_t o = i % g.o, ox = (i / g.o) % g.ow, oy = (i / (g.o * g.ow)) % g.oh;
    const int64_t b = i / (g.o * g.ow * g.oh);
    T acc = T(0);
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const T* in = x + ((b * g.h + iy) * g.w + ix) * g.c;
        const T* fk = f + (ky * g.kw + kx) * g.c * g.o + o;
        for (int64_t c = 0; c < g.c; ++c) acc = fma(in[c], fk[c * g.o], acc);
      }
    }
    y[i] = acc;
  }
}

// dx[n, iy, ix, c] = sum over the (oy, ox, ky, kx) whose window tap lands on (iy, ix) of
// dy[n, oy, ox, o] * f[ky, kx, c, o].
template <typename T>
__device__ void conv_input(const T* __restrict__ f, const T* __restrict__ dy,
                           T* __restrict__ dx, Geometry g) {
  TH_GRID_STRIDE(i, g.n * g.h * g.w * g.c) {
    const int64_t c = i % g.c, ix = (i / g.c) % g.w, iy = (i / (g.c * g.w)) % g.h;
    const int64_t b = i / (g.c * g.w * g.h);
    T acc = T(0);
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
        const T* gy = dy + ((b * g.oh + oy) * g.ow + ox) * g.o;
        const T* fk = f + ((ky * g.kw + kx) * g.c + c) * g.o;
        for (int64_t o = 0; o < g.o; ++o) acc = fma(gy[o], fk[o], acc);
      }
    }
    dx[i] = acc;
  }
}

// df[ky, kx, c, o] = sum_{n, oy, ox} x[n, iy, ix, c] * dy[n, oy, ox, o]
template <typename T>
__device__ void conv_filter(const T* __restrict__ x, const T* __restrict__ dy,
                            T* __restrict__ df, Geometry g) {
  TH_GRID_STRIDE(i, g.kh * g.kw * g.c * g.o) {
    const int64_t o = i % g.o, c = (i / g.o) % g.c, kx = (i / (g.o * g.c)) % g.kw;
    const int64_t ky = i / (g.o * g.c * g.kw);
    T acc = T(0);
    for (int64_t b = 0; b < g.n; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
          if (ix < 0 || ix >= g.w) continue;
          acc = fma(x[((b * g.h + iy) * g.w + ix) * g.c + c],
                    dy[((b * g.oh + oy) * g.ow + ox) * g.o + o], acc);
        }
      }
    df[i] = acc;
  }
}

// Depthwise: output channel q = c * m + j reads input channel c with filter f[ky, kx, c, j].
template <typename T>
__device__ void depthwise_forward(const T* __restrict__ x, const T* __restrict__ f,
                                  T* __restrict__ y, Geometry g) {
  const int64_t m = g.o / g.c;
  TH_GRID_STRIDE(i, g.n * g.oh * g.ow * g.o) {
    const int64_t q = i % g.o, ox = (i / g.o) % g.ow, oy = (i / (g.o * g.ow)) % g.oh;
    const int64_t b = i / (g.o * g.ow * g.oh), c = q / m;
    T acc = T(0);
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        acc = fma(x[((b * g.h + iy) * g.w + ix) * g.c + c], f[(ky * g.kw + kx) * g.o + q], acc);
      }
    }
    y[i] = acc;
  }
}

template <typename T>
__device__ void depthwise_input(const T* __restrict__ f, const T* __restrict__ dy,
                                T* __restrict__ dx, Geometry g) {
  const int64_t m = g.o / g.c;
  TH_GRID_STRIDE(i, g.n * g.h * g.w * g.c) {
    const int64_t c = i % g.c, ix = (i / g.c) % g.w, iy = (i / (g.c * g.w)) % g.h;
    const int64_t b = i / (g.c * g.w * g.h);
    T acc = T(0);
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
        const T* gy = dy + ((b * g.oh + oy) * g.ow + ox) * g.o + c * m;
        const T* fk = f + (ky * g.kw + kx) * g.o + c * m;
        for (int64_t j = 0; j < m; ++j) acc = fma(gy[j], fk[j], acc);
      }
    }
    dx[i] = acc;
  }
}

template <typename T>
__device__ void depthwise_filter(const T* __restrict__ x, const T* __restrict__ dy,
                                 T* __restrict__ df, Geometry g) {
  const int64_t m = g.o / g.c;
  TH_GRID_STRIDE(i, g.kh * g.kw * g.o) {
    const int64_t q = i % g.o, kx = (i / g.o) % g.kw, ky = i / (g.o * g.kw), c = q / m;
    T acc = T(0);
    for (int64_t b = 0; b < g.n; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
          if (ix < 0 || ix >= g.w) continue;
          acc = fma(x[((b * g.h + iy) * g.w + ix) * g.c + c],
                    dy[((b * g.oh + oy) * g.ow + ox) * g.o + q], acc);
        }
      }
    df[i] = acc;
  }
}

// which: 0 forward (a = x, b = filter, out = y), 1 backprop input (a = filter, b = dy,
// out = dx), 2 backprop filter (a = x, b = dy, out = dfilter).
#define TH_CONV(T, S)                                                                          \
  extern "C" __global__ void conv2d_##S(const T* a, const T* b, T* out, Geometry g,           \
                                        int which) {                                           \
    if (which == 0) conv_forward<T>(a, b, out, g);                                             \
    else if (which == 1) conv_input<T>(a, b, out, g);                                          \
    else conv_filter<T>(a, b, out, g);                                                         \
  }                                                                                            \
  extern "C" __global__ void depthwise_##S(const T* a, const T* b, T* out, Geometry g,         \
                                           int which) {                                        \
    if (which == 0) depthwise_forward<T>(a, b, out, g);                                        \
    else if (which == 1) depthwise_input<T>(a, b, out, g);                                     \
    else depthwise_filter<T>(a, b, out, g);                                                    \
  }
TH_FLOAT_TYPES(TH_CONV)
