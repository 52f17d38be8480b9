// Discrete Fourier transforms over the innermost 1, 2 or 3 dims (TF's FFT / IFFT / RFFT /
// IRFFT ops). Every length works: a self-sorting (Stockham) mixed-radix transform for lengths
// whose prime factors are small (radix 4 and 2 butterflies, a general one for 3, 5, 7, ...),
// Bluestein's chirp-z convolution through a power-of-two transform for the others. Both
// precisions compute in double (complex64 is widened and rounded once), with twiddles taken
// from exact angle indices, so the error stays near NumPy's pocketfft. OpenMP over the rows.
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <mutex>

#include "common.h"

namespace th {
namespace {

using Cd = std::complex<double>;
constexpr int64_t kMaxSmallPrime = 13;  // larger prime factors go through Bluestein

// a * b without the C99 inf / NaN recovery of std::complex's operator* (a libgcc call per
// product): the plain formula, as pocketfft multiplies
inline Cd mul(const Cd& a, const Cd& b) {
  return Cd(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}

// exp(-2 pi i k / n) (forward sign), k reduced mod n so the angle stays exact-ish.
Cd root(int64_t k, int64_t n) {
  k %= n;
  if (k < 0) k += n;
  // fold into the first octant-free form: use symmetric index for accuracy
  const double a = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(n);
  return Cd(std::cos(a), std::sin(a));
}

class Plan {
 public:
  explicit Plan(int64_t n) : n_(n) {
    int64_t rest = n;
    while (rest % 4 == 0) factors_.push_back(4), rest /= 4;
    while (rest % 2 == 0) factors_.push_back(2), rest /= 2;
    for (int64_t p = 3; p * p <= rest; p += 2)
      while (rest % p == 0) factors_.push_back(p), rest /= p;
    if (rest > 1) factors_.push_back(rest);
    bool smooth = true;
    for (auto p : factors_) smooth = smooth && p <= kMaxSmallPrime;
    if (!smooth) {
      init_bluestein();
      return;
    }
    int64_t len = n;
    for (auto p : factors_) {  // per stage: W_len^(j*u), j < len / p, u < p
      const int64_t m = len / p;
      std::vector<Cd> tw(m * p);
      for (int64_t j = 0; j < m; ++j)
        for (int64_t u = 0; u < p; ++u) tw[j * p + u] = root(j * u, len);
      twiddles_.push_back(std::move(tw));
      std::vector<Cd> w(p * p);
      for (int64_t t = 0; t < p; ++t)
        for (int64_t u = 0; u < p; ++u) w[t * p + u] = root(t * u, p);
      radix_roots_.push_back(std::move(w));
      len = m;
    }
  }

  int64_t size() const { return n_; }
  // scratch doubles needed by forward()
  int64_t scratch() const { return bluestein_ ? 2 * m_ + bluestein_->scratch() : n_; }

  // In-place forward transform of x[0..n) (unnormalized); work: scratch() elements.
  void forward(Cd* x, Cd* work) const {
    if (n_ <= 1) return;
    if (bluestein_) return run_bluestein(x, work);
    Cd* a = x;
    Cd* b = work;
    int64_t len = n_, s = 1;
    for (size_t st = 0; st < factors_.size(); ++st) {
      stage(factors_[st], len, s, a, b, twiddles_[st].data(), radix_roots_[st].data());
      std::swap(a, b);
      len /= factors_[st];
      s *= factors_[st];
    }
    if (a != x) std::copy(a, a + n_, x);
  }

 private:
  // One decimation-in-frequency step: len = p * m, stride s; y[q + s (p j + u)].
  static void stage(int64_t p, int64_t len, int64_t s, const Cd* x, Cd* y, const Cd* tw,
                    const Cd* w) {
    const int64_t m = len / p;
    if (p == 2) {
      for (int64_t j = 0; j < m; ++j) {
        const Cd t1 = tw[j * 2 + 1];
        for (int64_t q = 0; q < s; ++q) {
          const Cd a0 = x[q + s * j], a1 = x[q + s * (j + m)];
          y[q + s * (2 * j)] = a0 + a1;
          y[q + s * (2 * j + 1)] = mul(a0 - a1, t1);
        }
      }
      return;
    }
    if (p == 4) {
      for (int64_t j = 0; j < m; ++j) {
        const Cd t1 = tw[j * 4 + 1], t2 = tw[j * 4 + 2], t3 = tw[j * 4 + 3];
        for (int64_t q = 0; q < s; ++q) {
          const Cd a0 = x[q + s * j], a1 = x[q + s * (j + m)];
          const Cd a2 = x[q + s * (j + 2 * m)], a3 = x[q + s * (j + 3 * m)];
          const Cd e0 = a0 + a2, e1 = a0 - a2, o0 = a1 + a3;
          const Cd d = a1 - a3;
          const Cd o1(d.imag(), -d.real());  // -i (a1 - a3)
          Cd* out = y + q + s * (4 * j);
          out[0] = e0 + o0;
          out[s] = mul(e1 + o1, t1);
          out[2 * s] = mul(e0 - o0, t2);
          out[3 * s] = mul(e1 - o1, t3);
        }
      }
      return;
    }
    if (p == 3) {
      const double h = std::sqrt(0.75);  // sin(2 pi / 3)
      for (int64_t j = 0; j < m; ++j) {
        const Cd t1 = tw[j * 3 + 1], t2 = tw[j * 3 + 2];
        for (int64_t q = 0; q < s; ++q) {
          const Cd a0 = x[q + s * j], a1 = x[q + s * (j + m)], a2 = x[q + s * (j + 2 * m)];
          const Cd b = a1 + a2, c = a0 - 0.5 * b, d = a1 - a2;
          const Cd r(h * d.imag(), -h * d.real());  // -i sin(2 pi / 3) (a1 - a2)
          Cd* out = y + q + s * (3 * j);
          out[0] = a0 + b;
          out[s] = mul(c + r, t1);
          out[2 * s] = mul(c - r, t2);
        }
      }
      return;
    }
    if (p == 5) {
      const double c1 = std::cos(0.4 * M_PI), c2 = std::cos(0.8 * M_PI);
      const double s1 = std::sin(0.4 * M_PI), s2 = std::sin(0.8 * M_PI);
      for (int64_t j = 0; j < m; ++j) {
        const Cd* t = tw + j * 5;
        for (int64_t q = 0; q < s; ++q) {
          const Cd a0 = x[q + s * j], a1 = x[q + s * (j + m)], a2 = x[q + s * (j + 2 * m)];
          const Cd a3 = x[q + s * (j + 3 * m)], a4 = x[q + s * (j + 4 * m)];
          const Cd b1 = a1 + a4, b2 = a2 + a3, d1 = a1 - a4, d2 = a2 - a3;
          const Cd e1 = a0 + c1 * b1 + c2 * b2, e2 = a0 + c2 * b1 + c1 * b2;
          const Cd f1 = s1 * d1 + s2 * d2, f2 = s2 * d1 - s1 * d2;
          const Cd g1(f1.imag(), -f1.real()), g2(f2.imag(), -f2.real());  // -i f
          Cd* out = y + q + s * (5 * j);
          out[0] = a0 + b1 + b2;
          out[s] = mul(e1 + g1, t[1]);
          out[2 * s] = mul(e2 + g2, t[2]);
          out[3 * s] = mul(e2 - g2, t[3]);
          out[4 * s] = mul(e1 - g1, t[4]);
        }
      }
      return;
    }
    Cd a[kMaxSmallPrime];
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t q = 0; q < s; ++q) {
        for (int64_t t = 0; t < p; ++t) a[t] = x[q + s * (j + t * m)];
        for (int64_t u = 0; u < p; ++u) {
          Cd sum = a[0];
          for (int64_t t = 1; t < p; ++t) sum += mul(a[t], w[t * p + u]);
          y[q + s * (p * j + u)] = u ? mul(sum, tw[j * p + u]) : sum;
        }
      }
    }
  }

