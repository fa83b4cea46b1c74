// The numeric and cost model of one RRAM crossbar macro, in plain C++ (the
// SystemC CrossbarMacro and the tile wrap it). docs/crossbar.md describes
// the model; in short:
//
//  - R x C cells, each holding a level 0..2^cell_bits-1 (the level the
//    controller wrote) and an actual conductance (variation, stuck-at faults),
//    expressed in level units u = (g - g_off) / dG, dG = (g_on - g_off) /
//    (2^cell_bits - 1): an ideal cell at level L has u == L exactly.
//  - program(): write-and-verify per changed cell (or one unverified pulse,
//    write_verify false), with its pulse count, latency and energy.
//  - mvm(): inputs applied dac_bits per read step (LSB step first); each
//    step's column currents (sum of digit x u over the rows, off-current
//    cancelled by a reference column) go through an ADC of adc_bits with LSB
//    2^adc_lsb_log2 that rounds and clips; the codes are shift-added over the
//    steps into one unsigned partial sum per column. Weight slices and signs
//    are combined outside (combine_columns, or the tile's ShiftAdd).
//  - Every random draw comes from std::mt19937_64 streams derived from the
//    seed, or (read noise) from a SplitMix64 hash of the seed, the read's
//    number, step and column, transformed by our own code (det_random.hpp):
//    results are bit-identical on any IEEE-754 machine, and read noise does
//    not depend on the order of the reads.
#pragma once
#include <cstdint>
#include <vector>

#include "models/crossbar/crossbar_params.hpp"
#include "models/crossbar/det_random.hpp"

namespace imcvp {

enum class CellFault : uint8_t { None, StuckAt0, StuckAt1 };

// Cost of one program() call.
struct ProgramStats {
  uint64_t cells_written = 0;  // cells whose target level changed
  uint64_t pulses = 0;         // programming pulses (write_verify false: one per written cell)
  uint64_t verify_reads = 0;   // verify reads (one after every pulse; none without write_verify)
  uint64_t cells_failed = 0;   // cells left outside tolerance at max_pulses (0 without write_verify)
  double latency_ns = 0.0;
  double pulse_energy_pj = 0.0;
  double verify_energy_pj = 0.0;
  double energy_pj() const { return pulse_energy_pj + verify_energy_pj; }
  ProgramStats& operator+=(const ProgramStats& o);
};

// Events and cost of one mvm() call.
struct MvmStats {
  unsigned steps = 0;            // read steps = ceil(input_bits / dac_bits)
  unsigned columns = 0;          // columns converted per step
  uint64_t active_rows = 0;      // sum over steps of rows with a nonzero digit
  uint64_t dac_conversions = 0;  // one per active row per step (a zero digit leaves the row at 0 V)
  uint64_t cell_reads = 0;       // active rows x columns, summed over steps
  uint64_t adc_conversions = 0;  // steps x columns
  uint64_t adc_clipped = 0;      // conversions whose value exceeded full scale
  double latency_ns = 0.0;
  double cell_energy_pj = 0.0;
  double dac_energy_pj = 0.0;
  double adc_energy_pj = 0.0;
  double energy_pj() const { return cell_energy_pj + dac_energy_pj + adc_energy_pj; }
  MvmStats& operator+=(const MvmStats& o);
};

// Read steps for inputs of `input_bits`: ceil(input_bits / dac_bits).
unsigned mvm_steps(const CrossbarParams& p, unsigned input_bits);
// Latency of one mvm converting `columns` columns (0 = all):
//   steps x (read_cycle + ceil(columns / adc_count) x adc_latency),
// adc_count = ceil(cols / cols_per_adc), column c on ADC c mod adc_count.
double mvm_latency_ns(const CrossbarParams& p, unsigned input_bits, unsigned columns = 0);

// What write-and-verify costs per written cell, by target level, for one
// CrossbarParams: the distribution of pulses a cell takes (and how often it
// fails), measured once by CrossbarArray's own write loop on a fixed, seeded
// sample of cells (CrossbarArray::pulse_table). Performance estimation
// charges a PROGRAM from it and the counts of the cells it changes
// (expected_program_stats).
struct ProgramPulseTable {
  unsigned samples = 0;  // cells sampled per level
  // cdf[L][n]: the fraction of level-L writes done in at most n pulses
  // (n = 0 .. the largest sampled; 1 beyond)
  std::vector<std::vector<double>> cdf;
  std::vector<double> mean_pulses;  // per level: pulses per written cell
  std::vector<double> fail_rate;    // per level: cells left outside tolerance (0 without write_verify)
};

// The expected ProgramStats of a program() that writes counts[L] cells to
// level L (L < 2^cell_bits), `write_groups` groups of at most
// write_parallel_cells of them in one row (program()'s latency structure):
//   pulses = sum_L counts[L] mean_pulses[L] (rounded), verify reads = pulses
//   (write_verify), failed cells = sum_L counts[L] fail_rate[L] (rounded),
//   latency = write_groups x E[max pulses over a group of k cells] x
//   (pulse + verify latency), k = cells / write_groups, the group's cells
//   drawn from the counts' mix of levels: E[max] = sum_n (1 - F(n)^k),
//   F(n) = sum_L counts[L] / cells x cdf[L][n],
//   energies from pulses and verify reads as program() charges them.
// The approximation: the cells of one write group are independent draws of
// the crossbar's level mix (program() takes the actual cells of each row),
// and every group holds the average count k. With write_parallel_cells 1
// (k = 1) the latency is exactly the expected pulses x (pulse + verify).
ProgramStats expected_program_stats(const CrossbarParams& p, const ProgramPulseTable& t, const uint32_t* counts,
                                    uint64_t write_groups);

class CrossbarArray {
 public:
  // The pulse table of `params`: `samples` writes per target level by this
  // class's write-and-verify loop (write_verify) or single pulse, on a
  // rows x cols array of `params` (stuck-at faults drawn at its rates) made
  // with a fixed seed, cells in row-major order, round after round. A cell's
  // pulses do not depend on the level it held (a first pulse lands around
  // the target wherever the cell was; a stuck cell stays where it is stuck),
  // so one table serves every change. Deterministic.
  static ProgramPulseTable pulse_table(const CrossbarParams& params, unsigned samples = 0);

