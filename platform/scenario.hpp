// A scenario: one runnable experiment, loaded from YAML and validated.
// Every field has one documented default (docs/scenario.md); loading rejects
// unknown keys, wrong types, bad values and missing files with a
// ScenarioError naming file:line:column and the field path.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/basisn.hpp"
#include "compiler/sme.hpp"
#include "compiler/compile.hpp"  // compiler::CompileOptions: one definition of the compile defaults
#include "models/cpu/cpu_params.hpp"
#include "models/crossbar/crossbar_params.hpp"
#include "models/noc/noc_params.hpp"
#include "models/peripherals/accumulator_params.hpp"
#include "models/peripherals/activation_unit_params.hpp"
#include "models/peripherals/shift_add_params.hpp"
#include "models/basis_scaler/basis_scaler_params.hpp"
#include "models/splice/splice_params.hpp"
#include "models/sram_comp/sram_comp_params.hpp"

namespace imcvp {

// A user error in a scenario. what() is the full one-line message:
// "<file>:<line>:<col>: <field.path>: <problem>".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MainMemoryConfig {
  uint64_t base;         // bytes; default IMCVP_RAM_BASE_DEFAULT
  uint64_t size;         // bytes; default IMCVP_RAM_SIZE_DEFAULT
  double latency_ns;     // access latency charged per non-DMI transaction
};

struct PlatformParams {
  double cpu_hz;         // CPU clock
  double timer_hz;       // CLINT mtime rate; default IMCVP_MTIME_HZ_DEFAULT
  double quantum_s;      // temporal-decoupling quantum (seconds)
  MainMemoryConfig memory;
  CpuParams cpu;         // per-instruction-class cycles and energy
};

struct LimitParams {
  double max_time_s;          // simulated seconds; run ends with an error past it
  uint64_t max_instructions;  // retired instructions; same
};

struct TraceParams {
  std::string vcd;                   // file name inside the output folder; empty = no VCD
  std::vector<std::string> signals; // groups: cpu, bus, uart, irq, accel (default: all)
  bool transactions;                 // one line per bus transaction into transactions.log
};

// The in-memory-computing accelerator: `tiles` tiles and one DMA engine.
// tiles == 0: no accelerator (nothing built, nothing reported).
// Unset fields keep the defaults of the models' own parameter structs
// (TileParams, DmaParams, CrossbarParams), applied by the platform: one
// definition of every default, and no SystemC header here.
struct AcceleratorConfig {
  unsigned tiles = 0;                        // 0..IMCVP_TILE_MAX_TILES
  // accelerator.threads: host threads of the tiles' functional window loop
  // (TileParams::threads); 0 (the default) = every hardware thread. Results
  // do not depend on it.
  unsigned threads = 0;
  std::optional<unsigned> crossbars;         // TileParams::crossbars
  std::optional<uint32_t> buffer_bytes;      // TileParams::buffer_bytes
  bool ideal_crossbar = false;               // tile.ideal_crossbar; already applied to `crossbar`
  bool estimate = false;                     // tile.mode: estimate (TileParams::estimate)
  std::optional<double> estimate_input_density;  // TileParams::estimate_input_density
  // Every crossbar macro's parameters: CrossbarParams{} with the fields set
  // under accelerator.tile.crossbar; when ideal_crossbar, ideal_crossbar() of
  // that and then those fields again (a field written always wins). Checked
  // with check_crossbar_params(). docs/scenario.md.
  CrossbarParams crossbar;
  // The output-path blocks' parameters: their structs' defaults with the
  // fields set under accelerator.tile.<block> (each block's ParamTable).
  ShiftAddParams shift_add;
  AccumulatorParams accumulator;
  ActivationParams activation;
  // accelerator.tile.sram_comp present: every tile has a SramCompensation
  // block (hybrid RRAM/SRAM) with these parameters (SramCompParams{} with the
  // fields set there; `sram_comp: {}` takes every default).
  std::optional<SramCompParams> sram_comp;
  // accelerator.tile.basis_scaler present: every tile has a BasisScaler
  // block (BasisN) with these parameters (`basis_scaler: {}`: the defaults).
  std::optional<BasisScalerParams> basis_scaler;
  // accelerator.tile.splice present: every tile has a SpliceUnit block (SME)
  // with these parameters (`splice: {}`: the defaults).
  std::optional<SpliceParams> splice;
  // accelerator.noc present: the tiles and the memory interface sit on a
  // mesh NoC and DMA bursts between them cross it (docs/noc.md). `noc_mesh`
  // is MeshParams{} with the fields set there; tile n is node n, the memory
  // interface node noc_memory_node (default: the last node).
  bool noc = false;
  MeshParams noc_mesh;
  unsigned noc_memory_node = 0;
  std::optional<unsigned> dma_burst_bytes;   // DmaParams::burst_bytes
  std::optional<double> dma_setup_ns;        // DmaParams::setup_ns
  std::optional<double> dma_burst_overhead_ns;    // DmaParams::burst_overhead_ns
  std::optional<double> dma_energy_pj_per_byte;   // DmaParams::energy_pj_per_byte
};

