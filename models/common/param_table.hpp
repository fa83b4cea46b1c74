// ParamTable: a block's parameters declared once, beside its params struct:
// the YAML key, the member, the allowed range and what it means. The block
// checks its struct with it; the scenario loader reads the block's section
// with it (platform/param_reader.hpp: file:line:col errors at the field), so
// a new block's parameters need no edit of the loader beyond naming its
// section (docs/contributing.md "Adding a block").
#pragma once
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/param_text.hpp"

namespace imcvp {

template <typename P>
struct ParamField {
  enum class Kind { Count, Real };
  const char* key = "";
  Kind kind = Kind::Count;
  unsigned P::*count_member = nullptr;
  double P::*real_member = nullptr;
  double min = 0, max = 0;  // inclusive
  const char* doc = "";

  // A whole number of things (lanes, entries): 1..max.
  static ParamField count(const char* key, unsigned P::*m, const char* doc, unsigned max = 1u << 20) {
    ParamField f;
    f.key = key;
    f.kind = Kind::Count;
    f.count_member = m;
    f.min = 1;
    f.max = max;
    f.doc = doc;
    return f;
  }
  // An energy per event in pJ: finite, >= 0.
  static ParamField energy(const char* key, double P::*m, const char* doc) {
    return real(key, m, 0.0, 1e9, doc);
  }
  static ParamField real(const char* key, double P::*m, double min, double max, const char* doc) {
    ParamField f;
    f.key = key;
    f.kind = Kind::Real;
    f.real_member = m;
    f.min = min;
    f.max = max;
    f.doc = doc;
    return f;
  }
  // The problem with value v for this field, or none.
  std::optional<std::string> problem(double v) const {
    if (!std::isfinite(v) || v < min || v > max) {
      std::string range = kind == Kind::Count ? std::to_string(unsigned(min)) + ".." + std::to_string(unsigned(max))
                                              : "in [" + format_number(min) + ", " + format_number(max) + "]";
      return must_be(range, v);
    }
    if (kind == Kind::Count && v != std::floor(v)) return must_be("a whole number", v);
    return std::nullopt;
  }
  double get(const P& p) const { return kind == Kind::Count ? double(p.*count_member) : p.*real_member; }
  void set(P& p, double v) const {
    if (kind == Kind::Count)
      p.*count_member = unsigned(v);
    else
      p.*real_member = v;
  }

 private:
  static std::string format_number(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
};

template <typename P>
using ParamTable = std::vector<ParamField<P>>;

// Throws std::invalid_argument "<owner>: <key>: must be ..." for the first
// field of `p` outside its range.
template <typename P>
void check_params(const ParamTable<P>& table, const P& p, const std::string& owner) {
  for (const ParamField<P>& f : table)
    if (auto e = f.problem(f.get(p))) throw std::invalid_argument(owner + ": " + f.key + ": " + *e);
}

}  // namespace imcvp
