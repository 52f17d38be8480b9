// Whole-sequence LSTM and GRU kernels (Keras's gate order and formulas) and their gradients,
// in the spirit of TF's BlockLSTMV2 / BlockLSTMGradV2. Inputs are batch-major ([batch, time,
// features]); the input projection of every step is one GEMM, each step then runs one GEMM
// h @ recurrent_kernel (two for GRU with reset_after=False) and a fused gate loop. The forward
// pass saves the activated gates time-major ([time, batch, ...], in processing order) for the
// backward kernels, which run the reverse loop and finish with one GEMM per weight.
// Step k reads input time t = k, or T - 1 - k with go_backwards; outputs are in step order.
// An optional mask [batch, time] (0 or 1, x's dtype; empty for none) keeps a row's states at a
// masked step: its output there repeats the previous state (the layer masks the outputs).
#include <algorithm>
#include <cmath>
#include <memory>

#include "blas.h"
#include "elementwise_ops.h"
#if TH_X86_DISPATCH
#include <immintrin.h>
#endif

namespace th {
namespace {

// The activations as the Tanh / Sigmoid kernels compute them, so results match the op path.
template <typename T>
TH_ALWAYS_INLINE T sigm(T x) {
  if constexpr (std::is_same_v<T, float>) return ew::vm::sigmoid_f(x);
  else return T(1) / (T(1) + T(std::exp(-x)));
}

template <typename T>
TH_ALWAYS_INLINE T tanh_(T x) {
  if constexpr (std::is_same_v<T, float>) return ew::vm::tanh_f(x);
  else return T(std::tanh(x));
}

// The per-step gate loops over rows [b0, b1) of the batch, as straight maps over the units so
// they vectorize; compiled for the baseline, AVX2 and AVX-512 (common.h) and picked per process.
// LSTM forward: z (in: the step's recurrent projections h @ U; out: the activated gates), xr the
// input projections (row stride xs), the previous and new cell states, the new outputs (row
// stride ys).
template <typename T>
TH_ALWAYS_INLINE void lstm_fwd_rows(T* zp, const T* xp, int64_t xs, const T* bp, const T* cpp,
                                    T* cnp, T* hp, int64_t ys, int64_t u, const T* hpp,
                                    int64_t ldh, const T* mk, int64_t ms, int64_t b0, int64_t b1) {
  // one restrict pointer per gate block: the blocks of a row never overlap
  const T *__restrict bi = bp, *__restrict bf = bp + u, *__restrict bg = bp + 2 * u,
                      *__restrict bo = bp + 3 * u;
  for (int64_t b = b0; b < b1; ++b) {
    T* z = zp + b * 4 * u;
    T *__restrict zi = z, *__restrict zf = z + u, *__restrict zg = z + 2 * u,
                  *__restrict zo = z + 3 * u;
    const T* xr = xp + b * xs;
    const T *__restrict xi = xr, *__restrict xf = xr + u, *__restrict xg = xr + 2 * u,
                        *__restrict xo = xr + 3 * u;
    const T* __restrict cprev = cpp + b * u;
    T* __restrict cn = cnp + b * u;
    T* __restrict hn = hp + b * ys;
#pragma GCC ivdep
    for (int64_t j = 0; j < u; ++j) {
      const T i = sigm<T>((xi[j] + zi[j]) + bi[j]);
      const T f = sigm<T>((xf[j] + zf[j]) + bf[j]);
      const T g = tanh_<T>((xg[j] + zg[j]) + bg[j]);
      const T o = sigm<T>((xo[j] + zo[j]) + bo[j]);
      const T c = f * cprev[j] + i * g;
      zi[j] = i, zf[j] = f, zg[j] = g, zo[j] = o;
      cn[j] = c;
      hn[j] = o * tanh_<T>(c);
    }
    if (mk && mk[b * ms] == T(0)) {  // a masked step: the states carry over
      std::copy_n(cprev, u, cn);
      std::copy_n(hpp + b * ldh, u, hn);
    }
  }
}

// LSTM backward: the saved gates and cell states, the previous cell states, dy (row stride
// ys); dz gets the pre-activation gradients; dh / dc carry the state gradients (in: from the
// step after, out: dc for the step before; dh is overwritten by the caller's GEMM).
template <typename T>
TH_ALWAYS_INLINE void lstm_bwd_rows(const T* gp, const T* cp_, const T* cpp, const T* dyp,
                                    int64_t ys, T* dzp, T* dhp, T* dcp, int64_t u, const T* mk,
                                    int64_t ms, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const T* gt = gp + b * 4 * u;
    const T *__restrict gi = gt, *__restrict gf = gt + u, *__restrict gg = gt + 2 * u,
                        *__restrict go = gt + 3 * u;
    T* z = dzp + b * 4 * u;
    T *__restrict zi = z, *__restrict zf = z + u, *__restrict zg = z + 2 * u,
                  *__restrict zo = z + 3 * u;
    const T* __restrict ck = cp_ + b * u;
    const T* __restrict cprev = cpp + b * u;
    const T* __restrict dyk = dyp + b * ys;
    T* __restrict hn = dhp + b * u;
    T* __restrict cn = dcp + b * u;
    if (mk) {  // masked: dh passes to the step before (the caller's GEMM adds to it), dc too
      if (mk[b * ms] == T(0)) {
        for (int64_t j = 0; j < u; ++j) hn[j] += dyk[j];
        std::fill_n(z, 4 * u, T(0));
        continue;
      }
    }
#pragma GCC ivdep
    for (int64_t j = 0; j < u; ++j) {
      const T i = gi[j], f = gf[j], g = gg[j], o = go[j];
      const T tc = tanh_<T>(ck[j]);
      const T dhk = dyk[j] + hn[j];
      const T dck = cn[j] + dhk * o * (T(1) - tc * tc);
      zi[j] = dck * g * i * (T(1) - i);
      zf[j] = dck * cprev[j] * f * (T(1) - f);
      zg[j] = dck * i * (T(1) - g * g);
      zo[j] = dhk * tc * o * (T(1) - o);
      cn[j] = dck * f;
      if (mk) hn[j] = T(0);
    }
  }
}

// GRU forward, one step: gates z, r (and the saved recurrent candidate rh with reset_after, or
// r * h_prev into rh_out without), then the candidate and the new output. s: the step's saved
// [z, r, hh, rh] rows; xw: input projections (row stride xs); rec: recurrent projections.
template <typename T>
struct GruStep {
  const T *xw, *rec, *bi, *br, *hp;
  int64_t xs, ldh;
  T *s, *rh_out, *hn;
  int64_t ys, u;
  bool after;
  const T* mk;  // the step's mask column (row stride ms), or null
  int64_t ms;
};

template <typename T>
TH_ALWAYS_INLINE void gru_gate_rows(const GruStep<T>& p, int64_t b0, int64_t b1) {
  const int64_t u = p.u;
  for (int64_t b = b0; b < b1; ++b) {
    const T* xr = p.xw + b * p.xs;
    const T* rr = p.rec + b * 3 * u;
    T* sr = p.s + b * 4 * u;
    const T *__restrict xz = xr, *__restrict xq = xr + u, *__restrict rz = rr,
                        *__restrict rq = rr + u, *__restrict bz = p.bi, *__restrict bq = p.bi + u;
    T *__restrict sz = sr, *__restrict sq = sr + u, *__restrict sh = sr + 3 * u;
    if (p.after) {
      const T *__restrict cz = p.br, *__restrict cq = p.br + u, *__restrict ch = p.br + 2 * u,
                          *__restrict rh = rr + 2 * u;
#pragma GCC ivdep
      for (int64_t j = 0; j < u; ++j) {
        sz[j] = sigm<T>((xz[j] + bz[j]) + (rz[j] + cz[j]));
        sq[j] = sigm<T>((xq[j] + bq[j]) + (rq[j] + cq[j]));
        sh[j] = rh[j] + ch[j];
      }
    } else {
      const T* __restrict hb = p.hp + b * p.ldh;
      T* __restrict out = p.rh_out + b * u;
#pragma GCC ivdep
      for (int64_t j = 0; j < u; ++j) {
        sz[j] = sigm<T>((xz[j] + bz[j]) + rz[j]);
        const T r = sigm<T>((xq[j] + bq[j]) + rq[j]);
        sq[j] = r;
        sh[j] = T(0);
        out[j] = r * hb[j];
      }
    }
  }
}

template <typename T>
TH_ALWAYS_INLINE void gru_out_rows(const GruStep<T>& p, int64_t b0, int64_t b1) {
  const int64_t u = p.u;
  for (int64_t b = b0; b < b1; ++b) {
    const T* sr = p.s + b * 4 * u;
    const T *__restrict xh = p.xw + b * p.xs + 2 * u, *__restrict bh = p.bi + 2 * u,
                        *__restrict rh = p.rec + b * 3 * u + 2 * u, *__restrict sz = sr,
                        *__restrict sq = sr + u, *__restrict srh = sr + 3 * u,
                        *__restrict hb = p.hp + b * p.ldh;
    T* __restrict shh = p.s + b * 4 * u + 2 * u;
    T* __restrict hn = p.hn + b * p.ys;
#pragma GCC ivdep
    for (int64_t j = 0; j < u; ++j) {
      const T x = xh[j] + bh[j];
      const T hh = p.after ? tanh_<T>(x + sq[j] * srh[j]) : tanh_<T>(x + rh[j]);
      shh[j] = hh;
      hn[j] = sz[j] * hb[j] + (T(1) - sz[j]) * hh;
    }
    if (p.mk && p.mk[b * p.ms] == T(0)) std::copy_n(hb, u, hn);  // masked: the state carries
  }
}

// GRU backward, one step: from the saved gates, dy and the running dh, the input-projection
// gradients dxr = [daz, dar, dah] (dar only with reset_after), the recurrent ones dR, and dh's
// direct part dh * z (the caller's GEMMs add the rest). Without reset_after, rh_out gets
// r * h_prev for the recurrent kernel's gradient.
template <typename T>
struct GruBack {
  const T *s, *dy, *hp;
  int64_t ys, ldh;
  T *dx, *dR, *rh_out, *dh;
  int64_t u;
  bool after;
  const T* mk;
  int64_t ms;
};

template <typename T>
TH_ALWAYS_INLINE void gru_back_rows(const GruBack<T>& p, int64_t b0, int64_t b1) {
  const int64_t u = p.u;
  for (int64_t b = b0; b < b1; ++b) {
    const T* sr = p.s + b * 4 * u;
    const T *__restrict sz = sr, *__restrict sq = sr + u, *__restrict shh = sr + 2 * u,
                        *__restrict srh = sr + 3 * u, *__restrict dyk = p.dy + b * p.ys,
                        *__restrict hb = p.hp + b * p.ldh;
    T* xr = p.dx + b * 3 * u;
    T *__restrict dz = xr, *__restrict dq = xr + u, *__restrict dhh = xr + 2 * u;
    T* __restrict dh = p.dh + b * u;
    if (p.mk && p.mk[b * p.ms] == T(0)) {  // masked: no gate gradients, dh passes through
      for (int64_t j = 0; j < u; ++j) dh[j] += dyk[j];
      std::fill_n(xr, 3 * u, T(0));
      if (p.after) std::fill_n(p.dR + b * 3 * u, 3 * u, T(0));
      else std::fill_n(p.rh_out + b * u, u, T(0));
      continue;
    }
    if (p.after) {
      T* rr = p.dR + b * 3 * u;
      T *__restrict rz = rr, *__restrict rq = rr + u, *__restrict rh = rr + 2 * u;
#pragma GCC ivdep
      for (int64_t j = 0; j < u; ++j) {
        const T z = sz[j], r = sq[j], hh = shh[j];
        const T dhk = dyk[j] + dh[j];
        const T dah = dhk * (T(1) - z) * (T(1) - hh * hh);
        const T daz = dhk * (hb[j] - hh) * z * (T(1) - z);
        const T dar = dah * srh[j] * r * (T(1) - r);
        dz[j] = daz, dq[j] = dar, dhh[j] = dah;
        rz[j] = daz, rq[j] = dar, rh[j] = dah * r;
        dh[j] = dhk * z;
      }
    } else {
      T* __restrict out = p.rh_out + b * u;
#pragma GCC ivdep
      for (int64_t j = 0; j < u; ++j) {
        const T z = sz[j], hh = shh[j];
        const T dhk = dyk[j] + dh[j];
        dz[j] = dhk * (hb[j] - hh) * z * (T(1) - z);
        dhh[j] = dhk * (T(1) - z) * (T(1) - hh * hh);
        dh[j] = dhk * z;
        out[j] = sq[j] * hb[j];
      }
    }
  }
}

// reset_after=False: q = dah @ U_h^T reaches r * h_prev; dar and dh's part through r.
template <typename T>
TH_ALWAYS_INLINE void gru_back_r_rows(const GruBack<T>& p, const T* q, int64_t b0, int64_t b1) {
  const int64_t u = p.u;
  for (int64_t b = b0; b < b1; ++b) {
    const T *__restrict sq = p.s + b * 4 * u + u, *__restrict hb = p.hp + b * p.ldh,
                        *__restrict qb = q + b * u;
    T* __restrict dq = p.dx + b * 3 * u + u;
    T* __restrict dh = p.dh + b * u;
#pragma GCC ivdep
    for (int64_t j = 0; j < u; ++j) {
      const T r = sq[j];
      dq[j] = qb[j] * hb[j] * r * (T(1) - r);
      dh[j] += qb[j] * r;
    }
  }
}

#define TH_RNN_VERSIONS(name, params, args)                   \
  template <typename T>                                       \
  void name##_base params { name<T> args; }                   \
  template <typename T>                                       \
  TH_TARGET_AVX2 void name##_avx2 params { name<T> args; }    \
  template <typename T>                                       \
  TH_TARGET_AVX512 void name##_avx512 params { name<T> args; }

TH_RNN_VERSIONS(lstm_fwd_rows,
                (T * zp, const T* xp, int64_t xs, const T* bp, const T* cpp, T* cnp, T* hp,
                 int64_t ys, int64_t u, const T* hpp, int64_t ldh, const T* mk, int64_t ms,
                 int64_t b0, int64_t b1),
                (zp, xp, xs, bp, cpp, cnp, hp, ys, u, hpp, ldh, mk, ms, b0, b1))
TH_RNN_VERSIONS(lstm_bwd_rows,
                (const T* gp, const T* cp_, const T* cpp, const T* dyp, int64_t ys, T* dzp,
                 T* dhp, T* dcp, int64_t u, const T* mk, int64_t ms, int64_t b0, int64_t b1),
                (gp, cp_, cpp, dyp, ys, dzp, dhp, dcp, u, mk, ms, b0, b1))
TH_RNN_VERSIONS(gru_gate_rows, (const GruStep<T>& p, int64_t b0, int64_t b1), (p, b0, b1))
TH_RNN_VERSIONS(gru_out_rows, (const GruStep<T>& p, int64_t b0, int64_t b1), (p, b0, b1))
TH_RNN_VERSIONS(gru_back_rows, (const GruBack<T>& p, int64_t b0, int64_t b1), (p, b0, b1))
TH_RNN_VERSIONS(gru_back_r_rows, (const GruBack<T>& p, const T* q, int64_t b0, int64_t b1),
                (p, q, b0, b1))
#undef TH_RNN_VERSIONS

#define TH_RNN_PICK(name) by_isa(&name##_avx512<T>, &name##_avx2<T>, &name##_base<T>)

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS leaves C alone only when beta is 1
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  gemm_threaded<T>(ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, T(1), a, lda, b, ldb,
                   beta, c, ldc);
}

