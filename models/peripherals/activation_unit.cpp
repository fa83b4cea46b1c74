#include "models/peripherals/activation_unit.hpp"

namespace imcvp {

ActivationUnit::ActivationUnit(const sc_core::sc_module_name& name, const ActivationParams& params)
    : TileBlock(name, "ACTU", IMCVP_BLOCK_SLOT_ACTIVATION), m_params(params) {
  check_params(activation_param_table(), m_params, this->name());
  m_regs.add("out_min", IMCVP_ACT_OUT_MIN, [this](const sc_core::sc_time&) { return uint32_t(m_lo); }, nullptr);
  m_regs.add("out_max", IMCVP_ACT_OUT_MAX, [this](const sc_core::sc_time&) { return uint32_t(m_hi); }, nullptr);
}

bool ActivationUnit::configure(const LayerContext& ctx) {
  set_clamp(ctx.desc->out_min, ctx.desc->out_max);
  return true;
}

StageCost ActivationUnit::cost(const LayerContext& ctx) const {
  StageCost c;
  c.ns_per_window = lane_cycles_ns(ctx.desc->out_c, m_params.lanes, ctx.clock_ns);
  c.charges.push_back({"requantize", ctx.out_size, m_params.energy_pj});
  return c;
}

}  // namespace imcvp
