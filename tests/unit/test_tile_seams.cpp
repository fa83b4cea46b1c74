// The tile's seams (issue 9): a stage added in test code only joins the
// output path without an edit of the tile; the blocks' registers sit in the
// tile window behind its internal router; extension records reach the block
// that declares them (a crossbar list, a layer's own weight format) and a
// type no block declares is refused with IMCVP_TILE_ERR_EXT.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include <systemc>

#include "compiler/network.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/tile/tile.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kOut = 0x5000, kParam = 0x7000, kLevels = 0x8000;
constexpr uint16_t kNegateRecord = 0x8001;

// A test-only stage: negates every column output of every crossbar read, and
// costs one cycle per window and one event per column.
class NegateColumns : public DatapathStage {
 public:
  Place place() const override { return Place::Column; }
  std::string stage_block() const override { return "test.negate"; }
  const char* energy_category() const override { return "test_negate"; }
  bool declares(uint16_t type) const override { return type == kNegateRecord; }
  bool configure(const LayerContext& ctx) override {
    ++layers;
    return true;
  }
  void columns(ColumnRead& r) override {
    for (unsigned c = 0; c < r.outputs * per_; ++c) r.columns[c] = -r.columns[c];
  }
  StageCost cost(const LayerContext& ctx) const override {
    StageCost c;
    c.ns_per_window = ctx.clock_ns;
    c.charges.push_back({"negate", read_counts(ctx).columns * ctx.positions * ctx.passes, 0.5});
    return c;
  }
  void set_per(unsigned per) { per_ = per; }
  unsigned layers = 0;

 private:
  unsigned per_ = 4;
};

TileParams small_tile() {
  TileParams t;
  t.crossbars = 8;
  t.crossbar.rows = 16;
  t.crossbar.cols = 32;
  t.crossbar = ideal_crossbar(t.crossbar);
  t.buffer_bytes = 64 * 1024;
  return t;
}

