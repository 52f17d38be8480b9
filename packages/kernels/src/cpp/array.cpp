// Array kernels: a strided copy (Transpose, BroadcastTo, Reshape of views, non-contiguous
// sources), a copy into a strided destination (ConcatV2, Pad, StridedSliceGrad), Cast between
// the numeric types, and Fill.
#include <cmath>
#include <cstring>
#include <limits>

#include <algorithm>

#include "broadcast.h"

namespace th {
namespace {

template <typename T>
void copy_typed(const StridedPlan& plan, const T* src, T* dst) {
  const int64_t s = plan.inner_stride(0);
  plan.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
    const T* p = src + offs[0];
    T* o = dst + pos;
    if (s == 1) std::memcpy(o, p, len * sizeof(T));
    else if (s == 0) std::fill(o, o + len, *p);
    else for (int64_t i = 0; i < len; ++i) o[i] = p[i * s];
  });
}

// Copies n blocks of `block` bytes, `step` bytes apart in the source, to a contiguous output:
// a fixed-size memcpy the compiler turns into moves for the common sizes.
template <int B>
void copy_blocks_of(const char* p, char* o, int64_t n, int64_t step) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(o + i * B, p + i * step, B);
}

void copy_blocks(const char* p, char* o, int64_t n, int64_t step, int64_t block) {
  switch (block) {
    case 2: return copy_blocks_of<2>(p, o, n, step);
    case 3: return copy_blocks_of<3>(p, o, n, step);
    case 4: return copy_blocks_of<4>(p, o, n, step);
    case 6: return copy_blocks_of<6>(p, o, n, step);
    case 8: return copy_blocks_of<8>(p, o, n, step);
    case 12: return copy_blocks_of<12>(p, o, n, step);
    case 16: return copy_blocks_of<16>(p, o, n, step);
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(o + i * block, p + i * step, block);
  }
}

// The largest contiguous innermost run copied as one block of the next dim out (an image's
// channels under a flipped width): one loop over pixels instead of a run per pixel.
constexpr int64_t kMaxBlockBytes = 64;

// Copies any strided view (strides may be 0 or negative) into a C-contiguous output.
void copy(py::array src, py::array out) {
  require_contiguous(out, "copy", "output");
  require_writable(out, "copy");
  if (src.dtype().itemsize() != out.dtype().itemsize() || src.dtype().kind() != out.dtype().kind())
    throw py::value_error("copy: dtypes differ: " + dtype_name(src) + " vs " + dtype_name(out));
  const Shape shape = shape_of(src);
  if (shape != shape_of(out))
    throw py::value_error("copy: shapes differ: " + shape_str(shape) + " vs " +
                          shape_str(shape_of(out)));
  if (out.size() == 0) return;
  const int64_t item = src.dtype().itemsize();
  Shape strides(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (src.strides(i) % item) throw py::value_error("copy: stride is not a multiple of itemsize");
    strides[i] = src.strides(i) / item;
  }
  StridedPlan plan(shape, {strides});
  const void* ps = src.data();
  void* po = out.mutable_data();
  const int64_t block = plan.dims.back() * item;
  if (item <= 8 && plan.dims.size() > 1 && plan.inner_stride(0) == 1 && block <= kMaxBlockBytes) {
    const Shape outer(plan.dims.begin(), plan.dims.end() - 1);
    const Shape outer_strides(plan.in_strides[0].begin(), plan.in_strides[0].end() - 1);
    StridedPlan blocks(outer, {outer_strides});
    const int64_t step = blocks.inner_stride(0) * item;
    py::gil_scoped_release release;
    blocks.parallel_runs([&](int64_t pos, const int64_t* offs, int64_t len) {
      copy_blocks(static_cast<const char*>(ps) + offs[0] * item,
                  static_cast<char*>(po) + pos * block, len, step, block);
    });
    return;
  }
  py::gil_scoped_release release;
  switch (item) {
    case 1: copy_typed(plan, static_cast<const uint8_t*>(ps), static_cast<uint8_t*>(po)); break;
    case 2: copy_typed(plan, static_cast<const uint16_t*>(ps), static_cast<uint16_t*>(po)); break;
    case 4: copy_typed(plan, static_cast<const uint32_t*>(ps), static_cast<uint32_t*>(po)); break;
    case 8: copy_typed(plan, static_cast<const uint64_t*>(ps), static_cast<uint64_t*>(po)); break;
    default: {
      py::gil_scoped_acquire acquire;
      throw py::type_error("copy: unsupported item size");
    }
  }
}

// Element strides of any view, checked to be whole elements.
Shape element_strides(const py::array& a, const char* op) {
  const int64_t item = a.dtype().itemsize();
  Shape strides(a.ndim());
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (a.strides(i) % item) throw py::value_error(std::string(op) + ": stride is not a multiple "
                                                   "of itemsize");
    strides[i] = a.strides(i) / item;
  }
  return strides;
}

