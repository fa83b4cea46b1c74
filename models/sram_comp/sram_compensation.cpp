#include "models/sram_comp/sram_compensation.hpp"

#include <cstring>
#include <stdexcept>

namespace imcvp {

SramCompensation::SramCompensation(const sc_core::sc_module_name& name, const SramCompParams& params,
                                   unsigned crossbars)
    : TileBlock(name, "SCMP", IMCVP_BLOCK_SLOT_SRAM_COMP),
      activity("macs"),
      m_params(params) {
  check_params(sram_comp_param_table(), m_params, this->name());
  const uint64_t bytes = m_params.sram_bytes(crossbars);
  if (bytes == 0 || bytes > IMCVP_SRAM_COMP_MEM_MAX || bytes % 4 != 0)
    throw std::invalid_argument(std::string(this->name()) + ": sram_bytes_per_crossbar " +
                                std::to_string(m_params.sram_bytes_per_crossbar) + " x " + std::to_string(crossbars) +
                                " crossbars = " + std::to_string(bytes) +
                                " bytes of SRAM; the block's window holds a multiple of 4 up to " +
                                std::to_string(IMCVP_SRAM_COMP_MEM_MAX));
  m_sram.assign(size_t(bytes), 0);
  m_regs.add("shift", IMCVP_SRAM_COMP_SHIFT, [this](const sc_core::sc_time&) { return m_shift; },
             [this](uint32_t v, const sc_core::sc_time&) { m_shift = v; });
  m_regs.add("sram_bytes", IMCVP_SRAM_COMP_SRAM_BYTES, [this](const sc_core::sc_time&) { return sram_bytes(); },
             nullptr);
  m_regs.add("pes", IMCVP_SRAM_COMP_PES, [this](const sc_core::sc_time&) { return uint32_t(m_params.pes); }, nullptr);
  m_regs.add("macs_lo", IMCVP_SRAM_COMP_MACS_LO, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count()); },
             nullptr);
  m_regs.add("macs_hi", IMCVP_SRAM_COMP_MACS_HI, [this](const sc_core::sc_time&) { return uint32_t(activity.op_count() >> 32); },
             nullptr);
}

bool SramCompensation::memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time&) {
  return plain_memory_access(trans, IMCVP_SRAM_COMP_MEM, m_sram, m_generation);
}

int SramCompensation::memory_debug(tlm::tlm_generic_payload& trans) {
  return plain_memory_debug(trans, IMCVP_SRAM_COMP_MEM, m_sram, m_generation);
}

uint64_t SramCompensation::sram_words_per_window() const {
  const uint64_t bits = m_kept_rows * m_layer->weight_bits;
  return (bits + m_params.word_bits - 1) / m_params.word_bits;
}

