// The compensation weights of one layer as the SRAM holds them (the format
// of imcvp/accel.h IMCVP_EXT_SRAM_COMP: a kept-group mask, then the kept
// groups' weights as packed two's-complement fields, 1-bit fields binary
// +1/-1), decoded for the PEs. Plain C++ (no SystemC).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imcvp/accel.h"

namespace imcvp {

struct SramCompLayer {
  unsigned outputs = 0;       // the whole layer's output channels
  std::uint32_t rows = 0;     // weight rows per output (fan-in)
  unsigned group_rows = 1;
  unsigned weight_bits = 1;
  unsigned groups_per_output = 0;
  std::uint64_t kept_groups = 0;
  std::vector<std::int8_t> weights;        // outputs x rows, 0 in pruned groups
  std::vector<std::uint32_t> kept_rows;    // per output: weight rows in kept groups (its MACs per window)
  std::uint64_t mask_bytes = 0, weight_bytes = 0;  // as stored (each padded to 4)
};

// Bytes the data of a layer takes: the mask (outputs x groups bits, padded to
// 4) and the kept groups' fields (padded to 4).
std::uint64_t sram_comp_mask_bytes(unsigned outputs, unsigned groups_per_output);

// Decodes the data at `data` (`bytes` bytes from the record's sram_off).
// Returns false with `error` set when the record and the data disagree (bad
// field, data larger than `bytes`, kept groups not as the record says).
bool decode_sram_comp(const imcvp_ext_sram_comp& rec, const std::uint8_t* data, std::size_t bytes,
                      SramCompLayer& out, std::string& error);

}  // namespace imcvp
