#include "compiler/image_lowering.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "compiler/ext_records.hpp"

namespace imcvp::compiler {

LayerDesc blank_desc(std::uint8_t op) {
  LayerDesc d;
  std::memset(&d, 0, sizeof d);
  d.magic = desc::kMagic;
  d.version = desc::kVersion;
  d.op = op;
  d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
  return d;
}

namespace {

std::uint16_t u16(int v, const std::string& what) {
  if (v < 0 || v > 0xFFFF) throw CompileError(what + " = " + std::to_string(v) + " does not fit the descriptor");
  return std::uint16_t(v);
}
std::uint8_t u8(int v, const std::string& what) {
  if (v < 0 || v > 0xFF) throw CompileError(what + " = " + std::to_string(v) + " does not fit the descriptor");
  return std::uint8_t(v);
}

// The descriptor fields a layer's records share: shapes, formats, clamp,
// window, op.
LayerDesc layer_desc(const QuantizedNetwork& q, std::size_t i) {
  const Layer& l = q.net.layers[i];
  const QuantLayer& ql = q.layers[i];
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
      d.in_bits = u8(fin.bits, l.name + " in_bits");
      break;
    case LayerKind::FullyConnected:
      d.op = desc::FC;
      d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
      d.pad_h = d.pad_w = 0;
      d.in_bits = u8(fin.bits, l.name + " in_bits");
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
      d.in2_fmt = element_format(q.formats[std::size_t(l.inputs.at(1))]);
      break;
    case LayerKind::Concat: d.op = desc::Requant; break;
  }
  return d;
}

}  // namespace

std::vector<LoweredLayer> lower_network(const QuantizedNetwork& q, const Placement& pl) {
  const FloatNetwork& n = q.net;
  if (pl.layers.size() != n.layers.size()) throw CompileError("placement does not match the network");
  std::vector<LoweredLayer> out(n.layers.size());
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    const LayerPlacement& lp = pl.layers[i];
    const QuantLayer& ql = q.layers[i];
    LoweredLayer& ll = out[i];
    ll.tile = unsigned(lp.tile);
    ll.output_first = l.has_weights() || l.kind == LayerKind::Concat;
    parse_ext_records(l.attrs.ext, "layer " + l.name);  // well-formed, or a clear error
    if (l.attrs.slice_ext && !l.has_weights())
      throw CompileError("layer " + l.name + " (" + to_string(l.kind) +
                         "): per-slice extension records (slice_ext) are for Conv/FC layers");
    // the layer's extension records, and its own weight format when not the crossbars'
    std::vector<std::uint8_t> ext = l.attrs.ext;
    if (l.has_weights()) {
      const WeightFormat f = layer_format(l, pl.chip.crossbar);
      if (f != weight_format(pl.chip.crossbar)) {
        const imcvp_ext_weight_format wf{std::uint8_t(f.weight_bits), std::uint8_t(f.cell_bits),
                                         std::uint8_t(f.signed_mode), 0};  // accel.h's 0, 1, 2
        append_ext_record(ext, IMCVP_EXT_WEIGHT_FORMAT, &wf, sizeof wf);
      }
    }
    ImageLayer base;
    base.tile = std::uint16_t(lp.tile);
    base.net_layer = u16(int(i), "layer index");
    base.group = std::uint16_t(lp.group);
    const LayerDesc d = layer_desc(q, i);
    // a record that runs on a tile: its descriptor carries the layer's extension records
    auto compute = [&](ImageLayer rec, LayerDesc dr, RecordBuffers b, const std::vector<std::uint8_t>& own = {}) {
      rec.ext = ext;
      rec.ext.insert(rec.ext.end(), own.begin(), own.end());
      if (rec.ext.size() > IMCVP_EXT_MAX_BYTES)
        throw CompileError("layer " + l.name + ": " + std::to_string(rec.ext.size()) +
                           " bytes of extension records, at most " + std::to_string(IMCVP_EXT_MAX_BYTES));
      dr.ext_bytes = std::uint16_t(rec.ext.size());
      rec.desc = dr;
      ll.records.push_back({std::move(rec), b});
    };
    if (l.kind == LayerKind::Concat) {
      // one REQUANT record per input, into its channel range of the output
      unsigned c0 = 0;
      for (std::size_t k = 0; k < l.inputs.size(); ++k) {
        const int id = l.inputs[k];
        const Shape& s = n.tensors[std::size_t(id)].shape;
        ImageLayer rec = base;
        LayerDesc dk = d;
        dk.in_c = dk.out_c = u16(s.c, l.name + " in_c");
        dk.in_h = dk.out_h = u16(s.h, l.name + " in_h");
        dk.in_w = dk.out_w = u16(s.w, l.name + " in_w");
        dk.in_fmt = dk.in2_fmt = element_format(q.formats[std::size_t(id)]);
        rec.params.push_back({0, ql.requant.at(k).multiplier, ql.requant.at(k).shift});
        RecordBuffers b;
        b.input[0] = id;
        b.output = l.output;
        b.out_c0 = c0;
        compute(std::move(rec), dk, b);
        c0 += unsigned(s.c);
      }
    } else if (!l.has_weights()) {
      ImageLayer rec = base;
      RecordBuffers b;
      for (std::size_t k = 0; k < l.inputs.size() && k < 2; ++k) b.input[k] = l.inputs[k];
      b.output = l.output;
      if (!ql.requant.empty()) rec.params.push_back({0, ql.requant[0].multiplier, ql.requant[0].shift});
      compute(std::move(rec), d, b);
    } else {
      // Conv/FC: one record per slice (output channels [c0, c0 + channels)
      // into the output tensor on the layer's tile; a slice on another tile
      // writes a slice-sized temporary there, then a COPY record gathers it).
      for (const LayerSlice& sl : lp.slices) {
        ImageLayer rec = base;
        rec.tile = std::uint16_t(sl.tile);
        rec.group = std::uint16_t(sl.group);
        LayerDesc ds = d;
        ds.out_c = u16(int(sl.channels), l.name + " out_c");
        ds.xbar = u16(sl.first_xbar, l.name + " xbar");
        for (unsigned o = sl.c0; o < sl.c0 + sl.channels; ++o)
          rec.params.push_back({ql.bias.at(o), ql.requant.at(o).multiplier, ql.requant.at(o).shift});
        RecordBuffers b;
        b.input[0] = l.inputs.at(0);
        b.output = l.output;
        b.out_c0 = sl.c0;
        b.temporary = unsigned(sl.tile) != ll.tile;
        // the technique's records for this slice, after the layer's
        std::vector<std::uint8_t> own;
        if (l.attrs.slice_ext) {
          own = l.attrs.slice_ext(sl.c0, sl.channels, unsigned(sl.tile));
          parse_ext_records(own, "layer " + l.name + ", slice of output channels " + std::to_string(sl.c0) + ".." +
                                     std::to_string(sl.c0 + sl.channels - 1) + " (slice_ext)");
        }
        compute(std::move(rec), ds, b, own);
        if (!b.temporary) continue;
        ImageLayer gather = base;
        LayerDesc dg = blank_desc(IMCVP_IMAGE_OP_COPY);
        dg.in_c = dg.out_c = u16(int(sl.channels), l.name + " out_c");
        dg.in_h = dg.out_h = d.out_h;
        dg.in_w = dg.out_w = d.out_w;
        dg.in_fmt = dg.in2_fmt = dg.out_fmt = d.out_fmt;
        gather.desc_off = IMCVP_IMAGE_PROGRAM_DESC_OFF;  // never written to the tile
        gather.desc = dg;
        RecordBuffers g;
        g.output = l.output;
        g.out_c0 = sl.c0;
        g.gather = true;
        ll.records.push_back({std::move(gather), g});
      }
    }
  }
  return out;
}

