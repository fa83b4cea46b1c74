// The RV32IMC + Zicsr + Zifencei hart: architectural state, CSRs, traps and
// the interpreter loop. Plain C++ (no SystemC), so it is unit-testable on its
// own; the SystemC module Rv32Cpu (rv32_cpu.hpp) wraps it with TLM sockets,
// time and interrupts.
//
// Speed: instructions are decoded once into a direct-mapped cache keyed by
// pc; main memory is reached through a host pointer (DMI); the loop checks
// only a cycle and an instruction bound per instruction. Everything else
// (device access, CSRs, traps) leaves the fast path.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/cpu/cpu_params.hpp"
#include "models/cpu/rv32_decode.hpp"

namespace imcvp {

// The slow path to the rest of the system, implemented by the CPU module.
class CpuBus {
 public:
  virtual ~CpuBus() = default;
  // A timed access at the core's current cycle count; the implementation
  // adds the stall cycles the access costs to `cycles`. False = bus error.
  virtual bool bus_read(uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) = 0;
  virtual bool bus_write(uint32_t addr, const uint8_t* data, unsigned len, uint64_t& cycles) = 0;
  // The CLINT's mtime at the given cycle count (the time/timeh CSRs).
  virtual uint64_t mtime_at(uint64_t cycles) = 0;
};

// Breakpoints a debugger set; checked per instruction in debug runs only.
class BreakpointSet {
 public:
  virtual ~BreakpointSet() = default;
  virtual bool is_breakpoint(uint32_t pc) const = 0;
};

enum class StopReason {
  Limit,       // the cycle or instruction bound was reached
  Interrupt,   // interrupt state may have changed (CSR write, mret): re-check
  Wfi,         // wfi executed; pc is past it
  Breakpoint,  // pc is at a debugger breakpoint (not executed)
  Exit,        // the firmware ended the run (HTIF tohost or sim-control)
  Fatal,       // an unrecoverable fault: see fatal_message()
};

namespace csr {
constexpr uint16_t kMstatus = 0x300, kMisa = 0x301, kMie = 0x304, kMtvec = 0x305,
                   kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342, kMtval = 0x343,
                   kMip = 0x344, kMcycle = 0xB00, kMinstret = 0xB02, kMcycleh = 0xB80,
                   kMinstreth = 0xB82, kCycle = 0xC00, kTime = 0xC01, kInstret = 0xC02,
                   kCycleh = 0xC80, kTimeh = 0xC81, kInstreth = 0xC82, kMvendorid = 0xF11,
                   kMarchid = 0xF12, kMimpid = 0xF13, kMhartid = 0xF14;
}  // namespace csr

// Exception causes (mcause without the interrupt bit).
enum class Cause : uint32_t {
  InsnMisaligned = 0, InsnAccessFault = 1, IllegalInsn = 2, Breakpoint = 3,
  LoadMisaligned = 4, LoadAccessFault = 5, StoreMisaligned = 6, StoreAccessFault = 7,
  EcallU = 8, EcallM = 11,
};
const char* cause_name(uint32_t mcause);

class Rv32Core {
 public:
  static constexpr uint32_t kPrivU = 0, kPrivM = 3;

  Rv32Core(const CpuParams& params, CpuBus& bus);

  // Main memory, reached by host pointer (DMI) and the only place code is
  // cached from. Code elsewhere is fetched through the bus, uncached.
  void set_ram(uint8_t* host, uint32_t base, uint32_t size);
  // HTIF: a store of (code << 1) | 1 to this address ends the run.
  void set_tohost(uint32_t addr) { tohost_ = addr; has_tohost_ = true; }

  void reset(uint32_t pc);

  // Runs until cycles() >= cycle_limit or instret() >= instret_limit, or a
  // stop reason. With breakpoints, checks them before every instruction
  // except the first one after skip_breakpoint_once() (a debugger resuming
  // from a breakpoint steps off it).
  StopReason run(uint64_t cycle_limit, uint64_t instret_limit,
                 const BreakpointSet* breakpoints = nullptr);

  void skip_breakpoint_once() { skip_breakpoint_ = true; }

