// End to end: the hello firmware on the default scenario: its output, the
// report's figures, the VCD, and byte-for-byte reproducibility.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

TEST(Hello, PrintsThroughTheUartAndReportsTheRun) {
  const fs::path out = scratch("hello");
  const Result r = run_imcvp((source_dir() / "scenarios/hello.yaml").string() + " --output " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Hello from imcvp"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("simulated MIPS"), std::string::npos) << r.output;

  const std::string report = read_file(out / "report.json");
  EXPECT_EQ(json_field(report, "outcome"), "\"exit\"");
  EXPECT_EQ(json_field(report, "firmware_exit_code"), "0");
  const uint64_t instructions = std::stoull(json_field(report, "instructions"));
  const uint64_t cycles = std::stoull(json_field(report, "cycles"));
  EXPECT_GT(instructions, 1000u);
  EXPECT_GE(cycles, instructions);  // every class costs at least one cycle
  // The simulated time is the cycle count at the CPU clock of the scenario (100 MHz).
  EXPECT_EQ(std::stoull(json_field(report, "simulated_ns")), cycles * 10);
  // The UART output in the report is what the firmware printed.
  EXPECT_EQ(read_file(out / "uart.log").find("Hello from imcvp"), 0u);
  EXPECT_GT(std::stod(json_field(report, "total_pj")), 0.0);

  const std::string host = read_file(out / "host.json");
  EXPECT_GT(std::stod(json_field(host, "simulated_mips")), 0.0);

  const std::string vcd = read_file(out / "hello.vcd");
  for (const char* sig : {"instret", "sleeping", "transactions", "tx_byte", "mtip"})
    EXPECT_NE(vcd.find(sig), std::string::npos) << sig;
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
}

TEST(Hello, SameScenarioGivesTheSameReportAndVcdByteForByte) {
  const fs::path a = scratch("hello-a"), b = scratch("hello-b");
  const std::string scenario = (source_dir() / "scenarios/hello.yaml").string();
  ASSERT_EQ(run_imcvp(scenario + " --quiet --output " + a.string()).code, 0);
  ASSERT_EQ(run_imcvp(scenario + " --quiet --output " + b.string()).code, 0);
  const std::string ra = read_file(a / "report.json"), rb = read_file(b / "report.json");
  ASSERT_FALSE(ra.empty());
  EXPECT_EQ(ra, rb);
  const std::string va = read_file(a / "hello.vcd"), vb = read_file(b / "hello.vcd");
  ASSERT_FALSE(va.empty());
  EXPECT_EQ(va, vb);
}

TEST(Hello, HelpExplainsEveryOption) {
  const Result top = run(imcvp().string() + " --help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.output.find("Exit codes"), std::string::npos);
  const Result help = run(imcvp().string() + " run --help");
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--gdb", "--output", "--quiet"})
    EXPECT_NE(help.output.find(opt), std::string::npos) << opt;
  const Result bad = run(imcvp().string() + " run --frobnicate x.yaml");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--frobnicate"), std::string::npos);
}

}  // namespace
