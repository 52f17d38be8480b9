// Fused multi-tensor optimizer updates: one call updates every variable of a step (the
// FusedApply* ops). Inputs come in groups of n arrays (the variables, each slot, the
// gradients), outputs in groups of n (the new variables and slots); scalars are 0-d arrays of
// the variables' dtype, so one traced graph serves every step. Each element is computed with
// the operations, in the order, that Keras 3's per-variable update runs as single ops (the file
// is compiled without FMA contraction), so results equal the op-by-op path bit for bit.
// Optional decoupled weight decay first: w = w - (w * wd) * lr for the variables marked.
// Threads split the total element count of all variables.
#include <algorithm>
#include <cmath>

#include "common.h"

namespace th {
namespace {

enum Kind { kSGD, kAdam, kRMSProp, kAdagrad, kAdamax, kNadam, kLion, kFtrl, kAdadelta };

template <typename T>
struct Segment {
  const T* in[5];  // the variable, its slots, its gradient
  T* out[4];       // the new variable, its new slots
  bool decay;
};

template <typename T>
inline T max_nan(T a, T b) {  // as the Maximum kernel: NaN in either operand propagates
  return (a > b || a != a) ? a : b;
}

template <typename T>
inline T min_nan(T a, T b) {  // as the Minimum kernel
  return (a < b || a != a) ? a : b;
}

template <typename T>
inline T sign_of(T x) {  // as the Sign kernel: NaN stays NaN
  return x != x ? x : T((T(0) < x) - (x < T(0)));
}

// Runs body(segment, lo, hi) over [0, total) of the concatenated variables, split by thread.
template <typename T, typename Body>
void drive(const std::vector<Segment<T>>& segs, const std::vector<int64_t>& offs, int streams,
           Body&& body) {
  const int64_t total = offs.back();
  parallel_for(total, total * streams, [&](int64_t b, int64_t e) {
    size_t s = std::upper_bound(offs.begin(), offs.end(), b) - offs.begin() - 1;
    for (; s < segs.size() && offs[s] < e; ++s) {
      const int64_t lo = std::max(b, offs[s]) - offs[s];
      const int64_t hi = std::min(e, offs[s + 1]) - offs[s];
      if (lo < hi) body(segs[s], lo, hi);
    }
  });
}

constexpr int num_slots(int kind, int flags) {  // -1: no such kind
  return kind < 0 || kind > kAdadelta ? -1
         : kind == kSGD                 ? (flags & 1 ? 1 : 0)
         : kind == kAdam                ? (flags & 1 ? 3 : 2)
         : kind == kRMSProp             ? 1 + (flags & 1 ? 1 : 0) + (flags & 2 ? 1 : 0)
         : kind == kAdagrad || kind == kLion ? 1
                                        : 2;  // Adamax, Nadam, Ftrl, Adadelta
}

// The element loops, one per kind, over restrict pointer parameters with the flags and the
// decay as template arguments, so they vectorize; optional slots are null where the flags leave
// them out. An output is a fresh buffer or exactly the input it replaces (a variable updated in
// place): each element's inputs are read before its outputs are written and no loop reads an
// input after writing the output that may share its memory (test_optim_kernels.py checks the
// bits of both against each other).
#define TH_DECAYED(x) (DECAY ? (x) - ((x) * wd) * lr : (x))

template <typename T, int FLAGS, bool DECAY>
TH_ALWAYS_INLINE void sgd_loop(const T* __restrict w, const T* __restrict m,
                               const T* __restrict g, T* __restrict wo, T* __restrict mo,
                               const T* sc, T wd, int64_t n) {
  const T lr = sc[0], mom = sc[1];
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (!(FLAGS & 1)) {
      wo[i] = TH_DECAYED(w[i]) - g[i] * lr;
    } else {
      const T m1 = m[i] * mom - g[i] * lr;
      mo[i] = m1;
      if constexpr (FLAGS & 2) wo[i] = TH_DECAYED(w[i]) + (m1 * mom - g[i] * lr);
      else wo[i] = TH_DECAYED(w[i]) + m1;
    }
  }
}

template <typename T, int FLAGS, bool DECAY>
TH_ALWAYS_INLINE void adam_loop(const T* __restrict w, const T* __restrict m,
                                const T* __restrict v, const T* __restrict vh,
                                const T* __restrict g, T* __restrict wo, T* __restrict mo,
                                T* __restrict vo, T* __restrict vho, const T* sc, T wd,
                                int64_t n) {
  const T lr = sc[0], alpha = sc[1], c1 = sc[2], c2 = sc[3], eps = sc[4];
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T m1 = m[i] + (gi - m[i]) * c1;
    const T v1 = v[i] + (gi * gi - v[i]) * c2;
    T d = v1;
    if constexpr (FLAGS & 1) {  // amsgrad
      d = max_nan(vh[i], v1);
      vho[i] = d;
    }
    mo[i] = m1;
    vo[i] = v1;
    wo[i] = TH_DECAYED(w[i]) - (m1 * alpha) / (T(std::sqrt(d)) + eps);
  }
}

