// Host string kernels over NumPy object arrays of ``bytes`` (the layout of tf.string tensors):
// ASCII lowering, deleting a set of bytes (a punctuation strip), splitting on ASCII whitespace
// into ragged values + row splits, joining ngrams, distinct values with counts, and a hash index
// of a vocabulary (built once, then one probe a key; or one probe an ngram of whitespace-split
// strings, hashed from its tokens without joining them). Each runs over the whole batch in one C++
// loop; it holds the GIL (it makes Python bytes objects) and makes no Python call per element.
// Split and ngram results share one bytes object per distinct token of the batch.
#include <Python.h>

#include <array>
#include <memory>

#include "common.h"

namespace th {
namespace {

// A contiguous view of an object array's references; every element must be bytes.
struct Strings {
  py::array keep;  // holds the (possibly copied) array alive
  PyObject** items = nullptr;
  int64_t size = 0;
};

Strings strings_of(const py::object& obj, const char* op) {
  py::array a = py::array::ensure(obj, py::array::c_style);
  if (!a || a.dtype().kind() != 'O')
    throw py::type_error(std::string(op) + ": expected an object array of bytes");
  // read only: the inputs' buffers may be read-only views
  auto** items = const_cast<PyObject**>(static_cast<PyObject* const*>(a.data()));
  Strings s{a, items, static_cast<int64_t>(a.size())};
  for (int64_t i = 0; i < s.size; ++i)
    if (!s.items[i] || !PyBytes_Check(s.items[i]))
      throw py::type_error(std::string(op) + ": element " + std::to_string(i) + " is not bytes");
  return s;
}

// A new object array of ``shape`` whose slots take ownership of ``refs`` (new references).
py::array object_array(std::vector<PyObject*>& refs, const Shape& shape) {
  py::array out(py::dtype("O"), shape);
  auto** slot = static_cast<PyObject**>(out.mutable_data());
  for (size_t i = 0; i < refs.size(); ++i) {
    Py_XDECREF(slot[i]);  // NumPy fills new object arrays with None (or NULL)
    slot[i] = refs[i];
  }
  refs.clear();
  return out;
}

void release_all(std::vector<PyObject*>& refs) {
  for (PyObject* r : refs) Py_XDECREF(r);
  refs.clear();
}

// Owns the references until they are handed to an array (exception safety).
struct Refs {
  std::vector<PyObject*> v;
  ~Refs() { release_all(v); }
  void push(PyObject* r) {
    if (!r) throw py::error_already_set();
    v.push_back(r);
  }
};

Shape shape_of(const py::array& a) { return Shape(a.shape(), a.shape() + a.ndim()); }

// One bytes object per distinct value within a call: a batch of text repeats its tokens, and
// sharing them saves the allocations and keeps later hashing (cached per object) and lookups
// in cache. Bytes are immutable, so sharing is invisible to Python.
class Interner {
 public:
  Interner() : slots_(1024, nullptr), hashes_(1024, 0), mask_(1023) {}
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;
  ~Interner() {
    for (PyObject* o : slots_) Py_XDECREF(o);
  }

  // A new reference to a bytes object holding p[0..n).
  PyObject* get(const char* p, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (Py_ssize_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ULL;
    h ^= h >> 29;
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      PyObject* o = slots_[i];
      if (!o) break;
      if (hashes_[i] == h && PyBytes_GET_SIZE(o) == n && std::memcmp(PyBytes_AS_STRING(o), p, n) == 0) {
        Py_INCREF(o);
        return o;
      }
    }
    PyObject* made = PyBytes_FromStringAndSize(p, n);
    if (!made) return nullptr;
    if (2 * (used_ + 1) > slots_.size()) grow();
    uint64_t i = h & mask_;
    while (slots_[i]) i = (i + 1) & mask_;
    Py_INCREF(made);  // the table's own reference
    slots_[i] = made;
    hashes_[i] = h;
    ++used_;
    return made;
  }

