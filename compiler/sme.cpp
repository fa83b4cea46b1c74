#include "compiler/sme.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "compiler/ext_records.hpp"
#include "compiler/image_lowering.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/weight_layout.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/crossbar/crossbar_array.hpp"
#include "models/splice/splice_tables.hpp"

namespace imcvp::compiler {

namespace {

constexpr const char* kTechnique = "sme";

const SmeLayer* sme_layer(const Layer& l) {
  const auto it = l.attrs.data.find(kTechnique);
  return it == l.attrs.data.end() ? nullptr : std::any_cast<SmeLayer>(&it->second);
}

SmeOptions mapping_options(int weight_bits, const CrossbarParams& p, const SmeNetworkOptions& o) {
  SmeOptions m;
  m.weight_bits = unsigned(weight_bits);
  m.nonzero_bits = o.nonzero_bits;
  m.squeeze_threshold = o.squeeze_threshold;
  m.rows = p.rows;
  m.cols = p.cols;
  try {
    check(m);
  } catch (const std::invalid_argument& e) {
    throw CompileError(std::string("network.sme: ") + e.what());
  }
  return m;
}

// The splice unit's tables of a slice's crossbars.
std::vector<SpliceRead> splice_reads(const std::vector<SmeCrossbar>& xbars) {
  std::vector<SpliceRead> reads(xbars.size());
  for (std::size_t n = 0; n < xbars.size(); ++n) reads[n] = {xbars[n].rows, xbars[n].cols};
  return reads;
}

// Output channels [c0, c0 + n) of layer l as one matrix over all its weight
// rows (a grouped layer's groups side by side, zero off the block diagonal):
// what one gather of the tile reads.
std::vector<std::int32_t> slice_matrix(const Layer& l, const QuantLayer& ql, unsigned c0, unsigned n) {
  const unsigned groups = l.kind == LayerKind::Conv && l.groups > 1 ? unsigned(l.groups) : 1u;
  const std::uint64_t kg = std::uint64_t(l.fan_in()), k_all = kg * groups;
  const unsigned ng = unsigned(l.out.c) / groups;
  std::vector<std::int32_t> w(std::size_t(n) * k_all, 0);
  for (unsigned j = 0; j < n; ++j) {
    const unsigned o = c0 + j, g = o / ng;
    for (std::uint64_t k = 0; k < kg; ++k) w[std::size_t(j) * k_all + g * kg + k] = ql.weight[std::size_t(o) * kg + k];
  }
  return w;
}

void add_totals(SmeLayerMap& t, const SmeLayerMap& m) {
  t.dense_crossbars += m.dense_crossbars;
  t.bitplane_crossbars += m.bitplane_crossbars;
  t.squeezed_crossbars += m.squeezed_crossbars;
  t.nonzero_cells += m.nonzero_cells;
  t.dense_cells += m.dense_cells;
  t.columns += m.columns;
  t.driven_rows += m.driven_rows;
}

}  // namespace

bool is_sme(const QuantizedNetwork& q) {
  for (const Layer& l : q.net.layers)
    if (sme_layer(l)) return true;
  return false;
}

void sme_pass(CompileState& s) {
  const SmeNetworkOptions& o = s.options.sme;
  if (!o.enabled) return;
  QuantizedNetwork& q = s.network();
  const SmeOptions m = mapping_options(q.weight_bits, s.options.chip.crossbar, o);
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    Layer& l = q.net.layers[i];
    if (!l.has_weights()) continue;
    if (!l.attrs.technique.empty())
      throw CompileError("layer " + l.name + " is a " + l.attrs.technique +
                         " layer already: SME takes every Conv/FC layer of a network");
    if (l.attrs.weight_bits != 0 && l.attrs.weight_bits != q.weight_bits)
      throw CompileError("layer " + l.name + " has its own " + std::to_string(l.attrs.weight_bits) +
                         "-bit weights: SME quantizes every layer at the network's " + std::to_string(q.weight_bits) +
                         " bits (network.sme with network.layer_weight_bits)");
    QuantLayer& ql = q.layers[i];
    std::vector<std::int32_t> w(ql.weight.begin(), ql.weight.end());
    SmeLayer sl;
    sl.nonzero_bits = m.nonzero_bits;
    sl.weights = w.size();
    auto count_bits = [&](std::vector<std::uint64_t>& ones) {
      ones.assign(m.weight_bits - 1, 0);
      for (std::int32_t v : w)
        for (unsigned b = 0; b + 1 < m.weight_bits; ++b) ones[b] += (std::uint32_t(v < 0 ? -v : v) >> b) & 1u;
    };
    count_bits(sl.bit_ones_before);
    sl.changed = bit_sparse_quantize(w, m.weight_bits - 1, m.nonzero_bits);
    count_bits(sl.bit_ones_after);
    for (std::size_t k = 0; k < w.size(); ++k) ql.weight[k] = std::int8_t(w[k]);
    {
      const std::uint64_t k_all = std::uint64_t(l.fan_in()) * (l.kind == LayerKind::Conv && l.groups > 1 ? l.groups : 1);
      const std::vector<std::int32_t> all = slice_matrix(l, ql, 0, unsigned(l.out.c));
      sl.whole = sme_map_layer(all.data(), unsigned(l.out.c), k_all, m, s.options.chip.crossbar.cell_bits);
      sl.whole.crossbars = {};
    }
    // the golden reference's standard arithmetic on these weights is the
    // splice unit's exactly: no hook
    l.attrs.technique = kTechnique;
    l.attrs.shared_crossbars = true;  // sme_programs writes its crossbars
    l.attrs.data[kTechnique] = std::move(sl);
  }
}

