// CrossbarLayout: the one definition of where a Conv/FC layer's weights land
// on crossbars (which crossbar, row, column and weight slice each weight
// takes). Placement counts crossbars with it, the program image maps levels
// with it, the tile reads crossbars and the shift-add combines columns by it.
// Plain C++ (no SystemC): the compiler and the models both link it.
//
// A layer of `groups` groups has, per group, kg weight rows (in_c/groups x
// kernel_h x kernel_w; FC: the input size) and ng outputs. `pack`
// consecutive groups share one set of crossbars as a block-diagonal matrix
// (imcvp_group_pack() in imcvp/accel.h; a dense layer is one pack of one
// group). A pack's matrix of pack x kg rows and pack x ng outputs is cut into
// row_groups x col_groups crossbars of `rows` rows and outputs_per_xbar
// outputs. Crossbar (pack pk, row group rg, column group cg) is the layer's
// crossbar number index(pk, rg, cg) = (pk x row_groups + rg) x col_groups + cg:
// desc.xbar + that number, or entry number of the IMCVP_EXT_XBAR_LIST record.
// In a crossbar, output j uses columns [j x cols_per_output, + cols_per_output):
// slice s (bits [s cell_bits, (s+1) cell_bits), s = 0 least significant) of
// the weight (offset form: of w + 2^(weight_bits-1)) in column
// j x cols_per_output + s; differential form: the positive part there and the
// negative part's slice s in column j x cols_per_output + slices + s.
#pragma once
#include <cstdint>
#include <vector>

#include "models/crossbar/crossbar_params.hpp"

namespace imcvp {

// How weights sit in the cells: the crossbars' own (weight_format(params)) or
// a layer's own (IMCVP_EXT_WEIGHT_FORMAT, mixed precision).
struct WeightFormat {
  unsigned weight_bits = 8;
  unsigned cell_bits = 2;
  SignedMode signed_mode = SignedMode::Differential;
  unsigned slices() const { return (weight_bits + cell_bits - 1) / cell_bits; }
  unsigned cols_per_output() const {
    return signed_mode == SignedMode::Differential ? 2 * slices() : slices();
  }
  bool operator==(const WeightFormat& o) const {
    return weight_bits == o.weight_bits && cell_bits == o.cell_bits && signed_mode == o.signed_mode;
  }
  bool operator!=(const WeightFormat& o) const { return !(*this == o); }
};
WeightFormat weight_format(const CrossbarParams& p);
// `p` holding weights in format `f` (same geometry and device; weight_bits,
// cell_bits and signed_mode from f): what map_weights and ShiftAdd take.
CrossbarParams with_format(const CrossbarParams& p, const WeightFormat& f);

// One cell position of a weight.
struct CellPlace {
  unsigned xbar;    // the layer's crossbar number (index())
  unsigned row;     // word line in that crossbar
  unsigned output;  // output column group in that crossbar (columns output x cols_per_output ...)
};

struct CrossbarLayout {
  // what it was made from
  unsigned rows = 0, cols = 0;  // crossbar geometry
  WeightFormat format;
  unsigned groups = 1;   // 1: dense
  std::uint64_t kg = 0;  // weight rows of one group
  unsigned ng = 0;       // outputs of one group
  // derived
  unsigned outputs_per_xbar = 0;  // cols / cols_per_output
  unsigned pack = 1;              // groups sharing one set of crossbars
  unsigned packs = 1;             // ceil(groups / pack)
  unsigned row_groups = 0;        // crossbars down one pack's weight rows
  unsigned col_groups = 0;        // crossbars across one pack's outputs

