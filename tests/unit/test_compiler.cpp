// Network compiler: ONNX import (BatchNorm folding, ReLU fusion, errors),
// quantization arithmetic, the integer golden reference, grouped/depthwise
// convolutions, Concat, ReLU6, synthetic images and uncalibrated networks,
// the Fashion-MNIST reader, the trained networks' golden vs float accuracy,
// and (with IMCVP_IMAGENET_DIR) the ImageNet-scale networks.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <zlib.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "compiler/fmnist.hpp"
#include "compiler/golden.hpp"
#include "compiler/network.hpp"
#include "compiler/onnx_import.hpp"
#include "compiler/quantize.hpp"

int sc_main(int, char*[]) { return 0; }

namespace imcvp::compiler {
void PrintTo(const Shape& s, std::ostream* os) { *os << s.str(); }
}  // namespace imcvp::compiler

namespace fs = std::filesystem;
using namespace imcvp::compiler;
using Dims = std::vector<std::int64_t>;

namespace {

std::string source_dir() {
  if (const char* env = std::getenv("IMCVP_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("imcvp_test_compiler_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// Builds an ONNX model the way PyTorch exports one (opset 13).
class ModelBuilder {
 public:
  explicit ModelBuilder(const Dims& input_dims) {
    m_.set_ir_version(7);
    m_.set_producer_name("test_compiler");
    auto* op = m_.add_opset_import();
    op->set_domain("");
    op->set_version(13);
    g_ = m_.mutable_graph();
    g_->set_name("test");
    auto* in = g_->add_input();
    in->set_name("input");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::size_t i = 0; i < input_dims.size(); ++i) {
      auto* d = tt->mutable_shape()->add_dim();
      if (i == 0) d->set_dim_param("batch");
      else d->set_dim_value(input_dims[i]);
    }
  }
  void init(const std::string& name, const Dims& dims, const std::vector<float>& v, bool raw = true) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    if (raw) t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    else
      for (float f : v) t->add_float_data(f);
  }
  void init_i64(const std::string& name, const Dims& dims, const std::vector<std::int64_t>& v) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (auto d : dims) t->add_dims(d);
    for (auto x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
                        const std::string& name = "") {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(g_->node_size() - 1) : name);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, const Dims& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void i(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void f(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void s(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  void output(const std::string& name) {
    auto* o = g_->add_output();
    o->set_name(name);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  void metadata(const std::string& k, const std::string& v) {
    auto* p = m_.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  std::string bytes() const { return m_.SerializeAsString(); }
  FloatNetwork import(const std::string& name = "net.onnx") const { return import_onnx_bytes(bytes(), name); }
  std::string save(const std::string& file) const {
    const std::string p = (temp_dir() / file).string();
    std::ofstream(p, std::ios::binary) << bytes();
    return p;
  }

 private:
  onnx::ModelProto m_;
  onnx::GraphProto* g_ = nullptr;
};

std::vector<float> ramp(std::size_t n, float scale, float offset, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng) * scale + offset;
  return v;
}

ImageSet random_images(std::size_t count, int c, int h, int w, unsigned seed) {
  ImageSet s;
  s.channels = c;
  s.height = h;
  s.width = w;
  std::mt19937 rng(seed);
  s.pixels.resize(count * s.image_size());
  for (auto& p : s.pixels) p = std::uint8_t(rng() & 0xff);
  s.labels.assign(count, 0);
  return s;
}

// ---- a direct double-precision reference of the ops, independent of golden.cpp
using Vec = std::vector<double>;
Vec conv_ref(const Vec& x, int c, int h, int w, const std::vector<float>& wt, const std::vector<float>& b, int oc, int k,
             int stride, int pad, int& oh, int& ow) {
  oh = (h + 2 * pad - k) / stride + 1;
  ow = (w + 2 * pad - k) / stride + 1;
  Vec y(std::size_t(oc * oh * ow));
  for (int o = 0; o < oc; ++o)
    for (int yy = 0; yy < oh; ++yy)
      for (int xx = 0; xx < ow; ++xx) {
        double s = b.empty() ? 0.0 : b[std::size_t(o)];
        for (int ci = 0; ci < c; ++ci)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              int iy = yy * stride - pad + ky, ix = xx * stride - pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              s += double(wt[std::size_t(((o * c + ci) * k + ky) * k + kx)]) * x[std::size_t((ci * h + iy) * w + ix)];
            }
        y[std::size_t((o * oh + yy) * ow + xx)] = s;
      }
  return y;
}

// ---- the two test networks -----------------------------------------------

struct ConvNetParams {
  std::vector<float> cw = ramp(2 * 1 * 3 * 3, 0.5f, 0.0f, 1), cb = {0.1f, -0.2f};
  std::vector<float> gamma = {1.5f, 0.7f}, beta = {0.2f, -0.1f}, mean = {0.05f, -0.3f}, var = {0.8f, 1.3f};
  std::vector<float> fw = ramp(3 * 18, 0.3f, 0.0f, 2), fb = {0.01f, 0.02f, -0.03f};
};

// input [1,1,6,6] -> Conv 2x3x3 pad 1 -> BatchNorm -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(transB) 18->3
ModelBuilder conv_net(const ConvNetParams& p) {
  ModelBuilder mb({1, 1, 6, 6});
  mb.init("conv.weight", {2, 1, 3, 3}, p.cw);
  mb.init("conv.bias", {2}, p.cb, false);
  mb.init("bn.weight", {2}, p.gamma);
  mb.init("bn.bias", {2}, p.beta);
  mb.init("bn.running_mean", {2}, p.mean);
  mb.init("bn.running_var", {2}, p.var);
  mb.init("fc.weight", {3, 18}, p.fw);
  mb.init("fc.bias", {3}, p.fb);
  auto* c = mb.node("Conv", {"input", "conv.weight", "conv.bias"}, "c", "Conv_0");
  ModelBuilder::ints(c, "kernel_shape", {3, 3});
  ModelBuilder::ints(c, "pads", {1, 1, 1, 1});
  ModelBuilder::ints(c, "strides", {1, 1});
  ModelBuilder::ints(c, "dilations", {1, 1});
  ModelBuilder::i(c, "group", 1);
  auto* bn = mb.node("BatchNormalization", {"c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}, "bn",
                     "BatchNormalization_1");
  ModelBuilder::f(bn, "epsilon", 1e-5f);
  mb.node("Relu", {"bn"}, "r", "Relu_2");
  auto* mp = mb.node("MaxPool", {"r"}, "p", "MaxPool_3");
  ModelBuilder::ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::ints(mp, "strides", {2, 2});
  mb.node("Flatten", {"p"}, "f", "Flatten_4");
  auto* g = mb.node("Gemm", {"f", "fc.weight", "fc.bias"}, "logits", "Gemm_5");
  ModelBuilder::i(g, "transB", 1);
  ModelBuilder::f(g, "alpha", 1.0f);
  ModelBuilder::f(g, "beta", 1.0f);
  mb.output("logits");
  return mb;
}

Vec conv_net_ref(const ConvNetParams& p, const std::uint8_t* img) {
  Vec x(36);
  for (int i = 0; i < 36; ++i) x[std::size_t(i)] = img[i] / 255.0;
  int oh, ow;
  Vec c = conv_ref(x, 1, 6, 6, p.cw, p.cb, 2, 3, 1, 1, oh, ow);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 36; ++i) {
      double& v = c[std::size_t(o * 36 + i)];
      v = (v - p.mean[std::size_t(o)]) / std::sqrt(double(p.var[std::size_t(o)]) + 1e-5) * p.gamma[std::size_t(o)] +
          p.beta[std::size_t(o)];
      v = std::max(v, 0.0);
    }
  Vec pool(18);
  for (int o = 0; o < 2; ++o)
    for (int y = 0; y < 3; ++y)
      for (int xx = 0; xx < 3; ++xx) {
        double m = -1e300;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) m = std::max(m, c[std::size_t(o * 36 + (2 * y + dy) * 6 + 2 * xx + dx)]);
        pool[std::size_t(o * 9 + y * 3 + xx)] = m;
      }
  Vec out(3);
  for (int o = 0; o < 3; ++o) {
    double s = p.fb[std::size_t(o)];
    for (int k = 0; k < 18; ++k) s += double(p.fw[std::size_t(o * 18 + k)]) * pool[std::size_t(k)];
    out[std::size_t(o)] = s;
  }
  return out;
}

struct ResNetParams {
  std::vector<float> w1 = ramp(4 * 1 * 3 * 3, 0.6f, 0.1f, 3), b1 = {0.05f, 0.0f, -0.05f, 0.1f};
  std::vector<float> w2 = ramp(4 * 4 * 3 * 3, 0.3f, 0.0f, 4), b2 = {0.0f, 0.1f, -0.1f, 0.02f};
  std::vector<float> fw = ramp(4 * 5, 0.8f, 0.0f, 5), fb = {0.1f, -0.1f, 0.2f, 0.0f, 0.05f};
};

// input [1,1,5,5] -> Conv1 4x3x3 p1 -> Relu -> Conv2 4x3x3 p1 -> Add(conv2, relu1) -> Relu
//  -> GlobalAveragePool -> Reshape [1,-1] -> MatMul [4,5] -> Add bias
ModelBuilder res_net(const ResNetParams& p) {
  ModelBuilder mb({1, 1, 5, 5});
  mb.init("w1", {4, 1, 3, 3}, p.w1);
  mb.init("b1", {4}, p.b1);
  mb.init("w2", {4, 4, 3, 3}, p.w2);
  mb.init("b2", {4}, p.b2);
  std::vector<float> fwt(20);  // MatMul weight is [K, N]
  for (int o = 0; o < 5; ++o)
    for (int k = 0; k < 4; ++k) fwt[std::size_t(k * 5 + o)] = p.fw[std::size_t(o * 4 + k)];
  mb.init("fw", {4, 5}, fwt);
  mb.init("fb", {5}, p.fb);
  mb.init_i64("shape", {2}, {1, -1});
  auto* c1 = mb.node("Conv", {"input", "w1", "b1"}, "c1", "Conv_0");
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  mb.node("Relu", {"c1"}, "r1", "Relu_1");
  auto* c2 = mb.node("Conv", {"r1", "w2", "b2"}, "c2", "Conv_2");
  ModelBuilder::ints(c2, "pads", {1, 1, 1, 1});
  mb.node("Add", {"c2", "r1"}, "s", "Add_3");
  mb.node("Relu", {"s"}, "r2", "Relu_4");
  mb.node("GlobalAveragePool", {"r2"}, "gap", "GlobalAveragePool_5");
  mb.node("Reshape", {"gap", "shape"}, "flat", "Reshape_6");
  mb.node("MatMul", {"flat", "fw"}, "mm", "MatMul_7");
  mb.node("Add", {"mm", "fb"}, "logits", "Add_8");
  mb.output("logits");
  return mb;
}

Vec res_net_ref(const ResNetParams& p, const std::uint8_t* img) {
  Vec x(25);
  for (int i = 0; i < 25; ++i) x[std::size_t(i)] = img[i] / 255.0;
  int oh, ow;
  Vec r1 = conv_ref(x, 1, 5, 5, p.w1, p.b1, 4, 3, 1, 1, oh, ow);
  for (auto& v : r1) v = std::max(v, 0.0);
  Vec c2 = conv_ref(r1, 4, 5, 5, p.w2, p.b2, 4, 3, 1, 1, oh, ow);
  Vec gap(4, 0.0);
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < 25; ++i) gap[std::size_t(c)] += std::max(c2[std::size_t(c * 25 + i)] + r1[std::size_t(c * 25 + i)], 0.0);
    gap[std::size_t(c)] /= 25.0;
  }
  Vec out(5);
  for (int o = 0; o < 5; ++o) {
    double s = p.fb[std::size_t(o)];
    for (int k = 0; k < 4; ++k) s += double(p.fw[std::size_t(o * 4 + k)]) * gap[std::size_t(k)];
    out[std::size_t(o)] = s;
  }
  return out;
}

std::string error_of(const ModelBuilder& mb) {
  try {
    mb.import("net.onnx");
  } catch (const CompileError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ------------------------------------------------------------------ import --

TEST(OnnxImport, ConvBnReluPoolGemmFoldsAndFuses) {
  ConvNetParams p;
  FloatNetwork net = conv_net(p).import();
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[0].kind, LayerKind::Conv);
  EXPECT_TRUE(net.layers[0].relu);  // BN folded, Relu fused
  EXPECT_EQ(net.layers[0].name, "Conv_0");
  EXPECT_EQ(net.layers[0].out, (Shape{2, 6, 6}));
  EXPECT_EQ(net.layers[1].kind, LayerKind::MaxPool);
  EXPECT_EQ(net.layers[1].out, (Shape{2, 3, 3}));
  EXPECT_EQ(net.layers[2].kind, LayerKind::FullyConnected);
  EXPECT_EQ(net.layers[2].in, (Shape{2, 3, 3}));  // Flatten is a no-op
  EXPECT_EQ(net.output_shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(net.input_shape(), (Shape{1, 6, 6}));
  EXPECT_EQ(net.layers[0].macs(), 2u * 36u * 9u);

  // BN folding, numerically: w' = w * g / sqrt(var + eps), b' = (b - mean) * g' + beta
  for (int o = 0; o < 2; ++o) {
    const double g = p.gamma[std::size_t(o)] / std::sqrt(double(p.var[std::size_t(o)]) + 1e-5);
    for (int i = 0; i < 9; ++i)
      EXPECT_NEAR(net.layers[0].weight[std::size_t(o * 9 + i)], p.cw[std::size_t(o * 9 + i)] * g, 1e-6);
    EXPECT_NEAR(net.layers[0].bias[std::size_t(o)],
                (p.cb[std::size_t(o)] - p.mean[std::size_t(o)]) * g + p.beta[std::size_t(o)], 1e-6);
  }
  // The float model equals a direct evaluation of the unfolded graph.
  ImageSet imgs = random_images(20, 1, 6, 6, 7);
  FloatModel fm(net);
  for (std::size_t i = 0; i < imgs.count(); ++i) {
    const auto& y = fm.run(imgs.image(i));
    Vec ref = conv_net_ref(p, imgs.image(i));
    for (int o = 0; o < 3; ++o) EXPECT_NEAR(y[std::size_t(o)], ref[std::size_t(o)], 1e-4);
  }
}

TEST(OnnxImport, ResidualAddWithMatMulBias) {
  ResNetParams p;
  FloatNetwork net = res_net(p).import();
  ASSERT_EQ(net.layers.size(), 5u);
  EXPECT_EQ(net.layers[0].kind, LayerKind::Conv);
  EXPECT_TRUE(net.layers[0].relu);
  EXPECT_EQ(net.layers[1].kind, LayerKind::Conv);
  EXPECT_FALSE(net.layers[1].relu);
  EXPECT_EQ(net.layers[2].kind, LayerKind::Add);
  EXPECT_TRUE(net.layers[2].relu);
  EXPECT_EQ(net.layers[2].inputs, (std::vector<int>{net.layers[1].output, net.layers[0].output}));
  EXPECT_EQ(net.layers[3].kind, LayerKind::GlobalAvgPool);
  EXPECT_EQ(net.layers[4].kind, LayerKind::FullyConnected);
  EXPECT_EQ(net.layers[4].name, "MatMul_7");
  EXPECT_NEAR(net.layers[4].bias[2], 0.2f, 1e-7);  // the Add folded as bias
  EXPECT_EQ(net.consumers(net.layers[0].output), (std::vector<int>{1, 2}));

  ImageSet imgs = random_images(20, 1, 5, 5, 8);
  FloatModel fm(net);
  for (std::size_t i = 0; i < imgs.count(); ++i) {
    const auto& y = fm.run(imgs.image(i));
    Vec ref = res_net_ref(p, imgs.image(i));
    for (int o = 0; o < 5; ++o) EXPECT_NEAR(y[std::size_t(o)], ref[std::size_t(o)], 1e-4);
  }
}

TEST(OnnxImport, ReluNotFusedWhenPreActivationHasAnotherReader) {
  // c1 is read by Relu and by Add: the ReLU becomes its own layer.
  ModelBuilder mb({1, 1, 4, 4});
  mb.init("w", {2, 1, 1, 1}, {1.0f, -1.0f});
  mb.node("Conv", {"input", "w"}, "c1", "Conv_0");
  mb.node("Relu", {"c1"}, "r", "Relu_1");
  mb.node("Add", {"r", "c1"}, "s", "Add_2");
  mb.output("s");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_FALSE(net.layers[0].relu);
  EXPECT_EQ(net.layers[1].kind, LayerKind::MaxPool);  // 1x1 max pool with ReLU
  EXPECT_TRUE(net.layers[1].relu);
  EXPECT_EQ(net.layers[1].kernel_h, 1);
  EXPECT_FALSE(net.layers[2].relu);
}

TEST(OnnxImport, ReluAfterMaxPoolMovesToTheConv) {
  ModelBuilder mb({1, 1, 4, 4});
  mb.init("w", {1, 1, 3, 3}, ramp(9, 1.0f, 0.0f, 3));
  auto* c = mb.node("Conv", {"input", "w"}, "c", "Conv_0");
  ModelBuilder::ints(c, "pads", {1, 1, 1, 1});
  auto* mp = mb.node("MaxPool", {"c"}, "p", "MaxPool_1");
  ModelBuilder::ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::ints(mp, "strides", {2, 2});
  mb.node("Relu", {"p"}, "r", "Relu_2");
  mb.output("r");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 2u);
  EXPECT_TRUE(net.layers[0].relu);
  EXPECT_FALSE(net.layers[1].relu);
}

TEST(OnnxImport, PyTorchViewShapeArithmeticAndMetadata) {
  // x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape
  ModelBuilder mb({1, 2, 2, 2});
  mb.init("fw", {3, 8}, ramp(24, 1.0f, 0.0f, 9));
  mb.init_i64("zero", {}, {0});
  mb.init_i64("minus1", {1}, {-1});
  mb.init_i64("axes", {1}, {0});
  mb.node("Shape", {"input"}, "shp", "Shape_0");
  auto* g = mb.node("Gather", {"shp", "zero"}, "n", "Gather_1");
  ModelBuilder::i(g, "axis", 0);
  mb.node("Unsqueeze", {"n", "axes"}, "n1", "Unsqueeze_2");
  auto* cat = mb.node("Concat", {"n1", "minus1"}, "shape", "Concat_3");
  ModelBuilder::i(cat, "axis", 0);
  mb.node("Reshape", {"input", "shape"}, "flat", "Reshape_4");
  mb.node("Identity", {"flat"}, "flat2", "Identity_5");
  auto* gm = mb.node("Gemm", {"flat2", "fw"}, "logits", "Gemm_6");
  ModelBuilder::i(gm, "transB", 1);
  mb.output("logits");
  mb.metadata("imcvp.input_mean", "0.2860");
  mb.metadata("imcvp.input_std", "0.3530");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 1u);
  EXPECT_EQ(net.layers[0].in, (Shape{2, 2, 2}));
  EXPECT_FLOAT_EQ(net.norm.mean, 0.2860f);
  EXPECT_FLOAT_EQ(net.norm.std, 0.3530f);
}

TEST(OnnxImport, PyTorchExportedResNetFixture) {
  // tests/unit/data/compiler/make_torch_resnet.py: torch 1.13 export with BN,
  // residual adds, a strided 1x1 shortcut, AvgPool2d (Pad + AveragePool),
  // adaptive_avg_pool2d and x.view(x.size(0), -1).
  const std::string path = source_dir() + "/tests/unit/data/compiler/torch_resnet.onnx";
  FloatNetwork net = import_onnx(path);
  ASSERT_EQ(net.layers.size(), 11u);
  int adds = 0, convs = 0;
  for (const Layer& l : net.layers) {
    adds += l.kind == LayerKind::Add;
    convs += l.kind == LayerKind::Conv;
  }
  EXPECT_EQ(adds, 2);
  EXPECT_EQ(convs, 6);
  EXPECT_EQ(net.layers[8].kind, LayerKind::AvgPool);
  EXPECT_EQ(net.layers[8].out, (Shape{16, 7, 7}));
  const float torch_logits[3][10] = {
      {0.03106081f, 0.16708408f, -0.25787106f, 0.1762506f, 0.03565862f, 0.11428654f, -0.2478332f, -0.00139353f, 0.08292378f, -0.25831592f},
      {0.03118485f, 0.16685237f, -0.2579016f, 0.17658515f, 0.03577007f, 0.11394518f, -0.2479296f, -0.00145537f, 0.0827215f, -0.2583564f},
      {0.03150098f, 0.16721429f, -0.2577027f, 0.17661883f, 0.03587881f, 0.1136765f, -0.24810365f, -0.00116766f, 0.08307658f, -0.25874242f}};
  std::vector<std::uint8_t> img(3 * 784);
  for (int i = 0; i < 3 * 784; ++i) img[std::size_t(i)] = std::uint8_t((i * 37) % 256);
  FloatModel fm(net);
  for (int k = 0; k < 3; ++k) {
    const auto& y = fm.run(img.data() + k * 784);
    for (int o = 0; o < 10; ++o) EXPECT_NEAR(y[std::size_t(o)], torch_logits[k][o], 2e-6) << k << " " << o;
  }
  // and its integer version stays close
  ImageSet imgs = random_images(64, 1, 28, 28, 5);
  QuantizedNetwork q = quantize(net, imgs, 0);
  GoldenModel gm(q);
  const double s = q.formats[std::size_t(net.output)].scale;
  for (int k = 0; k < 3; ++k) {
    const auto& g = gm.run(img.data() + k * 784);
    for (int o = 0; o < 10; ++o) EXPECT_NEAR(g[std::size_t(o)] * s, torch_logits[k][o], 0.02) << k << " " << o;
  }
}

TEST(OnnxImport, PadFoldsIntoConvAndAveragePool) {
  ModelBuilder mb({1, 1, 4, 4});
  mb.init("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  mb.init_i64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
  mb.init_i64("nopads", {8}, {0, 0, 0, 0, 0, 0, 0, 0});
  auto* pd = mb.node("Pad", {"input", "pads"}, "p", "Pad_0");
  ModelBuilder::s(pd, "mode", "constant");
  mb.node("Conv", {"p", "w"}, "c", "Conv_1");
  mb.node("Pad", {"c", "nopads"}, "c2", "Pad_2");
  mb.node("Pad", {"c2", "pads"}, "p2", "Pad_3");
  auto* ap = mb.node("AveragePool", {"p2"}, "a", "AveragePool_4");
  ModelBuilder::ints(ap, "kernel_shape", {2, 2});
  ModelBuilder::ints(ap, "strides", {2, 2});
  mb.output("a");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 2u);
  EXPECT_EQ(net.layers[0].pad_h, 1);
  EXPECT_EQ(net.layers[0].out, (Shape{1, 4, 4}));
  EXPECT_EQ(net.layers[1].pad_w, 1);
  EXPECT_EQ(net.layers[1].out, (Shape{1, 3, 3}));
  // all-ones image: conv = count of valid neighbours / 255 * 255; corner pool = conv[0][0] / 4
  std::vector<std::uint8_t> img(16, 255);
  FloatModel fm(net);
  const auto& y = fm.run(img.data());
  EXPECT_NEAR(y[0], 4.0 / 4, 1e-6);        // window: 3 padded zeros + conv corner (4)
  EXPECT_NEAR(y[4], (9 + 9 + 9 + 9) / 4.0, 1e-6);

  // a Pad before anything else is an error naming the node
  ModelBuilder bad({1, 1, 4, 4});
  bad.init_i64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
  bad.node("Pad", {"input", "pads"}, "p", "Pad_0");
  auto* mp = bad.node("MaxPool", {"p"}, "m", "MaxPool_1");
  ModelBuilder::ints(mp, "kernel_shape", {2, 2});
  bad.output("m");
  const std::string e = error_of(bad);
  EXPECT_NE(e.find("node 'MaxPool_1' (MaxPool): input 'p' comes from a Pad node"), std::string::npos) << e;
}

TEST(OnnxImport, UnsupportedOperatorNamesNodeAndOperator) {
  ModelBuilder mb({1, 4});
  mb.init("fw", {4, 2}, ramp(8, 1.0f, 0.0f, 1));
  mb.node("MatMul", {"input", "fw"}, "m", "MatMul_0");
  mb.node("Sigmoid", {"m"}, "y", "Sigmoid_12");
  mb.node("Softmax", {"y"}, "z", "Softmax_13");
  mb.output("z");
  const std::string e = error_of(mb);
  EXPECT_NE(e.find("net.onnx: node 'Sigmoid_12': operator 'Sigmoid' is not supported (supported: Conv, Gemm"),
            std::string::npos)
      << e;
}

TEST(OnnxImport, FinalSoftmaxIsDroppedButNotAnInnerOne) {
  ModelBuilder mb({1, 4});
  mb.init("fw", {4, 3}, ramp(12, 1.0f, 0.0f, 1));
  mb.init("fw2", {3, 2}, ramp(6, 1.0f, 0.0f, 2));
  mb.node("MatMul", {"input", "fw"}, "m", "MatMul_0");
  mb.node("LogSoftmax", {"m"}, "y", "LogSoftmax_1");
  mb.output("y");
  FloatNetwork net = mb.import();
  EXPECT_EQ(net.output, net.layers.back().output);
  ModelBuilder inner({1, 4});
  inner.init("fw", {4, 3}, ramp(12, 1.0f, 0.0f, 1));
  inner.init("fw2", {3, 2}, ramp(6, 1.0f, 0.0f, 2));
  inner.node("MatMul", {"input", "fw"}, "m", "MatMul_0");
  inner.node("Softmax", {"m"}, "y", "Softmax_1");
  inner.node("MatMul", {"y", "fw2"}, "z", "MatMul_2");
  inner.output("z");
  const std::string e = error_of(inner);
  EXPECT_NE(e.find("node 'Softmax_1': operator 'Softmax' is not supported"), std::string::npos) << e;
}

TEST(OnnxImport, UnsupportedAttributesNameTheNode) {
  auto conv_with = [](const std::function<void(onnx::NodeProto*)>& set) {
    ModelBuilder mb({1, 2, 8, 8});
    mb.init("w", {2, 2, 3, 3}, ramp(36, 1.0f, 0.0f, 1));
    auto* c = mb.node("Conv", {"input", "w"}, "c", "Conv_7");
    set(c);
    mb.output("c");
    return error_of(mb);
  };
  std::string e = conv_with([](onnx::NodeProto* c) { ModelBuilder::ints(c, "dilations", {2, 2}); });
  EXPECT_NE(e.find("node 'Conv_7' (Conv): dilations [2,2] are not supported"), std::string::npos) << e;
  e = conv_with([](onnx::NodeProto* c) { ModelBuilder::i(c, "group", 3); });
  EXPECT_NE(e.find("node 'Conv_7' (Conv): group=3 does not divide the 2 input and 2 output channels"), std::string::npos) << e;
  e = conv_with([](onnx::NodeProto* c) { ModelBuilder::i(c, "group", 2); });  // weight [2,2,..] is for group 1
  EXPECT_NE(e.find("node 'Conv_7' (Conv): weight dims [2,2,3,3] do not match 2 input channels in 2 groups"),
            std::string::npos) << e;
  e = conv_with([](onnx::NodeProto* c) { ModelBuilder::s(c, "auto_pad", "SAME_UPPER"); });
  EXPECT_NE(e.find("node 'Conv_7' (Conv): auto_pad 'SAME_UPPER' is not supported"), std::string::npos) << e;
  e = conv_with([](onnx::NodeProto* c) { ModelBuilder::ints(c, "pads", {0, 0, 1, 1}); });
  EXPECT_NE(e.find("node 'Conv_7' (Conv): asymmetric pads"), std::string::npos) << e;
}

TEST(OnnxImport, BatchNormWithoutConvIsADepthwiseConvOrAnError) {
  // on the network input: nothing to fold into, a depthwise 1x1 convolution
  ModelBuilder mb({1, 2, 3, 3});
  mb.init("s", {2}, {2.0f, 0.5f});
  mb.init("b", {2}, {0.1f, -0.2f});
  mb.init("m", {2}, {0.3f, 0.0f});
  mb.init("v", {2}, {3.0f, 0.25f});
  mb.node("BatchNormalization", {"input", "s", "b", "m", "v"}, "y", "BatchNormalization_0");
  mb.output("y");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 1u);
  const Layer& l = net.layers[0];
  EXPECT_EQ(l.kind, LayerKind::Conv);
  EXPECT_EQ(l.groups, 2);
  EXPECT_EQ(l.kernel_h, 1);
  EXPECT_EQ(l.fan_in(), 1);
  EXPECT_EQ(l.macs(), 18u);
  EXPECT_EQ(l.out, (Shape{2, 3, 3}));
  EXPECT_EQ(l.name, "BatchNormalization_0");
  EXPECT_NEAR(l.weight[0], 2.0 / std::sqrt(3.0 + 1e-5), 1e-6);
  EXPECT_NEAR(l.bias[0], 0.1 - 0.3 * 2.0 / std::sqrt(3.0 + 1e-5), 1e-6);
  EXPECT_NEAR(l.weight[1], 0.5 / std::sqrt(0.25 + 1e-5), 1e-6);
  EXPECT_NEAR(l.bias[1], -0.2, 1e-6);

  // over a flattened C*H*W vector: not channels of the tensor
  ModelBuilder bad({1, 2, 2, 2});
  for (const char* n : {"s", "b", "m", "v"}) bad.init(n, {8}, std::vector<float>(8, 1.0f));
  bad.node("Flatten", {"input"}, "f", "Flatten_0");
  bad.node("BatchNormalization", {"f", "s", "b", "m", "v"}, "y", "BatchNormalization_1");
  bad.output("y");
  const std::string e = error_of(bad);
  EXPECT_NE(e.find("node 'BatchNormalization_1' (BatchNormalization): input 'f' has dims [1,8], a view of the 2x2x2 tensor"),
            std::string::npos)
      << e;
}

TEST(OnnxImport, NotOnnxAndMissingFiles) {
  const fs::path d = temp_dir();
  const std::string text = (d / "notes.onnx").string();
  std::ofstream(text) << "this is not a protobuf\n\x01\x02\x03 but plain text with junk";
  try {
    import_onnx(text);
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find(text + ": not an ONNX model"), std::string::npos) << e.what();
  }
  const std::string empty = (d / "empty.onnx").string();
  std::ofstream(empty).close();
  EXPECT_THROW(import_onnx(empty), CompileError);
  try {
    import_onnx((d / "missing.onnx").string());
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.onnx: cannot open the file"), std::string::npos) << e.what();
  }
  // a file written by the builder imports through the path API too
  ConvNetParams p;
  EXPECT_EQ(import_onnx(conv_net(p).save("conv.onnx")).layers.size(), 3u);
}

