// ResNet-50 at 224 x 224 in performance estimation (issue 4's benchmark:
// one inference in at most 10 s): scenarios/imagenet_resnet50.yaml as
// `imcvp run` runs it, from importing the 102 MB ONNX file (made by
// scripts/gen_networks) to the report. Prints "name: value unit" lines.
#include <cstdio>
#include <exception>

#include "bench_util.hpp"

int sc_main(int, char*[]) {
  try {
    const imcvp::bench::TimedRun t = imcvp::bench::run_scenario("imagenet_resnet50");
    const imcvp::RunSummary& r = t.summary;
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_resnet50: the run did not pass: %s %s\n", r.outcome.c_str(), r.message.c_str());
      return 1;
    }
    using imcvp::bench::field;
    std::printf("resnet50_estimate_wall_time: %.2f s\n", t.total_s);
    std::printf("resnet50_estimate_setup_time: %.2f s\n", t.setup_s);
    std::printf("resnet50_estimate_simulation_time: %.2f s\n", r.wall_s);
    std::printf("resnet50_estimate_latency: %.3f ms\n", field(t.report, "per_inference_ns") * 1e-6);
    const std::string e = t.report.substr(t.report.find("\"energy_per_inference_pj\""));
    std::printf("resnet50_estimate_energy: %.1f uJ\n", field(e, "total") * 1e-6);
    std::printf("resnet50_crossbars: %.0f crossbars\n", field(t.report, "network_needs"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_resnet50: %s\n", e.what());
    return 1;
  }
  return 0;
}
