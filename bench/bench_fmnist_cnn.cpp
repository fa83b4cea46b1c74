// Whole-platform speed on a network: scenarios/fmnist_cnn.yaml, all 10,000
// Fashion-MNIST test images of the small CNN through the platform (the
// compiler, the firmware on the ISS, the crossbars with ADC semantics and
// the scenario's default, non-ideal device), as `imcvp run` runs it.
// Prints "name: value unit" lines.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

#include <systemc>

#include "platform/platform.hpp"
#include "platform/scenario.hpp"

namespace {
// A number after "key": in the report (the first occurrence).
double field(const std::string& json, const std::string& key) {
  const auto k = json.find("\"" + key + "\": ");
  return k == std::string::npos ? -1.0 : std::atof(json.c_str() + k + key.size() + 4);
}
}  // namespace

int sc_main(int, char*[]) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const char* src = std::getenv("IMCVP_SOURCE_DIR");
  const char* bld = std::getenv("IMCVP_BUILD_DIR");
  const std::string scenario = std::string(src ? src : ".") + "/scenarios/fmnist_cnn.yaml";
  try {
    const auto t0 = std::chrono::steady_clock::now();
    imcvp::Scenario s = imcvp::load_scenario(scenario);
    imcvp::RunOptions opt;
    opt.output_override = std::string(bld ? bld : "build") + "/bench-out/fmnist_cnn";
    imcvp::Platform platform(s, opt);  // compiles the network, reads the images
    const auto t1 = std::chrono::steady_clock::now();
    const imcvp::RunSummary r = platform.run();
    const auto t2 = std::chrono::steady_clock::now();
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_fmnist_cnn: the run did not pass: %s %s\n", r.outcome.c_str(), r.message.c_str());
      return 1;
    }
    std::ifstream f(r.report_path);
    std::stringstream json;
    json << f.rdbuf();
    const double images = field(json.str(), "images_done");
    const double total = std::chrono::duration<double>(t2 - t0).count();
    std::printf("fmnist_cnn_images: %.0f images\n", images);
    std::printf("fmnist_cnn_wall_time: %.2f s\n", total);
    std::printf("fmnist_cnn_setup_time: %.2f s\n", std::chrono::duration<double>(t1 - t0).count());
    std::printf("fmnist_cnn_simulation_time: %.2f s\n", r.wall_s);
    std::printf("fmnist_cnn_images_per_s: %.1f images/s\n", images / total);
    std::printf("fmnist_cnn_simulated_mips: %.1f MIPS\n", r.mips);
    std::printf("fmnist_cnn_platform_accuracy: %.2f %%\n", field(json.str(), "platform_percent"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_fmnist_cnn: %s\n", e.what());
    return 1;
  }
  return 0;
}
