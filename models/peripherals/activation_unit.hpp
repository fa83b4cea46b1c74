// ActivationUnit: the tile's output stage (IMCVP_BLOCK_SLOT_ACTIVATION). Adds
// the per-channel bias to the accumulated dot product, requantizes with the
// per-channel fixed-point multiplier and shift, and clamps to the output
// format (the lower bound is 0 with a fused ReLU), bit-exactly as the
// compiler's golden reference (the one definition in imcvp/accel.h):
//   q = clamp((x * M + 2^(S-1)) >> S, lo, hi)      (>> arithmetic, 64-bit)
//   add: q = clamp((a * Ma + b * Mb + 2^(S-1)) >> S, lo, hi)
// It also serves the tile's residual add, average pooling and Concat
// requantization. Registers: IMCVP_ACT_OUT_MIN/MAX of the last layer.
#pragma once
#include <cstdint>

#include "imcvp/accel.h"
#include "models/peripherals/activation_unit_params.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {



class ActivationUnit : public TileBlock, public DatapathStage {
 public:
  ActivationUnit(const sc_core::sc_module_name& name, const ActivationParams& params = {});

  const ActivationParams& params() const { return m_params; }
  // (acc + bias) requantized; shift must be 1..62.
  static int32_t requantize(int64_t acc, int32_t bias, int32_t multiplier, int shift, int32_t lo, int32_t hi) {
    return imcvp_requantize(acc, bias, multiplier, shift, lo, hi);
  }
  static int32_t requantize_add(int64_t a, int64_t b, int32_t ma, int32_t mb, int shift, int32_t lo, int32_t hi) {
    return imcvp_requantize_add(a, b, ma, mb, shift, lo, hi);
  }
  // Clamp only (max pooling).
  static int32_t saturate(int64_t v, int32_t lo, int32_t hi) { return imcvp_clamp32(v, lo, hi); }
  // Latency of n elementwise operations (pools, add, requantize ops).
  double ns(uint64_t n, double clock_ns) const { return lane_cycles_ns(n, m_params.lanes, clock_ns); }
  // Notes the clamp of a layer it runs (registers).
  void set_clamp(int32_t lo, int32_t hi) {
    m_lo = lo;
    m_hi = hi;
  }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return "accumulate_activation"; }
  bool configure(const LayerContext& ctx) override;
  StageCost cost(const LayerContext& ctx) const override;

 private:
  ActivationParams m_params;
  int32_t m_lo = 0, m_hi = 0;
};

}  // namespace imcvp
