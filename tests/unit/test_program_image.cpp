// Placement and the program image: the CNN places and writes an image that
// round-trips; a corrupt byte is caught by the CRC; a too-small chip names
// both crossbar counts; block data and per-slice extension records (image
// version 4) are built, deduplicated, checked and read back; and
// every layer of the image, run on Tile models fed with the golden inputs,
// reproduces the golden reference's tensor bit for bit.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>

#include <systemc>
#include <tlm>

#include "compiler/compile.hpp"
#include "compiler/ext_records.hpp"
#include "compiler/image_lowering.hpp"
#include "compiler/golden.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"
#include "compiler/weight_layout.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/tile/tile.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

IMCVP_TEST_SC_MAIN()

namespace fs = std::filesystem;
using namespace imcvp;
using namespace imcvp::compiler;


namespace {

std::string source_dir() {
  if (const char* env = std::getenv("IMCVP_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

bool have_data() { return fs::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"); }

const QuantizedNetwork& cnn() {
  static QuantizedNetwork q = [] {
    CompileOptions o;
    o.onnx_path = source_dir() + "/networks/fmnist_cnn.onnx";
    o.calibration_images = 16;
    o.eval_images = 0;
    return compile(o).network;
  }();
  return q;
}

// Tiles big enough to hold the CNN's largest layer (FC 1568 -> 64 needs 52
// crossbars of the default 128 x 128 geometry); ideal crossbars so the
// platform is bit-exact.
TileParams big_tile() {
  TileParams t;
  t.crossbars = 64;
  t.crossbar = ideal_crossbar(t.crossbar);
  return t;
}
constexpr unsigned kTiles = 2;

struct Driver : test::TileDriver {
  using TileDriver::TileDriver;
  uint32_t run(uint32_t desc_off) { return start_and_wait(desc_off, sc_core::sc_time(1, sc_core::SC_US)); }
};

struct Harness {
  std::vector<std::unique_ptr<Driver>> cpu;
  std::vector<std::unique_ptr<Tile>> tile;
  Harness() {
    for (unsigned t = 0; t < kTiles; ++t) {
      cpu.push_back(std::make_unique<Driver>(("cpu" + std::to_string(t)).c_str()));
      tile.push_back(std::make_unique<Tile>(("tile" + std::to_string(t)).c_str(), big_tile()));
      cpu[t]->socket.bind(tile[t]->socket);
    }
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
};
Harness& harness() {
  static Harness h;
  return h;
}

}  // namespace

TEST(Placement, ChipFromTileParamsDefaults) {
  const TileParams t;
  const ChipResources c = chip_resources(t, 3);
  EXPECT_EQ(c.tiles, 3u);
  EXPECT_EQ(c.crossbars_per_tile, t.crossbars);
  EXPECT_EQ(c.buffer_bytes, t.buffer_bytes);
  EXPECT_EQ(c.crossbar.rows, t.crossbar.rows);
  EXPECT_EQ(c.total_crossbars(), 3 * t.crossbars);
}

TEST(ProgramImage, CnnPlacesWritesAndRoundTrips) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const QuantizedNetwork& q = cnn();
  const Placement pl = place(q, chip_resources(big_tile(), kTiles));
  const CrossbarParams& p = pl.chip.crossbar;
  unsigned expect = 0;
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    const Layer& l = q.net.layers[i];
    const LayerPlacement& lp = pl.layers[i];
    ASSERT_GE(lp.tile, 0) << l.name;
    if (l.has_weights()) {
      EXPECT_EQ(lp.row_groups, unsigned((l.fan_in() + int(p.rows) - 1) / int(p.rows))) << l.name;
      EXPECT_EQ(lp.col_groups, unsigned((l.out.c + int(p.max_outputs()) - 1) / int(p.max_outputs()))) << l.name;
      EXPECT_LE(lp.first_xbar + int(lp.crossbars()), int(pl.chip.crossbars_per_tile));
      expect += lp.crossbars();
    }
  }
  EXPECT_EQ(pl.crossbars_used, expect);

  const std::vector<uint8_t> bytes = write_program_image(q, pl);
  const ProgramImage img = read_program_image(bytes);
  EXPECT_EQ(img.chip.tiles, kTiles);
  EXPECT_EQ(img.programs.size(), expect);
  ASSERT_EQ(img.layers.size(), q.net.layers.size());
  EXPECT_EQ(serialize_program_image(img), bytes);  // round trip, byte for byte
  for (int v = 0; v < 256; ++v) EXPECT_EQ(img.input_lut[v], q.input_lut[std::size_t(v)]);
  EXPECT_EQ(img.output.c, q.net.output_shape().c);
  const ProgramImage built = build_program_image(q, pl);
  for (std::size_t i = 0; i < img.layers.size(); ++i) {
    EXPECT_EQ(std::memcmp(&img.layers[i].desc, &built.layers[i].desc, sizeof(LayerDesc)), 0);
    EXPECT_EQ(img.layers[i].params.size(), built.layers[i].params.size());
  }
}

TEST(ProgramImage, CorruptImagesAreRejected) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::vector<uint8_t> good = write_program_image(cnn(), place(cnn(), chip_resources(big_tile(), kTiles)));
  auto message = [](const std::vector<uint8_t>& b) -> std::string {
    try {
      read_program_image(b);
    } catch (const CompileError& e) {
      return e.what();
    }
    return "accepted";
  };
  for (std::size_t at : {std::size_t(100), good.size() / 2, good.size() - 1}) {
    std::vector<uint8_t> b = good;
    b[at] ^= 0x10;
    EXPECT_NE(message(b).find("CRC32"), std::string::npos) << at << ": " << message(b);
  }
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  EXPECT_NE(message(b).find("magic"), std::string::npos);
  b = good;
  b[4] = 9;
  EXPECT_NE(message(b).find("version 9"), std::string::npos);
  b = good;
  b.pop_back();
  EXPECT_NE(message(b).find("bytes"), std::string::npos);
  EXPECT_NE(message({1, 2, 3}).find("shorter than the header"), std::string::npos);
  // A bad section offset with a consistent CRC (the header is outside the CRC).
  b = good;
  b[48] = 0xFF, b[49] = 0xFF, b[50] = 0xFF;  // layers_off
  EXPECT_NE(message(b).find("outside the image"), std::string::npos) << message(b);
}

TEST(Placement, TooSmallChipNamesBothCounts) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TileParams t;
  t.crossbars = 8;
  const ChipResources chip = chip_resources(t, 2);
  unsigned need = 0;
  for (const Layer& l : cnn().net.layers) need += crossbars_needed(l, chip.crossbar);
  try {
    place(cnn(), chip);
    FAIL() << "placed";
  } catch (const CompileError& e) {
    EXPECT_EQ(std::string(e.what()), "network needs " + std::to_string(need) + " crossbars, the chip has 16 (2 tiles x 8)");
  }
  // Enough crossbars in all, but one layer larger than a tile.
  try {
    place(cnn(), chip_resources(t, 16));
    FAIL() << "placed";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("a tile has 8"), std::string::npos) << e.what();
  }
}

