// Hybrid RRAM/SRAM compensation, the compiler side (compiler/hybrid.hpp):
// the importer's Mul folding, hybrid-fuse and hybrid-quantize on small ONNX
// models built here, the golden hook against a direct integer computation
// of the tile's formula, the SRAM data bytes, and every error.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/hybrid.hpp"
#include "compiler/network.hpp"
#include "compiler/onnx_import.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/program_image.hpp"
#include "compiler/quantize.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "onnx_model.hpp"
#include "tlm_harness.hpp"

IMCVP_TEST_SC_MAIN()

namespace fs = std::filesystem;
using namespace imcvp::compiler;
using imcvp::test::Dims;

namespace {

fs::path temp_dir() { return imcvp::test::onnx_temp_dir(); }

using Model = imcvp::test::OnnxModel;

// The network of the tests:
//   input [1,4,5,5]
//   conv_r: Conv 4 -> 4, 3x3, pads 1, bias                     -> add_c (Add) -> Relu -> Flatten
//   conv_s: Conv 4 -> 4, 3x3, pads 1, no bias -> Mul 2^-shift  -> add_c
//   fc_r: Gemm 100 -> 5 (transB), bias                         -> add_f (Add) = the logits
//   fc_s: Gemm 100 -> 5 (transB), no bias     -> Mul 2^-shift  -> add_f
// The RRAM weights lie on the compiler's per-channel grid s[o] =
// max|w[o]| / (2^(wb-1) - 1) (wb = 8), the SRAM weights are c[o][k] s[o]
// with c in the sram_weight_bits range, whole groups of group_channels
// input channels pruned (c = 0) in a pattern.
struct Spec {
  int shift = 2;
  int bits = 2;             // sram_weight_bits
  int group_channels = 2;
  int wb = 8;               // the grid of the RRAM weights
  double conv_factor = -1;  // the Mul factors (< 0: 2^-shift)
  double fc_factor = -1;
  std::map<std::string, std::string> meta;  // metadata overrides ("" value: drop the key)
};

Spec spec(int shift, int bits, int group_channels) {
  Spec s;
  s.shift = shift;
  s.bits = bits;
  s.group_channels = group_channels;
  return s;
}

struct Built {
  Model model{{1, 4, 5, 5}};
  // the integers the ONNX floats encode
  std::vector<std::int32_t> conv_q, conv_c, fc_q, fc_c;  // out x fan_in
  std::vector<double> conv_s, fc_s;                      // s[o]
};

constexpr int kConvOut = 4, kConvIn = 4, kConvK = kConvIn * 9, kFcOut = 5, kFcIn = kConvOut * 25;

// q on the grid (each row's first weight +-(2^(wb-1)-1), so s[o] is exact), c
// in range with a pruning pattern over groups of `group_rows` rows.
void make_weights(std::mt19937& rng, int out, int k, int group_rows, const Spec& sp, double s0,
                  std::vector<std::int32_t>& q, std::vector<std::int32_t>& c, std::vector<double>& s,
                  std::vector<float>& wr, std::vector<float>& ws) {
  const int wmax = (1 << (sp.wb - 1)) - 1;
  const int cmin = sp.bits == 1 ? -1 : -(1 << (sp.bits - 1)), cmax = sp.bits == 1 ? 1 : (1 << (sp.bits - 1)) - 1;
  std::uniform_int_distribution<int> qd(-wmax, wmax), cd(cmin, cmax), coin(0, 1);
  q.assign(std::size_t(out * k), 0);
  c.assign(std::size_t(out * k), 0);
  s.assign(std::size_t(out), 0.0);
  wr.assign(std::size_t(out * k), 0.0f);
  ws.assign(std::size_t(out * k), 0.0f);
  const int groups = (k + group_rows - 1) / group_rows;
  for (int o = 0; o < out; ++o) {
    const float m = float(s0 * (o + 1) * wmax);  // the row's largest |w|
    s[std::size_t(o)] = double(m) / wmax;
    for (int i = 0; i < k; ++i) {
      const int v = i == 0 ? (o % 2 ? -wmax : wmax) : qd(rng);
      q[std::size_t(o * k + i)] = v;
      wr[std::size_t(o * k + i)] = i == 0 ? (v > 0 ? m : -m) : float(double(v) * s[std::size_t(o)]);
    }
    for (int g = 0; g < groups; ++g) {
      if ((o + g) % 3 == 1) continue;  // pruned
      for (int i = g * group_rows; i < std::min(k, (g + 1) * group_rows); ++i) {
        int v = sp.bits == 1 ? (coin(rng) ? 1 : -1) : cd(rng);
        if (i == g * group_rows && v == 0) v = cmax > 0 ? cmax : 1;  // the group is kept
        c[std::size_t(o * k + i)] = v;
        ws[std::size_t(o * k + i)] = float(double(v) * s[std::size_t(o)]);
      }
    }
  }
}

Built build(const Spec& sp = {}) {
  Built b;
  std::mt19937 rng(7);
  Model& m = b.model;
  std::vector<float> wr, ws;
  make_weights(rng, kConvOut, kConvK, sp.group_channels * 9, sp, 0.004, b.conv_q, b.conv_c, b.conv_s, wr, ws);
  m.init("conv_r.weight", {kConvOut, kConvIn, 3, 3}, wr);
  m.init("conv_r.bias", {kConvOut}, {0.05f, -0.1f, 0.2f, 0.0f});
  m.init("conv_s.weight", {kConvOut, kConvIn, 3, 3}, ws);
  make_weights(rng, kFcOut, kFcIn, sp.group_channels, sp, 0.002, b.fc_q, b.fc_c, b.fc_s, wr, ws);
  m.init("fc_r.weight", {kFcOut, kFcIn}, wr);
  m.init("fc_r.bias", {kFcOut}, {0.1f, -0.2f, 0.3f, 0.0f, 0.05f});
  m.init("fc_s.weight", {kFcOut, kFcIn}, ws);
  const double f = std::ldexp(1.0, -sp.shift);
  m.init("mul_c.scale", {}, {float(sp.conv_factor < 0 ? f : sp.conv_factor)});
  m.constant("mul_f.scale", float(sp.fc_factor < 0 ? f : sp.fc_factor));
  auto* cr = m.node("Conv", {"input", "conv_r.weight", "conv_r.bias"}, "cr", "conv_r");
  Model::ints(cr, "pads", {1, 1, 1, 1});
  auto* cs = m.node("Conv", {"input", "conv_s.weight"}, "cs", "conv_s");
  Model::ints(cs, "pads", {1, 1, 1, 1});
  m.node("Mul", {"cs", "mul_c.scale"}, "cm", "mul_c");
  m.node("Add", {"cr", "cm"}, "ca", "add_c");
  m.node("Relu", {"ca"}, "cy", "relu_c");
  m.node("Flatten", {"cy"}, "flat", "flatten");
  Model::i(m.node("Gemm", {"flat", "fc_r.weight", "fc_r.bias"}, "fr", "fc_r"), "transB", 1);
  Model::i(m.node("Gemm", {"flat", "fc_s.weight"}, "fs", "fc_s"), "transB", 1);
  m.node("Mul", {"mul_f.scale", "fs"}, "fm", "mul_f");  // constant first: either order
  m.node("Add", {"fm", "fr"}, "logits", "add_f");       // and either order of the Add
  m.output("logits");
  std::map<std::string, std::string> meta{{kHybridPairsKey, "conv_r=conv_s; fc_r=fc_s"},
                                          {kHybridShiftKey, std::to_string(sp.shift)},
                                          {kHybridSramBitsKey, std::to_string(sp.bits)},
                                          {kHybridGroupChannelsKey, std::to_string(sp.group_channels)},
                                          {kHybridRramBitsKey, std::to_string(sp.wb)}};
  for (const auto& [k, v] : sp.meta) meta[k] = v;
  for (const auto& [k, v] : meta)
    if (!v.empty()) m.metadata(k, v);
  return b;
}

PipelineOptions options(const std::string& onnx) {
  PipelineOptions o;
  o.compile.onnx_path = onnx;
  o.compile.dataset = kDatasetSynthetic;
  o.compile.calibration_images = 8;
  o.compile.eval_images = 0;
  return o;
}

CompileState compile_front(const Built& b, const std::string& file, PipelineOptions o = {}) {
  if (o.compile.onnx_path.empty()) o = options(b.model.save(file));
  else o.compile.onnx_path = b.model.save(file);
  return run_pipeline(o, passes_through(default_passes(o), "hybrid-quantize"));
}

std::string fuse_error(FloatNetwork net) {
  try {
    hybrid_fuse(net);
  } catch (const CompileError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string front_error(const Built& b, PipelineOptions o = {}) {
  try {
    compile_front(b, "err.onnx", o);
  } catch (const PassError& e) {
    return e.pass + ": " + e.what();
  }
  return "(no error)";
}

const HybridLayer& hybrid_of(const Layer& l) { return std::any_cast<const HybridLayer&>(l.attrs.data.at("hybrid")); }

int layer_index(const FloatNetwork& net, const std::string& name) {
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].name == name) return int(i);
  return -1;
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

}  // namespace

// ------------------------------------------------------------ Mul folding --

TEST(HybridImport, MulByAScalarFoldsIntoTheLayerBefore) {
  for (int order = 0; order < 2; ++order) {
    Model m({1, 1, 4, 4});
    m.init("w", {2, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9});
    m.init("b", {2}, {0.5f, -1.0f});
    m.init("k", {1}, {-0.25f});
    m.node("Conv", {"input", "w", "b"}, "c", "Conv_0");
    if (order == 0) m.node("Mul", {"c", "k"}, "y", "Mul_1");
    else m.node("Mul", {"k", "c"}, "y", "Mul_1");
    m.node("Relu", {"y"}, "z", "Relu_2");
    m.output("z");
    m.metadata("anything", "kept");
    const FloatNetwork net = m.import();
    ASSERT_EQ(net.layers.size(), 1u);
    const Layer& l = net.layers[0];
    EXPECT_EQ(l.name, "Conv_0");
    EXPECT_TRUE(l.relu);  // the ReLU after the Mul still fuses
    EXPECT_FLOAT_EQ(l.weight[0], -0.25f);
    EXPECT_FLOAT_EQ(l.weight[17], 2.25f);
    EXPECT_FLOAT_EQ(l.bias[0], -0.125f);
    EXPECT_FLOAT_EQ(l.bias[1], 0.25f);
    EXPECT_EQ(net.output, l.output);
    EXPECT_EQ(net.metadata.at("anything"), "kept");
  }
  // a Gemm, the factor from a Constant node
  Model m({1, 3});
  m.init("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  m.init("b", {2}, {1, 2});
  m.constant("k", 0.5f);
  Model::i(m.node("Gemm", {"input", "w", "b"}, "g", "Gemm_0"), "transB", 1);
  m.node("Mul", {"g", "k"}, "y", "Mul_1");
  m.output("y");
  const FloatNetwork net = m.import();
  ASSERT_EQ(net.layers.size(), 1u);
  EXPECT_FLOAT_EQ(net.layers[0].weight[5], 3.0f);
  EXPECT_FLOAT_EQ(net.layers[0].bias[1], 1.0f);
}

TEST(HybridImport, AnyOtherMulIsAnErrorNamingTheNode) {
  auto conv_then = [](const std::function<void(Model&)>& tail) {
    Model m({1, 1, 4, 4});
    m.init("w", {2, 1, 3, 3}, std::vector<float>(18, 0.5f));
    m.init("k", {1}, {0.5f});
    m.init("k2", {2}, {0.5f, 0.25f});
    m.node("Conv", {"input", "w"}, "c", "Conv_0");
    tail(m);
    return m.import_error();
  };
  std::string e = conv_then([](Model& m) {
    m.node("Mul", {"c", "c"}, "y", "Mul_sq");
    m.output("y");
  });
  EXPECT_HAS(e, "net.onnx: node 'Mul_sq' (Mul): multiplying two activations is not supported");
  e = conv_then([](Model& m) {
    m.node("Mul", {"c", "k2"}, "y", "Mul_vec");
    m.output("y");
  });
  EXPECT_HAS(e, "node 'Mul_vec' (Mul): the constant 'k2' has dims [2], not one value");
  e = conv_then([](Model& m) {
    m.node("Relu", {"c"}, "r", "Relu_1");
    m.node("Mul", {"r", "k"}, "y", "Mul_relu");
    m.output("y");
  });
  EXPECT_HAS(e, "node 'Mul_relu' (Mul): input 'r' is the output of layer 'Conv_0' (Conv), which has a fused ReLU");
  e = conv_then([](Model& m) {
    m.node("Mul", {"c", "k"}, "y", "Mul_shared");
    m.node("Add", {"y", "c"}, "z", "Add_2");
    m.output("z");
  });
  EXPECT_HAS(e, "node 'Mul_shared' (Mul): input 'c' is the output of layer 'Conv_0' (Conv), which other nodes read too");
  Model m({1, 3});
  m.init("k", {1}, {2.0f});
  m.node("Mul", {"input", "k"}, "y", "Mul_in");
  m.output("y");
  EXPECT_HAS(m.import_error(), "node 'Mul_in' (Mul): input 'input' is the network input; Mul is only supported as a "
                               "constant scalar factor on the output of a Conv/Gemm/MatMul");
  Model k({1, 3});
  k.init("k", {1}, {std::nanf("")});
  k.init("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  Model::i(k.node("Gemm", {"input", "w"}, "g", "Gemm_0"), "transB", 1);
  k.node("Mul", {"g", "k"}, "y", "Mul_nan");
  k.output("y");
  EXPECT_HAS(k.import_error(), "node 'Mul_nan' (Mul): factor 'k' has NaN at index 0");
  EXPECT_HAS(std::string(supported_onnx_operators()), "Mul");
}

// ------------------------------------------------------------------ fuse --

TEST(HybridFuse, MergesEachPairIntoOneLayer) {
  const Spec sp;
  const Built b = build(sp);
  FloatNetwork net = b.model.import();
  EXPECT_EQ(net.metadata.at(kHybridPairsKey), "conv_r=conv_s; fc_r=fc_s");
  ASSERT_EQ(net.layers.size(), 6u);  // conv_r, conv_s, add_c, fc_r, fc_s, add_f
  const Layer conv_r = net.layers[0], conv_s = net.layers[1], add_c = net.layers[2];
  const int logits = net.output;
  const std::string logits_name = net.tensors[std::size_t(logits)].name;
  hybrid_fuse(net);
  ASSERT_EQ(net.layers.size(), 2u);
  const Layer& c = net.layers[0];
  const Layer& f = net.layers[1];
  EXPECT_EQ(c.name, "conv_r");
  EXPECT_EQ(f.name, "fc_r");
  EXPECT_EQ(c.attrs.technique, "hybrid");
  EXPECT_EQ(f.attrs.technique, "hybrid");
  EXPECT_TRUE(c.relu);  // add_c's
  EXPECT_TRUE(add_c.relu);
  EXPECT_FALSE(f.relu);
  const HybridLayer& h = hybrid_of(c);
  EXPECT_EQ(h.sram_layer, "conv_s");
  EXPECT_EQ(h.add_layer, "add_c");
  EXPECT_EQ(h.shift, 2);
  EXPECT_EQ(h.sram_weight_bits, 2);
  EXPECT_EQ(h.group_channels, 2);
  EXPECT_EQ(h.rram_weight, conv_r.weight);
  EXPECT_EQ(h.sram_weight, conv_s.weight);  // already x 2^-2 (the folded Mul)
  for (std::size_t i = 0; i < c.weight.size(); ++i) {
    ASSERT_EQ(c.weight[i], conv_r.weight[i] + conv_s.weight[i]) << i;
    ASSERT_EQ(conv_s.weight[i], float(b.conv_c[i] * b.conv_s[i / kConvK] * 0.25)) << i;
  }
  EXPECT_EQ(c.bias, conv_r.bias);  // conv_s has none
  EXPECT_EQ(hybrid_of(f).sram_layer, "fc_s");
  EXPECT_EQ(hybrid_of(f).add_layer, "add_f");
  // tensors: input, add_c's output (flattened), the logits; producers match
  ASSERT_EQ(net.tensors.size(), 3u);
  EXPECT_EQ(net.input, 0);
  EXPECT_EQ(c.inputs, std::vector<int>{net.input});
  EXPECT_EQ(f.inputs, std::vector<int>{c.output});
  EXPECT_EQ(f.output, net.output);
  EXPECT_EQ(net.tensors[std::size_t(net.output)].name, logits_name);
  EXPECT_EQ(net.tensors[std::size_t(c.output)].name, "ca");
  EXPECT_EQ(net.tensors[std::size_t(c.output)].producer, 0);
  EXPECT_EQ(net.tensors[std::size_t(f.output)].producer, 1);
  EXPECT_EQ(net.tensors[0].producer, -1);

  // the float network computes the pair's function: the same logits as the
  // unfused one
  FloatNetwork plain = b.model.import();
  const std::vector<float> merged_out = [&] {
    std::vector<std::uint8_t> px(100);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = std::uint8_t(i * 53 + 11);
    FloatModel a(net), u(plain);
    const std::vector<float> x = a.run(px.data()), y = u.run(px.data());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 1e-4f * (1 + std::fabs(y[i]))) << i;
    return x;
  }();
  EXPECT_EQ(merged_out.size(), std::size_t(kFcOut));
}

TEST(HybridFuse, NoMetadataNoChange) {
  Model m({1, 3});
  m.init("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  Model::i(m.node("Gemm", {"input", "w"}, "g", "Gemm_0"), "transB", 1);
  m.output("g");
  FloatNetwork net = m.import();
  hybrid_fuse(net);
  EXPECT_EQ(net.layers.size(), 1u);
  EXPECT_EQ(net.layers[0].attrs.technique, "");
  const std::string p = m.save("plain.onnx");
  const CompileState s = run_pipeline(options(p));
  EXPECT_EQ(s.passes_run, (std::vector<std::string>{"import", "hybrid-fuse", "quantize", "hybrid-quantize", "basisn", "sme"}));
  EXPECT_FALSE(s.network().net.layers[0].attrs.golden);
  EXPECT_EQ(hybrid_summary(s.network()).layers, 0u);
}

TEST(HybridFuse, MetadataErrorsNameTheKeyAndValue) {
  auto err = [](std::map<std::string, std::string> meta) {
    Spec sp;
    sp.meta = std::move(meta);
    return fuse_error(build(sp).model.import());
  };
  EXPECT_HAS(err({{kHybridShiftKey, "4"}}), "net.onnx: metadata 'imcvp.hybrid.shift' = '4': out of range (0..3)");
  EXPECT_HAS(err({{kHybridShiftKey, "-1"}}), "metadata 'imcvp.hybrid.shift' = '-1': out of range (0..3)");
  EXPECT_HAS(err({{kHybridShiftKey, "two"}}), "metadata 'imcvp.hybrid.shift' = 'two': not an integer");
  EXPECT_HAS(err({{kHybridShiftKey, ""}}), "metadata 'imcvp.hybrid.shift' is missing");
  EXPECT_HAS(err({{kHybridSramBitsKey, "9"}}), "metadata 'imcvp.hybrid.sram_weight_bits' = '9': out of range (1..8)");
  EXPECT_HAS(err({{kHybridSramBitsKey, "0"}}), "metadata 'imcvp.hybrid.sram_weight_bits' = '0': out of range (1..8)");
  EXPECT_HAS(err({{kHybridGroupChannelsKey, "0"}}), "metadata 'imcvp.hybrid.group_channels' = '0': out of range (>= 1)");
  EXPECT_HAS(err({{kHybridGroupChannelsKey, "2.5"}}), "metadata 'imcvp.hybrid.group_channels' = '2.5': not an integer");
  EXPECT_HAS(err({{kHybridPairsKey, "conv_r=nope"}}),
             "metadata 'imcvp.hybrid.pairs' = 'conv_r=nope': 'nope' is no Conv/FC layer of the network (Conv/FC "
             "layers: conv_r, conv_s, fc_r, fc_s)");
  EXPECT_HAS(err({{kHybridPairsKey, "add_c=conv_s"}}), "'add_c' is no Conv/FC layer of the network");
  EXPECT_HAS(err({{kHybridPairsKey, "conv_r-conv_s"}}),
             "metadata 'imcvp.hybrid.pairs' = 'conv_r-conv_s': 'conv_r-conv_s' is not RRAM_NODE=SRAM_NODE");
  EXPECT_HAS(err({{kHybridPairsKey, " ; "}}), "metadata 'imcvp.hybrid.pairs' = ' ; ': no RRAM_NODE=SRAM_NODE pair");
  EXPECT_HAS(err({{kHybridPairsKey, "conv_r=conv_s;conv_r=fc_s"}}), "layer 'conv_r' is named by more than one pair");
}

TEST(HybridFuse, BranchMismatchesNameBothLayers) {
  const FloatNetwork base = build().model.import();
  const std::string both = "net.onnx: layer 'conv_r' (RRAM) and layer 'conv_s' (compensation): ";
  const std::string no_match = both + "the compensation branch does not match its RRAM branch: ";
  auto with = [&](const std::function<void(FloatNetwork&)>& change) {
    FloatNetwork n = base;
    change(n);
    return fuse_error(std::move(n));
  };
  auto L = [](FloatNetwork& n, const char* name) -> Layer& { return n.layers[std::size_t(layer_index(n, name))]; };
  EXPECT_HAS(with([&](FloatNetwork& n) {
               n.metadata[kHybridPairsKey] = "conv_r=fc_s";
             }),
             "layer 'conv_r' (RRAM) and layer 'fc_s' (compensation): the compensation branch does not match its RRAM "
             "branch: a Conv and a FullyConnected");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_s").inputs[0] = L(n, "conv_r").output; }),
             no_match + "they read different tensors ('input' and 'cr')");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_s").kernel_h = 1; }),
             no_match + "kernel/stride/pad 3x3/1x1/1x1 and 1x3/1x1/1x1");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_s").stride_w = 2; }), no_match + "kernel/stride/pad");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_s").out.c = 3; }), no_match + "outputs 4x5x5 and 3x5x5");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_r").groups = 2; }),
             both + "conv_r has 2 channel groups; hybrid compensation supports dense layers only");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "conv_s").relu = true; }),
             no_match + "'conv_s' has a fused ReLU before the Add");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "add_c").inputs = {L(n, "conv_s").output, n.input}; }),
             no_match + "the Add 'add_c' that reads 'conv_s' does not add the output of 'conv_r'");
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "fc_r").inputs[0] = L(n, "conv_s").output; }),
             no_match + "the output of 'conv_s' must be read by one Add only (it is read by 2 layer(s))");
  EXPECT_HAS(with([&](FloatNetwork& n) {
               Layer extra = L(n, "add_c");  // a second reader of conv_r's output
               extra.name = "extra";
               extra.inputs = {L(n, "conv_r").output, L(n, "conv_r").output};
               extra.output = int(n.tensors.size());
               n.tensors.push_back(TensorInfo{"e", extra.out, int(n.layers.size())});
               n.layers.push_back(extra);
             }),
             no_match + "the output of 'conv_r' is read by 2 layers; only the Add 'add_c' may read it");
  // a Conv read only through a 1x1 pool, not an Add
  EXPECT_HAS(with([&](FloatNetwork& n) { L(n, "add_c").kind = LayerKind::Concat; }),
             no_match + "the output of 'conv_s' must be read by one Add only (it is read by 1 layer(s): 'add_c' (Concat))");
}

