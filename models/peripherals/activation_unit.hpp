// ActivationUnit: the tile's output stage. Adds the per-channel bias to the
// accumulated dot product, requantizes with the per-channel fixed-point
// multiplier and shift, and clamps to the output format (the lower bound is 0
// with a fused ReLU), bit-exactly as the compiler's golden reference
// (compiler/network.hpp requantize / requantize_add):
//   q = clamp((x * M + 2^(S-1)) >> S, lo, hi)      (>> arithmetic, 64-bit)
//   add: q = clamp((a * Ma + b * Mb + 2^(S-1)) >> S, lo, hi)
// It counts its operations for time and energy.
#pragma once
#include "imcvp/accel.h"
#include <cstdint>

namespace imcvp {

class ActivationUnit {
 public:
  // (acc + bias) requantized; shift must be 1..62.
  int32_t requantize(int64_t acc, int32_t bias, int32_t multiplier, int shift, int32_t lo,
                     int32_t hi) {
    ++ops_;
    return imcvp_requantize(acc, bias, multiplier, shift, lo, hi);
  }
  int32_t requantize_add(int64_t a, int64_t b, int32_t ma, int32_t mb, int shift, int32_t lo,
                         int32_t hi) {
    ++ops_;
    return imcvp_requantize_add(a, b, ma, mb, shift, lo, hi);
  }
  // Clamp only (max pooling).
  int32_t saturate(int64_t v, int32_t lo, int32_t hi) {
    ++ops_;
    return imcvp_clamp32(v, lo, hi);
  }

  uint64_t operations() const { return ops_; }
  void reset_counters() { ops_ = 0; }

 private:
  uint64_t ops_ = 0;
};

}  // namespace imcvp
