// Discrete Fourier transforms over the innermost 1, 2 or 3 dims (TF's FFT / IFFT / RFFT /
// IRFFT ops). Every length works: an in-place decimation-in-frequency mixed-radix transform
// for lengths whose prime factors are small (radix 8, 4, 2, 3 and 5 butterflies, a general
// one for 7, 11, 13), Bluestein's chirp-z convolution through a power-of-two transform for
// the others.
//
// Speed: the rows of a batch are transformed together, one row per SIMD lane (2 or 4
// doubles or 4 / 8 floats: SSE2 or AVX2, picked per CPU), each element's real and imaginary
// vectors side by side, so every butterfly is plain vector arithmetic with no shuffles. The
// passes run over the whole row only while its blocks exceed L1, then block by block; the
// digit-reversed result is read back through a permutation on store. Twiddles come from
// tables in a per-length plan cache. An even-length real transform runs as a complex
// transform of half the length. complex64 computes in float and complex128 in double, as
// NumPy's pocketfft, with twiddles taken in double from exact angle indices (and rounded once
// for float), so the error stays near NumPy's. Batches of rows go to threads.
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>

#include "common.h"

// the lane types never cross a non-inlined call: their ABI notes do not apply
#pragma GCC diagnostic ignored "-Wpsabi"

namespace th {
namespace {

using Cd = std::complex<double>;
constexpr int64_t kMaxSmallPrime = 13;  // larger prime factors go through Bluestein

// exp(-2 pi i k / n) (forward sign), k reduced mod n so the angle stays exact-ish.
Cd root(int64_t k, int64_t n) {
  k %= n;
  if (k < 0) k += n;
  const double a = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(n);
  return Cd(std::cos(a), std::sin(a));
}

// One Stockham pass: radix p, sub-length m = len / p; tw[j p + u] = W_len^(j u), w[t p + u] =
// W_p^(t u) (the general butterfly's roots); real and imaginary parts apart.
template <class S>
struct Stage {
  int64_t p = 0, m = 0;
  std::vector<S> twr, twi, wr, wi;
};

template <class S>
std::vector<S> rounded(const std::vector<double>& v) {
  return std::vector<S>(v.begin(), v.end());
}

// The tables of one transform length, in the precision S a transform computes in: made in
// double (Plan<double>(n)), rounded once for float (Plan<float>(the double plan)).
template <class S>
struct Plan {
  explicit Plan(int64_t n);
  explicit Plan(const Plan<double>& d)
      : n(d.n), perm(d.perm), big(d.big), chr(rounded<S>(d.chr)), chi(rounded<S>(d.chi)),
        kr(rounded<S>(d.kr)), ki(rounded<S>(d.ki)) {
    for (const auto& g : d.stages)
      stages.push_back({g.p, g.m, rounded<S>(g.twr), rounded<S>(g.twi), rounded<S>(g.wr),
                        rounded<S>(g.wi)});
    if (d.blue) blue = std::make_unique<Plan>(*d.blue);
  }
  // V elements each of the real and imaginary scratch a batched transform needs
  int64_t scratch() const { return blue ? 2 * big : 0; }

