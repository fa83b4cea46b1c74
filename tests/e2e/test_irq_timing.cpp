// End to end: a timer interrupt taken in the middle of a busy loop, on the
// whole platform (CPU module, quantum, CLINT deadline). The firmware
// (firmware/fault_tests/irq_instret.S) exits from its trap handler with
// minstret as the exit code, so this pins the instruction boundary at which
// the interrupt is taken: the number below was measured with the
// per-instruction interpreter, before the ISS executed decoded blocks.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

TEST(IrqTiming, TimerInterruptIsTakenAtTheSameRetiredInstruction) {
  const fs::path elf = firmware("fault_tests/irq_instret.elf");
  ASSERT_TRUE(fs::exists(elf)) << elf;
  const fs::path dir = scratch("irq-timing");
  const fs::path sc = make_scenario(dir, "irq_instret", elf, "limits:\n  max_instructions: 1000000\n");
  const Result r = run_imcvp(sc.string() + " --quiet");
  const std::string report = read_file(dir / "out-irq_instret" / "report.json");
  // minstret read by the handler's first instruction
  EXPECT_EQ(json_field(report, "firmware_exit_code"), "3580") << r.output << report;
  EXPECT_EQ(json_field(report, "instructions"), "3586") << report;
}

}  // namespace
