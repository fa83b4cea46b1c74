// Unit tests of the RV32IMC core (no SystemC): instruction classes, CSRs,
// traps, interrupts, the decode cache and HTIF, on hand-encoded programs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "models/cpu/rv32_core.hpp"

using namespace imcvp;

namespace {

constexpr uint32_t kBase = 0x80000000, kSize = 64 * 1024;
constexpr uint32_t kDevice = 0x10000000;  // a 4-byte register on the fake bus
// 16 bytes of byte-addressable device memory on the fake bus (any naturally
// aligned access of 1, 2 or 4 bytes), for emulated misaligned accesses.
constexpr uint32_t kByteDevice = 0x10001000, kByteDeviceSize = 16;

// Encoders for the base formats.
uint32_t R(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t I(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (static_cast<uint32_t>(imm) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t S(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | 0x23;
}
uint32_t B(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
         (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63;
}
uint32_t U(uint32_t imm, uint32_t rd, uint32_t op) { return (imm & 0xfffff000u) | rd << 7 | op; }
uint32_t J(int32_t imm, uint32_t rd) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 |
         (u >> 12 & 0xff) << 12 | rd << 7 | 0x6f;
}
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return I(imm, rs1, 0, rd, 0x13); }
uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1) { return I(static_cast<int32_t>(csr), rs1, 1, rd, 0x73); }
uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) { return I(static_cast<int32_t>(csr), rs1, 2, rd, 0x73); }
constexpr uint32_t kEcall = 0x00000073, kEbreak = 0x00100073, kMret = 0x30200073,
                   kWfi = 0x10500073, kFenceI = 0x0000100f;

class FakeBus : public CpuBus {
 public:
  uint32_t reg = 0;
  unsigned reads = 0, writes = 0;
  uint8_t bytes[kByteDeviceSize] = {};
  std::vector<std::pair<uint32_t, unsigned>> byte_accesses;  // (address, length)
  bool byte_device(uint32_t addr, unsigned len) {
    if (addr - kByteDevice >= kByteDeviceSize || kByteDevice + kByteDeviceSize - addr < len ||
        (addr & (len - 1)))
      return false;
    byte_accesses.emplace_back(addr, len);
    return true;
  }
  bool bus_read(uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) override {
    if (byte_device(addr, len)) {
      std::memcpy(data, bytes + (addr - kByteDevice), len);
      cycles += 5;
      return true;
    }
    if (addr != kDevice || len != 4) return false;
    std::memcpy(data, &reg, 4);
    ++reads;
    cycles += 5;
    return true;
  }
  bool bus_write(uint32_t addr, const uint8_t* data, unsigned len, uint64_t& cycles) override {
    if (byte_device(addr, len)) {
      std::memcpy(bytes + (addr - kByteDevice), data, len);
      cycles += 5;
      return true;
    }
    if (addr != kDevice || len != 4) return false;
    std::memcpy(&reg, data, 4);
    ++writes;
    cycles += 5;
    return true;
  }
  uint64_t mtime_at(uint64_t cycles) override { return cycles / 10; }
};

class CoreTest : public ::testing::Test {
 protected:
  explicit CoreTest(const CpuParams& params = default_cpu_params()) : ram(kSize), core(params, bus) {
    core.set_ram(ram.data(), kBase, kSize);
    core.reset(kBase);
  }
  // Writes 32-bit words at kBase + offset.
  void load(const std::vector<uint32_t>& words, uint32_t offset = 0) {
    std::memcpy(ram.data() + offset, words.data(), words.size() * 4);
  }
  void load16(const std::vector<uint16_t>& halves, uint32_t offset = 0) {
    std::memcpy(ram.data() + offset, halves.data(), halves.size() * 2);
  }
  uint32_t word(uint32_t addr) {
    uint32_t v;
    std::memcpy(&v, ram.data() + (addr - kBase), 4);
    return v;
  }
  // Runs exactly n instructions (or until a stop).
  // Runs exactly n instructions (or until a stop other than an interrupt re-check).
  StopReason step(uint64_t n) {
    const uint64_t target = core.instret() + n;
    StopReason r;
    do r = core.run(~uint64_t{0}, target);
    while (r == StopReason::Interrupt && core.instret() < target);
    return r;
  }
  // A trap handler at kBase + 0x1000 (an infinite loop: j .), installed in mtvec.
  void install_handler() {
    load({J(0, 0)}, 0x1000);
    core.set_reg(31, kBase + 0x1000);
    load({csrrw(0, csr::kMtvec, 31)}, 0);
    ASSERT_EQ(step(1), StopReason::Limit);
  }

