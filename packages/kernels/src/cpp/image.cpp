// Image resizing (NHWC): ResizeBilinear, ResizeNearestNeighbor and their gradients, with TF's
// sampling rules (half-pixel centres or the legacy corner-aligned / top-left ones). Bilinear
// reads any numeric input and computes in float32, as TF's CPU kernel does.
// PNG decoding (decode_png): the chunk walk with its CRCs, Adam7 and the unfiltering.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.h"

namespace th {
namespace {

// Input / output geometry; a rank-3 image is a batch of one.
struct Resize {
  int64_t n, h, w, c, oh, ow;
};

Resize geometry(const py::array& in, const py::array& out, const char* op) {
  if (in.ndim() != out.ndim() || (in.ndim() != 3 && in.ndim() != 4))
    throw py::value_error(std::string(op) + ": input " + shape_str(shape_of(in)) +
                          " and output " + shape_str(shape_of(out)) + " must both be 3-D or 4-D");
  require_contiguous(in, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  const int off = in.ndim() == 4 ? 1 : 0;
  Resize g{off ? in.shape(0) : 1, in.shape(off), in.shape(off + 1), in.shape(off + 2), 0, 0};
  g.oh = out.shape(off);
  g.ow = out.shape(off + 1);
  if ((off && out.shape(0) != g.n) || out.shape(off + 2) != g.c)
    throw py::value_error(std::string(op) + ": input " + shape_str(shape_of(in)) +
                          " and output " + shape_str(shape_of(out)) + " do not match");
  return g;
}

// TF's scale from the output index space to the input one.
float scale_of(int64_t in, int64_t out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

// Bilinear taps along one axis: output i reads lo[i] and hi[i], weight frac[i] on hi.
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> frac;
};

Taps bilinear_taps(int64_t in, int64_t out, bool align_corners, bool half_pixel) {
  const float scale = scale_of(in, out, align_corners);
  Taps t{std::vector<int64_t>(out), std::vector<int64_t>(out), std::vector<float>(out)};
  for (int64_t i = 0; i < out; ++i) {
    const float src = half_pixel ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                                 : static_cast<float>(i) * scale;
    const float below = std::floor(src);
    t.lo[i] = std::max<int64_t>(static_cast<int64_t>(below), 0);
    t.hi[i] = std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1);
    t.frac[i] = src - below;
  }
  return t;
}

// Nearest-neighbour source index per output index.
std::vector<int64_t> nearest_taps(int64_t in, int64_t out, bool align_corners, bool half_pixel) {
  const float scale = scale_of(in, out, align_corners);
  std::vector<int64_t> idx(out);
  for (int64_t i = 0; i < out; ++i) {
    const float src = half_pixel ? (static_cast<float>(i) + 0.5f) * scale
                                 : static_cast<float>(i) * scale;
    int64_t k = static_cast<int64_t>(align_corners ? std::round(src) : std::floor(src));
    k = std::min<int64_t>(k, in - 1);
    idx[i] = half_pixel ? std::max<int64_t>(k, 0) : k;
  }
  return idx;
}

// One source row interpolated along x into `dst` (ow * c floats); C: the channel count when
// known at compile time (0: c), so that the common 1, 3 and 4 unroll.
template <int C, typename T>
void bilinear_row_of(const T* src, const Taps& xs, int64_t c, int64_t ow, float* dst) {
  const int64_t ch = C ? C : c;
  const int64_t *lo = xs.lo.data(), *hi = xs.hi.data();
  const float* frac = xs.frac.data();
  for (int64_t ox = 0; ox < ow; ++ox) {
    const T* l = src + lo[ox] * ch;
    const T* h = src + hi[ox] * ch;
    const float f = frac[ox];
    float* d = dst + ox * ch;
    for (int64_t k = 0; k < ch; ++k) {
      const float a = static_cast<float>(l[k]), b = static_cast<float>(h[k]);
      d[k] = a + (b - a) * f;
    }
  }
}

template <typename T>
void bilinear_row(const T* src, const Taps& xs, int64_t c, int64_t ow, float* dst) {
  switch (c) {
    case 1: return bilinear_row_of<1>(src, xs, c, ow, dst);
    case 3: return bilinear_row_of<3>(src, xs, c, ow, dst);
    case 4: return bilinear_row_of<4>(src, xs, c, ow, dst);
    default: return bilinear_row_of<0>(src, xs, c, ow, dst);
  }
}

template <typename T>
void bilinear_forward(const Resize& g, const Taps& ys, const Taps& xs, const T* x, float* y) {
  // TF's order: along x first, then along y. Each source row is interpolated along x once and
  // kept while the next output rows read it (two rows cached per thread).
  const int64_t row = g.ow * g.c, rows = g.n * g.oh;
  parallel_for(rows, rows * row * 4, [&](int64_t r0, int64_t r1) {
    std::vector<float> buf(2 * row), wide(std::is_same_v<T, float> ? 0 : g.w * g.c);
    float* slot[2] = {buf.data(), buf.data() + row};
    int64_t key[2] = {-1, -1};  // the source row (b * h + y) each slot holds
    auto fetch = [&](int64_t want, int avoid) {
      for (int s = 0; s < 2; ++s)
        if (key[s] == want) return s;
      const int s = avoid >= 0 ? 1 - avoid : (key[0] <= key[1] ? 0 : 1);
      const T* src = x + want * g.w * g.c;
      if constexpr (std::is_same_v<T, float>) {
        bilinear_row(src, xs, g.c, g.ow, slot[s]);
      } else {  // the row as float32 first: one vector loop, not a conversion per tap
        for (int64_t i = 0; i < g.w * g.c; ++i) wide[i] = static_cast<float>(src[i]);
        bilinear_row(wide.data(), xs, g.c, g.ow, slot[s]);
      }
      key[s] = want;
      return s;
    };
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / g.oh, oy = r % g.oh;
      const int st = fetch(b * g.h + ys.lo[oy], -1);
      const int sb = fetch(b * g.h + ys.hi[oy], st);
      const float* t = slot[st];
      const float* bo = slot[sb];
      const float yl = ys.frac[oy];
      float* out = y + r * row;
      for (int64_t j = 0; j < row; ++j) out[j] = t[j] + (bo[j] - t[j]) * yl;
    }
  });
}

// dy (n, oh, ow, c) float32 -> dx (n, h, w, c): each image on one thread (its sums overlap).
template <typename T>
void bilinear_backward(const Resize& g, const Taps& ys, const Taps& xs, const float* dy, T* dx) {
  const int64_t img = g.h * g.w * g.c;
  parallel_for(g.n, g.n * g.oh * g.ow * g.c * 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* out = dx + b * img;
      std::fill(out, out + img, T(0));
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const float yl = ys.frac[oy];
        T* top = out + ys.lo[oy] * g.w * g.c;
        T* bottom = out + ys.hi[oy] * g.w * g.c;
        const float* gin = dy + ((b * g.oh + oy) * g.ow) * g.c;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t l = xs.lo[ox] * g.c, h = xs.hi[ox] * g.c;
          const float xl = xs.frac[ox];
          for (int64_t c = 0; c < g.c; ++c) {
            const float v = gin[ox * g.c + c];
            const float up = (1.0f - yl) * v, down = yl * v;
            top[l + c] += static_cast<T>(up * (1.0f - xl));
            top[h + c] += static_cast<T>(up * xl);
            bottom[l + c] += static_cast<T>(down * (1.0f - xl));
            bottom[h + c] += static_cast<T>(down * xl);
          }
        }
      }
    }
  });
}

