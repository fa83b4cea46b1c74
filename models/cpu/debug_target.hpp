// What a debugger may do to a halted CPU: the view the GDB stub works on.
// The RV32 CPU model implements it; tests implement it with a fake.
#pragma once
#include <cstddef>
#include <cstdint>

namespace imcvp {

class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  // GDB's RV32 register numbering: 0..31 = x0..x31, 32 = pc. Other numbers
  // (FPRs, CSRs at 65 + csr) are optional: return false when not available.
  virtual bool read_register(unsigned regno, uint32_t& value) = 0;
  virtual bool write_register(unsigned regno, uint32_t value) = 0;
  // Debug (side-effect free, untimed) access to the target's address space.
  // Returns false when any byte of [addr, addr+len) is not mapped.
  virtual bool read_memory(uint64_t addr, uint8_t* data, size_t len) = 0;
  virtual bool write_memory(uint64_t addr, const uint8_t* data, size_t len) = 0;
};

}  // namespace imcvp
