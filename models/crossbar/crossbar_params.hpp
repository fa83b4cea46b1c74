// Parameters of one RRAM crossbar macro: geometry, converters, device
// non-idealities, write-and-verify programming and per-event costs.
// docs/crossbar.md describes the model; every default below names its source.
//
// Sources cited:
//   [ISAAC]    A. Shafiee et al., "ISAAC: A Convolutional Neural Network
//              Accelerator with In-Situ Analog Arithmetic in Crossbars",
//              ISCA 2016 (Table I; Sec. IV-V). Table I gives powers; energies
//              are power x the paper's 100 ns crossbar cycle.
//   [PRIME]    P. Chi et al., "PRIME: A Novel Processing-in-Memory
//              Architecture for Neural Network Computation in ReRAM-based
//              Main Memory", ISCA 2016 (positive/negative crossbar pairs).
//   [NeuroSim] X. Peng et al., "DNN+NeuroSim: An End-to-End Benchmarking
//              Framework for Compute-in-Memory Accelerators with Versatile
//              Device Technologies", IEDM 2019 (DNN_NeuroSim_V1.3 Param.cpp).
//   [MLP-NeuroSim] P.-Y. Chen, X. Peng, S. Yu, "NeuroSim: A Circuit-Level
//              Macro Model for Benchmarking Neuro-Inspired Architectures in
//              Online Learning", TCAD 2018 (MLP_NeuroSim_V3.0 Cell.cpp).
//   [MNSIM2]   Z. Zhu et al., "MNSIM 2.0: A Behavior-Level Modeling Tool for
//              Memristor-based Neuromorphic Computing Systems", GLSVLSI 2020
//              (SimConfig.ini of thu-nics/MNSIM-2.0).
//   [Krishnan2022] G. Krishnan et al., "Hybrid RRAM/SRAM In-Memory Computing
//              for Robust DNN Acceleration", IEEE TCAD 2022,
//              doi:10.1109/TCAD.2022.3197516 (Table I: measured per-level
//              log-normal cycle-to-cycle variation of a 3-bit RRAM cell,
//              programmed without write-and-verify; "2x variation" case).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imcvp {

// How a signed weight is held by unsigned conductances (docs/crossbar.md).
enum class SignedMode : uint8_t {
  Differential,  // w = w+ - w-: a positive and a negative column group
  Offset,        // w + 2^(weight_bits-1) stored; the offset removed digitally
  Unsigned,      // 0 <= w < 2^weight_bits stored as it is: a layer's own format
                 // only (SME's bit planes, IMCVP_EXT_WEIGHT_FORMAT mode 2), never a chip's
};
constexpr std::array<const char*, 3> kSignedModeNames = {"differential", "offset", "unsigned"};

// Distribution of the conductance a programming pulse lands on.
enum class VariationDist : uint8_t {
  Lognormal,  // g = g_target * exp(sigma z)
  Gaussian,   // g = g_target * (1 + sigma z), clipped at 0
};
constexpr std::array<const char*, 2> kVariationDistNames = {"lognormal", "gaussian"};

// Source figures the defaults are computed from, each stated once.
namespace crossbar_source {
// [NeuroSim] Param.cpp: resistanceOn = 6e3, resistanceOff = 6e3*150.
constexpr double kROnOhm = 6e3;
constexpr double kOnOffRatio = 150.0;
// [MLP-NeuroSim] IdealDevice: writeVoltage 2 V, writePulseWidth 10 ns,
// maxNumLevel 64 pulses over the conductance range; RealDevice: cycle-to-cycle
// sigma 0.5% of the range per pulse. [MNSIM2] Write_Latency = 10 ns too.
constexpr double kWriteVoltageV = 2.0;
constexpr double kWritePulseNs = 10.0;
constexpr double kPulsesOverRange = 64.0;
constexpr double kCycleToCycleSigma = 0.005;
// [ISAAC] Table I and Sec. IV: one crossbar read is a 100 ns cycle; an IMA
// has 8 ADCs of 8 bits at 1.28 GSps drawing 16 mW, 8 x 128 1-bit DACs drawing
// 4 mW, 8 arrays of 128 x 128 2-bit cells drawing 2.4 mW.
constexpr double kIsaacCycleNs = 100.0;
constexpr double kIsaacAdcMw = 16.0 / 8;
constexpr double kIsaacAdcGsps = 1.28;
constexpr double kIsaacDacMw = 4.0 / (8 * 128);
constexpr double kIsaacArrayMw = 2.4 / 8;
constexpr double kIsaacCellsPerArray = 128.0 * 128.0;
// [Krishnan2022] Table I: sigma of the log-normal cycle-to-cycle conductance
// variation per level of a 3-bit cell (levels 0-1, the LRS: 0.1035; 2-3:
// 0.2760; 4-5: 0.2259; 6-7: 0.3549). A 1-bit cell uses levels 0-1 and a
// 2-bit cell levels 0-3, as the paper states.
constexpr std::array<double, 8> kKrishnan2022LevelSigma = {0.1035, 0.1035, 0.2760, 0.2760,
                                                            0.2259, 0.2259, 0.3549, 0.3549};
}  // namespace crossbar_source

