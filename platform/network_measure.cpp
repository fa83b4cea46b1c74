// NetworkRun's measurements (platform/network_measure.hpp): the energy
// breakdown, the programming snapshots, the phase marks and the results.
#include "platform/network_measure.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "compiler/program_image.hpp"
#include "imcvp/memory_map.h"
#include "imcvp/workload.h"
#include "models/tile/tile.hpp"
#include "platform/network_build.hpp"

namespace imcvp {

namespace {

constexpr const char* kCategories[] = {"cell_array", "dac", "adc", "shift_add", "accumulate_activation",
                                       "buffers", "dma_bus", "host_cpu", "programming", "noc", "other"};

}  // namespace

// --- Breakdown ---

Breakdown::Breakdown() {
  for (const char* c : kCategories) v_.push_back({c, 0.0});
}

Breakdown Breakdown::of(const EnergyLedger& l) {
  Breakdown b;
  for (const auto& [block, events] : l.blocks())
    for (const auto& [event, e] : events) b[e.category.empty() ? "other" : e.category] += e.pj;
  return b;
}

double& Breakdown::operator[](const std::string& category) {
  for (auto& e : v_)
    if (e.first == category) return e.second;
  v_.push_back({category, 0.0});
  return v_.back().second;
}

double Breakdown::at(const std::string& category) const {
  for (const auto& e : v_)
    if (e.first == category) return e.second;
  return 0.0;
}

Breakdown Breakdown::minus(const Breakdown& b) const {
  Breakdown d;
  for (const auto& [c, v] : v_) d[c] = v - b.at(c);
  for (const auto& [c, v] : b.entries()) d[c] = at(c) - v;
  return d;
}

double Breakdown::total() const {
  double s = 0;
  for (const auto& e : v_) s += e.second;
  return s;
}

// --- ProgramSnapshot ---

ProgramSnapshot ProgramSnapshot::of(const std::vector<const Tile*>& tiles) {
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

// --- NetworkMarks ---

void NetworkMarks::record(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* l) {
  switch (m) {
    case IMCVP_MARK_LOAD_BEGIN:
      t_load = at;
      e_load = Breakdown::of(*l);
      p_load = ProgramSnapshot::of(tiles);
      break;
    case IMCVP_MARK_INFER_BEGIN:
      t_infer = at;
      t_last_image = at;
      e_infer = Breakdown::of(*l);
      p_infer = ProgramSnapshot::of(tiles);
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
      e_end = Breakdown::of(*l);
      p_end = ProgramSnapshot::of(tiles);
      break;
    default: break;  // unknown marks are the firmware's business
  }
}

void NetworkMarks::finish(const std::vector<const Tile*>& run_tiles, const EnergyLedger& ledger) {
  tiles = run_tiles;
  if (!t_infer) {
    p_infer = p_end = ProgramSnapshot::of(tiles);  // the load phase got this far
  } else if (!t_end) {
    p_end = ProgramSnapshot::of(tiles);
    e_end = Breakdown::of(ledger);
  }
}

double NetworkMarks::infer_ns() const {
  if (!t_infer) return 0;
  const sc_core::sc_time end = t_end ? *t_end : (t_last_image ? *t_last_image : *t_infer);
  return (end - *t_infer).to_seconds() * 1e9;
}

double NetworkMarks::per_inference_ns() const { return image_marks ? infer_ns() / double(image_marks) : 0; }

double NetworkMarks::load_ns() const { return t_load && t_infer ? (*t_infer - *t_load).to_seconds() * 1e9 : 0; }

Breakdown NetworkMarks::infer_energy() const {
  if (!e_infer || !e_end) return Breakdown{};
  return e_end->minus(*e_infer);
}

Breakdown NetworkMarks::load_energy() const {
  if (!e_load || !e_infer) return Breakdown{};
  return e_infer->minus(*e_load);
}

Breakdown NetworkMarks::per_inference_energy() const {
  Breakdown b;
  if (!image_marks) return b;
  const Breakdown inf = infer_energy(), load = load_energy();
  for (const auto& [c, v] : inf.entries()) b[c] = v / double(image_marks);
  b["programming"] += load.at("programming") / double(image_marks);
  return b;
}

// --- NetworkResults ---

void NetworkResults::read(const NetworkBuild& build, const uint8_t* memory, const std::vector<const Tile*>& tiles,
                          double run_cpu_hz) {
  cpu_hz = run_cpu_hz;
  if (!tiles.empty()) tile_clock_ns = tiles[0]->params().clock_ns;
  const imcvp_workload& h = build.header;
  std::vector<int32_t> scores(build.classes);
  for (size_t i = 0; i < h.input_count; ++i) {
    const uint8_t* rec = memory + h.result_off + i * h.result_stride;
    imcvp_result r;
    std::memcpy(&r, rec, sizeof r);
    if (r.status != IMCVP_RESULT_DONE) continue;
    ++done;
    std::memcpy(scores.data(), rec + sizeof r, 4 * build.classes);
    const bool labeled = build.images.has_labels();
    if (labeled && r.prediction == build.images.labels[i]) ++correct;
    if (build.cfg.reference && !build.estimate) {
      if (labeled && build.golden_pred[i] == build.images.labels[i]) ++golden_correct;
      if (labeled && build.float_pred[i] == build.images.labels[i]) ++float_correct;
      if (build.golden_pred[i] == r.prediction) ++same_pred;
      if (std::equal(scores.begin(), scores.end(), build.golden_logits.begin() + std::ptrdiff_t(i * build.classes)))
        ++same_logits;
    }
  }
  const compiler::QuantizedNetwork& q = build.compiled.network;
  std::map<unsigned, size_t> row_of;  // net layer -> row
  for (const compiler::ImageLayer& il : build.image.layers) {
    if (il.desc.op == IMCVP_IMAGE_OP_COPY) continue;  // a gather copy: the firmware's DMA, no tile time
    const compiler::Layer& l = q.net.layers.at(il.net_layer);
    auto [it, added] = row_of.emplace(il.net_layer, layers.size());
    if (added) {
      LayerRow row;
      row.name = l.name;
      row.kind = compiler::to_string(l.kind);
      row.tile = il.tile;
      row.crossbars = build.placement.layers.at(il.net_layer).crossbars();
      layers.push_back(row);
    }
    LayerRow& row = layers[it->second];
    ++row.slices;
    if (il.tile < tiles.size()) {
      const auto& by = tiles[il.tile]->descriptor_stats();
      if (auto st = by.find(il.desc_off); st != by.end() && st->second.commands) {
        row.ns += st->second.busy_ns / double(st->second.commands);
        row.mvms += double(st->second.mvms) / double(st->second.commands);
      }
    }
  }
}

}  // namespace imcvp
