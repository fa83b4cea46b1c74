#include "compiler/weight_layout.hpp"

#include <stdexcept>

#include "compiler/image_lowering.hpp"
#include "models/crossbar/crossbar_array.hpp"

namespace imcvp::compiler {

std::vector<std::vector<ImageProgram>> layout_weights(const QuantizedNetwork& q, const Placement& pl, bool levels,
                                                      const std::atomic<bool>* stop) {
  const CrossbarParams& p = pl.chip.crossbar;
  std::vector<std::vector<ImageProgram>> progs(pl.chip.tiles);
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
            if (levels && rows && outs) {
              try {
                pr.levels = map_weights(fp, lay.crossbar_weights(ws, pk, rg, cg), rows, outs).levels;
              } catch (const std::invalid_argument& e) {
                throw CompileError("layer " + l.name + ": " + e.what());
              }
            } else if (levels) {
              pr.levels.assign(std::size_t(p.rows) * p.cols, 0);  // a short last pack's empty crossbar
            }
            progs[st].push_back(std::move(pr));
          }
    }
  }
  return progs;
}

}  // namespace imcvp::compiler
