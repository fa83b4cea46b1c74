#include "models/peripherals/shift_add_params.hpp"

namespace imcvp {

const ParamTable<ShiftAddParams>& shift_add_param_table() {
  static const ParamTable<ShiftAddParams> t{
      {ParamField<ShiftAddParams>::count("lanes", &ShiftAddParams::lanes, "columns combined per cycle"),
       ParamField<ShiftAddParams>::energy("energy_pj", &ShiftAddParams::energy_pj, "per column combined")}};
  return t;
}

}  // namespace imcvp
