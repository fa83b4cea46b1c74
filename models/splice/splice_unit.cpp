#include "models/splice/splice_unit.hpp"

#include <cstring>
#include <stdexcept>

namespace imcvp {

SpliceUnit::SpliceUnit(const sc_core::sc_module_name& name, const SpliceParams& params)
    : TileBlock(name, "SPLC", IMCVP_BLOCK_SLOT_SPLICE), activity("adds"), m_params(params) {
  check_params(splice_param_table(), m_params, this->name());
  if (m_params.table_bytes == 0 || m_params.table_bytes > IMCVP_SPLICE_TABLE_MEM_MAX || m_params.table_bytes % 4 != 0)
    throw std::invalid_argument(std::string(this->name()) + ": table_bytes " + std::to_string(m_params.table_bytes) +
                                ": the block's window holds a multiple of 4 up to " +
                                std::to_string(IMCVP_SPLICE_TABLE_MEM_MAX));
  m_mem.assign(m_params.table_bytes, 0);
  m_regs.add("table_bytes", IMCVP_SPLICE_TABLE_BYTES, [this](const sc_core::sc_time&) { return table_bytes(); },
             nullptr);
  m_regs.add("lanes", IMCVP_SPLICE_LANES, [this](const sc_core::sc_time&) { return uint32_t(m_params.lanes); },
             nullptr);
  m_regs.add("adds_lo", IMCVP_SPLICE_ADDS_LO, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count()); }, nullptr);
  m_regs.add("adds_hi", IMCVP_SPLICE_ADDS_HI, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count() >> 32); },
             nullptr);
}

bool SpliceUnit::memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time&) {
  return plain_memory_access(trans, IMCVP_SPLICE_TABLE_MEM, m_mem, m_generation);
}

int SpliceUnit::memory_debug(tlm::tlm_generic_payload& trans) {
  return plain_memory_debug(trans, IMCVP_SPLICE_TABLE_MEM, m_mem, m_generation);
}

bool SpliceUnit::shape(LayerContext& ctx) {
  const ExtRecord* r = nullptr;
  for (const ExtRecord& e : ctx.records)
    if (e.type == IMCVP_EXT_SPLICE) {
      if (r) throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": two IMCVP_EXT_SPLICE records"};
      r = &e;
    }
  if (!r) return false;
  auto fail = [&](const std::string& what) {
    throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": " + what};
  };
  if (r->bytes != sizeof(imcvp_ext_splice))
    fail("IMCVP_EXT_SPLICE record of " + std::to_string(r->bytes) + " bytes, " +
         std::to_string(sizeof(imcvp_ext_splice)) + " expected");
  std::memcpy(&m_rec, r->payload, sizeof m_rec);
  if (m_rec.reads == 0) fail("a layer of 0 reads");
  if (uint64_t(m_rec.table_off) + m_rec.table_bytes > m_mem.size() || m_rec.table_off % 4 != 0)
    fail("tables at offset " + std::to_string(m_rec.table_off) + " (" + std::to_string(m_rec.table_bytes) +
         " bytes) are misaligned or beyond the " + std::to_string(m_mem.size()) + "-byte table memory");
  const CrossbarLayout& l = ctx.layout;
  const CrossbarParams& p = *ctx.crossbar;
  const unsigned outputs = ctx.desc->out_c;
  const uint64_t weight_rows = l.kg * l.groups;  // every group's rows: one gather over the whole layer
  if (l.groups > 1 && outputs != uint64_t(l.groups) * l.ng)
    fail("a grouped layer runs on bit planes as one slice of all its " + std::to_string(uint64_t(l.groups) * l.ng) +
         " outputs, not " + std::to_string(outputs));
  // decoded once per table memory contents and record (firmware writes the tables once)
  if (!m_tables || m_cached_generation != m_generation || m_cached_outputs != outputs ||
      m_cached_rows != weight_rows || std::memcmp(&m_rec, &m_cached_rec, sizeof m_rec) != 0) {
    auto t = std::make_shared<std::vector<SpliceRead>>();
    std::string err;
    if (!decode_splice_tables(m_mem.data() + m_rec.table_off, m_rec.table_bytes, m_rec.reads, weight_rows, outputs,
                              p.rows, p.cols, *t, err))
      fail("tables at offset " + std::to_string(m_rec.table_off) + ": " + err);
    m_tables = std::move(t);
    m_cached_generation = m_generation;
    m_cached_rec = m_rec;
    m_cached_outputs = outputs;
    m_cached_rows = weight_rows;
  }
  ctx.layout = gathered_layout(l, p.rows, p.cols, p.cell_bits, m_rec.reads);
  ctx.gather.assign(size_t(m_rec.reads) * p.rows, LayerContext::kNotDriven);
  ctx.read_rows.resize(m_rec.reads);
  ctx.read_outputs.resize(m_rec.reads);
  m_columns = 0;
  for (unsigned n = 0; n < m_rec.reads; ++n) {
    const SpliceRead& sr = (*m_tables)[n];
    std::copy(sr.rows.begin(), sr.rows.end(), ctx.gather.begin() + ptrdiff_t(size_t(n) * p.rows));
    ctx.read_rows[n] = unsigned(sr.rows.size());
    ctx.read_outputs[n] = unsigned(sr.cols.size());
    m_columns += sr.cols.size();
  }
  ctx.map = this;
  ctx.window_outputs = outputs;
  return true;
}

