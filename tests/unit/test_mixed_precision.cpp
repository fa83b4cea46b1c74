// Mixed precision (docs/compiler.md "Mixed precision"): a layer compiled at
// its own weight_bits is quantized to that range, placed in its own weight
// format (fewer crossbars), carries an IMCVP_EXT_WEIGHT_FORMAT record, and
// its program image, run on ideal Tile models, gives the golden logits; bad
// requests name the layer.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <systemc>
#include <tlm>

#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/pipeline.hpp"
#include "imcvp/accel.h"
#include "models/tile/tile.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

IMCVP_TEST_SC_MAIN()

namespace fs = std::filesystem;
using namespace imcvp;
using namespace imcvp::compiler;

namespace {

std::string source_dir() {
  if (const char* env = std::getenv("IMCVP_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

bool have_data() { return fs::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"); }

const char* const kFc1 = "/classifier/classifier.1/Gemm";   // 1568 -> 64, the CNN's largest layer
const char* const kConv2 = "/features/features.4/Conv";     // 16 -> 32, 3 x 3

TileParams tile_params() {
  TileParams t;
  t.crossbars = 64;
  t.crossbar = ideal_crossbar(t.crossbar);
  return t;
}

PipelineOptions options(std::map<std::string, int> bits) {
  PipelineOptions o;
  o.compile.onnx_path = source_dir() + "/networks/fmnist_cnn.onnx";
  o.compile.calibration_images = 16;
  o.compile.eval_images = 0;
  o.compile.quant.layer_weight_bits = std::move(bits);
  o.chip = chip_resources(tile_params(), 1);
  return o;
}

std::size_t layer_index(const QuantizedNetwork& q, const std::string& name) {
  for (std::size_t i = 0; i < q.net.layers.size(); ++i)
    if (q.net.layers[i].name == name) return i;
  ADD_FAILURE() << "no layer " << name;
  return 0;
}

struct Driver : test::TileDriver {
  using TileDriver::TileDriver;
  uint32_t run(uint32_t desc_off) { return start_and_wait(desc_off, sc_core::sc_time(1, sc_core::SC_US)); }
};

}  // namespace

TEST(MixedPrecision, NoRequestChangesNothing) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const CompileState base = run_pipeline(options({}));
  for (const Layer& l : base.network().net.layers) {
    EXPECT_EQ(l.attrs.weight_bits, 0) << l.name;
    if (l.has_weights()) {
      EXPECT_EQ(layer_format(l, base.options.chip.crossbar), weight_format(base.options.chip.crossbar));
    }
  }
  for (const ImageLayer& il : base.image.layers) EXPECT_TRUE(il.ext.empty());
}

TEST(MixedPrecision, UnknownOrWeightlessLayerIsNamed) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  for (const std::string name : {"no_such_layer", "/features/features.3/MaxPool"}) {
    try {
      run_pipeline(options({{name, 4}}));
      ADD_FAILURE() << "expected an error for " << name;
    } catch (const PassError& e) {
      EXPECT_EQ(e.pass, "quantize");
      const std::string what = e.what();
      EXPECT_NE(what.find("layer_weight_bits"), std::string::npos) << what;
      EXPECT_NE(what.find("'" + name + "'"), std::string::npos) << what;
      EXPECT_NE(what.find(kFc1), std::string::npos) << what;  // lists the Conv/FC layers
    }
  }
}

TEST(MixedPrecision, BitsOutsideTheRangeAreNamed) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  try {
    run_pipeline(options({{kFc1, 1}}));
    ADD_FAILURE() << "expected an error";
  } catch (const PassError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(kFc1), std::string::npos) << what;
    EXPECT_NE(what.find("out of range 2..8"), std::string::npos) << what;
  }
  // wider than the crossbars' weights: placement names the layer
  PipelineOptions o = options({{kFc1, 6}});
  o.chip.crossbar.weight_bits = 4;
  o.compile.quant.weight_bits = 4;
  try {
    run_pipeline(o);
    ADD_FAILURE() << "expected an error";
  } catch (const PassError& e) {
    EXPECT_EQ(e.pass, "place");
    const std::string what = e.what();
    EXPECT_NE(what.find(std::string("layer '") + kFc1 + "' has 6-bit weights"), std::string::npos) << what;
  }
}

