// SME mapping (compiler/sme_mapping.hpp): bit-sparse quantization against a
// brute-force search, the splice unit's reconstruction of every output from
// the crossbars' columns, the compaction invariants, squeeze-out, the dense
// baseline's figures, option errors and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/sme_mapping.hpp"

using namespace imcvp::compiler;

namespace {

unsigned ones(std::uint64_t v) { return static_cast<unsigned>(__builtin_popcountll(v)); }

// Normal-ish weights (most small, as trained ones), clipped to the
// magnitude bits, then made bit-sparse.
std::vector<std::int32_t> random_weights(std::uint32_t outputs, std::uint64_t K, unsigned mag_bits, unsigned budget,
                                         std::uint32_t seed, double sigma = 24.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, sigma);
  const double max = double((1u << mag_bits) - 1);
  std::vector<std::int32_t> w(std::size_t(outputs) * K);
  for (auto& v : w) v = static_cast<std::int32_t>(std::lround(std::clamp(dist(rng), -max, max)));
  bit_sparse_quantize(w, mag_bits, budget);
  return w;
}

// What the splice unit adds up: every column, shifted by its bit, signed.
std::vector<std::int64_t> splice(const SmeLayerMap& map, std::uint32_t outputs, const std::vector<std::int32_t>& x) {
  std::vector<std::int64_t> y(outputs, 0);
  for (const SmeCrossbar& X : map.crossbars)
    for (std::size_t c = 0; c < X.cols.size(); ++c) {
      std::int64_t sum = 0;
      for (std::size_t r = 0; r < X.rows.size(); ++r) sum += X.cell(r, c) * std::int64_t(x[X.rows[r]]);
      y[X.cols[c].output] += (X.cols[c].negative ? -1 : 1) * (std::int64_t(1) << X.cols[c].bit) * sum;
    }
  return y;
}

void expect_reconstructs(const SmeLayerMap& map, const std::vector<std::int32_t>& w, std::uint32_t outputs,
                         std::uint64_t K, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> in(-128, 127);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<std::int32_t> x(K);
    for (auto& v : x) v = in(rng);
    const std::vector<std::int64_t> y = splice(map, outputs, x);
    for (std::uint32_t o = 0; o < outputs; ++o) {
      std::int64_t ref = 0;
      for (std::uint64_t k = 0; k < K; ++k) ref += std::int64_t(w[o * K + k]) * x[k];
      ASSERT_EQ(y[o], ref) << "output " << o;
    }
  }
}

// Geometry, compaction, and every nonzero bit of every weight stored once.
void expect_invariants(const SmeLayerMap& map, const std::vector<std::int32_t>& w, std::uint32_t outputs,
                       std::uint64_t K, const SmeOptions& opts) {
  const unsigned mag = opts.weight_bits - 1;
  std::vector<std::uint8_t> stored(std::size_t(outputs) * K * 2 * mag, 0);
  std::uint64_t cells = 0, columns = 0, rows = 0;
  for (const SmeCrossbar& X : map.crossbars) {
    ASSERT_FALSE(X.rows.empty());
    ASSERT_FALSE(X.cols.empty());
    ASSERT_LE(X.rows.size(), opts.rows);
    ASSERT_LE(X.cols.size(), opts.cols);
    ASSERT_EQ(X.cells.size(), X.rows.size() * X.cols.size());
    ASSERT_TRUE(std::is_sorted(X.rows.begin(), X.rows.end()));
    ASSERT_TRUE(std::adjacent_find(X.rows.begin(), X.rows.end()) == X.rows.end()) << "duplicate row";
    std::vector<unsigned> row_ones(X.rows.size(), 0), col_ones(X.cols.size(), 0);
    for (std::size_t r = 0; r < X.rows.size(); ++r)
      for (std::size_t c = 0; c < X.cols.size(); ++c) {
        const std::uint8_t v = X.cell(r, c);
        ASSERT_LE(v, 1);
        if (!v) continue;
        ++row_ones[r];
        ++col_ones[c];
        const SpliceColumn& col = X.cols[c];
        ASSERT_LT(col.output, outputs);
        ASSERT_LT(col.bit, mag);
        ++stored[((std::size_t(col.output) * K + X.rows[r]) * 2 + col.negative) * mag + col.bit];
      }
    for (unsigned n : row_ones) ASSERT_GT(n, 0u) << "all-zero row";
    for (unsigned n : col_ones) ASSERT_GT(n, 0u) << "all-zero column";
    cells += X.nonzero();
    columns += X.cols.size();
    rows += X.rows.size();
  }
  std::uint64_t popcount = 0;
  for (std::uint32_t o = 0; o < outputs; ++o)
    for (std::uint64_t k = 0; k < K; ++k) {
      const std::int32_t v = w[o * K + k];
      const std::uint32_t m = static_cast<std::uint32_t>(std::abs(v));
      popcount += ones(m);
      for (unsigned neg = 0; neg < 2; ++neg)
        for (unsigned b = 0; b < mag; ++b) {
          const unsigned want = (neg == (v < 0)) && ((m >> b) & 1);
          ASSERT_EQ(stored[((std::size_t(o) * K + k) * 2 + neg) * mag + b], want)
              << "w[" << o << "][" << k << "] = " << v << " bit " << b << (neg ? " negative" : " positive");
        }
    }
  EXPECT_EQ(map.nonzero_cells, popcount);
  EXPECT_EQ(cells, popcount);
  EXPECT_EQ(map.squeezed_crossbars, map.crossbars.size());
  EXPECT_LE(map.squeezed_crossbars, map.bitplane_crossbars);
  EXPECT_EQ(map.columns, columns);
  EXPECT_EQ(map.driven_rows, rows);
}

