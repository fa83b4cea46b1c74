// The coefficients of one BasisN layer slice as the BasisScaler's
// coefficient memory holds them (imcvp/accel.h IMCVP_EXT_BASIS): c[o][s][j]
// as coef_bits-bit two's complement fields of one LSB-first bit stream,
// zero padded to a multiple of 4 bytes. The one definition of that format:
// the compiler encodes with it, the block decodes with it. Plain C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imcvp/accel.h"

namespace imcvp {

// Bytes the coefficients of `outputs` outputs take.
std::uint64_t basis_coef_bytes(std::uint64_t outputs, std::uint64_t segments, unsigned count, unsigned coef_bits);

// Packs c (outputs x segments x count values, each within coef_bits-bit two's
// complement) into the memory format. Throws std::invalid_argument naming
// the first value out of range.
std::vector<std::uint8_t> encode_basis_coefs(const std::vector<std::int8_t>& c, unsigned coef_bits);

// Decodes the `outputs` outputs' coefficients at `data` (`bytes` bytes) as
// `rec` describes them into c (outputs x segments x count). Returns false with
// `error` set on a bad field or a size that does not match.
bool decode_basis_coefs(const imcvp_ext_basis& rec, unsigned outputs, const std::uint8_t* data, std::size_t bytes,
                        std::vector<std::int8_t>& c, std::string& error);

}  // namespace imcvp
