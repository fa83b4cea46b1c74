#include "compiler/hybrid.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/quantize.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"

namespace imcvp::compiler {

namespace {

constexpr const char* kTechnique = "hybrid";

// An integer metadata value in [lo, hi]; `required`: missing is an error,
// else 0 when missing.
int metadata_int(const FloatNetwork& net, const std::string& key, int lo, int hi, bool required) {
  return metadata_int(net, key, lo, hi,
                      required ? std::string("the model has '") + kHybridPairsKey + "': hybrid compensation needs " +
                                     kHybridShiftKey + ", " + kHybridSramBitsKey + " and " + kHybridGroupChannelsKey
                               : std::string());
}

std::string conv_fc_names(const FloatNetwork& net) {
  std::string names;
  for (const Layer& l : net.layers)
    if (l.has_weights()) names += (names.empty() ? "" : ", ") + l.name;
  return names;
}

// Drops tensors no layer reads or writes (and that are not the input) and
// renumbers the rest; every tensor's producer from the layers.
void compact_tensors(FloatNetwork& net) {
  std::vector<int> map(net.tensors.size(), -1);
  std::vector<char> used(net.tensors.size(), 0);
  used[std::size_t(net.input)] = 1;
  used[std::size_t(net.output)] = 1;
  for (const Layer& l : net.layers) {
    for (int t : l.inputs) used[std::size_t(t)] = 1;
    used[std::size_t(l.output)] = 1;
  }
  std::vector<TensorInfo> kept;
  for (std::size_t t = 0; t < net.tensors.size(); ++t)
    if (used[t]) {
      map[t] = int(kept.size());
      kept.push_back(net.tensors[t]);
    }
  net.tensors = std::move(kept);
  net.input = map[std::size_t(net.input)];
  net.output = map[std::size_t(net.output)];
  for (TensorInfo& t : net.tensors) t.producer = -1;
  for (std::size_t li = 0; li < net.layers.size(); ++li) {
    Layer& l = net.layers[li];
    for (int& t : l.inputs) t = map[std::size_t(t)];
    l.output = map[std::size_t(l.output)];
    net.tensors[std::size_t(l.output)].producer = int(li);
  }
}

std::string num(double x) {
  std::ostringstream s;
  s.precision(9);
  s << x;
  return s.str();
}

void put_u32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(std::uint8_t(v >> (8 * i)));
}

}  // namespace

bool read_hybrid_config(const FloatNetwork& net, HybridConfig& cfg) {
  const auto it = net.metadata.find(kHybridPairsKey);
  if (it == net.metadata.end()) return false;
  cfg = HybridConfig{};
  cfg.shift = metadata_int(net, kHybridShiftKey, 0, 3, true);
  cfg.sram_weight_bits = metadata_int(net, kHybridSramBitsKey, 1, 8, true);
  cfg.group_channels = metadata_int(net, kHybridGroupChannelsKey, 1, std::numeric_limits<int>::max(), true);
  cfg.rram_weight_bits = metadata_int(net, kHybridRramBitsKey, 2, 8, false);
  const std::string& v = it->second;
  std::size_t at = 0;
  while (at <= v.size()) {
    const std::size_t semi = std::min(v.find(';', at), v.size());
    const std::string item = trim(v.substr(at, semi - at));
    at = semi + 1;
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    const std::string r = eq == std::string::npos ? std::string() : trim(item.substr(0, eq));
    const std::string s = eq == std::string::npos ? std::string() : trim(item.substr(eq + 1));
    if (r.empty() || s.empty() || s.find('=') != std::string::npos)
      throw CompileError(metadata_error(net, kHybridPairsKey, v,
                                        "'" + item + "' is not RRAM_NODE=SRAM_NODE (two ONNX node names)"));
    cfg.pairs.emplace_back(r, s);
  }
  if (cfg.pairs.empty())
    throw CompileError(metadata_error(net, kHybridPairsKey, v, "no RRAM_NODE=SRAM_NODE pair"));
  return true;
}

// ------------------------------------------------------------------ fuse --