// ----------------------------------------------------------- quantization --

TEST(Requantize, RoundHalfUpAndClamp) {
  const Requant half{1 << 15, 16};  // x * 0.5
  EXPECT_DOUBLE_EQ(half.real(), 0.5);
  EXPECT_EQ(requantize(5, half, -128, 127), 3);    // 2.5 -> 3
  EXPECT_EQ(requantize(-5, half, -128, 127), -2);  // -2.5 -> -2
  EXPECT_EQ(requantize(3, half, -128, 127), 2);    // 1.5 -> 2
  EXPECT_EQ(requantize(-3, half, -128, 127), -1);  // -1.5 -> -1
  EXPECT_EQ(requantize(4, half, -128, 127), 2);
  EXPECT_EQ(requantize(-7, half, 0, 255), 0);      // ReLU clamp
  EXPECT_EQ(requantize(1000, half, 0, 255), 255);  // saturation
  EXPECT_EQ(requantize(-1000, half, -127, 127), -127);
  // the 64-bit product: a large accumulator times a large multiplier
  const Requant big{65535, 17};
  EXPECT_EQ(requantize(2000000000, big, INT32_MIN, INT32_MAX),
            std::int32_t((std::int64_t(2000000000) * 65535 + (1 << 16)) >> 17));
  EXPECT_EQ(requantize_add(3, -1, 1 << 15, 1 << 15, 16, -128, 127), 1);  // (3 - 1) / 2
  EXPECT_EQ(requantize_add(3, 0, 1 << 15, 1 << 15, 16, -128, 127), 2);   // 1.5 -> 2
}