struct Harness {
  EnergyLedger ledger;
  test::TileDriver cpu{"cpu"}, cpu2{"cpu2"};
  Tile plain{"tile0", small_tile(), &ledger};
  Tile negated{"tile1", small_tile(), &ledger};
  NegateColumns negate;
  Harness() {
    negate.set_per(small_tile().crossbar.cols_per_output());
    negated.add_stage(negate);  // the seam: no edit of the tile
    cpu.socket.bind(plain.socket);
    cpu2.socket.bind(negated.socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
};
Harness& harness() {
  static Harness h;
  return h;
}

imcvp_layer_desc fc_desc(unsigned K, unsigned N) {
  return test::fc_layer_desc(K, N, IMCVP_FMT_S16, -32767, 32767, kIn, kOut, kParam);
}

uint32_t run(test::TileDriver& cpu, const imcvp_layer_desc& d, const std::vector<uint8_t>& ext = {},
             sc_time* took = nullptr) {
  return cpu.run_desc(kDesc, d, ext, took);
}

// Programs the weights W[o][k] (N x K) in format `f` with the one layout
// function; crossbar number i of the layout goes to crossbar where[i].
void program(test::TileDriver& cpu, Tile& tile, const std::vector<int32_t>& W, unsigned K, unsigned N,
             const WeightFormat& f, const std::vector<unsigned>& where) {
  const CrossbarParams& p = tile.params().crossbar;
  const CrossbarLayout L = crossbar_layout(p, f, 1, K, N);
  ASSERT_EQ(where.size(), L.crossbars());
  for (unsigned rg = 0; rg < L.row_groups; ++rg)
    for (unsigned cg = 0; cg < L.col_groups; ++cg) {
      const std::vector<int32_t> sub = L.crossbar_weights(W.data(), 0, rg, cg);
      const WeightMapping m = map_weights(with_format(p, f), sub, L.rows_in(0, rg), L.outputs_in(0, cg));
      cpu.put(kLevels, m.levels.data(), m.levels.size());
      imcvp_layer_desc d;
      std::memset(&d, 0, sizeof d);
      d.magic = IMCVP_DESC_MAGIC;
      d.version = IMCVP_DESC_VERSION;
      d.op = IMCVP_OP_PROGRAM;
      d.xbar = uint16_t(where[L.index(0, rg, cg)]);
      d.param_off = kLevels;
      ASSERT_EQ(run(cpu, d), uint32_t(IMCVP_TILE_STATUS_DONE)) << tile.error_message();
    }
}

struct Layer {
  unsigned K, N;
  std::vector<int32_t> W, x;
  std::vector<imcvp_requant> rq;
  Layer(unsigned k, unsigned n, int wmax, unsigned seed) : K(k), N(n), W(size_t(n) * k), x(k), rq(n) {
    std::mt19937 rng(seed);
    for (auto& w : W) w = int32_t(rng() % unsigned(2 * wmax + 1)) - wmax;
    for (auto& v : x) v = int32_t(rng() % 256);
    for (auto& r : rq) r = {int32_t(rng() % 201) - 100, int32_t(16384 + rng() % 16384), 12};
  }
  int64_t acc(unsigned o) const {
    int64_t a = 0;
    for (unsigned k = 0; k < K; ++k) a += int64_t(W[size_t(o) * K + k]) * x[k];
    return a;
  }
  int32_t expect(unsigned o, int64_t acc) const {
    compiler::Requant q;
    q.multiplier = rq[o].multiplier;
    q.shift = rq[o].shift;
    return compiler::requantize(acc + rq[o].bias, q, -32767, 32767);
  }
  void load(test::TileDriver& cpu) const {
    std::vector<uint8_t> xb(x.begin(), x.end());
    cpu.put(kIn, xb.data(), xb.size());
    cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
  }
  std::vector<int16_t> out(test::TileDriver& cpu) const {
    std::vector<int16_t> y(N);
    cpu.get(kOut, y.data(), N * 2);
    return y;
  }
};

std::vector<uint8_t> record(uint16_t type, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> r(4 + payload.size());
  const uint16_t bytes = uint16_t(payload.size());
  std::memcpy(r.data(), &type, 2);
  std::memcpy(r.data() + 2, &bytes, 2);
  std::memcpy(r.data() + 4, payload.data(), payload.size());
  return r;
}

}  // namespace

TEST(Seams, AStageAddedOutsideTheTileTransformsTheColumnOutputs) {
  Harness& h = harness();
  const Layer l(40, 6, 127, 3);  // 3 row groups x 2 column groups on 16 x 32 crossbars
  const WeightFormat f = weight_format(h.plain.params().crossbar);
  const std::vector<unsigned> xb{0, 1, 2, 3, 4, 5};
  program(h.cpu, h.plain, l.W, l.K, l.N, f, xb);
  program(h.cpu2, h.negated, l.W, l.K, l.N, f, xb);
  l.load(h.cpu);
  l.load(h.cpu2);
  const double e0 = h.ledger.block_pj("test.negate");
  double busy_plain = h.plain.stats().busy_ns, busy_neg = h.negated.stats().busy_ns;
  ASSERT_EQ(run(h.cpu, fc_desc(l.K, l.N)), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.plain.error_message();
  ASSERT_EQ(run(h.cpu2, fc_desc(l.K, l.N)), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.negated.error_message();
  busy_plain = h.plain.stats().busy_ns - busy_plain;
  busy_neg = h.negated.stats().busy_ns - busy_neg;
  const std::vector<int16_t> y = l.out(h.cpu), yn = l.out(h.cpu2);
  for (unsigned o = 0; o < l.N; ++o) {
    EXPECT_EQ(y[o], l.expect(o, l.acc(o))) << o;
    EXPECT_EQ(yn[o], l.expect(o, -l.acc(o))) << o;  // the stage negated every column
  }
  EXPECT_EQ(h.negate.layers, 1u);
  // Its cost is charged under its block and category, and its cycle per window is in the latency.
  const auto& ev = h.ledger.blocks().at("test.negate").at("negate");
  EXPECT_EQ(ev.category, "test_negate");
  EXPECT_EQ(ev.count, 3u * (4 + 2) * 8);  // 3 row groups x (4 + 2 outputs of 8 columns), one window, one pass
  EXPECT_DOUBLE_EQ(h.ledger.block_pj("test.negate") - e0, 0.5 * double(ev.count));
  EXPECT_DOUBLE_EQ(busy_neg - busy_plain, h.negated.params().clock_ns);  // one window
}

TEST(Seams, BlockRegistersSitInTheTileWindow) {
  Harness& h = harness();
  auto id = [&](unsigned slot) { return h.cpu.r(IMCVP_TILE_BLOCK(slot) + IMCVP_BLOCK_ID); };
  auto fourcc = [](const char* s) {
    return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
           uint32_t(uint8_t(s[3])) << 24;
  };
  EXPECT_EQ(id(IMCVP_BLOCK_SLOT_CROSSBARS), fourcc("XBAR"));
  EXPECT_EQ(id(IMCVP_BLOCK_SLOT_SHIFT_ADD), fourcc("SHAD"));
  EXPECT_EQ(id(IMCVP_BLOCK_SLOT_ACCUMULATOR), fourcc("ACCU"));
  EXPECT_EQ(id(IMCVP_BLOCK_SLOT_ACTIVATION), fourcc("ACTU"));
  // An empty slot answers with an address error.
  uint32_t v = 0;
  EXPECT_EQ(h.cpu.read32(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_USER_FIRST), v), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // A layer, then the blocks' counters and configuration registers.
  const Layer l(20, 5, 127, 5);
  program(h.cpu, h.plain, l.W, l.K, l.N, weight_format(h.plain.params().crossbar), {0, 1, 2, 3});
  l.load(h.cpu);
  const uint32_t layers0 = h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_BLOCK_LAYERS);
  const uint32_t ev0 = h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_BLOCK_EVENTS_LO);
  ASSERT_EQ(run(h.cpu, fc_desc(l.K, l.N)), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.plain.error_message();
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_BLOCK_LAYERS), layers0 + 1);
  // columns combined: 2 row groups x (4 + 1 outputs of 8 columns)
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_BLOCK_EVENTS_LO) - ev0, 2u * (4 + 1) * 8);
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_SHIFT_ADD_FORMAT),
            h.cpu.r(IMCVP_TILE_XBAR_FORMAT));
  EXPECT_EQ(int32_t(h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_ACTIVATION) + IMCVP_ACT_OUT_MIN)), -32767);
  // The crossbar bank reads back a cell's level.
  const unsigned bank = IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_CROSSBARS);
  h.cpu.w(bank + IMCVP_XBANK_SELECT, 3);
  h.cpu.w(bank + IMCVP_XBANK_ROW, 2);
  h.cpu.w(bank + IMCVP_XBANK_COL, 5);
  EXPECT_EQ(h.cpu.r(bank + IMCVP_XBANK_LEVEL), h.plain.crossbar(3).level(2, 5));
  h.cpu.w(bank + IMCVP_XBANK_SELECT, 99);  // no such crossbar
  EXPECT_EQ(h.cpu.r(bank + IMCVP_XBANK_LEVEL), 0xFFFFFFFFu);
}

