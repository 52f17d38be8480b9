// 2-D pooling, NHWC: MaxPool, AvgPool and their gradients (MaxPoolGrad routes each output's
// gradient to the first maximum of its window, in row-major window order, as TF's CPU kernel;
// MaxPoolGradGrad gathers from there). AvgPool divides by the number of in-bounds elements
// (padding is not counted, as TF). Threads split images (or output rows), never a sum.
// The max passes also take the integer types (TF's CPU kernels do): an integer window starts
// from the type's lowest value and MaxPoolGrad's sums wrap around.
#include <algorithm>
#include <limits>

#include "nn.h"

namespace th {
namespace {

template <typename T>
inline void window(const Geometry& g, int64_t oy, int64_t ox, int64_t* y0, int64_t* y1,
                   int64_t* x0, int64_t* x1) {
  *y0 = std::max<int64_t>(0, oy * g.sh - g.pt);
  *y1 = std::min<int64_t>(g.h, oy * g.sh - g.pt + g.kh);
  *x0 = std::max<int64_t>(0, ox * g.sw - g.pl);
  *x1 = std::min<int64_t>(g.w, ox * g.sw - g.pl + g.kw);
}

// Flat input offset (within the image) of the first maximum of channel c's window; -1 if the
// window holds no input element.
template <typename T>
inline int64_t argmax_at(const Geometry& g, const T* img, int64_t oy, int64_t ox, int64_t c) {
  int64_t y0, y1, x0, x1;
  window<T>(g, oy, ox, &y0, &y1, &x0, &x1);
  int64_t best = -1;
  T bv = T(0);
  for (int64_t iy = y0; iy < y1; ++iy)
    for (int64_t ix = x0; ix < x1; ++ix) {
      const int64_t off = (iy * g.w + ix) * g.c + c;
      if (best < 0 || img[off] > bv) best = off, bv = img[off];
    }
  return best;
}

// The start of a max window: -inf for floats, the lowest value for integers.
template <typename T>
constexpr T lowest() {
  if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::lowest();
}

template <typename T>
void pool_forward(bool is_max, const Geometry& g, const T* x, T* y) {
  const int64_t rows = g.n * g.oh;
  parallel_for(rows, rows * g.ow * g.c * g.kh * g.kw, [&](int64_t r0, int64_t r1) {
    std::vector<T> acc(static_cast<size_t>(g.c));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, oy = r % g.oh;
      const T* img = x + n * g.h * g.w * g.c;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t y0, y1, x0, x1;
        window<T>(g, oy, ox, &y0, &y1, &x0, &x1);
        std::fill(acc.begin(), acc.end(), is_max ? lowest<T>() : T(0));
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix) {
            const T* in = img + (iy * g.w + ix) * g.c;
            if (is_max) {
              for (int64_t c = 0; c < g.c; ++c) acc[c] = in[c] > acc[c] ? in[c] : acc[c];
            } else {
              for (int64_t c = 0; c < g.c; ++c) acc[c] += in[c];
            }
          }
        T* out = y + (r * g.ow + ox) * g.c;
        const int64_t count = std::max<int64_t>(0, y1 - y0) * std::max<int64_t>(0, x1 - x0);
        if (is_max) std::copy(acc.begin(), acc.end(), out);
        else
          for (int64_t c = 0; c < g.c; ++c) out[c] = count ? acc[c] / T(count) : T(0);
      }
    }
  });
}

// MaxPoolGrad (x, dy -> dx) and AvgPoolGrad (dy -> dx): one image per task.
template <typename T>
void pool_backward(bool is_max, const Geometry& g, const T* x, const T* dy, T* dx) {
  const int64_t img = g.h * g.w * g.c, per_out = g.oh * g.ow * g.c;
  parallel_for(g.n, g.n * per_out * g.kh * g.kw, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      T* out = dx + n * img;
      std::fill(out, out + img, T(0));
      const T* in = is_max ? x + n * img : nullptr;
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const T* gy = dy + n * per_out + (oy * g.ow + ox) * g.c;
          if (is_max) {
            for (int64_t c = 0; c < g.c; ++c) {
              const int64_t at = argmax_at<T>(g, in, oy, ox, c);
              if (at >= 0) out[at] = wrap_add(out[at], gy[c]);
            }
            continue;
          }
          int64_t y0, y1, x0, x1;
          window<T>(g, oy, ox, &y0, &y1, &x0, &x1);
          const int64_t count = std::max<int64_t>(0, y1 - y0) * std::max<int64_t>(0, x1 - x0);
          if (!count) continue;
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix) {
              T* o = out + (iy * g.w + ix) * g.c;
              for (int64_t c = 0; c < g.c; ++c) o[c] += gy[c] / T(count);
            }
        }
    }
  });
}