// The nearest value with <= budget ones and <= max, ties to the smaller.
std::uint32_t brute_force(std::uint32_t m, unsigned mag_bits, unsigned budget) {
  const std::uint32_t max = (1u << mag_bits) - 1;
  std::uint32_t best = 0;
  for (std::uint32_t c = 0; c <= max; ++c)
    if (ones(c) <= budget && std::abs(std::int64_t(c) - m) < std::abs(std::int64_t(best) - m)) best = c;
  return best;
}

}  // namespace

TEST(SmeMapping, BitSparseValueUnchangedWithinBudget) {
  for (unsigned mag = 1; mag <= 8; ++mag)
    for (std::int32_t v = -((1 << mag) - 1); v < (1 << mag); ++v) EXPECT_EQ(bit_sparse_value(v, mag, mag), v);
}

TEST(SmeMapping, BitSparseValueKnownCases) {
  EXPECT_EQ(bit_sparse_value(3, 7, 1), 2);  // 2 and 4 tie: the smaller
  EXPECT_EQ(bit_sparse_value(6, 7, 1), 4);  // 4 and 8 tie
  EXPECT_EQ(bit_sparse_value(5, 7, 1), 4);
  EXPECT_EQ(bit_sparse_value(127, 7, 1), 64);  // 128 does not fit 7 bits
  EXPECT_EQ(bit_sparse_value(127, 7, 7), 127);
  EXPECT_EQ(bit_sparse_value(96, 7, 1), 64);   // 64 and 128 tie
  EXPECT_EQ(bit_sparse_value(97, 7, 1), 64);   // 128 nearer, but it does not fit
  EXPECT_EQ(bit_sparse_value(7, 7, 2), 6);     // 6 and 8 tie
  EXPECT_EQ(bit_sparse_value(23, 7, 2), 24);   // 10111: 20 below, 24 above
  EXPECT_EQ(bit_sparse_value(0, 7, 1), 0);
  EXPECT_EQ(bit_sparse_value(-3, 7, 1), -2);
  EXPECT_EQ(bit_sparse_value(-127, 7, 1), -64);
  EXPECT_EQ(bit_sparse_value(-23, 7, 2), -24);
  EXPECT_EQ(bit_sparse_value(std::numeric_limits<std::int32_t>::max(), 31, 1), 1 << 30);
  EXPECT_EQ(bit_sparse_value(std::numeric_limits<std::int32_t>::min(), 31, 31),
            -std::numeric_limits<std::int32_t>::max());
  EXPECT_THROW(bit_sparse_value(1, 32, 1), std::invalid_argument);
}

