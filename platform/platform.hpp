// Platform: assembles the modelled system from a Scenario (CPU, bus,
// memory, CLINT, UART, sim-control), loads the firmware, runs it, and
// writes the report, the VCD and the logs into the output folder.
#pragma once
#include <atomic>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>

#include "platform/scenario.hpp"

namespace imcvp {

// A user error found while building the platform (the firmware does not fit
// the memory map, a symbol is misplaced, the VCD cannot be written...).
class PlatformError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  int gdb_port = -1;             // >= 0: serve GDB on 127.0.0.1:port (0 = any free port)
  std::string output_override;   // non-empty: replaces the scenario's output folder
  std::ostream* console = nullptr;  // where the firmware's UART output goes live (null: nowhere)
  std::ostream* summary = nullptr;  // where the human summary goes (null: nowhere)
};

// The figures of a finished run (also written to report.json).
struct RunSummary {
  int exit_code = 0;           // the imcvp command's exit code (platform/exit_codes.hpp)
  std::string outcome;         // exit | fault | limit | stalled | killed
  uint32_t firmware_exit = 0;  // the firmware's own exit code, when outcome is exit
  std::string message;         // what went wrong, if anything
  std::string report_path;
  std::string vcd_path;        // empty when no VCD was asked for
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  double simulated_s = 0;
  double wall_s = 0;
  double mips = 0;
  double energy_pj = 0;
  std::string uart_output;
  std::string network_table;   // the network run's readable table (empty without a network)
};

class Platform {
 public:
  // Builds the SystemC modules. Call once per process (SystemC elaborates once).
  Platform(const Scenario& scenario, const RunOptions& options);
  ~Platform();
  // Runs to the end and writes the outputs.
  RunSummary run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "<file>:<line>:<col>: <field>: <problem>" for a problem found after the
// scenario was loaded (field: "output", "network.program_image"...), the
// position that of the field in the scenario file (left out when the field
// is not written there), like the loader's ScenarioError messages.
std::string scenario_field_message(const Scenario& sc, const std::string& field, const std::string& problem);

// The stop request of a run: installs the handlers of SIGINT, SIGTERM,
// SIGHUP and SIGPIPE (a Platform installs them itself; again is harmless)
// and returns the flag they set, for `imcvp compile` to hand the compiler
// (compiler::CompileOptions::stop).
const std::atomic<bool>* install_stop_signals();
// The first stop signal received, in words ("SIGINT (ctrl-C)"; empty: none).
std::string stop_signal_received();

// Prints the human summary of a run.
void print_summary(std::ostream& out, const Scenario& scenario, const RunSummary& s);

}  // namespace imcvp
