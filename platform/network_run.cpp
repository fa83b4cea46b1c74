#include "platform/network_run.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "compiler/compile.hpp"
#include "compiler/golden.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"
#include "imcvp/workload.h"
#include "models/noc/mesh_noc.hpp"
#include "models/tile/tile.hpp"
#include "platform/compare.hpp"
#include "platform/platform.hpp"

namespace imcvp {

using compiler::CompileError;

const char* const kSummaryHeader =
    "scenario,network,mode,execution,groups,images,tiles,crossbars,crossbars_used,accuracy_percent,latency_ns,"
    "interval_ns,throughput_per_s,energy_per_inference_pj,edp_j_s,programming_time_percent";

namespace {

uint32_t align_up(uint64_t v, uint64_t a) { return static_cast<uint32_t>((v + a - 1) / a * a); }

// The energy breakdown of the report by the category each charge names
// (docs/accelerator.md "Running a network"): the platform's categories in
// this order, then any other a block names, in the order first charged.
constexpr const char* kCategories[] = {"cell_array", "dac", "adc", "shift_add", "accumulate_activation",
                                       "buffers", "dma_bus", "host_cpu", "programming", "noc", "other"};
class Breakdown {
 public:
  Breakdown() {
    for (const char* c : kCategories) v_.push_back({c, 0.0});
  }
  double& operator[](const std::string& category) {
    for (auto& e : v_)
      if (e.first == category) return e.second;
    v_.push_back({category, 0.0});
    return v_.back().second;
  }
  double at(const std::string& category) const {
    for (const auto& e : v_)
      if (e.first == category) return e.second;
    return 0.0;
  }
  const std::vector<std::pair<std::string, double>>& entries() const { return v_; }

 private:
  std::vector<std::pair<std::string, double>> v_;
};

Breakdown breakdown(const EnergyLedger& l) {
  Breakdown b;
  for (const auto& [block, events] : l.blocks())
    for (const auto& [event, e] : events) b[e.category.empty() ? "other" : e.category] += e.pj;
  return b;
}
Breakdown minus(const Breakdown& a, const Breakdown& b) {
  Breakdown d;
  for (const auto& [c, v] : a.entries()) d[c] = v - b.at(c);
  for (const auto& [c, v] : b.entries()) d[c] = a.at(c) - v;
  return d;
}
double sum(const Breakdown& b) {
  double s = 0;
  for (const auto& e : b.entries()) s += e.second;
  return s;
}

// One network layer: the sums over its slices (one unless it is split over
// reprogramming groups), per inference.
// The tiles' programming so far: PROGRAM commands and their cost.
struct ProgramSnapshot {
  uint64_t commands = 0;  // crossbars programmed
  double busy_ns = 0;     // the tiles' PROGRAM time (reading the staged levels included)
  ProgramStats st;        // the crossbars' write-and-verify
};
ProgramSnapshot operator-(const ProgramSnapshot& a, const ProgramSnapshot& b) {
  ProgramSnapshot d;
  d.commands = a.commands - b.commands;
  d.busy_ns = a.busy_ns - b.busy_ns;
  d.st.cells_written = a.st.cells_written - b.st.cells_written;
  d.st.pulses = a.st.pulses - b.st.pulses;
  d.st.verify_reads = a.st.verify_reads - b.st.verify_reads;
  d.st.cells_failed = a.st.cells_failed - b.st.cells_failed;
  d.st.latency_ns = a.st.latency_ns - b.st.latency_ns;
  d.st.pulse_energy_pj = a.st.pulse_energy_pj - b.st.pulse_energy_pj;
  d.st.verify_energy_pj = a.st.verify_energy_pj - b.st.verify_energy_pj;
  return d;
}

struct LayerRow {
  std::string name, kind;
  unsigned tile = 0, crossbars = 0, slices = 0;
  double ns = 0, mvms = 0;
};

}  // namespace

struct NetworkRun::Impl {
  const Scenario& sc;
  const NetworkConfig& cfg;
  compiler::CompileReport compiled;
  compiler::Placement placement;
  compiler::ProgramImage image;
  compiler::ImageSet images;  // the scenario's test images only
  std::vector<uint8_t> workload;
  imcvp_workload header{};
  unsigned classes = 0;

