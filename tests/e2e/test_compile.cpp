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
