// The parameters of the SRAM compensation macro (SramCompensation, the
// hybrid RRAM/SRAM technique) and their table, read from the scenario's
// accelerator.tile.sram_comp section (docs/scenario.md). No SystemC here:
// the scenario loader includes it.
//
// Sources cited:
//   [Krishnan] G. Krishnan et al., "Hybrid RRAM/SRAM In-Memory Computing for
//              Robust DNN Acceleration", IEEE TCAD 2022 (Sec. III-D, the 65 nm
//              test chip: a 32 x 64-bit SRAM with a 16-bit read word and 16
//              output-stationary PEs beside each 64 x 64 RRAM macro, 100 MHz).
//   [Horowitz] M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
//              8 KB SRAM 64-bit read ~10 pJ; 8-bit multiply 0.2 pJ; 32-bit
//              add 0.1 pJ.
//   [NeuroSim] X. Peng et al., DNN+NeuroSim V1.3 (Param.cpp): SRAM cell
//              7.69 F x 23.23 F, 1T1R cell 4 F x 4 F.
#pragma once
#include <cstdint>

#include "models/common/param_table.hpp"

namespace imcvp {

struct SramCompParams {
  // SRAM bytes beside each crossbar macro of the tile: [Krishnan] 32 x 64
  // bits per 64 x 64 RRAM macro. The block's SRAM holds that times the
  // tile's crossbars (at most IMCVP_SRAM_COMP_MEM_MAX bytes).
  unsigned sram_bytes_per_crossbar = 256;
  unsigned word_bits = 16;  // [Krishnan] SRAM read word
  unsigned pes = 16;        // [Krishnan] output-stationary MAC units
  double clock_ns = 10.0;   // [Krishnan] 100 MHz
  // [Horowitz]: 10 pJ per 64 bits -> 2.5 pJ per 16-bit word (an 8 KB array;
  // an upper bound for the 256-byte macro).
  double read_pj = 2.5;
  // [Horowitz]: an 8-bit multiply (0.2 pJ) and a 32-bit add (0.1 pJ) per MAC
  // (an upper bound for 1..3-bit weights).
  double mac_pj = 0.3;
  // [Horowitz]: the programmable shifter and the adder into the RRAM output,
  // one 32-bit add per output.
  double shift_add_pj = 0.1;
  // Area estimate of the arrays (periphery not counted): [NeuroSim] cell
  // sizes in F^2 at [Krishnan]'s 65 nm.
  double feature_nm = 65.0;
  double sram_cell_f2 = 7.69 * 23.23;
  double rram_cell_f2 = 4.0 * 4.0;

  // The block's SRAM on a tile of `crossbars` crossbar macros.
  uint64_t sram_bytes(unsigned crossbars) const { return uint64_t(sram_bytes_per_crossbar) * crossbars; }
};
// The report category of the block's energy.
inline constexpr const char* kSramCompEnergyCategory = "sram_compensation";
// accelerator.tile.sram_comp: {sram_bytes_per_crossbar, word_bits, pes,
// clock_ns, read_pj, mac_pj, shift_add_pj, feature_nm, sram_cell_f2,
// rram_cell_f2}
const ParamTable<SramCompParams>& sram_comp_param_table();

}  // namespace imcvp