template <typename T, int FLAGS, bool DECAY>
TH_ALWAYS_INLINE void rmsprop_loop(const T* __restrict w, const T* __restrict v,
                                   const T* __restrict m, const T* __restrict a,
                                   const T* __restrict g, T* __restrict wo, T* __restrict vo,
                                   T* __restrict mo, T* __restrict ao, const T* sc, T wd,
                                   int64_t n) {
  const T lr = sc[0], rho = sc[1], crho = sc[2], eps = sc[3], mom = sc[4];
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T v1 = v[i] * rho + (gi * gi) * crho;
    vo[i] = v1;
    T den = v1;
    if constexpr (FLAGS & 2) {  // centered
      const T a1 = a[i] * rho + gi * crho;
      ao[i] = a1;
      den = v1 - a1 * a1;
    }
    const T inc = (lr * gi) / T(std::sqrt(den + eps));
    if constexpr (FLAGS & 1) {  // momentum
      const T m1 = m[i] * mom + inc;
      mo[i] = m1;
      wo[i] = TH_DECAYED(w[i]) - m1;
    } else {
      wo[i] = TH_DECAYED(w[i]) - inc;
    }
  }
}

template <typename T, bool DECAY>
TH_ALWAYS_INLINE void adagrad_loop(const T* __restrict w, const T* __restrict a,
                                   const T* __restrict g, T* __restrict wo, T* __restrict ao,
                                   const T* sc, T wd, int64_t n) {
  const T lr = sc[0], eps = sc[1];
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T a1 = a[i] + gi * gi;
    ao[i] = a1;
    wo[i] = TH_DECAYED(w[i]) - (lr * gi) / T(std::sqrt(a1 + eps));
  }
}

// The kinds below have two slots (Lion one) and no flags: one loop shape serves them all.
template <typename T, int KIND, bool DECAY>
TH_ALWAYS_INLINE void two_slot_loop(const T* __restrict w, const T* __restrict a,
                                    const T* __restrict b, const T* __restrict g,
                                    T* __restrict wo, T* __restrict ao, T* __restrict bo,
                                    const T* sc, T wd, int64_t n) {
  const T lr = sc[0];
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i], wi = TH_DECAYED(w[i]);
    if constexpr (KIND == kAdamax) {  // a: momentum, b: norm
      const T c1 = sc[1], b2 = sc[2], cb = sc[3], eps = sc[4];
      const T m1 = a[i] + (gi - a[i]) * c1;
      const T u1 = max_nan(b[i] * b2, gi < T(0) ? -gi : gi);
      ao[i] = m1;
      bo[i] = u1;
      wo[i] = wi - (lr * m1) / (cb * (u1 + eps));
    } else if constexpr (KIND == kNadam) {  // a: momentum, b: velocity
      const T c1 = sc[1], c2 = sc[2], mu1 = sc[3], p1 = sc[4], cmu = sc[5], p0 = sc[6];
      const T cb2 = sc[7], eps = sc[8];
      const T m1 = a[i] + (gi - a[i]) * c1;
      const T v1 = b[i] + (gi * gi - b[i]) * c2;
      ao[i] = m1;
      bo[i] = v1;
      const T m_hat = (mu1 * m1) / p1 + (cmu * gi) / p0;
      wo[i] = wi - (m_hat * lr) / (T(std::sqrt(v1 / cb2)) + eps);
    } else if constexpr (KIND == kLion) {  // a: momentum
      const T b1 = sc[1], cb1 = sc[2], b2 = sc[3], cb2 = sc[4];
      wo[i] = wi - lr * sign_of(a[i] * b1 + gi * cb1);
      ao[i] = a[i] * b2 + gi * cb2;
    } else if constexpr (KIND == kFtrl) {  // a: accumulator, b: linear
      const T shrink2 = sc[1], power = sc[2], l1 = sc[3], l2x2 = sc[4];
      const T n1 = a[i] + gi * gi;
      const T pn = T(std::pow(n1, power)), po = T(std::pow(a[i], power));
      const T z1 = b[i] + ((gi + shrink2 * wi) - ((pn - po) / lr) * wi);
      ao[i] = n1;
      bo[i] = z1;
      wo[i] = (min_nan(max_nan(z1, -l1), l1) - z1) / (pn / lr + l2x2);
    } else {  // Adadelta; a: accumulated gradient, b: accumulated delta
      const T rho = sc[1], crho = sc[2], eps = sc[3];
      const T a1 = rho * a[i] + crho * (gi * gi);
      const T d = -(T(std::sqrt(b[i] + eps)) * gi) / T(std::sqrt(a1 + eps));
      ao[i] = a1;
      bo[i] = rho * b[i] + crho * (d * d);
      wo[i] = wi + lr * d;
    }
  }
}
#undef TH_DECAYED

