// BasisScaler: the basis-coefficient scaler of the BasisN technique
// (Eldebiky et al., arXiv 2407.03738; docs/techniques/basisn.md), a block of
// the tile (IMCVP_BLOCK_SLOT_BASIS_SCALER) when the scenario has
// accelerator.tile.basis_scaler. The crossbars hold a global basis, written
// once; every layer's kernels are combinations of the basis vectors. For a
// layer that carries an IMCVP_EXT_BASIS record, the scaler is the datapath's
// map stage: it gives the layer the geometry of its basis reads (one read
// drives `copies` segments of `length` inputs and yields copies x count
// basis outputs u), and adds
//   acc[o] += sum_b sum_j c[o][s][j] x u[b][j]      (s: the read's segment b)
// into every output of the window, exactly, from its coefficient memory.
//
// Window (imcvp/memory_map.h): the common block registers; COEF_BYTES,
// LANES, MACS (read); the coefficient memory at IMCVP_BASIS_COEF_MEM, which
// the firmware writes once from the program image's block data.
// Cost per window: the slice's coefficients read word by word and its MACs
// on `lanes` lanes (the slower sets the pace), once per input pass; charged
// under "basis_scaler". VCD: <tile>.basis_scaler.active, .macs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/basis_scaler/basis_scaler_params.hpp"
#include "models/tile/block_activity.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {

class BasisScaler : public TileBlock, public DatapathStage {
 public:
  BlockActivity activity;  // VCD: .active, .macs; the counts and busy time since reset

  // Throws std::invalid_argument on bad parameters.
  BasisScaler(const sc_core::sc_module_name& name, const BasisScalerParams& params);

  const BasisScalerParams& params() const { return m_params; }
  uint32_t coef_bytes() const { return uint32_t(m_mem.size()); }
  uint64_t mac_count() const { return activity.op_count(); }
  uint64_t coef_reads() const { return activity.reads(); }
  double busy_ns() const { return activity.busy_ns(); }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return kBasisScalerEnergyCategory; }
  Place place() const override { return Place::Map; }
  bool declares(uint16_t ext_type) const override { return ext_type == IMCVP_EXT_BASIS; }
  bool shape(LayerContext& ctx) override;
  bool configure(const LayerContext& ctx) override;
  void accumulate(const ColumnRead& read, const int64_t* y, int64_t sign, int64_t* acc) const override;
  StageCost cost(const LayerContext& ctx) const override;
  void layer_done() override;

  void reset_counters() override;
  std::vector<std::pair<std::string, double>> stats() const override;
  void trace(VcdFile& vcd) const override { activity.trace(vcd, name()); }

 protected:
  bool memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time& at) override;
  int memory_debug(tlm::tlm_generic_payload& trans) override;

 private:
  uint64_t macs_per_pass() const { return uint64_t(m_outputs) * m_rec.segments * m_rec.count; }
  uint64_t reads_per_pass() const;
  double ns_per_window(unsigned passes) const;

  BasisScalerParams m_params;
  std::vector<uint8_t> m_mem;
  uint64_t m_generation = 1;  // bumped by every memory write (the decoded cache is then stale)
  // the configured layer
  imcvp_ext_basis m_rec{};
  unsigned m_outputs = 0;
  unsigned m_groups = 1, m_group_outputs = 0;  // the layer's channel groups and outputs per group
  std::shared_ptr<const std::vector<int8_t>> m_coefs;  // outputs x segments x count
  uint64_t m_cached_generation = 0;
  imcvp_ext_basis m_cached_rec{};
  unsigned m_cached_outputs = 0;
};

}  // namespace imcvp