  // Throws std::invalid_argument on bad parameters. The stuck-at map is drawn
  // here; every cell starts at level 0 (reset state, g_off exactly).
  CrossbarArray(const CrossbarParams& params, uint64_t seed);

  const CrossbarParams& params() const { return p_; }
  unsigned rows() const { return p_.rows; }
  unsigned cols() const { return p_.cols; }

  // Writes `levels` (rows x cols, row-major, each 0..2^cell_bits-1) with
  // write-and-verify (or, with write_verify false, one unverified pulse per
  // cell); cells already at their level are skipped and cost nothing. Throws std::invalid_argument (nothing written) on a bad size or
  // level.
  ProgramStats program(const std::vector<uint8_t>& levels);
  ProgramStats program(const uint8_t* levels);  // rows x cols values

  // One matrix-vector multiply. inputs: `rows` unsigned activations of
  // input_bits (1..31). out_per_column[c], c < columns (0 = all), receives
  //   sum over steps s of ADC_s(c) << (s * dac_bits + adc_lsb_log2),
  // which is the exact dot product sum_r inputs[r] * level[r][c] for an
  // ideal device whose ADC does not clip. If adc_codes is given, it receives
  // the raw codes, steps x columns, step-major (step 0 = least significant
  // input digit). Throws std::invalid_argument on a bad argument or an input
  // outside [0, 2^input_bits).
  // This array's read number reads() is the read's key (see mvm_keyed), and
  // reads() then advances by one.
  MvmStats mvm(const int32_t* inputs, unsigned input_bits, int64_t* out_per_column,
               unsigned columns = 0, uint16_t* adc_codes = nullptr);

  // The buffers one mvm() works in. Each thread reading arrays concurrently
  // brings its own; they grow on first use.
  struct MvmScratch {
    std::vector<uint32_t> active;  // rows driven by step s: [s * rows, + active_count[s])
    std::vector<uint32_t> active_count;
    std::vector<int32_t> acc32;
    std::vector<float> acc_d;
    std::vector<float> var;
  };
  // The same read as mvm() with read number `read` and the caller's
  // scratch, without advancing reads(): re-entrant, any number of threads
  // may call it on one array at once (nothing may program it meanwhile).
  // Read noise is drawn as a function of (seed, read, step, column) alone,
  // so the results do not depend on the order in which reads happen.
  MvmStats mvm_keyed(const int32_t* inputs, unsigned input_bits, int64_t* out_per_column, unsigned columns,
                     uint16_t* adc_codes, uint64_t read, MvmScratch& scratch) const;
  // Reads made so far (the next read's number), and skipping n of them (a
  // caller that made reads with mvm_keyed()).
  uint64_t reads() const { return reads_; }
  void advance_reads(uint64_t n) { reads_ += n; }