 private:
  void grow() {
    std::vector<PyObject*> old_slots(slots_.size() * 2, nullptr);
    std::vector<uint64_t> old_hashes(slots_.size() * 2, 0);
    old_slots.swap(slots_);
    old_hashes.swap(hashes_);
    mask_ = slots_.size() - 1;
    for (size_t k = 0; k < old_slots.size(); ++k) {
      if (!old_slots[k]) continue;
      uint64_t i = old_hashes[k] & mask_;
      while (slots_[i]) i = (i + 1) & mask_;
      slots_[i] = old_slots[k];
      hashes_[i] = old_hashes[k];
    }
  }

  std::vector<PyObject*> slots_;
  std::vector<uint64_t> hashes_;
  uint64_t mask_;
  size_t used_ = 0;
};

py::array int64_array(const std::vector<int64_t>& v) {
  py::array_t<int64_t> out(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(int64_t));
  return out;
}

inline bool ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Each string with its bytes mapped through ``table`` (256 entries; -1 deletes the byte). A
// string the mapping leaves unchanged is shared, not copied.
py::array map_bytes(py::array x, const int16_t* table) {
  Strings s = strings_of(x, "map_bytes");
  Refs refs;
  refs.v.reserve(s.size);
  std::string buf;
  for (int64_t i = 0; i < s.size; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(PyBytes_AS_STRING(s.items[i]));
    const Py_ssize_t n = PyBytes_GET_SIZE(s.items[i]);
    Py_ssize_t k = 0;
    while (k < n && table[p[k]] == p[k]) ++k;
    if (k == n) {
      Py_INCREF(s.items[i]);
      refs.push(s.items[i]);
      continue;
    }
    buf.assign(reinterpret_cast<const char*>(p), k);
    for (; k < n; ++k)
      if (table[p[k]] >= 0) buf.push_back(static_cast<char>(table[p[k]]));
    refs.push(PyBytes_FromStringAndSize(buf.data(), static_cast<Py_ssize_t>(buf.size())));
  }
  return object_array(refs.v, shape_of(s.keep));
}

py::array lower_ascii(py::array x) {
  int16_t table[256];
  for (int c = 0; c < 256; ++c) table[c] = static_cast<int16_t>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return map_bytes(x, table);
}

py::array delete_bytes(py::array x, py::bytes chars) {
  int16_t table[256];
  for (int c = 0; c < 256; ++c) table[c] = static_cast<int16_t>(c);
  const std::string drop = chars;
  for (unsigned char c : drop) table[c] = -1;
  return map_bytes(x, table);
}

// Split each string on runs of ASCII whitespace: (values, row_splits).
py::tuple split_whitespace(py::array x) {
  Strings s = strings_of(x, "split_whitespace");
  Interner interner;
  Refs refs;
  std::vector<int64_t> splits(1, 0);
  splits.reserve(s.size + 1);
  for (int64_t i = 0; i < s.size; ++i) {
    const char* p = PyBytes_AS_STRING(s.items[i]);
    const Py_ssize_t n = PyBytes_GET_SIZE(s.items[i]);
    Py_ssize_t k = 0;
    while (k < n) {
      while (k < n && ascii_space(static_cast<unsigned char>(p[k]))) ++k;
      const Py_ssize_t start = k;
      while (k < n && !ascii_space(static_cast<unsigned char>(p[k]))) ++k;
      if (k > start) {
        if (start == 0 && k == n) {  // the whole string is one word: share it
          Py_INCREF(s.items[i]);
          refs.push(s.items[i]);
        } else {
          refs.push(interner.get(p + start, k - start));
        }
      }
    }
    splits.push_back(static_cast<int64_t>(refs.v.size()));
  }
  Shape shape{static_cast<int64_t>(refs.v.size())};
  py::array values = object_array(refs.v, shape);
  return py::make_tuple(values, int64_array(splits));
}

// Joined ngrams keyed by the objects they join: split's tokens are shared per distinct value,
// so equal windows of objects are equal ngrams, found again without reading their bytes (a
// window of unshared equal tokens just makes its own object).
class GramCache {
 public:
  GramCache(PyObject** items, int64_t width) : items_(items), width_(width) { resize(1024); }
  GramCache(const GramCache&) = delete;
  GramCache& operator=(const GramCache&) = delete;
  ~GramCache() {
    for (const Slot& slot : slots_) Py_XDECREF(slot.obj);
  }