  int64_t n;
  std::vector<Stage<S>> stages;
  std::vector<int32_t> perm;  // where forward() leaves term k (digit reversal; Bluestein: k)
  // Bluestein: a smooth transform of length big >= 2n - 1, the chirp exp(-i pi k^2 / n) and
  // the transformed conjugate chirp (the convolution kernel), scaled by 1 / big.
  std::unique_ptr<Plan> blue;
  int64_t big = 0;
  std::vector<S> chr, chi, kr, ki;
};

// ---- SIMD lanes ----------------------------------------------------------------------------

typedef double V2 __attribute__((vector_size(16)));
typedef double V4 __attribute__((vector_size(32)));
typedef float F4 __attribute__((vector_size(16)));
typedef float F8 __attribute__((vector_size(32)));

// the element type of a lane vector
template <class V>
using Elem = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<V>()[0])>>;

template <class V>
constexpr int kLanes = sizeof(V) / sizeof(Elem<V>);

// one lane of a V array, read or written as a scalar (lane k * kLanes + l)
template <class S>
struct LaneOf {
  typedef S type __attribute__((may_alias));
};
template <class V>
using Lane = typename LaneOf<Elem<V>>::type;

template <class V>
struct CV {
  V r, i;
};

template <class V>
TH_ALWAYS_INLINE CV<V> ld(const V* r, const V* i, int64_t k) {
  return {r[2 * k], i[2 * k]};
}
template <class V>
TH_ALWAYS_INLINE void st(V* r, V* i, int64_t k, CV<V> a) {
  r[2 * k] = a.r;
  i[2 * k] = a.i;
}
template <class V>
TH_ALWAYS_INLINE CV<V> add(CV<V> a, CV<V> b) {
  return {a.r + b.r, a.i + b.i};
}
template <class V>
TH_ALWAYS_INLINE CV<V> sub(CV<V> a, CV<V> b) {
  return {a.r - b.r, a.i - b.i};
}
template <class V>
TH_ALWAYS_INLINE CV<V> scal(CV<V> a, Elem<V> c) {
  return {a.r * c, a.i * c};
}
template <class V>  // a * (tr + i ti)
TH_ALWAYS_INLINE CV<V> cmul(CV<V> a, Elem<V> tr, Elem<V> ti) {
  return {a.r * tr - a.i * ti, a.r * ti + a.i * tr};
}
template <class V>  // -i a
TH_ALWAYS_INLINE CV<V> negi(CV<V> a) {
  return {a.i, -a.r};
}

// One in-place decimation-in-frequency pass of radix p over `blocks` consecutive blocks of
// length p m: x[j + t m], t < p, -> (their length-p DFT)[u] W_len^(j u) at x[j + u m].
template <class V, class S = Elem<V>>
TH_ALWAYS_INLINE void pass(const Stage<S>& g, V* r, V* i, int64_t blocks) {
  const int64_t p = g.p, m = g.m;
  const S* tr = g.twr.data();
  const S* ti = g.twi.data();
  for (int64_t blk = 0; blk < blocks; ++blk, r += 2 * p * m, i += 2 * p * m) {
    if (p == 8) {
      const S h = std::sqrt(0.5);
      for (int64_t j = 0; j < m; ++j) {
        const S* a = tr + 8 * j;
        const S* b = ti + 8 * j;
        CV<V> x[8];
        for (int t = 0; t < 8; ++t) x[t] = ld(r, i, j + t * m);
        // two radix-4 butterflies (even and odd samples), joined by W_8^u
        const CV<V> e0 = add(x[0], x[4]), e1 = sub(x[0], x[4]), e2 = add(x[2], x[6]);
        const CV<V> e3 = negi(sub(x[2], x[6]));
        const CV<V> f0 = add(x[1], x[5]), f1 = sub(x[1], x[5]), f2 = add(x[3], x[7]);
        const CV<V> f3 = negi(sub(x[3], x[7]));
        const CV<V> E[4] = {add(e0, e2), add(e1, e3), sub(e0, e2), sub(e1, e3)};
        CV<V> O[4] = {add(f0, f2), add(f1, f3), sub(f0, f2), sub(f1, f3)};
        O[1] = scal(CV<V>{O[1].r + O[1].i, O[1].i - O[1].r}, h);  // W_8
        O[2] = negi(O[2]);                                         // W_8^2 = -i
        O[3] = scal(CV<V>{O[3].i - O[3].r, -O[3].r - O[3].i}, h);  // W_8^3
        st(r, i, j, add(E[0], O[0]));
        st(r, i, j + 4 * m, cmul(sub(E[0], O[0]), a[4], b[4]));
        for (int u = 1; u < 4; ++u) {
          st(r, i, j + u * m, cmul(add(E[u], O[u]), a[u], b[u]));
          st(r, i, j + (u + 4) * m, cmul(sub(E[u], O[u]), a[u + 4], b[u + 4]));
        }
      }
    } else if (p == 4) {
      for (int64_t j = 0; j < m; ++j) {
        const S* a = tr + 4 * j;
        const S* b = ti + 4 * j;
        const CV<V> a0 = ld(r, i, j), a1 = ld(r, i, j + m);
        const CV<V> a2 = ld(r, i, j + 2 * m), a3 = ld(r, i, j + 3 * m);
        const CV<V> e0 = add(a0, a2), e1 = sub(a0, a2), o0 = add(a1, a3);
        const CV<V> o1 = negi(sub(a1, a3));
        st(r, i, j, add(e0, o0));
        st(r, i, j + m, cmul(add(e1, o1), a[1], b[1]));
        st(r, i, j + 2 * m, cmul(sub(e0, o0), a[2], b[2]));
        st(r, i, j + 3 * m, cmul(sub(e1, o1), a[3], b[3]));
      }
    } else if (p == 2) {
      for (int64_t j = 0; j < m; ++j) {
        const CV<V> a0 = ld(r, i, j), a1 = ld(r, i, j + m);
        st(r, i, j, add(a0, a1));
        st(r, i, j + m, cmul(sub(a0, a1), tr[2 * j + 1], ti[2 * j + 1]));
      }
    } else if (p == 3) {
      const S h = std::sqrt(0.75);  // sin(2 pi / 3)
      for (int64_t j = 0; j < m; ++j) {
        const CV<V> a0 = ld(r, i, j), a1 = ld(r, i, j + m), a2 = ld(r, i, j + 2 * m);
        const CV<V> b = add(a1, a2), c = sub(a0, scal(b, 0.5));
        const CV<V> d = scal(negi(sub(a1, a2)), h);
        st(r, i, j, add(a0, b));
        st(r, i, j + m, cmul(add(c, d), tr[3 * j + 1], ti[3 * j + 1]));
        st(r, i, j + 2 * m, cmul(sub(c, d), tr[3 * j + 2], ti[3 * j + 2]));
      }
    } else if (p == 5) {
      const S c1 = std::cos(0.4 * M_PI), c2 = std::cos(0.8 * M_PI);
      const S s1 = std::sin(0.4 * M_PI), s2 = std::sin(0.8 * M_PI);
      for (int64_t j = 0; j < m; ++j) {
        const S* a = tr + 5 * j;
        const S* b = ti + 5 * j;
        const CV<V> a0 = ld(r, i, j), a1 = ld(r, i, j + m), a2 = ld(r, i, j + 2 * m);
        const CV<V> a3 = ld(r, i, j + 3 * m), a4 = ld(r, i, j + 4 * m);
        const CV<V> b1 = add(a1, a4), b2 = add(a2, a3), d1 = sub(a1, a4), d2 = sub(a2, a3);
        const CV<V> e1 = add(a0, add(scal(b1, c1), scal(b2, c2)));
        const CV<V> e2 = add(a0, add(scal(b1, c2), scal(b2, c1)));
        const CV<V> g1 = negi(add(scal(d1, s1), scal(d2, s2)));
        const CV<V> g2 = negi(sub(scal(d1, s2), scal(d2, s1)));
        st(r, i, j, add(a0, add(b1, b2)));
        st(r, i, j + m, cmul(add(e1, g1), a[1], b[1]));
        st(r, i, j + 2 * m, cmul(add(e2, g2), a[2], b[2]));
        st(r, i, j + 3 * m, cmul(sub(e2, g2), a[3], b[3]));
        st(r, i, j + 4 * m, cmul(sub(e1, g1), a[4], b[4]));
      }
    } else {
      const S* wr = g.wr.data();
      const S* wi = g.wi.data();
      CV<V> a[kMaxSmallPrime];
      for (int64_t j = 0; j < m; ++j) {
        for (int64_t t = 0; t < p; ++t) a[t] = ld(r, i, j + t * m);
        for (int64_t u = 0; u < p; ++u) {
          CV<V> sum = a[0];
          for (int64_t t = 1; t < p; ++t) sum = add(sum, cmul(a[t], wr[t * p + u], wi[t * p + u]));
          const int64_t k = j * p + u;
          st(r, i, j + u * m, u ? cmul(sum, tr[k], ti[k]) : sum);
        }
      }
    }
  }
}

// In-place transform of a smooth length, the result in digit-reversed order (term k at
// pl.perm[k]). Passes run over the whole row while its blocks are larger than L1 can hold,
// then block by block, each block's remaining passes staying in L1.
template <class V>
TH_ALWAYS_INLINE void dif(const Plan<Elem<V>>& pl, V* r, V* i) {
  constexpr int64_t kFit = 16384 / (2 * sizeof(V));
  const size_t count = pl.stages.size();
  size_t d = 0;
  int64_t len = pl.n;
  for (; d < count && len > kFit; ++d) {
    pass(pl.stages[d], r, i, pl.n / len);
    len /= pl.stages[d].p;
  }
  if (d == count) return;
  for (int64_t b = 0; b < pl.n / len; ++b) {
    int64_t sub = len;
    for (size_t e = d; e < count; sub /= pl.stages[e].p, ++e)
      pass(pl.stages[e], r + 2 * b * len, i + 2 * b * len, len / sub);
  }
}

// In-place forward transform (unnormalized) of n elements, term k left at pl.perm[k];
// w*: pl.scratch() elements.
template <class V>
TH_ALWAYS_INLINE void forward(const Plan<Elem<V>>& pl, V* r, V* i, V* wr, V* wi) {
  if (pl.n <= 1) return;
  if (!pl.blue) return dif(pl, r, i);
  const int64_t n = pl.n, big = pl.big;
  const int32_t* perm = pl.blue->perm.data();
  V *br = wr, *bi = wi, *cr = wr + 2 * big, *ci = wi + 2 * big;
  for (int64_t k = 0; k < n; ++k) st(br, bi, k, cmul(ld(r, i, k), pl.chr[k], pl.chi[k]));
  for (int64_t k = n; k < big; ++k) br[2 * k] = bi[2 * k] = V{};
  dif(*pl.blue, br, bi);
  // the inverse transform of the product, as the conjugate of the forward one of its conjugate
  for (int64_t k = 0; k < big; ++k) {
    const CV<V> z = cmul(ld(br, bi, perm[k]), pl.kr[k], pl.ki[k]);
    st(cr, ci, k, {z.r, -z.i});
  }
  dif(*pl.blue, cr, ci);
  for (int64_t k = 0; k < n; ++k) {
    const CV<V> z = ld(cr, ci, perm[k]);
    st(r, i, k, cmul(CV<V>{z.r, -z.i}, pl.chr[k], pl.chi[k]));
  }
}

template <>
Plan<double>::Plan(int64_t n_) : n(n_) {
  std::vector<int64_t> factors;
  int64_t rest = n, twos = 0;
  while (rest % 2 == 0) ++twos, rest /= 2;
  // 2^t as radix-8 passes, the rest as one or two radix-4 ones (2^10 = 8 8 4 4), or a 2
  int64_t eights = twos / 3, fours = twos % 3 == 2 ? 1 : 0, two = twos % 3 == 1 ? 1 : 0;
  if (two && eights) --eights, fours = 2, two = 0;
  factors.insert(factors.end(), eights, 8);
  factors.insert(factors.end(), fours, 4);
  factors.insert(factors.end(), two, 2);
  for (int64_t p = 3; p * p <= rest; p += 2)
    while (rest % p == 0) factors.push_back(p), rest /= p;
  if (rest > 1) factors.push_back(rest);
  bool is_smooth = true;
  for (auto p : factors) is_smooth = is_smooth && p <= kMaxSmallPrime;
  perm.resize(n);
  if (!is_smooth) {
    for (int64_t k = 0; k < n; ++k) perm[k] = static_cast<int32_t>(k);
    big = 1;
    while (big < 2 * n - 1) big *= 2;
    blue = std::make_unique<Plan>(big);
    chr.resize(n), chi.resize(n);
    for (int64_t k = 0; k < n; ++k) {  // k^2 taken mod 2n exactly
      const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) %
                                              static_cast<unsigned __int128>(2 * n));
      const Cd c = root(k2, 2 * n);
      chr[k] = c.real(), chi[k] = c.imag();
    }
    // the kernel conj(chirp) wrapped around, transformed with the two-lane code (lane 0)
    std::vector<V2> z(2 * big, V2{});  // real, imaginary, real, ...
    z[0] = V2{chr[0], 0}, z[1] = V2{-chi[0], 0};
    for (int64_t k = 1; k < n; ++k) {
      z[2 * k] = z[2 * (big - k)] = V2{chr[k], 0};
      z[2 * k + 1] = z[2 * (big - k) + 1] = V2{-chi[k], 0};
    }
    dif(*blue, z.data(), z.data() + 1);
    kr.resize(big), ki.resize(big);
    for (int64_t k = 0; k < big; ++k) {
      const int32_t at = blue->perm[k];
      kr[k] = z[2 * at][0] / big, ki[k] = z[2 * at + 1][0] / big;
    }
    return;
  }
  int64_t len = n;
  for (auto p : factors) {
    Stage<double> g;
    g.p = p, g.m = len / p;
    g.twr.resize(len), g.twi.resize(len);
    for (int64_t j = 0; j < g.m; ++j)
      for (int64_t u = 0; u < p; ++u) {
        const Cd t = root(j * u, len);
        g.twr[j * p + u] = t.real(), g.twi[j * p + u] = t.imag();
      }
    if (p > 5) {
      g.wr.resize(p * p), g.wi.resize(p * p);
      for (int64_t t = 0; t < p; ++t)
        for (int64_t u = 0; u < p; ++u) {
          const Cd w = root(t * u, p);
          g.wr[t * p + u] = w.real(), g.wi[t * p + u] = w.imag();
        }
    }
    stages.push_back(std::move(g));
    len /= p;
  }
  for (int64_t k = 0; k < n; ++k) {  // k = u_0 + p_0 (u_1 + p_1 (...)) sits at sum u_d m_d
    int64_t rest_k = k, at = 0;
    for (const Stage<double>& g : stages) at += (rest_k % g.p) * g.m, rest_k /= g.p;
    perm[k] = static_cast<int32_t>(at);
  }
}

