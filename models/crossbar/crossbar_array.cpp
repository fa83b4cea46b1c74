// CrossbarArray: write-and-verify programming and the bit-serial MVM with ADC
// semantics (see crossbar_array.hpp and docs/crossbar.md).
//
// No floating-point contraction, so that results do not depend on whether
// the machine has fused multiply-add (see det_random.cpp). GCC's -O2 cost
// model ("very cheap") leaves loops with a run-time trip count scalar; the
// column loops of mvm() are the hot path, so this file asks for the dynamic
// model (vectorizing element-wise sums does not reorder any addition).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off", "vect-cost-model=dynamic")
#endif

#include "models/crossbar/crossbar_array.hpp"
#include "models/crossbar/crossbar_layout.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace imcvp {

namespace {

// Streams of one array's seed.
constexpr uint64_t kFaultStream = 0;
constexpr uint64_t kProgramStream = 1;
constexpr uint64_t kReadStream = 2;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("crossbar: " + what); }

// Nonzero digits of `dac_bits` in x: the read steps in which its row is driven.
// The inner loops of mvm(): one row of cells added into the column sums.
// Built for the widest vector unit the host has (chosen once, at load
// time); every column's sum adds the same terms in the same order on any
// of them, and nothing is contracted into a fused multiply-add, so the
// results are the same bits everywhere.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define IMCVP_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define IMCVP_VECTOR_CLONES
#endif
IMCVP_VECTOR_CLONES void add_row(float* acc, const float* row, unsigned n) {
  for (unsigned c = 0; c < n; ++c) acc[c] += row[c];
}
IMCVP_VECTOR_CLONES void add_scaled_row(float* acc, const float* row, float d, unsigned n) {
  for (unsigned c = 0; c < n; ++c) acc[c] += d * row[c];
}
IMCVP_VECTOR_CLONES void add_int_row(int32_t* acc, const uint8_t* row, int32_t d, unsigned n) {
  for (unsigned c = 0; c < n; ++c) acc[c] += d * row[c];
}

// The ADC of the analog path: code = clamp(floor(v / LSB + 0.5), 0, full
// scale) per column, shift-added into out; returns the clipped conversions.
IMCVP_VECTOR_CLONES uint64_t adc_convert(const float* acc, unsigned n, double inv_lsb, int64_t max_code,
                                         unsigned shift, int64_t* out, uint16_t* codes) {
  // floor(x) for x >= 0 is the truncating conversion; x < 0 gives code 0
  // either way, and x is capped at full scale + 1 before converting.
  uint32_t clipped = 0;
  const int32_t full = static_cast<int32_t>(max_code);
  const double cap = static_cast<double>(max_code) + 1.0;
  for (unsigned c = 0; c < n; ++c) {
    double x = static_cast<double>(acc[c]) * inv_lsb + 0.5;
    x = x < 0.0 ? 0.0 : x;
    x = x > cap ? cap : x;
    int32_t code = static_cast<int32_t>(x);
    clipped += code > full ? 1u : 0u;
    code = code > full ? full : code;
    out[c] += static_cast<int64_t>(code) << shift;
  }
  if (codes)
    for (unsigned c = 0; c < n; ++c) {
      const double x = static_cast<double>(acc[c]) * inv_lsb + 0.5;
      codes[c] = static_cast<uint16_t>(x < 0.0 ? 0 : (x > cap ? full : std::min(static_cast<int32_t>(x), full)));
    }
  return clipped;
}

unsigned nonzero_digits(uint32_t x, unsigned dac_bits) {
  if (dac_bits == 1) return static_cast<unsigned>(std::bitset<32>(x).count());
  const uint32_t mask = (1u << dac_bits) - 1u;
  unsigned n = 0;
  for (; x; x >>= dac_bits) n += (x & mask) != 0;
  return n;
}

}  // namespace

