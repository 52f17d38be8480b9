// Shared helpers for the CPU kernels: dtype switching, validation, threading policy.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

namespace th {

using Shape = std::vector<int64_t>;

// Element types the kernels instantiate, identified by NumPy kind + item size.
enum class DType { kBool, kUInt8, kInt8, kInt16, kInt32, kInt64, kFloat32, kFloat64, kOther };

inline DType dtype_of(const py::array& a) {
  const auto dt = a.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f') return size == 4 ? DType::kFloat32 : size == 8 ? DType::kFloat64 : DType::kOther;
  if (kind == 'i')
    return size == 4   ? DType::kInt32
           : size == 8 ? DType::kInt64
           : size == 1 ? DType::kInt8
           : size == 2 ? DType::kInt16
                       : DType::kOther;
  if (kind == 'u') return size == 1 ? DType::kUInt8 : DType::kOther;
  if (kind == 'b') return DType::kBool;
  return DType::kOther;
}

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

inline Shape shape_of(const py::array& a) {
  Shape s(a.ndim());
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s[i] = a.shape(i);
  return s;
}

inline std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// Kernels require C-contiguous buffers; the Python side guarantees it, this is the safety net.
inline void require_contiguous(const py::array& a, const char* op, const char* what) {
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(op) + ": " + what + " must be C-contiguous");
}

inline void require_writable(const py::array& a, const char* op) {
  if (!a.writeable()) throw py::value_error(std::string(op) + ": output buffer is read-only");
}

inline void require_same_dtype(const py::array& a, const py::array& b, const char* op) {
  if (!a.dtype().is(b.dtype()) && dtype_of(a) != dtype_of(b))
    throw py::value_error(std::string(op) + ": dtype mismatch " + dtype_name(a) + " vs " +
                          dtype_name(b));
}

// Integer arithmetic wraps around (two's complement, as TF's kernels behave) instead of
// overflowing, which is undefined behaviour in C++; floats are untouched.
template <typename T, bool = std::is_integral_v<T> && std::is_signed_v<T>>
struct WrapTypeOf {
  using type = T;
};
template <typename T>
struct WrapTypeOf<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using WrapType = typename WrapTypeOf<T>::type;

template <typename T>
inline T wrap_add(T a, T b) {
  return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
}
template <typename T>
inline T wrap_sub(T a, T b) {
  return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
}
template <typename T>
inline T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(unsigned)) {
    return static_cast<T>(static_cast<unsigned>(a) * static_cast<unsigned>(b));  // no promotion
  } else {
    return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
  }
}
template <typename T>
inline T wrap_neg(T a) {
  if constexpr (std::is_floating_point_v<T>) return -a;  // keeps -0.0
  else return wrap_sub(T(0), a);
}

// ---- runtime ISA dispatch ---------------------------------------------------------------
// The module is built for the x86-64 baseline (never -march=native: one wheel runs on every
// x86-64 CPU). Hot loops are compiled a second and third time for AVX2 + FMA and for AVX-512
// (TH_TARGET_* on a wrapper around an always-inline body), and one version is picked per
// process from cpuid. TENSORHOUSE_CPU_ISA=avx2|baseline caps the choice (tests run every
// version that way). Elsewhere (aarch64, other compilers, or built with -DTH_NO_MULTIVERSION)
// only the baseline version exists.
enum class Isa { kBaseline = 0, kAvx2 = 1, kAvx512 = 2 };

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(TH_NO_MULTIVERSION)
#define TH_X86_DISPATCH 1
#define TH_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,bmi,bmi2,popcnt")))
#define TH_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c,bmi,bmi2,popcnt")))
#else
#define TH_X86_DISPATCH 0
#define TH_TARGET_AVX2
#define TH_TARGET_AVX512
#endif
#define TH_ALWAYS_INLINE inline __attribute__((always_inline))