// Plans are cached per length (the twiddles and Bluestein's kernel cost more than one row).
template <class S>
std::shared_ptr<const Plan<S>> plan_for(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::shared_ptr<const Plan<S>>> cache;
  std::shared_ptr<const Plan<double>> exact;
  if constexpr (!std::is_same_v<S, double>) exact = plan_for<double>(n);  // before the lock
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  if (cache.size() > 64) cache.clear();
  std::shared_ptr<const Plan<S>> plan;
  if constexpr (std::is_same_v<S, double>) plan = std::make_shared<const Plan<S>>(n);
  else plan = std::make_shared<const Plan<S>>(*exact);
  cache[n] = plan;
  return plan;
}

// ---- batches of rows -----------------------------------------------------------------------

// What one call transforms: `rows` rows of length n (element k of row r at
// (r / inner) * n * inner + r % inner + k * inner), read from src, written to dst, both of
// the precision S the transform computes in.
template <class S>
struct Job {
  const Plan<S>* plan;  // the complex transform (of n / 2 for an even real one)
  const void* src;
  void* dst;
  int64_t n, inner, rows;
  bool inverse;  // conjugate on load and store (complex rows)
  S scale;       // on store
  std::vector<S> wr, wi;  // the real transforms' W_n^k
};

// One thread's rows side by side, one per lane: m elements (real and imaginary vectors in
// turn) and the scratch forward() needs, 64-byte aligned (std::vector<V> would build V outside
// the ISA-specific code); re(k, l) / im(k, l): lane l of element k.
template <class V>
struct Lanes {
  using S = Elem<V>;
  static constexpr int L = kLanes<V>;
  Lanes(const Plan<S>& plan, int64_t m) : pl(plan), mem(2 * (m + plan.scratch()) * L + 64) {
    const auto p = reinterpret_cast<uintptr_t>(mem.data());
    r = reinterpret_cast<V*>((p + 63) & ~uintptr_t(63));
    i = r + 1, wr = r + 2 * m, wi = wr + 1;
  }
  // inlined into the row kernels, so compiled for their ISA
  TH_ALWAYS_INLINE Lane<V>& re(int64_t k, int l) {
    return reinterpret_cast<Lane<V>*>(r)[k * 2 * L + l];
  }
  TH_ALWAYS_INLINE Lane<V>& im(int64_t k, int l) {
    return reinterpret_cast<Lane<V>*>(i)[k * 2 * L + l];
  }
  TH_ALWAYS_INLINE void transform() { forward(pl, r, i, wr, wi); }