// MaxPoolGradGrad: out[n, oy, ox, c] = grad[n, argmax of the window].
template <typename T>
void max_pool_grad_grad(const Geometry& g, const T* x, const T* gx, T* out) {
  const int64_t img = g.h * g.w * g.c, rows = g.n * g.oh;
  parallel_for(rows, rows * g.ow * g.c * g.kh * g.kw, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox)
        for (int64_t c = 0; c < g.c; ++c) {
          const int64_t at = argmax_at<T>(g, x + n * img, oy, ox, c);
          out[(r * g.ow + ox) * g.c + c] = at >= 0 ? gx[n * img + at] : T(0);
        }
    }
  });
}

void require_nhwc(const py::array& a, const char* op, const char* what) {
  if (a.ndim() != 4)
    throw py::value_error(std::string(op) + ": " + what + " must be 4-D, got shape " +
                          shape_str(shape_of(a)));
  require_contiguous(a, op, what);
}

// which: 0 MaxPool (x -> y), 1 AvgPool (x -> y), 2 MaxPoolGrad (x, dy -> dx),
// 3 AvgPoolGrad (dy -> dx; x is dx), 4 MaxPoolGradGrad (x, grad of x -> y).
// `x` has the input's shape and `y` the output's in every pass; `aux` is the third array.
void pool(int which, py::array x, py::array y, py::array aux, int64_t kh, int64_t kw, int64_t sh,
          int64_t sw, int64_t pt, int64_t pl) {
  static const char* names[] = {"MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad",
                                "MaxPoolGradGrad"};
  if (which < 0 || which > 4) throw py::value_error("pool: unknown pass");
  const char* op = names[which];
  require_nhwc(x, op, "input");
  require_nhwc(y, op, "output");
  require_same_dtype(x, y, op);
  if (which == 2 || which == 4) {
    require_same_dtype(x, aux, op);
    require_contiguous(aux, op, "gradient");
    if (shape_of(aux) != shape_of(x))
      throw py::value_error(std::string(op) + ": gradient shape " + shape_str(shape_of(aux)) +
                            " does not match " + shape_str(shape_of(x)));
  }
  Geometry g{x.shape(0), x.shape(1), x.shape(2), x.shape(3), kh, kw, y.shape(1), y.shape(2),
             sh, sw, 1, 1, pt, pl};
  check_geometry(g, op);
  if (y.shape(0) != g.n || y.shape(3) != g.c)
    throw py::value_error(std::string(op) + ": input " + shape_str(shape_of(x)) +
                          " and output " + shape_str(shape_of(y)) + " do not match");
  py::array& out = (which == 2 || which == 3) ? x : y;
  require_writable(out, op);
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* px = static_cast<T*>(x.mutable_data());
    T* py_ = static_cast<T*>(y.mutable_data());
    const T* pa = (which == 2 || which == 4) ? static_cast<const T*>(aux.data()) : nullptr;
    py::gil_scoped_release release;
    switch (which) {
      case 0: pool_forward<T>(true, g, px, py_); break;
      case 1: pool_forward<T>(false, g, px, py_); break;
      // MaxPoolGrad: aux is the original input, y the output gradient, x the result
      case 2: pool_backward<T>(true, g, pa, py_, px); break;
      case 3: pool_backward<T>(false, g, nullptr, py_, px); break;
      default: max_pool_grad_grad<T>(g, px, pa, py_); break;
    }
  };
  if (which == 1 || which == 3) dispatch_float(dtype_of(x), op, run);  // AvgPool: floats
  else dispatch_numeric(dtype_of(x), op, run);
}

}  // namespace

void init_pool(py::module_& m) {
  m.def("pool", &pool, py::arg("which"), py::arg("x"), py::arg("y"), py::arg("aux"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("pad_top"),
        py::arg("pad_left"),
        "0 MaxPool(x)->y, 1 AvgPool(x)->y, 2 MaxPoolGrad(aux=input, y=dy)->x, "
        "3 AvgPoolGrad(y=dy)->x, 4 MaxPoolGradGrad(x=input, aux=grad)->y; NHWC.");
}

}  // namespace th