// ---- the per-step GEMMs ---------------------------------------------------------------------
// A step multiplies the batch's states [B, u] by the recurrent kernel (or its transpose, going
// back): small GEMMs in which BLAS spends a good part of the time packing the same kernel again
// each step. On AVX-512 (float) they run on the tiles below, which read the kernel in place (it
// stays in cache over the steps) and take rows of the batch, so a step's GEMM and its gate loop
// run in one parallel region over the batch's rows. Elsewhere a step is one BLAS GEMM.

#if TH_X86_DISPATCH
// MR rows x NV * 16 columns of c (=, or += with add) a @ b: a [MR, k] (row stride lda), b
// [k, NV * 16] (row stride ldb); each sum in k order, one FMA per term.
template <int MR, int NV>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void step_tile(const float* a, int64_t lda, const float* b,
                                                 int64_t ldb, int64_t k, float* c, int64_t ldc,
                                                 bool add) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < k; ++kk) {
    __m512 w[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) w[v] = _mm512_loadu_ps(b + kk * ldb + 16 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + kk]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(x, w[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* out = c + r * ldc + 16 * v;
      _mm512_storeu_ps(out, add ? _mm512_add_ps(_mm512_loadu_ps(out), acc[r][v]) : acc[r][v]);
    }
}

template <int MR>
TH_TARGET_AVX512 TH_ALWAYS_INLINE void tile_rows(const float* a, int64_t lda, const float* b,
                                                 int64_t ldb, int64_t n, int64_t k, float* c,
                                                 int64_t ldc, bool add) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) step_tile<MR, 2>(a, lda, b + j, ldb, k, c + j, ldc, add);
  if (j < n) step_tile<MR, 1>(a, lda, b + j, ldb, k, c + j, ldc, add);
}