// With reprogramming allowed, a chip of 16 crossbars holds the 58-crossbar
// CNN in groups: every layer's slices cover its output channels in order,
// each slice fits the tile, and groups follow the execution order.
TEST(Placement, ReprogrammingSplitsAndGroupsLayers) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TileParams t;
  t.crossbars = 16;
  const ChipResources chip = chip_resources(t, 1);
  PlacementOptions o;
  o.reprogram = true;
  const Placement pl = place(cnn(), chip, o);
  EXPECT_GT(pl.groups, 1u);
  EXPECT_EQ(pl.crossbars_needed, 58u);
  EXPECT_LE(pl.crossbars_used, 16u);
  unsigned last_group = 0;
  for (std::size_t i = 0; i < cnn().net.layers.size(); ++i) {
    const Layer& l = cnn().net.layers[i];
    const LayerPlacement& lp = pl.layers[i];
    EXPECT_GE(lp.group, last_group) << l.name;
    if (!l.has_weights()) continue;
    unsigned c = 0;
    for (const LayerSlice& sl : lp.slices) {
      EXPECT_EQ(sl.c0, c) << l.name;
      c += sl.channels;
      EXPECT_LE(unsigned(sl.first_xbar) + lp.row_groups * sl.col_groups, 16u) << l.name;
      EXPECT_GE(sl.group, last_group) << l.name;
      last_group = sl.group;
    }
    EXPECT_EQ(c, unsigned(l.out.c)) << l.name;
  }
  EXPECT_EQ(last_group + 1, pl.groups);
  // The image carries the groups, and reads back.
  const ProgramImage img = read_program_image(write_program_image(cnn(), pl));
  EXPECT_EQ(img.groups, pl.groups);
  EXPECT_GT(img.layers.size(), cnn().net.layers.size());  // split layers: one record per slice
  // Each tile's crossbar writes rise in group: the firmware finds a group's
  // writes by bisection (and refuses an image where they do not).
  for (std::size_t i = 1; i < img.programs.size(); ++i) {
    if (img.programs[i].tile == img.programs[i - 1].tile) {
      EXPECT_GE(img.programs[i].group, img.programs[i - 1].group) << "program record " << i;
    }
  }
  // A network that fits is placed spatially whatever the option says.
  t.crossbars = 64;
  const Placement spatial = place(cnn(), chip_resources(t, 1), o);
  EXPECT_EQ(spatial.groups, 1u);
  EXPECT_EQ(spatial.crossbars_used, 58u);
}