template <typename T>
void nearest_forward(const Resize& g, const std::vector<int64_t>& ys,
                     const std::vector<int64_t>& xs, const T* x, T* y) {
  const int64_t rows = g.n * g.oh;
  parallel_for(rows, rows * g.ow * g.c, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / g.oh, oy = r % g.oh;
      const T* row = x + ((b * g.h + ys[oy]) * g.w) * g.c;
      T* out = y + r * g.ow * g.c;
      for (int64_t ox = 0; ox < g.ow; ++ox)
        std::memcpy(out + ox * g.c, row + xs[ox] * g.c, sizeof(T) * g.c);
    }
  });
}

template <typename T>
void nearest_backward(const Resize& g, const std::vector<int64_t>& ys,
                      const std::vector<int64_t>& xs, const T* dy, T* dx) {
  const int64_t img = g.h * g.w * g.c;
  parallel_for(g.n, g.n * g.oh * g.ow * g.c, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* out = dx + b * img;
      std::fill(out, out + img, T(0));
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        T* row = out + ys[oy] * g.w * g.c;
        const T* gin = dy + ((b * g.oh + oy) * g.ow) * g.c;
        for (int64_t ox = 0; ox < g.ow; ++ox)
          for (int64_t c = 0; c < g.c; ++c) row[xs[ox] * g.c + c] += gin[ox * g.c + c];
      }
    }
  });
}

