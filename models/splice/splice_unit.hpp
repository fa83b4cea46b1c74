// SpliceUnit: the splice peripheral of the SME technique (Liu et al., ICCD
// 2021, arXiv 2103.01705; docs/techniques/sme.md), a block of the tile
// (IMCVP_BLOCK_SLOT_SPLICE) when the scenario has accelerator.tile.splice.
// SME puts each bit of the weights' magnitudes on its own crossbars of 0/1
// cells (bit planes, positive and negative weights in separate columns),
// drops the rows and columns that hold no 1 and squeezes sparse crossbars
// together, so one crossbar may hold columns of several outputs, bits and
// signs over word lines driven by any of the layer's inputs. For a layer
// that carries an IMCVP_EXT_SPLICE record, the splice unit is the
// datapath's map stage: from its index tables it gives every read the
// weight rows its word lines are driven by and the columns it converts
// (nothing else is driven or converted), and adds each digitised column,
// shifted by its bit and signed, into its output:
//   acc[o] += (-1)^negative 2^bit column      for every column of output o,
// exactly.
//
// Window (imcvp/memory_map.h): the common block registers; TABLE_BYTES,
// LANES, ADDS (read); the index-table memory at IMCVP_SPLICE_TABLE_MEM,
// which the firmware writes once from the program image's block data.
// Cost: the slice's tables read word by word once per layer into the
// unit's index registers, then one shift-add per converted column per
// window and input pass on `lanes` lanes; charged under "splice". VCD:
// <tile>.splice.active, .adds.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/splice/splice_params.hpp"
#include "models/splice/splice_tables.hpp"
#include "models/tile/block_activity.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {

class SpliceUnit : public TileBlock, public DatapathStage {
 public:
  BlockActivity activity;  // VCD: .active, .adds; the counts and busy time since reset

  // Throws std::invalid_argument on bad parameters.
  SpliceUnit(const sc_core::sc_module_name& name, const SpliceParams& params);

  const SpliceParams& params() const { return m_params; }
  uint32_t table_bytes() const { return uint32_t(m_mem.size()); }
  uint64_t add_count() const { return activity.op_count(); }
  uint64_t table_reads() const { return activity.reads(); }
  double busy_ns() const { return activity.busy_ns(); }

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return kSpliceEnergyCategory; }
  Place place() const override { return Place::Map; }
  bool declares(uint16_t ext_type) const override { return ext_type == IMCVP_EXT_SPLICE; }
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
  uint64_t slice_table_words() const;  // table memory words of the configured slice
  double ns_per_window(unsigned passes, unsigned positions) const;

  SpliceParams m_params;
  std::vector<uint8_t> m_mem;
  uint64_t m_generation = 1;  // bumped by every memory write (the decoded tables are then stale)
  // the configured layer: its record and decoded tables (cached while the memory and record stay)
  imcvp_ext_splice m_rec{};
  std::shared_ptr<const std::vector<SpliceRead>> m_tables;
  uint64_t m_cached_generation = 0;
  imcvp_ext_splice m_cached_rec{};
  unsigned m_cached_outputs = 0;
  uint64_t m_cached_rows = 0;
  uint64_t m_columns = 0;  // converted columns of one pass of one window
};

}  // namespace imcvp
