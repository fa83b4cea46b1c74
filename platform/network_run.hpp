// NetworkRun: a scenario's `network:` section on the platform. Before the
// simulation it compiles the network (import, quantize, place on the chip,
// program image), reads the test images and lays out the workload memory
// (imcvp/workload.h) the firmware runtime reads; while the firmware runs it
// records the phase marks (IMCVP_SIMCTRL_MARK) with time and energy; after
// the run it reads the firmware's result records and reports accuracy,
// latency per inference and per layer, energy per inference by block, EDP
// and crossbar utilisation. The golden (integer) and float references run
// in a second host thread alongside the simulation.
// The work is split by job: platform/network_build.hpp (compile, images,
// workload, references), platform/network_measure.hpp (marks, energy by
// category, results) and platform/network_report.hpp (JSON, table, CSV).
// docs/accelerator.md "Running a network".
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <systemc>

#include "imcvp/memory_map.h"
#include "models/energy/energy_ledger.hpp"
#include "platform/json_writer.hpp"
#include "platform/scenario.hpp"

namespace imcvp {

class Tile;
namespace compiler {
struct ChipResources;
}

// The columns of summary.csv (one definition; platform/compare.cpp checks it).
extern const char* const kSummaryHeader;

class NetworkRun {
 public:
  // Throws PlatformError naming the scenario field (network.onnx, ...) on a
  // network the compiler rejects or the chip cannot hold; passes on
  // compiler::CompileInterrupted when `stop` (not owned, may be null) is set
  // during the compile.
  NetworkRun(const Scenario& sc, const compiler::ChipResources& chip, const std::atomic<bool>* stop = nullptr);
  ~NetworkRun();
  NetworkRun(const NetworkRun&) = delete;
  NetworkRun& operator=(const NetworkRun&) = delete;

  // The tiles, once built: the marks read their programming figures.
  void set_tiles(std::vector<const Tile*> tiles);

  // The workload memory's initial contents; its size is a multiple of 4 KiB.
  const std::vector<uint8_t>& workload() const;

  // A MARK write at `at`. `snapshot` returns the energy ledger at that
  // instant (all blocks, the CPU's instructions so far included); it is
  // called only for the phase marks, not for every image.
  template <typename Snapshot>
  void mark(uint32_t m, const sc_core::sc_time& at, Snapshot&& snapshot);

  // After the simulation: reads the result records from the workload memory
  // (`memory`, workload().size() bytes), joins the reference thread and
  // gathers the tiles' figures. `ledger`: the run's final energy (a run that
  // ended before the INFER_END mark is measured up to its last image).
  void finish(const uint8_t* memory, const std::vector<const Tile*>& tiles, double cpu_hz,
              const EnergyLedger& ledger);

  void write_json(JsonWriter& j) const;
  // The readable table (terminal and report.txt).
  void print_table(std::ostream& out) const;
  // summary.csv: a header line and one row of the run's headline figures
  // (platform/compare.hpp reads and joins them).
  void write_summary_csv(std::ostream& out, const std::string& scenario) const;

 private:
  void record_mark(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* ledger);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename Snapshot>
void NetworkRun::mark(uint32_t m, const sc_core::sc_time& at, Snapshot&& snapshot) {
  if (m == IMCVP_MARK_IMAGE_END) {
    record_mark(m, at, nullptr);
  } else {
    const EnergyLedger l = snapshot();
    record_mark(m, at, &l);
  }
}

}  // namespace imcvp
