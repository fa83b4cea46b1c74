// End to end: firmware/apps/tile_fc on scenarios/tile_fc.yaml: the CPU
// programs tile 0, runs a 64 x 10 FC layer through the DMA and the tile with
// interrupts, and checks every output against its own integer reference.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

// The value of `key` inside the object that starts at the first `"name": {`
// after `from` ("" when absent).
std::string field_in(const std::string& json, const std::string& from, const std::string& name,
                     const std::string& key) {
  const auto f = json.find("\"" + from + "\"");
  if (f == std::string::npos) return "";
  const auto n = json.find("\"" + name + "\": {", f);
  if (n == std::string::npos) return "";
  return json_field(json.substr(n), key);
}

TEST(TileFc, TileMatchesTheCpuReference) {
  const fs::path out = scratch("tile_fc");
  const Result r =
      run_imcvp((source_dir() / "scenarios/tile_fc.yaml").string() + " --output " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("tile_fc: 10/10 outputs match the CPU reference"), std::string::npos)
      << r.output;

  const std::string vcd = read_file(out / "tile_fc.vcd");
  for (const char* sig : {"busy", "irq", "instret"})
    EXPECT_NE(vcd.find(sig), std::string::npos) << sig;
  EXPECT_EQ(r.output.find("Warning"), std::string::npos) << r.output;  // no VCD rounding warnings
  const std::string report = read_file(out / "report.json");
  EXPECT_EQ(json_field(report, "outcome"), "\"exit\"");
  EXPECT_EQ(json_field(report, "firmware_exit_code"), "0");
  // The accelerator section: one tile, the DMA's bytes, the tile's commands.
  ASSERT_NE(report.find("\"accelerator\": {"), std::string::npos) << report;
  EXPECT_EQ(field_in(report, "accelerator", "accelerator", "tiles"), "1");
  EXPECT_GT(std::stoull(field_in(report, "accelerator", "dma", "bytes")), 16384u);
  EXPECT_EQ(field_in(report, "accelerator", "tile0", "commands"), "2");
  EXPECT_EQ(field_in(report, "accelerator", "tile0", "errors"), "0");
  EXPECT_GT(std::stoull(field_in(report, "accelerator", "tile0", "pulses")), 0u);
  // Energy of the DMA and the tile's blocks in the ledger.
  EXPECT_GT(std::stod(field_in(report, "blocks", "dma", "total_pj")), 0.0);
  EXPECT_GT(std::stod(field_in(report, "blocks", "tile0.crossbar", "total_pj")), 0.0);
  EXPECT_GT(std::stod(field_in(report, "blocks", "tile0.buffer", "total_pj")), 0.0);
  EXPECT_GT(std::stod(field_in(report, "blocks", "tile0.activation", "total_pj")), 0.0);
  // The CPU slept in wfi while the DMA and the tile worked.
  EXPECT_GT(std::stoull(json_field(report, "sleep_cycles")), 0u);
}

TEST(TileFc, ReportsWithoutAnAcceleratorHaveNoAcceleratorSection) {
  const fs::path out = scratch("tile_fc_hello");
  const Result r =
      run_imcvp((source_dir() / "scenarios/hello.yaml").string() + " --output " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string report = read_file(out / "report.json");
  EXPECT_EQ(report.find("accelerator"), std::string::npos);
  EXPECT_EQ(report.find("\"dma\""), std::string::npos);
}

}  // namespace
