// Quantities with units, as written in scenario files: times ("10 us"),
// frequencies ("100 MHz"), sizes ("16 MiB"), plain integers (decimal or 0x
// hex), doubles and booleans.
//
// Each parser takes the scalar's text (YAML gives numbers and strings alike
// as text), trims surrounding blanks and either returns the value or throws
// UnitError whose what() describes the problem without a location ("unknown
// time unit 'sec' in '1 sec' (expected s, ms, us, ns or ps)"); the YAML
// reader (yaml_reader.hpp) adds file, line, column and field path.
//
// Numbers: an optional sign, decimal digits with an optional fraction and
// exponent ("1.5", "2e9"); '_' may separate digits ("2_000_000"). Integers
// and sizes also take 0x hex ("0x80000000"). The unit may follow directly or
// after blanks ("10us", "10 us").
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace imcvp::units {

class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Time in seconds. A unit is required: s, ms, us (or µs), ns, ps. Negative
// values are rejected; zero is returned (callers that need > 0 check).
double parse_time_s(const std::string& text);

// Frequency in Hz: Hz, kHz (or KHz), MHz, GHz, or a bare number in Hz.
// Must be > 0.
double parse_frequency_hz(const std::string& text);

// Size in bytes: a whole number of bytes, bare (decimal or 0x hex) or with
// B, KiB, MiB, GiB, TiB (powers of 1024). "1.5 KiB" is fine (1536); the
// ambiguous kB/KB/MB/GB are rejected with a hint to use KiB/MiB/GiB.
// Overflow past `max` is an error.
uint64_t parse_size_bytes(const std::string& text, uint64_t max = UINT64_MAX);

// Unsigned integer: decimal or 0x hex; "2e9" is fine when it is a whole
// number. Negative values and values past `max` are errors.
uint64_t parse_uint(const std::string& text, uint64_t max = UINT64_MAX);

// A finite double (no units).
double parse_double(const std::string& text);

// true/false, yes/no, on/off (any letter case).
bool parse_bool(const std::string& text);

// Helpers for messages: "0x80000000", "16 MiB"/"4097 B", "10 us", "100 MHz".
std::string format_hex(uint64_t value);
std::string format_size(uint64_t bytes);
std::string format_time(double seconds);
std::string format_frequency(double hz);

}  // namespace imcvp::units
