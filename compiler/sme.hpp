// SME (Liu et al., "SME: ReRAM-based Sparse-Multiplication-Engine to
// Squeeze-Out Bit Sparsity of Neural Network", ICCD 2021, arXiv
// 2103.01705): the compiler side. Passes of the default pipeline, each a
// no-op unless the scenario's network.sme (or `imcvp compile --sme`) asks:
//   sme     (after quantize): bit-sparse quantization of every Conv/FC
//           layer's integer weights (each magnitude keeps at most
//           nonzero_bits ones, compiler/sme_mapping.hpp); the golden
//           reference then computes exactly what the splice unit does (the
//           standard integer arithmetic on those weights), so evaluate
//           measures the accuracy cost;
//   place   an SME network's own placement (place_sme): every layer's
//           weights on bit-plane crossbars of 0/1 cells, compacted and
//           squeezed (sme_map_layer), per slice of output channels on one
//           tile as many crossbars and table bytes as the tile has left;
//           the slice's IMCVP_EXT_XBAR_LIST and IMCVP_EXT_SPLICE records and
//           its index tables as the SpliceUnit's block data;
//   layout-weights  adds the bit-plane crossbars' PROGRAM records (written
//           once, before the first image).
// docs/techniques/sme.md, docs/compiler.md "SME".
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "compiler/network.hpp"
#include "compiler/placement.hpp"
#include "compiler/sme_mapping.hpp"

namespace imcvp::compiler {

struct CompileState;

// The scenario's network.sme (or `imcvp compile --sme`).
struct SmeNetworkOptions {
  bool enabled = false;
  unsigned nonzero_bits = 2;        // ones per weight magnitude, 1..weight_bits-1
  double squeeze_threshold = 0.25;  // 0: bit-plane mapping without squeeze-out
};

// attrs.data["sme"] of an SME layer (technique "sme").
struct SmeLayer {
  unsigned nonzero_bits = 0;
  std::uint64_t weights = 0, changed = 0;  // weights, and those bit-sparse quantization moved
  // weights whose magnitude has bit b set, before and after (b = 0: least significant)
  std::vector<std::uint64_t> bit_ones_before, bit_ones_after;
  // place_sme: per slice (LayerPlacement::slices order), its crossbars' cells
  // and their numbers on the slice's tile
  struct Slice {
    std::vector<SmeCrossbar> crossbars;
    std::vector<std::uint16_t> xbars;
    std::uint32_t table_off = 0, table_bytes = 0;
  };
  std::vector<Slice> slices;
  // the whole layer's mapping on the chip's crossbars (the sme pass; its
  // figures, crossbars left empty): what the network needs, as the paper
  // counts it; and the figures of the placed slices (place_sme), which may
  // differ a little (each slice is squeezed on its own)
  SmeLayerMap whole, placed;
};

void sme_pass(CompileState& s);
bool is_sme(const QuantizedNetwork& q);
Placement place_sme(QuantizedNetwork& q, const ChipResources& chip, const SmeNetworkOptions& options);
void sme_programs(CompileState& s);

// For the run report, `imcvp compile` and `imcvp compare`: the network's
// crossbars three ways (dense bit-sliced on the chip's own cells, bit-plane,
// bit-plane with squeeze-out; whole layers), cells and columns, and of the
// placed slices the crossbars and index tables.
struct SmeSummary {
  unsigned layers = 0;  // 0: not SME
  unsigned nonzero_bits = 0;
  double squeeze_threshold = 0;
  std::uint64_t weights = 0, changed = 0;
  std::vector<std::uint64_t> bit_ones_before, bit_ones_after;  // per magnitude bit, over all layers
  std::uint64_t dense_crossbars = 0, bitplane_crossbars = 0, squeezed_crossbars = 0;
  std::uint64_t dense_cells = 0, nonzero_cells = 0, columns = 0, driven_rows = 0;
  std::uint64_t placed_crossbars = 0, placed_columns = 0, table_bytes = 0;  // 0 before place_sme
};
// Prints the summary for `imcvp compile` (nothing for a network that is not SME).
void print_sme_summary(std::ostream& os, const QuantizedNetwork& q);
SmeSummary sme_summary(const QuantizedNetwork& q);

}  // namespace imcvp::compiler
