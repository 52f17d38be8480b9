// Strided iteration over an output shape with up to three inputs whose strides may be 0
// (broadcast) or arbitrary (transposed views). Adjacent dims are collapsed first so the
// innermost loop is as long as possible.
#pragma once

#include "common.h"

namespace th {

struct StridedPlan {
  static constexpr size_t kMaxInputs = 3;
  Shape dims;                     // collapsed output dims
  std::vector<Shape> in_strides;  // per input, in elements, aligned to dims
  int64_t total = 1;

  StridedPlan(const Shape& out_shape, std::vector<Shape> strides) : in_strides(std::move(strides)) {
    if (in_strides.size() > kMaxInputs)
      throw py::value_error("StridedPlan: at most " + std::to_string(kMaxInputs) + " inputs");
    const size_t r = out_shape.size();
    for (auto d : out_shape) total *= d;
    // Drop size-1 dims, then merge a dim into the next when every input continues contiguously.
    Shape d;
    std::vector<Shape> s(in_strides.size());
    for (size_t i = 0; i < r; ++i) {
      if (out_shape[i] == 1) continue;
      d.push_back(out_shape[i]);
      for (size_t k = 0; k < in_strides.size(); ++k) s[k].push_back(in_strides[k][i]);
    }
    Shape md;
    std::vector<Shape> ms(s.size());
    for (size_t i = 0; i < d.size(); ++i) {
      bool merge = !md.empty();
      for (size_t k = 0; merge && k < s.size(); ++k)
        merge = ms[k].back() == s[k][i] * d[i];
      if (merge) {
        md.back() *= d[i];
        for (size_t k = 0; k < s.size(); ++k) ms[k].back() = s[k][i];
      } else {
        md.push_back(d[i]);
        for (size_t k = 0; k < s.size(); ++k) ms[k].push_back(s[k][i]);
      }
    }
    if (md.empty()) {  // a scalar or all-ones shape
      md.push_back(1);
      for (auto& v : ms) v.push_back(0);
    }
    dims = std::move(md);
    in_strides = std::move(ms);
  }

  // Calls run(out_offset, in_offsets, length) for each innermost run of [begin, end).
  template <typename Run>
  void for_runs(int64_t begin, int64_t end, Run&& run) const {
    if (begin >= end) return;  // nothing to do (an empty output has a 0 in dims: no % by it)
    const size_t r = dims.size();
    const size_t nin = in_strides.size();
    const int64_t inner = dims[r - 1];
    Shape idx(r, 0);
    int64_t rem = begin;
    for (size_t i = r; i-- > 0;) {
      idx[i] = rem % dims[i];
      rem /= dims[i];
    }
    int64_t offs[kMaxInputs] = {};
    for (size_t k = 0; k < nin; ++k)
      for (size_t i = 0; i < r; ++i) offs[k] += idx[i] * in_strides[k][i];
    int64_t pos = begin;
    while (pos < end) {
      int64_t len = inner - idx[r - 1];
      if (len > end - pos) len = end - pos;
      run(pos, offs, len);
      pos += len;
      // advance the multi-index by len along the last dim, carrying into outer dims
      idx[r - 1] += len;
      for (size_t k = 0; k < nin; ++k) offs[k] += len * in_strides[k][r - 1];
      for (size_t i = r - 1; i > 0 && idx[i] == dims[i]; --i) {
        idx[i] = 0;
        ++idx[i - 1];
        for (size_t k = 0; k < nin; ++k)
          offs[k] += in_strides[k][i - 1] - dims[i] * in_strides[k][i];
      }
    }
  }

  int64_t inner_stride(size_t k) const { return in_strides[k].back(); }

  // Splits the work over threads (when it pays) and calls for_runs on each chunk.
  template <typename Run>
  void parallel_runs(Run&& run) const {
    const int nt = threads_for(total);
    if (nt <= 1) {
      for_runs(0, total, run);
      return;
    }
    RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; ++t) {
      timer.arrive(t);
      const int64_t b = total * t / nt, e = total * (t + 1) / nt;
      for_runs(b, e, run);
    }
  }
};

// Element strides of a C-contiguous array broadcast to out_shape (0 on broadcast dims).
inline Shape broadcast_strides(const Shape& in_shape, const Shape& out_shape) {
  const size_t r = out_shape.size(), ri = in_shape.size();
  Shape strides(r, 0);
  int64_t acc = 1;
  for (size_t j = 0; j < ri; ++j) {
    const size_t i_in = ri - 1 - j, i_out = r - 1 - j;
    strides[i_out] = in_shape[i_in] == 1 ? 0 : acc;
    acc *= in_shape[i_in];
  }
  return strides;
}

}  // namespace th
