// Lowering: a placed network to the tile's records, one descriptor (with its
// requantization parameters and extension records) per record, in execution
// order. Buffer offsets are left to memory planning (memory_plan.hpp), which
// reads what each record reads and writes from RecordBuffers.
// docs/compiler.md "The program image".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"

namespace imcvp::compiler {

// The tensors a record reads and writes, for memory planning.
struct RecordBuffers {
  int input[2] = {-1, -1};  // tensor ids read at desc.in_off / desc.in2_off (-1: none)
  int output = -1;          // tensor id written at desc.out_off ...
  unsigned out_c0 = 0;      // ... from its channel out_c0 (a slice, a Concat input)
  // A slice on another tile than its layer's: it writes a slice-sized
  // temporary on its own tile, which the next record (a gather) copies.
  bool temporary = false;
  // IMCVP_IMAGE_OP_COPY: the previous record's temporary -> channels
  // out_c0.. of `output` on this record's tile (never written to a tile).
  bool gather = false;
};

struct LoweredRecord {
  ImageLayer layer;  // tile, group, net_layer, desc without buffer offsets, params, ext
  RecordBuffers buffers;
};

struct LoweredLayer {
  unsigned tile = 0;          // the tile of its output tensor
  bool output_first = false;  // its output is placed before its inputs (Conv/FC, Concat)
  std::vector<LoweredRecord> records;
};

// Parallel to qnet.net.layers. Throws CompileError naming the layer when a
// field does not fit the descriptor or its extension records are malformed.
// A Conv/FC slice's record carries the layer's attrs.ext, then the lowering's
// IMCVP_EXT_WEIGHT_FORMAT record (a layer of its own precision), then
// attrs.slice_ext(c0, channels, tile) of that slice (when set).
std::vector<LoweredLayer> lower_network(const QuantizedNetwork& qnet, const Placement& placement);

// The image's block data from every Conv/FC layer's attrs.block_data: one
// entry per BlockData for each tile that runs a slice of the layer (tiles in
// increasing order, layers in network order). An entry equal to one already
// listed (tile, slot, offset and bytes) is listed once. Throws CompileError
// naming the layer for a slot >= IMCVP_TILE_MAX_BLOCKS, an empty or
// unaligned entry or one past the block window (IMCVP_TILE_BLOCK_SIZE), for
// block data on a layer without weights, and naming both layers for
// overlapping entries of one tile and slot whose common bytes differ.
std::vector<ImageBlockData> lower_block_data(const QuantizedNetwork& qnet, const Placement& placement);

// A descriptor of op `op` with magic and version set, unit kernel and
// stride, everything else 0.
LayerDesc blank_desc(std::uint8_t op);

}  // namespace imcvp::compiler
