// Kernels driven by index tensors: GatherV2, GatherNd, ScatterNd, UnsortedSegmentSum, OneHot,
// Where (the indices of true elements) and Range. Every index is checked before any output
// is written; a bad one raises TF's InvalidArgumentError naming it.
#include <algorithm>
#include <cstring>

#include "common.h"

namespace th {
namespace {

// ---- GatherV2 (batch_dims=0): params (outer, N, inner), indices (M) -> (outer, M, inner) ----
template <typename I>
void check_gather_indices(const I* idx, int64_t m, int64_t limit, const Shape& ishape) {
  for (int64_t i = 0; i < m; ++i)
    if (idx[i] < 0 || idx[i] >= limit)
      invalid_argument("indices" + index_str(ishape, i) + " = " + std::to_string(idx[i]) +
                           " is not in [0, " + std::to_string(limit) + ")",
                       "GatherV2");
}

void gather(py::array params, py::array indices, int64_t axis, py::array out) {
  const char* op = "GatherV2";
  require_contiguous(params, op, "params");
  require_contiguous(indices, op, "indices");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(params, out, op);
  const Shape ps = shape_of(params), is = shape_of(indices);
  axis = checked_axis(axis, ps.size(), op);
  const AxisSplit s = split_at(ps, axis);
  Shape expect(ps.begin(), ps.begin() + axis);
  expect.insert(expect.end(), is.begin(), is.end());
  expect.insert(expect.end(), ps.begin() + axis + 1, ps.end());
  if (shape_of(out) != expect)
    throw py::value_error("GatherV2: output shape must be " + shape_str(expect));
  const int64_t m = indices.size();
  const size_t item = params.dtype().itemsize();
  const char* pp = static_cast<const char*>(params.data());
  char* po = static_cast<char*>(out.mutable_data());
  dispatch_index(dtype_of(indices), op, [&](auto* tag) {
    using I = std::remove_pointer_t<decltype(tag)>;
    const I* pi = static_cast<const I*>(indices.data());
    py::gil_scoped_release release;
    check_gather_indices(pi, m, s.n, is);
    if (out.size() == 0) return;
    const size_t row = static_cast<size_t>(s.inner) * item;
    parallel_for(s.outer * m, s.outer * m * s.inner, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / m, j = t % m;
        std::memcpy(po + t * row, pp + (o * s.n + static_cast<int64_t>(pi[j])) * row, row);
      }
    });
  });
}

// ---- GatherNd / ScatterNd: index tuples of length K into the leading K dims ----------------
// Flat offsets (in slices of the trailing dims) of every index tuple, checked against `dims`.
template <typename I>
bool nd_offsets(const I* idx, int64_t count, const Shape& dims, std::vector<int64_t>& offs,
                int64_t* bad) {
  const int64_t k = static_cast<int64_t>(dims.size());
  offs.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < k; ++d) {
      const int64_t v = static_cast<int64_t>(idx[i * k + d]);
      if (v < 0 || v >= dims[d]) {
        *bad = i;
        return false;
      }
      off = off * dims[d] + v;
    }
    offs[i] = off;
  }
  return true;
}

template <typename I>
std::string tuple_str(const I* idx, int64_t i, int64_t k) {
  std::string s = "[";
  for (int64_t d = 0; d < k; ++d) s += (d ? ", " : "") + std::to_string(idx[i * k + d]);
  return s + "]";
}

// The flat offsets of the index tuples (batch..., k) into `lead` (the first k dims of `dims`),
// or TF's InvalidArgumentError naming the first tuple outside `dims`.
template <typename I>
std::vector<int64_t> nd_offsets_checked(const I* idx, const Shape& batch, const Shape& lead,
                                        const Shape& dims, const char* what, const char* op) {
  std::vector<int64_t> offs;
  int64_t bad = 0;
  if (!nd_offsets(idx, product(batch), lead, offs, &bad))
    invalid_argument("indices" + index_str(batch, bad) + " = " +
                         tuple_str(idx, bad, static_cast<int64_t>(lead.size())) +
                         " does not index into " + what + " " + shape_str(dims),
                     op);
  return offs;
}

