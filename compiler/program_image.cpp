#include "compiler/program_image.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>
#include <cstring>
#include <map>
#include <stdexcept>

#include "models/crossbar/crossbar_array.hpp"

namespace imcvp::compiler {

namespace {

constexpr std::uint32_t kTileRecord = 16, kProgramRecord = 8 + sizeof(LayerDesc),
                        kLayerRecord = 28 + sizeof(LayerDesc);

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
  template <typename T>
  void le(T v) {  // little-endian (the host is too: LayerDesc is copied as is)
    for (std::size_t i = 0; i < sizeof(T); ++i) b.push_back(std::uint8_t(std::uint64_t(v) >> (8 * i)));
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
  template <typename T>
  T le(const char* what) {
    need(sizeof(T), what);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t(p[at + i]) << (8 * i);
    at += sizeof(T);
    return T(v);
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
  img.tiles.resize(chip.tiles);
  std::copy(q.input_lut.begin(), q.input_lut.end(), img.input_lut);

  // Per tile: descriptors (one per layer + one PROGRAM), parameters, levels
  // staging, then tensors, each 4-byte aligned.
  std::vector<std::uint32_t> layers_on(chip.tiles, 0), params_on(chip.tiles, 0);
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const unsigned t = unsigned(pl.layers[i].tile);
    ++layers_on[t];
    params_on[t] += std::uint32_t(q.layers[i].requant.size() * sizeof(RequantEntry));
  }
  std::vector<std::uint32_t> next_desc(chip.tiles), next_param(chip.tiles), next_tensor(chip.tiles);
  for (unsigned t = 0; t < chip.tiles; ++t) {
    next_desc[t] = sizeof(LayerDesc);  // offset 0: the PROGRAM descriptor
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
    if (l.has_weights()) {
      d.in_bits = u8(fin.bits, l.name + " in_bits");
      d.xbar = u16(lp.first_xbar, l.name + " xbar");
      const unsigned K = unsigned(l.fan_in()), O = unsigned(l.out.c), R = p.rows, npx = p.max_outputs();
      for (unsigned rg = 0; rg < lp.row_groups; ++rg)
        for (unsigned cg = 0; cg < lp.col_groups; ++cg) {
          const unsigned rows = std::min(R, K - rg * R), outs = std::min(npx, O - cg * npx);
          std::vector<std::int32_t> sub(std::size_t(rows) * outs);
          for (unsigned r = 0; r < rows; ++r)
            for (unsigned j = 0; j < outs; ++j)
              sub[std::size_t(r) * outs + j] = ql.weight[std::size_t(cg * npx + j) * K + rg * R + r];
          ImageProgram pr;
          pr.tile = std::uint16_t(t);
          pr.desc = blank_desc(desc::Program);
          pr.desc.xbar = std::uint16_t(unsigned(lp.first_xbar) + rg * lp.col_groups + cg);
          pr.desc.param_off = img.tiles[t].levels_stage_off;
          try {
            pr.levels = map_weights(p, sub, rows, outs).levels;
          } catch (const std::invalid_argument& e) {
            throw CompileError("layer " + l.name + ": " + e.what());
          }
          progs[t].push_back(std::move(pr));
        }
      for (std::size_t o = 0; o < ql.requant.size(); ++o)
        il.params.push_back({ql.bias.at(o), ql.requant[o].multiplier, ql.requant[o].shift});
    } else if (!ql.requant.empty()) {
      il.params.push_back({0, ql.requant[0].multiplier, ql.requant[0].shift});
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
    if (!il.params.empty()) {
      d.param_off = next_param[t];
      next_param[t] += std::uint32_t(il.params.size() * sizeof(RequantEntry));
    }
    il.desc_off = next_desc[t];
    next_desc[t] += sizeof(LayerDesc);
    il.desc = d;
    img.layers.push_back(std::move(il));
  }
  for (unsigned t = 0; t < chip.tiles; ++t) {
    img.tiles[t].first_program = std::uint32_t(img.programs.size());
    img.tiles[t].program_count = std::uint32_t(progs[t].size());
    img.tiles[t].buffer_used = next_tensor[t];
    for (auto& pr : progs[t]) img.programs.push_back(std::move(pr));
  }
  auto io = [&](int id) {
    ImageIo r;
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

// Layout (all little-endian; offsets from the image start):
//   header (72 bytes): magic u32, version u16, header_bytes u16, image_bytes u32,
//     payload_crc32 u32 (bytes [72, image_bytes)), tiles u16, crossbars_per_tile u16,
//     rows u16, cols u16, cell_bits u8, weight_bits u8, signed_mode u8, 0 u8,
//     buffer_bytes u32, program_count u32, layer_count u32, tiles_off u32,
//     programs_off u32, layers_off u32, io_off u32, lut_off u32, levels_off u32,
//     levels_bytes u32, 0 u32
//   tiles: first_program u32, program_count u32, levels_stage_off u32, buffer_used u32
//   programs: tile u16, 0 u16, levels_off u32 (image offset, rows x cols bytes), desc (72)
//   layers: tile u16, net_layer u16, desc_off u32, src_tile u16 x2, src_off u32 x2,
//     params_off u32 (image offset), param_count u32, desc (72)
//   io: input then output: tile u16, fmt u8, 0 u8, buf_off u32, c u16, h u16, w u16, 0 u16
//   lut: 256 x i32
//   levels: the programs' cell levels, then the layers' requant entries (12 bytes each)
std::vector<std::uint8_t> serialize_program_image(const ProgramImage& img) {
  const std::size_t cells = std::size_t(img.chip.crossbar.rows) * img.chip.crossbar.cols;
  const std::uint32_t tiles_off = kImageHeaderBytes;
  const std::uint32_t programs_off = tiles_off + kTileRecord * std::uint32_t(img.tiles.size());
  const std::uint32_t layers_off = programs_off + kProgramRecord * std::uint32_t(img.programs.size());
  const std::uint32_t io_off = align4(layers_off + std::uint64_t(kLayerRecord) * img.layers.size());
  const std::uint32_t lut_off = io_off + 2 * 16;
  const std::uint32_t levels_off = lut_off + 256 * 4;
  std::uint64_t levels_bytes = std::uint64_t(cells) * img.programs.size();
  std::uint64_t params_at = levels_off + levels_bytes;
  std::uint64_t total = params_at;
  for (const auto& l : img.layers) total += l.params.size() * sizeof(RequantEntry);
  levels_bytes = total - levels_off;
  if (total > 0xFFFFFFFFull) throw CompileError("program image larger than 4 GiB");
  Writer w;
  w.le(kImageMagic);
  w.le(kImageVersion);
  w.le(std::uint16_t(kImageHeaderBytes));
  w.le(std::uint32_t(total));
  w.le(std::uint32_t(0));  // CRC, patched below
  w.le(std::uint16_t(img.chip.tiles));
  w.le(std::uint16_t(img.chip.crossbars_per_tile));
  w.le(std::uint16_t(img.chip.crossbar.rows));
  w.le(std::uint16_t(img.chip.crossbar.cols));
  w.le(std::uint8_t(img.chip.crossbar.cell_bits));
  w.le(std::uint8_t(img.chip.crossbar.weight_bits));
  w.le(std::uint8_t(img.chip.crossbar.signed_mode));
  w.le(std::uint8_t(0));
  w.le(img.chip.buffer_bytes);
  w.le(std::uint32_t(img.programs.size()));
  w.le(std::uint32_t(img.layers.size()));
  for (std::uint32_t v : {tiles_off, programs_off, layers_off, io_off, lut_off, levels_off, std::uint32_t(levels_bytes)})
    w.le(v);
  while (w.b.size() < kImageHeaderBytes) w.b.push_back(0);
  for (const auto& t : img.tiles) {
    w.le(t.first_program);
    w.le(t.program_count);
    w.le(t.levels_stage_off);
    w.le(t.buffer_used);
  }
  for (std::size_t i = 0; i < img.programs.size(); ++i) {
    const auto& pr = img.programs[i];
    if (pr.levels.size() != cells) throw CompileError("program image: crossbar levels of the wrong size");
    w.le(pr.tile);
    w.le(std::uint16_t(0));
    w.le(std::uint32_t(levels_off + i * cells));
    w.put(&pr.desc, sizeof pr.desc);
  }
  for (const auto& l : img.layers) {
    w.le(l.tile);
    w.le(l.net_layer);
    w.le(l.desc_off);
    w.le(l.src_tile[0]);
    w.le(l.src_tile[1]);
    w.le(l.src_off[0]);
    w.le(l.src_off[1]);
    w.le(std::uint32_t(params_at));
    w.le(std::uint32_t(l.params.size()));
    w.put(&l.desc, sizeof l.desc);
    params_at += l.params.size() * sizeof(RequantEntry);
  }
  w.pad4();
  for (const ImageIo* io : {&img.input, &img.output}) {
    w.le(io->tile);
    w.le(io->fmt);
    w.le(std::uint8_t(0));
    w.le(io->buf_off);
    w.le(io->c);
    w.le(io->h);
    w.le(io->w);
    w.le(std::uint16_t(0));
  }
  for (std::int32_t v : img.input_lut) w.le(std::uint32_t(v));
  for (const auto& pr : img.programs) w.put(pr.levels.data(), cells);
  for (const auto& l : img.layers)
    for (const auto& r : l.params) {
      w.le(std::uint32_t(r.bias));
      w.le(std::uint32_t(r.multiplier));
      w.le(std::uint32_t(r.shift));
    }
  if (w.b.size() != total) throw std::logic_error("program image size mismatch");
  const std::uint32_t crc = crc32(w.b.data() + kImageHeaderBytes, w.b.size() - kImageHeaderBytes);
  for (int i = 0; i < 4; ++i) w.b[12 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
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
  if (size < kImageHeaderBytes) fail("only " + std::to_string(size) + " bytes, shorter than the header");
  const auto magic = r.le<std::uint32_t>("magic");
  if (magic != kImageMagic) fail("bad magic (not an imcvp program image)");
  ProgramImage img;
  img.version = r.le<std::uint16_t>("version");
  if (img.version != kImageVersion)
    fail("version " + std::to_string(img.version) + ", this reader knows version " + std::to_string(kImageVersion));
  const auto hb = r.le<std::uint16_t>("header size");
  const auto total = r.le<std::uint32_t>("image size");
  const auto crc = r.le<std::uint32_t>("crc");
  if (hb != kImageHeaderBytes) fail("header of " + std::to_string(hb) + " bytes, expected " + std::to_string(kImageHeaderBytes));
  if (total != size) fail("header says " + std::to_string(total) + " bytes, the image has " + std::to_string(size));
  const std::uint32_t actual = crc32(data + kImageHeaderBytes, size - kImageHeaderBytes);
  if (actual != crc) {
    char m[96];
    std::snprintf(m, sizeof m, "bad CRC32 of the payload: header 0x%08x, computed 0x%08x (corrupt image)", crc, actual);
    fail(m);
  }
  ChipResources& c = img.chip;
  c.tiles = r.le<std::uint16_t>("tiles");
  c.crossbars_per_tile = r.le<std::uint16_t>("crossbars");
  c.crossbar.rows = r.le<std::uint16_t>("rows");
  c.crossbar.cols = r.le<std::uint16_t>("cols");
  c.crossbar.cell_bits = r.le<std::uint8_t>("cell_bits");
  c.crossbar.weight_bits = r.le<std::uint8_t>("weight_bits");
  const auto mode = r.le<std::uint8_t>("signed_mode");
  if (mode > std::uint8_t(SignedMode::Offset)) fail("bad signed mode " + std::to_string(mode));
  c.crossbar.signed_mode = SignedMode(mode);
  r.le<std::uint8_t>("pad");
  c.buffer_bytes = r.le<std::uint32_t>("buffer_bytes");
  const auto nprog = r.le<std::uint32_t>("program count");
  const auto nlay = r.le<std::uint32_t>("layer count");
  std::uint32_t off[7];
  for (auto& o : off) o = r.le<std::uint32_t>("section offset");
  const auto [tiles_off, programs_off, layers_off, io_off, lut_off, levels_off, levels_bytes] =
      std::tuple(off[0], off[1], off[2], off[3], off[4], off[5], off[6]);
  const std::uint64_t cells = std::uint64_t(c.crossbar.rows) * c.crossbar.cols;
  auto section = [&](std::uint64_t at, std::uint64_t bytes, const char* what) {
    if (at < kImageHeaderBytes || at + bytes > size)
      fail(std::string(what) + " at " + std::to_string(at) + " (" + std::to_string(bytes) +
           " bytes) lies outside the image of " + std::to_string(size) + " bytes");
  };
  section(tiles_off, std::uint64_t(kTileRecord) * c.tiles, "tile table");
  section(programs_off, std::uint64_t(kProgramRecord) * nprog, "program table");
  section(layers_off, std::uint64_t(kLayerRecord) * nlay, "layer table");
  section(io_off, 32, "input/output records");
  section(lut_off, 1024, "input table");
  section(levels_off, levels_bytes, "levels and parameters");
  r.at = tiles_off;
  img.tiles.resize(c.tiles);
  for (auto& t : img.tiles) {
    t.first_program = r.le<std::uint32_t>("tile");
    t.program_count = r.le<std::uint32_t>("tile");
    t.levels_stage_off = r.le<std::uint32_t>("tile");
    t.buffer_used = r.le<std::uint32_t>("tile");
    if (std::uint64_t(t.first_program) + t.program_count > nprog) fail("a tile's programs lie outside the program table");
    if (t.buffer_used > c.buffer_bytes) fail("a tile uses more buffer than it has");
  }
  auto check_desc = [&](const LayerDesc& d, const char* what) {
    if (d.magic != desc::kMagic || d.version != desc::kVersion) fail(std::string(what) + " descriptor: bad magic or version");
    if (d.op < desc::Conv || d.op > desc::Program) fail(std::string(what) + " descriptor: bad op " + std::to_string(d.op));
  };
  r.at = programs_off;
  img.programs.resize(nprog);
  for (auto& pr : img.programs) {
    pr.tile = r.le<std::uint16_t>("program");
    r.le<std::uint16_t>("program");
    const auto lo = r.le<std::uint32_t>("program");
    r.get(&pr.desc, sizeof pr.desc, "program descriptor");
    check_desc(pr.desc, "PROGRAM");
    if (pr.tile >= c.tiles || pr.desc.xbar >= c.crossbars_per_tile) fail("PROGRAM of a crossbar the chip lacks");
    if (lo < levels_off || std::uint64_t(lo) + cells > std::uint64_t(levels_off) + levels_bytes)
      fail("crossbar levels at " + std::to_string(lo) + " lie outside the levels section");
    pr.levels.assign(data + lo, data + lo + cells);
  }
  r.at = layers_off;
  img.layers.resize(nlay);
  for (auto& l : img.layers) {
    l.tile = r.le<std::uint16_t>("layer");
    l.net_layer = r.le<std::uint16_t>("layer");
    l.desc_off = r.le<std::uint32_t>("layer");
    l.src_tile[0] = r.le<std::uint16_t>("layer");
    l.src_tile[1] = r.le<std::uint16_t>("layer");
    l.src_off[0] = r.le<std::uint32_t>("layer");
    l.src_off[1] = r.le<std::uint32_t>("layer");
    const auto po = r.le<std::uint32_t>("layer");
    const auto pn = r.le<std::uint32_t>("layer");
    r.get(&l.desc, sizeof l.desc, "layer descriptor");
    check_desc(l.desc, "layer");
    if (l.tile >= c.tiles) fail("layer on tile " + std::to_string(l.tile) + " of " + std::to_string(c.tiles));
    if (std::uint64_t(l.desc_off) + sizeof(LayerDesc) > c.buffer_bytes || l.desc.in_off >= c.buffer_bytes ||
        l.desc.out_off >= c.buffer_bytes || (pn && std::uint64_t(l.desc.param_off) + pn * sizeof(RequantEntry) > c.buffer_bytes))
      fail("layer " + std::to_string(l.net_layer) + ": a buffer offset lies beyond the tile buffer");
    if (po < levels_off || std::uint64_t(po) + std::uint64_t(pn) * sizeof(RequantEntry) > std::uint64_t(levels_off) + levels_bytes)
      fail("layer " + std::to_string(l.net_layer) + ": parameters lie outside the image");
    Reader pr{data, size, po};
    l.params.resize(pn);
    for (auto& e : l.params) {
      e.bias = std::int32_t(pr.le<std::uint32_t>("requant"));
      e.multiplier = std::int32_t(pr.le<std::uint32_t>("requant"));
      e.shift = std::int32_t(pr.le<std::uint32_t>("requant"));
    }
  }
  r.at = io_off;
  for (ImageIo* io : {&img.input, &img.output}) {
    io->tile = r.le<std::uint16_t>("io");
    io->fmt = r.le<std::uint8_t>("io");
    r.le<std::uint8_t>("io");
    io->buf_off = r.le<std::uint32_t>("io");
    io->c = r.le<std::uint16_t>("io");
    io->h = r.le<std::uint16_t>("io");
    io->w = r.le<std::uint16_t>("io");
    r.le<std::uint16_t>("io");
    if (io->tile >= c.tiles || io->buf_off >= c.buffer_bytes) fail("input/output tensor outside the chip");
  }
  r.at = lut_off;
  for (auto& v : img.input_lut) v = std::int32_t(r.le<std::uint32_t>("input table"));
  return img;
}

}  // namespace imcvp::compiler
