// ELF loader for the host CPU's firmware: ELF32, little-endian, RISC-V
// (EM_RISCV = 243) executables. Pure C++; the platform copies the segments
// into memory. Nothing in the file is trusted: every offset, size and count
// is bounds-checked, so a damaged or fuzzed file ends in an ElfError, never a
// crash.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace imcvp {

// Every message reads "<path>: <problem>".
class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElfSegment {
  uint64_t paddr = 0;  // load (physical) address
  uint64_t vaddr = 0;
  uint64_t memsz = 0;  // bytes in memory; those past data.size() are zero (bss)
  uint32_t flags = 0;  // PF_X = 1, PF_W = 2, PF_R = 4
  std::vector<uint8_t> data;  // file bytes (filesz)
};

struct ElfImage {
  std::string path;
  uint64_t entry = 0;
  std::vector<ElfSegment> segments;         // PT_LOAD segments with memsz > 0, file order
  std::map<std::string, uint64_t> symbols;  // .symtab: name -> value (globals win over locals)

  std::optional<uint64_t> symbol(const std::string& name) const {
    auto it = symbols.find(name);
    if (it == symbols.end()) return std::nullopt;
    return it->second;
  }
};

// Reads and checks the file; throws ElfError.
ElfImage load_elf(const std::string& path);
// The same for an image already in memory; `path` names it in messages.
ElfImage parse_elf(const std::vector<uint8_t>& bytes, const std::string& path);

}  // namespace imcvp
