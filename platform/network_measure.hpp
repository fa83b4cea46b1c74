// What a NetworkRun measures. While the firmware runs: the phase marks
// (IMCVP_MARK_*, imcvp/memory_map.h) with the time, the energy by category
// (Breakdown) and the tiles' programming so far (ProgramSnapshot) at each,
// and the latency of each image (NetworkMarks). After the run: the
// firmware's result records against the labels and the references, and
// the tiles' time per network layer (NetworkResults).
// docs/accelerator.md "Running a network".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "models/crossbar/crossbar_array.hpp"
#include "models/energy/energy_ledger.hpp"

namespace imcvp {

class Tile;
struct NetworkBuild;

// The energy breakdown of the report by the category each charge names
// (docs/accelerator.md "Running a network"): the platform's categories in
// this order, then any other a block names, in the order first charged.
class Breakdown {
 public:
  Breakdown();
  // A ledger's charges by category (a charge naming none: "other").
  static Breakdown of(const EnergyLedger& l);
  double& operator[](const std::string& category);
  double at(const std::string& category) const;
  const std::vector<std::pair<std::string, double>>& entries() const { return v_; }
  // this - b, category by category (this one's categories first)
  Breakdown minus(const Breakdown& b) const;
  double total() const;

 private:
  std::vector<std::pair<std::string, double>> v_;
};

// The tiles' programming so far: PROGRAM commands and their cost.
struct ProgramSnapshot {
  uint64_t commands = 0;  // crossbars programmed
  double busy_ns = 0;     // the tiles' PROGRAM time (reading the staged levels included)
  ProgramStats st;        // the crossbars' write-and-verify
  static ProgramSnapshot of(const std::vector<const Tile*>& tiles);
};
ProgramSnapshot operator-(const ProgramSnapshot& a, const ProgramSnapshot& b);

// The phase marks and the figures of the phases between them.
struct NetworkMarks {
  // A MARK write at `at`; `l`: the energy ledger then (null for IMAGE_END).
  void record(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* l);
  // After the run, with the tiles built: a firmware that stopped early has
  // its phases end with the run (`ledger`: the run's final energy).
  void finish(const std::vector<const Tile*>& run_tiles, const EnergyLedger& ledger);

  // --- figures ---
  double infer_ns() const;
  double per_inference_ns() const;
  double load_ns() const;
  Breakdown infer_energy() const;
  Breakdown load_energy() const;
  // per inference: the inference phase, plus programming spread over the images run
  Breakdown per_inference_energy() const;

  std::optional<sc_core::sc_time> t_load, t_infer, t_end, t_last_image;
  std::optional<Breakdown> e_load, e_infer, e_end;
  std::vector<const Tile*> tiles;  // read for their programming figures
  ProgramSnapshot p_load, p_infer, p_end;
  uint64_t image_marks = 0;
  double lat_min_ns = 0, lat_max_ns = 0;
  double first_image_ns = 0;  // INFER_BEGIN to the first IMAGE_END
};

// One network layer: the sums over its slices (one unless it is split over
// reprogramming groups), per inference.
struct LayerRow {
  std::string name, kind;
  unsigned tile = 0, crossbars = 0, slices = 0;
  double ns = 0, mvms = 0;
};

// The firmware's results and the tiles' time per layer.
struct NetworkResults {
  // Reads the result records from the workload memory (`memory`,
  // build.workload.size() bytes); the references must be joined.
  void read(const NetworkBuild& build, const uint8_t* memory, const std::vector<const Tile*>& tiles,
            double run_cpu_hz);

  uint64_t done = 0, correct = 0, golden_correct = 0, float_correct = 0, same_pred = 0, same_logits = 0;
  std::vector<LayerRow> layers;
  double cpu_hz = 0;
  double tile_clock_ns = 1;
};

}  // namespace imcvp