inline Isa detect_isa() {
  Isa best = Isa::kBaseline;
#if TH_X86_DISPATCH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::kAvx2;
  if (best == Isa::kAvx2 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq"))
    best = Isa::kAvx512;
#endif
  const char* cap = std::getenv("TENSORHOUSE_CPU_ISA");
  if (cap && std::strcmp(cap, "baseline") == 0) best = Isa::kBaseline;
  if (cap && std::strcmp(cap, "avx2") == 0 && best > Isa::kAvx2) best = Isa::kAvx2;
  return best;
}

// The version in use, decided on the first call.
inline Isa cpu_isa() {
  static const Isa isa = detect_isa();
  return isa;
}

inline const char* isa_name(Isa isa) {
  return isa == Isa::kAvx512 ? "avx512" : isa == Isa::kAvx2 ? "avx2" : "baseline";
}

// Picks one of three versions of a function (pointers or tables) for this CPU.
template <typename F>
inline F by_isa(F avx512, F avx2, F baseline) {
  const Isa isa = cpu_isa();
  return isa == Isa::kAvx512 ? avx512 : isa == Isa::kAvx2 ? avx2 : baseline;
}

// Threads only pay above this many elements; small tensors stay on one thread.
constexpr int64_t kParallelMin = 1 << 15;

int num_threads();
void set_num_threads(int n);

// The contention guard. On a machine whose cores are busy with other processes, an OpenMP
// helper thread can start a region a scheduler time slice (milliseconds) late, and a region that
// would save microseconds costs milliseconds: the traced LSTM of bench_layers.py took 0.5-1.0 s
// on two threads with the machine's load at 7, against 0.09 s on one. So each region measures
// how late its helpers start (RegionTimer); after a late one, work below kAlwaysThreaded runs on
// one thread for a backoff period (doubling while regions keep starting late, up to a second),
// then threads are tried again; work worth several such lags stays threaded (contended). On a
// quiet machine helpers start within microseconds and nothing changes. Results never depend
// on the thread count, so neither do they on this.
constexpr int64_t kAlwaysThreaded = int64_t(1) << 22;  // elements: ms of work on one thread
constexpr int64_t kLateStartNs = 500000;                // a helper this late means contention

inline int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int thread_num() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

bool threads_backed_off();             // module.cpp
void note_region_lag(int64_t lag_ns);  // module.cpp

// The lag of the latest late region. While the guard backs off, work runs on threads anyway
// only when one thread would take kLagsPerRegion times that lag (at about an element, or
// kMacsPerNs multiply-adds, per ns). At load 8 on two cores the traced MHA step of
// bench_layers.py took 126 ms on one thread, 137 ms on two with the guard, 453 ms without.
inline std::atomic<int64_t> g_late_lag_ns{0};
constexpr int64_t kLagsPerRegion = 4;
constexpr int64_t kMacsPerNs = 32;

// Whether `work` elements (or work / kMacsPerNs multiply-adds) run on one thread now.
inline bool contended(int64_t work) {
  if (!threads_backed_off()) return false;
  const int64_t lag_work = kLagsPerRegion * g_late_lag_ns.load(std::memory_order_relaxed);
  return work < (lag_work > kAlwaysThreaded ? lag_work : kAlwaysThreaded);
}

// Times one parallel region: made just before it, arrive(t) first thing in chunk t; the
// destructor reports how late the last helper started.
class RegionTimer {
 public:
  RegionTimer() : start_(steady_ns()), latest_(start_) {}
  ~RegionTimer() {
    const int64_t lag = latest_.load(std::memory_order_relaxed) - start_;
    if (lag >= kLateStartNs) g_late_lag_ns.store(lag, std::memory_order_relaxed);
    note_region_lag(lag);
  }
  void arrive(int chunk) {
    if (chunk == 0) return;  // the calling thread
    const int64_t now = steady_ns();
    int64_t seen = latest_.load(std::memory_order_relaxed);
    while (now > seen && !latest_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }

 private:
  int64_t start_;
  std::atomic<int64_t> latest_;
};

inline int threads_for(int64_t work) {
  if (work < kParallelMin) return 1;
  int64_t by_size = work / kParallelMin;
  int n = num_threads();
  n = static_cast<int>(by_size < n ? by_size : n);
  if (n > 1 && contended(work)) return 1;
  return n;
}

// Calls fn with a typed null pointer for the array's dtype (numeric types only).
template <typename Fn>
void dispatch_numeric(DType dt, const char* op, Fn&& fn) {
  switch (dt) {
    case DType::kFloat32: fn(static_cast<float*>(nullptr)); break;
    case DType::kFloat64: fn(static_cast<double*>(nullptr)); break;
    case DType::kInt32: fn(static_cast<int32_t*>(nullptr)); break;
    case DType::kInt64: fn(static_cast<int64_t*>(nullptr)); break;
    case DType::kUInt8: fn(static_cast<uint8_t*>(nullptr)); break;
    case DType::kInt8: fn(static_cast<int8_t*>(nullptr)); break;
    case DType::kInt16: fn(static_cast<int16_t*>(nullptr)); break;
    default: throw py::type_error(std::string(op) + ": unsupported dtype");
  }
}

template <typename Fn>
void dispatch_float(DType dt, const char* op, Fn&& fn) {
  switch (dt) {
    case DType::kFloat32: fn(static_cast<float*>(nullptr)); break;
    case DType::kFloat64: fn(static_cast<double*>(nullptr)); break;
    default: throw py::type_error(std::string(op) + ": needs float32 or float64");
  }
}

// Numeric types plus bool.
template <typename Fn>
void dispatch_all(DType dt, const char* op, Fn&& fn) {
  if (dt == DType::kBool) fn(static_cast<bool*>(nullptr));
  else dispatch_numeric(dt, op, fn);
}

// Index tensors: int32 or int64.
template <typename Fn>
void dispatch_index(DType dt, const char* op, Fn&& fn) {
  switch (dt) {
    case DType::kInt32: fn(static_cast<int32_t*>(nullptr)); break;
    case DType::kInt64: fn(static_cast<int64_t*>(nullptr)); break;
    default: throw py::type_error(std::string(op) + ": indices must be int32 or int64");
  }
}

// Kernels that only move elements (gathers, selects) see an unsigned type of the item size.
template <typename Fn>
void dispatch_bits(const py::array& a, const char* op, Fn&& fn) {
  switch (a.dtype().itemsize()) {
    case 1: fn(static_cast<uint8_t*>(nullptr)); break;
    case 2: fn(static_cast<uint16_t*>(nullptr)); break;
    case 4: fn(static_cast<uint32_t*>(nullptr)); break;
    case 8: fn(static_cast<uint64_t*>(nullptr)); break;
    default: throw py::type_error(std::string(op) + ": unsupported item size");
  }
}

// Bad values found in the data (an index out of range, an integer divisor of zero). The
// module translates it to TF's InvalidArgumentError; the message ends with "[Op:<name>]".
struct InvalidArgument : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void invalid_argument(const std::string& msg, const char* op) {
  throw InvalidArgument(msg + " [Op:" + op + "]");
}

// Runs fn(c) for every chunk c in [0, chunks) on nt threads, each chunk taken by the first
// free thread from a shared counter, the calling thread included. A helper that starts late
// (its core busy with another process) then finds the chunks done instead of holding back a
// fixed share. The region is timed for the guard.
template <typename Fn>
void claim_chunks(int nt, int64_t chunks, Fn&& fn) {
  std::atomic<int64_t> next{0};
  RegionTimer timer;
#pragma omp parallel num_threads(nt)
  {
    timer.arrive(thread_num());
    for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
         c = next.fetch_add(1, std::memory_order_relaxed))
      fn(c);
  }
}

constexpr int kChunksPerThread = 4;  // claimed chunks per thread: late helpers cost little

// Runs fn(begin, end) over [0, count) split into contiguous chunks claimed by the threads;
// threads only when `work` (elements touched) pays for them. Each index is handled by one
// call, so results never depend on the thread count.
template <typename Fn>
void parallel_for(int64_t count, int64_t work, Fn&& fn) {
  if (count <= 0) return;
  int nt = threads_for(work);
  if (nt > count) nt = static_cast<int>(count);
  if (nt <= 1) {
    fn(int64_t(0), count);
    return;
  }
  const int64_t chunks = std::min<int64_t>(count, int64_t(nt) * kChunksPerThread);
  claim_chunks(nt, chunks, [&](int64_t c) { fn(count * c / chunks, count * (c + 1) / chunks); });
}

// A shape seen as (outer, n, inner) around one axis.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

inline AxisSplit split_at(const Shape& s, int64_t axis) {
  AxisSplit r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < axis) r.outer *= s[i];
    else if (i == axis) r.n = s[i];
    else r.inner *= s[i];
  }
  return r;
}

inline int64_t checked_axis(int64_t axis, size_t rank, const char* op) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    throw py::value_error(std::string(op) + ": axis " + std::to_string(axis) +
                          " out of range for rank " + std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

// The multi-index of flat element i of shape, as TF prints it: "[1,0]".
inline std::string index_str(const Shape& shape, int64_t i) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? i % shape[d] : 0;
    i = shape[d] ? i / shape[d] : 0;
  }
  return shape_str(idx);
}

inline int64_t product(const Shape& s, size_t begin = 0, size_t end = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = begin; i < s.size() && i < end; ++i) p *= s[i];
  return p;
}

void init_alloc(py::module_& m);
void init_elementwise(py::module_& m);
void init_reduce(py::module_& m);
void init_matmul(py::module_& m);
void init_array(py::module_& m);
void init_random(py::module_& m);
void init_axis(py::module_& m);
void init_softmax(py::module_& m);
void init_indexing(py::module_& m);

}  // namespace th
