#include "compiler/placement.hpp"

#include <string>

namespace imcvp::compiler {

namespace {
unsigned ceil_div(std::uint64_t a, std::uint64_t b) { return unsigned((a + b - 1) / b); }
}  // namespace

std::uint64_t cells_used(const Layer& l, const CrossbarParams& p) {
  if (!l.has_weights()) return 0;
  return std::uint64_t(l.fan_in()) * std::uint64_t(l.out.c) * p.cols_per_output();
}

unsigned crossbars_needed(const Layer& l, const CrossbarParams& p) {
  if (!l.has_weights()) return 0;
  return ceil_div(std::uint64_t(l.fan_in()), p.rows) * ceil_div(std::uint64_t(l.out.c), p.max_outputs());
}

Placement place(const QuantizedNetwork& q, const ChipResources& chip, const PlacementOptions& options) {
  const CrossbarParams& p = chip.crossbar;
  if (chip.tiles == 0 || chip.crossbars_per_tile == 0)
    throw CompileError("the chip has no crossbars (" + std::to_string(chip.tiles) + " tiles x " +
                       std::to_string(chip.crossbars_per_tile) + ")");
  if (p.rows == 0 || p.cols == 0 || p.max_outputs() == 0)
    throw CompileError("crossbar of " + std::to_string(p.rows) + " x " + std::to_string(p.cols) +
                       " cells holds no output");
  if (int(p.weight_bits) < q.weight_bits)
    throw CompileError("the network has " + std::to_string(q.weight_bits) + "-bit weights, the crossbars hold " +
                       std::to_string(p.weight_bits) + "-bit weights");
  const FloatNetwork& n = q.net;
  const unsigned cpt = chip.crossbars_per_tile, npx = p.max_outputs();
  Placement pl;
  pl.chip = chip;
  pl.layers.resize(n.layers.size());
  pl.used_per_tile.assign(chip.tiles, 0);
  unsigned total = 0;
  for (const Layer& l : n.layers) total += crossbars_needed(l, p);
  pl.crossbars_needed = total;
  const std::string chip_text = std::to_string(chip.total_crossbars()) + " (" + std::to_string(chip.tiles) +
                                " tiles x " + std::to_string(cpt) + ")";
  const bool split = total > chip.total_crossbars();
  if (split && !options.reprogram)
    throw CompileError("network needs " + std::to_string(total) + " crossbars, the chip has " + chip_text);

  std::vector<int> tile_of_tensor(n.tensors.size(), -1);
  // (tile, crossbar) slots that hold weights in some group
  std::vector<std::vector<bool>> slot(chip.tiles, std::vector<bool>(cpt, false));
  unsigned group = 0, tile = 0, next = 0, placed = 0;
  auto new_group = [&](unsigned t) {
    ++group;
    tile = t;
    next = 0;
  };
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    LayerPlacement& lp = pl.layers[i];
    if (!l.has_weights()) {
      const int t = tile_of_tensor.at(std::size_t(l.inputs.at(0)));
      lp.tile = t >= 0 ? t : int(tile);
      lp.group = group;
      tile_of_tensor.at(std::size_t(l.output)) = lp.tile;
      continue;
    }
    lp.row_groups = ceil_div(std::uint64_t(l.fan_in()), p.rows);
    lp.col_groups = ceil_div(std::uint64_t(l.out.c), npx);
    const unsigned rg = lp.row_groups;
    if (!split) {
      // spatial: the whole layer on one tile, tiles packed in order
      const unsigned need = lp.crossbars();
      if (need > cpt)
        throw CompileError("layer " + l.name + " needs " + std::to_string(need) + " crossbars (" +
                           std::to_string(rg) + " row groups x " + std::to_string(lp.col_groups) +
                           " column groups), a tile has " + std::to_string(cpt));
      if (options.spread && placed > 0 && tile + 1 < chip.tiles) {
        ++tile;
        next = 0;
      } else if (next + need > cpt) {
        ++tile;
        next = 0;
      }
      ++placed;
      if (tile >= chip.tiles)
        throw CompileError("network needs " + std::to_string(total) + " crossbars, which do not pack into " +
                           std::to_string(chip.tiles) + " tiles x " + std::to_string(cpt) +
                           " without splitting layer " + l.name + " over tiles");
      lp.slices.push_back({0, unsigned(l.out.c), int(next), lp.col_groups, 0});
      next += need;
    } else {
      if (rg > cpt)
        throw CompileError("layer " + l.name + " needs " + std::to_string(rg) +
                           " crossbars for one column group (" + std::to_string(l.fan_in()) +
                           " inputs), a tile has " + std::to_string(cpt) + ": not even reprogramming fits it");
      // the first slice: this tile if it has room, else the next, else a new group
      if (next + rg > cpt) {
        ++tile;
        next = 0;
        if (tile >= chip.tiles) new_group(0);
      }
      unsigned done = 0;
      while (done < lp.col_groups) {
        if (next + rg > cpt) new_group(tile);  // later slices stay on the layer's tile
        const unsigned k = std::min(lp.col_groups - done, (cpt - next) / rg);
        const unsigned c0 = done * npx;
        lp.slices.push_back({c0, std::min(k * npx, unsigned(l.out.c) - c0), int(next), k, group});
        done += k;
        next += k * rg;
      }
    }
    lp.tile = int(tile);
    lp.first_xbar = lp.slices.front().first_xbar;
    lp.group = lp.slices.front().group;
    for (const LayerSlice& sl : lp.slices)
      for (unsigned x = 0; x < rg * sl.col_groups; ++x) slot[tile][unsigned(sl.first_xbar) + x] = true;
    tile_of_tensor.at(std::size_t(l.output)) = lp.tile;
  }
  pl.groups = group + 1;
  for (unsigned t = 0; t < chip.tiles; ++t)
    for (unsigned x = 0; x < cpt; ++x)
      if (slot[t][x]) {
        ++pl.used_per_tile[t];
        ++pl.crossbars_used;
      }
  return pl;
}

}  // namespace imcvp::compiler