TEST(ProgramImage, TooSmallBufferNamesLayerAndSizes) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TileParams t = big_tile();
  t.buffer_bytes = 24 * 1024;
  try {
    write_program_image(cnn(), place(cnn(), chip_resources(t, kTiles)));
    FAIL() << "written";
  } catch (const CompileError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer "), std::string::npos) << m;
    EXPECT_NE(m.find("bytes) does not fit in tile"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(t.buffer_bytes)), std::string::npos) << m;
  }
}

// The image drives Tile models: PROGRAM every crossbar from the image's
// levels, then each layer with its descriptor and requantization constants,
// its input taken from the golden reference; every output equals the golden
// tensor.
void run_image_on_tiles(unsigned crossbars_per_tile) {
  const QuantizedNetwork& q = cnn();
  TileParams tp = big_tile();
  tp.crossbars = crossbars_per_tile;  // the harness's tiles have big_tile().crossbars
  const ProgramImage img = read_program_image(write_program_image(q, place(q, chip_resources(tp, kTiles))));
  Harness& h = harness();
  for (unsigned t = 0; t < img.chip.tiles; ++t) {
    const ImageTile& it = img.tiles[t];
    for (uint32_t i = it.first_program; i < it.first_program + it.program_count; ++i) {
      const ImageProgram& pr = img.programs[i];
      ASSERT_EQ(pr.tile, t);
      h.cpu[t]->put(pr.desc.param_off, pr.levels.data(), pr.levels.size());
      h.cpu[t]->put(0, &pr.desc, sizeof pr.desc);
      ASSERT_EQ(h.cpu[t]->run(0), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile[t]->error_message();
    }
  }
  ImageSet test = load_fashion_mnist(Split::Test, 3);
  GoldenModel golden(q);
  for (std::size_t n = 0; n < test.count(); ++n) {
    golden.run(test.image(n));
    for (const ImageLayer& il : img.layers) {
      const Layer& l = q.net.layers[il.net_layer];
      Driver& cpu = *h.cpu[il.tile];
      cpu.put_tensor(il.desc.in_off, il.desc.in_fmt, golden.tensor(l.inputs[0]));
      if (l.inputs.size() > 1) cpu.put_tensor(il.desc.in2_off, il.desc.in2_fmt, golden.tensor(l.inputs[1]));
      if (!il.params.empty()) cpu.put(il.desc.param_off, il.params.data(), il.params.size() * sizeof(RequantEntry));
      cpu.put(il.desc_off, &il.desc, sizeof il.desc);
      ASSERT_EQ(cpu.run(il.desc_off), uint32_t(IMCVP_TILE_STATUS_DONE))
          << l.name << ": " << h.tile[il.tile]->error_message();
      const std::vector<int32_t>& want = golden.tensor(l.output);
      EXPECT_EQ(cpu.get_tensor(il.desc.out_off, il.desc.out_fmt, want.size()), want)
          << "image " << n << ", layer " << l.name << " (" << to_string(l.kind) << ")";
    }
  }
  EXPECT_GT(h.tile[0]->stats().mvms, 0u);
  if (crossbars_per_tile < big_tile().crossbars) {
    bool copies = false;
    for (const ImageLayer& il : img.layers) copies |= il.src_tile[0] != 0xFFFF;
    EXPECT_TRUE(copies) << "expected a layer whose input lives on another tile";
  }

  // The whole network chained through the image's own buffer offsets: pixels
  // -> input table -> every layer (copying inputs held on another tile) ->
  // the output record equals the golden logits.
  for (std::size_t n = 0; n < test.count(); ++n) {
    const std::vector<int32_t> want = golden.run(test.image(n));
    const Shape& in = q.net.input_shape();
    std::vector<int32_t> codes(in.size());
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = img.input_lut[test.image(n)[i]];
    h.cpu[img.input.tile]->put_tensor(img.input.buf_off, img.input.fmt, codes);
    for (const ImageLayer& il : img.layers) {
      const Layer& l = q.net.layers[il.net_layer];
      Driver& cpu = *h.cpu[il.tile];
      for (int k = 0; k < 2; ++k)
        if (il.src_tile[k] != 0xFFFF) {
          const std::uint8_t fmt = k ? il.desc.in2_fmt : il.desc.in_fmt;
          const std::size_t count = q.net.tensors[std::size_t(l.inputs[std::size_t(k)])].shape.size();
          cpu.put_tensor(k ? il.desc.in2_off : il.desc.in_off, fmt,
                         h.cpu[il.src_tile[k]]->get_tensor(il.src_off[k], fmt, count));
        }
      if (!il.params.empty()) cpu.put(il.desc.param_off, il.params.data(), il.params.size() * sizeof(RequantEntry));
      cpu.put(il.desc_off, &il.desc, sizeof il.desc);
      ASSERT_EQ(cpu.run(il.desc_off), uint32_t(IMCVP_TILE_STATUS_DONE)) << l.name << ": " << h.tile[il.tile]->error_message();
    }
    EXPECT_EQ(h.cpu[img.output.tile]->get_tensor(img.output.buf_off, img.output.fmt, want.size()), want) << "image " << n;
  }
}

TEST(ProgramImage, TilesRunTheImageBitExact) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  run_image_on_tiles(big_tile().crossbars);
}

