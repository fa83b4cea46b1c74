#include "models/crossbar/crossbar_bank.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace imcvp {

CrossbarBank::CrossbarBank(const sc_core::sc_module_name& name, const CrossbarBankParams& params)
    : TileBlock(name, "XBAR", IMCVP_BLOCK_SLOT_CROSSBARS), m_params(params) {
  validate_crossbar_params(m_params.crossbar);  // the macros are made on first use
  m_xbars.resize(m_params.crossbars);
  auto rw = [this](const char* n, uint64_t off, unsigned& r) {
    m_regs.add(n, off, [&r](const sc_core::sc_time&) { return uint32_t(r); },
               [&r](uint32_t v, const sc_core::sc_time&) { r = v; });
  };
  rw("select", IMCVP_XBANK_SELECT, m_sel);
  rw("row", IMCVP_XBANK_ROW, m_row);
  rw("col", IMCVP_XBANK_COL, m_col);
  m_regs.add("level", IMCVP_XBANK_LEVEL,
             [this](const sc_core::sc_time&) -> uint32_t {
               const CrossbarParams& p = m_params.crossbar;
               if (m_sel >= m_xbars.size() || m_row >= p.rows || m_col >= p.cols) return 0xFFFFFFFFu;
               return m_xbars[m_sel] ? m_xbars[m_sel]->level(m_row, m_col) : 0u;  // unmade: reset state
             },
             nullptr);
}

CrossbarArray& CrossbarBank::crossbar(unsigned i) {
  std::unique_ptr<CrossbarArray>& x = m_xbars.at(i);
  if (!x) x = std::make_unique<CrossbarArray>(m_params.crossbar, m_params.seed + i);
  return *x;
}

unsigned CrossbarBank::made() const {
  unsigned n = 0;
  for (const auto& x : m_xbars) n += x != nullptr;
  return n;
}

void CrossbarBank::reset_counters() {
  TileBlock::reset_counters();
  m_mvm = MvmStats{};
  m_program = ProgramStats{};
  m_mvms = m_digit_slots = 0;
}

std::vector<std::pair<std::string, double>> CrossbarBank::stats() const {
  return {{"layers", double(layers())},
          {"crossbars_made", double(made())},
          {"mvms", double(m_mvms)},
          {"adc_conversions", double(m_mvm.adc_conversions)},
          {"adc_clipped", double(m_mvm.adc_clipped)},
          {"dac_conversions", double(m_mvm.dac_conversions)},
          {"cell_reads", double(m_mvm.cell_reads)},
          {"digit_slots", double(m_digit_slots)},
          {"cells_written", double(m_program.cells_written)},
          {"pulses", double(m_program.pulses)},
          {"cells_failed", double(m_program.cells_failed)}};
}

ProgramStats CrossbarBank::program(unsigned i, const uint8_t* lv) {
  const CrossbarParams& p = m_params.crossbar;
  if (i >= m_params.crossbars)
    throw StageError{IMCVP_TILE_ERR_XBARS, "crossbar " + std::to_string(i) + " of " + std::to_string(m_params.crossbars)};
  const uint64_t n = uint64_t(p.rows) * p.cols;
  for (uint64_t k = 0; k < n; ++k)
    if (lv[k] > p.max_level())
      throw StageError{IMCVP_TILE_ERR_LEVEL, "level " + std::to_string(lv[k]) + " at row " + std::to_string(k / p.cols) +
                                                 ", column " + std::to_string(k % p.cols) + " above " +
                                                 std::to_string(p.max_level())};
  const ProgramStats ps = crossbar(i).program(lv);
  m_program += ps;
  return ps;
}

const ProgramPulseTable& CrossbarBank::pulse_table() {
  if (!m_pulse_table) m_pulse_table = std::make_unique<ProgramPulseTable>(CrossbarArray::pulse_table(m_params.crossbar));
  return *m_pulse_table;
}

