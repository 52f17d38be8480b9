// Kernels over segment ids, distinct values and sorted sequences: UnsortedSegmentMax / Min /
// Prod, the sorted SegmentSum / Mean / Max / Min / Prod, Unique (with counts), DenseBincount
// and LowerBound / UpperBound (searchsorted). Ids are checked before any output is written; a
// bad one raises TF's InvalidArgumentError with TF's message.
#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "common.h"

namespace th {
namespace {

enum Reduce { kSum = 0, kMean = 1, kMax = 2, kMin = 3, kProd = 4 };

template <typename T>
T identity_of(int kind) {
  if (kind == kMax) return std::numeric_limits<T>::lowest();
  if (kind == kMin) return std::numeric_limits<T>::max();
  if (kind == kProd) return T(1);
  return T(0);
}

template <typename T>
inline T combine(int kind, T a, T b) {
  switch (kind) {
    case kMax: return a < b ? b : a;
    case kMin: return b < a ? b : a;
    case kProd: return wrap_mul(a, b);
    default: return wrap_add(a, b);
  }
}

// ---- UnsortedSegmentMax / Min / Prod: data (M, inner) into (num_segments, inner) ----------
// Empty segments keep the identity (lowest, highest, 1), negative ids are dropped, as TF's.
void unsorted_segment_reduce(int kind, py::array data, py::array ids, py::array out) {
  const char* op = kind == kMax ? "UnsortedSegmentMax"
                   : kind == kMin ? "UnsortedSegmentMin"
                                  : "UnsortedSegmentProd";
  require_contiguous(data, op, "data");
  require_contiguous(ids, op, "segment_ids");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(data, out, op);
  const Shape ds = shape_of(data), is = shape_of(ids), os = shape_of(out);
  if (is.size() > ds.size() || !std::equal(is.begin(), is.end(), ds.begin()) || os.empty())
    throw py::value_error(std::string(op) + ": data shape must start with segment_ids shape");
  const int64_t m = ids.size(), inner = product(ds, is.size()), segments = os[0];
  if (product(os, 1) != inner)
    throw py::value_error(std::string(op) + ": output shape must be [num_segments] + "
                                            "data.shape[segment_ids.ndim:]");
  dispatch_numeric(dtype_of(data), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pd = static_cast<const T*>(data.data());
    T* po = static_cast<T*>(out.mutable_data());
    const int64_t total = out.size();
    dispatch_index(dtype_of(ids), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      const I* pi = static_cast<const I*>(ids.data());
      py::gil_scoped_release release;
      for (int64_t i = 0; i < m; ++i)
        if (pi[i] >= segments)
          invalid_argument("segment_ids" + index_str(is, i) + " = " + std::to_string(pi[i]) +
                               " is out of range [0, " + std::to_string(segments) + ")",
                           op);
      std::fill(po, po + total, identity_of<T>(kind));
      parallel_for(inner, m * inner, [&](int64_t cb, int64_t ce) {
        for (int64_t i = 0; i < m; ++i) {
          if (pi[i] < 0) continue;
          T* dst = po + static_cast<int64_t>(pi[i]) * inner;
          const T* src = pd + i * inner;
          for (int64_t c = cb; c < ce; ++c) dst[c] = combine(kind, dst[c], src[c]);
        }
      });
    });
  });
}

