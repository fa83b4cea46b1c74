// End to end: user errors and firmware faults end with one clear message,
// the documented exit code, never a crash, and (for runs) a written report.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

fs::path fault_elf(const std::string& name) { return firmware("fault_tests/" + name + ".elf"); }

TEST(Errors, MalformedScenarioNamesFileLineAndField) {
  const fs::path dir = scratch("err-scenario");
  const fs::path sc = dir / "bad.yaml";
  write_file(sc, "firmware: " + fault_elf("spin").string() + "\nplatform:\n  quantm: 1 us\n");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("bad.yaml:3:3: platform.quantm: unknown field 'quantm' (did you mean 'quantum'?)"),
            std::string::npos) << r.output;
}

TEST(Errors, MissingScenarioFile) {
  const Result r = run_imcvp("does/not/exist.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("does/not/exist.yaml"), std::string::npos) << r.output;
}

TEST(Errors, FirmwareThatIsNotAnElf) {
  const fs::path dir = scratch("err-elf");
  write_file(dir / "junk.elf", "this is not an ELF file");
  const fs::path sc = make_scenario(dir, "junk", dir / "junk.elf");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("junk.elf"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not an ELF"), std::string::npos) << r.output;
}

TEST(Errors, FirmwareThatDoesNotFitMainMemory) {
  const fs::path dir = scratch("err-fit");
  const fs::path sc = make_scenario(dir, "fit", firmware("apps/hello.elf"),
                                    "platform:\n  memory:\n    size: 64 KiB\n");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("platform.memory"), std::string::npos) << r.output;
}

TEST(Errors, UnmappedLoadWithoutHandlerNamesPcInstructionAndAddress) {
  const fs::path dir = scratch("err-unmapped");
  const fs::path sc = make_scenario(dir, "unmapped", fault_elf("unmapped_load"));
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("load access fault"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("at pc 0x8000000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0x00001000"), std::string::npos) << r.output;
  const std::string report = read_file(dir / "out-unmapped" / "report.json");
  EXPECT_NE(report.find("\"outcome\": \"fault\""), std::string::npos) << report;
}

TEST(Errors, IllegalInstructionWithoutTrapVector) {
  const fs::path dir = scratch("err-illegal");
  const fs::path sc = make_scenario(dir, "illegal", fault_elf("illegal"));
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("illegal instruction"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0xffffffff"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mtvec"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out-illegal" / "report.json"));
}

TEST(Errors, InstructionLimitEndsARunawayFirmware) {
  const fs::path dir = scratch("err-limit");
  const fs::path sc = make_scenario(dir, "spin", fault_elf("spin"),
                                    "limits:\n  max_instructions: 100000\n");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 4) << r.output;
  EXPECT_NE(r.output.find("max_instructions 100000"), std::string::npos) << r.output;
  const std::string report = read_file(dir / "out-spin" / "report.json");
  EXPECT_NE(report.find("\"instructions\": 100000,"), std::string::npos) << report;
}

TEST(Errors, TimeLimitEndsARunawayFirmware) {
  const fs::path dir = scratch("err-time");
  const fs::path sc = make_scenario(dir, "spin", fault_elf("spin"), "limits:\n  max_time: 1 ms\n");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 4) << r.output;
  EXPECT_NE(r.output.find("max_time"), std::string::npos) << r.output;
  const std::string report = read_file(dir / "out-spin" / "report.json");
  // Ends at the first instruction boundary at or past 1 ms (100,000 cycles).
  const uint64_t ns = std::stoull(json_field(report, "simulated_ns"));
  EXPECT_GE(ns, 1000000u);
  EXPECT_LT(ns, 1000100u);
}

TEST(Errors, CtrlCEndsTheRunAndStillWritesTheReport) {
  const fs::path dir = scratch("err-sigint");
  const fs::path sc = make_scenario(dir, "spin", fault_elf("spin"),
                                    "limits:\n  max_time: 100000 s\n  max_instructions: 1000000000000\n");
  const Result r = run("timeout --preserve-status -s INT 1 " + imcvp().string() + " run " + sc.string());
  EXPECT_EQ(r.code, 130) << r.output;
  EXPECT_NE(r.output.find("interrupted by the user"), std::string::npos) << r.output;
  const std::string report = read_file(dir / "out-spin" / "report.json");
  EXPECT_EQ(json_field(report, "outcome"), "\"interrupted\"") << report;
  EXPECT_GT(std::stoull(json_field(report, "instructions")), 0u);
}

TEST(Errors, WfiWithNothingToWakeTheCpu) {
  const fs::path dir = scratch("err-wfi");
  const fs::path sc = make_scenario(dir, "wfi", fault_elf("wfi_dead"));
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 5) << r.output;
  EXPECT_NE(r.output.find("no interrupt enabled"), std::string::npos) << r.output;
}

}  // namespace
