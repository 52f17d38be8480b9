// The tensorhouse CPU kernel module: one pybind11 extension, one init_<area> per file.
#include "common.h"

namespace th {

static int g_threads = 0;  // 0: not set yet, use every core OpenMP offers

int num_threads() {
#ifdef _OPENMP
  return g_threads > 0 ? g_threads : omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  if (n < 1) throw py::value_error("set_num_threads: need at least one thread, got " + std::to_string(n));
  g_threads = n;
}

}  // namespace th

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "tensorhouse CPU kernels (C++, OpenMP, OpenBLAS)";
  m.def("set_num_threads", &th::set_num_threads, py::arg("n"),
        "Threads the CPU kernels may use (BLAS threads are set separately).");
  m.def("num_threads", &th::num_threads);
#ifdef _OPENMP
  m.attr("openmp") = true;
#else
  m.attr("openmp") = false;
#endif
  th::init_elementwise(m);
  th::init_reduce(m);
  th::init_matmul(m);
  th::init_array(m);
  th::init_random(m);
}