// Images in the Fashion-MNIST splits (the test split is what `network.images`
// counts; the training split is what calibration draws from).
constexpr uint32_t kFashionMnistTestImages = 10000;
constexpr uint32_t kFashionMnistTrainImages = 60000;
// network.dataset: synthetic (compiler::kDatasetSynthetic): seeded random
// images of the network's input shape (ImageNet-scale networks, which have
// no dataset here); at most this many (the workload memory holds fewer of
// 224 x 224 x 3).
constexpr uint32_t kSyntheticMaxImages = 100000;

// A network the firmware runs on the accelerator (the `network:` section).
struct NetworkConfig {
  bool enabled = false;              // a network: section is present (and not null)
  // onnx_path (resolved against the scenario folder), dataset_dir,
  // quant.weight_bits, quant.act_bits, quant.calibration + quant.percentile,
  // calibration_images; the other fields keep CompileOptions{}'s defaults.
  compiler::CompileOptions compile;
  uint32_t images = kFashionMnistTestImages;  // test images the firmware runs, 1..10000
  uint32_t first_image = 0;          // the first test image; first_image + images <= 10000
  bool reference = true;             // also golden (integer) and float accuracy on the same images
  // A network larger than the chip: split its layers into groups that fit
  // and rewrite the crossbars between groups (true), or fail (false).
  bool reprogram = false;
  // network.execution: latency (one image at a time) or pipelined (every
  // tile a stage, images streaming through; placement spreads the layers).
  bool pipelined = false;
  // Resolved path of a ready program image to load instead of compiling the
  // network; empty: compile.
  std::string program_image;
  // network.basisn: {count, length, coef_bits}: the network on a PCA basis
  // (BasisN; count 0: not asked for; a trained BasisN network needs none).
  compiler::BasisNOptions basisn;
  // network.sme: {nonzero_bits, squeeze_threshold}: bit-sparse weights on
  // bit-plane crossbars (docs/techniques/sme.md); needs accelerator.tile.splice
  compiler::SmeNetworkOptions sme;
};

struct Scenario {
  std::string file;        // the YAML path as given
  std::string name;        // default: the file's stem
  uint64_t seed;
  std::string firmware;    // ELF path, resolved against the scenario's folder
  PlatformParams platform;
  LimitParams limits;
  TraceParams trace;
  AcceleratorConfig accelerator;
  NetworkConfig network;
  std::string output;      // output folder, resolved against the scenario's folder
};

struct ScenarioLoadOptions {
  // Check that the firmware (and the network's ONNX file and program image)
  // are readable files, that the network's dataset folder exists, and that
  // the output path is not an existing non-folder. Off only where the files may not exist yet
  // (tests of the committed scenarios before the firmware is built).
  bool check_files = true;
};

// Loads and validates; throws ScenarioError. Fields, types, defaults and
// units: docs/scenario.md.
Scenario load_scenario(const std::string& path);
Scenario load_scenario(const std::string& path, const ScenarioLoadOptions& options);

}  // namespace imcvp
