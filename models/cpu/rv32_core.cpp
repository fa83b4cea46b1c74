#include "models/cpu/rv32_core.hpp"
#include "models/common/hex.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace imcvp {

namespace {
constexpr uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMppShift = 11,
                   kMstatusMpp = 3u << kMstatusMppShift;
// Interrupt bits that exist on this hart (software, timer, external).
constexpr uint32_t kIrqMask = (1u << 3) | (1u << 7) | (1u << 11);


#if defined(__GNUC__)
#define IMCVP_LIKELY(x) __builtin_expect(!!(x), 1)
#define IMCVP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define IMCVP_LIKELY(x) (x)
#define IMCVP_UNLIKELY(x) (x)
#endif
}  // namespace

const char* cause_name(uint32_t mcause) {
  if (mcause & 0x80000000u) {
    switch (mcause & 0x7fffffffu) {
      case 3: return "machine software interrupt";
      case 7: return "machine timer interrupt";
      case 11: return "machine external interrupt";
      default: return "interrupt";
    }
  }
  switch (mcause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store address misaligned";
    case 7: return "store access fault";
    case 8: return "environment call from U-mode";
    case 11: return "environment call from M-mode";
    default: return "exception";
  }
}

Rv32Core::Rv32Core(const CpuParams& params, CpuBus& bus)
    : params_(params), bus_(bus), cache_(size_t{1} << kCacheBits) {
  flush_decode_cache();
}

void Rv32Core::set_ram(uint8_t* host, uint32_t base, uint32_t size) {
  ram_ = host;
  ram_base_ = base;
  ram_size_ = size;
  flush_decode_cache();
}

void Rv32Core::flush_decode_cache() {
  for (auto& e : cache_) e.tag = kInvalidTag;
}

void Rv32Core::reset(uint32_t pc) {
  x_.fill(0);
  pc_ = pc;
  priv_ = kPrivM;
  mstatus_ = mie_ = mtvec_ = mscratch_ = mepc_ = mcause_ = mtval_ = 0;
  mcycle_offset_ = minstret_offset_ = 0;
  cycles_ = instret_ = 0;
  class_counts_.fill(0);
  exit_requested_ = false;
  exit_code_ = 0;
  fatal_.clear();
  flush_decode_cache();
}

// ---------------------------------------------------------------------------
// CSRs

bool Rv32Core::csr_read(uint16_t n, uint32_t& v) {
  const uint32_t lowest_priv = (n >> 8) & 3;
  if (priv_ < lowest_priv) return false;
  const uint64_t mcycle = cycles_ + static_cast<uint64_t>(mcycle_offset_);
  const uint64_t minstret = instret_ + static_cast<uint64_t>(minstret_offset_);
  switch (n) {
    case csr::kMstatus: v = mstatus_; return true;
    // MXL = 1 (32-bit), extensions I, M, C, U.
    case csr::kMisa: v = (1u << 30) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')) |
                         (1u << ('C' - 'A')) | (1u << ('U' - 'A')); return true;
    case csr::kMie: v = mie_; return true;
    case csr::kMip: v = mip_; return true;
    case csr::kMtvec: v = mtvec_; return true;
    case csr::kMscratch: v = mscratch_; return true;
    case csr::kMepc: v = mepc_; return true;
    case csr::kMcause: v = mcause_; return true;
    case csr::kMtval: v = mtval_; return true;
    case csr::kMcycle: case csr::kCycle: v = static_cast<uint32_t>(mcycle); return true;
    case csr::kMcycleh: case csr::kCycleh: v = static_cast<uint32_t>(mcycle >> 32); return true;
    case csr::kMinstret: case csr::kInstret: v = static_cast<uint32_t>(minstret); return true;
    case csr::kMinstreth: case csr::kInstreth: v = static_cast<uint32_t>(minstret >> 32); return true;
    case csr::kTime: v = static_cast<uint32_t>(bus_.mtime_at(cycles_)); return true;
    case csr::kTimeh: v = static_cast<uint32_t>(bus_.mtime_at(cycles_) >> 32); return true;
    case csr::kMvendorid: case csr::kMarchid: case csr::kMimpid: case csr::kMhartid:
      v = 0; return true;
    default: return false;
  }
}