  const Plan<S>& pl;
  std::vector<S> mem;
  V *r, *i, *wr, *wi;
};

template <class V, class S>
TH_ALWAYS_INLINE int64_t row_offsets(const Job<S>& j, int64_t b, int64_t* off, int64_t row_len) {
  int64_t valid = 0;
  for (int l = 0; l < kLanes<V>; ++l) {
    const int64_t r = b * kLanes<V> + l;
    off[l] = r < j.rows ? (r / j.inner) * row_len * j.inner + r % j.inner : -1;
    valid += r < j.rows;
  }
  return valid;
}

// Complex rows along any axis; inverse conjugates around the forward transform.
template <class V, class S = Elem<V>>
TH_ALWAYS_INLINE void complex_rows(const Job<S>& j, int64_t lo, int64_t hi) {
  constexpr int L = kLanes<V>;
  const int64_t n = j.n, st_ = j.inner;
  const int32_t* perm = j.plan->perm.data();
  Lanes<V> w(*j.plan, n);
  const auto* src = static_cast<const std::complex<S>*>(j.src);
  auto* dst = static_cast<std::complex<S>*>(j.dst);
  const S sgn = j.inverse ? -1 : 1, scale = j.scale;
  int64_t off[L];
  for (int64_t b = lo; b < hi; ++b) {
    row_offsets<V>(j, b, off, n);
    // one sweep over k, the lanes' rows side by side (L streams in, one out; then back)
    for (int64_t k = 0; k < n; ++k)
      for (int l = 0; l < L; ++l) {
        const std::complex<S> c = off[l] < 0 ? std::complex<S>() : src[off[l] + k * st_];
        w.re(k, l) = c.real();
        w.im(k, l) = sgn * c.imag();
      }
    w.transform();
    for (int64_t k = 0; k < n; ++k) {
      const int32_t at = perm[k];
      for (int l = 0; l < L; ++l)
        if (off[l] >= 0)
          dst[off[l] + k * st_] = std::complex<S>(w.re(at, l) * scale, sgn * w.im(at, l) * scale);
    }
  }
}