ProgramStats& ProgramStats::operator+=(const ProgramStats& o) {
  cells_written += o.cells_written;
  pulses += o.pulses;
  verify_reads += o.verify_reads;
  cells_failed += o.cells_failed;
  latency_ns += o.latency_ns;
  pulse_energy_pj += o.pulse_energy_pj;
  verify_energy_pj += o.verify_energy_pj;
  return *this;
}

MvmStats& MvmStats::operator+=(const MvmStats& o) {
  steps += o.steps;
  columns = std::max(columns, o.columns);
  active_rows += o.active_rows;
  dac_conversions += o.dac_conversions;
  cell_reads += o.cell_reads;
  adc_conversions += o.adc_conversions;
  adc_clipped += o.adc_clipped;
  latency_ns += o.latency_ns;
  cell_energy_pj += o.cell_energy_pj;
  dac_energy_pj += o.dac_energy_pj;
  adc_energy_pj += o.adc_energy_pj;
  return *this;
}

unsigned mvm_steps(const CrossbarParams& p, unsigned input_bits) {
  return (input_bits + p.dac_bits - 1) / p.dac_bits;
}

double mvm_latency_ns(const CrossbarParams& p, unsigned input_bits, unsigned columns) {
  if (columns == 0) columns = p.cols;
  const unsigned adcs = p.adc_count();
  const unsigned conversions_per_adc = (columns + adcs - 1) / adcs;
  return static_cast<double>(mvm_steps(p, input_bits)) *
         (p.read_cycle_ns + static_cast<double>(conversions_per_adc) * p.adc_latency_ns);
}

// ---------------------------------------------------------------------------

CrossbarArray::CrossbarArray(const CrossbarParams& params, uint64_t seed)
    : p_(params),
      program_rng_(detrand::stream_seed(seed, kProgramStream)),
      read_seed_(detrand::stream_seed(seed, kReadStream)) {
  validate_crossbar_params(p_);
  const double max_level = p_.max_level();
  const double dg = (p_.g_on_s - p_.g_off_s) / max_level;
  g0_ = p_.g_off_s / dg;
  tol_ = p_.verify_tolerance;
  step_u_ = p_.pulse_step * max_level;
  step_sigma_u_ = p_.pulse_step_sigma * max_level;
  sigma_by_level_.resize(p_.max_level() + 1);
  for (unsigned l = 0; l <= p_.max_level(); ++l) sigma_by_level_[l] = p_.program_sigma_for(l);

  const size_t n = static_cast<size_t>(p_.rows) * p_.cols;
  levels_.assign(n, 0);
  u_.assign(n, 0.0);
  fault_.assign(n, static_cast<uint8_t>(CellFault::None));
  if (p_.stuck_at_0_rate > 0 || p_.stuck_at_1_rate > 0) {
    // One uniform per cell, row-major: below the SA0 rate -> stuck at g_off,
    // at or above 1 - SA1 rate -> stuck at g_on. A higher rate with the same
    // seed keeps every fault of a lower one.
    std::mt19937_64 gen(detrand::stream_seed(seed, kFaultStream));
    const double sa1_from = 1.0 - p_.stuck_at_1_rate;
    for (size_t i = 0; i < n; ++i) {
      const double v = detrand::uniform01(gen);
      if (v < p_.stuck_at_0_rate) {
        fault_[i] = static_cast<uint8_t>(CellFault::StuckAt0);
        ++stuck_cells_;
      } else if (v >= sa1_from) {
        fault_[i] = static_cast<uint8_t>(CellFault::StuckAt1);
        u_[i] = max_level;
        ++stuck_cells_;
      }
    }
  }
  refresh_caches();
}

double CrossbarArray::conductance_s(unsigned r, unsigned c) const {
  const double dg = (p_.g_on_s - p_.g_off_s) / static_cast<double>(p_.max_level());
  return (u_[idx(r, c)] + g0_) * dg;
}