// Rows [r0, r1) of c (=, or += with add) a [., k] @ b [k, n]; n a multiple of 16.
TH_TARGET_AVX512 void step_gemm_avx512(int64_t r0, int64_t r1, int64_t n, int64_t k,
                                       const float* a, int64_t lda, const float* b, int64_t ldb,
                                       float* c, int64_t ldc, bool add) {
  int64_t r = r0;
  for (; r + 8 <= r1; r += 8) tile_rows<8>(a + r * lda, lda, b, ldb, n, k, c + r * ldc, ldc, add);
  if (r + 4 <= r1) {
    tile_rows<4>(a + r * lda, lda, b, ldb, n, k, c + r * ldc, ldc, add);
    r += 4;
  }
  for (; r < r1; ++r) tile_rows<1>(a + r * lda, lda, b, ldb, n, k, c + r * ldc, ldc, add);
}
#endif

// Whether a step's GEMM with n columns runs on the tiles.
template <typename T>
bool step_tiles(int64_t n) {
#if TH_X86_DISPATCH
  return std::is_same_v<T, float> && n % 16 == 0 && cpu_isa() == Isa::kAvx512;
#else
  return false;
#endif
}

template <typename T>
void step_gemm(int64_t r0, int64_t r1, int64_t n, int64_t k, const T* a, int64_t lda,
               const T* b, int64_t ldb, T* c, int64_t ldc, bool add) {
#if TH_X86_DISPATCH
  if constexpr (std::is_same_v<T, float>)
    step_gemm_avx512(r0, r1, n, k, a, lda, b, ldb, c, ldc, add);
#endif
}

