// BiasAdd / BiasAddGrad over the last axis, FusedBatchNormV3 / FusedBatchNormGradV3 (NHWC:
// channels last) and a fused layer normalization over the last axis (LayerNorm /
// LayerNormGrad). Per-channel sums run over fixed blocks of rows in double precision and the
// blocks are added in order, so results never depend on the thread count.
#include <algorithm>
#include <cmath>

#include "nn.h"

namespace th {
namespace {

constexpr int64_t kRowsPerBlock = 512;

// Sums k arrays of `width` per-channel values over rows: fn(r0, r1, acc) adds rows [r0, r1)
// into acc (k * width doubles, zeroed). Blocks of rows are fixed, then added in order.
template <typename Fn>
std::vector<double> block_sums(int64_t rows, int64_t width, int64_t k, Fn&& fn) {
  const int64_t blocks = std::max<int64_t>(1, (rows + kRowsPerBlock - 1) / kRowsPerBlock);
  const int64_t len = k * width;
  std::vector<double> part(static_cast<size_t>(blocks * len), 0.0);
  parallel_for(blocks, rows * width * k, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      fn(b * kRowsPerBlock, std::min(rows, (b + 1) * kRowsPerBlock), part.data() + b * len);
  });
  std::vector<double> total(static_cast<size_t>(len), 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < len; ++i) total[i] += part[b * len + i];
  return total;
}

void require_vector(const py::array& v, int64_t c, const py::array& like, const char* op,
                    const char* what) {
  require_contiguous(v, op, what);
  require_same_dtype(like, v, op);
  if (v.ndim() != 1 || v.shape(0) != c)
    throw py::value_error(std::string(op) + ": " + what + " must be 1-D of size " +
                          std::to_string(c) + ", got shape " + shape_str(shape_of(v)));
}

int64_t last_dim(const py::array& x, const char* op) {
  if (x.ndim() < 1) throw py::value_error(std::string(op) + ": input must be at least 1-D");
  return x.shape(x.ndim() - 1);
}

void bias_add(py::array x, py::array b, py::array out) {
  const char* op = "BiasAdd";
  require_contiguous(x, op, "input");
  require_contiguous(out, op, "output");
  require_writable(out, op);
  require_same_dtype(x, out, op);
  const int64_t c = last_dim(x, op);
  require_vector(b, c, x, op, "bias");
  if (shape_of(out) != shape_of(x)) throw py::value_error("BiasAdd: output shape mismatch");
  const int64_t rows = c ? x.size() / c : 0;
  dispatch_numeric(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    const T* pb = static_cast<const T*>(b.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    parallel_for(rows, rows * c, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < c; ++j) po[r * c + j] = wrap_add(px[r * c + j], pb[j]);
    });
  });
}

void bias_add_grad(py::array dy, py::array out) {
  const char* op = "BiasAddGrad";
  require_contiguous(dy, op, "input");
  require_writable(out, op);
  const int64_t c = last_dim(dy, op);
  require_vector(out, c, dy, op, "output");
  const int64_t rows = c ? dy.size() / c : 0;
  dispatch_numeric(dtype_of(dy), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pd = static_cast<const T*>(dy.data());
    T* po = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    if constexpr (std::is_floating_point_v<T>) {
      auto s = block_sums(rows, c, 1, [&](int64_t r0, int64_t r1, double* acc) {
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t j = 0; j < c; ++j) acc[j] += pd[r * c + j];
      });
      for (int64_t j = 0; j < c; ++j) po[j] = static_cast<T>(s[j]);
    } else {  // integers wrap, in row order
      std::fill(po, po + c, T(0));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < c; ++j) po[j] = wrap_add(po[j], pd[r * c + j]);
    }
  });
}

