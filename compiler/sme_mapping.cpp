#include "compiler/sme_mapping.hpp"

#include <algorithm>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace imcvp::compiler {

namespace {

// Squeeze-out, stage b: how many of the most recently opened crossbars that
// still have room a group crossbar tries (sme_mapping.hpp, step 3).
constexpr std::size_t kRepackWindow = 32;
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

unsigned ones(std::uint64_t v) { return static_cast<unsigned>(__builtin_popcountll(v)); }

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("SME: " + what); }

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// A run of weight rows (ones of one column), in a row pool.
struct Span {
  std::uint32_t col;    // column of the crossbar being built
  std::uint32_t begin;  // in the pool
  std::uint32_t count;
};

// A crossbar from its columns and their ones: drives the union of the
// spans' rows, ascending. pos: scratch, K entries of kNone (left so).
SmeCrossbar make_crossbar(std::vector<SpliceColumn> cols, const std::vector<Span>& spans,
                          const std::vector<std::uint32_t>& pool, std::vector<std::uint32_t>& pos) {
  SmeCrossbar x;
  for (const Span& s : spans)
    for (std::uint32_t i = 0; i < s.count; ++i) {
      std::uint32_t r = pool[s.begin + i];
      if (pos[r] == kNone) {
        pos[r] = 0;
        x.rows.push_back(r);
      }
    }
  std::sort(x.rows.begin(), x.rows.end());
  for (std::size_t i = 0; i < x.rows.size(); ++i) pos[x.rows[i]] = static_cast<std::uint32_t>(i);
  x.cols = std::move(cols);
  x.cells.assign(x.rows.size() * x.cols.size(), 0);
  for (const Span& s : spans)
    for (std::uint32_t i = 0; i < s.count; ++i) x.cells[pos[pool[s.begin + i]] * x.cols.size() + s.col] = 1;
  for (std::uint32_t r : x.rows) pos[r] = kNone;
  return x;
}

// Squeeze-out: a column of a dissolved crossbar.
struct Piece {
  SpliceColumn col;
  std::uint32_t group;  // its row group
  std::size_t key;      // the layer's column: output x planes + plane
  std::uint32_t begin;  // its rows in the pool, ascending
  std::uint32_t count;
};

// Squeeze-out, stage a: up to `cols` pieces of one row group.
struct GroupCrossbar {
  std::uint32_t first, end;         // pieces [first, end)
  std::vector<std::uint32_t> rows;  // their union
};

// Squeeze-out, stage b: a final crossbar being filled.
struct Bin {
  std::vector<std::uint64_t> rowset;  // driven weight rows, a bitset over K
  std::uint32_t nrows = 0;
  std::vector<SpliceColumn> cols;
  std::vector<Span> spans;
};

}  // namespace

void check(const SmeOptions& o) {
  std::ostringstream m;
  if (o.weight_bits < 2 || o.weight_bits > 32)
    m << "weight_bits " << o.weight_bits << " not in [2, 32]";
  else if (o.nonzero_bits == 0)
    m << "nonzero_bits 0 (at least one nonzero bit per weight)";
  else if (o.nonzero_bits > o.weight_bits - 1)
    m << "nonzero_bits " << o.nonzero_bits << " exceeds the " << o.weight_bits - 1 << " magnitude bits of "
      << o.weight_bits << "-bit weights";
  else if (o.rows == 0)
    m << "rows 0";
  else if (o.cols == 0)
    m << "cols 0";
  else if (!(o.squeeze_threshold >= 0.0 && o.squeeze_threshold <= 1.0))
    m << "squeeze_threshold " << o.squeeze_threshold << " not in [0, 1]";
  else
    return;
  fail(m.str());
}

std::int32_t bit_sparse_value(std::int32_t w, unsigned mag_bits, unsigned budget) {
  if (mag_bits > 31) fail("mag_bits " + std::to_string(mag_bits) + " exceeds 31");
  const std::uint64_t max = (std::uint64_t(1) << mag_bits) - 1;
  const std::uint64_t m = std::min<std::uint64_t>(w < 0 ? std::uint64_t(-std::int64_t(w)) : std::uint64_t(w), max);
  std::uint64_t r = m;
  if (ones(m) > budget) {
    // Below: the top `budget` ones of m.
    std::uint64_t down = 0, rest = m;
    for (unsigned i = 0; i < budget; ++i) {
      std::uint64_t top = std::uint64_t(1) << (63 - __builtin_clzll(rest));
      down |= top;
      rest ^= top;
    }
    // Above: m's ones above the lowest zero bit p that leaves room for one
    // more, plus 2^p (the smallest such p gives the smallest value > m).
    std::uint64_t up = 0;
    for (unsigned p = 0; p < mag_bits; ++p)
      if (!((m >> p) & 1) && ones(m >> (p + 1)) + 1 <= budget) {
        up = ((m >> (p + 1)) << (p + 1)) | (std::uint64_t(1) << p);
        break;
      }
    r = up && up - m < m - down ? up : down;
  }
  return w < 0 ? -std::int32_t(r) : std::int32_t(r);
}

