// End to end: `imcvp compile` imports, quantizes and checks a network.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

TEST(Compile, SummarisesLayersAndMeasuresAccuracy) {
  const fs::path onnx = source_dir() / "tests/unit/data/compiler/torch_resnet.onnx";
  const Result r = run(imcvp().string() + " compile " + onnx.string() + " --calibration 100 --eval 200");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* s : {"Conv+ReLU", "Add+ReLU", "GlobalAvgPool", "FullyConnected",
                        "total: 4968 weights, 1662240 MACs per inference",
                        "accuracy on 200 test images: float"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}

TEST(Compile, BadInputEndsWithOneClearError) {
  const fs::path dir = scratch("compile-err");
  write_file(dir / "junk.onnx", "not a protobuf at all");
  Result r = run(imcvp().string() + " compile " + (dir / "junk.onnx").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("junk.onnx"), std::string::npos) << r.output;
  r = run(imcvp().string() + " compile x.onnx --weight-bits 9");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--weight-bits"), std::string::npos) << r.output;
  r = run(imcvp().string() + " compile --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("--calibration"), std::string::npos);
}

TEST(Compile, WritesTheProgramImageOrSaysWhyTheChipIsTooSmall) {
  const fs::path onnx = source_dir() / "networks/fmnist_cnn.onnx";
  const fs::path dir = scratch("compile-image");
  const std::string base = imcvp().string() + " compile " + onnx.string() + " --calibration 20 --eval 0 --image " +
                           (dir / "cnn.img").string();
  Result r = run(base + " --tiles 1 --crossbars 8");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("the chip has 8 (1 tiles x 8)"), std::string::npos) << r.output;
  r = run(base + " --tiles 1 --crossbars 64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("program image: "), std::string::npos) << r.output;
  const std::string image = read_file(dir / "cnn.img");
  ASSERT_GT(image.size(), 72u);
  EXPECT_EQ(image.substr(0, 4), "IMCP");  // the image's magic
}

// A hybrid RRAM/SRAM network (docs/techniques/hybrid.md) needs tiles with
// the SRAM compensation block: --sram-comp gives them one, and without it the
// one error names the block; --sram-comp without --image is a usage error.
TEST(Compile, AHybridNetworkNeedsTheSramCompensationBlock) {
  const fs::path onnx = source_dir() / "networks/fmnist_cnn_hybrid_s1.onnx";
  const fs::path dir = scratch("compile-hybrid");
  const std::string base = imcvp().string() + " compile " + onnx.string() + " --calibration 20 --eval 0 --image " +
                           (dir / "hybrid.img").string() + " --tiles 1 --crossbars 96";
  Result r = run(base);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("has no SRAM compensation block"), std::string::npos) << r.output;
  r = run(base + " --sram-comp 256");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_file(dir / "hybrid.img").substr(0, 4), "IMCP");
  r = run(base + " --sram-comp 1");  // 96 bytes: the compensation data does not fit
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("does not fit"), std::string::npos) << r.output;
  r = run(imcvp().string() + " compile " + onnx.string() + " --sram-comp 256");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("give --image FILE"), std::string::npos) << r.output;
}

// Issue 14 (15): --tiles took only 1..16 while the platform takes 64.
TEST(Compile, TilesTakesWhatThePlatformTakes) {
  const fs::path onnx = source_dir() / "networks/fmnist_cnn.onnx";
  const fs::path dir = scratch("compile-tiles");
  const std::string base = imcvp().string() + " compile " + onnx.string() +
                           " --calibration 20 --eval 0 --crossbars 64 --image " + (dir / "cnn.img").string();
  Result r = run(base + " --tiles 64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("program image: "), std::string::npos) << r.output;
  r = run(base + " --tiles 65");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--tiles needs a number from 1 to 64"), std::string::npos) << r.output;
}
