#include "compiler/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "compiler/golden.hpp"

namespace imcvp::compiler {

Requant make_requant(double m) {
  if (!(m > 0.0)) return Requant{0, 1};
  int e = 0;
  const double f = std::frexp(m, &e);  // m = f * 2^e, f in [0.5, 1)
  std::int64_t mult = round_away(std::ldexp(f, kRequantMultiplierBits));
  if (mult == (std::int64_t(1) << kRequantMultiplierBits)) {
    mult >>= 1;
    ++e;
  }
  int shift = kRequantMultiplierBits - e;
  if (shift < 1)
    throw CompileError("requantization factor " + std::to_string(m) + " is too large (must be < 2^15)");
  if (shift > 62) {  // tiny factor: keep S = 62, lose leading precision
    shift = 62;
    mult = round_away(std::ldexp(m, shift));
  }
  return Requant{std::int32_t(mult), shift};
}

namespace {

void check_options(const QuantizeOptions& o) {
  if (o.weight_bits < 2 || o.weight_bits > 8)
    throw CompileError("weight_bits = " + std::to_string(o.weight_bits) + " is out of range 2..8");
  if (o.act_bits < 2 || o.act_bits > 16)
    throw CompileError("act_bits = " + std::to_string(o.act_bits) + " is out of range 2..16");
  if (o.logit_bits < 2 || o.logit_bits > 24)
    throw CompileError("logit_bits = " + std::to_string(o.logit_bits) + " is out of range 2..24");
  if (o.calibration == Calibration::Percentile && !(o.percentile > 0.0 && o.percentile <= 100.0))
    throw CompileError("percentile = " + std::to_string(o.percentile) + " is out of range (0, 100]");
}

// Largest |x| of the network input: x = (p/255 - mean)/std for p in [0, 255].
double input_range(const InputNorm& n) {
  return std::max(std::fabs((0.0 - n.mean) / n.std), std::fabs((1.0 - n.mean) / n.std));
}

// attrs.weight_bits of the layers `bits` names; throws CompileError naming an
// unknown layer or one without weights.
void set_layer_weight_bits(FloatNetwork& net, const std::map<std::string, int>& bits) {
  for (const auto& [name, b] : bits) {
    const auto it = std::find_if(net.layers.begin(), net.layers.end(), [&](const Layer& l) { return l.name == name; });
    if (it == net.layers.end() || !it->has_weights()) {
      std::string names;
      for (const Layer& l : net.layers)
        if (l.has_weights()) names += (names.empty() ? "" : ", ") + l.name;
      throw CompileError("layer_weight_bits: " + net.source + " has no Conv/FC layer named '" + name +
                         "' (Conv/FC layers: " + names + ")");
    }
    it->attrs.weight_bits = b;
  }
}

bool calibrated(const FloatNetwork& net, int id) {
  const int p = net.tensors[std::size_t(id)].producer;
  if (p < 0) return false;
  const LayerKind k = net.layers[std::size_t(p)].kind;
  return k == LayerKind::Conv || k == LayerKind::FullyConnected || k == LayerKind::Add || k == LayerKind::Concat;
}

}  // namespace

std::vector<double> calibrate(const FloatNetwork& net, const ImageSet& images, std::size_t count,
                              const QuantizeOptions& options, const std::atomic<bool>* stop) {
  check_options(options);
  if (count == 0 || count > images.count()) count = images.count();
  if (count == 0) throw CompileError("calibration needs at least one image");
  if (images.image_size() != net.input_shape().size())
    throw CompileError(net.source + ": the network input " + net.input_shape().str() + " does not match the " +
                       std::to_string(images.channels) + "x" + std::to_string(images.height) + "x" +
                       std::to_string(images.width) + " calibration images");
  const std::size_t nt = net.tensors.size();
  std::vector<double> range(nt, 0.0);
  FloatModel model(net);
  for (std::size_t i = 0; i < count; ++i) {
    throw_if_stopped(stop);
    model.run(images.image(i));
    for (std::size_t t = 0; t < nt; ++t)
      for (float v : model.tensor(int(t))) range[t] = std::max(range[t], double(std::fabs(v)));
  }
  // Percentile clips outliers of the hidden tensors; the logits keep their
  // maximum (a saturated logit can change the prediction).
  if (options.calibration == Calibration::Percentile && options.percentile < 100.0) {
    constexpr std::size_t kBins = 4096;
    std::vector<std::vector<std::uint64_t>> hist(nt, std::vector<std::uint64_t>(kBins, 0));
    for (std::size_t i = 0; i < count; ++i) {
      throw_if_stopped(stop);
      model.run(images.image(i));
      for (std::size_t t = 0; t < nt; ++t) {
        if (!calibrated(net, int(t)) || range[t] <= 0.0) continue;
        const double to_bin = double(kBins) / range[t];
        for (float v : model.tensor(int(t)))
          ++hist[t][std::min(kBins - 1, std::size_t(double(std::fabs(v)) * to_bin))];
      }
    }
    for (std::size_t t = 0; t < nt; ++t) {
      if (!calibrated(net, int(t)) || range[t] <= 0.0 || int(t) == net.output) continue;
      std::uint64_t total = 0;
      for (auto c : hist[t]) total += c;
      const double want = options.percentile / 100.0 * double(total);
      std::uint64_t seen = 0;
      for (std::size_t b = 0; b < kBins; ++b) {
        seen += hist[t][b];
        if (double(seen) >= want) {
          range[t] = range[t] * double(b + 1) / double(kBins);  // upper edge of the bin
          break;
        }
      }
    }
  }
  range[std::size_t(net.input)] = input_range(net.norm);
  return range;
}

QuantizedNetwork quantize_with_ranges(FloatNetwork float_net, const std::vector<double>& ranges,
                                      const QuantizeOptions& options) {
  check_options(options);
  if (ranges.size() != float_net.tensors.size())
    throw CompileError("quantize: " + std::to_string(ranges.size()) + " ranges for " +
                       std::to_string(float_net.tensors.size()) + " tensors");
  QuantizedNetwork q;
  q.net = std::move(float_net);
  const FloatNetwork& net = q.net;
  q.weight_bits = options.weight_bits;
  q.act_bits = options.act_bits;
  q.logit_bits = options.logit_bits;
  q.formats.resize(net.tensors.size());
  q.layers.resize(net.layers.size());
  set_layer_weight_bits(q.net, options.layer_weight_bits);

  auto scale_for = [](double range, std::int32_t qmax) { return range > 0.0 ? range / double(qmax) : 1.0; };

  // the network input and its pixel table
  {
    ActFormat& f = q.formats[std::size_t(net.input)];
    f.bits = options.act_bits;
    f.is_signed = net.norm.mean > 0.0f;
    f.scale = scale_for(input_range(net.norm), f.qmax());
    for (int p = 0; p < 256; ++p) {
      const double x = (double(p) / 255.0 - double(net.norm.mean)) / double(net.norm.std);
      q.input_lut[std::size_t(p)] =
          std::int32_t(std::clamp<std::int64_t>(round_away(x / f.scale), f.qmin(), f.qmax()));
    }
  }

  for (std::size_t li = 0; li < net.layers.size(); ++li) {
    const Layer& l = net.layers[li];
    const int wbits = l.attrs.weight_bits > 0 ? l.attrs.weight_bits : options.weight_bits;
    const std::int64_t wmax = (std::int64_t(1) << (wbits - 1)) - 1;
    QuantLayer& ql = q.layers[li];
    const ActFormat in = q.formats[std::size_t(l.inputs[0])];
    ActFormat& out = q.formats[std::size_t(l.output)];
    const bool is_output = l.output == net.output;
    const std::string where = net.source + ": layer '" + l.name + "'";

    // the output format
    if (l.kind == LayerKind::Conv || l.kind == LayerKind::FullyConnected || l.kind == LayerKind::Add ||
        l.kind == LayerKind::Concat) {
      out.bits = is_output ? options.logit_bits : options.act_bits;
      out.is_signed = !l.relu;
      if (l.kind == LayerKind::Concat && !l.relu) {  // unsigned if every input is
        out.is_signed = false;
        for (int t : l.inputs) out.is_signed = out.is_signed || q.formats[std::size_t(t)].is_signed;
      }
      out.scale = scale_for(ranges[std::size_t(l.output)], out.qmax());
    } else {  // pools keep their input's scale
      out = in;
      if (l.relu && out.is_signed) {
        out.is_signed = false;
        out.bits = in.bits;
      }
    }
    ql.out_min = l.relu ? 0 : out.qmin();
    ql.out_max = out.qmax();
    if (l.relu && l.has_clip()) {  // ReLU6: the clamp at clip_max, rounded half up
      const double c = std::floor(double(l.clip_max) / out.scale + 0.5);
      if (c < double(ql.out_max)) ql.out_max = std::int32_t(std::max(0.0, c));
    }

    switch (l.kind) {
      case LayerKind::Conv:
      case LayerKind::FullyConnected: {
        if (wbits < 2 || wbits > 8)
          throw CompileError(where + ": layer_weight_bits = " + std::to_string(wbits) + " is out of range 2..8");
        const std::size_t oc = std::size_t(l.out.c), k = std::size_t(l.fan_in());
        ql.weight.resize(oc * k);
        ql.weight_scale.resize(oc);
        ql.bias.resize(oc);
        ql.requant.resize(oc);
        const std::int64_t in_abs = std::max<std::int64_t>(std::abs(in.qmin()), in.qmax());
        for (std::size_t o = 0; o < oc; ++o) {
          const float* w = l.weight.data() + o * k;
          double m = 0.0;
          for (std::size_t i = 0; i < k; ++i) m = std::max(m, double(std::fabs(w[i])));
          // an all-zero channel outputs its bias: any weight scale will do
          const double sw = m > 0.0 ? m / double(wmax) : out.scale / (in.scale * 256.0);
          ql.weight_scale[o] = sw;
          std::int64_t abs_sum = 0;
          for (std::size_t i = 0; i < k; ++i) {
            const std::int64_t v = std::clamp<std::int64_t>(round_away(double(w[i]) / sw), -wmax, wmax);
            ql.weight[o * k + i] = std::int8_t(v);
            abs_sum += std::abs(v);
          }
          const double bias_q = double(l.bias[o]) / (in.scale * sw);
          if (!(std::fabs(bias_q) <= double(std::numeric_limits<std::int32_t>::max())))  // NaN too
            throw CompileError(where + ": the bias " + std::to_string(l.bias[o]) + " of output channel " +
                               std::to_string(o) + " does not fit the 32-bit accumulator");
          const std::int64_t b = round_away(bias_q);
          const std::int64_t bound = abs_sum * in_abs + std::abs(b);
          if (bound > std::numeric_limits<std::int32_t>::max())
            throw CompileError(where + ": output channel " + std::to_string(o) +
                               " can overflow the 32-bit accumulator (bound " + std::to_string(bound) + ")");
          ql.bias[o] = std::int32_t(b);
          try {
            ql.requant[o] = make_requant(in.scale * sw / out.scale);
          } catch (const CompileError& e) {
            throw CompileError(where + ": " + e.what());
          }
        }
        break;
      }
      case LayerKind::MaxPool:
        break;
      case LayerKind::AvgPool:
      case LayerKind::GlobalAvgPool:
        ql.requant = {make_requant(1.0 / double(l.kernel_h * l.kernel_w))};
        break;
      case LayerKind::Add: {
        const ActFormat& a = q.formats[std::size_t(l.inputs[0])];
        const ActFormat& b = q.formats[std::size_t(l.inputs[1])];
        const double ma = a.scale / out.scale, mb = b.scale / out.scale;
        Requant r;
        try {
          r = make_requant(std::max(ma, mb));
        } catch (const CompileError& e) {
          throw CompileError(where + ": " + e.what());
        }
        ql.add_shift = r.shift;
        ql.add_mult = {std::int32_t(round_away(std::ldexp(ma, r.shift))), std::int32_t(round_away(std::ldexp(mb, r.shift)))};
        break;
      }
      case LayerKind::Concat:
        for (int t : l.inputs) {
          try {
            ql.requant.push_back(make_requant(q.formats[std::size_t(t)].scale / out.scale));
          } catch (const CompileError& e) {
            throw CompileError(where + ": " + e.what());
          }
        }
        break;
    }
  }
  return q;
}

QuantizedNetwork quantize(FloatNetwork net, const ImageSet& calibration_images, std::size_t count,
                          const QuantizeOptions& options, const std::atomic<bool>* stop) {
  const std::vector<double> ranges = calibrate(net, calibration_images, count, options, stop);
  return quantize_with_ranges(std::move(net), ranges, options);
}

std::vector<double> placeholder_ranges(const FloatNetwork& net) {
  std::vector<double> range(net.tensors.size(), 1.0);
  range[std::size_t(net.input)] = input_range(net.norm);
  return range;
}

QuantizedNetwork quantize_uncalibrated(FloatNetwork net, const QuantizeOptions& options) {
  const std::vector<double> ranges = placeholder_ranges(net);
  QuantizedNetwork q = quantize_with_ranges(std::move(net), ranges, options);
  q.calibrated = false;
  return q;
}

}  // namespace imcvp::compiler
