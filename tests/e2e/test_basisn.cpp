// End to end: BasisN (docs/techniques/basisn.md). The Fashion-MNIST CNN on
// a PCA basis runs through the infer firmware on tiles with the BasisScaler
// block: with an ideal device the platform's logits are the golden
// reference's on every image; the crossbars are written once (no
// reprogramming on a chip far smaller than the network) and more crossbars
// make the same inference faster with the same logits; the report gives the
// scaler's figures; bad input is one clear message.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

NetRun run_net(const std::string& name, const std::string& network, const std::string& accelerator) {
  return run_network(scratch("basisn_" + name), name,
                     "network:\n  onnx: " + (source_dir() / "networks/fmnist_cnn.onnx").string() +
                     "\n" + network + "accelerator:\n" + accelerator +
                     "trace:\n  vcd: run.vcd\n  signals: [accel]\n");
}
std::string chip(unsigned tiles, unsigned xbars, const std::string& extra = "") {
  return "  tiles: " + std::to_string(tiles) + "\n  tile:\n    crossbars: " + std::to_string(xbars) +
         "\n    ideal_crossbar: true\n" + extra;
}

}  // namespace

TEST(BasisN, IdealDeviceLogitsEqualTheGoldenReferenceWithoutReprogramming) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // 9 vectors of 9 (the full basis) with 4-bit coefficients on 2 tiles of 8 crossbars:
  // the network's spatial mapping needs 70 crossbars
  const NetRun r = run_net("ideal", "  images: 200\n  basisn: {count: 9, coef_bits: 4}\n",
                        chip(2, 8, "    basis_scaler: {}\n"));
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  EXPECT_EQ(num(r.net, "logits_equal_golden"), 200);
  EXPECT_EQ(num(r.net, "platform_percent"), num(r.net, "golden_percent"));
  EXPECT_GT(num(r.net, "platform_percent"), 85.0);  // the float network: 91.78 % on all images
  EXPECT_EQ(num(r.net, "groups"), 1);               // written once
  const std::string b = r.net.substr(r.net.find("\"basisn\""));
  EXPECT_EQ(num(b, "layers"), 4);
  EXPECT_EQ(num(b, "count"), 9);
  EXPECT_EQ(num(b, "copies_per_crossbar"), 1);  // 16 outputs of 8-bit weights / 9
  EXPECT_GT(num(b, "macs_per_inference"), 0.0);
  EXPECT_GT(num(b, "energy_percent"), 0.0);
  EXPECT_GT(num(r.net, "basis_scaler"), 0.0);  // its own energy category
  const std::string vcd = read_file(r.out / "run.vcd");
  EXPECT_NE(vcd.find("$scope module basis_scaler $end"), std::string::npos);
  EXPECT_NE(vcd.find(" active "), std::string::npos);
  EXPECT_NE(vcd.find(" macs "), std::string::npos);
}

TEST(BasisN, MoreCrossbarsAreFasterWithTheSameLogits) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string net = "  images: 20\n  basisn: {count: 4, coef_bits: 6}\n";
  const NetRun one = run_net("x1", net, chip(1, 1, "    basis_scaler: {}\n"));
  const NetRun four = run_net("x4", net, chip(1, 4, "    basis_scaler: {}\n"));
  ASSERT_EQ(one.result.code, 0) << one.result.output;
  ASSERT_EQ(four.result.code, 0) << four.result.output;
  EXPECT_EQ(num(one.net, "logits_equal_golden"), 20);
  EXPECT_EQ(num(four.net, "logits_equal_golden"), 20);
  EXPECT_EQ(num(one.net, "platform_correct"), num(four.net, "platform_correct"));
  EXPECT_LT(num(four.net, "per_inference_ns"), 0.8 * num(one.net, "per_inference_ns"));
}

