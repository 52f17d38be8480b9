// Reductions over any set of axes: Sum, Prod, Max, Min, Mean, and All / Any on bools (output
// holds the kept dims).
#include <cmath>
#include <limits>

#include "broadcast.h"

namespace th {
namespace {

enum Reduce { kSum, kProd, kMax, kMin, kMean, kAll, kAny, kReduceCount };

template <typename T>
T identity(int kind) {
  switch (kind) {
    case kProd: return T(1);
    case kAll: return T(1);
    case kMax:
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    case kMin:
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::max();
    default: return T(0);
  }
}

template <typename T>
inline T combine(int kind, T acc, T x) {
  switch (kind) {
    case kProd: return wrap_mul(acc, x);
    case kMax: return (x > acc || x != x) ? x : acc;  // NaN propagates, as in TF
    case kMin: return (x < acc || x != x) ? x : acc;
    case kAll: return T(acc != T(0) && x != T(0));
    case kAny: return T(acc != T(0) || x != T(0));
    default: return wrap_add(acc, x);
  }
}

// Accumulator type: double for float sums (accuracy), the element type otherwise.
template <typename T>
using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;

template <typename T>
void reduce_typed(int kind, const T* x, const Shape& in_shape, const std::vector<bool>& reduced,
                  T* out, int64_t out_size) {
  const int k = kind == kMean ? kSum : kind;
  for (int64_t i = 0; i < out_size; ++i) out[i] = identity<T>(k);
  // out strides for each input dim (0 on reduced dims)
  const size_t r = in_shape.size();
  Shape out_strides(r, 0);
  int64_t acc = 1;
  for (size_t i = r; i-- > 0;)
    if (!reduced[i]) {
      out_strides[i] = acc;
      acc *= in_shape[i];
    }
  StridedPlan plan(in_shape, {out_strides});
  if (plan.total > 0) {
    const int64_t so = plan.inner_stride(0);
    auto run = [&](int64_t pos, const int64_t* offs, int64_t len) {
      const T* px = x + pos;
      T* po = out + offs[0];
      if (so == 0) {  // innermost run is reduced: fold it into one value
        Acc<T> a = Acc<T>(*po);
        for (int64_t i = 0; i < len; ++i) a = combine<Acc<T>>(k, a, Acc<T>(px[i]));
        *po = T(a);
      } else {  // innermost run is kept: combine elementwise into out
        for (int64_t i = 0; i < len; ++i) po[i] = combine<T>(k, po[i], px[i]);
      }
    };
    // Threads split the input along the outermost collapsed dim when it is kept, so each
    // thread owns disjoint outputs; otherwise one thread (partials come with issue 4's work).
    const int nt = threads_for(plan.total);
    const bool outer_kept = plan.in_strides[0][0] != 0 && plan.dims.size() > 1;
    if (nt > 1 && outer_kept && plan.dims[0] >= nt) {
      const int64_t outer = plan.dims[0], per = plan.total / outer;
#pragma omp parallel for num_threads(nt) schedule(static)
      for (int t = 0; t < nt; ++t) {
        const int64_t b = outer * t / nt, e = outer * (t + 1) / nt;
        plan.for_runs(b * per, e * per, run);
      }
    } else {
      plan.for_runs(0, plan.total, run);
    }
  }
  if (kind == kMean) {
    int64_t count = 1;
    for (size_t i = 0; i < r; ++i)
      if (reduced[i]) count *= in_shape[i];
    if constexpr (std::is_floating_point_v<T>) {
      const T scale = count ? T(1) / T(count) : std::numeric_limits<T>::quiet_NaN();
      for (int64_t i = 0; i < out_size; ++i) out[i] = count ? out[i] * scale : scale;
    } else {
      for (int64_t i = 0; i < out_size; ++i) out[i] = count ? T(out[i] / T(count)) : T(0);
    }
  }
}

void reduce(int kind, py::array x, std::vector<int64_t> axes, py::array out) {
  if (kind < 0 || kind >= kReduceCount) throw py::value_error("reduce: unknown kind");
  require_contiguous(x, "reduce", "input");
  require_contiguous(out, "reduce", "output");
  require_writable(out, "reduce");
  require_same_dtype(x, out, "reduce");
  const bool logical = kind == kAll || kind == kAny;
  if (logical != (dtype_of(x) == DType::kBool))
    throw py::type_error(logical ? "reduce: All and Any need bool inputs"
                                 : "reduce: unsupported dtype bool");
  const Shape shape = shape_of(x);
  std::vector<bool> reduced(shape.size(), false);
  for (auto a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(shape.size()))
      throw py::value_error("reduce: axis out of range");
    reduced[a] = true;
  }
  int64_t expect = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!reduced[i]) expect *= shape[i];
  if (expect != out.size()) throw py::value_error("reduce: output size does not match kept dims");
  if (logical) {  // bools are bytes: reduce them as uint8 (0 / 1)
    const uint8_t* px = static_cast<const uint8_t*>(x.data());
    uint8_t* po = static_cast<uint8_t*>(out.mutable_data());
    const int64_t n = out.size();
    py::gil_scoped_release release;
    reduce_typed<uint8_t>(kind, px, shape, reduced, po, n);
    return;
  }
  dispatch_numeric(dtype_of(x), "reduce", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* po = static_cast<T*>(out.mutable_data());
    const int64_t n = out.size();
    py::gil_scoped_release release;
    reduce_typed<T>(kind, px, shape, reduced, po, n);
  });
}

}  // namespace

void init_reduce(py::module_& m) {
  m.def("reduce", &reduce, py::arg("kind"), py::arg("x"), py::arg("axes"), py::arg("out"));
  py::dict kinds;
  kinds["Sum"] = int(kSum);
  kinds["Prod"] = int(kProd);
  kinds["Max"] = int(kMax);
  kinds["Min"] = int(kMin);
  kinds["Mean"] = int(kMean);
  kinds["All"] = int(kAll);
  kinds["Any"] = int(kAny);
  m.attr("REDUCE_OPS") = kinds;
}

}  // namespace th
