// Accumulator: adds the partial sums of the crossbars that split one long dot
// product (row groups) and of the two passes of signed inputs
// (IMCVP_BLOCK_SLOT_ACCUMULATOR). Energy: one add per partial sum beyond
// each output's first.
#pragma once
#include <cstdint>

#include "models/peripherals/accumulator_params.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {



class Accumulator : public TileBlock, public DatapathStage {
 public:
  Accumulator(const sc_core::sc_module_name& name, const AccumulatorParams& params = {});

  const AccumulatorParams& params() const { return m_params; }
  // acc[j] += sign * y[j], j < n
  static void add(const int64_t* y, unsigned n, int64_t sign, int64_t* acc) {
    for (unsigned j = 0; j < n; ++j) acc[j] += sign * y[j];
  }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return "accumulate_activation"; }
  StageCost cost(const LayerContext& ctx) const override;

 private:
  AccumulatorParams m_params;
};

}  // namespace imcvp