  void init_bluestein() {
    m_ = 1;
    while (m_ < 2 * n_ - 1) m_ *= 2;
    bluestein_ = std::make_unique<Plan>(m_);
    chirp_.resize(n_);
    for (int64_t k = 0; k < n_; ++k) {  // exp(-i pi k^2 / n), k^2 taken mod 2n exactly
      const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) %
                                              static_cast<unsigned __int128>(2 * n_));
      chirp_[k] = root(k2, 2 * n_);
    }
    kernel_.assign(m_, Cd(0));
    kernel_[0] = std::conj(chirp_[0]);
    for (int64_t k = 1; k < n_; ++k) kernel_[k] = kernel_[m_ - k] = std::conj(chirp_[k]);
    std::vector<Cd> work(bluestein_->scratch());
    bluestein_->forward(kernel_.data(), work.data());
  }

  void run_bluestein(Cd* x, Cd* work) const {
    Cd* buf = work;
    Cd* inner = work + m_;
    for (int64_t k = 0; k < n_; ++k) buf[k] = mul(x[k], chirp_[k]);
    std::fill(buf + n_, buf + m_, Cd(0));
    bluestein_->forward(buf, inner);
    // inverse of the product by conjugation: ifft(v) = conj(fft(conj(v))) / m
    for (int64_t k = 0; k < m_; ++k) buf[k] = std::conj(mul(buf[k], kernel_[k]));
    bluestein_->forward(buf, inner);
    const double scale = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) x[k] = mul(std::conj(buf[k]) * scale, chirp_[k]);
  }

  int64_t n_;
  std::vector<int64_t> factors_;
  std::vector<std::vector<Cd>> twiddles_, radix_roots_;
  int64_t m_ = 0;
  std::unique_ptr<Plan> bluestein_;
  std::vector<Cd> chirp_, kernel_;
};

