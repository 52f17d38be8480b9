// Softmax and LogSoftmax over the last axis; the fused softmax cross-entropy losses, dense and
// sparse labels, each returning the loss and its gradient (backprop) in one pass.
#include <cmath>
#include <limits>

#include "common.h"

namespace th {
namespace {

// float32 Softmax with TF 2.21's bits: on x86 TF runs oneDNN 3.7's JIT softmax, W lanes wide
// (16 with AVX-512, 8 with AVX2), a*b+c one FMA (without FMA units, product and sum in double:
// the same but for rare double roundings; TF's SSE4.1 kernel rounds twice, up to 60 units in
// the last place off, not copied; this file is built with -ffp-contract=off). Its exp, which
// LogSoftmax and the losses use too: n = floor(x*log2(e) + 1/2), r = x - n*ln2 in one FMA, a
// degree-5 polynomial in r by Horner's rule, times 2^(n-1) from the exponent bits, times 2; 0
// below ln(FLT_MIN) and, as TF's flush-to-zero threads give, where p*2^(n-1) is subnormal. GCC
// vectorizes it (-fno-trapping-math lets the selects become blends).
template <bool kFma>
TH_ALWAYS_INLINE float madd(float a, float b, float c) {
  if constexpr (kFma) return __builtin_fmaf(a, b, c);
  else return static_cast<float>(static_cast<double>(a) * b + c);
}

TH_ALWAYS_INLINE float f32(uint32_t bits) { return __builtin_bit_cast(float, bits); }

template <bool kFma>
TH_ALWAYS_INLINE float exp_tf(float x) {
  const float lo = f32(0xc2aeac50u), hi = f32(0x42b17218u);  // ln(FLT_MIN), ln(FLT_MAX)
  const float xc = x > hi ? hi : (x >= lo ? x : lo);  // NaN: lo, so the casts below stay defined
  const float n = std::floor(xc * f32(0x3fb8aa3bu) + 0.5f);
  const float r = madd<kFma>(-n, f32(0x3f317218u), xc);
  float p = f32(0x3c07cfceu);
  p = madd<kFma>(p, r, f32(0x3d2b9d0du));  // written out: a loop here stops GCC vectorizing
  p = madd<kFma>(p, r, f32(0x3e2aad40u));
  p = madd<kFma>(p, r, f32(0x3efffee3u));
  p = madd<kFma>(p, r, f32(0x3f7ffffbu));
  p = madd<kFma>(p, r, 1.0f);
  const int32_t biased = static_cast<int32_t>(n) + 126;  // 2^(n-1): 0 for n = -126
  const float scaled = p * f32(static_cast<uint32_t>(biased) << 23);
  const float y = scaled < std::numeric_limits<float>::min() ? 0.0f : scaled + scaled;
  return x != x ? x : (x < lo ? 0.0f : y);
}

template <typename T, bool kFma>
TH_ALWAYS_INLINE T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) return exp_tf<kFma>(x);
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
template <typename T, bool kFma>
TH_ALWAYS_INLINE T exp_shifted(const T* x, T mx, T* y, int64_t n) {
  T sum = T(0);
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) {
    y[j] = exp_of<T, kFma>(x[j] - mx);
    sum += y[j];
  }
  return sum;
}

// One row of LogSoftmax (or, for double, Softmax): max, shifted exponentials summed, then
// shifted minus log-sum (or normalized).
template <typename T, bool kFma>
TH_ALWAYS_INLINE void softmax_row(const T* x, T* y, int64_t n, bool log) {
  const T mx = row_max(x, n);
  const T sum = exp_shifted<T, kFma>(x, mx, y, n);
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

// exp(x - mx) into y, summed as oneDNN's kernel sums: W-lane vector v adds into accumulator
// v % 4 (the last, partial one into accumulator 0), then (a0 + a1) + (a2 + a3), then the lanes
// pairwise (lane j + lane j ^ k for k = W/2, ..., 1); y *= 1 / sum.
template <int W, bool kFma>
TH_ALWAYS_INLINE void softmax_row_tf(const float* x, float* y, int64_t n) {
  const float mx = row_max(x, n);
  float acc[4][W] = {};
  const int64_t full = n / W;
  for (int64_t v = 0; v <= full; ++v) {
    const int64_t b = v * W, len = v < full ? W : n - b;
    float* a = acc[v < full ? v % 4 : 0];
#pragma omp simd
    for (int64_t j = 0; j < len; ++j) {
      y[b + j] = exp_tf<kFma>(x[b + j] - mx);
      a[j] += y[b + j];
    }
  }
  float lanes[W];
  for (int j = 0; j < W; ++j) lanes[j] = (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]);
  for (int k = W / 2; k >= 1; k /= 2) {
    float t[W];
    for (int j = 0; j < W; ++j) t[j] = lanes[j] + lanes[j ^ k];
    for (int j = 0; j < W; ++j) lanes[j] = t[j];
  }
  const float inv = 1.0f / lanes[0];
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const float v = y[j] * inv;
    y[j] = v < std::numeric_limits<float>::min() ? 0.0f : v;
  }
}

// Rows [b, e), compiled per ISA (common.h): AVX-512 evaluates exp 16 lanes at a time.
template <typename T, int W, bool kFma>
TH_ALWAYS_INLINE void softmax_rows(const T* x, T* y, int64_t b, int64_t e, int64_t n, bool log) {
  for (int64_t r = b; r < e; ++r) {
    if constexpr (std::is_same_v<T, float>)
      if (!log) {
        softmax_row_tf<W, kFma>(x + r * n, y + r * n, n);
        continue;
      }
    softmax_row<T, kFma>(x + r * n, y + r * n, n, log);
  }
}
template <typename T>
void softmax_rows_base(const T* x, T* y, int64_t b, int64_t e, int64_t n, bool log) {
  softmax_rows<T, 8, false>(x, y, b, e, n, log);  // AVX2's bits but for rare double roundings
}
template <typename T>
TH_TARGET_AVX2 void softmax_rows_avx2(const T* x, T* y, int64_t b, int64_t e, int64_t n,
                                      bool log) {
  softmax_rows<T, 8, true>(x, y, b, e, n, log);
}
template <typename T>
TH_TARGET_AVX512 void softmax_rows_avx512(const T* x, T* y, int64_t b, int64_t e, int64_t n,
                                          bool log) {
  softmax_rows<T, 16, true>(x, y, b, e, n, log);
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
    // 0.27 us with AVX2). float32 Softmax's bits depend on the ISA: AVX2's 8 lanes sum a row
    // shorter than 16 as AVX-512's 16 do.
    auto run = &softmax_rows_base<T>;
    const Isa isa = cpu_isa();
    const bool tf_bits = std::is_same_v<T, float> && !log;
    if (isa == Isa::kAvx512 && n >= 16) run = &softmax_rows_avx512<T>;
    else if (isa != Isa::kBaseline && (n >= 8 || tf_bits)) run = &softmax_rows_avx2<T>;
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
        const T sum = exp_shifted<T, false>(x, mx, g, n);
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
          const T sum = exp_shifted<T, false>(x, mx, g, n);
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