  FakeBus bus;
  std::vector<uint8_t> ram;
  Rv32Core core;
};

TEST_F(CoreTest, IntegerRegisterRegisterOps) {
  core.set_reg(1, 0xfffffff0);  // -16
  core.set_reg(2, 3);
  load({R(0, 2, 1, 0, 3, 0x33), R(0x20, 2, 1, 0, 4, 0x33), R(0, 2, 1, 1, 5, 0x33),
        R(0, 2, 1, 2, 6, 0x33), R(0, 2, 1, 3, 7, 0x33), R(0, 2, 1, 4, 8, 0x33),
        R(0, 2, 1, 5, 9, 0x33), R(0x20, 2, 1, 5, 10, 0x33), R(0, 2, 1, 6, 11, 0x33),
        R(0, 2, 1, 7, 12, 0x33)});
  step(10);
  EXPECT_EQ(core.reg(3), 0xfffffff3u);   // add
  EXPECT_EQ(core.reg(4), 0xffffffedu);   // sub
  EXPECT_EQ(core.reg(5), 0xffffff80u);   // sll
  EXPECT_EQ(core.reg(6), 1u);            // slt: -16 < 3
  EXPECT_EQ(core.reg(7), 0u);            // sltu: 0xfffffff0 > 3
  EXPECT_EQ(core.reg(8), 0xfffffff3u);   // xor
  EXPECT_EQ(core.reg(9), 0x1ffffffeu);   // srl
  EXPECT_EQ(core.reg(10), 0xfffffffeu);  // sra
  EXPECT_EQ(core.reg(11), 0xfffffff3u);  // or
  EXPECT_EQ(core.reg(12), 0u);           // and
  EXPECT_EQ(core.instret(), 10u);
  EXPECT_EQ(core.class_counts()[static_cast<unsigned>(InsnClass::Alu)], 10u);
}

TEST_F(CoreTest, ImmediatesUpperAndX0) {
  core.set_reg(1, 0x7fffffff);
  load({addi(2, 1, 1), I(-1, 1, 2, 3, 0x13), I(-1, 1, 3, 4, 0x13), I(0x7ff, 0, 4, 5, 0x13),
        I(31, 1, 1, 6, 0x13), I(0x400 | 4, 2, 5, 7, 0x13), U(0x12345000, 8, 0x37),
        U(0x1000, 9, 0x17), addi(0, 0, 5)});
  step(9);
  EXPECT_EQ(core.reg(2), 0x80000000u);  // wraps
  EXPECT_EQ(core.reg(3), 0u);           // slti 0x7fffffff < -1
  EXPECT_EQ(core.reg(4), 1u);           // sltiu: -1 is 0xffffffff
  EXPECT_EQ(core.reg(5), 0x7ffu);       // xori with x0
  EXPECT_EQ(core.reg(6), 0x80000000u);  // slli 31
  EXPECT_EQ(core.reg(7), 0xf8000000u);  // srai 4
  EXPECT_EQ(core.reg(8), 0x12345000u);  // lui
  EXPECT_EQ(core.reg(9), kBase + 7 * 4 + 0x1000);  // auipc
  EXPECT_EQ(core.reg(0), 0u);           // x0 stays zero
}

TEST_F(CoreTest, BranchesJumpsAndTheirCycles) {
  core.set_reg(1, 5);
  core.set_reg(2, 5);
  load({B(8, 2, 1, 0),            // 0: beq taken -> 8
        addi(3, 0, 1),            // 4: skipped
        B(8, 2, 1, 1),            // 8: bne not taken
        J(8, 4),                  // 12: jal x4 -> 20
        addi(3, 0, 2),            // 16: skipped
        I(7, 4, 0, 5, 0x67)});    // 20: jalr x5, 7(x4) -> (16 + 7) & ~1 = 22? no: x4 = 16
  const uint64_t c0 = core.cycles();
  step(4);
  EXPECT_EQ(core.reg(3), 0u);
  EXPECT_EQ(core.reg(4), kBase + 16);
  EXPECT_EQ(core.reg(5), kBase + 24);
  EXPECT_EQ(core.pc(), (kBase + 16 + 7) & ~1u);
  const CpuParams p = default_cpu_params();
  const uint64_t expect = 2 * p.cycles[static_cast<unsigned>(InsnClass::Branch)] +
                          p.branch_taken_penalty +
                          2 * p.cycles[static_cast<unsigned>(InsnClass::Jump)];
  EXPECT_EQ(core.cycles() - c0, expect);
}

TEST_F(CoreTest, LoadsAndStoresWithSignExtension) {
  core.set_reg(1, kBase + 0x800);
  core.set_reg(2, 0x8081f2f3);
  load({S(0, 2, 1, 2), I(0, 1, 0, 3, 0x03), I(0, 1, 4, 4, 0x03), I(2, 1, 1, 5, 0x03),
        I(2, 1, 5, 6, 0x03), S(-4, 2, 1, 0), I(-4, 1, 2, 7, 0x03), S(-8, 2, 1, 1),
        I(-8, 1, 2, 8, 0x03)});
  step(9);
  EXPECT_EQ(word(kBase + 0x800), 0x8081f2f3u);
  EXPECT_EQ(core.reg(3), 0xfffffff3u);  // lb
  EXPECT_EQ(core.reg(4), 0xf3u);        // lbu
  EXPECT_EQ(core.reg(5), 0xffff8081u);  // lh
  EXPECT_EQ(core.reg(6), 0x8081u);      // lhu
  EXPECT_EQ(core.reg(7), 0xf3u);        // sb then lw
  EXPECT_EQ(core.reg(8), 0xf2f3u);      // sh then lw
}

TEST_F(CoreTest, DeviceAccessGoesThroughTheBusAndCostsItsStall) {
  core.set_reg(1, kDevice);
  core.set_reg(2, 42);
  load({S(0, 2, 1, 2), I(0, 1, 2, 3, 0x03)});
  const uint64_t c0 = core.cycles();
  EXPECT_EQ(step(1), StopReason::Interrupt);  // a device write ends the slice
  step(1);
  EXPECT_EQ(bus.reg, 42u);
  EXPECT_EQ(core.reg(3), 42u);
  EXPECT_EQ(bus.writes, 1u);
  EXPECT_EQ(bus.reads, 1u);
  EXPECT_EQ(core.cycles() - c0, 2u * 2 + 2 * 5);  // 2 cycles each + 5 stall each
}

TEST_F(CoreTest, MultiplyDivideEdgeCases) {
  auto m = [](uint32_t f3, uint32_t rd, uint32_t rs1, uint32_t rs2) { return R(1, rs2, rs1, f3, rd, 0x33); };
  core.set_reg(1, 0x80000000);  // INT_MIN
  core.set_reg(2, 0xffffffff);  // -1
  core.set_reg(3, 0);
  core.set_reg(4, 7);
  load({m(0, 5, 1, 2), m(1, 6, 1, 2), m(2, 7, 1, 2), m(3, 8, 1, 2), m(4, 9, 1, 2),
        m(6, 10, 1, 2), m(4, 11, 4, 3), m(5, 12, 4, 3), m(6, 13, 4, 3), m(7, 14, 4, 3),
        m(4, 15, 2, 4), m(6, 16, 2, 4)});
  step(12);
  EXPECT_EQ(core.reg(5), 0x80000000u);   // mul
  EXPECT_EQ(core.reg(6), 0u);            // mulh(INT_MIN, -1) = 2^31 >> 32
  EXPECT_EQ(core.reg(7), 0x80000000u);   // mulhsu(INT_MIN, 0xffffffff)
  EXPECT_EQ(core.reg(8), 0x7fffffffu);   // mulhu
  EXPECT_EQ(core.reg(9), 0x80000000u);   // div overflow
  EXPECT_EQ(core.reg(10), 0u);           // rem overflow
  EXPECT_EQ(core.reg(11), 0xffffffffu);  // div by zero
  EXPECT_EQ(core.reg(12), 0xffffffffu);  // divu by zero
  EXPECT_EQ(core.reg(13), 7u);           // rem by zero = dividend
  EXPECT_EQ(core.reg(14), 7u);           // remu by zero
  EXPECT_EQ(core.reg(15), 0u);           // -1 / 7
  EXPECT_EQ(core.reg(16), 0xffffffffu);  // -1 % 7
}

TEST(Rv32Decode, CompressedExpandsToItsBaseInstruction) {
  struct Case { uint16_t c; uint32_t full; };
  const Case cases[] = {
      {0x0505, addi(10, 10, 1)},                // c.addi a0, 1
      {0x4515, addi(10, 0, 5)},                 // c.li a0, 5
      {0x6505, U(0x1000, 10, 0x37)},            // c.lui a0, 1
      {0x1141, addi(2, 2, -16)},                // c.addi16sp sp, -16
      {0x0808, addi(10, 2, 16)},                // c.addi4spn a0, sp, 16
      {0x4108, I(0, 10, 2, 10, 0x03)},          // c.lw a0, 0(a0)
      {0xc10c, S(0, 11, 10, 2)},                // c.sw a1, 0(a0)
      {0x4502, I(0, 2, 2, 10, 0x03)},           // c.lwsp a0, 0(sp)
      {0xc02a, S(0, 10, 2, 2)},                 // c.swsp a0, 0(sp)
      {0x852e, R(0, 11, 0, 0, 10, 0x33)},       // c.mv a0, a1
      {0x952e, R(0, 11, 10, 0, 10, 0x33)},      // c.add a0, a1
      {0x8d0d, R(0x20, 11, 10, 0, 10, 0x33)},   // c.sub a0, a1
      {0x8d2d, R(0, 11, 10, 4, 10, 0x33)},      // c.xor a0, a1
      {0x8d4d, R(0, 11, 10, 6, 10, 0x33)},      // c.or a0, a1
      {0x8d6d, R(0, 11, 10, 7, 10, 0x33)},      // c.and a0, a1
      {0x8905, I(1, 10, 7, 10, 0x13)},          // c.andi a0, 1
      {0x8105, I(1, 10, 5, 10, 0x13)},          // c.srli a0, 1
      {0x8505, I(0x400 | 1, 10, 5, 10, 0x13)},  // c.srai a0, 1
      {0x050a, I(2, 10, 1, 10, 0x13)},          // c.slli a0, 2
      {0x8502, I(0, 10, 0, 0, 0x67)},           // c.jr a0
      {0x9502, I(0, 10, 0, 1, 0x67)},           // c.jalr a0
      {0xa001, J(0, 0)},                        // c.j .
      {0x2001, J(0, 1)},                        // c.jal .
      {0xc111, B(4, 0, 10, 0)},                 // c.beqz a0, +4
      {0xe111, B(4, 0, 10, 1)},                 // c.bnez a0, +4
      {0x9002, kEbreak},                        // c.ebreak
  };
  for (const Case& c : cases) {
    const DecodedInsn a = decode(c.c), b = decode(c.full);
    SCOPED_TRACE(::testing::Message() << std::hex << "c = 0x" << c.c);
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.rd, b.rd);
    EXPECT_EQ(a.rs1, b.rs1);
    if (b.op != Op::Lui && b.op != Op::Addi && b.op != Op::Lw && b.op != Op::Jalr &&
        b.op != Op::Andi && b.op != Op::Srli && b.op != Op::Srai && b.op != Op::Slli &&
        b.op != Op::Jal && b.op != Op::Ebreak) {
      EXPECT_EQ(a.rs2, b.rs2);
    }
    EXPECT_EQ(a.imm, b.imm);
    EXPECT_EQ(a.len, 2);
  }
  EXPECT_EQ(decode(0x0000).op, Op::Illegal);  // all-zero halfword is illegal
  EXPECT_EQ(decode(0x2000).op, Op::Illegal);  // c.fld: no D extension
  EXPECT_EQ(decode(0x9c01).op, Op::Illegal);  // c.subw: RV64 only
  EXPECT_EQ(decode(0xffffffff).op, Op::Illegal);
}