ProgramStats CrossbarBank::program_expected(unsigned i, const ExtRecord& r) {
  const CrossbarParams& p = m_params.crossbar;
  if (i >= m_params.crossbars)
    throw StageError{IMCVP_TILE_ERR_XBARS, "crossbar " + std::to_string(i) + " of " + std::to_string(m_params.crossbars)};
  imcvp_ext_program_changes h;
  if (r.bytes < sizeof h) throw StageError{IMCVP_TILE_ERR_EXT, "program changes record of " + std::to_string(r.bytes) + " bytes"};
  std::memcpy(&h, r.payload, sizeof h);
  const unsigned levels = p.max_level() + 1;
  if (h.levels != levels || r.bytes != sizeof h + 4u * levels)
    throw StageError{IMCVP_TILE_ERR_EXT, "program changes record of " + std::to_string(h.levels) + " levels in " +
                                             std::to_string(r.bytes) + " bytes: the crossbars' cells have " +
                                             std::to_string(levels) + " levels"};
  if (h.write_parallel != p.write_parallel_cells)
    throw StageError{IMCVP_TILE_ERR_EXT, "program changes counted for " + std::to_string(h.write_parallel) +
                                             " cells written in parallel, the crossbars write " +
                                             std::to_string(p.write_parallel_cells)};
  std::vector<uint32_t> counts(levels);
  std::memcpy(counts.data(), r.payload + sizeof h, 4u * levels);
  uint64_t cells = 0;
  for (uint32_t c : counts) cells += c;
  const uint64_t n = uint64_t(p.rows) * p.cols;
  if (cells > n || h.write_groups > cells || (cells && h.write_groups * uint64_t(p.write_parallel_cells) < cells))
    throw StageError{IMCVP_TILE_ERR_EXT, "program changes of " + std::to_string(cells) + " cells in " +
                                             std::to_string(h.write_groups) + " write groups on a crossbar of " +
                                             std::to_string(n) + " cells"};
  const ProgramStats ps = expected_program_stats(p, pulse_table(), counts.data(), h.write_groups);
  m_program += ps;
  return ps;
}

WeightFormat CrossbarBank::layer_format(const std::vector<ExtRecord>& records) const {
  const CrossbarParams& p = m_params.crossbar;
  WeightFormat f = weight_format(p);
  for (const ExtRecord& r : records) {
    if (r.type != IMCVP_EXT_WEIGHT_FORMAT) continue;
    imcvp_ext_weight_format w;
    if (r.bytes != sizeof w) throw StageError{IMCVP_TILE_ERR_EXT, "weight format record of " + std::to_string(r.bytes) + " bytes"};
    std::memcpy(&w, r.payload, sizeof w);
    if (w.cell_bits != p.cell_bits || w.weight_bits < 1 || w.weight_bits > 16 || w.signed_mode > 2)
      throw StageError{IMCVP_TILE_ERR_EXT, "weight format " + std::to_string(w.weight_bits) + "-bit weights in " +
                                               std::to_string(w.cell_bits) + "-bit cells (mode " +
                                               std::to_string(w.signed_mode) + "): the crossbars hold " +
                                               std::to_string(p.cell_bits) + "-bit cells"};
    static_assert(uint8_t(SignedMode::Differential) == 0 && uint8_t(SignedMode::Offset) == 1 &&
                      uint8_t(SignedMode::Unsigned) == 2,
                  "imcvp_ext_weight_format.signed_mode numbers the modes as SignedMode does");
    f = {w.weight_bits, w.cell_bits, SignedMode(w.signed_mode)};
  }
  return f;
}

