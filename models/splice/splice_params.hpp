// The parameters of the splice unit (SpliceUnit, the SME technique) and
// their table, read from the scenario's accelerator.tile.splice section
// (docs/scenario.md). No SystemC here: the scenario loader includes it.
//
// Sources cited:
//   [SME]      F. Liu et al., "SME: ReRAM-based Sparse-Multiplication-Engine
//              to Squeeze-Out Bit Sparsity of Neural Network", ICCD 2021
//              (arXiv 2103.01705): the splice peripheral shifts and adds the
//              bit-plane crossbars' digitised columns; its size and clock
//              are not given there (our choice below).
//   [BitT]     F. Liu et al., "Bit-Transformer: Transforming Bit-level
//              Sparsity into Higher Performance in ReRAM-based
//              Accelerator", ICCAD 2021: a shifter per bit plane after the
//              ADC, index (mask) registers for rows and columns.
//   [ISAAC]    A. Shafiee et al., ISCA 2016, Table 6: a tile's 64 KB eDRAM
//              buffer, 1.2 GHz digital logic.
//   [Horowitz] M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
//              8 KB SRAM 64-bit read ~10 pJ; 32-bit add 0.1 pJ.
#pragma once
#include <cstdint>

#include "imcvp/memory_map.h"
#include "models/common/param_table.hpp"

namespace imcvp {

struct SpliceParams {
  // Index-table memory bytes (at most IMCVP_SPLICE_TABLE_MEM_MAX): sized
  // like [ISAAC]'s 64 KB tile buffer, less the block's register page.
  unsigned table_bytes = IMCVP_SPLICE_TABLE_MEM_MAX;
  unsigned word_bits = 64;  // table memory read width ([Horowitz]'s 64-bit read)
  unsigned lanes = 64;      // shift-add lanes, one column each per cycle (our choice; [SME] gives none)
  double clock_ns = 1.0;    // 1 GHz, as the tile's digital logic ([ISAAC] 1.2 GHz)
  double read_pj = 10.0;    // [Horowitz] per 64-bit read of an 8 KB SRAM
  double add_pj = 0.1;      // [Horowitz] a 32-bit add per column (the shift is wiring)
  // Area estimate of the table memory against the crossbar arrays: SRAM
  // cell 7.69 F x 23.23 F ([NeuroSim] V1.3 Param.cpp), 1T1R 4 F x 4 F.
  double sram_cell_f2 = 7.69 * 23.23;
  double rram_cell_f2 = 4.0 * 4.0;
};
// The report category of the block's energy.
inline constexpr const char* kSpliceEnergyCategory = "splice";
// accelerator.tile.splice: {table_bytes, word_bits, lanes, clock_ns, read_pj,
// add_pj, sram_cell_f2, rram_cell_f2}
const ParamTable<SpliceParams>& splice_param_table();

}  // namespace imcvp
