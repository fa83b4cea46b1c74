// RV32IMC + Zicsr + Zifencei decoder. Compressed instructions expand to the
// operation of their 32-bit equivalent, so the executor sees one form.
#pragma once
#include <cstdint>

#include "models/cpu/cpu_params.hpp"

namespace imcvp {

enum class Op : uint8_t {
  Illegal,
  Lui, Auipc, Jal, Jalr,
  Beq, Bne, Blt, Bge, Bltu, Bgeu,
  Lb, Lh, Lw, Lbu, Lhu, Sb, Sh, Sw,
  Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai,
  Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And,
  Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu,
  Fence, FenceI, Ecall, Ebreak, Mret, Wfi,
  Csrrw, Csrrs, Csrrc, Csrrwi, Csrrsi, Csrrci,
  Count
};

// Register index that absorbs writes to x0: decode maps rd = 0 here, so the
// executor writes unconditionally and x0 stays zero.
constexpr uint8_t kSinkReg = 32;

struct DecodedInsn {
  uint32_t raw;    // instruction bits (a compressed one in the low half)
  int32_t imm;     // immediate; CSR number for CSR ops; zimm in rs1 for *i CSR ops
  Op op;
  uint8_t rd;      // kSinkReg when the instruction writes x0
  uint8_t rs1;
  uint8_t rs2;
  uint8_t len;     // 2 or 4 bytes
  InsnClass cls;
};

// Decodes one instruction. `raw` holds 32 bits starting at the pc; when its
// low two bits are not 0b11 only the low 16 bits are used (compressed).
DecodedInsn decode(uint32_t raw);

// Length in bytes of the instruction whose first halfword is `lo16`.
inline unsigned insn_length(uint32_t lo16) { return (lo16 & 3) == 3 ? 4 : 2; }

const char* op_name(Op op);

}  // namespace imcvp