TEST(MixedPrecision, FourBitLayersRunBitExactOnTiles) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const CompileState base = run_pipeline(options({}));
  const CompileState mp = run_pipeline(options({{kFc1, 4}, {kConv2, 4}}));
  const QuantizedNetwork& q = mp.network();
  const CrossbarParams& p = mp.options.chip.crossbar;

  // quantized to 4 bits: |w| <= 7 in the 4-bit layers, the others untouched
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    const Layer& l = q.net.layers[i];
    if (!l.has_weights()) continue;
    const bool narrow = l.name == kFc1 || l.name == kConv2;
    EXPECT_EQ(l.attrs.weight_bits, narrow ? 4 : 0) << l.name;
    int wmax = 0;
    for (std::int8_t w : q.layers[i].weight) wmax = std::max(wmax, std::abs(int(w)));
    if (narrow) {
      EXPECT_EQ(wmax, 7) << l.name;
    } else {
      EXPECT_EQ(q.layers[i].weight, base.network().layers[i].weight) << l.name;
    }
  }

  // placement: the 4-bit layers need fewer crossbars, the others the same
  const std::size_t fc1 = layer_index(q, kFc1), conv2 = layer_index(q, kConv2);
  const WeightFormat f4 = layer_format(q.net.layers[fc1], p);
  EXPECT_EQ(f4.weight_bits, 4u);
  EXPECT_EQ(f4.cell_bits, p.cell_bits);
  EXPECT_LT(mp.placement.layers[fc1].crossbars(), base.placement.layers[fc1].crossbars());
  EXPECT_LE(mp.placement.layers[conv2].crossbars(), base.placement.layers[conv2].crossbars());
  EXPECT_EQ(mp.placement.layers[fc1].crossbars(), crossbars_needed(q.net.layers[fc1], p));
  EXPECT_LT(mp.placement.crossbars_used, base.placement.crossbars_used);

  // the image (read back from its bytes): every record of a 4-bit layer
  // carries the weight format record, the others none
  const ProgramImage img = read_program_image(mp.image_bytes);
  EXPECT_EQ(img.programs.size(), mp.placement.crossbars_used);
  for (const ImageLayer& il : img.layers) {
    const Layer& l = q.net.layers[il.net_layer];
    const std::vector<compiler::ExtRecord> recs = parse_ext_records(il.ext, l.name);
    if (l.name != kFc1 && l.name != kConv2) {
      EXPECT_TRUE(recs.empty()) << l.name;
      continue;
    }
    ASSERT_EQ(recs.size(), 1u) << l.name;
    EXPECT_EQ(recs[0].type, IMCVP_EXT_WEIGHT_FORMAT);
    ASSERT_EQ(recs[0].payload.size(), sizeof(imcvp_ext_weight_format));
    imcvp_ext_weight_format wf;
    std::memcpy(&wf, recs[0].payload.data(), sizeof wf);
    EXPECT_EQ(wf.weight_bits, 4);
    EXPECT_EQ(wf.cell_bits, p.cell_bits);
    EXPECT_EQ(wf.signed_mode, p.signed_mode == SignedMode::Offset ? 1 : 0);
    EXPECT_EQ(wf.reserved, 0);
  }

  // the image on an ideal tile: PROGRAM every crossbar, then the network
  // chained through the image's offsets gives the golden logits
  Driver cpu("cpu");
  Tile tile("tile", tile_params());
  cpu.socket.bind(tile.socket);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  ASSERT_EQ(img.chip.tiles, 1u);
  for (const ImageProgram& pr : img.programs) {
    cpu.put(pr.desc.param_off, pr.levels.data(), pr.levels.size());
    cpu.put(0, &pr.desc, sizeof pr.desc);
    ASSERT_EQ(cpu.run(0), uint32_t(IMCVP_TILE_STATUS_DONE)) << tile.error_message();
  }
  const ImageSet test = load_fashion_mnist(Split::Test, 4);
  GoldenModel golden(q);
  for (std::size_t n = 0; n < test.count(); ++n) {
    const std::vector<int32_t> want = golden.run(test.image(n));
    std::vector<int32_t> codes(q.net.input_shape().size());
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = img.input_lut[test.image(n)[i]];
    cpu.put_tensor(img.input.buf_off, img.input.fmt, codes);
    for (const ImageLayer& il : img.layers) {
      if (!il.params.empty()) cpu.put(il.desc.param_off, il.params.data(), il.params.size() * sizeof(RequantEntry));
      cpu.put(il.desc_off, &il.desc, sizeof il.desc);
      if (!il.ext.empty()) cpu.put(il.desc_off + uint32_t(sizeof il.desc), il.ext.data(), il.ext.size());
      ASSERT_EQ(cpu.run(il.desc_off), uint32_t(IMCVP_TILE_STATUS_DONE))
          << q.net.layers[il.net_layer].name << ": " << tile.error_message();
    }
    EXPECT_EQ(cpu.get_tensor(img.output.buf_off, img.output.fmt, want.size()), want) << "image " << n;
  }
  EXPECT_GT(tile.stats().mvms, 0u);
}