std::uint64_t bit_sparse_quantize(std::vector<std::int32_t>& w, unsigned mag_bits, unsigned budget) {
  std::uint64_t changed = 0;
  for (std::int32_t& v : w) {
    std::int32_t q = bit_sparse_value(v, mag_bits, budget);
    changed += q != v;
    v = q;
  }
  return changed;
}

bool operator==(const SmeCrossbar& a, const SmeCrossbar& b) {
  return a.rows == b.rows && a.cols == b.cols && a.cells == b.cells;
}

std::uint64_t SmeCrossbar::nonzero() const {
  std::uint64_t n = 0;
  for (std::uint8_t c : cells) n += c != 0;
  return n;
}

SmeLayerMap sme_map_layer(const std::int32_t* w, std::uint32_t outputs, std::uint64_t K, const SmeOptions& opts,
                          unsigned dense_cell_bits) {
  check(opts);
  if (dense_cell_bits == 0) fail("dense_cell_bits 0");
  if (K > kNone) fail("K " + std::to_string(K) + " exceeds 2^32 - 1 weight rows");
  const unsigned R = opts.rows, C = opts.cols;
  const unsigned mag = opts.weight_bits - 1;
  const unsigned planes = 2 * mag;  // plane = negative x mag + bit
  const std::uint64_t max_mag = (std::uint64_t(1) << mag) - 1;

  SmeLayerMap map;
  // The dense baseline: differential pairs of dense_cell_bits-bit slices.
  const std::uint64_t cpo = 2 * ceil_div(opts.weight_bits, dense_cell_bits);
  const std::uint64_t per_xbar = C / cpo;
  if (K && outputs)
    map.dense_crossbars =
        ceil_div(K, R) * (per_xbar ? ceil_div(outputs, per_xbar) : ceil_div(std::uint64_t(outputs) * cpo, C));
  map.dense_cells = K * outputs * cpo;

  // Step 2: bit-plane crossbars, per (plane, row group), in output order.
  std::vector<std::vector<SmeCrossbar>> by_plane(planes);
  std::vector<std::vector<std::uint32_t>> ones_at(planes), start(planes);  // per plane: rows of each output's ones
  std::vector<std::uint32_t> pos(K, kNone);
  std::vector<SpliceColumn> cols;
  std::vector<Span> spans;
  for (std::uint64_t k0 = 0; k0 < K; k0 += R) {
    const std::uint64_t k1 = std::min<std::uint64_t>(K, k0 + R);
    for (unsigned p = 0; p < planes; ++p) {
      ones_at[p].clear();
      start[p].assign(1, 0);
    }
    for (std::uint32_t o = 0; o < outputs; ++o) {
      const std::int32_t* wo = w + std::uint64_t(o) * K;
      for (std::uint64_t k = k0; k < k1; ++k) {
        const std::int32_t v = wo[k];
        std::uint64_t m = v < 0 ? std::uint64_t(-std::int64_t(v)) : std::uint64_t(v);
        if (m > max_mag) {
          std::ostringstream e;
          e << "weight w[" << o << "][" << k << "] = " << v << " exceeds the " << mag << " magnitude bits of "
            << opts.weight_bits << "-bit weights";
          fail(e.str());
        }
        const unsigned base = v < 0 ? mag : 0;
        for (; m; m &= m - 1) ones_at[base + __builtin_ctzll(m)].push_back(static_cast<std::uint32_t>(k));
      }
      for (unsigned p = 0; p < planes; ++p) start[p].push_back(static_cast<std::uint32_t>(ones_at[p].size()));
    }
    for (unsigned p = 0; p < planes; ++p) {
      const std::uint8_t negative = p >= mag, bit = static_cast<std::uint8_t>(p % mag);
      auto flush = [&] {
        if (cols.empty()) return;
        by_plane[p].push_back(make_crossbar(std::move(cols), spans, ones_at[p], pos));
        cols.clear();
        spans.clear();
      };
      for (std::uint32_t o = 0; o < outputs; ++o) {
        const std::uint32_t n = start[p][o + 1] - start[p][o];
        if (!n) continue;
        spans.push_back({static_cast<std::uint32_t>(cols.size()), start[p][o], n});
        cols.push_back({o, bit, negative});
        if (cols.size() == C) flush();
      }
      flush();
    }
  }
  std::vector<SmeCrossbar> bitplane;
  for (auto& v : by_plane)
    for (auto& x : v) bitplane.push_back(std::move(x));
  map.bitplane_crossbars = bitplane.size();

  // Step 3: dissolve the sparse crossbars into column pieces.
  const double sparse_below = opts.squeeze_threshold * R * C;
  std::vector<std::uint8_t> sparse(bitplane.size(), 0);
  std::vector<Piece> pieces;
  std::vector<std::uint32_t> pool;
  for (std::size_t i = 0; i < bitplane.size(); ++i) {
    const SmeCrossbar& x = bitplane[i];
    const std::uint64_t nz = x.nonzero();
    map.nonzero_cells += nz;
    if (!(opts.squeeze_threshold > 0 && double(nz) < sparse_below)) continue;
    sparse[i] = 1;
    for (std::size_t c = 0; c < x.cols.size(); ++c) {
      const SpliceColumn& col = x.cols[c];
      Piece p{col, x.rows[0] / R, std::size_t(col.output) * planes + col.negative * mag + col.bit,
              static_cast<std::uint32_t>(pool.size()), 0};
      for (std::size_t r = 0; r < x.rows.size(); ++r)
        if (x.cell(r, c)) pool.push_back(x.rows[r]);
      p.count = static_cast<std::uint32_t>(pool.size()) - p.begin;
      pieces.push_back(p);
    }
  }
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.count != b.count) return a.count > b.count;
    if (a.col.output != b.col.output) return a.col.output < b.col.output;
    if (a.col.bit != b.col.bit) return a.col.bit < b.col.bit;
    return a.col.negative < b.col.negative;
  });

  // Stage a: each row group's pieces, `cols` per group crossbar.
  std::vector<GroupCrossbar> gxs;
  for (std::uint32_t i = 0; i < pieces.size(); ++i)
    if (gxs.empty() || pieces[i].group != pieces[gxs.back().first].group || i - gxs.back().first == C)
      gxs.push_back({i, i + 1, {}});
    else
      gxs.back().end = i + 1;
  for (GroupCrossbar& g : gxs) {
    for (std::uint32_t i = g.first; i < g.end; ++i)
      for (std::uint32_t j = 0; j < pieces[i].count; ++j) {
        const std::uint32_t r = pool[pieces[i].begin + j];
        if (pos[r] == kNone) {
          pos[r] = 0;
          g.rows.push_back(r);
        }
      }
    for (std::uint32_t r : g.rows) pos[r] = kNone;
  }

  // Stage b: group crossbars, most rows first, first-fit into the window.
  std::vector<std::uint32_t> order(gxs.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return gxs[a].rows.size() > gxs[b].rows.size(); });
  const std::size_t words = (K + 63) / 64;
  std::vector<Bin> bins;
  std::vector<std::uint32_t> open;  // bins that can still take rows and columns, ascending
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> holders(
      pieces.empty() ? 0 : std::size_t(outputs) * planes);  // key -> (bin, column)
  auto column_in = [&](std::size_t key, std::uint32_t bin) {
    for (auto [b, c] : holders[key])
      if (b == bin) return c;
    return kNone;
  };
  auto fits = [&](const GroupCrossbar& g, std::uint32_t bin) {
    const Bin& b = bins[bin];
    std::uint32_t n = b.nrows;
    for (std::uint32_t r : g.rows)
      if (!((b.rowset[r >> 6] >> (r & 63)) & 1) && ++n > R) return false;
    std::size_t c = b.cols.size();
    for (std::uint32_t i = g.first; i < g.end; ++i)
      if (column_in(pieces[i].key, bin) == kNone && ++c > C) return false;
    return true;
  };
  for (std::uint32_t gi : order) {
    const GroupCrossbar& g = gxs[gi];
    std::uint32_t best = kNone;
    for (std::size_t i = open.size() > kRepackWindow ? open.size() - kRepackWindow : 0; i < open.size(); ++i)
      if (fits(g, open[i])) {
        best = open[i];
        break;
      }
    if (best == kNone) {
      best = static_cast<std::uint32_t>(bins.size());
      bins.emplace_back().rowset.assign(words, 0);
      open.push_back(best);
    }
    Bin& b = bins[best];
    for (std::uint32_t i = g.first; i < g.end; ++i) {
      const Piece& p = pieces[i];
      std::uint32_t col = column_in(p.key, best);
      if (col == kNone) {  // else it joins its column: its rows are another group's
        col = static_cast<std::uint32_t>(b.cols.size());
        b.cols.push_back(p.col);
        holders[p.key].push_back({best, col});
      }
      b.spans.push_back({col, p.begin, p.count});
    }
    for (std::uint32_t r : g.rows) {
      std::uint64_t& word = b.rowset[r >> 6];
      if (!((word >> (r & 63)) & 1)) {
        word |= std::uint64_t(1) << (r & 63);
        ++b.nrows;
      }
    }
    if (b.cols.size() == C || b.nrows == R) open.erase(std::lower_bound(open.begin(), open.end(), best));
  }

  // The dense bit-plane crossbars, then the repacked ones.
  for (std::size_t i = 0; i < bitplane.size(); ++i)
    if (!sparse[i]) map.crossbars.push_back(std::move(bitplane[i]));
  for (Bin& b : bins) map.crossbars.push_back(make_crossbar(std::move(b.cols), b.spans, pool, pos));
  map.squeezed_crossbars = map.crossbars.size();
  for (const SmeCrossbar& x : map.crossbars) {
    map.columns += x.cols.size();
    map.driven_rows += x.rows.size();
  }
  return map;
}

}  // namespace imcvp::compiler
