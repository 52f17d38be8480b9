// Softmax and LogSoftmax over the last axis; the fused softmax cross-entropy losses, dense and
// sparse labels, each returning the loss and its gradient (backprop) in one pass.
#include <cmath>
#include <limits>

#include "common.h"

namespace th {
namespace {

// exp for float32 that GCC vectorizes (this file is built with -fno-trapping-math so the
// selects below become blends): Cody-Waite reduction to r in [-ln2/2, ln2/2], Cephes'
// polynomial, 2^n from the exponent bits. Relative error < 1e-7 on [-86.6, 88.72]; results
// below 2.5e-38 flush to 0, above FLT_MAX are inf, NaN stays NaN. Softmax evaluates it at
// x - max <= 0 only.
TH_ALWAYS_INLINE float exp_f32(float x) {
  constexpr float kHi = 88.72f, kLo = -86.6f, kMagic = 12582912.0f;  // magic: 1.5 * 2^23
  const float xc = x < kLo ? kLo : (x > kHi ? kHi : x);
  const float k = xc * 1.44269504088896341f + kMagic;  // round(x / ln2) in the low bits
  const float n = k - kMagic;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const uint32_t kb = __builtin_bit_cast(uint32_t, k);
  const float half_scale = __builtin_bit_cast(float, (kb - 0x4B400000u + 126u) << 23);  // 2^(n-1)
  const float y = (p + p) * half_scale;
  return x < kLo ? 0.0f : (x > kHi ? std::numeric_limits<float>::infinity() : y);
}

template <typename T>
TH_ALWAYS_INLINE T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) return exp_f32(x);
  else return std::exp(x);
}

// The row's max; NaN when the row has one (as Max).
template <typename T>
TH_ALWAYS_INLINE T row_max(const T* x, int64_t n) {
  T mx = x[0];
  int nan = 0;
#pragma omp simd reduction(max : mx) reduction(| : nan)
  for (int64_t j = 0; j < n; ++j) {
    mx = x[j] > mx ? x[j] : mx;
    nan |= x[j] != x[j];
  }
  return nan ? std::numeric_limits<T>::quiet_NaN() : mx;
}

// y = exp(x - mx); returns the sum.
template <typename T>
TH_ALWAYS_INLINE T exp_shifted(const T* x, T mx, T* y, int64_t n) {
  T sum = T(0);
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) {
    y[j] = exp_of(x[j] - mx);
    sum += y[j];
  }
  return sum;
}

// One row: max, shifted exponentials summed, then normalized (or shifted minus log-sum).
template <typename T>
TH_ALWAYS_INLINE void softmax_row(const T* x, T* y, int64_t n, bool log) {
  const T mx = row_max(x, n);
  const T sum = exp_shifted(x, mx, y, n);
  if (log) {
    const T lse = std::log(sum);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mx) - lse;  // not x - (mx + lse): precision
  } else {
    const T inv = T(1) / sum;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

// Rows [b, e), compiled per ISA (common.h): AVX-512 evaluates exp_f32 16 lanes at a time.
template <typename T>
TH_ALWAYS_INLINE void softmax_rows(const T* x, T* y, int64_t b, int64_t e, int64_t n, bool log) {
  for (int64_t r = b; r < e; ++r) softmax_row(x + r * n, y + r * n, n, log);
}
template <typename T>
void softmax_rows_base(const T* x, T* y, int64_t b, int64_t e, int64_t n, bool log) {
  softmax_rows(x, y, b, e, n, log);
}
template <typename T>
TH_TARGET_AVX2 void softmax_rows_avx2(const T* x, T* y, int64_t b, int64_t e, int64_t n,
                                      bool log) {
  softmax_rows(x, y, b, e, n, log);
}
template <typename T>
TH_TARGET_AVX512 void softmax_rows_avx512(const T* x, T* y, int64_t b, int64_t e, int64_t n,
                                          bool log) {
  softmax_rows(x, y, b, e, n, log);
}

void check_rows(const py::array& x, const py::array& out, const char* op) {
  require_contiguous(x, op, "logits");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
  if (x.ndim() < 1) throw py::value_error(std::string(op) + ": logits must be at least 1-D");
  if (shape_of(x) != shape_of(out)) throw py::value_error(std::string(op) + ": shapes differ");
}

void softmax(py::array x, py::array out, bool log) {
  const char* op = log ? "LogSoftmax" : "Softmax";
  check_rows(x, out, op);
  const int64_t n = x.shape(x.ndim() - 1);
  if (x.size() == 0) return;
  const int64_t rows = x.size() / n;
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* po = static_cast<T*>(out.mutable_data());
    // Vector versions only for rows that fill their vectors: the rest of a row runs as scalar
    // code, which costs more in the wider versions (a row of 8 took 0.63 us with AVX-512,
    // 0.27 us with AVX2).
    auto run = &softmax_rows_base<T>;
    const Isa isa = cpu_isa();
    if (isa == Isa::kAvx512 && n >= 16) run = &softmax_rows_avx512<T>;
    else if (isa != Isa::kBaseline && n >= 8) run = &softmax_rows_avx2<T>;
    py::gil_scoped_release release;
    parallel_for(rows, rows * n * 4, [&](int64_t b, int64_t e) { run(px, po, b, e, n, log); });
  });
}

