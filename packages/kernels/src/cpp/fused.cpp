// FusedElementwise: a small program of unary and binary elementwise ops evaluated in one pass.
//
// A tensorhouse op, not a TF op: the ops layer's graph optimizer collapses chains of
// elementwise ops into one node. The program is SSA: instruction k writes register k, from
// an input, a scalar constant, or a unary / binary op of earlier registers. All vector inputs
// and every output have one shape; shape-() inputs (and constants) broadcast.
//
// Scalar registers are computed once per call. Vector registers are evaluated tile by tile
// (kTile elements): each instruction is one straight loop over the tile, so the values of a
// chain stay in a few cache-resident buffers instead of one full memory pass per op. Register
// buffers are reused once their last reader has run, and a register that is an output is
// written straight into the output buffer. The scalar math is the single kernels' own
// (elementwise_ops.h), so a fused chain gives the bits the separate kernels give.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"
#include "elementwise_ops.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace th {
namespace {

constexpr int64_t kTile = 512;
constexpr int kStackRegs = 16;  // register buffers kept on the stack; more go to the heap

// Op codes: the single kernels' (elementwise_ops.h), whose unary ops and non-comparison binary
// ops are FUSED_UNARY / FUSED_BINARY in opdefs.py, in that order (a test checks it).
using namespace ew;  // NOLINT: the op codes and their math
constexpr int kFusedBinaryCount = kRelu6Grad + 1;  // the binary ops before the comparisons
const char* const kUnaryNames[] = {
    "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p",
    "Reciprocal", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Relu", "Floor", "Ceil", "Erf",
    "Round", "Elu", "Selu", "Softplus", "Relu6"};
const char* const kBinaryNames[] = {
    "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow",
    "ReluGrad", "SigmoidGrad", "TanhGrad", "FloorDiv", "FloorMod", "EluGrad", "SeluGrad",
    "SoftplusGrad", "Relu6Grad"};
static_assert(sizeof(kUnaryNames) / sizeof(kUnaryNames[0]) == kUnaryCount);
static_assert(sizeof(kBinaryNames) / sizeof(kBinaryNames[0]) == kFusedBinaryCount);

// ---- one loop per (op, operand kinds): straight maps the compiler can vectorize ---------------

template <typename T>
using UnaryFn = void (*)(const T*, T*, int64_t);
template <typename T>
using BinaryFn = void (*)(const T*, const T*, T*, int64_t);

namespace base {
#include "fused_loops.h"
}  // namespace base

// The same loops for AVX2 (8 floats per instruction), chosen at run time where the CPU has it.
// No FMA: a contracted a * b + c would round once where the single kernels round twice.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TH_FUSED_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
#include "fused_loops.h"
}  // namespace avx2
#pragma GCC pop_options
#endif

#ifdef TH_FUSED_AVX2
namespace avx2_or_base = avx2;
#else
namespace avx2_or_base = base;
#endif

inline bool use_avx2() {
#ifdef TH_FUSED_AVX2
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
#else
  return false;
#endif
}

// ---- the plan: where each register lives, and the vector steps of one tile -------------------

enum Kind : int64_t { kInput = 0, kConst = 1, kUnaryOp = 2, kBinaryOp = 3 };

// A register's place: a scalar (`scalar` holds it), a whole array (`array` + tile offset, for
// vector inputs and registers written straight into an output), or a tile buffer (`slot`).
template <typename T>
struct Loc {
  int where = 0;  // 0 scalar, 1 array, 2 slot
  T* array = nullptr;
  int slot = -1;
};

template <typename T>
struct Step {
  UnaryFn<T> unary = nullptr;
  BinaryFn<T> binary = nullptr;
  int a = -1, b = -1, out = -1;  // registers
};

template <typename T>
struct Plan {
  std::vector<Loc<T>> loc;
  std::vector<T> scalar;
  std::vector<Step<T>> steps;
  std::vector<int> fill;  // per output: -1 written in place, else the register to copy
  int slots = 0;
};

[[noreturn]] void bad_program(const std::string& msg) {
  throw py::value_error("FusedElementwise: " + msg);
}

