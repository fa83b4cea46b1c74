// SME (Liu et al., "SME: ReRAM-based Sparse-Multiplication-Engine to
// Squeeze-Out Bit Sparsity of Neural Network", ICCD 2021, arXiv 2103.01705):
// the mapping of one Conv/FC layer's integer weights onto crossbars of
// single-level (1-bit) cells. Three steps:
//
// 1. Bit-sparse quantization (bit_sparse_value / bit_sparse_quantize): every
//    weight magnitude keeps at most `nonzero_bits` ones in binary (the
//    nearest such value), so most high bit-planes are nearly empty.
//
// 2. Bit-plane mapping with compaction: for each sign (positive weights,
//    negative weights: separate columns) and each magnitude bit b (0 = least
//    significant) the 0/1 plane of K weight rows x outputs. The weight rows
//    are cut into row groups of `rows` consecutive rows; for each (sign, bit,
//    row group) the outputs with any 1 in the group, in output order, are
//    packed `cols` per crossbar (column compaction), and each crossbar drives
//    only the weight rows with a 1 in one of its columns (row compaction).
//    Crossbar order: sign, bit, row group, column chunk. The splice unit
//    digitises each column, shifts it by its bit, negates the negative ones
//    and adds it into its output:
//      y[o] = sum over crossbars X, columns c of X with output o of
//             (negative ? -1 : 1) 2^bit sum_r X.cells[r][c] x[X.rows[r]].
//
// 3. Squeeze-out (our rule; the paper does not give its own). A bit-plane
//    crossbar is sparse when its ones are fewer than squeeze_threshold x
//    rows x cols (the geometry, not its used rows). Dense ones stay as they
//    are. Sparse ones are dissolved into column pieces (output, bit, sign,
//    the rows where that column has ones) and repacked in two stages:
//    a. per row group, its pieces in decreasing order of ones (ties: output,
//       bit, sign), `cols` per group crossbar: columns of different planes
//       and column chunks share the group's rows, so they always fit;
//    b. the group crossbars, most driven rows first (ties: stage-a order),
//       first-fit into the final crossbars. One fits a crossbar when the
//       union of their rows has at most `rows` rows and the union of their
//       columns at most `cols`: a piece whose column (output, bit, sign) the
//       crossbar already holds joins it, since pieces of one column come from
//       different row groups, so their rows are disjoint and their partial
//       sums just add. Heuristic: a group crossbar tries only the
//       kRepackWindow (32) most recently opened final crossbars that still
//       have a free row and column, else it opens a new one.
//    Stage a needs no more crossbars per row group than it dissolved there
//    and stage b only merges, so squeeze-out never adds crossbars. Cost:
//    O(P log P) to sort P pieces, O(ones) for stage a, O(G x window x
//    (rows + cols)) for G group crossbars in stage b. (A first-fit over
//    single pieces in decreasing order of ones mixes row groups early and
//    fills crossbars' rows with few columns: it packs worse than the
//    bit-plane mapping on weights with ~10% dense planes.) Final order: the
//    kept bit-plane crossbars in their order, then the repacked ones in the
//    order they were opened; every crossbar's rows ascending.
//
// Deterministic: no randomness, no hash-order iteration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/splice/splice_tables.hpp"

namespace imcvp::compiler {

struct SmeOptions {
  unsigned weight_bits = 8;         // signed weights: sign + weight_bits-1 magnitude bits (2..32)
  unsigned nonzero_bits = 2;        // budget: nonzero bits per weight magnitude (1..weight_bits-1)
  unsigned rows = 128, cols = 128;  // crossbar geometry (1-bit cells)
  // A bit-plane crossbar whose ones fill less than this fraction of its
  // rows x cols is dissolved and repacked (0: no squeeze-out).
  double squeeze_threshold = 0.25;
};

// Throws std::invalid_argument with a message naming the field (e.g.
// "nonzero_bits 9 exceeds the 7 magnitude bits of 8-bit weights", "rows 0",
// "squeeze_threshold 1.5 not in [0, 1]").
void check(const SmeOptions& opts);

// The value nearest to w whose magnitude has at most `budget` ones in binary
// and fits mag_bits bits (<= 2^mag_bits - 1); ties go to the smaller
// magnitude; the sign is kept (0 stays 0). mag_bits <= 31, else
// std::invalid_argument.
std::int32_t bit_sparse_value(std::int32_t w, unsigned mag_bits, unsigned budget);
// bit_sparse_value on a whole weight matrix, in place; returns how many
// weights changed.
std::uint64_t bit_sparse_quantize(std::vector<std::int32_t>& w, unsigned mag_bits, unsigned budget);

// One column of an SME crossbar: the splice unit's column index table entry
// (models/splice/splice_tables.hpp): the output it adds into, the magnitude
// bit it weighs (2^bit) and its sign.
using imcvp::SpliceColumn;

// One crossbar of 1-bit cells. Word line r is driven by input x[rows[r]]
// (rows.size() <= opts.rows, ascending, no duplicates); bit line c is
// cols[c] (cols.size() <= opts.cols); cells is rows.size() x cols.size(),
// row-major, each 0 or 1. No row or column is all zero.
struct SmeCrossbar {
  std::vector<std::uint32_t> rows;
  std::vector<SpliceColumn> cols;
  std::vector<std::uint8_t> cells;
  std::uint8_t cell(std::size_t r, std::size_t c) const { return cells[r * cols.size() + c]; }
  std::uint64_t nonzero() const;  // ones stored
};
bool operator==(const SmeCrossbar& a, const SmeCrossbar& b);
inline bool operator!=(const SmeCrossbar& a, const SmeCrossbar& b) { return !(a == b); }

struct SmeLayerMap {
  std::vector<SmeCrossbar> crossbars;  // the final mapping (bit-plane, then squeeze-out when threshold > 0)
  // Figures for the report and the comparison table.
  // dense_crossbars: imcvp's dense bit-sliced mapping of the same weights,
  // cols_per_output = 2 ceil(weight_bits / dense_cell_bits) columns per output
  // (a differential pair of slices), whole outputs per crossbar:
  //   ceil(K / rows) x ceil(outputs / floor(cols / cols_per_output))
  // (ceil(K / rows) x ceil(outputs x cols_per_output / cols) when one output
  // is wider than a crossbar).
  std::uint64_t dense_crossbars = 0;
  std::uint64_t bitplane_crossbars = 0;  // after bit-plane mapping with compaction, before squeeze-out
  std::uint64_t squeezed_crossbars = 0;  // after squeeze-out (= crossbars.size())
  std::uint64_t nonzero_cells = 0;       // ones stored (the same in both SME mappings)
  std::uint64_t dense_cells = 0;         // cells the dense mapping uses: K x outputs x cols_per_output
  std::uint64_t columns = 0;             // columns of the final mapping (each one ADC conversion per read step)
  std::uint64_t driven_rows = 0;         // sum over the final crossbars of rows.size()
};

// Maps one layer: w[o * K + k], o < outputs, k < K (K = weight rows: input
// channel x kernel_h x kernel_w, or an FC layer's inputs), |w| <=
// 2^(weight_bits-1) - 1 (usually bit_sparse_quantize'd first; any weights
// map, only with more ones). dense_cell_bits: the cell bits of the dense
// baseline (2 in imcvp's default device). Throws std::invalid_argument on
// bad options, dense_cell_bits 0 or a weight out of range.
SmeLayerMap sme_map_layer(const std::int32_t* w, std::uint32_t outputs, std::uint64_t K, const SmeOptions& opts,
                          unsigned dense_cell_bits);

}  // namespace imcvp::compiler
