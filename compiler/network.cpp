#include "compiler/network.hpp"

#include <cmath>
#include <cstdio>

namespace imcvp::compiler {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::Conv: return "Conv";
    case LayerKind::FullyConnected: return "FullyConnected";
    case LayerKind::MaxPool: return "MaxPool";
    case LayerKind::AvgPool: return "AvgPool";
    case LayerKind::GlobalAvgPool: return "GlobalAvgPool";
    case LayerKind::Add: return "Add";
    case LayerKind::Concat: return "Concat";
  }
  return "?";
}

std::string Shape::str() const {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

int Layer::fan_in() const {
  if (kind == LayerKind::Conv) return in.c / (groups > 0 ? groups : 1) * kernel_h * kernel_w;
  if (kind == LayerKind::FullyConnected) return int(in.size());
  return 0;
}

std::uint64_t Layer::macs() const {
  if (!has_weights()) return 0;
  return std::uint64_t(out.size()) * std::uint64_t(fan_in());
}

std::vector<int> FloatNetwork::consumers(int id) const {
  std::vector<int> result;
  for (std::size_t i = 0; i < layers.size(); ++i)
    for (int in : layers[i].inputs)
      if (in == id) {
        result.push_back(int(i));
        break;
      }
  return result;
}

std::string ActFormat::str() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%c%d s=%.4g", is_signed ? 's' : 'u', bits, scale);
  return buf;
}

double Requant::real() const { return std::ldexp(double(multiplier), -shift); }

}  // namespace imcvp::compiler