// ScatterNd / TensorScatterUpdate: indices (batch..., k) address the first k dims of the
// output shape `os`, and updates must be batch + os[k:]. Returns batch.
Shape scatter_batch(const char* op, const Shape& is, const Shape& us, const Shape& os) {
  const std::string name(op);
  if (is.empty()) throw py::value_error(name + ": indices must be at least 1-D");
  const int64_t k = is.back();
  if (k > static_cast<int64_t>(os.size()))
    throw py::value_error(name + ": index length exceeds the output rank");
  const Shape batch(is.begin(), is.end() - 1);
  Shape expect = batch;
  expect.insert(expect.end(), os.begin() + k, os.end());
  if (us != expect) throw py::value_error(name + ": updates shape must be " + shape_str(expect));
  return batch;
}

void gather_nd(py::array params, py::array indices, py::array out) {
  const char* op = "GatherNd";
  require_contiguous(params, op, "params");
  require_contiguous(indices, op, "indices");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(params, out, op);
  const Shape ps = shape_of(params), is = shape_of(indices);
  if (is.empty()) throw py::value_error("GatherNd: indices must be at least 1-D");
  const int64_t k = is.back();
  if (k > static_cast<int64_t>(ps.size()))
    throw py::value_error("GatherNd: index length exceeds the params rank");
  const Shape batch(is.begin(), is.end() - 1), lead(ps.begin(), ps.begin() + k);
  Shape expect = batch;
  expect.insert(expect.end(), ps.begin() + k, ps.end());
  if (shape_of(out) != expect)
    throw py::value_error("GatherNd: output shape must be " + shape_str(expect));
  const int64_t count = product(batch);
  const size_t slice = static_cast<size_t>(product(ps, k)) * params.dtype().itemsize();
  const char* pp = static_cast<const char*>(params.data());
  char* po = static_cast<char*>(out.mutable_data());
  dispatch_index(dtype_of(indices), op, [&](auto* tag) {
    using I = std::remove_pointer_t<decltype(tag)>;
    const I* pi = static_cast<const I*>(indices.data());
    py::gil_scoped_release release;
    const std::vector<int64_t> offs = nd_offsets_checked(pi, batch, lead, ps, "param shape", op);
    if (slice == 0) return;
    parallel_for(count, count * static_cast<int64_t>(slice), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::memcpy(po + i * slice, pp + offs[i] * slice, slice);
    });
  });
}

// Sums updates into a zeroed output at the index tuples (duplicates add up, as TF). The
// slices are added in index order; threads split the slice's columns, so sums never depend
// on the thread count. Bools add by OR (TF's bool ScatterNd).
void scatter_nd(py::array indices, py::array updates, py::array out) {
  const char* op = "ScatterNd";
  require_contiguous(indices, op, "indices");
  require_contiguous(updates, op, "updates");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(updates, out, op);
  const Shape is = shape_of(indices), os = shape_of(out);
  const Shape batch = scatter_batch(op, is, shape_of(updates), os);
  const int64_t k = is.back();
  const Shape lead(os.begin(), os.begin() + k);
  const int64_t count = product(batch), slice = product(os, k);
  dispatch_all(dtype_of(updates), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pu = static_cast<const T*>(updates.data());
    T* po = static_cast<T*>(out.mutable_data());
    const int64_t total = out.size();
    dispatch_index(dtype_of(indices), op, [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      const I* pi = static_cast<const I*>(indices.data());
      py::gil_scoped_release release;
      const std::vector<int64_t> offs = nd_offsets_checked(pi, batch, lead, os, "shape", op);
      std::fill(po, po + total, T(0));
      parallel_for(slice, count * slice, [&](int64_t cb, int64_t ce) {
        for (int64_t i = 0; i < count; ++i) {
          T* dst = po + offs[i] * slice;
          const T* src = pu + i * slice;
          if constexpr (std::is_same_v<T, bool>) {
            for (int64_t c = cb; c < ce; ++c) dst[c] = dst[c] || src[c];
          } else {
            for (int64_t c = cb; c < ce; ++c) dst[c] = wrap_add(dst[c], src[c]);
          }
        }
      });
    });
  });
}

