// Placement and the program image: the CNN places and writes an image that
// round-trips; a corrupt byte is caught by the CRC; a too-small chip names
// both crossbar counts; and
// every layer of the image, run on Tile models fed with the golden inputs,
// reproduces the golden reference's tensor bit for bit.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>

#include <systemc>
#include <tlm>

#include "compiler/compile.hpp"
#include "compiler/golden.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"
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
