// SpliceUnit (the SME technique's splice peripheral): a block a tile gets
// from TileParams::block_factories; its registers and index-table memory in
// the tile window; the datapath's map stage: a layer on bit-plane crossbars
// of 0/1 cells (compiler/sme_mapping.hpp, with and without squeeze-out)
// gives acc[o] = sum_k w[o][k] x[k] exactly, for unsigned and signed inputs;
// only the driven rows and the used columns cost; its cost under its own
// category; the table format; and the clear errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include <systemc>

#include "compiler/sme_mapping.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/crossbar/crossbar_array.hpp"
#include "models/crossbar/crossbar_layout.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/splice/splice_tables.hpp"
#include "models/splice/splice_unit.hpp"
#include "models/tile/tile.hpp"
#include "block_harness.hpp"
#include "tile_driver.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint32_t kDesc = 0x0000, kIn = 0x1000, kOut = 0x5000, kParam = 0x7000, kLevels = 0x8000;
constexpr uint32_t kBlock = IMCVP_TILE_BLOCK(IMCVP_BLOCK_SLOT_SPLICE);
constexpr unsigned kXbars = 128, kRows = 32, kCols = 16;

TileParams splice_tile() {
  TileParams t;
  t.crossbars = kXbars;
  t.crossbar.rows = kRows;
  t.crossbar.cols = kCols;
  t.crossbar.cell_bits = 1;  // single-level cells, as Bit-Transformer's
  t.crossbar = ideal_crossbar(t.crossbar);
  t.buffer_bytes = 64 * 1024;
  SpliceParams sp;
  sp.table_bytes = 8192;
  t.block_factories.push_back([sp](Tile& tile) -> std::unique_ptr<TileBlock> {
    auto b = std::make_unique<SpliceUnit>("splice", sp);
    tile.add_block(*b);
    tile.add_stage(*b);
    return b;
  });
  return t;
}

using Harness = test::BlockHarness<SpliceUnit>;
Harness& harness() {
  static Harness h{splice_tile()};
  return h;
}

uint32_t run(test::TileDriver& cpu, const imcvp_layer_desc& d, const std::vector<uint8_t>& ext = {}) {
  return cpu.run_desc(kDesc, d, ext);
}


// An FC layer of K inputs and N outputs with bit-sparse 8-bit weights.
struct Case {
  unsigned K, N;
  bool signed_in;
  std::vector<int32_t> w, x;  // N x K, K
  std::vector<imcvp_requant> rq;
  Case(unsigned k, unsigned n, bool sgn, unsigned seed) : K(k), N(n), signed_in(sgn), w(size_t(n) * k), x(k), rq(n) {
    std::mt19937 rng(seed);
    // mostly small magnitudes, as trained weights: the high bit planes sparse
    std::normal_distribution<double> g(0.0, 20.0);
    for (auto& v : w) v = compiler::bit_sparse_value(int32_t(std::lround(std::clamp(g(rng), -127.0, 127.0))), 7, 2);
    for (auto& v : x) v = sgn ? int32_t(rng() % 255) - 127 : int32_t(rng() % 256);
    for (auto& r : rq) r = {int32_t(rng() % 201) - 100, 1 << 15, 15};  // x 1: the accumulator itself
  }
  int64_t expect(unsigned o) const {
    int64_t a = rq[o].bias;
    for (unsigned k = 0; k < K; ++k) a += int64_t(w[size_t(o) * K + k]) * x[k];
    return a;
  }
};

