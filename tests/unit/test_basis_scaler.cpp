// BasisScaler (the BasisN technique's basis-coefficient scaler): a block a
// tile gets from TileParams::block_factories; its registers and coefficient
// memory in the tile window; the datapath's map stage: a layer on the basis
// crossbars gives acc[o] = sum_s sum_j c[o][s][j] (sum_r B[r][j] x[s L + r]),
// bit-exact; reads rotating over more crossbars take less time; its cost
// under its own category; the coefficient format; and the clear errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include <systemc>

#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/basis_scaler/basis_coef_data.hpp"
#include "models/basis_scaler/basis_scaler.hpp"
#include "models/crossbar/crossbar_array.hpp"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/tile/tile.hpp"
#include "block_harness.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kOut = 0x5000, kParam = 0x7000, kLevels = 0x8000;
constexpr uint32_t kBlock = IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_BASIS_SCALER);
constexpr unsigned kXbars = 4;

TileParams basis_tile() {
  TileParams t;
  t.crossbars = kXbars;
  t.crossbar.rows = 32;
  t.crossbar.cols = 64;  // 8-bit weights, 2-bit cells, differential: 8 outputs
  t.crossbar = ideal_crossbar(t.crossbar);
  t.buffer_bytes = 64 * 1024;
  BasisScalerParams bp;
  bp.coef_bytes = 4096;
  t.block_factories.push_back([bp](Tile& tile) -> std::unique_ptr<TileBlock> {
    auto b = std::make_unique<BasisScaler>("basis_scaler", bp);
    tile.add_block(*b);
    tile.add_stage(*b);
    return b;
  });
  return t;
}

using Harness = test::BlockHarness<BasisScaler>;
Harness& harness() {
  static Harness h{basis_tile()};
  return h;
}

uint32_t run(test::TileDriver& cpu, const imcvp_layer_desc& d, const std::vector<uint8_t>& ext = {}) {
  return cpu.run_desc(kDesc, d, ext);
}


// The test's own packer of the coefficient format (accel.h IMCVP_EXT_BASIS),
// written from the format's description.
std::vector<uint8_t> pack(const std::vector<int>& c, unsigned bits) {
  std::vector<uint8_t> out;
  uint64_t pos = 0;
  for (int v : c)
    for (unsigned i = 0; i < bits; ++i, ++pos) {
      if (pos / 8 >= out.size()) out.push_back(0);
      out[pos / 8] |= uint8_t(((unsigned(v) >> i) & 1u) << (pos % 8));
    }
  out.resize((out.size() + 3) / 4 * 4, 0);
  return out;
}

// An FC layer of K inputs and N outputs on a basis of `count` vectors of `length`.
struct Case {
  unsigned K, N, L, C, bits, S;
  std::vector<int32_t> B, x;  // L x C basis, K inputs
  std::vector<int> c;         // N x S x C
  std::vector<imcvp_requant> rq;
  Case(unsigned k, unsigned n, unsigned l, unsigned cnt, unsigned b, unsigned seed)
      : K(k), N(n), L(l), C(cnt), bits(b), S((k + l - 1) / l), B(size_t(l) * cnt), x(k), c(size_t(n) * S * cnt), rq(n) {
    std::mt19937 rng(seed);
    for (auto& v : B) v = int32_t(rng() % 255) - 127;
    for (auto& v : x) v = int32_t(rng() % 256);
    const int hi = (1 << (b - 1)) - 1;
    for (auto& v : c) v = int(rng() % unsigned(2 * hi + 2)) - hi - 1;  // the full range, -2^(b-1) too
    for (auto& r : rq) r = {int32_t(rng() % 201) - 100, 1 << 15, 15};  // x 1: the accumulator itself
  }
  int64_t expect(unsigned o) const {
    int64_t a = 0;
    for (unsigned s = 0; s < S; ++s)
      for (unsigned j = 0; j < C; ++j) {
        int64_t u = 0;
        for (unsigned r = 0; r < L && s * L + r < K; ++r) u += int64_t(B[r * C + j]) * x[s * L + r];
        a += int64_t(c[(size_t(o) * S + s) * C + j]) * u;
      }
    return a + rq[o].bias;
  }
};