// Named per-level sigma tables (`level_sigma: <name>` in a scenario).
constexpr std::array<const char*, 1> kLevelSigmaPresetNames = {"krishnan2022"};
// The preset `name`'s sigmas for the 2^cell_bits levels in use, or, when the
// name is unknown or the table has fewer levels than a cell of `cell_bits`,
// nothing and `*problem` (if given) says why.
std::optional<std::vector<double>> level_sigma_preset(const std::string& name, unsigned cell_bits,
                                                      std::string* problem = nullptr);

struct CrossbarParams {
  // --- geometry and weight format --------------------------------------
  unsigned rows = 128;  // word lines (inputs). [ISAAC] 128 x 128; [NeuroSim] numRowSubArray
  unsigned cols = 128;  // bit lines (outputs).  [ISAAC]; [NeuroSim] numColSubArray
  // Levels per cell = 2^cell_bits. [ISAAC] 2 bits/cell; [NeuroSim] cellBit = 2.
  unsigned cell_bits = 2;
  unsigned weight_bits = 8;  // signed weight width (8-bit post-training quantization, issue 3)
  // [PRIME] and [MNSIM2] (Xbar_Polarity = 2) use positive/negative arrays;
  // [ISAAC] uses the offset ("biased") form.
  SignedMode signed_mode = SignedMode::Differential;

  // --- converters ----------------------------------------------------------
  unsigned dac_bits = 1;  // input bits applied per read step. [ISAAC] 1-bit DACs
  unsigned adc_bits = 8;  // [ISAAC] 8-bit ADC
  // ADC LSB = 2^adc_lsb_log2 unit currents (a unit current: one cell one level
  // above g_off under a DAC step of 1); full scale = (2^adc_bits - 1) LSBs.
  // 0 = integer-exact ADC that clips large sums (docs/crossbar.md, "ADC").
  unsigned adc_lsb_log2 = 0;
  unsigned cols_per_adc = 8;  // columns muxed onto one ADC. [NeuroSim] numColMuxed = 8

  // --- device ----------------------------------------------------------------
  double g_on_s = 1.0 / crossbar_source::kROnOhm;          // [NeuroSim] Ron = 6 kOhm
  double g_off_s = g_on_s / crossbar_source::kOnOffRatio;  // [NeuroSim] on/off = 150
  // Spread of the conductance one programming pulse lands on, relative to the
  // target. [MNSIM2] Device_Variation = 5: a Gaussian of 5 % of the ideal
  // resistance (Weight_update.py); applied here to the conductance, which is
  // the same to first order.
  VariationDist variation_dist = VariationDist::Gaussian;
  double program_sigma = 0.05;
  // Per target level L (0 .. 2^cell_bits - 1): the sigma used in place of
  // program_sigma for the first pulse of a cell written to L. Empty (default)
  // = off, program_sigma for every level. When set it has exactly
  // 2^cell_bits entries. [Krishnan2022] Table I: level_sigma_preset("krishnan2022").
  std::vector<double> level_sigma;
  // Multiplies the programming sigma (program_sigma or level_sigma[L]);
  // [Krishnan2022]'s "2x variation" case is 2. Default 1 (no change).
  double variation_scale = 1.0;
  // Read noise, relative to the cell's conductance, drawn per read.
  // [NeuroSim]/[MLP-NeuroSim] default readNoise = false; their measured
  // device uses sigmaReadNoise = 0.0289 (a value for sweeps).
  double read_noise_sigma = 0.0;
  // Fraction of cells stuck at g_off (SA0) / g_on (SA1), drawn at fabrication
  // (construction) as [MNSIM2] draws them (one uniform per cell: below the
  // SA0 rate, or above 1 - the SA1 rate). Default none, as [NeuroSim];
  // [MNSIM2]'s example config uses Device_SAF = 9 % / 1 % (for sweeps).
  double stuck_at_0_rate = 0.0;
  double stuck_at_1_rate = 0.0;

  // --- read costs (per event) ---------------------------------------------------
  // One crossbar read step (word-line pulse, settle, sample-and-hold).
  // [ISAAC] Sec. IV: "a cycle is the time required to perform one crossbar
  // read operation, which ... is 100 ns".
  double read_cycle_ns = crossbar_source::kIsaacCycleNs;
  // Cell array energy per active cell (row driven, digit != 0) per step.
  // [ISAAC] 0.3 mW per array x 100 ns / 16384 cells = 1.83 fJ.
  double cell_read_energy_pj = crossbar_source::kIsaacArrayMw * crossbar_source::kIsaacCycleNs /
                               crossbar_source::kIsaacCellsPerArray;
  // Per DAC conversion (a row driven with a nonzero digit).
  // [ISAAC] 4 mW / 1024 DACs x 100 ns = 0.39 pJ.
  double dac_energy_pj = crossbar_source::kIsaacDacMw * crossbar_source::kIsaacCycleNs;
  // Per ADC conversion. [ISAAC] 2 mW / 1.28 GSps = 1.5625 pJ.
  double adc_energy_pj = crossbar_source::kIsaacAdcMw / crossbar_source::kIsaacAdcGsps;
  // Per ADC conversion (the ADC's muxed columns are converted one after
  // another). [ISAAC] 1 / 1.28 GSps = 0.78 ns.
  double adc_latency_ns = 1.0 / crossbar_source::kIsaacAdcGsps;

