// Shared by the neural-network kernels (conv.cpp, pool.cpp, norm.cpp): NHWC window geometry.
#pragma once

#include "common.h"

namespace th {

// Input [n, h, w, c], a (kh, kw) window with strides, dilations and the top / left padding,
// output spatial size (oh, ow). The op definitions compute oh, ow and the padding.
struct Geometry {
  int64_t n, h, w, c;
  int64_t kh, kw;
  int64_t oh, ow;
  int64_t sh, sw, dh, dw;
  int64_t pt, pl;
};

void check_geometry(const Geometry& g, const char* op);

void init_conv(py::module_& m);
void init_pool(py::module_& m);
void init_norm(py::module_& m);

}  // namespace th