// Programs every crossbar with `copies` copies of the basis, loads the
// coefficients at `off` and the inputs; returns the layer's records.
std::vector<uint8_t> setup(Harness& h, const Case& cs, unsigned copies, unsigned xbars_used, uint32_t off = 0) {
  const CrossbarParams& p = h.tile.params().crossbar;
  const std::vector<int32_t> w = basis_crossbar_weights(cs.B.data(), cs.L, cs.C, copies);
  const WeightMapping m = map_weights(p, w, copies * cs.L, copies * cs.C);
  for (unsigned x = 0; x < kXbars; ++x) {
    h.cpu.put(kLevels, m.levels.data(), m.levels.size());
    imcvp_layer_desc d;
    std::memset(&d, 0, sizeof d);
    d.magic = IMCVP_DESC_MAGIC;
    d.version = IMCVP_DESC_VERSION;
    d.op = IMCVP_OP_PROGRAM;
    d.xbar = uint16_t(x);
    d.param_off = kLevels;
    EXPECT_EQ(run(h.cpu, d), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  }
  const std::vector<uint8_t> data = pack(cs.c, cs.bits);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_BASIS_COEF_MEM + off, const_cast<uint8_t*>(data.data()),
                         unsigned(data.size())),
            tlm::TLM_OK_RESPONSE);
  std::vector<uint8_t> xb(cs.x.begin(), cs.x.end());
  h.cpu.put(kIn, xb.data(), xb.size());
  h.cpu.put(kParam, cs.rq.data(), cs.rq.size() * sizeof cs.rq[0]);
  const unsigned reads = (cs.S + copies - 1) / copies;
  // The record's payload is padded to 4 bytes: the vector holds the padding.
  std::vector<uint16_t> list((1 + reads + 1) / 2 * 2, 0);
  list[0] = uint16_t(reads);
  for (unsigned r = 0; r < reads; ++r) list[1 + r] = uint16_t(r % xbars_used);
  std::vector<uint8_t> ext;
  test::append_ext(ext, IMCVP_EXT_XBAR_LIST, list.data(), uint16_t(list.size() * 2));
  imcvp_ext_basis rec{};
  rec.coef_off = off;
  rec.coef_bytes = uint32_t(data.size());
  rec.segments = cs.S;
  rec.length = uint16_t(cs.L);
  rec.count = uint16_t(cs.C);
  rec.copies = uint16_t(copies);
  rec.coef_bits = uint8_t(cs.bits);
  test::append_ext(ext, IMCVP_EXT_BASIS, &rec, sizeof rec);
  return ext;
}

imcvp_layer_desc fc(const Case& cs) {
  return test::fc_layer_desc(cs.K, cs.N, IMCVP_FMT_S32, INT32_MIN + 1, INT32_MAX, kIn, kOut, kParam);
}

std::vector<int32_t> outputs(Harness& h, unsigned n) {
  std::vector<int32_t> y(n);
  h.cpu.get(kOut, y.data(), n * 4);
  return y;
}

}  // namespace

TEST(BasisScaler, RegistersAndMemoryInTheTileWindow) {
  Harness& h = harness();
  uint32_t v = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_BLOCK_ID, reinterpret_cast<uint8_t*>(&v), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(std::memcmp(&v, "BSCL", 4), 0);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_BASIS_COEF_BYTES, reinterpret_cast<uint8_t*>(&v), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 4096u);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_BASIS_LANES, reinterpret_cast<uint8_t*>(&v), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, BasisScalerParams{}.lanes);
  uint32_t w = 0xA5A5F00D, r = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_BASIS_COEF_MEM + 4092, reinterpret_cast<uint8_t*>(&w), 4),
            tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_BASIS_COEF_MEM + 4092, reinterpret_cast<uint8_t*>(&r), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r, w);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_BASIS_COEF_MEM + 4096, reinterpret_cast<uint8_t*>(&w), 4),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(BasisScaler, CoefficientFormatRoundTrips) {
  for (unsigned bits = 2; bits <= 8; ++bits) {
    std::mt19937 rng(bits);
    const int hi = (1 << (bits - 1)) - 1;
    std::vector<int8_t> c(3 * 5 * 7);
    std::vector<int> ci(c.size());
    for (size_t i = 0; i < c.size(); ++i) ci[i] = c[i] = int8_t(int(rng() % unsigned(2 * hi + 2)) - hi - 1);
    const std::vector<uint8_t> data = encode_basis_coefs(c, bits);
    EXPECT_EQ(data, pack(ci, bits)) << bits << " bits";  // the test's own packer agrees
    imcvp_ext_basis rec{};
    rec.segments = 5;
    rec.count = 7;
    rec.coef_bits = uint8_t(bits);
    rec.coef_bytes = uint32_t(data.size());
    std::vector<int8_t> back;
    std::string err;
    ASSERT_TRUE(decode_basis_coefs(rec, 3, data.data(), data.size(), back, err)) << err;
    EXPECT_EQ(back, c);
  }
  EXPECT_THROW(encode_basis_coefs({8}, 4), std::invalid_argument);  // 4 bits hold -8..7
}