TEST_F(CoreTest, CompressedProgramRuns) {
  // c.li a0, 5; c.addi a0, 1; c.mv a1, a0; c.add a1, a0; c.slli a1, 2
  load16({0x4515, 0x0505, 0x85aa, 0x95aa, 0x058a});
  step(5);
  EXPECT_EQ(core.reg(10), 6u);
  EXPECT_EQ(core.reg(11), 48u);
  EXPECT_EQ(core.pc(), kBase + 10);
}

TEST_F(CoreTest, CsrReadWriteAndCounters) {
  core.set_reg(1, 0x1234);
  load({csrrw(2, csr::kMscratch, 1), csrrs(3, csr::kMscratch, 0), csrrs(4, csr::kMinstret, 0),
        csrrs(5, csr::kMisa, 0), I(0x5, 0, 6, 6, 0x73) /* csrrsi x6, mscratch? no: csr 5 */});
  step(4);
  EXPECT_EQ(core.reg(2), 0u);
  EXPECT_EQ(core.reg(3), 0x1234u);
  EXPECT_EQ(core.reg(4), 2u);  // two instructions retired before it
  EXPECT_EQ(core.reg(5) >> 30, 1u);  // MXL = 32
  EXPECT_TRUE(core.reg(5) & (1u << ('C' - 'A')));
  EXPECT_TRUE(core.reg(5) & (1u << ('M' - 'A')));
}