// -------------------------------------------------------------- quantize --

TEST(HybridQuantize, IntegersComeFromTheBranches) {
  for (const Spec& sp : {Spec{}, spec(0, 1, 1), spec(3, 4, 3), spec(1, 8, 100)}) {
    SCOPED_TRACE("shift " + std::to_string(sp.shift) + " bits " + std::to_string(sp.bits) + " groups of " +
                 std::to_string(sp.group_channels));
    const Built b = build(sp);
    const CompileState s = compile_front(b, "q.onnx");
    const QuantizedNetwork& q = s.network();
    EXPECT_EQ(s.passes_run, (std::vector<std::string>{"import", "hybrid-fuse", "quantize", "hybrid-quantize"}));
    ASSERT_EQ(q.net.layers.size(), 2u);
    std::uint32_t expect_off = 0;
    for (int li = 0; li < 2; ++li) {
      const Layer& l = q.net.layers[std::size_t(li)];
      const QuantLayer& ql = q.layers[std::size_t(li)];
      const HybridLayer& h = hybrid_of(l);
      const auto& qq = li == 0 ? b.conv_q : b.fc_q;
      const auto& cc = li == 0 ? b.conv_c : b.fc_c;
      const auto& ss = li == 0 ? b.conv_s : b.fc_s;
      const std::size_t k = std::size_t(l.fan_in()), oc = std::size_t(l.out.c);
      for (std::size_t i = 0; i < oc * k; ++i) {
        ASSERT_EQ(ql.weight[i], qq[i]) << l.name << " " << i;
        ASSERT_EQ(h.comp[i], cc[i]) << l.name << " " << i;
      }
      const double in_scale = q.formats[std::size_t(l.inputs[0])].scale;
      const double out_scale = q.formats[std::size_t(l.output)].scale;
      for (std::size_t o = 0; o < oc; ++o) {
        EXPECT_NEAR(ql.weight_scale[o], ss[o], 1e-9 * ss[o]);
        const double fine = ql.weight_scale[o] * std::ldexp(1.0, -sp.shift);
        EXPECT_EQ(ql.bias[o], std::int32_t(round_away(double(l.bias[o]) / (in_scale * fine))));
        const Requant r = make_requant(in_scale * fine / out_scale);
        EXPECT_EQ(ql.requant[o].multiplier, r.multiplier);
        EXPECT_EQ(ql.requant[o].shift, r.shift);
      }
      // groups and figures
      const unsigned group_rows =
          unsigned(std::min<std::size_t>(k, std::size_t(sp.group_channels) * (li == 0 ? 9 : 1)));
      EXPECT_EQ(h.group_rows, group_rows);
      const std::size_t g = (k + group_rows - 1) / group_rows;
      std::uint64_t kept = 0, kept_w = 0;
      for (std::size_t o = 0; o < oc; ++o)
        for (std::size_t j = 0; j < g; ++j) {
          bool any = false;
          for (std::size_t i = j * group_rows; i < std::min(k, (j + 1) * group_rows); ++i) any = any || cc[o * k + i];
          if (any) ++kept, kept_w += std::min(k, (j + 1) * group_rows) - j * group_rows;
        }
      EXPECT_EQ(h.kept_groups, kept);
      EXPECT_EQ(h.total_groups, oc * g);
      EXPECT_EQ(h.kept_weights, kept_w);
      EXPECT_EQ(h.total_weights, oc * k);
      EXPECT_EQ(h.stored_bits, oc * g + kept_w * std::uint64_t(sp.bits));
      EXPECT_LT(kept, oc * g);  // the pattern prunes some
      // the SRAM data, block data and the slice record
      EXPECT_EQ(h.sram_data, hybrid_sram_data(h.comp, unsigned(oc), unsigned(k), group_rows, sp.bits));
      EXPECT_EQ(h.sram_data.size() % 4, 0u);
      EXPECT_EQ(h.sram_off, expect_off);
      ASSERT_EQ(l.attrs.block_data.size(), 2u);
      EXPECT_EQ(l.attrs.block_data[0].slot, unsigned(IMCVP_BLOCK_SLOT_SRAM_COMP));
      EXPECT_EQ(l.attrs.block_data[0].offset, IMCVP_SRAM_COMP_MEM + expect_off);
      EXPECT_EQ(l.attrs.block_data[0].bytes, h.sram_data);
      EXPECT_EQ(l.attrs.block_data[1].slot, unsigned(IMCVP_BLOCK_SLOT_SRAM_COMP));
      EXPECT_EQ(l.attrs.block_data[1].offset, std::uint32_t(IMCVP_SRAM_COMP_SHIFT));
      EXPECT_EQ(l.attrs.block_data[1].bytes, (std::vector<std::uint8_t>{std::uint8_t(sp.shift), 0, 0, 0}));
      ASSERT_TRUE(l.attrs.slice_ext);
      const std::vector<ExtRecord> recs = parse_ext_records(l.attrs.slice_ext(2, 1, 0), "slice");
      ASSERT_EQ(recs.size(), 1u);
      EXPECT_EQ(recs[0].type, IMCVP_EXT_SRAM_COMP);
      ASSERT_EQ(recs[0].payload.size(), sizeof(imcvp_ext_sram_comp));
      imcvp_ext_sram_comp r;
      std::memcpy(&r, recs[0].payload.data(), sizeof r);
      EXPECT_EQ(r.sram_off, expect_off);
      EXPECT_EQ(r.sram_bytes, h.sram_data.size());
      EXPECT_EQ(r.weight_rows, k);
      EXPECT_EQ(r.kept_groups, kept);
      EXPECT_EQ(r.layer_outputs, oc);
      EXPECT_EQ(r.first_output, 2u);
      EXPECT_EQ(r.group_rows, group_rows);
      EXPECT_EQ(int(r.weight_bits), sp.bits);
      EXPECT_EQ(int(r.reserved), 0);
      expect_off += std::uint32_t(h.sram_data.size());
    }
    const HybridSummary sum = hybrid_summary(q);
    EXPECT_EQ(sum.layers, 2u);
    EXPECT_EQ(sum.shift, sp.shift);
    EXPECT_EQ(sum.sram_weight_bits, sp.bits);
    EXPECT_EQ(sum.group_channels, sp.group_channels);
    EXPECT_EQ(sum.sram_bytes, expect_off);
    const HybridLayer& h0 = hybrid_of(q.net.layers[0]);
    const HybridLayer& h1 = hybrid_of(q.net.layers[1]);
    EXPECT_EQ(sum.sram_bits_stored, h0.stored_bits + h1.stored_bits);
    EXPECT_EQ(sum.sram_weight_bits_stored, (h0.kept_weights + h1.kept_weights) * std::uint64_t(sp.bits));
    EXPECT_EQ(sum.rram_weight_bits, std::uint64_t(kConvOut * kConvK + kFcOut * kFcIn) * 8u);
    EXPECT_EQ(sum.kept_weights, h0.kept_weights + h1.kept_weights);
    EXPECT_EQ(sum.total_weights, std::uint64_t(kConvOut * kConvK + kFcOut * kFcIn));
    EXPECT_DOUBLE_EQ(sum.pruning_ratio, 1.0 - double(sum.kept_weights) / double(sum.total_weights));
    EXPECT_GT(sum.pruning_ratio, 0.0);
  }
}

