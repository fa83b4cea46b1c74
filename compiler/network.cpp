#include "compiler/network.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace imcvp::compiler {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string metadata_error(const FloatNetwork& net, const std::string& key, const std::string& value,
                           const std::string& what) {
  return net.source + ": metadata '" + key + "' = '" + value + "': " + what;
}

int metadata_int(const FloatNetwork& net, const std::string& key, int lo, int hi, const std::string& required_by) {
  const auto it = net.metadata.find(key);
  if (it == net.metadata.end()) {
    if (required_by.empty()) return 0;
    throw CompileError(net.source + ": metadata '" + key + "' is missing (" + required_by + ")");
  }
  const std::string v = trim(it->second);
  long long x = 0;
  std::size_t end = 0;
  try {
    x = std::stoll(v, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (v.empty() || end != v.size())
    throw CompileError(metadata_error(net, key, it->second, "not an integer"));
  if (x < lo || x > hi) {
    const std::string range = hi == std::numeric_limits<int>::max() ? ">= " + std::to_string(lo)
                                                                    : std::to_string(lo) + ".." + std::to_string(hi);
    throw CompileError(metadata_error(net, key, it->second, "out of range (" + range + ")"));
  }
  return int(x);
}

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
