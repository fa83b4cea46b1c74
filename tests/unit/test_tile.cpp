// Tile through its socket: PROGRAM costs the pulses CrossbarArray reports;
// fully-connected (rows split over crossbars, unsigned and signed inputs,
// differential and offset crossbars) and convolution layers on ideal
// crossbars equal the integer reference (compiler/network.hpp requantize)
// bit for bit; max/avg pooling and residual add; irq on done; bad
// descriptors end in STATUS.ERROR with their code.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include <systemc>
#include <tlm>

#include "compiler/network.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/energy/energy_ledger.hpp"
#include "models/tile/tile.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using imcvp::test::run_to;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

TileParams small_tile(SignedMode mode) {
  TileParams t;
  t.crossbars = 8;
  t.crossbar.rows = 16;
  t.crossbar.cols = 32;
  t.crossbar.signed_mode = mode;
  t.crossbar = ideal_crossbar(t.crossbar);
  t.buffer_bytes = 64 * 1024;
  t.seed = 7;
  return t;
}

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kIn2 = 0x3000, kOut = 0x5000, kParam = 0x7000,
                   kLevels = 0x8000;

struct Driver : test::TileDriver {
  using TileDriver::TileDriver;
  // Writes the descriptor into the buffer, starts it, runs until not busy; returns STATUS.
  uint32_t run(const imcvp_layer_desc& d, sc_time* took = nullptr) {
    put(kDesc, &d, sizeof d);
    return start_and_wait(kDesc, sc_time(100, SC_NS), took);
  }
};

