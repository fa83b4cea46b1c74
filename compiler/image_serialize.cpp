#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "compiler/ext_records.hpp"
#include "compiler/program_image.hpp"

namespace imcvp::compiler {

namespace {

std::uint32_t align4(std::uint64_t v) { return std::uint32_t((v + 3) & ~std::uint64_t(3)); }

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

// A block data entry as the firmware checks it: "" when good, else why not.
std::string block_data_problem(unsigned tile, unsigned slot, std::uint64_t offset, std::uint64_t bytes,
                               unsigned tiles) {
  if (tile >= tiles) return "tile " + std::to_string(tile) + " of " + std::to_string(tiles);
  if (slot >= IMCVP_TILE_MAX_BLOCKS)
    return "slot " + std::to_string(slot) + ", a tile has slots 0.." + std::to_string(IMCVP_TILE_MAX_BLOCKS - 1);
  if (bytes == 0 || bytes % 4 || offset % 4) return "offset and size must be multiples of 4, the size not 0";
  if (offset + bytes > IMCVP_TILE_BLOCK_SIZE)
    return "runs past the block's window of " + std::to_string(IMCVP_TILE_BLOCK_SIZE) + " bytes";
  return "";
}
std::string block_data_name(std::size_t i, unsigned tile, unsigned slot, std::uint64_t offset, std::uint64_t bytes) {
  return "block data " + std::to_string(i) + " (tile " + std::to_string(tile) + ", slot " + std::to_string(slot) +
         ", offset " + std::to_string(offset) + ", " + std::to_string(bytes) + " bytes)";
}

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
  const std::uint32_t blocks_at = h.lut_off + IMCVP_IMAGE_LUT_ENTRIES * 4;
  h.block_data_count = std::uint32_t(img.block_data.size());
  h.block_data_off = img.block_data.empty() ? 0u : blocks_at;
  h.levels_off = align4(blocks_at + std::uint64_t(sizeof(imcvp_image_block_data)) * img.block_data.size());
  h.flags = img.levels ? 0 : IMCVP_IMAGE_FLAG_NO_LEVELS;
  const std::size_t level_bytes = img.levels ? cells : 0;  // per program
  std::uint64_t params_at = h.levels_off + std::uint64_t(level_bytes) * img.programs.size();
  // the extension records after every layer's parameters (each a multiple of 4 bytes)
  std::uint64_t ext_at = params_at;
  for (const auto& l : img.layers) ext_at += l.params.size() * sizeof(RequantEntry);
  std::uint64_t total = ext_at;
  for (std::size_t i = 0; i < img.layers.size(); ++i) {
    const ImageLayer& l = img.layers[i];
    const std::string where = "program image: record " + std::to_string(i) + " (network layer " +
                              std::to_string(l.net_layer) + ")";
    parse_ext_records(l.ext, where);
    if (l.ext.size() > IMCVP_EXT_MAX_BYTES)
      throw CompileError(where + ": " + std::to_string(l.ext.size()) + " bytes of extension records, at most " +
                         std::to_string(IMCVP_EXT_MAX_BYTES));
    total += l.ext.size();
  }
  // the programs' extension records after the layers', once per distinct content
  std::map<std::vector<std::uint8_t>, std::uint64_t> prog_ext_at;
  std::vector<const std::vector<std::uint8_t>*> prog_ext;  // in image order
  std::vector<std::array<std::uint64_t, 2>> prog_ext_off(img.programs.size(), {0, 0});
  for (std::size_t i = 0; i < img.programs.size(); ++i) {
    const ImageProgram& pr = img.programs[i];
    const std::string where = "program image: PROGRAM record " + std::to_string(i) + " (tile " +
                              std::to_string(pr.tile) + ", crossbar " + std::to_string(pr.desc.xbar) + ")";
    if (pr.ext[0].size() != pr.ext[1].size())
      throw CompileError(where + ": extension records of " + std::to_string(pr.ext[0].size()) + " and " +
                         std::to_string(pr.ext[1].size()) + " bytes (first and later issues must be of one size)");
    if (pr.ext[0].size() > IMCVP_EXT_MAX_BYTES)
      throw CompileError(where + ": " + std::to_string(pr.ext[0].size()) + " bytes of extension records, at most " +
                         std::to_string(IMCVP_EXT_MAX_BYTES));
    for (int k = 0; k < 2 && !pr.ext[0].empty(); ++k) {
      parse_ext_records(pr.ext[k], where);
      const auto ins = prog_ext_at.emplace(pr.ext[k], total);
      if (ins.second) {
        prog_ext.push_back(&ins.first->first);
        total += pr.ext[k].size();
      }
      prog_ext_off[i][std::size_t(k)] = ins.first->second;
    }
  }
  // the block data's bytes after the extension records, once per distinct content
  std::map<std::vector<std::uint8_t>, std::uint64_t> block_bytes_at;
  std::vector<const std::vector<std::uint8_t>*> block_bytes;  // in image order
  std::vector<std::uint64_t> block_data_off;
  if (!img.block_data.empty()) total = align4(total);  // word aligned for the DMA
  for (std::size_t i = 0; i < img.block_data.size(); ++i) {
    const ImageBlockData& e = img.block_data[i];
    const std::string why = block_data_problem(e.tile, e.slot, e.offset, e.bytes.size(), img.chip.tiles);
    if (!why.empty())
      throw CompileError("program image: " + block_data_name(i, e.tile, e.slot, e.offset, e.bytes.size()) + ": " + why);
    const auto ins = block_bytes_at.emplace(e.bytes, total);
    if (ins.second) {
      block_bytes.push_back(&ins.first->first);
      total += e.bytes.size();
    }
    block_data_off.push_back(ins.first->second);
  }
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
    rec.ext_off[0] = std::uint32_t(prog_ext_off[i][0]);
    rec.ext_off[1] = std::uint32_t(prog_ext_off[i][1]);
    rec.desc = pr.desc;
    rec.desc.ext_bytes = std::uint16_t(pr.ext[0].size());
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
    rec.ext_off = l.ext.empty() ? 0u : std::uint32_t(ext_at);
    rec.desc = l.desc;
    rec.desc.ext_bytes = std::uint16_t(l.ext.size());
    w.put(&rec, sizeof rec);
    params_at += l.params.size() * sizeof(RequantEntry);
    ext_at += l.ext.size();
  }
  w.pad4();
  for (const ImageIo* io : {&img.input, &img.output}) w.put(io, sizeof *io);
  w.put(img.input_lut, sizeof img.input_lut);
  for (std::size_t i = 0; i < img.block_data.size(); ++i) {
    const ImageBlockData& e = img.block_data[i];
    imcvp_image_block_data rec{e.tile, e.slot, e.offset, std::uint32_t(e.bytes.size()),
                               std::uint32_t(block_data_off[i])};
    w.put(&rec, sizeof rec);
  }
  w.pad4();
  for (const auto& pr : img.programs) w.put(pr.levels.data(), level_bytes);
  for (const auto& l : img.layers) w.put(l.params.data(), l.params.size() * sizeof(RequantEntry));
  for (const auto& l : img.layers) w.put(l.ext.data(), l.ext.size());
  for (const auto* e : prog_ext) w.put(e->data(), e->size());
  if (!img.block_data.empty()) w.pad4();
  for (const auto* d : block_bytes) w.put(d->data(), d->size());
  if (w.b.size() != total) throw std::logic_error("program image size mismatch");
  const std::uint32_t crc = crc32(w.b.data() + sizeof h, w.b.size() - sizeof h);
  std::memcpy(w.b.data() + offsetof(imcvp_image_header, payload_crc32), &crc, sizeof crc);
  return w.b;
}