template <typename T>
void assign_typed(const StridedPlan& plan, const T* src, T* dst) {
  const int64_t ss = plan.inner_stride(0), ds = plan.inner_stride(1);
  plan.parallel_runs([&](int64_t, const int64_t* offs, int64_t len) {
    const T* p = src + offs[0];
    T* o = dst + offs[1];
    if (ss == 1 && ds == 1) std::memcpy(o, p, len * sizeof(T));
    else for (int64_t i = 0; i < len; ++i) o[i * ds] = p[i * ss];
  });
}

// Copies a strided view into a strided, writable view of the same shape and dtype. The
// destination must not alias itself (no zero strides on dims longer than one), so threads
// write disjoint elements.
void assign(py::array src, py::array dst) {
  require_writable(dst, "assign");
  if (src.dtype().itemsize() != dst.dtype().itemsize() || src.dtype().kind() != dst.dtype().kind())
    throw py::value_error("assign: dtypes differ: " + dtype_name(src) + " vs " + dtype_name(dst));
  const Shape shape = shape_of(src);
  if (shape != shape_of(dst))
    throw py::value_error("assign: shapes differ: " + shape_str(shape) + " vs " +
                          shape_str(shape_of(dst)));
  if (dst.size() == 0) return;
  const Shape ds = element_strides(dst, "assign");
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] > 1 && ds[i] == 0)
      throw py::value_error("assign: the destination has a broadcast (zero-stride) dim");
  StridedPlan plan(shape, {element_strides(src, "assign"), ds});
  const void* ps = src.data();
  void* po = dst.mutable_data();
  py::gil_scoped_release release;
  switch (src.dtype().itemsize()) {
    case 1: assign_typed(plan, static_cast<const uint8_t*>(ps), static_cast<uint8_t*>(po)); break;
    case 2: assign_typed(plan, static_cast<const uint16_t*>(ps), static_cast<uint16_t*>(po)); break;
    case 4: assign_typed(plan, static_cast<const uint32_t*>(ps), static_cast<uint32_t*>(po)); break;
    case 8: assign_typed(plan, static_cast<const uint64_t*>(ps), static_cast<uint64_t*>(po)); break;
    default: {
      py::gil_scoped_acquire acquire;
      throw py::type_error("assign: unsupported item size");
    }
  }
}