bool CrossbarBank::configure(const LayerContext& ctx) {
  const CrossbarLayout& l = ctx.layout;
  const unsigned need = l.crossbars();
  m_layer_xbars.clear();
  for (const ExtRecord& r : ctx.records) {
    if (r.type != IMCVP_EXT_XBAR_LIST) continue;
    uint16_t n = 0;
    if (r.bytes >= 2) std::memcpy(&n, r.payload, 2);
    if (r.bytes < 2 + 2u * n)
      throw StageError{IMCVP_TILE_ERR_EXT, "crossbar list of " + std::to_string(n) + " entries in " +
                                               std::to_string(r.bytes) + " bytes"};
    m_layer_xbars.resize(n);
    for (unsigned i = 0; i < n; ++i) {
      uint16_t x;
      std::memcpy(&x, r.payload + 2 + 2 * i, 2);
      if (x >= m_params.crossbars)
        throw StageError{IMCVP_TILE_ERR_XBARS, "crossbar list entry " + std::to_string(i) + " is crossbar " +
                                                   std::to_string(x) + ", the tile has " +
                                                   std::to_string(m_params.crossbars)};
      m_layer_xbars[i] = x;
    }
    if (n != need)
      throw StageError{IMCVP_TILE_ERR_XBARS, "the crossbar list names " + std::to_string(n) +
                                                 " crossbars, the layer's layout needs " + std::to_string(need)};
  }
  if (m_layer_xbars.empty()) {
    const unsigned x0 = ctx.desc->xbar;
    if (uint64_t(x0) + need > m_params.crossbars)
      throw StageError{IMCVP_TILE_ERR_XBARS, "layer needs crossbars " + std::to_string(x0) + ".." +
                                                 std::to_string(uint64_t(x0) + need - 1) + ", the tile has " +
                                                 std::to_string(m_params.crossbars)};
    m_layer_xbars.resize(need);
    for (unsigned i = 0; i < need; ++i) m_layer_xbars[i] = x0 + i;
  }
  m_layer = MvmStats{};
  m_dac_bits = ctx.dac_bits;
  if (ctx.estimate) {
    // The events of every window, pass and crossbar without the numbers:
    // the rows a step drives become estimate_input_density x the rows.
    const CrossbarParams& p = m_params.crossbar;
    const unsigned steps = mvm_steps(p, ctx.dac_bits), per = l.format.cols_per_output();
    const uint64_t windows = uint64_t(ctx.positions) * ctx.passes;
    double active = 0;  // expected rows driven, summed over MVMs and steps
    uint64_t reads = 0;
    for (unsigned pk = 0; pk < l.packs; ++pk)
      for (unsigned rg = 0; rg < l.row_groups && l.rows_in(pk, rg); ++rg) {
        const uint64_t rows = ctx.rows_of_read(pk, rg);
        for (unsigned cg = 0; cg < l.col_groups && l.outputs_in(pk, cg); ++cg) {
          const unsigned cols = ctx.outputs_of_read(pk, rg, cg) * per;
          const double a = m_params.estimate_input_density * double(rows) * steps * double(windows);
          active += a;
          m_layer.cell_reads += uint64_t(std::llround(a * cols));
          m_layer.adc_conversions += uint64_t(steps) * cols * windows;
          m_digit_slots += rows * steps * windows;
          ++reads;
        }
      }
    m_layer.active_rows = uint64_t(std::llround(active));
    m_layer.dac_conversions = m_layer.active_rows;
    m_mvms += reads * windows;
  }
  return true;
}

const MvmStats& CrossbarBank::read(unsigned n, unsigned rows, const int32_t* inputs, int64_t* columns,
                                   unsigned ncols) {
  try {
    m_last = crossbar(m_layer_xbars[n]).mvm(inputs, m_dac_bits, columns, ncols);
  } catch (const std::invalid_argument& e) {
    throw StageError{IMCVP_TILE_ERR_FORMAT, std::string("input out of range: ") + e.what()};
  }
  account(rows, m_last);
  return m_last;
}

MvmStats CrossbarBank::read_keyed(const CrossbarArray& x, const int32_t* inputs, int64_t* columns, unsigned ncols,
                                  uint64_t read, CrossbarArray::MvmScratch& scratch) const {
  try {
    return x.mvm_keyed(inputs, m_dac_bits, columns, ncols, nullptr, read, scratch);
  } catch (const std::invalid_argument& e) {
    throw StageError{IMCVP_TILE_ERR_FORMAT, std::string("input out of range: ") + e.what()};
  }
}

void CrossbarBank::account(unsigned rows, const MvmStats& st) {
  m_last = st;
  m_layer += st;
  ++m_mvms;
  m_digit_slots += uint64_t(rows) * st.steps;
}

void CrossbarBank::end_layer() { m_mvm += m_layer; }

StageCost CrossbarBank::cost(const LayerContext& ctx) const {
  const CrossbarParams& p = m_params.crossbar;
  const CrossbarLayout& l = ctx.layout;
  const unsigned per = l.format.cols_per_output();
  // Crossbars run in parallel, a crossbar's own reads one after another (a
  // layer whose crossbar list names a crossbar more than once: BasisN's
  // basis crossbars): a window waits for the busiest crossbar.
  std::vector<double> busy(m_params.crossbars, 0.0);
  double xbar_ns = 0;
  for (unsigned pk = 0; pk < l.packs; ++pk)
    for (unsigned rg = 0; rg < l.row_groups && l.rows_in(pk, rg); ++rg)
      for (unsigned cg = 0; cg < l.col_groups && l.outputs_in(pk, cg); ++cg) {
        double& b = busy[m_layer_xbars[l.index(pk, rg, cg)]];
        b += mvm_latency_ns(p, ctx.dac_bits, ctx.outputs_of_read(pk, rg, cg) * per);
        xbar_ns = std::max(xbar_ns, b);
      }
  StageCost c;
  c.ns_per_window = ctx.passes * xbar_ns;
  c.charges.push_back({"cell_read", m_layer.cell_reads, p.cell_read_energy_pj, "cell_array"});
  c.charges.push_back({"dac", m_layer.dac_conversions, p.dac_energy_pj, "dac"});
  c.charges.push_back({"adc", m_layer.adc_conversions, p.adc_energy_pj, "adc"});
  return c;
}

}  // namespace imcvp