// loss[r] = sum_j labels * (logsumexp - shifted); backprop = softmax - labels.
void softmax_xent(py::array features, py::array labels, py::array loss, py::array backprop) {
  const char* op = "SoftmaxCrossEntropyWithLogits";
  require_contiguous(features, op, "features");
  require_contiguous(labels, op, "labels");
  require_contiguous(loss, op, "loss");
  require_contiguous(backprop, op, "backprop");
  require_writable(loss, op);
  require_writable(backprop, op);
  require_same_dtype(features, labels, op);
  require_same_dtype(features, loss, op);
  require_same_dtype(features, backprop, op);
  const Shape s = shape_of(features);
  if (s.size() != 2 || shape_of(labels) != s || shape_of(backprop) != s ||
      shape_of(loss) != Shape{s[0]})
    throw py::value_error(std::string(op) + ": features and labels must be [batch, classes], "
                          "loss [batch], backprop [batch, classes]");
  const int64_t rows = s[0], n = s[1];
  if (rows == 0) return;
  dispatch_float(dtype_of(features), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(features.data());
    const T* pl = static_cast<const T*>(labels.data());
    T* ploss = static_cast<T*>(loss.mutable_data());
    T* pb = static_cast<T*>(backprop.mutable_data());
    py::gil_scoped_release release;
    parallel_for(rows, rows * n * 4, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T* x = px + r * n;
        const T* l = pl + r * n;
        T* g = pb + r * n;
        if (n == 0) {
          ploss[r] = T(0);
          continue;
        }
        const T mx = row_max(x, n);
        const T sum = exp_shifted(x, mx, g, n);
        const T lse = std::log(sum), inv = T(1) / sum;
        T total = T(0);
#pragma omp simd reduction(+ : total)
        for (int64_t j = 0; j < n; ++j) {
          total += l[j] * (lse - (x[j] - mx));
          g[j] = g[j] * inv - l[j];
        }
        ploss[r] = total;
      }
    });
  });
}

// Labels are class indices; every one is checked before anything is written.
template <typename L>
void check_labels(const L* labels, int64_t rows, int64_t n, const char* op) {
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] >= 0 && labels[r] < n) continue;
    std::string msg = "Received a label value of " + std::to_string(labels[r]) +
                      " which is outside the valid range of [0, " + std::to_string(n) +
                      ").  Label values:";
    const int64_t shown = rows < 1000 ? rows : 1000;
    for (int64_t i = 0; i < shown; ++i) msg += " " + std::to_string(labels[i]);
    if (shown < rows) msg += " ...";
    invalid_argument(msg, op);
  }
}

void sparse_softmax_xent(py::array features, py::array labels, py::array loss,
                         py::array backprop) {
  const char* op = "SparseSoftmaxCrossEntropyWithLogits";
  require_contiguous(features, op, "features");
  require_contiguous(labels, op, "labels");
  require_contiguous(loss, op, "loss");
  require_contiguous(backprop, op, "backprop");
  require_writable(loss, op);
  require_writable(backprop, op);
  require_same_dtype(features, loss, op);
  require_same_dtype(features, backprop, op);
  const Shape s = shape_of(features);
  if (s.size() != 2 || shape_of(labels) != Shape{s[0]} || shape_of(backprop) != s ||
      shape_of(loss) != Shape{s[0]})
    throw py::value_error(std::string(op) + ": features must be [batch, classes], labels and "
                          "loss [batch], backprop [batch, classes]");
  const int64_t rows = s[0], n = s[1];
  if (rows == 0) return;
  dispatch_float(dtype_of(features), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    dispatch_index(dtype_of(labels), op, [&](auto* ltag) {
      using L = std::remove_pointer_t<decltype(ltag)>;
      const T* px = static_cast<const T*>(features.data());
      const L* pl = static_cast<const L*>(labels.data());
      T* ploss = static_cast<T*>(loss.mutable_data());
      T* pb = static_cast<T*>(backprop.mutable_data());
      py::gil_scoped_release release;
      check_labels(pl, rows, n, op);
      parallel_for(rows, rows * n * 4, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const T* x = px + r * n;
          T* g = pb + r * n;
          const T mx = row_max(x, n);
          const T sum = exp_shifted(x, mx, g, n);
          const T lse = std::log(sum), inv = T(1) / sum;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) g[j] *= inv;
          const int64_t label = static_cast<int64_t>(pl[r]);
          g[label] -= T(1);
          ploss[r] = lse - (x[label] - mx);
        }
      });
    });
  });
}

}  // namespace

void init_softmax(py::module_& m) {
  m.def("softmax", &softmax, py::arg("x"), py::arg("out"), py::arg("log") = false);
  m.def("softmax_xent", &softmax_xent, py::arg("features"), py::arg("labels"), py::arg("loss"),
        py::arg("backprop"));
  m.def("sparse_softmax_xent", &sparse_softmax_xent, py::arg("features"), py::arg("labels"),
        py::arg("loss"), py::arg("backprop"));
}

}  // namespace th