// The golden hook against the tile's formula, computed directly:
//   acc = (sum_k q[o][k] x[k]) << shift + sum_k c[o][k] x[k]
//   out = clamp(((acc + bias) M + 2^(S-1)) >> S)
TEST(HybridQuantize, GoldenIsTheTilesFormula) {
  for (const Spec& sp : {Spec{}, spec(0, 1, 1), spec(3, 8, 4)}) {
    const Built b = build(sp);
    const CompileState s = compile_front(b, "g.onnx");
    const QuantizedNetwork& q = s.network();
    GoldenModel gm(q);
    FloatModel fm(q.net);
    // the calibration images: inside the calibrated ranges (nothing clips)
    const ImageSet images = compile_images(s.options.compile, q.net.input_shape(), Split::Train, 8);
    std::size_t agree = 0;
    for (std::size_t img = 0; img < images.count(); ++img) {
      const std::uint8_t* pixels = images.image(img);
      gm.run(pixels);
      for (std::size_t li = 0; li < q.net.layers.size(); ++li) {
        const Layer& l = q.net.layers[li];
        const QuantLayer& ql = q.layers[li];
        const HybridLayer& h = hybrid_of(l);
        ASSERT_TRUE(l.attrs.golden);
        const std::vector<std::int32_t>& x = gm.tensor(l.inputs[0]);
        const std::vector<std::int32_t>& y = gm.tensor(l.output);
        const std::size_t k = std::size_t(l.fan_in());
        const int oh = l.out.h, ow = l.out.w;
        for (int o = 0; o < l.out.c; ++o)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) {
              std::int64_t rs = 0, cs = 0;
              for (std::size_t i = 0; i < k; ++i) {
                std::int64_t xv;
                if (l.kind == LayerKind::FullyConnected) {
                  xv = x[i];
                } else {
                  const int c = int(i) / 9, ky = int(i) / 3 % 3, kx = int(i) % 3;
                  const int iy = oy - 1 + ky, ix = ox - 1 + kx;
                  xv = iy < 0 || iy >= l.in.h || ix < 0 || ix >= l.in.w
                           ? 0
                           : x[std::size_t((c * l.in.h + iy) * l.in.w + ix)];
                }
                rs += std::int64_t(ql.weight[std::size_t(o) * k + i]) * xv;
                cs += std::int64_t(h.comp[std::size_t(o) * k + i]) * xv;
              }
              const std::int64_t acc = rs * (std::int64_t(1) << sp.shift) + cs;
              const std::int32_t want = imcvp_requantize(acc, ql.bias[std::size_t(o)], ql.requant[std::size_t(o)].multiplier,
                                                         ql.requant[std::size_t(o)].shift, ql.out_min, ql.out_max);
              ASSERT_EQ(y[std::size_t((o * oh + oy) * ow + ox)], want) << l.name << " o " << o << " at " << oy << "," << ox;
            }
      }
      // and the integers follow the float network (the scales are right)
      const std::vector<float>& f = fm.run(pixels);
      const std::vector<std::int32_t>& g = gm.tensor(q.net.output);
      const double scale = q.formats[std::size_t(q.net.output)].scale;
      double range = 0;
      for (float v : f) range = std::max(range, double(std::fabs(v)));
      for (std::size_t i = 0; i < f.size(); ++i) EXPECT_NEAR(double(g[i]) * scale, double(f[i]), 0.05 * range + 1e-6);
      agree += argmax(f) == argmax(g);
    }
    EXPECT_GE(agree, 7u);
  }
}