// 56 crossbars per tile: the 52-crossbar FC layer no longer fits beside the
// convolutions, so it and the last layer go on tile 1 and read their input
// from tile 0.
TEST(ProgramImage, TwoTilesRunTheImageBitExact) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  run_image_on_tiles(56);
}

// ---------------------------------------------------------------------------
// Image version 4: block data (LayerAttributes::block_data) and per-slice
// extension records (LayerAttributes::slice_ext).

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const CompileError& e) {
    return e.what();
  }
  return "accepted";
}

std::size_t layer_index(const QuantizedNetwork& q, LayerKind kind, int nth = 0) {
  for (std::size_t i = 0; i < q.net.layers.size(); ++i)
    if (q.net.layers[i].kind == kind && nth-- == 0) return i;
  throw std::runtime_error("no such layer");
}

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::uint8_t(seed + 7 * i);
  return v;
}

// Rewrites the header's CRC after editing the payload.
void fix_crc(std::vector<std::uint8_t>& b) {
  const std::uint32_t crc = crc32(b.data() + sizeof(imcvp_image_header), b.size() - sizeof(imcvp_image_header));
  std::memcpy(b.data() + offsetof(imcvp_image_header, payload_crc32), &crc, sizeof crc);
}

}  // namespace

TEST(ProgramImage, HeaderIsVersion5With80Bytes) {
  EXPECT_EQ(kImageVersion, 5);
  EXPECT_EQ(kImageHeaderBytes, 80u);
  EXPECT_EQ(sizeof(imcvp_image_block_data), 16u);
  EXPECT_EQ(offsetof(imcvp_image_header, block_data_count), 72u);
  EXPECT_EQ(offsetof(imcvp_image_header, block_data_off), 76u);
  // 5: the PROGRAM record's extension records
  EXPECT_EQ(sizeof(imcvp_image_program), 88u);
  EXPECT_EQ(offsetof(imcvp_image_program, ext_off), 8u);
  EXPECT_EQ(offsetof(imcvp_image_program, desc), 16u);
}