// Real rows (contiguous) of length n to their half spectra (n / 2 + 1 terms). Even n: one
// complex transform of n / 2 of z[k] = x[2k] + i x[2k+1], then X[k] = E[k] + W^k O[k] with E,
// O the spectra of the even and odd samples, read off Z[k] and conj(Z[n/2 - k]).
template <class V, class S = Elem<V>>
TH_ALWAYS_INLINE void rfft_rows(const Job<S>& j, int64_t lo, int64_t hi) {
  constexpr int L = kLanes<V>;
  const int64_t n = j.n, h = n / 2 + 1, m = j.plan->n;
  const bool even = n % 2 == 0;
  const int32_t* perm = j.plan->perm.data();
  Lanes<V> w(*j.plan, m);
  V *r = w.r, *i = w.i;
  const auto* src = static_cast<const S*>(j.src);
  auto* dst = static_cast<std::complex<S>*>(j.dst);
  int64_t off[L];
  for (int64_t b = lo; b < hi; ++b) {
    row_offsets<V>(j, b, off, 1);
    for (int l = 0; l < L; ++l) {
      const S* x = src + (off[l] < 0 ? 0 : off[l] * n);
      if (off[l] < 0)
        for (int64_t k = 0; k < m; ++k) w.re(k, l) = w.im(k, l) = 0;
      else if (even)
        for (int64_t k = 0; k < m; ++k) w.re(k, l) = x[2 * k], w.im(k, l) = x[2 * k + 1];
      else
        for (int64_t k = 0; k < m; ++k) w.re(k, l) = x[k], w.im(k, l) = 0;
    }
    w.transform();
    if (!even) {
      for (int l = 0; l < L; ++l) {
        if (off[l] < 0) continue;
        std::complex<S>* y = dst + off[l] * h;
        y[0] = std::complex<S>(w.re(perm[0], l), 0);  // a real row's zero term is real
        for (int64_t k = 1; k < h; ++k) y[k] = std::complex<S>(w.re(perm[k], l), w.im(perm[k], l));
      }
      continue;
    }
    // the post-processing per pair k, m - k (Z[k] at perm[k]), in place, then the stores
    const V z0r = r[2 * perm[0]], z0i = i[2 * perm[0]];
    for (int64_t k = 1; 2 * k <= m; ++k) {
      const int32_t pk = perm[k], pc = perm[m - k];
      const CV<V> a = ld(r, i, pk), c = ld(r, i, pc);
      const CV<V> b{c.r, -c.i}, bb{a.r, -a.i};
      const CV<V> e = scal(add(a, b), S(0.5)), o = negi(scal(sub(a, b), S(0.5)));
      const CV<V> e2 = scal(add(c, bb), S(0.5)), o2 = negi(scal(sub(c, bb), S(0.5)));
      st(r, i, pk, add(e, cmul(o, j.wr[k], j.wi[k])));
      st(r, i, pc, add(e2, cmul(o2, j.wr[m - k], j.wi[m - k])));
    }
    for (int l = 0; l < L; ++l) {
      if (off[l] < 0) continue;
      std::complex<S>* y = dst + off[l] * h;
      y[0] = std::complex<S>(z0r[l] + z0i[l], 0);
      y[m] = std::complex<S>(z0r[l] - z0i[l], 0);
      for (int64_t k = 1; k < m; ++k) y[k] = std::complex<S>(w.re(perm[k], l), w.im(perm[k], l));
    }
  }
}

