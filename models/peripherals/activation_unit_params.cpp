#include "models/peripherals/activation_unit_params.hpp"

namespace imcvp {

const ParamTable<ActivationParams>& activation_param_table() {
  static const ParamTable<ActivationParams> t{
      {ParamField<ActivationParams>::count("lanes", &ActivationParams::lanes, "outputs requantized per cycle"),
       ParamField<ActivationParams>::energy("energy_pj", &ActivationParams::energy_pj, "per output requantized")}};
  return t;
}

}  // namespace imcvp