// program_changes: per target level, the cells whose level differs from
// what the crossbar held (the reset state: 0), and the write groups of
// write_parallel_cells changed cells per row.
TEST(ProgramChanges, CountsChangedCellsPerLevelAndWriteGroups) {
  CrossbarParams p;
  p.rows = 3;
  p.cols = 8;
  p.cell_bits = 2;
  p.write_parallel_cells = 3;
  const std::vector<std::uint8_t> from = {0, 1, 2, 3, 0, 1, 2, 3,   //
                                          3, 3, 3, 3, 3, 3, 3, 3,   //
                                          0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<std::uint8_t> to = {0, 1, 2, 3, 1, 1, 2, 0,     // 2 changed: 1 group
                                        0, 1, 2, 0, 1, 2, 0, 3,     // 7 changed: 3 groups
                                        0, 0, 0, 0, 0, 0, 0, 0};    // none
  ProgramChanges c = program_changes(p, from.data(), to.data());
  EXPECT_EQ(c.cells, (std::vector<std::uint32_t>{4, 3, 2, 0}));
  EXPECT_EQ(c.write_groups, 4u);
  EXPECT_EQ(c.write_parallel, 3u);
  EXPECT_EQ(c.total(), 9u);
  // from the reset state: every nonzero cell
  c = program_changes(p, nullptr, from.data());
  EXPECT_EQ(c.cells, (std::vector<std::uint32_t>{0, 2, 2, 10}));
  EXPECT_EQ(c.write_groups, 2u + 3u);
  // the record round-trips
  const std::vector<std::uint8_t> rec = program_changes_record(c);
  EXPECT_EQ(rec.size(), program_changes_record_bytes(2));
  const ProgramChanges back = parse_program_changes(rec);
  EXPECT_EQ(back.cells, c.cells);
  EXPECT_EQ(back.write_groups, c.write_groups);
  EXPECT_EQ(back.write_parallel, c.write_parallel);
}

// An estimation image (no levels) of the reprogramming baseline: every
// PROGRAM carries the cells it changes, counted from what its crossbar holds
// when the firmware issues it. Replaying the firmware's order (group 0 at
// load, then every group in order, image after image, ext[0] at a group's
// first issue and ext[1] later) over the functional image's levels gives
// exactly those counts. The PROGRAM slot holds the record; the image
// round-trips; a functional image carries none.
TEST(ProgramImage, EstimationImageCarriesTheCellsEachProgramChanges) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TileParams t;
  t.crossbars = 16;
  PlacementOptions o;
  o.reprogram = true;
  const Placement pl = place(cnn(), chip_resources(t, 1), o);
  ASSERT_GT(pl.groups, 1u);
  const CrossbarParams& p = pl.chip.crossbar;
  const ProgramImage f = build_program_image(cnn(), pl);
  ImageOptions est;
  est.levels = false;
  const std::vector<std::uint8_t> bytes = serialize_program_image(build_program_image(cnn(), pl, est));
  const ProgramImage e = read_program_image(bytes);
  EXPECT_FALSE(e.levels);
  EXPECT_EQ(serialize_program_image(e), bytes);
  ASSERT_EQ(e.programs.size(), f.programs.size());
  for (const ImageProgram& pr : f.programs) EXPECT_TRUE(pr.ext[0].empty() && pr.ext[1].empty());
  // the first layer record's slot follows the PROGRAM descriptor and its record
  EXPECT_EQ(e.layers.front().desc_off, sizeof(LayerDesc) + program_changes_record_bytes(p.cell_bits));
  EXPECT_EQ(f.layers.front().desc_off, sizeof(LayerDesc));

  std::map<std::uint32_t, std::vector<std::uint8_t>> held;  // (tile, crossbar) -> levels
  std::vector<bool> issued(pl.groups, false);
  std::uint64_t first_cells = 0, later_cells = 0;
  auto issue = [&](unsigned g) {
    const bool again = issued[g];
    for (std::size_t i = 0; i < e.programs.size(); ++i) {
      const ImageProgram& pr = e.programs[i];
      if (pr.group != g) continue;
      ASSERT_EQ(pr.tile, f.programs[i].tile);
      ASSERT_EQ(pr.desc.xbar, f.programs[i].desc.xbar);
      ASSERT_EQ(pr.desc.ext_bytes, program_changes_record_bytes(p.cell_bits));
      std::vector<std::uint8_t>& h = held[(std::uint32_t(pr.tile) << 16) | pr.desc.xbar];
      if (h.empty()) h.assign(std::size_t(p.rows) * p.cols, 0);
      const ProgramChanges want = program_changes(p, h.data(), f.programs[i].levels.data());
      const ProgramChanges got = parse_program_changes(pr.ext[again ? 1 : 0]);
      EXPECT_EQ(got.cells, want.cells) << "record " << i << (again ? ", a later issue" : ", the first issue");
      EXPECT_EQ(got.write_groups, want.write_groups) << "record " << i;
      (again ? later_cells : first_cells) += got.total();
      h = f.programs[i].levels;
    }
    issued[g] = true;
  };
  issue(0);  // the load
  unsigned resident = 0;
  for (int image = 0; image < 3; ++image)
    for (unsigned g = 0; g < pl.groups; ++g)
      if (g != resident) {
        issue(g);
        resident = g;
      }
  EXPECT_GT(first_cells, 0u);
  EXPECT_GT(later_cells, 0u);
}

// An image of an older version is refused with the advice to recompile.
TEST(ProgramImage, AnOlderVersionAsksToRecompile) {
  std::vector<std::uint8_t> b;
  {
    TileParams t;
    t.crossbars = 4;
    ProgramImage img;
    img.chip = chip_resources(t, 1);
    img.tiles.resize(1);
    img.layers.resize(1);
    img.layers[0].desc = blank_desc(desc::MaxPool);
    b = serialize_program_image(img);
  }
  const std::uint16_t v4 = 4;
  std::memcpy(b.data() + offsetof(imcvp_image_header, version), &v4, sizeof v4);
  fix_crc(b);
  try {
    read_program_image(b);
    FAIL() << "a version 4 image was read";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("recompile the network"), std::string::npos) << e.what();
  }
}

