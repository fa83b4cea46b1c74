// The attributes a layer of the IR carries through the compiler pipeline
// (compiler/pipeline.hpp): what the passes decide per layer beyond the
// network's own arithmetic. Every field is optional; an empty one means the
// baseline (the network-wide default), so a pass sets only what it owns.
// docs/compiler.md "The pipeline"; docs/contributing.md "Adding a pass".
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace imcvp::compiler {

struct Layer;
struct QuantLayer;

// One Conv/FC layer of the golden reference (GoldenModel::run): its input
// tensor (CHW, integer codes) and its output tensor, already sized, which the
// hook fills with the layer's requantized output.
struct GoldenLayerCall {
  const Layer& layer;
  const QuantLayer& quant;
  const std::vector<std::int32_t>& input;
  std::vector<std::int32_t>& output;
};
// A technique's exact arithmetic for one layer, in place of the standard
// "bias + sum(w x in), requantize". It runs in every GoldenModel of every
// evaluation thread at once: it must not change shared state.
using GoldenHook = std::function<void(const GoldenLayerCall&)>;

// A memory image a technique's block must hold before the first inference
// (compensation weights, coefficients, a register such as a shifter): the
// firmware writes `bytes` into the block window of slot `slot` at `offset`
// (IMCVP_TILE_BLOCK(slot) + offset of the tile window) on every tile that
// runs a slice of the layer, from the program image's block data.
struct BlockData {
  unsigned slot = 0;
  std::uint32_t offset = 0;
  std::vector<std::uint8_t> bytes;
  int tile = -1;  // >= 0: only on this tile (a slice's own data); -1: every tile running the layer
};
// A technique's extension records for one slice of a Conv/FC layer (output
// channels [c0, c0 + channels) of the layer, on tile `tile`): whole records
// (compiler/ext_records.hpp), appended after LayerAttributes::ext in that
// slice's image record.
using SliceExtHook = std::function<std::vector<std::uint8_t>(unsigned c0, unsigned channels, unsigned tile)>;

struct LayerAttributes {
  // The technique pass that owns the layer ("" : the baseline); reports and
  // errors name it.
  std::string technique;
  // Conv/FC: the golden reference's arithmetic for this layer (unset: the
  // standard one, docs/compiler.md "Quantization").
  GoldenHook golden;
  // Extension records (imcvp/accel.h imcvp_ext_record: whole records, header
  // and payload, each a multiple of 4 bytes) that every image record of this
  // layer carries after its descriptor (compiler/ext_records.hpp builds them).
  std::vector<std::uint8_t> ext;
  // Conv/FC: per-slice extension records (unset: none).
  SliceExtHook slice_ext;
  // Memory images of blocks this layer needs resident (program image v4
  // block data; the same bytes at the same offset on every tile running it).
  std::vector<BlockData> block_data;
  // Conv/FC: the layer's own weight precision (QuantizeOptions::
  // layer_weight_bits, mixed precision): quantized to that many bits and held
  // in that many bits per weight (placement.hpp layer_format()); the image
  // record carries an IMCVP_EXT_WEIGHT_FORMAT record. 0: the network's
  // weight_bits, held in the crossbars' own format.
  int weight_bits = 0;
  // Conv/FC: the layer reads crossbars its technique programs itself, for
  // several layers at once (BasisN's basis crossbars) or in its own form
  // (SME's bit planes): the weight layout writes no crossbar for it.
  bool shared_crossbars = false;
  // Technique data, by the technique's name: whatever its passes hand to one
  // another (a basis, epitome tables, per-layer precision ...).
  std::map<std::string, std::any> data;
};

}  // namespace imcvp::compiler