// Rows [r0, r1) of c = a [., k] @ b [k, n] (row strides lda, ldb, ldc): on the tiles, or one
// BLAS GEMM.
template <typename T>
void step_mm(bool tiles, int64_t r0, int64_t r1, int64_t n, int64_t k, const T* a, int64_t lda,
             const T* b, int64_t ldb, T* c, int64_t ldc) {
  if (tiles) step_gemm<T>(r0, r1, n, k, a, lda, b, ldb, c, ldc, false);
  else gemm<T>(false, false, r1 - r0, n, k, a + r0 * lda, lda, b, ldb, T(0), c + r0 * ldc, ldc);
}

// Rows [r0, r1) of c (=, or += with add) a [., k] @ w[:n, :k]^T: the tiles read bt = w^T
// [k, n] (row stride n), BLAS w (row stride ldw).
template <typename T>
void step_mm_t(bool tiles, int64_t r0, int64_t r1, int64_t n, int64_t k, const T* a,
               int64_t lda, const T* w, const T* bt, int64_t ldw, T* c, int64_t ldc, bool add) {
  if (tiles) step_gemm<T>(r0, r1, n, k, a, lda, bt, n, c, ldc, add);
  else
    gemm<T>(false, true, r1 - r0, n, k, a + r0 * lda, lda, w, ldw, T(add ? 1 : 0), c + r0 * ldc,
            ldc);
}

constexpr int64_t kStepRows = 8;  // a step's rows go to the threads in blocks of this many

// Runs fn(b0, b1) over the batch's rows [0, rows) in blocks, on threads when a step's work
// (GEMM multiply-adds and gate elements) pays for them.
template <typename Fn>
void step_blocks(int64_t rows, int64_t macs, int64_t elems, Fn&& fn) {
  const int64_t blocks = (rows + kStepRows - 1) / kStepRows;
  parallel_for(blocks, macs / kMacsPerNs + elems, [&](int64_t q0, int64_t q1) {
    fn(q0 * kStepRows, std::min(rows, q1 * kStepRows));
  });
}

// Scratch memory the kernels fill completely before reading: not zeroed (MBs per call).
template <typename T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<size_t>(std::max<int64_t>(n, 1))]);
}

