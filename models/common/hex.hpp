// Numbers in messages: one spelling everywhere. Addresses and register
// values with at least eight hex digits (0x80000000, 0x00001000); sizes and
// offsets with as few as they need (0x4).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace imcvp {

inline std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

inline std::string hex_addr(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace imcvp
