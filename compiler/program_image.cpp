#include "compiler/program_image.hpp"

#include <algorithm>
#include <cstring>

#include "compiler/ext_records.hpp"
#include "compiler/image_lowering.hpp"
#include "compiler/memory_plan.hpp"
#include "compiler/weight_layout.hpp"

namespace imcvp::compiler {

std::uint8_t element_format(const ActFormat& f) {
  const unsigned bytes = f.bits <= 8 ? 1 : (f.bits <= 16 ? 2 : 4);
  return std::uint8_t(bytes | (f.is_signed ? desc::kFmtSigned : 0));
}

std::uint64_t ProgramChanges::total() const {
  std::uint64_t n = 0;
  for (std::uint32_t c : cells) n += c;
  return n;
}

std::uint32_t program_changes_record_bytes(unsigned cell_bits) {
  return std::uint32_t(sizeof(imcvp_ext_record) + sizeof(imcvp_ext_program_changes) + 4u * (1u << cell_bits));
}

std::vector<std::uint8_t> program_changes_record(const ProgramChanges& c) {
  imcvp_ext_program_changes h{};
  h.levels = std::uint16_t(c.cells.size());
  h.write_parallel = c.write_parallel;
  h.write_groups = c.write_groups;
  std::vector<std::uint8_t> payload(sizeof h + 4 * c.cells.size());
  std::memcpy(payload.data(), &h, sizeof h);
  if (!c.cells.empty()) std::memcpy(payload.data() + sizeof h, c.cells.data(), 4 * c.cells.size());
  std::vector<std::uint8_t> ext;
  append_ext_record(ext, IMCVP_EXT_PROGRAM_CHANGES, payload.data(), payload.size());
  return ext;
}

ProgramChanges parse_program_changes(const std::vector<std::uint8_t>& record) {
  const std::vector<ExtRecord> recs = parse_ext_records(record, "program changes record");
  if (recs.size() != 1 || recs[0].type != IMCVP_EXT_PROGRAM_CHANGES)
    throw CompileError("program changes record: not one IMCVP_EXT_PROGRAM_CHANGES record");
  const std::vector<std::uint8_t>& p = recs[0].payload;
  imcvp_ext_program_changes h;
  if (p.size() < sizeof h) throw CompileError("program changes record: payload of " + std::to_string(p.size()) + " bytes");
  std::memcpy(&h, p.data(), sizeof h);
  if (p.size() != sizeof h + 4u * h.levels)
    throw CompileError("program changes record: " + std::to_string(h.levels) + " levels in a payload of " +
                       std::to_string(p.size()) + " bytes");
  ProgramChanges c;
  c.write_parallel = h.write_parallel;
  c.write_groups = h.write_groups;
  c.cells.resize(h.levels);
  if (h.levels) std::memcpy(c.cells.data(), p.data() + sizeof h, 4u * h.levels);
  return c;
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
    for (std::size_t i = 1; i < progs[t].size(); ++i)
      if (progs[t][i].group < progs[t][i - 1].group)  // the firmware bisects a tile's records by group
        throw CompileError("program image: tile " + std::to_string(t) + "'s crossbar writes are not in group order");
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