void check_sizes(const Resize& g, const char* op) {
  if (g.h <= 0 || g.w <= 0 || g.oh <= 0 || g.ow <= 0)
    invalid_argument("input and output sizes should be greater than 0, got input " +
                         std::to_string(g.h) + "x" + std::to_string(g.w) + " and output " +
                         std::to_string(g.oh) + "x" + std::to_string(g.ow),
                     op);
}

// ResizeBilinear: x (any numeric) -> y float32.
void resize_bilinear(py::array x, py::array y, bool align_corners, bool half_pixel) {
  const char* op = "ResizeBilinear";
  Resize g = geometry(x, y, op);
  if (dtype_of(y) != DType::kFloat32)
    throw py::type_error("ResizeBilinear: output must be float32");
  if (g.n * g.c == 0 || g.oh * g.ow == 0) return;
  check_sizes(g, op);
  const Taps ys = bilinear_taps(g.h, g.oh, align_corners, half_pixel);
  const Taps xs = bilinear_taps(g.w, g.ow, align_corners, half_pixel);
  dispatch_numeric(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    float* py_ = static_cast<float*>(y.mutable_data());
    py::gil_scoped_release release;
    bilinear_forward<T>(g, ys, xs, px, py_);
  });
}

// ResizeBilinearGrad: dy float32 (the output's shape) -> dx float32 / float64 (the input's).
void resize_bilinear_grad(py::array dy, py::array dx, bool align_corners, bool half_pixel) {
  const char* op = "ResizeBilinearGrad";
  Resize g = geometry(dx, dy, op);  // dx has the input geometry, dy the output one
  if (dtype_of(dy) != DType::kFloat32)
    throw py::type_error("ResizeBilinearGrad: grads must be float32");
  if (g.n * g.c * g.h * g.w == 0) return;
  const Taps ys = bilinear_taps(g.h, g.oh, align_corners, half_pixel);
  const Taps xs = bilinear_taps(g.w, g.ow, align_corners, half_pixel);
  dispatch_float(dtype_of(dx), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const float* pdy = static_cast<const float*>(dy.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    if (g.oh * g.ow == 0) std::fill(pdx, pdx + g.n * g.h * g.w * g.c, T(0));
    else bilinear_backward<T>(g, ys, xs, pdy, pdx);
  });
}

// ResizeNearestNeighbor: y has x's dtype.
void resize_nearest(py::array x, py::array y, bool align_corners, bool half_pixel) {
  const char* op = "ResizeNearestNeighbor";
  Resize g = geometry(x, y, op);
  require_same_dtype(x, y, op);
  if (g.n * g.c == 0 || g.oh * g.ow == 0) return;
  check_sizes(g, op);
  const auto ys = nearest_taps(g.h, g.oh, align_corners, half_pixel);
  const auto xs = nearest_taps(g.w, g.ow, align_corners, half_pixel);
  dispatch_all(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(y.mutable_data());
    py::gil_scoped_release release;
    nearest_forward<T>(g, ys, xs, px, py_);
  });
}

