// The network compiler's intermediate representation (namespace imcvp::compiler).
//
// A network is a list of layers in topological order over numbered tensors.
// Every activation tensor is laid out CHW (C-major, like PyTorch), so a
// Flatten/Reshape to [N, C*H*W] is a no-op: a fully-connected layer reads its
// input tensor as one vector of C*H*W values in that order.
//
// FloatNetwork is what import_onnx() returns (float weights, BatchNorm folded
// in, ReLU/ReLU6 fused into its producer). QuantizedNetwork (quantize.hpp) adds the
// integer weights, biases, activation formats and requantization constants;
// from then on everything is integer arithmetic as defined below and in
// docs/compiler.md.
#pragma once

#include "compiler/layer_attrs.hpp"
#include "imcvp/accel.h"
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace imcvp::compiler {

// Every error a user can cause (a bad file, an unsupported operator, a bad
// option) is a CompileError with a message naming the file/node/field.
class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stop request: the caller's flag (CompileOptions::stop, set by a signal
// handler, say) was seen set between passes or inside a long loop
// (calibration, evaluation, the weight layout). Not an error of the user's
// input: callers end as an interrupted run does. `pass` names the pass it
// stopped in (run_passes fills it in; empty outside the pipeline).
class CompileInterrupted : public CompileError {
 public:
  explicit CompileInterrupted(std::string pass_name = {})
      : CompileError(pass_name.empty() ? "the compile was interrupted"
                                       : "the compile was interrupted in pass " + pass_name),
        pass(std::move(pass_name)) {}
  std::string pass;
};

// Throws CompileInterrupted when `stop` (may be null: never) is set. Cheap:
// one relaxed load, for the loops to call once per image or layer.
inline void throw_if_stopped(const std::atomic<bool>* stop) {
  if (stop && stop->load(std::memory_order_relaxed)) throw CompileInterrupted();
}

enum class LayerKind { Conv, FullyConnected, MaxPool, AvgPool, GlobalAvgPool, Add, Concat };
const char* to_string(LayerKind kind);

struct Shape {
  int c = 0, h = 1, w = 1;
  std::size_t size() const { return std::size_t(c) * std::size_t(h) * std::size_t(w); }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "16x14x14"
};

struct Layer {
  std::string name;  // the ONNX node it came from (the first of the fused nodes)
  LayerKind kind = LayerKind::Conv;
  // tensor ids: one; two for Add; N >= 2 for Concat (in channel order)
  std::vector<int> inputs;
  int output = -1;  // tensor id
  // in = shape of inputs[0] (both Add inputs have it; Concat inputs share h
  // and w, out.c is the sum of their channels)
  Shape in, out;
  // Conv, MaxPool, AvgPool: window geometry (pads are symmetric: pad_h rows
  // above and below, pad_w columns left and right). GlobalAvgPool: the window
  // is the whole input plane. FullyConnected, Add, Concat: 1, 1, 1, 1, 0, 0.
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  // Conv: channel groups (in.c and out.c are multiples of it). Output channel
  // o belongs to group g = o / (out.c / groups) and reads input channels
  // [g * in.c / groups, (g + 1) * in.c / groups). groups == in.c == out.c is
  // a depthwise convolution. 1 for the other kinds.
  int groups = 1;
  bool relu = false;  // ReLU fused on the output: max(x, 0)
  // With relu: the output is also clamped at clip_max (ReLU6: 6), i.e.
  // min(max(x, 0), clip_max). +infinity: no upper clamp.
  float clip_max = std::numeric_limits<float>::infinity();
  // Conv: weight[o][c][ky][kx] (out.c x in.c/groups x kernel_h x kernel_w, c
  // counting within o's group); FullyConnected: weight[o][k] (out.c x
  // in.size()); bias[o]. BatchNorm folded. Empty for the other kinds.
  std::vector<float> weight;
  std::vector<float> bias;
  // What the compiler's passes decided for this layer (technique, golden
  // hook, extension records, technique data): compiler/layer_attrs.hpp.
  LayerAttributes attrs;

  bool has_weights() const { return kind == LayerKind::Conv || kind == LayerKind::FullyConnected; }
  bool has_clip() const { return clip_max < std::numeric_limits<float>::infinity(); }
  // Length of one output's dot product (weight rows): in.c/groups*kh*kw or in.size().
  int fan_in() const;
  // Multiply-accumulates of one inference (weighted layers), else 0.
  std::uint64_t macs() const;
};

struct TensorInfo {
  std::string name;   // the ONNX value name
  Shape shape;
  int producer = -1;  // layer index; -1 for the network input
};

// How uint8 pixels become the network's real-valued input:
//   x = (pixel / 255 - mean) / std   (every channel alike)
// import_onnx() reads it from the model's metadata_props "imcvp.input_mean"
// and "imcvp.input_std" when present (defaults 0 and 1: x = pixel / 255).
struct InputNorm {
  float mean = 0.0f;
  float std = 1.0f;
  float apply(std::uint8_t pixel) const { return (float(pixel) / 255.0f - mean) / std; }
};

struct FloatNetwork {
  std::string source;  // the file it was imported from
  std::vector<TensorInfo> tensors;
  std::vector<Layer> layers;  // topological order
  int input = 0;              // tensor id of the network input
  int output = -1;            // tensor id of the network output (the logits)
  InputNorm norm;
  // Every metadata_props entry of the ONNX model (key -> value), as
  // import_onnx() read it: "imcvp.input_mean", "imcvp.hybrid.pairs" ...
  // (technique passes read their settings here: compiler/hybrid.hpp).
  std::map<std::string, std::string> metadata;

  const Shape& input_shape() const { return tensors.at(std::size_t(input)).shape; }
  const Shape& output_shape() const { return tensors.at(std::size_t(output)).shape; }
  // Layers that read tensor `id`.
  std::vector<int> consumers(int id) const;
};

// Model metadata (FloatNetwork::metadata) for technique passes: `s` without
// leading and trailing blanks; "FILE: metadata 'KEY' = 'VALUE': WHAT"; an
// integer value in [lo, hi], or a CompileError naming the key (missing:
// 0, or an error saying `required_by` when that is not empty).
std::string trim(const std::string& s);
std::string metadata_error(const FloatNetwork& net, const std::string& key, const std::string& value,
                           const std::string& what);
int metadata_int(const FloatNetwork& net, const std::string& key, int lo, int hi, const std::string& required_by);

// ---------------------------------------------------------------- integers --

// Format of a quantized activation tensor: real = q * scale, zero point 0
// (real 0 is exactly q = 0, so zero padding is exact).
//   unsigned: q in [0, 2^bits - 1]
//   signed:   q in [-(2^(bits-1) - 1), 2^(bits-1) - 1]  (symmetric)
struct ActFormat {
  int bits = 8;
  bool is_signed = false;
  double scale = 1.0;
  std::int32_t qmin() const { return is_signed ? -((std::int32_t(1) << (bits - 1)) - 1) : 0; }
  std::int32_t qmax() const {
    return is_signed ? (std::int32_t(1) << (bits - 1)) - 1 : (std::int32_t(1) << bits) - 1;
  }
  std::string str() const;  // "u8 s=0.0123" / "s16 s=0.001"
};

// Fixed-point multiplier: value * M / 2^S with M in [2^15, 2^16) (or 0), S >= 1.
constexpr int kRequantMultiplierBits = 16;
struct Requant {
  std::int32_t multiplier = 0;
  int shift = 1;
  double real() const;  // M / 2^S
};

// The requantization every integer layer ends with:
//   q = clamp((x * M + 2^(S-1)) >> S, lo, hi)
// >> is an arithmetic (flooring) shift, so this is round-half-up of
// x * M / 2^S: 2.5 -> 3, -2.5 -> -2. x * M is computed in 64 bits.
// The arithmetic itself is imcvp/accel.h's, shared with the tile and firmware.
inline std::int64_t round_shift(std::int64_t x, int shift) { return imcvp_round_shift(x, shift); }
inline std::int32_t clamp32(std::int64_t v, std::int32_t lo, std::int32_t hi) { return imcvp_clamp32(v, lo, hi); }
inline std::int32_t requantize(std::int64_t x, const Requant& r, std::int32_t lo, std::int32_t hi) {
  return imcvp_requantize(x, 0, r.multiplier, r.shift, lo, hi);
}
// Add: both inputs rescaled to the output scale with one shared shift:
//   q = clamp((a * Ma + b * Mb + 2^(S-1)) >> S, lo, hi)
inline std::int32_t requantize_add(std::int64_t a, std::int64_t b, std::int32_t ma, std::int32_t mb,
                                   int shift, std::int32_t lo, std::int32_t hi) {
  return imcvp_requantize_add(a, b, ma, mb, shift, lo, hi);
}

// Integer parameters of one layer (parallel to FloatNetwork::layers).
struct QuantLayer {
  // Conv/FullyConnected: weights in [-(2^(wb-1)-1), 2^(wb-1)-1], same layout as
  // Layer::weight; real weight = weight * weight_scale[o]. bias in
  // accumulator units: real bias = bias[o] * in_scale * weight_scale[o].
  std::vector<std::int8_t> weight;
  std::vector<double> weight_scale;
  std::vector<std::int32_t> bias;
  // Conv/FullyConnected: one per output channel (accumulator -> output q).
  // AvgPool/GlobalAvgPool: one (window sum -> output q, ~1/window size).
  // Concat: one per input k (input k's scale -> the output's scale):
  //   q = clamp((q_in * M + 2^(S-1)) >> S, out_min, out_max).
  // MaxPool, Add: empty.
  std::vector<Requant> requant;
  // Add: q = clamp((qa * add_mult[0] + qb * add_mult[1] + 2^(S-1)) >> S)
  std::array<std::int32_t, 2> add_mult{0, 0};
  int add_shift = 1;
  // Output clamp: the output format's range, lo = 0 when ReLU is fused; with
  // a clip_max, hi = min(qmax, floor(clip_max / scale + 1/2)).
  std::int32_t out_min = 0, out_max = 0;
};

struct QuantizedNetwork {
  FloatNetwork net;  // the float network it came from (shapes, names, float weights)
  int weight_bits = 8;
  int act_bits = 8;
  int logit_bits = 16;
  std::vector<ActFormat> formats;  // per tensor id
  std::vector<QuantLayer> layers;  // per layer
  // pixel value -> quantized network input: clamp(round(norm.apply(p) / scale)).
  std::array<std::int32_t, 256> input_lut{};
  // false: quantize_uncalibrated() gave the activations placeholder ranges
  // (no images): the integers are fine for performance estimation (shapes,
  // MACs, crossbars, timing, energy) but not for accuracy or functional runs.
  bool calibrated = true;
};

}  // namespace imcvp::compiler
