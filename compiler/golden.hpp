// Reference evaluators of a network on one image.
//
// GoldenModel runs a QuantizedNetwork in exact integer arithmetic: the
// accelerator must reproduce its output (and every intermediate tensor) bit
// for bit. FloatModel runs the FloatNetwork in float for the float accuracy
// and for calibration. Semantics: docs/compiler.md.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/network.hpp"

namespace imcvp::compiler {

class GoldenModel {
 public:
  // Keeps a reference to qnet, which must outlive it. One per thread.
  explicit GoldenModel(const QuantizedNetwork& qnet);
  // Runs one image of net.input_shape().size() uint8 pixels (CHW) and returns
  // the network output tensor: the final layer's requantized output, signed
  // logit_bits integers (see docs/compiler.md), one per class.
  // A Conv/FC layer whose attrs.golden is set runs that hook instead of the
  // standard arithmetic (a technique's exact arithmetic, layer_attrs.hpp).
  const std::vector<std::int32_t>& run(const std::uint8_t* image);
  // After run(): any tensor by id (the quantized values, CHW).
  const std::vector<std::int32_t>& tensor(int id) const { return t_.at(std::size_t(id)); }
  const QuantizedNetwork& network() const { return q_; }

 private:
  const QuantizedNetwork& q_;
  std::vector<std::vector<std::int32_t>> t_;
  bool narrow_ = false;                        // every tensor fits 16 bits
  std::vector<std::vector<std::int32_t>> w_;   // weights widened for the inner loops
  std::vector<std::vector<std::int16_t>> w16_;
  std::vector<std::int32_t> acc_;
  std::vector<std::int16_t> in16_, pad16_;
  std::vector<std::int32_t> pad32_, wide_;
};

class FloatModel {
 public:
  // Keeps a reference to net, which must outlive it. One per thread.
  explicit FloatModel(const FloatNetwork& net);
  // Runs one image (pixels -> net.norm -> layers) and returns the output tensor.
  const std::vector<float>& run(const std::uint8_t* image);
  const std::vector<float>& tensor(int id) const { return t_.at(std::size_t(id)); }

 private:
  const FloatNetwork& net_;
  std::vector<std::vector<float>> t_;
  std::vector<float> padded_, wide_;
};

// Helpers for techniques' golden hooks (layer_attrs.hpp GoldenHook).
// A Conv/FC layer's dot products (channel groups too), CHW, zero padding:
// acc[o][window] = sum_k w[o][k] x in[k] in 64 bits, w in the layer's
// weight layout (out.c x fan_in).
void layer_accumulate(const Layer& layer, const std::int32_t* w, const std::int32_t* in, std::int64_t* acc);
// The call's output: acc (out.c x positions) + bias, requantized and clamped
// with the layer's constants.
void requantize_outputs(const GoldenLayerCall& call, const std::int64_t* acc);

// Index of the largest value; the first one on ties.
template <typename T>
int argmax(const std::vector<T>& v) {
  int best = 0;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[std::size_t(best)]) best = int(i);
  return best;
}

}  // namespace imcvp::compiler
