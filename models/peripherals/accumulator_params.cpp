#include "models/peripherals/accumulator_params.hpp"

namespace imcvp {

const ParamTable<AccumulatorParams>& accumulator_param_table() {
  static const ParamTable<AccumulatorParams> t{
      {ParamField<AccumulatorParams>::count("lanes", &AccumulatorParams::lanes, "partial sums added per cycle"),
       ParamField<AccumulatorParams>::energy("energy_pj", &AccumulatorParams::energy_pj, "per partial sum added")}};
  return t;
}

}  // namespace imcvp