// a [rows, cols] transposed.
template <typename T>
std::unique_ptr<T[]> transposed(const T* a, int64_t rows, int64_t cols) {
  auto out = scratch<T>(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[j * rows + i] = a[i * cols + j];
  return out;
}

// The problem's sizes, checked against every buffer.
struct Dims {
  int64_t b, t, in, u;
  bool backwards;
  int64_t time(int64_t k) const { return backwards ? t - 1 - k : k; }
};

void expect(const py::array& a, const Shape& shape, const py::array& like, const char* op,
            const char* what, bool out = false) {
  require_contiguous(a, op, what);
  require_same_dtype(like, a, op);
  if (out) require_writable(a, op);
  if (shape_of(a) != shape)
    throw py::value_error(std::string(op) + ": " + what + " must have shape " + shape_str(shape) +
                          ", got " + shape_str(shape_of(a)));
}

Dims dims_of(const py::array& x, const py::array& rk, int64_t gates, const char* op,
             bool backwards) {
  if (x.ndim() != 3)
    throw py::value_error(std::string(op) + ": x must be 3-D [batch, time, features], got " +
                          shape_str(shape_of(x)));
  if (rk.ndim() != 2 || rk.shape(1) != gates * rk.shape(0))
    throw py::value_error(std::string(op) + ": recurrent_kernel must be [units, " +
                          std::to_string(gates) + " * units], got " + shape_str(shape_of(rk)));
  return {x.shape(0), x.shape(1), x.shape(2), rk.shape(0), backwards};
}

template <typename T>
const T* cptr(const py::array& a) {
  return static_cast<const T*>(a.data());
}

// The mask [batch, time] or an empty array (no mask): checked, then its data or null.
void expect_mask(const py::array& mask, const Dims& d, const py::array& like, const char* op) {
  if (mask.size() == 0) return;
  expect(mask, {d.b, d.t}, like, op, "mask");
}

template <typename T>
const T* mask_ptr(const py::array& mask) {
  return mask.size() == 0 ? nullptr : cptr<T>(mask);
}

template <typename T>
T* mptr(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}

// x's rows in step order, time-major: out[k, b] = x[b, time(k)].
template <typename T>
std::unique_ptr<T[]> steps_major(const T* x, const Dims& d, int64_t width) {
  auto out = scratch<T>(d.t * d.b * width);
  for (int64_t k = 0; k < d.t; ++k)
    for (int64_t b = 0; b < d.b; ++b)
      std::copy_n(x + (b * d.t + d.time(k)) * width, width, out.get() + (k * d.b + b) * width);
  return out;
}

// The state each step started from, time-major: h0, then the outputs y[:, 0 .. T-2].
template <typename T>
std::unique_ptr<T[]> previous_states(const T* h0, const T* y, const Dims& d) {
  auto out = scratch<T>(d.t * d.b * d.u);
  for (int64_t k = 0; k < d.t; ++k)
    for (int64_t b = 0; b < d.b; ++b)
      std::copy_n(k == 0 ? h0 + b * d.u : y + (b * d.t + k - 1) * d.u, d.u,
                  out.get() + (k * d.b + b) * d.u);
  return out;
}

// dx[b, time(k)] = (dz @ kernel^T)[k, b]; dz is [T * B, width] in step order.
template <typename T>
void input_grad(const T* dz, int64_t width, const T* kernel, const Dims& d, T* dx) {
  auto tmp = scratch<T>(d.t * d.b * d.in);
  gemm<T>(false, true, d.t * d.b, d.in, width, dz, width, kernel, width, T(0), tmp.get(), d.in);
  for (int64_t k = 0; k < d.t; ++k)
    for (int64_t b = 0; b < d.b; ++b)
      std::copy_n(tmp.get() + (k * d.b + b) * d.in, d.in, dx + (b * d.t + d.time(k)) * d.in);
}

// out[j] (+)= sum over rows of a[r, j], in row order (deterministic).
template <typename T>
void column_sums(const T* a, int64_t rows, int64_t width, T* out) {
  std::vector<double> acc(static_cast<size_t>(width), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < width; ++j) acc[j] += a[r * width + j];
  for (int64_t j = 0; j < width; ++j) out[j] = static_cast<T>(acc[j]);
}

// ---- LSTM -----------------------------------------------------------------------------------

void lstm_sequence(py::array x, py::array h0, py::array c0, py::array kernel, py::array rk,
                   py::array bias, py::array mask, py::array y, py::array h_out,
                   py::array c_out, py::array gates, py::array cs, bool backwards) {
  const char* op = "LSTMSequence";
  require_contiguous(x, op, "x");
  const Dims d = dims_of(x, rk, 4, op, backwards);
  const int64_t g4 = 4 * d.u;
  expect(h0, {d.b, d.u}, x, op, "h0");
  expect(c0, {d.b, d.u}, x, op, "c0");
  expect(kernel, {d.in, g4}, x, op, "kernel");
  expect(rk, {d.u, g4}, x, op, "recurrent_kernel");
  expect(bias, {g4}, x, op, "bias");
  expect(y, {d.b, d.t, d.u}, x, op, "y", true);
  expect(h_out, {d.b, d.u}, x, op, "h", true);
  expect(c_out, {d.b, d.u}, x, op, "c", true);
  expect(gates, {d.t, d.b, g4}, x, op, "gates", true);
  expect(cs, {d.t, d.b, d.u}, x, op, "cs", true);
  expect_mask(mask, d, x, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *px = cptr<T>(x), *ph0 = cptr<T>(h0), *pc0 = cptr<T>(c0), *pw = cptr<T>(kernel),
            *pu = cptr<T>(rk), *pb = cptr<T>(bias), *pm = mask_ptr<T>(mask);
    T *py_ = mptr<T>(y), *ph = mptr<T>(h_out), *pc = mptr<T>(c_out), *pg = mptr<T>(gates),
      *pcs = mptr<T>(cs);
    py::gil_scoped_release release;
    const int64_t u = d.u;
    static const auto step_rows = TH_RNN_PICK(lstm_fwd_rows);
    // The input projections x @ W: with the tiles, a step's own in its region ([B, 4u]); with
    // BLAS, all steps' at once ([B, T, 4u], batch-major).
    const bool tiles = step_tiles<T>(g4);
    const int64_t xs = tiles ? g4 : d.t * g4;  // their row stride
    auto xw = scratch<T>(tiles ? d.b * g4 : d.b * d.t * g4);
    if (!tiles) gemm<T>(false, false, d.b * d.t, g4, d.in, px, d.in, pw, g4, T(0), xw.get(), g4);
    for (int64_t k = 0; k < d.t; ++k) {
      const T* hp = k == 0 ? ph0 : py_ + (k - 1) * u;
      const int64_t ldh = k == 0 ? u : d.t * u;
      const T* cp = k == 0 ? pc0 : pcs + (k - 1) * d.b * u;
      T* gk = pg + k * d.b * g4;
      if (!tiles) gemm<T>(false, false, d.b, g4, u, hp, ldh, pu, g4, T(0), gk, g4);
      const T* xk = tiles ? xw.get() : xw.get() + d.time(k) * g4;
      T* cn = pcs + k * d.b * u;
      const T* mk = pm ? pm + d.time(k) : nullptr;
      const int64_t macs = tiles ? d.b * g4 * (d.in + u) : 0;
      step_blocks(d.b, macs, d.b * g4 * 8, [&](int64_t b0, int64_t b1) {
        if (tiles) {
          step_gemm<T>(b0, b1, g4, d.in, px + d.time(k) * d.in, d.t * d.in, pw, g4, xw.get(),
                       g4, false);
          step_gemm<T>(b0, b1, g4, u, hp, ldh, pu, g4, gk, g4, false);
        }
        step_rows(gk, xk, xs, pb, cp, cn, py_ + k * u, d.t * u, u, hp, ldh, mk, d.t, b0, b1);
      });
    }
    for (int64_t b = 0; b < d.b; ++b) {
      std::copy_n(d.t ? py_ + (b * d.t + d.t - 1) * u : ph0 + b * u, u, ph + b * u);
      std::copy_n(d.t ? pcs + ((d.t - 1) * d.b + b) * u : pc0 + b * u, u, pc + b * u);
    }
  });
}