TEST(HybridQuantize, GridAndRangeErrorsNameTheLayerAndChannel) {
  Spec sp;
  sp.conv_factor = 0.125;  // the model says shift 2: half a grid step
  std::string e = front_error(build(sp));
  EXPECT_HAS(e, "hybrid-quantize: " + (temp_dir() / "err.onnx").string() + ": layer 'conv_r': compensation weight ");
  EXPECT_HAS(e, "is not on the grid of the RRAM scale 2^-shift: it is ");
  EXPECT_HAS(e, "the branch does not match the RRAM branch or the shift");
  // a compensation weight outside the 2-bit range: c = 2 (factor 2^-1 for shift 2)
  sp = Spec{};
  sp.fc_factor = 0.5;
  e = front_error(build(sp));
  EXPECT_HAS(e, "layer 'fc_r': compensation weight ");
  EXPECT_HAS(e, "outside the 2-bit range [-2, 1]");
  // RRAM weights trained at 6 bits: the model's imcvp.hybrid.rram_weight_bits
  // sets the hybrid layers' precision, whatever the network's weight_bits ...
  sp = Spec{};
  sp.wb = 6;
  PipelineOptions o = options("");
  o.compile.quant.weight_bits = 8;
  o.compile.onnx_path = "x";
  EXPECT_EQ(front_error(build(sp), o), "(no error)");
  // ... unless the user quantizes a hybrid layer to other bits: then its
  // compensation weights are off the grid, and the error says why
  o.compile.quant.layer_weight_bits["conv_r"] = 8;
  e = front_error(build(sp), o);
  EXPECT_HAS(e, "is not on the grid of the RRAM scale 2^-shift");
  EXPECT_HAS(e, "(the RRAM weights are quantized to 8 bits; the model's imcvp.hybrid.rram_weight_bits is 6)");
  // 1-bit: a 0 inside a kept group
  sp = spec(0, 1, 1);
  Built b = build(sp);
  {
    FloatNetwork net = b.model.import();
    hybrid_fuse(net);
    HybridLayer& h = std::any_cast<HybridLayer&>(net.layers[0].attrs.data.at("hybrid"));
    // channel 0, row 1 (group 0 has rows 0..8 with group_channels 1) set to 0
    ASSERT_NE(h.sram_weight[1], 0.0f);
    h.sram_weight[1] = 0.0f;
    QuantizedNetwork q = quantize_uncalibrated(std::move(net));
    try {
      hybrid_quantize(q, 0, 0);
      FAIL() << "quantized";
    } catch (const CompileError& err) {
      EXPECT_HAS(std::string(err.what()), "net.onnx: layer 'conv_r': compensation weight 0 of output channel 0 (weight "
                                          "row 1) in kept group 0: 1-bit compensation weights are -1 or +1");
    }
  }
  // 32-bit overflow of the shifted accumulator: 16-bit inputs, shift 3
  sp = Spec{};
  sp.shift = 3;
  o = options("");
  o.compile.onnx_path = "x";
  o.compile.quant.act_bits = 16;
  e = front_error(build(sp), o);
  EXPECT_HAS(e, "hybrid-quantize: " + (temp_dir() / "err.onnx").string() + ": layer 'fc_r': output channel ");
  EXPECT_HAS(e, "can overflow the 32-bit accumulator (bound ");
  EXPECT_HAS(e, "with the RRAM sum shifted left by 3)");
}

