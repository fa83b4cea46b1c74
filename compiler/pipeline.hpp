// The compiler pipeline: a list of named passes over one IR, the one path
// from an ONNX file to a program image that `imcvp compile` and `imcvp run`
// both take. The IR is the QuantizedNetwork (CompileState::report.network)
// whose layers carry attributes (Layer::attrs, layer_attrs.hpp); a technique
// is one more pass inserted into the list (insert_pass_after), which sets
// those attributes. docs/compiler.md "The pipeline", docs/contributing.md
// "Adding a pass".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/basisn.hpp"
#include "compiler/sme.hpp"
#include "compiler/compile.hpp"
#include "compiler/image_lowering.hpp"
#include "compiler/memory_plan.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"

namespace imcvp::compiler {

// Everything a scenario's network: section (and the chip) sets for the
// compiler, and every option of `imcvp compile`.
struct PipelineOptions {
  // onnx, dataset (or synthetic + seed), calibration_images, eval_images,
  // weight_bits, act_bits, percentile, input normalisation
  CompileOptions compile;
  // The chip; tiles == 0: no back end (import to evaluate only).
  ChipResources chip;
  // reprogram (network.reprogram), spread (network.execution: pipelined)
  PlacementOptions placement;
  // levels (false: accelerator.tile.mode estimate), reuse_buffers (false
  // for a pipeline)
  ImageOptions image;
  // network.basisn: any network on a PCA basis (a trained BasisN network
  // brings its own basis in its metadata)
  BasisNOptions basisn;
  // network.sme: bit-sparse quantization and bit-plane crossbars (SME)
  SmeNetworkOptions sme;
};

// What the passes read and write, in pass order.
struct CompileState {
  PipelineOptions options;
  FloatNetwork float_network;    // import -> quantize (moved into report.network)
  CompileReport report;          // report.network: the IR from quantize on
  Placement placement;           // place
  std::vector<LoweredLayer> lowered;                 // lower
  std::vector<std::vector<ImageProgram>> programs;   // layout-weights: per tile
  ProgramImage image;            // plan-memory (with the programs)
  std::vector<std::uint8_t> image_bytes;             // serialize
  std::vector<std::string> passes_run;               // names, in order
  const QuantizedNetwork& network() const { return report.network; }
  QuantizedNetwork& network() { return report.network; }
};

struct Pass {
  std::string name;
  std::function<void(CompileState&)> run;
};

// A pass failed: the message is the pass's own error (a CompileError's text,
// unchanged); `pass` names the pass.
class PassError : public CompileError {
 public:
  PassError(std::string pass, const std::string& message) : CompileError(message), pass(std::move(pass)) {}
  std::string pass;
};

// import, hybrid-fuse, quantize, hybrid-quantize (both no-ops without
// hybrid RRAM/SRAM pairs, compiler/hybrid.hpp), basisn (a no-op unless the
// network or options.basisn ask for BasisN, compiler/basisn.hpp), evaluate
// (when compile.eval_images > 0), then with a chip (chip.tiles > 0): place
// (place_basisn for a BasisN network), lower, layout-weights (with the
// basis crossbars), plan-memory, serialize.
std::vector<Pass> default_passes(const PipelineOptions& options);

// Insert `pass` right after the pass named `after`; throws CompileError when
// there is none. Remove the pass named `name` (if present).
void insert_pass_after(std::vector<Pass>& passes, const std::string& after, Pass pass);
void remove_pass(std::vector<Pass>& passes, const std::string& name);
// The passes up to and including `last`, and those after it.
std::vector<Pass> passes_through(const std::vector<Pass>& passes, const std::string& last);
std::vector<Pass> passes_after(const std::vector<Pass>& passes, const std::string& last);

// Runs `passes` in order on `state` (timing import, quantize and evaluate into
// the report); an exception of a pass becomes a PassError naming it. A stop
// request (options.compile.stop set, checked before each pass and inside the
// long loops) ends it with CompileInterrupted naming the pass instead.
void run_passes(CompileState& state, const std::vector<Pass>& passes);
// A fresh state from `options` through default_passes(options) (or `passes`).
CompileState run_pipeline(const PipelineOptions& options);
CompileState run_pipeline(const PipelineOptions& options, const std::vector<Pass>& passes);

}  // namespace imcvp::compiler