Placement place_sme(QuantizedNetwork& q, const ChipResources& chip, const SmeNetworkOptions& o) {
  const CrossbarParams& p = chip.crossbar;
  if (chip.tiles == 0 || chip.crossbars_per_tile == 0)
    throw CompileError("the chip has no crossbars (" + std::to_string(chip.tiles) + " tiles x " +
                       std::to_string(chip.crossbars_per_tile) + ")");
  if (chip.splice_table_bytes == 0)
    throw CompileError("the network is an SME network, but the tiles have no splice unit (accelerator.tile.splice)");
  const SmeOptions m = mapping_options(q.weight_bits, p, o);
  const unsigned cpt = chip.crossbars_per_tile;
  const std::uint32_t mem = chip.splice_table_bytes;
  Placement pl;
  pl.chip = chip;
  pl.layers.resize(q.net.layers.size());
  pl.used_per_tile.assign(chip.tiles, 0);
  pl.groups = 1;
  std::vector<int> tile_of_tensor(q.net.tensors.size(), -1);
  unsigned tile = 0, xb_used = 0;  // crossbars used on `tile`
  std::uint32_t tbl_used = 0;      // table bytes used there
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    Layer& l = q.net.layers[i];
    LayerPlacement& lp = pl.layers[i];
    if (!l.has_weights()) {
      lp.tile = place_on_input_tile(l, tile_of_tensor, tile);
      continue;
    }
    auto it = l.attrs.data.find(kTechnique);
    SmeLayer* sl = it == l.attrs.data.end() ? nullptr : std::any_cast<SmeLayer>(&it->second);
    if (!sl) throw CompileError("layer " + l.name + " is not bit-sparse (every Conv/FC layer of an SME network must be)");
    sl->slices.clear();
    sl->placed = SmeLayerMap{};
    const unsigned groups = l.kind == LayerKind::Conv && l.groups > 1 ? unsigned(l.groups) : 1u;
    const std::uint64_t k_all = std::uint64_t(l.fan_in()) * groups;
    if (k_all > kSpliceMaxRow + 1)
      throw CompileError("layer " + l.name + " has " + std::to_string(k_all) +
                         " weight rows, the splice unit's tables index at most " + std::to_string(kSpliceMaxRow + 1));
    const unsigned oc = unsigned(l.out.c);
    const QuantLayer& ql = q.layers[i];
    double per_output = 0;  // crossbars per output channel of the last mapping: the next slice's first guess
    unsigned c0 = 0;
    while (c0 < oc) {
      const unsigned left = oc - c0, avail = cpt - xb_used;
      unsigned n = left;
      if (per_output > 0 && groups == 1) {
        n = std::min<unsigned>(left, unsigned(double(avail) / per_output));
        if (n < left) n -= n % 4;
      }
      SmeLayerMap map;
      std::uint64_t bytes = 0;
      while (n > 0) {
        map = sme_map_layer(slice_matrix(l, ql, c0, n).data(), n, k_all, m, p.cell_bits);
        if (map.crossbars.empty()) map.crossbars.emplace_back();  // all zero: one read of nothing
        bytes = splice_table_bytes(splice_reads(map.crossbars));
        per_output = double(map.crossbars.size()) / n;
        if (map.crossbars.size() <= avail && bytes <= mem - tbl_used) break;
        if (groups > 1) {  // a grouped layer is one slice of all its outputs
          n = 0;
          break;
        }
        // fewer outputs, in proportion to what is left (whole words of 8-bit outputs: the gather copies words)
        const double f = std::min(double(avail) / double(map.crossbars.size()), double(mem - tbl_used) / double(bytes));
        unsigned nn = unsigned(double(n) * f * 0.95);
        nn -= nn % 4;
        if (nn >= n) nn = n > 4 ? (n - 1) / 4 * 4 : 0;
        n = nn;
      }
      if (n == 0) {
        if (xb_used == 0 && tbl_used == 0)
          throw CompileError("layer " + l.name + (groups > 1 ? " (a grouped convolution, not split over tiles)" : "") +
                             " needs " + std::to_string(map.crossbars.size()) + " bit-plane crossbars and " +
                             std::to_string(bytes) + " bytes of splice tables for " +
                             std::to_string(groups > 1 ? oc : 4u) + " output channels, more than a tile's " +
                             std::to_string(cpt) + " crossbars and " + std::to_string(mem) +
                             " bytes (accelerator.tile.crossbars, accelerator.tile.splice.table_bytes)");
        if (++tile >= chip.tiles)
          throw CompileError("the SME network's bit-plane crossbars do not fit the chip of " +
                             std::to_string(chip.tiles) + " tiles x " + std::to_string(cpt) + " crossbars and " +
                             std::to_string(mem) +
                             " bytes of splice tables (accelerator.tiles, accelerator.tile.crossbars, "
                             "accelerator.tile.splice.table_bytes); layer " + l.name + " is the first that does not fit");
        xb_used = 0;
        tbl_used = 0;
        continue;
      }
      SmeLayer::Slice s;
      s.table_off = tbl_used;
      s.table_bytes = std::uint32_t(bytes);
      for (std::size_t x = 0; x < map.crossbars.size(); ++x) s.xbars.push_back(std::uint16_t(xb_used + x));
      BlockData bd{IMCVP_BLOCK_SLOT_SPLICE, IMCVP_SPLICE_TABLE_MEM + tbl_used,
                   encode_splice_tables(splice_reads(map.crossbars)), int(tile)};
      l.attrs.block_data.push_back(std::move(bd));
      lp.slices.push_back({c0, n, int(xb_used), 1, 0, int(tile)});
      add_totals(sl->placed, map);
      s.crossbars = std::move(map.crossbars);
      xb_used += unsigned(s.xbars.size());
      tbl_used += s.table_bytes;
      pl.used_per_tile[tile] = xb_used;
      pl.crossbars_used += unsigned(s.xbars.size());
      sl->slices.push_back(std::move(s));
      c0 += n;
    }
    lp.tile = lp.slices.front().tile;
    lp.first_xbar = lp.slices.front().first_xbar;
    lp.row_groups = unsigned(sl->slices.front().xbars.size());
    lp.col_groups = 1;
    lp.group = 0;
    tile_of_tensor.at(std::size_t(l.output)) = lp.tile;
    // each slice's records: its crossbars, one per read, and where its tables are
    struct SliceRecords {
      unsigned c0, tile;
      std::vector<std::uint8_t> ext;
    };
    std::vector<SliceRecords> recs;
    for (std::size_t k = 0; k < lp.slices.size(); ++k) {
      const SmeLayer::Slice& s = sl->slices[k];
      imcvp_ext_splice rec{};
      rec.table_off = s.table_off;
      rec.table_bytes = s.table_bytes;
      rec.reads = std::uint16_t(s.xbars.size());
      std::vector<std::uint8_t> ext = xbar_list_record(s.xbars);
      append_ext_record(ext, IMCVP_EXT_SPLICE, &rec, sizeof rec);
      recs.push_back({lp.slices[k].c0, unsigned(lp.slices[k].tile), std::move(ext)});
    }
    l.attrs.slice_ext = [recs, name = l.name](unsigned c, unsigned, unsigned t) {
      for (const SliceRecords& r : recs)
        if (r.c0 == c && r.tile == t) return r.ext;
      throw CompileError("layer " + name + ": no SME slice at output channel " + std::to_string(c) + " on tile " +
                         std::to_string(t));
    };
  }
  pl.crossbars_needed = pl.crossbars_used;
  return pl;
}