TEST_F(CoreTest, IllegalInstructionWithoutTrapVectorIsFatalAndNamesPcAndInstruction) {
  load({addi(1, 0, 1), 0xffffffff});
  EXPECT_EQ(step(5), StopReason::Fatal);
  const std::string msg = core.fatal_message();
  EXPECT_NE(msg.find("illegal instruction"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0x80000004"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0xffffffff"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mtvec"), std::string::npos) << msg;
}

TEST_F(CoreTest, UnmappedLoadWithoutHandlerNamesTheAddress) {
  core.set_reg(1, 0x00001000);
  load({I(0, 1, 2, 2, 0x03)});
  EXPECT_EQ(step(1), StopReason::Fatal);
  EXPECT_NE(core.fatal_message().find("load access fault"), std::string::npos);
  EXPECT_NE(core.fatal_message().find("0x00001000"), std::string::npos);
}

TEST_F(CoreTest, TrapsSetCauseEpcAndTval) {
  install_handler();
  struct Case { uint32_t insn; uint32_t cause; bool tval_is_addr; };
  core.set_reg(1, kBase + 0x801);   // misaligned
  core.set_reg(2, 0x00002000);      // unmapped
  const Case cases[] = {
      {kEcall, 11, false},
      {kEbreak, 3, false},
      {0x00000000, 2, false},
      {csrrs(3, 0x7c0, 0), 2, false},  // unimplemented CSR
      {I(0, 1, 2, 3, 0x03), 4, true},  // lw misaligned
      {S(0, 3, 1, 2), 6, true},        // sw misaligned
      {I(0, 2, 2, 3, 0x03), 5, true},  // lw unmapped
      {S(0, 3, 2, 2), 7, true},        // sw unmapped
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cause);
    load({c.insn}, 0x100);
    core.set_pc(kBase + 0x100);
    core.flush_decode_cache();
    step(1);
    EXPECT_EQ(core.pc(), kBase + 0x1000);
    EXPECT_EQ(core.mcause(), c.cause);
    EXPECT_EQ(core.mepc(), kBase + 0x100);
    if (c.tval_is_addr) {
      EXPECT_EQ(core.mtval(), c.cause == 5 || c.cause == 7 ? 0x00002000u : kBase + 0x801);
    }
    if (c.cause == 2) {
      EXPECT_EQ(core.mtval(), c.insn);
    }
    EXPECT_EQ(core.priv(), Rv32Core::kPrivM);
  }
}

TEST_F(CoreTest, MretDropsToUserModeAndUserEcallAndCsrPrivilege) {
  install_handler();
  core.set_reg(1, kBase + 0x200);
  core.set_reg(2, 1);  // mcounteren.CY
  load({csrrw(0, csr::kMepc, 1), csrrw(0, csr::kMcounteren, 2), kMret}, 4);  // mstatus.MPP = 0 (U) after reset
  load({csrrs(3, csr::kCycle, 0), csrrs(4, csr::kMscratch, 0)}, 0x200);
  step(3);
  EXPECT_EQ(core.pc(), kBase + 0x200);
  EXPECT_EQ(core.priv(), Rv32Core::kPrivU);
  step(1);  // U-mode may read cycle
  EXPECT_EQ(core.pc(), kBase + 0x204);
  step(1);  // but not mscratch
  EXPECT_EQ(core.mcause(), 2u);
  EXPECT_EQ(core.priv(), Rv32Core::kPrivM);
  EXPECT_EQ((core.mstatus() >> 11) & 3, 0u);  // MPP = U
  // and ecall from U is cause 8
  load({kEcall}, 0x300);
  core.set_reg(1, kBase + 0x300);
  load({csrrw(0, csr::kMepc, 1), kMret}, 0x1000 + 8);
  core.set_pc(kBase + 0x1008);
  core.flush_decode_cache();
  step(3);
  EXPECT_EQ(core.mcause(), 8u);
}

TEST_F(CoreTest, TimerInterruptTakenOnlyWhenEnabled) {
  install_handler();
  core.set_irq_lines(1u << 7);
  EXPECT_FALSE(core.take_interrupt());  // mie = 0
  core.set_reg(1, 1u << 7);
  load({csrrw(0, csr::kMie, 1)}, 4);
  EXPECT_EQ(step(1), StopReason::Interrupt);
  EXPECT_TRUE(core.wake_pending());
  EXPECT_FALSE(core.take_interrupt());  // mstatus.MIE = 0
  core.set_reg(1, 1u << 3);
  load({csrrw(0, csr::kMstatus, 1)}, 8);
  EXPECT_EQ(step(1), StopReason::Interrupt);
  EXPECT_TRUE(core.take_interrupt());
  EXPECT_EQ(core.mcause(), 0x80000007u);
  EXPECT_EQ(core.mepc(), kBase + 12);
  EXPECT_EQ(core.pc(), kBase + 0x1000);
  EXPECT_EQ(core.mstatus() & (1u << 3), 0u);          // MIE cleared
  EXPECT_EQ(core.mstatus() & (1u << 7), 1u << 7);     // MPIE set
}

TEST_F(CoreTest, VectoredInterruptGoesToBasePlusFourTimesCause) {
  core.set_reg(31, kBase + 0x1001);  // vectored mode
  core.set_reg(1, 1u << 3);
  core.set_reg(2, 1u << 3);
  load({csrrw(0, csr::kMtvec, 31), csrrw(0, csr::kMie, 1), csrrw(0, csr::kMstatus, 2)});
  step(3);
  core.set_irq_lines(1u << 3);
  EXPECT_TRUE(core.take_interrupt());
  EXPECT_EQ(core.pc(), kBase + 0x1000 + 4 * 3);
}

TEST_F(CoreTest, WfiStopsTheLoop) {
  load({kWfi});
  EXPECT_EQ(step(5), StopReason::Wfi);
  EXPECT_EQ(core.pc(), kBase + 4);
}

TEST_F(CoreTest, FenceIMakesStoresToCodeVisible) {
  // 0: sw x2, 16(x1)   -> overwrite the instruction at 16
  // 4: fence.i (or nop)
  // 8..: loop back once to 16 via jumps
  core.set_reg(1, kBase);
  core.set_reg(2, addi(5, 0, 2));
  load({addi(5, 0, 1)}, 16);
  load({J(16, 0)}, 20 - 4);  // placeholder overwritten below
  // Program: execute 16 once (x5 = 1), then store new code, then run 16 again.
  load({J(16, 0), 0, 0, 0, addi(5, 0, 1), J(4, 0), S(16, 2, 1, 2), 0x00000013 /* nop */,
        J(-16, 0)});
  // 0 -> 16: x5 = 1; 20 -> 24: store; 28: nop; 32 -> 16: stale x5 = 1
  step(6);
  EXPECT_EQ(core.reg(5), 1u) << "without fence.i the decoded instruction may stay";
  load({kFenceI}, 28);
  core.flush_decode_cache();
  core.set_pc(kBase);
  load({addi(5, 0, 1)}, 16);
  step(6);  // 0, 16, 20, 24 (store), 28 (fence.i), 32
  step(1);  // 16 again: the new instruction
  EXPECT_EQ(core.reg(5), 2u);
}

TEST_F(CoreTest, TohostWriteEndsTheRunWithTheCode) {
  core.set_tohost(kBase + 0x2000);
  core.set_reg(1, kBase + 0x2000);
  core.set_reg(2, (7u << 1) | 1);
  load({S(0, 2, 1, 2)});
  EXPECT_EQ(step(10), StopReason::Exit);
  EXPECT_EQ(core.exit_code(), 7u);
}

TEST_F(CoreTest, CounterWritesAreSeenByLaterReads) {
  core.set_reg(1, 1000);
  load({csrrw(0, csr::kMinstret, 1), csrrs(2, csr::kMinstret, 0), csrrw(0, csr::kMcycle, 1),
        csrrs(3, csr::kMcycle, 0)});
  step(4);
  EXPECT_EQ(core.reg(2), 1000u);
  EXPECT_EQ(core.reg(3), 1000u + default_cpu_params().cycles[static_cast<unsigned>(InsnClass::Csr)]);
}

// The retired-instruction count and cycle at which a timer interrupt is
// taken, with the CPU module's loop reproduced (quantum ends and the timer
// deadline bound each run, interrupts are taken between runs): pinned to the
// values the per-instruction interpreter gave, so any faster engine must stop
// at the same instruction boundaries (straight-line code, taken and untaken
// branches, a jump, loads, stores, mul/div and a device load with its stall).
TEST_F(CoreTest, TimerInterruptTakenAtTheSameInstructionBoundary) {
  const uint32_t mul = R(1, 5, 5, 0, 6, 0x33), divu = R(1, 5, 6, 5, 9, 0x33),
                 xor_ = R(0, 6, 8, 4, 8, 0x33);
  load({csrrs(10, csr::kMinstret, 0), J(0, 0)}, 0x1000);  // handler: x10 = minstret
  load({csrrw(0, csr::kMtvec, 31), csrrw(0, csr::kMie, 1), csrrw(0, csr::kMstatus, 2),
        addi(4, 0, 0),
        /*16*/ I(0, 3, 2, 5, 0x03), addi(5, 5, 3), mul, S(4, 6, 3, 2), I(7, 6, 7, 7, 0x13),
        /*36*/ B(12, 0, 7, 0), xor_, divu,
        /*48*/ addi(4, 4, 1), S(0, 5, 3, 2), I(3, 4, 7, 7, 0x13), B(-44, 0, 7, 1),
        /*64*/ I(0, 12, 2, 11, 0x03), J(-52, 0)});
  core.set_reg(31, kBase + 0x1000);
  core.set_reg(1, 1u << 7);
  core.set_reg(2, 1u << 3);
  core.set_reg(3, kBase + 0x2000);
  core.set_reg(12, kDevice);
  constexpr uint64_t kQuantum = 1000, kDeadline = 23457;
  uint64_t sync = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    core.set_irq_lines(core.cycles() >= kDeadline ? 1u << 7 : 0);
    if (core.take_interrupt()) break;
    uint64_t limit = std::min(sync + kQuantum, kDeadline);
    limit = std::max(limit, core.cycles() + 1);
    const StopReason r = core.run(limit, ~uint64_t{0});
    ASSERT_TRUE(r == StopReason::Limit || r == StopReason::Interrupt);
    if (core.cycles() >= sync + kQuantum || core.cycles() >= limit) sync = core.cycles();
  }
  ASSERT_EQ(core.mcause(), 0x80000007u);
  const uint64_t instret_at_irq = core.instret(), cycles_at_irq = core.cycles();
  const uint32_t mepc = core.mepc();
  step(1);
  EXPECT_EQ(core.reg(10), instret_at_irq);
  // Measured on the per-instruction interpreter before the block engine.
  EXPECT_EQ(instret_at_irq, 5892u);
  EXPECT_EQ(cycles_at_irq, 23464u);
  EXPECT_EQ(mepc, kBase + 48u);
  EXPECT_EQ(bus.reads, 122u);
}

