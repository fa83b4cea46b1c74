// What the whole-platform benchmarks share: run a committed scenario as
// `imcvp run` does, timed, with its report read back.
#pragma once
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <systemc>

#include "platform/platform.hpp"
#include "platform/scenario.hpp"

namespace imcvp::bench {

// A number after "key": in a JSON report (the first occurrence), -1 if absent.
inline double field(const std::string& json, const std::string& key) {
  const auto k = json.find("\"" + key + "\": ");
  return k == std::string::npos ? -1.0 : std::atof(json.c_str() + k + key.size() + 4);
}

struct TimedRun {
  RunSummary summary;
  std::string report;    // report.json
  double setup_s = 0;    // loading the scenario, compiling the network, building the platform
  double total_s = 0;    // setup and simulation
};

// Runs scenarios/<name>.yaml of IMCVP_SOURCE_DIR with its output under
// IMCVP_BUILD_DIR/bench-out/<name>. Throws on a bad scenario.
inline TimedRun run_scenario(const std::string& name) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const char* src = std::getenv("IMCVP_SOURCE_DIR");
  const char* bld = std::getenv("IMCVP_BUILD_DIR");
  TimedRun t;
  const auto t0 = std::chrono::steady_clock::now();
  Scenario s = load_scenario(std::string(src ? src : ".") + "/scenarios/" + name + ".yaml");
  RunOptions opt;
  opt.output_override = std::string(bld ? bld : "build") + "/bench-out/" + name;
  Platform platform(s, opt);
  const auto t1 = std::chrono::steady_clock::now();
  t.summary = platform.run();
  const auto t2 = std::chrono::steady_clock::now();
  t.setup_s = std::chrono::duration<double>(t1 - t0).count();
  t.total_s = std::chrono::duration<double>(t2 - t0).count();
  std::ifstream f(t.summary.report_path);
  std::stringstream json;
  json << f.rdbuf();
  t.report = json.str();
  return t;
}

}  // namespace imcvp::bench