void hybrid_fuse(FloatNetwork& net) {
  HybridConfig cfg;
  if (!read_hybrid_config(net, cfg)) return;
  const std::string pairs_value = net.metadata.at(kHybridPairsKey);
  auto find_layer = [&](const std::string& name) {
    for (std::size_t i = 0; i < net.layers.size(); ++i)
      if (net.layers[i].name == name && net.layers[i].has_weights()) return int(i);
    throw CompileError(metadata_error(net, kHybridPairsKey, pairs_value,
                                      "'" + name + "' is no Conv/FC layer of the network (Conv/FC layers: " +
                                          conv_fc_names(net) + ")"));
  };
  std::set<int> used, removed;
  for (const auto& [rname, sname] : cfg.pairs) {
    const int ri = find_layer(rname), si = find_layer(sname);
    for (int i : {ri, si})
      if (!used.insert(i).second)
        throw CompileError(metadata_error(net, kHybridPairsKey, pairs_value,
                                          "layer '" + net.layers[std::size_t(i)].name + "' is named by more than one pair"));
    Layer& r = net.layers[std::size_t(ri)];
    const Layer& s = net.layers[std::size_t(si)];
    const std::string where = net.source + ": layer '" + r.name + "' (RRAM) and layer '" + s.name + "' (compensation)";
    auto mismatch = [&](const std::string& what) {
      return CompileError(where + ": the compensation branch does not match its RRAM branch: " + what);
    };
    if (r.kind != s.kind) throw mismatch(std::string("a ") + to_string(r.kind) + " and a " + to_string(s.kind));
    if (r.groups != 1 || s.groups != 1)
      throw CompileError(where + ": " + (r.groups != 1 ? r.name : s.name) + " has " +
                         std::to_string(std::max(r.groups, s.groups)) +
                         " channel groups; hybrid compensation supports dense layers only (groups = 1, no grouped "
                         "or depthwise convolution)");
    if (r.inputs.at(0) != s.inputs.at(0))
      throw mismatch("they read different tensors ('" + net.tensors[std::size_t(r.inputs[0])].name + "' and '" +
                     net.tensors[std::size_t(s.inputs[0])].name + "')");
    if (r.kernel_h != s.kernel_h || r.kernel_w != s.kernel_w || r.stride_h != s.stride_h || r.stride_w != s.stride_w ||
        r.pad_h != s.pad_h || r.pad_w != s.pad_w)
      throw mismatch("kernel/stride/pad " + std::to_string(r.kernel_h) + "x" + std::to_string(r.kernel_w) + "/" +
                     std::to_string(r.stride_h) + "x" + std::to_string(r.stride_w) + "/" + std::to_string(r.pad_h) +
                     "x" + std::to_string(r.pad_w) + " and " + std::to_string(s.kernel_h) + "x" +
                     std::to_string(s.kernel_w) + "/" + std::to_string(s.stride_h) + "x" + std::to_string(s.stride_w) +
                     "/" + std::to_string(s.pad_h) + "x" + std::to_string(s.pad_w));
    if (r.out != s.out) throw mismatch("outputs " + r.out.str() + " and " + s.out.str());
    if (r.relu || s.relu)
      throw mismatch("'" + (r.relu ? r.name : s.name) + "' has a fused ReLU before the Add that joins the branches");
    const std::vector<int> rc = net.consumers(r.output), sc = net.consumers(s.output);
    if (sc.size() != 1 || net.layers[std::size_t(sc[0])].kind != LayerKind::Add || s.output == net.output)
      throw mismatch("the output of '" + s.name + "' must be read by one Add only (it is read by " +
                     std::to_string(sc.size()) + " layer(s)" + (s.output == net.output ? " and is the network output" : "") +
                     (sc.size() == 1 ? ": '" + net.layers[std::size_t(sc[0])].name + "' (" +
                                           to_string(net.layers[std::size_t(sc[0])].kind) + ")"
                                     : std::string()) +
                     ")");
    const int ai = sc[0];
    const Layer& a = net.layers[std::size_t(ai)];
    const bool both = (a.inputs[0] == r.output && a.inputs[1] == s.output) ||
                      (a.inputs[0] == s.output && a.inputs[1] == r.output);
    if (!both)
      throw mismatch("the Add '" + a.name + "' that reads '" + s.name + "' does not add the output of '" + r.name + "'");
    if (rc.size() != 1 || r.output == net.output)
      throw mismatch("the output of '" + r.name + "' is read by " + std::to_string(rc.size()) +
                     " layers; only the Add '" + a.name + "' may read it");
    if (r.weight.size() != s.weight.size() || r.bias.size() != s.bias.size())
      throw mismatch("weights of " + std::to_string(r.weight.size()) + " and " + std::to_string(s.weight.size()) +
                     " values");
    HybridLayer h;
    h.sram_layer = s.name;
    h.add_layer = a.name;
    h.rram_weight = r.weight;
    h.sram_weight = s.weight;
    h.shift = cfg.shift;
    h.sram_weight_bits = cfg.sram_weight_bits;
    h.group_channels = cfg.group_channels;
    for (std::size_t i = 0; i < r.weight.size(); ++i) r.weight[i] += s.weight[i];
    for (std::size_t o = 0; o < r.bias.size(); ++o) r.bias[o] += s.bias[o];
    r.relu = a.relu;
    r.clip_max = a.clip_max;
    r.output = a.output;
    r.attrs.technique = kTechnique;
    // the RRAM branch was trained at the model's own precision: quantize it
    // so (unless the user set the layer's bits: network.layer_weight_bits)
    if (cfg.rram_weight_bits > 0 && r.attrs.weight_bits == 0) r.attrs.weight_bits = cfg.rram_weight_bits;
    r.attrs.data[kTechnique] = std::move(h);
    removed.insert(si);
    removed.insert(ai);
    // r now writes a's output: a's consumers come after a, which comes after r
  }
  std::vector<Layer> layers;
  layers.reserve(net.layers.size() - removed.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (!removed.count(int(i))) layers.push_back(std::move(net.layers[i]));
  net.layers = std::move(layers);
  compact_tensors(net);
}

// ------------------------------------------------------------- SRAM data --

std::vector<std::uint8_t> hybrid_sram_data(const std::vector<std::int8_t>& comp, unsigned outputs, unsigned rows,
                                           unsigned group_rows, int bits) {
  if (group_rows == 0 || rows == 0 || bits < 1 || bits > 8 || comp.size() != std::size_t(outputs) * rows)
    throw CompileError("hybrid_sram_data: bad geometry");
  const unsigned groups = (rows + group_rows - 1) / group_rows;
  const std::size_t mask_bits = std::size_t(outputs) * groups;
  const std::size_t mask_bytes = ((mask_bits + 7) / 8 + 3) & ~std::size_t(3);
  std::vector<std::uint8_t> data(mask_bytes, 0);
  std::vector<std::uint8_t> stream;
  std::size_t bit = 0;
  auto put = [&](std::uint32_t field) {
    for (int i = 0; i < bits; ++i, ++bit) {
      if ((bit >> 3) >= stream.size()) stream.push_back(0);
      if ((field >> i) & 1u) stream[bit >> 3] |= std::uint8_t(1u << (bit & 7));
    }
  };
  for (unsigned o = 0; o < outputs; ++o)
    for (unsigned g = 0; g < groups; ++g) {
      const unsigned k0 = g * group_rows, k1 = std::min(rows, k0 + group_rows);
      const std::int8_t* c = comp.data() + std::size_t(o) * rows;
      if (std::all_of(c + k0, c + k1, [](std::int8_t v) { return v == 0; })) continue;
      const std::size_t m = std::size_t(o) * groups + g;
      data[m >> 3] |= std::uint8_t(1u << (m & 7));
      for (unsigned k = k0; k < k1; ++k) {
        if (bits == 1) {
          if (c[k] != 1 && c[k] != -1)
            throw CompileError("hybrid_sram_data: 1-bit weight " + std::to_string(int(c[k])) + " of output " +
                               std::to_string(o) + " row " + std::to_string(k) + " is not -1 or +1");
          put(c[k] == -1 ? 1u : 0u);
        } else {
          put(std::uint32_t(std::int32_t(c[k])) & ((1u << bits) - 1u));
        }
      }
    }
  stream.resize((stream.size() + 3) & ~std::size_t(3), 0);
  data.insert(data.end(), stream.begin(), stream.end());
  return data;
}

// -------------------------------------------------------------- quantize --

void hybrid_quantize(QuantizedNetwork& q, unsigned chip_tiles, std::uint32_t sram_comp_bytes) {
  HybridConfig cfg;
  if (!read_hybrid_config(q.net, cfg)) return;
  FloatNetwork& net = q.net;
  std::vector<std::size_t> hybrid;
  for (std::size_t li = 0; li < net.layers.size(); ++li)
    if (net.layers[li].attrs.technique == kTechnique && net.layers[li].attrs.data.count(kTechnique))
      hybrid.push_back(li);
  std::uint32_t sram_off = 0;
  std::string names;
  for (std::size_t li : hybrid) names += (names.empty() ? "" : ", ") + net.layers[li].name;
  for (std::size_t li : hybrid) {
    Layer& l = net.layers[li];
    HybridLayer& h = std::any_cast<HybridLayer&>(l.attrs.data.at(kTechnique));
    QuantLayer& ql = q.layers[li];
    const std::string where = net.source + ": layer '" + l.name + "'";
    const int wbits = l.attrs.weight_bits > 0 ? l.attrs.weight_bits : q.weight_bits;
    if (wbits < 2 || wbits > 8)
      throw CompileError(where + ": weight_bits = " + std::to_string(wbits) + " is out of range 2..8");
    const std::int64_t wmax = (std::int64_t(1) << (wbits - 1)) - 1;
    const int b = h.sram_weight_bits, shift = h.shift;
    const std::int64_t cmin = b == 1 ? -1 : -(std::int64_t(1) << (b - 1)), cmax = b == 1 ? 1 : (std::int64_t(1) << (b - 1)) - 1;
    const double fine_of_sw = std::ldexp(1.0, -shift);
    const ActFormat& in = q.formats[std::size_t(l.inputs[0])];
    const ActFormat& out = q.formats[std::size_t(l.output)];
    const std::int64_t in_abs = std::max<std::int64_t>(std::abs(in.qmin()), in.qmax());
    const std::size_t oc = std::size_t(l.out.c), k = std::size_t(l.fan_in());
    if (oc > 0xFFFF)
      throw CompileError(where + ": " + std::to_string(oc) +
                         " output channels; the SRAM compensation record holds at most 65535");
    if (h.rram_weight.size() != oc * k || h.sram_weight.size() != oc * k)
      throw CompileError(where + ": the hybrid branches' weights do not match the layer's " + std::to_string(oc) + " x " +
                         std::to_string(k));
    std::size_t group_rows = std::size_t(h.group_channels) *
                             (l.kind == LayerKind::Conv ? std::size_t(l.kernel_h) * std::size_t(l.kernel_w) : 1);
    group_rows = std::min(group_rows, k);
    if (group_rows > 0xFFFF)
      throw CompileError(where + ": pruning groups of " + std::to_string(group_rows) +
                         " weight rows; the SRAM compensation record holds at most 65535");
    const std::size_t groups = (k + group_rows - 1) / group_rows;
    std::string bits_hint;
    if (cfg.rram_weight_bits > 0 && cfg.rram_weight_bits != wbits)
      bits_hint = " (the RRAM weights are quantized to " + std::to_string(wbits) + " bits; the model's " +
                  kHybridRramBitsKey + " is " + std::to_string(cfg.rram_weight_bits) + ")";
    ql.weight.assign(oc * k, 0);
    ql.weight_scale.assign(oc, 0.0);
    ql.bias.assign(oc, 0);
    ql.requant.assign(oc, Requant{});
    h.comp.assign(oc * k, 0);
    h.group_rows = unsigned(group_rows);
    h.kept_groups = 0;
    h.kept_weights = 0;
    h.total_groups = oc * groups;
    h.total_weights = oc * k;
    for (std::size_t o = 0; o < oc; ++o) {
      const float* wr = h.rram_weight.data() + o * k;
      const float* ws = h.sram_weight.data() + o * k;
      double m = 0.0;
      for (std::size_t i = 0; i < k; ++i) m = std::max(m, double(std::fabs(wr[i])));
      const double sw = m > 0.0 ? m / double(wmax) : out.scale / (in.scale * 256.0);  // as quantize.cpp
      const double fine = sw * fine_of_sw;
      ql.weight_scale[o] = sw;
      std::int64_t abs_q = 0, abs_c = 0;
      for (std::size_t i = 0; i < k; ++i) {
        const std::int64_t v = std::clamp<std::int64_t>(round_away(double(wr[i]) / sw), -wmax, wmax);
        ql.weight[o * k + i] = std::int8_t(v);
        abs_q += std::abs(v);
        const double r = double(ws[i]) / fine;
        const std::int64_t c = round_away(r);
        if (!std::isfinite(r) || std::fabs(r - double(c)) > 1e-3 * std::max(1.0, std::fabs(double(c))))
          throw CompileError(where + ": compensation weight " + num(double(ws[i])) + " of output channel " +
                             std::to_string(o) + " (weight row " + std::to_string(i) +
                             ") is not on the grid of the RRAM scale 2^-shift: it is " + num(r) + " x " + num(sw) +
                             " x 2^-" + std::to_string(shift) +
                             "; the branch does not match the RRAM branch or the shift" + bits_hint);
        if (c < cmin || c > cmax)
          throw CompileError(where + ": compensation weight " + num(double(ws[i])) + " of output channel " +
                             std::to_string(o) + " (weight row " + std::to_string(i) + ") is " + std::to_string(c) +
                             " x " + num(sw) + " x 2^-" + std::to_string(shift) + ", outside the " + std::to_string(b) +
                             "-bit range " + (b == 1 ? std::string("{-1, +1}") : "[" + std::to_string(cmin) + ", " + std::to_string(cmax) + "]") +
                             "; the branch does not match the RRAM branch or the shift" + bits_hint);
        h.comp[o * k + i] = std::int8_t(c);
        abs_c += std::abs(c);
      }
      for (std::size_t g = 0; g < groups; ++g) {
        const std::size_t k0 = g * group_rows, k1 = std::min(k, k0 + group_rows);
        const std::int8_t* c = h.comp.data() + o * k;
        if (std::all_of(c + k0, c + k1, [](std::int8_t v) { return v == 0; })) continue;
        ++h.kept_groups;
        h.kept_weights += k1 - k0;
        if (b == 1)
          for (std::size_t i = k0; i < k1; ++i)
            if (c[i] == 0)
              throw CompileError(where + ": compensation weight 0 of output channel " + std::to_string(o) +
                                 " (weight row " + std::to_string(i) + ") in kept group " + std::to_string(g) +
                                 ": 1-bit compensation weights are -1 or +1 in a kept group (a pruned group is all 0)");
      }
      const double bias_q = double(l.bias[o]) / (in.scale * fine);
      if (!(std::fabs(bias_q) <= double(std::numeric_limits<std::int32_t>::max())))  // NaN too
        throw CompileError(where + ": the bias " + num(double(l.bias[o])) + " of output channel " + std::to_string(o) +
                           " does not fit the 32-bit accumulator at the compensation scale (2^-" +
                           std::to_string(shift) + " of the RRAM weight scale)");
      const std::int64_t bq = round_away(bias_q);
      const std::int64_t bound = ((abs_q * in_abs) << shift) + abs_c * in_abs + std::abs(bq);
      if (bound > std::numeric_limits<std::int32_t>::max())
        throw CompileError(where + ": output channel " + std::to_string(o) +
                           " can overflow the 32-bit accumulator (bound " + std::to_string(bound) +
                           " with the RRAM sum shifted left by " + std::to_string(shift) + ")");
      ql.bias[o] = std::int32_t(bq);
      try {
        ql.requant[o] = make_requant(in.scale * fine / out.scale);
      } catch (const CompileError& e) {
        throw CompileError(where + ": " + e.what());
      }
    }
    h.stored_bits = h.total_groups + h.kept_weights * std::uint64_t(b);
    h.sram_data = hybrid_sram_data(h.comp, unsigned(oc), unsigned(k), unsigned(group_rows), b);

    // the SRAM: one address space, the same on every tile
    if (chip_tiles > 0) {
      if (sram_comp_bytes == 0)
        throw CompileError(net.source + ": the network has hybrid compensation layers (" + names +
                           ") but the accelerator has no SRAM compensation block (accelerator.tile.sram_comp)");
      if (std::uint64_t(sram_off) + h.sram_data.size() > sram_comp_bytes)
        throw CompileError(where + ": its SRAM compensation data (" + std::to_string(h.sram_data.size()) +
                           " bytes at offset " + std::to_string(sram_off) + ": " +
                           std::to_string(std::uint64_t(sram_off) + h.sram_data.size()) +
                           " bytes needed for the hybrid layers up to it) does not fit the " +
                           std::to_string(sram_comp_bytes) + " bytes of the SRAM compensation block (accelerator.tile.sram_comp)");
    }
    if (std::uint64_t(sram_off) + h.sram_data.size() > std::numeric_limits<std::uint32_t>::max() - 3)
      throw CompileError(where + ": the SRAM compensation data exceeds 4 GB");
    h.sram_off = sram_off;
    sram_off += std::uint32_t(h.sram_data.size());  // a multiple of 4

    // golden: acc = (sum q x) << shift + sum c x = sum (q 2^shift + c) x
    auto combined = std::make_shared<std::vector<std::int32_t>>(oc * k);
    for (std::size_t i = 0; i < oc * k; ++i)
      (*combined)[i] = std::int32_t(ql.weight[i]) * (std::int32_t(1) << shift) + std::int32_t(h.comp[i]);
    l.attrs.golden = [w = std::shared_ptr<const std::vector<std::int32_t>>(combined)](const GoldenLayerCall& c) {
      const Layer& layer = c.layer;
      std::vector<std::int64_t> acc(layer.out.size());
      layer_accumulate(layer, w->data(), c.input.data(), acc.data());
      requantize_outputs(c, acc.data());
    };

    // the block's memory images and the slice record
    l.attrs.block_data.clear();
    l.attrs.block_data.push_back(BlockData{IMCVP_BLOCK_SLOT_SRAM_COMP, IMCVP_SRAM_COMP_MEM + h.sram_off, h.sram_data});
    BlockData shift_reg{IMCVP_BLOCK_SLOT_SRAM_COMP, IMCVP_SRAM_COMP_SHIFT, {}};
    put_u32(shift_reg.bytes, std::uint32_t(shift));
    l.attrs.block_data.push_back(std::move(shift_reg));
    imcvp_ext_sram_comp rec{};
    rec.sram_off = h.sram_off;
    rec.sram_bytes = std::uint32_t(h.sram_data.size());
    rec.weight_rows = std::uint32_t(k);
    rec.kept_groups = std::uint32_t(h.kept_groups);
    rec.layer_outputs = std::uint16_t(oc);
    rec.first_output = 0;
    rec.group_rows = std::uint16_t(group_rows);
    rec.weight_bits = std::uint8_t(b);
    rec.reserved = 0;
    l.attrs.slice_ext = [rec](unsigned c0, unsigned, unsigned) {
      imcvp_ext_sram_comp r = rec;
      r.first_output = std::uint16_t(c0);
      std::vector<std::uint8_t> ext;
      append_ext_record(ext, IMCVP_EXT_SRAM_COMP, &r, sizeof r);
      return ext;
    };
  }
}

void hybrid_fuse_pass(CompileState& s) { hybrid_fuse(s.float_network); }

void hybrid_quantize_pass(CompileState& s) {
  hybrid_quantize(s.network(), s.options.chip.tiles, s.options.chip.sram_comp_bytes);
}

// --------------------------------------------------------------- summary --

HybridSummary hybrid_summary(const QuantizedNetwork& q) {
  HybridSummary sum;
  for (const Layer& l : q.net.layers) {
    if (!l.has_weights()) continue;
    const int wb = l.attrs.weight_bits > 0 ? l.attrs.weight_bits : q.weight_bits;
    sum.rram_weight_bits += std::uint64_t(l.weight.size()) * std::uint64_t(wb);
    const auto it = l.attrs.data.find(kTechnique);
    if (l.attrs.technique != kTechnique || it == l.attrs.data.end()) continue;
    const HybridLayer* h = std::any_cast<HybridLayer>(&it->second);
    if (!h) continue;
    if (sum.layers++ == 0) {
      sum.shift = h->shift;
      sum.sram_weight_bits = h->sram_weight_bits;
      sum.group_channels = h->group_channels;
    }
    sum.sram_bits_stored += h->stored_bits;
    sum.sram_weight_bits_stored += h->kept_weights * std::uint64_t(h->sram_weight_bits);
    sum.sram_bytes += h->sram_bytes();
    sum.kept_weights += h->kept_weights;
    sum.total_weights += h->total_weights;
    sum.kept_groups += h->kept_groups;
    sum.total_groups += h->total_groups;
  }
  sum.pruning_ratio = sum.total_weights ? 1.0 - double(sum.kept_weights) / double(sum.total_weights) : 0.0;
  return sum;
}

}  // namespace imcvp::compiler
