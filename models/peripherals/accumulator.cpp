#include "models/peripherals/accumulator.hpp"

namespace imcvp {

Accumulator::Accumulator(const sc_core::sc_module_name& name, const AccumulatorParams& params)
    : TileBlock(name, "ACCU", IMCVP_BLOCK_SLOT_ACCUMULATOR), m_params(params) {
  check_params(accumulator_param_table(), m_params, this->name());
}

StageCost Accumulator::cost(const LayerContext& ctx) const {
  const CrossbarLayout& l = ctx.layout;
  uint64_t adds = 0;  // per window: every output's partial sums beyond its first
  for (unsigned pk = 0; pk < l.packs; ++pk) {
    unsigned rgs = 0;
    while (rgs < l.row_groups && l.rows_in(pk, rgs)) ++rgs;
    const unsigned parts = rgs * ctx.passes;
    adds += uint64_t(l.pack_outputs(pk)) * (parts > 1 ? parts - 1 : 0);
  }
  StageCost c;
  c.ns_per_window = adds ? lane_cycles_ns(adds, m_params.lanes, ctx.clock_ns) : 0.0;
  c.charges.push_back({"add", adds * ctx.positions, m_params.energy_pj});
  return c;
}

}  // namespace imcvp
