// The CPU device's buffer allocator: NumPy arrays whose memory this module owns, so that the
// device's byte counters (hw-runtime's MemoryStats.counts, an int64 [current, peak] array) are
// updated in C when a buffer is created and when its last reference goes, with no Python
// callback on either side.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common.h"

namespace th {
namespace {

// Each block starts with this header; the array's data follows at kHeader bytes.
struct Block {
  PyObject* counts;  // the owning device's counters (a strong reference), or nullptr
  int64_t* data;     // counts' [current, peak]
  int64_t nbytes;
  size_t total;      // bytes allocated, header included
};
constexpr size_t kAlign = 64;  // a cache line, and enough for every vector width we use
constexpr size_t kHeader = 64;
static_assert(sizeof(Block) <= kHeader, "block header");
constexpr size_t kHugeFrom = size_t(1) << 22;  // NumPy's threshold for transparent huge pages

// Blocks of 256 KiB and more. glibc serves them from fresh mappings or from arena memory it
// hands back to the kernel when freed, so each such buffer paid its page faults and the
// kernel's zeroing again: an eager `a * b + a` on 1e6 floats took 1,921 minor faults and 5 ms
// per call (NumPy: 0.28 ms), 40 MB AddV2 outputs about 2 ms. Such blocks are rounded up to a
// size class (four per power of two, so at most 25% more than asked) and the most recently
// freed are kept, up to kCacheBlocks of them and kCacheBytes in all; a request of the same class
// takes one back. Only the GIL's holder allocates and frees (a capsule's destructor runs
// under it), so the cache needs no lock of its own.
//
// What the cache holds counts in the process's memory as if it were live, so it is kept in
// proportion to what is live: at most as many bytes as the blocks in use (128 MiB whatever they
// are, so that an eager `a * b + a` on 64 MB tensors still reuses both its blocks; 256 MiB at
// most), the oldest freed going back to the OS first.
constexpr size_t kCacheFrom = size_t(1) << 18;
constexpr int kCacheBlocks = 32;
constexpr size_t kCacheFloor = size_t(1) << 27;  // 128 MiB may be held back whatever is live
constexpr size_t kCacheBytes = size_t(1) << 28;  // 256 MiB at most held back

size_t live_bytes = 0;  // bytes in blocks of kCacheFrom and more now handed out

// The size class of a block of `total` bytes: total rounded up to p, 1.25p, 1.5p, 1.75p or 2p,
// where p is the power of two at or below it.
size_t size_class(size_t total) {
  if (total < kCacheFrom) return total;
  const int top = 63 - __builtin_clzll(static_cast<unsigned long long>(total));
  const size_t quarter = (size_t(1) << top) / 4;
  return (total + quarter - 1) / quarter * quarter;
}

struct Cache {
  void* raw[kCacheBlocks] = {};  // oldest first
  size_t total[kCacheBlocks] = {};
  int count = 0;
  size_t bytes = 0;

