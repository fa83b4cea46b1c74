#include "models/peripherals/shift_add.hpp"

namespace imcvp {

void ShiftAdd::combine(const int64_t* col, unsigned outputs, int64_t input_sum, int64_t* y) {
  const unsigned S = p_.weight_slices();
  const unsigned cb = p_.cell_bits;
  const bool differential = p_.signed_mode == SignedMode::Differential;
  const unsigned per = p_.cols_per_output();
  const int64_t bias = differential ? 0 : (int64_t(1) << (p_.weight_bits - 1)) * input_sum;
  for (unsigned j = 0; j < outputs; ++j) {
    const int64_t* c = col + size_t(j) * per;
    int64_t v = 0;
    for (unsigned s = 0; s < S; ++s) {
      v += c[s] * (int64_t(1) << (s * cb));
      if (differential) v -= c[S + s] * (int64_t(1) << (s * cb));
    }
    y[j] += v - bias;
  }
  ops_ += uint64_t(outputs) * (per + (differential ? 0 : 1));
}

}  // namespace imcvp