TEST(SmeMapping, BitSparseValueMatchesBruteForce) {
  for (unsigned mag = 1; mag <= 9; ++mag)
    for (unsigned budget = 0; budget <= mag; ++budget)
      for (std::int32_t v = -((1 << mag) - 1); v < (1 << mag); ++v) {
        const std::int32_t q = bit_sparse_value(v, mag, budget);
        const std::int32_t want = std::int32_t(brute_force(std::abs(v), mag, budget));
        ASSERT_EQ(q, v < 0 ? -want : want) << v << " mag " << mag << " budget " << budget;
        ASSERT_LE(ones(std::abs(q)), budget);
      }
  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const std::int32_t v = static_cast<std::int32_t>(rng());
    const unsigned budget = 1 + rng() % 4;
    const std::int32_t q = bit_sparse_value(v, 31, budget);
    ASSERT_LE(ones(std::uint32_t(std::abs(q))), budget);
    ASSERT_TRUE(q == 0 || (q < 0) == (v < 0));
  }
}

TEST(SmeMapping, BitSparseQuantizeCountsChanges) {
  std::vector<std::int32_t> w{0, 1, 3, -3, 6, 127, -128 + 1};
  EXPECT_EQ(bit_sparse_quantize(w, 7, 1), 5u);
  EXPECT_EQ(w, (std::vector<std::int32_t>{0, 1, 2, -2, 4, 64, -64}));
  EXPECT_EQ(bit_sparse_quantize(w, 7, 1), 0u);
}

TEST(SmeMapping, ReconstructsEveryOutput) {
  struct Shape {
    std::uint32_t outputs;
    std::uint64_t K;
    unsigned rows, cols, budget;
  };
  const Shape shapes[] = {
      {40, 100, 32, 16, 2},    // K not a multiple of rows, outputs not of cols
      {20, 10, 32, 16, 2},     // K < rows
      {1, 300, 32, 16, 3},     // one output
      {300, 1000, 128, 128, 2},
      {64, 200, 16, 8, 7},     // no bit sparsity
  };
  std::uint32_t seed = 1;
  for (const Shape& s : shapes)
    for (double threshold : {0.0, 0.25, 1.0}) {
      SCOPED_TRACE(testing::Message() << s.outputs << " x " << s.K << " on " << s.rows << " x " << s.cols
                                      << " budget " << s.budget << " threshold " << threshold);
      SmeOptions opts;
      opts.rows = s.rows;
      opts.cols = s.cols;
      opts.nonzero_bits = s.budget;
      opts.squeeze_threshold = threshold;
      const auto w = random_weights(s.outputs, s.K, 7, s.budget, ++seed);
      const SmeLayerMap map = sme_map_layer(w.data(), s.outputs, s.K, opts, 2);
      expect_invariants(map, w, s.outputs, s.K, opts);
      expect_reconstructs(map, w, s.outputs, s.K, seed);
      if (threshold == 0.0) {
        EXPECT_EQ(map.squeezed_crossbars, map.bitplane_crossbars);
      }
    }
}

TEST(SmeMapping, OtherWeightBits) {
  SmeOptions opts;
  opts.weight_bits = 4;
  opts.nonzero_bits = 1;
  opts.rows = 8;
  opts.cols = 4;
  const auto w = random_weights(13, 37, 3, 1, 99, 3.0);
  const SmeLayerMap map = sme_map_layer(w.data(), 13, 37, opts, 2);
  expect_invariants(map, w, 13, 37, opts);
  expect_reconstructs(map, w, 13, 37, 99);
}

