#include "models/peripherals/shift_add.hpp"

namespace imcvp {

ShiftAdd::ShiftAdd(const sc_core::sc_module_name& name, const ShiftAddParams& params)
    : TileBlock(name, "SHAD", IMCVP_BLOCK_SLOT_SHIFT_ADD), m_params(params) {
  check_params(shift_add_param_table(), m_params, this->name());
  m_regs.add("format", IMCVP_SHIFT_ADD_FORMAT,
             [this](const sc_core::sc_time&) {
               return uint32_t(m_format.weight_bits) | uint32_t(m_format.cell_bits) << 8 |
                      (m_format.signed_mode == SignedMode::Offset     ? uint32_t(IMCVP_TILE_XBAR_FORMAT_OFFSET)
                       : m_format.signed_mode == SignedMode::Unsigned ? uint32_t(IMCVP_TILE_XBAR_FORMAT_UNSIGNED)
                                                                      : 0u);
             },
             nullptr);
}

bool ShiftAdd::configure(const LayerContext& ctx) {
  m_format = ctx.layout.format;
  m_per = m_format.cols_per_output();
  // Unsigned one-slice weights (SME's bit planes) leave nothing to combine:
  // a column is its output's value, and the splice unit shifts and adds.
  return !(m_format.signed_mode == SignedMode::Unsigned && m_format.slices() == 1);
}

StageCost ShiftAdd::cost(const LayerContext& ctx) const {
  const CrossbarLayout& l = ctx.layout;
  const ReadCounts rc = read_counts(ctx);
  const uint64_t windows = uint64_t(ctx.positions) * ctx.passes;
  StageCost c;
  // every crossbar's full width of outputs passes the unit
  c.ns_per_window = lane_cycles_ns(rc.crossbars * ctx.passes * l.outputs_per_xbar * m_per, m_params.lanes, ctx.clock_ns);
  c.charges.push_back({"combine", rc.columns * windows, m_params.energy_pj});
  return c;
}

}  // namespace imcvp
