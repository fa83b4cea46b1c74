// RegisterBank: the memory-mapped 32-bit registers of a peripheral, declared
// by name and offset with read/write callbacks so a model reads like its
// datasheet. It does the TLM side of register access for the model: checks,
// byte order, response status; the model only says what a register does.
//
// Access rules (b_transport):
//   - 32-bit accesses to a register's word; a naturally aligned 64-bit
//     access covers two adjacent registers (low word first);
//   - any other length, a streaming width below the length
//       -> TLM_BURST_ERROR_RESPONSE;
//   - byte enables -> TLM_BYTE_ENABLE_ERROR_RESPONSE;
//   - a misaligned or undecoded offset -> TLM_ADDRESS_ERROR_RESPONSE;
//   - a write to a read-only register -> TLM_COMMAND_ERROR_RESPONSE;
//   - a read of a write-only register reads 0.
// Every check is made before any callback runs: a failed access has no
// effect. Debug transport reads any bytes of mapped registers and writes
// whole aligned words to writable registers.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <systemc>
#include <tlm>

namespace imcvp {

class RegisterBank {
 public:
  // `at` is the absolute simulated time of the access (sc_time_stamp() plus
  // the initiator's annotated delay).
  using ReadFn = std::function<uint32_t(const sc_core::sc_time& at)>;
  using WriteFn = std::function<void(uint32_t value, const sc_core::sc_time& at)>;

  struct Register {
    std::string name;
    uint64_t offset = 0;
    ReadFn read;    // empty: write-only, reads as 0
    WriteFn write;  // empty: read-only
  };

  // `owner` names the model in error messages.
  explicit RegisterBank(std::string owner) : m_owner(std::move(owner)) {}

  // Declares a register; throws std::logic_error on a misaligned or taken offset.
  void add(const std::string& name, uint64_t offset, ReadFn read, WriteFn write);

  const Register* find(uint64_t offset) const;
  const std::map<uint64_t, Register>& registers() const { return m_regs; }

  // Performs a b_transport access (address = offset in the bank) at absolute
  // time `at`; sets the response status.
  void access(tlm::tlm_generic_payload& trans, const sc_core::sc_time& at);
  // Performs a debug access at the current simulated time; returns bytes moved.
  unsigned debug_access(tlm::tlm_generic_payload& trans);

 private:
  std::string m_owner;
  std::map<uint64_t, Register> m_regs;
};

}  // namespace imcvp