TEST(SmeMapping, BitPlaneCompaction) {
  // One output, weights 0 but for w[0][5] = 3 and w[0][200] = -4: plane
  // (+, bit 0) and (+, bit 1) drive row 5 only, (-, bit 2) row 200.
  std::vector<std::int32_t> w(300, 0);
  w[5] = 3;
  w[200] = -4;
  SmeOptions opts;
  opts.squeeze_threshold = 0;
  SmeLayerMap map = sme_map_layer(w.data(), 1, 300, opts, 2);
  ASSERT_EQ(map.crossbars.size(), 3u);
  EXPECT_EQ(map.crossbars[0].rows, std::vector<std::uint32_t>{5});
  EXPECT_EQ(map.crossbars[0].cols[0], (SpliceColumn{0, 0, 0}));
  EXPECT_EQ(map.crossbars[1].cols[0], (SpliceColumn{0, 1, 0}));
  EXPECT_EQ(map.crossbars[2].rows, std::vector<std::uint32_t>{200});
  EXPECT_EQ(map.crossbars[2].cols[0], (SpliceColumn{0, 2, 1}));
  EXPECT_EQ(map.driven_rows, 3u);
  // Squeeze-out: the two positive pieces share row 5 and go in one crossbar.
  opts.squeeze_threshold = 0.25;
  map = sme_map_layer(w.data(), 1, 300, opts, 2);
  EXPECT_EQ(map.bitplane_crossbars, 3u);
  ASSERT_EQ(map.squeezed_crossbars, 1u);
  EXPECT_EQ(map.crossbars[0].rows, (std::vector<std::uint32_t>{5, 200}));
  EXPECT_EQ(map.crossbars[0].cols.size(), 3u);
  EXPECT_EQ(map.columns, 3u);
  // Pieces of one column from two row groups join in one column.
  w[5] = 1;
  w[200] = 1;
  map = sme_map_layer(w.data(), 1, 300, opts, 2);
  EXPECT_EQ(map.bitplane_crossbars, 2u);
  ASSERT_EQ(map.squeezed_crossbars, 1u);
  EXPECT_EQ(map.crossbars[0].rows, (std::vector<std::uint32_t>{5, 200}));
  EXPECT_EQ(map.crossbars[0].cols, std::vector<SpliceColumn>{(SpliceColumn{0, 0, 0})});
  EXPECT_EQ(map.crossbars[0].cells, (std::vector<std::uint8_t>{1, 1}));
}

TEST(SmeMapping, SqueezeOutSavesCrossbars) {
  for (unsigned budget : {1u, 2u}) {
    SmeOptions opts;
    opts.nonzero_bits = budget;
    const std::uint32_t outputs = 256;
    const std::uint64_t K = 1152;
    const auto w = random_weights(outputs, K, 7, budget, 10 + budget);
    const SmeLayerMap squeezed = sme_map_layer(w.data(), outputs, K, opts, 2);
    EXPECT_LT(squeezed.squeezed_crossbars, squeezed.bitplane_crossbars) << "budget " << budget;
    expect_invariants(squeezed, w, outputs, K, opts);
    expect_reconstructs(squeezed, w, outputs, K, 5);
    opts.squeeze_threshold = 0;
    const SmeLayerMap plain = sme_map_layer(w.data(), outputs, K, opts, 2);
    EXPECT_EQ(plain.squeezed_crossbars, plain.bitplane_crossbars);
    EXPECT_EQ(plain.bitplane_crossbars, squeezed.bitplane_crossbars);
    EXPECT_EQ(plain.nonzero_cells, squeezed.nonzero_cells);
  }
}

TEST(SmeMapping, DenseBaseline) {
  std::vector<std::int32_t> w(300 * 1000, 1);
  SmeOptions opts;  // 8-bit weights, 128 x 128
  // 2-bit cells: 2 x 4 = 8 columns per output, 16 outputs per crossbar.
  SmeLayerMap map = sme_map_layer(w.data(), 300, 1000, opts, 2);
  EXPECT_EQ(map.dense_crossbars, 8u * 19u);
  EXPECT_EQ(map.dense_cells, 1000u * 300u * 8u);
  // 1-bit cells: 16 columns per output, 8 per crossbar.
  map = sme_map_layer(w.data(), 300, 1000, opts, 1);
  EXPECT_EQ(map.dense_crossbars, 8u * 38u);
  // 3-bit cells: 6 columns, 21 whole outputs per crossbar.
  map = sme_map_layer(w.data(), 300, 1000, opts, 3);
  EXPECT_EQ(map.dense_crossbars, 8u * 15u);
  // A crossbar narrower than one output: columns over the width.
  opts.cols = 4;
  map = sme_map_layer(w.data(), 300, 1000, opts, 2);
  EXPECT_EQ(map.dense_crossbars, 8u * 600u);
  // All ones in bit 0: one full column per output per row group.
  EXPECT_EQ(map.nonzero_cells, 300000u);
}

