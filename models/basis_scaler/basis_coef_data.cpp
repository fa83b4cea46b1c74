#include "models/basis_scaler/basis_coef_data.hpp"

#include <stdexcept>

namespace imcvp {

std::uint64_t basis_coef_bytes(std::uint64_t outputs, std::uint64_t segments, unsigned count, unsigned coef_bits) {
  const std::uint64_t bits = outputs * segments * count * coef_bits;
  return ((bits + 7) / 8 + 3) / 4 * 4;
}

std::vector<std::uint8_t> encode_basis_coefs(const std::vector<std::int8_t>& c, unsigned coef_bits) {
  if (coef_bits < 2 || coef_bits > 8) throw std::invalid_argument("coef_bits " + std::to_string(coef_bits) + " is outside 2..8");
  const int hi = (1 << (coef_bits - 1)) - 1, lo = -(1 << (coef_bits - 1));
  std::vector<std::uint8_t> out(std::size_t(((uint64_t(c.size()) * coef_bits + 7) / 8 + 3) / 4 * 4), 0);
  std::uint64_t pos = 0;
  const unsigned mask = (1u << coef_bits) - 1u;
  for (std::size_t i = 0; i < c.size(); ++i, pos += coef_bits) {
    if (c[i] < lo || c[i] > hi)
      throw std::invalid_argument("coefficient " + std::to_string(i) + " = " + std::to_string(c[i]) + " needs more than " +
                                  std::to_string(coef_bits) + " bits");
    const unsigned v = unsigned(c[i]) & mask;
    for (unsigned b = 0; b < coef_bits; ++b)
      if ((v >> b) & 1u) out[std::size_t((pos + b) >> 3)] |= std::uint8_t(1u << ((pos + b) & 7));
  }
  return out;
}

bool decode_basis_coefs(const imcvp_ext_basis& rec, unsigned outputs, const std::uint8_t* data, std::size_t bytes,
                        std::vector<std::int8_t>& c, std::string& error) {
  const unsigned cb = rec.coef_bits;
  if (cb < 2 || cb > 8) {
    error = "coef_bits " + std::to_string(cb) + " is outside 2..8";
    return false;
  }
  const std::uint64_t n = std::uint64_t(outputs) * rec.segments * rec.count;
  const std::uint64_t need = basis_coef_bytes(outputs, rec.segments, rec.count, cb);
  if (need != rec.coef_bytes || need > bytes) {
    error = std::to_string(outputs) + " outputs x " + std::to_string(rec.segments) + " segments x " +
            std::to_string(rec.count) + " coefficients of " + std::to_string(cb) + " bits take " +
            std::to_string(need) + " bytes, the record says " + std::to_string(rec.coef_bytes);
    return false;
  }
  c.resize(std::size_t(n));
  std::uint64_t pos = 0;
  for (std::uint64_t i = 0; i < n; ++i, pos += cb) {
    unsigned v = 0;
    for (unsigned b = 0; b < cb; ++b) v |= unsigned((data[(pos + b) >> 3] >> ((pos + b) & 7)) & 1u) << b;
    c[std::size_t(i)] = std::int8_t(int(v << (32 - cb)) >> (32 - cb));  // sign-extend
  }
  return true;
}

}  // namespace imcvp
