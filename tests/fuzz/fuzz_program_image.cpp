// Fuzz target: the program-image reader (compiler/program_image.cpp). Any
// input must end in a ProgramImage or a CompileError. Each input is read
// twice: as it is, and with its header's payload CRC32 made right, so that
// mutations reach the checks behind the CRC.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "compiler/network.hpp"
#include "compiler/program_image.hpp"

namespace {

void read(const std::vector<uint8_t>& b) {
  try {
    imcvp::compiler::read_program_image(b);
  } catch (const imcvp::compiler::CompileError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> b(data, data + size);
  read(b);
  imcvp_image_header h;
  if (b.size() < sizeof h) return 0;
  std::memcpy(&h, b.data(), sizeof h);
  const size_t from = h.header_bytes, to = std::min<size_t>(h.image_bytes, b.size());
  if (from > to) return 0;
  h.payload_crc32 = imcvp::compiler::crc32(b.data() + from, to - from);
  std::memcpy(b.data(), &h, sizeof h);
  read(b);
  return 0;
}