TEST(HybridQuantize, TheChipNeedsTheSramBlockAndRoom) {
  const Built b = build();
  PipelineOptions o = options("");
  o.compile.onnx_path = "x";
  o.chip.tiles = 1;
  o.chip.crossbars_per_tile = 64;
  o.chip.buffer_bytes = 64 * 1024;
  std::string e = front_error(b, o);
  EXPECT_EQ(e, "hybrid-quantize: " + (temp_dir() / "err.onnx").string() +
                   ": the network has hybrid compensation layers (conv_r, fc_r) but the accelerator has no SRAM "
                   "compensation block (accelerator.tile.sram_comp)");
  // the sizes, from an unconstrained compile
  const CompileState s = compile_front(b, "sizes.onnx");
  const std::size_t b0 = hybrid_of(s.network().net.layers[0]).sram_data.size();
  const std::size_t b1 = hybrid_of(s.network().net.layers[1]).sram_data.size();
  o.chip.sram_comp_bytes = std::uint32_t(b0 + b1);
  EXPECT_EQ(front_error(b, o), "(no error)");
  o.chip.sram_comp_bytes = std::uint32_t(b0 + b1 - 4);
  e = front_error(b, o);
  EXPECT_HAS(e, "layer 'fc_r': its SRAM compensation data (" + std::to_string(b1) + " bytes at offset " +
                    std::to_string(b0) + ": " + std::to_string(b0 + b1) +
                    " bytes needed for the hybrid layers up to it) does not fit the " + std::to_string(b0 + b1 - 4) +
                    " bytes of the SRAM compensation block");
  o.chip.sram_comp_bytes = 4;
  EXPECT_HAS(front_error(b, o), "layer 'conv_r': its SRAM compensation data");
}