template <typename T>
Plan<T> make_plan(const int64_t* code, int64_t n, const double* consts, const int64_t* outs,
                  int64_t n_out, const std::vector<py::array>& inputs,
                  const std::vector<bool>& in_scalar, std::vector<py::array>& outputs) {
  Plan<T> p;
  p.loc.resize(n);
  p.scalar.assign(n, T(0));
  std::vector<int64_t> last(n, -1);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t* c = code + 4 * k;
    const int64_t nargs = c[0] == kUnaryOp ? 1 : c[0] == kBinaryOp ? 2 : 0;
    for (int64_t j = 0; j < nargs; ++j) {
      const int64_t r = c[2 + j];
      if (r < 0 || r >= k) bad_program("instruction " + std::to_string(k) + " reads register " +
                                       std::to_string(r) + ", not an earlier one");
      last[r] = k;
    }
  }
  for (int64_t j = 0; j < n_out; ++j) {
    if (outs[j] < 0 || outs[j] >= n) bad_program("output register out of range");
    last[outs[j]] = n;  // live to the end
  }
  // An output register computed by a vector step is written into its (first) output buffer.
  std::vector<int> direct(n, -1);
  p.fill.assign(n_out, -1);
  std::vector<int> free_slots;
  std::vector<bool> owns(n, false);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t* c = code + 4 * k;
    Loc<T>& l = p.loc[k];
    switch (c[0]) {
      case kInput: {
        const int64_t i = c[1];
        if (i < 0 || i >= static_cast<int64_t>(inputs.size()))
          bad_program("instruction " + std::to_string(k) + " loads input " + std::to_string(i) +
                      " of " + std::to_string(inputs.size()));
        T* data = static_cast<T*>(const_cast<void*>(inputs[i].data()));
        if (in_scalar[i]) p.scalar[k] = *data;
        else l.where = 1, l.array = data;
        continue;
      }
      case kConst: p.scalar[k] = T(consts[k]); continue;
      case kUnaryOp:
      case kBinaryOp: break;
      default: bad_program("unknown instruction kind " + std::to_string(c[0]));
    }
    const bool is_unary = c[0] == kUnaryOp;
    const int op = static_cast<int>(c[1]);
    if (op < 0 || op >= (is_unary ? int(kUnaryCount) : kFusedBinaryCount))
      bad_program("unknown op code " + std::to_string(op));
    const int a = static_cast<int>(c[2]), b = is_unary ? a : static_cast<int>(c[3]);
    const bool sa = p.loc[a].where == 0, sb = p.loc[b].where == 0;
    if (sa && sb) {  // scalar: computed once, here
      p.scalar[k] = is_unary ? unary_apply<T>(op, p.scalar[a])
                             : arith<T>(op, p.scalar[a], p.scalar[b]);
      continue;
    }
    Step<T> s;
    s.a = a, s.b = b, s.out = static_cast<int>(k);
    const auto useq = std::make_integer_sequence<int, kUnaryCount>{};
    const auto bseq = std::make_integer_sequence<int, kFusedBinaryCount>{};
    const int kind = sa ? 2 : sb ? 1 : 0;
    if (is_unary)
      s.unary = use_avx2() ? avx2_or_base::unary_fn<T>(op, useq) : base::unary_fn<T>(op, useq);
    else
      s.binary = use_avx2() ? avx2_or_base::binary_fn<T>(op, kind, bseq)
                            : base::binary_fn<T>(op, kind, bseq);
    // Buffers whose last reader is this step are free for its result (an elementwise loop may
    // write where it reads).
    for (int r : {a, b}) {
      if (owns[r] && last[r] == k) {
        owns[r] = false;
        free_slots.push_back(p.loc[r].slot);
      }
    }
    int out_index = -1;
    for (int64_t j = 0; j < n_out && out_index < 0; ++j)
      if (outs[j] == k) out_index = static_cast<int>(j);
    if (out_index >= 0) {
      l.where = 1, l.array = static_cast<T*>(outputs[out_index].mutable_data());
      direct[k] = out_index;
    } else {
      l.where = 2;
      if (free_slots.empty()) {
        l.slot = p.slots++;
      } else {
        l.slot = free_slots.back();
        free_slots.pop_back();
      }
      owns[k] = true;
      if (last[k] < 0) {  // never read: its buffer is free again right away
        owns[k] = false;
        free_slots.push_back(l.slot);
      }
    }
    p.steps.push_back(s);
  }
  for (int64_t j = 0; j < n_out; ++j)
    p.fill[j] = direct[outs[j]] == static_cast<int>(j) ? -1 : static_cast<int>(outs[j]);
  return p;
}

template <typename T>
void run_tiles(const Plan<T>& p, std::vector<T*>& out_data, int64_t n, int64_t t0, int64_t t1,
               T* buf) {
  const size_t nregs = p.loc.size();
  std::vector<const T*> ptr_storage;
  const T* stack_ptrs[64];
  const T** ptr = stack_ptrs;
  if (nregs > 64) {
    ptr_storage.resize(nregs);
    ptr = ptr_storage.data();
  }
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t base = t * kTile, len = std::min(kTile, n - base);
    for (size_t r = 0; r < nregs; ++r) {
      const Loc<T>& l = p.loc[r];
      ptr[r] = l.where == 0 ? &p.scalar[r] : l.where == 1 ? l.array + base : buf + l.slot * kTile;
    }
    for (const Step<T>& s : p.steps) {
      T* y = const_cast<T*>(ptr[s.out]);
      if (s.unary) s.unary(ptr[s.a], y, len);
      else s.binary(ptr[s.a], ptr[s.b], y, len);
    }
    for (size_t j = 0; j < p.fill.size(); ++j) {
      const int r = p.fill[j];
      if (r < 0) continue;
      T* o = out_data[j] + base;
      if (p.loc[r].where == 0) std::fill(o, o + len, p.scalar[r]);
      else std::memcpy(o, ptr[r], sizeof(T) * len);
    }
  }
}