bool Rv32Core::csr_write(uint16_t n, uint32_t v) {
  const uint32_t lowest_priv = (n >> 8) & 3;
  if (priv_ < lowest_priv || (n >> 10) == 3) return false;  // too low privilege / read-only
  const uint64_t mcycle = cycles_ + static_cast<uint64_t>(mcycle_offset_);
  const uint64_t minstret = instret_ + static_cast<uint64_t>(minstret_offset_);
  switch (n) {
    case csr::kMstatus: {
      uint32_t mpp = (v & kMstatusMpp) >> kMstatusMppShift;
      if (mpp != kPrivM && mpp != kPrivU) mpp = kPrivU;  // WARL: only M and U exist
      mstatus_ = (v & (kMstatusMie | kMstatusMpie)) | (mpp << kMstatusMppShift);
      return true;
    }
    case csr::kMisa: return true;  // WARL, not writable
    case csr::kMie: mie_ = v & kIrqMask; return true;
    case csr::kMip: return true;   // all bits come from the CLINT: read-only here
    case csr::kMtvec: mtvec_ = (v & 3) >= 2 ? (v & ~3u) : v; return true;  // modes 0 and 1
    case csr::kMscratch: mscratch_ = v; return true;
    case csr::kMepc: mepc_ = v & ~1u; return true;  // IALIGN = 16
    case csr::kMcause: mcause_ = v; return true;
    case csr::kMtval: mtval_ = v; return true;
    // Counter writes keep an offset to the free-running model counts. The
    // write happens before this instruction retires, so minstret is set one
    // lower (spec: the written value is seen by the next instruction).
    case csr::kMcycle:
      mcycle_offset_ = static_cast<int64_t>(((mcycle & ~0xffffffffull) | v) - cycles_);
      return true;
    case csr::kMcycleh:
      mcycle_offset_ = static_cast<int64_t>(((mcycle & 0xffffffffull) | uint64_t{v} << 32) - cycles_);
      return true;
    case csr::kMinstret:
      minstret_offset_ = static_cast<int64_t>(((minstret & ~0xffffffffull) | v) - instret_ - 1);
      return true;
    case csr::kMinstreth:
      minstret_offset_ = static_cast<int64_t>(((minstret & 0xffffffffull) | uint64_t{v} << 32) - instret_ - 1);
      return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------
// Traps

bool Rv32Core::trap_vector_usable() const {
  const uint32_t base = mtvec_ & ~3u;
  return ram_ != nullptr && base - ram_base_ < ram_size_;
}

void Rv32Core::set_fatal(const std::string& what, uint32_t tval, bool has_tval) {
  std::string insn = "n/a";
  const uint32_t off = pc_ - ram_base_;
  if (ram_ && off < ram_size_ && off + 2 <= ram_size_) {
    uint32_t raw = 0;
    std::memcpy(&raw, ram_ + off, off + 4 <= ram_size_ ? 4 : 2);
    insn = (raw & 3) == 3 ? hex_addr(raw) : hex_addr(raw & 0xffff).replace(2, 4, "");
  }
  fatal_ = what + " at pc " + hex_addr(pc_) + " (instruction " + insn + ")";
  if (has_tval) fatal_ += ", address/value " + hex_addr(tval);
}

void Rv32Core::enter_trap(uint32_t mcause, uint32_t tval) {
  mepc_ = pc_;
  mcause_ = mcause;
  mtval_ = tval;
  const uint32_t mie_bit = (mstatus_ & kMstatusMie) ? kMstatusMpie : 0;
  mstatus_ = mie_bit | (priv_ << kMstatusMppShift);
  priv_ = kPrivM;
  const uint32_t base = mtvec_ & ~3u;
  pc_ = ((mtvec_ & 3) == 1 && (mcause & 0x80000000u)) ? base + 4 * (mcause & 0x7fffffffu) : base;
}

bool Rv32Core::trap(Cause cause, uint32_t tval) {
  const uint32_t code = static_cast<uint32_t>(cause);
  // A trap costs a pipeline flush, so a handler that faults forever still
  // advances time and meets the run's limits.
  cycles_ += std::max<uint32_t>(1, params_.cycles[static_cast<unsigned>(InsnClass::System)]);
  if (!trap_vector_usable()) {
    const bool has_tval = cause == Cause::LoadMisaligned || cause == Cause::LoadAccessFault ||
                          cause == Cause::StoreMisaligned || cause == Cause::StoreAccessFault ||
                          cause == Cause::InsnAccessFault;
    set_fatal(std::string("unhandled trap: ") + cause_name(code) + " (mcause " +
                  std::to_string(code) + ", no trap vector: mtvec = " + hex_addr(mtvec_) + ")",
              tval, has_tval);
    return false;
  }
  enter_trap(code, tval);
  return true;
}

bool Rv32Core::take_interrupt() {
  const uint32_t pending = mip_ & mie_;
  if (!pending) return false;
  if (priv_ == kPrivM && !(mstatus_ & kMstatusMie)) return false;
  // Priority: external > software > timer (privileged spec 3.1.9).
  const uint32_t irq = (pending & (1u << 11)) ? 11 : (pending & (1u << 3)) ? 3 : 7;
  if (!trap_vector_usable()) return false;  // cannot vector: leave it pending
  enter_trap(0x80000000u | irq, 0);
  return true;
}

// ---------------------------------------------------------------------------
// Memory slow paths (devices, or anything outside main memory)

bool Rv32Core::load_slow(uint32_t addr, uint8_t* data, unsigned len) {
  return bus_.bus_read(addr, data, len, cycles_);
}

bool Rv32Core::store_slow(uint32_t addr, const uint8_t* data, unsigned len) {
  return bus_.bus_write(addr, data, len, cycles_);
}

bool Rv32Core::check_tohost() {
  uint32_t v;
  std::memcpy(&v, ram_ + (tohost_ - ram_base_), 4);
  if (v == 0) return false;
  if (v & 1) {
    exit_code_ = v >> 1;
    exit_requested_ = true;
    return true;
  }
  set_fatal("unsupported HTIF request " + hex_addr(v) + " written to tohost", tohost_, true);
  return true;
}

bool Rv32Core::fetch_decode(uint32_t pc, CacheEntry& e) {
  uint32_t raw = 0;
  const uint32_t off = pc - ram_base_;
  if (ram_ && off < ram_size_ && ram_size_ - off >= 2) {
    uint16_t lo;
    std::memcpy(&lo, ram_ + off, 2);
    raw = lo;
    if (insn_length(lo) == 4) {
      if (ram_size_ - off < 4) return trap(Cause::InsnAccessFault, pc + 2), false;
      uint16_t hi;
      std::memcpy(&hi, ram_ + off + 2, 2);
      raw |= uint32_t{hi} << 16;
    }
    e.tag = pc;
  } else {
    // Outside main memory: fetch through the bus, never cached.
    uint8_t b[4];
    if (!bus_.bus_read(pc, b, 2, cycles_)) return trap(Cause::InsnAccessFault, pc), false;
    raw = b[0] | uint32_t{b[1]} << 8;
    if (insn_length(raw) == 4) {
      if (!bus_.bus_read(pc + 2, b + 2, 2, cycles_))
        return trap(Cause::InsnAccessFault, pc + 2), false;
      raw |= uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    }
    e.tag = kInvalidTag;
  }
  e.insn = decode(raw);
  e.cycles = static_cast<uint8_t>(
      std::min<uint32_t>(255, params_.cycles[static_cast<unsigned>(e.insn.cls)]));
  return true;
}

// ---------------------------------------------------------------------------
// The interpreter

StopReason Rv32Core::run(uint64_t cycle_limit, uint64_t instret_limit,
                         const BreakpointSet* breakpoints) {
  if (!fatal_.empty()) return StopReason::Fatal;
  if (exit_requested_) return StopReason::Exit;
  return breakpoints ? run_loop<true>(cycle_limit, instret_limit, breakpoints)
                     : run_loop<false>(cycle_limit, instret_limit, nullptr);
}

template <bool kDebug>
StopReason Rv32Core::run_loop(uint64_t cycle_limit, uint64_t instret_limit,
                              const BreakpointSet* bps) {
  uint32_t* const x = x_.data();
  uint8_t* const ram = ram_;
  const uint32_t ram_base = ram_base_;
  const uint32_t ram_size = ram_size_;
  CacheEntry* const cache = cache_.data();
  constexpr uint32_t kMask = (1u << kCacheBits) - 1;
  const uint32_t taken_penalty = params_.branch_taken_penalty;

  // Exceptions inside the loop: pc_ holds the faulting pc.
#define IMCVP_TRAP(cause, tval)                          \
  do {                                                   \
    if (!trap((cause), (tval))) return StopReason::Fatal; \
    goto next;                                           \
  } while (0)

  while (cycles_ < cycle_limit && instret_ < instret_limit) {
    if constexpr (kDebug) {
      if (skip_breakpoint_)
        skip_breakpoint_ = false;
      else if (bps->is_breakpoint(pc_))
        return StopReason::Breakpoint;
    }
    {
      const uint32_t pc = pc_;
      CacheEntry& e = cache[(pc >> 1) & kMask];
      if (IMCVP_UNLIKELY(e.tag != pc)) {
        if (!fetch_decode(pc, e)) {
          if (!fatal_.empty()) return StopReason::Fatal;
          continue;
        }
      }
      const DecodedInsn& d = e.insn;
      const uint32_t a = x[d.rs1], b = x[d.rs2];
      uint32_t next_pc = pc + d.len;
      uint64_t cost = e.cycles;
      switch (d.op) {
        case Op::Lui: x[d.rd] = static_cast<uint32_t>(d.imm); break;
        case Op::Auipc: x[d.rd] = pc + static_cast<uint32_t>(d.imm); break;
        case Op::Jal: x[d.rd] = next_pc; next_pc = pc + static_cast<uint32_t>(d.imm); break;
        case Op::Jalr: {
          const uint32_t t = (a + static_cast<uint32_t>(d.imm)) & ~1u;
          x[d.rd] = next_pc;
          next_pc = t;
          break;
        }
#define IMCVP_BRANCH(cond)                                 \
  if (cond) {                                              \
    next_pc = pc + static_cast<uint32_t>(d.imm);           \
    cost += taken_penalty;                                 \
  }                                                        \
  break;
        case Op::Beq: IMCVP_BRANCH(a == b)
        case Op::Bne: IMCVP_BRANCH(a != b)
        case Op::Blt: IMCVP_BRANCH(static_cast<int32_t>(a) < static_cast<int32_t>(b))
        case Op::Bge: IMCVP_BRANCH(static_cast<int32_t>(a) >= static_cast<int32_t>(b))
        case Op::Bltu: IMCVP_BRANCH(a < b)
        case Op::Bgeu: IMCVP_BRANCH(a >= b)
#undef IMCVP_BRANCH
#define IMCVP_LOAD(T, len)                                                   \
  {                                                                          \
    const uint32_t addr = a + static_cast<uint32_t>(d.imm);                  \
    if (IMCVP_UNLIKELY(addr & (len - 1))) IMCVP_TRAP(Cause::LoadMisaligned, addr); \
    const uint32_t off = addr - ram_base;                                    \
    T v;                                                                     \
    if (IMCVP_LIKELY(off < ram_size && ram_size - off >= len)) {             \
      std::memcpy(&v, ram + off, len);                                       \
    } else {                                                                 \
      cycles_ += cost;                                                       \
      cost = 0;                                                              \
      if (!load_slow(addr, reinterpret_cast<uint8_t*>(&v), len)) IMCVP_TRAP(Cause::LoadAccessFault, addr); \
    }                                                                        \
    x[d.rd] = static_cast<uint32_t>(v);                                      \
    break;                                                                   \
  }
        case Op::Lb: IMCVP_LOAD(int8_t, 1)
        case Op::Lh: IMCVP_LOAD(int16_t, 2)
        case Op::Lw: IMCVP_LOAD(uint32_t, 4)
        case Op::Lbu: IMCVP_LOAD(uint8_t, 1)
        case Op::Lhu: IMCVP_LOAD(uint16_t, 2)
#undef IMCVP_LOAD
#define IMCVP_STORE(T, len)                                                  \
  {                                                                          \
    const uint32_t addr = a + static_cast<uint32_t>(d.imm);                  \
    if (IMCVP_UNLIKELY(addr & (len - 1))) IMCVP_TRAP(Cause::StoreMisaligned, addr); \
    const uint32_t off = addr - ram_base;                                    \
    const T v = static_cast<T>(b);                                           \
    if (IMCVP_LIKELY(off < ram_size && ram_size - off >= len)) {             \
      std::memcpy(ram + off, &v, len);                                       \
      if (IMCVP_UNLIKELY(has_tohost_ && addr - tohost_ < 4)) {               \
        if (check_tohost()) {                                                \
          pc_ = next_pc;                                                     \
          cycles_ += cost;                                                   \
          ++instret_;                                                        \
          ++class_counts_[static_cast<unsigned>(d.cls)];                     \
          return fatal_.empty() ? StopReason::Exit : StopReason::Fatal;      \
        }                                                                    \
      }                                                                      \
    } else {                                                                 \
      cycles_ += cost;                                                       \
      cost = 0;                                                              \
      if (!store_slow(addr, reinterpret_cast<const uint8_t*>(&v), len))      \
        IMCVP_TRAP(Cause::StoreAccessFault, addr);                           \
      /* a device write may end the run or raise an interrupt: re-check */   \
      pc_ = next_pc;                                                         \
      ++instret_;                                                            \
      ++class_counts_[static_cast<unsigned>(d.cls)];                         \
      return exit_requested_ ? StopReason::Exit : StopReason::Interrupt;     \
    }                                                                        \
    break;                                                                   \
  }
        case Op::Sb: IMCVP_STORE(uint8_t, 1)
        case Op::Sh: IMCVP_STORE(uint16_t, 2)
        case Op::Sw: IMCVP_STORE(uint32_t, 4)
#undef IMCVP_STORE
        case Op::Addi: x[d.rd] = a + static_cast<uint32_t>(d.imm); break;
        case Op::Slti: x[d.rd] = static_cast<int32_t>(a) < d.imm; break;
        case Op::Sltiu: x[d.rd] = a < static_cast<uint32_t>(d.imm); break;
        case Op::Xori: x[d.rd] = a ^ static_cast<uint32_t>(d.imm); break;
        case Op::Ori: x[d.rd] = a | static_cast<uint32_t>(d.imm); break;
        case Op::Andi: x[d.rd] = a & static_cast<uint32_t>(d.imm); break;
        case Op::Slli: x[d.rd] = a << d.imm; break;
        case Op::Srli: x[d.rd] = a >> d.imm; break;
        case Op::Srai: x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) >> d.imm); break;
        case Op::Add: x[d.rd] = a + b; break;
        case Op::Sub: x[d.rd] = a - b; break;
        case Op::Sll: x[d.rd] = a << (b & 31); break;
        case Op::Slt: x[d.rd] = static_cast<int32_t>(a) < static_cast<int32_t>(b); break;
        case Op::Sltu: x[d.rd] = a < b; break;
        case Op::Xor: x[d.rd] = a ^ b; break;
        case Op::Srl: x[d.rd] = a >> (b & 31); break;
        case Op::Sra: x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31)); break;
        case Op::Or: x[d.rd] = a | b; break;
        case Op::And: x[d.rd] = a & b; break;
        case Op::Mul: x[d.rd] = a * b; break;
        case Op::Mulh:
          x[d.rd] = static_cast<uint32_t>((int64_t{static_cast<int32_t>(a)} * static_cast<int32_t>(b)) >> 32);
          break;
        case Op::Mulhsu:
          x[d.rd] = static_cast<uint32_t>((int64_t{static_cast<int32_t>(a)} * int64_t{b}) >> 32);
          break;
        case Op::Mulhu: x[d.rd] = static_cast<uint32_t>((uint64_t{a} * b) >> 32); break;
        case Op::Div: {
          const int32_t sa = static_cast<int32_t>(a), sb = static_cast<int32_t>(b);
          x[d.rd] = sb == 0 ? 0xffffffffu
                    : (sa == INT32_MIN && sb == -1) ? a
                    : static_cast<uint32_t>(sa / sb);
          break;
        }
        case Op::Divu: x[d.rd] = b == 0 ? 0xffffffffu : a / b; break;
        case Op::Rem: {
          const int32_t sa = static_cast<int32_t>(a), sb = static_cast<int32_t>(b);
          x[d.rd] = sb == 0 ? a : (sa == INT32_MIN && sb == -1) ? 0 : static_cast<uint32_t>(sa % sb);
          break;
        }
        case Op::Remu: x[d.rd] = b == 0 ? a : a % b; break;
        case Op::Fence: break;
        case Op::FenceI: flush_decode_cache(); break;
        case Op::Ecall:
          IMCVP_TRAP(priv_ == kPrivM ? Cause::EcallM : Cause::EcallU, 0);
        case Op::Ebreak: IMCVP_TRAP(Cause::Breakpoint, pc);
        case Op::Mret:
          if (priv_ != kPrivM) IMCVP_TRAP(Cause::IllegalInsn, d.raw);
          next_pc = mepc_;
          priv_ = (mstatus_ & kMstatusMpp) >> kMstatusMppShift;
          mstatus_ = ((mstatus_ & kMstatusMpie) ? kMstatusMie : 0) | kMstatusMpie |
                     (kPrivU << kMstatusMppShift);
          pc_ = next_pc;
          cycles_ += cost;
          ++instret_;
          ++class_counts_[static_cast<unsigned>(d.cls)];
          return StopReason::Interrupt;
        case Op::Wfi:
          if (priv_ != kPrivM) IMCVP_TRAP(Cause::IllegalInsn, d.raw);
          pc_ = next_pc;
          cycles_ += cost;
          ++instret_;
          ++class_counts_[static_cast<unsigned>(d.cls)];
          return StopReason::Wfi;
        case Op::Csrrw: case Op::Csrrs: case Op::Csrrc:
        case Op::Csrrwi: case Op::Csrrsi: case Op::Csrrci: {
          const uint16_t n = static_cast<uint16_t>(d.imm);
          const bool imm_form = d.op >= Op::Csrrwi;
          const uint32_t src = imm_form ? d.rs1 : a;
          const bool is_rw = d.op == Op::Csrrw || d.op == Op::Csrrwi;
          const bool writes = is_rw || d.rs1 != 0;
          uint32_t old = 0;
          // csrrw with rd = x0 does not read (no read side effects either way here).
          if (!(is_rw && d.rd == kSinkReg) && !csr_read(n, old)) IMCVP_TRAP(Cause::IllegalInsn, d.raw);
          if (writes) {
            const uint32_t nv = is_rw ? src
                                : (d.op == Op::Csrrs || d.op == Op::Csrrsi) ? (old | src)
                                                                              : (old & ~src);
            if (!csr_write(n, nv)) IMCVP_TRAP(Cause::IllegalInsn, d.raw);
          }
          x[d.rd] = old;
          if (writes && (n == csr::kMstatus || n == csr::kMie)) {
            pc_ = next_pc;
            cycles_ += cost;
            ++instret_;
            ++class_counts_[static_cast<unsigned>(d.cls)];
            return StopReason::Interrupt;
          }
          break;
        }
        case Op::Illegal:
        default:
          IMCVP_TRAP(Cause::IllegalInsn, d.raw);
      }
      pc_ = next_pc;
      cycles_ += cost;
      ++instret_;
      ++class_counts_[static_cast<unsigned>(d.cls)];
    }
  next:;
  }
#undef IMCVP_TRAP
  return StopReason::Limit;
}

template StopReason Rv32Core::run_loop<true>(uint64_t, uint64_t, const BreakpointSet*);
template StopReason Rv32Core::run_loop<false>(uint64_t, uint64_t, const BreakpointSet*);

}  // namespace imcvp