// Float to integer conversion is saturating and maps NaN to 0 (C++ leaves it undefined).
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return To(0);
    if (v <= From(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (v >= From(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

void cast(py::array x, py::array out) {
  require_contiguous(x, "Cast", "input");
  require_contiguous(out, "Cast", "output");
  require_writable(out, "Cast");
  if (x.size() != out.size()) throw py::value_error("Cast: sizes differ");
  const int64_t n = x.size();
  dispatch_all(dtype_of(x), "Cast", [&](auto* from_tag) {
    using From = std::remove_pointer_t<decltype(from_tag)>;
    dispatch_all(dtype_of(out), "Cast", [&](auto* to_tag) {
      using To = std::remove_pointer_t<decltype(to_tag)>;
      const From* px = static_cast<const From*>(x.data());
      To* po = static_cast<To*>(out.mutable_data());
      py::gil_scoped_release release;
      const int nt = threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
      for (int64_t i = 0; i < n; ++i) po[i] = convert<To, From>(px[i]);
    });
  });
}

// ---- 16-bit float storage: IEEE half (float16) and bfloat16, round to nearest even ----------

// float -> half bits (F. Giesen's float_to_half_fast3_rtne): NaN stays NaN, overflow gives inf.
inline uint16_t float_to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint16_t o;
  if (u >= (127u + 16u) << 23) {  // >= 65536: inf or NaN
    o = u > 0x7f800000u ? 0x7e00 : 0x7c00;
  } else if (u < 113u << 23) {  // a half subnormal or zero: let the FPU round
    float v;
    std::memcpy(&v, &u, 4);
    v += 0.5f;
    uint32_t r;
    std::memcpy(&r, &v, 4);
    o = static_cast<uint16_t>(r - 0x3f000000u);
  } else {
    const uint32_t odd = (u >> 13) & 1;
    u += (uint32_t(15 - 127) << 23) + 0xfff + odd;
    o = static_cast<uint16_t>(u >> 13);
  }
  return static_cast<uint16_t>(o | (sign >> 16));
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * 5.9604644775390625e-08f;  // mant * 2^-24
    return sign ? -v : v;
  }
  const uint32_t bits = sign | (exp == 31 ? 0x7f800000u | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t float_to_bfloat16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
  u += 0x7fffu + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

inline float bfloat16_to_float(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// double -> float rounded to odd, so that rounding that float to 16 bits rounds correctly once.
inline float to_float_odd(double d) {
  float f = static_cast<float>(d);
  if (!std::isfinite(f) || static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u |= 1;
  std::memcpy(&f, &u, 4);
  return f;
}

enum Storage { kNative = 0, kHalf = 1, kBFloat16 = 2 };

template <typename From>
inline float wide_to_float(From v) {
  if constexpr (std::is_same_v<From, double>) return to_float_odd(v);
  else return static_cast<float>(v);
}

// Cast where the input or the output (or both) is 16-bit float storage; fmt says which.
void cast16(py::array x, py::array out, int in_fmt, int out_fmt) {
  require_contiguous(x, "Cast", "input");
  require_contiguous(out, "Cast", "output");
  require_writable(out, "Cast");
  if (x.size() != out.size()) throw py::value_error("Cast: sizes differ");
  if (in_fmt < 0 || in_fmt > 2 || out_fmt < 0 || out_fmt > 2 || (in_fmt == 0 && out_fmt == 0))
    throw py::value_error("Cast: cast16 needs a 16-bit float side");
  for (auto [a, fmt] : {std::pair<py::array*, int>{&x, in_fmt}, {&out, out_fmt}})
    if (fmt && a->dtype().itemsize() != 2)
      throw py::type_error("Cast: 16-bit float storage needs 2-byte items, got " + dtype_name(*a));
  const int64_t n = x.size();
  const int nt = threads_for(n);
  auto load16 = [](uint16_t v, int fmt) { return fmt == kHalf ? half_to_float(v) : bfloat16_to_float(v); };
  auto store16 = [](float v, int fmt) { return fmt == kHalf ? float_to_half(v) : float_to_bfloat16(v); };
  if (in_fmt && out_fmt) {
    const uint16_t* px = static_cast<const uint16_t*>(x.data());
    uint16_t* po = static_cast<uint16_t*>(out.mutable_data());
    py::gil_scoped_release release;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < n; ++i) po[i] = in_fmt == out_fmt ? px[i] : store16(load16(px[i], in_fmt), out_fmt);
    return;
  }
  if (out_fmt) {  // native -> 16-bit
    dispatch_all(dtype_of(x), "Cast", [&](auto* tag) {
      using From = std::remove_pointer_t<decltype(tag)>;
      const From* px = static_cast<const From*>(x.data());
      uint16_t* po = static_cast<uint16_t*>(out.mutable_data());
      py::gil_scoped_release release;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
      for (int64_t i = 0; i < n; ++i) po[i] = store16(wide_to_float<From>(px[i]), out_fmt);
    });
    return;
  }
  dispatch_all(dtype_of(out), "Cast", [&](auto* tag) {  // 16-bit -> native
    using To = std::remove_pointer_t<decltype(tag)>;
    const uint16_t* px = static_cast<const uint16_t*>(x.data());
    To* po = static_cast<To*>(out.mutable_data());
    py::gil_scoped_release release;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < n; ++i) {
      // Subnormals are decided from the bits, so a denormals-are-zero FPU mode elsewhere in the
      // process (some libraries set it) cannot change the result.
      if constexpr (std::is_same_v<To, bool>) {
        po[i] = (px[i] & 0x7fff) != 0;
      } else if constexpr (std::is_same_v<To, double>) {
        if (in_fmt == kBFloat16 && (px[i] & 0x7f80) == 0) {  // bfloat16 subnormal or zero
          const double v = std::ldexp(static_cast<double>(px[i] & 0x7f), -133);
          po[i] = (px[i] & 0x8000) ? -v : v;
        } else {
          po[i] = static_cast<double>(load16(px[i], in_fmt));
        }
      } else {
        po[i] = convert<To, float>(load16(px[i], in_fmt));
      }
    }
  });
}

void fill(py::array out, double value) {
  require_contiguous(out, "Fill", "output");
  require_writable(out, "Fill");
  const int64_t n = out.size();
  dispatch_all(dtype_of(out), "Fill", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* po = static_cast<T*>(out.mutable_data());
    const T v = convert<T, double>(value);
    py::gil_scoped_release release;
    std::fill(po, po + n, v);
  });
}

}  // namespace

void init_array(py::module_& m) {
  m.def("copy", &copy, py::arg("src"), py::arg("out"));
  m.def("assign", &assign, py::arg("src"), py::arg("dst"));
  m.def("cast", &cast, py::arg("x"), py::arg("out"));
  m.def("cast16", &cast16, py::arg("x"), py::arg("out"), py::arg("in_fmt"), py::arg("out_fmt"),
        "Cast with 16-bit float storage: fmt 0 native, 1 float16, 2 bfloat16 (RNE).");
  m.def("fill", &fill, py::arg("out"), py::arg("value"));
}

}  // namespace th
