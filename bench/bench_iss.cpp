// ISS speed: the CPU-bound integer kernel (firmware/apps/intbench) on the
// whole platform in loosely-timed mode, as `imcvp run` would run it.
// Prints "name: value unit" lines.
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
    const imcvp::RunSummary r = platform.run();
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_iss: intbench did not pass: %s %s\n", r.outcome.c_str(), r.message.c_str());
      return 1;
    }
    std::printf("iss_intbench_mips: %.1f MIPS\n", r.mips);
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
