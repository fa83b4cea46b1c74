// SramCompensation (the hybrid RRAM/SRAM technique's SRAM macro): a block a
// tile gets from TileParams::block_factories; its registers and SRAM in the
// tile window; the compensation arithmetic acc x 2^SHIFT + sum c x in on the
// output path, bit-exact; its cost and energy under its own category; the
// SRAM data decoder; and the clear errors (shift out of range, data beyond
// the SRAM, a record that does not match the layer).
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
#include "models/sram_comp/sram_comp_data.hpp"
#include "models/sram_comp/sram_compensation.hpp"
#include "models/tile/tile.hpp"
#include "block_harness.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kOut = 0x5000, kParam = 0x7000, kLevels = 0x8000;
constexpr uint32_t kBlock = IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SRAM_COMP);

TileParams comp_tile() {
  TileParams t;
  t.crossbars = 8;
  t.crossbar.rows = 16;
  t.crossbar.cols = 32;
  t.crossbar = ideal_crossbar(t.crossbar);
  t.buffer_bytes = 64 * 1024;
  t.block_factories.push_back([](Tile& tile) -> std::unique_ptr<TileBlock> {
    auto b = std::make_unique<SramCompensation>("sram_comp", SramCompParams{}, tile.params().crossbars);
    tile.add_block(*b);
    tile.add_stage(*b);
    return b;
  });
  return t;
}

using Harness = test::BlockHarness<SramCompensation>;
Harness& harness() {
  static Harness h{comp_tile()};
  return h;
}

imcvp_layer_desc fc_desc(unsigned K, unsigned N) {
  return test::fc_layer_desc(K, N, IMCVP_FMT_S32, INT32_MIN + 1, INT32_MAX, kIn, kOut, kParam);
}

uint32_t run(test::TileDriver& cpu, const imcvp_layer_desc& d, const std::vector<uint8_t>& ext = {}) {
  return cpu.run_desc(kDesc, d, ext);
}

// The test's own encoder of the SRAM format (accel.h IMCVP_EXT_SRAM_COMP),
// written from the format's description, not shared with the compiler's.
std::vector<uint8_t> encode(const std::vector<int>& c, unsigned N, unsigned K, unsigned group, unsigned bits,
                            uint32_t& kept) {
  const unsigned G = (K + group - 1) / group;
  std::vector<uint8_t> mask((size_t(N) * G + 7) / 8, 0);
  std::vector<uint8_t> fields;
  uint64_t pos = 0;
  kept = 0;
  auto put_bit = [&](unsigned v) {
    if (pos / 8 >= fields.size()) fields.push_back(0);
    fields[pos / 8] |= uint8_t((v & 1) << (pos % 8));
    ++pos;
  };
  for (unsigned o = 0; o < N; ++o)
    for (unsigned g = 0; g < G; ++g) {
      bool any = false;
      for (unsigned k = g * group; k < std::min(K, (g + 1) * group); ++k) any = any || c[o * K + k] != 0;
      if (!any) continue;
      ++kept;
      mask[(o * G + g) / 8] |= uint8_t(1u << ((o * G + g) % 8));
      for (unsigned k = g * group; k < std::min(K, (g + 1) * group); ++k) {
        const int v = c[o * K + k];
        const unsigned code = bits == 1 ? (v < 0 ? 1u : 0u) : unsigned(v) & ((1u << bits) - 1);
        for (unsigned i = 0; i < bits; ++i) put_bit(code >> i);
      }
    }
  mask.resize((mask.size() + 3) / 4 * 4, 0);
  fields.resize((fields.size() + 3) / 4 * 4, 0);
  mask.insert(mask.end(), fields.begin(), fields.end());
  return mask;
}

std::vector<uint8_t> comp_record(const imcvp_ext_sram_comp& r) {
  std::vector<uint8_t> out(4 + sizeof r);
  const uint16_t type = IMCVP_EXT_SRAM_COMP, bytes = sizeof r;
  std::memcpy(out.data(), &type, 2);
  std::memcpy(out.data() + 2, &bytes, 2);
  std::memcpy(out.data() + 4, &r, sizeof r);
  return out;
}