void sme_programs(CompileState& s) {
  if (!is_sme(s.network())) return;
  const CrossbarParams& p = s.placement.chip.crossbar;
  const CrossbarParams planes = with_format(p, WeightFormat{1, p.cell_bits, SignedMode::Unsigned});
  s.programs.resize(s.placement.chip.tiles);
  for (const Layer& l : s.network().net.layers) {
    const SmeLayer* sl = sme_layer(l);
    if (!sl) continue;
    const LayerPlacement& lp = s.placement.layers.at(std::size_t(&l - s.network().net.layers.data()));
    for (std::size_t k = 0; k < sl->slices.size(); ++k) {
      const SmeLayer::Slice& sc = sl->slices[k];
      for (std::size_t x = 0; x < sc.crossbars.size(); ++x) {
        const SmeCrossbar& xb = sc.crossbars[x];
        ImageProgram pr;
        pr.tile = std::uint16_t(lp.slices[k].tile);
        pr.group = 0;
        pr.desc = blank_desc(desc::Program);
        pr.desc.xbar = sc.xbars[x];
        const std::vector<std::int32_t> cells(xb.cells.begin(), xb.cells.end());
        try {
          set_program_once(pr, p,
                           map_weights(planes, cells.data(), unsigned(xb.rows.size()), unsigned(xb.cols.size())).levels,
                           s.options.image.levels);
        } catch (const std::invalid_argument& e) {
          throw CompileError("layer " + l.name + ", SME crossbar " + std::to_string(x) + ": " + e.what());
        }
        s.programs[pr.tile].push_back(std::move(pr));
      }
    }
  }
}

