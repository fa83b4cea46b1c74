// Fuzz target: the scenario loader (platform/scenario.cpp, yaml_reader.cpp).
// Any input must end in a Scenario or a ScenarioError, never a crash, a
// sanitizer report, or another exception. The file checks are off: the
// paths a mutated scenario names need not exist.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "platform/scenario.hpp"

namespace {

// One scratch file per process, removed at exit.
struct ScratchFile {
  std::string path;
  ScratchFile() {
    path = (std::filesystem::temp_directory_path() /
            ("imcvp_fuzz_scenario_" + std::to_string(getpid()) + ".yaml"))
               .string();
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ScratchFile file;
  {
    std::ofstream out(file.path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  imcvp::ScenarioLoadOptions options;
  options.check_files = false;
  try {
    imcvp::load_scenario(file.path, options);
  } catch (const imcvp::ScenarioError&) {
  }
  return 0;
}
