// End to end: the reprogramming baseline in performance estimation. The
// estimation image carries no cell levels but, per PROGRAM record, the cells
// it changes per target level; the firmware issues the records as in a
// functional run and the tile charges write-and-verify's expected cost from
// the crossbar model's own pulse table. The Fashion-MNIST CNN on a quarter
// of the crossbars it needs (scenarios/fmnist_cnn_quarter.yaml's chip, the
// default non-ideal device): programming time and energy per inference, the
// load phase's programming and the latency agree with the functional run.
// Not the total energy: the estimation firmware does not DMA the levels
// (about 23 uJ of the functional run's 57 uJ per inference).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

struct QuarterRun {
  Result result;
  std::string net;  // the report's network section
};

QuarterRun run_quarter(const std::string& name, const std::string& mode) {
  const fs::path dir = scratch("estimate_programming_" + name);
  const fs::path sc = make_scenario(
      dir, name, firmware("apps/infer.elf"),
      "seed: 1\nnetwork:\n  onnx: " + (source_dir() / "networks" / "fmnist_cnn.onnx").string() +
          "\n  images: 8\n  calibration_images: 10\n  reprogram: true\naccelerator:\n  tiles: 1\n  tile:\n"
          "    crossbars: 16\n    mode: " + mode + "\n");
  QuarterRun r{run_imcvp(sc.string() + " --quiet"), ""};
  if (r.result.code == 0) {
    const std::string report = read_file(dir / ("out-" + name) / "report.json");
    const auto at = report.find("\"network\": {");
    if (at != std::string::npos) r.net = report.substr(at);
  }
  return r;
}

std::string section(const std::string& net, const char* name) {
  const auto at = net.find(std::string("\"") + name + "\"");
  return at == std::string::npos ? "" : net.substr(at);
}

}  // namespace

// Tolerance: the estimate draws the expected pulses per written cell from a
// sample of 16384 cells per level and the functional run from the cells it
// writes (~0.9 M per image); both a few tenths of a percent. 3 % leaves room
// for the inference part's input density (0.2 assumed, ~1 % of its time).
TEST(EstimateProgramming, ReprogrammingBaselineAgreesWithFunctional) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const QuarterRun f = run_quarter("functional", "functional");
  const QuarterRun e = run_quarter("estimate", "estimate");
  ASSERT_EQ(f.result.code, 0) << f.result.output;
  ASSERT_EQ(e.result.code, 0) << e.result.output;
  EXPECT_NE(e.net.find("\"mode\": \"estimate\""), std::string::npos);
  constexpr double kTol = 0.03;
  const std::string fr = section(f.net, "reprogramming"), er = section(e.net, "reprogramming");
  EXPECT_GT(num(fr, "groups"), 1);
  EXPECT_EQ(num(er, "groups"), num(fr, "groups"));
  // the same crossbars rewritten, the same cells changed
  EXPECT_EQ(num(er, "per_inference_crossbars"), num(fr, "per_inference_crossbars"));
  EXPECT_EQ(num(er, "cells_written"), num(fr, "cells_written"));
  for (const char* k : {"per_inference_ns", "per_inference_energy_pj", "pulses", "verify_reads"})
    EXPECT_NEAR(num(er, k), num(fr, k), kTol * num(fr, k)) << k;
  // (programming_share_of_time_percent is not compared: the load phase's
  // other work, the firmware's CRC over an image with or without its levels,
  // differs between the two)
  const std::string fe = section(f.net, "energy_per_inference_pj"), ee = section(e.net, "energy_per_inference_pj");
  EXPECT_NEAR(num(ee, "programming"), num(fe, "programming"), kTol * num(fe, "programming"));
  // the load phase programs group 0 from the reset state
  const std::string fl = section(f.net, "load"), el = section(e.net, "load");
  EXPECT_EQ(num(el, "cells_written"), num(fl, "cells_written"));
  EXPECT_NEAR(num(el, "programming_energy_pj"), num(fl, "programming_energy_pj"), kTol * num(fl, "programming_energy_pj"));
  // latency per inference, programming included
  EXPECT_NEAR(num(e.net, "per_inference_ns"), num(f.net, "per_inference_ns"), kTol * num(f.net, "per_inference_ns"));
}