bool SpliceUnit::configure(const LayerContext& ctx) {
  activity.clear_layer();
  if (ctx.map != this) return false;
  activity.start(m_columns * ctx.passes * ctx.positions, slice_table_words(),
                 ns_per_window(ctx.passes, ctx.positions) * ctx.positions);
  return true;
}

void SpliceUnit::accumulate(const ColumnRead& read, const int64_t* y, int64_t sign, int64_t* acc) const {
  const std::vector<SpliceColumn>& cols = (*m_tables)[read.row_group].cols;
  for (size_t c = 0; c < cols.size(); ++c) {
    const int64_t v = y[c] * (int64_t(1) << cols[c].bit);
    acc[cols[c].output] += cols[c].negative ? -sign * v : sign * v;
  }
}

uint64_t SpliceUnit::slice_table_words() const {
  return (uint64_t(m_rec.table_bytes) * 8 + m_params.word_bits - 1) / m_params.word_bits;
}

double SpliceUnit::ns_per_window(unsigned passes, unsigned positions) const {
  // The slice's tables are read once per layer into the unit's index
  // registers (Bit-Transformer's row and column mask registers), a word a
  // cycle, their time shared by the layer's windows; then every converted
  // column of every input pass takes one shift-add on a lane.
  const uint64_t add_cycles = (m_columns + m_params.lanes - 1) / m_params.lanes;
  return (double(passes) * double(add_cycles) + double(slice_table_words()) / positions) * m_params.clock_ns;
}

StageCost SpliceUnit::cost(const LayerContext& ctx) const {
  StageCost c;
  c.ns_per_window = ns_per_window(ctx.passes, ctx.positions);
  c.charges.push_back({"table_read", slice_table_words(), m_params.read_pj});
  c.charges.push_back({"shift_add", m_columns * ctx.passes * ctx.positions, m_params.add_pj});
  return c;
}

void SpliceUnit::layer_done() { activity.finish(); }

void SpliceUnit::reset_counters() {
  TileBlock::reset_counters();
  activity.reset();
}

std::vector<std::pair<std::string, double>> SpliceUnit::stats() const {
  auto s = TileBlock::stats();
  s.emplace_back("shift_adds", double(activity.op_count()));
  s.emplace_back("table_reads", double(activity.reads()));
  s.emplace_back("busy_ns", activity.busy_ns());
  s.emplace_back("table_bytes", double(m_mem.size()));
  return s;
}

}  // namespace imcvp