// Block data of a convolution (tile 0) and of FC1 (tile 1, 56 crossbars per
// tile): one entry per tile that runs the layer, equal entries listed once,
// equal bytes stored once; written, read back byte for byte.
TEST(ProgramImage, BlockDataRoundTripsAndDedupes) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  QuantizedNetwork q = cnn();
  TileParams tp = big_tile();
  tp.crossbars = 56;
  const Placement pl = place(q, chip_resources(tp, kTiles));
  const std::size_t c1 = layer_index(q, LayerKind::Conv, 0), c2 = layer_index(q, LayerKind::Conv, 1),
                    f1 = layer_index(q, LayerKind::FullyConnected, 0);
  ASSERT_EQ(pl.layers[c1].tile, 0);
  ASSERT_EQ(pl.layers[c2].tile, 0);
  ASSERT_EQ(pl.layers[f1].tile, 1);
  const std::vector<std::uint8_t> plain = write_program_image(q, pl);
  const std::vector<std::uint8_t> a = pattern(8, 1), b = pattern(16, 50);
  const BlockData shifter{IMCVP_BLOCK_SLOT_USER_FIRST, 0x100, a};
  q.net.layers[c1].attrs.block_data = {shifter, shifter};  // the same twice: once
  q.net.layers[c2].attrs.block_data = {shifter};           // the same on the same tile: once
  q.net.layers[f1].attrs.block_data = {shifter, {5, IMCVP_TILE_BLOCK_SIZE - 16, b}};
  const ProgramImage built = build_program_image(q, pl);
  ASSERT_EQ(built.block_data.size(), 3u);
  const unsigned want_tile[3] = {0, 1, 1}, want_slot[3] = {IMCVP_BLOCK_SLOT_USER_FIRST, IMCVP_BLOCK_SLOT_USER_FIRST, 5};
  const std::uint32_t want_off[3] = {0x100, 0x100, IMCVP_TILE_BLOCK_SIZE - 16};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(built.block_data[i].tile, want_tile[i]) << i;
    EXPECT_EQ(built.block_data[i].slot, want_slot[i]) << i;
    EXPECT_EQ(built.block_data[i].offset, want_off[i]) << i;
    EXPECT_EQ(built.block_data[i].bytes, i < 2 ? a : b) << i;
  }
  const std::vector<std::uint8_t> bytes = serialize_program_image(built);
  // three table entries; a's bytes stored once for both tiles
  EXPECT_EQ(bytes.size(), plain.size() + 3 * sizeof(imcvp_image_block_data) + a.size() + b.size());
  imcvp_image_header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  EXPECT_EQ(h.version, kImageVersion);
  EXPECT_EQ(h.header_bytes, 80);
  EXPECT_EQ(h.block_data_count, 3u);
  EXPECT_EQ(h.block_data_off, h.lut_off + IMCVP_IMAGE_LUT_ENTRIES * 4);
  imcvp_image_block_data rec[3];
  std::memcpy(rec, bytes.data() + h.block_data_off, sizeof rec);
  EXPECT_EQ(rec[0].data_off, rec[1].data_off);
  EXPECT_EQ(rec[2].data_off, rec[0].data_off + a.size());
  EXPECT_EQ(rec[0].data_off % 4, 0u);
  EXPECT_EQ(std::uint64_t(rec[2].data_off) + b.size(), std::uint64_t(h.levels_off) + h.levels_bytes);
  EXPECT_EQ(std::memcmp(bytes.data() + rec[2].data_off, b.data(), b.size()), 0);
  const ProgramImage img = read_program_image(bytes);
  ASSERT_EQ(img.block_data.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(img.block_data[i].tile, built.block_data[i].tile);
    EXPECT_EQ(img.block_data[i].slot, built.block_data[i].slot);
    EXPECT_EQ(img.block_data[i].offset, built.block_data[i].offset);
    EXPECT_EQ(img.block_data[i].bytes, built.block_data[i].bytes);
  }
  EXPECT_EQ(serialize_program_image(img), bytes);  // byte for byte
  // without block data: no table (offset 0)
  std::memcpy(&h, plain.data(), sizeof h);
  EXPECT_EQ(h.block_data_count, 0u);
  EXPECT_EQ(h.block_data_off, 0u);
  EXPECT_TRUE(read_program_image(plain).block_data.empty());

  // overlapping entries whose common bytes agree are both kept
  std::vector<std::uint8_t> tail(a.begin() + 4, a.end());
  tail.insert(tail.end(), {9, 9, 9, 9});
  q.net.layers[c2].attrs.block_data = {{IMCVP_BLOCK_SLOT_USER_FIRST, 0x104, tail}};
  EXPECT_EQ(build_program_image(q, pl).block_data.size(), 4u);
}

