#include "models/cpu/rv32_decode.hpp"

#include <cstddef>

namespace imcvp {
namespace {

constexpr uint32_t bits(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}
constexpr int32_t sext(uint32_t v, unsigned width) {
  const uint32_t m = 1u << (width - 1);
  return static_cast<int32_t>((v ^ m) - m);
}

InsnClass class_of(Op op) {
  switch (op) {
    case Op::Mul: case Op::Mulh: case Op::Mulhsu: case Op::Mulhu: return InsnClass::Mul;
    case Op::Div: case Op::Divu: case Op::Rem: case Op::Remu: return InsnClass::Div;
    case Op::Lb: case Op::Lh: case Op::Lw: case Op::Lbu: case Op::Lhu: return InsnClass::Load;
    case Op::Sb: case Op::Sh: case Op::Sw: return InsnClass::Store;
    case Op::Beq: case Op::Bne: case Op::Blt: case Op::Bge: case Op::Bltu: case Op::Bgeu:
      return InsnClass::Branch;
    case Op::Jal: case Op::Jalr: return InsnClass::Jump;
    case Op::Csrrw: case Op::Csrrs: case Op::Csrrc: case Op::Csrrwi: case Op::Csrrsi:
    case Op::Csrrci: return InsnClass::Csr;
    case Op::Fence: case Op::FenceI: case Op::Ecall: case Op::Ebreak: case Op::Mret:
    case Op::Wfi: case Op::Illegal: return InsnClass::System;
    default: return InsnClass::Alu;
  }
}

DecodedInsn make(uint32_t raw, unsigned len, Op op, unsigned rd = 0, unsigned rs1 = 0,
                 unsigned rs2 = 0, int32_t imm = 0) {
  DecodedInsn d;
  d.raw = raw;
  d.imm = imm;
  d.op = op;
  d.rd = rd == 0 ? kSinkReg : static_cast<uint8_t>(rd);
  d.rs1 = static_cast<uint8_t>(rs1);
  d.rs2 = static_cast<uint8_t>(rs2);
  d.len = static_cast<uint8_t>(len);
  d.cls = class_of(op);
  return d;
}

DecodedInsn illegal(uint32_t raw, unsigned len) { return make(raw, len, Op::Illegal); }

DecodedInsn decode32(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), f3 = bits(r, 14, 12), rs1 = bits(r, 19, 15),
                 rs2 = bits(r, 24, 20), f7 = bits(r, 31, 25);
  const int32_t imm_i = static_cast<int32_t>(r) >> 20;
  const int32_t imm_s = static_cast<int32_t>(r & 0xfe000000u) >> 20 | static_cast<int32_t>(bits(r, 11, 7));
  const int32_t imm_b = sext(bits(r, 31, 31) << 12 | bits(r, 7, 7) << 11 | bits(r, 30, 25) << 5 |
                                 bits(r, 11, 8) << 1, 13);
  const int32_t imm_u = static_cast<int32_t>(r & 0xfffff000u);
  const int32_t imm_j = sext(bits(r, 31, 31) << 20 | bits(r, 19, 12) << 12 | bits(r, 20, 20) << 11 |
                                 bits(r, 30, 21) << 1, 21);
  switch (r & 0x7f) {
    case 0x37: return make(r, 4, Op::Lui, rd, 0, 0, imm_u);
    case 0x17: return make(r, 4, Op::Auipc, rd, 0, 0, imm_u);
    case 0x6f: return make(r, 4, Op::Jal, rd, 0, 0, imm_j);
    case 0x67:
      if (f3 != 0) break;
      return make(r, 4, Op::Jalr, rd, rs1, 0, imm_i);
    case 0x63: {
      static constexpr Op ops[8] = {Op::Beq, Op::Bne, Op::Illegal, Op::Illegal,
                                    Op::Blt, Op::Bge, Op::Bltu, Op::Bgeu};
      if (ops[f3] == Op::Illegal) break;
      return make(r, 4, ops[f3], 0, rs1, rs2, imm_b);
    }
    case 0x03: {
      static constexpr Op ops[8] = {Op::Lb, Op::Lh, Op::Lw, Op::Illegal,
                                    Op::Lbu, Op::Lhu, Op::Illegal, Op::Illegal};
      if (ops[f3] == Op::Illegal) break;
      return make(r, 4, ops[f3], rd, rs1, 0, imm_i);
    }
    case 0x23: {
      static constexpr Op ops[8] = {Op::Sb, Op::Sh, Op::Sw, Op::Illegal,
                                    Op::Illegal, Op::Illegal, Op::Illegal, Op::Illegal};
      if (ops[f3] == Op::Illegal) break;
      return make(r, 4, ops[f3], 0, rs1, rs2, imm_s);
    }
    case 0x13:
      switch (f3) {
        case 0: return make(r, 4, Op::Addi, rd, rs1, 0, imm_i);
        case 2: return make(r, 4, Op::Slti, rd, rs1, 0, imm_i);
        case 3: return make(r, 4, Op::Sltiu, rd, rs1, 0, imm_i);
        case 4: return make(r, 4, Op::Xori, rd, rs1, 0, imm_i);
        case 6: return make(r, 4, Op::Ori, rd, rs1, 0, imm_i);
        case 7: return make(r, 4, Op::Andi, rd, rs1, 0, imm_i);
        case 1:
          if (f7 != 0) break;
          return make(r, 4, Op::Slli, rd, rs1, 0, static_cast<int32_t>(rs2));
        case 5:
          if (f7 == 0) return make(r, 4, Op::Srli, rd, rs1, 0, static_cast<int32_t>(rs2));
          if (f7 == 0x20) return make(r, 4, Op::Srai, rd, rs1, 0, static_cast<int32_t>(rs2));
          break;
      }
      break;
    case 0x33: {
      static constexpr Op base[8] = {Op::Add, Op::Sll, Op::Slt, Op::Sltu,
                                     Op::Xor, Op::Srl, Op::Or, Op::And};
      static constexpr Op muldiv[8] = {Op::Mul, Op::Mulh, Op::Mulhsu, Op::Mulhu,
                                       Op::Div, Op::Divu, Op::Rem, Op::Remu};
      if (f7 == 0) return make(r, 4, base[f3], rd, rs1, rs2);
      if (f7 == 1) return make(r, 4, muldiv[f3], rd, rs1, rs2);
      if (f7 == 0x20 && f3 == 0) return make(r, 4, Op::Sub, rd, rs1, rs2);
      if (f7 == 0x20 && f3 == 5) return make(r, 4, Op::Sra, rd, rs1, rs2);
      break;
    }
    case 0x0f:
      if (f3 == 0) return make(r, 4, Op::Fence);
      if (f3 == 1) return make(r, 4, Op::FenceI);
      break;
    case 0x73: {
      const int32_t csr = static_cast<int32_t>(bits(r, 31, 20));
      switch (f3) {
        case 0:
          if (r == 0x00000073) return make(r, 4, Op::Ecall);
          if (r == 0x00100073) return make(r, 4, Op::Ebreak);
          if (r == 0x30200073) return make(r, 4, Op::Mret);
          if (r == 0x10500073) return make(r, 4, Op::Wfi);
          break;
        case 1: return make(r, 4, Op::Csrrw, rd, rs1, 0, csr);
        case 2: return make(r, 4, Op::Csrrs, rd, rs1, 0, csr);
        case 3: return make(r, 4, Op::Csrrc, rd, rs1, 0, csr);
        case 5: return make(r, 4, Op::Csrrwi, rd, rs1, 0, csr);
        case 6: return make(r, 4, Op::Csrrsi, rd, rs1, 0, csr);
        case 7: return make(r, 4, Op::Csrrci, rd, rs1, 0, csr);
      }
      break;
    }
  }
  return illegal(r, 4);
}

// Compressed instructions (RVC, RV32 subset without F/D).
DecodedInsn decode16(uint32_t r) {
  r &= 0xffff;
  const unsigned f3 = bits(r, 15, 13);
  const unsigned rdp = bits(r, 4, 2) + 8, rs1p = bits(r, 9, 7) + 8;  // x8..x15
  const unsigned rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);
  const int32_t imm6 = sext(bits(r, 12, 12) << 5 | bits(r, 6, 2), 6);
  const uint32_t lw_off = bits(r, 12, 10) << 3 | bits(r, 6, 6) << 2 | bits(r, 5, 5) << 6;
  switch (r & 3) {
    case 0:
      switch (f3) {
        case 0: {  // c.addi4spn
          const uint32_t nz = bits(r, 12, 11) << 4 | bits(r, 10, 7) << 6 | bits(r, 6, 6) << 2 |
                              bits(r, 5, 5) << 3;
          if (nz == 0) break;
          return make(r, 2, Op::Addi, rdp, 2, 0, static_cast<int32_t>(nz));
        }
        case 2: return make(r, 2, Op::Lw, rdp, rs1p, 0, static_cast<int32_t>(lw_off));
        case 6: return make(r, 2, Op::Sw, 0, rs1p, rdp, static_cast<int32_t>(lw_off));
      }
      break;
    case 1:
      switch (f3) {
        case 0: return make(r, 2, Op::Addi, rd, rd, 0, imm6);  // c.addi / c.nop
        case 1:
        case 5: {  // c.jal / c.j
          const int32_t off = sext(bits(r, 12, 12) << 11 | bits(r, 11, 11) << 4 |
                                       bits(r, 10, 9) << 8 | bits(r, 8, 8) << 10 |
                                       bits(r, 7, 7) << 6 | bits(r, 6, 6) << 7 |
                                       bits(r, 5, 3) << 1 | bits(r, 2, 2) << 5, 12);
          return make(r, 2, Op::Jal, f3 == 1 ? 1 : 0, 0, 0, off);
        }
        case 2: return make(r, 2, Op::Addi, rd, 0, 0, imm6);  // c.li
        case 3:
          if (rd == 2) {  // c.addi16sp
            const int32_t nz = sext(bits(r, 12, 12) << 9 | bits(r, 6, 6) << 4 | bits(r, 5, 5) << 6 |
                                        bits(r, 4, 3) << 7 | bits(r, 2, 2) << 5, 10);
            if (nz == 0) break;
            return make(r, 2, Op::Addi, 2, 2, 0, nz);
          } else {  // c.lui
            const int32_t nz = sext(bits(r, 12, 12) << 17 | bits(r, 6, 2) << 12, 18);
            if (nz == 0) break;
            return make(r, 2, Op::Lui, rd, 0, 0, nz);
          }
        case 4: {
          const unsigned f2 = bits(r, 11, 10);
          if (f2 == 0 || f2 == 1) {  // c.srli / c.srai
            if (bits(r, 12, 12)) break;  // shamt[5] = 1 is RV64 only
            return make(r, 2, f2 == 0 ? Op::Srli : Op::Srai, rs1p, rs1p, 0,
                        static_cast<int32_t>(bits(r, 6, 2)));
          }
          if (f2 == 2) return make(r, 2, Op::Andi, rs1p, rs1p, 0, imm6);
          if (bits(r, 12, 12)) break;  // c.subw / c.addw: RV64 only
          static constexpr Op ops[4] = {Op::Sub, Op::Xor, Op::Or, Op::And};
          return make(r, 2, ops[bits(r, 6, 5)], rs1p, rs1p, rdp);
        }
        case 6:
        case 7: {  // c.beqz / c.bnez
          const int32_t off = sext(bits(r, 12, 12) << 8 | bits(r, 11, 10) << 3 |
                                       bits(r, 6, 5) << 6 | bits(r, 4, 3) << 1 |
                                       bits(r, 2, 2) << 5, 9);
          return make(r, 2, f3 == 6 ? Op::Beq : Op::Bne, 0, rs1p, 0, off);
        }
      }
      break;
    case 2:
      switch (f3) {
        case 0:  // c.slli
          if (bits(r, 12, 12)) break;
          return make(r, 2, Op::Slli, rd, rd, 0, static_cast<int32_t>(rs2));
        case 2: {  // c.lwsp
          if (rd == 0) break;
          const uint32_t off = bits(r, 12, 12) << 5 | bits(r, 6, 4) << 2 | bits(r, 3, 2) << 6;
          return make(r, 2, Op::Lw, rd, 2, 0, static_cast<int32_t>(off));
        }
        case 4:
          if (!bits(r, 12, 12)) {
            if (rs2 == 0) {  // c.jr
              if (rd == 0) break;
              return make(r, 2, Op::Jalr, 0, rd, 0, 0);
            }
            return make(r, 2, Op::Add, rd, 0, rs2);  // c.mv
          }
          if (rd == 0 && rs2 == 0) return make(r, 2, Op::Ebreak);
          if (rs2 == 0) return make(r, 2, Op::Jalr, 1, rd, 0, 0);  // c.jalr
          return make(r, 2, Op::Add, rd, rd, rs2);                  // c.add
        case 6: {  // c.swsp
          const uint32_t off = bits(r, 12, 9) << 2 | bits(r, 8, 7) << 6;
          return make(r, 2, Op::Sw, 0, 2, rs2, static_cast<int32_t>(off));
        }
      }
      break;
  }
  return illegal(r, 2);
}

}  // namespace

DecodedInsn decode(uint32_t raw) {
  return (raw & 3) == 3 ? decode32(raw) : decode16(raw);
}

const char* op_name(Op op) {
  static constexpr const char* names[] = {
      "illegal", "lui", "auipc", "jal", "jalr", "beq", "bne", "blt", "bge", "bltu", "bgeu",
      "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw", "addi", "slti", "sltiu", "xori",
      "ori", "andi", "slli", "srli", "srai", "add", "sub", "sll", "slt", "sltu", "xor",
      "srl", "sra", "or", "and", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem",
      "remu", "fence", "fence.i", "ecall", "ebreak", "mret", "wfi", "csrrw", "csrrs",
      "csrrc", "csrrwi", "csrrsi", "csrrci"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<size_t>(Op::Count));
  return names[static_cast<size_t>(op)];
}

}  // namespace imcvp
