#include "models/basis_scaler/basis_scaler.hpp"

#include <cstring>
#include <stdexcept>

#include "models/basis_scaler/basis_coef_data.hpp"

namespace imcvp {

BasisScaler::BasisScaler(const sc_core::sc_module_name& name, const BasisScalerParams& params)
    : TileBlock(name, "BSCL", IMCVP_BLOCK_SLOT_BASIS_SCALER), activity("macs"),
      m_params(params) {
  check_params(basis_scaler_param_table(), m_params, this->name());
  if (m_params.coef_bytes == 0 || m_params.coef_bytes > IMCVP_BASIS_COEF_MEM_MAX || m_params.coef_bytes % 4 != 0)
    throw std::invalid_argument(std::string(this->name()) + ": coef_bytes " + std::to_string(m_params.coef_bytes) +
                                ": the block's window holds a multiple of 4 up to " +
                                std::to_string(IMCVP_BASIS_COEF_MEM_MAX));
  m_mem.assign(m_params.coef_bytes, 0);
  m_regs.add("coef_bytes", IMCVP_BASIS_COEF_BYTES, [this](const sc_core::sc_time&) { return coef_bytes(); }, nullptr);
  m_regs.add("lanes", IMCVP_BASIS_LANES, [this](const sc_core::sc_time&) { return uint32_t(m_params.lanes); }, nullptr);
  m_regs.add("macs_lo", IMCVP_BASIS_MACS_LO, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count()); }, nullptr);
  m_regs.add("macs_hi", IMCVP_BASIS_MACS_HI, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count() >> 32); },
             nullptr);
}

bool BasisScaler::memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time&) {
  return plain_memory_access(trans, IMCVP_BASIS_COEF_MEM, m_mem, m_generation);
}

int BasisScaler::memory_debug(tlm::tlm_generic_payload& trans) {
  return plain_memory_debug(trans, IMCVP_BASIS_COEF_MEM, m_mem, m_generation);
}

bool BasisScaler::shape(LayerContext& ctx) {
  const ExtRecord* r = nullptr;
  for (const ExtRecord& e : ctx.records)
    if (e.type == IMCVP_EXT_BASIS) {
      if (r) throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": two IMCVP_EXT_BASIS records"};
      r = &e;
    }
  if (!r) return false;
  auto fail = [&](const std::string& what) {
    throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": " + what};
  };
  if (r->bytes != sizeof(imcvp_ext_basis))
    fail("IMCVP_EXT_BASIS record of " + std::to_string(r->bytes) + " bytes, " +
         std::to_string(sizeof(imcvp_ext_basis)) + " expected");
  std::memcpy(&m_rec, r->payload, sizeof m_rec);
  const CrossbarLayout& l = ctx.layout;
  if (m_rec.length == 0 || m_rec.count == 0 || m_rec.copies == 0)
    fail("basis length " + std::to_string(m_rec.length) + ", count " + std::to_string(m_rec.count) + ", copies " +
         std::to_string(m_rec.copies) + ": none may be 0");
  if (m_rec.copies > basis_copies(ctx.crossbar->rows, l.outputs_per_xbar, m_rec.length, m_rec.count))
    fail(std::to_string(m_rec.copies) + " copies of a " + std::to_string(m_rec.length) + " x " +
         std::to_string(m_rec.count) + " basis do not fit a crossbar of " + std::to_string(ctx.crossbar->rows) +
         " rows and " + std::to_string(l.outputs_per_xbar) + " outputs");
  const uint64_t segments = (l.kg + m_rec.length - 1) / m_rec.length;
  if (m_rec.segments != segments)
    fail("the record has " + std::to_string(m_rec.segments) + " segments, the layer's " + std::to_string(l.kg) +
         " weight rows make " + std::to_string(segments) + " of " + std::to_string(m_rec.length));
  if (uint64_t(m_rec.coef_off) + m_rec.coef_bytes > m_mem.size() || m_rec.coef_off % 4 != 0)
    fail("coefficients at offset " + std::to_string(m_rec.coef_off) + " (" + std::to_string(m_rec.coef_bytes) +
         " bytes) are misaligned or beyond the " + std::to_string(m_mem.size()) + "-byte coefficient memory");
  m_groups = l.groups;
  m_group_outputs = l.ng;
  if (l.groups > 1 && ctx.desc->out_c != uint64_t(l.groups) * l.ng)
    fail("a grouped layer runs on the basis as one slice of all its " + std::to_string(uint64_t(l.groups) * l.ng) +
         " outputs, not " + std::to_string(ctx.desc->out_c));
  ctx.layout = basis_layout(l, m_rec.length, m_rec.count, m_rec.copies);
  ctx.map = this;
  ctx.window_outputs = ctx.desc->out_c;
  return true;
}

