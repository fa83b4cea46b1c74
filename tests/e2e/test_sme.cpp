// End to end: SME (docs/techniques/sme.md). The Fashion-MNIST CNN with
// bit-sparse weights on bit-plane crossbars runs through the infer firmware
// on tiles with the SpliceUnit block: with an ideal device the platform's
// logits are the golden reference's on every image, with and without
// squeeze-out; squeeze-out frees crossbars; the report gives the mapping's
// figures and the splice unit's; a depthwise network (MobileNet-v2) maps
// too; bad input is one clear message.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

NetRun run_net(const std::string& name, const std::string& network, const std::string& accelerator) {
  return run_network(scratch("sme_" + name), name,
                     "network:\n  onnx: " + (source_dir() / "networks/fmnist_cnn.onnx").string() +
                     "\n" + network + "accelerator:\n" + accelerator +
                     "trace:\n  vcd: run.vcd\n  signals: [accel]\n");
}
std::string chip(unsigned tiles, unsigned xbars, const std::string& extra = "    splice: {}\n") {
  return "  tiles: " + std::to_string(tiles) + "\n  tile:\n    crossbars: " + std::to_string(xbars) +
         "\n    ideal_crossbar: true\n    crossbar: {cell_bits: 1}\n" + extra;
}

}  // namespace

TEST(Sme, IdealDeviceLogitsEqualTheGoldenReference) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::string sme[2];
  double placed[2];
  for (int squeeze = 0; squeeze < 2; ++squeeze) {
    const NetRun r = run_net(squeeze ? "squeezed" : "planes",
                             std::string("  images: 100\n  sme: {nonzero_bits: 2, squeeze_threshold: ") +
                                 (squeeze ? "0.25" : "0") + "}\n",
                             chip(8, 256));
    ASSERT_EQ(r.result.code, 0) << r.result.output;
    EXPECT_EQ(num(r.net, "logits_equal_golden"), 100);
    EXPECT_EQ(num(r.net, "platform_percent"), num(r.net, "golden_percent"));
    EXPECT_GT(num(r.net, "platform_percent"), 80.0);  // the float network: 91.78 % on all images
    EXPECT_EQ(num(r.net, "groups"), 1);
    sme[squeeze] = r.net.substr(r.net.find("\"sme\""));
    EXPECT_EQ(num(sme[squeeze], "layers"), 4);
    EXPECT_GT(num(sme[squeeze], "weights_changed"), 0.0);
    EXPECT_GT(num(sme[squeeze], "shift_adds_per_inference"), 0.0);
    EXPECT_GT(num(sme[squeeze], "energy_percent"), 0.0);
    EXPECT_GT(num(r.net, "splice"), 0.0);  // its own energy category
    placed[squeeze] = num(sme[squeeze], "placed_crossbars");
    EXPECT_EQ(num(r.net, "used"), placed[squeeze]);
    const std::string vcd = read_file(r.out / "run.vcd");
    EXPECT_NE(vcd.find("$scope module splice $end"), std::string::npos);
    EXPECT_NE(vcd.find(" adds "), std::string::npos);
  }
  // squeeze-out frees crossbars; the ones stored stay the same
  EXPECT_EQ(num(sme[0], "squeezed_crossbars"), num(sme[0], "bitplane_crossbars"));
  EXPECT_LT(num(sme[1], "squeezed_crossbars"), num(sme[1], "bitplane_crossbars"));
  EXPECT_LT(placed[1], placed[0]);
  EXPECT_EQ(num(sme[0], "nonzero_cells"), num(sme[1], "nonzero_cells"));
  EXPECT_LT(num(sme[1], "nonzero_cells"), num(sme[1], "dense_cells"));
}

TEST(Sme, BadInputIsOneClearMessage) {
  // no splice unit on the tiles
  NetRun r = run_net("noblock", "  images: 2\n  sme: {}\n", chip(4, 256, ""));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("accelerator.tile: the network is an SME network, but the tiles have no splice "
                                 "unit (accelerator.tile.splice)"),
            std::string::npos)
      << r.result.output;
  // a bit budget larger than the weights' magnitude bits
  r = run_net("budget", "  images: 2\n  sme: {nonzero_bits: 8}\n", chip(4, 256));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("network.sme"), std::string::npos) << r.result.output;
  EXPECT_NE(r.result.output.find("nonzero_bits 8"), std::string::npos) << r.result.output;
  // tables that overflow the splice unit's memory
  r = run_net("tables", "  images: 2\n  sme: {}\n", chip(4, 256, "    splice: {table_bytes: 1024}\n"));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("accelerator.tile.splice.table_bytes"), std::string::npos) << r.result.output;
  // a threshold out of range
  r = run_net("threshold", "  images: 2\n  sme: {squeeze_threshold: 2}\n", chip(4, 256));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("squeeze_threshold"), std::string::npos) << r.result.output;
}

// A grouped network on bit planes: MobileNet-v2's depthwise convolutions, each
// one slice of all its groups. On an ideal device the logits equal the golden
// reference's.
TEST(Sme, DepthwiseConvolutionsOnBitPlanesEqualTheGoldenReference) {
  const fs::path dir = scratch("sme_mnv2");
  const fs::path onnx = build_dir() / "networks" / "mobilenet_v2_r32_c10.onnx";
  const fs::path sc = make_scenario(dir, "mnv2", firmware("apps/infer.elf"),
                                    "network:\n  onnx: " + onnx.string() +
                                        "\n  dataset: synthetic\n  images: 2\n  calibration_images: 2\n"
                                        "  sme: {nonzero_bits: 2}\n"
                                        "accelerator:\n  tiles: 64\n  tile:\n    crossbars: 256\n"
                                        "    buffer_size: 1 MiB\n    ideal_crossbar: true\n"
                                        "    crossbar: {cell_bits: 1}\n    splice: {}\n"
                                        "  noc: {width: 9, height: 8}\nlimits:\n  max_time: 100 s\n");
  const Result r = run_imcvp(sc.string() + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string report = read_file(dir / "out-mnv2" / "report.json");
  const std::string net = report.substr(report.find("\"network\": {"));
  EXPECT_EQ(num(net, "logits_equal_golden"), 2);
  EXPECT_GT(num(net.substr(net.find("\"sme\"")), "squeezed_crossbars"), 0.0);
}
