// Placement: which tile and crossbars hold each layer. Spatial: every weight
// of the network resident at once (one group). With reprogramming allowed
// and a network larger than the chip: layers split by output channels into
// slices that fit a tile, and slices packed into groups that fit the chip;
// firmware rewrites the crossbars between groups.
// docs/compiler.md "Placement and the program image".
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/network.hpp"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/crossbar/crossbar_params.hpp"

namespace imcvp::compiler {

// The chip the network is placed on. The crossbar geometry and weight format
// default to CrossbarParams' defaults; tiles, crossbars per tile and the
// buffer size must be given (take them from TileParams: chip_resources()).
struct ChipResources {
  unsigned tiles = 0;
  unsigned crossbars_per_tile = 0;
  std::uint32_t buffer_bytes = 0;  // each tile's local buffer
  CrossbarParams crossbar;
  // Each tile's SramCompensation SRAM (hybrid RRAM/SRAM, accelerator.tile.
  // sram_comp); 0: the tiles have no such block.
  std::uint32_t sram_comp_bytes = 0;
  // Each tile's BasisScaler coefficient memory (BasisN, accelerator.tile.
  // basis_scaler); 0: the tiles have no such block.
  std::uint32_t basis_coef_bytes = 0;
  // Each tile's SpliceUnit index-table memory (SME, accelerator.tile.splice);
  // 0: the tiles have no such block.
  std::uint32_t splice_table_bytes = 0;
  unsigned total_crossbars() const { return tiles * crossbars_per_tile; }
};

// A layer without weights (pool, Add, Concat) runs on the tile of its first
// input, or on `current` when no tile holds that input (the network's
// input); the layer's output is then on that tile. Every placement uses it.
int place_on_input_tile(const Layer& layer, std::vector<int>& tile_of_tensor, unsigned current);

// ChipResources from any struct with TileParams' fields (crossbars, crossbar,
// buffer_bytes): chip_resources(TileParams{}, n).
template <typename TileParamsT>
ChipResources chip_resources(const TileParamsT& t, unsigned tiles) {
  ChipResources c;
  c.tiles = tiles;
  c.crossbars_per_tile = t.crossbars;
  c.buffer_bytes = t.buffer_bytes;
  c.crossbar = t.crossbar;
  return c;
}

// Output channels [c0, c0 + channels) of a Conv/FC layer on crossbars
// first_xbar + rg * col_groups + cg of tile `tile`, in one group. A grouped
// convolution is never split: its one slice holds every pack.
struct LayerSlice {
  unsigned c0 = 0, channels = 0;
  int first_xbar = -1;
  unsigned col_groups = 0;
  unsigned group = 0;
  int tile = -1;
};

struct LayerPlacement {
  int tile = -1;            // every layer: its output's tile (a Conv/FC layer's first slice's)
  int first_xbar = -1;      // Conv/FC: the first slice's
  unsigned row_groups = 0;  // ceil(fan_in / rows)
  unsigned col_groups = 0;  // ceil(out.c / outputs per crossbar), all slices
  unsigned group = 0;       // the group it runs in (Conv/FC: its first slice's)
  std::vector<LayerSlice> slices;  // Conv/FC: one per group it spans (one when spatial)
  unsigned crossbars() const { return row_groups * col_groups; }
};

struct PlacementOptions {
  // A network that needs more crossbars than the chip has: split and group
  // it (true) or fail with the counts (false).
  bool reprogram = false;
  // Spatial placement for a layer pipeline: every Conv/FC layer after the
  // first starts on the next tile while tiles remain (then they pack into
  // the last ones), so that each tile is one pipeline stage and a stage
  // feeds the next, tile n to tile n + 1. false: pack tiles in order.
  bool spread = false;
};

struct Placement {
  ChipResources chip;
  std::vector<LayerPlacement> layers;    // parallel to net.layers
  std::vector<unsigned> used_per_tile;   // crossbars of each tile that hold weights (in any group)
  unsigned crossbars_used = 0;           // distinct crossbars holding weights at some time
  unsigned crossbars_needed = 0;         // the network's crossbars (spatial)
  unsigned groups = 1;                   // > 1: reprogramming between groups
};

// How a Conv/FC layer's weights sit in the cells of crossbars `p`: the
// crossbars' own format, or with the layer's own attrs.weight_bits (mixed
// precision; the crossbars' cell_bits and signed mode), which its image
// records state in an IMCVP_EXT_WEIGHT_FORMAT record.
WeightFormat layer_format(const Layer& layer, const CrossbarParams& p);
// Where a Conv/FC layer's weights land on crossbars `p`: the one crossbar
// layout (models/crossbar/crossbar_layout.hpp; a grouped convolution's packs,
// row and column groups) in layer_format(). The layer must have weights.
CrossbarLayout layer_layout(const Layer& layer, const CrossbarParams& p);
// The layout of one slice: a dense layer's slice of channels [c0, c0 + n) is
// a dense layout of n outputs; a grouped layer's one slice is the whole layer.
// Its crossbar index(pk, rg, cg) is relative to slice.first_xbar.
CrossbarLayout slice_layout(const Layer& layer, const CrossbarParams& p, const LayerSlice& slice);
// Crossbars a Conv/FC layer needs on crossbars `p` (0 for the other kinds):
// layer_layout().crossbars().
unsigned crossbars_needed(const Layer& layer, const CrossbarParams& p);
// Cells of those crossbars that hold its weights (0 for the other kinds and
// for a layer on shared crossbars, attrs.shared_crossbars):
// layer_layout().cells_used(), fan_in x out.c x cols_per_output.
std::uint64_t cells_used(const Layer& layer, const CrossbarParams& p);

// Assigns every Conv/FC layer a tile and its first crossbar, in layer order,
// packing each tile before the next; pools and Add go on the tile of their
// (first) input. A layer larger than a tile is split by output channels
// into slices on consecutive tiles (each slice reads the whole input; the
// firmware gathers their outputs on the first slice's tile); a layer whose
// one column group of row groups exceeds a tile fails. Throws CompileError when the network needs more crossbars
// than the chip has ("network needs 37 crossbars, the chip has 16 (2 tiles x
// 8)"), when one layer needs more than a tile has, or when the chip's weight
// width is narrower than the network's.
// With options.reprogram and a network larger than the chip, layers are
// split and grouped instead (all slices of a layer on one tile; a new group
// starts when the next slice does not fit); a layer whose one output column
// group needs more crossbars than a tile has still fails.
Placement place(const QuantizedNetwork& qnet, const ChipResources& chip, const PlacementOptions& options = {});

}  // namespace imcvp::compiler