bool BasisScaler::configure(const LayerContext& ctx) {
  activity.clear_layer();
  if (ctx.map != this) return false;
  m_outputs = ctx.window_outputs;
  if (!ctx.estimate &&
      (!m_coefs || m_cached_generation != m_generation || m_cached_outputs != m_outputs ||
       std::memcmp(&m_rec, &m_cached_rec, sizeof m_rec) != 0)) {
    auto c = std::make_shared<std::vector<int8_t>>();
    std::string err;
    if (!decode_basis_coefs(m_rec, m_outputs, m_mem.data() + m_rec.coef_off, m_rec.coef_bytes, *c, err))
      throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": coefficients at offset " +
                                               std::to_string(m_rec.coef_off) + ": " + err};
    m_coefs = std::move(c);
    m_cached_generation = m_generation;
    m_cached_rec = m_rec;
    m_cached_outputs = m_outputs;
  } else if (basis_coef_bytes(m_outputs, m_rec.segments, m_rec.count, m_rec.coef_bits) != m_rec.coef_bytes) {
    throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": the record's " + std::to_string(m_rec.coef_bytes) +
                                             " coefficient bytes do not match its " + std::to_string(m_outputs) +
                                             " outputs"};
  }
  activity.start(macs_per_pass() * ctx.passes * ctx.positions, reads_per_pass() * ctx.passes * ctx.positions,
                 ns_per_window(ctx.passes) * ctx.positions);
  return true;
}

void BasisScaler::accumulate(const ColumnRead& read, const int64_t* y, int64_t sign, int64_t* acc) const {
  const unsigned K = m_rec.count, copies = m_rec.copies;
  const uint32_t S = m_rec.segments;
  const int8_t* c = m_coefs->data();
  // segment q of the read sequence: segment q % S of group q / S (a dense layer: one group of every output)
  const unsigned group_outputs = m_groups > 1 ? m_group_outputs : m_outputs;
  for (unsigned b = 0; b < copies; ++b) {
    const uint64_t q = uint64_t(read.row_group) * copies + b, g = q / S, s = q % S;
    if (g >= m_groups) break;
    const int64_t* u = y + size_t(b) * K;
    for (unsigned o = unsigned(g) * group_outputs, end = o + group_outputs; o < end; ++o) {
      const int8_t* co = c + (size_t(o) * S + s) * K;
      int64_t v = 0;
      for (unsigned j = 0; j < K; ++j) v += int64_t(co[j]) * u[j];
      acc[o] += sign * v;
    }
  }
}

uint64_t BasisScaler::reads_per_pass() const {
  return (macs_per_pass() * m_rec.coef_bits + m_params.word_bits - 1) / m_params.word_bits;
}

double BasisScaler::ns_per_window(unsigned passes) const {
  // Per input pass, every coefficient of the slice is read once and used in
  // one MAC; the memory and the lanes work side by side, the slower sets the pace.
  const uint64_t mac_cycles = (macs_per_pass() + m_params.lanes - 1) / m_params.lanes;
  return double(passes) * double(std::max(reads_per_pass(), mac_cycles)) * m_params.clock_ns;
}

StageCost BasisScaler::cost(const LayerContext& ctx) const {
  StageCost c;
  c.ns_per_window = ns_per_window(ctx.passes);
  c.charges.push_back({"coef_read", reads_per_pass() * ctx.passes * ctx.positions, m_params.read_pj});
  c.charges.push_back({"mac", macs_per_pass() * ctx.passes * ctx.positions, m_params.mac_pj});
  return c;
}

void BasisScaler::layer_done() { activity.finish(); }

void BasisScaler::reset_counters() {
  TileBlock::reset_counters();
  activity.reset();
}

std::vector<std::pair<std::string, double>> BasisScaler::stats() const {
  auto s = TileBlock::stats();
  s.emplace_back("macs", double(activity.op_count()));
  s.emplace_back("coef_reads", double(activity.reads()));
  s.emplace_back("busy_ns", activity.busy_ns());
  s.emplace_back("coef_bytes", double(m_mem.size()));
  return s;
}

}  // namespace imcvp