TEST(Requantize, MultiplierAndShift) {
  for (double m : {1.0, 0.5, 0.25, 1.0 / 3, 1.0 / 49, 0.0123456, 3.7, 1e-9, 1000.0, 0.99999999}) {
    const Requant r = make_requant(m);
    EXPECT_GE(r.shift, 1) << m;
    EXPECT_GE(r.multiplier, 1 << 15) << m;
    EXPECT_LT(r.multiplier, 1 << 16) << m;
    EXPECT_LE(std::fabs(r.real() - m) / m, std::ldexp(1.0, -16)) << m;
  }
  EXPECT_EQ(make_requant(0.25).multiplier, 1 << 15);
  EXPECT_EQ(make_requant(0.25).shift, 17);
  EXPECT_EQ(make_requant(0.0).multiplier, 0);
  EXPECT_THROW(make_requant(40000.0), CompileError);
  const Requant tiny = make_requant(1e-16);  // below 2^-47: S stays 62, M loses leading bits
  EXPECT_EQ(tiny.shift, 62);
  EXPECT_NEAR(tiny.real(), 1e-16, 1e-18);
}

TEST(Quantize, WeightsAreSymmetricPerChannel) {
  ConvNetParams p;
  FloatNetwork net = conv_net(p).import();
  ImageSet imgs = random_images(50, 1, 6, 6, 11);
  for (int bits : {8, 4}) {
    QuantizeOptions o;
    o.weight_bits = bits;
    QuantizedNetwork q = quantize(net, imgs, 0, o);
    const int wmax = (1 << (bits - 1)) - 1;
    for (std::size_t li : {std::size_t(0), std::size_t(2)}) {
      const Layer& l = q.net.layers[li];
      const QuantLayer& ql = q.layers[li];
      const std::size_t k = std::size_t(l.fan_in());
      for (int o2 = 0; o2 < l.out.c; ++o2) {
        int peak = 0;
        for (std::size_t i = 0; i < k; ++i) {
          const int w = ql.weight[std::size_t(o2) * k + i];
          peak = std::max(peak, std::abs(w));
          EXPECT_LE(std::fabs(w * ql.weight_scale[std::size_t(o2)] - l.weight[std::size_t(o2) * k + i]),
                    ql.weight_scale[std::size_t(o2)] / 2 + 1e-9);
        }
        EXPECT_EQ(peak, wmax);  // each channel uses its full range
      }
    }
  }
}