  unsigned crossbars() const { return packs * row_groups * col_groups; }
  unsigned index(unsigned pk, unsigned rg, unsigned cg) const { return (pk * row_groups + rg) * col_groups + cg; }
  // Groups [first_group(pk), + pack_groups(pk)) are in pack pk.
  unsigned first_group(unsigned pk) const { return pk * pack; }
  unsigned pack_groups(unsigned pk) const;
  std::uint64_t pack_rows(unsigned pk) const { return kg * pack_groups(pk); }  // weight rows of pack pk
  unsigned pack_outputs(unsigned pk) const { return ng * pack_groups(pk); }     // outputs of pack pk
  // Rows used in crossbar (pk, rg) and outputs used in (pk, cg); 0 for a
  // crossbar of a short last pack that holds nothing.
  unsigned rows_in(unsigned pk, unsigned rg) const;
  unsigned outputs_in(unsigned pk, unsigned cg) const;
  // Where weight row k (0..kg-1, of its group) of output o (0..groups x ng - 1) lands.
  CellPlace place(unsigned o, std::uint64_t k) const;
  // The signed weights crossbar (pk, rg, cg) holds, rows_in x outputs_in,
  // row-major, zero off a grouped pack's block diagonal, taken from the
  // layer's weights w[o x kg + k] (o over all groups x ng outputs).
  std::vector<std::int32_t> crossbar_weights(const std::int32_t* w, unsigned pk, unsigned rg, unsigned cg) const;
  // Cells holding weights: groups x kg x ng x cols_per_output.
  std::uint64_t cells_used() const { return std::uint64_t(groups) * kg * ng * format.cols_per_output(); }
};

// BasisN (imcvp/accel.h IMCVP_EXT_BASIS): a crossbar holding the global
// basis, `copies` copies of the length x count basis matrix down its
// diagonal, and the reads of a layer of kg weight rows on such crossbars.
// Copies that fit a crossbar of `rows` rows and `outputs_per_xbar` outputs
// (0: not even one).
unsigned basis_copies(unsigned rows, unsigned outputs_per_xbar, unsigned length, unsigned count);
// The geometry of the layer's reads: one pack of all its groups, each
// group's kg weight rows padded to whole segments of `length` when there
// are several (kg = segments x length; the pack's rows are the segments of
// group 0, then group 1 ...), row groups of copies x length rows (read n
// drives segments [n copies, (n+1) copies) of that sequence), one column
// group of copies x count outputs (the basis outputs; ng is that too),
// index(0, n, 0) = n. `layer` gives the format, crossbar size and groups.
CrossbarLayout basis_layout(const CrossbarLayout& layer, unsigned length, unsigned count, unsigned copies);
// The signed weights of a basis crossbar, (copies x length) x (copies x
// count), row-major, from B (length x count, row-major): what map_weights
// takes.
std::vector<std::int32_t> basis_crossbar_weights(const std::int32_t* basis, unsigned length, unsigned count,
                                                 unsigned copies);

// SME (imcvp/accel.h IMCVP_EXT_SPLICE): the reads of a layer on bit-plane
// crossbars whose word lines a map stage gathers (LayerContext::gather): one
// pack of all groups, `reads` row groups of `rows` word lines, one column
// group of the crossbar's `cols` columns, each its own output of one bit in
// unsigned form (cells 0 or 1 on `cell_bits`-bit cells); index(0, n, 0) = n.
CrossbarLayout gathered_layout(const CrossbarLayout& layer, unsigned rows, unsigned cols, unsigned cell_bits,
                               unsigned reads);

// The digital combination of one crossbar read's columns into its outputs
// (ShiftAdd's arithmetic; combine_columns() uses it too): for j < outputs,
//   differential: y[j] += sum_s 2^(s cell_bits) (col[j per + s] - col[j per + S + s])
//   offset:       y[j] += sum_s 2^(s cell_bits) col[j per + s] - 2^(weight_bits-1) input_sum
//   unsigned:     y[j] += sum_s 2^(s cell_bits) col[j per + s]
// with per = cols_per_output, S = slices.
void combine_output_columns(const WeightFormat& f, const int64_t* col, unsigned outputs, int64_t input_sum,
                            int64_t* y);

// The layout of a layer of `groups` groups (0 or 1: dense) with kg weight rows
// and ng outputs per group on crossbars of `p`'s geometry holding weights in
// format `f`. Throws std::invalid_argument when a crossbar holds no output.
CrossbarLayout crossbar_layout(const CrossbarParams& p, const WeightFormat& f, unsigned groups, std::uint64_t kg,
                               unsigned ng);
inline CrossbarLayout crossbar_layout(const CrossbarParams& p, unsigned groups, std::uint64_t kg, unsigned ng) {
  return crossbar_layout(p, weight_format(p), groups, kg, ng);
}

}  // namespace imcvp