TEST(BasisN, BadInputIsOneClearMessage) {
  // no scaler on the tiles
  NetRun r = run_net("noblock", "  images: 2\n  basisn: {count: 4}\n", chip(1, 4));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("accelerator.tile: the network is a BasisN network, but the tiles have no "
                                 "basis-coefficient scaler (accelerator.tile.basis_scaler)"),
            std::string::npos)
      << r.result.output;
  // a basis count of zero
  r = run_net("zero", "  images: 2\n  basisn: {count: 0}\n", chip(1, 4, "    basis_scaler: {}\n"));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("network.basisn.count"), std::string::npos) << r.result.output;
  // coefficients that do not fit the scaler's memory
  r = run_net("small", "  images: 2\n  basisn: {count: 4}\n", chip(1, 4, "    basis_scaler: {coef_bytes: 1024}\n"));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("do not fit the coefficient memories of 1 tiles x 1024 bytes "
                                 "(accelerator.tile.basis_scaler.coef_bytes"),
            std::string::npos)
      << r.result.output;
  // a basis longer than the crossbar
  r = run_net("long", "  images: 2\n  basisn: {count: 4, length: 200}\n", chip(1, 4, "    basis_scaler: {}\n"));
  EXPECT_NE(r.result.code, 0);
  EXPECT_NE(r.result.output.find("does not fit a crossbar of 128 rows"), std::string::npos) << r.result.output;
}

// A grouped layer on the basis: MobileNet-v2's depthwise convolutions, each
// group's rows in their own segments (and DenseNet's unfolded BatchNorms,
// depthwise 1 x 1, the same way). On an ideal device the logits equal the
// golden reference's.
TEST(BasisN, DepthwiseConvolutionsOnTheBasisEqualTheGoldenReference) {
  const fs::path dir = scratch("basisn_mnv2");
  const fs::path onnx = build_dir() / "networks" / "mobilenet_v2_r32_c10.onnx";
  const fs::path sc = make_scenario(dir, "mnv2", firmware("apps/infer.elf"),
                                    "network:\n  onnx: " + onnx.string() +
                                        "\n  dataset: synthetic\n  images: 2\n  calibration_images: 2\n"
                                        "  basisn: {count: 4, coef_bits: 4}\n"
                                        "accelerator:\n  tiles: 64\n  tile:\n    crossbars: 2\n"
                                        "    buffer_size: 1 MiB\n    ideal_crossbar: true\n    basis_scaler: {}\n"
                                        "  noc: {width: 9, height: 8}\nlimits:\n  max_time: 100 s\n");
  const Result r = run_imcvp(sc.string() + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string report = read_file(dir / "out-mnv2" / "report.json");
  const std::string net = report.substr(report.find("\"network\": {"));
  EXPECT_EQ(num(net, "logits_equal_golden"), 2);
  EXPECT_EQ(num(net.substr(net.find("\"basisn\"")), "count"), 4);
}

// In estimation the basis is written once at load and charged from the
// cells it changes, as a functional run writes it.
TEST(BasisN, EstimationChargesTheBasisProgrammingAtLoad) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string net = "  images: 2\n  basisn: {count: 4, coef_bits: 4}\n";
  const NetRun est = run_net("est", net, chip(2, 8, "    basis_scaler: {}\n    mode: estimate\n"));
  const NetRun fun = run_net("fun", net, chip(2, 8, "    basis_scaler: {}\n"));
  ASSERT_EQ(est.result.code, 0) << est.result.output;
  ASSERT_EQ(fun.result.code, 0) << fun.result.output;
  const std::string el = est.net.substr(est.net.find("\"load\"")), fl = fun.net.substr(fun.net.find("\"load\""));
  EXPECT_EQ(num(el, "crossbars_programmed"), 16);
  EXPECT_EQ(num(el, "crossbars_programmed"), num(fl, "crossbars_programmed"));
  EXPECT_EQ(num(el, "cells_written"), num(fl, "cells_written"));  // the same cells change from the reset state
  EXPECT_GT(num(el, "programming_energy_pj"), 0.0);
}