  // references (a second thread)
  std::thread reference_thread;
  std::vector<int32_t> golden_logits;  // images x classes
  std::vector<int> golden_pred, float_pred;
  bool estimate = false;  // accelerator.tile.mode: estimate

  // marks
  std::optional<sc_core::sc_time> t_load, t_infer, t_end, t_last_image;
  std::optional<Breakdown> e_load, e_infer, e_end;
  std::vector<const Tile*> tiles;
  ProgramSnapshot p_load, p_infer, p_end;
  uint64_t image_marks = 0;
  double lat_min_ns = 0, lat_max_ns = 0;
  double first_image_ns = 0;  // INFER_BEGIN to the first IMAGE_END

  // results
  uint64_t done = 0, correct = 0, golden_correct = 0, float_correct = 0, same_pred = 0, same_logits = 0;
  std::vector<LayerRow> layers;
  double cpu_hz = 0;
  double tile_clock_ns = 1;
  uint64_t cells_used = 0;

  Impl(const Scenario& s, const compiler::ChipResources& chip) : sc(s), cfg(s.network) {
    auto fail = [&](const std::string& field, const std::string& what) -> PlatformError {
      return PlatformError(sc.file + ": " + field + ": " + what);
    };
    compiler::CompileOptions opt = cfg.compile;
    opt.eval_images = 0;
    // The compiler pipeline (compiler/pipeline.hpp), the same as `imcvp compile`.
    compiler::PipelineOptions po;
    po.compile = opt;
    po.chip = chip;
    po.placement.reprogram = cfg.reprogram;
    po.placement.spread = cfg.pipelined;
    // Performance estimation computes no values: an image without cell
    // levels, whose crossbars the firmware takes as programmed.
    po.image.levels = !s.accelerator.estimate;
    po.image.reuse_buffers = !cfg.pipelined;
    std::vector<compiler::Pass> passes = compiler::default_passes(po);
    if (!cfg.program_image.empty()) compiler::remove_pass(passes, "serialize");  // loaded below instead
    compiler::CompileState state;
    state.options = po;
    try {
      compiler::run_passes(state, passes);
    } catch (const compiler::PassError& e) {
      if (e.pass == "import" || e.pass == "quantize") throw fail("network.onnx", e.what());
      throw fail("network", std::string(e.what()) + " (accelerator.tiles and accelerator.tile set the chip" +
                                (cfg.reprogram ? ")" : "; network.reprogram: true rewrites the crossbars between layer groups)"));
    }
    compiled = std::move(state.report);
    placement = std::move(state.placement);
    image = std::move(state.image);
    const compiler::QuantizedNetwork& q = compiled.network;
    if (s.accelerator.estimate && placement.groups > 1)
      throw fail("network.reprogram", "performance estimation (accelerator.tile.mode: estimate) carries no cell levels, "
                                      "so it cannot rewrite crossbars between the " + std::to_string(placement.groups) +
                                      " groups; run the reprogramming baseline in functional mode");
    if (cfg.pipelined && placement.groups > 1)
      throw fail("network.execution", "a pipeline keeps every weight resident, but the network needs " +
                                          std::to_string(placement.crossbars_needed) + " crossbars and the chip has " +
                                          std::to_string(chip.total_crossbars()) + " (it would run in " +
                                          std::to_string(placement.groups) + " reprogramming groups)");
    std::vector<uint8_t> image_bytes = std::move(state.image_bytes);
    if (!cfg.program_image.empty()) {
      std::ifstream f(cfg.program_image, std::ios::binary);
      if (!f) throw fail("network.program_image", "cannot read " + cfg.program_image);
      image_bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }

    compiler::ImageSet all;
    const compiler::Shape in_shape = q.net.input_shape();
    if (opt.dataset == compiler::kDatasetSynthetic) {
      // the test images: the stream after the calibration images' (compile.hpp)
      all = compiler::make_random_images(in_shape.c, in_shape.h, in_shape.w, size_t{cfg.first_image} + cfg.images,
                                         opt.synthetic_seed + 1);
    } else {
      try {
        all = compiler::load_fashion_mnist(compiler::Split::Test, size_t{cfg.first_image} + cfg.images,
                                           cfg.compile.dataset_dir);
      } catch (const std::exception& e) {
        throw fail("network.dataset", e.what());
      }
    }
    images.channels = all.channels;
    images.height = all.height;
    images.width = all.width;
    const size_t isz = all.image_size();
    images.pixels.assign(all.pixels.begin() + std::ptrdiff_t(cfg.first_image * isz),
                         all.pixels.begin() + std::ptrdiff_t((cfg.first_image + cfg.images) * isz));
    if (all.has_labels())
      images.labels.assign(all.labels.begin() + cfg.first_image, all.labels.begin() + cfg.first_image + cfg.images);
    if (q.net.input_shape().size() != isz)
      throw fail("network.onnx", "the network takes " + q.net.input_shape().str() + " inputs, the images are " +
                                     std::to_string(images.channels) + "x" + std::to_string(images.height) + "x" +
                                     std::to_string(images.width));
    classes = unsigned(q.net.tensors.at(size_t(q.net.output)).shape.size());

    // workload memory layout (imcvp/workload.h)
    imcvp_workload& h = header;
    h.magic = IMCVP_WORKLOAD_MAGIC;
    h.version = IMCVP_WORKLOAD_VERSION;
    h.header_bytes = sizeof h;
    h.image_off = 64;
    h.image_bytes = uint32_t(image_bytes.size());
    h.input_off = align_up(uint64_t{h.image_off} + h.image_bytes, 64);
    h.input_count = cfg.images;
    h.input_bytes = uint32_t(isz);
    h.input_stride = align_up(isz, 4);
    h.result_off = align_up(uint64_t{h.input_off} + uint64_t{h.input_count} * h.input_stride, 64);
    h.classes = classes;
    h.result_stride = uint32_t(sizeof(imcvp_result) + 4u * classes);
    h.flags = cfg.pipelined ? IMCVP_WORKLOAD_PIPELINED : 0;
    const uint64_t total = uint64_t{h.result_off} + uint64_t{h.input_count} * h.result_stride;
    if (total > IMCVP_WORKLOAD_MAX_SIZE)
      throw fail("network.images", std::to_string(cfg.images) + " images need " + std::to_string(total) +
                                       " bytes of workload memory, which holds at most " +
                                       std::to_string(IMCVP_WORKLOAD_MAX_SIZE));
    workload.assign(align_up(total, 4096), 0);
    std::memcpy(workload.data(), &h, sizeof h);
    std::memcpy(workload.data() + h.image_off, image_bytes.data(), image_bytes.size());
    for (size_t i = 0; i < images.count(); ++i)
      std::memcpy(workload.data() + h.input_off + i * h.input_stride, images.image(i), isz);

    for (size_t i = 0; i < q.net.layers.size(); ++i)
      cells_used += compiler::cells_used(q.net.layers[i], chip.crossbar);

    // In performance estimation the tiles compute no values: no accuracy to
    // compare with, so no references either.
    estimate = s.accelerator.estimate;
    if (cfg.reference && !estimate) reference_thread = std::thread([this] { run_references(); });
  }

