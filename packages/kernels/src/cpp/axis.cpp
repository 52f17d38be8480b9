// Kernels along one axis, on a shape seen as (outer, n, inner): ArgMax / ArgMin, Cumsum /
// Cumprod, and TopKV2 (last axis).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "common.h"

namespace th {
namespace {

// Calls fn(o, i_begin, i_end) for the (outer x inner) columns in [b, e), one segment per
// outer index, so a kernel can walk n in its outer loop and a run of inner columns inside.
template <typename Fn>
void for_column_segments(int64_t b, int64_t e, int64_t inner, Fn&& fn) {
  while (b < e) {
    const int64_t o = b / inner, i0 = b % inner;
    const int64_t i1 = std::min(inner, i0 + (e - b));
    fn(o, i0, i1);
    b += i1 - i0;
  }
}

// ---- ArgMax / ArgMin -----------------------------------------------------------------------
// The first extreme wins; a NaN counts as the extreme (as NumPy, and as Max / Min here).

// One contiguous row: a vectorized pass finds the extreme (and any NaN), a second the first
// index holding it.
template <bool IsMax, typename T>
int64_t arg_row(const T* x, int64_t n) {
  T best = x[0];
  int nan = 0;
  if constexpr (IsMax) {
#pragma omp simd reduction(max : best) reduction(| : nan)
    for (int64_t j = 0; j < n; ++j) {
      best = x[j] > best ? x[j] : best;
      nan |= x[j] != x[j];
    }
  } else {
#pragma omp simd reduction(min : best) reduction(| : nan)
    for (int64_t j = 0; j < n; ++j) {
      best = x[j] < best ? x[j] : best;
      nan |= x[j] != x[j];
    }
  }
  int64_t j = 0;
  if (nan)
    while (x[j] == x[j]) ++j;
  else
    while (x[j] != best) ++j;
  return j;
}

template <bool IsMax, typename T, typename I>
void arg_typed(const T* x, AxisSplit s, I* out) {
  const int64_t cols = s.outer * s.inner;
  parallel_for(cols, cols * s.n, [&](int64_t b, int64_t e) {
    std::vector<T> best;
    for_column_segments(b, e, s.inner, [&](int64_t o, int64_t i0, int64_t i1) {
      const T* base = x + o * s.n * s.inner;
      I* po = out + o * s.inner;
      if (s.inner == 1) {
        po[0] = static_cast<I>(arg_row<IsMax>(base, s.n));
        return;
      }
      best.assign(base + i0, base + i1);
      T* pb = best.data() - i0;
      for (int64_t i = i0; i < i1; ++i) po[i] = 0;
      for (int64_t j = 1; j < s.n; ++j) {
        const T* row = base + j * s.inner;
#pragma omp simd
        for (int64_t i = i0; i < i1; ++i) {
          const T v = row[i], cur = pb[i];
          const bool take = cur == cur && (v != v || (IsMax ? v > cur : v < cur));
          pb[i] = take ? v : cur;
          po[i] = take ? I(j) : po[i];
        }
      }
    });
  });
}

void arg_reduce(bool is_max, py::array x, int64_t axis, py::array out) {
  const char* op = is_max ? "ArgMax" : "ArgMin";
  require_contiguous(x, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  const Shape shape = shape_of(x);
  axis = checked_axis(axis, shape.size(), op);
  const AxisSplit s = split_at(shape, axis);
  if (out.size() != s.outer * s.inner)
    throw py::value_error(std::string(op) + ": output size does not match the kept dims");
  if (out.size() == 0) return;
  if (s.n == 0) throw py::value_error(std::string(op) + ": the reduced axis is empty");
  dispatch_numeric(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    dispatch_index(dtype_of(out), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      I* po = static_cast<I*>(out.mutable_data());
      py::gil_scoped_release release;
      if (is_max) arg_typed<true, T, I>(px, s, po);
      else arg_typed<false, T, I>(px, s, po);
    });
  });
}

// ---- Cumsum / Cumprod ------------------------------------------------------------------------
template <typename T>
void cumulative_typed(bool prod, const T* x, AxisSplit s, bool exclusive, bool reverse, T* out) {
  const int64_t cols = s.outer * s.inner;
  const T ident = prod ? T(1) : T(0);
  parallel_for(cols, cols * s.n, [&](int64_t b, int64_t e) {
    std::vector<T> acc;
    for_column_segments(b, e, s.inner, [&](int64_t o, int64_t i0, int64_t i1) {
      acc.assign(i1 - i0, ident);
      const int64_t base = o * s.n * s.inner;
      for (int64_t step = 0; step < s.n; ++step) {
        const int64_t j = reverse ? s.n - 1 - step : step;
        const T* row = x + base + j * s.inner;
        T* orow = out + base + j * s.inner;
        for (int64_t i = i0; i < i1; ++i) {
          T& a = acc[i - i0];
          if (exclusive) orow[i] = a;
          a = prod ? wrap_mul(a, row[i]) : wrap_add(a, row[i]);
          if (!exclusive) orow[i] = a;
        }
      }
    });
  });
}

void cumulative(bool prod, py::array x, int64_t axis, bool exclusive, bool reverse,
                py::array out) {
  const char* op = prod ? "Cumprod" : "Cumsum";
  require_contiguous(x, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
  const Shape shape = shape_of(x);
  if (shape != shape_of(out)) throw py::value_error(std::string(op) + ": output shape differs");
  axis = checked_axis(axis, shape.size(), op);
  const AxisSplit s = split_at(shape, axis);
  if (x.size() == 0) return;
  dispatch_numeric(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    cumulative_typed<T>(prod, px, s, exclusive, reverse, po);
  });
}

// ---- TopKV2 -----------------------------------------------------------------------------------
// Largest first; equal values keep the lower index first (as TF); NaN ranks above everything.
template <typename T>
void top_k_typed(const T* x, int64_t rows, int64_t n, int64_t k, T* values, int32_t* indices) {
  parallel_for(rows, rows * n, [&](int64_t b, int64_t e) {
    std::vector<int32_t> idx(n);
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * n;
      std::iota(idx.begin(), idx.end(), 0);
      auto before = [row](int32_t p, int32_t q) {
        const T a = row[p], c = row[q];
        const bool an = a != a, cn = c != c;
        if (an != cn) return an;
        if (!an && a != c) return a > c;
        return p < q;
      };
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        values[r * k + j] = row[idx[j]];
        indices[r * k + j] = idx[j];
      }
    }
  });
}