  // A new reference to the join of items[i .. i + width) with ``sep``.
  PyObject* get(int64_t i, const std::string& sep) {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int64_t j = 0; j < width_; ++j) {
      h = (h ^ (reinterpret_cast<uintptr_t>(items_[i + j]) >> 4)) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    uint64_t k = h & mask_;
    for (; slots_[k].pos >= 0; k = (k + 1) & mask_) {
      const Slot& slot = slots_[k];
      if (slot.hash == h && same(slot.pos, i)) {
        Py_INCREF(slot.obj);
        return slot.obj;
      }
    }
    PyObject* made = join(i, sep);
    if (!made) return nullptr;
    if (2 * (used_ + 1) > slots_.size()) {
      resize(slots_.size() * 2);
      for (k = h & mask_; slots_[k].pos >= 0;) k = (k + 1) & mask_;
    }
    Py_INCREF(made);  // the cache's own reference
    slots_[k] = Slot{h, i, made};
    ++used_;
    return made;
  }

 private:
  bool same(int64_t a, int64_t b) const {
    for (int64_t j = 0; j < width_; ++j)
      if (items_[a + j] != items_[b + j]) return false;
    return true;
  }
  PyObject* join(int64_t i, const std::string& sep) const {
    Py_ssize_t n = static_cast<Py_ssize_t>(sep.size()) * (width_ - 1);
    for (int64_t j = 0; j < width_; ++j) n += PyBytes_GET_SIZE(items_[i + j]);
    PyObject* out = PyBytes_FromStringAndSize(nullptr, n);
    if (!out) return nullptr;
    char* dst = PyBytes_AS_STRING(out);
    for (int64_t j = 0; j < width_; ++j) {
      if (j) {
        std::memcpy(dst, sep.data(), sep.size());
        dst += sep.size();
      }
      const Py_ssize_t len = PyBytes_GET_SIZE(items_[i + j]);
      std::memcpy(dst, PyBytes_AS_STRING(items_[i + j]), len);
      dst += len;
    }
    return out;
  }
  struct Slot {
    uint64_t hash;
    int64_t pos;  // where the entry's window starts (-1: empty)
    PyObject* obj;
  };
  void resize(size_t capacity) {
    std::vector<Slot> old(capacity, Slot{0, -1, nullptr});
    old.swap(slots_);
    mask_ = capacity - 1;
    for (const Slot& slot : old) {
      if (slot.pos < 0) continue;
      uint64_t at = slot.hash & mask_;
      while (slots_[at].pos >= 0) at = (at + 1) & mask_;
      slots_[at] = slot;
    }
  }

  PyObject** items_;
  int64_t width_;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t used_ = 0;
};

// The unpadded ngrams of each row (per row: each width in turn, then each position), joined
// with ``sep``: (values, row_splits).
py::tuple ngram_join(py::array values, py::array_t<int64_t, py::array::c_style> row_splits,
                     std::vector<int64_t> widths, py::bytes sep_in) {
  Strings s = strings_of(values, "ngram_join");
  const std::string sep = sep_in;
  const int64_t* rs = row_splits.data();
  const int64_t rows = row_splits.size() - 1;
  std::vector<std::unique_ptr<GramCache>> caches;
  for (int64_t w : widths) {
    if (w < 1) throw py::value_error("ngram_join: widths must be positive");
    caches.push_back(std::make_unique<GramCache>(s.items, w));
  }
  Refs refs;
  std::vector<int64_t> out_splits(1, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = rs[r], e = rs[r + 1];
    if (b < 0 || e < b || e > s.size) throw py::value_error("ngram_join: bad row splits");
    for (size_t c = 0; c < widths.size(); ++c) {
      const int64_t w = widths[c];
      for (int64_t i = b; i + w <= e; ++i) {
        if (w == 1) {
          Py_INCREF(s.items[i]);
          refs.push(s.items[i]);
        } else {
          refs.push(caches[c]->get(i, sep));
        }
      }
    }
    out_splits.push_back(static_cast<int64_t>(refs.v.size()));
  }
  Shape shape{static_cast<int64_t>(refs.v.size())};
  py::array out = object_array(refs.v, shape);
  return py::make_tuple(out, int64_array(out_splits));
}

// Open addressing over bytes keys, probed with Python's (cached) bytes hash; each slot holds
// the hash, the key and its index (one cache line a probe).
class Table {
 public:
  explicit Table(int64_t expected) { rehash(capacity_for(expected)); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // The index of ``key`` among the inserted keys, or -1.
  int64_t find(PyObject* key, Py_hash_t h) const {
    for (uint64_t i = static_cast<uint64_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.at < 0) return -1;
      if (slot.hash == h && same(slot.key, key)) return slot.at;
    }
  }