// One variable's elements [lo, hi): its slots' pointers in the order of num_slots.
template <typename T, int KIND, int FLAGS, bool DECAY>
TH_ALWAYS_INLINE void update_rows(const Segment<T>& s, const T* sc, T wd, int64_t lo,
                                  int64_t hi) {
  const int64_t n = hi - lo;
  constexpr int k = num_slots(KIND, FLAGS);
  auto in = [&](int j) -> const T* { return j <= k + 1 ? s.in[j] + lo : nullptr; };
  auto out = [&](int j) -> T* { return j <= k ? s.out[j] + lo : nullptr; };
  const T* g = s.in[k + 1] + lo;
  if constexpr (KIND == kSGD) {
    sgd_loop<T, FLAGS, DECAY>(in(0), k ? in(1) : nullptr, g, out(0), k ? out(1) : nullptr, sc,
                              wd, n);
  } else if constexpr (KIND == kAdam) {
    const bool ams = FLAGS & 1;
    adam_loop<T, FLAGS, DECAY>(in(0), in(1), in(2), ams ? in(3) : nullptr, g, out(0), out(1),
                               out(2), ams ? out(3) : nullptr, sc, wd, n);
  } else if constexpr (KIND == kRMSProp) {
    const bool momentum = FLAGS & 1, centered = FLAGS & 2;
    const int ai = momentum ? 3 : 2;
    rmsprop_loop<T, FLAGS, DECAY>(in(0), in(1), momentum ? in(2) : nullptr,
                                  centered ? in(ai) : nullptr, g, out(0), out(1),
                                  momentum ? out(2) : nullptr, centered ? out(ai) : nullptr, sc,
                                  wd, n);
  } else if constexpr (KIND == kAdagrad) {
    adagrad_loop<T, DECAY>(in(0), in(1), g, out(0), out(1), sc, wd, n);
  } else {
    two_slot_loop<T, KIND, DECAY>(in(0), in(1), k > 1 ? in(2) : nullptr, g, out(0), out(1),
                                  k > 1 ? out(2) : nullptr, sc, wd, n);
  }
}

template <typename T>
using RowFn = void (*)(const Segment<T>&, const T*, T, int64_t, int64_t);

#define TH_OPTIM_PARAMS (const Segment<T>& s, const T* sc, T wd, int64_t lo, int64_t hi)
template <typename T, int K, int F, bool D>
void rows_base TH_OPTIM_PARAMS { update_rows<T, K, F, D>(s, sc, wd, lo, hi); }
template <typename T, int K, int F, bool D>
TH_TARGET_AVX2 void rows_avx2 TH_OPTIM_PARAMS { update_rows<T, K, F, D>(s, sc, wd, lo, hi); }
template <typename T, int K, int F, bool D>
TH_TARGET_AVX512 void rows_avx512 TH_OPTIM_PARAMS { update_rows<T, K, F, D>(s, sc, wd, lo, hi); }
#undef TH_OPTIM_PARAMS

template <typename T, int K, int F, bool D>
RowFn<T> pick() {
  return by_isa<RowFn<T>>(&rows_avx512<T, K, F, D>, &rows_avx2<T, K, F, D>,
                          &rows_base<T, K, F, D>);
}

template <typename T, int K, int F>
void run_kind(const std::vector<Segment<T>>& segs, const std::vector<int64_t>& offs,
              const std::vector<T>& sc, int streams) {
  const RowFn<T> with_decay = pick<T, K, F, true>(), plain = pick<T, K, F, false>();
  const T wd = sc.back();
  drive(segs, offs, streams, [&](const Segment<T>& s, int64_t lo, int64_t hi) {
    (s.decay ? with_decay : plain)(s, sc.data(), wd, lo, hi);
  });
}

