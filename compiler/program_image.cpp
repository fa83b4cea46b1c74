#include "compiler/program_image.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>
#include <cstddef>
#include <cstring>
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

ProgramImage build_program_image(const QuantizedNetwork& q, const Placement& pl) {
  const FloatNetwork& n = q.net;
  const ChipResources& chip = pl.chip;
  const CrossbarParams& p = chip.crossbar;
  if (pl.layers.size() != n.layers.size()) throw CompileError("placement does not match the network");
  ProgramImage img;
  img.chip = chip;
  img.groups = pl.groups;
  img.tiles.resize(chip.tiles);
  std::copy(q.input_lut.begin(), q.input_lut.end(), img.input_lut);

  // Per tile: descriptors (one per layer + one PROGRAM), parameters, levels
  // staging, then tensors, each 4-byte aligned.
  std::vector<std::uint32_t> layers_on(chip.tiles, 0), params_on(chip.tiles, 0);
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const unsigned t = unsigned(pl.layers[i].tile);
    layers_on[t] += std::uint32_t(std::max<std::size_t>(1, pl.layers[i].slices.size()));
    params_on[t] += std::uint32_t(q.layers[i].requant.size() * sizeof(RequantEntry));
  }
  std::vector<std::uint32_t> next_desc(chip.tiles), next_param(chip.tiles), next_tensor(chip.tiles);
  for (unsigned t = 0; t < chip.tiles; ++t) {
    next_desc[t] = IMCVP_IMAGE_PROGRAM_DESC_OFF + sizeof(LayerDesc);  // slot 0: the PROGRAM descriptor
    next_param[t] = align4(std::uint64_t(layers_on[t] + 1) * sizeof(LayerDesc));
    img.tiles[t].levels_stage_off = align4(next_param[t] + params_on[t]);
    next_tensor[t] = pl.used_per_tile[t] ? align4(img.tiles[t].levels_stage_off + std::uint64_t(p.rows) * p.cols)
                                         : img.tiles[t].levels_stage_off;
  }
  // tensor id -> tile -> buffer offset; home: where it was first placed.
  std::vector<std::map<unsigned, std::uint32_t>> where(n.tensors.size());
  std::vector<std::pair<unsigned, std::uint32_t>> home(n.tensors.size(), {0xFFFF, 0});
  auto tensor_bytes = [&](int id) {
    return std::uint64_t(n.tensors[std::size_t(id)].shape.size()) * format_bytes(element_format(q.formats[std::size_t(id)]));
  };
  auto alloc = [&](int id, unsigned t, const Layer& l) -> std::uint32_t {
    auto it = where[std::size_t(id)].find(t);
    if (it != where[std::size_t(id)].end()) return it->second;
    const std::uint64_t bytes = tensor_bytes(id);
    const std::uint64_t off = next_tensor[t];
    if (off + bytes > chip.buffer_bytes)
      throw CompileError("layer " + l.name + ": tensor " + n.tensors[std::size_t(id)].name + " (" +
                         n.tensors[std::size_t(id)].shape.str() + ", " + std::to_string(bytes) +
                         " bytes) does not fit in tile " + std::to_string(t) + "'s buffer: " + std::to_string(off) +
                         " of " + std::to_string(chip.buffer_bytes) + " bytes already used");
    next_tensor[t] = align4(off + bytes);
    where[std::size_t(id)][t] = std::uint32_t(off);
    if (home[std::size_t(id)].first == 0xFFFF) home[std::size_t(id)] = {t, std::uint32_t(off)};
    return std::uint32_t(off);
  };

  // Levels: crossbar first + rg * col_groups + cg holds rows [rg R, rg R + R)
  // and outputs [cg n, cg n + n) of W[o][k] (k in im2col order).
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
      case LayerKind::Conv: d.op = desc::Conv; break;
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
        d.in2_fmt = element_format(q.formats[std::size_t(l.inputs.at(1))]);
        break;
    }
    for (std::size_t k = 0; k < l.inputs.size() && k < 2; ++k) {
      const int id = l.inputs[k];
      const bool had = where[std::size_t(id)].count(t) != 0;
      const auto h = home[std::size_t(id)];
      const std::uint32_t off = alloc(id, t, l);
      if (!had && h.first != 0xFFFF) {
        il.src_tile[k] = std::uint16_t(h.first);
        il.src_off[k] = h.second;
      }
      (k == 0 ? d.in_off : d.in2_off) = off;
    }
    d.out_off = alloc(l.output, t, l);
    il.group = std::uint16_t(lp.group);
    // Gives a layer record (with its params) its parameter and descriptor
    // slots on tile t and appends it to the image.
    auto emit = [&](ImageLayer&& rec, LayerDesc desc) {
      if (!rec.params.empty()) {
        desc.param_off = next_param[t];
        next_param[t] += std::uint32_t(rec.params.size() * sizeof(RequantEntry));
      }
      rec.desc_off = next_desc[t];
      next_desc[t] += sizeof(LayerDesc);
      rec.desc = desc;
      img.layers.push_back(std::move(rec));
    };
    if (!l.has_weights()) {
      if (!ql.requant.empty()) il.params.push_back({0, ql.requant[0].multiplier, ql.requant[0].shift});
      emit(std::move(il), d);
      continue;
    }
    // Conv/FC: one image layer per slice (output channels [c0, c0 + channels)
    // into the same output tensor), each with its crossbars' PROGRAMs.
    d.in_bits = u8(fin.bits, l.name + " in_bits");
    const unsigned K = unsigned(l.fan_in()), R = p.rows, npx = p.max_outputs();
    const std::uint32_t plane_bytes = std::uint32_t(l.out.h) * std::uint32_t(l.out.w) * format_bytes(d.out_fmt);
    for (std::size_t si = 0; si < lp.slices.size(); ++si) {
      const LayerSlice& sl = lp.slices[si];
      ImageLayer is = il;
      if (si > 0) is.src_tile[0] = is.src_tile[1] = 0xFFFF;  // the first slice brought the inputs
      is.group = std::uint16_t(sl.group);
      LayerDesc ds = d;
      ds.out_c = u16(int(sl.channels), l.name + " out_c");
      ds.out_off = d.out_off + sl.c0 * plane_bytes;
      ds.xbar = u16(sl.first_xbar, l.name + " xbar");
      for (unsigned rg = 0; rg < lp.row_groups; ++rg)
        for (unsigned cg = 0; cg < sl.col_groups; ++cg) {
          const unsigned o0 = sl.c0 + cg * npx;
          const unsigned rows = std::min(R, K - rg * R), outs = std::min(npx, sl.c0 + sl.channels - o0);
          std::vector<std::int32_t> sub(std::size_t(rows) * outs);
          for (unsigned r = 0; r < rows; ++r)
            for (unsigned j = 0; j < outs; ++j)
              sub[std::size_t(r) * outs + j] = ql.weight[std::size_t(o0 + j) * K + rg * R + r];
          ImageProgram pr;
          pr.tile = std::uint16_t(t);
          pr.group = std::uint16_t(sl.group);
          pr.desc = blank_desc(desc::Program);
          pr.desc.xbar = std::uint16_t(unsigned(sl.first_xbar) + rg * sl.col_groups + cg);
          pr.desc.param_off = img.tiles[t].levels_stage_off;
          try {
            pr.levels = map_weights(p, sub, rows, outs).levels;
          } catch (const std::invalid_argument& e) {
            throw CompileError("layer " + l.name + ": " + e.what());
          }
          progs[t].push_back(std::move(pr));
        }
      for (unsigned o = sl.c0; o < sl.c0 + sl.channels; ++o)
        is.params.push_back({ql.bias.at(o), ql.requant.at(o).multiplier, ql.requant.at(o).shift});
      emit(std::move(is), ds);
    }
  }
  for (unsigned t = 0; t < chip.tiles; ++t) {
    img.tiles[t].first_program = std::uint32_t(img.programs.size());
    img.tiles[t].program_count = std::uint32_t(progs[t].size());
    img.tiles[t].buffer_used = next_tensor[t];
    for (auto& pr : progs[t]) img.programs.push_back(std::move(pr));
  }
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
  std::uint64_t params_at = h.levels_off + std::uint64_t(cells) * img.programs.size();
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
    if (pr.levels.size() != cells) throw CompileError("program image: crossbar levels of the wrong size");
    imcvp_image_program rec;
    std::memset(&rec, 0, sizeof rec);
    rec.tile = pr.tile;
    rec.group = pr.group;
    rec.levels_off = std::uint32_t(h.levels_off + i * cells);
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
  for (const auto& pr : img.programs) w.put(pr.levels.data(), cells);
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
    if (d.op < desc::Conv || d.op > desc::Program) fail(std::string(what) + " descriptor: bad op " + std::to_string(d.op));
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