  // Insert ``key`` (borrowed; the table keeps its own reference) unless present; its index.
  int64_t insert(PyObject* key, Py_hash_t h) {
    const int64_t found = find(key, h);
    if (found >= 0) return found;
    if (2 * (keys_.size() + 1) > slots_.size()) rehash(slots_.size() * 2);
    const int64_t at = static_cast<int64_t>(keys_.size());
    Py_INCREF(key);
    keys_.push_back(key);
    place({h, at, key});
    return at;
  }

  const std::vector<PyObject*>& keys() const { return keys_; }

  ~Table() {
    for (PyObject* k : keys_) Py_DECREF(k);
  }

 private:
  struct Slot {
    Py_hash_t hash;
    int64_t at;  // -1: empty
    PyObject* key;
  };
  static size_t capacity_for(int64_t n) {
    size_t c = 16;
    while (c < static_cast<size_t>(2 * n + 2)) c *= 2;
    return c;
  }
  static bool same(PyObject* a, PyObject* b) {
    if (a == b) return true;
    const Py_ssize_t n = PyBytes_GET_SIZE(a);
    return n == PyBytes_GET_SIZE(b) && std::memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), n) == 0;
  }
  void place(const Slot& slot) {
    uint64_t i = static_cast<uint64_t>(slot.hash) & mask_;
    while (slots_[i].at >= 0) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old(capacity, Slot{0, -1, nullptr});
    old.swap(slots_);
    mask_ = capacity - 1;
    for (const Slot& slot : old)
      if (slot.at >= 0) place(slot);
  }

  std::vector<Slot> slots_;
  std::vector<PyObject*> keys_;
  uint64_t mask_ = 0;
};

// A small direct-mapped memo of object -> index: text repeats its (shared) token objects, so
// most lookups of a batch end here, without hashing or comparing bytes.
class Memo {
 public:
  Memo() : slots_(kSize, Slot{nullptr, 0}) {}
  bool get(PyObject* key, int64_t* at) const {
    const Slot& slot = slots_[index(key)];
    if (slot.key != key) return false;
    *at = slot.at;
    return true;
  }
  // ``key`` must stay alive while the memo is used (it holds no reference).
  void put(PyObject* key, int64_t at) { slots_[index(key)] = Slot{key, at}; }

 private:
  static constexpr size_t kSize = 1 << 15;
  struct Slot {
    PyObject* key;
    int64_t at;
  };
  static size_t index(PyObject* key) {
    uint64_t h = reinterpret_cast<uintptr_t>(key) * 0x9E3779B97F4A7C15ULL;
    return static_cast<size_t>(h >> 49);  // the top 15 bits
  }
  std::vector<Slot> slots_;
};

inline Py_hash_t hash_of(PyObject* key) {
  const Py_hash_t h = PyObject_Hash(key);
  if (h == -1) throw py::error_already_set();
  return h;
}

// A polynomial hash over bytes, composable: the hash of a + b is ha * B^|b| + hb, so an ngram's
// hash comes from its tokens' hashes without joining their bytes.
constexpr uint64_t kRollBase = 0x100000001B3ULL;

