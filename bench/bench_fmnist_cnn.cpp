// Whole-platform speed on a network: scenarios/fmnist_cnn.yaml, all 10,000
// Fashion-MNIST test images of the small CNN through the platform (the
// compiler, the firmware on the ISS, the crossbars with ADC semantics and
// the scenario's default, non-ideal device), as `imcvp run` runs it.
// Prints "name: value unit" lines.
#include <cstdio>
#include <exception>
#include <thread>

#include "bench_util.hpp"

int sc_main(int, char*[]) {
  try {
    const imcvp::bench::TimedRun t = imcvp::bench::run_scenario("fmnist_cnn");
    const imcvp::RunSummary& r = t.summary;
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_fmnist_cnn: the run did not pass: %s %s\n", r.outcome.c_str(), r.message.c_str());
      return 1;
    }
    using imcvp::bench::field;
    const double images = field(t.report, "images_done");
    std::printf("fmnist_cnn_images: %.0f images\n", images);
    std::printf("fmnist_cnn_wall_time: %.2f s\n", t.total_s);
    std::printf("fmnist_cnn_setup_time: %.2f s\n", t.setup_s);
    std::printf("fmnist_cnn_simulation_time: %.2f s\n", r.wall_s);
    std::printf("fmnist_cnn_images_per_s: %.1f images/s\n", images / t.total_s);
    std::printf("fmnist_cnn_simulated_mips: %.1f MIPS\n", r.mips);
    std::printf("fmnist_cnn_platform_accuracy: %.2f %%\n", field(t.report, "platform_percent"));
    // The scenario leaves accelerator.threads at its default: every hardware thread.
    std::printf("fmnist_cnn_host_threads: %u threads\n", std::thread::hardware_concurrency());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_fmnist_cnn: %s\n", e.what());
    return 1;
  }
  return 0;
}