struct Harness {
  EnergyLedger ledger;
  Driver cpu{"cpu"}, cpu2{"cpu2"};
  Tile tile{"tile0", small_tile(SignedMode::Differential), &ledger};
  Tile tile_off{"tile1", small_tile(SignedMode::Offset), &ledger};
  Harness() {
    cpu.socket.bind(tile.socket);
    cpu2.socket.bind(tile_off.socket);
    sc_core::sc_start(SC_ZERO_TIME);
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

imcvp_layer_desc desc(uint8_t op) {
  imcvp_layer_desc d;
  std::memset(&d, 0, sizeof d);
  d.magic = IMCVP_DESC_MAGIC;
  d.version = IMCVP_DESC_VERSION;
  d.op = op;
  d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
  d.in_fmt = d.in2_fmt = d.out_fmt = IMCVP_FMT_U8;
  d.in_off = kIn;
  d.in2_off = kIn2;
  d.out_off = kOut;
  d.param_off = kParam;
  return d;
}

// A weight matrix W[o][k] (out x K) mapped onto the tile's crossbars from
// `first`: crossbar first + rg * col_groups + cg holds rows [rg R, rg R + R)
// and outputs [cg n, cg n + n) (docs/accelerator.md). Returns the pulses the
// crossbars reported through PROGRAM.
uint64_t program_layer(Driver& cpu, Tile& tile, const std::vector<int32_t>& W, unsigned out,
                       unsigned K, unsigned first, std::vector<ProgramStats>* each = nullptr) {
  const CrossbarParams& p = tile.params().crossbar;
  const unsigned R = p.rows, n = p.max_outputs();
  const unsigned rgs = (K + R - 1) / R, cgs = (out + n - 1) / n;
  uint64_t pulses = 0;
  for (unsigned rg = 0; rg < rgs; ++rg)
    for (unsigned cg = 0; cg < cgs; ++cg) {
      const unsigned rows = std::min(R, K - rg * R), outs = std::min(n, out - cg * n);
      std::vector<int32_t> sub(size_t(rows) * outs);
      for (unsigned r = 0; r < rows; ++r)
        for (unsigned j = 0; j < outs; ++j)
          sub[size_t(r) * outs + j] = W[size_t(cg * n + j) * K + rg * R + r];
      const WeightMapping m = map_weights(p, sub, rows, outs);
      cpu.put(kLevels, m.levels.data(), m.levels.size());
      imcvp_layer_desc d = desc(IMCVP_OP_PROGRAM);
      d.xbar = uint16_t(first + rg * cgs + cg);
      d.param_off = kLevels;
      const uint32_t p0 = cpu.r(IMCVP_TILE_PULSES);
      EXPECT_EQ(cpu.run(d), uint32_t(IMCVP_TILE_STATUS_DONE)) << tile.error_message();
      pulses += cpu.r(IMCVP_TILE_PULSES) - p0;
      if (each) {
        // An independent array with the same parameters and seed reports the same cost.
        CrossbarArray ref(p, tile.params().seed + d.xbar);
        each->push_back(ref.program(m.levels));
      }
    }
  return pulses;
}

std::vector<imcvp_requant> random_requant(std::mt19937& rng, unsigned n, bool with_bias) {
  std::vector<imcvp_requant> rq(n);
  for (auto& r : rq) {
    r.bias = with_bias ? int32_t(rng() % 2001) - 1000 : 0;
    r.multiplier = int32_t(32768 + rng() % 32768);
    r.shift = int32_t(14 + rng() % 4);
  }
  return rq;
}

int32_t ref_requant(int64_t acc, const imcvp_requant& r, int32_t lo, int32_t hi) {
  compiler::Requant q;
  q.multiplier = r.multiplier;
  q.shift = r.shift;
  return compiler::requantize(acc + r.bias, q, lo, hi);
}

// FC through `cpu`/`tile`: K inputs, N outputs; signed or unsigned inputs.
void check_fc(Driver& cpu, Tile& tile, unsigned K, unsigned N, bool signed_in, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> W(size_t(N) * K), x(K);
  for (auto& w : W) w = int32_t(rng() % 255) - 127;
  for (auto& v : x) v = signed_in ? int32_t(rng() % 255) - 127 : int32_t(rng() % 256);
  program_layer(cpu, tile, W, N, K, 0);
  auto rq = random_requant(rng, N, true);
  cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
  std::vector<uint8_t> xb(K);
  for (unsigned k = 0; k < K; ++k) xb[k] = uint8_t(x[k]);
  cpu.put(kIn, xb.data(), K);
  imcvp_layer_desc d = desc(IMCVP_OP_FC);
  d.in_c = uint16_t(K), d.in_h = 1, d.in_w = 1, d.out_c = uint16_t(N), d.out_h = 1, d.out_w = 1;
  d.in_bits = 8;
  d.in_fmt = signed_in ? IMCVP_FMT_S8 : IMCVP_FMT_U8;
  d.out_fmt = IMCVP_FMT_S16;
  d.out_min = -32767, d.out_max = 32767;
  ASSERT_EQ(cpu.run(d), uint32_t(IMCVP_TILE_STATUS_DONE)) << tile.error_message();
  std::vector<int16_t> y(N);
  cpu.get(kOut, y.data(), N * 2);
  for (unsigned o = 0; o < N; ++o) {
    int64_t acc = 0;
    for (unsigned k = 0; k < K; ++k) acc += int64_t(W[size_t(o) * K + k]) * x[k];
    EXPECT_EQ(y[o], ref_requant(acc, rq[o], -32767, 32767)) << "output " << o;
  }
}

}  // namespace

TEST(Tile, DescribesItself) {
  Harness& h = harness();
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_NUM_XBARS), 8u);
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_XBAR_ROWS), 16u);
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_XBAR_COLS), 32u);
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_BUF_SIZE), 64u * 1024);
  EXPECT_EQ(h.cpu.r(IMCVP_TILE_STATUS), 0u);
}

TEST(Tile, ProgrammingCostsThePulsesTheCrossbarReports) {
  Harness& h = harness();
  std::mt19937 rng(1);
  std::vector<int32_t> W(6 * 40);
  for (auto& w : W) w = int32_t(rng() % 255) - 127;
  const double pj0 = h.ledger.block_pj("tile0.crossbar");
  const sc_time t0 = sc_core::sc_time_stamp();
  std::vector<ProgramStats> each;
  const uint64_t pulses = program_layer(h.cpu, h.tile, W, 6, 40, 0, &each);
  ProgramStats sum;
  for (const auto& s : each) sum += s;
  EXPECT_GT(sum.pulses, 0u);
  EXPECT_EQ(pulses, sum.pulses);
  EXPECT_NEAR(h.ledger.block_pj("tile0.crossbar") - pj0, sum.energy_pj(), 1e-6 * sum.energy_pj());
  EXPECT_GE((sc_core::sc_time_stamp() - t0).to_seconds() * 1e9, sum.latency_ns);
  // Reprogramming the same image is free.
  const uint64_t again = program_layer(h.cpu, h.tile, W, 6, 40, 0);
  EXPECT_EQ(again, 0u);
}

