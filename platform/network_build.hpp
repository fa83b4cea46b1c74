// NetworkBuild: what a NetworkRun prepares before the simulation. It
// compiles the scenario's network through the compiler pipeline (import,
// quantize, place on the chip, program image, or reads network.program_image),
// reads the test images, lays out the workload memory (imcvp/workload.h) the
// firmware runtime reads, and runs the golden (integer) and float references
// in a second host thread alongside the simulation.
// docs/accelerator.md "Running a network".
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "compiler/compile.hpp"
#include "compiler/fmnist.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"
#include "imcvp/workload.h"
#include "platform/scenario.hpp"

namespace imcvp {

struct NetworkBuild {
  // Throws PlatformError naming the scenario field (network.onnx, ...) on a
  // network the compiler rejects or the chip cannot hold; passes on
  // compiler::CompileInterrupted when `stop` (not owned, may be null) is set
  // during the compile.
  NetworkBuild(const Scenario& s, const compiler::ChipResources& chip, const std::atomic<bool>* stop = nullptr);
  ~NetworkBuild();  // joins the reference thread
  NetworkBuild(const NetworkBuild&) = delete;
  NetworkBuild& operator=(const NetworkBuild&) = delete;

  // Waits for the references (golden_logits, golden_pred, float_pred).
  void join_references();
  // The references are needed for the first `n` images only (a run that
  // ended early, e.g. interrupted): the thread stops there instead of
  // going through every image. Call before join_references().
  void limit_references(size_t n) { reference_limit_.store(n); }

  const Scenario& sc;
  const NetworkConfig& cfg;
  compiler::CompileReport compiled;
  compiler::Placement placement;
  compiler::ProgramImage image;
  compiler::ImageSet images;  // the scenario's test images only
  std::vector<uint8_t> workload;
  imcvp_workload header{};
  unsigned classes = 0;
  uint64_t cells_used = 0;  // cells holding weights, over every layer
  bool estimate = false;    // accelerator.tile.mode: estimate

  // the references, once joined: images x classes logits, a prediction per image
  std::vector<int32_t> golden_logits;
  std::vector<int> golden_pred, float_pred;

 private:
  void run_references();
  std::atomic<size_t> reference_limit_{SIZE_MAX};
  std::thread reference_thread_;
};

}  // namespace imcvp
