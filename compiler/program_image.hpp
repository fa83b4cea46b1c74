// The program image: everything the firmware needs to run a placed network
// (its crossbars' levels, one record per layer or slice with its descriptor,
// parameters and extension records, buffer offsets). Versioned,
// little-endian, CRC32-protected; the records are imcvp/program_image.h's
// structs; docs/compiler.md "Placement and the program image".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/network.hpp"
#include "imcvp/accel.h"
#include "imcvp/program_image.h"
#include "compiler/placement.hpp"

namespace imcvp::compiler {

// The binary layout: firmware/hal/include/imcvp/program_image.h, the one
// definition the compiler writes and the firmware reads.
constexpr std::uint32_t kImageMagic = IMCVP_IMAGE_MAGIC;
constexpr std::uint16_t kImageVersion = IMCVP_IMAGE_VERSION;
constexpr std::uint32_t kImageHeaderBytes = sizeof(imcvp_image_header);

// The tile's layer descriptor and requantization entry: the one definition
// in firmware/hal/include/imcvp/accel.h, shared with the tile model and the
// firmware.
using LayerDesc = imcvp_layer_desc;
using RequantEntry = imcvp_requant;
namespace desc {
constexpr std::uint32_t kMagic = IMCVP_DESC_MAGIC;
constexpr std::uint16_t kVersion = IMCVP_DESC_VERSION;
enum Op : std::uint8_t {
  Conv = IMCVP_OP_CONV, FC = IMCVP_OP_FC, MaxPool = IMCVP_OP_MAXPOOL,
  AvgPool = IMCVP_OP_AVGPOOL, Add = IMCVP_OP_ADD, Program = IMCVP_OP_PROGRAM, Requant = IMCVP_OP_REQUANT
};
constexpr std::uint8_t kFmtSigned = IMCVP_FMT_SIGNED;
}  // namespace desc

// IMCVP_FMT_* of an activation format: 1, 2 or 4 bytes, bit 7 = signed.
std::uint8_t element_format(const ActFormat& f);
inline unsigned format_bytes(std::uint8_t fmt) { return fmt & 0x07u; }

// A tile's record and the input/output tensor records are the image's own
// structs (imcvp/program_image.h): first_program, program_count,
// levels_stage_off, buffer_used; tile, fmt, buf_off, c, h, w.
using ImageTile = imcvp_image_tile;
using ImageIo = imcvp_image_io;

// The cells one PROGRAM changes (IMCVP_EXT_PROGRAM_CHANGES, imcvp/accel.h):
// what the tile charges in performance estimation.
struct ProgramChanges {
  std::vector<std::uint32_t> cells;  // per target level (2^cell_bits): cells whose level changes to it
  std::uint32_t write_groups = 0;    // sum over rows of ceil(changed cells of the row / write_parallel)
  std::uint16_t write_parallel = 1;  // the crossbars' write_parallel_cells
  std::uint64_t total() const;       // cells written
};
// The whole extension record (header and payload) and back; the parser
// throws CompileError on a malformed record.
std::vector<std::uint8_t> program_changes_record(const ProgramChanges& c);
ProgramChanges parse_program_changes(const std::vector<std::uint8_t>& record);
// Bytes of one such record for crossbars of `cell_bits`-bit cells.
std::uint32_t program_changes_record_bytes(unsigned cell_bits);

struct ImageProgram {
  std::uint16_t tile = 0;
  std::uint16_t group = 0;
  LayerDesc desc{};                  // op PROGRAM, xbar, param_off = the tile's levels_stage_off
  std::vector<std::uint8_t> levels;  // rows x cols, row-major
  // Extension records the firmware writes after the descriptor: ext[0] the
  // first time it issues the record after loading, ext[1] every later time
  // (imcvp_image_program.ext_off). An image without levels: each an
  // IMCVP_EXT_PROGRAM_CHANGES record (layout_weights); both empty: the
  // firmware takes the crossbar as programmed. Of equal size.
  std::vector<std::uint8_t> ext[2];
};

struct ImageLayer {
  std::uint16_t tile = 0;
  std::uint16_t group = 0;        // the crossbars must hold this group's levels
  std::uint16_t net_layer = 0;    // index into the network's layers
  std::uint32_t desc_off = 0;     // buffer offset to write `desc` to (DESC_ADDR)
  // Inputs produced on another tile (or the network input held elsewhere):
  // copy from (src_tile, src_off) to desc.in_off / in2_off first. 0xFFFF: local.
  std::uint16_t src_tile[2] = {0xFFFF, 0xFFFF};
  std::uint32_t src_off[2] = {0, 0};
  LayerDesc desc{};                  // desc.ext_bytes = ext.size()
  std::vector<RequantEntry> params;  // to write at desc.param_off
  // Extension records (imcvp/accel.h imcvp_ext_record, whole records:
  // header + payload), written right after the descriptor at desc_off + 72.
  std::vector<std::uint8_t> ext;
};

// A memory image one tile's block holds before the first inference
// (imcvp_image_block_data): `bytes` at `offset` of the window of block slot
// `slot` (IMCVP_TILE_BLOCK(slot)). Built from the Conv/FC layers'
// LayerAttributes::block_data (image_lowering.hpp lower_block_data).
struct ImageBlockData {
  std::uint16_t tile = 0;
  std::uint16_t slot = 0;
  std::uint32_t offset = 0;
  std::vector<std::uint8_t> bytes;  // a multiple of 4, > 0
};

struct ProgramImage {
  std::uint16_t version = kImageVersion;
  ChipResources chip;
  // false: no cell levels (IMCVP_IMAGE_FLAG_NO_LEVELS); the programs keep
  // their crossbar and group but carry empty `levels`, and the cells they
  // change in `ext` (the tile charges programming from them).
  bool levels = true;
  unsigned groups = 1;                 // > 1: the firmware reprograms between groups
  std::vector<ImageTile> tiles;
  std::vector<ImageProgram> programs;  // grouped by tile
  std::vector<ImageLayer> layers;      // execution order; one per slice of a split layer
  ImageIo input{}, output{};
  std::int32_t input_lut[256] = {};    // pixel -> input code (QuantizedNetwork::input_lut)
  // Written by the firmware once, after group 0's crossbars, in this order.
  std::vector<ImageBlockData> block_data;
};

struct ImageOptions {
  // Map every crossbar's weights to cell levels (false: an image for
  // performance estimation only, without levels: IMCVP_IMAGE_FLAG_NO_LEVELS;
  // each PROGRAM carries instead the counts of the cells it changes).
  bool levels = true;
  // Give a tensor's buffer bytes back after its last reader (false: every
  // tensor keeps its own bytes). A pipeline needs false: at a step boundary
  // every stage's input is copied at once, so a stage's output must not sit
  // where that stage's input copy lands.
  bool reuse_buffers = true;
};

// Builds the image's content in three steps (each its own file):
// lower_network (image_lowering.hpp: descriptors, parameters, extension
// records, one REQUANT record per Concat input, COPY records gathering a layer
// split over tiles), layout_weights (weight_layout.hpp: PROGRAM records with
// the cell levels, by the crossbar layout) and plan_memory (memory_plan.hpp:
// buffer offsets per tile: descriptor slots, parameters, levels staging, then
// tensors, whose bytes a first-fit allocator gives back after their last
// reader). Throws CompileError naming the layer and sizes when a tile's buffer
// is too small.
ProgramImage build_program_image(const QuantizedNetwork& qnet, const Placement& placement,
                                 const ImageOptions& options = {});

// Serialisation (image_serialize.cpp): the records, then the data section
// (levels, parameters, extension records, then block data, entries of equal
// bytes sharing them). Sets every record's ext_off and desc.ext_bytes from
// its `ext`, which must be well-formed records; checks the block data as the
// reader does.
std::vector<std::uint8_t> serialize_program_image(const ProgramImage& image);
// build + serialize.
std::vector<std::uint8_t> write_program_image(const QuantizedNetwork& qnet, const Placement& placement);
// Parses and validates; throws CompileError ("program image: bad CRC32 ...")
// on a bad magic, version (an older one: "recompile the network"), size, CRC,
// offset, malformed extension records, or block data outside the chip, a
// block window or the data section. Ops and record types are the tile's
// to check.
ProgramImage read_program_image(const std::vector<std::uint8_t>& bytes);
ProgramImage read_program_image(const std::uint8_t* bytes, std::size_t size);

std::uint32_t crc32(const std::uint8_t* data, std::size_t size);

}  // namespace imcvp::compiler