TEST(Quantize, FormatsInputTableAndRoundTrip) {
  ConvNetParams p;
  FloatNetwork net = conv_net(p).import();
  ImageSet imgs = random_images(200, 1, 6, 6, 12);
  QuantizedNetwork q = quantize(net, imgs, 200);  // calibrated on what it runs: no clipping
  // pixels / 255 in u8 with scale 1/255: the table is the identity
  const ActFormat& in = q.formats[std::size_t(net.input)];
  EXPECT_FALSE(in.is_signed);
  EXPECT_NEAR(in.scale, 1.0 / 255, 1e-12);
  for (int v = 0; v < 256; ++v) EXPECT_EQ(q.input_lut[std::size_t(v)], v);
  EXPECT_FALSE(q.formats[std::size_t(net.layers[0].output)].is_signed);  // after ReLU
  EXPECT_EQ(q.formats[std::size_t(net.layers[1].output)].scale, q.formats[std::size_t(net.layers[0].output)].scale);
  const ActFormat& out = q.formats[std::size_t(net.output)];
  EXPECT_TRUE(out.is_signed);  // logits
  EXPECT_EQ(out.bits, 16);
  EXPECT_EQ(out.qmax(), 32767);
  EXPECT_EQ(out.qmin(), -32767);

  // dequantized golden logits stay close to the float ones (8-bit)
  GoldenModel gm(q);
  FloatModel fm(net);
  double worst = 0, span = 0;
  for (std::size_t i = 100; i < 200; ++i) {
    const auto& g = gm.run(imgs.image(i));
    const auto& f = fm.run(imgs.image(i));
    for (int o = 0; o < 3; ++o) {
      worst = std::max(worst, std::fabs(g[std::size_t(o)] * out.scale - f[std::size_t(o)]));
      span = std::max(span, double(std::fabs(f[std::size_t(o)])));
    }
  }
  EXPECT_LT(worst, 0.03 * span) << "worst " << worst << " of " << span;

  // a normalised input is signed: x = (p/255 - 0.5) / 0.25 in [-2, 2]
  FloatNetwork n2 = net;
  n2.norm = InputNorm{0.5f, 0.25f};
  QuantizedNetwork q2 = quantize(n2, imgs, 100);
  const ActFormat& in2 = q2.formats[std::size_t(n2.input)];
  EXPECT_TRUE(in2.is_signed);
  EXPECT_NEAR(in2.scale, 2.0 / 127, 1e-9);
  EXPECT_EQ(q2.input_lut[0], -127);
  EXPECT_EQ(q2.input_lut[255], 127);
  EXPECT_EQ(q2.input_lut[128], 0);  // (128/255 - 0.5) * 4 / (2/127) = 0.498 -> 0
}

TEST(Quantize, PercentileCalibrationClipsOutliers) {
  ConvNetParams p;
  FloatNetwork net = conv_net(p).import();
  ImageSet imgs = random_images(100, 1, 6, 6, 13);
  QuantizeOptions o;
  std::vector<double> rmax = calibrate(net, imgs, 0, o);
  o.calibration = Calibration::Percentile;
  o.percentile = 99.0;
  std::vector<double> rp = calibrate(net, imgs, 0, o);
  for (std::size_t t = 1; t < rmax.size(); ++t) {
    EXPECT_LE(rp[t], rmax[t] * (1 + 1e-9));
    EXPECT_GT(rp[t], 0.3 * rmax[t]);
  }
  EXPECT_LT(rp[std::size_t(net.layers[0].output)], rmax[std::size_t(net.layers[0].output)]);
  EXPECT_EQ(rp[std::size_t(net.output)], rmax[std::size_t(net.output)]);  // logits keep their maximum
  EXPECT_EQ(rp[std::size_t(net.input)], 1.0);
  o.percentile = 0.0;
  EXPECT_THROW(calibrate(net, imgs, 0, o), CompileError);
}

// ------------------------------------------------------------------ golden --

TEST(Golden, HandComputedConvAndGlobalAverage) {
  // input 1x2x2 -> Conv 1x1 (w = 1) + ReLU -> GlobalAveragePool -> Flatten -> Gemm 1->2
  ModelBuilder mb({1, 1, 2, 2});
  mb.init("w", {1, 1, 1, 1}, {1.0f});
  mb.init("fw", {2, 1}, {1.0f, -0.5f});
  mb.init("fb", {2}, {0.25f, 0.0f});
  mb.node("Conv", {"input", "w"}, "c", "Conv_0");
  mb.node("Relu", {"c"}, "r", "Relu_1");
  mb.node("GlobalAveragePool", {"r"}, "g", "GlobalAveragePool_2");
  mb.node("Flatten", {"g"}, "f", "Flatten_3");
  auto* gm = mb.node("Gemm", {"f", "fw", "fb"}, "logits", "Gemm_4");
  ModelBuilder::i(gm, "transB", 1);
  mb.output("logits");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 3u);
  // ranges by hand: conv output up to 1.0 (u8, scale 1/255); logits up to 1.25
  std::vector<double> ranges(net.tensors.size(), 0.0);
  ranges[std::size_t(net.layers[0].output)] = 1.0;
  ranges[std::size_t(net.output)] = 32767.0 / 8192.0;  // logit scale = 1/8192
  QuantizedNetwork q = quantize_with_ranges(net, ranges);
  // conv: w = 127 * (1/127); M = (1/255)(1/127)/(1/255) = 1/127
  EXPECT_EQ(q.layers[0].weight[0], 127);
  EXPECT_EQ(q.layers[0].bias[0], 0);
  // GAP over 4: M/2^S = 1/4 exactly
  ASSERT_EQ(q.layers[1].requant.size(), 1u);
  EXPECT_EQ(q.layers[1].requant[0].multiplier, 1 << 15);
  EXPECT_EQ(q.layers[1].requant[0].shift, 17);
  // fc: weights 127 and -127 (per channel), bias 0.25 / (1/255 * 1/127) = 8096.25 -> 8096
  EXPECT_EQ(q.layers[2].weight[0], 127);
  EXPECT_EQ(q.layers[2].weight[1], -127);
  EXPECT_EQ(q.layers[2].bias[0], 8096);
  EXPECT_EQ(q.layers[2].bias[1], 0);

  GoldenModel g(q);
  // the 1x1 conv with w=1 reproduces every pixel value exactly (u8 -> u8)
  for (int v = 0; v < 256; v += 1) {
    const std::uint8_t img[4] = {std::uint8_t(v), 0, 0, 0};
    g.run(img);
    EXPECT_EQ(g.tensor(net.layers[0].output)[0], v);
  }
  // GAP rounding: sum 11 / 4 = 2.75 -> 3; sum 2 / 4 = 0.5 -> 1 (half up); 6 / 4 = 1.5 -> 2; 5/4 -> 1
  struct Case { std::uint8_t px[4]; int gap; };
  for (const Case& c : {Case{{1, 2, 3, 5}, 3}, Case{{0, 0, 1, 1}, 1}, Case{{1, 1, 2, 2}, 2}, Case{{1, 1, 1, 2}, 1},
                        Case{{255, 255, 255, 255}, 255}}) {
    const auto& logits = g.run(c.px);
    EXPECT_EQ(g.tensor(net.layers[1].output)[0], c.gap);
    // logits: acc = 127 * gap + bias; M / 2^S = (1/255)(1/127) / (1/8192) = 8192 / 32385
    // and the second channel's weight scale is 0.5/127: M / 2^S = 4096 / 32385
    const Requant r0 = q.layers[2].requant[0], r1 = q.layers[2].requant[1];
    EXPECT_NEAR(r0.real(), 8192.0 / 32385.0, 1e-5);
    EXPECT_NEAR(r1.real(), 4096.0 / 32385.0, 1e-5);
    const std::int64_t acc0 = 127 * c.gap + 8096, acc1 = -127 * c.gap;
    EXPECT_EQ(logits[0], std::int32_t((acc0 * r0.multiplier + (std::int64_t(1) << (r0.shift - 1))) >> r0.shift));
    EXPECT_EQ(logits[1], std::int32_t((acc1 * r1.multiplier + (std::int64_t(1) << (r1.shift - 1))) >> r1.shift));
    // and that is the real value to within one logit step: gap/255 + 0.25, -gap/510
    EXPECT_NEAR(logits[0] / 8192.0, c.gap / 255.0 + 0.25, 1.0 / 8192);
    EXPECT_NEAR(logits[1] / 8192.0, -c.gap / 510.0, 1.0 / 8192);
  }
}