TEST(BasisScaler, LayerOnTheBasisIsExact) {
  Harness& h = harness();
  for (unsigned copies : {1u, 2u}) {
    // 50 inputs in segments of 9 (the last one short), 5 outputs, 4 vectors, 5-bit coefficients
    const Case cs(50, 5, 9, 4, 5, 7 + copies);
    const std::vector<uint8_t> ext = setup(h, cs, copies, kXbars);
    ASSERT_EQ(run(h.cpu, fc(cs), ext), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    const std::vector<int32_t> y = outputs(h, cs.N);
    for (unsigned o = 0; o < cs.N; ++o) EXPECT_EQ(y[o], cs.expect(o)) << "copies " << copies << ", output " << o;
  }
}

TEST(BasisScaler, MoreCrossbarsLessTimeSameValues) {
  Harness& h = harness();
  const Case cs(200, 6, 8, 3, 4, 21);  // 25 segments, 2 copies: 13 reads
  std::vector<double> ns;
  std::vector<std::vector<int32_t>> ys;
  for (unsigned used : {1u, 2u, 4u}) {
    const std::vector<uint8_t> ext = setup(h, cs, 2, used);
    const uint64_t before = h.tile.stats().busy_ns;
    ASSERT_EQ(run(h.cpu, fc(cs), ext), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    ns.push_back(double(h.tile.stats().busy_ns - before));
    ys.push_back(outputs(h, cs.N));
  }
  EXPECT_GT(ns[0], ns[1]);
  EXPECT_GT(ns[1], ns[2]);
  EXPECT_EQ(ys[0], ys[1]);
  EXPECT_EQ(ys[0], ys[2]);
  for (unsigned o = 0; o < cs.N; ++o) EXPECT_EQ(ys[0][o], cs.expect(o));
}

TEST(BasisScaler, ChargesItsMacsAndReads) {
  Harness& h = harness();
  const Case cs(36, 4, 9, 2, 8, 3);  // 4 segments
  const std::vector<uint8_t> ext = setup(h, cs, 2, kXbars);
  const uint64_t macs0 = h.block().mac_count();
  const double pj0 = h.ledger.block_pj("tile0.basis_scaler");
  ASSERT_EQ(run(h.cpu, fc(cs), ext), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  const uint64_t macs = uint64_t(cs.N) * cs.S * cs.C;  // unsigned inputs: one pass
  EXPECT_EQ(h.block().mac_count() - macs0, macs);
  const BasisScalerParams p;
  const uint64_t reads = (macs * cs.bits + p.word_bits - 1) / p.word_bits;
  EXPECT_NEAR(h.ledger.block_pj("tile0.basis_scaler") - pj0, macs * p.mac_pj + reads * p.read_pj, 1e-6);
  for (const auto& [event, e] : h.ledger.blocks().at("tile0.basis_scaler"))
    EXPECT_EQ(e.category, kBasisScalerEnergyCategory) << event;
}

TEST(BasisScaler, BadRecordsAreClearErrors) {
  Harness& h = harness();
  const Case cs(50, 5, 9, 4, 5, 11);
  std::vector<uint8_t> ext = setup(h, cs, 2, kXbars);
  auto with = [&](auto edit) {
    std::vector<uint8_t> e = ext;
    imcvp_ext_basis rec;
    const size_t at = e.size() - sizeof rec;
    std::memcpy(&rec, e.data() + at, sizeof rec);
    edit(rec);
    std::memcpy(e.data() + at, &rec, sizeof rec);
    return e;
  };
  struct Bad {
    std::vector<uint8_t> ext;
    const char* says;
  };
  const std::vector<Bad> bad{
      {with([](imcvp_ext_basis& r) { r.segments = 5; }), "segments"},
      {with([](imcvp_ext_basis& r) { r.copies = 4; }), "do not fit a crossbar"},
      {with([](imcvp_ext_basis& r) { r.count = 0; }), "none may be 0"},
      {with([](imcvp_ext_basis& r) { r.coef_off = 4092; }), "beyond the 4096-byte coefficient memory"},
      {with([](imcvp_ext_basis& r) { r.coef_bits = 9; }), "coef_bits 9"},
  };
  for (const Bad& b : bad) {
    EXPECT_EQ(run(h.cpu, fc(cs), b.ext), uint32_t(IMCVP_TILE_STATUS_ERROR)) << b.says;
    EXPECT_NE(h.tile.error_message().find(b.says), std::string::npos) << h.tile.error_message();
  }
}