// Plans are cached per length (the twiddles and Bluestein's kernel cost more than one row).
std::shared_ptr<const Plan> plan_for(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::shared_ptr<const Plan>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  if (cache.size() > 64) cache.clear();
  auto plan = std::make_shared<const Plan>(n);
  cache[n] = plan;
  return plan;
}

// Transforms data (shape dims, C order) along dim `axis` in place; inverse conjugates around
// the forward transform (unnormalized). Rows go to threads.
void transform_axis(std::vector<Cd>& data, const Shape& dims, size_t axis, bool inverse) {
  const int64_t n = dims[axis];
  if (n <= 1 || data.empty()) return;
  int64_t inner = 1, outer = 1;
  for (size_t i = axis + 1; i < dims.size(); ++i) inner *= dims[i];
  for (size_t i = 0; i < axis; ++i) outer *= dims[i];
  auto plan = plan_for(n);
  const int64_t rows = outer * inner;
  const int64_t cost = n * (plan->scratch() > n ? 8 : 2) * 4;
  if (inner == 1) {  // contiguous rows: transformed where they lie
    parallel_for(rows, rows * cost, [&](int64_t lo, int64_t hi) {
      std::vector<Cd> work(plan->scratch());
      for (int64_t r = lo; r < hi; ++r) {
        Cd* row = data.data() + r * n;
        if (inverse)
          for (int64_t i = 0; i < n; ++i) row[i] = std::conj(row[i]);
        plan->forward(row, work.data());
        if (inverse)
          for (int64_t i = 0; i < n; ++i) row[i] = std::conj(row[i]);
      }
    });
    return;
  }
  parallel_for(rows, rows * cost, [&](int64_t lo, int64_t hi) {
    std::vector<Cd> row(n), work(plan->scratch());
    for (int64_t r = lo; r < hi; ++r) {
      Cd* base = data.data() + (r / inner) * n * inner + r % inner;
      for (int64_t i = 0; i < n; ++i) row[i] = inverse ? std::conj(base[i * inner]) : base[i * inner];
      plan->forward(row.data(), work.data());
      for (int64_t i = 0; i < n; ++i) base[i * inner] = inverse ? std::conj(row[i]) : row[i];
    }
  });
}

// The half spectra (n / 2 + 1 terms) of `rows` real rows of even length n, through one complex
// transform of length n / 2 per row: z[k] = x[2k] + i x[2k+1], then X[k] = E[k] + W^k O[k]
// with E, O the spectra of the even and odd samples, read off Z[k] and conj(Z[n/2 - k]).
template <typename T>
void rfft_even_rows(const T* x, Cd* half, int64_t rows, int64_t n) {
  const int64_t m = n / 2, h = m + 1;
  auto plan = plan_for(m);
  std::vector<Cd> w(h);
  for (int64_t k = 0; k < h; ++k) w[k] = root(k, n);
  const int64_t cost = m * (plan->scratch() > m ? 8 : 2) * 4 + 8 * h;
  parallel_for(rows, rows * cost, [&](int64_t lo, int64_t hi) {
    std::vector<Cd> z(m), work(plan->scratch());
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = x + r * n;
      for (int64_t k = 0; k < m; ++k) z[k] = Cd(xr[2 * k], xr[2 * k + 1]);
      plan->forward(z.data(), work.data());
      Cd* out = half + r * h;
      out[0] = Cd(z[0].real() + z[0].imag(), 0.0);
      out[m] = Cd(z[0].real() - z[0].imag(), 0.0);
      for (int64_t k = 1; k < m; ++k) {
        const Cd a = z[k], b = std::conj(z[m - k]);
        const Cd e = 0.5 * (a + b), d = 0.5 * (a - b);
        const Cd o(d.imag(), -d.real());  // (a - b) / 2i
        out[k] = e + mul(w[k], o);
      }
    }
  });
}