// A direct integer convolution, as docs/compiler.md defines it.
std::vector<std::int32_t> naive_int_conv(const Layer& l, const QuantLayer& ql, const std::vector<std::int32_t>& x) {
  std::vector<std::int32_t> y(l.out.size());
  for (int o = 0; o < l.out.c; ++o)
    for (int oy = 0; oy < l.out.h; ++oy)
      for (int ox = 0; ox < l.out.w; ++ox) {
        std::int64_t acc = ql.bias[std::size_t(o)];
        for (int c = 0; c < l.in.c; ++c)
          for (int ky = 0; ky < l.kernel_h; ++ky)
            for (int kx = 0; kx < l.kernel_w; ++kx) {
              const int iy = oy * l.stride_h - l.pad_h + ky, ix = ox * l.stride_w - l.pad_w + kx;
              if (iy < 0 || iy >= l.in.h || ix < 0 || ix >= l.in.w) continue;
              acc += std::int64_t(ql.weight[std::size_t(((o * l.in.c + c) * l.kernel_h + ky) * l.kernel_w + kx)]) *
                     x[std::size_t((c * l.in.h + iy) * l.in.w + ix)];
            }
        const Requant& r = ql.requant[std::size_t(o)];
        std::int64_t v = (acc * r.multiplier + (std::int64_t(1) << (r.shift - 1))) >> r.shift;
        y[std::size_t((o * l.out.h + oy) * l.out.w + ox)] = std::int32_t(std::clamp<std::int64_t>(v, ql.out_min, ql.out_max));
      }
  return y;
}

TEST(Golden, ConvMatchesDirectIntegerConvolution) {
  // stride 1 (the padded wide-row path) and stride 2 (the direct path), odd sizes
  ModelBuilder mb({1, 3, 9, 7});
  mb.init("w1", {4, 3, 3, 3}, ramp(108, 0.5f, 0.0f, 31));
  mb.init("b1", {4}, {0.1f, -0.1f, 0.2f, 0.0f});
  mb.init("w2", {5, 4, 3, 3}, ramp(180, 0.4f, 0.05f, 32));
  mb.init("w3", {2, 5, 1, 1}, ramp(10, 1.0f, 0.0f, 33));
  auto* c1 = mb.node("Conv", {"input", "w1", "b1"}, "c1", "Conv_0");
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  mb.node("Relu", {"c1"}, "r1", "Relu_1");
  auto* c2 = mb.node("Conv", {"r1", "w2"}, "c2", "Conv_2");
  ModelBuilder::ints(c2, "pads", {2, 1, 2, 1});
  ModelBuilder::ints(c2, "strides", {2, 2});
  auto* c3 = mb.node("Conv", {"c2", "w3"}, "c3", "Conv_3");  // 1x1 on a signed input
  (void)c3;
  mb.output("c3");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[1].out, (Shape{5, 6, 4}));  // (9 + 4 - 3) / 2 + 1, (7 + 2 - 3) / 2 + 1
  ImageSet imgs = random_images(40, 3, 9, 7, 34);
  QuantizedNetwork q = quantize(net, imgs, 20);
  GoldenModel gm(q);
  for (std::size_t i = 0; i < imgs.count(); ++i) {
    gm.run(imgs.image(i));
    std::vector<std::int32_t> x(imgs.image_size());
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = q.input_lut[imgs.image(i)[k]];
    for (std::size_t li = 0; li < 3; ++li) {
      x = naive_int_conv(net.layers[li], q.layers[li], x);
      ASSERT_EQ(gm.tensor(net.layers[li].output), x) << "image " << i << " layer " << li;
    }
  }
}

TEST(Golden, ResidualNetworkAddIsIntegerAndClose) {
  ResNetParams p;
  FloatNetwork net = res_net(p).import();
  ImageSet imgs = random_images(300, 1, 5, 5, 21);
  QuantizedNetwork q = quantize(net, imgs, 300);
  const QuantLayer& add = q.layers[2];
  const ActFormat& fa = q.formats[std::size_t(net.layers[2].inputs[0])];
  const ActFormat& fb = q.formats[std::size_t(net.layers[2].inputs[1])];
  const ActFormat& fo = q.formats[std::size_t(net.layers[2].output)];
  EXPECT_TRUE(fa.is_signed);    // conv2 without ReLU
  EXPECT_FALSE(fb.is_signed);   // relu1
  EXPECT_FALSE(fo.is_signed);   // Add + ReLU
  EXPECT_EQ(add.out_min, 0);
  EXPECT_NEAR(std::ldexp(double(add.add_mult[0]), -add.add_shift), fa.scale / fo.scale, 1e-4 * fa.scale / fo.scale);
  EXPECT_NEAR(std::ldexp(double(add.add_mult[1]), -add.add_shift), fb.scale / fo.scale, 1e-4 * fb.scale / fo.scale);

  GoldenModel gm(q);
  FloatModel fm(net);
  const double s = q.formats[std::size_t(net.output)].scale;
  double worst = 0, span = 0;
  for (std::size_t i = 200; i < 300; ++i) {
    const auto& g = gm.run(imgs.image(i));
    // the Add of this image, recomputed from its integer inputs
    const auto& a = gm.tensor(net.layers[2].inputs[0]);
    const auto& b = gm.tensor(net.layers[2].inputs[1]);
    const auto& y = gm.tensor(net.layers[2].output);
    for (std::size_t k = 0; k < y.size(); ++k) {
      std::int64_t v = (std::int64_t(a[k]) * add.add_mult[0] + std::int64_t(b[k]) * add.add_mult[1] +
                        (std::int64_t(1) << (add.add_shift - 1))) >> add.add_shift;
      EXPECT_EQ(y[k], std::int32_t(std::clamp<std::int64_t>(v, 0, 255)));
    }
    const auto& f = fm.run(imgs.image(i));
    for (int o = 0; o < 5; ++o) {
      worst = std::max(worst, std::fabs(g[std::size_t(o)] * s - f[std::size_t(o)]));
      span = std::max(span, double(std::fabs(f[std::size_t(o)])));
    }
  }
  EXPECT_LT(worst, 0.05 * span) << "worst " << worst << " of " << span;
}

// ------------------------------------- grouped conv, Concat, ReLU6, images --

// A direct double-precision grouped convolution (groups 1: conv_ref).
Vec grouped_conv_ref(const Vec& x, int c, int h, int w, const std::vector<float>& wt, const std::vector<float>& b, int oc,
                     int k, int stride, int pad, int groups, int& oh, int& ow) {
  oh = (h + 2 * pad - k) / stride + 1;
  ow = (w + 2 * pad - k) / stride + 1;
  const int icg = c / groups, ocg = oc / groups;
  Vec y(std::size_t(oc * oh * ow));
  for (int o = 0; o < oc; ++o)
    for (int yy = 0; yy < oh; ++yy)
      for (int xx = 0; xx < ow; ++xx) {
        double s = b.empty() ? 0.0 : b[std::size_t(o)];
        for (int ci = 0; ci < icg; ++ci)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = yy * stride - pad + ky, ix = xx * stride - pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const int cin = o / ocg * icg + ci;
              s += double(wt[std::size_t(((o * icg + ci) * k + ky) * k + kx)]) * x[std::size_t((cin * h + iy) * w + ix)];
            }
        y[std::size_t((o * oh + yy) * ow + xx)] = s;
      }
  return y;
}

// A direct integer grouped convolution, as docs/compiler.md defines it.
std::vector<std::int32_t> naive_grouped_int_conv(const Layer& l, const QuantLayer& ql, const std::vector<std::int32_t>& x) {
  const int icg = l.in.c / l.groups, ocg = l.out.c / l.groups;
  std::vector<std::int32_t> y(l.out.size());
  for (int o = 0; o < l.out.c; ++o)
    for (int oy = 0; oy < l.out.h; ++oy)
      for (int ox = 0; ox < l.out.w; ++ox) {
        std::int64_t acc = ql.bias[std::size_t(o)];
        for (int c = 0; c < icg; ++c)
          for (int ky = 0; ky < l.kernel_h; ++ky)
            for (int kx = 0; kx < l.kernel_w; ++kx) {
              const int iy = oy * l.stride_h - l.pad_h + ky, ix = ox * l.stride_w - l.pad_w + kx;
              if (iy < 0 || iy >= l.in.h || ix < 0 || ix >= l.in.w) continue;
              const int cin = o / ocg * icg + c;
              acc += std::int64_t(ql.weight[std::size_t(((o * icg + c) * l.kernel_h + ky) * l.kernel_w + kx)]) *
                     x[std::size_t((cin * l.in.h + iy) * l.in.w + ix)];
            }
        y[std::size_t((o * l.out.h + oy) * l.out.w + ox)] =
            requantize(acc, ql.requant[std::size_t(o)], ql.out_min, ql.out_max);
      }
  return y;
}

