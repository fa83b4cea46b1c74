// The parameters of the basis-coefficient scaler (BasisScaler, the BasisN
// technique) and their table, read from the scenario's
// accelerator.tile.basis_scaler section (docs/scenario.md). No SystemC here:
// the scenario loader includes it.
//
// Sources cited:
//   [BasisN]   A. Eldebiky et al., "BasisN: Reprogramming-Free RRAM-Based
//              In-Memory-Computing by Basis Combination for Deep Neural
//              Networks", arXiv 2407.03738 (2024): the scaler forms each
//              output from the basis outputs with quantized coefficients;
//              its size and clock are not given there (our choice below).
//   [ISAAC]    A. Shafiee et al., ISCA 2016, Table 6: a tile's 64 KB eDRAM
//              buffer, 1.2 GHz digital logic (the coefficient memory and the
//              lanes are sized like it).
//   [Horowitz] M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
//              8 KB SRAM 64-bit read ~10 pJ; 8-bit multiply 0.2 pJ; 32-bit
//              add 0.1 pJ.
#pragma once
#include <cstdint>

#include "imcvp/memory_map.h"
#include "models/common/param_table.hpp"

namespace imcvp {

struct BasisScalerParams {
  // Coefficient memory bytes (at most IMCVP_BASIS_COEF_MEM_MAX): [ISAAC]'s
  // 64 KB per tile, less the block's register page.
  unsigned coef_bytes = IMCVP_BASIS_COEF_MEM_MAX;
  unsigned word_bits = 64;  // coefficient memory read width ([Horowitz]'s 64-bit read)
  unsigned lanes = 64;      // multiply-accumulate lanes (our choice, [BasisN] gives none)
  double clock_ns = 1.0;    // 1 GHz, as the tile's digital logic ([ISAAC] 1.2 GHz)
  double read_pj = 10.0;    // [Horowitz] per 64-bit read of an 8 KB SRAM
  // [Horowitz]: an 8-bit multiply (0.2 pJ) and a 32-bit add (0.1 pJ) per
  // MAC (an upper bound for 2..8-bit coefficients).
  double mac_pj = 0.3;
  // Area estimate of the coefficient memory: SRAM cell 7.69 F x 23.23 F
  // ([NeuroSim] V1.3 Param.cpp) at 65 nm; the crossbars' 1T1R 4 F x 4 F.
  double feature_nm = 65.0;
  double sram_cell_f2 = 7.69 * 23.23;
  double rram_cell_f2 = 4.0 * 4.0;
};
// The report category of the block's energy.
inline constexpr const char* kBasisScalerEnergyCategory = "basis_scaler";
// accelerator.tile.basis_scaler: {coef_bytes, word_bits, lanes, clock_ns,
// read_pj, mac_pj, feature_nm, sram_cell_f2, rram_cell_f2}
const ParamTable<BasisScalerParams>& basis_scaler_param_table();

}  // namespace imcvp
