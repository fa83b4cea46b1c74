#include "compiler/placement.hpp"

#include <algorithm>
#include <string>

namespace imcvp::compiler {

WeightFormat layer_format(const Layer& l, const CrossbarParams& p) {
  WeightFormat f = weight_format(p);
  if (l.attrs.weight_bits > 0) f.weight_bits = unsigned(l.attrs.weight_bits);
  return f;
}

CrossbarLayout layer_layout(const Layer& l, const CrossbarParams& p) {
  const unsigned groups = l.kind == LayerKind::Conv && l.groups > 1 ? unsigned(l.groups) : 1u;
  return crossbar_layout(p, layer_format(l, p), groups, std::uint64_t(l.fan_in()), unsigned(l.out.c) / groups);
}

CrossbarLayout slice_layout(const Layer& l, const CrossbarParams& p, const LayerSlice& s) {
  const CrossbarLayout whole = layer_layout(l, p);
  return whole.groups > 1 ? whole : crossbar_layout(p, whole.format, 1, whole.kg, s.channels);
}

unsigned crossbars_needed(const Layer& l, const CrossbarParams& p) {
  return l.has_weights() ? layer_layout(l, p).crossbars() : 0u;
}

std::uint64_t cells_used(const Layer& l, const CrossbarParams& p) {
  return l.has_weights() && !l.attrs.shared_crossbars ? layer_layout(l, p).cells_used() : 0u;
}

int place_on_input_tile(const Layer& l, std::vector<int>& tile_of_tensor, unsigned current) {
  const int t = tile_of_tensor.at(std::size_t(l.inputs.at(0)));
  return tile_of_tensor.at(std::size_t(l.output)) = t >= 0 ? t : int(current);
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
  for (const Layer& l : n.layers)
    if (l.has_weights() && l.attrs.weight_bits > int(p.weight_bits))
      throw CompileError("layer '" + l.name + "' has " + std::to_string(l.attrs.weight_bits) +
                         "-bit weights (layer_weight_bits), the crossbars hold " + std::to_string(p.weight_bits) +
                         "-bit weights");
  const unsigned cpt = chip.crossbars_per_tile;
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
      lp.tile = place_on_input_tile(l, tile_of_tensor, tile);
      lp.group = group;
      continue;
    }
    const CrossbarLayout lay = layer_layout(l, p);
    const bool grouped = lay.groups > 1;
    lp.row_groups = lay.packs * lay.row_groups;  // crossbars per column group (a dense layer: one pack)
    lp.col_groups = lay.col_groups;
    const unsigned rg = lp.row_groups;
    // The next k column groups as one slice at (tile, next); a grouped
    // layer's one slice holds every pack: all output channels.
    unsigned done = 0;
    auto add_slice = [&](unsigned k) {
      const unsigned npx = lay.outputs_per_xbar, c0 = done * npx;
      const unsigned ch = grouped ? unsigned(l.out.c) : std::min(k * npx, unsigned(l.out.c) - c0);
      lp.slices.push_back({c0, ch, int(next), k, group, int(tile)});
      for (unsigned x = 0; x < rg * k; ++x) slot[tile][next + x] = true;
      done += k;
      next += k * rg;
    };
    if (!split) {
      // spatial: a layer that fits a tile on one tile (the next when this
      // one has too little room left); a larger one in slices of whole
      // column groups over consecutive tiles
      const unsigned need = lp.crossbars();
      if (rg > cpt || (grouped && need > cpt))
        throw CompileError("layer " + l.name + " needs " + std::to_string(grouped ? need : rg) + " crossbars " +
                           (grouped ? std::string("(a grouped convolution is not split over tiles)")
                                    : "for one column group (" + std::to_string(l.fan_in()) + " inputs of " +
                                          std::to_string(p.rows) + " rows)") +
                           ", a tile has " + std::to_string(cpt));
      if (options.spread && placed > 0 && tile + 1 < chip.tiles) {
        ++tile;
        next = 0;
      } else if (next + (need <= cpt ? need : rg) > cpt) {
        ++tile;
        next = 0;
      }
      ++placed;
      while (done < lp.col_groups) {
        if (next + rg > cpt) {
          ++tile;
          next = 0;
        }
        if (tile >= chip.tiles)
          throw CompileError("network needs " + std::to_string(total) + " crossbars, which do not pack into " +
                             std::to_string(chip.tiles) + " tiles x " + std::to_string(cpt) + " (layer " + l.name +
                             " is the first that does not fit)");
        add_slice(std::min(lp.col_groups - done, (cpt - next) / rg));
      }
    } else {
      if (grouped && lp.crossbars() > cpt)
        throw CompileError("layer " + l.name + " (a grouped convolution) needs " + std::to_string(lp.crossbars()) +
                           " crossbars, a tile has " + std::to_string(cpt) + ": grouped layers are not split");
      if (rg > cpt)
        throw CompileError("layer " + l.name + " needs " + std::to_string(rg) +
                           " crossbars for one column group (" + std::to_string(l.fan_in()) +
                           " inputs), a tile has " + std::to_string(cpt) + ": not even reprogramming fits it");
      // the first slice: this tile if it has room, else the next, else a new group
      const unsigned first_need = grouped ? lp.crossbars() : rg;
      if (next + first_need > cpt) {
        ++tile;
        next = 0;
        if (tile >= chip.tiles) new_group(0);
      }
      while (done < lp.col_groups) {
        if (next + rg > cpt) new_group(tile);  // later slices stay on the layer's tile
        add_slice(grouped ? lp.col_groups : std::min(lp.col_groups - done, (cpt - next) / rg));
      }
    }
    lp.tile = lp.slices.front().tile;
    lp.first_xbar = lp.slices.front().first_xbar;
    lp.group = lp.slices.front().group;
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
