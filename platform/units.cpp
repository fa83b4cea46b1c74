#include "platform/units.hpp"
#include "models/common/hex.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace imcvp::units {
namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// The leading number of a quantity, split into its parts, and the unit text
// that follows it.
struct Scanned {
  bool ok = false;         // a number was found at the start
  bool negative = false;
  bool hex = false;
  std::string int_digits;  // without '_'
  std::string frac_digits;
  long exponent = 0;       // decimal exponent as written (saturated)
  std::string unit;        // trimmed remainder, empty if none
};

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_dec_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of digits (as accepted by `is_digit`) with '_' allowed between
// digits. Returns false on a misplaced '_'.
template <typename Pred>
bool scan_digits(const std::string& s, size_t& pos, std::string& out, Pred is_digit) {
  size_t start = pos;
  while (pos < s.size() && (is_digit(s[pos]) || s[pos] == '_')) {
    if (s[pos] == '_') {
      bool prev_digit = pos > start && is_digit(s[pos - 1]);
      bool next_digit = pos + 1 < s.size() && is_digit(s[pos + 1]);
      if (!prev_digit || !next_digit) return false;
    } else {
      out.push_back(s[pos]);
    }
    ++pos;
  }
  return true;
}

Scanned scan(const std::string& text) {
  Scanned r;
  const std::string& s = text;
  size_t pos = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) r.negative = s[pos++] == '-';
  if (pos + 1 < s.size() && s[pos] == '0' && (s[pos + 1] == 'x' || s[pos + 1] == 'X')) {
    pos += 2;
    r.hex = true;
    if (!scan_digits(s, pos, r.int_digits, is_hex_digit) || r.int_digits.empty()) return r;
  } else {
    if (!scan_digits(s, pos, r.int_digits, is_dec_digit)) return r;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      if (!scan_digits(s, pos, r.frac_digits, is_dec_digit)) return r;
    }
    if (r.int_digits.empty() && r.frac_digits.empty()) return r;
    // An exponent only when digits follow: "1e3" is 1000, "1em" is 1 "em".
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
      size_t p = pos + 1;
      bool neg = false;
      if (p < s.size() && (s[p] == '+' || s[p] == '-')) neg = s[p++] == '-';
      if (p < s.size() && is_dec_digit(s[p])) {
        long e = 0;
        while (p < s.size() && is_dec_digit(s[p])) {
          if (e < 100000) e = e * 10 + (s[p] - '0');
          ++p;
        }
        r.exponent = neg ? -e : e;
        pos = p;
      }
    }
  }
  r.unit = trim(s.substr(pos));
  r.ok = true;
  return r;
}

// The number as a double (units not applied). Throws UnitError if out of
// range of a double.
bool to_double(const Scanned& n, double& out) {
  if (n.hex) {
    double v = 0;
    for (char c : n.int_digits) {
      int d = is_dec_digit(c) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      v = v * 16 + d;
    }
    out = n.negative ? -v : v;
    return std::isfinite(out);
  }
  std::string t = n.negative ? "-" : "";
  t += n.int_digits.empty() ? "0" : n.int_digits;
  if (!n.frac_digits.empty()) t += "." + n.frac_digits;
  if (n.exponent != 0) t += "e" + std::to_string(n.exponent);
  double v = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), v);
  if (res.ec != std::errc() || res.ptr != t.data() + t.size()) return false;
  out = v;
  return std::isfinite(v);
}

enum class IntResult { Ok, NotWhole, TooLarge };

