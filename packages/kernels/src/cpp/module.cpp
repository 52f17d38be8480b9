// The tensorhouse CPU kernel module: one pybind11 extension, one init_<area> per file.
#include "common.h"
#include "nn.h"

namespace th {

void init_linalg(py::module_& m);  // linalg.cpp
void init_decomp(py::module_& m);  // decomp.cpp
void init_segment(py::module_& m);  // segment.cpp
void init_example(py::module_& m);  // example_parse.cpp

void init_fused(py::module_& m);  // fused.cpp
void init_rnn(py::module_& m);  // rnn.cpp
void init_complex(py::module_& m);  // complex.cpp
void init_fft(py::module_& m);  // fft.cpp
void init_strings(py::module_& m);  // strings.cpp
void init_image(py::module_& m);  // image.cpp
void init_optim(py::module_& m);  // optim.cpp

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

// The contention guard's state (common.h): threads are off until g_backoff_until.
static std::atomic<int64_t> g_backoff_until{0};
static std::atomic<int64_t> g_backoff_ns{0};
constexpr int64_t kFirstBackoffNs = 50000000, kMaxBackoffNs = 1000000000;

static std::atomic<bool> g_guard_on{true};

bool threads_backed_off() {
  return g_guard_on.load(std::memory_order_relaxed) &&
         steady_ns() < g_backoff_until.load(std::memory_order_relaxed);
}

void set_contention_guard(bool on) { g_guard_on.store(on, std::memory_order_relaxed); }

void note_region_lag(int64_t lag_ns) {
  if (lag_ns < kLateStartNs) {
    g_backoff_ns.store(0, std::memory_order_relaxed);
    return;
  }
  int64_t next = g_backoff_ns.load(std::memory_order_relaxed) * 2;
  next = next < kFirstBackoffNs ? kFirstBackoffNs : next > kMaxBackoffNs ? kMaxBackoffNs : next;
  g_backoff_ns.store(next, std::memory_order_relaxed);
  g_backoff_until.store(steady_ns() + next, std::memory_order_relaxed);
}

// TF's InvalidArgumentError class, installed by tensorhouse_kernels.cpu; ValueError until then.
static PyObject* g_invalid_argument = nullptr;

}  // namespace th

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "tensorhouse CPU kernels (C++, OpenMP, OpenBLAS)";
  m.def("set_num_threads", &th::set_num_threads, py::arg("n"),
        "Threads the CPU kernels may use (BLAS threads are set separately).");
  m.def("num_threads", &th::num_threads);
  // the contention guard (common.h), for tests: report a region's helper lag; is it backing off?
  m.def("_note_region_lag", &th::note_region_lag, py::arg("lag_ns"));
  m.def("_threads_backed_off", &th::threads_backed_off);
  m.def("_set_contention_guard", &th::set_contention_guard, py::arg("on"),
        "Off: threads whenever the work pays for them, even on a busy machine (thread tests).");
#ifdef _OPENMP
  m.attr("openmp") = true;
#else
  m.attr("openmp") = false;
#endif
  th::init_alloc(m);
  th::init_elementwise(m);
  th::init_reduce(m);
  th::init_matmul(m);
  th::init_array(m);
  th::init_random(m);
  th::init_axis(m);
  th::init_softmax(m);
  th::init_indexing(m);
  th::init_conv(m);
  th::init_pool(m);
  th::init_norm(m);
  th::init_fused(m);
  th::init_linalg(m);
  th::init_decomp(m);
  th::init_segment(m);
  th::init_example(m);
  th::init_rnn(m);
  th::init_complex(m);
  th::init_fft(m);
  th::init_strings(m);
  th::init_image(m);
  th::init_optim(m);
  m.def(
      "set_invalid_argument_error",
      [](py::object cls) {
        Py_XDECREF(th::g_invalid_argument);
        th::g_invalid_argument = cls.release().ptr();
      },
      py::arg("cls"), "The exception class raised for bad values found in the data.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const th::InvalidArgument& e) {
      PyErr_SetString(th::g_invalid_argument ? th::g_invalid_argument : PyExc_ValueError,
                      e.what());
    }
  });
}
