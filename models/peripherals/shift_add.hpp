// ShiftAdd: the tile's digital unit after the crossbar's ADCs. The macro has
// already shift-added the input bits (CrossbarArray::mvm returns one partial
// sum per column); ShiftAdd combines the weight slices of each output, which
// sit in adjacent columns (slice 0, least significant, leftmost), and the
// signs (differential column pairs, or the offset form's digital correction
// with the input sum), exactly as docs/crossbar.md and combine_columns()
// define it:
//   differential: y_j = sum_s 2^(s*cell_bits) (col[2jS+s] - col[2jS+S+s])
//   offset:       y_j = sum_s 2^(s*cell_bits) col[jS+s] - 2^(wb-1) sum_r x_r
// It counts its shift-add operations (one per column combined, one per
// output for the offset correction) for time and energy.
#pragma once
#include <cstdint>

#include "models/crossbar/crossbar_params.hpp"

namespace imcvp {

class ShiftAdd {
 public:
  explicit ShiftAdd(const CrossbarParams& p) : p_(p) {}

  // column_out: the crossbar's per-column partial sums (outputs x
  // cols_per_output columns); input_sum: sum of the inputs applied (used in
  // offset mode). y[j] += the combined value of output j, j < outputs.
  void combine(const int64_t* column_out, unsigned outputs, int64_t input_sum, int64_t* y);

  uint64_t operations() const { return ops_; }
  void reset_counters() { ops_ = 0; }

 private:
  CrossbarParams p_;
  uint64_t ops_ = 0;
};

}  // namespace imcvp