// ---- the block engine: blocks stop exactly where the per-instruction
// definition does (limits, breakpoints), code outside main memory is never
// cached, and the class counts of whole blocks are all there when read.

class PcBreakpoints : public BreakpointSet {
 public:
  std::vector<uint32_t> pcs;
  bool is_breakpoint(uint32_t pc) const override {
    return std::find(pcs.begin(), pcs.end(), pc) != pcs.end();
  }
};

TEST_F(CoreTest, CycleAndInstructionLimitsInsideABlock) {
  // A block of 6 addi then a jump back: run it once to decode and chain it.
  load({addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1),
        addi(5, 5, 1), J(-24, 0)});
  const uint32_t alu = default_cpu_params().cycles[static_cast<unsigned>(InsnClass::Alu)];
  step(7);
  ASSERT_EQ(core.pc(), kBase);
  // A cycle limit that falls inside the block: the instructions that start
  // below it run, the others do not.
  const uint64_t c0 = core.cycles(), i0 = core.instret();
  EXPECT_EQ(core.run(c0 + 2 * alu + 1, ~uint64_t{0}), StopReason::Limit);
  EXPECT_EQ(core.instret() - i0, 3u);
  EXPECT_EQ(core.pc(), kBase + 12);
  // An instruction limit inside the block.
  EXPECT_EQ(core.run(~uint64_t{0}, core.instret() + 2), StopReason::Limit);
  EXPECT_EQ(core.instret() - i0, 5u);
  EXPECT_EQ(core.pc(), kBase + 20);
  EXPECT_EQ(core.reg(5), 11u);
  // And on from the middle of the block, through the jump, to the top again.
  EXPECT_EQ(core.run(~uint64_t{0}, core.instret() + 3), StopReason::Limit);
  EXPECT_EQ(core.pc(), kBase + 4);
  EXPECT_EQ(core.reg(5), 13u);
}

TEST_F(CoreTest, BreakpointInTheMiddleOfADecodedBlock) {
  load({addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1), J(-16, 0)});
  step(10);  // decoded and chained
  ASSERT_EQ(core.pc(), kBase);
  PcBreakpoints bps;
  bps.pcs = {kBase + 8};
  EXPECT_EQ(core.run(~uint64_t{0}, ~uint64_t{0}, &bps), StopReason::Breakpoint);
  EXPECT_EQ(core.pc(), kBase + 8);
  EXPECT_EQ(core.reg(5), 10u);  // 8 before, 2 now: the one at +8 did not run
  core.skip_breakpoint_once();  // resuming steps off it, stops there next time round
  EXPECT_EQ(core.run(~uint64_t{0}, ~uint64_t{0}, &bps), StopReason::Breakpoint);
  EXPECT_EQ(core.pc(), kBase + 8);
  EXPECT_EQ(core.reg(5), 14u);
  // Without breakpoints the decoded block runs whole again.
  EXPECT_EQ(step(5), StopReason::Limit);
  EXPECT_EQ(core.pc(), kBase + 8);
  EXPECT_EQ(core.reg(5), 18u);
}

TEST_F(CoreTest, ClassCountsOfWholeBlocksAddUpWhenRead) {
  const uint32_t mul = R(1, 5, 5, 0, 6, 0x33);
  core.set_reg(3, kBase + 0x2000);
  load({addi(5, 5, 1), mul, S(0, 6, 3, 2), I(0, 3, 2, 7, 0x03), B(-16, 0, 5, 1)});  // bne x5, x0
  for (int i = 0; i < 7; ++i) {
    step(5 * 3 + 1);
    uint64_t sum = 0;
    for (uint64_t c : core.class_counts()) sum += c;
    EXPECT_EQ(sum, core.instret());
  }
  const auto& counts = core.class_counts();
  const uint64_t iters = core.instret() / 5;
  EXPECT_EQ(counts[static_cast<unsigned>(InsnClass::Mul)], iters + (core.instret() % 5 >= 2));
  EXPECT_EQ(counts[static_cast<unsigned>(InsnClass::Store)], iters + (core.instret() % 5 >= 3));
  EXPECT_EQ(counts[static_cast<unsigned>(InsnClass::Branch)], iters);
  core.reset(kBase);  // reset clears them, decoded blocks included
  for (uint64_t c : core.class_counts()) EXPECT_EQ(c, 0u);
}

TEST_F(CoreTest, BlockCacheOverflowFlushesAndKeepsCounting) {
  // 8192 forward branches, each taken to the next: every pc starts a block
  // of up to 64 of them (each with its side exit), so the block pool fills
  // and is flushed again and again while the program runs.
  constexpr uint32_t kN = 8192;
  std::vector<uint32_t> prog(kN, B(4, 0, 0, 0));  // beq x0, x0, +4
  prog.push_back(J(0, 0));
  load(prog);
  EXPECT_EQ(step(kN), StopReason::Limit);
  EXPECT_EQ(core.pc(), kBase + 4 * kN);
  const CpuParams p = default_cpu_params();
  EXPECT_EQ(core.cycles(),
            kN * (p.cycles[static_cast<unsigned>(InsnClass::Branch)] + p.branch_taken_penalty));
  EXPECT_EQ(core.class_counts()[static_cast<unsigned>(InsnClass::Branch)], kN);
  uint64_t sum = 0;
  for (uint64_t c : core.class_counts()) sum += c;
  EXPECT_EQ(sum, kN);
}

