// End to end: the self-checking ISA tests (HTIF tohost convention) of
// firmware/isa_tests run on the platform; the deliberately failing one must
// report its failing test number as the firmware's exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

std::vector<fs::path> isa_elfs() {
  std::vector<fs::path> v;
  const fs::path dir = firmware("isa_tests");
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".elf") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// Scenario lines a test needs beyond the default platform: rv32ui_ma_data
// checks misaligned accesses that complete, so it runs with the emulation.
std::string extra_for(const std::string& name) {
  if (name == "rv32ui_ma_data") return "platform:\n  cpu:\n    misaligned: emulate\n";
  return "";
}

TEST(IsaTests, AllPass) {
  const auto elfs = isa_elfs();
  ASSERT_GE(elfs.size(), 11u) << "the ISA tests were not built under " << firmware("isa_tests");
  const fs::path dir = scratch("isa");
  for (const fs::path& elf : elfs) {
    const std::string name = elf.stem().string();
    if (name == "fail_example") continue;
    SCOPED_TRACE(name);
    const fs::path sc =
        make_scenario(dir, name, elf, "limits:\n  max_instructions: 10000000\n" + extra_for(name));
    const Result r = run_imcvp(sc.string() + " --quiet");
    EXPECT_EQ(r.code, 0) << r.output << e2e::read_file(dir / ("out-" + name) / "report.json");
  }
}

// The default (platform.cpu.misaligned: trap): the misaligned-data test's
// first misaligned load traps to its handler, and its check 1 fails.
TEST(IsaTests, MisalignedDataTrapsWithoutTheEmulation) {
  const fs::path elf = firmware("isa_tests/rv32ui_ma_data.elf");
  ASSERT_TRUE(fs::exists(elf));
  const fs::path dir = scratch("isa-ma-trap");
  const fs::path sc = make_scenario(dir, "ma_trap", elf, "platform:\n  cpu:\n    misaligned: trap\n");
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("firmware exited with code 1"), std::string::npos) << r.output;
}

TEST(IsaTests, AFailingTestReportsItsNumber) {
  const fs::path elf = firmware("isa_tests/fail_example.elf");
  ASSERT_TRUE(fs::exists(elf));
  const fs::path dir = scratch("isa-fail");
  const fs::path sc = make_scenario(dir, "fail_example", elf);
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("firmware exited with code 3"), std::string::npos) << r.output;
  const std::string report = read_file(dir / "out-fail_example" / "report.json");
  EXPECT_NE(report.find("\"firmware_exit_code\": 3"), std::string::npos) << report;
}

}  // namespace
