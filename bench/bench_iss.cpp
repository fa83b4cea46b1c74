// ISS speed: the CPU-bound integer kernel (firmware/apps/intbench) on the
// whole platform in loosely-timed mode, as `imcvp run` would run it.
// Prints "name: value unit" lines: MIPS over the run's wall time, and over
// the process's CPU time (what the QEMU comparison of scripts/bench uses:
// the machine may be shared, and both are timed on CPU time).
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <systemc>

#include "platform/platform.hpp"
#include "platform/scenario.hpp"

int sc_main(int, char*[]) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const char* src = std::getenv("IMCVP_SOURCE_DIR");
  const char* bld = std::getenv("IMCVP_BUILD_DIR");
  const std::string scenario = std::string(src ? src : ".") + "/scenarios/intbench.yaml";
  try {
    imcvp::Scenario s = imcvp::load_scenario(scenario);
    imcvp::RunOptions opt;
    opt.output_override = std::string(bld ? bld : "build") + "/bench-out/intbench";
    imcvp::Platform platform(s, opt);
    const std::clock_t cpu0 = std::clock();
    const imcvp::RunSummary r = platform.run();
    const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_iss: intbench did not pass: %s %s\n", r.outcome.c_str(), r.message.c_str());
      return 1;
    }
    std::printf("iss_intbench_mips: %.1f MIPS\n", r.mips);
    if (cpu_s > 0)
      std::printf("iss_intbench_cpu_mips: %.1f MIPS\n", static_cast<double>(r.instructions) / cpu_s / 1e6);
    std::printf("iss_intbench_instructions: %llu instructions\n",
                static_cast<unsigned long long>(r.instructions));
    std::printf("iss_intbench_wall_time: %.3f s\n", r.wall_s);
    std::printf("iss_intbench_simulated_time: %.3f ms\n", r.simulated_s * 1e3);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_iss: %s\n", e.what());
    return 1;
  }
  return 0;
}
