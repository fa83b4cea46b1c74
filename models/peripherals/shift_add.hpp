// ShiftAdd: the tile's digital unit after the crossbars' ADCs
// (IMCVP_BLOCK_SLOT_SHIFT_ADD). The macro has already shift-added the input
// bits (one partial sum per column); ShiftAdd combines the weight slices of
// each output, which sit in adjacent columns, and the signs (differential
// column pairs, or the offset form's digital correction with the input sum),
// as crossbar_layout.hpp's combine_output_columns() defines it, in the
// layer's weight format. Registers: IMCVP_SHIFT_ADD_FORMAT (the last layer's
// format). Energy: one add per column combined.
#pragma once
#include <cstdint>

#include "models/peripherals/shift_add_params.hpp"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {



class ShiftAdd : public TileBlock, public DatapathStage {
 public:
  ShiftAdd(const sc_core::sc_module_name& name, const ShiftAddParams& params = {});

  const ShiftAddParams& params() const { return m_params; }
  // y[j] += the combined value of output j of the read, j < read.outputs.
  void combine(const ColumnRead& read, int64_t* y) {
    combine_output_columns(m_format, read.columns, read.outputs, read.input_sum, y);
  }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return "shift_add"; }
  bool configure(const LayerContext& ctx) override;
  StageCost cost(const LayerContext& ctx) const override;

 private:
  ShiftAddParams m_params;
  WeightFormat m_format;
  unsigned m_per = 1;
};

}  // namespace imcvp