// ResizeNearestNeighborGrad: dy (the output's shape) -> dx (the input's), summing the pixels
// each input pixel was copied to.
void resize_nearest_grad(py::array dy, py::array dx, bool align_corners, bool half_pixel) {
  const char* op = "ResizeNearestNeighborGrad";
  Resize g = geometry(dx, dy, op);
  require_same_dtype(dx, dy, op);
  if (g.n * g.c * g.h * g.w == 0) return;
  const auto ys = nearest_taps(g.h, g.oh, align_corners, half_pixel);
  const auto xs = nearest_taps(g.w, g.ow, align_corners, half_pixel);
  dispatch_numeric(dtype_of(dx), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pdy = static_cast<const T*>(dy.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    if (g.oh * g.ow == 0) std::fill(pdx, pdx + g.n * g.h * g.w * g.c, T(0));
    else nearest_backward<T>(g, ys, xs, pdy, pdx);
  });
}

// PNG's row filters (None, Sub, Up, Average, Paeth) undone on h scanlines of `stride` bytes,
// each after its filter byte, into dst (h * stride); bpp: the bytes per pixel (the "left"
// distance). Returns the first unknown filter type met, or -1.
int unfilter_rows(const uint8_t* src, uint8_t* dst, int64_t h, int64_t stride, int64_t bpp) {
  const std::vector<uint8_t> zeros(stride);  // the row above the first
  const uint8_t* up = zeros.data();
  const int64_t head = std::min(bpp, stride);  // the bytes with no left neighbour: a = c = 0
  for (int64_t r = 0; r < h; ++r, src += stride + 1, dst += stride) {
    const uint8_t* in = src + 1;
    switch (src[0]) {
      case 0: std::memcpy(dst, in, stride); break;
      case 1:
        std::memcpy(dst, in, head);
        for (int64_t i = bpp; i < stride; ++i) dst[i] = in[i] + dst[i - bpp];
        break;
      case 2:
        for (int64_t i = 0; i < stride; ++i) dst[i] = in[i] + up[i];
        break;
      case 3:
        for (int64_t i = 0; i < head; ++i) dst[i] = in[i] + (up[i] >> 1);
        for (int64_t i = bpp; i < stride; ++i) dst[i] = in[i] + ((dst[i - bpp] + up[i]) >> 1);
        break;
      case 4:
        for (int64_t i = 0; i < head; ++i) dst[i] = in[i] + up[i];  // Paeth picks b
        for (int64_t i = bpp; i < stride; ++i) {
          const int a = dst[i - bpp], b = up[i], c = up[i - bpp];
          const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
          dst[i] = in[i] + (pa <= pb && pa <= pc ? a : (pb <= pc ? b : c));
        }
        break;
      default: return src[0];
    }
    up = dst;
  }
  return -1;
}