// FusedBatchNormV3 (NHWC): x, scale, offset, mean, variance -> y, batch_mean, batch_variance,
// reserve_space_1 (mean used), reserve_space_2 (variance used: biased in training, as TF's CPU
// kernel). Training: running stats = (1 - f) * old + f * batch (variance unbiased), or the
// batch's when f == 1.
void fused_batch_norm(py::array x, py::array scale, py::array offset, py::array mean,
                      py::array var, py::array y, py::array bmean, py::array bvar, py::array r1,
                      py::array r2, double eps, double factor, bool training) {
  const char* op = "FusedBatchNormV3";
  require_contiguous(x, op, "x");
  require_contiguous(y, op, "y");
  require_same_dtype(x, y, op);
  if (x.ndim() != 4)
    throw py::value_error("FusedBatchNormV3: x must be 4-D, got shape " + shape_str(shape_of(x)));
  if (shape_of(y) != shape_of(x)) throw py::value_error("FusedBatchNormV3: y shape mismatch");
  const int64_t c = x.shape(3), rows = c ? x.size() / c : 0;
  require_vector(scale, c, x, op, "scale");
  require_vector(offset, c, x, op, "offset");
  for (auto* v : {&bmean, &bvar, &r1, &r2}) {
    require_vector(*v, c, x, op, "output");
    require_writable(*v, op);
  }
  if (!training || factor != 1.0) {
    require_vector(mean, c, x, op, "mean");
    require_vector(var, c, x, op, "variance");
  }
  require_writable(y, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    const T* ps = static_cast<const T*>(scale.data());
    const T* pof = static_cast<const T*>(offset.data());
    const T* pm = mean.size() == c ? static_cast<const T*>(mean.data()) : nullptr;
    const T* pv = var.size() == c ? static_cast<const T*>(var.data()) : nullptr;
    T* py_ = static_cast<T*>(y.mutable_data());
    T* pbm = static_cast<T*>(bmean.mutable_data());
    T* pbv = static_cast<T*>(bvar.mutable_data());
    T* pr1 = static_cast<T*>(r1.mutable_data());
    T* pr2 = static_cast<T*>(r2.mutable_data());
    py::gil_scoped_release release;
    std::vector<double> mu(c), v(c);
    if (training) {
      auto s = block_sums(rows, c, 1, [&](int64_t a, int64_t b, double* acc) {
        for (int64_t r = a; r < b; ++r)
          for (int64_t j = 0; j < c; ++j) acc[j] += px[r * c + j];
      });
      for (int64_t j = 0; j < c; ++j) mu[j] = rows ? s[j] / double(rows) : 0.0;
      auto q = block_sums(rows, c, 1, [&](int64_t a, int64_t b, double* acc) {
        for (int64_t r = a; r < b; ++r)
          for (int64_t j = 0; j < c; ++j) {
            const double d = px[r * c + j] - mu[j];
            acc[j] += d * d;
          }
      });
      for (int64_t j = 0; j < c; ++j) v[j] = rows ? q[j] / double(rows) : 0.0;
      const double adjust = rows > 1 ? double(rows) / double(rows - 1) : 1.0;
      for (int64_t j = 0; j < c; ++j) {
        const double uv = v[j] * adjust;
        pbm[j] = static_cast<T>(factor == 1.0 ? mu[j] : (1 - factor) * pm[j] + factor * mu[j]);
        pbv[j] = static_cast<T>(factor == 1.0 ? uv : (1 - factor) * pv[j] + factor * uv);
        pr1[j] = static_cast<T>(mu[j]);
        pr2[j] = static_cast<T>(v[j]);
      }
    } else {
      for (int64_t j = 0; j < c; ++j) {
        mu[j] = pm[j];
        v[j] = pv[j];
        pbm[j] = pr1[j] = pm[j];
        pbv[j] = pr2[j] = pv[j];
      }
    }
    std::vector<T> mul(c), add(c);
    for (int64_t j = 0; j < c; ++j) {
      const double k = ps[j] / std::sqrt(v[j] + eps);
      mul[j] = static_cast<T>(k);
      add[j] = static_cast<T>(pof[j] - mu[j] * k);
    }
    parallel_for(rows, rows * c, [&](int64_t a, int64_t b) {
      for (int64_t r = a; r < b; ++r)
        for (int64_t j = 0; j < c; ++j) py_[r * c + j] = px[r * c + j] * mul[j] + add[j];
    });
  });
}

