// 2-D pooling, NHWC, as the CPU kernels: MaxPool, AvgPool (dividing by the in-bounds count:
// padding is not counted), MaxPoolGrad (each output's gradient goes to the first maximum of
// its window in row-major order), AvgPoolGrad and MaxPoolGradGrad. The gradients gather: each
// input element sums the windows that cover it, in window order, so no atomics are needed and
// the result does not depend on the grid.
#include "common.cuh"

struct PoolGeometry {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl;
};

__device__ __forceinline__ void window(const PoolGeometry& g, int64_t oy, int64_t ox,
                                       int64_t* y0, int64_t* y1, int64_t* x0, int64_t* x1) {
  *y0 = max((int64_t)0, oy * g.sh - g.pt);
  *y1 = min(g.h, oy * g.sh - g.pt + g.kh);
  *x0 = max((int64_t)0, ox * g.sw - g.pl);
  *x1 = min(g.w, ox * g.sw - g.pl + g.kw);
}

// Offset within image `img` of the first maximum of channel c's window; -1 when empty.
template <typename T>
__device__ int64_t argmax_at(const PoolGeometry& g, const T* img, int64_t oy, int64_t ox,
                             int64_t c) {
  int64_t y0, y1, x0, x1;
  window(g, oy, ox, &y0, &y1, &x0, &x1);
  int64_t best = -1;
  T bv = T(0);
  for (int64_t iy = y0; iy < y1; ++iy)
    for (int64_t ix = x0; ix < x1; ++ix) {
      const int64_t off = (iy * g.w + ix) * g.c + c;
      if (best < 0 || img[off] > bv) best = off, bv = img[off];
    }
  return best;
}

template <typename T>
__device__ void pool_forward(int is_max, const T* __restrict__ x, T* __restrict__ y,
                             PoolGeometry g) {
  TH_GRID_STRIDE(i, g.n * g.oh * g.ow * g.c) {
    const int64_t c = i % g.c, ox = (i / g.c) % g.ow, oy = (i / (g.c * g.ow)) % g.oh;
    const int64_t b = i / (g.c * g.ow * g.oh);
    const T* img = x + b * g.h * g.w * g.c;
    int64_t y0, y1, x0, x1;
    window(g, oy, ox, &y0, &y1, &x0, &x1);
    T acc = is_max ? lowest_of<T>() : T(0);
    for (int64_t iy = y0; iy < y1; ++iy)
      for (int64_t ix = x0; ix < x1; ++ix) {
        const T v = img[(iy * g.w + ix) * g.c + c];
        if (is_max) acc = v > acc ? v : acc;
        else acc += v;
      }
    const int64_t count = max((int64_t)0, y1 - y0) * max((int64_t)0, x1 - x0);
    y[i] = is_max ? acc : (count ? T(acc / T(count)) : T(0));
  }
}

// MaxPoolGrad (x, dy -> dx) and AvgPoolGrad (dy -> dx): one thread per input element.
template <typename T>
__device__ void pool_backward(int is_max, const T* __restrict__ x, const T* __restrict__ dy,
                              T* __restrict__ dx, PoolGeometry g) {
  TH_GRID_STRIDE(i, g.n * g.h * g.w * g.c) {
    const int64_t c = i % g.c, ix = (i / g.c) % g.w, iy = (i / (g.c * g.w)) % g.h;
    const int64_t b = i / (g.c * g.w * g.h);
    const int64_t here = (iy * g.w + ix) * g.c + c;
    const T* img = is_max ? x + b * g.h * g.w * g.c : nullptr;
    // Output rows whose window covers iy: oy * sh - pt <= iy < oy * sh - pt + kh.
    const int64_t oy_lo = max((int64_t)0, (iy + g.pt - g.kh + g.sh) / g.sh);
    const int64_t oy_hi = min(g.oh - 1, (iy + g.pt) / g.sh);
    const int64_t ox_lo = max((int64_t)0, (ix + g.pl - g.kw + g.sw) / g.sw);
    const int64_t ox_hi = min(g.ow - 1, (ix + g.pl) / g.sw);
    T acc = T(0);
    for (int64_t oy = oy_lo; oy <= oy_hi; ++oy)
      for (int64_t ox = ox_lo; ox <= ox_hi; ++ox) {
        int64_t y0, y1, x0, x1;
        window(g, oy, ox, &y0, &y1, &x0, &x1);
        if (iy < y0 || iy >= y1 || ix < x0 || ix >= x1) continue;
        const T gy = dy[((b * g.oh + oy) * g.ow + ox) * g.c + c];
        if (is_max) {
          if (argmax_at<T>(g, img, oy, ox, c) == here) acc += gy;
        } else {
          acc += gy / T((y1 - y0) * (x1 - x0));
        }
      }
    dx[i] = acc;
  }
}

// MaxPoolGradGrad: out[n, oy, ox, c] = grad[n, the window's first maximum].
template <typename T>
__device__ void max_pool_grad_grad(const T* __restrict__ x, const T* __restrict__ gx,
                                   T* __restrict__ out, PoolGeometry g) {
  TH_GRID_STRIDE(i, g.n * g.oh * g.ow * g.c) {
    const int64_t c = i % g.c, ox = (i / g.c) % g.ow, oy = (i / (g.c * g.ow)) % g.oh;
    const int64_t b = i / (g.c * g.ow * g.oh), img = b * g.h * g.w * g.c;
    const int64_t at = argmax_at<T>(g, x + img, oy, ox, c);
    out[i] = at >= 0 ? gx[img + at] : T(0);
  }
}

// which: 0 MaxPool (a = x -> out = y), 1 AvgPool (a = x -> y), 2 MaxPoolGrad (a = x, b = dy ->
// dx), 3 AvgPoolGrad (b = dy -> dx), 4 MaxPoolGradGrad (a = x, b = grad of x -> y-shaped).
#define TH_POOL(T, S)                                                                          \
  extern "C" __global__ void pool_##S(const T* a, const T* b, T* out, PoolGeometry g,         \
                                      int which) {                                             \
    switch (which) {                                                                           \
      case 0: pool_forward<T>(1, a, out, g); break;                                            \
      case 1: pool_forward<T>(0, a, out, g); break;                                            \
      case 2: pool_backward<T>(1, a, b, out, g); break;                                        \
      case 3: pool_backward<T>(0, a, b, out, g); break;                                        \
      default: max_pool_grad_grad<T>(a, b, out, g); break;                                     \
    }                                                                                          \
  }
TH_FLOAT_TYPES(TH_POOL)
