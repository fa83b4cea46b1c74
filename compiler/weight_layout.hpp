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
// map_weights (zeros for a short last pack's empty crossbar), or, when
// `levels` is false, no levels but the cells it changes
// (ImageProgram::ext, IMCVP_EXT_PROGRAM_CHANGES records): ext[0] from what
// the crossbar holds the first time the firmware issues the record (the
// previous record of its tile and crossbar in table order, or the reset
// state), ext[1] from what it holds at every later issue (with
// reprogramming groups, the previous record of its tile and crossbar taken
// cyclically: the last one for the first). desc.param_off (the tile's
// levels staging offset) is left 0 for memory planning. Throws CompileError
// naming the layer when its weights do not map onto the cells,
// CompileInterrupted when `stop` is set (checked per layer slice).
// The cells that writing levels `to` over `from` (rows x cols each; null:
// the reset state, level 0 everywhere) changes, per target level, and its
// write groups (rows in groups of p.write_parallel_cells changed cells).
ProgramChanges program_changes(const CrossbarParams& p, const std::uint8_t* from, const std::uint8_t* to);
// A crossbar a technique writes once, at load, from the reset state (BasisN's
// basis, SME's bit planes): `levels` itself in an image with levels, else
// the cells they change (both ext records; one group issues it once).
void set_program_once(ImageProgram& pr, const CrossbarParams& p, std::vector<std::uint8_t> levels, bool with_levels);

std::vector<std::vector<ImageProgram>> layout_weights(const QuantizedNetwork& qnet, const Placement& placement,
                                                      bool levels, const std::atomic<bool>* stop = nullptr);

}  // namespace imcvp::compiler