// An FC layer programmed on the tile, with a compensation weight set.
struct Case {
  unsigned K, N, group, bits;
  std::vector<int32_t> W, x;
  std::vector<int> c;
  std::vector<imcvp_requant> rq;
  Case(unsigned k, unsigned n, unsigned grp, unsigned b, unsigned seed)
      : K(k), N(n), group(grp), bits(b), W(size_t(n) * k), x(k), c(size_t(n) * k, 0), rq(n) {
    std::mt19937 rng(seed);
    for (auto& w : W) w = int32_t(rng() % 255) - 127;
    for (auto& v : x) v = int32_t(rng() % 256);
    const int lo = b == 1 ? -1 : -(1 << (b - 1)), hi = b == 1 ? 1 : (1 << (b - 1)) - 1;
    for (unsigned o = 0; o < n; ++o)
      for (unsigned g = 0; g * grp < k; ++g) {
        if (rng() % 3 == 0) continue;  // a pruned group
        for (unsigned kk = g * grp; kk < std::min(k, (g + 1) * grp); ++kk) {
          int v = lo + int(rng() % unsigned(hi - lo + 1));
          if (b == 1 && v == 0) v = 1;
          c[o * k + kk] = v;
        }
      }
    for (auto& r : rq) r = {int32_t(rng() % 201) - 100, 1 << 15, 15};  // x 1: the accumulator itself
  }
  int64_t expect(unsigned o, unsigned shift) const {
    int64_t a = 0, s = 0;
    for (unsigned k = 0; k < K; ++k) {
      a += int64_t(W[o * K + k]) * x[k];
      s += int64_t(c[o * K + k]) * x[k];
    }
    return a * (int64_t(1) << shift) + s + rq[o].bias;
  }
};

void program_fc(Harness& h, const Case& cs) {
  const CrossbarParams& p = h.tile.params().crossbar;
  const WeightFormat f = weight_format(p);
  const CrossbarLayout L = crossbar_layout(p, f, 1, cs.K, cs.N);
  for (unsigned rg = 0; rg < L.row_groups; ++rg)
    for (unsigned cg = 0; cg < L.col_groups; ++cg) {
      const std::vector<int32_t> sub = L.crossbar_weights(cs.W.data(), 0, rg, cg);
      const WeightMapping m = map_weights(p, sub, L.rows_in(0, rg), L.outputs_in(0, cg));
      h.cpu.put(kLevels, m.levels.data(), m.levels.size());
      imcvp_layer_desc d;
      std::memset(&d, 0, sizeof d);
      d.magic = IMCVP_DESC_MAGIC;
      d.version = IMCVP_DESC_VERSION;
      d.op = IMCVP_OP_PROGRAM;
      d.xbar = uint16_t(L.index(0, rg, cg));
      d.param_off = kLevels;
      ASSERT_EQ(run(h.cpu, d), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    }
  std::vector<uint8_t> xb(cs.x.begin(), cs.x.end());
  h.cpu.put(kIn, xb.data(), xb.size());
  h.cpu.put(kParam, cs.rq.data(), cs.rq.size() * sizeof cs.rq[0]);
}

// Writes the case's compensation data into the SRAM at `off` (through the
// tile window, as the firmware's DMA does) and returns its record.
imcvp_ext_sram_comp load_comp(Harness& h, const Case& cs, uint32_t off, uint16_t first_output = 0) {
  uint32_t kept = 0;
  std::vector<uint8_t> data = encode(cs.c, cs.N, cs.K, cs.group, cs.bits, kept);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SRAM_COMP_MEM + off, data.data(), unsigned(data.size())),
            tlm::TLM_OK_RESPONSE);
  imcvp_ext_sram_comp r{};
  r.sram_off = off;
  r.sram_bytes = uint32_t(data.size());
  r.weight_rows = cs.K;
  r.kept_groups = kept;
  r.layer_outputs = uint16_t(cs.N);
  r.first_output = first_output;
  r.group_rows = uint16_t(cs.group);
  r.weight_bits = uint8_t(cs.bits);
  return r;
}

}  // namespace

