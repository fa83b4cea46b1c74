#include "compiler/memory_plan.hpp"

#include <algorithm>
#include <iterator>
#include <map>

namespace imcvp::compiler {

namespace {

std::uint32_t align4(std::uint64_t v) { return std::uint32_t((v + 3) & ~std::uint64_t(3)); }

// First-fit allocator of one tile's tensor region, so that tensors whose
// last reader has run give their bytes back (a 224 x 224 network's
// activations do not fit a buffer side by side).
class TensorArena {
 public:
  TensorArena(std::uint32_t begin, std::uint32_t end) : high_(begin) {
    if (end > begin) free_[begin] = end - begin;
  }
  // Offset of `bytes` (rounded up to 4), or -1 when no free block holds them.
  std::int64_t take(std::uint64_t bytes) {
    const std::uint64_t n = (bytes + 3) & ~std::uint64_t(3);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < n) continue;
      const std::uint32_t off = it->first, left = std::uint32_t(it->second - n);
      free_.erase(it);
      if (left) free_[std::uint32_t(off + n)] = left;
      high_ = std::max<std::uint64_t>(high_, off + n);
      in_use_ += n;
      return off;
    }
    return -1;
  }
  void give(std::uint32_t off, std::uint64_t bytes) {
    const std::uint32_t n = std::uint32_t((bytes + 3) & ~std::uint64_t(3));
    in_use_ -= n;
    auto it = free_.emplace(off, n).first;
    auto next = std::next(it);
    if (next != free_.end() && it->first + it->second == next->first) {
      it->second += next->second;
      free_.erase(next);
    }
    if (it != free_.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        free_.erase(it);
      }
    }
  }
  std::uint32_t high_water() const { return std::uint32_t(high_); }
  std::uint64_t in_use() const { return in_use_; }
  std::uint64_t largest_free() const {
    std::uint64_t m = 0;
    for (const auto& f : free_) m = std::max<std::uint64_t>(m, f.second);
    return m;
  }

 private:
  std::map<std::uint32_t, std::uint64_t> free_;
  std::uint64_t high_, in_use_ = 0;
};

}  // namespace

