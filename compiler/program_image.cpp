#include "compiler/program_image.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <map>
#include <stdexcept>

#include "models/crossbar/crossbar_array.hpp"

namespace imcvp::compiler {

namespace {

std::uint32_t align4(std::uint64_t v) { return std::uint32_t((v + 3) & ~std::uint64_t(3)); }

LayerDesc blank_desc(std::uint8_t op) {
  LayerDesc d;
  std::memset(&d, 0, sizeof d);
  d.magic = desc::kMagic;
  d.version = desc::kVersion;
  d.op = op;
  d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
  return d;
}

std::uint16_t u16(int v, const std::string& what) {
  if (v < 0 || v > 0xFFFF) throw CompileError(what + " = " + std::to_string(v) + " does not fit the descriptor");
  return std::uint16_t(v);
}
std::uint8_t u8(int v, const std::string& what) {
  if (v < 0 || v > 0xFF) throw CompileError(what + " = " + std::to_string(v) + " does not fit the descriptor");
  return std::uint8_t(v);
}

struct Writer {
  std::vector<std::uint8_t> b;
  void put(const void* p, std::size_t n) {
    const auto* c = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
  void pad4() {
    while (b.size() % 4) b.push_back(0);
  }
};

struct Reader {
  const std::uint8_t* p;
  std::size_t size;
  std::size_t at = 0;
  void need(std::size_t n, const char* what) const {
    if (at + n > size || at + n < at)
      throw CompileError(std::string("program image: ") + what + " at byte " + std::to_string(at) +
                         " runs past the end (" + std::to_string(size) + " bytes)");
  }
  void get(void* dst, std::size_t n, const char* what) {
    need(n, what);
    std::memcpy(dst, p + at, n);
    at += n;
  }
};

}  // namespace

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint8_t element_format(const ActFormat& f) {
  const unsigned bytes = f.bits <= 8 ? 1 : (f.bits <= 16 ? 2 : 4);
  return std::uint8_t(bytes | (f.is_signed ? desc::kFmtSigned : 0));
}

namespace {

// First-fit allocator of one tile's tensor region, so that tensors whose
// last reader has run give their bytes back (a 224 x 224 network's
// activations do not fit a buffer side by side).
class TensorArena {
 public:
  TensorArena(std::uint32_t begin, std::uint32_t end) : high_(begin), end_(end) {
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
  std::uint32_t end() const { return end_; }

 private:
  std::map<std::uint32_t, std::uint64_t> free_;
  std::uint64_t high_, in_use_ = 0;
  std::uint32_t end_;
};

}  // namespace

ProgramImage build_program_image(const QuantizedNetwork& q, const Placement& pl, const ImageOptions& opts) {
  const FloatNetwork& n = q.net;
  const ChipResources& chip = pl.chip;
  const CrossbarParams& p = chip.crossbar;
  if (pl.layers.size() != n.layers.size()) throw CompileError("placement does not match the network");
  ProgramImage img;
  img.chip = chip;
  img.groups = pl.groups;
  img.levels = opts.levels;
  img.tiles.resize(chip.tiles);
  std::copy(q.input_lut.begin(), q.input_lut.end(), img.input_lut);

  // Per tile: descriptors (one per record + one PROGRAM), parameters, levels
  // staging, then tensors, each 4-byte aligned.
  std::vector<std::uint32_t> records_on(chip.tiles, 0), params_on(chip.tiles, 0);
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    const LayerPlacement& lp = pl.layers[i];
    if (l.has_weights()) {
      for (const LayerSlice& sl : lp.slices) {
        ++records_on[unsigned(sl.tile)];
        params_on[unsigned(sl.tile)] += sl.channels * std::uint32_t(sizeof(RequantEntry));
      }
    } else {
      const std::uint32_t recs = l.kind == LayerKind::Concat ? std::uint32_t(l.inputs.size()) : 1u;
      records_on[unsigned(lp.tile)] += recs;
      params_on[unsigned(lp.tile)] += std::uint32_t(q.layers[i].requant.size() * sizeof(RequantEntry));
    }
  }
  std::vector<std::uint32_t> next_desc(chip.tiles), next_param(chip.tiles);
  std::vector<TensorArena> arena;
  for (unsigned t = 0; t < chip.tiles; ++t) {
    next_desc[t] = IMCVP_IMAGE_PROGRAM_DESC_OFF + sizeof(LayerDesc);  // slot 0: the PROGRAM descriptor
    next_param[t] = align4(std::uint64_t(records_on[t] + 1) * sizeof(LayerDesc));
    img.tiles[t].levels_stage_off = align4(next_param[t] + params_on[t]);
    const std::uint64_t tensors = pl.used_per_tile[t] && opts.levels
                                      ? align4(img.tiles[t].levels_stage_off + std::uint64_t(p.rows) * p.cols)
                                      : img.tiles[t].levels_stage_off;
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
  auto fmt_of = [&](int id) { return element_format(q.formats[std::size_t(id)]); };
  auto tensor_bytes = [&](int id) {
    return std::uint64_t(n.tensors[std::size_t(id)].shape.size()) * format_bytes(fmt_of(id));
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

  std::vector<std::vector<ImageProgram>> progs(chip.tiles);
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    const LayerPlacement& lp = pl.layers[i];
    const QuantLayer& ql = q.layers[i];
    const unsigned t = unsigned(lp.tile);
    ImageLayer il;
    il.tile = std::uint16_t(t);
    il.net_layer = u16(int(i), "layer index");
    LayerDesc d = blank_desc(0);
    const ActFormat& fin = q.formats[std::size_t(l.inputs.at(0))];
    const ActFormat& fout = q.formats[std::size_t(l.output)];
    d.in_c = u16(l.in.c, l.name + " in_c");
    d.in_h = u16(l.in.h, l.name + " in_h");
    d.in_w = u16(l.in.w, l.name + " in_w");
    d.out_c = u16(l.out.c, l.name + " out_c");
    d.out_h = u16(l.out.h, l.name + " out_h");
    d.out_w = u16(l.out.w, l.name + " out_w");
    d.in_fmt = element_format(fin);
    d.in2_fmt = d.in_fmt;
    d.out_fmt = element_format(fout);
    d.out_min = ql.out_min;
    d.out_max = ql.out_max;
    if (d.out_min == 0 && d.out_max == 0) {
      d.out_min = fout.qmin();
      d.out_max = fout.qmax();
    }
    d.kernel_h = u8(l.kernel_h, l.name + " kernel_h");
    d.kernel_w = u8(l.kernel_w, l.name + " kernel_w");
    d.stride_h = u8(l.stride_h, l.name + " stride_h");
    d.stride_w = u8(l.stride_w, l.name + " stride_w");
    d.pad_h = u8(l.pad_h, l.name + " pad_h");
    d.pad_w = u8(l.pad_w, l.name + " pad_w");
    switch (l.kind) {
      case LayerKind::Conv:
        d.op = desc::Conv;
        d.groups = u16(l.groups, l.name + " groups");
        break;
      case LayerKind::FullyConnected:
        d.op = desc::FC;
        d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
        d.pad_h = d.pad_w = 0;
        break;
      case LayerKind::MaxPool: d.op = desc::MaxPool; break;
      case LayerKind::AvgPool: d.op = desc::AvgPool; break;
      case LayerKind::GlobalAvgPool:
        d.op = desc::AvgPool;
        d.kernel_h = u8(l.in.h, l.name + " kernel_h");
        d.kernel_w = u8(l.in.w, l.name + " kernel_w");
        d.stride_h = d.stride_w = 1;
        d.pad_h = d.pad_w = 0;
        break;
      case LayerKind::Add:
        d.op = desc::Add;
        d.add_mult_a = ql.add_mult[0];
        d.add_mult_b = ql.add_mult[1];
        d.add_shift = ql.add_shift;
        d.in2_fmt = fmt_of(l.inputs.at(1));
        break;
      case LayerKind::Concat: d.op = desc::Requant; break;
    }
    // Brings input k of the layer to tile `tt` (copied from its home when it
    // is not there yet) and sets the record's source.
    auto input_on = [&](ImageLayer& rec, int k, int id, unsigned tt) -> std::uint32_t {
      const bool had = where[std::size_t(id)].count(tt) != 0;
      const auto h = home[std::size_t(id)];
      const std::uint32_t off = alloc(id, tt, l);
      if (!had && h.first != 0xFFFF) {
        rec.src_tile[k] = std::uint16_t(h.first);
        rec.src_off[k] = h.second;
      }
      return off;
    };
    // Gives a record (with its params) its parameter and descriptor slots on
    // its tile and appends it to the image.
    auto emit = [&](ImageLayer&& rec, LayerDesc desc) {
      const unsigned rt = rec.tile;
      if (!rec.params.empty()) {
        desc.param_off = next_param[rt];
        next_param[rt] += std::uint32_t(rec.params.size() * sizeof(RequantEntry));
      }
      rec.desc_off = next_desc[rt];
      next_desc[rt] += sizeof(LayerDesc);
      rec.desc = desc;
      img.layers.push_back(std::move(rec));
    };
    std::vector<std::pair<unsigned, std::pair<std::uint32_t, std::uint64_t>>> temps;  // (tile, (off, bytes))
    il.group = std::uint16_t(lp.group);
    if (l.kind == LayerKind::Concat) {
      // one REQUANT record per input, into its channel range of the output
      const std::uint32_t out_off = alloc(l.output, t, l);
      const std::uint32_t plane = std::uint32_t(l.out.h) * std::uint32_t(l.out.w) * format_bytes(d.out_fmt);
      unsigned c0 = 0;
      for (std::size_t k = 0; k < l.inputs.size(); ++k) {
        const int id = l.inputs[k];
        const Shape& s = n.tensors[std::size_t(id)].shape;
        ImageLayer rec = il;
        LayerDesc dk = d;
        dk.in_c = dk.out_c = u16(s.c, l.name + " in_c");
        dk.in_h = dk.out_h = u16(s.h, l.name + " in_h");
        dk.in_w = dk.out_w = u16(s.w, l.name + " in_w");
        dk.in_fmt = dk.in2_fmt = fmt_of(id);
        dk.in_off = input_on(rec, 0, id, t);
        dk.out_off = out_off + c0 * plane;
        rec.params.push_back({0, ql.requant.at(k).multiplier, ql.requant.at(k).shift});
        emit(std::move(rec), dk);
        c0 += unsigned(s.c);
      }
    } else if (!l.has_weights()) {
      for (std::size_t k = 0; k < l.inputs.size() && k < 2; ++k)
        (k == 0 ? d.in_off : d.in2_off) = input_on(il, int(k), l.inputs[k], t);
      d.out_off = alloc(l.output, t, l);
      if (!ql.requant.empty()) il.params.push_back({0, ql.requant[0].multiplier, ql.requant[0].shift});
      emit(std::move(il), d);
    } else {
      // Conv/FC: one record per slice (output channels [c0, c0 + channels)
      // into the output tensor on the layer's tile; a slice on another tile
      // writes a slice-sized tensor there, then a COPY record gathers it),
      // each with its crossbars' PROGRAMs.
      d.in_bits = u8(fin.bits, l.name + " in_bits");
      const GroupPacking gp = group_packing(l, p);
      const bool grouped = gp.groups > 1;
      const std::uint64_t Kg = std::uint64_t(l.fan_in());
      const unsigned R = p.rows, npx = p.max_outputs();
      const unsigned ocg = grouped ? unsigned(l.out.c) / gp.groups : 0xFFFFFFFFu;  // dense: one block
      const std::uint32_t out_home = alloc(l.output, t, l);
      const std::uint32_t plane_bytes = std::uint32_t(l.out.h) * std::uint32_t(l.out.w) * format_bytes(d.out_fmt);
      for (std::size_t si = 0; si < lp.slices.size(); ++si) {
        const LayerSlice& sl = lp.slices[si];
        const unsigned st = unsigned(sl.tile);
        ImageLayer is = il;
        is.tile = std::uint16_t(st);
        is.group = std::uint16_t(sl.group);
        LayerDesc ds = d;
        ds.out_c = u16(int(sl.channels), l.name + " out_c");
        ds.xbar = u16(sl.first_xbar, l.name + " xbar");
        ds.in_off = input_on(is, 0, l.inputs.at(0), st);
        std::uint32_t slice_tmp = 0;
        if (st == t) {
          ds.out_off = out_home + sl.c0 * plane_bytes;
        } else {
          const std::uint64_t bytes = std::uint64_t(sl.channels) * plane_bytes;
          slice_tmp = take(st, bytes, l, "output channels " + std::to_string(sl.c0) + ".." +
                                             std::to_string(sl.c0 + sl.channels - 1));
          temps.push_back({st, {slice_tmp, bytes}});
          ds.out_off = slice_tmp;
        }
        // crossbar (pack pk, rg, cg) holds rows [rg R, rg R + R) and outputs
        // [cg npx, cg npx + npx) of the pack's block-diagonal matrix
        const unsigned packs = grouped ? gp.packs : 1u;
        const unsigned rgp = grouped ? gp.row_groups : lp.row_groups, cgp = sl.col_groups;
        for (unsigned pk = 0; pk < packs; ++pk) {
          const unsigned g0 = grouped ? pk * gp.pack : 0u;
          const unsigned gn = grouped ? std::min(gp.pack, gp.groups - g0) : 1u;
          const std::uint64_t Kp = Kg * gn;
          const unsigned o0 = grouped ? g0 * ocg : sl.c0;
          const unsigned np = grouped ? gn * ocg : sl.channels;
          for (unsigned rg = 0; rg < rgp; ++rg)
            for (unsigned cg = 0; cg < cgp; ++cg) {
              ImageProgram pr;
              pr.tile = std::uint16_t(st);
              pr.group = std::uint16_t(sl.group);
              pr.desc = blank_desc(desc::Program);
              pr.desc.xbar = std::uint16_t(unsigned(sl.first_xbar) + (pk * rgp + rg) * cgp + cg);
              pr.desc.param_off = img.tiles[st].levels_stage_off;
              if (opts.levels && std::uint64_t(rg) * R < Kp && cg * npx < np) {
                const unsigned rows = unsigned(std::min<std::uint64_t>(R, Kp - std::uint64_t(rg) * R));
                const unsigned outs = std::min(npx, np - cg * npx);
                std::vector<std::int32_t> sub(std::size_t(rows) * outs, 0);
                for (unsigned r = 0; r < rows; ++r) {
                  const std::uint64_t kr = std::uint64_t(rg) * R + r;  // row of the pack
                  for (unsigned j = 0; j < outs; ++j) {
                    const unsigned jj = cg * npx + j;  // output of the pack
                    if (grouped && kr / Kg != jj / ocg) continue;  // off the block diagonal
                    sub[std::size_t(r) * outs + j] = ql.weight[std::size_t(o0 + jj) * Kg + kr % Kg];
                  }
                }
                try {
                  pr.levels = map_weights(p, sub, rows, outs).levels;
                } catch (const std::invalid_argument& e) {
                  throw CompileError("layer " + l.name + ": " + e.what());
                }
              } else if (opts.levels) {
                pr.levels.assign(std::size_t(p.rows) * p.cols, 0);  // a pack's unused crossbar
              }
              progs[st].push_back(std::move(pr));
            }
        }
        for (unsigned o = sl.c0; o < sl.c0 + sl.channels; ++o)
          is.params.push_back({ql.bias.at(o), ql.requant.at(o).multiplier, ql.requant.at(o).shift});
        emit(std::move(is), ds);
        if (st != t) {
          ImageLayer gather = il;
          gather.tile = std::uint16_t(t);
          gather.src_tile[0] = std::uint16_t(st);
          gather.src_off[0] = slice_tmp;
          gather.src_tile[1] = 0xFFFF;
          LayerDesc dg = blank_desc(IMCVP_IMAGE_OP_COPY);
          dg.in_c = dg.out_c = u16(int(sl.channels), l.name + " out_c");
          dg.in_h = dg.out_h = d.out_h;
          dg.in_w = dg.out_w = d.out_w;
          dg.in_fmt = dg.in2_fmt = dg.out_fmt = d.out_fmt;
          dg.in_off = dg.out_off = out_home + sl.c0 * plane_bytes;
          gather.desc_off = IMCVP_IMAGE_PROGRAM_DESC_OFF;  // never written to the tile
          gather.desc = dg;
          img.layers.push_back(std::move(gather));
        }
      }
    }
    // give back what no later layer reads
    for (const auto& tmp : temps) arena[tmp.first].give(tmp.second.first, tmp.second.second);
    for (int id : l.inputs) {
      if (!opts.reuse_buffers || last_reader[std::size_t(id)] != int(i) || id == n.input || id == n.output) continue;
      for (const auto& w : where[std::size_t(id)]) arena[w.first].give(w.second, tensor_bytes(id));
      where[std::size_t(id)].clear();
    }
  }
  for (unsigned t = 0; t < chip.tiles; ++t) {
    img.tiles[t].first_program = std::uint32_t(img.programs.size());
    img.tiles[t].program_count = std::uint32_t(progs[t].size());
    img.tiles[t].buffer_used = arena[t].high_water();
    for (auto& pr : progs[t]) img.programs.push_back(std::move(pr));
  }
  auto io = [&](int id) {
    ImageIo r{};
    const auto h = home[std::size_t(id)];
    if (h.first == 0xFFFF) throw CompileError("tensor " + n.tensors[std::size_t(id)].name + " is not used by any layer");
    r.tile = std::uint16_t(h.first);
    r.buf_off = h.second;
    r.fmt = fmt_of(id);
    const Shape& s = n.tensors[std::size_t(id)].shape;
    r.c = std::uint16_t(s.c);
    r.h = std::uint16_t(s.h);
    r.w = std::uint16_t(s.w);
    return r;
  };
  img.input = io(n.input);
  img.output = io(n.output);
  return img;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the image records are copied as little-endian structs");

// The record layouts are imcvp/program_image.h's structs (the one definition
// the firmware reads too); the host is little-endian, as the image.
std::vector<std::uint8_t> serialize_program_image(const ProgramImage& img) {
  const std::size_t cells = std::size_t(img.chip.crossbar.rows) * img.chip.crossbar.cols;
  imcvp_image_header h;
  std::memset(&h, 0, sizeof h);
  h.magic = kImageMagic;
  h.version = kImageVersion;
  h.header_bytes = sizeof h;
  h.tiles = std::uint16_t(img.chip.tiles);
  h.crossbars_per_tile = std::uint16_t(img.chip.crossbars_per_tile);
  h.rows = std::uint16_t(img.chip.crossbar.rows);
  h.cols = std::uint16_t(img.chip.crossbar.cols);
  h.cell_bits = std::uint8_t(img.chip.crossbar.cell_bits);
  h.weight_bits = std::uint8_t(img.chip.crossbar.weight_bits);
  h.signed_mode = img.chip.crossbar.signed_mode == SignedMode::Offset ? IMCVP_IMAGE_SIGNED_OFFSET
                                                                       : IMCVP_IMAGE_SIGNED_DIFFERENTIAL;
  h.buffer_bytes = img.chip.buffer_bytes;
  h.program_count = std::uint32_t(img.programs.size());
  h.layer_count = std::uint32_t(img.layers.size());
  h.tiles_off = sizeof h;
  h.programs_off = h.tiles_off + std::uint32_t(sizeof(imcvp_image_tile) * img.tiles.size());
  h.layers_off = h.programs_off + std::uint32_t(sizeof(imcvp_image_program) * img.programs.size());
  h.io_off = align4(h.layers_off + std::uint64_t(sizeof(imcvp_image_layer)) * img.layers.size());
  h.lut_off = h.io_off + 2 * sizeof(imcvp_image_io);
  h.levels_off = h.lut_off + IMCVP_IMAGE_LUT_ENTRIES * 4;
  h.flags = img.levels ? 0 : IMCVP_IMAGE_FLAG_NO_LEVELS;
  const std::size_t level_bytes = img.levels ? cells : 0;  // per program
  std::uint64_t params_at = h.levels_off + std::uint64_t(level_bytes) * img.programs.size();
  std::uint64_t total = params_at;
  for (const auto& l : img.layers) total += l.params.size() * sizeof(RequantEntry);
  if (total > 0xFFFFFFFFull) throw CompileError("program image larger than 4 GiB");
  h.levels_bytes = std::uint32_t(total - h.levels_off);
  h.group_count = img.groups;
  h.image_bytes = std::uint32_t(total);
  Writer w;
  w.put(&h, sizeof h);
  for (const ImageTile& t : img.tiles) w.put(&t, sizeof t);
  for (std::size_t i = 0; i < img.programs.size(); ++i) {
    const auto& pr = img.programs[i];
    if (pr.levels.size() != level_bytes) throw CompileError("program image: crossbar levels of the wrong size");
    imcvp_image_program rec;
    std::memset(&rec, 0, sizeof rec);
    rec.tile = pr.tile;
    rec.group = pr.group;
    rec.levels_off = img.levels ? std::uint32_t(h.levels_off + i * cells) : 0u;
    rec.desc = pr.desc;
    w.put(&rec, sizeof rec);
  }
  for (const auto& l : img.layers) {
    imcvp_image_layer rec;
    std::memset(&rec, 0, sizeof rec);
    rec.tile = l.tile;
    rec.net_layer = l.net_layer;
    rec.desc_off = l.desc_off;
    rec.src_tile[0] = l.src_tile[0];
    rec.src_tile[1] = l.src_tile[1];
    rec.src_off[0] = l.src_off[0];
    rec.src_off[1] = l.src_off[1];
    rec.params_off = std::uint32_t(params_at);
    rec.param_count = std::uint32_t(l.params.size());
    rec.group = l.group;
    rec.desc = l.desc;
    w.put(&rec, sizeof rec);
    params_at += l.params.size() * sizeof(RequantEntry);
  }
  w.pad4();
  for (const ImageIo* io : {&img.input, &img.output}) w.put(io, sizeof *io);
  w.put(img.input_lut, sizeof img.input_lut);
  for (const auto& pr : img.programs) w.put(pr.levels.data(), level_bytes);
  for (const auto& l : img.layers) w.put(l.params.data(), l.params.size() * sizeof(RequantEntry));
  if (w.b.size() != total) throw std::logic_error("program image size mismatch");
  const std::uint32_t crc = crc32(w.b.data() + sizeof h, w.b.size() - sizeof h);
  std::memcpy(w.b.data() + offsetof(imcvp_image_header, payload_crc32), &crc, sizeof crc);
  return w.b;
}

std::vector<std::uint8_t> write_program_image(const QuantizedNetwork& q, const Placement& pl) {
  return serialize_program_image(build_program_image(q, pl));
}

ProgramImage read_program_image(const std::vector<std::uint8_t>& bytes) {
  return read_program_image(bytes.data(), bytes.size());
}

ProgramImage read_program_image(const std::uint8_t* data, std::size_t size) {
  auto fail = [](const std::string& m) { throw CompileError("program image: " + m); };
  Reader r{data, size};
  if (size < sizeof(imcvp_image_header)) fail("only " + std::to_string(size) + " bytes, shorter than the header");
  imcvp_image_header h;
  r.get(&h, sizeof h, "header");
  if (h.magic != kImageMagic) fail("bad magic (not an imcvp program image)");
  ProgramImage img;
  img.version = h.version;
  if (h.version != kImageVersion)
    fail("version " + std::to_string(h.version) + ", this reader knows version " + std::to_string(kImageVersion));
  if (h.header_bytes != sizeof h)
    fail("header of " + std::to_string(h.header_bytes) + " bytes, expected " + std::to_string(sizeof h));
  if (h.image_bytes != size) fail("header says " + std::to_string(h.image_bytes) + " bytes, the image has " + std::to_string(size));
  const std::uint32_t actual = crc32(data + sizeof h, size - sizeof h);
  if (actual != h.payload_crc32) {
    char m[96];
    std::snprintf(m, sizeof m, "bad CRC32 of the payload: header 0x%08x, computed 0x%08x (corrupt image)",
                  h.payload_crc32, actual);
    fail(m);
  }
  ChipResources& c = img.chip;
  c.tiles = h.tiles;
  c.crossbars_per_tile = h.crossbars_per_tile;
  c.crossbar.rows = h.rows;
  c.crossbar.cols = h.cols;
  c.crossbar.cell_bits = h.cell_bits;
  c.crossbar.weight_bits = h.weight_bits;
  if (h.signed_mode > IMCVP_IMAGE_SIGNED_OFFSET) fail("bad signed mode " + std::to_string(h.signed_mode));
  c.crossbar.signed_mode = h.signed_mode == IMCVP_IMAGE_SIGNED_OFFSET ? SignedMode::Offset : SignedMode::Differential;
  c.buffer_bytes = h.buffer_bytes;
  if (h.group_count == 0) fail("no groups");
  if (h.flags & ~std::uint32_t(IMCVP_IMAGE_FLAG_NO_LEVELS)) fail("unknown flags " + std::to_string(h.flags));
  img.levels = !(h.flags & IMCVP_IMAGE_FLAG_NO_LEVELS);
  img.groups = h.group_count;
  const std::uint32_t nprog = h.program_count, nlay = h.layer_count;
  const std::uint64_t cells = std::uint64_t(c.crossbar.rows) * c.crossbar.cols;
  auto section = [&](std::uint64_t at, std::uint64_t bytes, const char* what) {
    if (at < sizeof h || at + bytes > size)
      fail(std::string(what) + " at " + std::to_string(at) + " (" + std::to_string(bytes) +
           " bytes) lies outside the image of " + std::to_string(size) + " bytes");
  };
  section(h.tiles_off, std::uint64_t(sizeof(imcvp_image_tile)) * c.tiles, "tile table");
  section(h.programs_off, std::uint64_t(sizeof(imcvp_image_program)) * nprog, "program table");
  section(h.layers_off, std::uint64_t(sizeof(imcvp_image_layer)) * nlay, "layer table");
  section(h.io_off, 2 * sizeof(imcvp_image_io), "input/output records");
  section(h.lut_off, IMCVP_IMAGE_LUT_ENTRIES * 4, "input table");
  section(h.levels_off, h.levels_bytes, "levels and parameters");
  r.at = h.tiles_off;
  img.tiles.resize(c.tiles);
  for (ImageTile& t : img.tiles) {
    r.get(&t, sizeof t, "tile");
    if (std::uint64_t(t.first_program) + t.program_count > nprog) fail("a tile's programs lie outside the program table");
    if (t.buffer_used > c.buffer_bytes) fail("a tile uses more buffer than it has");
  }
  auto check_desc = [&](const LayerDesc& d, const char* what) {
    if (d.magic != desc::kMagic || d.version != desc::kVersion) fail(std::string(what) + " descriptor: bad magic or version");
    if ((d.op < desc::Conv || d.op > desc::Requant) && d.op != IMCVP_IMAGE_OP_COPY)
      fail(std::string(what) + " descriptor: bad op " + std::to_string(d.op));
  };
  r.at = h.programs_off;
  img.programs.resize(nprog);
  for (auto& pr : img.programs) {
    imcvp_image_program rec;
    r.get(&rec, sizeof rec, "program");
    pr.tile = rec.tile;
    pr.group = rec.group;
    if (pr.group >= img.groups) fail("PROGRAM of group " + std::to_string(pr.group) + " of " + std::to_string(img.groups));
    pr.desc = rec.desc;
    check_desc(pr.desc, "PROGRAM");
    if (pr.tile >= c.tiles || pr.desc.xbar >= c.crossbars_per_tile) fail("PROGRAM of a crossbar the chip lacks");
    if (!img.levels) continue;
    const std::uint32_t lo = rec.levels_off;
    if (lo < h.levels_off || std::uint64_t(lo) + cells > std::uint64_t(h.levels_off) + h.levels_bytes)
      fail("crossbar levels at " + std::to_string(lo) + " lie outside the levels section");
    pr.levels.assign(data + lo, data + lo + cells);
  }
  r.at = h.layers_off;
  img.layers.resize(nlay);
  for (auto& l : img.layers) {
    imcvp_image_layer rec;
    r.get(&rec, sizeof rec, "layer");
    l.tile = rec.tile;
    l.net_layer = rec.net_layer;
    l.desc_off = rec.desc_off;
    l.src_tile[0] = rec.src_tile[0];
    l.src_tile[1] = rec.src_tile[1];
    l.src_off[0] = rec.src_off[0];
    l.src_off[1] = rec.src_off[1];
    l.desc = rec.desc;
    l.group = rec.group;
    if (l.group >= img.groups) fail("layer of group " + std::to_string(l.group) + " of " + std::to_string(img.groups));
    const std::uint32_t po = rec.params_off, pn = rec.param_count;
    check_desc(l.desc, "layer");
    if (l.tile >= c.tiles) fail("layer on tile " + std::to_string(l.tile) + " of " + std::to_string(c.tiles));
    if (std::uint64_t(l.desc_off) + sizeof(LayerDesc) > c.buffer_bytes || l.desc.in_off >= c.buffer_bytes ||
        l.desc.out_off >= c.buffer_bytes || (pn && std::uint64_t(l.desc.param_off) + pn * sizeof(RequantEntry) > c.buffer_bytes))
      fail("layer " + std::to_string(l.net_layer) + ": a buffer offset lies beyond the tile buffer");
    if (po < h.levels_off || std::uint64_t(po) + std::uint64_t(pn) * sizeof(RequantEntry) > std::uint64_t(h.levels_off) + h.levels_bytes)
      fail("layer " + std::to_string(l.net_layer) + ": parameters lie outside the image");
    l.params.resize(pn);
    if (pn) std::memcpy(l.params.data(), data + po, pn * sizeof(RequantEntry));
  }
  r.at = h.io_off;
  for (ImageIo* io : {&img.input, &img.output}) {
    r.get(io, sizeof *io, "io");
    if (io->tile >= c.tiles || io->buf_off >= c.buffer_bytes) fail("input/output tensor outside the chip");
  }
  r.at = h.lut_off;
  r.get(img.input_lut, sizeof img.input_lut, "input table");
  return img;
}

}  // namespace imcvp::compiler