std::vector<ImageBlockData> lower_block_data(const QuantizedNetwork& q, const Placement& pl) {
  const FloatNetwork& n = q.net;
  if (pl.layers.size() != n.layers.size()) throw CompileError("placement does not match the network");
  std::vector<ImageBlockData> out;
  std::vector<std::size_t> owner;  // network layer of each entry of `out`
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    if (l.attrs.block_data.empty()) continue;
    const std::string who = "layer " + l.name;
    if (!l.has_weights())
      throw CompileError(who + " (" + to_string(l.kind) + "): block data is for Conv/FC layers");
    for (const BlockData& bd : l.attrs.block_data) {
      const std::string what = who + ": block data for slot " + std::to_string(bd.slot) + " at offset " +
                               std::to_string(bd.offset) + " (" + std::to_string(bd.bytes.size()) + " bytes)";
      if (bd.slot >= IMCVP_TILE_MAX_BLOCKS)
        throw CompileError(what + ": a tile has block slots 0.." + std::to_string(IMCVP_TILE_MAX_BLOCKS - 1));
      if (bd.bytes.empty() || bd.bytes.size() % 4 || bd.offset % 4)
        throw CompileError(what + ": offset and size must be multiples of 4, the size not 0");
      if (std::uint64_t(bd.offset) + bd.bytes.size() > IMCVP_TILE_BLOCK_SIZE)
        throw CompileError(what + ": runs past the block's window of " + std::to_string(IMCVP_TILE_BLOCK_SIZE) +
                           " bytes");
    }
    std::set<unsigned> tiles;
    for (const LayerSlice& sl : pl.layers[i].slices) tiles.insert(unsigned(sl.tile));
    if (tiles.empty()) tiles.insert(unsigned(pl.layers[i].tile));
    for (unsigned t : tiles)
      for (const BlockData& bd : l.attrs.block_data) {
        if (bd.tile >= 0 && unsigned(bd.tile) != t) continue;  // another slice's
        const std::uint64_t lo = bd.offset, hi = lo + bd.bytes.size();
        bool same = false;
        for (std::size_t k = 0; k < out.size() && !same; ++k) {
          const ImageBlockData& e = out[k];
          if (e.tile != t || e.slot != bd.slot) continue;
          const std::uint64_t elo = e.offset, ehi = elo + e.bytes.size();
          if (ehi <= lo || hi <= elo) continue;  // no overlap
          if (elo == lo && e.bytes == bd.bytes) {
            same = true;  // listed already
            break;
          }
          const std::uint64_t a = std::max(lo, elo), b = std::min(hi, ehi);
          if (!std::equal(bd.bytes.begin() + std::ptrdiff_t(a - lo), bd.bytes.begin() + std::ptrdiff_t(b - lo),
                          e.bytes.begin() + std::ptrdiff_t(a - elo)))
            throw CompileError("layers " + n.layers[owner[k]].name + " and " + l.name +
                               ": different block data for tile " + std::to_string(t) + ", slot " +
                               std::to_string(bd.slot) + " at offsets " + std::to_string(a) + ".." +
                               std::to_string(b - 1));
        }
        if (same) continue;
        ImageBlockData e;
        e.tile = std::uint16_t(t);
        e.slot = std::uint16_t(bd.slot);
        e.offset = bd.offset;
        e.bytes = bd.bytes;
        out.push_back(std::move(e));
        owner.push_back(i);
      }
  }
  return out;
}

}  // namespace imcvp::compiler
