// Shared helpers for the CPU kernels: dtype switching, validation, threading policy.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
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
enum class DType { kBool, kUInt8, kInt32, kInt64, kFloat32, kFloat64, kOther };

inline DType dtype_of(const py::array& a) {
  const auto dt = a.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f') return size == 4 ? DType::kFloat32 : size == 8 ? DType::kFloat64 : DType::kOther;
  if (kind == 'i') return size == 4 ? DType::kInt32 : size == 8 ? DType::kInt64 : DType::kOther;
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

// Threads only pay above this many elements; small tensors stay on one thread.
constexpr int64_t kParallelMin = 1 << 15;

int num_threads();
void set_num_threads(int n);

inline int threads_for(int64_t work) {
  if (work < kParallelMin) return 1;
  int64_t by_size = work / kParallelMin;
  int n = num_threads();
  return static_cast<int>(by_size < n ? by_size : n);
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

void init_elementwise(py::module_& m);
void init_reduce(py::module_& m);
void init_matmul(py::module_& m);
void init_array(py::module_& m);
void init_random(py::module_& m);

}  // namespace th