// ---------------------------------------------------------------------------
// Programming

ProgramStats CrossbarArray::program(const std::vector<uint8_t>& levels) {
  const size_t n = static_cast<size_t>(p_.rows) * p_.cols;
  if (levels.size() != n) {
    std::ostringstream s;
    s << "program: " << levels.size() << " levels given, the array has " << p_.rows << " x "
      << p_.cols << " = " << n << " cells";
    bad(s.str());
  }
  return program(levels.data());
}

// Where a first programming pulse aimed at level `target` lands, in level units:
// the programming variation (sigma of its target level) around the target.
// Draws one normal when the sigma is > 0.
double CrossbarArray::first_pulse(uint8_t target) {
  const double ut = target;
  const double sigma = sigma_by_level_[target];
  const double z = sigma > 0 ? program_rng_.next() : 0.0;
  if (p_.variation_dist == VariationDist::Lognormal)
    return ut + (ut + g0_) * (detrand::exp(sigma * z) - 1.0);
  return ut + (ut + g0_) * (sigma * z);
}

// One cell's write-and-verify loop. Each iteration is a pulse and a verify
// read; the first pulse lands near the target with the programming
// variation, later pulses step toward the target by pulse_step (+ its
// cycle-to-cycle error). Stops when the read is within tolerance or at
// max_pulses. Returns the pulses used.
unsigned CrossbarArray::write_verify(size_t i, uint8_t target, bool& ok) {
  const double ut = target;
  const auto fault = static_cast<CellFault>(fault_[i]);
  double u = u_[i];
  double read = u;
  unsigned pulses = 0;
  ok = false;
  while (pulses < p_.max_pulses) {
    if (fault == CellFault::None) {
      if (pulses == 0) {
        u = first_pulse(target);
      } else {
        const double dir = read < ut ? 1.0 : -1.0;
        u += dir * step_u_;
        if (step_sigma_u_ > 0) u += step_sigma_u_ * program_rng_.next();
      }
      if (u < -g0_) u = -g0_;  // conductance cannot fall below zero
    }
    ++pulses;
    read = u;
    if (p_.read_noise_sigma > 0) read += (u + g0_) * (p_.read_noise_sigma * program_rng_.next());
    if (std::fabs(read - ut) <= tol_) {
      ok = true;
      break;
    }
  }
  u_[i] = u;
  return pulses;
}

// Programming without verify (write_verify false): one pulse, which lands
// with the programming variation and stays; no read, so no read noise. A
// stuck cell takes the pulse and does not move.
void CrossbarArray::write_once(size_t i, uint8_t target) {
  if (static_cast<CellFault>(fault_[i]) != CellFault::None) return;
  double u = first_pulse(target);
  if (u < -g0_) u = -g0_;  // conductance cannot fall below zero
  u_[i] = u;
}

ProgramStats CrossbarArray::program(const uint8_t* levels) {
  const size_t n = static_cast<size_t>(p_.rows) * p_.cols;
  if (!levels) bad("program: no levels given");
  const unsigned max_level = p_.max_level();
  for (size_t i = 0; i < n; ++i) {
    if (levels[i] > max_level) {
      std::ostringstream s;
      s << "program: level " << unsigned(levels[i]) << " at row " << i / p_.cols << ", column "
        << i % p_.cols << " exceeds the cell's maximum " << max_level << " (cell_bits "
        << p_.cell_bits << ")";
      bad(s.str());
    }
  }

  ProgramStats st;
  const bool verify = p_.write_verify;
  const double per_pulse_ns = verify ? p_.pulse_latency_ns + p_.verify_latency_ns : p_.pulse_latency_ns;
  for (unsigned r = 0; r < p_.rows; ++r) {
    unsigned in_group = 0;
    unsigned group_max_pulses = 0;
    for (unsigned c = 0; c < p_.cols; ++c) {
      const size_t i = idx(r, c);
      if (levels[i] == levels_[i]) continue;
      bool ok = true;
      unsigned pulses = 1;
      if (verify) {
        pulses = write_verify(i, levels[i], ok);
      } else {
        write_once(i, levels[i]);
      }
      levels_[i] = levels[i];
      ++st.cells_written;
      st.pulses += pulses;
      if (verify) st.verify_reads += pulses;
      if (!ok) ++st.cells_failed;
      group_max_pulses = std::max(group_max_pulses, pulses);
      if (++in_group == p_.write_parallel_cells) {
        st.latency_ns += group_max_pulses * per_pulse_ns;
        in_group = 0;
        group_max_pulses = 0;
      }
    }
    if (in_group) st.latency_ns += group_max_pulses * per_pulse_ns;
  }
  st.pulse_energy_pj = static_cast<double>(st.pulses) * p_.pulse_energy_pj;
  st.verify_energy_pj = static_cast<double>(st.verify_reads) * p_.verify_energy_pj;
  if (st.cells_written) refresh_caches();
  return st;
}

