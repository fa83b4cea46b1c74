#include "models/crossbar/crossbar_layout.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "imcvp/accel.h"

namespace imcvp {

namespace {
unsigned ceil_div(std::uint64_t a, std::uint64_t b) { return unsigned((a + b - 1) / b); }
}  // namespace

WeightFormat weight_format(const CrossbarParams& p) { return {p.weight_bits, p.cell_bits, p.signed_mode}; }

CrossbarParams with_format(const CrossbarParams& p, const WeightFormat& f) {
  CrossbarParams q = p;
  q.weight_bits = f.weight_bits;
  q.cell_bits = f.cell_bits;
  q.signed_mode = f.signed_mode;
  return q;
}

CrossbarLayout crossbar_layout(const CrossbarParams& p, const WeightFormat& f, unsigned groups, std::uint64_t kg,
                               unsigned ng) {
  CrossbarLayout l;
  l.rows = p.rows;
  l.cols = p.cols;
  l.format = f;
  l.groups = groups > 1 ? groups : 1u;
  l.kg = kg;
  l.ng = ng;
  const unsigned per = f.cols_per_output();
  l.outputs_per_xbar = per ? p.cols / per : 0;
  if (p.rows == 0 || l.outputs_per_xbar == 0)
    throw std::invalid_argument("a crossbar of " + std::to_string(p.rows) + " x " + std::to_string(p.cols) +
                                " cells holds no " + std::to_string(f.weight_bits) + "-bit output");
  l.pack = imcvp_group_pack(l.groups, unsigned(std::min<std::uint64_t>(kg, 0xFFFFFFFFu)), ng, p.rows,
                            l.outputs_per_xbar);
  l.packs = ceil_div(l.groups, l.pack);
  l.row_groups = ceil_div(kg * l.pack, p.rows);
  l.col_groups = ceil_div(std::uint64_t(ng) * l.pack, l.outputs_per_xbar);
  return l;
}

unsigned CrossbarLayout::pack_groups(unsigned pk) const { return std::min(pack, groups - pk * pack); }

unsigned CrossbarLayout::rows_in(unsigned pk, unsigned rg) const {
  const std::uint64_t k = pack_rows(pk), r0 = std::uint64_t(rg) * rows;
  return r0 >= k ? 0u : unsigned(std::min<std::uint64_t>(rows, k - r0));
}

unsigned CrossbarLayout::outputs_in(unsigned pk, unsigned cg) const {
  const unsigned n = pack_outputs(pk), o0 = cg * outputs_per_xbar;
  return o0 >= n ? 0u : std::min(outputs_per_xbar, n - o0);
}

CellPlace CrossbarLayout::place(unsigned o, std::uint64_t k) const {
  const unsigned g = o / ng, pk = g / pack, j = g % pack;
  const std::uint64_t kr = std::uint64_t(j) * kg + k;  // row of the pack
  const unsigned jj = j * ng + o % ng;                 // output of the pack
  return {index(pk, unsigned(kr / rows), jj / outputs_per_xbar), unsigned(kr % rows), jj % outputs_per_xbar};
}

std::vector<std::int32_t> CrossbarLayout::crossbar_weights(const std::int32_t* w, unsigned pk, unsigned rg,
                                                           unsigned cg) const {
  const unsigned nr = rows_in(pk, rg), no = outputs_in(pk, cg);
  std::vector<std::int32_t> sub(std::size_t(nr) * no, 0);
  const unsigned o_pack = first_group(pk) * ng;  // the pack's first output of the layer
  for (unsigned r = 0; r < nr; ++r) {
    const std::uint64_t kr = std::uint64_t(rg) * rows + r;  // row of the pack
    for (unsigned j = 0; j < no; ++j) {
      const unsigned jj = cg * outputs_per_xbar + j;  // output of the pack
      if (kr / kg != jj / ng) continue;               // off the block diagonal (a dense pack has one block)
      sub[std::size_t(r) * no + j] = w[std::size_t(o_pack + jj) * kg + kr % kg];
    }
  }
  return sub;
}

unsigned basis_copies(unsigned rows, unsigned outputs_per_xbar, unsigned length, unsigned count) {
  return length && count ? std::min(rows / length, outputs_per_xbar / count) : 0u;
}

CrossbarLayout basis_layout(const CrossbarLayout& layer, unsigned length, unsigned count, unsigned copies) {
  CrossbarLayout b = layer;
  b.rows = copies * length;
  // one pack of every group; a grouped layer's groups each padded to whole segments
  b.pack = b.groups;
  b.packs = 1;
  if (b.groups > 1 && length) b.kg = (layer.kg + length - 1) / length * length;
  b.ng = b.outputs_per_xbar = copies * count;
  b.row_groups = b.rows ? ceil_div(b.kg * b.groups, b.rows) : 0;
  b.col_groups = 1;
  return b;
}

CrossbarLayout gathered_layout(const CrossbarLayout& layer, unsigned rows, unsigned cols, unsigned cell_bits,
                               unsigned reads) {
  CrossbarLayout g = layer;
  g.format = {1, cell_bits, SignedMode::Unsigned};
  g.rows = rows;
  g.cols = cols;
  g.pack = g.groups;
  g.packs = 1;
  g.ng = g.outputs_per_xbar = cols;
  // enough weight rows that every read has its row group (the word lines
  // themselves come from the gather, not from these rows)
  g.kg = g.groups ? ceil_div(std::uint64_t(reads) * rows, g.groups) : 0;
  g.row_groups = reads;
  g.col_groups = 1;
  return g;
}

std::vector<std::int32_t> basis_crossbar_weights(const std::int32_t* basis, unsigned length, unsigned count,
                                                 unsigned copies) {
  const std::size_t cols = std::size_t(copies) * count;
  std::vector<std::int32_t> w(std::size_t(copies) * length * cols, 0);
  for (unsigned b = 0; b < copies; ++b)
    for (unsigned r = 0; r < length; ++r)
      for (unsigned j = 0; j < count; ++j)
        w[(std::size_t(b) * length + r) * cols + std::size_t(b) * count + j] = basis[std::size_t(r) * count + j];
  return w;
}

void combine_output_columns(const WeightFormat& f, const int64_t* col, unsigned outputs, int64_t input_sum,
                            int64_t* y) {
  const unsigned S = f.slices(), cb = f.cell_bits, per = f.cols_per_output();
  const bool differential = f.signed_mode == SignedMode::Differential;
  const int64_t bias = f.signed_mode == SignedMode::Offset ? (int64_t(1) << (f.weight_bits - 1)) * input_sum : 0;
  for (unsigned j = 0; j < outputs; ++j) {
    const int64_t* c = col + size_t(j) * per;
    int64_t v = 0;
    for (unsigned s = 0; s < S; ++s) {
      v += c[s] * (int64_t(1) << (s * cb));
      if (differential) v -= c[S + s] * (int64_t(1) << (s * cb));
    }
    y[j] += v - bias;
  }
}

}  // namespace imcvp
