#include "compiler/ext_records.hpp"

#include <cstring>

#include "compiler/network.hpp"

namespace imcvp::compiler {

void append_ext_record(std::vector<std::uint8_t>& ext, std::uint16_t type, const void* payload, std::size_t bytes) {
  const std::size_t padded = (bytes + 3) & ~std::size_t(3);
  if (ext.size() + sizeof(imcvp_ext_record) + padded > IMCVP_EXT_MAX_BYTES)
    throw CompileError("extension record of type " + std::to_string(type) + " (" + std::to_string(bytes) +
                       " bytes) makes the layer's records longer than " + std::to_string(IMCVP_EXT_MAX_BYTES) +
                       " bytes");
  imcvp_ext_record h{type, std::uint16_t(padded)};
  const std::size_t at = ext.size();
  ext.resize(at + sizeof h + padded, 0);
  std::memcpy(ext.data() + at, &h, sizeof h);
  if (bytes) std::memcpy(ext.data() + at + sizeof h, payload, bytes);
}

std::vector<std::uint8_t> xbar_list_record(const std::vector<std::uint16_t>& xbars) {
  if (xbars.size() > 0xFFFF) throw CompileError("crossbar list of " + std::to_string(xbars.size()) + " crossbars");
  std::vector<std::uint16_t> payload;
  payload.reserve(xbars.size() + 1);
  payload.push_back(std::uint16_t(xbars.size()));
  payload.insert(payload.end(), xbars.begin(), xbars.end());
  std::vector<std::uint8_t> ext;
  append_ext_record(ext, IMCVP_EXT_XBAR_LIST, payload.data(), payload.size() * sizeof(std::uint16_t));
  return ext;
}

std::vector<ExtRecord> parse_ext_records(const std::uint8_t* data, std::size_t bytes, const std::string& where) {
  std::vector<ExtRecord> out;
  if (bytes % 4)
    throw CompileError(where + ": " + std::to_string(bytes) + " bytes of extension records, not a multiple of 4");
  std::size_t at = 0;
  while (at < bytes) {
    if (at + sizeof(imcvp_ext_record) > bytes)
      throw CompileError(where + ": extension record header at byte " + std::to_string(at) + " runs past the " +
                         std::to_string(bytes) + " bytes of records");
    imcvp_ext_record h;
    std::memcpy(&h, data + at, sizeof h);
    if (h.bytes % 4)
      throw CompileError(where + ": extension record of type " + std::to_string(h.type) + " at byte " +
                         std::to_string(at) + " has " + std::to_string(h.bytes) +
                         " payload bytes, not a multiple of 4");
    if (at + sizeof h + h.bytes > bytes)
      throw CompileError(where + ": extension record of type " + std::to_string(h.type) + " at byte " +
                         std::to_string(at) + " (" + std::to_string(h.bytes) + " payload bytes) runs past the " +
                         std::to_string(bytes) + " bytes of records");
    ExtRecord r;
    r.type = h.type;
    r.payload.assign(data + at + sizeof h, data + at + sizeof h + h.bytes);
    out.push_back(std::move(r));
    at += sizeof h + h.bytes;
  }
  return out;
}

}  // namespace imcvp::compiler