// The inverse of rfft_even_rows: from each row's half spectrum X[0..n/2] (the imaginary parts
// of X[0] and X[n/2] drop out), Z[k] = E[k] + i O[k] with E, O the spectra of the even and odd
// samples, then one inverse transform of length n / 2 gives x[2j] + i x[2j+1], times n.
template <typename T>
void irfft_even_rows(const Cd* half, T* out, int64_t rows, int64_t n, double scale) {
  const int64_t m = n / 2, h = m + 1;
  auto plan = plan_for(m);
  std::vector<Cd> w(m);
  for (int64_t k = 0; k < m; ++k) w[k] = std::conj(root(k, n));  // W^-k
  const int64_t cost = m * (plan->scratch() > m ? 8 : 2) * 4 + 8 * h;
  parallel_for(rows, rows * cost, [&](int64_t lo, int64_t hi) {
    std::vector<Cd> z(m), work(plan->scratch());
    for (int64_t r = lo; r < hi; ++r) {
      const Cd* x = half + r * h;
      for (int64_t k = 0; k < m; ++k) {
        const Cd a = k ? x[k] : Cd(x[0].real(), 0.0);
        const Cd b = k ? std::conj(x[m - k]) : Cd(x[m].real(), 0.0);
        const Cd e = a + b, o = mul(a - b, w[k]);
        z[k] = Cd(e.real() - o.imag(), -(e.imag() + o.real()));  // conj(e + i o)
      }
      plan->forward(z.data(), work.data());  // conj of the unnormalized inverse
      T* xr = out + r * n;
      for (int64_t j = 0; j < m; ++j) {
        xr[2 * j] = static_cast<T>(z[j].real() * scale);
        xr[2 * j + 1] = static_cast<T>(-z[j].imag() * scale);
      }
    }
  });
}

template <typename Fn>
void dispatch_cplx(const py::array& a, const char* op, Fn&& fn) {
  if (a.dtype().kind() == 'c' && a.dtype().itemsize() == 8) fn(static_cast<float*>(nullptr));
  else if (a.dtype().kind() == 'c' && a.dtype().itemsize() == 16) fn(static_cast<double*>(nullptr));
  else throw py::type_error(std::string(op) + ": needs complex64 or complex128");
}

void check_rank(const py::array& a, int rank, const char* op) {
  if (rank < 1 || rank > 3 || a.ndim() < rank)
    throw py::value_error(std::string(op) + ": input rank below the transform rank");
}

// FFT / IFFT of the innermost `rank` dims; IFFT scales by 1 / (product of their lengths).
void fft(py::array x, py::array out, int rank, bool inverse) {
  require_contiguous(x, "fft", "input");
  require_contiguous(out, "fft", "output");
  require_writable(out, "fft");
  require_same_dtype(x, out, "fft");
  check_rank(x, rank, "fft");
  const Shape dims = shape_of(x);
  if (dims != shape_of(out)) throw py::value_error("fft: shapes differ");
  if (out.size() == 0) return;
  dispatch_cplx(x, "fft", [&](auto* tag) {
    using C = std::complex<std::remove_pointer_t<decltype(tag)>>;
    const C* px = static_cast<const C*>(x.data());
    C* po = static_cast<C*>(out.mutable_data());
    const int64_t total = x.size();
    py::gil_scoped_release release;
    std::vector<Cd> data(px, px + total);
    double count = 1;
    for (size_t a = dims.size() - rank; a < dims.size(); ++a) {
      transform_axis(data, dims, a, inverse);
      count *= static_cast<double>(dims[a]);
    }
    const double scale = inverse && count > 0 ? 1.0 / count : 1.0;
    for (int64_t i = 0; i < total; ++i) po[i] = C(data[i] * scale);
  });
}