// Code outside main memory (here a ROM on the bus) is fetched through the bus
// every time it runs: never decoded into a cached block.
class RomBus : public FakeBus {
 public:
  static constexpr uint32_t kRom = 0x40000000;
  std::vector<uint32_t> rom;
  unsigned fetches = 0;
  bool bus_read(uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) override {
    if (addr - kRom < rom.size() * 4 && len == 2) {
      std::memcpy(data, reinterpret_cast<const uint8_t*>(rom.data()) + (addr - kRom), 2);
      ++fetches;
      cycles += 3;
      return true;
    }
    return FakeBus::bus_read(addr, data, len, cycles);
  }
};

TEST(CoreOutsideRam, CodeOnTheBusIsFetchedEveryTime) {
  RomBus bus;
  std::vector<uint8_t> ram(kSize);
  Rv32Core core(default_cpu_params(), bus);
  core.set_ram(ram.data(), kBase, kSize);
  // ROM: x5 += 1; jalr to RAM + 4. RAM: +4 x6 += 1; +8 j +0; +0 jalr back to
  // the ROM (x7 = its address).
  bus.rom = {addi(5, 5, 1), I(0, 8, 0, 0, 0x67)};  // jalr x0, 0(x8)
  const uint32_t back = I(0, 7, 0, 0, 0x67);        // jalr x0, 0(x7)
  std::memcpy(ram.data(), &back, 4);
  const uint32_t inc = addi(6, 6, 1);
  std::memcpy(ram.data() + 4, &inc, 4);
  const uint32_t jback = J(-8, 0);
  std::memcpy(ram.data() + 8, &jback, 4);
  core.reset(RomBus::kRom);
  core.set_reg(7, RomBus::kRom);
  core.set_reg(8, kBase + 4);
  const uint64_t c0 = core.cycles();
  core.run(~uint64_t{0}, 5 * 3);  // three rounds of rom(2) + ram(3)
  EXPECT_EQ(core.reg(5), 3u);
  EXPECT_EQ(core.reg(6), 3u);
  EXPECT_EQ(bus.fetches, 3u * 2 * 2);  // two halfwords per instruction, every round
  const CpuParams p = default_cpu_params();
  const uint64_t per_round = 2 * p.cycles[static_cast<unsigned>(InsnClass::Alu)] +
                             3 * p.cycles[static_cast<unsigned>(InsnClass::Jump)] + 4 * 3;
  EXPECT_EQ(core.cycles() - c0, 3 * per_round);
  // Main memory gone (DMI invalidated): its code runs through the bus too,
  // which has none there: an instruction access fault, no stale block.
  core.set_ram(nullptr, 0, 0);
  core.set_pc(kBase + 4);
  EXPECT_EQ(core.run(~uint64_t{0}, ~uint64_t{0}), StopReason::Fatal);
  EXPECT_NE(core.fatal_message().find("instruction access fault"), std::string::npos)
      << core.fatal_message();
}

// ---- CSRs the privileged specification asks for with U-mode, and the
// misaligned-access emulation (platform.cpu.misaligned: emulate).

uint32_t csrrc(uint32_t rd, uint32_t csr, uint32_t rs1) { return I(static_cast<int32_t>(csr), rs1, 3, rd, 0x73); }

TEST_F(CoreTest, McounterenGatesTheUserCounters) {
  install_handler();
  EXPECT_EQ(core.mcounteren(), 0u);  // reset: no counter for U-mode
  uint32_t v = 0;
  EXPECT_TRUE(core.csr_write(csr::kMcounteren, 0xffffffffu));
  EXPECT_TRUE(core.csr_read(csr::kMcounteren, v));
  EXPECT_EQ(v, 7u);  // WARL: CY, TM, IR; no hpmcounters (their bits read zero)
  // U-mode: each counter readable iff its bit is set; M-mode always.
  struct Case { uint16_t n; unsigned bit; };
  const Case cases[] = {{csr::kCycle, 0}, {csr::kTime, 1}, {csr::kInstret, 2},
                        {csr::kCycleh, 0}, {csr::kTimeh, 1}, {csr::kInstreth, 2}};
  for (const uint32_t en : {0u, 1u, 2u, 4u, 7u}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::to_string(en) + " " + std::to_string(c.n));
      ASSERT_EQ(core.priv(), Rv32Core::kPrivM);
      ASSERT_TRUE(core.csr_write(csr::kMcounteren, en));
      EXPECT_TRUE(core.csr_read(c.n, v));
      core.set_reg(10, kBase + 0x200);
      core.set_reg(11, 3u << 11);  // MPP
      load({csrrc(0, csr::kMstatus, 11), csrrw(0, csr::kMepc, 10), kMret}, 0x100);
      load({csrrs(5, c.n, 0), kEcall}, 0x200);
      core.set_pc(kBase + 0x100);
      core.flush_decode_cache();
      step(3);
      ASSERT_EQ(core.priv(), Rv32Core::kPrivU);
      step(1);
      const bool enabled = (en >> c.bit) & 1;
      if (enabled) {
        EXPECT_EQ(core.pc(), kBase + 0x204);
        step(1);  // ecall: back to M
      } else {
        EXPECT_EQ(core.pc(), kBase + 0x1000);
        EXPECT_EQ(core.mcause(), 2u);
        EXPECT_EQ(core.mtval(), csrrs(5, c.n, 0));
      }
      EXPECT_EQ(core.priv(), Rv32Core::kPrivM);
    }
  }
  // Enabled or not, a counter is read-only, and U-mode has no hpmcounters.
  for (const uint32_t insn : {csrrw(0, csr::kCycle, 0), csrrs(5, 0xC03, 0)}) {
    core.set_reg(10, kBase + 0x200);
    load({csrrc(0, csr::kMstatus, 11), csrrw(0, csr::kMepc, 10), kMret}, 0x100);
    load({insn}, 0x200);
    core.set_pc(kBase + 0x100);
    core.flush_decode_cache();
    step(4);
    EXPECT_EQ(core.mcause(), 2u);
    EXPECT_EQ(core.mepc(), kBase + 0x200);
  }
}

