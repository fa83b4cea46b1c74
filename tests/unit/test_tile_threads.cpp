// The tile's functional window loop on several host threads
// (TileParams::threads, scenario accelerator.threads): the same layer on 1
// and on 3 threads gives the same outputs, the same events and costs to the
// last bit, with read noise off and on, over consecutive layers (the read
// numbers that key the noise carry on), and the same error with the same
// events when a window's input is out of range; the same for a
// FullyConnected layer, whose one window's reads the threads share. And the
// worker pool itself.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <random>
#include <vector>

#include <systemc>

#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/tile/tile.hpp"
#include "models/tile/worker_pool.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kOut = 0x5000, kParam = 0x7000, kLevels = 0x8000;

TileParams tile_params(unsigned threads, double read_noise) {
  TileParams t;
  t.crossbars = 32;
  t.crossbar.rows = 16;
  t.crossbar.cols = 32;
  t.crossbar.read_noise_sigma = read_noise;  // the default device's programming variation either way
  t.buffer_bytes = 64 * 1024;
  t.threads = threads;
  return t;
}

// Tiles [noise][threads == 3].
struct Harness {
  EnergyLedger ledger;
  test::TileDriver c00{"cpu00"}, c01{"cpu01"}, c10{"cpu10"}, c11{"cpu11"};
  Tile t00{"quiet1", tile_params(1, 0.0), &ledger}, t01{"quiet3", tile_params(3, 0.0), &ledger};
  Tile t10{"noisy1", tile_params(1, 0.05), &ledger}, t11{"noisy3", tile_params(3, 0.05), &ledger};
  Tile* tile[2][2] = {{&t00, &t01}, {&t10, &t11}};
  test::TileDriver* drv[2][2] = {{&c00, &c01}, {&c10, &c11}};
  Harness() {
    for (int n = 0; n < 2; ++n)
      for (int t = 0; t < 2; ++t) drv[n][t]->socket.bind(tile[n][t]->socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
};
Harness& harness() {
  static Harness h;
  return h;
}

uint32_t run(test::TileDriver& cpu, const imcvp_layer_desc& d) {
  cpu.put(kDesc, &d, sizeof d);
  return cpu.start_and_wait(kDesc, sc_time(100, SC_NS));
}

imcvp_layer_desc base_desc() {
  imcvp_layer_desc d;
  std::memset(&d, 0, sizeof d);
  d.magic = IMCVP_DESC_MAGIC;
  d.version = IMCVP_DESC_VERSION;
  return d;
}

// A 3 x 3 convolution, pad 1, of signed 8-bit inputs (two passes): C x 9 x 9
// in, N x 9 x 9 out, 81 windows over several row and column groups. Or
// (fc) a FullyConnected layer, 96 -> 12: one window of 36 reads (6 row
// groups, 3 column groups, two passes), which the threads share read by read.
struct Conv {
  bool fc = false;
  unsigned C = 4, H = 9, N = 6;
  unsigned K() const { return fc ? C : C * 9; }
  std::vector<int32_t> W;  // N x K
  std::vector<int8_t> x;   // C x H x H
  std::vector<imcvp_requant> rq;
  explicit Conv(unsigned seed, bool fc_ = false)
      : fc(fc_), C(fc_ ? 96 : 4), H(fc_ ? 1 : 9), N(fc_ ? 12 : 6), W(size_t(N) * K()), x(size_t(C) * H * H), rq(N) {
    std::mt19937 rng(seed);
    for (auto& w : W) w = int32_t(rng() % 255) - 127;
    for (auto& v : x) v = int8_t(int(rng() % 255) - 127);
    for (auto& r : rq) r = {int32_t(rng() % 201) - 100, int32_t(16384 + rng() % 16384), 14};
  }
  imcvp_layer_desc desc() const {
    imcvp_layer_desc d = base_desc();
    d.op = fc ? IMCVP_OP_FC : IMCVP_OP_CONV;
    d.kernel_h = d.kernel_w = fc ? 1 : 3;
    d.stride_h = d.stride_w = 1;
    d.pad_h = d.pad_w = fc ? 0 : 1;
    d.in_c = uint16_t(C), d.in_h = d.in_w = uint16_t(H);
    d.out_c = uint16_t(N), d.out_h = d.out_w = uint16_t(H);
    d.in_bits = 8;
    d.in_fmt = IMCVP_FMT_S8;
    d.out_fmt = IMCVP_FMT_S16;
    d.out_min = -32767, d.out_max = 32767;
    d.in_off = kIn, d.out_off = kOut, d.param_off = kParam;
    return d;
  }
  void program(test::TileDriver& cpu, Tile& tile) const {
    const CrossbarParams& p = tile.params().crossbar;
    const CrossbarLayout L = crossbar_layout(p, weight_format(p), 1, K(), N);
    ASSERT_GT(L.row_groups, 1u);
    ASSERT_LE(L.crossbars(), tile.params().crossbars);
    for (unsigned rg = 0; rg < L.row_groups; ++rg)
      for (unsigned cg = 0; cg < L.col_groups; ++cg) {
        const std::vector<int32_t> sub = L.crossbar_weights(W.data(), 0, rg, cg);
        const WeightMapping m = map_weights(p, sub, L.rows_in(0, rg), L.outputs_in(0, cg));
        cpu.put(kLevels, m.levels.data(), m.levels.size());
        imcvp_layer_desc d = base_desc();
        d.op = IMCVP_OP_PROGRAM;
        d.xbar = uint16_t(L.index(0, rg, cg));
        d.param_off = kLevels;
        ASSERT_EQ(run(cpu, d), uint32_t(IMCVP_TILE_STATUS_DONE)) << tile.error_message();
      }
  }
  void load(test::TileDriver& cpu) const {
    cpu.put(kIn, x.data(), x.size());
    cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
  }
  std::vector<int16_t> out(test::TileDriver& cpu) const {
    std::vector<int16_t> y(size_t(N) * H * H);
    cpu.get(kOut, y.data(), y.size() * 2);
    return y;
  }
};

// Every figure of the two tiles, bit for bit.
void expect_same(Tile& a, Tile& b, EnergyLedger& ledger) {
  const TileStats sa = a.stats(), sb = b.stats();
  EXPECT_EQ(sa.mvms, sb.mvms);
  EXPECT_EQ(sa.windows, sb.windows);
  EXPECT_EQ(sa.adc_clipped, sb.adc_clipped);
  EXPECT_EQ(sa.digit_slots, sb.digit_slots);
  EXPECT_EQ(sa.errors, sb.errors);
  EXPECT_EQ(sa.busy_ns, sb.busy_ns);
  EXPECT_EQ(sa.mvm.steps, sb.mvm.steps);
  EXPECT_EQ(sa.mvm.active_rows, sb.mvm.active_rows);
  EXPECT_EQ(sa.mvm.dac_conversions, sb.mvm.dac_conversions);
  EXPECT_EQ(sa.mvm.cell_reads, sb.mvm.cell_reads);
  EXPECT_EQ(sa.mvm.adc_conversions, sb.mvm.adc_conversions);
  EXPECT_EQ(sa.mvm.adc_clipped, sb.mvm.adc_clipped);
  EXPECT_EQ(sa.mvm.latency_ns, sb.mvm.latency_ns);
  EXPECT_EQ(sa.mvm.cell_energy_pj, sb.mvm.cell_energy_pj);
  EXPECT_EQ(sa.mvm.dac_energy_pj, sb.mvm.dac_energy_pj);
  EXPECT_EQ(sa.mvm.adc_energy_pj, sb.mvm.adc_energy_pj);
  EXPECT_EQ(ledger.block_pj(std::string(a.name()) + ".crossbar"), ledger.block_pj(std::string(b.name()) + ".crossbar"));
  for (unsigned i = 0; i < a.params().crossbars; ++i) EXPECT_EQ(a.crossbar(i).reads(), b.crossbar(i).reads()) << i;
}

class Threads : public ::testing::TestWithParam<int> {};

TEST_P(Threads, AFullyConnectedLayerOnOneAndThreeThreadsGivesTheSameBits) {
  Harness& h = harness();
  const int noise = GetParam();
  const Conv first(4, true), second(5, true);
  for (int t = 0; t < 2; ++t) first.program(*h.drv[noise][t], *h.tile[noise][t]);
  for (const Conv* l : {&first, &second, &first}) {
    std::vector<int16_t> y[2];
    for (int t = 0; t < 2; ++t) {
      l->load(*h.drv[noise][t]);
      ASSERT_EQ(run(*h.drv[noise][t], l->desc()), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile[noise][t]->error_message();
      y[t] = l->out(*h.drv[noise][t]);
    }
    EXPECT_EQ(y[0], y[1]);
    expect_same(*h.tile[noise][0], *h.tile[noise][1], h.ledger);
  }
  // An input out of range in the fourth row group: the same error, and the
  // reads before it (pass 0, row groups 0..2) counted on both.
  Conv bad(6, true);
  for (auto& v : bad.x) v = int8_t(v / 32);
  bad.x[3 * 16 + 5] = 100;
  imcvp_layer_desc d = bad.desc();
  d.in_bits = 4;
  const uint64_t mvms0 = h.tile[noise][1]->crossbar_bank().mvms();
  for (int t = 0; t < 2; ++t) {
    bad.load(*h.drv[noise][t]);
    EXPECT_EQ(run(*h.drv[noise][t], d), uint32_t(IMCVP_TILE_STATUS_ERROR));
  }
  EXPECT_EQ(h.tile[noise][1]->crossbar_bank().mvms() - mvms0, 3u * 3u);
  EXPECT_EQ(h.tile[noise][0]->error_message(), h.tile[noise][1]->error_message());
  expect_same(*h.tile[noise][0], *h.tile[noise][1], h.ledger);
}

TEST_P(Threads, OneAndThreeThreadsGiveTheSameBits) {
  Harness& h = harness();
  const int noise = GetParam();
  const Conv first(1), second(2);
  for (int t = 0; t < 2; ++t) first.program(*h.drv[noise][t], *h.tile[noise][t]);
  for (const Conv* l : {&first, &second, &first}) {
    std::vector<int16_t> y[2];
    for (int t = 0; t < 2; ++t) {
      l->load(*h.drv[noise][t]);
      ASSERT_EQ(run(*h.drv[noise][t], l->desc()), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile[noise][t]->error_message();
      y[t] = l->out(*h.drv[noise][t]);
    }
    EXPECT_EQ(y[0], y[1]);
    expect_same(*h.tile[noise][0], *h.tile[noise][1], h.ledger);
  }
  EXPECT_GT(h.tile[noise][0]->stats().mvms, 0u);
  if (noise) {
    // Read noise does change with the read: the same layer again gives other outputs somewhere.
    std::vector<int16_t> y1, y2;
    first.load(*h.drv[1][1]);
    ASSERT_EQ(run(*h.drv[1][1], first.desc()), uint32_t(IMCVP_TILE_STATUS_DONE));
    y1 = first.out(*h.drv[1][1]);
    ASSERT_EQ(run(*h.drv[1][1], first.desc()), uint32_t(IMCVP_TILE_STATUS_DONE));
    y2 = first.out(*h.drv[1][1]);
    EXPECT_NE(y1, y2);
    // keep the pair in step for the next test
    first.load(*h.drv[1][0]);
    ASSERT_EQ(run(*h.drv[1][0], first.desc()), uint32_t(IMCVP_TILE_STATUS_DONE));
    ASSERT_EQ(run(*h.drv[1][0], first.desc()), uint32_t(IMCVP_TILE_STATUS_DONE));
    expect_same(*h.tile[1][0], *h.tile[1][1], h.ledger);
  }
}

TEST_P(Threads, AnInputOutOfRangeStopsAtTheSameReadOnAnyThreadCount) {
  Harness& h = harness();
  const int noise = GetParam();
  Conv l(3);
  for (int t = 0; t < 2; ++t) l.program(*h.drv[noise][t], *h.tile[noise][t]);
  // 4-bit inputs (3-bit magnitudes): every value in range but one, late in the image.
  for (auto& v : l.x) v = int8_t(v / 32);
  l.x[size_t(2) * l.H * l.H + 6 * l.H + 5] = 100;
  imcvp_layer_desc d = l.desc();
  d.in_bits = 4;
  const uint64_t mvms0 = h.tile[noise][1]->crossbar_bank().mvms();
  for (int t = 0; t < 2; ++t) {
    l.load(*h.drv[noise][t]);
    EXPECT_EQ(run(*h.drv[noise][t], d), uint32_t(IMCVP_TILE_STATUS_ERROR));
  }
  const uint64_t failed = h.tile[noise][1]->crossbar_bank().mvms() - mvms0;
  EXPECT_EQ(h.tile[noise][0]->error_code(), h.tile[noise][1]->error_code());
  EXPECT_EQ(h.tile[noise][0]->error_message(), h.tile[noise][1]->error_message());
  expect_same(*h.tile[noise][0], *h.tile[noise][1], h.ledger);
  // A good layer afterwards still agrees.
  l.x.assign(l.x.size(), 3);
  for (int t = 0; t < 2; ++t) {
    l.load(*h.drv[noise][t]);
    EXPECT_EQ(run(*h.drv[noise][t], l.desc()), uint32_t(IMCVP_TILE_STATUS_DONE));
  }
  expect_same(*h.tile[noise][0], *h.tile[noise][1], h.ledger);
  // The failed layer's reads stopped part of the way: those of the windows before the bad input.
  const uint64_t full = h.tile[noise][1]->crossbar_bank().mvms() - mvms0 - failed;
  EXPECT_GT(failed, 0u);
  EXPECT_LT(failed, full);
}

INSTANTIATE_TEST_SUITE_P(ReadNoise, Threads, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& i) { return i.param ? "On" : "Off"; });

}  // namespace

namespace {

TEST(WorkerPool, ShareTheWorkLoopsDoEveryPieceOnceAndErrorsReachTheCaller) {
  WorkerPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::atomic<int>> done(97);
    std::atomic<unsigned> next{0};
    pool.run([&](unsigned) {
      for (unsigned i; (i = next.fetch_add(1)) < done.size();) ++done[i];
    });
    for (const auto& d : done) ASSERT_EQ(d.load(), 1);
  }
  std::atomic<unsigned> next{0};
  EXPECT_THROW(pool.run([&](unsigned) {
                 for (unsigned i; (i = next.fetch_add(1)) < 50;)
                   if (i == 20) throw std::runtime_error("piece 20");
               }),
               std::runtime_error);
  int calls = 0;
  pool.run([&](unsigned w) { calls += w == 0; });  // usable after an error
  EXPECT_EQ(calls, 1);
}

}  // namespace
