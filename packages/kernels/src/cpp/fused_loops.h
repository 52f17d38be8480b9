// The FusedElementwise loops (one per op and operand kinds) and their tables. fused.cpp
// includes this file twice, into namespace `base` and, compiled for AVX2, into `avx2`; it has
// no include guard on purpose and includes nothing itself.

template <typename T, int OP>
void unary_loop(const T* x, T* y, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  // Square roots as SSE vectors: with errno in play (the default) GCC keeps std::sqrt scalar.
  // Both are IEEE's correctly rounded sqrt, so the bits are the scalar kernel's.
  if constexpr (OP == kSqrt || OP == kRsqrt) {
    if constexpr (std::is_same_v<T, float>) {
      const __m128 one = _mm_set1_ps(1.0f);
      for (; i + 4 <= n; i += 4) {
        __m128 r = _mm_sqrt_ps(_mm_loadu_ps(x + i));
        if constexpr (OP == kRsqrt) r = _mm_div_ps(one, r);
        _mm_storeu_ps(y + i, r);
      }
    } else {
      const __m128d one = _mm_set1_pd(1.0);
      for (; i + 2 <= n; i += 2) {
        __m128d r = _mm_sqrt_pd(_mm_loadu_pd(x + i));
        if constexpr (OP == kRsqrt) r = _mm_div_pd(one, r);
        _mm_storeu_pd(y + i, r);
      }
    }
  }
#endif
  for (; i < n; ++i) y[i] = unary_apply<T>(OP, x[i]);
}
template <typename T, int OP>
void vv_loop(const T* a, const T* b, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = arith<T>(OP, a[i], b[i]);
}
template <typename T, int OP>
void vs_loop(const T* a, const T* b, T* y, int64_t n) {
  const T bv = *b;
  for (int64_t i = 0; i < n; ++i) y[i] = arith<T>(OP, a[i], bv);
}
template <typename T, int OP>
void sv_loop(const T* a, const T* b, T* y, int64_t n) {
  const T av = *a;
  for (int64_t i = 0; i < n; ++i) y[i] = arith<T>(OP, av, b[i]);
}

template <typename T, int... OPS>
UnaryFn<T> unary_fn(int op, std::integer_sequence<int, OPS...>) {
  static constexpr UnaryFn<T> table[] = {&unary_loop<T, OPS>...};
  return table[op];
}

// kind 0: vector, vector; 1: vector, scalar; 2: scalar, vector.
template <typename T, int... OPS>
BinaryFn<T> binary_fn(int op, int kind, std::integer_sequence<int, OPS...>) {
  static constexpr BinaryFn<T> vv[] = {&vv_loop<T, OPS>...};
  static constexpr BinaryFn<T> vs[] = {&vs_loop<T, OPS>...};
  static constexpr BinaryFn<T> sv[] = {&sv_loop<T, OPS>...};
  return kind == 0 ? vv[op] : kind == 1 ? vs[op] : sv[op];
}