void lstm_sequence_grad(py::array dy, py::array dh, py::array dc, py::array x, py::array h0,
                        py::array c0, py::array kernel, py::array rk, py::array y,
                        py::array gates, py::array cs, py::array mask, py::array dx,
                        py::array dh0,
                        py::array dc0, py::array dkernel, py::array drk, py::array dbias,
                        bool backwards) {
  const char* op = "LSTMSequenceGrad";
  require_contiguous(x, op, "x");
  const Dims d = dims_of(x, rk, 4, op, backwards);
  const int64_t g4 = 4 * d.u, u = d.u;
  expect(dy, {d.b, d.t, u}, x, op, "dy");
  expect(dh, {d.b, u}, x, op, "dh");
  expect(dc, {d.b, u}, x, op, "dc");
  expect(h0, {d.b, u}, x, op, "h0");
  expect(c0, {d.b, u}, x, op, "c0");
  expect(kernel, {d.in, g4}, x, op, "kernel");
  expect(y, {d.b, d.t, u}, x, op, "y");
  expect(gates, {d.t, d.b, g4}, x, op, "gates");
  expect(cs, {d.t, d.b, u}, x, op, "cs");
  expect(dx, {d.b, d.t, d.in}, x, op, "dx", true);
  expect(dh0, {d.b, u}, x, op, "dh0", true);
  expect(dc0, {d.b, u}, x, op, "dc0", true);
  expect(dkernel, {d.in, g4}, x, op, "dkernel", true);
  expect(drk, {u, g4}, x, op, "drecurrent_kernel", true);
  expect(dbias, {g4}, x, op, "dbias", true);
  expect_mask(mask, d, x, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *pdy = cptr<T>(dy), *px = cptr<T>(x), *ph0 = cptr<T>(h0), *pc0 = cptr<T>(c0),
            *pw = cptr<T>(kernel), *pu = cptr<T>(rk), *py_ = cptr<T>(y), *pg = cptr<T>(gates),
            *pcs = cptr<T>(cs), *pm = mask_ptr<T>(mask);
    T *pdh = mptr<T>(dh0), *pdc = mptr<T>(dc0);
    py::gil_scoped_release release;
    std::copy_n(cptr<T>(dh), d.b * u, pdh);  // dh0 / dc0 carry the running state gradients
    std::copy_n(cptr<T>(dc), d.b * u, pdc);
    auto dz = scratch<T>(d.t * d.b * g4);  // pre-activation grads, [T, B, 4u]
    static const auto step_rows = TH_RNN_PICK(lstm_bwd_rows);
    // the tiles' b: U^T [4u, u] for dh, and W^T [4u, in] for a step's dx (else one GEMM after
    // the loop)
    const bool tiles = step_tiles<T>(u), dx_tiles = step_tiles<T>(d.in);
    const auto ut = tiles ? transposed(pu, u, g4) : nullptr;
    const auto wt = dx_tiles ? transposed(pw, d.in, g4) : nullptr;
    T* pdx = mptr<T>(dx);
    for (int64_t k = d.t - 1; k >= 0; --k) {
      const T* cp = k == 0 ? pc0 : pcs + (k - 1) * d.b * u;
      T* dzk = dz.get() + k * d.b * g4;
      const T* mk = pm ? pm + d.time(k) : nullptr;
      // dh = dz @ U^T; with a mask, masked rows left their dh in pdh (the others zeroed it):
      // add to it
      const int64_t macs = d.b * g4 * ((tiles ? u : 0) + (dx_tiles ? d.in : 0));
      step_blocks(d.b, macs, d.b * g4 * 8, [&](int64_t b0, int64_t b1) {
        step_rows(pg + k * d.b * g4, pcs + k * d.b * u, cp, pdy + k * u, d.t * u, dzk, pdh, pdc,
                  u, mk, d.t, b0, b1);
        if (tiles) step_gemm<T>(b0, b1, u, g4, dzk, g4, ut.get(), u, pdh, u, mk != nullptr);
        if (dx_tiles)
          step_gemm<T>(b0, b1, d.in, g4, dzk, g4, wt.get(), d.in, pdx + d.time(k) * d.in,
                       d.t * d.in, false);
      });
      if (!tiles) gemm<T>(false, true, d.b, u, g4, dzk, g4, pu, g4, T(mk ? 1 : 0), pdh, u);
    }
    // [dkernel; drecurrent_kernel] = [x | h_prev]^T @ dz in one GEMM (one pass over dz)
    const int64_t rows = d.t * d.b, w = d.in + u;
    auto xh = scratch<T>(rows * w), dwu = scratch<T>(w * g4);
    for (int64_t k = 0; k < d.t; ++k)
      for (int64_t b = 0; b < d.b; ++b) {
        T* row = xh.get() + (k * d.b + b) * w;
        std::copy_n(px + (b * d.t + d.time(k)) * d.in, d.in, row);
        std::copy_n(k == 0 ? ph0 + b * u : py_ + (b * d.t + k - 1) * u, u, row + d.in);
      }
    gemm<T>(true, false, w, g4, rows, xh.get(), w, dz.get(), g4, T(0), dwu.get(), g4);
    std::copy_n(dwu.get(), d.in * g4, mptr<T>(dkernel));
    std::copy_n(dwu.get() + d.in * g4, u * g4, mptr<T>(drk));
    column_sums(dz.get(), rows, g4, mptr<T>(dbias));
    if (!dx_tiles) input_grad(dz.get(), g4, pw, d, pdx);
  });
}

