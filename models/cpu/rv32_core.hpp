// The RV32IMC + Zicsr + Zifencei hart: architectural state, CSRs, traps and
// the interpreter loop. Plain C++ (no SystemC), so it is unit-testable on its
// own; the SystemC module Rv32Cpu (rv32_cpu.hpp) wraps it with TLM sockets,
// time and interrupts.
//
// Speed: code in main memory is decoded once into blocks, kept in a cache
// keyed by the block's first pc. A block is straight-line code that ends at
// a backward branch, a register jump (jalr), a system instruction or a jump;
// a forward conditional branch inside it leaves, when taken, through a side
// exit. A loop whose body is one block is unrolled in it (copies of the body
// joined by its backward branch, which leaves through a side exit when not
// taken). A block runs with one lookup and one limit check, its instruction,
// cycle and class counts added once at its (side) exit, each instruction
// dispatched to its handler through a label stored in its decoded entry
// (threaded code, GNU computed goto), and chained to the blocks it went on
// to. An instruction that reads the register its predecessor in the block
// wrote takes the value from a local of the run loop instead of the register
// file (operand forwarding). Main memory is reached through a host pointer
// (DMI). Everything else (device access, CSRs, traps, emulated misaligned
// accesses) leaves the fast path. The engine retires exactly the
// instructions the one-at-a-time definition would: a block that could cross
// a limit runs only the instructions before which it holds, unless the bus
// lets the run go on past that point (CpuBus::continue_run: a quantum end
// the SystemC kernel need not see), when it runs whole and the crossing is
// settled at the next dispatch.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
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
  // The core reaches (or will reach, with nothing else in between: no
  // access outside main memory) the cycle limit run() was given, at
  // `cycles`. A bus that can tell that stopping there would change nothing
  // (a quantum end with nothing else to do) returns a later limit, and run()
  // goes on to it without returning; 0: run() stops there as usual. No side
  // effect: when the core goes on, it calls quantum_passed(cycles) once it
  // has passed that point.
  virtual uint64_t continue_run(uint64_t cycles) {
    (void)cycles;
    return 0;
  }
  virtual void quantum_passed(uint64_t cycles) { (void)cycles; }
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
                   kMcounteren = 0x306, kMenvcfg = 0x30A, kMstatush = 0x310,
                   kMenvcfgh = 0x31A, kMhpmevent3 = 0x323, kMhpmevent31 = 0x33F,
                   kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342, kMtval = 0x343,
                   kMip = 0x344, kTselect = 0x7A0, kTdata1 = 0x7A1, kTdata2 = 0x7A2,
                   kTdata3 = 0x7A3, kTinfo = 0x7A4, kMcycle = 0xB00, kMinstret = 0xB02,
                   kMhpmcounter3 = 0xB03, kMhpmcounter31 = 0xB1F, kMcycleh = 0xB80,
                   kMinstreth = 0xB82, kMhpmcounter3h = 0xB83, kMhpmcounter31h = 0xB9F,
                   kCycle = 0xC00, kTime = 0xC01, kInstret = 0xC02,
                   kCycleh = 0xC80, kTimeh = 0xC81, kInstreth = 0xC82, kMvendorid = 0xF11,
                   kMarchid = 0xF12, kMimpid = 0xF13, kMhartid = 0xF14, kMconfigptr = 0xF15;
}  // namespace csr

// mstatus fields.
constexpr uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMppShift = 11,
                   kMstatusMpp = 3u << kMstatusMppShift, kMstatusMprv = 1u << 17,
                   kMstatusTw = 1u << 21;