void fused(py::array_t<int64_t, py::array::c_style | py::array::forcecast> code,
           py::array_t<double, py::array::c_style | py::array::forcecast> consts,
           py::array_t<int64_t, py::array::c_style | py::array::forcecast> outs,
           std::vector<py::array> inputs, std::vector<py::array> outputs) {
  const char* name = "FusedElementwise";
  if (code.ndim() != 2 || code.shape(1) != 4) bad_program("code must be [n, 4]");
  const int64_t n_instr = code.shape(0);
  if (consts.size() != n_instr) bad_program("consts must have one entry per instruction");
  if (outs.size() != static_cast<int64_t>(outputs.size()))
    bad_program("got " + std::to_string(outputs.size()) + " output buffers for " +
                std::to_string(outs.size()) + " output registers");
  if (inputs.empty() || outputs.empty()) bad_program("needs at least one input and one output");
  for (auto& x : inputs) require_contiguous(x, name, "input");
  for (auto& o : outputs) {
    require_contiguous(o, name, "output");
    require_writable(o, name);
    require_same_dtype(o, outputs[0], name);
  }
  const DType dt = dtype_of(outputs[0]);
  const Shape shape = shape_of(outputs[0]);
  const int64_t n = outputs[0].size();
  for (auto& o : outputs)
    if (shape_of(o) != shape) bad_program("outputs must all have one shape");
  std::vector<bool> in_scalar(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    require_same_dtype(inputs[i], outputs[0], name);
    const Shape s = shape_of(inputs[i]);
    in_scalar[i] = s != shape;
    if (in_scalar[i] && !s.empty())
      bad_program("input " + std::to_string(i) + " has shape " + shape_str(s) +
                  "; inputs must have the output shape " + shape_str(shape) + " or be scalars");
  }
  dispatch_float(dt, name, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    Plan<T> plan = make_plan<T>(code.data(), n_instr, consts.data(), outs.data(), outs.size(),
                                inputs, in_scalar, outputs);
    std::vector<T*> out_data(outputs.size());
    for (size_t j = 0; j < outputs.size(); ++j)
      out_data[j] = static_cast<T*>(outputs[j].mutable_data());
    if (n == 0) return;
    const int64_t tiles = (n + kTile - 1) / kTile;
    const int64_t work = n * static_cast<int64_t>(std::max<size_t>(plan.steps.size(), 1));
    int nt = threads_for(work);
    if (nt > tiles) nt = static_cast<int>(tiles);
    const int slots = plan.slots;
    auto run = [&](int64_t t0, int64_t t1) {
      if (slots <= kStackRegs) {
        alignas(64) T buf[kStackRegs * kTile];
        run_tiles<T>(plan, out_data, n, t0, t1, buf);
      } else {
        std::vector<T> heap(static_cast<size_t>(slots) * kTile);
        run_tiles<T>(plan, out_data, n, t0, t1, heap.data());
      }
    };
    if (tiles == 1) {  // one tile: keeping the GIL is cheaper than releasing it
      run(0, 1);
      return;
    }
    py::gil_scoped_release release;
    if (nt <= 1) {
      run(0, tiles);
      return;
    }
    RegionTimer timer;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; ++t) {
      timer.arrive(t);
      run(tiles * t / nt, tiles * (t + 1) / nt);
    }
  });
}

}  // namespace

void init_fused(py::module_& m) {
  m.def("fused", &fused, py::arg("code"), py::arg("consts"), py::arg("outputs_regs"),
        py::arg("inputs"), py::arg("outputs"),
        "Run a FusedElementwise program: code [n, 4] int64 rows (kind, a, b, c), one float64 "
        "constant per row, the output registers, the input and output arrays.");
  py::list u, b;
  for (const char* s : kUnaryNames) u.append(s);
  for (const char* s : kBinaryNames) b.append(s);
  m.attr("FUSED_UNARY_OPS") = py::tuple(u);
  m.attr("FUSED_BINARY_OPS") = py::tuple(b);
  m.attr("FUSED_TILE") = kTile;
}

}  // namespace th