TEST(Seams, ACrossbarListPlacesTheLayerOnAnyCrossbars) {
  Harness& h = harness();
  const Layer l(40, 6, 127, 9);
  const std::vector<unsigned> where{7, 2, 5, 0, 6, 3};  // scattered, out of order
  program(h.cpu, h.plain, l.W, l.K, l.N, weight_format(h.plain.params().crossbar), where);
  l.load(h.cpu);
  std::vector<uint8_t> payload(2 + 2 * where.size() + 2, 0);  // count, entries, pad to 4
  const uint16_t n = uint16_t(where.size());
  std::memcpy(payload.data(), &n, 2);
  for (size_t i = 0; i < where.size(); ++i) {
    const uint16_t x = uint16_t(where[i]);
    std::memcpy(payload.data() + 2 + 2 * i, &x, 2);
  }
  ASSERT_EQ(run(h.cpu, fc_desc(l.K, l.N), record(IMCVP_EXT_XBAR_LIST, payload)), uint32_t(IMCVP_TILE_STATUS_DONE))
      << h.plain.error_message();
  const std::vector<int16_t> y = l.out(h.cpu);
  for (unsigned o = 0; o < l.N; ++o) EXPECT_EQ(y[o], l.expect(o, l.acc(o))) << o;
  // A list of the wrong length is refused.
  uint16_t four = 4;
  std::memcpy(payload.data(), &four, 2);
  EXPECT_EQ(run(h.cpu, fc_desc(l.K, l.N), record(IMCVP_EXT_XBAR_LIST, payload)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_XBARS));
}