TEST(GroupedConv, GroupsTwoAndDepthwiseGoldenAndFloat) {
  // input 4x7x6 -> Conv group 2 (6 out, 3x3 pad 1) + Relu -> depthwise Conv
  // (group 6, 3x3 stride 2 pad 1, bias) -> Conv 1x1 (3 out)
  const std::vector<float> w1 = ramp(6 * 2 * 9, 0.5f, 0.02f, 41), b1 = {0.1f, 0.0f, -0.1f, 0.05f, 0.2f, -0.05f};
  const std::vector<float> w2 = ramp(6 * 1 * 9, 0.7f, 0.0f, 42), b2 = {0.0f, 0.1f, -0.2f, 0.3f, 0.0f, -0.1f};
  const std::vector<float> w3 = ramp(3 * 6, 0.6f, 0.0f, 43);
  ModelBuilder mb({1, 4, 7, 6});
  mb.init("w1", {6, 2, 3, 3}, w1);
  mb.init("b1", {6}, b1);
  mb.init("w2", {6, 1, 3, 3}, w2);
  mb.init("b2", {6}, b2);
  mb.init("w3", {3, 6, 1, 1}, w3);
  auto* c1 = mb.node("Conv", {"input", "w1", "b1"}, "c1", "Conv_0");
  ModelBuilder::i(c1, "group", 2);
  ModelBuilder::ints(c1, "pads", {1, 1, 1, 1});
  mb.node("Relu", {"c1"}, "r1", "Relu_1");
  auto* c2 = mb.node("Conv", {"r1", "w2", "b2"}, "c2", "Conv_2");
  ModelBuilder::i(c2, "group", 6);
  ModelBuilder::ints(c2, "pads", {1, 1, 1, 1});
  ModelBuilder::ints(c2, "strides", {2, 2});
  mb.node("Conv", {"c2", "w3"}, "logits", "Conv_3");
  mb.output("logits");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[0].groups, 2);
  EXPECT_EQ(net.layers[0].fan_in(), 2 * 9);
  EXPECT_EQ(net.layers[0].macs(), 6u * 42u * 18u);
  EXPECT_EQ(net.layers[1].groups, 6);
  EXPECT_EQ(net.layers[1].fan_in(), 9);
  EXPECT_EQ(net.layers[1].out, (Shape{6, 4, 3}));
  EXPECT_EQ(net.layers[2].groups, 1);

  ImageSet imgs = random_images(30, 4, 7, 6, 44);
  // float: the grouped convolutions as defined
  FloatModel fm(net);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& y = fm.run(imgs.image(i));
    Vec x(imgs.image_size());
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = imgs.image(i)[k] / 255.0;
    int oh, ow;
    Vec r1 = grouped_conv_ref(x, 4, 7, 6, w1, b1, 6, 3, 1, 1, 2, oh, ow);
    for (auto& v : r1) v = std::max(v, 0.0);
    Vec c2v = grouped_conv_ref(r1, 6, 7, 6, w2, b2, 6, 3, 2, 1, 6, oh, ow);
    Vec out = grouped_conv_ref(c2v, 6, 4, 3, w3, {}, 3, 1, 1, 0, 1, oh, ow);
    ASSERT_EQ(y.size(), out.size());
    for (std::size_t k = 0; k < out.size(); ++k) EXPECT_NEAR(y[k], out[k], 1e-4) << i << " " << k;
  }
  // golden: bit for bit the direct integer grouped convolution, and close to float
  QuantizedNetwork q = quantize(net, imgs, 20);
  EXPECT_EQ(q.layers[0].weight.size(), 6u * 18u);
  EXPECT_EQ(q.layers[1].weight.size(), 6u * 9u);
  GoldenModel gm(q);
  const double s = q.formats[std::size_t(net.output)].scale;
  double worst = 0, span = 0;
  for (std::size_t i = 0; i < imgs.count(); ++i) {
    gm.run(imgs.image(i));
    std::vector<std::int32_t> x(imgs.image_size());
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = q.input_lut[imgs.image(i)[k]];
    for (std::size_t li = 0; li < 3; ++li) {
      x = naive_grouped_int_conv(net.layers[li], q.layers[li], x);
      ASSERT_EQ(gm.tensor(net.layers[li].output), x) << "image " << i << " layer " << li;
    }
    const auto& f = fm.run(imgs.image(i));
    for (std::size_t k = 0; k < f.size(); ++k) {
      worst = std::max(worst, std::fabs(x[k] * s - f[k]));
      span = std::max(span, double(std::fabs(f[k])));
    }
  }
  EXPECT_LT(worst, 0.05 * span) << "worst " << worst << " of " << span;
}

// input 2x4x4 -> a: Conv 1x1 (3 out, +Relu if relu_a) ; b: Conv 3x3 pad 1 (2 out) + Relu
//  -> Concat(a, b) -> [BatchNormalization -> Relu] -> Conv 1x1 (2 out)
ModelBuilder concat_net(bool relu_a, bool bn, std::int64_t axis = 1) {
  ModelBuilder mb({1, 2, 4, 4});
  mb.init("wa", {3, 2, 1, 1}, ramp(6, 1.0f, 0.0f, 51));
  mb.init("wb", {2, 2, 3, 3}, ramp(36, 0.5f, 0.05f, 52));
  mb.init("bb", {2}, {0.1f, -0.1f});
  mb.init("wo", {2, 5, 1, 1}, ramp(10, 0.8f, 0.0f, 53));
  mb.init("bn_s", {5}, {1.5f, 0.5f, 2.0f, 1.0f, 0.8f});
  mb.init("bn_b", {5}, {0.1f, -0.2f, 0.0f, 0.3f, 0.05f});
  mb.init("bn_m", {5}, {0.2f, 0.0f, -0.1f, 0.4f, 0.1f});
  mb.init("bn_v", {5}, {1.0f, 0.5f, 2.0f, 0.3f, 1.2f});
  mb.node("Conv", {"input", "wa"}, "a", "Conv_0");
  std::string a = "a";
  if (relu_a) {
    mb.node("Relu", {"a"}, "ra", "Relu_1");
    a = "ra";
  }
  auto* cb = mb.node("Conv", {"input", "wb", "bb"}, "b", "Conv_2");
  ModelBuilder::ints(cb, "pads", {1, 1, 1, 1});
  mb.node("Relu", {"b"}, "rb", "Relu_3");
  auto* cat = mb.node("Concat", {a, "rb"}, "cat", "Concat_4");
  ModelBuilder::i(cat, "axis", axis);
  std::string x = "cat";
  if (bn) {
    auto* n = mb.node("BatchNormalization", {"cat", "bn_s", "bn_b", "bn_m", "bn_v"}, "bn", "BatchNormalization_5");
    ModelBuilder::f(n, "epsilon", 1e-5f);
    mb.node("Relu", {"bn"}, "rbn", "Relu_6");
    x = "rbn";
  }
  mb.node("Conv", {x, "wo"}, "logits", "Conv_7");
  mb.output("logits");
  return mb;
}

TEST(Concat, BatchNormAfterConcatIsADepthwiseConv) {
  FloatNetwork net = concat_net(true, true).import();
  ASSERT_EQ(net.layers.size(), 5u);
  EXPECT_EQ(net.layers[2].kind, LayerKind::Concat);
  EXPECT_STREQ(to_string(net.layers[2].kind), "Concat");
  EXPECT_FALSE(net.layers[2].has_weights());
  EXPECT_EQ(net.layers[2].inputs, (std::vector<int>{net.layers[0].output, net.layers[1].output}));
  EXPECT_EQ(net.layers[2].in, (Shape{3, 4, 4}));
  EXPECT_EQ(net.layers[2].out, (Shape{5, 4, 4}));
  const Layer& bn = net.layers[3];
  EXPECT_EQ(bn.kind, LayerKind::Conv);
  EXPECT_EQ(bn.name, "BatchNormalization_5");
  EXPECT_EQ(bn.groups, 5);
  EXPECT_EQ(bn.kernel_h, 1);
  EXPECT_EQ(bn.kernel_w, 1);
  EXPECT_EQ(bn.stride_h, 1);
  EXPECT_EQ(bn.pad_h, 0);
  EXPECT_TRUE(bn.relu);  // the Relu after it fused
  EXPECT_EQ(bn.in, (Shape{5, 4, 4}));
  EXPECT_EQ(bn.out, (Shape{5, 4, 4}));
  const float s[5] = {1.5f, 0.5f, 2.0f, 1.0f, 0.8f}, b[5] = {0.1f, -0.2f, 0.0f, 0.3f, 0.05f},
              m[5] = {0.2f, 0.0f, -0.1f, 0.4f, 0.1f}, v[5] = {1.0f, 0.5f, 2.0f, 0.3f, 1.2f};
  ASSERT_EQ(bn.weight.size(), 5u);
  for (int c = 0; c < 5; ++c) {
    const double g = s[c] / std::sqrt(double(v[c]) + 1e-5);
    EXPECT_NEAR(bn.weight[std::size_t(c)], g, 1e-6);
    EXPECT_NEAR(bn.bias[std::size_t(c)], b[c] - m[c] * g, 1e-6);
  }
  // float: concatenation, then the per-channel affine map and ReLU
  ImageSet imgs = random_images(30, 2, 4, 4, 54);
  FloatModel fm(net);
  for (std::size_t i = 0; i < 3; ++i) {
    fm.run(imgs.image(i));
    const auto& cat = fm.tensor(net.layers[2].output);
    const auto& ta = fm.tensor(net.layers[0].output);
    const auto& tb = fm.tensor(net.layers[1].output);
    const auto& y = fm.tensor(bn.output);
    for (std::size_t k = 0; k < 80; ++k) {
      const float want = k < 48 ? ta[k] : tb[k - 48];
      EXPECT_EQ(cat[k], want) << k;
      const int c = int(k / 16);
      EXPECT_NEAR(y[k], std::max(0.0, (cat[k] - m[c]) / std::sqrt(double(v[c]) + 1e-5) * s[c] + b[c]), 1e-5) << k;
    }
  }
  // and the integer network runs it (depthwise 1x1 conv: bit for bit the direct convolution)
  QuantizedNetwork q = quantize(net, imgs, 0);
  EXPECT_FALSE(q.formats[std::size_t(net.layers[2].output)].is_signed);  // both inputs unsigned
  GoldenModel gm(q);
  for (std::size_t i = 0; i < 5; ++i) {
    gm.run(imgs.image(i));
    EXPECT_EQ(gm.tensor(bn.output), naive_grouped_int_conv(bn, q.layers[3], gm.tensor(net.layers[2].output)));
  }

  // a BatchNormalization after an AveragePool becomes one too
  ModelBuilder ap({1, 2, 4, 4});
  for (const char* n : {"s", "b", "m", "v"}) ap.init(n, {2}, {1.0f, 2.0f});
  auto* pool = ap.node("AveragePool", {"input"}, "p", "AveragePool_0");
  ModelBuilder::ints(pool, "kernel_shape", {2, 2});
  ModelBuilder::ints(pool, "strides", {2, 2});
  ap.node("BatchNormalization", {"p", "s", "b", "m", "v"}, "y", "BatchNormalization_1");
  ap.output("y");
  FloatNetwork n2 = ap.import();
  ASSERT_EQ(n2.layers.size(), 2u);
  EXPECT_EQ(n2.layers[1].kind, LayerKind::Conv);
  EXPECT_EQ(n2.layers[1].groups, 2);
  EXPECT_EQ(n2.layers[1].out, (Shape{2, 2, 2}));
}