struct Piece {
  uint64_t h = 0;   // sum of (byte + 1) * B^(n - 1 - i)
  uint64_t pw = 1;  // B^n
  const char* p = nullptr;
  int64_t n = 0;
};

// B^0 .. B^64.
const std::array<uint64_t, 65>& roll_powers() {
  static const std::array<uint64_t, 65> powers = [] {
    std::array<uint64_t, 65> out{};
    out[0] = 1;
    for (size_t i = 1; i < out.size(); ++i) out[i] = out[i - 1] * kRollBase;
    return out;
  }();
  return powers;
}

inline Piece roll(const char* p, int64_t n) {
  const auto& pw = roll_powers();
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  Piece out{0, 1, p, n};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)  // four bytes a step: one multiply in the dependency chain
    out.h = out.h * pw[4] + (u[i] + 1ULL) * pw[3] + (u[i + 1] + 1ULL) * pw[2] +
            (u[i + 2] + 1ULL) * pw[1] + (u[i + 3] + 1ULL);
  for (; i < n; ++i) out.h = out.h * kRollBase + u[i] + 1;
  if (n < static_cast<int64_t>(pw.size())) {
    out.pw = pw[n];
  } else {
    for (int64_t k = 0; k < n; ++k) out.pw *= kRollBase;
  }
  return out;
}

inline void append(Piece& a, const Piece& b) {
  a.h = a.h * b.pw + b.h;
  a.pw *= b.pw;
  a.n += b.n;
}

// The keys of a Table by their rolling hash, probed with ngrams given as token pieces. A slot
// is a 32-bit tag of the hash and the key's position (8 bytes: the slots of a vocabulary stay
// in cache); the key's bytes (a copy, back to back) are read only when a tag matches.
class RollIndex {
 public:
  explicit RollIndex(const std::vector<PyObject*>& keys) {
    size_t cap = 16;
    while (cap < 2 * keys.size() + 2) cap *= 2;
    slots_.assign(cap, Slot{0, -1});
    shift_ = 64;
    for (size_t c = cap; c > 1; c >>= 1) --shift_;
    keys_.reserve(keys.size());
    for (PyObject* key : keys) bytes_.append(PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key));
    for (size_t at = 0, off = 0; at < keys.size(); ++at) {
      const Piece k = roll(bytes_.data() + off, PyBytes_GET_SIZE(keys[at]));
      keys_.push_back(Key{off, k.n});
      off += k.n;
      uint64_t i = index(k.h);
      while (slots_[i].at >= 0) i = (i + 1) & (cap - 1);
      slots_[i] = Slot{tag(k.h), static_cast<int32_t>(at)};
    }
  }

  // The position of the join of toks[0..w) with ``sep`` (hash ``h``, ``n`` bytes), or -1.
  int64_t find(uint64_t h, int64_t n, const Piece* toks, int64_t w, const Piece& sep) const {
    const uint64_t mask = slots_.size() - 1;
    const uint32_t t = tag(h);
    for (uint64_t i = index(h);; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.at < 0) return -1;
      if (slot.tag == t && keys_[slot.at].n == n &&
          same(bytes_.data() + keys_[slot.at].off, toks, w, sep))
        return slot.at;
    }
  }

 private:
  struct Slot {
    uint32_t tag;
    int32_t at;  // -1: empty
  };
  struct Key {
    size_t off;  // into bytes_
    int64_t n;
  };
  // The polynomial hash clusters similar keys: mixed (MurmurHash3's finalizer) before its top
  // bits pick the slot.
  static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }
  uint64_t index(uint64_t h) const { return mix(h) >> shift_; }
  static uint32_t tag(uint64_t h) { return static_cast<uint32_t>(h ^ (h >> 32)); }
  static bool same(const char* key, const Piece* toks, int64_t w, const Piece& sep) {
    for (int64_t j = 0; j < w; ++j) {
      if (j) {
        if (std::memcmp(key, sep.p, sep.n) != 0) return false;
        key += sep.n;
      }
      if (std::memcmp(key, toks[j].p, toks[j].n) != 0) return false;
      key += toks[j].n;
    }
    return true;
  }
  std::vector<Slot> slots_;
  std::vector<Key> keys_;
  std::string bytes_;  // the keys, back to back: compact, so the probed ones stay in cache
  int shift_ = 60;
};

