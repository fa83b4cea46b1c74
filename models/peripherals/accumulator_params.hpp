// The parameters of the tile's accumulator block and their table (read from the
// scenario's accelerator.tile.accumulator section; docs/scenario.md). No SystemC here:
// the scenario loader includes it.
#pragma once
#include "models/common/param_table.hpp"

namespace imcvp {

struct AccumulatorParams {
  unsigned lanes = 32;  // partial sums added per cycle
  // M. Horowitz, ISSCC 2014 (45 nm): a 32-bit add 0.1 pJ.
  double energy_pj = 0.1;
};
// accelerator.tile.accumulator: {lanes, energy_pj}
const ParamTable<AccumulatorParams>& accumulator_param_table();

}  // namespace imcvp
