// Post-training quantization: FloatNetwork + calibration images ->
// QuantizedNetwork (compiler/network.hpp). The integer arithmetic is defined
// in network.hpp (requantize) and docs/compiler.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/fmnist.hpp"
#include "compiler/network.hpp"

namespace imcvp::compiler {

enum class Calibration {
  Max,         // range = the largest |x| seen over the calibration images
  Percentile,  // range = that percentile of |x| over all values seen
};

struct QuantizeOptions {
  int weight_bits = 8;   // 2..8: per-output-channel symmetric weights
  // Mixed precision: Conv/FC layers (by name) quantized to their own
  // weight_bits (2..8) instead; sets the layer's attrs.weight_bits, which
  // placement checks against the crossbars' weight_bits. Empty: none.
  std::map<std::string, int> layer_weight_bits;
  int act_bits = 8;      // 2..16: per-tensor activations
  int logit_bits = 16;   // 2..24: the network output (signed)
  Calibration calibration = Calibration::Max;
  double percentile = 99.99;  // for Calibration::Percentile, in (0, 100]
};

// Range (largest real magnitude to represent) of every tensor, by tensor id,
// measured by running the float network on the first `count` images of
// `images` (0: all). The network input's range is exact from net.norm.
// Throws CompileInterrupted when `stop` is set (checked per image).
std::vector<double> calibrate(const FloatNetwork& net, const ImageSet& images, std::size_t count,
                              const QuantizeOptions& options = {}, const std::atomic<bool>* stop = nullptr);

// Quantizes with given tensor ranges (from calibrate(), or chosen by hand).
// Only the ranges of tensors produced by Conv/FullyConnected/Add/Concat are
// used; the input's comes from net.norm, the pools' from their inputs.
// The network becomes QuantizedNetwork::net (pass it with std::move to save
// a copy of the float weights).
QuantizedNetwork quantize_with_ranges(FloatNetwork net, const std::vector<double>& ranges,
                                      const QuantizeOptions& options = {});

// calibrate() + quantize_with_ranges().
QuantizedNetwork quantize(FloatNetwork net, const ImageSet& calibration_images, std::size_t count,
                          const QuantizeOptions& options = {}, const std::atomic<bool>* stop = nullptr);

// Without images: every tensor gets the placeholder range 1.0 (unsigned
// 8-bit ReLU outputs have scale 1/255, signed ones 1/127; the input keeps its
// exact range from net.norm). For performance estimation only: the result
// has calibrated == false, and its integers say nothing about accuracy.
std::vector<double> placeholder_ranges(const FloatNetwork& net);
QuantizedNetwork quantize_uncalibrated(FloatNetwork net, const QuantizeOptions& options = {});

// The fixed-point form of a positive real factor: M in [2^15, 2^16), S >= 1,
// M / 2^S ~ m (relative error < 2^-16). m == 0 gives {0, 1}. Throws
// CompileError when m >= 2^15 (not representable with S >= 1).
Requant make_requant(double m);

// Round half away from zero (the rounding of every real -> integer
// conversion at compile time: weights, biases, multipliers, the input table).
// The same as std::llround(x), without a library call per weight: for
// |x| < 2^62 the truncation t and x - t are exact, and x - t decides.
inline std::int64_t round_away(double x) {
  if (!(std::fabs(x) < 0x1p62)) return std::int64_t(std::llround(x));
  std::int64_t t = std::int64_t(x);
  const double frac = x - double(t);
  if (frac >= 0.5) ++t;
  else if (frac <= -0.5) --t;
  return t;
}

}  // namespace imcvp::compiler