TEST(Tile, FullyConnectedEqualsTheIntegerReference) {
  Harness& h = harness();
  check_fc(h.cpu, h.tile, 40, 6, false, 11);   // 3 row groups x 2 column groups
  check_fc(h.cpu, h.tile, 40, 6, true, 12);    // signed inputs: two passes
  check_fc(h.cpu2, h.tile_off, 40, 6, false, 13);  // offset crossbars
  check_fc(h.cpu2, h.tile_off, 23, 5, true, 14);
  EXPECT_GT(h.ledger.blocks().at("tile0.crossbar").at("adc").count, 0u);
  EXPECT_GT(h.ledger.block_pj("tile0.shift_add"), 0.0);
  EXPECT_GT(h.ledger.block_pj("tile0.activation"), 0.0);
  EXPECT_GT(h.ledger.block_pj("tile0.accumulator"), 0.0);
}

TEST(Tile, ConvolutionReluPoolingAndAddEqualTheReference) {
  Harness& h = harness();
  Driver& cpu = h.cpu;
  std::mt19937 rng(5);
  const unsigned C = 3, H = 6, Wd = 6, O = 5, kh = 3, kw = 3, pad = 1, K = C * kh * kw;
  std::vector<int32_t> W(size_t(O) * K);
  for (auto& w : W) w = int32_t(rng() % 255) - 127;
  std::vector<uint8_t> x(C * H * Wd);
  for (auto& v : x) v = uint8_t(rng() % 256);
  program_layer(cpu, h.tile, W, O, K, 2);  // crossbars 2.. (2 row groups x 2 column groups)
  auto rq = random_requant(rng, O, true);
  for (auto& r : rq) r.shift += 3;
  cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
  cpu.put(kIn, x.data(), x.size());
  imcvp_layer_desc d = desc(IMCVP_OP_CONV);
  d.in_c = C, d.in_h = H, d.in_w = Wd, d.out_c = O, d.out_h = H, d.out_w = Wd;
  d.kernel_h = kh, d.kernel_w = kw, d.pad_h = pad, d.pad_w = pad;
  d.in_bits = 8, d.xbar = 2, d.out_min = 0, d.out_max = 255;  // ReLU, u8
  sc_time took;
  h.tile.irq.read();
  cpu.w(IMCVP_TILE_IRQ_ENABLE, IMCVP_TILE_IRQ_DONE | IMCVP_TILE_IRQ_ERROR);
  cpu.w(IMCVP_TILE_IRQ_STATUS, 0xffffffff);
  run_to(sc_core::sc_time_stamp());
  EXPECT_FALSE(h.tile.irq.read());
  ASSERT_EQ(cpu.run(d, &took), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  run_to(sc_core::sc_time_stamp());
  EXPECT_TRUE(h.tile.irq.read());
  EXPECT_EQ(cpu.r(IMCVP_TILE_IRQ_STATUS), uint32_t(IMCVP_TILE_IRQ_DONE));
  // 36 windows, each at least the crossbar MVM latency.
  EXPECT_GE(took.to_seconds() * 1e9, 36 * mvm_latency_ns(h.tile.params().crossbar, 8, 24));
  std::vector<int32_t> ref(size_t(O) * H * Wd);
  for (unsigned o = 0; o < O; ++o)
    for (unsigned oy = 0; oy < H; ++oy)
      for (unsigned ox = 0; ox < Wd; ++ox) {
        int64_t acc = 0;
        for (unsigned c = 0; c < C; ++c)
          for (unsigned ky = 0; ky < kh; ++ky)
            for (unsigned kx = 0; kx < kw; ++kx) {
              const int iy = int(oy + ky) - int(pad), ix = int(ox + kx) - int(pad);
              if (iy < 0 || ix < 0 || iy >= int(H) || ix >= int(Wd)) continue;
              acc += int64_t(W[size_t(o) * K + (c * kh + ky) * kw + kx]) * x[(c * H + iy) * Wd + ix];
            }
        ref[(o * H + oy) * Wd + ox] = ref_requant(acc, rq[o], 0, 255);
      }
  std::vector<uint8_t> y(ref.size());
  cpu.get(kOut, y.data(), y.size());
  unsigned nonzero = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(int32_t(y[i]), ref[i]) << "element " << i;
    nonzero += ref[i] != 0;
  }
  EXPECT_GT(nonzero, 10u);
  cpu.w(IMCVP_TILE_IRQ_STATUS, IMCVP_TILE_IRQ_DONE);
  run_to(sc_core::sc_time_stamp());
  EXPECT_FALSE(h.tile.irq.read());

  // Max pool 2x2 stride 2 of the conv output (moved to the input region).
  cpu.put(kIn, y.data(), y.size());
  imcvp_layer_desc p = desc(IMCVP_OP_MAXPOOL);
  p.in_c = O, p.in_h = H, p.in_w = Wd, p.out_c = O, p.out_h = 3, p.out_w = 3;
  p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
  p.out_min = 0, p.out_max = 255;
  ASSERT_EQ(cpu.run(p), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  std::vector<uint8_t> mp(O * 9);
  cpu.get(kOut, mp.data(), mp.size());
  for (unsigned o = 0; o < O; ++o)
    for (unsigned oy = 0; oy < 3; ++oy)
      for (unsigned ox = 0; ox < 3; ++ox) {
        int32_t m = 0;
        for (unsigned dy = 0; dy < 2; ++dy)
          for (unsigned dx = 0; dx < 2; ++dx) m = std::max(m, ref[(o * H + 2 * oy + dy) * Wd + 2 * ox + dx]);
        EXPECT_EQ(int32_t(mp[(o * 3 + oy) * 3 + ox]), m);
      }

  // Average pool 3x3 stride 2 pad 1 (padding counts as zeros), requantized.
  imcvp_layer_desc a = desc(IMCVP_OP_AVGPOOL);
  a.in_c = O, a.in_h = H, a.in_w = Wd, a.out_c = O, a.out_h = 3, a.out_w = 3;
  a.kernel_h = a.kernel_w = 3, a.stride_h = a.stride_w = 2, a.pad_h = a.pad_w = 1;
  a.out_min = 0, a.out_max = 255;
  imcvp_requant arq{0, 58254, 19};  // ~ 1/9
  cpu.put(kParam, &arq, sizeof arq);
  ASSERT_EQ(cpu.run(a), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  std::vector<uint8_t> ap(O * 9);
  cpu.get(kOut, ap.data(), ap.size());
  for (unsigned o = 0; o < O; ++o)
    for (unsigned oy = 0; oy < 3; ++oy)
      for (unsigned ox = 0; ox < 3; ++ox) {
        int64_t s = 0;
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx) {
            const int iy = int(2 * oy) - 1 + dy, ix = int(2 * ox) - 1 + dx;
            if (iy >= 0 && ix >= 0 && iy < int(H) && ix < int(Wd)) s += ref[(o * H + iy) * Wd + ix];
          }
        EXPECT_EQ(int32_t(ap[(o * 3 + oy) * 3 + ox]), ref_requant(s, arq, 0, 255));
      }

  // Residual add of the conv output (u8) and a signed s8 branch into s8.
  std::vector<int8_t> b(ref.size());
  for (auto& v : b) v = int8_t(int(rng() % 255) - 127);
  cpu.put(kIn2, b.data(), b.size());
  imcvp_layer_desc ad = desc(IMCVP_OP_ADD);
  ad.in_c = O, ad.in_h = H, ad.in_w = Wd, ad.out_c = O, ad.out_h = H, ad.out_w = Wd;
  ad.in2_fmt = IMCVP_FMT_S8, ad.out_fmt = IMCVP_FMT_S8;
  ad.add_mult_a = 40000, ad.add_mult_b = 50000, ad.add_shift = 17;
  ad.out_min = -127, ad.out_max = 127;
  ASSERT_EQ(cpu.run(ad), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  std::vector<int8_t> sum(ref.size());
  cpu.get(kOut, sum.data(), sum.size());
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_EQ(int32_t(sum[i]), compiler::requantize_add(ref[i], b[i], 40000, 50000, 17, -127, 127));
  cpu.w(IMCVP_TILE_IRQ_ENABLE, 0);
  cpu.w(IMCVP_TILE_IRQ_STATUS, 0xffffffff);
}

// A grouped convolution: 6 channels, 6 groups (depthwise), 3x3 pad 1 on
// crossbars of 16 rows and 4 outputs: imcvp_group_pack gives one group per
// pack (9 rows; two packs would need 18), and a 1x1 depthwise one packs 4
// groups per crossbar as a block-diagonal matrix. Both equal the direct
// per-channel reference; the REQUANT op rescales a tensor into a channel
// range of another (a Concat).
TEST(Tile, GroupedConvolutionPacksAndRequantEqualTheReference) {
  Harness& h = harness();
  Driver& cpu = h.cpu;
  const CrossbarParams& p = h.tile.params().crossbar;
  std::mt19937 rng(11);
  const unsigned C = 6, H = 4, Wd = 4;
  std::vector<uint8_t> x(C * H * Wd);
  for (auto& v : x) v = uint8_t(rng() % 256);
  cpu.put(kIn, x.data(), x.size());
  for (unsigned k : {3u, 1u}) {
    const unsigned Kg = k * k, pad = k / 2;
    const unsigned pack = imcvp_group_pack(C, Kg, 1, p.rows, p.max_outputs());
    ASSERT_EQ(pack, k == 3 ? 1u : 4u);
    std::vector<int32_t> W(size_t(C) * Kg);  // W[o][ky][kx]
    for (auto& w : W) w = int32_t(rng() % 255) - 127;
    // pack pk: groups [pk pack, ...) block-diagonal on one crossbar (Kg * pack <= 16 rows)
    const unsigned packs = (C + pack - 1) / pack;
    for (unsigned pk = 0; pk < packs; ++pk) {
      const unsigned gn = std::min(pack, C - pk * pack);
      std::vector<int32_t> sub(size_t(Kg * gn) * gn, 0);
      for (unsigned g = 0; g < gn; ++g)
        for (unsigned r = 0; r < Kg; ++r) sub[size_t(g * Kg + r) * gn + g] = W[size_t(pk * pack + g) * Kg + r];
      const WeightMapping m = map_weights(p, sub, Kg * gn, gn);
      cpu.put(kLevels, m.levels.data(), m.levels.size());
      imcvp_layer_desc d = desc(IMCVP_OP_PROGRAM);
      d.xbar = uint16_t(pk);
      d.param_off = kLevels;
      ASSERT_EQ(cpu.run(d), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    }
    auto rq = random_requant(rng, C, true);
    for (auto& r : rq) r.shift += 2;
    cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
    imcvp_layer_desc d = desc(IMCVP_OP_CONV);
    d.in_c = C, d.in_h = H, d.in_w = Wd, d.out_c = C, d.out_h = H, d.out_w = Wd;
    d.kernel_h = d.kernel_w = uint8_t(k), d.pad_h = d.pad_w = uint8_t(pad), d.groups = uint16_t(C);
    d.in_bits = 8, d.xbar = 0, d.out_min = 0, d.out_max = 255;
    ASSERT_EQ(cpu.run(d), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    std::vector<uint8_t> y(C * H * Wd);
    cpu.get(kOut, y.data(), y.size());
    for (unsigned c = 0; c < C; ++c)
      for (unsigned oy = 0; oy < H; ++oy)
        for (unsigned ox = 0; ox < Wd; ++ox) {
          int64_t acc = 0;
          for (unsigned ky = 0; ky < k; ++ky)
            for (unsigned kx = 0; kx < k; ++kx) {
              const int iy = int(oy + ky) - int(pad), ix = int(ox + kx) - int(pad);
              if (iy >= 0 && ix >= 0 && iy < int(H) && ix < int(Wd))
                acc += int64_t(W[size_t(c) * Kg + ky * k + kx]) * x[(c * H + iy) * Wd + ix];
            }
          ASSERT_EQ(int32_t(y[(c * H + oy) * Wd + ox]), ref_requant(acc, rq[c], 0, 255))
              << "kernel " << k << " channel " << c << " at " << oy << "," << ox;
        }
  }
  // a grouped layer needing more crossbars than the tile has is refused
  imcvp_layer_desc big = desc(IMCVP_OP_CONV);
  big.in_c = 64, big.in_h = 3, big.in_w = 3, big.out_c = 64, big.out_h = 3, big.out_w = 3;
  big.kernel_h = big.kernel_w = 3, big.pad_h = big.pad_w = 1, big.groups = 64, big.in_bits = 8;
  EXPECT_EQ(cpu.run(big), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_XBARS));

  // REQUANT: 2 channels of u8 into channels 3..4 of a 5-channel s8 tensor
  imcvp_requant r{0, 40000, 17};  // x 0.305
  cpu.put(kParam, &r, sizeof r);
  std::vector<int8_t> before(5 * 16, 9);
  cpu.put(kOut, before.data(), before.size());
  imcvp_layer_desc rqd = desc(IMCVP_OP_REQUANT);
  rqd.in_c = rqd.out_c = 2, rqd.in_h = rqd.out_h = 4, rqd.in_w = rqd.out_w = 4;
  rqd.out_fmt = IMCVP_FMT_S8, rqd.out_off = kOut + 3 * 16, rqd.out_min = -127, rqd.out_max = 127;
  ASSERT_EQ(cpu.run(rqd), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  std::vector<int8_t> after(5 * 16);
  cpu.get(kOut, after.data(), after.size());
  for (unsigned i = 0; i < 5 * 16; ++i)
    EXPECT_EQ(int32_t(after[i]), i < 48 ? 9 : imcvp_requantize(x[i - 48], 0, 40000, 17, -127, 127)) << i;
}

TEST(Tile, BadDescriptorsEndInErrorWithACode) {
  Harness& h = harness();
  Driver& cpu = h.cpu;
  cpu.w(IMCVP_TILE_IRQ_ENABLE, IMCVP_TILE_IRQ_ERROR);
  auto fc = [] {
    imcvp_layer_desc d = desc(IMCVP_OP_FC);
    d.in_c = 16, d.in_h = d.in_w = 1, d.out_c = 4, d.out_h = d.out_w = 1, d.in_bits = 8;
    d.out_max = 255;
    return d;
  };
  std::vector<imcvp_requant> rq(64, imcvp_requant{0, 40000, 16});
  cpu.put(kParam, rq.data(), rq.size() * sizeof rq[0]);
  struct Case {
    imcvp_layer_desc d;
    uint32_t code;
  };
  std::vector<Case> cases;
  { auto d = fc(); d.magic = 0x12345678; cases.push_back({d, IMCVP_TILE_ERR_MAGIC}); }
  { auto d = fc(); d.version = 9; cases.push_back({d, IMCVP_TILE_ERR_VERSION}); }
  { auto d = fc(); d.op = 42; cases.push_back({d, IMCVP_TILE_ERR_OP}); }
  { auto d = fc(); d.out_h = 2; cases.push_back({d, IMCVP_TILE_ERR_SHAPE}); }
  { auto d = fc(); d.op = IMCVP_OP_CONV; d.in_h = 5; d.kernel_h = 3; d.out_h = 4; cases.push_back({d, IMCVP_TILE_ERR_SHAPE}); }
  { auto d = fc(); d.in_c = 60000; cases.push_back({d, IMCVP_TILE_ERR_XBARS}); }
  { auto d = fc(); d.in_c = 20000; d.in_h = 3; d.xbar = 0; cases.push_back({d, IMCVP_TILE_ERR_XBARS}); }
  { auto d = fc(); d.out_off = 64 * 1024 - 2; cases.push_back({d, IMCVP_TILE_ERR_BUFFER}); }
  { auto d = fc(); d.in_fmt = 0x03; cases.push_back({d, IMCVP_TILE_ERR_FORMAT}); }
  { auto d = fc(); d.in_bits = 0; cases.push_back({d, IMCVP_TILE_ERR_FORMAT}); }
  { auto d = fc(); d.in_bits = 4; cases.push_back({d, IMCVP_TILE_ERR_FORMAT}); }  // inputs above 15
  { auto d = desc(IMCVP_OP_PROGRAM); d.xbar = 8; cases.push_back({d, IMCVP_TILE_ERR_XBARS}); }
  { auto d = desc(IMCVP_OP_PROGRAM); d.xbar = 1; d.param_off = kLevels; cases.push_back({d, IMCVP_TILE_ERR_LEVEL}); }
  std::vector<uint8_t> x(16, 200), lv(16 * 32, 0);
  lv[37] = 4;  // 2-bit cells: level 4 is out of range
  cpu.put(kIn, x.data(), x.size());
  cpu.put(kLevels, lv.data(), lv.size());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    EXPECT_EQ(cpu.run(c.d), uint32_t(IMCVP_TILE_STATUS_ERROR));
    EXPECT_EQ(cpu.r(IMCVP_TILE_ERROR), c.code) << h.tile.error_message();
    EXPECT_FALSE(h.tile.error_message().empty());
    run_to(sc_core::sc_time_stamp());
    EXPECT_TRUE(h.tile.irq.read());
    cpu.w(IMCVP_TILE_IRQ_STATUS, IMCVP_TILE_IRQ_ERROR);
    run_to(sc_core::sc_time_stamp());
    EXPECT_FALSE(h.tile.irq.read());
  }
  // A descriptor address beyond the buffer.
  cpu.w(IMCVP_TILE_DESC_ADDR, 64 * 1024 - 8);
  cpu.w(IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_START);
  while (cpu.r(IMCVP_TILE_STATUS) & IMCVP_TILE_STATUS_BUSY) run_to(sc_core::sc_time_stamp() + sc_time(10, SC_NS));
  EXPECT_EQ(cpu.r(IMCVP_TILE_ERROR), uint32_t(IMCVP_TILE_ERR_DESC_ADDR));
  // A buffer access beyond the buffer is an address error.
  uint32_t v = 0;
  EXPECT_EQ(cpu.access(tlm::TLM_READ_COMMAND, IMCVP_TILE_BUF + 64 * 1024, &v, 4),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // RESET clears status, error and counters.
  cpu.w(IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_RESET);
  EXPECT_EQ(cpu.r(IMCVP_TILE_STATUS), 0u);
  EXPECT_EQ(cpu.r(IMCVP_TILE_ERROR), 0u);
  EXPECT_EQ(cpu.r(IMCVP_TILE_LAYERS), 0u);
}

IMCVP_TEST_SC_MAIN()

TEST(Tile, ReportsHowItsCrossbarsHoldWeights) {
  Harness& h = harness();
  const CrossbarParams x = small_tile(SignedMode::Differential).crossbar;
  const uint32_t f = h.cpu.r(IMCVP_TILE_XBAR_FORMAT);
  EXPECT_EQ(IMCVP_TILE_XBAR_FORMAT_WEIGHT_BITS(f), x.weight_bits);
  EXPECT_EQ(IMCVP_TILE_XBAR_FORMAT_CELL_BITS(f), x.cell_bits);
  EXPECT_EQ(f & IMCVP_TILE_XBAR_FORMAT_OFFSET, 0u);
  EXPECT_EQ(h.cpu2.r(IMCVP_TILE_XBAR_FORMAT) & IMCVP_TILE_XBAR_FORMAT_OFFSET,
            uint32_t(IMCVP_TILE_XBAR_FORMAT_OFFSET));
}