// ---------------------------------------------------------------------------
// Expected programming (performance estimation)

ProgramPulseTable CrossbarArray::pulse_table(const CrossbarParams& params, unsigned samples) {
  validate_crossbar_params(params);
  const unsigned levels = params.max_level() + 1;
  // default: 2^16 writes in all, at least 4096 per level
  if (samples == 0) samples = std::max(4096u, 65536u / levels);
  constexpr uint64_t kTableSeed = 0x7072676d74626c31ull;  // fixed: the table is a property of the params
  CrossbarArray a(params, kTableSeed);
  const size_t n = a.u_.size();
  ProgramPulseTable t;
  t.samples = samples;
  t.cdf.resize(levels);
  t.mean_pulses.assign(levels, 0.0);
  t.fail_rate.assign(levels, 0.0);
  size_t i = 0;
  for (unsigned l = 0; l < levels; ++l) {
    std::vector<uint64_t> hist;
    uint64_t pulses = 0, failed = 0;
    for (unsigned k = 0; k < samples; ++k, i = (i + 1) % n) {
      bool ok = true;
      unsigned np = 1;
      if (params.write_verify) {
        np = a.write_verify(i, static_cast<uint8_t>(l), ok);
      } else {
        a.write_once(i, static_cast<uint8_t>(l));
      }
      if (hist.size() <= np) hist.resize(np + 1, 0);
      ++hist[np];
      pulses += np;
      failed += !ok;
    }
    std::vector<double>& c = t.cdf[l];
    c.resize(hist.size());
    uint64_t acc = 0;
    for (size_t m = 0; m < hist.size(); ++m) {
      acc += hist[m];
      c[m] = static_cast<double>(acc) / samples;
    }
    c.back() = 1.0;
    t.mean_pulses[l] = static_cast<double>(pulses) / samples;
    t.fail_rate[l] = static_cast<double>(failed) / samples;
  }
  return t;
}