ProgramImage read_program_image(const std::vector<std::uint8_t>& bytes) {
  return read_program_image(bytes.data(), bytes.size());
}

ProgramImage read_program_image(const std::uint8_t* data, std::size_t size) {
  auto fail = [](const std::string& m) { throw CompileError("program image: " + m); };
  Reader r{data, size};
  if (size == 0) fail("empty (0 bytes): not a program image");
  if (size < sizeof(imcvp_image_header)) fail("only " + std::to_string(size) + " bytes, shorter than the header");
  imcvp_image_header h;
  r.get(&h, sizeof h, "header");
  if (h.magic != kImageMagic) fail("bad magic (not an imcvp program image)");
  ProgramImage img;
  img.version = h.version;
  if (h.version != kImageVersion)
    fail("version " + std::to_string(h.version) + ", this reader knows version " + std::to_string(kImageVersion) +
         (h.version < kImageVersion ? "; recompile the network" : ""));
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
  // The op is the tile's to check (IMCVP_TILE_ERR_OP), as the extension
  // record types are (IMCVP_TILE_ERR_EXT): a new op or record needs no reader change.
  auto check_desc = [&](const LayerDesc& d, const char* what) {
    if (d.magic != desc::kMagic || d.version != desc::kVersion) fail(std::string(what) + " descriptor: bad magic or version");
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
    const std::uint32_t en = pr.desc.ext_bytes;
    const std::string where = "program image: PROGRAM of tile " + std::to_string(pr.tile) + ", crossbar " +
                              std::to_string(pr.desc.xbar);
    for (int k = 0; k < 2; ++k) {
      const std::uint32_t eo = rec.ext_off[k];
      if (en && (eo < h.levels_off || eo % 4 || std::uint64_t(eo) + en > std::uint64_t(h.levels_off) + h.levels_bytes))
        fail("PROGRAM of tile " + std::to_string(pr.tile) + ", crossbar " + std::to_string(pr.desc.xbar) + ": " +
             std::to_string(en) + " bytes of extension records at " + std::to_string(eo) +
             " lie outside the levels section or are not word aligned");
      if (!en && eo)
        fail("PROGRAM of tile " + std::to_string(pr.tile) + ", crossbar " + std::to_string(pr.desc.xbar) +
             ": extension records at " + std::to_string(eo) + " but desc.ext_bytes is 0");
      pr.ext[k].assign(data + (en ? eo : 0), data + (en ? eo + en : 0));
      parse_ext_records(pr.ext[k], where);
    }
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
    if (std::uint64_t(l.desc_off) + sizeof(LayerDesc) + l.desc.ext_bytes > c.buffer_bytes || l.desc.in_off >= c.buffer_bytes ||
        l.desc.out_off >= c.buffer_bytes || (pn && std::uint64_t(l.desc.param_off) + pn * sizeof(RequantEntry) > c.buffer_bytes))
      fail("layer " + std::to_string(l.net_layer) + ": a buffer offset lies beyond the tile buffer");
    if (po < h.levels_off || std::uint64_t(po) + std::uint64_t(pn) * sizeof(RequantEntry) > std::uint64_t(h.levels_off) + h.levels_bytes)
      fail("layer " + std::to_string(l.net_layer) + ": parameters lie outside the image");
    l.params.resize(pn);
    if (pn) std::memcpy(l.params.data(), data + po, pn * sizeof(RequantEntry));
    const std::uint32_t eo = rec.ext_off, en = l.desc.ext_bytes;
    const std::string where = "program image: layer " + std::to_string(l.net_layer);
    if (en && (eo < h.levels_off || std::uint64_t(eo) + en > std::uint64_t(h.levels_off) + h.levels_bytes))
      fail("layer " + std::to_string(l.net_layer) + ": " + std::to_string(en) + " bytes of extension records at " +
           std::to_string(eo) + " lie outside the levels section");
    if (!en && eo) fail("layer " + std::to_string(l.net_layer) + ": extension records at " + std::to_string(eo) +
                        " but desc.ext_bytes is 0");
    l.ext.assign(data + (en ? eo : 0), data + (en ? eo + en : 0));
    parse_ext_records(l.ext, where);
  }
  r.at = h.io_off;
  for (ImageIo* io : {&img.input, &img.output}) {
    r.get(io, sizeof *io, "io");
    if (io->tile >= c.tiles || io->buf_off >= c.buffer_bytes) fail("input/output tensor outside the chip");
  }
  r.at = h.lut_off;
  r.get(img.input_lut, sizeof img.input_lut, "input table");
  // block data: as the firmware checks it (imcvp_rt_open)
  const std::uint32_t nblk = h.block_data_count;
  if (!nblk && h.block_data_off) fail("a block data table at " + std::to_string(h.block_data_off) + " of 0 entries");
  if (nblk) {
    section(h.block_data_off, std::uint64_t(sizeof(imcvp_image_block_data)) * nblk, "block data table");
    if (h.block_data_off % 4) fail("block data table at " + std::to_string(h.block_data_off) + ", not 4-byte aligned");
  }
  r.at = h.block_data_off;
  img.block_data.resize(nblk);
  for (std::size_t i = 0; i < nblk; ++i) {
    imcvp_image_block_data rec;
    r.get(&rec, sizeof rec, "block data");
    const std::string name = block_data_name(i, rec.tile, rec.slot, rec.offset, rec.bytes);
    const std::string why = block_data_problem(rec.tile, rec.slot, rec.offset, rec.bytes, c.tiles);
    if (!why.empty()) fail(name + ": " + why);
    if (rec.data_off % 4 || rec.data_off < h.levels_off ||
        std::uint64_t(rec.data_off) + rec.bytes > std::uint64_t(h.levels_off) + h.levels_bytes)
      fail(name + ": its bytes at " + std::to_string(rec.data_off) +
           " lie outside the levels section or are not word aligned");
    ImageBlockData& e = img.block_data[i];
    e.tile = rec.tile;
    e.slot = rec.slot;
    e.offset = rec.offset;
    e.bytes.assign(data + rec.data_off, data + rec.data_off + rec.bytes);
  }
  return img;
}

}  // namespace imcvp::compiler