// RFFT: x real [..., n_1.., n], already cropped / padded to fft_length; out [..., n_1.., n/2+1].
void rfft(py::array x, py::array out, int rank) {
  require_contiguous(x, "rfft", "input");
  require_contiguous(out, "rfft", "output");
  require_writable(out, "rfft");
  check_rank(x, rank, "rfft");
  const Shape dims = shape_of(x);
  Shape want = dims;
  want.back() = dims.back() / 2 + 1;
  if (shape_of(out) != want || x.dtype().kind() != 'f' ||
      x.dtype().itemsize() * 2 != out.dtype().itemsize())
    throw py::value_error("rfft: output must be the complex half spectrum of the input");
  if (out.size() == 0) return;
  dispatch_cplx(out, "rfft", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const T* px = static_cast<const T*>(x.data());
    C* po = static_cast<C*>(out.mutable_data());
    const int64_t total = x.size(), n = dims.back(), h = want.back();
    py::gil_scoped_release release;
    std::vector<Cd> half(out.size());
    if (n >= 2 && n % 2 == 0) {
      rfft_even_rows(px, half.data(), total / n, n);
    } else {
      std::vector<Cd> data(px, px + total);
      transform_axis(data, dims, dims.size() - 1, false);
      // a real row's zero term is real: drop the rounding noise; keep the half spectrum
      for (int64_t r = 0; n && r < total / n; ++r) {
        data[r * n] = Cd(data[r * n].real(), 0.0);
        std::copy(data.begin() + r * n, data.begin() + r * n + h, half.begin() + r * h);
      }
    }
    // then transform the outer axes on the half spectrum alone
    for (size_t a = dims.size() - rank; a + 1 < dims.size(); ++a)
      transform_axis(half, want, a, false);
    for (int64_t i = 0; i < static_cast<int64_t>(half.size()); ++i) po[i] = C(half[i]);
  });
}

// IRFFT: x complex [..., n_1.., n/2+1] (cropped / padded), out real [..., n_1.., n]: inverse
// transforms of the outer axes, then each row's Hermitian extension (the imaginary parts of
// the zero and Nyquist terms drop out, as NumPy's).
void irfft(py::array x, py::array out, int rank) {
  require_contiguous(x, "irfft", "input");
  require_contiguous(out, "irfft", "output");
  require_writable(out, "irfft");
  check_rank(out, rank, "irfft");
  const Shape odims = shape_of(out);
  Shape hdims = odims;
  hdims.back() = odims.back() / 2 + 1;
  if (shape_of(x) != hdims || out.dtype().kind() != 'f' ||
      out.dtype().itemsize() * 2 != x.dtype().itemsize())
    throw py::value_error("irfft: input must be the complex half spectrum of the output");
  if (out.size() == 0) return;
  dispatch_cplx(x, "irfft", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const C* px = static_cast<const C*>(x.data());
    T* po = static_cast<T*>(out.mutable_data());
    const int64_t n = odims.back(), h = hdims.back();
    py::gil_scoped_release release;
    std::vector<Cd> half(px, px + x.size());
    double count = 1;
    for (size_t a = odims.size() - rank; a + 1 < odims.size(); ++a) {
      transform_axis(half, hdims, a, true);
      count *= static_cast<double>(odims[a]);
    }
    count *= static_cast<double>(n);
    const int64_t rows = n ? static_cast<int64_t>(out.size()) / n : 0;
    const double scale = count > 0 ? 1.0 / count : 1.0;
    if (n >= 2 && n % 2 == 0) {
      irfft_even_rows(half.data(), po, rows, n, scale);
      return;
    }
    std::vector<Cd> full(rows * n);
    for (int64_t r = 0; r < rows; ++r) {
      const Cd* hr = half.data() + r * h;
      Cd* fr = full.data() + r * n;
      for (int64_t k = 0; k < h && k < n; ++k) fr[k] = hr[k];
      for (int64_t k = 1; n - k >= h; ++k) fr[n - k] = std::conj(hr[k]);
    }
    Shape fdims = {rows, n};
    transform_axis(full, fdims, 1, true);
    for (int64_t i = 0; i < rows * n; ++i) po[i] = static_cast<T>(full[i].real() * scale);
  });
}

}  // namespace

void init_fft(py::module_& m) {
  m.def("fft", &fft, py::arg("x"), py::arg("out"), py::arg("rank"), py::arg("inverse"),
        "FFT / IFFT over the innermost rank (1-3) dims; the inverse scales by 1/N.");
  m.def("rfft", &rfft, py::arg("x"), py::arg("out"), py::arg("rank"));
  m.def("irfft", &irfft, py::arg("x"), py::arg("out"), py::arg("rank"));
}

}  // namespace th