// PNG's CRC-32 (zlib's polynomial), eight bytes a step (tables built once).
uint32_t crc32(const uint8_t* p, int64_t n) {
  static const auto tables = [] {
    std::vector<uint32_t> t(8 * 256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    for (int s = 1; s < 8; ++s)
      for (int i = 0; i < 256; ++i)
        t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xFF];
    return t;
  }();
  const uint32_t* t = tables.data();
  uint32_t crc = ~0u;
  for (; n >= 8; n -= 8, p += 8) {
    const uint32_t a = crc ^ (p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24);
    crc = t[7 * 256 + (a & 0xFF)] ^ t[6 * 256 + ((a >> 8) & 0xFF)] ^
          t[5 * 256 + ((a >> 16) & 0xFF)] ^ t[4 * 256 + (a >> 24)] ^ t[3 * 256 + p[4]] ^
          t[2 * 256 + p[5]] ^ t[256 + p[6]] ^ t[p[7]];
  }
  for (; n > 0; --n) crc = t[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// The chunks decode_png reads, up to IEND; `error`: a chunk cut short or with a wrong CRC (as
// libpng, IDAT's included).
struct PngChunks {
  std::string error;
  const uint8_t *ihdr = nullptr, *trns = nullptr;
  int64_t ihdr_len = 0, trns_len = 0;
  std::vector<std::pair<const uint8_t*, int64_t>> idat;
};

std::string chunk_name(const uint8_t* kind) {  // as Python prints the bytes: b'IDAT'
  std::string s = "b'";
  for (int i = 0; i < 4; ++i) {
    char hex[5];
    std::snprintf(hex, sizeof hex, "\\x%02x", kind[i]);
    s += kind[i] >= 32 && kind[i] < 127 && kind[i] != '\'' && kind[i] != '\\'
             ? std::string(1, static_cast<char>(kind[i]))
             : std::string(hex);
  }
  return s + "'";
}

PngChunks png_chunks(const uint8_t* data, int64_t end) {
  PngChunks c;
  for (int64_t pos = 8; pos + 12 <= end;) {
    const int64_t length = be32(data + pos);
    const uint8_t* kind = data + pos + 4;
    const int64_t stop = pos + 8 + length;
    if (stop + 4 > end) {
      c.error = "chunk " + chunk_name(kind) + " is cut short";
      return c;
    }
    if (crc32(kind, length + 4) != be32(data + stop)) {
      c.error = "chunk " + chunk_name(kind) + " has a wrong CRC";
      return c;
    }
    if (!std::memcmp(kind, "IEND", 4)) return c;
    if (!std::memcmp(kind, "IHDR", 4) && !c.ihdr) c.ihdr = kind + 4, c.ihdr_len = length;
    if (!std::memcmp(kind, "tRNS", 4) && !c.trns) c.trns = kind + 4, c.trns_len = length;
    if (!std::memcmp(kind, "IDAT", 4)) c.idat.emplace_back(kind + 4, length);
    pos = stop + 4;
  }
  return c;
}

// png_decode(data, inflate): an 8- or 16-bit grey / colour PNG, interlaced or not, as (its
// samples (h, w, samples per pixel) uint8 / uint16, its tRNS colour key or None); None for the
// files left to Pillow (palettes, under 8 bits). The chunk walk with its CRCs, Adam7 and the
// unfiltering run with the GIL released; inflate(idat, n) (Python's zlib, which releases the
// GIL too) gives the first n bytes the IDAT stream inflates to. Bad data: ValueError.
py::object png_decode(py::buffer data, py::object inflate) {
  const py::buffer_info in = data.request();
  const auto* bytes = static_cast<const uint8_t*>(in.ptr);
  PngChunks c;
  {
    py::gil_scoped_release release;
    c = png_chunks(bytes, in.size * in.itemsize);
  }
  if (!c.error.empty()) throw py::value_error(c.error);
  if (!c.ihdr || c.ihdr_len != 13 || c.idat.empty()) return py::none();
  const int64_t w = be32(c.ihdr), h = be32(c.ihdr + 4);
  const int depth = c.ihdr[8], colour = c.ihdr[9], interlace = c.ihdr[12];
  if ((depth != 8 && depth != 16) || colour == 1 || colour == 3 || colour > 6 || c.ihdr[10] ||
      c.ihdr[11] || interlace > 1)
    return py::none();
  const int64_t samples = colour == 0 ? 1 : colour == 2 ? 3 : colour == 4 ? 2 : 4;
  const int64_t bpp = depth / 8 * samples;
  // Adam7's passes (first column, first row, column step, row step), or the one plain pass.
  static const int64_t adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                      {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  static const int64_t plain[1][4] = {{0, 0, 1, 1}};
  const auto* passes = interlace ? adam7 : plain;
  const int count = interlace ? 7 : 1;
  double need = 0;  // in double first: a header's sizes can overflow int64
  for (int p = 0; p < count; ++p) {
    const int64_t ph = h > passes[p][1] ? (h - passes[p][1] + passes[p][3] - 1) / passes[p][3] : 0;
    const int64_t pw = w > passes[p][0] ? (w - passes[p][0] + passes[p][2] - 1) / passes[p][2] : 0;
    if (ph > 0 && pw > 0) need += double(ph) * double(1 + pw * bpp);
  }
  if (need > double(INT64_MAX / 4)) throw py::value_error("the image data is cut short");
  py::object idat;
  if (c.idat.size() == 1) {
    idat = py::memoryview::from_memory(c.idat[0].first, c.idat[0].second);
  } else {
    std::string joined;
    for (const auto& [p, n] : c.idat) joined.append(reinterpret_cast<const char*>(p), n);
    idat = py::bytes(joined);
  }
  const py::buffer_info raw = inflate(idat, static_cast<int64_t>(need)).cast<py::buffer>().request();
  if (raw.size * raw.itemsize < static_cast<int64_t>(need) || !w || !h)
    throw py::value_error("the image data is cut short");
  py::array out = depth == 8 ? py::array(py::array_t<uint8_t>({h, w, samples}))
                             : py::array(py::array_t<uint16_t>({h, w, samples}));
  auto* dst = static_cast<uint8_t*>(out.mutable_data());
  int bad = -1;
  {
    py::gil_scoped_release release;
    const auto* src = static_cast<const uint8_t*>(raw.ptr);
    if (!interlace) {
      bad = unfilter_rows(src, dst, h, w * bpp, bpp);
    } else {
      std::vector<uint8_t> sub(h * w * bpp);
      for (int p = 0; p < 7 && bad < 0; ++p) {
        const int64_t x0 = passes[p][0], y0 = passes[p][1], dx = passes[p][2], dy = passes[p][3];
        const int64_t ph = h > y0 ? (h - y0 + dy - 1) / dy : 0;
        const int64_t pw = w > x0 ? (w - x0 + dx - 1) / dx : 0;
        if (ph <= 0 || pw <= 0) continue;
        bad = unfilter_rows(src, sub.data(), ph, pw * bpp, bpp);
        for (int64_t r = 0; r < ph; ++r)
          for (int64_t x = 0; x < pw; ++x)
            std::memcpy(dst + ((y0 + r * dy) * w + x0 + x * dx) * bpp, &sub[(r * pw + x) * bpp],
                        bpp);
        src += ph * (1 + pw * bpp);
      }
    }
    if (depth == 16) {  // big-endian samples to the machine's uint16
      auto* d16 = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0, n = h * w * samples; i < n; ++i)
        d16[i] = static_cast<uint16_t>(dst[2 * i] << 8 | dst[2 * i + 1]);
    }
  }
  if (bad >= 0) throw py::value_error("unknown filter type " + std::to_string(bad));
  py::object key = py::none();
  if (colour < 4 && c.trns_len >= 2 * samples) {
    py::tuple t(samples);
    for (int64_t i = 0; i < samples; ++i) t[i] = c.trns[2 * i] << 8 | c.trns[2 * i + 1];
    key = t;
  }
  return py::make_tuple(out, key);
}

}  // namespace

void init_image(py::module_& m) {
  const char* doc = "NHWC (or HWC) resize into a preallocated output; TF's sampling rules.";
  m.def("resize_bilinear", &resize_bilinear, py::arg("x"), py::arg("y"),
        py::arg("align_corners"), py::arg("half_pixel_centers"), doc);
  m.def("resize_bilinear_grad", &resize_bilinear_grad, py::arg("dy"), py::arg("dx"),
        py::arg("align_corners"), py::arg("half_pixel_centers"), doc);
  m.def("resize_nearest", &resize_nearest, py::arg("x"), py::arg("y"), py::arg("align_corners"),
        py::arg("half_pixel_centers"), doc);
  m.def("resize_nearest_grad", &resize_nearest_grad, py::arg("dy"), py::arg("dx"),
        py::arg("align_corners"), py::arg("half_pixel_centers"), doc);
  m.def("png_decode", &png_decode, py::arg("data"), py::arg("inflate"),
        "An 8- / 16-bit grey or colour PNG as (samples, colour key), or None; ValueError.");
}

}  // namespace th
