// Fuzz target: the firmware ELF loader (platform/elf_loader.cpp). Any input
// must end in an ElfImage whose segments are consistent, or an ElfError.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "platform/elf_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const imcvp::ElfImage img = imcvp::parse_elf(std::vector<uint8_t>(data, data + size), "fuzz.elf");
    for (const imcvp::ElfSegment& s : img.segments)
      if (s.data.size() > s.memsz || s.paddr + s.memsz > (uint64_t{1} << 32)) std::abort();
    if (img.entry % 2 != 0) std::abort();
  } catch (const imcvp::ElfError&) {
  }
  return 0;
}
