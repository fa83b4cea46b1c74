// The parameters of the tile's shift_add block and their table (read from the
// scenario's accelerator.tile.shift_add section; docs/scenario.md). No SystemC here:
// the scenario loader includes it.
#pragma once
#include "models/common/param_table.hpp"

namespace imcvp {

struct ShiftAddParams {
  unsigned lanes = 32;  // columns combined per cycle
  // M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm): a 32-bit
  // add 0.1 pJ, per column combined.
  double energy_pj = 0.1;
};
// accelerator.tile.shift_add: {lanes, energy_pj}
const ParamTable<ShiftAddParams>& shift_add_param_table();

}  // namespace imcvp