TEST(Concat, DifferentScalesRequantizeEachInput) {
  FloatNetwork net = concat_net(false, false).import();
  ASSERT_EQ(net.layers.size(), 4u);
  const Layer& cat = net.layers[2];
  ASSERT_EQ(cat.kind, LayerKind::Concat);
  // ranges by hand: a (signed) 2.0, b (unsigned) 0.5, the concatenation 0.6
  std::vector<double> ranges(net.tensors.size(), 1.0);
  ranges[std::size_t(net.layers[0].output)] = 2.0;
  ranges[std::size_t(net.layers[1].output)] = 0.5;
  ranges[std::size_t(cat.output)] = 0.6;
  QuantizedNetwork q = quantize_with_ranges(net, ranges);
  const ActFormat& fa = q.formats[std::size_t(cat.inputs[0])];
  const ActFormat& fb = q.formats[std::size_t(cat.inputs[1])];
  const ActFormat& fo = q.formats[std::size_t(cat.output)];
  EXPECT_TRUE(fa.is_signed);
  EXPECT_FALSE(fb.is_signed);
  EXPECT_TRUE(fo.is_signed);  // one signed input
  EXPECT_NEAR(fo.scale, 0.6 / 127, 1e-12);
  const QuantLayer& ql = q.layers[2];
  ASSERT_EQ(ql.requant.size(), 2u);
  EXPECT_EQ(ql.requant[0].multiplier, make_requant(fa.scale / fo.scale).multiplier);
  EXPECT_EQ(ql.requant[0].shift, make_requant(fa.scale / fo.scale).shift);
  EXPECT_EQ(ql.requant[1].multiplier, make_requant(fb.scale / fo.scale).multiplier);
  EXPECT_EQ(ql.requant[1].shift, make_requant(fb.scale / fo.scale).shift);
  EXPECT_EQ(ql.out_min, -127);
  EXPECT_EQ(ql.out_max, 127);

  ImageSet imgs = random_images(20, 2, 4, 4, 55);
  GoldenModel gm(q);
  FloatModel fm(net);
  bool clamped = false;
  for (std::size_t i = 0; i < imgs.count(); ++i) {
    gm.run(imgs.image(i));
    const auto& a = gm.tensor(cat.inputs[0]);
    const auto& b = gm.tensor(cat.inputs[1]);
    const auto& y = gm.tensor(cat.output);
    ASSERT_EQ(y.size(), a.size() + b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      const std::int64_t v = (std::int64_t(a[k]) * ql.requant[0].multiplier + (std::int64_t(1) << (ql.requant[0].shift - 1))) >>
                             ql.requant[0].shift;
      EXPECT_EQ(y[k], std::int32_t(std::clamp<std::int64_t>(v, -127, 127))) << k;
      clamped = clamped || v > 127 || v < -127;
    }
    for (std::size_t k = 0; k < b.size(); ++k)
      EXPECT_EQ(y[a.size() + k], imcvp_requantize(b[k], 0, ql.requant[1].multiplier, ql.requant[1].shift, -127, 127)) << k;
    // float: the plain concatenation
    fm.run(imgs.image(i));
    std::vector<float> want = fm.tensor(cat.inputs[0]);
    want.insert(want.end(), fm.tensor(cat.inputs[1]).begin(), fm.tensor(cat.inputs[1]).end());
    EXPECT_EQ(fm.tensor(cat.output), want);
  }
  EXPECT_TRUE(clamped);  // a's range 2.0 is wider than the output's 0.6

  // calibrated: the output's range is the larger of its inputs'
  std::vector<double> r = calibrate(net, imgs, 0);
  EXPECT_EQ(r[std::size_t(cat.output)], std::max(r[std::size_t(cat.inputs[0])], r[std::size_t(cat.inputs[1])]));
}

TEST(Concat, ErrorsNameTheNode) {
  std::string e = error_of(concat_net(true, false, 2));
  EXPECT_NE(e.find("node 'Concat_4' (Concat): concatenation along axis 2 of [1,3,4,4] is not supported"), std::string::npos) << e;
  // channels of different planes
  ModelBuilder mb({1, 1, 4, 4});
  auto* mp = mb.node("MaxPool", {"input"}, "p", "MaxPool_0");
  ModelBuilder::ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::ints(mp, "strides", {2, 2});
  auto* cat = mb.node("Concat", {"input", "p"}, "y", "Concat_1");
  ModelBuilder::i(cat, "axis", 1);
  mb.output("y");
  e = error_of(mb);
  EXPECT_NE(e.find("node 'Concat_1' (Concat): input 'p' has dims [1,1,2,2], input 'input' [1,1,4,4]; only concatenating "
                   "channels of equal height and width is supported"),
            std::string::npos)
      << e;
  // a single activation input is the input itself
  ModelBuilder one({1, 2, 3, 3});
  one.init("w", {1, 2, 1, 1}, {1.0f, 2.0f});
  auto* c1 = one.node("Concat", {"input"}, "cat", "Concat_0");
  ModelBuilder::i(c1, "axis", 1);
  one.node("Conv", {"cat", "w"}, "y", "Conv_1");
  one.output("y");
  FloatNetwork net = one.import();
  ASSERT_EQ(net.layers.size(), 1u);
  EXPECT_EQ(net.layers[0].inputs[0], net.input);
}

// input 1x4x4 -> Conv 1x1 (w = 10) -> Clip(0, 6) -> Conv 1x1 (w = 1)
ModelBuilder relu6_net(float lo, bool attrs = false) {
  ModelBuilder mb({1, 1, 4, 4});
  mb.init("w", {1, 1, 1, 1}, {10.0f});
  mb.init("w2", {1, 1, 1, 1}, {1.0f});
  mb.init("lo", {}, {lo});
  mb.init("hi", {}, {6.0f});
  mb.node("Conv", {"input", "w"}, "c", "Conv_0");
  if (attrs) {  // opset 6 style
    auto* n = mb.node("Clip", {"c"}, "r", "Clip_1");
    ModelBuilder::f(n, "min", lo);
    ModelBuilder::f(n, "max", 6.0f);
  } else {
    mb.node("Clip", {"c", "lo", "hi"}, "r", "Clip_1");
  }
  mb.node("Conv", {"r", "w2"}, "logits", "Conv_2");
  mb.output("logits");
  return mb;
}

TEST(Relu6, ClipFusesWithClipMaxAndClampsTheIntegers) {
  for (bool attrs : {false, true}) {
    FloatNetwork net = relu6_net(0.0f, attrs).import();
    ASSERT_EQ(net.layers.size(), 2u);
    const Layer& l = net.layers[0];
    EXPECT_TRUE(l.relu);
    EXPECT_TRUE(l.has_clip());
    EXPECT_EQ(l.clip_max, 6.0f);
    EXPECT_FALSE(net.layers[1].has_clip());
    EXPECT_EQ(net.layers[1].clip_max, std::numeric_limits<float>::infinity());
    // float: min(max(10 x, 0), 6)
    FloatModel fm(net);
    for (int p : {0, 51, 100, 153, 154, 200, 255}) {
      std::vector<std::uint8_t> img(16, std::uint8_t(p));
      fm.run(img.data());
      EXPECT_NEAR(fm.tensor(l.output)[0], std::min(6.0, 10.0 * p / 255.0), 1e-5) << p;
    }
  }
  FloatNetwork net = relu6_net(0.0f).import();
  const Layer& l = net.layers[0];
  // a range wider than the clamp (10): u8 with scale 10/255, out_max = round(6 / (10/255)) = 153
  std::vector<double> ranges(net.tensors.size(), 1.0);
  ranges[std::size_t(l.output)] = 10.0;
  ranges[std::size_t(net.output)] = 10.0;
  QuantizedNetwork q = quantize_with_ranges(net, ranges);
  EXPECT_FALSE(q.formats[std::size_t(l.output)].is_signed);
  EXPECT_NEAR(q.formats[std::size_t(l.output)].scale, 10.0 / 255, 1e-12);
  EXPECT_EQ(q.layers[0].out_min, 0);
  EXPECT_EQ(q.layers[0].out_max, 153);
  EXPECT_EQ(q.layers[1].out_max, 32767);
  GoldenModel gm(q);
  for (int p = 0; p < 256; ++p) {
    std::vector<std::uint8_t> img(16, std::uint8_t(p));
    gm.run(img.data());
    const std::int32_t want = std::min(153, int(std::floor(p * 10.0 / 255.0 / (10.0 / 255) + 0.5)));
    EXPECT_EQ(gm.tensor(l.output)[0], want) << p;
  }
  // calibrated: the range is the clamp itself (6), and out_max is the format's
  ImageSet imgs = random_images(10, 1, 4, 4, 56);
  QuantizedNetwork qc = quantize(net, imgs, 0);
  EXPECT_NEAR(qc.formats[std::size_t(l.output)].scale, 6.0 / 255, 1e-7);
  EXPECT_EQ(qc.layers[0].out_max, 255);

  // min != 0: an error naming the node
  std::string e = error_of(relu6_net(-1.0f));
  EXPECT_NE(e.find("node 'Clip_1' (Clip): min -1"), std::string::npos) << e;
  EXPECT_NE(e.find("is not supported (only min = 0: Clip as ReLU/ReLU6)"), std::string::npos) << e;
  ModelBuilder nomin({1, 1, 2, 2});
  nomin.init("hi", {}, {6.0f});
  nomin.node("Clip", {"input", "", "hi"}, "y", "Clip_0");
  nomin.output("y");
  e = error_of(nomin);
  EXPECT_NE(e.find("node 'Clip_0' (Clip): min -inf (none) is not supported"), std::string::npos) << e;
}

TEST(Relu6, UnfusableClipIsAOneByOneMaxPool) {
  // c is read by the Clip and by the Add: the ReLU6 becomes its own layer
  ModelBuilder mb({1, 1, 4, 4});
  mb.init("w", {2, 1, 1, 1}, {10.0f, -10.0f});
  mb.init("lo", {}, {0.0f});
  mb.init("hi", {}, {6.0f});
  mb.node("Conv", {"input", "w"}, "c", "Conv_0");
  mb.node("Clip", {"c", "lo", "hi"}, "r", "Clip_1");
  mb.node("Add", {"r", "c"}, "s", "Add_2");
  mb.output("s");
  FloatNetwork net = mb.import();
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[1].kind, LayerKind::MaxPool);
  EXPECT_TRUE(net.layers[1].relu);
  EXPECT_EQ(net.layers[1].clip_max, 6.0f);
  FloatModel fm(net);
  std::vector<std::uint8_t> img(16, 255);
  fm.run(img.data());
  EXPECT_NEAR(fm.tensor(net.layers[1].output)[0], 6.0, 1e-6);
  EXPECT_NEAR(fm.tensor(net.layers[1].output)[16], 0.0, 1e-6);
}

