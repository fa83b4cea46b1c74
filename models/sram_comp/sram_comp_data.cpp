#include "models/sram_comp/sram_comp_data.hpp"

#include <algorithm>

namespace imcvp {

namespace {
std::uint64_t pad4(std::uint64_t n) { return (n + 3) / 4 * 4; }
}  // namespace

std::uint64_t sram_comp_mask_bytes(unsigned outputs, unsigned groups_per_output) {
  return pad4((std::uint64_t(outputs) * groups_per_output + 7) / 8);
}

bool decode_sram_comp(const imcvp_ext_sram_comp& rec, const std::uint8_t* data, std::size_t bytes,
                      SramCompLayer& out, std::string& error) {
  if (rec.weight_bits < 1 || rec.weight_bits > 8) {
    error = "weight_bits " + std::to_string(rec.weight_bits) + " is outside 1..8";
    return false;
  }
  if (rec.group_rows == 0 || rec.weight_rows == 0 || rec.layer_outputs == 0) {
    error = "group_rows, weight_rows and layer_outputs must be > 0";
    return false;
  }
  out = SramCompLayer{};
  out.outputs = rec.layer_outputs;
  out.rows = rec.weight_rows;
  out.group_rows = rec.group_rows;
  out.weight_bits = rec.weight_bits;
  out.groups_per_output = unsigned((std::uint64_t(rec.weight_rows) + rec.group_rows - 1) / rec.group_rows);
  out.mask_bytes = sram_comp_mask_bytes(out.outputs, out.groups_per_output);
  if (out.mask_bytes > bytes) {
    error = "the mask takes " + std::to_string(out.mask_bytes) + " bytes, the record gives " + std::to_string(bytes);
    return false;
  }
  // first pass: kept groups and the bits they take
  std::uint64_t kept = 0, field_bits = 0;
  const unsigned G = out.groups_per_output;
  for (unsigned o = 0; o < out.outputs; ++o)
    for (unsigned g = 0; g < G; ++g) {
      const std::uint64_t bit = std::uint64_t(o) * G + g;
      if (!((data[bit >> 3] >> (bit & 7)) & 1)) continue;
      ++kept;
      const std::uint64_t r0 = std::uint64_t(g) * out.group_rows;
      const std::uint64_t n = std::min<std::uint64_t>(out.group_rows, out.rows - r0);
      field_bits += n * out.weight_bits;
    }
  if (kept != rec.kept_groups) {
    error = "the mask keeps " + std::to_string(kept) + " groups, the record says " + std::to_string(rec.kept_groups);
    return false;
  }
  out.kept_groups = kept;
  out.weight_bytes = pad4((field_bits + 7) / 8);
  if (out.mask_bytes + out.weight_bytes > bytes) {
    error = "the data takes " + std::to_string(out.mask_bytes + out.weight_bytes) + " bytes, the record gives " +
            std::to_string(bytes);
    return false;
  }
  out.weights.assign(std::size_t(out.outputs) * out.rows, 0);
  out.kept_rows.assign(out.outputs, 0);
  const std::uint8_t* w = data + out.mask_bytes;
  std::uint64_t pos = 0;  // bit position in the field stream
  const unsigned b = out.weight_bits;
  for (unsigned o = 0; o < out.outputs; ++o)
    for (unsigned g = 0; g < G; ++g) {
      const std::uint64_t bit = std::uint64_t(o) * G + g;
      if (!((data[bit >> 3] >> (bit & 7)) & 1)) continue;
      const std::uint64_t r0 = std::uint64_t(g) * out.group_rows;
      const std::uint64_t n = std::min<std::uint64_t>(out.group_rows, out.rows - r0);
      out.kept_rows[o] += std::uint32_t(n);
      for (std::uint64_t r = 0; r < n; ++r) {
        unsigned v = 0;
        for (unsigned i = 0; i < b; ++i, ++pos) v |= unsigned((w[pos >> 3] >> (pos & 7)) & 1) << i;
        int x;
        if (b == 1) x = v ? -1 : 1;
        else x = (v & (1u << (b - 1))) ? int(v) - int(1u << b) : int(v);
        out.weights[std::size_t(o) * out.rows + r0 + r] = std::int8_t(x);
      }
    }
  return true;
}

}  // namespace imcvp
