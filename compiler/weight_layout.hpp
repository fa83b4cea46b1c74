// Weight layout: the PROGRAM records that write every Conv/FC layer's
// weights into its crossbars as cell levels, where the one crossbar layout
// (CrossbarLayout, models/crossbar/crossbar_layout.hpp) puts them.
// docs/compiler.md "The program image".
#pragma once

#include <vector>

#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"

namespace imcvp::compiler {

// Per tile, its PROGRAM records in layer, slice and crossbar order (pack,
// row group, column group), each with the crossbar's R x C levels from
// map_weights (zeros for a short last pack's empty crossbar), or no levels
// when `levels` is false. desc.param_off (the tile's levels staging offset)
// is left 0 for memory planning. Throws CompileError naming the layer when
// its weights do not map onto the cells, CompileInterrupted when `stop` is
// set (checked per layer slice).
std::vector<std::vector<ImageProgram>> layout_weights(const QuantizedNetwork& qnet, const Placement& placement,
                                                      bool levels, const std::atomic<bool>* stop = nullptr);

}  // namespace imcvp::compiler