bool SramCompensation::configure(const LayerContext& ctx) {
  activity.clear_layer();
  const ExtRecord* r = nullptr;
  for (const ExtRecord& e : ctx.records)
    if (e.type == IMCVP_EXT_SRAM_COMP) {
      if (r) throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": two IMCVP_EXT_SRAM_COMP records"};
      r = &e;
    }
  if (!r) return false;
  auto fail = [&](const std::string& what) {
    throw StageError{IMCVP_TILE_ERR_EXT, std::string(name()) + ": " + what};
  };
  if (r->bytes != sizeof(imcvp_ext_sram_comp))
    fail("IMCVP_EXT_SRAM_COMP record of " + std::to_string(r->bytes) + " bytes, " +
         std::to_string(sizeof(imcvp_ext_sram_comp)) + " expected");
  std::memcpy(&m_rec, r->payload, sizeof m_rec);
  if (m_shift > 3) fail("the SHIFT register holds " + std::to_string(m_shift) + "; the programmable shifter takes 0..3");
  if (ctx.layout.groups > 1) fail("compensation of a grouped convolution is not supported");
  if (uint64_t(m_rec.sram_off) + m_rec.sram_bytes > m_sram.size() || m_rec.sram_off % 4 != 0)
    fail("layer data at SRAM offset " + std::to_string(m_rec.sram_off) + " (" + std::to_string(m_rec.sram_bytes) +
         " bytes) is misaligned or beyond the " + std::to_string(m_sram.size()) + "-byte SRAM");
  imcvp_ext_sram_comp key = m_rec;  // the decoded data depends on every field but the slice's first output
  key.first_output = 0;
  if (!m_layer || m_cached_generation != m_generation || std::memcmp(&key, &m_cached_rec, sizeof key) != 0) {
    auto layer = std::make_shared<SramCompLayer>();
    std::string err;
    if (!decode_sram_comp(m_rec, m_sram.data() + m_rec.sram_off, m_rec.sram_bytes, *layer, err))
      fail("layer data at SRAM offset " + std::to_string(m_rec.sram_off) + ": " + err);
    m_layer = std::move(layer);
    m_cached_generation = m_generation;
    m_cached_rec = key;
  }
  if (m_layer->rows != ctx.layout.kg)
    fail("the record has " + std::to_string(m_layer->rows) + " weight rows per output, the layer " +
         std::to_string(ctx.layout.kg));
  m_first = m_rec.first_output;
  m_slice_outputs = ctx.desc->out_c;
  if (uint64_t(m_first) + m_slice_outputs > m_layer->outputs)
    fail("outputs " + std::to_string(m_first) + ".." + std::to_string(m_first + m_slice_outputs - 1) +
         " beyond the record's " + std::to_string(m_layer->outputs));
  m_kept_rows = 0;
  for (unsigned j = 0; j < m_slice_outputs; ++j) m_kept_rows += m_layer->kept_rows[m_first + j];
  activity.start(m_kept_rows * ctx.positions, sram_words_per_window() * ctx.positions,
                 ns_per_window() * ctx.positions);
  return true;
}

void SramCompensation::outputs(OutputWindow& w) {
  const SramCompLayer& L = *m_layer;
  const int64_t scale = int64_t(1) << m_shift;
  const uint64_t rows = std::min<uint64_t>(L.rows, w.input_count);
  for (unsigned j = 0; j < w.outputs; ++j) {
    const unsigned o = m_first + w.first_output + j;
    if (!L.kept_rows[o]) {
      w.values[j] *= scale;
      continue;
    }
    const int8_t* c = L.weights.data() + size_t(o) * L.rows;
    int64_t s = 0;
    for (uint64_t k = 0; k < rows; ++k) s += int64_t(c[k]) * w.inputs[k];
    w.values[j] = w.values[j] * scale + s;
  }
}

double SramCompensation::ns_per_window() const {
  // The slice's kept weights come out of the SRAM word by word and feed
  // `pes` MAC units (the slower of the two sets the pace), then one
  // shift-and-add per output on the same units.
  const uint64_t reads = sram_words_per_window();
  const uint64_t mac_cycles = (m_kept_rows + m_params.pes - 1) / m_params.pes;
  const uint64_t add_cycles = (uint64_t(m_slice_outputs) + m_params.pes - 1) / m_params.pes;
  return double(std::max(reads, mac_cycles) + add_cycles) * m_params.clock_ns;
}

StageCost SramCompensation::cost(const LayerContext& ctx) const {
  const uint64_t reads = sram_words_per_window();
  StageCost c;
  c.ns_per_window = ns_per_window();
  c.charges.push_back({"sram_read", reads * ctx.positions, m_params.read_pj});
  c.charges.push_back({"mac", m_kept_rows * ctx.positions, m_params.mac_pj});
  c.charges.push_back({"shift_add", uint64_t(m_slice_outputs) * ctx.positions, m_params.shift_add_pj});
  return c;
}

void SramCompensation::layer_done() { activity.finish(); }

void SramCompensation::reset_counters() {
  TileBlock::reset_counters();
  activity.reset();
}

std::vector<std::pair<std::string, double>> SramCompensation::stats() const {
  auto s = TileBlock::stats();
  s.emplace_back("macs", double(activity.op_count()));
  s.emplace_back("sram_reads", double(activity.reads()));
  s.emplace_back("busy_ns", activity.busy_ns());
  s.emplace_back("sram_bytes", double(m_sram.size()));
  s.emplace_back("shift", double(m_shift));
  return s;
}

}  // namespace imcvp
