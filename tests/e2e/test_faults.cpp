// End to end: firmware that provokes every trap class and handles it.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

TEST(Faults, EveryTrapClassIsHandledAsExpected) {
  const fs::path out = scratch("faults");
  const Result r = run_imcvp((source_dir() / "scenarios/faults.yaml").string() + " --output " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("trap classes handled as expected"), std::string::npos) << r.output;
  // The timer interrupt was taken while the CPU slept in wfi.
  const std::string report = read_file(out / "report.json");
  EXPECT_EQ(report.find("\"sleep_cycles\": 0,"), std::string::npos) << report;
}