TEST(SramComp, RegistersAndSramSitInTheTileWindow) {
  Harness& h = harness();
  EXPECT_EQ(h.cpu.r(kBlock + IMCVP_BLOCK_ID), uint32_t('S' | 'C' << 8 | 'M' << 16 | 'P' << 24));
  EXPECT_EQ(h.cpu.r(kBlock + IMCVP_SRAM_COMP_SRAM_BYTES), 256u * 8);  // [Krishnan] 256 B per crossbar, 8 crossbars
  EXPECT_EQ(h.cpu.r(kBlock + IMCVP_SRAM_COMP_PES), 16u);
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 2);
  EXPECT_EQ(h.cpu.r(kBlock + IMCVP_SRAM_COMP_SHIFT), 2u);
  uint32_t v = 0x12345678, back = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SRAM_COMP_MEM + 64, &v, 4), tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_SRAM_COMP_MEM + 64, &back, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(back, v);
  // beyond the SRAM: an address error, not a silent write
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SRAM_COMP_MEM + 256 * 8, &v, 4),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(SramComp, AddsTheShiftedCompensationSumBitExactly) {
  Harness& h = harness();
  for (unsigned bits : {1u, 2u, 3u})
    for (unsigned shift : {0u, 1u, 3u}) {
      const Case cs(40, 6, 4, bits, 7 + bits * 10 + shift);
      program_fc(h, cs);
      const imcvp_ext_sram_comp r = load_comp(h, cs, 128);
      h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, shift);
      ASSERT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(r)), uint32_t(IMCVP_TILE_STATUS_DONE))
          << h.tile.error_message();
      const std::vector<int32_t> y = h.cpu.get_tensor(kOut, IMCVP_FMT_S32, cs.N);
      for (unsigned o = 0; o < cs.N; ++o) EXPECT_EQ(y[o], cs.expect(o, shift)) << "bits " << bits << " shift " << shift << " o " << o;
    }
}

TEST(SramComp, ASliceIndexesTheLayerDataFromItsFirstOutput) {
  Harness& h = harness();
  const Case whole(24, 8, 4, 2, 99);
  // the slice: outputs 5..7 of the layer, i.e. a 3-output FC whose weights are rows 5..7
  Case slice = whole;
  slice.N = 3;
  slice.W.assign(whole.W.begin() + 5 * 24, whole.W.end());
  slice.rq.assign(whole.rq.begin() + 5, whole.rq.end());
  program_fc(h, slice);
  const imcvp_ext_sram_comp r = load_comp(h, whole, 0, 5);
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 1);
  ASSERT_EQ(run(h.cpu, fc_desc(24, 3), comp_record(r)), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  const std::vector<int32_t> y = h.cpu.get_tensor(kOut, IMCVP_FMT_S32, 3);
  for (unsigned j = 0; j < 3; ++j) EXPECT_EQ(y[j], whole.expect(5 + j, 1)) << j;
}

TEST(SramComp, ChargesItsOwnEnergyAndCountsMacs) {
  Harness& h = harness();
  const Case cs(40, 6, 4, 1, 5);
  program_fc(h, cs);
  const imcvp_ext_sram_comp r = load_comp(h, cs, 0);
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 0);
  const double e0 = h.ledger.block_pj("tile0.sram_comp");
  const uint64_t macs0 = h.block().mac_count();
  ASSERT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(r)), uint32_t(IMCVP_TILE_STATUS_DONE));
  uint64_t kept_weights = 0;
  for (int v : cs.c) kept_weights += v != 0;
  EXPECT_EQ(h.block().mac_count() - macs0, kept_weights);
  const SramCompParams p;
  const uint64_t reads = (kept_weights * 1 + p.word_bits - 1) / p.word_bits;
  const double expect_pj = double(kept_weights) * p.mac_pj + double(reads) * p.read_pj + cs.N * p.shift_add_pj;
  EXPECT_NEAR(h.ledger.block_pj("tile0.sram_comp") - e0, expect_pj, 1e-9);
  EXPECT_EQ(h.cpu.r(kBlock + IMCVP_SRAM_COMP_MACS_LO), uint32_t(h.block().mac_count()));
  EXPECT_FALSE(h.block().activity.active.read());  // the layer is over
}