template <typename T>
void run(int kind, int flags, const std::vector<Segment<T>>& segs,
         const std::vector<int64_t>& offs, const std::vector<T>& sc) {
  const int streams = 2 * num_slots(kind, flags) + 3;
  switch (kind * 4 + (flags & 3)) {
    case kSGD * 4 + 0:
    case kSGD * 4 + 2: return run_kind<T, kSGD, 0>(segs, offs, sc, streams);  // no momentum
    case kSGD * 4 + 1: return run_kind<T, kSGD, 1>(segs, offs, sc, streams);
    case kSGD * 4 + 3: return run_kind<T, kSGD, 3>(segs, offs, sc, streams);
    case kAdam * 4 + 0:
    case kAdam * 4 + 2: return run_kind<T, kAdam, 0>(segs, offs, sc, streams);
    case kAdam * 4 + 1:
    case kAdam * 4 + 3: return run_kind<T, kAdam, 1>(segs, offs, sc, streams);
    case kRMSProp * 4 + 0: return run_kind<T, kRMSProp, 0>(segs, offs, sc, streams);
    case kRMSProp * 4 + 1: return run_kind<T, kRMSProp, 1>(segs, offs, sc, streams);
    case kRMSProp * 4 + 2: return run_kind<T, kRMSProp, 2>(segs, offs, sc, streams);
    case kRMSProp * 4 + 3: return run_kind<T, kRMSProp, 3>(segs, offs, sc, streams);
    case kAdagrad * 4: return run_kind<T, kAdagrad, 0>(segs, offs, sc, streams);
    case kAdamax * 4: return run_kind<T, kAdamax, 0>(segs, offs, sc, streams);
    case kNadam * 4: return run_kind<T, kNadam, 0>(segs, offs, sc, streams);
    case kLion * 4: return run_kind<T, kLion, 0>(segs, offs, sc, streams);
    case kFtrl * 4: return run_kind<T, kFtrl, 0>(segs, offs, sc, streams);
    default: return run_kind<T, kAdadelta, 0>(segs, offs, sc, streams);
  }
}

// ins: (k + 2) groups of n arrays, outs: (k + 1) groups of n, scalars: 0-d arrays. Output j
// is a fresh buffer or input j itself; it overlaps no other input.
void fused_apply(int kind, int flags, const std::vector<py::array>& ins,
                 const std::vector<py::array>& outs, const std::vector<py::array>& scalars,
                 const std::vector<bool>& decay) {
  const char* op = "FusedApply";
  const int k = num_slots(kind, flags);
  if (k < 0) throw py::value_error("fused_apply: unknown optimizer kind " + std::to_string(kind));
  const size_t n = decay.size();
  if (ins.size() != (k + 2) * n || outs.size() != (k + 1) * n)
    throw py::value_error("fused_apply: expected " + std::to_string((k + 2) * n) + " inputs and " +
                          std::to_string((k + 1) * n) + " outputs for " + std::to_string(n) +
                          " variables, got " + std::to_string(ins.size()) + " and " +
                          std::to_string(outs.size()));
  const size_t want_scalars[] = {3, 6, 6, 3, 6, 10, 6, 6, 5};
  if (scalars.size() != want_scalars[kind])
    throw py::value_error("fused_apply: expected " + std::to_string(want_scalars[kind]) +
                          " scalars, got " + std::to_string(scalars.size()));
  if (n == 0) return;
  const DType dt = dtype_of(ins[0]);
  dispatch_float(dt, op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    std::vector<T> sc;
    for (const auto& a : scalars) {
      if (dtype_of(a) != dt || a.size() != 1)
        throw py::value_error("fused_apply: scalars must be single values of the variables' dtype");
      sc.push_back(static_cast<const T*>(a.data())[0]);
    }
    std::vector<Segment<T>> segs(n);
    std::vector<int64_t> offs(n + 1, 0);
    for (size_t v = 0; v < n; ++v) {
      const int64_t size = ins[v].size();
      for (int j = 0; j < k + 2; ++j) {
        const py::array& a = ins[j * n + v];
        require_contiguous(a, op, "input");
        if (dtype_of(a) != dt || a.size() != size)
          throw py::value_error("fused_apply: every input of a variable needs its size and dtype");
        segs[v].in[j] = static_cast<const T*>(a.data());
      }
      for (int j = 0; j < k + 1; ++j) {
        py::array a = outs[j * n + v];
        require_contiguous(a, op, "output");
        require_writable(a, op);
        if (dtype_of(a) != dt || a.size() != size)
          throw py::value_error("fused_apply: every output of a variable needs its size and dtype");
        segs[v].out[j] = static_cast<T*>(a.mutable_data());
      }
      segs[v].decay = decay[v];
      offs[v + 1] = offs[v] + size;
    }
    py::gil_scoped_release nogil;
    run<T>(kind, flags, segs, offs, sc);
  });
}

}  // namespace

void init_optim(py::module_& m) {
  m.def("fused_apply", &fused_apply, py::arg("kind"), py::arg("flags"), py::arg("ins"),
        py::arg("outs"), py::arg("scalars"), py::arg("decay"),
        "One optimizer step for many variables (kinds: SGD, Adam, RMSprop, Adagrad, Adamax, Nadam, "
        "Lion, Ftrl, Adadelta).");
}

}  // namespace th
