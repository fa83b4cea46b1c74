#include "compiler/pipeline.hpp"

#include <algorithm>
#include <chrono>

#include "compiler/hybrid.hpp"
#include "compiler/weight_layout.hpp"

namespace imcvp::compiler {

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<Pass>::const_iterator find_pass(const std::vector<Pass>& passes, const std::string& name) {
  const auto it = std::find_if(passes.begin(), passes.end(), [&](const Pass& p) { return p.name == name; });
  if (it == passes.end()) {
    std::string names;
    for (const Pass& p : passes) names += (names.empty() ? "" : ", ") + p.name;
    throw CompileError("no compiler pass named '" + name + "' (passes: " + names + ")");
  }
  return it;
}

void import_pass(CompileState& s) {
  const auto t0 = std::chrono::steady_clock::now();
  s.float_network = import_network(s.options.compile);
  s.report.dataset = s.options.compile.dataset;
  s.report.import_seconds = since(t0);
}

void quantize_pass(CompileState& s) {
  const auto t0 = std::chrono::steady_clock::now();
  s.report.network = quantize_network(std::move(s.float_network), s.options.compile, s.report.calibration_images);
  s.report.quantize_seconds = since(t0);
}

void evaluate_pass(CompileState& s) {
  const auto t0 = std::chrono::steady_clock::now();
  s.report.accuracy = evaluate_network(s.report.network, s.options.compile);
  s.report.evaluate_seconds = since(t0);
}

void place_pass(CompileState& s) {
  s.placement = is_basisn(s.network()) ? place_basisn(s.network(), s.options.chip)
                : is_sme(s.network())  ? place_sme(s.network(), s.options.chip, s.options.sme)
                                       : place(s.network(), s.options.chip, s.options.placement);
}

void lower_pass(CompileState& s) { s.lowered = lower_network(s.network(), s.placement); }

void layout_weights_pass(CompileState& s) {
  s.programs = layout_weights(s.network(), s.placement, s.options.image.levels, s.options.compile.stop);
  basisn_programs(s);
  sme_programs(s);
}

void plan_memory_pass(CompileState& s) {
  MemoryPlan plan = plan_memory(s.network(), s.placement, std::move(s.lowered), s.options.image);
  s.lowered.clear();
  s.image = assemble_program_image(s.network(), s.placement, s.options.image, std::move(s.programs), std::move(plan));
  s.programs.clear();
}

void serialize_pass(CompileState& s) { s.image_bytes = serialize_program_image(s.image); }

}  // namespace

std::vector<Pass> default_passes(const PipelineOptions& o) {
  // hybrid-fuse and hybrid-quantize do nothing without the model's
  // "imcvp.hybrid.pairs" metadata (compiler/hybrid.hpp)
  std::vector<Pass> p{{"import", import_pass},
                      {"hybrid-fuse", hybrid_fuse_pass},
                      {"quantize", quantize_pass},
                      {"hybrid-quantize", hybrid_quantize_pass},
                      {"basisn", basisn_pass},
                      {"sme", sme_pass}};
  if (o.compile.eval_images > 0) p.push_back({"evaluate", evaluate_pass});
  if (o.chip.tiles > 0) {
    p.push_back({"place", place_pass});
    p.push_back({"lower", lower_pass});
    p.push_back({"layout-weights", layout_weights_pass});
    p.push_back({"plan-memory", plan_memory_pass});
    p.push_back({"serialize", serialize_pass});
  }
  return p;
}

void insert_pass_after(std::vector<Pass>& passes, const std::string& after, Pass pass) {
  const auto at = find_pass(passes, after) - passes.begin();
  passes.insert(passes.begin() + at + 1, std::move(pass));
}

void remove_pass(std::vector<Pass>& passes, const std::string& name) {
  passes.erase(std::remove_if(passes.begin(), passes.end(), [&](const Pass& p) { return p.name == name; }),
               passes.end());
}

std::vector<Pass> passes_through(const std::vector<Pass>& passes, const std::string& last) {
  return std::vector<Pass>(passes.begin(), find_pass(passes, last) + 1);
}

std::vector<Pass> passes_after(const std::vector<Pass>& passes, const std::string& last) {
  return std::vector<Pass>(find_pass(passes, last) + 1, passes.end());
}

void run_passes(CompileState& state, const std::vector<Pass>& passes) {
  for (const Pass& p : passes) {
    try {
      throw_if_stopped(state.options.compile.stop);  // before each pass, and the passes' long loops
      p.run(state);
    } catch (const CompileInterrupted& e) {
      if (!e.pass.empty()) throw;
      throw CompileInterrupted(p.name);
    } catch (const PassError&) {
      throw;
    } catch (const std::exception& e) {
      throw PassError(p.name, e.what());
    }
    state.passes_run.push_back(p.name);
  }
}

CompileState run_pipeline(const PipelineOptions& options) { return run_pipeline(options, default_passes(options)); }

CompileState run_pipeline(const PipelineOptions& options, const std::vector<Pass>& passes) {
  CompileState s;
  s.options = options;
  run_passes(s, passes);
  return s;
}

}  // namespace imcvp::compiler