// ------------------------------------------------------------- SRAM data --

TEST(HybridSram, TwoBitDataByHand) {
  // 2 outputs x 5 rows, groups of 2 rows (G = 3: rows 0-1, 2-3, 4)
  const std::vector<std::int8_t> c{1, -1, 0, 0, -2,   // groups kept, pruned, kept
                                   0, 0, 1, 0, 0};    // pruned, kept, pruned
  // mask bits o*3+g: 0, 2, 4 -> 0x15; fields 01 11 10 01 00 (LSB first):
  // 1 | 3<<2 | 2<<4 | 1<<6 = 0x6D, then 0x00
  EXPECT_EQ(hybrid_sram_data(c, 2, 5, 2, 2), (std::vector<std::uint8_t>{0x15, 0, 0, 0, 0x6D, 0, 0, 0}));
  // 8-bit fields: one byte each
  EXPECT_EQ(hybrid_sram_data({-128, 127, 0, 0, 5}, 1, 5, 2, 8),
            (std::vector<std::uint8_t>{0x05, 0, 0, 0, 0x80, 0x7F, 0x05, 0}));
  // 3-bit fields cross bytes: -4 (100), 3 (011), -1 (111): 100 011 111 -> bits 0..8
  // = 0b1_1101_1100 -> 0xDC, 0x01
  EXPECT_EQ(hybrid_sram_data({-4, 3, -1}, 1, 3, 3, 3), (std::vector<std::uint8_t>{0x01, 0, 0, 0, 0xDC, 0x01, 0, 0}));
  // everything pruned: the mask only (a word), no weights
  EXPECT_EQ(hybrid_sram_data(std::vector<std::int8_t>(12, 0), 3, 4, 2, 4), (std::vector<std::uint8_t>{0, 0, 0, 0}));
}

