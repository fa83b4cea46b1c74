// CrossbarBank: the tile's crossbar macros (IMCVP_BLOCK_SLOT_CROSSBARS), a
// SystemC module over N CrossbarArray macros (made on first use: a macro
// nothing has programmed or read holds no host memory, so a chip of
// thousands stays small). It programs a crossbar (write-and-verify), reads
// the crossbars of a layer for each window (functional mode) or counts the
// reads' expected events (estimation), and charges the array, DAC and ADC
// energy. A layer's crossbars are desc.xbar + the layout's crossbar number,
// or the IMCVP_EXT_XBAR_LIST record's entries; its weight format is the
// tile's, or the IMCVP_EXT_WEIGHT_FORMAT record's.
// Registers: IMCVP_XBANK_SELECT/ROW/COL select a cell, IMCVP_XBANK_LEVEL
// reads the level last written to it.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/crossbar/crossbar_array.hpp"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/tile/datapath_stage.hpp"
#include "models/tile/tile_block.hpp"

namespace imcvp {

struct CrossbarBankParams {
  unsigned crossbars = 96;  // see TileParams::crossbars
  CrossbarParams crossbar;
  uint64_t seed = 1;  // crossbar i draws from seed + i
  bool estimate = false;
  double estimate_input_density = 0.2;  // see TileParams
};

class CrossbarBank : public TileBlock, public DatapathStage {
 public:
  CrossbarBank(const sc_core::sc_module_name& name, const CrossbarBankParams& params);

  const CrossbarParams& crossbar_params() const { return m_params.crossbar; }
  unsigned size() const { return m_params.crossbars; }
  CrossbarArray& crossbar(unsigned i);  // made on first use
  unsigned made() const;

  // PROGRAM: rows x cols levels into crossbar i. Throws StageError.
  ProgramStats program(unsigned i, const uint8_t* levels);
  // PROGRAM in estimation: the expected cost of writing the cells an
  // IMCVP_EXT_PROGRAM_CHANGES record counts into crossbar i
  // (expected_program_stats with the crossbars' pulse table, computed on
  // first use); the crossbar is not made. Adds to program_totals() as
  // program() does. Throws StageError on a bad crossbar or record.
  ProgramStats program_expected(unsigned i, const ExtRecord& changes);
  const ProgramPulseTable& pulse_table();
  // The layer's weight format: the tile's, or the record's (checked).
  WeightFormat layer_format(const std::vector<ExtRecord>& records) const;

  // Functional read of the layer's crossbar number n (layout order) with
  // `rows` rows in use (the input digit slots it counts).
  const MvmStats& read(unsigned n, unsigned rows, const int32_t* inputs, int64_t* columns, unsigned ncols);
  // read() in two halves, for a window loop on several threads: the
  // crossbar of the layer's number n (made here: call before the threads
  // start), the read itself with the caller's read number and scratch
  // (thread-safe, changes nothing; throws StageError as read() does), and
  // the events read() adds, in the order read() would have made the reads.
  CrossbarArray& layer_crossbar(unsigned n) { return crossbar(m_layer_xbars.at(n)); }
  bool layer_crossbar_made(unsigned n) const { return m_xbars.at(m_layer_xbars.at(n)) != nullptr; }
  MvmStats read_keyed(const CrossbarArray& x, const int32_t* inputs, int64_t* columns, unsigned ncols,
                      uint64_t read, CrossbarArray::MvmScratch& scratch) const;
  void account(unsigned rows, const MvmStats& st);
  // Adds the layer's events to the totals (after its cost was charged).
  void end_layer();

  std::string stage_block() const override { return name(); }
  const char* energy_category() const override { return "cell_array"; }
  bool declares(uint16_t type) const override {
    return type == IMCVP_EXT_XBAR_LIST || type == IMCVP_EXT_WEIGHT_FORMAT || type == IMCVP_EXT_PROGRAM_CHANGES;
  }
  bool configure(const LayerContext& ctx) override;
  StageCost cost(const LayerContext& ctx) const override;

  // Totals since reset.
  const MvmStats& mvm_totals() const { return m_mvm; }
  const ProgramStats& program_totals() const { return m_program; }
  uint64_t mvms() const { return m_mvms; }
  uint64_t digit_slots() const { return m_digit_slots; }
  const MvmStats& layer_stats() const { return m_layer; }
  void reset_counters() override;
  std::vector<std::pair<std::string, double>> stats() const override;

 private:
  CrossbarBankParams m_params;
  std::vector<std::unique_ptr<CrossbarArray>> m_xbars;  // null until first use
  std::vector<unsigned> m_layer_xbars;                  // the layer's crossbars in layout order
  MvmStats m_layer, m_last, m_mvm;
  ProgramStats m_program;
  std::unique_ptr<ProgramPulseTable> m_pulse_table;  // estimation: made on first use
  uint64_t m_mvms = 0, m_digit_slots = 0;
  unsigned m_sel = 0, m_row = 0, m_col = 0;
  unsigned m_dac_bits = 1;
};

}  // namespace imcvp