  // --- write-and-verify programming --------------------------------------------
  // true (default): write-and-verify (below). false: one programming pulse
  // per changed cell and no verify read; the cell keeps the conductance that
  // pulse landed on ([Krishnan2022]'s measured cycle-to-cycle state).
  bool write_verify = true;
  // Accept when |read - target| <= verify_tolerance x the level spacing
  // (g_on - g_off) / (2^cell_bits - 1). A modelling choice, not a published
  // figure: +-0.1 level spans about four corrective pulse steps of the
  // defaults below, so the loop converges in a few pulses.
  double verify_tolerance = 0.1;
  // Pulse limit per cell: enough steps of pulse_step to cross the whole range
  // once, so any reachable target is reached ([MLP-NeuroSim] 64 levels).
  unsigned max_pulses = static_cast<unsigned>(crossbar_source::kPulsesOverRange);
  double pulse_latency_ns = crossbar_source::kWritePulseNs;  // [MLP-NeuroSim]; [MNSIM2] 10 ns
  // V_w^2 x g_on x t_w = 2 V^2 x 166.7 uS x 10 ns = 6.67 pJ, an upper bound
  // (a cell conducts at most g_on). [MLP-NeuroSim] charges V^2 G t per pulse.
  double pulse_energy_pj = crossbar_source::kWriteVoltageV * crossbar_source::kWriteVoltageV *
                           g_on_s * crossbar_source::kWritePulseNs * 1e3;
  // A corrective pulse moves the conductance toward the target by
  // pulse_step x (g_on - g_off), plus a Gaussian error of pulse_step_sigma x
  // (g_on - g_off). [MLP-NeuroSim] 64 pulses over the range; cycle-to-cycle
  // sigma 0.5 % of the range.
  double pulse_step = 1.0 / crossbar_source::kPulsesOverRange;
  double pulse_step_sigma = crossbar_source::kCycleToCycleSigma;
  // One verify read of one cell: a read cycle and one ADC conversion, with
  // the energy of one cell read, one DAC and one ADC conversion (derived from
  // the read costs above).
  double verify_latency_ns = read_cycle_ns + adc_latency_ns;
  double verify_energy_pj = cell_read_energy_pj + dac_energy_pj + adc_energy_pj;
  // Cells of one row written concurrently (one write-verify loop each); the
  // group takes as long as its slowest cell. 1 = cell by cell (assumption).
  unsigned write_parallel_cells = 1;

  // --- derived ---------------------------------------------------------------------
  unsigned max_level() const { return (1u << cell_bits) - 1u; }
  // Sigma of the first pulse's landing conductance for target level L:
  // variation_scale x (level_sigma[L] if level_sigma is set, else program_sigma).
  double program_sigma_for(unsigned level) const {
    return (level_sigma.empty() ? program_sigma : level_sigma[level]) * variation_scale;
  }
  // Columns one weight occupies per sign: ceil(weight_bits / cell_bits).
  unsigned weight_slices() const { return (weight_bits + cell_bits - 1) / cell_bits; }
  // Columns one output (one weight column of the matrix) occupies.
  unsigned cols_per_output() const {
    return signed_mode == SignedMode::Differential ? 2 * weight_slices() : weight_slices();
  }
  unsigned max_outputs() const { return cols / cols_per_output(); }
  unsigned adc_count() const { return (cols + cols_per_adc - 1) / cols_per_adc; }
  unsigned max_adc_code() const { return (1u << adc_bits) - 1u; }
  // The largest column sum of one read step: R x (2^cell_bits-1) x (2^dac_bits-1).
  uint64_t max_column_sum() const {
    return static_cast<uint64_t>(rows) * max_level() * ((1u << dac_bits) - 1u);
  }
  // ADC bits for which no column sum can clip and every unit is resolved.
  unsigned lossless_adc_bits() const;
  // The smallest adc_lsb_log2 whose full scale covers max_column_sum(): no
  // clipping, at the price of a coarser LSB.
  unsigned full_range_adc_lsb_log2() const;
};

// A parameter a user got wrong: the field's name and what is wrong with it.
struct CrossbarParamError {
  std::string field;    // e.g. "adc_bits"
  std::string problem;  // e.g. "must be 1..16, got 0"
};
// The first problem of `p`, or none.
std::optional<CrossbarParamError> check_crossbar_params(const CrossbarParams& p);
// Throws std::invalid_argument("crossbar.<field>: <problem>") on a bad `p`.
void validate_crossbar_params(const CrossbarParams& p);

// `p` with an ideal device and converters: no variation, noise or faults
// (program_sigma 0, level_sigma cleared, variation_scale 1), an ADC that
// resolves every unit and never clips (adc_bits = lossless_adc_bits(), at
// most 16); costs, geometry and the programming scheme (write_verify)
// unchanged.
CrossbarParams ideal_crossbar(CrossbarParams p);

}  // namespace imcvp
