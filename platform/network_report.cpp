// The reports of a NetworkRun (platform/network_report.hpp): the
// report.json "network" section (with its pipeline, load and reprogramming
// parts), the readable table and summary.csv.
#include "platform/network_report.hpp"

#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "compiler/hybrid.hpp"
#include "models/basis_scaler/basis_scaler.hpp"
#include "models/splice/splice_unit.hpp"
#include "models/sram_comp/sram_compensation.hpp"
#include "models/tile/tile.hpp"
#include "platform/compare.hpp"
#include "platform/network_build.hpp"
#include "platform/network_measure.hpp"
#include "platform/network_run.hpp"  // kSummaryHeader

namespace imcvp {

const char* const kSummaryHeader =
    "scenario,network,technique,mode,execution,groups,images,tiles,crossbars,crossbars_used,accuracy_percent,"
    "latency_ns,cycles_per_inference,interval_ns,throughput_per_s,energy_per_inference_pj,edp_j_s,"
    "programming_time_percent";

namespace {

double percent(uint64_t n, uint64_t d) { return d ? 100.0 * double(n) / double(d) : 0.0; }

// Pipelined execution: the stages (tiles), each one's busy time per image,
// the bottleneck stage and its slowest layer, throughput and latency.
void write_pipeline(JsonWriter& j, const NetworkMarks& m, const NetworkResults& res) {
  std::map<unsigned, double> stage_ns;
  for (const LayerRow& r : res.layers) stage_ns[r.tile] += r.ns;
  unsigned bottleneck = 0;
  double worst = -1;
  for (const auto& [t, ns] : stage_ns)
    if (ns > worst) {
      worst = ns;
      bottleneck = t;
    }
  const LayerRow* slowest = nullptr;
  for (const LayerRow& r : res.layers)
    if (r.tile == bottleneck && (!slowest || r.ns > slowest->ns)) slowest = &r;
  const uint64_t n = m.image_marks;
  j.begin_object("pipeline")
      .value("stages", uint64_t(stage_ns.size()))
      .value("first_image_latency_ns", m.first_image_ns)
      .value("interval_ns", n > 1 ? (m.infer_ns() - m.first_image_ns) / double(n - 1) : 0.0)
      .value("throughput_per_s", m.infer_ns() > 0 ? double(n) / (m.infer_ns() * 1e-9) : 0.0)
      .value("bottleneck_tile", bottleneck)
      .value("bottleneck_layer", slowest ? slowest->name : std::string());
  j.begin_array("stage_busy_ns");
  for (const auto& [t, ns] : stage_ns) j.begin_object().value("tile", t).value("ns", ns).end_object();
  j.end_array().end_object();
}

}  // namespace

// "hybrid": the SRAM compensation of a hybrid RRAM/SRAM network (only when
// the network has compensated layers): its memory next to the RRAM weights',
// its pruning, an array-area estimate and its share of the energy and of the
// latency per inference (docs/techniques/hybrid.md).
void write_hybrid_json(JsonWriter& j, const NetworkBuild& b, const NetworkMarks& m, const Breakdown& e,
                       double per_inference_ns) {
  const compiler::HybridSummary h = compiler::hybrid_summary(b.compiled.network);
  if (h.layers == 0) return;
  const SramCompensation* block = nullptr;
  double busy_ns = 0, macs = 0;
  for (const Tile* t : m.tiles)
    for (TileBlock* tb : t->blocks())
      if (const auto* sc = dynamic_cast<const SramCompensation*>(tb)) {
        block = sc;
        busy_ns += sc->busy_ns();
        macs += double(sc->mac_count());
      }
  const double n = m.image_marks ? double(m.image_marks) : 1.0;
  j.begin_object("hybrid")
      .value("layers", h.layers)
      .value("shift", h.shift)
      .value("sram_weight_bits", h.sram_weight_bits)
      .value("group_channels", h.group_channels)
      .value("sram_bits_stored", h.sram_bits_stored)
      .value("sram_bytes", h.sram_bytes)
      .value("rram_weight_bits", h.rram_weight_bits)
      .value("sram_memory_percent_of_rram",
             h.rram_weight_bits ? 100.0 * double(h.sram_bits_stored) / double(h.rram_weight_bits) : 0.0)
      // the kept weights alone (the paper's count: non-zero bits stored), without the group mask
      .value("sram_weight_bits_stored", h.sram_weight_bits_stored)
      .value("sram_weights_percent_of_rram",
             h.rram_weight_bits ? 100.0 * double(h.sram_weight_bits_stored) / double(h.rram_weight_bits) : 0.0)
      .value("compensation_weights", h.total_weights)
      .value("compensation_weights_kept", h.kept_weights)
      .value("pruning_ratio_percent", 100.0 * h.pruning_ratio);
  if (block) {
    // arrays only (periphery not counted): the SRAM bits stored against the
    // RRAM cells holding weights, at the block's cell sizes
    const SramCompParams& p = block->params();
    const double f2_um2 = p.feature_nm * p.feature_nm * 1e-6;
    const double sram_um2 = double(h.sram_bits_stored) * p.sram_cell_f2 * f2_um2;
    const double rram_um2 = double(b.cells_used) * p.rram_cell_f2 * f2_um2;
    const double sram_pj = e.at(kSramCompEnergyCategory), total_pj = e.total();
    j.value("sram_array_area_um2", sram_um2)
        .value("rram_array_area_um2", rram_um2)
        .value("area_percent_of_rram_arrays", rram_um2 > 0 ? 100.0 * sram_um2 / rram_um2 : 0.0)
        .value("macs_per_inference", macs / n)
        .value("energy_per_inference_pj", sram_pj)
        .value("energy_percent", total_pj > 0 ? 100.0 * sram_pj / total_pj : 0.0)
        .value("latency_per_inference_ns", busy_ns / n)
        .value("latency_percent", per_inference_ns > 0 ? 100.0 * (busy_ns / n) / per_inference_ns : 0.0);
  }
  j.end_object();
}

// "basisn": the BasisN basis and coefficients (only for a BasisN network):
// the basis, the coefficient memory against the weights it replaces, the
// approximation error, and the scaler's share of energy, latency and
// array area (docs/techniques/basisn.md).
void write_basisn_json(JsonWriter& j, const NetworkBuild& b, const NetworkMarks& m, const Breakdown& e,
                       double per_inference_ns) {
  const compiler::BasisNSummary s = compiler::basisn_summary(b.compiled.network, b.placement.chip.crossbar);
  if (s.layers == 0) return;
  const BasisScaler* block = nullptr;
  double busy_ns = 0, macs = 0;
  for (const Tile* t : m.tiles)
    for (TileBlock* tb : t->blocks())
      if (const auto* bs = dynamic_cast<const BasisScaler*>(tb)) {
        block = bs;
        busy_ns += bs->busy_ns();
        macs += double(bs->mac_count());
      }
  const double n = m.image_marks ? double(m.image_marks) : 1.0;
  j.begin_object("basisn")
      .value("layers", s.layers)
      .value("length", s.length)
      .value("count", s.count)
      .value("coef_bits", s.coef_bits)
      .value("copies_per_crossbar", s.copies)
      .value("trained", s.trained)
      .value("pca_energy_percent", 100.0 * s.energy)
      .value("weights", s.weights)
      .value("coefficients", s.coefficients)
      .value("coef_bytes", s.coef_bytes)
      .value("weight_relative_error", s.rel_error);
  if (block) {
    // arrays only (periphery not counted): the coefficient memory's bits
    // against the RRAM cells of the chip's crossbars, at the block's cell sizes
    const BasisScalerParams& p = block->params();
    const double f2_um2 = p.feature_nm * p.feature_nm * 1e-6;
    const double sram_um2 = double(s.coef_bytes) * 8.0 * p.sram_cell_f2 * f2_um2;
    const compiler::ChipResources& chip = b.placement.chip;
    const double rram_um2 =
        double(chip.total_crossbars()) * chip.crossbar.rows * chip.crossbar.cols * p.rram_cell_f2 * f2_um2;
    const double pj = e.at(kBasisScalerEnergyCategory), total_pj = e.total();
    j.value("coef_array_area_um2", sram_um2)
        .value("crossbar_array_area_um2", rram_um2)
        .value("area_percent_of_crossbar_arrays", rram_um2 > 0 ? 100.0 * sram_um2 / rram_um2 : 0.0)
        .value("macs_per_inference", macs / n)
        .value("energy_per_inference_pj", pj)
        .value("energy_percent", total_pj > 0 ? 100.0 * pj / total_pj : 0.0)
        .value("latency_per_inference_ns", busy_ns / n)
        .value("latency_percent", per_inference_ns > 0 ? 100.0 * (busy_ns / n) / per_inference_ns : 0.0);
  }
  j.end_object();
}

// "sme": the bit-sparse weights and their bit-plane crossbars (only for an
// SME network): the crossbars three ways (dense bit-sliced in the chip's
// own format, bit planes, bit planes squeezed), cells, columns, the index
// tables, the weights' bit statistics, and the splice unit's share of
// energy, latency and array area (docs/techniques/sme.md).
void write_sme_json(JsonWriter& j, const NetworkBuild& b, const NetworkMarks& m, const Breakdown& e,
                    double per_inference_ns) {
  const compiler::SmeSummary s = compiler::sme_summary(b.compiled.network);
  if (s.layers == 0) return;
  const SpliceUnit* block = nullptr;
  double busy_ns = 0, adds = 0;
  for (const Tile* t : m.tiles)
    for (TileBlock* tb : t->blocks())
      if (const auto* su = dynamic_cast<const SpliceUnit*>(tb)) {
        block = su;
        busy_ns += su->busy_ns();
        adds += double(su->add_count());
      }
  const double n = m.image_marks ? double(m.image_marks) : 1.0;
  auto percent = [&](const char* key, const std::vector<std::uint64_t>& ones) {
    j.begin_array(key);
    for (std::uint64_t o : ones) j.value(nullptr, s.weights ? 100.0 * double(o) / double(s.weights) : 0.0);
    j.end_array();
  };
  j.begin_object("sme")
      .value("layers", s.layers)
      .value("nonzero_bits", s.nonzero_bits)
      .value("weights", s.weights)
      .value("weights_changed", s.changed);
  // per magnitude bit, least significant first: % of the weights with it set
  percent("bit_density_before_percent", s.bit_ones_before);
  percent("bit_density_after_percent", s.bit_ones_after);
  j.value("dense_crossbars", s.dense_crossbars)
      .value("bitplane_crossbars", s.bitplane_crossbars)
      .value("squeezed_crossbars", s.squeezed_crossbars)
      .value("reduction_vs_dense", s.squeezed_crossbars ? double(s.dense_crossbars) / double(s.squeezed_crossbars) : 0.0)
      .value("dense_cells", s.dense_cells)
      .value("nonzero_cells", s.nonzero_cells)
      .value("columns", s.columns)
      .value("driven_rows", s.driven_rows)
      .value("placed_crossbars", s.placed_crossbars)
      .value("placed_columns", s.placed_columns)
      .value("table_bytes", s.table_bytes);
  if (block) {
    // arrays only (periphery not counted): the table memory's bits against
    // the RRAM cells of the crossbars the mapping uses, in F^2
    const SpliceParams& p = block->params();
    const compiler::ChipResources& chip = b.placement.chip;
    const double sram_f2 = double(s.table_bytes) * 8.0 * p.sram_cell_f2;
    const double rram_f2 = double(s.placed_crossbars) * chip.crossbar.rows * chip.crossbar.cols * p.rram_cell_f2;
    const double pj = e.at(kSpliceEnergyCategory), total_pj = e.total();
    j.value("table_area_percent_of_crossbar_arrays", rram_f2 > 0 ? 100.0 * sram_f2 / rram_f2 : 0.0)
        .value("shift_adds_per_inference", adds / n)
        .value("energy_per_inference_pj", pj)
        .value("energy_percent", total_pj > 0 ? 100.0 * pj / total_pj : 0.0)
        .value("latency_per_inference_ns", busy_ns / n)
        .value("latency_percent", per_inference_ns > 0 ? 100.0 * (busy_ns / n) / per_inference_ns : 0.0);
  }
  j.end_object();
}

void write_network_json(JsonWriter& j, const NetworkBuild& b, const NetworkMarks& m, const NetworkResults& res) {
  const compiler::ChipResources& chip = b.placement.chip;
  const uint64_t n = m.image_marks;
  j.begin_object("network")
      .value("onnx", b.cfg.compile.onnx_path.substr(b.cfg.compile.onnx_path.find_last_of('/') + 1))
      .value("first_image", b.cfg.first_image)
      .value("images", b.cfg.images)
      .value("images_done", res.done)
      .value("mode", b.estimate ? "estimate" : "functional");
  j.begin_object("accuracy");
  // synthetic images have no labels: only agreement with the golden reference
  const bool labeled = b.images.has_labels();
  j.value("labeled", labeled);
  if (!b.estimate && labeled)
    j.value("platform_correct", res.correct).value("platform_percent", percent(res.correct, res.done));
  if (b.cfg.reference && !b.estimate) {
    if (labeled)
      j.value("golden_correct", res.golden_correct)
          .value("golden_percent", percent(res.golden_correct, res.done))
          .value("float_correct", res.float_correct)
          .value("float_percent", percent(res.float_correct, res.done));
    j.value("predictions_equal_golden", res.same_pred)
        .value("logits_equal_golden", res.same_logits);
  }
  j.end_object();
  const double ns = m.per_inference_ns();
  j.begin_object("latency")
      .value("per_inference_ns", ns)
      .value("per_inference_cpu_cycles", ns * 1e-9 * res.cpu_hz)
      .value("min_ns", m.lat_min_ns)
      .value("max_ns", m.lat_max_ns)
      .value("inference_phase_ns", m.infer_ns())
      .value("throughput_per_s", m.infer_ns() > 0 ? double(n) / (m.infer_ns() * 1e-9) : 0.0);
  double busy = 0;
  for (const LayerRow& r : res.layers) busy += r.ns;
  j.value("tiles_busy_per_inference_ns", busy);
  {
    uint64_t slots = 0, driven = 0;
    for (const Tile* t : m.tiles) {
      slots += t->stats().digit_slots;
      driven += t->stats().mvm.dac_conversions;
    }
    // measured in functional mode; the parameter itself in estimation
    j.value("input_digit_density", slots ? double(driven) / double(slots) : 0.0);
  }
  j.begin_array("layers");
  for (size_t i = 0; i < res.layers.size(); ++i) {
    const LayerRow& r = res.layers[i];
    j.begin_object()
        .value("name", r.name)
        .value("kind", r.kind)
        .value("tile", r.tile)
        .value("crossbars", r.crossbars)
        .value("slices", r.slices)
        .value("ns", r.ns)
        .value("tile_cycles", r.ns / res.tile_clock_ns)
        .value("mvms", r.mvms)
        .end_object();
  }
  j.end_array().end_object();
  if (b.cfg.pipelined) write_pipeline(j, m, res);
  const Breakdown e = m.per_inference_energy();
  const double total = e.total();
  j.begin_object("energy_per_inference_pj").value("total", total);
  for (const auto& [c, v] : e.entries()) j.value(c.c_str(), v);
  j.end_object();
  j.value("edp_j_s", total * 1e-12 * ns * 1e-9);
  const Breakdown le = m.load_energy();
  auto program_fields = [&](const ProgramSnapshot& p) {
    j.value("crossbars_programmed", p.commands)
        .value("programming_ns", p.busy_ns)
        .value("write_verify_ns", p.st.latency_ns)
        .value("programming_energy_pj", p.st.energy_pj())
        .value("cells_written", p.st.cells_written)
        .value("pulses", p.st.pulses)
        .value("verify_reads", p.st.verify_reads)
        .value("cells_failed", p.st.cells_failed);
  };
  const ProgramSnapshot load_prog = m.p_infer - m.p_load;
  j.begin_object("load").value("time_ns", m.load_ns()).value("energy_pj", le.total());
  // false: an estimation image without levels; the crossbars were taken as programmed
  j.value("crossbars_written", b.image.levels);
  program_fields(load_prog);
  j.end_object();
  // Rewriting crossbars between groups while the images run (none when the
  // network fits the chip), and programming's share of the whole run.
  const ProgramSnapshot run_prog = m.p_end - m.p_infer;
  const double all_ns = m.load_ns() + m.infer_ns();
  const double all_pj = le.total() + m.infer_energy().total();
  j.begin_object("reprogramming").value("groups", b.placement.groups);
  program_fields(run_prog);
  j.value("per_inference_crossbars", n ? double(run_prog.commands) / double(n) : 0.0)
      .value("per_inference_ns", n ? run_prog.busy_ns / double(n) : 0.0)
      .value("per_inference_energy_pj", n ? run_prog.st.energy_pj() / double(n) : 0.0)
      .value("programming_share_of_time_percent",
             all_ns > 0 ? 100.0 * (load_prog.busy_ns + run_prog.busy_ns) / all_ns : 0.0)
      .value("programming_share_of_energy_percent",
             all_pj > 0 ? 100.0 * (load_prog.st.energy_pj() + run_prog.st.energy_pj()) / all_pj : 0.0)
      .end_object();
  const uint64_t xbar_cells = uint64_t(chip.crossbar.rows) * chip.crossbar.cols;
  j.begin_object("crossbars")
      .value("chip", chip.total_crossbars())
      .value("used", b.placement.crossbars_used)
      .value("used_percent", percent(b.placement.crossbars_used, chip.total_crossbars()))
      .value("cells_used", b.cells_used)
      .value("network_needs", b.placement.crossbars_needed)
      .value("cells_used_percent", percent(b.cells_used, uint64_t(b.placement.crossbars_needed) * xbar_cells))
      .end_object();
  // the compiler's buffer allocation: the fullest tile's high-water mark
  uint32_t buf_max = 0;
  unsigned buf_tile = 0;
  for (size_t t = 0; t < b.image.tiles.size(); ++t)
    if (b.image.tiles[t].buffer_used > buf_max) {
      buf_max = b.image.tiles[t].buffer_used;
      buf_tile = unsigned(t);
    }
  j.begin_object("buffers")
      .value("tile_buffer_bytes", chip.buffer_bytes)
      .value("most_used_bytes", buf_max)
      .value("most_used_tile", buf_tile)
      .end_object();
  write_hybrid_json(j, b, m, e, ns);
  write_basisn_json(j, b, m, e, ns);
  write_sme_json(j, b, m, e, ns);
  j.end_object();
}

void write_network_summary_csv(std::ostream& out, const std::string& scenario, const NetworkBuild& b,
                               const NetworkMarks& m, const NetworkResults& res) {
  const uint64_t n = m.image_marks;
  const double total = m.per_inference_energy().total();
  const double per = m.per_inference_ns();
  // latency: one image's way through the network (pipelined: the first
  // image's, through every stage); interval: time per image in the steady state
  const double latency = b.cfg.pipelined ? m.first_image_ns : per;
  const double interval =
      b.cfg.pipelined ? (n > 1 ? (m.infer_ns() - m.first_image_ns) / double(n - 1) : m.first_image_ns) : per;
  const ProgramSnapshot load = m.p_infer - m.p_load, run = m.p_end - m.p_infer;
  const double all_ns = m.load_ns() + m.infer_ns();
  std::ostringstream acc;  // empty in estimation: no values, no accuracy
  if (!b.estimate) acc << std::setprecision(4) << std::fixed << percent(res.correct, res.done);
  const std::string net = b.cfg.compile.onnx_path.substr(b.cfg.compile.onnx_path.find_last_of('/') + 1);
  // the technique of the network's Conv/FC layers (the first that has one)
  std::string technique = "baseline";
  for (const compiler::Layer& l : b.compiled.network.net.layers)
    if (!l.attrs.technique.empty()) {
      technique = l.attrs.technique;
      break;
    }
  char row[1024];
  std::snprintf(row, sizeof row,
                "%s,%s,%s,%s,%s,%u,%llu,%u,%u,%u,%s,%.1f,%.0f,%.1f,%.3f,%.1f,%.6g,%.3f\n", csv_field(scenario).c_str(),
                csv_field(net).c_str(), technique.c_str(),
                b.estimate ? "estimate" : "functional", b.cfg.pipelined ? "pipelined" : "latency",
                b.placement.groups, (unsigned long long)n, b.placement.chip.tiles, b.placement.chip.total_crossbars(),
                b.placement.crossbars_used, acc.str().c_str(), latency, latency * 1e-9 * res.cpu_hz, interval,
                m.infer_ns() > 0 ? double(n) / (m.infer_ns() * 1e-9) : 0.0, total, total * 1e-12 * interval * 1e-9,
                all_ns > 0 ? 100.0 * (load.busy_ns + run.busy_ns) / all_ns : 0.0);
  out << kSummaryHeader << "\n" << row;
}

void print_network_table(std::ostream& out, const NetworkBuild& b, const NetworkMarks& m, const NetworkResults& res) {
  std::ostringstream s;
  char line[256];
  const double ns = m.per_inference_ns();
  s << "\n== network " << b.compiled.network.net.layers.size() << " layers, " << res.done << " of " << b.cfg.images
    << " images done ==\n";
  const bool labeled = b.images.has_labels();
  if (b.estimate)
    std::snprintf(line, sizeof line, "  accuracy       not measured: performance estimation computes no values");
  else if (!labeled)
    std::snprintf(line, sizeof line, "  accuracy       not measured: synthetic images have no labels");
  else
    std::snprintf(line, sizeof line, "  accuracy       platform %.2f %%", percent(res.correct, res.done));
  s << line;
  if (b.cfg.reference && !b.estimate && !labeled) {
    std::snprintf(line, sizeof line, "; predictions equal to golden: %llu of %llu, logits: %llu of %llu",
                  (unsigned long long)res.same_pred, (unsigned long long)res.done, (unsigned long long)res.same_logits,
                  (unsigned long long)res.done);
    s << line;
  } else if (b.cfg.reference && !b.estimate) {
    std::snprintf(line, sizeof line, ", golden %.2f %%, float %.2f %% (logits equal to golden: %llu of %llu)",
                  percent(res.golden_correct, res.done), percent(res.float_correct, res.done),
                  (unsigned long long)res.same_logits, (unsigned long long)res.done);
    s << line;
  }
  s << "\n";
  std::snprintf(line, sizeof line, "  latency        %.1f ns per inference (%.0f CPU cycles), min %.1f, max %.1f\n", ns,
                ns * 1e-9 * res.cpu_hz, m.lat_min_ns, m.lat_max_ns);
  s << line;
  const Breakdown e = m.per_inference_energy();
  const double total = e.total();
  std::snprintf(line, sizeof line, "  energy         %.1f pJ per inference, EDP %.4g J*s\n", total, total * 1e-12 * ns * 1e-9);
  s << line;
  for (const auto& [c, v] : e.entries()) {
    if (v == 0) continue;
    std::snprintf(line, sizeof line, "    %-22s %14.1f pJ %6.2f %%\n", c.c_str(), v, total > 0 ? 100 * v / total : 0.0);
    s << line;
  }
  s << "  layers (tile time per inference)\n";
  for (size_t i = 0; i < res.layers.size(); ++i) {
    const LayerRow& r = res.layers[i];
    std::snprintf(line, sizeof line, "    %2zu %-20s tile %u  %3u crossbars %12.1f ns %6.2f %%  %s\n", i, r.kind.c_str(),
                  r.tile, r.crossbars, r.ns, ns > 0 ? 100 * r.ns / ns : 0.0, r.name.c_str());
    s << line;
  }
  const compiler::ChipResources& chip = b.placement.chip;
  std::snprintf(line, sizeof line,
                "  crossbars      %u of %u used (%.1f %%); %.1f %% of the cells programmed hold weights\n",
                b.placement.crossbars_used, chip.total_crossbars(),
                percent(b.placement.crossbars_used, chip.total_crossbars()),
                percent(b.cells_used, uint64_t(b.placement.crossbars_needed) * chip.crossbar.rows * chip.crossbar.cols));
  s << line;
  const ProgramSnapshot all = m.p_end - m.p_load;
  std::snprintf(line, sizeof line,
                "  programming    %llu crossbars, %llu cells written, %llu pulses, %.3f ms, %.3f uJ (load phase %.3f ms)\n",
                (unsigned long long)all.commands, (unsigned long long)all.st.cells_written,
                (unsigned long long)all.st.pulses, all.busy_ns * 1e-6, all.st.energy_pj() * 1e-6, m.load_ns() * 1e-6);
  s << line;
  if (b.placement.groups > 1) {
    const ProgramSnapshot run_prog = m.p_end - m.p_infer;
    const double all_ns = m.load_ns() + m.infer_ns();
    std::snprintf(line, sizeof line,
                  "  reprogramming  %u groups: %.1f crossbars rewritten per inference, %.1f %% of the time\n",
                  b.placement.groups, m.image_marks ? double(run_prog.commands) / double(m.image_marks) : 0.0,
                  all_ns > 0 ? 100.0 * all.busy_ns / all_ns : 0.0);
    s << line;
  }
  out << s.str();
}

}  // namespace imcvp