TEST(HybridSram, OneBitDataByHand) {
  // 1 output x 10 rows, groups of 4 (4, 4, 2): kept, pruned, kept
  const std::vector<std::int8_t> c{1, -1, -1, 1, 0, 0, 0, 0, -1, 1};
  // mask 0b101; fields (0 = +1, 1 = -1): 0 1 1 0 1 0 -> 0b010110 = 0x16
  EXPECT_EQ(hybrid_sram_data(c, 1, 10, 4, 1), (std::vector<std::uint8_t>{0x05, 0, 0, 0, 0x16, 0, 0, 0}));
  // 40 outputs x 1 row: a 5-byte mask padded to 8, then 5 bytes padded to 8
  std::vector<std::int8_t> many(40, -1);
  many[3] = 0;
  const std::vector<std::uint8_t> d = hybrid_sram_data(many, 40, 1, 1, 1);
  ASSERT_EQ(d.size(), 16u);
  EXPECT_EQ(d[0], 0xF7);
  EXPECT_EQ(d[4], 0xFF);
  EXPECT_EQ(d[5], 0);
  EXPECT_EQ(d[8], 0xFF);   // 39 fields of 1 (-1)
  EXPECT_EQ(d[12], 0x7F);  // the 39th field is bit 38: byte 4 bits 0..6
  EXPECT_THROW(hybrid_sram_data({1, 0}, 1, 2, 2, 1), CompileError);  // a 0 in a kept 1-bit group
}

