// TFRecord framing and tf.train.Example parsing on the host, for tf.io / tf.data.
//
// split_records cuts a buffer of TFRecord framing (uint64 length | masked CRC32C of the length |
// data | masked CRC32C of the data, little-endian) into its records, checking both CRCs.
// parse_example_dense reads the dense features of serialized Examples straight from the
// protobuf wire format (Example.features = 1; Features.feature = map<string, Feature> = 1;
// Feature: bytes_list = 1, float_list = 2, int64_list = 3; each list's value = 1, packed or not)
// into preallocated outputs. It handles the regular case only: anything else (a missing
// feature, another kind, another count, malformed bytes, a duplicated message field) makes it
// return false, and the caller parses that batch the slow way, with TF's errors and defaults.
#include "common.h"

namespace th {
namespace {

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing by 8 ---------------------
struct Crc32cTables {
  uint32_t t[8][256];
  Crc32cTables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};

const Crc32cTables& crc_tables() {
  static const Crc32cTables tables;
  return tables;
}

uint32_t crc32c(const uint8_t* p, size_t n) {
  const auto& t = crc_tables().t;
  uint32_t c = 0xFFFFFFFFu;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFF];
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc(const uint8_t* p, size_t n) {
  const uint32_t c = crc32c(p, n);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Records of buf[start:]: (list of bytes, end offset of the last whole record, status) where
// status 0: stopped at the end of the buffer (a partial record may follow), 1: the length's CRC
// at the end offset is wrong, 2: the data's CRC of the record at the end offset is wrong.
py::tuple split_records(py::bytes buf, int64_t start, int64_t max_records) {
  char* data = nullptr;
  Py_ssize_t size = 0;
  PyBytes_AsStringAndSize(buf.ptr(), &data, &size);
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  std::vector<std::pair<int64_t, int64_t>> spans;
  int64_t off = start;
  int status = 0;
  {
    py::gil_scoped_release release;
    while (max_records < 0 || int64_t(spans.size()) < max_records) {
      if (size - off < 12) break;
      const uint64_t length = load_le64(p + off);
      if (masked_crc(p + off, 8) != load_le32(p + off + 8)) {
        status = 1;
        break;
      }
      const uint64_t avail = uint64_t(size - off - 12);  // the data and its CRC need length + 4
      if (avail < 4 || length > avail - 4) break;  // not all here (or truncated)
      const uint8_t* body = p + off + 12;
      if (masked_crc(body, length) != load_le32(body + length)) {
        status = 2;
        break;
      }
      spans.emplace_back(off + 12, int64_t(length));
      off += 16 + int64_t(length);
    }
  }
  py::list out(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    PyObject* b = PyBytes_FromStringAndSize(data + spans[i].first, spans[i].second);
    if (!b) throw py::error_already_set();
    PyList_SET_ITEM(out.ptr(), Py_ssize_t(i), b);
  }
  return py::make_tuple(out, off, status);
}

// ---- the protobuf wire format --------------------------------------------------------------
struct Reader {
  const uint8_t* p;
  const uint8_t* end;

  bool done() const { return p >= end; }

  // A field's tag: false at a malformed one (field number 0 is not allowed).
  bool tag(uint32_t& field, uint32_t& wt) {
    uint64_t t;
    if (!varint(t) || (t >> 3) == 0 || (t >> 3) > 0x1FFFFFFFu) return false;
    field = uint32_t(t >> 3);
    wt = uint32_t(t & 7);
    return true;
  }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return false;
      const uint8_t b = *p++;
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }

  // A length-delimited field's contents.
  bool bytes(Reader& sub) {
    uint64_t n;
    if (!varint(n) || n > uint64_t(end - p)) return false;
    sub = Reader{p, p + n};
    p += n;
    return true;
  }

  // Skip a field of wire type wt (groups are not expected in an Example: refused).
  bool skip(uint32_t wt) {
    uint64_t v;
    switch (wt) {
      case 0:
        return varint(v);
      case 1:
        if (end - p < 8) return false;
        p += 8;
        return true;
      case 2: {
        Reader sub;
        return bytes(sub);
      }
      case 5:
        if (end - p < 4) return false;
        p += 4;
        return true;
      default:
        return false;
    }
  }
};

enum Kind { kBytes = 1, kFloat = 2, kInt64 = 3 };  // Feature's field numbers

struct Wanted {
  std::string key;
  int kind;
  int64_t size;  // values per example
};

// The first (only) Feature of kind `kind` in `feature`, its values written from out[0] on:
// false unless it is exactly `size` values of that kind.
bool read_values(Reader feature, int kind, int64_t size, float* f, int64_t* ints,
                 std::vector<std::pair<const uint8_t*, int64_t>>* strs) {
  Reader list{nullptr, nullptr};
  bool found = false;
  while (!feature.done()) {
    uint32_t field, wt;
    if (!feature.tag(field, wt)) return false;
    if (field >= 1 && field <= 3) {
      if (wt != 2 || int(field) != kind || found) return false;  // another kind, or a merge
      if (!feature.bytes(list)) return false;
      found = true;
    } else if (!feature.skip(wt)) {
      return false;
    }
  }
  if (!found) return false;
  int64_t n = 0;
  while (!list.done()) {
    uint32_t field, wt;
    if (!list.tag(field, wt)) return false;
    if (field != 1) {
      if (!list.skip(wt)) return false;
      continue;
    }
    if (kind == kFloat && wt == 2) {  // packed
      Reader packed;
      if (!list.bytes(packed)) return false;
      const int64_t bytes = packed.end - packed.p;
      if (bytes % 4 || n + bytes / 4 > size) return false;
      std::memcpy(f + n, packed.p, size_t(bytes));
      n += bytes / 4;
    } else if (kind == kFloat && wt == 5) {
      if (list.end - list.p < 4 || n >= size) return false;
      std::memcpy(f + n++, list.p, 4);
      list.p += 4;
    } else if (kind == kInt64 && wt == 2) {
      Reader packed;
      if (!list.bytes(packed)) return false;
      while (!packed.done()) {
        uint64_t v;
        if (!packed.varint(v) || n >= size) return false;
        ints[n++] = int64_t(v);
      }
    } else if (kind == kInt64 && wt == 0) {
      uint64_t v;
      if (!list.varint(v) || n >= size) return false;
      ints[n++] = int64_t(v);
    } else if (kind == kBytes && wt == 2) {
      Reader s;
      if (!list.bytes(s) || n >= size) return false;
      strs->emplace_back(s.p, s.end - s.p);
      ++n;
    } else {
      return false;
    }
  }
  return n == size;
}

// One serialized Example: for each wanted key, the span of its Feature message (the last one,
// as a protobuf map keeps); false when malformed or when `features` is given twice.
bool find_features(Reader ex, const std::vector<Wanted>& wanted, std::vector<Reader>& spans) {
  for (auto& s : spans) s = Reader{nullptr, nullptr};
  Reader features{nullptr, nullptr};
  bool seen = false;
  while (!ex.done()) {
    uint32_t field, wt;
    if (!ex.tag(field, wt)) return false;
    if (field == 1) {
      if (wt != 2 || seen || !ex.bytes(features)) return false;
      seen = true;
    } else if (!ex.skip(wt)) {
      return false;
    }
  }
  if (!seen) return true;
  while (!features.done()) {
    uint32_t field, wt;
    if (!features.tag(field, wt)) return false;
    if (field != 1) {
      if (!features.skip(wt)) return false;
      continue;
    }
    Reader entry;
    if (wt != 2 || !features.bytes(entry)) return false;
    Reader key{nullptr, nullptr}, value{nullptr, nullptr};
    bool has_key = false, has_value = false;
    while (!entry.done()) {
      uint32_t ef, ewt;
      if (!entry.tag(ef, ewt)) return false;
      if (ef == 1 || ef == 2) {
        if (ewt != 2 || (ef == 1 ? has_key : has_value)) return false;
        if (!entry.bytes(ef == 1 ? key : value)) return false;
        (ef == 1 ? has_key : has_value) = true;
      } else if (!entry.skip(ewt)) {
        return false;
      }
    }
    if (!has_value) return false;  // an entry without a value: leave it to the slow path
    const size_t klen = has_key ? size_t(key.end - key.p) : 0;
    for (size_t k = 0; k < wanted.size(); ++k) {
      if (wanted[k].key.size() == klen &&
          (klen == 0 || std::memcmp(wanted[k].key.data(), key.p, klen) == 0))
        spans[k] = value;
    }
  }
  return true;
}

// Dense features of every serialized Example into outs[k] (a float32 / int64 array of
// rows * size values, or a list of as many for bytes); false: parse this batch the slow way.
bool parse_example_dense(py::list serialized, std::vector<std::string> keys,
                         std::vector<int> kinds, std::vector<int64_t> sizes, py::list outs) {
  const size_t nk = keys.size();
  if (kinds.size() != nk || sizes.size() != nk || size_t(py::len(outs)) != nk)
    throw py::value_error("parse_example_dense: keys, kinds, sizes and outs differ in length");
  const Py_ssize_t rows = py::len(serialized);
  std::vector<Reader> records(rows);
  for (Py_ssize_t i = 0; i < rows; ++i) {
    PyObject* item = PyList_GET_ITEM(serialized.ptr(), i);
    if (!PyBytes_Check(item)) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(item));
    records[i] = Reader{p, p + PyBytes_GET_SIZE(item)};
  }
  std::vector<Wanted> wanted(nk);
  std::vector<float*> floats(nk, nullptr);
  std::vector<int64_t*> ints(nk, nullptr);
  for (size_t k = 0; k < nk; ++k) {
    wanted[k] = Wanted{keys[k], kinds[k], sizes[k]};
    const int64_t need = int64_t(rows) * sizes[k];
    if (kinds[k] == kFloat || kinds[k] == kInt64) {
      py::array a = outs[k].cast<py::array>();
      const bool ok_type = kinds[k] == kFloat ? dtype_of(a) == DType::kFloat32
                                              : dtype_of(a) == DType::kInt64;
      if (!ok_type || a.size() != need || !(a.flags() & py::array::c_style) || !a.writeable())
        throw py::value_error("parse_example_dense: outs[" + std::to_string(k) +
                              "] must be a writable C-contiguous array of rows * size values");
      if (kinds[k] == kFloat)
        floats[k] = static_cast<float*>(a.mutable_data());
      else
        ints[k] = static_cast<int64_t*>(a.mutable_data());
    } else if (kinds[k] == kBytes) {
      if (!PyList_Check(outs[k].ptr()) || py::len(outs[k]) != size_t(need))
        throw py::value_error("parse_example_dense: outs[" + std::to_string(k) +
                              "] must be a list of rows * size values");
    } else {
      throw py::value_error("parse_example_dense: kind must be 1 (bytes), 2 (float), 3 (int64)");
    }
  }
  std::vector<std::vector<std::pair<const uint8_t*, int64_t>>> strs(nk);
  bool ok = true;
  {
    py::gil_scoped_release release;
    std::vector<Reader> spans(nk);
    for (Py_ssize_t i = 0; i < rows && ok; ++i) {
      if (!find_features(records[i], wanted, spans)) {
        ok = false;
        break;
      }
      for (size_t k = 0; k < nk; ++k) {
        if (spans[k].p == nullptr && spans[k].end == nullptr) {  // missing: defaults, errors
          ok = false;
          break;
        }
        const int64_t at = int64_t(i) * sizes[k];
        if (!read_values(spans[k], kinds[k], sizes[k], floats[k] ? floats[k] + at : nullptr,
                         ints[k] ? ints[k] + at : nullptr, &strs[k])) {
          ok = false;
          break;
        }
      }
    }
  }
  if (!ok) return false;
  for (size_t k = 0; k < nk; ++k) {
    if (kinds[k] != kBytes) continue;
    PyObject* list = outs[k].ptr();
    for (size_t j = 0; j < strs[k].size(); ++j) {
      PyObject* b = PyBytes_FromStringAndSize(
          reinterpret_cast<const char*>(strs[k][j].first), strs[k][j].second);
      if (!b) throw py::error_already_set();
      PyList_SetItem(list, Py_ssize_t(j), b);  // steals b, drops the old item
    }
  }
  return true;
}

}  // namespace

void init_example(py::module_& m) {
  m.def("split_records", &split_records, py::arg("buf"), py::arg("start"),
        py::arg("max_records") = -1,
        "TFRecord framing: (records, end offset, status 0 end / 1 bad length CRC / 2 bad data "
        "CRC) from buf[start:].");
  m.def("masked_crc32c", [](py::bytes b) {
    char* d = nullptr;
    Py_ssize_t n = 0;
    PyBytes_AsStringAndSize(b.ptr(), &d, &n);
    return masked_crc(reinterpret_cast<const uint8_t*>(d), size_t(n));
  }, py::arg("data"), "TF's masked CRC32C of data.");
  m.def("parse_example_dense", &parse_example_dense, py::arg("serialized"), py::arg("keys"),
        py::arg("kinds"), py::arg("sizes"), py::arg("outs"),
        "Dense features of serialized Examples into outs; False: parse them the slow way.");
}

}  // namespace th