TEST(SmeMapping, RejectsBadOptions) {
  auto message = [](SmeOptions o) -> std::string {
    try {
      check(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  SmeOptions o;
  EXPECT_EQ(message(o), "");
  o.nonzero_bits = 9;
  EXPECT_NE(message(o).find("nonzero_bits 9 exceeds the 7 magnitude bits of 8-bit weights"), std::string::npos);
  o = {};
  o.nonzero_bits = 0;
  EXPECT_NE(message(o).find("nonzero_bits 0"), std::string::npos);
  o = {};
  o.weight_bits = 1;
  EXPECT_NE(message(o).find("weight_bits 1"), std::string::npos);
  o = {};
  o.weight_bits = 33;
  EXPECT_NE(message(o).find("weight_bits 33"), std::string::npos);
  o = {};
  o.rows = 0;
  EXPECT_NE(message(o).find("rows 0"), std::string::npos);
  o = {};
  o.cols = 0;
  EXPECT_NE(message(o).find("cols 0"), std::string::npos);
  o = {};
  o.squeeze_threshold = 1.5;
  EXPECT_NE(message(o).find("squeeze_threshold 1.5 not in [0, 1]"), std::string::npos);
  o.squeeze_threshold = -0.1;
  EXPECT_NE(message(o).find("squeeze_threshold -0.1"), std::string::npos);
  o.squeeze_threshold = std::nan("");
  EXPECT_NE(message(o).find("squeeze_threshold"), std::string::npos);

  // sme_map_layer checks too, and its weights.
  std::vector<std::int32_t> w{1, 2, 128, 3};
  o = {};
  o.rows = 0;
  EXPECT_THROW(sme_map_layer(w.data(), 2, 2, o, 2), std::invalid_argument);
  EXPECT_THROW(sme_map_layer(w.data(), 2, 2, SmeOptions{}, 0), std::invalid_argument);
  try {
    sme_map_layer(w.data(), 2, 2, SmeOptions{}, 2);
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w[1][0] = 128"), std::string::npos) << e.what();
  }
}

TEST(SmeMapping, EmptyLayer) {
  const SmeLayerMap map = sme_map_layer(nullptr, 0, 0, SmeOptions{}, 2);
  EXPECT_TRUE(map.crossbars.empty());
  EXPECT_EQ(map.dense_crossbars, 0u);
  std::vector<std::int32_t> zeros(50 * 70, 0);
  const SmeLayerMap z = sme_map_layer(zeros.data(), 50, 70, SmeOptions{}, 2);
  EXPECT_TRUE(z.crossbars.empty());
  EXPECT_EQ(z.dense_crossbars, 1u * 4u);
}

TEST(SmeMapping, Deterministic) {
  const auto w = random_weights(200, 900, 7, 2, 42);
  const SmeLayerMap a = sme_map_layer(w.data(), 200, 900, SmeOptions{}, 2);
  const SmeLayerMap b = sme_map_layer(w.data(), 200, 900, SmeOptions{}, 2);
  EXPECT_TRUE(a.crossbars == b.crossbars);
  EXPECT_EQ(a.squeezed_crossbars, b.squeezed_crossbars);
}

// The largest ResNet-50 conv (512 x 4608), budget 2: squeeze-out frees
// crossbars and the mapping stays exact in its counts.
TEST(SmeMapping, LargeLayerSqueezes) {
  const std::uint32_t outputs = 512;
  const std::uint64_t K = 4608;
  const auto w = random_weights(outputs, K, 7, 2, 2021);
  const SmeLayerMap map = sme_map_layer(w.data(), outputs, K, SmeOptions{}, 2);
  std::uint64_t ones = 0;
  for (const SmeCrossbar& x : map.crossbars) ones += x.nonzero();
  EXPECT_EQ(ones, map.nonzero_cells);
  EXPECT_LT(map.squeezed_crossbars, map.bitplane_crossbars);
}