TEST(SyntheticImages, DeterministicAndUnlabeled) {
  // std::mt19937_64's sequence is fixed by the C++ standard (its 10000th
  // output of the default seed is 9981545732273789042)
  std::mt19937_64 check;
  check.discard(9999);
  ASSERT_EQ(check(), 9981545732273789042ull);
  ImageSet s = make_random_images(3, 2, 2, 2, 42);
  EXPECT_EQ(s.count(), 2u);
  EXPECT_EQ(s.image_size(), 12u);
  EXPECT_FALSE(s.has_labels());
  EXPECT_TRUE(s.labels.empty());
  const std::uint8_t first[8] = {193, 163, 192, 34, 231, 24, 147, 95};  // top bytes of mt19937_64(42)
  for (int i = 0; i < 8; ++i) EXPECT_EQ(s.pixels[std::size_t(i)], first[i]) << i;
  EXPECT_EQ(make_random_images(3, 2, 2, 2, 42).pixels, s.pixels);
  EXPECT_NE(make_random_images(3, 2, 2, 2, 43).pixels, s.pixels);
  EXPECT_EQ(make_random_images(1, 1, 8, 1, 1).pixels, (std::vector<std::uint8_t>{34, 34, 115, 5, 89, 233, 120, 19}));
  EXPECT_THROW(make_random_images(0, 2, 2, 1, 1), CompileError);
  // a labeled set keeps counting as before
  ImageSet l = random_images(5, 1, 2, 2, 1);
  EXPECT_EQ(l.count(), 5u);
  EXPECT_TRUE(l.has_labels());
}

TEST(SyntheticImages, CompileWithSyntheticAndWithoutCalibration) {
  ConvNetParams p;
  const std::string path = conv_net(p).save("synthetic.onnx");
  CompileOptions o;
  o.onnx_path = path;
  o.dataset = "synthetic";
  o.synthetic_seed = 7;
  o.calibration_images = 8;
  o.eval_images = 64;
  o.threads = 2;
  CompileReport r = compile(o);
  EXPECT_TRUE(r.network.calibrated);
  EXPECT_EQ(r.calibration_images, 8u);
  EXPECT_EQ(r.accuracy.images, 64u);
  EXPECT_FALSE(r.accuracy.labeled);
  EXPECT_EQ(r.accuracy.float_correct, 0u);
  EXPECT_EQ(r.accuracy.golden_correct, 0u);
  EXPECT_GT(r.accuracy.agree, 48u);
  // the calibration images are seed 7's: the same network as quantizing them by hand
  FloatNetwork net = import_onnx(path);
  QuantizedNetwork q = quantize(net, make_random_images(1, 6, 6, 8, 7), 0);
  for (std::size_t t = 0; t < q.formats.size(); ++t) EXPECT_EQ(q.formats[t].scale, r.network.formats[t].scale) << t;
  // and evaluation used seed 8's
  EXPECT_EQ(evaluate(q, make_random_images(1, 6, 6, 64, 8), 0, 1).agree, r.accuracy.agree);
  std::ostringstream os;
  print_report(os, r);
  EXPECT_NE(os.str().find("calibration: 8 synthetic images"), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("on 64 unlabeled synthetic images: float and golden (integer) give the same prediction on"),
            std::string::npos)
      << os.str();

  // no calibration: placeholder ranges, calibrated == false
  o.calibration_images = 0;
  o.eval_images = 0;
  r = compile(o);
  EXPECT_FALSE(r.network.calibrated);
  EXPECT_EQ(r.calibration_images, 0u);
  EXPECT_EQ(r.accuracy.images, 0u);
  const ActFormat& f0 = r.network.formats[std::size_t(r.network.net.layers[0].output)];
  EXPECT_FALSE(f0.is_signed);  // ReLU
  EXPECT_NEAR(f0.scale, 1.0 / 255, 1e-12);
  EXPECT_NEAR(r.network.formats[std::size_t(r.network.net.output)].scale, 1.0 / 32767, 1e-12);
  os.str("");
  print_report(os, r);
  EXPECT_NE(os.str().find("calibration: none: placeholder activation ranges, for performance estimation only"),
            std::string::npos)
      << os.str();
  EXPECT_FALSE(quantize_uncalibrated(net).calibrated);
  EXPECT_THROW(evaluate(r.network, make_random_images(1, 6, 6, 4, 1)), CompileError);
  // that it cannot be evaluated is said up front
  o.eval_images = 10;
  try {
    compile(o);
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("eval_images = 10 needs calibration"), std::string::npos) << e.what();
  }
  o.dataset = "imagenet";
  try {
    compile(o);
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset 'imagenet' is not known (use 'fashion-mnist' or 'synthetic')"),
              std::string::npos)
        << e.what();
  }
}

// ------------------------------------------------------------------- data --

TEST(FashionMnist, ReadsGzippedAndPlainIdx) {
  const fs::path d = temp_dir() / "idx";
  fs::create_directories(d);
  auto be = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::string images = be(0x0803) + be(3) + be(2) + be(2);
  for (int i = 0; i < 12; ++i) images += char(i * 20);
  std::string labels = be(0x0801) + be(3) + std::string{char(9), char(0), char(3)};
  {
    gzFile f = gzopen((d / "t10k-images-idx3-ubyte.gz").c_str(), "wb");
    gzwrite(f, images.data(), unsigned(images.size()));
    gzclose(f);
  }
  std::ofstream(d / "t10k-labels-idx1-ubyte", std::ios::binary) << labels;
  ImageSet s = load_fashion_mnist(Split::Test, 0, d.string());
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.width, 2);
  EXPECT_EQ(s.image(2)[3], 220);
  EXPECT_EQ(s.labels[0], 9);
  EXPECT_EQ(load_fashion_mnist(Split::Test, 2, d.string()).count(), 2u);
  try {
    load_fashion_mnist(Split::Train, 0, d.string());
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz: no such file"), std::string::npos) << e.what();
  }
  std::ofstream(d / "bad", std::ios::binary) << be(0x12345678) << "xxxx";
  EXPECT_THROW(read_idx((d / "bad").string()), CompileError);
  std::ofstream(d / "short", std::ios::binary) << be(0x0801) << be(100) << "abc";
  try {
    read_idx((d / "short").string());
    FAIL() << "no error";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(FashionMnist, DebianDataset) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet test = load_fashion_mnist(Split::Test);
  EXPECT_EQ(test.count(), 10000u);
  EXPECT_EQ(test.height, 28);
  EXPECT_EQ(test.width, 28);
  EXPECT_EQ(test.labels[0], 9);  // the first test image is an ankle boot
  EXPECT_STREQ(fashion_mnist_class(9), "Ankle boot");
  ImageSet train = load_fashion_mnist(Split::Train, 100);
  EXPECT_EQ(train.count(), 100u);
}

// --------------------------------------------------- the trained networks --

TEST(TrainedNetworks, GoldenAccuracyWithinOnePointFiveOfFloat) {
  const fs::path dir = fs::path(source_dir()) / "networks";
  std::vector<fs::path> nets;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".onnx") nets.push_back(e.path());
  if (nets.empty()) GTEST_SKIP() << "no networks/*.onnx yet";
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::sort(nets.begin(), nets.end());
  for (const auto& p : nets) {
    CompileOptions o;
    o.onnx_path = p.string();
    o.calibration_images = 500;
    o.eval_images = 500;
    CompileReport r = compile(o);
    std::ostringstream os;
    print_report(os, r);
    std::cout << os.str();
    EXPECT_EQ(r.accuracy.images, 500u);
    EXPECT_GT(r.accuracy.float_percent(), 70.0) << p;
    EXPECT_LE(std::fabs(r.accuracy.golden_percent() - r.accuracy.float_percent()), 1.5) << p;
  }
}

// ------------------------------------------------ ImageNet-scale networks --

// networks/imagenet/generate.py's networks, when IMCVP_IMAGENET_DIR names the
// folder it wrote them to (generate.py all --out DIR): import, quantize
// without and with (synthetic) calibration, one image through the float and
// golden models; prints the times.
TEST(ImageNetNetworks, ImportQuantizeAndRunOneImage) {
  const char* dir = std::getenv("IMCVP_IMAGENET_DIR");
  if (!dir) GTEST_SKIP() << "set IMCVP_IMAGENET_DIR to the folder of networks/imagenet/generate.py's networks";
  const char* only = std::getenv("IMCVP_IMAGENET_ONLY");
  for (const char* name : {"resnet18", "resnet50", "vgg16", "mobilenet_v2", "densenet121"}) {
    if (only && std::string(only) != name) continue;
    const std::string path = std::string(dir) + "/" + name + ".onnx";
    if (!fs::exists(path)) continue;
    using clock = std::chrono::steady_clock;
    auto secs = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
    auto t0 = clock::now();
    FloatNetwork net = import_onnx(path);
    const double t_import = secs(t0);
    FloatNetwork copy = net;
    t0 = clock::now();
    QuantizedNetwork qu = quantize_uncalibrated(std::move(copy));  // as compile() does
    const double t_quant0 = secs(t0);
    EXPECT_FALSE(qu.calibrated);
    const Shape in = net.input_shape();
    ImageSet imgs = make_random_images(in.c, in.h, in.w, 2, 1);
    FloatModel fm(net);
    t0 = clock::now();
    const std::vector<float> f = fm.run(imgs.image(0));
    const double t_float = secs(t0);
    t0 = clock::now();
    QuantizedNetwork q = quantize(net, imgs, 1);
    const double t_quant1 = secs(t0);
    EXPECT_TRUE(q.calibrated);
    GoldenModel gm(q);
    t0 = clock::now();
    const std::vector<std::int32_t> g = gm.run(imgs.image(0));
    const double t_golden = secs(t0);
    // the integer logits follow the float ones (the image it was calibrated on)
    const double s = q.formats[std::size_t(net.output)].scale;
    double worst = 0, span = 0;
    for (std::size_t k = 0; k < f.size(); ++k) {
      worst = std::max(worst, std::fabs(g[k] * s - f[k]));
      span = std::max(span, double(std::fabs(f[k])));
    }
    std::uint64_t macs = 0, weights = 0;
    for (const Layer& l : net.layers) {
      macs += l.macs();
      weights += l.weight.size();
    }
    std::printf("%-13s %3zu layers, %6.2f M weights, %6.3f G MACs: import %.2f s, quantize uncalibrated %.2f s, "
                "float 1 image %.2f s, quantize with 1 image %.2f s, golden 1 image %.2f s; "
                "golden - float logits: %.3g of %.3g\n",
                name, net.layers.size(), double(weights) / 1e6, double(macs) / 1e9, t_import, t_quant0, t_float,
                t_quant1, t_golden, worst, span);
    EXPECT_LT(worst, 0.2 * span) << name;
    EXPECT_EQ(net.output_shape().c, 1000);
  }
}