TEST(ProgramImage, BlockDataErrorsNameTheLayers) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  QuantizedNetwork q = cnn();
  const Placement pl = place(q, chip_resources(big_tile(), kTiles));
  const std::size_t c1 = layer_index(q, LayerKind::Conv, 0), c2 = layer_index(q, LayerKind::Conv, 1);
  ASSERT_EQ(pl.layers[c1].tile, pl.layers[c2].tile);
  const std::string n1 = q.net.layers[c1].name, n2 = q.net.layers[c2].name;
  auto build_with = [&](std::vector<BlockData> d) {
    QuantizedNetwork qq = q;
    qq.net.layers[c1].attrs.block_data = std::move(d);
    return error_of([&] { build_program_image(qq, pl); });
  };
  std::string m = build_with({{IMCVP_TILE_MAX_BLOCKS, 0, pattern(4, 0)}});
  EXPECT_NE(m.find("layer " + n1), std::string::npos) << m;
  EXPECT_NE(m.find("slot 127"), std::string::npos) << m;
  m = build_with({{4, IMCVP_TILE_BLOCK_SIZE - 8, pattern(16, 0)}});
  EXPECT_NE(m.find("layer " + n1), std::string::npos) << m;
  EXPECT_NE(m.find("runs past the block's window of 65536 bytes"), std::string::npos) << m;
  for (const BlockData& bad : {BlockData{4, 0, pattern(6, 0)}, BlockData{4, 2, pattern(8, 0)}, BlockData{4, 0, {}}}) {
    m = build_with({bad});
    EXPECT_NE(m.find("layer " + n1), std::string::npos) << m;
    EXPECT_NE(m.find("multiples of 4"), std::string::npos) << m;
  }
  // two layers on one tile, overlapping bytes of one slot that differ
  q.net.layers[c1].attrs.block_data = {{4, 0x10, pattern(16, 0)}};
  q.net.layers[c2].attrs.block_data = {{4, 0x18, pattern(8, 99)}};
  m = error_of([&] { build_program_image(q, pl); });
  EXPECT_NE(m.find("layers " + n1 + " and " + n2), std::string::npos) << m;
  EXPECT_NE(m.find("slot 4"), std::string::npos) << m;
  // the same range of another slot is no conflict
  q.net.layers[c2].attrs.block_data = {{5, 0x18, pattern(8, 99)}};
  EXPECT_EQ(build_program_image(q, pl).block_data.size(), 2u);
  // a layer without weights
  ASSERT_FALSE(q.net.layers[c1 + 1].has_weights());
  q.net.layers[c1 + 1].attrs.block_data = {{4, 0, pattern(4, 0)}};
  m = error_of([&] { build_program_image(q, pl); });
  EXPECT_NE(m.find("layer " + q.net.layers[c1 + 1].name), std::string::npos) << m;
  EXPECT_NE(m.find("Conv/FC"), std::string::npos) << m;
}

// The reader checks the table as the firmware does.
TEST(ProgramImage, BadBlockDataIsRejectedByTheReader) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  QuantizedNetwork q = cnn();
  q.net.layers[layer_index(q, LayerKind::Conv)].attrs.block_data = {{4, 0x20, pattern(8, 3)}};
  const std::vector<std::uint8_t> good = write_program_image(q, place(q, chip_resources(big_tile(), kTiles)));
  imcvp_image_header h;
  std::memcpy(&h, good.data(), sizeof h);
  ASSERT_EQ(h.block_data_count, 1u);
  auto edited = [&](auto edit) {
    std::vector<std::uint8_t> b = good;
    imcvp_image_block_data r;
    std::memcpy(&r, b.data() + h.block_data_off, sizeof r);
    edit(r);
    std::memcpy(b.data() + h.block_data_off, &r, sizeof r);
    fix_crc(b);
    return error_of([&] { read_program_image(b); });
  };
  EXPECT_EQ(edited([](imcvp_image_block_data&) {}), "accepted");
  std::string m = edited([](imcvp_image_block_data& r) { r.slot = 200; });
  EXPECT_NE(m.find("program image: block data 0 (tile 0, slot 200"), std::string::npos) << m;
  m = edited([](imcvp_image_block_data& r) { r.tile = 9; });
  EXPECT_NE(m.find("tile 9 of 2"), std::string::npos) << m;
  m = edited([](imcvp_image_block_data& r) { r.offset = IMCVP_TILE_BLOCK_SIZE - 4; });
  EXPECT_NE(m.find("runs past the block's window"), std::string::npos) << m;
  m = edited([](imcvp_image_block_data& r) { r.offset = 2; });
  EXPECT_NE(m.find("multiples of 4"), std::string::npos) << m;
  m = edited([&](imcvp_image_block_data& r) { r.data_off = h.image_bytes - 4; });
  EXPECT_NE(m.find("outside the levels section"), std::string::npos) << m;
  m = edited([&](imcvp_image_block_data& r) { r.data_off = h.lut_off; });
  EXPECT_NE(m.find("outside the levels section"), std::string::npos) << m;
  // a table past the end (the header is outside the CRC)
  std::vector<std::uint8_t> b = good;
  const std::uint32_t far = h.image_bytes;
  std::memcpy(b.data() + offsetof(imcvp_image_header, block_data_off), &far, 4);
  m = error_of([&] { read_program_image(b); });
  EXPECT_NE(m.find("block data table"), std::string::npos) << m;
  // and the writer refuses what the reader would
  ProgramImage img = read_program_image(good);
  img.block_data[0].slot = IMCVP_TILE_MAX_BLOCKS;
  m = error_of([&] { serialize_program_image(img); });
  EXPECT_NE(m.find("slot 127"), std::string::npos) << m;
}