// ---- SegmentSum / Mean / Max / Min / Prod: sorted ids over data's first axis ---------------
// The output has ids[-1] + 1 rows; a missing id gives 0 (1 for Prod), as TF's.
py::array segment_reduce(int kind, py::array data, py::array ids) {
  static const char* names[] = {"SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin",
                                "SegmentProd"};
  const char* op = names[kind];
  require_contiguous(data, op, "data");
  require_contiguous(ids, op, "segment_ids");
  const Shape ds = shape_of(data);
  if (ids.ndim() != 1 || ds.empty() || ds[0] != ids.shape(0))
    throw py::value_error(std::string(op) + ": segment_ids must be 1-D with data.shape[0] ids");
  const int64_t m = ids.size(), inner = product(ds, 1);
  int64_t rows = 0;
  dispatch_index(dtype_of(ids), op, [&](auto* itag) {
    using I = std::remove_pointer_t<decltype(itag)>;
    const I* pi = static_cast<const I*>(ids.data());
    rows = m ? static_cast<int64_t>(pi[m - 1]) + 1 : 0;
    for (int64_t i = 1; i < m; ++i)  // TF checks the order before the range
      if (pi[i] < pi[i - 1]) invalid_argument("segment ids are not increasing", op);
    if (m && pi[0] < 0)
      invalid_argument("Segment id " + std::to_string(pi[0]) + " out of range [0, " +
                           std::to_string(rows) +
                           "), possibly because 'segment_ids' input is not sorted.",
                       op);
  });
  Shape os = ds;
  os[0] = rows;
  py::array out(data.dtype(), os);
  if (out.size() == 0) return out;
  dispatch_numeric(dtype_of(data), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pd = static_cast<const T*>(data.data());
    T* po = static_cast<T*>(out.mutable_data());
    dispatch_index(dtype_of(ids), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      const I* pi = static_cast<const I*>(ids.data());
      py::gil_scoped_release release;
      std::fill(po, po + rows * inner, kind == kProd ? T(1) : T(0));
      int64_t i = 0;
      while (i < m) {  // one run of equal ids at a time
        int64_t j = i + 1;
        while (j < m && pi[j] == pi[i]) ++j;
        T* dst = po + static_cast<int64_t>(pi[i]) * inner;
        std::memcpy(dst, pd + i * inner, sizeof(T) * inner);
        for (int64_t r = i + 1; r < j; ++r) {
          const T* src = pd + r * inner;
          for (int64_t c = 0; c < inner; ++c) dst[c] = combine(kind, dst[c], src[c]);
        }
        if (kind == kMean)
          for (int64_t c = 0; c < inner; ++c) dst[c] = static_cast<T>(dst[c] / T(j - i));
        i = j;
      }
    });
  });
  return out;
}

// ---- Unique / UniqueWithCounts: the distinct values of a 1-D x in order of first appearance --
// Values compare as numbers: 0.0 and -0.0 are one value, every NaN is its own, as TF's.
py::tuple unique(py::array x, bool idx64) {
  const char* op = "Unique";
  require_contiguous(x, op, "input");
  if (x.ndim() != 1) invalid_argument("unique expects a 1D vector.", op);
  const int64_t n = x.size();
  py::array idx = idx64 ? py::array(py::array_t<int64_t>(n)) : py::array(py::array_t<int32_t>(n));
  py::tuple result;
  dispatch_all(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    std::vector<int64_t> first, count, where(n);
    {
      py::gil_scoped_release release;
      std::unordered_map<T, int64_t> seen;
      seen.reserve(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        auto it = seen.find(px[i]);
        if (it == seen.end() || px[i] != px[i]) {  // a NaN never equals an earlier one
          const int64_t k = static_cast<int64_t>(first.size());
          if (px[i] == px[i]) seen.emplace(px[i], k);
          first.push_back(i);
          count.push_back(1);
          where[i] = k;
        } else {
          where[i] = it->second;
          ++count[it->second];
        }
      }
    }
    const int64_t u = static_cast<int64_t>(first.size());
    py::array y(x.dtype(), Shape{u});
    T* py_ = static_cast<T*>(y.mutable_data());
    for (int64_t k = 0; k < u; ++k) py_[k] = px[first[k]];
    py::array counts = idx64 ? py::array(py::array_t<int64_t>(u))
                             : py::array(py::array_t<int32_t>(u));
    dispatch_index(dtype_of(idx), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      I* pi = static_cast<I*>(idx.mutable_data());
      I* pc = static_cast<I*>(counts.mutable_data());
      for (int64_t i = 0; i < n; ++i) pi[i] = static_cast<I>(where[i]);
      for (int64_t k = 0; k < u; ++k) pc[k] = static_cast<I>(count[k]);
    });
    result = py::make_tuple(y, idx, counts);
  });
  return result;
}

