#include "models/cpu/cpu_params.hpp"

namespace imcvp {

// Defaults and their sources.
//
// Cycles per instruction class follow the lowRISC Ibex RV32IMC core's
// documented pipeline latencies ("Pipeline Details" table of the Ibex
// documentation, single-cycle multiplier option excluded): integer ALU and
// CSR 1 cycle, loads and stores 2 cycles with a single-cycle memory, taken
// branches 1 + 2 cycles (penalty 2), jumps 2 cycles, the fast multiplier 3
// cycles for MULH*, (used for every mul here), the long-division divider 37
// cycles, and ecall/ebreak/mret/wfi 3 cycles of pipeline flush.
//
// Energy per instruction uses M. Horowitz, "Computing's energy problem (and
// what we can do about it)", ISSCC 2014, 45 nm: an in-order core spends about
// 70 pJ per instruction on fetch, decode, register file and control, while a
// 32-bit add costs 0.1 pJ and a 32-bit multiply 3.1 pJ; an 8 KB SRAM access
// costs about 10 pJ (charged to loads and stores). A divide is charged as its
// 37 cycles of iterative subtract-and-shift plus the instruction overhead.
// Sleep power (clock-gated core in wfi) is 1% of the active power of 70 pJ at
// 100 MHz = 7 mW, so 0.07 mW.
CpuParams default_cpu_params() {
  CpuParams p{};
  auto set = [&p](InsnClass c, uint32_t cycles, double pj) {
    p.cycles[static_cast<unsigned>(c)] = cycles;
    p.energy_pj[static_cast<unsigned>(c)] = pj;
  };
  set(InsnClass::Alu, 1, 70.1);
  set(InsnClass::Mul, 3, 73.1);
  set(InsnClass::Div, 37, 70.0 + 37 * 0.1);
  set(InsnClass::Load, 2, 80.0);
  set(InsnClass::Store, 2, 80.0);
  set(InsnClass::Branch, 1, 70.1);
  set(InsnClass::Jump, 2, 70.1);
  set(InsnClass::Csr, 1, 70.0);
  set(InsnClass::System, 3, 70.0);
  p.branch_taken_penalty = 2;
  p.sleep_power_mw = 0.07;
  return p;
}

}  // namespace imcvp