// ----------------------------------------------------------------- image --

// With a chip: the program image carries the SRAM data and the shift as
// block data, and every slice of a hybrid layer its IMCVP_EXT_SRAM_COMP
// record (first_output = the slice's first channel).
TEST(HybridImage, BlockDataAndRecordsReachTheImage) {
  const Built b = build();
  PipelineOptions o = options(b.model.save("image.onnx"));
  o.chip.tiles = 2;
  o.chip.crossbars_per_tile = 64;
  o.chip.buffer_bytes = 64 * 1024;
  o.chip.sram_comp_bytes = 4096;
  const CompileState s = run_pipeline(o);
  const QuantizedNetwork& q = s.network();
  const ProgramImage img = read_program_image(s.image_bytes);
  EXPECT_EQ(serialize_program_image(img), s.image_bytes);
  for (std::size_t li = 0; li < q.net.layers.size(); ++li) {
    const HybridLayer& h = hybrid_of(q.net.layers[li]);
    bool data = false, shift = false;
    for (const ImageBlockData& e : img.block_data) {
      EXPECT_EQ(e.slot, IMCVP_BLOCK_SLOT_SRAM_COMP);
      data = data || (e.offset == IMCVP_SRAM_COMP_MEM + h.sram_off && e.bytes == h.sram_data);
      shift = shift || (e.offset == IMCVP_SRAM_COMP_SHIFT && e.bytes == std::vector<std::uint8_t>{2, 0, 0, 0});
    }
    EXPECT_TRUE(data) << q.net.layers[li].name;
    EXPECT_TRUE(shift);
    int slices = 0;
    for (const ImageLayer& l : img.layers) {
      if (l.net_layer != li) continue;
      ++slices;
      bool found = false;
      for (const ExtRecord& r : parse_ext_records(l.ext, "image")) {
        if (r.type != IMCVP_EXT_SRAM_COMP) continue;
        imcvp_ext_sram_comp rec;
        std::memcpy(&rec, r.payload.data(), sizeof rec);
        EXPECT_EQ(rec.sram_off, h.sram_off);
        EXPECT_EQ(rec.layer_outputs, q.net.layers[li].out.c);
        found = true;
      }
      EXPECT_TRUE(found) << q.net.layers[li].name;
    }
    EXPECT_GE(slices, 1);
  }
}
