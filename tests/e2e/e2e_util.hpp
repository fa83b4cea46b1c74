// Helpers for end-to-end tests: they run the real `imcvp` command on real
// scenarios and firmware, and read what it wrote.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace e2e {

namespace fs = std::filesystem;

inline fs::path source_dir() {
  const char* s = std::getenv("IMCVP_SOURCE_DIR");
  return s ? fs::path(s) : fs::current_path();
}
inline fs::path build_dir() {
  const char* s = std::getenv("IMCVP_BUILD_DIR");
  return s ? fs::path(s) : source_dir() / "build";
}
inline fs::path imcvp() { return build_dir() / "imcvp"; }
inline fs::path firmware(const std::string& rel) { return build_dir() / "firmware" / rel; }

// A fresh folder for one test's files, inside the build tree.
inline fs::path scratch(const std::string& name) {
  const fs::path p = build_dir() / "e2e-scratch" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

struct Result {
  int code = -1;       // exit code
  std::string output;  // stdout and stderr together
};

inline Result run(const std::string& command) {
  Result r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `imcvp run ARGS`
inline Result run_imcvp(const std::string& args) { return run(imcvp().string() + " run " + args); }

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

// A scenario for a firmware ELF, with extra YAML appended.
inline fs::path make_scenario(const fs::path& dir, const std::string& name, const fs::path& elf,
                              const std::string& extra = "") {
  const fs::path p = dir / (name + ".yaml");
  write_file(p, "name: " + name + "\nfirmware: " + elf.string() + "\noutput: " +
                    (dir / ("out-" + name)).string() + "\n" + extra);
  return p;
}

// The text of the first value named `key` in a JSON report (flat lookup).
inline std::string json_field(const std::string& json, const std::string& key) {
  const auto k = json.find("\"" + key + "\": ");
  if (k == std::string::npos) return "";
  const auto start = k + key.size() + 4;
  const auto end = json.find_first_of(",\n", start);
  return json.substr(start, end - start);
}

// The Fashion-MNIST data (Debian's dataset-fashion-mnist) is installed.
inline bool have_data() { return fs::exists("/usr/share/datasets/fashion-mnist"); }

// The number named `key` in a JSON report (json_field); a test failure, and
// NaN, when there is none.
inline double num(const std::string& json, const std::string& key) {
  const std::string v = json_field(json, key);
  if (v.empty()) ADD_FAILURE() << "no " << key << " in " << json.substr(0, 400);
  return v.empty() ? NAN : std::stod(v);
}

// A run of the infer firmware on the scenario `body` (its network: and
// accelerator: sections and more) in `dir`: the command's result, the
// report's network section (from "network": { on; empty when the run
// failed) and the output folder.
struct NetRun {
  Result result;
  std::string net;
  fs::path out;
};
inline NetRun run_network(const fs::path& dir, const std::string& name, const std::string& body) {
  const fs::path sc = make_scenario(dir, name, firmware("apps/infer.elf"), body);
  NetRun r{run_imcvp(sc.string() + " --quiet"), "", dir / ("out-" + name)};
  if (r.result.code == 0) {
    const std::string report = read_file(r.out / "report.json");
    const auto at = report.find("\"network\": {");
    if (at != std::string::npos) r.net = report.substr(at);
  }
  return r;
}

}  // namespace e2e
