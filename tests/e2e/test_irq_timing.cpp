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

// A quantum end at which the kernel has nothing to do passes without a wait
// (Rv32Cpu::kernel_idle_until), and one run passes many of them inside the
// core (CpuBus::continue_run). When the VCD traces the CPU's signals every
// quantum end waits, as before: both runs must give the same report, for
// firmware that takes timer interrupts in a busy loop, drives the DMA and a
// tile from interrupts, and runs a network on two tiles.
void expect_same_report_with_and_without_cpu_trace(const std::string& name, const fs::path& elf,
                                                   const std::string& extra, int code = 0) {
  ASSERT_TRUE(fs::exists(elf)) << elf;
  // One scenario file for both runs (the report names it), the trace changed in place.
  const fs::path dir = scratch("quantum-" + name);
  std::string reports[2];
  for (int traced = 0; traced < 2; ++traced) {
    const fs::path sc = make_scenario(
        dir, name, elf,
        extra + "trace:\n  vcd: wave.vcd\n  signals: [" + (traced ? "cpu, " : "") + "bus, irq]\n");
    const fs::path out = dir / (traced ? "traced" : "untraced");
    const Result r = run_imcvp(sc.string() + " --quiet --output " + out.string());
    ASSERT_EQ(r.code, code) << r.output;
    reports[traced] = read_file(out / "report.json");
  }
  EXPECT_FALSE(reports[0].empty());
  EXPECT_EQ(reports[0], reports[1]);
}

TEST(IrqTiming, QuantumEndsWithoutWaitsChangeNothing) {
  expect_same_report_with_and_without_cpu_trace("irq", firmware("fault_tests/irq_instret.elf"),
                                                "limits:\n  max_instructions: 1000000\n", 1);  // exits with minstret
  expect_same_report_with_and_without_cpu_trace("tile_fc", firmware("apps/tile_fc.elf"),
                                                "accelerator:\n  tiles: 1\n  tile:\n    ideal_crossbar: true\n"
                                                "limits:\n  max_time: 1 s\n");
  expect_same_report_with_and_without_cpu_trace(
      "mlp", firmware("apps/infer.elf"),
      "platform:\n  quantum: 1 us\naccelerator:\n  tiles: 2\n  tile:\n    crossbars: 128\nnetwork:\n  onnx: " +
          (source_dir() / "networks" / "fmnist_mlp.onnx").string() +
          "\n  dataset: synthetic\n  calibration_images: 20\n  images: 3\n");
}

}  // namespace
