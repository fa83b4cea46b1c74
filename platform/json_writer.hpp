// A small streaming JSON writer for reports: keys in the order written,
// numbers printed the same way every run (byte-identical reports).
//
// The output is always valid JSON (RFC 8259): a double that is not finite
// (inf, -inf, nan), which JSON cannot represent, is written as null. The
// scenario loader keeps every input finite and bounded (yaml_reader.hpp), so
// a null in a report means a model computed something undefined (0/0: a
// ratio over nothing measured) and reads as "no value".
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace imcvp {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  JsonWriter& begin_object(const char* key = nullptr) { open(key, '{'); return *this; }
  JsonWriter& end_object() { close('}'); return *this; }
  JsonWriter& begin_array(const char* key = nullptr) { open(key, '['); return *this; }
  JsonWriter& end_array() { close(']'); return *this; }

  JsonWriter& value(const char* key, const std::string& v) { item(key); string(v); return *this; }
  JsonWriter& value(const char* key, const char* v) { return value(key, std::string(v)); }
  JsonWriter& value(const char* key, bool v) { item(key); out_ << (v ? "true" : "false"); return *this; }
  JsonWriter& value(const char* key, uint64_t v) { item(key); out_ << v; return *this; }
  JsonWriter& value(const char* key, int64_t v) { item(key); out_ << v; return *this; }
  JsonWriter& value(const char* key, uint32_t v) { return value(key, uint64_t{v}); }
  JsonWriter& value(const char* key, int v) { return value(key, int64_t{v}); }
  JsonWriter& value(const char* key, double v) {
    item(key);
    if (!std::isfinite(v)) {
      out_ << "null";
      return *this;
    }
    char b[32];
    std::snprintf(b, sizeof b, "%.9g", v);
    out_ << b;
    return *this;
  }

 private:
  void indent() { out_ << '\n' << std::string(2 * first_.size(), ' '); }
  void item(const char* key) {
    if (!first_.empty()) {
      if (!first_.back()) out_ << ',';
      first_.back() = false;
      indent();
    }
    if (key) { string(key); out_ << ": "; }
  }
  void open(const char* key, char c) { item(key); out_ << c; first_.push_back(true); }
  void close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) indent();
    out_ << c;
    if (first_.empty()) out_ << '\n';
  }
  void string(const std::string& s) {
    out_ << '"';
    for (unsigned char ch : s) {
      switch (ch) {
        case '"': out_ << "\\\""; break;
        case '\\': out_ << "\\\\"; break;
        case '\n': out_ << "\\n"; break;
        case '\r': out_ << "\\r"; break;
        case '\t': out_ << "\\t"; break;
        default:
          if (ch < 0x20 || ch >= 0x7f) {  // keep the report plain ASCII
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", ch);
            out_ << b;
          } else {
            out_ << ch;
          }
      }
    }
    out_ << '"';
  }

  std::ostream& out_;
  std::vector<bool> first_;
};

}  // namespace imcvp