// ---- DenseBincount: arr [n] or [rows, n] counted into out [size] or [rows, size] -----------
// Values >= size are dropped; weights (empty: none) add their value instead of 1; binary_output
// writes 1 for any count. A negative value is TF's error.
void dense_bincount(py::array arr, py::array weights, bool binary, py::array out) {
  const char* op = "DenseBincount";
  require_contiguous(arr, op, "arr");
  require_contiguous(weights, op, "weights");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  const bool weighted = weights.size() > 0;
  if (weighted && shape_of(weights) != shape_of(arr))
    throw py::value_error("DenseBincount: weights must have arr's shape");
  if (arr.ndim() > 2 || out.ndim() != std::max<int64_t>(arr.ndim(), 1))
    throw py::value_error("DenseBincount: arr must be 1-D or 2-D, out of the same rank");
  const int64_t rows = arr.ndim() == 2 ? arr.shape(0) : 1;
  const int64_t cols = arr.ndim() == 2 ? arr.shape(1) : arr.size();
  const int64_t size = out.shape(out.ndim() - 1);
  if (arr.ndim() == 2 && out.shape(0) != rows)
    throw py::value_error("DenseBincount: out must have arr's rows");
  dispatch_numeric(dtype_of(out), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    const T* pw = weighted ? static_cast<const T*>(weights.data()) : nullptr;
    if (weighted) require_same_dtype(weights, out, op);
    dispatch_index(dtype_of(arr), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      const I* pa = static_cast<const I*>(arr.data());
      py::gil_scoped_release release;
      for (int64_t i = 0; i < rows * cols; ++i)
        if (pa[i] < 0) invalid_argument("Input arr must be non-negative!", op);
      // rows in parallel, each zeroed by the thread that counts into it
      parallel_for(rows, rows * (cols + size), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
          T* dst = po + r * size;
          std::fill(dst, dst + size, T(0));
          for (int64_t c = 0; c < cols; ++c) {
            const int64_t i = r * cols + c, v = static_cast<int64_t>(pa[i]);
            if (v >= size) continue;
            if (binary) dst[v] = T(1);
            else dst[v] = wrap_add(dst[v], weighted ? pw[i] : T(1));
          }
        }
      });
    });
  });
}

// ---- LowerBound / UpperBound: for each row, where values would go in sorted_inputs ---------
void search_sorted(py::array sorted, py::array values, py::array out, bool right) {
  const char* op = right ? "UpperBound" : "LowerBound";
  require_contiguous(sorted, op, "sorted_inputs");
  require_contiguous(values, op, "values");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(sorted, values, op);
  if (sorted.ndim() != 2 || values.ndim() != 2 || sorted.shape(0) != values.shape(0) ||
      shape_of(out) != shape_of(values))
    throw py::value_error(std::string(op) + ": need [B, N] sorted inputs and [B, M] values");
  const int64_t rows = sorted.shape(0), n = sorted.shape(1), m = values.shape(1);
  dispatch_numeric(dtype_of(sorted), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* ps = static_cast<const T*>(sorted.data());
    const T* pv = static_cast<const T*>(values.data());
    dispatch_index(dtype_of(out), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      I* po = static_cast<I*>(out.mutable_data());
      py::gil_scoped_release release;
      parallel_for(rows * m, rows * m * 8, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const T* row = ps + (t / m) * n;
          const T* at = right ? std::upper_bound(row, row + n, pv[t])
                              : std::lower_bound(row, row + n, pv[t]);
          po[t] = static_cast<I>(at - row);
        }
      });
    });
  });
}

}  // namespace

void init_segment(py::module_& m) {
  m.def("unsorted_segment_reduce", &unsorted_segment_reduce, py::arg("kind"), py::arg("data"),
        py::arg("segment_ids"), py::arg("out"),
        "UnsortedSegmentMax (2) / Min (3) / Prod (4) into out [num_segments, ...].");
  m.def("segment_reduce", &segment_reduce, py::arg("kind"), py::arg("data"),
        py::arg("segment_ids"), "Segment Sum (0) / Mean / Max / Min / Prod (4) over sorted ids.");
  m.def("unique", &unique, py::arg("x"), py::arg("idx64"),
        "Unique of a 1-D array: (y, idx, count) in order of first appearance.");
  m.def("dense_bincount", &dense_bincount, py::arg("arr"), py::arg("weights"),
        py::arg("binary_output"), py::arg("out"), "DenseBincount of 1-D or 2-D arr into out.");
  m.def("search_sorted", &search_sorted, py::arg("sorted_inputs"), py::arg("values"),
        py::arg("out"), py::arg("right"), "LowerBound / UpperBound over rows.");
}

}  // namespace th