// A vocabulary's index: distinct bytes keys to their positions 0..n-1.
class StringIndex {
 public:
  explicit StringIndex(py::array keys) : table_(static_cast<int64_t>(keys.size())) {
    Strings s = strings_of(keys, "StringIndex");
    for (int64_t i = 0; i < s.size; ++i) {
      const int64_t before = static_cast<int64_t>(table_.keys().size());
      if (table_.insert(s.items[i], hash_of(s.items[i])) != before)
        throw py::value_error("StringIndex: repeated key at position " + std::to_string(i));
    }
  }
  StringIndex(const StringIndex&) = delete;

  int64_t size() const { return static_cast<int64_t>(table_.keys().size()); }

  // The position of each key of ``x`` (any shape), -1 where absent; int64 of x's shape.
  py::array positions(py::array x) const {
    Strings s = strings_of(x, "StringIndex.positions");
    py::array_t<int64_t> out(shape_of(s.keep));
    int64_t* o = out.mutable_data();
    Memo memo;  // the input holds its objects alive for the call
    for (int64_t i = 0; i < s.size; ++i) {
      PyObject* key = s.items[i];
      if (memo.get(key, &o[i])) continue;
      o[i] = table_.find(key, hash_of(key));
      memo.put(key, o[i]);
    }
    return out;
  }

  // Split each string of 1-D ``x`` on ASCII whitespace runs and find each of its ngrams (per
  // string: each width in turn, then each start; tokens joined with ``sep``), without making
  // the tokens or ngrams: (positions int64, -1 where absent; row_splits int64).
  // With ``values`` (int64, one a key), each found position gives its value and the others
  // ``fill``: (values, row_splits). With ``width`` >= 0, a dense [rows, width] int64 array
  // instead: each row's first ``width`` results (the rest are not looked up), then ``pad``;
  // (dense, row_splits of the kept results).
  py::tuple split_ngram_positions(py::array x, std::vector<int64_t> widths, py::bytes sep_in,
                                  py::object values, int64_t fill, int64_t width,
                                  int64_t pad) const {
    Strings s = strings_of(x, "StringIndex.split_ngram_positions");
    for (int64_t w : widths)
      if (w < 1) throw py::value_error("split_ngram_positions: widths must be positive");
    if (table_.keys().size() >= (1u << 31))
      throw py::value_error("split_ngram_positions: too many keys");
    const int64_t* vals = nullptr;
    py::array_t<int64_t, py::array::c_style> held;
    if (!values.is_none()) {
      held = py::array_t<int64_t, py::array::c_style>::ensure(values);
      if (!held || held.ndim() != 1 || held.size() != size())
        throw py::value_error("split_ngram_positions: values must be int64, one a key");
      vals = held.data();
    }
    if (!roll_) roll_ = std::make_unique<RollIndex>(table_.keys());
    const std::string sep_bytes = sep_in;
    const Piece sep = roll(sep_bytes.data(), static_cast<int64_t>(sep_bytes.size()));
    std::vector<int64_t> out, splits(1, 0);
    splits.reserve(s.size + 1);
    const bool dense = width >= 0;
    py::array_t<int64_t> grid(std::vector<int64_t>{dense ? s.size : 0, dense ? width : 0});
    int64_t* row = grid.mutable_data();
    if (dense) std::fill(row, row + s.size * width, pad);
    int64_t kept = 0;  // results so far (dense: those within the width)
    std::vector<Piece> toks;
    for (int64_t r = 0; r < s.size; ++r, row += dense ? width : 0) {
      const char* p = PyBytes_AS_STRING(s.items[r]);
      const int64_t n = PyBytes_GET_SIZE(s.items[r]);
      toks.clear();
      for (int64_t k = 0; k < n;) {  // the tokens and their hashes
        while (k < n && ascii_space(static_cast<unsigned char>(p[k]))) ++k;
        const int64_t start = k;
        while (k < n && !ascii_space(static_cast<unsigned char>(p[k]))) ++k;
        if (k > start) toks.push_back(roll(p + start, k - start));
      }
      const int64_t m = static_cast<int64_t>(toks.size());
      int64_t col = 0;
      for (int64_t w : widths) {
        for (int64_t i = 0; i + w <= m && !(dense && col == width); ++i, ++col) {
          Piece g = toks[i];
          for (int64_t j = 1; j < w; ++j) {
            append(g, sep);
            append(g, toks[i + j]);
          }
          const int64_t at = roll_->find(g.h, g.n, &toks[i], w, sep);
          const int64_t v = vals ? (at >= 0 ? vals[at] : fill) : at;
          if (dense)
            row[col] = v;
          else
            out.push_back(v);
        }
      }
      kept += col;
      splits.push_back(kept);
    }
    if (dense) return py::make_tuple(grid, int64_array(splits));
    return py::make_tuple(int64_array(out), int64_array(splits));
  }

