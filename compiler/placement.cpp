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

Placement place(const QuantizedNetwork& q, const ChipResources& chip) {
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
  Placement pl;
  pl.chip = chip;
  pl.layers.resize(n.layers.size());
  pl.used_per_tile.assign(chip.tiles, 0);
  unsigned total = 0;
  for (const Layer& l : n.layers) total += crossbars_needed(l, p);
  if (total > chip.total_crossbars())
    throw CompileError("network needs " + std::to_string(total) + " crossbars, the chip has " +
                       std::to_string(chip.total_crossbars()) + " (" + std::to_string(chip.tiles) + " tiles x " +
                       std::to_string(chip.crossbars_per_tile) + ")");
  std::vector<int> tile_of_tensor(n.tensors.size(), -1);
  unsigned tile = 0, next = 0;
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    LayerPlacement& lp = pl.layers[i];
    if (l.has_weights()) {
      lp.row_groups = ceil_div(std::uint64_t(l.fan_in()), p.rows);
      lp.col_groups = ceil_div(std::uint64_t(l.out.c), p.max_outputs());
      const unsigned need = lp.crossbars();
      if (need > chip.crossbars_per_tile)
        throw CompileError("layer " + l.name + " needs " + std::to_string(need) + " crossbars (" +
                           std::to_string(lp.row_groups) + " row groups x " + std::to_string(lp.col_groups) +
                           " column groups), a tile has " + std::to_string(chip.crossbars_per_tile));
      if (next + need > chip.crossbars_per_tile) {
        ++tile;
        next = 0;
      }
      if (tile >= chip.tiles)
        throw CompileError("network needs " + std::to_string(total) + " crossbars, which do not pack into " +
                           std::to_string(chip.tiles) + " tiles x " + std::to_string(chip.crossbars_per_tile) +
                           " without splitting layer " + l.name + " over tiles");
      lp.tile = int(tile);
      lp.first_xbar = int(next);
      next += need;
      pl.used_per_tile[tile] += need;
      pl.crossbars_used += need;
    } else {
      const int t = tile_of_tensor.at(std::size_t(l.inputs.at(0)));
      lp.tile = t >= 0 ? t : int(tile);
    }
    tile_of_tensor.at(std::size_t(l.output)) = lp.tile;
  }
  return pl;
}

}  // namespace imcvp::compiler