  uint8_t level(unsigned r, unsigned c) const { return levels_[idx(r, c)]; }
  const std::vector<uint8_t>& levels() const { return levels_; }
  // Actual conductance in level units: (g - g_off) / dG.
  double effective_level(unsigned r, unsigned c) const { return u_[idx(r, c)]; }
  double conductance_s(unsigned r, unsigned c) const;
  CellFault fault(unsigned r, unsigned c) const {
    return static_cast<CellFault>(fault_[idx(r, c)]);
  }
  uint64_t stuck_cells() const { return stuck_cells_; }

  // True when mvm() currently takes the integer fast path: every cell's
  // conductance is exactly on a level, there is no read noise, the ADC LSB is
  // one unit and no column can exceed full scale, whatever the inputs.
  bool exact() const { return exact_; }
  // Fast paths on (default) or off: off forces the floating-point analog
  // path for every call (tests and benchmarks compare the two).
  void set_fast_path(bool enabled) { fast_path_ = enabled; }

 private:
  size_t idx(unsigned r, unsigned c) const { return static_cast<size_t>(r) * p_.cols + c; }
  double first_pulse(uint8_t target);
  unsigned write_verify(size_t i, uint8_t target, bool& ok);
  void write_once(size_t i, uint8_t target);
  void refresh_caches();

  CrossbarParams p_;
  double g0_;            // g_off / dG
  double tol_;           // verify tolerance, level units
  double step_u_;        // corrective pulse step, level units
  double step_sigma_u_;  // its sigma, level units
  std::vector<double> sigma_by_level_;  // first pulse's sigma per target level (program_sigma_for)

  std::vector<uint8_t> levels_;  // level last written (what the controller believes)
  std::vector<double> u_;        // actual conductance, level units
  std::vector<uint8_t> fault_;   // CellFault
  uint64_t stuck_cells_ = 0;

  // Derived after every program().
  bool integral_ = true;        // every u_ is an integer level
  bool exact_ = true;           // see exact()
  std::vector<uint8_t> u_int_;  // u_ as integers when integral_
  std::vector<float> u_f_;      // u_ as read by mvm()
  std::vector<float> noise_w_;  // (u + g0)^2, when read noise is on

  bool fast_path_ = true;
  detrand::NormalGenerator program_rng_;
  uint64_t read_seed_;  // read noise: keyed draws of this seed
  uint64_t reads_ = 0;

  MvmScratch scratch_;  // mvm()'s
};

// ---- Mapping a signed weight matrix onto one crossbar ----------------------
//
// weights: in_rows x out_cols, row-major (rows = inputs, cols = outputs),
// each in [-2^(weight_bits-1), 2^(weight_bits-1) - 1]. S = weight_slices():
// slice s of a value v is bits [s*cell_bits, (s+1)*cell_bits) of v, and
// slice 0 (the least significant) is the leftmost column of the group.
//  - Offset: output j takes columns [j*S, j*S + S) holding the slices of
//    v = w + 2^(weight_bits-1) (0 .. 2^weight_bits - 1). Then
//      y_j = sum_s 2^(s*cell_bits) col[j*S+s] - 2^(weight_bits-1) sum_r x_r.
//  - Differential: output j takes columns [j*2S, j*2S + S) for the slices of
//    max(w, 0) and [j*2S + S, j*2S + 2S) for those of max(-w, 0). Then
//      y_j = sum_s 2^(s*cell_bits) (col[j*2S+s] - col[j*2S+S+s]).
// Cells of unused rows and columns are at level 0.
struct WeightMapping {
  CrossbarParams params;  // the crossbar it was made for
  unsigned in_rows = 0;
  unsigned out_cols = 0;
  unsigned slices = 0;           // S
  unsigned cols_per_output = 0;  // S (offset) or 2S (differential)
  unsigned used_cols = 0;        // out_cols * cols_per_output
  std::vector<uint8_t> levels;   // rows x cols of the crossbar, row-major
};

// Throws std::invalid_argument on a shape that does not fit or a weight out
// of range (naming its row, column and value).
WeightMapping map_weights(const CrossbarParams& p, const int32_t* weights, unsigned in_rows,
                          unsigned out_cols);
WeightMapping map_weights(const CrossbarParams& p, const std::vector<int32_t>& weights,
                          unsigned in_rows, unsigned out_cols);

// The digital combination above: column_out from mvm() (at least used_cols
// columns), inputs (the same `rows` activations), y receives out_cols values.
void combine_columns(const WeightMapping& m, const int64_t* column_out, const int32_t* inputs,
                     int64_t* y);

}  // namespace imcvp