TEST(SramComp, AShiftOutOfRangeIsAClearError) {
  Harness& h = harness();
  const Case cs(16, 4, 4, 1, 11);
  program_fc(h, cs);
  const imcvp_ext_sram_comp r = load_comp(h, cs, 0);
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 5);
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(r)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.tile.error_code(), uint32_t(IMCVP_TILE_ERR_EXT));
  EXPECT_NE(h.tile.error_message().find("SHIFT register holds 5"), std::string::npos) << h.tile.error_message();
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 0);
}

TEST(SramComp, DataBeyondTheSramOrNotMatchingTheLayerIsRefused) {
  Harness& h = harness();
  const Case cs(16, 4, 4, 2, 12);
  program_fc(h, cs);
  h.cpu.w(kBlock + IMCVP_SRAM_COMP_SHIFT, 0);
  imcvp_ext_sram_comp r = load_comp(h, cs, 0);
  imcvp_ext_sram_comp bad = r;
  bad.sram_off = 256 * 8 - 4;
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(bad)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_NE(h.tile.error_message().find("beyond the 2048-byte SRAM"), std::string::npos) << h.tile.error_message();
  bad = r;
  bad.weight_rows = 15;
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(bad)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_EQ(h.tile.error_code(), uint32_t(IMCVP_TILE_ERR_EXT));
  bad = r;
  bad.kept_groups += 1;
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(bad)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_NE(h.tile.error_message().find("the mask keeps"), std::string::npos) << h.tile.error_message();
  bad = r;
  bad.first_output = 2;  // outputs 2..5 of a 4-output layer
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(bad)), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_NE(h.tile.error_message().find("beyond the record's 4"), std::string::npos) << h.tile.error_message();
  // and the good one still runs
  EXPECT_EQ(run(h.cpu, fc_desc(cs.K, cs.N), comp_record(r)), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
}

TEST(SramCompData, DecodesBinaryAndTwosComplementFields) {
  // 2 outputs x 6 rows, groups of 4 rows (2 groups per output; the second has 2 rows)
  const std::vector<int> c1{1, -1, -1, 1, 0, 0, /**/ 0, 0, 0, 0, -1, 1};
  uint32_t kept = 0;
  std::vector<uint8_t> d = encode(c1, 2, 6, 4, 1, kept);
  EXPECT_EQ(kept, 2u);
  // mask: bits 0 (o0 g0) and 3 (o1 g1) -> 0b1001; fields: 1,-1,-1,1 -> 0,1,1,0; -1,1 -> 1,0
  EXPECT_EQ(d[0], 0x09);
  EXPECT_EQ(d[4], uint8_t(0b010110));
  imcvp_ext_sram_comp r{};
  r.sram_bytes = uint32_t(d.size());
  r.weight_rows = 6;
  r.kept_groups = kept;
  r.layer_outputs = 2;
  r.group_rows = 4;
  r.weight_bits = 1;
  SramCompLayer L;
  std::string err;
  ASSERT_TRUE(decode_sram_comp(r, d.data(), d.size(), L, err)) << err;
  for (size_t i = 0; i < c1.size(); ++i) EXPECT_EQ(L.weights[i], c1[i]) << i;
  EXPECT_EQ(L.kept_rows[0], 4u);
  EXPECT_EQ(L.kept_rows[1], 2u);
  const std::vector<int> c3{-4, 3, 0, -1, 2, 1};
  d = encode(c3, 1, 6, 3, 3, kept);
  r.weight_rows = 6, r.layer_outputs = 1, r.group_rows = 3, r.weight_bits = 3, r.kept_groups = kept;
  r.sram_bytes = uint32_t(d.size());
  ASSERT_TRUE(decode_sram_comp(r, d.data(), d.size(), L, err)) << err;
  for (size_t i = 0; i < c3.size(); ++i) EXPECT_EQ(L.weights[i], c3[i]) << i;
  r.sram_bytes = 4;  // too small for the fields
  EXPECT_FALSE(decode_sram_comp(r, d.data(), 4, L, err));
  EXPECT_NE(err.find("bytes"), std::string::npos) << err;
}