 private:
  Table table_;
  mutable std::unique_ptr<RollIndex> roll_;  // built on the first split_ngram_positions
};

// The distinct strings of a 1-D array in first-seen order, each element's index among them,
// and how often each occurs: (values, idx int64, counts int64), as TF's UniqueWithCounts.
py::tuple unique_with_counts(py::array x) {
  Strings s = strings_of(x, "unique_with_counts");
  Table table(0);
  py::array_t<int64_t> idx(s.size);
  int64_t* id = idx.mutable_data();
  std::vector<int64_t> counts;
  Memo memo;
  for (int64_t i = 0; i < s.size; ++i) {
    int64_t at;
    if (!memo.get(s.items[i], &at)) {
      at = table.insert(s.items[i], hash_of(s.items[i]));
      memo.put(s.items[i], at);
    }
    if (at == static_cast<int64_t>(counts.size())) counts.push_back(0);
    ++counts[at];
    id[i] = at;
  }
  Refs refs;
  for (PyObject* k : table.keys()) {
    Py_INCREF(k);
    refs.push(k);
  }
  Shape shape{static_cast<int64_t>(refs.v.size())};
  py::array values = object_array(refs.v, shape);
  return py::make_tuple(values, idx, int64_array(counts));
}

}  // namespace

void init_strings(py::module_& m) {
  m.def("string_lower_ascii", &lower_ascii, py::arg("x"),
        "Each bytes string with A-Z lowered (same shape).");
  m.def("string_delete_bytes", &delete_bytes, py::arg("x"), py::arg("chars"),
        "Each bytes string without the bytes of ``chars`` (same shape).");
  m.def("string_split_whitespace", &split_whitespace, py::arg("x"),
        "Split 1-D bytes strings on ASCII whitespace runs: (values, row_splits).");
  m.def("string_ngram_join", &ngram_join, py::arg("values"), py::arg("row_splits"),
        py::arg("widths"), py::arg("separator"),
        "The unpadded ngrams of each row, joined: (values, row_splits).");
  m.def("string_unique_with_counts", &unique_with_counts, py::arg("x"),
        "Distinct bytes strings in first-seen order: (values, idx, counts).");
  py::class_<StringIndex>(m, "StringIndex")
      .def(py::init<py::array>(), py::arg("keys"))
      .def_property_readonly("size", &StringIndex::size)
      .def("positions", &StringIndex::positions, py::arg("x"),
           "The position of each key, -1 where absent (int64, the keys' shape).")
      .def("split_ngram_positions", &StringIndex::split_ngram_positions, py::arg("x"),
           py::arg("widths"), py::arg("separator"), py::arg("values") = py::none(),
           py::arg("fill") = -1, py::arg("width") = -1, py::arg("pad") = 0,
           "Whitespace-split 1-D strings, the position (or value) of each ngram, -1 (``fill``)\n"
           "where absent: (int64, row_splits); ``width`` >= 0: (dense [rows, width] padded\n"
           "with ``pad``, row_splits of the kept results).");
}

}  // namespace th