// TensorScatterUpdate: out = tensor with the slices at the index tuples replaced by updates,
// in index order (with duplicate indices the last update wins, every run). Any dtype: slices
// move as bytes.
void tensor_scatter_update(py::array tensor, py::array indices, py::array updates,
                           py::array out) {
  const char* op = "TensorScatterUpdate";
  require_contiguous(tensor, op, "tensor");
  require_contiguous(indices, op, "indices");
  require_contiguous(updates, op, "updates");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(tensor, out, op);
  require_same_dtype(updates, out, op);
  const Shape ts = shape_of(tensor), is = shape_of(indices);
  if (shape_of(out) != ts)
    throw py::value_error("TensorScatterUpdate: output shape must be " + shape_str(ts));
  const Shape batch = scatter_batch(op, is, shape_of(updates), ts);
  const int64_t k = is.back();
  const Shape lead(ts.begin(), ts.begin() + k);
  const int64_t count = product(batch);
  const size_t item = static_cast<size_t>(out.dtype().itemsize());
  const size_t slice = static_cast<size_t>(product(ts, k)) * item;
  const char* pt = static_cast<const char*>(tensor.data());
  const char* pu = static_cast<const char*>(updates.data());
  char* po = static_cast<char*>(out.mutable_data());
  const size_t total = static_cast<size_t>(out.size()) * item;
  dispatch_index(dtype_of(indices), op, [&](auto* itag) {
    using I = std::remove_pointer_t<decltype(itag)>;
    const I* pi = static_cast<const I*>(indices.data());
    py::gil_scoped_release release;
    const std::vector<int64_t> offs = nd_offsets_checked(pi, batch, lead, ts, "shape", op);
    if (total && po != pt) std::memmove(po, pt, total);
    if (slice == 0) return;
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(po + static_cast<size_t>(offs[i]) * slice, pu + static_cast<size_t>(i) * slice,
                  slice);
  });
}

// ---- UnsortedSegmentSum: data (M, inner) summed into (num_segments, inner) -------------------
// Negative segment ids are dropped (as TF); ids >= num_segments are an error.
void unsorted_segment_sum(py::array data, py::array ids, py::array out) {
  const char* op = "UnsortedSegmentSum";
  require_contiguous(data, op, "data");
  require_contiguous(ids, op, "segment_ids");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(data, out, op);
  const Shape ds = shape_of(data), is = shape_of(ids), os = shape_of(out);
  if (is.size() > ds.size() || !std::equal(is.begin(), is.end(), ds.begin()) || os.empty())
    throw py::value_error("UnsortedSegmentSum: data shape must start with segment_ids shape");
  const int64_t m = ids.size(), inner = product(ds, is.size()), segments = os[0];
  if (product(os, 1) != inner)
    throw py::value_error("UnsortedSegmentSum: output shape must be [num_segments] + "
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
      std::fill(po, po + total, T(0));
      parallel_for(inner, m * inner, [&](int64_t cb, int64_t ce) {
        for (int64_t i = 0; i < m; ++i) {
          if (pi[i] < 0) continue;
          T* dst = po + static_cast<int64_t>(pi[i]) * inner;
          const T* src = pd + i * inner;
          for (int64_t c = cb; c < ce; ++c) dst[c] = wrap_add(dst[c], src[c]);
        }
      });
    });
  });
}

// ---- OneHot: out (outer, depth, inner) from indices (outer, inner) ---------------------------
template <typename To, typename From>
inline To value_as(From v) {
  if constexpr (std::is_same_v<To, bool>) return v != From(0);
  else return static_cast<To>(v);
}