ProgramStats expected_program_stats(const CrossbarParams& p, const ProgramPulseTable& t, const uint32_t* counts,
                                    uint64_t write_groups) {
  ProgramStats st;
  const unsigned levels = p.max_level() + 1;
  if (t.cdf.size() != levels) bad("expected_program_stats: a pulse table of another cell size");
  double pulses = 0.0, failed = 0.0;
  size_t len = 0;
  for (unsigned l = 0; l < levels; ++l) {
    st.cells_written += counts[l];
    pulses += counts[l] * t.mean_pulses[l];
    failed += counts[l] * t.fail_rate[l];
    if (counts[l]) len = std::max(len, t.cdf[l].size());
  }
  if (st.cells_written == 0) return st;
  if (write_groups == 0) write_groups = (st.cells_written + p.write_parallel_cells - 1) / p.write_parallel_cells;
  const double cells = static_cast<double>(st.cells_written);
  const double k = cells / static_cast<double>(write_groups);  // cells per write group, on average
  double e_max = 0.0;  // E[max pulses of k cells] = sum_n P(max > n)
  for (size_t m = 0; m + 1 < len; ++m) {
    double f = 0.0;
    for (unsigned l = 0; l < levels; ++l)
      if (counts[l]) f += counts[l] / cells * (m < t.cdf[l].size() ? t.cdf[l][m] : 1.0);
    e_max += 1.0 - std::pow(std::min(f, 1.0), k);
  }
  const bool verify = p.write_verify;
  const double per_pulse_ns = verify ? p.pulse_latency_ns + p.verify_latency_ns : p.pulse_latency_ns;
  st.pulses = static_cast<uint64_t>(std::llround(pulses));
  st.verify_reads = verify ? st.pulses : 0;
  st.cells_failed = verify ? static_cast<uint64_t>(std::llround(failed)) : 0;
  st.latency_ns = static_cast<double>(write_groups) * e_max * per_pulse_ns;
  st.pulse_energy_pj = static_cast<double>(st.pulses) * p.pulse_energy_pj;
  st.verify_energy_pj = static_cast<double>(st.verify_reads) * p.verify_energy_pj;
  return st;
}

void CrossbarArray::refresh_caches() {
  const size_t n = u_.size();
  const double max_level = p_.max_level();
  integral_ = true;
  u_int_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const double u = u_[i];
    if (u >= 0.0 && u <= max_level && u == std::floor(u)) {
      u_int_[i] = static_cast<uint8_t>(u);
    } else {
      integral_ = false;
      break;
    }
  }
  exact_ = false;
  if (integral_ && p_.read_noise_sigma == 0.0 && p_.adc_lsb_log2 == 0) {
    // The largest sum a column can reach in one step, whatever the inputs.
    std::vector<uint64_t> col_sum(p_.cols, 0);
    for (unsigned r = 0; r < p_.rows; ++r)
      for (unsigned c = 0; c < p_.cols; ++c) col_sum[c] += u_int_[idx(r, c)];
    const uint64_t digit_max = (1u << p_.dac_bits) - 1u;
    const uint64_t worst = *std::max_element(col_sum.begin(), col_sum.end()) * digit_max;
    exact_ = worst <= p_.max_adc_code();
  }
  u_f_.resize(n);
  for (size_t i = 0; i < n; ++i) u_f_[i] = static_cast<float>(u_[i]);
  if (p_.read_noise_sigma > 0) {
    noise_w_.resize(n);
    for (size_t i = 0; i < n; ++i) noise_w_[i] = static_cast<float>((u_[i] + g0_) * (u_[i] + g0_));
  } else {
    noise_w_.clear();
  }
}

// ---------------------------------------------------------------------------
// Matrix-vector multiply

MvmStats CrossbarArray::mvm(const int32_t* inputs, unsigned input_bits, int64_t* out,
                            unsigned columns, uint16_t* adc_codes) {
  const MvmStats st = mvm_keyed(inputs, input_bits, out, columns, adc_codes, reads_, scratch_);
  ++reads_;
  return st;
}