// FusedBatchNormGradV3: dy, x, scale, reserve_space_1 (mean), reserve_space_2 (variance) ->
// dx, dscale, doffset.
void fused_batch_norm_grad(py::array dy, py::array x, py::array scale, py::array mean,
                           py::array var, py::array dx, py::array dscale, py::array doffset,
                           double eps, bool training) {
  const char* op = "FusedBatchNormGradV3";
  require_contiguous(dy, op, "y_backprop");
  require_contiguous(x, op, "x");
  require_contiguous(dx, op, "x_backprop");
  require_same_dtype(x, dy, op);
  require_same_dtype(x, dx, op);
  if (x.ndim() != 4)
    throw py::value_error("FusedBatchNormGradV3: x must be 4-D, got shape " +
                          shape_str(shape_of(x)));
  if (shape_of(dy) != shape_of(x) || shape_of(dx) != shape_of(x))
    throw py::value_error("FusedBatchNormGradV3: y_backprop " + shape_str(shape_of(dy)) +
                          " and x " + shape_str(shape_of(x)) + " differ");
  const int64_t c = x.shape(3), rows = c ? x.size() / c : 0;
  require_vector(scale, c, x, op, "scale");
  require_vector(mean, c, x, op, "reserve_space_1");
  require_vector(var, c, x, op, "reserve_space_2");
  require_vector(dscale, c, x, op, "scale_backprop");
  require_vector(doffset, c, x, op, "offset_backprop");
  require_writable(dx, op);
  require_writable(dscale, op);
  require_writable(doffset, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pd = static_cast<const T*>(dy.data());
    const T* px = static_cast<const T*>(x.data());
    const T* ps = static_cast<const T*>(scale.data());
    const T* pm = static_cast<const T*>(mean.data());
    const T* pv = static_cast<const T*>(var.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    T* pds = static_cast<T*>(dscale.mutable_data());
    T* pdo = static_cast<T*>(doffset.mutable_data());
    py::gil_scoped_release release;
    std::vector<double> rstd(c);
    for (int64_t j = 0; j < c; ++j) rstd[j] = 1.0 / std::sqrt(double(pv[j]) + eps);
    // acc[0..c): sum dy; acc[c..2c): sum dy * xhat
    auto s = block_sums(rows, c, 2, [&](int64_t a, int64_t b, double* acc) {
      for (int64_t r = a; r < b; ++r)
        for (int64_t j = 0; j < c; ++j) {
          const double g = pd[r * c + j];
          acc[j] += g;
          acc[c + j] += g * (px[r * c + j] - pm[j]) * rstd[j];
        }
    });
    std::vector<double> k0(c), k1(c), k2(c);
    for (int64_t j = 0; j < c; ++j) {
      pdo[j] = static_cast<T>(s[j]);
      pds[j] = static_cast<T>(s[c + j]);
      const double n = rows ? double(rows) : 1.0;
      // dx = k0 * dy + k1 * xhat + k2
      k0[j] = ps[j] * rstd[j];
      k1[j] = training ? -k0[j] * s[c + j] / n : 0.0;
      k2[j] = training ? -k0[j] * s[j] / n : 0.0;
    }
    parallel_for(rows, rows * c, [&](int64_t a, int64_t b) {
      for (int64_t r = a; r < b; ++r)
        for (int64_t j = 0; j < c; ++j) {
          const double xh = (px[r * c + j] - pm[j]) * rstd[j];
          pdx[r * c + j] = static_cast<T>(k0[j] * pd[r * c + j] + k1[j] * xh + k2[j]);
        }
    });
  });
}

// LayerNorm over the last axis: x [..., d], gamma, beta [d] -> y, mean [...], rstd [...].
void layer_norm(py::array x, py::array gamma, py::array beta, py::array y, py::array mean,
                py::array rstd, double eps) {
  const char* op = "LayerNorm";
  require_contiguous(x, op, "x");
  require_contiguous(y, op, "y");
  require_same_dtype(x, y, op);
  const int64_t d = last_dim(x, op), rows = d ? x.size() / d : product(shape_of(x), 0, x.ndim() - 1);
  require_vector(gamma, d, x, op, "gamma");
  require_vector(beta, d, x, op, "beta");
  if (shape_of(y) != shape_of(x) || mean.size() != rows || rstd.size() != rows)
    throw py::value_error("LayerNorm: output shapes do not match x " + shape_str(shape_of(x)));
  for (auto* a : {&y, &mean, &rstd}) {
    require_contiguous(*a, op, "output");
    require_same_dtype(x, *a, op);
    require_writable(*a, op);
  }
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* px = static_cast<const T*>(x.data());
    const T* pg = static_cast<const T*>(gamma.data());
    const T* pb = static_cast<const T*>(beta.data());
    T* py_ = static_cast<T*>(y.mutable_data());
    T* pm = static_cast<T*>(mean.mutable_data());
    T* pr = static_cast<T*>(rstd.mutable_data());
    py::gil_scoped_release release;
    parallel_for(rows, rows * d, [&](int64_t a, int64_t b) {
      for (int64_t r = a; r < b; ++r) {
        const T* row = px + r * d;
        double s = 0;
        for (int64_t j = 0; j < d; ++j) s += row[j];
        const double mu = d ? s / double(d) : 0.0;
        double q = 0;
        for (int64_t j = 0; j < d; ++j) q += (row[j] - mu) * (row[j] - mu);
        const double rs = 1.0 / std::sqrt((d ? q / double(d) : 0.0) + eps);
        pm[r] = static_cast<T>(mu);
        pr[r] = static_cast<T>(rs);
        T* out = py_ + r * d;
        for (int64_t j = 0; j < d; ++j)
          out[j] = static_cast<T>((row[j] - mu) * rs * pg[j] + pb[j]);
      }
    });
  });
}