// The inverse of rfft_rows: half spectra (n / 2 + 1 terms; the imaginary parts of X[0] and,
// for even n, X[n/2] drop out, as NumPy's) to real rows of length n, times scale. Even n:
// Z[k] = E[k] + i O[k] from X[k] and conj(X[n/2 - k]), one transform of n / 2 gives
// x[2j] + i x[2j+1]. Odd n: the Hermitian extension through a full transform.
template <class V, class S = Elem<V>>
TH_ALWAYS_INLINE void irfft_rows(const Job<S>& j, int64_t lo, int64_t hi) {
  constexpr int L = kLanes<V>;
  const int64_t n = j.n, h = n / 2 + 1, m = j.plan->n;
  const bool even = n % 2 == 0;
  const int32_t* perm = j.plan->perm.data();
  Lanes<V> w(*j.plan, m);
  V *r = w.r, *i = w.i;
  const auto* src = static_cast<const std::complex<S>*>(j.src);
  auto* dst = static_cast<S*>(j.dst);
  const S scale = j.scale;
  int64_t off[L];
  for (int64_t b = lo; b < hi; ++b) {
    row_offsets<V>(j, b, off, 1);
    V x0r{}, xmr{};
    for (int l = 0; l < L; ++l) {
      const std::complex<S>* x = src + (off[l] < 0 ? 0 : off[l] * h);
      if (off[l] < 0) {
        for (int64_t k = 0; k < m; ++k) w.re(k, l) = w.im(k, l) = 0;
        continue;
      }
      // conjugated, so that the forward transform gives the conjugate of the inverse
      for (int64_t k = 0; k < h && k < m; ++k) w.re(k, l) = x[k].real(), w.im(k, l) = -x[k].imag();
      if (even) {
        x0r[l] = x[0].real(), xmr[l] = x[m].real();
      } else {
        for (int64_t k = 1; n - k >= h; ++k)
          w.re(n - k, l) = x[k].real(), w.im(n - k, l) = x[k].imag();
        w.im(0, l) = 0;
      }
    }
    if (even) {  // the loaded half holds conj(X[k]), k < m; z[k] = conj(e + i o)
      const V zero{};
      for (int64_t k = 0; 2 * k <= m; ++k) {
        const int64_t k2 = m - k;
        const CV<V> ck = k ? ld(r, i, k) : CV<V>{x0r, zero};    // conj(X[k])
        const CV<V> ck2 = k ? ld(r, i, k2) : CV<V>{xmr, zero};  // conj(X[m - k])
        // a = X[k] = conj(ck), b = conj(X[m - k]) = ck2
        const CV<V> a{ck.r, -ck.i}, b = ck2, a2{ck2.r, -ck2.i}, b2 = ck;
        const CV<V> e = add(a, b), o = cmul(sub(a, b), j.wr[k], j.wi[k]);
        const CV<V> e2 = add(a2, b2), o2 = cmul(sub(a2, b2), j.wr[k2 % m], j.wi[k2 % m]);
        st(r, i, k, CV<V>{e.r - o.i, -(e.i + o.r)});
        if (k2 < m && k2 != k) st(r, i, k2, CV<V>{e2.r - o2.i, -(e2.i + o2.r)});
      }
    }
    w.transform();
    for (int64_t k = 0; k < (even ? m : n); ++k) {  // the lanes' rows side by side
      const int32_t at = perm[k];
      for (int l = 0; l < L; ++l) {
        if (off[l] < 0) continue;
        S* y = dst + off[l] * n;
        if (even) y[2 * k] = w.re(at, l) * scale, y[2 * k + 1] = -w.im(at, l) * scale;
        else y[k] = w.re(at, l) * scale;
      }
    }
  }
}