MemoryPlan plan_memory(const QuantizedNetwork& q, const Placement& pl, std::vector<LoweredLayer> lowered,
                       const ImageOptions& opts) {
  const FloatNetwork& n = q.net;
  const ChipResources& chip = pl.chip;
  const CrossbarParams& p = chip.crossbar;
  MemoryPlan plan;
  plan.tiles.resize(chip.tiles);

  // Per tile: the PROGRAM slot, one slot per record (descriptor + extension
  // records), parameters, levels staging, then tensors, each 4-byte aligned.
  // The PROGRAM slot holds, in an image without levels, the descriptor's
  // IMCVP_EXT_PROGRAM_CHANGES record too (its size depends on cell_bits alone).
  const std::uint32_t program_slot =
      std::uint32_t(sizeof(LayerDesc)) + (opts.levels ? 0u : program_changes_record_bytes(p.cell_bits));
  std::vector<std::uint64_t> desc_bytes(chip.tiles, program_slot), param_bytes(chip.tiles, 0);
  std::vector<std::uint32_t> records_on(chip.tiles, 0);
  for (const LoweredLayer& ll : lowered)
    for (const LoweredRecord& r : ll.records) {
      if (r.buffers.gather) continue;
      ++records_on[r.layer.tile];
      desc_bytes[r.layer.tile] += sizeof(LayerDesc) + r.layer.ext.size();
      param_bytes[r.layer.tile] += r.layer.params.size() * sizeof(RequantEntry);
    }
  std::vector<std::uint32_t> next_desc(chip.tiles), next_param(chip.tiles);
  std::vector<TensorArena> arena;
  for (unsigned t = 0; t < chip.tiles; ++t) {
    next_desc[t] = IMCVP_IMAGE_PROGRAM_DESC_OFF + program_slot;  // slot 0: the PROGRAM descriptor
    next_param[t] = align4(desc_bytes[t]);
    plan.tiles[t].levels_stage_off = align4(next_param[t] + param_bytes[t]);
    const std::uint64_t tensors = pl.used_per_tile[t] && opts.levels
                                      ? align4(plan.tiles[t].levels_stage_off + std::uint64_t(p.rows) * p.cols)
                                      : plan.tiles[t].levels_stage_off;
    if (tensors > chip.buffer_bytes)
      throw CompileError("tile " + std::to_string(t) + ": " + std::to_string(records_on[t]) +
                         " descriptors, their constants and the levels staging need " + std::to_string(tensors) +
                         " bytes, the buffer has " + std::to_string(chip.buffer_bytes));
    arena.emplace_back(std::uint32_t(tensors), chip.buffer_bytes);
  }
  // The last layer that reads each tensor: its buffers are given back after it.
  std::vector<int> last_reader(n.tensors.size(), -1);
  for (std::size_t i = 0; i < n.layers.size(); ++i)
    for (int id : n.layers[i].inputs) last_reader[std::size_t(id)] = int(i);
  // tensor id -> tile -> buffer offset; home: where it was first placed.
  std::vector<std::map<unsigned, std::uint32_t>> where(n.tensors.size());
  std::vector<std::pair<unsigned, std::uint32_t>> home(n.tensors.size(), {0xFFFF, 0});
  auto tensor_bytes = [&](int id) {
    return std::uint64_t(n.tensors[std::size_t(id)].shape.size()) *
           format_bytes(element_format(q.formats[std::size_t(id)]));
  };
  auto take = [&](unsigned t, std::uint64_t bytes, const Layer& l, const std::string& what) -> std::uint32_t {
    const std::int64_t off = arena[t].take(bytes);
    if (off < 0)
      throw CompileError("layer " + l.name + ": " + what + " (" + std::to_string(bytes) + " bytes) does not fit in tile " +
                         std::to_string(t) + "'s buffer of " + std::to_string(chip.buffer_bytes) + " bytes: " +
                         std::to_string(arena[t].in_use()) + " bytes of live tensors, largest free block " +
                         std::to_string(arena[t].largest_free()) + " (accelerator.tile.buffer_size)");
    return std::uint32_t(off);
  };
  auto alloc = [&](int id, unsigned t, const Layer& l) -> std::uint32_t {
    auto it = where[std::size_t(id)].find(t);
    if (it != where[std::size_t(id)].end()) return it->second;
    const TensorInfo& ti = n.tensors[std::size_t(id)];
    const std::uint32_t off = take(t, tensor_bytes(id), l, "tensor " + ti.name + " (" + ti.shape.str() + ")");
    where[std::size_t(id)][t] = off;
    if (home[std::size_t(id)].first == 0xFFFF) home[std::size_t(id)] = {t, off};
    return off;
  };

  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    LoweredLayer& ll = lowered.at(i);
    if (ll.output_first) alloc(l.output, ll.tile, l);
    // Brings input k of a record to its tile (copied from its home when it
    // is not there yet: the record's source).
    auto input_on = [&](ImageLayer& rec, int k, int id) -> std::uint32_t {
      const bool had = where[std::size_t(id)].count(rec.tile) != 0;
      const auto h = home[std::size_t(id)];
      const std::uint32_t off = alloc(id, rec.tile, l);
      if (!had && h.first != 0xFFFF) {
        rec.src_tile[k] = std::uint16_t(h.first);
        rec.src_off[k] = h.second;
      }
      return off;
    };
    std::vector<std::pair<unsigned, std::pair<std::uint32_t, std::uint64_t>>> temps;  // (tile, (off, bytes))
    for (LoweredRecord& r : ll.records) {
      ImageLayer& rec = r.layer;
      LayerDesc& d = rec.desc;
      const RecordBuffers& b = r.buffers;
      const std::uint32_t plane = std::uint32_t(d.out_h) * std::uint32_t(d.out_w) * format_bytes(d.out_fmt);
      if (b.gather) {
        // from the previous record's temporary into the output's channels
        rec.src_tile[0] = std::uint16_t(temps.back().first);
        rec.src_off[0] = temps.back().second.first;
        d.in_off = d.out_off = alloc(b.output, rec.tile, l) + b.out_c0 * plane;
        plan.layers.push_back(std::move(rec));
        continue;
      }
      if (b.input[0] >= 0) d.in_off = input_on(rec, 0, b.input[0]);
      if (b.input[1] >= 0) d.in2_off = input_on(rec, 1, b.input[1]);
      if (b.temporary) {
        const std::uint64_t bytes = std::uint64_t(d.out_c) * plane;
        const std::uint32_t off = take(rec.tile, bytes, l, "output channels " + std::to_string(b.out_c0) + ".." +
                                                               std::to_string(b.out_c0 + d.out_c - 1));
        d.out_off = off;
        temps.push_back({rec.tile, {off, bytes}});
      } else {
        d.out_off = alloc(b.output, rec.tile, l) + b.out_c0 * plane;
      }
      // the record's descriptor slot (with its extension records) and parameters
      if (!rec.params.empty()) {
        d.param_off = next_param[rec.tile];
        next_param[rec.tile] += std::uint32_t(rec.params.size() * sizeof(RequantEntry));
      }
      rec.desc_off = next_desc[rec.tile];
      next_desc[rec.tile] += std::uint32_t(sizeof(LayerDesc) + rec.ext.size());
      plan.layers.push_back(std::move(rec));
    }
    // give back what no later layer reads
    for (const auto& tmp : temps) arena[tmp.first].give(tmp.second.first, tmp.second.second);
    for (int id : l.inputs) {
      if (!opts.reuse_buffers || last_reader[std::size_t(id)] != int(i) || id == n.input || id == n.output) continue;
      for (const auto& w : where[std::size_t(id)]) arena[w.first].give(w.second, tensor_bytes(id));
      where[std::size_t(id)].clear();
    }
  }
  for (unsigned t = 0; t < chip.tiles; ++t) plan.tiles[t].buffer_used = arena[t].high_water();
  auto io = [&](int id) {
    ImageIo r{};
    const auto h = home[std::size_t(id)];
    if (h.first == 0xFFFF) throw CompileError("tensor " + n.tensors[std::size_t(id)].name + " is not used by any layer");
    r.tile = std::uint16_t(h.first);
    r.buf_off = h.second;
    r.fmt = element_format(q.formats[std::size_t(id)]);
    const Shape& s = n.tensors[std::size_t(id)].shape;
    r.c = std::uint16_t(s.c);
    r.h = std::uint16_t(s.h);
    r.w = std::uint16_t(s.w);
    return r;
  };
  plan.input = io(n.input);
  plan.output = io(n.output);
  return plan;
}

}  // namespace imcvp::compiler