// LayerNormGrad: dy, x, gamma, mean, rstd -> dx, dgamma, dbeta.
void layer_norm_grad(py::array dy, py::array x, py::array gamma, py::array mean, py::array rstd,
                     py::array dx, py::array dgamma, py::array dbeta) {
  const char* op = "LayerNormGrad";
  for (auto* a : {&dy, &x, &dx, &mean, &rstd}) {
    require_contiguous(*a, op, "input");
    require_same_dtype(x, *a, op);
  }
  const int64_t d = last_dim(x, op), rows = d ? x.size() / d : product(shape_of(x), 0, x.ndim() - 1);
  require_vector(gamma, d, x, op, "gamma");
  require_vector(dgamma, d, x, op, "gamma_backprop");
  require_vector(dbeta, d, x, op, "beta_backprop");
  if (shape_of(dy) != shape_of(x) || shape_of(dx) != shape_of(x) || mean.size() != rows ||
      rstd.size() != rows)
    throw py::value_error("LayerNormGrad: shapes do not match x " + shape_str(shape_of(x)));
  for (auto* a : {&dx, &dgamma, &dbeta}) require_writable(*a, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* pd = static_cast<const T*>(dy.data());
    const T* px = static_cast<const T*>(x.data());
    const T* pg = static_cast<const T*>(gamma.data());
    const T* pm = static_cast<const T*>(mean.data());
    const T* pr = static_cast<const T*>(rstd.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    T* pdg = static_cast<T*>(dgamma.mutable_data());
    T* pdb = static_cast<T*>(dbeta.mutable_data());
    py::gil_scoped_release release;
    parallel_for(rows, rows * d, [&](int64_t a, int64_t b) {
      for (int64_t r = a; r < b; ++r) {
        const T* g = pd + r * d;
        const T* row = px + r * d;
        const double mu = pm[r], rs = pr[r];
        double s1 = 0, s2 = 0;  // mean of gamma*dy and of gamma*dy*xhat
        for (int64_t j = 0; j < d; ++j) {
          const double gg = double(g[j]) * pg[j];
          s1 += gg;
          s2 += gg * (row[j] - mu) * rs;
        }
        s1 /= double(d);
        s2 /= double(d);
        for (int64_t j = 0; j < d; ++j) {
          const double xh = (row[j] - mu) * rs;
          pdx[r * d + j] = static_cast<T>(rs * (double(g[j]) * pg[j] - s1 - xh * s2));
        }
      }
    });
    auto s = block_sums(rows, d, 2, [&](int64_t a, int64_t b, double* acc) {
      for (int64_t r = a; r < b; ++r)
        for (int64_t j = 0; j < d; ++j) {
          const double g = pd[r * d + j];
          acc[j] += g * (px[r * d + j] - pm[r]) * pr[r];
          acc[d + j] += g;
        }
    });
    for (int64_t j = 0; j < d; ++j) {
      pdg[j] = static_cast<T>(s[j]);
      pdb[j] = static_cast<T>(s[d + j]);
    }
  });
}

}  // namespace

void init_norm(py::module_& m) {
  m.def("bias_add", &bias_add, py::arg("x"), py::arg("bias"), py::arg("out"));
  m.def("bias_add_grad", &bias_add_grad, py::arg("dy"), py::arg("out"));
  m.def("fused_batch_norm", &fused_batch_norm, py::arg("x"), py::arg("scale"),
        py::arg("offset"), py::arg("mean"), py::arg("variance"), py::arg("y"),
        py::arg("batch_mean"), py::arg("batch_variance"), py::arg("reserve_1"),
        py::arg("reserve_2"), py::arg("epsilon"), py::arg("factor"), py::arg("training"));
  m.def("fused_batch_norm_grad", &fused_batch_norm_grad, py::arg("dy"), py::arg("x"),
        py::arg("scale"), py::arg("mean"), py::arg("variance"), py::arg("dx"),
        py::arg("dscale"), py::arg("doffset"), py::arg("epsilon"), py::arg("training"));
  m.def("layer_norm", &layer_norm, py::arg("x"), py::arg("gamma"), py::arg("beta"),
        py::arg("y"), py::arg("mean"), py::arg("rstd"), py::arg("epsilon"));
  m.def("layer_norm_grad", &layer_norm_grad, py::arg("dy"), py::arg("x"), py::arg("gamma"),
        py::arg("mean"), py::arg("rstd"), py::arg("dx"), py::arg("dgamma"), py::arg("dbeta"));
}

}  // namespace th