// The number times `mult`, exactly, as an unsigned integer (sign ignored;
// callers reject negatives first).
IntResult to_uint(const Scanned& n, uint64_t mult, uint64_t max, uint64_t& out) {
  using u128 = unsigned __int128;
  const u128 limit = static_cast<u128>(max);
  u128 v = 0;
  long exp10 = 0;
  if (n.hex) {
    for (char c : n.int_digits) {
      int d = is_dec_digit(c) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      v = v * 16 + static_cast<unsigned>(d);
      if (v > limit) return IntResult::TooLarge;
    }
  } else {
    std::string digits = n.int_digits + n.frac_digits;
    exp10 = n.exponent - static_cast<long>(n.frac_digits.size());
    // Trailing zeros move into the exponent so long fractions ("1.50000")
    // do not overflow the mantissa.
    while (digits.size() > 1 && digits.back() == '0') {
      digits.pop_back();
      ++exp10;
    }
    size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
      out = 0;
      return IntResult::Ok;
    }
    digits = digits.substr(first);
    if (digits.size() > 38) {
      // More significant digits than any uint64 times a unit can need
      // after scaling: either a fraction that cannot be whole or too big.
      return exp10 < 0 ? IntResult::NotWhole : IntResult::TooLarge;
    }
    for (char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v != 0 && mult > 1) {
    if (v > (~static_cast<u128>(0)) / mult) return IntResult::TooLarge;
    v *= mult;
  }
  for (; exp10 < 0 && v != 0; ++exp10) {
    if (v % 10 != 0) return IntResult::NotWhole;
    v /= 10;
  }
  for (; exp10 > 0 && v != 0; --exp10) {
    if (v > limit) return IntResult::TooLarge;
    v *= 10;
  }
  if (v > limit) return IntResult::TooLarge;
  out = static_cast<uint64_t>(v);
  return IntResult::Ok;
}