  ~Impl() {
    if (reference_thread.joinable()) reference_thread.join();
  }

  void run_references() {
    const compiler::QuantizedNetwork& q = compiled.network;
    compiler::GoldenModel golden(q);
    compiler::FloatModel flt(q.net);
    golden_logits.resize(images.count() * classes);
    golden_pred.resize(images.count());
    float_pred.resize(images.count());
    for (size_t i = 0; i < images.count(); ++i) {
      const std::vector<int32_t>& g = golden.run(images.image(i));
      std::copy(g.begin(), g.end(), golden_logits.begin() + std::ptrdiff_t(i * classes));
      golden_pred[i] = compiler::argmax(g);
      float_pred[i] = compiler::argmax(flt.run(images.image(i)));
    }
  }

  ProgramSnapshot programming() const {
    ProgramSnapshot p;
    for (const Tile* t : tiles) {
      const auto& by = t->descriptor_stats();
      if (auto it = by.find(IMCVP_IMAGE_PROGRAM_DESC_OFF); it != by.end()) {
        p.commands += it->second.commands;
        p.busy_ns += it->second.busy_ns;
      }
      p.st += t->stats().program;
    }
    return p;
  }

  void record(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* l) {
    switch (m) {
      case IMCVP_MARK_LOAD_BEGIN:
        t_load = at;
        e_load = breakdown(*l);
        p_load = programming();
        break;
      case IMCVP_MARK_INFER_BEGIN:
        t_infer = at;
        t_last_image = at;
        e_infer = breakdown(*l);
        p_infer = programming();
        break;
      case IMCVP_MARK_IMAGE_END:
        if (t_last_image) {
          const double ns = (at - *t_last_image).to_seconds() * 1e9;
          if (!image_marks) first_image_ns = ns;
          lat_min_ns = image_marks ? std::min(lat_min_ns, ns) : ns;
          lat_max_ns = image_marks ? std::max(lat_max_ns, ns) : ns;
        }
        t_last_image = at;
        ++image_marks;
        break;
      case IMCVP_MARK_INFER_END:
        t_end = at;
        e_end = breakdown(*l);
        p_end = programming();
        break;
      default: break;  // unknown marks are the firmware's business
    }
  }

