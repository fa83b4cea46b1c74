// Network compiler: hostile networks and program images end in one
// CompileError (or PlatformError) naming the file and the node, tensor or
// field, never a crash or a silent default (issue 14: a layer with no
// outputs; NaN/Inf weights, biases and input normalisation; Conv group <= 0;
// huge pads; an empty program image).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "compiler/network.hpp"
#include "compiler/onnx_import.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/program_image.hpp"
#include "compiler/quantize.hpp"
#include "models/tile/tile.hpp"
#include "platform/network_build.hpp"
#include "platform/platform.hpp"
#include "onnx_model.hpp"
#include "tlm_harness.hpp"

IMCVP_TEST_SC_MAIN()

namespace fs = std::filesystem;
using namespace imcvp::compiler;
using imcvp::test::Dims;

namespace {

fs::path temp_dir() { return imcvp::test::onnx_temp_dir(); }

using Model = imcvp::test::OnnxModel;

std::vector<float> values(std::size_t n, float scale = 0.1f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * float(int(i % 7) - 3);
  return v;
}

// input [1,1,6,6] -> Conv 2x3x3 (pads 1) -> Relu -> Flatten -> Gemm 72 -> 3
Model small_cnn(const std::vector<float>& cw, const std::vector<float>& cb, const std::vector<float>& fw,
                const std::vector<float>& fb) {
  Model m({1, 1, 6, 6});
  m.init("conv.weight", {2, 1, 3, 3}, cw);
  m.init("conv.bias", {2}, cb);
  m.init("fc.weight", {3, 72}, fw);
  m.init("fc.bias", {3}, fb);
  auto* c = m.node("Conv", {"input", "conv.weight", "conv.bias"}, "c", "Conv_0");
  Model::ints(c, "pads", {1, 1, 1, 1});
  m.node("Relu", {"c"}, "r", "Relu_1");
  m.node("Flatten", {"r"}, "f", "Flatten_2");
  auto* g = m.node("Gemm", {"f", "fc.weight", "fc.bias"}, "logits", "Gemm_3");
  Model::i(g, "transB", 1);
  m.output("logits");
  return m;
}
Model small_cnn() { return small_cnn(values(18), {0.1f, -0.1f}, values(216, 0.05f), {0.0f, 0.1f, -0.1f}); }

// The whole pipeline (import .. serialize on one tile) of the model at `path`;
// the message of the error it ends in.
std::string pipeline_error(const std::string& path) {
  PipelineOptions o;
  o.compile.onnx_path = path;
  o.compile.dataset = kDatasetSynthetic;
  o.compile.calibration_images = 4;
  o.compile.eval_images = 0;
  imcvp::TileParams t;
  o.chip = chip_resources(t, 1);
  try {
    run_pipeline(o);
  } catch (const CompileError& e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// Issue 14 item 1: a weight of shape [0, N] gave a layer with no outputs,
// and the placement crashed (slices.front() of an empty vector).
TEST(CompilerErrors, LayerWithZeroOutputsNamesTheNodeAndWeight) {
  {  // Gemm(transB) with a [0, 36] weight, through the whole pipeline
    Model m({1, 1, 6, 6});
    m.init("fc.weight", {0, 36}, {});
    m.node("Flatten", {"input"}, "f", "Flatten_0");
    auto* g = m.node("Gemm", {"f", "fc.weight"}, "logits", "Gemm_1");
    Model::i(g, "transB", 1);
    m.output("logits");
    const std::string path = m.save("zero_gemm.onnx");
    const std::string e = pipeline_error(path);
    EXPECT_TRUE(has(e, path + ": node 'Gemm_1' (Gemm): weight 'fc.weight' has dims [0,36]: a zero dimension")) << e;
  }
  {  // MatMul with a [36, 0] weight
    Model m({1, 36});
    m.init("w", {36, 0}, {});
    m.node("MatMul", {"input", "w"}, "y", "MatMul_0");
    m.output("y");
    const std::string e = m.import_error();
    EXPECT_TRUE(has(e, "net.onnx: node 'MatMul_0' (MatMul): weight 'w' has dims [36,0]: a zero dimension")) << e;
  }
  {  // Conv with no output channels, and with an empty kernel
    for (const Dims& dims : {Dims{0, 1, 3, 3}, Dims{2, 1, 0, 3}}) {
      Model m({1, 1, 6, 6});
      m.init("w", dims, {});
      m.node("Conv", {"input", "w"}, "y", "Conv_0");
      m.output("y");
      const std::string e = m.import_error();
      EXPECT_TRUE(has(e, "net.onnx: node 'Conv_0' (Conv): weight 'w' has dims [")) << e;
      EXPECT_TRUE(has(e, "a zero dimension")) << e;
    }
  }
  {  // a negative dimension of an initializer
    Model m({1, 4});
    m.init("w", {-4, -1}, values(4));
    m.node("MatMul", {"input", "w"}, "y", "MatMul_0");
    m.output("y");
    const std::string e = m.import_error();
    EXPECT_TRUE(has(e, "net.onnx: initializer 'w' has a negative dimension in [-4,-1]")) << e;
  }
}

// Issue 14 item 3: NaN or Inf weights and biases were accepted (a NaN bias
// reached std::abs(INT64_MIN) in the quantizer).
TEST(CompilerErrors, NonFiniteWeightsAndBiasesNameTheNodeAndTensor) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> cw = values(18);
  cw[5] = nan;
  std::string e = small_cnn(cw, {0.1f, -0.1f}, values(216), {0, 0, 0}).import_error();
  EXPECT_TRUE(has(e, "net.onnx: node 'Conv_0' (Conv): weight 'conv.weight' has NaN at index 5 (only finite numbers")) << e;

  // a NaN bias, through the whole pipeline (the quantizer's UB before)
  const std::string path = small_cnn(values(18), {nan, 0.1f}, values(216), {0, 0, 0}).save("nan_bias.onnx");
  e = pipeline_error(path);
  EXPECT_TRUE(has(e, path + ": node 'Conv_0' (Conv): bias 'conv.bias' has NaN at index 0")) << e;

  std::vector<float> fw = values(216);
  fw[100] = -inf;
  e = small_cnn(values(18), {0, 0}, fw, {0, 0, 0}).import_error();
  EXPECT_TRUE(has(e, "net.onnx: node 'Gemm_3' (Gemm): weight 'fc.weight' has -inf at index 100")) << e;
  e = small_cnn(values(18), {0, 0}, values(216), {0, inf, 0}).import_error();
  EXPECT_TRUE(has(e, "net.onnx: node 'Gemm_3' (Gemm): bias 'fc.bias' has +inf at index 1")) << e;

  // MatMul + Add of a constant bias
  Model mm({1, 4});
  mm.init("w", {4, 2}, values(8));
  mm.init("b", {2}, {0.0f, nan});
  mm.node("MatMul", {"input", "w"}, "m", "MatMul_0");
  mm.node("Add", {"m", "b"}, "y", "Add_1");
  mm.output("y");
  e = mm.import_error();
  EXPECT_TRUE(has(e, "net.onnx: node 'Add_1' (Add): bias 'b' has NaN at index 1")) << e;

  // BatchNormalization parameters, and a fold that overflows a float
  auto bn = [&](const std::vector<float>& scale, const std::vector<float>& var) {
    Model m({1, 1, 6, 6});
    m.init("w", {2, 1, 3, 3}, values(18, 10.0f));
    m.init("s", {2}, scale);
    m.init("b", {2}, {0, 0});
    m.init("mu", {2}, {0, 0});
    m.init("v", {2}, var);
    m.node("Conv", {"input", "w"}, "c", "Conv_0");
    m.node("BatchNormalization", {"c", "s", "b", "mu", "v"}, "y", "BatchNormalization_1");
    m.output("y");
    return m.import_error();
  };
  e = bn({1, 1}, {1, nan});
  EXPECT_TRUE(has(e, "net.onnx: node 'BatchNormalization_1' (BatchNormalization): variance 'v' has NaN at index 1")) << e;
  e = bn({3e38f, 1}, {1e-6f, 1});
  EXPECT_TRUE(has(e, "net.onnx: layer 'Conv_0': weight ")) << e;
  EXPECT_TRUE(has(e, "-inf at index 0 after folding BatchNormalization")) << e;
}

// Issue 14 item 3: a bias the importer did not see (a FloatNetwork made
// otherwise) that is NaN or out of the accumulator's range is an error of the
// quantizer, not std::abs(INT64_MIN).
TEST(CompilerErrors, QuantizerRejectsABiasOutOfRange) {
  Model m = small_cnn();
  const std::string path = m.save("bias_range.onnx");
  for (float b : {std::numeric_limits<float>::quiet_NaN(), 3e38f}) {
    FloatNetwork net = import_onnx(path);
    net.layers[0].bias[1] = b;
    try {
      (void)quantize_uncalibrated(std::move(net));
      ADD_FAILURE() << "bias " << b << " was quantized";
    } catch (const CompileError& e) {
      EXPECT_TRUE(has(e.what(), path + ": layer 'Conv_0': the bias ")) << e.what();
      EXPECT_TRUE(has(e.what(), " of output channel 1 does not fit the 32-bit accumulator")) << e.what();
    }
  }
}

// Issue 14 item 3: a NaN imcvp.input_mean (or an infinite input_std) was
// taken as the input normalisation.
TEST(CompilerErrors, NonFiniteInputNormalisationNamesTheMetadata) {
  for (const char* v : {"nan", "NaN", "inf", "-inf", "1e39"}) {
    Model m = small_cnn();
    m.metadata("imcvp.input_mean", v);
    const std::string e = m.import_error();
    EXPECT_TRUE(has(e, std::string("net.onnx: metadata 'imcvp.input_mean' = '") + v + "' is not a finite number")) << e;
  }
  Model m = small_cnn();
  m.metadata("imcvp.input_std", "inf");
  std::string e = m.import_error();
  EXPECT_TRUE(has(e, "net.onnx: metadata 'imcvp.input_std' = 'inf' is not a finite number")) << e;

  // the overrides of CompileOptions
  CompileOptions o;
  o.onnx_path = small_cnn().save("norm.onnx");
  o.dataset = kDatasetSynthetic;
  o.input_mean = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(import_network(o), CompileError);
  o.input_mean.reset();
  o.input_std = std::numeric_limits<float>::infinity();
  EXPECT_THROW(import_network(o), CompileError);
}

// Issue 14 item 3: Conv group 0 or negative.
TEST(CompilerErrors, ConvGroupZeroOrNegativeNamesTheNode) {
  for (std::int64_t group : {0, -1, -2}) {
    Model m({1, 2, 6, 6});
    m.init("w", {2, 2, 3, 3}, values(36));
    auto* c = m.node("Conv", {"input", "w"}, "y", "Conv_0");
    Model::i(c, "group", group);
    m.output("y");
    const std::string e = m.import_error();
    EXPECT_TRUE(has(e, "net.onnx: node 'Conv_0' (Conv): group=" + std::to_string(group) + " is not valid")) << e;
  }
}

// Issue 14 item 7: huge pads overflowed the window arithmetic (int), and the
// error printed a negative size.
TEST(CompilerErrors, HugePadsAndWindowsNameTheNodeWithoutOverflow) {
  auto conv = [](const std::string& attr, const Dims& v) {
    Model m({1, 1, 6, 6});
    m.init("w", {1, 1, 3, 3}, values(9));
    auto* c = m.node("Conv", {"input", "w"}, "y", "Conv_0");
    Model::ints(c, attr, v);
    m.output("y");
    return m.import_error();
  };
  const std::int64_t big = std::int64_t(1) << 30, huge = std::int64_t(1) << 40;
  std::string e = conv("pads", {big, big, big, big});
  EXPECT_TRUE(has(e, "net.onnx: node 'Conv_0' (Conv): pads [1073741824,1073741824,1073741824,1073741824] are out "
                     "of range (0..16777216)")) << e;
  e = conv("pads", {huge, 1, huge, 1});
  EXPECT_TRUE(has(e, "node 'Conv_0' (Conv): pads [1099511627776,1,1099511627776,1] are out of range")) << e;
  e = conv("pads", {8388608, 0, 8388608, 0});  // 6 + 2 * 2^23 > 2^24
  EXPECT_TRUE(has(e, "node 'Conv_0' (Conv): the padded input 16777222x6 is too large")) << e;
  e = conv("strides", {huge, 1});
  EXPECT_TRUE(has(e, "node 'Conv_0' (Conv): strides [1099511627776,1] are out of range")) << e;
  e = conv("kernel_shape", {huge, 3});
  EXPECT_TRUE(has(e, "node 'Conv_0' (Conv): kernel_shape [1099511627776,3] are out of range")) << e;

  // a Pad node before the Conv (its pads add to the Conv's)
  Model m({1, 1, 6, 6});
  m.init("w", {1, 1, 3, 3}, values(9));
  m.init_i64("p", {0, 0, big, big, 0, 0, big, big});
  m.node("Pad", {"input", "p"}, "x", "Pad_0");
  auto* c = m.node("Conv", {"x", "w"}, "y", "Conv_1");
  Model::ints(c, "pads", {16777216, 16777216, 16777216, 16777216});
  m.output("y");
  e = m.import_error();
  EXPECT_TRUE(has(e, "net.onnx: node 'Pad_0' (Pad): pads [0,0,1073741824,1073741824,0,0,1073741824,1073741824] are "
                     "too large")) << e;
  // a large Pad plus a large Conv pad: still no overflow, and no negative size in the message
  Model m2({1, 1, 6, 6});
  m2.init("w", {1, 1, 3, 3}, values(9));
  m2.init_i64("p", {0, 0, 16777216, 0, 0, 0, 16777216, 0});
  m2.node("Pad", {"input", "p"}, "x", "Pad_0");
  auto* c2 = m2.node("Conv", {"x", "w"}, "y", "Conv_1");
  Model::ints(c2, "pads", {16777216, 0, 16777216, 0});
  m2.output("y");
  e = m2.import_error();
  EXPECT_TRUE(has(e, "node 'Conv_1' (Conv): the padded input 67108870x6 is too large")) << e;
  EXPECT_FALSE(has(e, "-")) << e;
}

// Issue 14 item 8: an empty network.program_image file reached memcpy with a
// null source.
// Found by fuzz_onnx (tests/fuzz/findings/onnx_import_hang.bin): views
// (Identity, Reshape ...) that read their own output, directly or through
// another view, made the importer follow them forever.
TEST(CompilerErrors, ViewCyclesNameTheNodeInsteadOfHanging) {
  {
    Model m({1, 1, 4, 4});
    m.node("Identity", {"x"}, "x", "Identity_self");
    m.output("x");
    const std::string e = m.import_error();
    EXPECT_NE(e.find("node 'Identity_self' (Identity)"), std::string::npos) << e;
    EXPECT_NE(e.find("cycle"), std::string::npos) << e;
  }
  {
    Model m({1, 1, 4, 4});
    m.node("Identity", {"b"}, "a", "Identity_a");
    m.node("Flatten", {"a"}, "b", "Flatten_b");
    m.output("b");
    const std::string e = m.import_error();
    EXPECT_NE(e.find("node 'Flatten_b' (Flatten)"), std::string::npos) << e;
    EXPECT_NE(e.find("cycle"), std::string::npos) << e;
  }
  // The fuzzer's own finding ends in an error too.
  const char* src = std::getenv("IMCVP_SOURCE_DIR");  // ctest sets it
  ASSERT_NE(src, nullptr) << "run through ctest (IMCVP_SOURCE_DIR)";
  const fs::path found = fs::path(src) / "tests/fuzz/findings/onnx_import_hang.bin";
  std::ifstream f(found, std::ios::binary);
  ASSERT_TRUE(f) << found;
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_THROW(import_onnx_bytes(bytes, "onnx_import_hang.bin"), CompileError);
}

TEST(CompilerErrors, EmptyProgramImageNamesTheScenarioField) {
  const fs::path dir = temp_dir();
  const std::string img = (dir / "empty.img").string();
  std::ofstream(img, std::ios::binary).close();
  imcvp::Scenario s;
  s.file = (dir / "scenario.yaml").string();
  s.name = "empty_image";
  s.seed = 1;
  s.network.enabled = true;
  s.network.compile.onnx_path = small_cnn().save("cnn.onnx");
  s.network.compile.dataset = kDatasetSynthetic;
  s.network.compile.calibration_images = 4;
  s.network.images = 1;
  s.network.reference = false;
  s.network.program_image = img;
  imcvp::TileParams t;
  try {
    imcvp::NetworkBuild b(s, chip_resources(t, 1));
    ADD_FAILURE() << "an empty program image was accepted";
  } catch (const imcvp::PlatformError& e) {
    EXPECT_TRUE(has(e.what(), s.file + ": network.program_image: " + img + ": program image: empty (0 bytes)"))
        << e.what();
  }
  // the reader itself
  try {
    (void)read_program_image(std::vector<std::uint8_t>{});
    ADD_FAILURE() << "an empty program image was read";
  } catch (const CompileError& e) {
    EXPECT_TRUE(has(e.what(), "program image: empty (0 bytes): not a program image")) << e.what();
  }
}
