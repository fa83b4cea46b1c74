#include "compiler/program_image.hpp"

#include <algorithm>

#include "compiler/image_lowering.hpp"
#include "compiler/memory_plan.hpp"
#include "compiler/weight_layout.hpp"

namespace imcvp::compiler {

std::uint8_t element_format(const ActFormat& f) {
  const unsigned bytes = f.bits <= 8 ? 1 : (f.bits <= 16 ? 2 : 4);
  return std::uint8_t(bytes | (f.is_signed ? desc::kFmtSigned : 0));
}

ProgramImage assemble_program_image(const QuantizedNetwork& q, const Placement& pl, const ImageOptions& opts,
                                    std::vector<std::vector<ImageProgram>> progs, MemoryPlan plan) {
  ProgramImage img;
  img.chip = pl.chip;
  img.groups = pl.groups;
  img.levels = opts.levels;
  std::copy(q.input_lut.begin(), q.input_lut.end(), img.input_lut);
  img.tiles = std::move(plan.tiles);
  img.layers = std::move(plan.layers);
  img.input = plan.input;
  img.output = plan.output;
  img.block_data = lower_block_data(q, pl);
  for (unsigned t = 0; t < pl.chip.tiles; ++t) {
    img.tiles[t].first_program = std::uint32_t(img.programs.size());
    img.tiles[t].program_count = std::uint32_t(progs.at(t).size());
    for (ImageProgram& pr : progs[t]) {
      pr.desc.param_off = img.tiles[t].levels_stage_off;  // the levels are staged there
      img.programs.push_back(std::move(pr));
    }
  }
  return img;
}

ProgramImage build_program_image(const QuantizedNetwork& q, const Placement& pl, const ImageOptions& opts) {
  if (pl.layers.size() != q.net.layers.size()) throw CompileError("placement does not match the network");
  std::vector<std::vector<ImageProgram>> progs = layout_weights(q, pl, opts.levels);
  return assemble_program_image(q, pl, opts, std::move(progs), plan_memory(q, pl, lower_network(q, pl), opts));
}

std::vector<std::uint8_t> write_program_image(const QuantizedNetwork& q, const Placement& pl) {
  return serialize_program_image(build_program_image(q, pl));
}

}  // namespace imcvp::compiler