std::string fmt_g(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

double parse_time_s(const std::string& raw) {
  const std::string text = trim(raw);
  const char* expected = "(expected s, ms, us, ns or ps)";
  Scanned n = scan(text);
  double v = 0;
  if (!n.ok || n.hex || !to_double(n, v))
    throw UnitError("expected a time with a unit (e.g. '10 us'), got " + in_quotes(text));
  if (n.unit.empty())
    throw UnitError(in_quotes(text) + " has no unit; a time needs one " + expected +
                    ", e.g. '" + text + " us'");
  double scale;
  if (n.unit == "s") scale = 1;
  else if (n.unit == "ms") scale = 1e-3;
  else if (n.unit == "us" || n.unit == "\xC2\xB5s" /* µs */ || n.unit == "\xCE\xBCs" /* μs */)
    scale = 1e-6;
  else if (n.unit == "ns") scale = 1e-9;
  else if (n.unit == "ps") scale = 1e-12;
  else throw UnitError("unknown time unit " + in_quotes(n.unit) + " in " + in_quotes(text) + " " + expected);
  if (v < 0) throw UnitError("a time must not be negative, got " + in_quotes(text));
  return v * scale;
}

double parse_frequency_hz(const std::string& raw) {
  const std::string text = trim(raw);
  Scanned n = scan(text);
  double v = 0;
  if (!n.ok || n.hex || !to_double(n, v))
    throw UnitError("expected a frequency (e.g. '100 MHz', or a number in Hz), got " + in_quotes(text));
  double scale;
  if (n.unit.empty() || n.unit == "Hz") scale = 1;
  else if (n.unit == "kHz" || n.unit == "KHz") scale = 1e3;
  else if (n.unit == "MHz") scale = 1e6;
  else if (n.unit == "GHz") scale = 1e9;
  else
    throw UnitError("unknown frequency unit " + in_quotes(n.unit) + " in " + in_quotes(text) +
                    " (expected Hz, kHz, MHz or GHz)");
  if (!(v > 0)) throw UnitError("a frequency must be greater than zero, got " + in_quotes(text));
  return v * scale;
}

uint64_t parse_size_bytes(const std::string& raw, uint64_t max) {
  const std::string text = trim(raw);
  Scanned n = scan(text);
  if (!n.ok)
    throw UnitError("expected a size in bytes (e.g. '16 MiB', '4096' or '0x1000000'), got " +
                    in_quotes(text));
  uint64_t mult;
  if (n.unit.empty() || n.unit == "B") mult = 1;
  else if (n.unit == "KiB") mult = uint64_t{1} << 10;
  else if (n.unit == "MiB") mult = uint64_t{1} << 20;
  else if (n.unit == "GiB") mult = uint64_t{1} << 30;
  else if (n.unit == "TiB") mult = uint64_t{1} << 40;
  else if (n.unit == "kB" || n.unit == "KB" || n.unit == "MB" || n.unit == "GB" ||
           n.unit == "TB" || n.unit == "K" || n.unit == "k" || n.unit == "M" || n.unit == "G")
    throw UnitError("ambiguous size unit " + in_quotes(n.unit) + " in " + in_quotes(text) +
                    "; write B, KiB, MiB, GiB or TiB (powers of 1024)");
  else
    throw UnitError("unknown size unit " + in_quotes(n.unit) + " in " + in_quotes(text) +
                    " (expected B, KiB, MiB, GiB or TiB)");
  if (n.negative) throw UnitError("a size must not be negative, got " + in_quotes(text));
  uint64_t out = 0;
  switch (to_uint(n, mult, max, out)) {
    case IntResult::Ok: return out;
    case IntResult::NotWhole:
      throw UnitError(in_quotes(text) + " is not a whole number of bytes");
    case IntResult::TooLarge: break;
  }
  throw UnitError(in_quotes(text) + " is too large (at most " + format_size(max) + ")");
}

uint64_t parse_uint(const std::string& raw, uint64_t max) {
  const std::string text = trim(raw);
  Scanned n = scan(text);
  if (!n.ok || !n.unit.empty())
    throw UnitError("expected an unsigned integer (decimal or 0x hex), got " + in_quotes(text));
  if (n.negative) {
    uint64_t mag = 0;
    if (to_uint(n, 1, UINT64_MAX, mag) != IntResult::Ok || mag != 0)
      throw UnitError("must not be negative, got " + in_quotes(text));
  }
  uint64_t out = 0;
  switch (to_uint(n, 1, max, out)) {
    case IntResult::Ok: return out;
    case IntResult::NotWhole: throw UnitError("expected a whole number, got " + in_quotes(text));
    case IntResult::TooLarge: break;
  }
  throw UnitError(in_quotes(text) + " is too large (at most " + std::to_string(max) + ")");
}

double parse_double(const std::string& raw) {
  const std::string text = trim(raw);
  Scanned n = scan(text);
  double v = 0;
  if (!n.ok || n.hex || !n.unit.empty() || !to_double(n, v))
    throw UnitError("expected a number, got " + in_quotes(text));
  return v;
}

bool parse_bool(const std::string& raw) {
  std::string t = trim(raw);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  throw UnitError("expected true or false, got " + in_quotes(trim(raw)));
}

std::string format_hex(uint64_t value) { return hex(value); }

std::string format_size(uint64_t bytes) {
  static const char* const names[] = {"TiB", "GiB", "MiB", "KiB"};
  for (int i = 0; i < 4; ++i) {
    const unsigned shift = 40 - 10 * i;
    const uint64_t unit = uint64_t{1} << shift;
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes >> shift) + " " + names[i];
  }
  return std::to_string(bytes) + " B";
}

std::string format_time(double s) {
  const double a = std::fabs(s);
  if (a == 0 || a >= 1) return fmt_g(s) + " s";
  if (a >= 1e-3) return fmt_g(s * 1e3) + " ms";
  if (a >= 1e-6) return fmt_g(s * 1e6) + " us";
  if (a >= 1e-9) return fmt_g(s * 1e9) + " ns";
  return fmt_g(s * 1e12) + " ps";
}

std::string format_frequency(double hz) {
  const double a = std::fabs(hz);
  if (a >= 1e9) return fmt_g(hz / 1e9) + " GHz";
  if (a >= 1e6) return fmt_g(hz / 1e6) + " MHz";
  if (a >= 1e3) return fmt_g(hz / 1e3) + " kHz";
  return fmt_g(hz) + " Hz";
}

}  // namespace imcvp::units