  // Interrupt lines from outside (CLINT): the MSIP/MTIP/MEIP bits of mip.
  void set_irq_lines(uint32_t mip_bits) { mip_ = mip_bits; }
  // Some interrupt is pending and enabled in mie (wakes wfi regardless of mstatus.MIE).
  bool wake_pending() const { return (mip_ & mie_) != 0; }
  // Takes the highest-priority pending interrupt if globally enabled.
  bool take_interrupt();
  // A debugger or loader changed memory that may hold code.
  void flush_decode_cache();

  // Architectural state.
  uint32_t pc() const { return pc_; }
  void set_pc(uint32_t pc) { pc_ = pc; }
  uint32_t reg(unsigned i) const { return i == 0 ? 0 : x_[i]; }
  void set_reg(unsigned i, uint32_t v) { if (i != 0 && i < 32) x_[i] = v; }
  uint32_t priv() const { return priv_; }
  uint32_t mie() const { return mie_; }
  uint32_t mstatus() const { return mstatus_; }
  uint32_t mtvec() const { return mtvec_; }
  uint32_t mepc() const { return mepc_; }
  uint32_t mcause() const { return mcause_; }
  uint32_t mtval() const { return mtval_; }
  // CSR access as the instruction would do it (privilege checked). False =
  // the access is illegal (unimplemented CSR, too low privilege, read-only).
  bool csr_read(uint16_t csr, uint32_t& value);
  bool csr_write(uint16_t csr, uint32_t value);

  // Counters and results.
  uint64_t cycles() const { return cycles_; }
  void add_cycles(uint64_t c) { cycles_ += c; }  // e.g. time asleep in wfi
  uint64_t instret() const { return instret_; }
  const std::array<uint64_t, kInsnClassCount>& class_counts() const { return class_counts_; }
  uint32_t exit_code() const { return exit_code_; }
  const std::string& fatal_message() const { return fatal_; }
  // Lets the CPU module end the run from outside (e.g. sim-control exit).
  void request_exit(uint32_t code) { exit_code_ = code; exit_requested_ = true; }
  bool exit_requested() const { return exit_requested_; }

 private:
  struct CacheEntry {
    uint32_t tag;  // pc of the decoded instruction, kInvalidTag if none
    uint8_t cycles;
    DecodedInsn insn;
  };
  static constexpr uint32_t kInvalidTag = 1;  // pcs are even
  static constexpr unsigned kCacheBits = 16;

  template <bool kDebug>
  StopReason run_loop(uint64_t cycle_limit, uint64_t instret_limit, const BreakpointSet* bps);

  // Fills a cache entry for pc. False: the fetch faulted (trap taken).
  bool fetch_decode(uint32_t pc, CacheEntry& e);
  // Takes an exception at pc_: returns false when it cannot be taken
  // (no usable trap vector) and the run must end (fatal_ set).
  bool trap(Cause cause, uint32_t tval);
  void enter_trap(uint32_t mcause, uint32_t tval);
  bool trap_vector_usable() const;
  void set_fatal(const std::string& what, uint32_t tval, bool has_tval);

  bool load_slow(uint32_t addr, uint8_t* data, unsigned len);
  bool store_slow(uint32_t addr, const uint8_t* data, unsigned len);
  bool check_tohost();

  const CpuParams params_;
  CpuBus& bus_;
  std::array<uint32_t, 33> x_{};  // x0..x31 and the x0 write sink
  uint32_t pc_ = 0;
  uint32_t priv_ = kPrivM;

  // CSRs
  uint32_t mstatus_ = 0, mie_ = 0, mip_ = 0, mtvec_ = 0, mscratch_ = 0, mepc_ = 0,
           mcause_ = 0, mtval_ = 0;
  int64_t mcycle_offset_ = 0, minstret_offset_ = 0;

  uint64_t cycles_ = 0, instret_ = 0;
  std::array<uint64_t, kInsnClassCount> class_counts_{};

  uint8_t* ram_ = nullptr;
  uint32_t ram_base_ = 0, ram_size_ = 0;
  std::vector<CacheEntry> cache_;

  uint32_t tohost_ = 0;
  bool has_tohost_ = false;
  bool exit_requested_ = false;
  bool skip_breakpoint_ = false;
  uint32_t exit_code_ = 0;
  std::string fatal_;
};

}  // namespace imcvp
