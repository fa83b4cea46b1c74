// Memory planning: every tile buffer's layout. Per tile, 4-byte aligned: the
// PROGRAM descriptor slot at IMCVP_IMAGE_PROGRAM_DESC_OFF (with room for
// an IMCVP_EXT_PROGRAM_CHANGES record in an image without levels), one slot per
// record (the 72-byte descriptor and its extension records), the records'
// requantization parameters, the levels staging area (tiles with crossbars,
// images with levels), then tensors, whose bytes a first-fit allocator gives
// back after their last reader (ImageOptions::reuse_buffers).
// docs/compiler.md "Buffer allocation".
#pragma once

#include <vector>

#include "compiler/image_lowering.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"

namespace imcvp::compiler {

struct MemoryPlan {
  std::vector<ImageTile> tiles;   // levels_stage_off, buffer_used (programs: filled by the builder)
  std::vector<ImageLayer> layers; // the lowered records with their buffer offsets and sources, execution order
  ImageIo input{}, output{};
};

// Gives every lowered record its descriptor and parameter slots and every
// tensor its buffer bytes; a record whose input lives on another tile gets
// the source (tile, offset) the firmware copies from. Throws CompileError
// naming the layer, the tensor, its bytes and the tile when a buffer is too
// small.
MemoryPlan plan_memory(const QuantizedNetwork& qnet, const Placement& placement, std::vector<LoweredLayer> lowered,
                       const ImageOptions& options);

// The image from its parts: the chip, groups and input table, the planned
// records and tiles, and the programs (per tile, from layout_weights), whose
// PROGRAM descriptors get their tile's levels staging offset; the block data
// from the layers' attributes (lower_block_data).
ProgramImage assemble_program_image(const QuantizedNetwork& qnet, const Placement& placement,
                                    const ImageOptions& options, std::vector<std::vector<ImageProgram>> programs,
                                    MemoryPlan plan);

}  // namespace imcvp::compiler