// Maps the case onto bit planes, programs the crossbars from crossbar
// `first`, loads the tables at `off` and the inputs; returns the records.
std::vector<uint8_t> setup(Harness& h, const Case& cs, double threshold, compiler::SmeLayerMap& map,
                           unsigned first = 0, uint32_t off = 0) {
  compiler::SmeOptions o;
  o.rows = kRows;
  o.cols = kCols;
  o.squeeze_threshold = threshold;
  map = compiler::sme_map_layer(cs.w.data(), cs.N, cs.K, o, 1);
  const CrossbarParams p = with_format(h.tile.params().crossbar, WeightFormat{1, 1, SignedMode::Unsigned});
  std::vector<SpliceRead> reads;
  std::vector<uint16_t> list{uint16_t(map.crossbars.size())};
  for (size_t n = 0; n < map.crossbars.size(); ++n) {
    const compiler::SmeCrossbar& xb = map.crossbars[n];
    const std::vector<int32_t> cells(xb.cells.begin(), xb.cells.end());
    const WeightMapping m = map_weights(p, cells.data(), unsigned(xb.rows.size()), unsigned(xb.cols.size()));
    h.cpu.put(kLevels, m.levels.data(), m.levels.size());
    imcvp_layer_desc d;
    std::memset(&d, 0, sizeof d);
    d.magic = IMCVP_DESC_MAGIC;
    d.version = IMCVP_DESC_VERSION;
    d.op = IMCVP_OP_PROGRAM;
    d.xbar = uint16_t(first + n);
    d.param_off = kLevels;
    EXPECT_EQ(run(h.cpu, d), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
    reads.push_back({xb.rows, xb.cols});
    list.push_back(uint16_t(first + n));
  }
  if (list.size() % 2) list.push_back(0);  // the record's 4-byte padding
  const std::vector<uint8_t> tables = encode_splice_tables(reads);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SPLICE_TABLE_MEM + off,
                         const_cast<uint8_t*>(tables.data()), unsigned(tables.size())),
            tlm::TLM_OK_RESPONSE);
  if (cs.signed_in) {
    std::vector<int8_t> xb(cs.x.begin(), cs.x.end());
    h.cpu.put(kIn, xb.data(), xb.size());
  } else {
    std::vector<uint8_t> xb(cs.x.begin(), cs.x.end());
    h.cpu.put(kIn, xb.data(), xb.size());
  }
  h.cpu.put(kParam, cs.rq.data(), cs.rq.size() * sizeof cs.rq[0]);
  std::vector<uint8_t> ext;
  test::append_ext(ext, IMCVP_EXT_XBAR_LIST, list.data(), uint16_t(list.size() * 2));
  imcvp_ext_splice rec{};
  rec.table_off = off;
  rec.table_bytes = uint32_t(tables.size());
  rec.reads = uint16_t(reads.size());
  test::append_ext(ext, IMCVP_EXT_SPLICE, &rec, sizeof rec);
  return ext;
}

imcvp_layer_desc fc(const Case& cs) {
  imcvp_layer_desc d = test::fc_layer_desc(cs.K, cs.N, IMCVP_FMT_S32, INT32_MIN + 1, INT32_MAX, kIn, kOut, kParam);
  if (cs.signed_in) d.in_fmt = IMCVP_FMT_S8;
  return d;
}

std::vector<int32_t> outputs(Harness& h, unsigned n) {
  std::vector<int32_t> y(n);
  h.cpu.get(kOut, y.data(), n * 4);
  return y;
}

}  // namespace

TEST(Splice, RegistersAndMemoryInTheTileWindow) {
  Harness& h = harness();
  uint32_t v = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_BLOCK_ID, reinterpret_cast<uint8_t*>(&v), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(std::memcmp(&v, "SPLC", 4), 0);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_SPLICE_TABLE_BYTES, reinterpret_cast<uint8_t*>(&v), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 8192u);
  uint32_t w = 0x12345678, r = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SPLICE_TABLE_MEM + 8188, reinterpret_cast<uint8_t*>(&w), 4),
            tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kBlock + IMCVP_SPLICE_TABLE_MEM + 8188, reinterpret_cast<uint8_t*>(&r), 4),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r, w);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kBlock + IMCVP_SPLICE_TABLE_MEM + 8192, reinterpret_cast<uint8_t*>(&w), 4),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(Splice, TableFormatRoundTrips) {
  const std::vector<SpliceRead> reads{{{0, 5, 9}, {{3, 6, 1}, {0, 0, 0}}}, {{}, {}}, {{7}, {{1, 31, 0}}}};
  const std::vector<uint8_t> t = encode_splice_tables(reads);
  EXPECT_EQ(t.size(), splice_table_bytes(reads));
  EXPECT_EQ(t.size() % 4, 0u);
  std::vector<SpliceRead> back;
  std::string err;
  ASSERT_TRUE(decode_splice_tables(t.data(), t.size(), 3, 10, 4, 32, 16, back, err)) << err;
  ASSERT_EQ(back.size(), 3u);
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_EQ(back[n].rows, reads[n].rows);
    EXPECT_EQ(back[n].cols, reads[n].cols);
  }
  EXPECT_FALSE(decode_splice_tables(t.data(), t.size(), 3, 9, 4, 32, 16, back, err));  // row 9 of 9
  EXPECT_NE(err.find("weight row 9"), std::string::npos) << err;
  EXPECT_FALSE(decode_splice_tables(t.data(), t.size(), 3, 10, 3, 32, 16, back, err));  // output 3 of 3
  EXPECT_NE(err.find("output 3"), std::string::npos) << err;
  EXPECT_FALSE(decode_splice_tables(t.data(), t.size() - 4, 3, 10, 4, 32, 16, back, err));
  EXPECT_THROW(encode_splice_tables({{{70000}, {}}}), std::invalid_argument);
}