// Per-slice extension records: FC1 cut into slices over reprogramming groups
// (one 16-crossbar tile); every slice's record carries the layer's records,
// then its own, made for its c0, channels and tile.
TEST(ProgramImage, SliceExtRecordsFollowTheLayersInEachSlice) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  QuantizedNetwork q = cnn();
  TileParams tp;
  tp.crossbars = 16;
  PlacementOptions po;
  po.reprogram = true;
  const Placement pl = place(q, chip_resources(tp, 1), po);
  const std::size_t f1 = layer_index(q, LayerKind::FullyConnected);
  const std::vector<LayerSlice>& slices = pl.layers[f1].slices;
  ASSERT_GT(slices.size(), 1u);
  Layer& fc = q.net.layers[f1];
  const std::uint32_t layer_payload = 0xC0FFEE;
  append_ext_record(fc.attrs.ext, IMCVP_EXT_USER_FIRST, &layer_payload, 4);
  fc.attrs.slice_ext = [](unsigned c0, unsigned channels, unsigned tile) {
    const std::uint32_t p[3] = {c0, channels, tile};
    std::vector<std::uint8_t> r;
    append_ext_record(r, IMCVP_EXT_USER_FIRST + 1, p, sizeof p);
    return r;
  };
  const std::vector<std::uint8_t> bytes = write_program_image(q, pl);
  const ProgramImage img = read_program_image(bytes);
  EXPECT_EQ(serialize_program_image(img), bytes);
  std::size_t k = 0;
  for (const ImageLayer& il : img.layers) {
    if (il.net_layer != f1) {
      EXPECT_TRUE(il.ext.empty()) << il.net_layer;
      continue;
    }
    if (il.desc.op == IMCVP_IMAGE_OP_COPY) continue;
    ASSERT_LT(k, slices.size());
    const LayerSlice& sl = slices[k++];
    EXPECT_EQ(il.desc.out_c, sl.channels);
    EXPECT_EQ(il.desc.ext_bytes, il.ext.size());
    const auto r = parse_ext_records(il.ext, "test");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].type, IMCVP_EXT_USER_FIRST);
    EXPECT_EQ(r[1].type, IMCVP_EXT_USER_FIRST + 1);
    ASSERT_EQ(r[1].payload.size(), 12u);
    std::uint32_t p[3];
    std::memcpy(p, r[1].payload.data(), 12);
    EXPECT_EQ(p[0], sl.c0);
    EXPECT_EQ(p[1], sl.channels);
    EXPECT_EQ(p[2], unsigned(sl.tile));
  }
  EXPECT_EQ(k, slices.size());
  // descriptor slots grow by each record's own records: none overlaps the next
  for (std::size_t i = 0; i + 1 < img.layers.size(); ++i) {
    const ImageLayer &x = img.layers[i], &y = img.layers[i + 1];
    if (x.desc.op == IMCVP_IMAGE_OP_COPY || y.desc.op == IMCVP_IMAGE_OP_COPY || x.tile != y.tile) continue;
    EXPECT_LE(x.desc_off + sizeof(LayerDesc) + x.ext.size(), y.desc_off) << i;
  }
  // malformed records name the layer and the slice
  fc.attrs.slice_ext = [](unsigned, unsigned, unsigned) { return std::vector<std::uint8_t>{1, 2, 3}; };
  std::string m = error_of([&] { build_program_image(q, pl); });
  EXPECT_NE(m.find("layer " + fc.name + ", slice of output channels 0.."), std::string::npos) << m;
  // only Conv/FC layers have slices
  fc.attrs.slice_ext = nullptr;
  ASSERT_FALSE(q.net.layers[f1 - 1].has_weights());
  q.net.layers[f1 - 1].attrs.slice_ext = [](unsigned, unsigned, unsigned) { return std::vector<std::uint8_t>{}; };
  m = error_of([&] { build_program_image(q, pl); });
  EXPECT_NE(m.find("slice_ext"), std::string::npos) << m;
}