// ---- GRU ------------------------------------------------------------------------------------
// Saved per step (time-major [T, B, 4u]): z, r, the candidate hh, and with reset_after the
// recurrent candidate projection rh = (h @ U_h + b_rec_h).

void gru_sequence(py::array x, py::array h0, py::array kernel, py::array rk, py::array bias,
                  py::array mask, py::array y, py::array h_out, py::array saved,
                  bool backwards, bool reset_after) {
  const char* op = "GRUSequence";
  require_contiguous(x, op, "x");
  const Dims d = dims_of(x, rk, 3, op, backwards);
  const int64_t u = d.u, g3 = 3 * u, g4 = 4 * u;
  expect(h0, {d.b, u}, x, op, "h0");
  expect(kernel, {d.in, g3}, x, op, "kernel");
  expect(bias, reset_after ? Shape{2, g3} : Shape{g3}, x, op, "bias");
  expect(y, {d.b, d.t, u}, x, op, "y", true);
  expect(h_out, {d.b, u}, x, op, "h", true);
  expect(saved, {d.t, d.b, g4}, x, op, "saved", true);
  expect_mask(mask, d, x, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *px = cptr<T>(x), *ph0 = cptr<T>(h0), *pw = cptr<T>(kernel), *pu = cptr<T>(rk),
            *pbi = cptr<T>(bias), *pbr = reset_after ? pbi + g3 : nullptr,
            *pm = mask_ptr<T>(mask);
    T *py_ = mptr<T>(y), *ph = mptr<T>(h_out), *ps = mptr<T>(saved);
    py::gil_scoped_release release;
    // the input projections as LSTMSequence's: a step's own with the tiles, else all at once
    const bool tiles = step_tiles<T>(u);
    auto xw = scratch<T>(tiles ? d.b * g3 : d.b * d.t * g3);
    if (!tiles) gemm<T>(false, false, d.b * d.t, g3, d.in, px, d.in, pw, g3, T(0), xw.get(), g3);
    auto rec = scratch<T>(d.b * g3), rh = scratch<T>(d.b * u);
    static const auto gate_rows = TH_RNN_PICK(gru_gate_rows);
    static const auto out_rows = TH_RNN_PICK(gru_out_rows);
    for (int64_t k = 0; k < d.t; ++k) {
      const T* hp = k == 0 ? ph0 : py_ + (k - 1) * u;
      const int64_t ldh = k == 0 ? u : d.t * u;
      const GruStep<T> p{tiles ? xw.get() : xw.get() + d.time(k) * g3, rec.get(), pbi, pbr, hp,
                         tiles ? g3 : d.t * g3, ldh, ps + k * d.b * g4, rh.get(), py_ + k * u,
                         d.t * u, u, reset_after, pm ? pm + d.time(k) : nullptr, d.t};
      // rows [b0, b1): reset_after, all three recurrent projections at once; else z and r
      // first, then the candidate's from r * h
      const auto step = [&](int64_t b0, int64_t b1) {
        if (tiles)
          step_gemm<T>(b0, b1, g3, d.in, px + d.time(k) * d.in, d.t * d.in, pw, g3, xw.get(),
                       g3, false);
        step_mm(tiles, b0, b1, reset_after ? g3 : 2 * u, u, hp, ldh, pu, g3, rec.get(), g3);
        gate_rows(p, b0, b1);
        if (!reset_after)
          step_mm(tiles, b0, b1, u, u, rh.get(), u, pu + 2 * u, g3, rec.get() + 2 * u, g3);
        out_rows(p, b0, b1);
      };
      if (tiles) step_blocks(d.b, d.b * g3 * (d.in + u), d.b * g3 * 4, step);
      else step(0, d.b);  // BLAS's GEMMs over the whole batch (on threads when they pay)
    }
    for (int64_t b = 0; b < d.b; ++b)
      std::copy_n(d.t ? py_ + (b * d.t + d.t - 1) * u : ph0 + b * u, u, ph + b * u);
  });
}