  void drop(int i) {
    bytes -= total[i];
    for (int j = i + 1; j < count; ++j) {
      raw[j - 1] = raw[j];
      total[j - 1] = total[j];
    }
    --count;
  }
};
Cache& cache() {
  static Cache c;
  return c;
}

void* take_cached(size_t total) {
  Cache& c = cache();
  for (int i = c.count - 1; i >= 0; --i) {  // the most recently freed of this class
    if (c.total[i] == total) {
      void* raw = c.raw[i];
      c.drop(i);
      return raw;
    }
  }
  return nullptr;
}

// The most the cache may hold now: the bytes of the blocks in use, within [floor, max].
size_t cache_cap() {
  if (live_bytes < kCacheFloor) return kCacheFloor;
  return live_bytes > kCacheBytes ? kCacheBytes : live_bytes;
}

void give_back(void* raw, size_t total) {
  Cache& c = cache();
  if (total >= kCacheFrom) live_bytes -= total;
  if (total < kCacheFrom || total > cache_cap()) {
    std::free(raw);
    return;
  }
  const size_t cap = cache_cap();
  while (c.count && (c.count == kCacheBlocks || c.bytes + total > cap)) {  // the oldest first
    std::free(c.raw[0]);
    c.drop(0);
  }
  c.raw[c.count] = raw;
  c.total[c.count++] = total;
  c.bytes += total;
}

// Frees the blocks the cache holds; returns their bytes.
size_t release_cached() {
  Cache& c = cache();
  const size_t bytes = c.bytes;
  for (int i = 0; i < c.count; ++i) std::free(c.raw[i]);
  c = Cache();
  return bytes;
}

void release(PyObject* capsule) {
  void* raw = PyCapsule_GetPointer(capsule, nullptr);
  auto* block = static_cast<Block*>(raw);
  if (block->counts) {
    block->data[0] -= block->nbytes;
    Py_DECREF(block->counts);
  }
  give_back(raw, block->total);
}

py::array empty(py::array counts, py::object shape_in, py::object dtype_in) {
  const py::tuple shape = PyTuple_Check(shape_in.ptr()) ? py::reinterpret_borrow<py::tuple>(shape_in)
                                                         : py::tuple(shape_in);
  py::dtype dtype = py::dtype::from_args(dtype_in);
  if (counts.ndim() != 1 || counts.shape(0) != 2 || !counts.writeable() ||
      !(counts.flags() & py::array::c_style) || counts.dtype().kind() != 'i' ||
      counts.itemsize() != 8)
    throw py::value_error("empty: counts must be a writable int64 array of 2 elements");
  const py::ssize_t rank = static_cast<py::ssize_t>(shape.size());
  if (rank > 32) throw py::value_error("empty: rank above 32");
  Py_intptr_t dims[32];
  int64_t count = 1;
  for (py::ssize_t i = 0; i < rank; ++i) {
    const long long d = PyLong_AsLongLong(PyTuple_GET_ITEM(shape.ptr(), i));
    if (d == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (d < 0) throw py::value_error("empty: negative dimension " + std::to_string(d));
    if (d && count > INT64_MAX / d) throw py::value_error("empty: too many elements");
    dims[i] = static_cast<Py_intptr_t>(d);
    count *= d;
  }
  const int64_t itemsize = dtype.itemsize();
  if (itemsize && count > (INT64_MAX - int64_t(kHeader + kAlign)) / itemsize)
    throw py::value_error("empty: too many bytes");
  const int64_t nbytes = count * itemsize;
  const size_t total =
      size_class(kHeader + ((static_cast<size_t>(nbytes) + kAlign - 1) / kAlign) * kAlign);
  void* raw = total >= kCacheFrom ? take_cached(total) : nullptr;
  if (!raw) {
    raw = std::aligned_alloc(kAlign, total);
    if (!raw) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // As NumPy: huge pages for the page-aligned interior of a large block. (Asking malloc for
    // 2 MB alignment instead defeats its reuse of freed blocks: every 16 MB buffer was then a
    // fresh mapping, zeroed page by page, 0.75 ms a time.)
    if (total >= kHugeFrom) {
      static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
      const uintptr_t b = (reinterpret_cast<uintptr_t>(raw) + page - 1) & ~(page - 1);
      const uintptr_t e = (reinterpret_cast<uintptr_t>(raw) + total) & ~(page - 1);
      if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
    }
#endif
  }
  if (total >= kCacheFrom) live_bytes += total;  // in use until give_back
  auto* block = static_cast<Block*>(raw);
  block->counts = nullptr;  // counted only once the array exists
  block->data = nullptr;
  block->nbytes = nbytes;
  block->total = total;
  PyObject* capsule = PyCapsule_New(raw, nullptr, release);
  if (!capsule) {
    give_back(raw, total);
    throw py::error_already_set();
  }
  auto& api = py::detail::npy_api::get();
  PyObject* descr = dtype.release().ptr();  // PyArray_NewFromDescr steals it
  PyObject* arr = api.PyArray_NewFromDescr_(api.PyArray_Type_, descr, static_cast<int>(rank),
                                            dims, nullptr, static_cast<char*>(raw) + kHeader,
                                            py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ |
                                                py::detail::npy_api::NPY_ARRAY_ALIGNED_ |
                                                py::detail::npy_api::NPY_ARRAY_WRITEABLE_,
                                            nullptr);
  if (!arr) {
    Py_DECREF(capsule);  // frees the block
    throw py::error_already_set();
  }
  if (api.PyArray_SetBaseObject_(arr, capsule) != 0) {  // steals the capsule
    Py_DECREF(arr);
    throw py::error_already_set();
  }
  block->counts = counts.ptr();
  Py_INCREF(block->counts);
  int64_t* c = block->data = static_cast<int64_t*>(counts.mutable_data());
  c[0] += nbytes;
  if (c[0] > c[1]) c[1] = c[0];
  return py::reinterpret_steal<py::array>(arr);
}

}  // namespace

void init_alloc(py::module_& m) {
  m.def("empty", &empty, py::arg("counts"), py::arg("shape"), py::arg("dtype"),
        "A C-contiguous, 64-byte aligned, uninitialized array that adds its bytes to "
        "counts[0] (and raises counts[1], the peak, to match) now and takes them off counts[0] "
        "when it is freed.");
  m.def("release_cached", &release_cached,
        "Frees the blocks (256 KiB and more; at most 32, and as many bytes as are in use, "
        "128 MiB to 256 MiB) kept for reuse; returns their bytes.");
}

}  // namespace th