// mcounteren: the CY, TM and IR bits are writable; the HPM bits read zero.
constexpr uint32_t kMcounterenMask = 7;

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
  uint32_t irq_lines() const { return mip_; }
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
  uint32_t mcounteren() const { return mcounteren_; }
  // CSR access as the instruction would do it (privilege checked). False =
  // the access is illegal (unimplemented CSR, too low privilege, read-only).
  bool csr_read(uint16_t csr, uint32_t& value);
  bool csr_write(uint16_t csr, uint32_t value);

  // Counters and results.
  uint64_t cycles() const { return cycles_; }
  void add_cycles(uint64_t c) { cycles_ += c; }  // e.g. time asleep in wfi
  uint64_t instret() const { return instret_; }
  const std::array<uint64_t, kInsnClassCount>& class_counts() const {
    fold_class_counts();
    return class_counts_;
  }
  uint32_t exit_code() const { return exit_code_; }
  const std::string& fatal_message() const { return fatal_; }
  // Lets the CPU module end the run from outside (e.g. sim-control exit).
  void request_exit(uint32_t code) { exit_code_ = code; exit_requested_ = true; }
  bool exit_requested() const { return exit_requested_; }

 private:
  // One decoded instruction of a block. `handler` is the run loop's label
  // for its operation (GNU computed goto).
  struct BlockInsn {
    const void* handler;
    uint32_t pc;
    int32_t imm;
    uint32_t raw;
    uint8_t rd, rs1, rs2, len;
    Op op;
    uint8_t cls;
    uint8_t cycles;
  };
  // A decoded block: insns[0..n) then an end marker (insns[n]) that ends a
  // block cut short without a control transfer. A side exit (a taken forward
  // branch inside a block) has a Block record too, in the same pool, that
  // counts the instructions up to it and chains its target (BlockInsn::raw
  // holds the record's pool index).
  struct Block {
    uint32_t pc;               // first instruction
    uint32_t n;                // instructions
    uint64_t cycles;           // their cycles (in an unrolled loop, with the taken
                               // penalties of the backward branches between the copies)
    uint64_t taken_cycles;     // the same when it ends in a taken branch (its penalty added)
    uint64_t head_cycles;      // cycles of all but the last one
    BlockInsn* insns;
    Block* succ[2];            // chained successors: [0] fall-through, [1] taken/jump target;
                               // &unchained_ until chained
    uint64_t exec;             // runs to its end not yet added to class_counts_
    uint8_t nclasses;          // instruction classes present and their counts
    uint8_t cls[kInsnClassCount];
    uint32_t cls_count[kInsnClassCount];
  };
  static constexpr unsigned kCacheBits = 16;      // block lookup table entries (log2)
  static constexpr uint32_t kMaxBlockInsns = 64;
  // Pool sizes (blocks and side exits; decoded instructions): when one is
  // full, the whole cache is flushed. Their pages are touched only as used.
  static constexpr uint32_t kBlockPool = 1u << 15;
  static constexpr uint32_t kInsnPool = kBlockPool * 8;

  StopReason run_loop(uint64_t cycle_limit, uint64_t instret_limit, const BreakpointSet* bps);

  // Fetches and decodes the instruction at pc as the per-instruction
  // definition does (a fault takes the trap: false). `in_ram` tells whether
  // it came from main memory (cacheable).
  bool fetch_one(uint32_t pc, DecodedInsn& d, bool& in_ram);
  // The block starting at pc (decoded on a miss), or nullptr when the first
  // fetch trapped. Code outside main memory gives an uncached one-
  // instruction block, rebuilt (and re-fetched through the bus) every time.
  Block* find_block(uint32_t pc, const void* const* labels);
  // The cached block starting at pc, or nullptr.
  Block* cached_block(uint32_t pc) const {
    Block* const b = table_[(pc >> 1) & ((1u << kCacheBits) - 1)];
    return b && b->pc == pc ? b : nullptr;
  }
  void fill_insn(BlockInsn& bi, uint32_t pc, const DecodedInsn& d, const void* const* labels) const;
  // Takes an exception at pc_: returns false when it cannot be taken
  // (no usable trap vector) and the run must end (fatal_ set).
  bool trap(Cause cause, uint32_t tval);
  void enter_trap(uint32_t mcause, uint32_t tval);
  bool trap_vector_usable() const;
  void set_fatal(const std::string& what, uint32_t tval, bool has_tval);

  bool load_slow(uint32_t addr, uint8_t* data, unsigned len);
  bool store_slow(uint32_t addr, const uint8_t* data, unsigned len);
  // An emulated misaligned access (CpuParams::misaligned = Emulate) of len
  // bytes at addr: split into naturally aligned pieces (largest first: an lw
  // at 4k+1 is a byte, a halfword and a byte; at 4k+2 two halfwords), each
  // charged piece_cycles (the instruction's class cycles), a piece in main
  // memory through the host pointer and any other through the bus (with its
  // latency). The pieces outside main memory go first, so a store that
  // crosses from main memory into an unmapped region writes nothing. False:
  // a piece faulted; fault_addr = that piece's address (mtval). bus_used
  // tells whether any piece went through the bus.
  bool access_misaligned(uint32_t addr, uint8_t* data, unsigned len, bool write,
                         uint32_t piece_cycles, uint32_t& fault_addr, bool& bus_used);
  bool check_tohost();

  const CpuParams params_;
  CpuBus& bus_;
  std::array<uint32_t, 33> x_{};  // x0..x31 and the x0 write sink
  uint32_t pc_ = 0;
  uint32_t priv_ = kPrivM;

  // CSRs
  uint32_t mstatus_ = 0, mie_ = 0, mip_ = 0, mtvec_ = 0, mscratch_ = 0, mepc_ = 0,
           mcause_ = 0, mtval_ = 0, mcounteren_ = 0;
  int64_t mcycle_offset_ = 0, minstret_offset_ = 0;

  uint64_t cycles_ = 0, instret_ = 0;
  // A block that crosses the cycle limit runs whole when the bus lets the
  // run go on past it (continue_run): the crossing, after instruction
  // pass_instret_ (0: none pending), is at pass_cycles_; once the count of
  // retired instructions shows the block went past it, quantum_passed.
  uint64_t pass_instret_ = 0, pass_cycles_ = 0, pass_limit_ = 0;
  // Instructions by class: blocks count their whole runs (Block::exec) and
  // fold them in here when the counts are read or the cache is flushed.
  mutable std::array<uint64_t, kInsnClassCount> class_counts_{};
  void fold_class_counts() const;
  void fold_block(Block& b) const;

  uint8_t* ram_ = nullptr;
  uint32_t ram_base_ = 0, ram_size_ = 0;
  // Block cache: a direct-mapped lookup table over a pool of blocks and one
  // of their instructions; a flush empties both and bumps the generation
  // (chain links made across a flush are dropped).
  std::vector<Block*> table_;
  std::unique_ptr<Block[]> blocks_;
  std::unique_ptr<BlockInsn[]> insns_;
  uint32_t nblocks_ = 0, ninsns_ = 0;
  uint64_t generation_ = 0;
  uint32_t min_insn_cycles_ = 0;    // the cheapest instruction class's cycles
  mutable Block uncached_{};        // a block outside main memory
  // The successor of a block not chained yet: its head cycles fail every
  // limit check, and its pc no instruction has (pcs are even), so that a
  // block end needs no separate test for a missing successor.
  Block unchained_{};
  BlockInsn uncached_insns_[2]{};

  uint32_t tohost_ = 0;
  bool has_tohost_ = false;
  bool exit_requested_ = false;
  bool skip_breakpoint_ = false;
  uint32_t exit_code_ = 0;
  std::string fatal_;
};

}  // namespace imcvp
