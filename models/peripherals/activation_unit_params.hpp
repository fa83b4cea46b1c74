// The parameters of the tile's activation block and their table (read from the
// scenario's accelerator.tile.activation section; docs/scenario.md). No SystemC here:
// the scenario loader includes it.
#pragma once
#include "models/common/param_table.hpp"

namespace imcvp {

struct ActivationParams {
  unsigned lanes = 16;  // outputs requantized per cycle
  // M. Horowitz, ISSCC 2014 (45 nm): a 32-bit multiply 3.1 pJ + the rounding
  // add 0.1 pJ, per output requantized.
  double energy_pj = 3.2;
};
// accelerator.tile.activation: {lanes, energy_pj}
const ParamTable<ActivationParams>& activation_param_table();

}  // namespace imcvp
