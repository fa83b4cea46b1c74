#include "compiler/weight_layout.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include "compiler/image_lowering.hpp"
#include "models/crossbar/crossbar_array.hpp"

namespace imcvp::compiler {

ProgramChanges program_changes(const CrossbarParams& p, const std::uint8_t* from, const std::uint8_t* to) {
  ProgramChanges c;
  c.cells.assign(std::size_t(1) << p.cell_bits, 0);
  c.write_parallel = std::uint16_t(p.write_parallel_cells);
  const unsigned par = p.write_parallel_cells ? p.write_parallel_cells : 1u;
  for (unsigned r = 0; r < p.rows; ++r) {
    unsigned in_row = 0;
    for (unsigned col = 0; col < p.cols; ++col) {
      const std::size_t i = std::size_t(r) * p.cols + col;
      const std::uint8_t was = from ? from[i] : 0;
      if (to[i] == was) continue;
      if (to[i] >= c.cells.size()) throw CompileError("program changes: level " + std::to_string(to[i]) +
                                                      " above the cell's " + std::to_string(c.cells.size() - 1));
      ++c.cells[to[i]];
      ++in_row;
    }
    c.write_groups += (in_row + par - 1) / par;
  }
  return c;
}

void set_program_once(ImageProgram& pr, const CrossbarParams& p, std::vector<std::uint8_t> levels, bool with_levels) {
  if (with_levels) {
    pr.levels = std::move(levels);
    return;
  }
  pr.ext[0] = pr.ext[1] = program_changes_record(program_changes(p, nullptr, levels.data()));
}

namespace {

// An image without levels: the cells each PROGRAM record changes, from what
// its crossbar holds when the firmware issues it (imcvp_image_program.ext_off).
// The firmware issues group 0 at load and then every group in order, once
// per image (the layers' groups rise in execution order: checked below), so
//  - the first issue of a record follows the previous record of its tile and
//    crossbar in table order (each tile's records are in group order), or
//    the reset state (level 0 everywhere) for the first;
//  - a later issue follows the same previous record, except the first record
//    of a tile and crossbar, which follows the last one: the content the
//    previous image left. With one group nothing is issued twice.
class ChangeCounter {
 public:
  ChangeCounter(const CrossbarParams& p, bool cyclic) : p_(p), cyclic_(cyclic) {}

  void add(std::vector<std::vector<ImageProgram>>& progs, unsigned tile, std::vector<std::uint8_t> levels) {
    ImageProgram& pr = progs[tile].back();
    const std::uint32_t key = (std::uint32_t(tile) << 16) | pr.desc.xbar;
    if (!cyclic_) {
      if (!single_.insert(key).second)
        throw CompileError("tile " + std::to_string(tile) + ", crossbar " + std::to_string(pr.desc.xbar) +
                           ": programmed twice in one group");
      pr.ext[0] = pr.ext[1] = program_changes_record(program_changes(p_, nullptr, levels.data()));
      return;
    }
    auto it = held_.find(key);
    if (it == held_.end()) {
      pr.ext[0] = program_changes_record(program_changes(p_, nullptr, levels.data()));
      held_.emplace(key, Held{levels, std::move(levels), tile, progs[tile].size() - 1});
      return;
    }
    pr.ext[0] = pr.ext[1] = program_changes_record(program_changes(p_, it->second.content.data(), levels.data()));
    it->second.content = std::move(levels);
  }

  // The later issues of each tile and crossbar's first record.
  void finish(std::vector<std::vector<ImageProgram>>& progs) {
    for (auto& [key, h] : held_)
      progs[h.tile][h.index].ext[1] =
          program_changes_record(program_changes(p_, h.content.data(), h.first.data()));
  }

 private:
  struct Held {
    std::vector<std::uint8_t> content;  // the last record's levels so far
    std::vector<std::uint8_t> first;    // the first record's
    unsigned tile;
    std::size_t index;  // of the first record in progs[tile]
  };
  const CrossbarParams& p_;
  bool cyclic_;
  std::map<std::uint32_t, Held> held_;
  std::set<std::uint32_t> single_;
};

// The order ChangeCounter assumes: the layers' (and their slices') groups
// never fall in execution order.
void check_group_order(const Placement& pl) {
  unsigned g = 0;
  for (const LayerPlacement& lp : pl.layers) {
    if (lp.group < g) throw CompileError("estimation image: the layers' groups fall in execution order");
    g = lp.group;
    for (const LayerSlice& sl : lp.slices) {
      if (unsigned(sl.group) < g) throw CompileError("estimation image: the layers' groups fall in execution order");
      g = unsigned(sl.group);
    }
  }
}

}  // namespace

std::vector<std::vector<ImageProgram>> layout_weights(const QuantizedNetwork& q, const Placement& pl, bool levels,
                                                      const std::atomic<bool>* stop) {
  const CrossbarParams& p = pl.chip.crossbar;
  std::vector<std::vector<ImageProgram>> progs(pl.chip.tiles);
  if (!levels && pl.groups > 1) check_group_order(pl);
  ChangeCounter counter(p, pl.groups > 1);
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    const Layer& l = q.net.layers[i];
    if (!l.has_weights() || l.attrs.shared_crossbars) continue;  // shared: its technique programs them
    const std::vector<std::int32_t> w(q.layers[i].weight.begin(), q.layers[i].weight.end());
    const CrossbarParams fp = with_format(p, layer_format(l, p));  // the layer's own weight format
    for (const LayerSlice& sl : pl.layers[i].slices) {
      throw_if_stopped(stop);
      const CrossbarLayout lay = slice_layout(l, p, sl);
      // a dense slice's weights start at its first channel's row
      const std::int32_t* ws = w.data() + (lay.groups > 1 ? 0 : std::size_t(sl.c0) * lay.kg);
      const unsigned st = unsigned(sl.tile);
      for (unsigned pk = 0; pk < lay.packs; ++pk)
        for (unsigned rg = 0; rg < lay.row_groups; ++rg)
          for (unsigned cg = 0; cg < lay.col_groups; ++cg) {
            ImageProgram pr;
            pr.tile = std::uint16_t(st);
            pr.group = std::uint16_t(sl.group);
            pr.desc = blank_desc(desc::Program);
            pr.desc.xbar = std::uint16_t(unsigned(sl.first_xbar) + lay.index(pk, rg, cg));
            const unsigned rows = lay.rows_in(pk, rg), outs = lay.outputs_in(pk, cg);
            std::vector<std::uint8_t> lv;
            if (rows && outs) {
              try {
                lv = map_weights(fp, lay.crossbar_weights(ws, pk, rg, cg), rows, outs).levels;
              } catch (const std::invalid_argument& e) {
                throw CompileError("layer " + l.name + ": " + e.what());
              }
            } else {
              lv.assign(std::size_t(p.rows) * p.cols, 0);  // a short last pack's empty crossbar
            }
            progs[st].push_back(std::move(pr));
            if (levels)
              progs[st].back().levels = std::move(lv);
            else
              counter.add(progs, st, std::move(lv));  // the image carries the cells it changes instead
          }
    }
  }
  if (!levels) counter.finish(progs);
  return progs;
}

}  // namespace imcvp::compiler