TEST_F(CoreTest, MachineCsrsOfTheSpecAndThoseLeftOut) {
  uint32_t v = 1;
  // Exist: read-only zero, writes ignored.
  for (const uint16_t n : {csr::kMstatush, csr::kMenvcfg, csr::kMenvcfgh, csr::kMhpmcounter3,
                           csr::kMhpmcounter31, csr::kMhpmcounter3h, csr::kMhpmcounter31h,
                           csr::kMhpmevent3, csr::kMhpmevent31, csr::kTselect, csr::kTdata1,
                           csr::kTdata2}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(core.csr_write(n, 0xffffffffu));
    v = 1;
    EXPECT_TRUE(core.csr_read(n, v));
    EXPECT_EQ(v, 0u);
  }
  EXPECT_TRUE(core.csr_read(csr::kMconfigptr, v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(core.csr_write(csr::kMconfigptr, 0));  // read-only
  EXPECT_TRUE(core.csr_read(csr::kTinfo, v));
  EXPECT_EQ(v, 1u);  // trigger type 0 only: no triggers
  // Absent: no S-mode (medeleg, mideleg, sstatus, satp), no PMP, no
  // mcountinhibit (optional), no Zihpm (hpmcounter3).
  for (const uint16_t n : {0x302, 0x303, 0x100, 0x180, 0x3A0, 0x3B0, 0x320, 0xC03, 0x7C0}) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(core.csr_read(n, v));
  }
  // mstatus: MIE, MPIE, MPP (M or U), MPRV, TW.
  EXPECT_TRUE(core.csr_write(csr::kMstatus, 0xffffffffu));
  EXPECT_EQ(core.mstatus(), kMstatusMie | kMstatusMpie | kMstatusMpp | kMstatusMprv | kMstatusTw);
  EXPECT_TRUE(core.csr_write(csr::kMstatus, 1u << kMstatusMppShift));  // MPP = S: not supported
  EXPECT_EQ(core.mstatus(), 0u);
}

TEST_F(CoreTest, MretToUserClearsMprvAndTwMakesUserWfiIllegal) {
  install_handler();
  // mret to M keeps MPRV; mret to U clears it.
  load({kMret}, 0x100);
  load({kMret}, 0x104);
  ASSERT_TRUE(core.csr_write(csr::kMstatus, kMstatusMprv | kMstatusMpp));
  ASSERT_TRUE(core.csr_write(csr::kMepc, kBase + 0x104));
  core.set_pc(kBase + 0x100);
  step(1);
  EXPECT_EQ(core.priv(), Rv32Core::kPrivM);
  EXPECT_TRUE(core.mstatus() & kMstatusMprv);
  ASSERT_TRUE(core.csr_write(csr::kMstatus, kMstatusMprv));  // MPP = U, TW = 0
  ASSERT_TRUE(core.csr_write(csr::kMepc, kBase + 0x200));
  load({kWfi, kEcall}, 0x200);
  step(1);
  EXPECT_EQ(core.priv(), Rv32Core::kPrivU);
  EXPECT_FALSE(core.mstatus() & kMstatusMprv);
  // TW = 0: U-mode wfi waits as in M-mode (there is no S-mode).
  EXPECT_EQ(step(1), StopReason::Wfi);
  EXPECT_EQ(core.pc(), kBase + 0x204);
  step(1);  // ecall
  EXPECT_EQ(core.mcause(), 8u);
  // TW = 1: illegal.
  ASSERT_TRUE(core.csr_write(csr::kMstatus, kMstatusTw));
  ASSERT_TRUE(core.csr_write(csr::kMepc, kBase + 0x200));
  core.set_pc(kBase + 0x104);
  step(2);
  EXPECT_EQ(core.mcause(), 2u);
  EXPECT_EQ(core.mepc(), kBase + 0x200);
  EXPECT_EQ(core.mtval(), kWfi);
  EXPECT_EQ(core.pc(), kBase + 0x1000);
}

class EmulatingCoreTest : public CoreTest {
 protected:
  static CpuParams emulating() {
    CpuParams p = default_cpu_params();
    p.misaligned = MisalignedAccess::Emulate;
    return p;
  }
  EmulatingCoreTest() : CoreTest(emulating()) {}
  const uint32_t load_cycles = default_cpu_params().cycles[static_cast<unsigned>(InsnClass::Load)];
  const uint32_t store_cycles = default_cpu_params().cycles[static_cast<unsigned>(InsnClass::Store)];
};

TEST_F(EmulatingCoreTest, MisalignedLoadsAndStoresInRamCompleteAndCostTheirPieces) {
  for (unsigned i = 0; i < 16; ++i) ram[0x800 + i] = static_cast<uint8_t>(0x80 + i);
  core.set_reg(1, kBase + 0x800);
  load({addi(9, 0, 1), I(1, 1, 2, 2, 0x03), I(2, 1, 2, 3, 0x03), I(3, 1, 2, 4, 0x03),
        I(1, 1, 1, 5, 0x03), I(3, 1, 5, 6, 0x03), I(5, 1, 0, 7, 0x03), addi(9, 9, 1)});
  const uint64_t c0 = core.cycles();
  step(8);
  EXPECT_EQ(core.reg(2), 0x84838281u);  // lw at +1: byte, halfword, byte
  EXPECT_EQ(core.reg(3), 0x85848382u);  // lw at +2: two halfwords
  EXPECT_EQ(core.reg(4), 0x86858483u);  // lw at +3: byte, halfword, byte
  EXPECT_EQ(core.reg(5), 0xffff8281u);  // lh at +1 (sign-extended): two bytes
  EXPECT_EQ(core.reg(6), 0x8483u);      // lhu at +3: two bytes
  EXPECT_EQ(core.reg(7), 0xffffff85u);  // lb: never misaligned
  EXPECT_EQ(core.reg(9), 2u);
  EXPECT_EQ(core.instret(), 8u);
  EXPECT_EQ(core.cycles() - c0, 2 * 1 + (3 + 2 + 3 + 2 + 2 + 1) * load_cycles);
  EXPECT_EQ(core.class_counts()[static_cast<unsigned>(InsnClass::Load)], 6u);

  core.set_reg(8, kBase + 0x900);
  core.set_reg(10, 0x11223344);
  load({S(1, 10, 8, 2), S(7, 10, 8, 1), S(0xe, 10, 8, 2)}, 0x100);
  core.set_pc(kBase + 0x100);
  const uint64_t c1 = core.cycles();
  step(3);
  EXPECT_EQ(word(kBase + 0x900), 0x22334400u);
  EXPECT_EQ(word(kBase + 0x904), 0x44000011u);
  EXPECT_EQ(word(kBase + 0x908), 0x00000033u);
  EXPECT_EQ(word(kBase + 0x90c), 0x33440000u);
  EXPECT_EQ(word(kBase + 0x910), 0x00001122u);
  EXPECT_EQ(core.cycles() - c1, (3 + 2 + 2) * store_cycles);
  EXPECT_EQ(core.instret(), 11u);
}

TEST_F(EmulatingCoreTest, MisalignedAccessCrossingOutOfRamFaultsAtThePieceOutside) {
  install_handler();
  core.set_reg(11, kBase + kSize - 2);
  core.set_reg(10, 0x11223344);
  core.set_reg(12, 0x5a5a);
  load({I(0, 11, 2, 12, 0x03)}, 0x100);  // lw x12, 0(x11)
  core.set_pc(kBase + 0x100);
  step(1);
  EXPECT_EQ(core.mcause(), 5u);  // load access fault
  EXPECT_EQ(core.mtval(), kBase + kSize);
  EXPECT_EQ(core.mepc(), kBase + 0x100);
  EXPECT_EQ(core.reg(12), 0x5a5au);
  load({S(0, 10, 11, 2)}, 0x100);  // sw x10, 0(x11)
  core.set_pc(kBase + 0x100);
  core.flush_decode_cache();
  step(1);
  EXPECT_EQ(core.mcause(), 7u);  // store access fault
  EXPECT_EQ(core.mtval(), kBase + kSize);
  EXPECT_EQ(ram[kSize - 2], 0u);  // the piece in RAM was not written
  EXPECT_EQ(ram[kSize - 1], 0u);
  // A device that only takes whole words: the first piece faults.
  core.set_reg(13, kDevice + 1);
  load({I(0, 13, 2, 12, 0x03)}, 0x100);
  core.set_pc(kBase + 0x100);
  core.flush_decode_cache();
  step(1);
  EXPECT_EQ(core.mcause(), 5u);
  EXPECT_EQ(core.mtval(), kDevice + 1);
  EXPECT_EQ(bus.reads, 0u);
}

TEST_F(EmulatingCoreTest, MisalignedDeviceAccessGoesOutAsAlignedPieces) {
  core.set_reg(13, kByteDevice + 1);
  core.set_reg(10, 0x11223344);
  load({S(0, 10, 13, 2), I(0, 13, 2, 14, 0x03), I(2, 13, 5, 15, 0x03)});
  const uint64_t c0 = core.cycles();
  EXPECT_EQ(step(1), StopReason::Interrupt);  // a device write: re-check
  EXPECT_EQ(core.cycles() - c0, 3 * (store_cycles + 5));
  const std::vector<std::pair<uint32_t, unsigned>> pieces = {
      {kByteDevice + 1, 1}, {kByteDevice + 2, 2}, {kByteDevice + 4, 1}};
  EXPECT_EQ(bus.byte_accesses, pieces);
  EXPECT_EQ(bus.bytes[1], 0x44);
  EXPECT_EQ(bus.bytes[4], 0x11);
  step(2);
  EXPECT_EQ(core.reg(14), 0x11223344u);
  EXPECT_EQ(core.reg(15), 0x1122u);  // lhu at +3: bytes 3 and 4
  EXPECT_EQ(core.pc(), kBase + 12);
  EXPECT_EQ(core.instret(), 3u);
}

// CpuBus::continue_run: a bus that lets the run go on at every quantum end
// must see the same quantum ends (their cycle counts), and leave the same
// state, as the CPU thread that stops the core at each and starts it again.
// The loop crosses its quantum ends mid-block, with a forward branch inside
// the block (a side exit before the crossing), RAM loads and stores and,
// in one variant, a device read in the block (which cancels a pass decided
// for a block that has not reached the crossing yet).
class QuantumBus : public FakeBus {
 public:
  bool go_on = false;
  uint64_t quantum = 0, last = 0;
  std::vector<uint64_t> ends;  // the quantum ends passed, in cycles
  uint64_t continue_run(uint64_t cycles) override {
    return go_on && cycles >= last + quantum ? cycles + quantum : 0;
  }
  void quantum_passed(uint64_t cycles) override {
    ends.push_back(cycles);
    last = cycles;
  }
};

struct QuantumRun {
  std::vector<uint64_t> ends;
  uint64_t cycles, instret;
  uint32_t pc, acc;
  std::vector<uint8_t> ram;
};

QuantumRun run_in_quanta(bool go_on, bool device_read, uint64_t quantum, uint64_t instructions) {
  QuantumBus bus;
  bus.go_on = go_on;
  bus.quantum = quantum;
  std::vector<uint8_t> ram(kSize);
  Rv32Core core(default_cpu_params(), bus);
  core.set_ram(ram.data(), kBase, kSize);
  core.reset(kBase);
  for (uint32_t i = 0; i < 1024; ++i) {  // the array at kBase + 0x2000: i * 7
    const uint32_t v = i * 7;
    std::memcpy(ram.data() + 0x2000 + 4 * i, &v, 4);
  }
  const uint32_t dev = device_read ? I(0, 7, 2, 6, 0x03) : addi(6, 6, 1);  // lw x6, 0(x7) or addi
  const std::vector<uint32_t> prog = {
      U(kBase + 0x2000, 1, 0x37),  // 0: lui x1, array
      addi(2, 0, 1024),            // 4: x2 = count
      U(kDevice, 7, 0x37),         // 8: lui x7, device
      I(0, 1, 2, 4, 0x03),         // 12 loop: lw x4, 0(x1)
      I(1, 4, 7, 5, 0x13),         // 16: andi x5, x4, 1
      B(8, 0, 5, 0),               // 20: beq x5, x0, +8 (skip)
      R(0, 4, 3, 0, 3, 0x33),      // 24: add x3, x3, x4
      dev,                         // 28 skip: the device read, or addi x6, x6, 1
      S(0, 3, 1, 2),               // 32: sw x3, 0(x1)
      addi(1, 1, 4),               // 36
      addi(2, 2, -1),              // 40
      B(-32, 0, 2, 1),             // 44: bne x2, x0, loop
      J(-44, 0),                   // 48: j 4 (again, from x2 = 1024)
  };
  std::memcpy(ram.data(), prog.data(), prog.size() * 4);
  // The CPU thread's loop (Rv32Cpu::thread), without interrupts.
  uint64_t last = 0;
  while (core.instret() < instructions) {
    const StopReason r = core.run(std::max(last + quantum, core.cycles() + 1), instructions);
    EXPECT_TRUE(r == StopReason::Limit || r == StopReason::Interrupt);
    last = std::max(last, bus.last);  // passed inside the run
    if (core.cycles() >= last + quantum) {
      bus.quantum_passed(core.cycles());
      last = core.cycles();
    }
  }
  return {bus.ends, core.cycles(), core.instret(), core.pc(), core.reg(3), ram};
}

TEST(QuantumEnds, GoingOnInsideTheCoreGivesTheSameQuantumEndsAndState) {
  for (const bool device : {false, true})
    for (const uint64_t quantum : {7u, 37u, 100u, 1000u}) {
      const QuantumRun stop = run_in_quanta(false, device, quantum, 40000);
      const QuantumRun go = run_in_quanta(true, device, quantum, 40000);
      SCOPED_TRACE("device read " + std::to_string(device) + ", quantum " + std::to_string(quantum));
      EXPECT_GT(stop.ends.size(), 40000 / (quantum * 3));
      EXPECT_EQ(go.ends, stop.ends);
      EXPECT_EQ(go.cycles, stop.cycles);
      EXPECT_EQ(go.instret, stop.instret);
      EXPECT_EQ(go.pc, stop.pc);
      EXPECT_EQ(go.acc, stop.acc);
      EXPECT_TRUE(go.ram == stop.ram);
    }
}

}  // namespace