void gru_sequence_grad(py::array dy, py::array dh, py::array x, py::array h0, py::array kernel,
                       py::array rk, py::array y, py::array saved, py::array mask,
                       py::array dx, py::array dh0,
                       py::array dkernel, py::array drk, py::array dbias, bool backwards,
                       bool reset_after) {
  const char* op = "GRUSequenceGrad";
  require_contiguous(x, op, "x");
  const Dims d = dims_of(x, rk, 3, op, backwards);
  const int64_t u = d.u, g3 = 3 * u, g4 = 4 * u;
  expect(dy, {d.b, d.t, u}, x, op, "dy");
  expect(dh, {d.b, u}, x, op, "dh");
  expect(h0, {d.b, u}, x, op, "h0");
  expect(kernel, {d.in, g3}, x, op, "kernel");
  expect(y, {d.b, d.t, u}, x, op, "y");
  expect(saved, {d.t, d.b, g4}, x, op, "saved");
  expect(dx, {d.b, d.t, d.in}, x, op, "dx", true);
  expect(dh0, {d.b, u}, x, op, "dh0", true);
  expect(dkernel, {d.in, g3}, x, op, "dkernel", true);
  expect(drk, {u, g3}, x, op, "drecurrent_kernel", true);
  expect(dbias, reset_after ? Shape{2, g3} : Shape{g3}, x, op, "dbias", true);
  expect_mask(mask, d, x, op);
  dispatch_float(dtype_of(x), op, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *pdy = cptr<T>(dy), *px = cptr<T>(x), *ph0 = cptr<T>(h0), *pw = cptr<T>(kernel),
            *pu = cptr<T>(rk), *py_ = cptr<T>(y), *ps = cptr<T>(saved), *pm = mask_ptr<T>(mask);
    T* pdh = mptr<T>(dh0);
    T* pdu = mptr<T>(drk);
    py::gil_scoped_release release;
    std::copy_n(cptr<T>(dh), d.b * u, pdh);
    const int64_t rows = d.t * d.b;
    // dX: grads of the input projections (z, r, h); dR: of the recurrent ones (reset_after),
    // rh: r * h_prev per step (reset_after=False), all time-major
    auto dX = scratch<T>(rows * g3);
    auto dR = scratch<T>(reset_after ? rows * g3 : 0);
    auto rh = scratch<T>(reset_after ? 0 : rows * u);
    auto q = scratch<T>(d.b * u);
    static const auto back_rows = TH_RNN_PICK(gru_back_rows);
    static const auto back_r_rows = TH_RNN_PICK(gru_back_r_rows);
    // the tiles' b: U^T [3u, u], and W^T [3u, in] for a step's dx (as LSTMSequenceGrad)
    const bool tiles = step_tiles<T>(u), dx_tiles = tiles && step_tiles<T>(d.in);
    const auto ut = tiles ? transposed(pu, u, g3) : nullptr;
    const auto wt = dx_tiles ? transposed(pw, d.in, g3) : nullptr;
    T* pdx = mptr<T>(dx);
    for (int64_t k = d.t - 1; k >= 0; --k) {
      const T* hp = k == 0 ? ph0 : py_ + (k - 1) * u;
      const int64_t ldh = k == 0 ? u : d.t * u;
      T* dxk = dX.get() + k * d.b * g3;
      const GruBack<T> p{ps + k * d.b * g4, pdy + k * u, hp, d.t * u, ldh, dxk,
                         reset_after ? dR.get() + k * d.b * g3 : nullptr,
                         reset_after ? nullptr : rh.get() + k * d.b * u, pdh, u, reset_after,
                         pm ? pm + d.time(k) : nullptr, d.t};
      // rows [b0, b1) of dh (+)= dR @ U^T, or without reset_after, through q = dah @ U_h^T
      // (the gradient reaching r * h_prev), then [daz, dar] @ U_zr^T
      const auto step = [&](int64_t b0, int64_t b1) {
        back_rows(p, b0, b1);
        if (reset_after) {
          step_mm_t(tiles, b0, b1, u, g3, p.dR, g3, pu, ut.get(), g3, pdh, u, true);
        } else {
          step_mm_t(tiles, b0, b1, u, u, dxk + 2 * u, g3, pu + 2 * u, ut.get() + 2 * u * u, g3,
                    q.get(), u, false);
          back_r_rows(p, q.get(), b0, b1);
          step_mm_t(tiles, b0, b1, u, 2 * u, dxk, g3, pu, ut.get(), g3, pdh, u, true);
        }
        if (dx_tiles)
          step_gemm<T>(b0, b1, d.in, g3, dxk, g3, wt.get(), d.in, pdx + d.time(k) * d.in,
                       d.t * d.in, false);
      };
      if (tiles) step_blocks(d.b, d.b * g3 * (u + (dx_tiles ? d.in : 0)), d.b * g3 * 4, step);
      else step(0, d.b);
    }
    auto hp = previous_states(ph0, py_, d);
    if (reset_after) {
      gemm<T>(true, false, u, g3, rows, hp.get(), u, dR.get(), g3, T(0), pdu, g3);
      column_sums(dX.get(), rows, g3, mptr<T>(dbias));
      column_sums(dR.get(), rows, g3, mptr<T>(dbias) + g3);
    } else {
      gemm<T>(true, false, u, 2 * u, rows, hp.get(), u, dX.get(), g3, T(0), pdu, g3);
      gemm<T>(true, false, u, u, rows, rh.get(), u, dX.get() + 2 * u, g3, T(0), pdu + 2 * u,
              g3);
      column_sums(dX.get(), rows, g3, mptr<T>(dbias));
    }
    auto xt = steps_major(px, d, d.in);
    gemm<T>(true, false, d.in, g3, rows, xt.get(), d.in, dX.get(), g3, T(0), mptr<T>(dkernel),
            g3);
    if (!dx_tiles) input_grad(dX.get(), g3, pw, d, pdx);
  });
}

}  // namespace

void init_rnn(py::module_& m) {
  m.def("lstm_sequence", &lstm_sequence, py::arg("x"), py::arg("h0"), py::arg("c0"),
        py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias"), py::arg("mask"),
        py::arg("y"), py::arg("h"), py::arg("c"), py::arg("gates"), py::arg("cs"),
        py::arg("go_backwards"));
  m.def("lstm_sequence_grad", &lstm_sequence_grad, py::arg("dy"), py::arg("dh"), py::arg("dc"),
        py::arg("x"), py::arg("h0"), py::arg("c0"), py::arg("kernel"),
        py::arg("recurrent_kernel"), py::arg("y"), py::arg("gates"), py::arg("cs"),
        py::arg("mask"), py::arg("dx"), py::arg("dh0"), py::arg("dc0"), py::arg("dkernel"),
        py::arg("drecurrent_kernel"), py::arg("dbias"), py::arg("go_backwards"));
  m.def("gru_sequence", &gru_sequence, py::arg("x"), py::arg("h0"), py::arg("kernel"),
        py::arg("recurrent_kernel"), py::arg("bias"), py::arg("mask"), py::arg("y"),
        py::arg("h"), py::arg("saved"), py::arg("go_backwards"), py::arg("reset_after"));
  m.def("gru_sequence_grad", &gru_sequence_grad, py::arg("dy"), py::arg("dh"), py::arg("x"),
        py::arg("h0"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("y"),
        py::arg("saved"), py::arg("mask"), py::arg("dx"), py::arg("dh0"), py::arg("dkernel"),
        py::arg("drecurrent_kernel"), py::arg("dbias"), py::arg("go_backwards"),
        py::arg("reset_after"));
}

}  // namespace th