  // --- figures ---
  double infer_ns() const {
    if (!t_infer) return 0;
    const sc_core::sc_time end = t_end ? *t_end : (t_last_image ? *t_last_image : *t_infer);
    return (end - *t_infer).to_seconds() * 1e9;
  }
  double per_inference_ns() const { return image_marks ? infer_ns() / double(image_marks) : 0; }
  Breakdown infer_energy() const {
    if (!e_infer || !e_end) return Breakdown{};
    return minus(*e_end, *e_infer);
  }
  Breakdown load_energy() const {
    if (!e_load || !e_infer) return Breakdown{};
    return minus(*e_infer, *e_load);
  }
  double load_ns() const { return t_load && t_infer ? (*t_infer - *t_load).to_seconds() * 1e9 : 0; }
  // per inference: the inference phase, plus programming spread over the images run
  Breakdown per_inference_energy() const {
    Breakdown b;
    if (!image_marks) return b;
    const Breakdown inf = infer_energy(), load = load_energy();
    for (const auto& [c, v] : inf.entries()) b[c] = v / double(image_marks);
    b["programming"] += load.at("programming") / double(image_marks);
    return b;
  }
  double percent(uint64_t n, uint64_t d) const { return d ? 100.0 * double(n) / double(d) : 0.0; }
};

NetworkRun::NetworkRun(const Scenario& sc, const compiler::ChipResources& chip)
    : impl_(std::make_unique<Impl>(sc, chip)) {}
NetworkRun::~NetworkRun() = default;

const std::vector<uint8_t>& NetworkRun::workload() const { return impl_->workload; }

void NetworkRun::set_tiles(std::vector<const Tile*> tiles) { impl_->tiles = std::move(tiles); }

void NetworkRun::record_mark(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* ledger) {
  impl_->record(m, at, ledger);
}

void NetworkRun::finish(const uint8_t* memory, const std::vector<const Tile*>& tiles, double cpu_hz,
                        const EnergyLedger& ledger) {
  Impl& d = *impl_;
  if (d.reference_thread.joinable()) d.reference_thread.join();
  d.cpu_hz = cpu_hz;
  if (!tiles.empty()) d.tile_clock_ns = tiles[0]->params().clock_ns;
  const imcvp_workload& h = d.header;
  std::vector<int32_t> scores(d.classes);
  for (size_t i = 0; i < h.input_count; ++i) {
    const uint8_t* rec = memory + h.result_off + i * h.result_stride;
    imcvp_result r;
    std::memcpy(&r, rec, sizeof r);
    if (r.status != IMCVP_RESULT_DONE) continue;
    ++d.done;
    std::memcpy(scores.data(), rec + sizeof r, 4 * d.classes);
    const bool labeled = d.images.has_labels();
    if (labeled && r.prediction == d.images.labels[i]) ++d.correct;
    if (d.cfg.reference && !d.estimate) {
      if (labeled && d.golden_pred[i] == d.images.labels[i]) ++d.golden_correct;
      if (labeled && d.float_pred[i] == d.images.labels[i]) ++d.float_correct;
      if (d.golden_pred[i] == r.prediction) ++d.same_pred;
      if (std::equal(scores.begin(), scores.end(), d.golden_logits.begin() + std::ptrdiff_t(i * d.classes))) ++d.same_logits;
    }
  }
  const compiler::QuantizedNetwork& q = d.compiled.network;
  std::map<unsigned, size_t> row_of;  // net layer -> row
  for (const compiler::ImageLayer& il : d.image.layers) {
    if (il.desc.op == IMCVP_IMAGE_OP_COPY) continue;  // a gather copy: the firmware's DMA, no tile time
    const compiler::Layer& l = q.net.layers.at(il.net_layer);
    auto [it, added] = row_of.emplace(il.net_layer, d.layers.size());
    if (added) {
      LayerRow row;
      row.name = l.name;
      row.kind = compiler::to_string(l.kind);
      row.tile = il.tile;
      row.crossbars = d.placement.layers.at(il.net_layer).crossbars();
      d.layers.push_back(row);
    }
    LayerRow& row = d.layers[it->second];
    ++row.slices;
    if (il.tile < tiles.size()) {
      const auto& by = tiles[il.tile]->descriptor_stats();
      if (auto st = by.find(il.desc_off); st != by.end() && st->second.commands) {
        row.ns += st->second.busy_ns / double(st->second.commands);
        row.mvms += double(st->second.mvms) / double(st->second.commands);
      }
    }
  }
  d.tiles = tiles;
  // A firmware that stopped early: its phases end with the run.
  if (!d.t_infer) {
    d.p_infer = d.p_end = d.programming();  // the load phase got this far
  } else if (!d.t_end) {
    d.p_end = d.programming();
    d.e_end = breakdown(ledger);
  }
}

void NetworkRun::write_json(JsonWriter& j) const {
  const Impl& d = *impl_;
  const compiler::ChipResources& chip = d.placement.chip;
  const uint64_t n = d.image_marks;
  j.begin_object("network")
      .value("onnx", d.cfg.compile.onnx_path.substr(d.cfg.compile.onnx_path.find_last_of('/') + 1))
      .value("first_image", d.cfg.first_image)
      .value("images", d.cfg.images)
      .value("images_done", d.done)
      .value("mode", d.estimate ? "estimate" : "functional");
  j.begin_object("accuracy");
  // synthetic images have no labels: only agreement with the golden reference
  const bool labeled = d.images.has_labels();
  j.value("labeled", labeled);
  if (!d.estimate && labeled)
    j.value("platform_correct", d.correct).value("platform_percent", d.percent(d.correct, d.done));
  if (d.cfg.reference && !d.estimate) {
    if (labeled)
      j.value("golden_correct", d.golden_correct)
          .value("golden_percent", d.percent(d.golden_correct, d.done))
          .value("float_correct", d.float_correct)
          .value("float_percent", d.percent(d.float_correct, d.done));
    j.value("predictions_equal_golden", d.same_pred)
        .value("logits_equal_golden", d.same_logits);
  }
  j.end_object();
  const double ns = d.per_inference_ns();
  j.begin_object("latency")
      .value("per_inference_ns", ns)
      .value("per_inference_cpu_cycles", ns * 1e-9 * d.cpu_hz)
      .value("min_ns", d.lat_min_ns)
      .value("max_ns", d.lat_max_ns)
      .value("inference_phase_ns", d.infer_ns())
      .value("throughput_per_s", d.infer_ns() > 0 ? double(n) / (d.infer_ns() * 1e-9) : 0.0);
  double busy = 0;
  for (const LayerRow& r : d.layers) busy += r.ns;
  j.value("tiles_busy_per_inference_ns", busy);
  {
    uint64_t slots = 0, driven = 0;
    for (const Tile* t : d.tiles) {
      slots += t->stats().digit_slots;
      driven += t->stats().mvm.dac_conversions;
    }
    // measured in functional mode; the parameter itself in estimation
    j.value("input_digit_density", slots ? double(driven) / double(slots) : 0.0);
  }
  j.begin_array("layers");
  for (size_t i = 0; i < d.layers.size(); ++i) {
    const LayerRow& r = d.layers[i];
    j.begin_object()
        .value("name", r.name)
        .value("kind", r.kind)
        .value("tile", r.tile)
        .value("crossbars", r.crossbars)
        .value("slices", r.slices)
        .value("ns", r.ns)
        .value("tile_cycles", r.ns / d.tile_clock_ns)
        .value("mvms", r.mvms)
        .end_object();
  }
  j.end_array().end_object();
  if (d.cfg.pipelined) write_pipeline(j);
  const Breakdown e = d.per_inference_energy();
  const double total = sum(e);
  j.begin_object("energy_per_inference_pj").value("total", total);
  for (const auto& [c, v] : e.entries()) j.value(c.c_str(), v);
  j.end_object();
  j.value("edp_j_s", total * 1e-12 * ns * 1e-9);
  const Breakdown le = d.load_energy();
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
  const ProgramSnapshot load_prog = d.p_infer - d.p_load;
  j.begin_object("load").value("time_ns", d.load_ns()).value("energy_pj", sum(le));
  // false: an estimation image without levels; the crossbars were taken as programmed
  j.value("crossbars_written", d.image.levels);
  program_fields(load_prog);
  j.end_object();
  // Rewriting crossbars between groups while the images run (none when the
  // network fits the chip), and programming's share of the whole run.
  const ProgramSnapshot run_prog = d.p_end - d.p_infer;
  const double all_ns = d.load_ns() + d.infer_ns();
  const double all_pj = sum(le) + sum(d.infer_energy());
  j.begin_object("reprogramming").value("groups", d.placement.groups);
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
      .value("used", d.placement.crossbars_used)
      .value("used_percent", d.percent(d.placement.crossbars_used, chip.total_crossbars()))
      .value("cells_used", d.cells_used)
      .value("network_needs", d.placement.crossbars_needed)
      .value("cells_used_percent", d.percent(d.cells_used, uint64_t(d.placement.crossbars_needed) * xbar_cells))
      .end_object();
  // the compiler's buffer allocation: the fullest tile's high-water mark
  uint32_t buf_max = 0;
  unsigned buf_tile = 0;
  for (size_t t = 0; t < d.image.tiles.size(); ++t)
    if (d.image.tiles[t].buffer_used > buf_max) {
      buf_max = d.image.tiles[t].buffer_used;
      buf_tile = unsigned(t);
    }
  j.begin_object("buffers")
      .value("tile_buffer_bytes", chip.buffer_bytes)
      .value("most_used_bytes", buf_max)
      .value("most_used_tile", buf_tile)
      .end_object();
  j.end_object();
}

// Pipelined execution: the stages (tiles), each one's busy time per image,
// the bottleneck stage and its slowest layer, throughput and latency.
void NetworkRun::write_pipeline(JsonWriter& j) const {
  const Impl& d = *impl_;
  std::map<unsigned, double> stage_ns;
  for (const LayerRow& r : d.layers) stage_ns[r.tile] += r.ns;
  unsigned bottleneck = 0;
  double worst = -1;
  for (const auto& [t, ns] : stage_ns)
    if (ns > worst) {
      worst = ns;
      bottleneck = t;
    }
  const LayerRow* slowest = nullptr;
  for (const LayerRow& r : d.layers)
    if (r.tile == bottleneck && (!slowest || r.ns > slowest->ns)) slowest = &r;
  const uint64_t n = d.image_marks;
  j.begin_object("pipeline")
      .value("stages", uint64_t(stage_ns.size()))
      .value("first_image_latency_ns", d.first_image_ns)
      .value("interval_ns", n > 1 ? (d.infer_ns() - d.first_image_ns) / double(n - 1) : 0.0)
      .value("throughput_per_s", d.infer_ns() > 0 ? double(n) / (d.infer_ns() * 1e-9) : 0.0)
      .value("bottleneck_tile", bottleneck)
      .value("bottleneck_layer", slowest ? slowest->name : std::string());
  j.begin_array("stage_busy_ns");
  for (const auto& [t, ns] : stage_ns) j.begin_object().value("tile", t).value("ns", ns).end_object();
  j.end_array().end_object();
}

void NetworkRun::write_summary_csv(std::ostream& out, const std::string& scenario) const {
  const Impl& d = *impl_;
  const uint64_t n = d.image_marks;
  const double total = sum(d.per_inference_energy());
  const double per = d.per_inference_ns();
  // latency: one image's way through the network (pipelined: the first
  // image's, through every stage); interval: time per image in the steady state
  const double latency = d.cfg.pipelined ? d.first_image_ns : per;
  const double interval =
      d.cfg.pipelined ? (n > 1 ? (d.infer_ns() - d.first_image_ns) / double(n - 1) : d.first_image_ns) : per;
  const ProgramSnapshot load = d.p_infer - d.p_load, run = d.p_end - d.p_infer;
  const double all_ns = d.load_ns() + d.infer_ns();
  std::ostringstream acc;  // empty in estimation: no values, no accuracy
  if (!d.estimate) acc << std::setprecision(4) << std::fixed << d.percent(d.correct, d.done);
  const std::string net = d.cfg.compile.onnx_path.substr(d.cfg.compile.onnx_path.find_last_of('/') + 1);
  char row[1024];
  std::snprintf(row, sizeof row,
                "%s,%s,%s,%s,%u,%llu,%u,%u,%u,%s,%.1f,%.1f,%.3f,%.1f,%.6g,%.3f\n", csv_field(scenario).c_str(),
                csv_field(net).c_str(),
                d.estimate ? "estimate" : "functional", d.cfg.pipelined ? "pipelined" : "latency",
                d.placement.groups, (unsigned long long)n, d.placement.chip.tiles, d.placement.chip.total_crossbars(),
                d.placement.crossbars_used, acc.str().c_str(), latency, interval,
                d.infer_ns() > 0 ? double(n) / (d.infer_ns() * 1e-9) : 0.0, total, total * 1e-12 * interval * 1e-9,
                all_ns > 0 ? 100.0 * (load.busy_ns + run.busy_ns) / all_ns : 0.0);
  out << kSummaryHeader << "\n" << row;
}

void NetworkRun::print_table(std::ostream& out) const {
  const Impl& d = *impl_;
  std::ostringstream s;
  char line[256];
  const double ns = d.per_inference_ns();
  s << "\n== network " << d.compiled.network.net.layers.size() << " layers, " << d.done << " of " << d.cfg.images
    << " images done ==\n";
  const bool labeled = d.images.has_labels();
  if (d.estimate)
    std::snprintf(line, sizeof line, "  accuracy       not measured: performance estimation computes no values");
  else if (!labeled)
    std::snprintf(line, sizeof line, "  accuracy       not measured: synthetic images have no labels");
  else
    std::snprintf(line, sizeof line, "  accuracy       platform %.2f %%", d.percent(d.correct, d.done));
  s << line;
  if (d.cfg.reference && !d.estimate && !labeled) {
    std::snprintf(line, sizeof line, "; predictions equal to golden: %llu of %llu, logits: %llu of %llu",
                  (unsigned long long)d.same_pred, (unsigned long long)d.done, (unsigned long long)d.same_logits,
                  (unsigned long long)d.done);
    s << line;
  } else if (d.cfg.reference && !d.estimate) {
    std::snprintf(line, sizeof line, ", golden %.2f %%, float %.2f %% (logits equal to golden: %llu of %llu)",
                  d.percent(d.golden_correct, d.done), d.percent(d.float_correct, d.done),
                  (unsigned long long)d.same_logits, (unsigned long long)d.done);
    s << line;
  }
  s << "\n";
  std::snprintf(line, sizeof line, "  latency        %.1f ns per inference (%.0f CPU cycles), min %.1f, max %.1f\n", ns,
                ns * 1e-9 * d.cpu_hz, d.lat_min_ns, d.lat_max_ns);
  s << line;
  const Breakdown e = d.per_inference_energy();
  const double total = sum(e);
  std::snprintf(line, sizeof line, "  energy         %.1f pJ per inference, EDP %.4g J*s\n", total, total * 1e-12 * ns * 1e-9);
  s << line;
  for (const auto& [c, v] : e.entries()) {
    if (v == 0) continue;
    std::snprintf(line, sizeof line, "    %-22s %14.1f pJ %6.2f %%\n", c.c_str(), v, total > 0 ? 100 * v / total : 0.0);
    s << line;
  }
  s << "  layers (tile time per inference)\n";
  for (size_t i = 0; i < d.layers.size(); ++i) {
    const LayerRow& r = d.layers[i];
    std::snprintf(line, sizeof line, "    %2zu %-20s tile %u  %3u crossbars %12.1f ns %6.2f %%  %s\n", i, r.kind.c_str(),
                  r.tile, r.crossbars, r.ns, ns > 0 ? 100 * r.ns / ns : 0.0, r.name.c_str());
    s << line;
  }
  const compiler::ChipResources& chip = d.placement.chip;
  std::snprintf(line, sizeof line,
                "  crossbars      %u of %u used (%.1f %%); %.1f %% of the cells programmed hold weights\n",
                d.placement.crossbars_used, chip.total_crossbars(),
                d.percent(d.placement.crossbars_used, chip.total_crossbars()),
                d.percent(d.cells_used, uint64_t(d.placement.crossbars_needed) * chip.crossbar.rows * chip.crossbar.cols));
  s << line;
  const ProgramSnapshot all = d.p_end - d.p_load;
  std::snprintf(line, sizeof line,
                "  programming    %llu crossbars, %llu cells written, %llu pulses, %.3f ms, %.3f uJ (load phase %.3f ms)\n",
                (unsigned long long)all.commands, (unsigned long long)all.st.cells_written,
                (unsigned long long)all.st.pulses, all.busy_ns * 1e-6, all.st.energy_pj() * 1e-6, d.load_ns() * 1e-6);
  s << line;
  if (d.placement.groups > 1) {
    const ProgramSnapshot run_prog = d.p_end - d.p_infer;
    const double all_ns = d.load_ns() + d.infer_ns();
    std::snprintf(line, sizeof line,
                  "  reprogramming  %u groups: %.1f crossbars rewritten per inference, %.1f %% of the time\n",
                  d.placement.groups, d.image_marks ? double(run_prog.commands) / double(d.image_marks) : 0.0,
                  all_ns > 0 ? 100.0 * all.busy_ns / all_ns : 0.0);
    s << line;
  }
  out << s.str();
}

}  // namespace imcvp
