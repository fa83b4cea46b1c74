// SramCompensation: the digital SRAM macro of the hybrid RRAM/SRAM technique
// (Krishnan et al., IEEE TCAD 2022; docs/techniques/hybrid.md), a block of
// the tile (IMCVP_BLOCK_SLOT_SRAM_COMP) when the scenario has
// accelerator.tile.sram_comp. Beside the RRAM crossbars it holds, in a small
// SRAM, a sparse low-precision compensation weight set per layer; its PEs
// compute an exact partial sum of those weights with the same inputs, and a
// programmable shifter and an adder join it to the RRAM macro's digitised,
// shift-added, accumulated output before requantization:
//   acc[o] = acc[o] x 2^SHIFT + sum_k c[o][k] x in[k]
// (the SRAM sum weighs 2^-SHIFT of an RRAM weight LSB; the adder keeps the
// SHIFT extra fraction bits, so nothing is rounded away).
//
// Window (imcvp/memory_map.h): the common block registers; SHIFT (read/
// write, 0..3), SRAM_BYTES, PES, MACS (read); the SRAM at IMCVP_SRAM_COMP_MEM,
// which the firmware writes once from the program image's block data.
// A layer takes part through its IMCVP_EXT_SRAM_COMP record (where its data
// sits in the SRAM, which outputs the slice has). Cost per window: the SRAM
// words of the slice's kept weights read one per cycle, the MACs on `pes`
// units, one shift-and-add per output; charged under "sram_compensation".
// VCD: <tile>.sram_comp.active (high while a layer uses the block), .macs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/sram_comp/sram_comp_data.hpp"
#include "models/sram_comp/sram_comp_params.hpp"
#include "models/tile/block_activity.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {

class SramCompensation : public TileBlock, public DatapathStage {
 public:
  BlockActivity activity;  // VCD: .active, .macs; the counts and busy time since reset

  // `crossbars`: the tile's crossbar macros (the SRAM is
  // params.sram_bytes_per_crossbar per macro). Throws std::invalid_argument
  // on bad parameters or an SRAM beyond IMCVP_SRAM_COMP_MEM_MAX.
  SramCompensation(const sc_core::sc_module_name& name, const SramCompParams& params, unsigned crossbars);

  const SramCompParams& params() const { return m_params; }
  uint32_t sram_bytes() const { return uint32_t(m_sram.size()); }
  unsigned shift() const { return m_shift; }
  uint64_t mac_count() const { return activity.op_count(); }
  uint64_t sram_reads() const { return activity.reads(); }
  double busy_ns() const { return activity.busy_ns(); }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return kSramCompEnergyCategory; }
  bool declares(uint16_t ext_type) const override { return ext_type == IMCVP_EXT_SRAM_COMP; }
  bool configure(const LayerContext& ctx) override;
  void outputs(OutputWindow& window) override;
  StageCost cost(const LayerContext& ctx) const override;
  void layer_done() override;

  void reset_counters() override;
  std::vector<std::pair<std::string, double>> stats() const override;
  void trace(VcdFile& vcd) const override { activity.trace(vcd, name()); }

 protected:
  bool memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time& at) override;
  int memory_debug(tlm::tlm_generic_payload& trans) override;

 private:
  // SRAM words the configured slice's kept weights take (one window's reads).
  uint64_t sram_words_per_window() const;
  double ns_per_window() const;

  SramCompParams m_params;
  std::vector<uint8_t> m_sram;
  uint32_t m_shift = 0;
  uint64_t m_generation = 1;  // bumped by every SRAM write (the decoded cache is then stale)
  // the configured layer
  imcvp_ext_sram_comp m_rec{};
  std::shared_ptr<const SramCompLayer> m_layer;
  uint64_t m_cached_generation = 0;
  imcvp_ext_sram_comp m_cached_rec{};
  unsigned m_first = 0;          // layer output of the slice's output 0
  unsigned m_slice_outputs = 0;  // outputs of the slice
  uint64_t m_kept_rows = 0;      // MACs per window over the slice's outputs
};

}  // namespace imcvp
