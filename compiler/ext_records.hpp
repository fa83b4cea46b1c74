// Extension records of a layer descriptor (imcvp/accel.h imcvp_ext_record):
// typed (type, bytes, payload) records after the fixed 72-byte descriptor,
// which the firmware copies without reading and the tile hands to the block
// that declares the type. Here: building them (a technique pass) and checking
// them (the image writer and reader). docs/compiler.md "Extension records".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imcvp/accel.h"

namespace imcvp::compiler {

struct ExtRecord {
  std::uint16_t type = 0;             // IMCVP_EXT_*
  std::vector<std::uint8_t> payload;  // a multiple of 4 bytes
};

// Appends one record to `ext`: the header, then `bytes` bytes of payload
// zero-padded to a multiple of 4. Throws CompileError when the records would
// exceed IMCVP_EXT_MAX_BYTES.
void append_ext_record(std::vector<std::uint8_t>& ext, std::uint16_t type, const void* payload, std::size_t bytes);
// An IMCVP_EXT_XBAR_LIST record: the layer's crossbars in layout order
// (CrossbarLayout::index order), instead of the range from desc.xbar.
std::vector<std::uint8_t> xbar_list_record(const std::vector<std::uint16_t>& xbars);

// Splits `bytes` bytes of records into records; throws CompileError starting
// with `where` when a header or payload runs past the end or a payload size
// is not a multiple of 4.
std::vector<ExtRecord> parse_ext_records(const std::uint8_t* data, std::size_t bytes, const std::string& where);
inline std::vector<ExtRecord> parse_ext_records(const std::vector<std::uint8_t>& ext, const std::string& where) {
  return parse_ext_records(ext.data(), ext.size(), where);
}

}  // namespace imcvp::compiler
