#include "models/cpu/rv32_core.hpp"
#include "models/common/hex.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace imcvp {

namespace {
// Interrupt bits that exist on this hart (software, timer, external).
constexpr uint32_t kIrqMask = (1u << 3) | (1u << 7) | (1u << 11);
// Blocks run whole (and chain) only below this many cycles, so that a
// block's head cycles added to the count never overflow; past it (after
// centuries of simulated time) every block takes the exact path. The
// unchained successor's head cycles reach it from any count.
constexpr uint64_t kFastCycleCeiling = uint64_t{1} << 62;
constexpr uint64_t kUnchainedHeadCycles = kFastCycleCeiling;


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
    : params_(params),
      bus_(bus),
      table_(size_t{1} << kCacheBits, nullptr),
      // Default-initialised: the pools' pages are touched only when used.
      blocks_(new Block[kBlockPool]),
      insns_(new BlockInsn[kInsnPool]) {
  unchained_.pc = 1;
  unchained_.head_cycles = kUnchainedHeadCycles;
  min_insn_cycles_ = 255;
  for (uint32_t c : params_.cycles) min_insn_cycles_ = std::min(min_insn_cycles_, c);
  flush_decode_cache();
}

void Rv32Core::set_ram(uint8_t* host, uint32_t base, uint32_t size) {
  ram_ = host;
  ram_base_ = base;
  ram_size_ = size;
  flush_decode_cache();
}

void Rv32Core::fold_block(Block& b) const {
  if (!b.exec) return;
  for (unsigned c = 0; c < b.nclasses; ++c) class_counts_[b.cls[c]] += b.exec * b.cls_count[c];
  b.exec = 0;
}

void Rv32Core::fold_class_counts() const {
  for (uint32_t i = 0; i < nblocks_; ++i) fold_block(blocks_[i]);
  fold_block(uncached_);
}

void Rv32Core::flush_decode_cache() {
  fold_class_counts();
  std::fill(table_.begin(), table_.end(), nullptr);
  nblocks_ = ninsns_ = 0;
  ++generation_;
}

void Rv32Core::reset(uint32_t pc) {
  x_.fill(0);
  pc_ = pc;
  priv_ = kPrivM;
  mstatus_ = mie_ = mtvec_ = mscratch_ = mepc_ = mcause_ = mtval_ = mcounteren_ = 0;
  mcycle_offset_ = minstret_offset_ = 0;
  cycles_ = instret_ = 0;
  flush_decode_cache();  // folds the blocks' counts in: clear them after
  class_counts_.fill(0);
  exit_requested_ = false;
  exit_code_ = 0;
  fatal_.clear();
}

// ---------------------------------------------------------------------------
// CSRs

bool Rv32Core::csr_read(uint16_t n, uint32_t& v) {
  const uint32_t lowest_priv = (n >> 8) & 3;
  if (priv_ < lowest_priv) return false;
  // The user counters (cycle, time, instret and their high halves) below
  // M-mode only where mcounteren enables them (privileged spec 3.1.11).
  if (priv_ != kPrivM && (n & 0xF60) == 0xC00 && !((mcounteren_ >> (n & 31)) & 1)) return false;
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
    case csr::kMconfigptr:  // no configuration structure
      v = 0; return true;
    case csr::kMcounteren: v = mcounteren_; return true;
    // Little-endian only (MBE = SBE = 0); no S-mode and none of the
    // extensions menvcfg configures, so FIOM and the rest read zero.
    case csr::kMstatush: case csr::kMenvcfg: case csr::kMenvcfgh: v = 0; return true;
    // Debug triggers: none. tselect reads 0 and tdata1's type 0 says there
    // is no trigger there (debug specification 5.7); tinfo: only type 0.
    case csr::kTselect: case csr::kTdata1: case csr::kTdata2: case csr::kTdata3:
      v = 0; return true;
    case csr::kTinfo: v = 1; return true;
    default:
      // mhpmcounter3..31[h] and mhpmevent3..31: no events, read-only zero.
      if ((n >= csr::kMhpmcounter3 && n <= csr::kMhpmcounter31) ||
          (n >= csr::kMhpmcounter3h && n <= csr::kMhpmcounter31h) ||
          (n >= csr::kMhpmevent3 && n <= csr::kMhpmevent31)) {
        v = 0;
        return true;
      }
      return false;
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
      // MPRV has no effect on accesses here (no address translation, no
      // PMP) but is kept; TW makes U-mode wfi illegal.
      mstatus_ = (v & (kMstatusMie | kMstatusMpie | kMstatusMprv | kMstatusTw)) |
                 (mpp << kMstatusMppShift);
      return true;
    }
    case csr::kMcounteren: mcounteren_ = v & kMcounterenMask; return true;
    case csr::kMstatush: case csr::kMenvcfg: case csr::kMenvcfgh:
    case csr::kTselect: case csr::kTdata1: case csr::kTdata2: case csr::kTdata3:
    case csr::kTinfo:
      return true;  // read-only zero fields (WARL): the write is ignored
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
    default:
      return (n >= csr::kMhpmcounter3 && n <= csr::kMhpmcounter31) ||
             (n >= csr::kMhpmcounter3h && n <= csr::kMhpmcounter31h) ||
             (n >= csr::kMhpmevent3 && n <= csr::kMhpmevent31);  // read-only zero
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
  mstatus_ = (mstatus_ & ~(kMstatusMie | kMstatusMpie | kMstatusMpp)) | mie_bit |
             (priv_ << kMstatusMppShift);
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

bool Rv32Core::access_misaligned(uint32_t addr, uint8_t* data, unsigned len, bool write,
                                 uint32_t piece_cycles, uint32_t& fault_addr, bool& bus_used) {
  struct Piece { uint32_t addr; unsigned size, offset; bool in_ram; };
  Piece pieces[4];
  unsigned n = 0;
  for (unsigned done = 0; done < len;) {
    const uint32_t a = addr + done;
    unsigned size = 4;
    while (size > len - done || (a & (size - 1))) size >>= 1;
    const uint32_t off = a - ram_base_;
    pieces[n++] = {a, size, done, ram_ != nullptr && off < ram_size_ && ram_size_ - off >= size};
    done += size;
  }
  bus_used = false;
  // Pieces on the bus first (they may fault), then those in main memory.
  for (int pass = 0; pass < 2; ++pass)
    for (unsigned i = 0; i < n; ++i) {
      const Piece& p = pieces[i];
      if (p.in_ram != (pass == 1)) continue;
      cycles_ += piece_cycles;
      if (p.in_ram) {
        uint8_t* const host = ram_ + (p.addr - ram_base_);
        if (write) std::memcpy(host, data + p.offset, p.size);
        else std::memcpy(data + p.offset, host, p.size);
        continue;
      }
      bus_used = true;
      if (!(write ? bus_.bus_write(p.addr, data + p.offset, p.size, cycles_)
                  : bus_.bus_read(p.addr, data + p.offset, p.size, cycles_))) {
        fault_addr = p.addr;
        return false;
      }
    }
  return true;
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

bool Rv32Core::fetch_one(uint32_t pc, DecodedInsn& d, bool& in_ram) {
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
    in_ram = true;
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
    in_ram = false;
  }
  d = decode(raw);
  return true;
}

namespace {
// Operations that end a block: control transfers, and everything that may
// trap, change privilege or interrupt state, or flush the cache.
bool ends_block(Op op) {
  switch (op) {
    case Op::Jal: case Op::Jalr:
    case Op::Beq: case Op::Bne: case Op::Blt: case Op::Bge: case Op::Bltu: case Op::Bgeu:
    case Op::FenceI: case Op::Ecall: case Op::Ebreak: case Op::Mret: case Op::Wfi:
    case Op::Csrrw: case Op::Csrrs: case Op::Csrrc: case Op::Csrrwi: case Op::Csrrsi:
    case Op::Csrrci: case Op::Illegal:
      return true;
    default:
      return false;
  }
}
// off / N when off is a multiple of N, else a number >= 2^32 / N: with a
// RAM size that is a multiple of 4, off is an aligned offset inside RAM iff
// aligned_index<N>(off) < size / N (a rotation right by log2 N).
template <unsigned N>
inline uint32_t aligned_index(uint32_t off) {
  constexpr unsigned s = N == 4 ? 2 : N == 2 ? 1 : 0;
  if constexpr (s == 0) return off;
  else return (off >> s) | (off << (32 - s));
}

bool is_branch(Op op) { return op >= Op::Beq && op <= Op::Bgeu; }
// Label table indices past the operations': the end marker that follows a
// block's instructions, then the conditional branches inside a superblock
// (not taken: on to the next instruction; taken: a side exit), then the
// backward branches inside an unrolled loop (taken: on to the next copy of
// the body; not taken: a side exit).
constexpr unsigned kEndLabel = static_cast<unsigned>(Op::Count);
constexpr unsigned kInnerBranchLabel = kEndLabel + 1;
constexpr unsigned kLoopBranchLabel = kInnerBranchLabel + 6;
constexpr unsigned kLabelCount = kLoopBranchLabel + 6;
// A loop whose body is one block (it starts the block and its backward
// branch ends it) is unrolled into copies of its body, up to this many
// instructions: the branches between the copies cost no block end.
constexpr uint32_t kUnrollInsns = 32;
// Operand forwarding: every handler that writes a register also leaves the
// value in a local of the run loop (`last`), and an instruction that reads
// the register the one before it in the block wrote (an ALU result or a
// loaded value; stores and branches in between write none) takes it from
// there instead of the register file: a dependent chain then waits on no
// store-to-load round trip through memory. The label table has a row of
// handlers per source: rs1 from the register file or from `last`, or rs2
// from `last`.
constexpr unsigned kFwdNone = 0, kFwdRs1 = 1, kFwdRs2 = 2, kFwdRows = 3;
constexpr uint8_t kNoFwd = 0xff;  // no register value in `last` (never an rs)
// Operations whose handlers leave their result in `last`.
bool writes_last(InsnClass c) {
  return c == InsnClass::Alu || c == InsnClass::Mul || c == InsnClass::Div || c == InsnClass::Load;
}
// Operations that leave `last` (and the register it holds) as it was.
bool keeps_last(InsnClass c) { return c == InsnClass::Store || c == InsnClass::Branch; }
}  // namespace

void Rv32Core::fill_insn(BlockInsn& bi, uint32_t pc, const DecodedInsn& d,
                         const void* const* labels) const {
  bi.handler = labels[static_cast<unsigned>(d.op)];
  bi.pc = pc;
  bi.imm = d.imm;
  bi.raw = d.raw;
  bi.rd = d.rd;
  bi.rs1 = d.rs1;
  bi.rs2 = d.rs2;
  bi.len = d.len;
  bi.op = d.op;
  bi.cls = static_cast<uint8_t>(d.cls);
  bi.cycles = static_cast<uint8_t>(
      std::min<uint32_t>(255, params_.cycles[static_cast<unsigned>(d.cls)]));
}

Rv32Core::Block* Rv32Core::find_block(uint32_t pc, const void* const* labels) {
  if (Block* const b = cached_block(pc)) return b;
  Block*& slot = table_[(pc >> 1) & ((1u << kCacheBits) - 1)];

  DecodedInsn d;
  bool in_ram = false;
  if (!fetch_one(pc, d, in_ram)) return nullptr;
  if (!in_ram) {
    Block& b = uncached_;
    fill_insn(uncached_insns_[0], pc, d, labels);
    uncached_insns_[1].handler = labels[kEndLabel];
    uncached_insns_[1].pc = pc + d.len;
    fold_block(b);  // the previous one's runs
    b.pc = pc;
    b.n = 1;
    b.exec = 0;
    b.cycles = uncached_insns_[0].cycles;
    b.taken_cycles = b.cycles + params_.branch_taken_penalty;
    b.head_cycles = 0;
    b.insns = uncached_insns_;
    b.succ[0] = b.succ[1] = &unchained_;
    b.nclasses = 1;
    b.cls[0] = uncached_insns_[0].cls;
    b.cls_count[0] = 1;
    return &b;
  }
  // Room for the block, its side exits and its instructions.
  if (nblocks_ + kMaxBlockInsns + 1 > kBlockPool || ninsns_ + kMaxBlockInsns + 1 > kInsnPool)
    flush_decode_cache();
  Block& b = blocks_[nblocks_++];
  b.pc = pc;
  b.insns = &insns_[ninsns_];
  b.succ[0] = b.succ[1] = &unchained_;
  uint32_t n = 0, cur = pc;
  uint64_t cycles = 0, last = 0;
  uint32_t counts[kInsnClassCount] = {};
  uint8_t last_rd = kNoFwd;  // the register whose value `last` holds here
  uint32_t body = 0;         // instructions of a loop's body when unrolled
  for (;;) {
    BlockInsn& bi = b.insns[n++];
    fill_insn(bi, cur, d, labels);
    // Operand forwarding (see kFwdRows): a source the previous writer wrote.
    const unsigned fwd_row = (bi.rs1 == last_rd ? kFwdRs1 : bi.rs2 == last_rd ? kFwdRs2 : kFwdNone) * kLabelCount;
    bi.handler = labels[fwd_row + static_cast<unsigned>(d.op)];
    last_rd = writes_last(d.cls) ? d.rd : keeps_last(d.cls) ? last_rd : kNoFwd;
    cycles += bi.cycles;
    last = bi.cycles;
    ++counts[bi.cls];
    cur += d.len;
    // A forward conditional branch (an if) does not end a superblock; a
    // backward one (a loop) does, so that a loop's body is a block of its
    // own. That body, when it starts the block, is unrolled: its backward
    // branch, while another copy fits, goes on at the block's start.
    const bool inner_branch = is_branch(d.op) && d.imm > 0;
    const bool loop_branch = is_branch(d.op) && bi.pc + static_cast<uint32_t>(d.imm) == pc &&
                             n + (body ? body : n) <= kUnrollInsns &&
                             bi.cycles + params_.branch_taken_penalty <= 255;
    if ((ends_block(d.op) && !inner_branch && !loop_branch) || n == kMaxBlockInsns) break;
    if (loop_branch) {
      if (!body) body = n;
      cur = pc;
    }
    // The next instruction joins the block only if it lies wholly in main
    // memory; anything else starts a block of its own (which may trap).
    const uint32_t off = cur - ram_base_;
    if (off >= ram_size_ || ram_size_ - off < 2) break;
    uint16_t lo;
    std::memcpy(&lo, ram_ + off, 2);
    uint32_t raw = lo;
    if (insn_length(lo) == 4) {
      if (ram_size_ - off < 4) break;
      uint16_t hi;
      std::memcpy(&hi, ram_ + off + 2, 2);
      raw |= uint32_t{hi} << 16;
    }
    if (inner_branch || loop_branch) {
      // Taken (a loop's branch: not taken), the branch leaves through a side
      // exit: a record of the instructions so far (their counts, its chained
      // successor), found by its pool index.
      Block& e = blocks_[nblocks_];
      e.pc = pc;
      e.n = n;
      e.exec = 0;
      e.cycles = cycles;
      e.taken_cycles = cycles + params_.branch_taken_penalty;
      e.head_cycles = cycles - last;
      e.insns = b.insns;
      e.succ[0] = e.succ[1] = &unchained_;
      e.nclasses = 0;
      for (unsigned c = 0; c < kInsnClassCount; ++c)
        if (counts[c]) {
          e.cls[e.nclasses] = static_cast<uint8_t>(c);
          e.cls_count[e.nclasses++] = counts[c];
        }
      bi.handler = labels[fwd_row + (loop_branch ? kLoopBranchLabel : kInnerBranchLabel) +
                          (static_cast<unsigned>(d.op) - static_cast<unsigned>(Op::Beq))];
      bi.raw = nblocks_++;
      if (loop_branch) {
        // Going on to the next copy, it was taken: its penalty counts from
        // here on, in the block's totals and in the branch's own cycles
        // (which the exact paths add up instruction by instruction).
        bi.cycles = static_cast<uint8_t>(bi.cycles + params_.branch_taken_penalty);
        cycles += params_.branch_taken_penalty;
      }
    }
    d = decode(raw);
  }
  b.insns[n].handler = labels[kEndLabel];
  b.insns[n].pc = cur;
  ninsns_ += n + 1;
  b.n = n;
  b.exec = 0;
  b.cycles = cycles;
  b.taken_cycles = cycles + params_.branch_taken_penalty;
  b.head_cycles = cycles - last;
  b.nclasses = 0;
  for (unsigned c = 0; c < kInsnClassCount; ++c)
    if (counts[c]) {
      b.cls[b.nclasses] = static_cast<uint8_t>(c);
      b.cls_count[b.nclasses++] = counts[c];
    }
  slot = &b;
  return &b;
}

// ---------------------------------------------------------------------------
// The interpreter

StopReason Rv32Core::run(uint64_t cycle_limit, uint64_t instret_limit,
                         const BreakpointSet* breakpoints) {
  if (!fatal_.empty()) return StopReason::Fatal;
  if (exit_requested_) return StopReason::Exit;
  const StopReason r = run_loop(cycle_limit, instret_limit, breakpoints);
  if (pass_instret_) {  // a block ran whole across the limit, then left the loop
    if (instret_ > pass_instret_) bus_.quantum_passed(pass_cycles_);
    pass_instret_ = 0;
  }
  return r;
}

// The operations in Op's order: the label table must follow it. F: the
// operation has operand-forwarding handlers (see run_loop), P: it has not.
#define IMCVP_OPS(X)                                                                      \
  X(Illegal, P) X(Lui, F) X(Auipc, F) X(Jal, P) X(Jalr, P) X(Beq, F) X(Bne, F) X(Blt, F)  \
  X(Bge, F) X(Bltu, F) X(Bgeu, F) X(Lb, F) X(Lh, F) X(Lw, F) X(Lbu, F) X(Lhu, F) X(Sb, F) \
  X(Sh, F) X(Sw, F) X(Addi, F) X(Slti, F) X(Sltiu, F) X(Xori, F) X(Ori, F) X(Andi, F)     \
  X(Slli, F) X(Srli, F) X(Srai, F) X(Add, F) X(Sub, F) X(Sll, F) X(Slt, F) X(Sltu, F)     \
  X(Xor, F) X(Srl, F) X(Sra, F) X(Or, F) X(And, F) X(Mul, F) X(Mulh, F) X(Mulhsu, F)      \
  X(Mulhu, F) X(Div, F) X(Divu, F) X(Rem, F) X(Remu, F) X(Fence, P) X(FenceI, P)          \
  X(Ecall, P) X(Ebreak, P) X(Mret, P) X(Wfi, P) X(Csrrw, P) X(Csrrs, P) X(Csrrc, P)       \
  X(Csrrwi, P) X(Csrrsi, P) X(Csrrci, P)

namespace {
#define IMCVP_OP_VALUE(name, kind) Op::name,
constexpr Op kOpOrder[] = {IMCVP_OPS(IMCVP_OP_VALUE)};
#undef IMCVP_OP_VALUE
constexpr bool op_order_ok() {
  for (unsigned i = 0; i < sizeof kOpOrder / sizeof kOpOrder[0]; ++i)
    if (static_cast<unsigned>(kOpOrder[i]) != i) return false;
  return sizeof kOpOrder / sizeof kOpOrder[0] == static_cast<unsigned>(Op::Count);
}
static_assert(op_order_ok(), "IMCVP_OPS must list Op in declaration order");
}  // namespace

// Hot state lives in locals: cycles and instret (written back to cycles_ and
// instret_ whenever the loop leaves the fast path), the block and the
// instruction pointer. Instruction handlers run back to back inside a block;
// the block's totals are added when it ends. A path that leaves a block
// early (trap, device access, CSR, tohost) first counts the instructions
// before it one by one, then does what the per-instruction definition does.
StopReason Rv32Core::run_loop(uint64_t cycle_limit, uint64_t instret_limit,
                              const BreakpointSet* bps) {
  // One row of labels per operand source (kFwdNone, kFwdRs1, kFwdRs2): an
  // operation without forwarding handlers has its plain one in every row.
#define IMCVP_LABEL_ADDR(name, kind) &&L_##name,
#define IMCVP_BRANCH_LABELS(prefix, suffix)                                       \
  &&prefix##Beq##suffix, &&prefix##Bne##suffix, &&prefix##Blt##suffix, &&prefix##Bge##suffix, \
      &&prefix##Bltu##suffix, &&prefix##Bgeu##suffix,
#define IMCVP_LABEL_ADDR_F(name, kind) IMCVP_LABEL_ADDR_F_##kind(name)
#define IMCVP_LABEL_ADDR_F_P(name) &&L_##name,
#define IMCVP_LABEL_ADDR_F_F(name) &&L_##name##_f1,
#define IMCVP_LABEL_ADDR_G(name, kind) IMCVP_LABEL_ADDR_G_##kind(name)
#define IMCVP_LABEL_ADDR_G_P(name) &&L_##name,
#define IMCVP_LABEL_ADDR_G_F(name) &&L_##name##_f2,
  static const void* const kLabels[] = {
      IMCVP_OPS(IMCVP_LABEL_ADDR) &&L_end,
      IMCVP_BRANCH_LABELS(L_inner_, ) IMCVP_BRANCH_LABELS(L_loop_, )
      IMCVP_OPS(IMCVP_LABEL_ADDR_F) &&L_end,
      IMCVP_BRANCH_LABELS(L_inner_, _f1) IMCVP_BRANCH_LABELS(L_loop_, _f1)
      IMCVP_OPS(IMCVP_LABEL_ADDR_G) &&L_end,
      IMCVP_BRANCH_LABELS(L_inner_, _f2) IMCVP_BRANCH_LABELS(L_loop_, _f2)};
#undef IMCVP_BRANCH_LABELS
#undef IMCVP_LABEL_ADDR
#undef IMCVP_LABEL_ADDR_F
#undef IMCVP_LABEL_ADDR_F_P
#undef IMCVP_LABEL_ADDR_F_F
#undef IMCVP_LABEL_ADDR_G
#undef IMCVP_LABEL_ADDR_G_P
#undef IMCVP_LABEL_ADDR_G_F
  static_assert(sizeof kLabels / sizeof kLabels[0] == kFwdRows * kLabelCount, "label table");
  Block* const pool = blocks_.get();

  uint32_t* const x = x_.data();
  uint8_t* const ram = ram_;
  const uint32_t ram_base = ram_base_;
  const uint32_t ram_size = ram_size_;
  const bool has_tohost = has_tohost_;
  const uint32_t tohost = tohost_;
  const bool emulate_misaligned = params_.misaligned == MisalignedAccess::Emulate;
  uint64_t* const class_counts = class_counts_.data();
  // A block runs whole when cycles + head_cycles < fast_cycle_limit: one
  // compare that implies both limits hold before each of its instructions.
  // Every instruction costs at least min_insn_cycles_ >= 1 cycle, so from
  // here on the cycles grow at least as fast as instret, and a bound of
  // (instret_limit - instret) more cycles keeps instret + n - 1 below its
  // limit too. A debugger checks every pc: no block runs whole then.
  const auto fast_limit_of = [&](uint64_t lim, uint64_t cyc, uint64_t ins) -> uint64_t {
    if (bps || min_insn_cycles_ < 1 || ins >= instret_limit) return 0;
    return std::min({lim, kFastCycleCeiling,
                     instret_limit - ins > ~uint64_t{0} - cyc ? ~uint64_t{0} : cyc + (instret_limit - ins)});
  };
  const auto fast_limit = [&](uint64_t cyc, uint64_t ins) { return fast_limit_of(cycle_limit, cyc, ins); };
  uint64_t fast_cycle_limit = fast_limit(cycles_, instret_);
  // Accesses that need no bounds check beyond off < ram_fast (aligned, so
  // wholly inside); anything else takes the exact path.
  const uint32_t ram_fast = (ram_size % 4 == 0 && ram_base % 4 == 0) ? ram_size : 0;
  // Stores to RAM compare with one address: tohost, or one whose word lies
  // outside RAM when there is none (re-checked on a match).
  const uint32_t tohost_match = has_tohost ? tohost : ram_base >= 4 ? ram_base - 4 : ram_base + ram_size;

  uint64_t cycles = cycles_, instret = instret_;
  uint32_t pc = pc_;
  Block* blk = nullptr;          // the block running (or stepped)
  Block* from = nullptr;         // the block that just ended, to chain from
  unsigned from_k = 0;           // which of its successors
  uint64_t from_gen = 0;
  const BlockInsn* ip = nullptr;   // the instruction running
  const BlockInsn* ip0 = nullptr;  // the first instruction run in this dispatch
  BlockInsn step[kMaxBlockInsns];  // the head of a block run alone, then the end marker
  uint32_t next_pc = 0;
  unsigned k = 0;
  uint32_t last = 0;  // the value the last register-writing handler wrote (kFwdRows)
  uint32_t mem_addr = 0, mem_value = 0;  // a load or store on its exact path

  // A handler H with register sources in its three forms (kFwdRows): both
  // from the register file, rs1 from `last`, rs2 from `last`.
#define IMCVP_FWD(H, label, ...)                \
  H(label, x[ip->rs1], x[ip->rs2], __VA_ARGS__) \
  H(label##_f1, last, x[ip->rs2], __VA_ARGS__)  \
  H(label##_f2, x[ip->rs1], last, __VA_ARGS__)
#define IMCVP_SAVE() (cycles_ = cycles, instret_ = instret)
#define IMCVP_LOAD() (cycles = cycles_, instret = instret_)
#define IMCVP_NEXT() goto* (++ip)->handler
  // Counts the instructions run before ip in this dispatch.
#define IMCVP_COUNT_BEFORE()                                 \
  for (const BlockInsn* p = ip0; p != ip; ++p) {             \
    cycles += p->cycles;                                     \
    ++class_counts[p->cls];                                  \
    ++instret;                                               \
  }
  // Counts ip itself.
#define IMCVP_RETIRE_THIS() (cycles += ip->cycles, ++instret, ++class_counts[ip->cls])
  // An exception at ip: nothing after it runs, ip does not retire.
#define IMCVP_TRAP(cause, tval)                              \
  do {                                                       \
    IMCVP_COUNT_BEFORE();                                    \
    pc_ = ip->pc;                                            \
    IMCVP_SAVE();                                            \
    if (!trap((cause), (tval))) return StopReason::Fatal;    \
    IMCVP_LOAD();                                            \
    pc = pc_;                                                \
    from = nullptr;                                          \
    goto dispatch;                                           \
  } while (0)

dispatch:
  if (IMCVP_UNLIKELY(pass_instret_ != 0)) {
    // A block ran whole across the limit (see below); every block end since
    // comes here (fast_cycle_limit 0). Past the crossing: the new limit
    // holds; short of it (a side exit, a device access, a trap before it):
    // the old one does, and the crossing is found again as usual.
    if (instret > pass_instret_) {
      bus_.quantum_passed(pass_cycles_);
      cycle_limit = pass_limit_;
    }
    pass_instret_ = 0;
    fast_cycle_limit = fast_limit(cycles, instret);
  }
  if (IMCVP_UNLIKELY(!(cycles < cycle_limit && instret < instret_limit))) {
    if (instret < instret_limit) {
      // The cycle limit: the bus may let the run go on (CpuBus::continue_run).
      const uint64_t more = bus_.continue_run(cycles);
      if (more > cycles) {
        bus_.quantum_passed(cycles);
        cycle_limit = more;
        fast_cycle_limit = fast_limit(cycles, instret);
        goto dispatch;
      }
    }
    pc_ = pc;
    IMCVP_SAVE();
    return StopReason::Limit;
  }
  if (IMCVP_UNLIKELY(bps != nullptr)) {
    if (skip_breakpoint_) {
      skip_breakpoint_ = false;
    } else if (bps->is_breakpoint(pc)) {
      pc_ = pc;
      IMCVP_SAVE();
      return StopReason::Breakpoint;
    }
  }
  if (from && (blk = from->succ[from_k]) != &unchained_ && blk->pc == pc) {
    // chained
  } else {
    blk = cached_block(pc);
    if (!blk) {
      pc_ = pc;
      IMCVP_SAVE();
      blk = find_block(pc, kLabels);  // decodes it; may fetch through the bus or trap
      IMCVP_LOAD();
      if (!blk) {
        if (!fatal_.empty()) return StopReason::Fatal;
        pc = pc_;
        from = nullptr;
        goto dispatch;
      }
    }
    if (from && from_gen == generation_ && blk != &uncached_) from->succ[from_k] = blk;
  }
  if (IMCVP_LIKELY(cycles + blk->head_cycles < fast_cycle_limit)) {
    // The whole block runs (the limits hold before each of its instructions).
    ip0 = ip = blk->insns;
    goto* ip->handler;
  }
  // It may cross a limit, or a debugger watches every pc: count the
  // instructions before which both limits hold (just one for a debugger).
  // All of them: the block runs whole. Fewer (never the last one, the only
  // control transfer): that head runs alone, copied before an end marker.
  {
    uint32_t m = 1;
    uint64_t c = cycles + blk->insns[0].cycles;  // after the first m instructions
    if (!bps) {
      while (m < blk->n && c < cycle_limit && instret + m < instret_limit) c += blk->insns[m++].cycles;
    }
    if (m == blk->n) {
      ip0 = ip = blk->insns;
      goto* ip->handler;
    }
    // It crosses the cycle limit after m instructions, at c. If the bus lets
    // the run go on there, and the block stays within the new limits, it
    // runs whole; the crossing is settled at the next dispatch (above),
    // where every way out of the block now leads.
    if (!bps && c >= cycle_limit && instret + m < instret_limit) {
      const uint64_t more = bus_.continue_run(c);
      if (more > c && cycles + blk->head_cycles < fast_limit_of(more, cycles, instret)) {
        pass_instret_ = instret + m;
        pass_cycles_ = c;
        pass_limit_ = more;
        fast_cycle_limit = 0;
        ip0 = ip = blk->insns;
        goto* ip->handler;
      }
    }
    std::memcpy(static_cast<void*>(step), blk->insns, m * sizeof(BlockInsn));
    step[m].handler = kLabels[kEndLabel];
    step[m].pc = blk->insns[m].pc;  // where the block goes on
  }
  blk = nullptr;
  ip0 = ip = step;
  goto* ip->handler;

  // ---- block ends
  // A block ends: its totals are added, and its chained successor runs
  // straight on when it runs whole. Expanded in every control transfer (each
  // with its own indirect jump, which predicts better than one shared one).
  // A successor of a fixed target needs no pc check; jalr's does. An
  // unchained one (unchained_) fails the limit check. `block_cycles` is the
  // Block field with the cycles to add (a taken branch's include its penalty).
#define IMCVP_END_BLOCK(kk, block_cycles, target, check_pc)                    \
  do {                                                                         \
    cycles += blk->block_cycles;                                               \
    instret += blk->n;                                                         \
    ++blk->exec; /* class counts: folded in when read (fold_class_counts) */   \
    Block* const nb = blk->succ[kk];                                           \
    if ((!(check_pc) || nb->pc == (target)) &&                                 \
        IMCVP_LIKELY(cycles + nb->head_cycles < fast_cycle_limit)) {           \
      blk = nb;                                                                \
      ip0 = ip = nb->insns;                                                    \
      goto* ip->handler;                                                       \
    }                                                                          \
    next_pc = (target);                                                        \
    k = (kk);                                                                  \
    goto block_end;                                                            \
  } while (0)

L_end:  // end marker: a block cut short, or one instruction run alone
  if (blk) IMCVP_END_BLOCK(0, cycles, ip->pc, false);
  IMCVP_COUNT_BEFORE();
  pc = ip->pc;
  from = nullptr;
  goto dispatch;

block_end:  // not chained yet, or the successor may cross a limit
  pc = next_pc;
  if (blk != &uncached_) {
    from = blk;
    from_k = k;
    from_gen = generation_;
  } else {
    from = nullptr;
  }
  goto dispatch;

  // ---- control transfers (always last in a block)
L_Jal:
  x[ip->rd] = ip->pc + ip->len;
  IMCVP_END_BLOCK(1, cycles, ip->pc + static_cast<uint32_t>(ip->imm), false);
L_Jalr: {
  const uint32_t t = (x[ip->rs1] + static_cast<uint32_t>(ip->imm)) & ~1u;
  x[ip->rd] = ip->pc + ip->len;
  IMCVP_END_BLOCK(1, cycles, t, true);
}
#define IMCVP_BRANCH_AS(label, src_a, src_b, cond)                        \
  label: {                                                                \
    const uint32_t a = (src_a), b = (src_b);                              \
    if (cond)                                                             \
      IMCVP_END_BLOCK(1, taken_cycles, ip->pc + static_cast<uint32_t>(ip->imm), false); \
    IMCVP_END_BLOCK(0, cycles, ip->pc + ip->len, false);                  \
  }
  // Branches inside a block leave through a side exit (its record holds the
  // counts of the instructions up to here; BlockInsn::raw, its pool index)
  // when `leaves`, and go on to the next instruction otherwise:
  // - a forward branch (an if) leaves when taken;
  // - a loop's backward branch in its unrolled body (find_block) leaves when
  //   not taken; taken, it goes on to the next copy of the body (its
  //   penalty is in its BlockInsn::cycles).
#define IMCVP_SIDE_EXIT_AS(label, src_a, src_b, leaves, block_cycles, target) \
  label: {                                                                \
    const uint32_t a = (src_a), b = (src_b);                              \
    if (leaves) {                                                         \
      blk = &pool[ip->raw];                                               \
      IMCVP_END_BLOCK(1, block_cycles, target, false);                    \
    }                                                                     \
    IMCVP_NEXT();                                                         \
  }
#define IMCVP_INNER_BRANCH_AS(label, src_a, src_b, cond) \
  IMCVP_SIDE_EXIT_AS(label, src_a, src_b, cond, taken_cycles, ip->pc + static_cast<uint32_t>(ip->imm))
#define IMCVP_LOOP_BRANCH_AS(label, src_a, src_b, cond) \
  IMCVP_SIDE_EXIT_AS(label, src_a, src_b, !(cond), cycles, ip->pc + ip->len)
  // The three kinds of conditional branch handlers, for each condition.
#define IMCVP_BRANCH(name, cond)                                \
  IMCVP_FWD(IMCVP_BRANCH_AS, L_##name, cond)                    \
  IMCVP_FWD(IMCVP_INNER_BRANCH_AS, L_inner_##name, cond)        \
  IMCVP_FWD(IMCVP_LOOP_BRANCH_AS, L_loop_##name, cond)
  IMCVP_BRANCH(Beq, a == b)
  IMCVP_BRANCH(Bne, a != b)
  IMCVP_BRANCH(Blt, static_cast<int32_t>(a) < static_cast<int32_t>(b))
  IMCVP_BRANCH(Bge, static_cast<int32_t>(a) >= static_cast<int32_t>(b))
  IMCVP_BRANCH(Bltu, a < b)
  IMCVP_BRANCH(Bgeu, a >= b)
#undef IMCVP_BRANCH
#undef IMCVP_BRANCH_AS
#undef IMCVP_SIDE_EXIT_AS
#undef IMCVP_INNER_BRANCH_AS
#undef IMCVP_LOOP_BRANCH_AS
#undef IMCVP_END_BLOCK

  // ---- loads and stores
  // A load or store's fast path (an aligned access inside RAM, not over
  // tohost), in each operand-source form; anything else goes on at its
  // exact path (L_<op>_slow) with the address and the value to store in
  // mem_addr and mem_value.
#define IMCVP_LOAD_FAST(label, src_a, src_b, name, T, N)                         \
  label: {                                                                         \
    const uint32_t addr = (src_a) + static_cast<uint32_t>(ip->imm);                \
    const uint32_t off = addr - ram_base;                                          \
    /* aligned and in RAM, in one compare (see aligned_index) */                   \
    if (IMCVP_LIKELY(aligned_index<N>(off) < (ram_fast / N))) {                    \
      T v;                                                                         \
      std::memcpy(&v, ram + off, N);                                               \
      last = static_cast<uint32_t>(v);                                             \
      x[ip->rd] = last;                                                            \
      IMCVP_NEXT();                                                                \
    }                                                                              \
    mem_addr = addr;                                                               \
    goto L_##name##_slow;                                                          \
  }
#define IMCVP_STORE_FAST(label, src_a, src_b, name, T, N)                        \
  label: {                                                                         \
    const uint32_t addr = (src_a) + static_cast<uint32_t>(ip->imm);                \
    const uint32_t off = addr - ram_base;                                          \
    const uint32_t value = (src_b);                                                \
    if (IMCVP_LIKELY(aligned_index<N>(off) < (ram_fast / N)) &&                    \
        IMCVP_LIKELY(addr - tohost_match >= 4)) {                                  \
      const T v = static_cast<T>(value);                                           \
      std::memcpy(ram + off, &v, N);                                               \
      IMCVP_NEXT();                                                                \
    }                                                                              \
    mem_addr = addr;                                                               \
    mem_value = value;                                                             \
    goto L_##name##_slow;                                                          \
  }
#define IMCVP_LOAD_OP(name, T, N)                                                  \
  IMCVP_FWD(IMCVP_LOAD_FAST, L_##name, name, T, N)                                   \
  L_##name##_slow: {                                                                 \
    const uint32_t addr = mem_addr;                                                  \
    const uint32_t off = addr - ram_base;                                            \
    T v;                                                                             \
    if (IMCVP_UNLIKELY(addr & (N - 1))) {                                          \
      if (!emulate_misaligned) IMCVP_TRAP(Cause::LoadMisaligned, addr);              \
      IMCVP_COUNT_BEFORE();                                                          \
      IMCVP_SAVE();                                                                  \
      T sv;                                                                          \
      uint32_t fault_addr = 0;                                                       \
      bool bus_used = false;                                                         \
      const bool ok = access_misaligned(addr, reinterpret_cast<uint8_t*>(&sv), N,    \
                                        false, ip->cycles, fault_addr, bus_used);    \
      IMCVP_LOAD();                                                                  \
      if (!ok) {                                                                     \
        pc_ = ip->pc;                                                                \
        if (!trap(Cause::LoadAccessFault, fault_addr)) return StopReason::Fatal;     \
        IMCVP_LOAD();                                                                \
        pc = pc_;                                                                    \
      } else {                                                                       \
        x[ip->rd] = static_cast<uint32_t>(sv);                                       \
        ++instret;                                                                   \
        ++class_counts[ip->cls];                                                     \
        pc = ip->pc + ip->len;                                                       \
      }                                                                              \
      from = nullptr;                                                                \
      goto dispatch;                                                                 \
    }                                                                                \
    if (off < ram_size && ram_size - off >= N) {                                     \
      std::memcpy(&v, ram + off, N);                                               \
    } else {                                                                         \
      /* a device: the access starts after this instruction's cycles */             \
      IMCVP_COUNT_BEFORE();                                                          \
      cycles += ip->cycles;                                                          \
      IMCVP_SAVE();                                                                  \
      T sv; /* v's address stays private: v can live in a register */            \
      const bool ok = load_slow(addr, reinterpret_cast<uint8_t*>(&sv), N);         \
      v = sv;                                                                        \
      IMCVP_LOAD();                                                                  \
      if (!ok) {                                                                     \
        pc_ = ip->pc;                                                                \
        IMCVP_SAVE();                                                                \
        if (!trap(Cause::LoadAccessFault, addr)) return StopReason::Fatal;           \
        IMCVP_LOAD();                                                                \
        pc = pc_;                                                                    \
      } else {                                                                       \
        x[ip->rd] = static_cast<uint32_t>(v);                                        \
        ++instret;                                                                   \
        ++class_counts[ip->cls];                                                     \
        pc = ip->pc + ip->len;                                                       \
      }                                                                              \
      from = nullptr;                                                                \
      goto dispatch;                                                                 \
    }                                                                                \
    last = static_cast<uint32_t>(v);                                                 \
    x[ip->rd] = last;                                                                \
    IMCVP_NEXT();                                                                    \
  }
  IMCVP_LOAD_OP(Lb, int8_t, 1)
  IMCVP_LOAD_OP(Lh, int16_t, 2)
  IMCVP_LOAD_OP(Lw, uint32_t, 4)
  IMCVP_LOAD_OP(Lbu, uint8_t, 1)
  IMCVP_LOAD_OP(Lhu, uint16_t, 2)
#undef IMCVP_LOAD_OP
#define IMCVP_STORE_OP(name, T, N)                                                 \
  IMCVP_FWD(IMCVP_STORE_FAST, L_##name, name, T, N)                                  \
  L_##name##_slow: {                                                                 \
    const uint32_t addr = mem_addr;                                                  \
    const uint32_t off = addr - ram_base;                                            \
    const T v = static_cast<T>(mem_value);                                           \
    const bool fast = aligned_index<N>(off) < (ram_fast / N);                        \
    if (!fast && IMCVP_UNLIKELY(addr & (N - 1))) {                                 \
      if (!emulate_misaligned) IMCVP_TRAP(Cause::StoreMisaligned, addr);             \
      IMCVP_COUNT_BEFORE();                                                          \
      IMCVP_SAVE();                                                                  \
      const T sv = v;                                                                \
      uint32_t fault_addr = 0;                                                       \
      bool bus_used = false;                                                         \
      const bool ok = access_misaligned(addr, const_cast<uint8_t*>(                  \
                                            reinterpret_cast<const uint8_t*>(&sv)),  \
                                        N, true, ip->cycles, fault_addr, bus_used);  \
      if (!ok) {                                                                     \
        pc_ = ip->pc;                                                                \
        if (!trap(Cause::StoreAccessFault, fault_addr)) return StopReason::Fatal;    \
        IMCVP_LOAD();                                                                \
        pc = pc_;                                                                    \
        from = nullptr;                                                              \
        goto dispatch;                                                               \
      }                                                                              \
      pc_ = ip->pc + ip->len;                                                        \
      ++instret_;                                                                    \
      ++class_counts[ip->cls];                                                       \
      /* a store over tohost (its low word) ends the run as an aligned one */       \
      if (has_tohost && ram && tohost - ram_base < ram_size &&                       \
          (addr - tohost < 4 || tohost - addr < N) && check_tohost())                \
        return fatal_.empty() ? StopReason::Exit : StopReason::Fatal;                \
      /* a device write may end the run or raise an interrupt: re-check */          \
      if (bus_used) return exit_requested_ ? StopReason::Exit : StopReason::Interrupt; \
      IMCVP_LOAD();                                                                  \
      pc = pc_;                                                                      \
      from = nullptr;                                                                \
      goto dispatch;                                                                 \
    }                                                                                \
    if (IMCVP_LIKELY(fast) || (off < ram_size && ram_size - off >= N)) {             \
      std::memcpy(ram + off, &v, N);                                               \
      if (IMCVP_UNLIKELY(addr - tohost_match < 4) && has_tohost &&                   \
          addr - tohost < 4 && check_tohost()) {                                     \
        IMCVP_COUNT_BEFORE();                                                        \
        IMCVP_RETIRE_THIS();                                                         \
        pc_ = ip->pc + ip->len;                                                      \
        IMCVP_SAVE();                                                                \
        return fatal_.empty() ? StopReason::Exit : StopReason::Fatal;                \
      }                                                                              \
      IMCVP_NEXT();                                                                  \
    }                                                                                \
    IMCVP_COUNT_BEFORE();                                                            \
    cycles += ip->cycles;                                                            \
    IMCVP_SAVE();                                                                    \
    const T sv = v; /* v's address stays private */                                \
    if (!store_slow(addr, reinterpret_cast<const uint8_t*>(&sv), N)) {             \
      pc_ = ip->pc;                                                                  \
      if (!trap(Cause::StoreAccessFault, addr)) return StopReason::Fatal;            \
      IMCVP_LOAD();                                                                  \
      pc = pc_;                                                                      \
      from = nullptr;                                                                \
      goto dispatch;                                                                 \
    }                                                                                \
    /* a device write may end the run or raise an interrupt: re-check */            \
    pc_ = ip->pc + ip->len;                                                          \
    ++instret_;                                                                      \
    ++class_counts[ip->cls];                                                         \
    return exit_requested_ ? StopReason::Exit : StopReason::Interrupt;               \
  }
  IMCVP_STORE_OP(Sb, uint8_t, 1)
  IMCVP_STORE_OP(Sh, uint16_t, 2)
  IMCVP_STORE_OP(Sw, uint32_t, 4)
#undef IMCVP_STORE_OP
#undef IMCVP_LOAD_FAST
#undef IMCVP_STORE_FAST

  // ---- integer operations
#define IMCVP_OP_AS(label, src_a, src_b, expr)                \
  label: {                                                    \
    const uint32_t a = (src_a), b = (src_b);                  \
    const int32_t imm = ip->imm;                              \
    (void)a; (void)b; (void)imm;                              \
    last = (expr);                                            \
    x[ip->rd] = last;                                         \
    IMCVP_NEXT();                                             \
  }
#define IMCVP_OP(name, expr) IMCVP_FWD(IMCVP_OP_AS, L_##name, expr)
  IMCVP_OP(Lui, static_cast<uint32_t>(imm))
  IMCVP_OP(Auipc, ip->pc + static_cast<uint32_t>(imm))
  IMCVP_OP(Addi, a + static_cast<uint32_t>(imm))
  IMCVP_OP(Slti, static_cast<int32_t>(a) < imm)
  IMCVP_OP(Sltiu, a < static_cast<uint32_t>(imm))
  IMCVP_OP(Xori, a ^ static_cast<uint32_t>(imm))
  IMCVP_OP(Ori, a | static_cast<uint32_t>(imm))
  IMCVP_OP(Andi, a & static_cast<uint32_t>(imm))
  IMCVP_OP(Slli, a << imm)
  IMCVP_OP(Srli, a >> imm)
  IMCVP_OP(Srai, static_cast<uint32_t>(static_cast<int32_t>(a) >> imm))
  IMCVP_OP(Add, a + b)
  IMCVP_OP(Sub, a - b)
  IMCVP_OP(Sll, a << (b & 31))
  IMCVP_OP(Slt, static_cast<int32_t>(a) < static_cast<int32_t>(b))
  IMCVP_OP(Sltu, a < b)
  IMCVP_OP(Xor, a ^ b)
  IMCVP_OP(Srl, a >> (b & 31))
  IMCVP_OP(Sra, static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31)))
  IMCVP_OP(Or, a | b)
  IMCVP_OP(And, a & b)
  IMCVP_OP(Mul, a * b)
  IMCVP_OP(Mulh, static_cast<uint32_t>((int64_t{static_cast<int32_t>(a)} * static_cast<int32_t>(b)) >> 32))
  IMCVP_OP(Mulhsu, static_cast<uint32_t>((int64_t{static_cast<int32_t>(a)} * int64_t{b}) >> 32))
  IMCVP_OP(Mulhu, static_cast<uint32_t>((uint64_t{a} * b) >> 32))
  IMCVP_OP(Div, static_cast<int32_t>(b) == 0 ? 0xffffffffu
                : (static_cast<int32_t>(a) == INT32_MIN && static_cast<int32_t>(b) == -1)
                    ? a
                    : static_cast<uint32_t>(static_cast<int32_t>(a) / static_cast<int32_t>(b)))
  IMCVP_OP(Divu, b == 0 ? 0xffffffffu : a / b)
  IMCVP_OP(Rem, static_cast<int32_t>(b) == 0 ? a
                : (static_cast<int32_t>(a) == INT32_MIN && static_cast<int32_t>(b) == -1)
                    ? 0u
                    : static_cast<uint32_t>(static_cast<int32_t>(a) % static_cast<int32_t>(b)))
  IMCVP_OP(Remu, b == 0 ? a : a % b)
#undef IMCVP_OP
#undef IMCVP_OP_AS
L_Fence:
  IMCVP_NEXT();

  // ---- system instructions (always last in a block)
L_FenceI:
  IMCVP_COUNT_BEFORE();
  IMCVP_RETIRE_THIS();
  pc = ip->pc + ip->len;
  flush_decode_cache();
  from = nullptr;
  goto dispatch;
L_Ecall:
  IMCVP_TRAP(priv_ == kPrivM ? Cause::EcallM : Cause::EcallU, 0);
L_Ebreak:
  IMCVP_TRAP(Cause::Breakpoint, ip->pc);
L_Illegal:
  IMCVP_TRAP(Cause::IllegalInsn, ip->raw);
L_Mret:
  if (priv_ != kPrivM) IMCVP_TRAP(Cause::IllegalInsn, ip->raw);
  IMCVP_COUNT_BEFORE();
  priv_ = (mstatus_ & kMstatusMpp) >> kMstatusMppShift;
  // MIE <- MPIE, MPIE <- 1, MPP <- U; leaving M-mode also clears MPRV.
  mstatus_ = (mstatus_ & ~(kMstatusMie | kMstatusMpp | (priv_ != kPrivM ? kMstatusMprv : 0u))) |
             ((mstatus_ & kMstatusMpie) ? kMstatusMie : 0) | kMstatusMpie |
             (kPrivU << kMstatusMppShift);
  pc_ = mepc_;
  IMCVP_RETIRE_THIS();
  IMCVP_SAVE();
  return StopReason::Interrupt;
L_Wfi:
  // Below M-mode: illegal when mstatus.TW is set (at once: the time limit
  // the spec allows is zero here); with TW clear it waits as in M-mode.
  if (priv_ != kPrivM && (mstatus_ & kMstatusTw)) IMCVP_TRAP(Cause::IllegalInsn, ip->raw);
  IMCVP_COUNT_BEFORE();
  pc_ = ip->pc + ip->len;
  IMCVP_RETIRE_THIS();
  IMCVP_SAVE();
  return StopReason::Wfi;
L_Csrrw:
L_Csrrs:
L_Csrrc:
L_Csrrwi:
L_Csrrsi:
L_Csrrci: {
  const Op op = ip->op;
  const uint16_t n = static_cast<uint16_t>(ip->imm);
  const bool imm_form = op >= Op::Csrrwi;
  const uint32_t src = imm_form ? ip->rs1 : x[ip->rs1];
  const bool is_rw = op == Op::Csrrw || op == Op::Csrrwi;
  const bool writes = is_rw || ip->rs1 != 0;
  // The counters the CSRs read are those before this instruction.
  IMCVP_COUNT_BEFORE();
  ip0 = ip;
  IMCVP_SAVE();
  uint32_t old = 0;
  // csrrw with rd = x0 does not read (no read side effects either way here).
  if (!(is_rw && ip->rd == kSinkReg) && !csr_read(n, old)) IMCVP_TRAP(Cause::IllegalInsn, ip->raw);
  if (writes) {
    const uint32_t nv = is_rw ? src : (op == Op::Csrrs || op == Op::Csrrsi) ? (old | src) : (old & ~src);
    if (!csr_write(n, nv)) IMCVP_TRAP(Cause::IllegalInsn, ip->raw);
  }
  x[ip->rd] = old;
  IMCVP_RETIRE_THIS();
  pc = ip->pc + ip->len;
  from = nullptr;
  if (writes && (n == csr::kMstatus || n == csr::kMie)) {
    pc_ = pc;
    IMCVP_SAVE();
    return StopReason::Interrupt;
  }
  goto dispatch;
}

#undef IMCVP_SAVE
#undef IMCVP_FWD
#undef IMCVP_LOAD
#undef IMCVP_NEXT
#undef IMCVP_COUNT_BEFORE
#undef IMCVP_RETIRE_THIS
#undef IMCVP_TRAP
}

#undef IMCVP_OPS

}  // namespace imcvp
