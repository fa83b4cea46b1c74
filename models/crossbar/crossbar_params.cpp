#include "models/crossbar/crossbar_params.hpp"

#include "models/common/param_text.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace imcvp {

unsigned CrossbarParams::lossless_adc_bits() const {
  unsigned bits = 1;
  while (bits < 63 && ((uint64_t{1} << bits) - 1) < max_column_sum()) ++bits;
  return bits;
}

unsigned CrossbarParams::full_range_adc_lsb_log2() const {
  unsigned k = 0;
  while (k < 24 && (uint64_t{max_adc_code()} << k) < max_column_sum()) ++k;
  return k;
}

namespace {

bool finite_nonneg(double v) { return std::isfinite(v) && v >= 0.0; }

// The largest programming sigma (after variation_scale): exp(10 z) already
// spans orders of magnitude; larger values only overflow.
constexpr double kMaxProgramSigma = 10.0;

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::optional<std::vector<double>> level_sigma_preset(const std::string& name, unsigned cell_bits,
                                                      std::string* problem) {
  auto fail = [&](std::string why) {
    if (problem) *problem = std::move(why);
    return std::optional<std::vector<double>>();
  };
  if (name != kLevelSigmaPresetNames[0]) {
    std::string known;
    for (const char* n : kLevelSigmaPresetNames) known += (known.empty() ? "" : ", ") + std::string(n);
    return fail("unknown level_sigma preset '" + name + "' (expected one of: " + known + ")");
  }
  const auto& table = crossbar_source::kKrishnan2022LevelSigma;
  if (cell_bits < 1 || cell_bits > 3)  // the table has 8 levels: a 3-bit cell
    return fail("preset '" + name + "' has sigmas for cells of 1..3 bits (" +
                std::to_string(table.size()) + " levels), cell_bits is " +
                std::to_string(cell_bits));
  return std::vector<double>(table.begin(), table.begin() + (size_t{1} << cell_bits));
}

std::optional<CrossbarParamError> check_crossbar_params(const CrossbarParams& p) {
  auto err = [](const char* field, std::string problem) {
    return std::optional<CrossbarParamError>(CrossbarParamError{field, std::move(problem)});
  };
  if (p.rows < 1 || p.rows > 4096) return err("rows", must_be("1..4096", p.rows));
  if (p.cols < 1 || p.cols > 4096) return err("cols", must_be("1..4096", p.cols));
  if (p.cell_bits < 1 || p.cell_bits > 8) return err("cell_bits", must_be("1..8", p.cell_bits));
  if (p.weight_bits < 2 || p.weight_bits > 16)
    return err("weight_bits", must_be("2..16", p.weight_bits));
  if (p.signed_mode != SignedMode::Differential && p.signed_mode != SignedMode::Offset)
    return err("signed_mode", "must be differential or offset (unsigned is a layer's own format, not the crossbars')");
  if (p.cols < p.cols_per_output())
    return err("cols", must_be("at least the columns of one weight (" +
                               std::to_string(p.cols_per_output()) + ")",
                           p.cols));
  if (p.dac_bits < 1 || p.dac_bits > 8) return err("dac_bits", must_be("1..8", p.dac_bits));
  if (p.max_column_sum() > (uint64_t{1} << 24))
    return err("rows", "rows x (2^cell_bits - 1) x (2^dac_bits - 1) = " +
                           std::to_string(p.max_column_sum()) +
                           " exceeds 2^24, the largest column sum the model resolves exactly");
  if (p.adc_bits < 1 || p.adc_bits > 16) return err("adc_bits", must_be("1..16", p.adc_bits));
  if (p.adc_lsb_log2 > 24) return err("adc_lsb_log2", must_be("0..24", p.adc_lsb_log2));
  if (p.cols_per_adc < 1 || p.cols_per_adc > p.cols)
    return err("cols_per_adc", must_be("1..cols", p.cols_per_adc));
  if (!(std::isfinite(p.g_on_s) && p.g_on_s > 0)) return err("g_on", must_be("> 0", p.g_on_s));
  if (!finite_nonneg(p.g_off_s) || p.g_off_s >= p.g_on_s)
    return err("g_off", must_be("0 <= g_off < g_on", p.g_off_s));
  if (p.variation_dist != VariationDist::Lognormal && p.variation_dist != VariationDist::Gaussian)
    return err("variation_dist", "must be lognormal or gaussian");
  if (!finite_nonneg(p.program_sigma) || p.program_sigma > kMaxProgramSigma)
    return err("program_sigma", must_be("0..10", p.program_sigma));
  if (!p.level_sigma.empty()) {
    const size_t levels = size_t{1} << p.cell_bits;
    if (p.level_sigma.size() != levels)
      return err("level_sigma",
                 "must have " + std::to_string(levels) + " entries (one per level of a " +
                     std::to_string(p.cell_bits) + "-bit cell), got " +
                     std::to_string(p.level_sigma.size()));
    for (size_t l = 0; l < levels; ++l)
      if (!finite_nonneg(p.level_sigma[l]) || p.level_sigma[l] > kMaxProgramSigma)
        return err("level_sigma", "entry " + std::to_string(l) + " (level " + std::to_string(l) +
                                      ") " + must_be("0..10", p.level_sigma[l]));
  }
  if (!finite_nonneg(p.variation_scale))
    return err("variation_scale", must_be(">= 0", p.variation_scale));
  {
    double widest = p.level_sigma.empty() ? p.program_sigma : 0.0;
    for (double s : p.level_sigma) widest = std::max(widest, s);
    if (widest * p.variation_scale > kMaxProgramSigma)
      return err("variation_scale",
                 "must keep the programming sigma at most 10, got " + fmt(p.variation_scale) +
                     " x " + (p.level_sigma.empty() ? "program_sigma " : "largest level_sigma ") +
                     fmt(widest) + " = " + fmt(widest * p.variation_scale));
  }
  if (!finite_nonneg(p.read_noise_sigma) || p.read_noise_sigma > 10)
    return err("read_noise_sigma", must_be("0..10", p.read_noise_sigma));
  if (!finite_nonneg(p.stuck_at_0_rate) || p.stuck_at_0_rate > 1)
    return err("stuck_at_0_rate", must_be("0..1", p.stuck_at_0_rate));
  if (!finite_nonneg(p.stuck_at_1_rate) || p.stuck_at_1_rate > 1)
    return err("stuck_at_1_rate", must_be("0..1", p.stuck_at_1_rate));
  if (p.stuck_at_0_rate + p.stuck_at_1_rate > 1)
    return err("stuck_at_1_rate", must_be("at most 1 - stuck_at_0_rate", p.stuck_at_1_rate));
  if (!(std::isfinite(p.verify_tolerance) && p.verify_tolerance > 0))
    return err("verify_tolerance", must_be("> 0", p.verify_tolerance));
  if (p.max_pulses < 1 || p.max_pulses > 100000)
    return err("max_pulses", must_be("1..100000", p.max_pulses));
  if (!finite_nonneg(p.pulse_step) || p.pulse_step > 1)
    return err("pulse_step", must_be("0..1", p.pulse_step));
  if (!finite_nonneg(p.pulse_step_sigma) || p.pulse_step_sigma > 1)
    return err("pulse_step_sigma", must_be("0..1", p.pulse_step_sigma));
  if (p.write_parallel_cells < 1 || p.write_parallel_cells > p.cols)
    return err("write_parallel_cells", must_be("1..cols", p.write_parallel_cells));
  const std::pair<const char*, double> costs[] = {
      {"read_cycle", p.read_cycle_ns},       {"cell_read_energy", p.cell_read_energy_pj},
      {"dac_energy", p.dac_energy_pj},       {"adc_energy", p.adc_energy_pj},
      {"adc_latency", p.adc_latency_ns},     {"pulse_latency", p.pulse_latency_ns},
      {"pulse_energy", p.pulse_energy_pj},   {"verify_latency", p.verify_latency_ns},
      {"verify_energy", p.verify_energy_pj},
  };
  for (const auto& [name, v] : costs)
    if (!finite_nonneg(v)) return err(name, must_be(">= 0", v));
  return std::nullopt;
}

void validate_crossbar_params(const CrossbarParams& p) {
  if (auto e = check_crossbar_params(p))
    throw std::invalid_argument("crossbar." + e->field + ": " + e->problem);
}

CrossbarParams ideal_crossbar(CrossbarParams p) {
  p.program_sigma = 0.0;
  p.level_sigma.clear();
  p.variation_scale = 1.0;
  p.read_noise_sigma = 0.0;
  p.stuck_at_0_rate = 0.0;
  p.stuck_at_1_rate = 0.0;
  p.pulse_step_sigma = 0.0;
  p.adc_lsb_log2 = 0;
  // An ADC wider than 16 bits is not a plausible circuit: a larger array
  // keeps 16 and may still clip the largest sums.
  p.adc_bits = std::min(p.lossless_adc_bits(), 16u);
  return p;
}

}  // namespace imcvp