void one_hot(py::array indices, int64_t depth, int64_t axis, double on, double off,
             py::array out) {
  const char* op = "OneHot";
  require_contiguous(indices, op, "indices");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  const Shape is = shape_of(indices);
  if (depth < 0) throw py::value_error("OneHot: depth must be non-negative");
  if (axis < 0 || axis > static_cast<int64_t>(is.size()))
    throw py::value_error("OneHot: axis out of range");
  Shape expect = is;
  expect.insert(expect.begin() + axis, depth);
  if (shape_of(out) != expect) throw py::value_error("OneHot: output shape must be " +
                                                     shape_str(expect));
  const int64_t outer = product(is, 0, axis), inner = product(is, axis);
  const DType idt = dtype_of(indices);
  dispatch_all(dtype_of(out), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    const T von = value_as<T>(on), voff = value_as<T>(off);
    auto run = [&](auto* itag) {
      using I = std::remove_pointer_t<decltype(itag)>;
      const I* pi = static_cast<const I*>(indices.data());
      py::gil_scoped_release release;
      parallel_for(outer, outer * depth * inner, [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          T* dst = po + o * depth * inner;
          std::fill(dst, dst + depth * inner, voff);
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t v = static_cast<int64_t>(pi[o * inner + i]);
            if (v >= 0 && v < depth) dst[v * inner + i] = von;  // others stay off, as TF
          }
        }
      });
    };
    if (idt == DType::kUInt8) run(static_cast<uint8_t*>(nullptr));
    else if (idt == DType::kInt8) run(static_cast<int8_t*>(nullptr));
    else dispatch_index(idt, op, run);
  });
}

// ---- Where: int64 [count, rank] coordinates of the non-zero (true) elements --------------
py::array where(py::array x) {
  const char* op = "Where";
  require_contiguous(x, op, "input");
  const Shape s = shape_of(x);
  const int64_t n = x.size(), rank = static_cast<int64_t>(s.size());
  std::vector<int64_t> hits;
  dispatch_all(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using R = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;  // bools as bytes
    const R* px = static_cast<const R*>(x.data());
    py::gil_scoped_release release;
    for (int64_t i = 0; i < n; ++i)
      if (px[i] != R(0)) hits.push_back(i);
  });
  const int64_t count = static_cast<int64_t>(hits.size());
  py::array_t<int64_t> out({count, rank});
  int64_t* po = out.mutable_data();
  {
    py::gil_scoped_release release;
    for (int64_t h = 0; h < count; ++h) {
      int64_t i = hits[h];
      for (int64_t d = rank; d-- > 0;) {
        po[h * rank + d] = i % s[d];
        i /= s[d];
      }
    }
  }
  return out;
}

// ---- Range: TF's accumulation, value += delta, in the output dtype ---------------------------
void range(py::object start, py::object delta, py::array out) {
  require_contiguous(out, "Range", "output");
  require_writable(out, "Range");
  if (out.ndim() != 1) throw py::value_error("Range: output must be 1-D");
  const int64_t n = out.size();
  dispatch_numeric(dtype_of(out), "Range", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    T v = start.cast<T>();
    const T d = delta.cast<T>();
    py::gil_scoped_release release;
    for (int64_t i = 0; i < n; ++i, v = T(v + d)) po[i] = v;
  });
}

}  // namespace

void init_indexing(py::module_& m) {
  m.def("gather", &gather, py::arg("params"), py::arg("indices"), py::arg("axis"),
        py::arg("out"));
  m.def("gather_nd", &gather_nd, py::arg("params"), py::arg("indices"), py::arg("out"));
  m.def("scatter_nd", &scatter_nd, py::arg("indices"), py::arg("updates"), py::arg("out"));
  m.def("tensor_scatter_update", &tensor_scatter_update, py::arg("tensor"), py::arg("indices"),
        py::arg("updates"), py::arg("out"));
  m.def("unsorted_segment_sum", &unsorted_segment_sum, py::arg("data"), py::arg("segment_ids"),
        py::arg("out"));
  m.def("one_hot", &one_hot, py::arg("indices"), py::arg("depth"), py::arg("axis"),
        py::arg("on"), py::arg("off"), py::arg("out"));
  m.def("where", &where, py::arg("x"));
  m.def("range", &range, py::arg("start"), py::arg("delta"), py::arg("out"));
}

}  // namespace th