void top_k(py::array x, int64_t k, py::array values, py::array indices) {
  const char* op = "TopKV2";
  require_contiguous(x, op, "input");
  require_contiguous(values, op, "values");
  require_contiguous(indices, op, "indices");
  require_writable(values, op);
  require_writable(indices, op);
  require_same_dtype(x, values, op);
  if (dtype_of(indices) != DType::kInt32) throw py::type_error("TopKV2: indices must be int32");
  const Shape shape = shape_of(x);
  if (shape.empty()) throw py::value_error("TopKV2: input must be at least 1-D");
  const int64_t n = shape.back();
  if (k < 0 || k > n) throw py::value_error("TopKV2: k out of range");
  if (n > INT32_MAX) throw py::value_error("TopKV2: last dim too large for int32 indices");
  Shape out_shape = shape;
  out_shape.back() = k;
  if (shape_of(values) != out_shape || shape_of(indices) != out_shape)
    throw py::value_error("TopKV2: output shapes must be " + shape_str(out_shape));
  const int64_t rows = n ? x.size() / n : product(shape, 0, shape.size() - 1);
  if (rows == 0 || k == 0) return;
  dispatch_numeric(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* pv = static_cast<T*>(values.mutable_data());
    int32_t* pi = static_cast<int32_t*>(indices.mutable_data());
    py::gil_scoped_release release;
    top_k_typed<T>(px, rows, n, k, pv, pi);
  });
}

}  // namespace

void init_axis(py::module_& m) {
  m.def("arg_reduce", &arg_reduce, py::arg("is_max"), py::arg("x"), py::arg("axis"),
        py::arg("out"));
  m.def("cumulative", &cumulative, py::arg("prod"), py::arg("x"), py::arg("axis"),
        py::arg("exclusive"), py::arg("reverse"), py::arg("out"));
  m.def("top_k", &top_k, py::arg("x"), py::arg("k"), py::arg("values"), py::arg("indices"));
}

}  // namespace th