TEST(Splice, LayerOnBitPlanesIsExact) {
  Harness& h = harness();
  for (double threshold : {0.0, 0.25, 1.0})
    for (bool sgn : {false, true}) {
      // 100 inputs (4 row groups of 32, the last short), 21 outputs (2 column chunks)
      const Case cs(100, 21, sgn, 5 + unsigned(threshold * 8) + sgn);
      compiler::SmeLayerMap map;
      const std::vector<uint8_t> ext = setup(h, cs, threshold, map);
      ASSERT_LE(map.crossbars.size(), kXbars);
      ASSERT_EQ(run(h.cpu, fc(cs), ext), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
      const std::vector<int32_t> y = outputs(h, cs.N);
      for (unsigned o = 0; o < cs.N; ++o)
        EXPECT_EQ(y[o], cs.expect(o)) << "threshold " << threshold << (sgn ? ", signed" : "") << ", output " << o;
    }
}

TEST(Splice, OnlyDrivenRowsAndUsedColumnsCost) {
  Harness& h = harness();
  const Case cs(100, 21, false, 17);
  compiler::SmeLayerMap map;
  const std::vector<uint8_t> ext = setup(h, cs, 0.25, map);
  const TileStats before = h.tile.stats();
  const uint64_t adds0 = h.block().add_count();
  const double pj0 = h.ledger.block_pj("tile0.splice");
  ASSERT_EQ(run(h.cpu, fc(cs), ext), uint32_t(IMCVP_TILE_STATUS_DONE)) << h.tile.error_message();
  const TileStats after = h.tile.stats();
  // 8 input bits on 1-bit DACs: 8 steps, one conversion per used column each
  const unsigned steps = mvm_steps(h.tile.params().crossbar, 8);
  EXPECT_EQ(after.mvm.adc_conversions - before.mvm.adc_conversions, map.columns * steps);
  EXPECT_EQ(h.block().add_count() - adds0, map.columns);  // one pass: unsigned inputs
  const SpliceParams p;
  const uint64_t table = splice_table_bytes([&] {
    std::vector<SpliceRead> r;
    for (const auto& x : map.crossbars) r.push_back({x.rows, x.cols});
    return r;
  }());
  const uint64_t reads = (table * 8 + p.word_bits - 1) / p.word_bits;
  EXPECT_NEAR(h.ledger.block_pj("tile0.splice") - pj0, map.columns * p.add_pj + reads * p.read_pj, 1e-6);
  for (const auto& [event, e] : h.ledger.blocks().at("tile0.splice"))
    EXPECT_EQ(e.category, kSpliceEnergyCategory) << event;
}

TEST(Splice, BadRecordsAreClearErrors) {
  Harness& h = harness();
  const Case cs(100, 21, false, 23);
  compiler::SmeLayerMap map;
  const std::vector<uint8_t> ext = setup(h, cs, 0.25, map);
  auto with = [&](auto edit) {
    std::vector<uint8_t> e = ext;
    imcvp_ext_splice rec;
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
      {with([](imcvp_ext_splice& r) { r.reads = 0; }), "0 reads"},
      {with([](imcvp_ext_splice& r) { r.table_off = 8188; }), "beyond the 8192-byte table memory"},
      {with([](imcvp_ext_splice& r) { r.table_bytes += 4; }), "the record says"},
  };
  for (const Bad& b : bad) {
    EXPECT_EQ(run(h.cpu, fc(cs), b.ext), uint32_t(IMCVP_TILE_STATUS_ERROR)) << b.says;
    EXPECT_NE(h.tile.error_message().find(b.says), std::string::npos) << h.tile.error_message();
    h.cpu.w(IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_RESET);
  }
  // the tables name an output beyond the layer's
  Case small(100, 3, false, 23);
  std::vector<uint8_t> e = ext;
  EXPECT_EQ(run(h.cpu, fc(small), e), uint32_t(IMCVP_TILE_STATUS_ERROR));
  EXPECT_NE(h.tile.error_message().find("names output"), std::string::npos) << h.tile.error_message();
  h.cpu.w(IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_RESET);
}