TEST(Seams, ALayerCarriesItsOwnWeightFormat) {
  Harness& h = harness();
  // 4-bit weights in the tile's 2-bit cells: 2 slices, 8 outputs per crossbar instead of 4.
  const WeightFormat f4{4, 2, SignedMode::Differential};
  const Layer l(30, 8, 7, 13);
  program(h.cpu, h.plain, l.W, l.K, l.N, f4, {0, 1});  // 2 row groups x 1 column group
  l.load(h.cpu);
  const imcvp_ext_weight_format wf{4, 2, 0, 0};
  std::vector<uint8_t> payload(sizeof wf);
  std::memcpy(payload.data(), &wf, sizeof wf);
  ASSERT_EQ(run(h.cpu, fc_desc(l.K, l.N), record(IMCVP_EXT_WEIGHT_FORMAT, payload)), uint32_t(IMCVP_TILE_STATUS_DONE))
      << h.plain.error_message();
  const std::vector<int16_t> y = l.out(h.cpu);
  for (unsigned o = 0; o < l.N; ++o) EXPECT_EQ(y[o], l.expect(o, l.acc(o))) << o;
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SHIFT_ADD) + IMCVP_SHIFT_ADD_FORMAT), 4u | 2u << 8);
  // Cells of another width than the crossbars' are refused.
  const imcvp_ext_weight_format bad{4, 1, 0, 0};
  std::memcpy(payload.data(), &bad, sizeof bad);
  EXPECT_EQ(run(h.cpu, fc_desc(l.K, l.N), record(IMCVP_EXT_WEIGHT_FORMAT, payload)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_EXT));
}

TEST(Seams, ARecordNoBlockDeclaresIsRefused) {
  Harness& h = harness();
  const Layer l(16, 4, 127, 17);
  program(h.cpu, h.plain, l.W, l.K, l.N, weight_format(h.plain.params().crossbar), {0});
  program(h.cpu2, h.negated, l.W, l.K, l.N, weight_format(h.negated.params().crossbar), {0});
  l.load(h.cpu);
  l.load(h.cpu2);
  const std::vector<uint8_t> rec = record(kNegateRecord, {1, 2, 3, 4});
  // tile0 has no block that declares the test type; tile1's added stage does.
  EXPECT_EQ(run(h.cpu, fc_desc(l.K, l.N), rec), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_EXT));
  EXPECT_NE(h.plain.error_message().find("0x8001"), std::string::npos) << h.plain.error_message();
  EXPECT_EQ(run(h.cpu2, fc_desc(l.K, l.N), rec), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.negated.error_message();
  // A record that runs past ext_bytes.
  std::vector<uint8_t> cut = record(kNegateRecord, {1, 2, 3, 4, 5, 6, 7, 8});
  cut.resize(8);
  EXPECT_EQ(run(h.cpu2, fc_desc(l.K, l.N), cut), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.cpu2.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_EXT));
  // An unknown op is the tile's to refuse.
  imcvp_layer_desc d = fc_desc(l.K, l.N);
  d.op = 0x42;
  EXPECT_EQ(run(h.cpu, d), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_OP));
}

IMCVP_TEST_SC_MAIN()