MvmStats CrossbarArray::mvm_keyed(const int32_t* inputs, unsigned input_bits, int64_t* out, unsigned columns,
                                  uint16_t* adc_codes, uint64_t read, MvmScratch& scratch) const {
  if (!inputs || !out) bad("mvm: null inputs or outputs");
  if (input_bits < 1 || input_bits > 31)
    bad("mvm: input_bits must be 1..31, got " + std::to_string(input_bits));
  if (columns == 0) columns = p_.cols;
  if (columns > p_.cols) {
    bad("mvm: " + std::to_string(columns) + " columns asked for, the array has " +
        std::to_string(p_.cols));
  }
  const unsigned steps = mvm_steps(p_, input_bits);
  const unsigned dac = p_.dac_bits;
  const unsigned lsb = p_.adc_lsb_log2;
  if ((steps - 1) * dac + lsb + p_.adc_bits > 62)
    bad("mvm: input_bits, dac_bits and the ADC overflow 64-bit sums");
  const uint32_t in_max = static_cast<uint32_t>((uint64_t{1} << input_bits) - 1);
  const unsigned R = p_.rows;
  for (unsigned r = 0; r < R; ++r) {
    if (inputs[r] < 0 || static_cast<uint32_t>(inputs[r]) > in_max) {
      bad("mvm: input " + std::to_string(r) + " = " + std::to_string(inputs[r]) +
          " is outside 0.." + std::to_string(in_max) + " (input_bits " +
          std::to_string(input_bits) + ")");
    }
  }

  const uint32_t digit_mask = (1u << dac) - 1u;
  const int64_t max_code = p_.max_adc_code();
  MvmStats st;
  st.steps = steps;
  st.columns = columns;
  std::fill(out, out + columns, int64_t{0});
  if (scratch.acc32.size() < p_.cols) scratch.acc32.resize(p_.cols);

  if (fast_path_ && exact_ && !adc_codes) {
    // Integer-exact: every step's ADC code equals the column sum, so the
    // shift-added result is the plain integer dot product.
    // 32-bit sums when no column can overflow them (vectorizes better).
    const bool narrow = static_cast<uint64_t>(R) * in_max * p_.max_level() <=
                        static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
    int32_t* acc = scratch.acc32.data();
    if (narrow) std::fill(acc, acc + columns, 0);
    for (unsigned r = 0; r < R; ++r) {
      const uint32_t x = static_cast<uint32_t>(inputs[r]);
      if (!x) continue;
      st.active_rows += nonzero_digits(x, dac);
      const uint8_t* row = &u_int_[idx(r, 0)];
      if (narrow) {
        add_int_row(acc, row, static_cast<int32_t>(x), columns);
      } else {
        const int64_t xl = x;
        for (unsigned c = 0; c < columns; ++c) out[c] += xl * row[c];
      }
    }
    if (narrow)
      for (unsigned c = 0; c < columns; ++c) out[c] = acc[c];
  } else {
    const bool integer = fast_path_ && integral_ && p_.read_noise_sigma == 0.0;
    const double inv_lsb = std::ldexp(1.0, -static_cast<int>(lsb));
    const int64_t half = lsb ? (int64_t{1} << (lsb - 1)) : 0;
    // The rows each step drives (nonzero digit), in row order: one pass over
    // the inputs, most of which are 0 after a ReLU. Step s: active_[s R, + count[s]).
    scratch.active_count.assign(steps, 0);
    if (scratch.active.size() < static_cast<size_t>(steps) * R) scratch.active.resize(static_cast<size_t>(steps) * R);
    if (scratch.acc_d.size() < p_.cols) scratch.acc_d.resize(p_.cols);
    if (scratch.var.size() < p_.cols) scratch.var.resize(p_.cols);
    uint32_t* act = scratch.active.data();
    uint32_t* cnt = scratch.active_count.data();
    for (unsigned r = 0; r < R; ++r)
      for (uint32_t x = static_cast<uint32_t>(inputs[r]), s = 0; x; x >>= dac, ++s)
        if (x & digit_mask) act[s * R + cnt[s]++] = r;
    for (unsigned s = 0; s < steps; ++s) {
      const uint32_t* act_begin = act + static_cast<size_t>(s) * R;
      const uint32_t* act_end = act_begin + cnt[s];
      st.active_rows += static_cast<uint64_t>(act_end - act_begin);
      const unsigned shift = s * dac + lsb;
      uint16_t* codes = adc_codes ? adc_codes + static_cast<size_t>(s) * columns : nullptr;
      if (integer) {
        // One step's sum fits 32 bits: max_column_sum() <= 2^24 (params check).
        int32_t* acc = scratch.acc32.data();
        std::fill(acc, acc + columns, 0);
        for (const uint32_t* ar = act_begin; ar != act_end; ++ar) {
          const uint32_t r = *ar;
          const int32_t d =
              static_cast<int32_t>((static_cast<uint32_t>(inputs[r]) >> (s * dac)) & digit_mask);
          add_int_row(acc, &u_int_[idx(r, 0)], d, columns);
        }
        for (unsigned c = 0; c < columns; ++c) {
          int64_t q = (acc[c] + half) >> lsb;  // round half up (acc >= 0)
          if (q > max_code) {
            q = max_code;
            ++st.adc_clipped;
          }
          if (codes) codes[c] = static_cast<uint16_t>(q);
          out[c] += q << shift;
        }
      } else {
        float* acc = scratch.acc_d.data();
        float* var = scratch.var.data();
        const bool noisy = p_.read_noise_sigma > 0;
        std::fill(acc, acc + columns, 0.0f);
        if (noisy) std::fill(var, var + columns, 0.0f);
        for (const uint32_t* ar = act_begin; ar != act_end; ++ar) {
          const uint32_t r = *ar;
          const uint32_t di = (static_cast<uint32_t>(inputs[r]) >> (s * dac)) & digit_mask;
          const float d = static_cast<float>(di);
          const float* row = &u_f_[idx(r, 0)];
          if (di == 1) {
            add_row(acc, row, columns);
          } else {
            add_scaled_row(acc, row, d, columns);
          }
          if (noisy) {
            const float* w = &noise_w_[idx(r, 0)];
            if (di == 1) {
              add_row(var, w, columns);
            } else {
              add_scaled_row(var, w, d * d, columns);
            }
          }
        }
        if (!noisy) {
          st.adc_clipped += adc_convert(acc, columns, inv_lsb, max_code, shift, out, codes);
          continue;
        }
        for (unsigned c = 0; c < columns; ++c) {
          double v = acc[c];
          // Each cell's current has a relative error of read_noise_sigma; the
          // column's sum of independent Gaussians is one Gaussian, drawn
          // as a function of (this array's seed, read, step, column).
          if (var[c] > 0)
            v += p_.read_noise_sigma * std::sqrt(static_cast<double>(var[c])) *
                 detrand::keyed_normal(read_seed_, read, (uint64_t{s} << 32) | c);
          const double qf = std::floor(v * inv_lsb + 0.5);
          int64_t q;
          if (qf <= 0.0) {
            q = 0;
          } else if (qf > static_cast<double>(max_code)) {
            q = max_code;
            ++st.adc_clipped;
          } else {
            q = static_cast<int64_t>(qf);
          }
          if (codes) codes[c] = static_cast<uint16_t>(q);
          out[c] += q << shift;
        }
      }
    }
  }

  st.dac_conversions = st.active_rows;
  st.cell_reads = st.active_rows * columns;
  st.adc_conversions = static_cast<uint64_t>(steps) * columns;
  st.latency_ns = mvm_latency_ns(p_, input_bits, columns);
  st.cell_energy_pj = static_cast<double>(st.cell_reads) * p_.cell_read_energy_pj;
  st.dac_energy_pj = static_cast<double>(st.dac_conversions) * p_.dac_energy_pj;
  st.adc_energy_pj = static_cast<double>(st.adc_conversions) * p_.adc_energy_pj;
  return st;
}