SmeSummary sme_summary(const QuantizedNetwork& q) {
  SmeSummary r;
  for (const Layer& l : q.net.layers) {
    const SmeLayer* sl = sme_layer(l);
    if (!sl) continue;
    ++r.layers;
    r.nonzero_bits = sl->nonzero_bits;
    r.weights += sl->weights;
    r.changed += sl->changed;
    r.bit_ones_before.resize(sl->bit_ones_before.size(), 0);
    r.bit_ones_after.resize(sl->bit_ones_after.size(), 0);
    for (std::size_t b = 0; b < sl->bit_ones_before.size(); ++b) {
      r.bit_ones_before[b] += sl->bit_ones_before[b];
      r.bit_ones_after[b] += sl->bit_ones_after[b];
    }
    r.dense_crossbars += sl->whole.dense_crossbars;
    r.bitplane_crossbars += sl->whole.bitplane_crossbars;
    r.squeezed_crossbars += sl->whole.squeezed_crossbars;
    r.dense_cells += sl->whole.dense_cells;
    r.nonzero_cells += sl->whole.nonzero_cells;
    r.columns += sl->whole.columns;
    r.driven_rows += sl->whole.driven_rows;
    for (const SmeLayer::Slice& s : sl->slices) {
      r.placed_crossbars += s.xbars.size();
      r.table_bytes += s.table_bytes;
    }
    r.placed_columns += sl->placed.columns;
  }
  return r;
}

void print_sme_summary(std::ostream& os, const QuantizedNetwork& q) {
  const SmeSummary s = sme_summary(q);
  if (!s.layers) return;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "SME: %u layers, at most %u nonzero bits per weight magnitude (%.1f %% of %llu weights moved)\n"
                "  crossbars: dense bit-sliced %llu, bit planes %llu, squeezed %llu (%.2fx fewer than dense)\n"
                "  cells: dense %llu, ones stored %llu (%.2fx fewer); columns %llu, driven rows %llu\n",
                s.layers, s.nonzero_bits, s.weights ? 100.0 * double(s.changed) / double(s.weights) : 0.0,
                (unsigned long long)s.weights, (unsigned long long)s.dense_crossbars,
                (unsigned long long)s.bitplane_crossbars, (unsigned long long)s.squeezed_crossbars,
                s.squeezed_crossbars ? double(s.dense_crossbars) / double(s.squeezed_crossbars) : 0.0,
                (unsigned long long)s.dense_cells, (unsigned long long)s.nonzero_cells,
                s.nonzero_cells ? double(s.dense_cells) / double(s.nonzero_cells) : 0.0,
                (unsigned long long)s.columns, (unsigned long long)s.driven_rows);
  os << buf;
  os << "  weights with magnitude bit b set (b = 0, 1, ...): before";
  for (std::uint64_t o : s.bit_ones_before) {
    std::snprintf(buf, sizeof buf, " %.1f%%", s.weights ? 100.0 * double(o) / double(s.weights) : 0.0);
    os << buf;
  }
  os << "; after";
  for (std::uint64_t o : s.bit_ones_after) {
    std::snprintf(buf, sizeof buf, " %.1f%%", s.weights ? 100.0 * double(o) / double(s.weights) : 0.0);
    os << buf;
  }
  os << "\n";
}

}  // namespace imcvp::compiler
