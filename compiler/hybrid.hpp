// Hybrid RRAM/SRAM compensation (Krishnan et al., IEEE TCAD 2022): the
// compiler side. A compensated layer arrives in the ONNX file as two
// branches on one input,
//   Add(Conv_or_Gemm_RRAM(x) + bias, Mul(Conv_or_Gemm_SRAM(x), 2^-shift))
// (the importer folds the Mul into the SRAM branch's weights), named by the
// model's metadata "imcvp.hybrid.pairs". Two passes of the default pipeline:
//   hybrid-fuse      (after import):   merges each pair and its Add into one
//                                      Conv/FC layer (technique "hybrid");
//   hybrid-quantize  (after quantize): the layer's integers: RRAM weights on
//                                      the crossbars, integer compensation
//                                      weights in the tile's SRAM, bias and
//                                      requantization at the fine scale
//                                      sw[o] 2^-shift, the golden hook, the
//                                      SRAM data (block data) and the
//                                      IMCVP_EXT_SRAM_COMP record per slice.
// Both do nothing when the network has no "imcvp.hybrid.pairs" metadata.
// docs/compiler.md "Hybrid RRAM/SRAM compensation".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/network.hpp"

namespace imcvp::compiler {

struct CompileState;

// Metadata keys (FloatNetwork::metadata, from the ONNX metadata_props).
constexpr const char* kHybridPairsKey = "imcvp.hybrid.pairs";  // "RRAM=SRAM;RRAM=SRAM"
constexpr const char* kHybridShiftKey = "imcvp.hybrid.shift";  // 0..3
constexpr const char* kHybridSramBitsKey = "imcvp.hybrid.sram_weight_bits";  // 1..8
constexpr const char* kHybridGroupChannelsKey = "imcvp.hybrid.group_channels";  // >= 1
constexpr const char* kHybridRramBitsKey = "imcvp.hybrid.rram_weight_bits";  // 2..8, optional

// The network's hybrid settings, read and checked from its metadata.
struct HybridConfig {
  std::vector<std::pair<std::string, std::string>> pairs;  // (RRAM node, SRAM node)
  int shift = 0;             // the SRAM partial sum weighs 2^-shift of an RRAM weight LSB
  int sram_weight_bits = 0;  // bits per compensation weight
  int group_channels = 0;    // input channels per pruning group
  int rram_weight_bits = 0;  // the RRAM branch's trained precision (0: not given)
};
// false when the network has no "imcvp.hybrid.pairs" metadata; otherwise
// fills `config` and returns true, or throws CompileError naming the
// metadata key and its value (missing, not an integer, out of range,
// malformed pairs).
bool read_hybrid_config(const FloatNetwork& net, HybridConfig& config);

// attrs.data["hybrid"] of a hybrid layer (technique "hybrid").
struct HybridLayer {
  // hybrid-fuse: the two branches as imported (out.c x fan_in each; the
  // SRAM one already scaled by 2^-shift through the folded Mul). The layer's
  // own weight/bias are their sum (the pair's exact float function).
  std::string sram_layer;  // the SRAM branch's layer (removed)
  std::string add_layer;   // the Add that joined them (removed)
  std::vector<float> rram_weight, sram_weight;
  int shift = 0, sram_weight_bits = 0, group_channels = 0;
  // hybrid-quantize:
  std::vector<std::int8_t> comp;  // c[o][k], the integer compensation weights (out.c x fan_in)
  unsigned group_rows = 0;        // weight rows per pruning group
  std::uint32_t sram_off = 0;     // the data's offset in the SramCompensation SRAM
  std::vector<std::uint8_t> sram_data;  // what lies at sram_off (imcvp/accel.h IMCVP_EXT_SRAM_COMP)
  // figures
  std::uint64_t stored_bits = 0;    // mask bits + kept weights x sram_weight_bits (unpadded)
  std::uint64_t kept_groups = 0, total_groups = 0;
  std::uint64_t kept_weights = 0, total_weights = 0;  // rows in kept groups / all rows x outputs
  std::uint64_t sram_bytes() const { return sram_data.size(); }
};

// The SRAM data of one layer (imcvp/accel.h IMCVP_EXT_SRAM_COMP): the mask
// (outputs x G bits, G = ceil(rows / group_rows), LSB first, padded to 4
// bytes), then the kept groups' weights as `bits`-bit two's complement
// fields (1 bit: 0 = +1, 1 = -1) of one LSB-first bit stream, padded to 4
// bytes. comp is outputs x rows; a group is kept when any of its weights is
// non-zero. Throws CompileError when a 1-bit kept group holds a 0.
std::vector<std::uint8_t> hybrid_sram_data(const std::vector<std::int8_t>& comp, unsigned outputs, unsigned rows,
                                           unsigned group_rows, int bits);

// The passes, and their names in the default pipeline.
void hybrid_fuse_pass(CompileState& s);
void hybrid_quantize_pass(CompileState& s);
// The same on a network directly (the passes call these). chip_tiles > 0:
// the SRAM data must fit sram_comp_bytes.
void hybrid_fuse(FloatNetwork& net);
void hybrid_quantize(QuantizedNetwork& q, unsigned chip_tiles, std::uint32_t sram_comp_bytes);

// For the run report.
struct HybridSummary {
  unsigned layers = 0;  // hybrid layers (0: no compensation)
  int shift = 0, sram_weight_bits = 0, group_channels = 0;
  std::uint64_t sram_bits_stored = 0;  // mask + weights, over all hybrid layers
  std::uint64_t sram_weight_bits_stored = 0;  // kept weights x sram_weight_bits
  std::uint64_t sram_bytes = 0;        // SRAM used (padded)
  std::uint64_t rram_weight_bits = 0;  // every Conv/FC layer: weights x its weight bits
  std::uint64_t kept_weights = 0, total_weights = 0;  // compensation weights
  std::uint64_t kept_groups = 0, total_groups = 0;
  double pruning_ratio = 0.0;  // 1 - kept / total compensation weights (0 without any)
};
HybridSummary hybrid_summary(const QuantizedNetwork& q);

}  // namespace imcvp::compiler