// ---------------------------------------------------------------------------
// Weight mapping

WeightMapping map_weights(const CrossbarParams& p, const std::vector<int32_t>& weights,
                          unsigned in_rows, unsigned out_cols) {
  if (weights.size() != static_cast<size_t>(in_rows) * out_cols) {
    bad("map_weights: " + std::to_string(weights.size()) + " weights given for a " +
        std::to_string(in_rows) + " x " + std::to_string(out_cols) + " matrix");
  }
  return map_weights(p, weights.data(), in_rows, out_cols);
}

WeightMapping map_weights(const CrossbarParams& p, const int32_t* weights, unsigned in_rows,
                          unsigned out_cols) {
  const bool plain = p.signed_mode == SignedMode::Unsigned;
  {
    // A layer's unsigned format (1-bit planes, say) is checked as the offset
    // format of the same columns: the crossbars' own checks, the sign aside.
    CrossbarParams chip = p;
    if (plain) {
      chip.signed_mode = SignedMode::Offset;
      chip.weight_bits = std::max(2u, p.weight_bits);
    }
    validate_crossbar_params(chip);
  }
  if (!weights && in_rows && out_cols) bad("map_weights: no weights given");
  if (in_rows > p.rows) {
    bad("map_weights: " + std::to_string(in_rows) + " input rows do not fit the crossbar's " +
        std::to_string(p.rows) + " rows");
  }
  WeightMapping m;
  m.params = p;
  m.in_rows = in_rows;
  m.out_cols = out_cols;
  m.slices = p.weight_slices();
  m.cols_per_output = p.cols_per_output();
  m.used_cols = out_cols * m.cols_per_output;
  if (out_cols > p.max_outputs()) {
    bad("map_weights: " + std::to_string(out_cols) + " outputs need " +
        std::to_string(m.used_cols) + " columns (" + std::to_string(m.cols_per_output) +
        " per output), the crossbar has " + std::to_string(p.cols));
  }
  m.levels.assign(static_cast<size_t>(p.rows) * p.cols, 0);
  const int64_t half = int64_t{1} << (p.weight_bits - 1);
  const int64_t lo = plain ? 0 : -half, hi = plain ? 2 * half - 1 : half - 1;
  const uint32_t cell_mask = p.max_level();
  const unsigned S = m.slices;
  for (unsigned r = 0; r < in_rows; ++r) {
    for (unsigned j = 0; j < out_cols; ++j) {
      const int64_t w = weights[static_cast<size_t>(r) * out_cols + j];
      if (w < lo || w > hi) {
        bad("map_weights: weight [" + std::to_string(r) + "][" + std::to_string(j) +
            "] = " + std::to_string(w) + " is outside " + std::to_string(lo) + ".." +
            std::to_string(hi) + " (weight_bits " + std::to_string(p.weight_bits) +
            (plain ? ", unsigned" : "") + ")");
      }
      uint8_t* row = &m.levels[static_cast<size_t>(r) * p.cols];
      if (p.signed_mode != SignedMode::Differential) {
        const uint32_t v = static_cast<uint32_t>(plain ? w : w + half);
        for (unsigned s = 0; s < S; ++s)
          row[j * S + s] = static_cast<uint8_t>((v >> (s * p.cell_bits)) & cell_mask);
      } else {
        const uint32_t pos = static_cast<uint32_t>(w > 0 ? w : 0);
        const uint32_t neg = static_cast<uint32_t>(w < 0 ? -w : 0);
        for (unsigned s = 0; s < S; ++s) {
          row[j * 2 * S + s] = static_cast<uint8_t>((pos >> (s * p.cell_bits)) & cell_mask);
          row[j * 2 * S + S + s] = static_cast<uint8_t>((neg >> (s * p.cell_bits)) & cell_mask);
        }
      }
    }
  }
  return m;
}

void combine_columns(const WeightMapping& m, const int64_t* column_out, const int32_t* inputs,
                     int64_t* y) {
  int64_t input_sum = 0;
  if (m.params.signed_mode == SignedMode::Offset)
    for (unsigned r = 0; r < m.in_rows; ++r) input_sum += inputs[r];
  std::fill(y, y + m.out_cols, int64_t{0});
  combine_output_columns(weight_format(m.params), column_out, m.out_cols, input_sum, y);
}

}  // namespace imcvp
