// DatapathStage: the one interface between the tile's output-path blocks
// (docs/contributing.md "Adding a block"). A Conv/FC layer flows through the
// tile as
//
//   crossbar reads (CrossbarBank) -> column stages -> combine (ShiftAdd)
//     -> accumulate (Accumulator, or the layer's map stage)
//     -> output stages -> requantize (ActivationUnit)
//
// A map stage (BasisScaler) changes what the crossbars hold: it gives the
// layer the geometry of its reads (shape()) and adds each read's combined
// values into the window's outputs itself (accumulate()), so the values a
// read produces need not be the layer's outputs (basis outputs, say).
//
// and every block on that path is a stage: it configures itself from the
// layer (descriptor, layout, the extension records of the types it
// declares), may transform a window's values (functional mode), and states
// its cost for the layer once, from the layer's geometry, so that the
// functional and the estimation mode charge the same events, latency and
// energy. A block added to a tile (Tile::add_stage) joins the path without
// an edit of the tile.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "imcvp/accel.h"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/crossbar/crossbar_params.hpp"

namespace imcvp {

// A stage's refusal of a layer: an IMCVP_TILE_ERR_* code and a message.
struct StageError {
  uint32_t code;
  std::string what;
};

// One extension record of the layer's descriptor (imcvp/accel.h).
struct ExtRecord {
  uint16_t type = 0;
  const uint8_t* payload = nullptr;  // in the tile's buffer, valid while the layer runs
  uint16_t bytes = 0;
};

class DatapathStage;

// What every stage configures from: one Conv/FC layer (or one pack of a
// grouped one; the layout says).
struct LayerContext {
  const imcvp_layer_desc* desc = nullptr;
  const CrossbarParams* crossbar = nullptr;  // the crossbars' geometry and device
  CrossbarLayout layout;                     // where the weights are (the layer's own format)
  unsigned dac_bits = 0;                     // input magnitude bits applied
  unsigned passes = 1;                       // 2 for signed inputs (positive, then negative part)
  unsigned positions = 1;                    // output positions (windows) of the layer
  unsigned in_channels = 0;                  // per group
  std::uint64_t out_size = 0;                // outputs of the layer
  double clock_ns = 1.0;                     // the tile's digital clock
  bool estimate = false;                     // performance estimation: no values flow
  std::vector<ExtRecord> records;            // every extension record of the layer
  // Set by a map stage's shape(): the stage that maps the reads onto the
  // window's outputs, and their number (the layer's output channels; the
  // layout is then one pack of one group whose outputs are the reads').
  DatapathStage* map = nullptr;
  unsigned window_outputs = 0;
  // Outputs of a window of pack `pk`: the layout's, or the map stage's.
  unsigned outputs_of_pack(unsigned pk) const { return map ? window_outputs : layout.pack_outputs(pk); }
  // Also set by a map stage whose crossbars drive chosen weight rows and
  // convert chosen columns (SME's SpliceUnit; the layout is then one pack,
  // one column group): word line r of read rg's crossbar is driven by the
  // pack's weight row gather[rg x layout.rows + r] (kNotDriven: it is not),
  // read rg drives read_rows[rg] word lines and converts the columns of
  // read_outputs[rg] outputs. Empty: the layout's rows and outputs.
  static constexpr uint32_t kNotDriven = 0xFFFFFFFFu;
  std::vector<uint32_t> gather, read_rows, read_outputs;
  unsigned rows_of_read(unsigned pk, unsigned rg) const {
    return read_rows.empty() ? layout.rows_in(pk, rg) : read_rows[rg];
  }
  unsigned outputs_of_read(unsigned pk, unsigned rg, unsigned cg) const {
    return read_outputs.empty() ? layout.outputs_in(pk, cg) : read_outputs[rg];
  }
};

// One crossbar read of one window: the column outputs the ADCs produced
// (shift-added over the input digits), before the weight slices combine.
struct ColumnRead {
  unsigned pass = 0, pack = 0, row_group = 0, col_group = 0;
  unsigned outputs = 0;       // outputs the crossbar holds
  int64_t* columns = nullptr;  // outputs x cols_per_output values
  int64_t input_sum = 0;       // sum of the inputs applied (offset form's correction)
};

// One window's outputs after accumulation, before requantization.
struct OutputWindow {
  unsigned position = 0, pack = 0;
  unsigned first_output = 0;      // layer output channel of values[0]
  unsigned outputs = 0;
  int64_t* values = nullptr;      // accumulated dot products
  const int32_t* inputs = nullptr;  // the window's signed inputs in weight-row order (pack rows)
  std::uint64_t input_count = 0;
};

// A stage's events for one layer: latency per window and energy events.
struct StageCharge {
  std::string event;
  uint64_t count = 0;
  double pj_each = 0;
  const char* category = nullptr;  // report category; nullptr: the stage's energy_category()
};
struct StageCost {
  double ns_per_window = 0;  // added to the window's latency (stages run one after the other)
  std::vector<StageCharge> charges;
};

class DatapathStage {
 public:
  virtual ~DatapathStage() = default;
  // Where the stage sits on the path: after each crossbar read (Column), in
  // place of the accumulator's direct add (Map: at most one takes a layer),
  // or on each window's accumulated outputs (Output).
  enum class Place { Column, Map, Output };
  virtual Place place() const { return Place::Output; }
  // The ledger block its energy is charged to (the module's hierarchical
  // name) and the report category of that energy.
  virtual std::string stage_block() const = 0;
  virtual const char* energy_category() const = 0;
  // Extension record types this stage reads; the tile refuses any type that
  // no block declares.
  virtual bool declares(uint16_t ext_type) const { return false; }
  // Configures for a layer; returns false when the stage takes no part in
  // it (it is then skipped and charges nothing). Throws StageError to refuse.
  virtual bool configure(const LayerContext& ctx) { return true; }
  // Functional mode: a Column stage transforms each crossbar read, an Output
  // stage each window's accumulated outputs.
  virtual void columns(ColumnRead& read) {}
  virtual void outputs(OutputWindow& window) {}
  // Map stages. shape(): called before any stage configures; a stage that
  // takes the layer sets ctx.layout to the geometry of the layer's crossbar
  // reads (its row groups start at row 0 of their crossbars; rows beyond
  // layout.rows are not driven), ctx.map = this and ctx.window_outputs, and
  // returns true (then configure() follows as for every stage). Throws
  // StageError to refuse. accumulate(): functional mode, adds one read's
  // combined values y[0 .. read.outputs) times `sign` into the window's
  // outputs acc[0 .. window_outputs). It is called for different windows
  // from several threads at once: it must not change the stage's state.
  virtual bool shape(LayerContext& ctx) { return false; }
  virtual void accumulate(const ColumnRead& read, const int64_t* y, int64_t sign, int64_t* acc) const {}
  // The cost of the configured layer, from its geometry only.
  virtual StageCost cost(const LayerContext& ctx) const = 0;
  // The layer's time has elapsed (called on every stage of the tile after
  // each command, whether it took part or not): a stage that traces its
  // activity (a VCD signal raised in configure) ends it here.
  virtual void layer_done() {}
};

// Counts of one pass of one window over the layer's reads: crossbars read
// and columns converted and combined.
struct ReadCounts {
  uint64_t crossbars = 0;
  uint64_t columns = 0;
};
inline ReadCounts read_counts(const LayerContext& ctx) {
  ReadCounts c;
  const CrossbarLayout& l = ctx.layout;
  const unsigned per = l.format.cols_per_output();
  for (unsigned pk = 0; pk < l.packs; ++pk)
    for (unsigned rg = 0; rg < l.row_groups && l.rows_in(pk, rg); ++rg)
      for (unsigned cg = 0; cg < l.col_groups && l.outputs_in(pk, cg); ++cg) {
        ++c.crossbars;
        c.columns += uint64_t(ctx.outputs_of_read(pk, rg, cg)) * per;
      }
  return c;
}

// ceil(work / lanes) cycles of `clock_ns`.
inline double lane_cycles_ns(uint64_t work, unsigned lanes, double clock_ns) {
  return double((work + lanes - 1) / lanes) * clock_ns;
}

}  // namespace imcvp