// The lane vectors of precision S: SSE2's or AVX2's.
template <class S, bool kAvx2>
using Wide = std::conditional_t<std::is_same_v<S, float>, std::conditional_t<kAvx2, F8, F4>,
                                std::conditional_t<kAvx2, V4, V2>>;

template <class S>
using RowsFn = void (*)(const Job<S>&, int64_t, int64_t);

// Each row kernel for the two lane widths, the wider ones compiled for their ISA.
#define TH_FFT_VERSIONS(name)                                                 \
  template <class S>                                                          \
  void name##_sse2(const Job<S>& j, int64_t lo, int64_t hi) {                 \
    name<Wide<S, false>>(j, lo, hi);                                          \
  }                                                                           \
  template <class S>                                                          \
  TH_TARGET_AVX2 void name##_avx2(const Job<S>& j, int64_t lo, int64_t hi) {  \
    name<Wide<S, true>>(j, lo, hi);                                           \
  }                                                                           \
  template <class S>                                                          \
  void name##_run(const Job<S>& j) {                                          \
    run_rows(j, {&name##_sse2<S>, &name##_avx2<S>});                          \
  }

// Runs a job with the widest lanes the CPU has and the rows fill, batches over threads.
template <class S>
void run_rows(const Job<S>& j, std::initializer_list<RowsFn<S>> fns) {
  const RowsFn<S>* f = fns.begin();
  // AVX-512's lanes measured slower than AVX2's (a twice larger working set)
  int isa = std::min(static_cast<int>(cpu_isa()), static_cast<int>(Isa::kAvx2));
  constexpr int64_t kSse = 16 / sizeof(S);  // SSE2's lanes; AVX2 has twice as many
  while (isa > 0 && j.rows < (kSse << isa)) --isa;
  const int64_t lanes = kSse << isa;
  const int64_t batches = (j.rows + lanes - 1) / lanes;
  const int64_t cost = j.plan->n * (j.plan->blue ? 32 : 8);
  parallel_for(batches, j.rows * cost, [&](int64_t lo, int64_t hi) { f[isa](j, lo, hi); });
}

TH_FFT_VERSIONS(complex_rows)
TH_FFT_VERSIONS(rfft_rows)
TH_FFT_VERSIONS(irfft_rows)

// Transforms the complex tensor src (shape dims) along `axis` into dst (may be src).
template <class T>
void transform_axis(const std::complex<T>* src, std::complex<T>* dst, const Shape& dims,
                    size_t axis, bool inverse, double scale) {
  Job<T> j{};
  j.n = dims[axis];
  int64_t total = 1;
  for (auto d : dims) total *= d;
  if (total == 0) return;
  j.inner = 1;
  for (size_t a = axis + 1; a < dims.size(); ++a) j.inner *= dims[a];
  j.rows = total / j.n;
  auto plan = plan_for<T>(j.n);
  j.plan = plan.get(), j.src = src, j.dst = dst, j.inverse = inverse;
  j.scale = static_cast<T>(scale);
  complex_rows_run(j);
}

// The real transforms' W_n^k, k < n / 2 + 1, on the job (conjugated for the inverse).
template <class T>
void real_twiddles(Job<T>& j, bool inverse) {
  const int64_t h = j.n / 2 + 1;
  j.wr.resize(h), j.wi.resize(h);
  for (int64_t k = 0; k < h; ++k) {
    const Cd w = root(k, j.n);
    j.wr[k] = static_cast<T>(w.real()), j.wi[k] = static_cast<T>(inverse ? -w.imag() : w.imag());
  }
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
    using T = std::remove_pointer_t<decltype(tag)>;
    using C = std::complex<T>;
    const C* px = static_cast<const C*>(x.data());
    C* po = static_cast<C*>(out.mutable_data());
    py::gil_scoped_release release;
    const size_t first = dims.size() - rank, last = dims.size() - 1;
    double count = 1;
    for (size_t a = first; a <= last; ++a) count *= static_cast<double>(dims[a]);
    const double scale = inverse ? 1.0 / count : 1.0;
    if (rank == 1) return transform_axis(px, po, dims, last, inverse, scale);
    // innermost axis first into a buffer, the outermost one out of it
    std::vector<C> data(x.size());
    transform_axis(px, data.data(), dims, last, inverse, 1.0);
    for (size_t a = last - 1; a > first; --a)
      transform_axis(data.data(), data.data(), dims, a, inverse, 1.0);
    transform_axis(data.data(), po, dims, first, inverse, scale);
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
    py::gil_scoped_release release;
    Job<T> j{};
    j.n = dims.back(), j.inner = 1, j.rows = out.size() / want.back(), j.scale = 1;
    auto plan = plan_for<T>(j.n % 2 == 0 ? j.n / 2 : j.n);
    j.plan = plan.get(), j.src = px;
    real_twiddles(j, false);
    if (rank == 1) {
      j.dst = po;
      return rfft_rows_run(j);
    }
    // then the outer axes on the half spectrum alone
    std::vector<C> half(out.size());
    j.dst = half.data();
    rfft_rows_run(j);
    const size_t first = dims.size() - rank;
    for (size_t a = dims.size() - 2; a > first; --a)
      transform_axis(half.data(), half.data(), want, a, false, 1.0);
    transform_axis(half.data(), po, want, first, false, 1.0);
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
    py::gil_scoped_release release;
    double count = 1;
    for (size_t a = odims.size() - rank; a < odims.size(); ++a)
      count *= static_cast<double>(odims[a]);
    Job<T> j{};
    j.n = odims.back(), j.inner = 1, j.rows = out.size() / j.n;
    j.scale = static_cast<T>(1.0 / count);
    auto plan = plan_for<T>(j.n % 2 == 0 ? j.n / 2 : j.n);
    j.plan = plan.get(), j.dst = po;
    real_twiddles(j, true);
    if (rank == 1) {
      j.src = px;
      return irfft_rows_run(j);
    }
    std::vector<C> half(x.size());
    const size_t first = odims.size() - rank;
    transform_axis(px, half.data(), hdims, first, true, 1.0);
    for (size_t a = first + 1; a + 1 < odims.size(); ++a)
      transform_axis(half.data(), half.data(), hdims, a, true, 1.0);
    j.src = half.data();
    irfft_rows_run(j);
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
