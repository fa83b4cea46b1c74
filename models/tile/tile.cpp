#include "models/tile/tile.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "models/energy/energy_ledger.hpp"
#include "models/tile/worker_pool.hpp"

namespace imcvp {

using sc_core::sc_time;

namespace {

unsigned fmt_bytes(uint8_t fmt) { return fmt & IMCVP_FMT_BYTES_MASK; }
bool fmt_ok(uint8_t fmt) {
  const unsigned b = fmt_bytes(fmt);
  return (b == 1 || b == 2 || b == 4) && (fmt & ~(IMCVP_FMT_BYTES_MASK | IMCVP_FMT_SIGNED)) == 0;
}
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

Tile::ZeroedBuffer::ZeroedBuffer(size_t n) : m_p(static_cast<uint8_t*>(std::calloc(n ? n : 1, 1))), m_n(n) {
  if (!m_p) throw std::bad_alloc();
}
Tile::ZeroedBuffer::~ZeroedBuffer() { std::free(m_p); }

namespace {
CrossbarBankParams bank_params(const TileParams& t) {
  CrossbarBankParams b;
  b.crossbars = t.crossbars;
  b.crossbar = t.crossbar;
  b.seed = t.seed;
  b.estimate = t.estimate;
  b.estimate_input_density = t.estimate_input_density;
  return b;
}
// The bank checks its count on first use; the tile names the field first.
const TileParams& checked(const TileParams& t, const std::string& me) {
  auto bad = [&](const std::string& field, const std::string& what) {
    throw std::invalid_argument(me + ": tile." + field + ": " + what);
  };
  if (t.crossbars == 0 || t.crossbars > IMCVP_TILE_MAX_XBARS)
    bad("crossbars", "must be 1.." + std::to_string(IMCVP_TILE_MAX_XBARS) + ", got " + std::to_string(t.crossbars));
  return t;
}
}  // namespace

Tile::Tile(const sc_core::sc_module_name& name, const TileParams& params, EnergyLedger* ledger)
    : sc_core::sc_module(name),
      socket("socket"),
      irq("irq", false),
      busy("busy", false),
      m_params(checked(params, this->name())),
      m_ledger(ledger),
      m_regs(this->name()),
      m_irq_driver("irq_driver", irq),
      m_to_blocks("to_blocks"),
      m_block_router("blocks"),
      m_xbank("crossbar", bank_params(params)),
      m_shift_add("shift_add", params.shift_add),
      m_accumulator("accumulator", params.accumulator),
      m_act("activation", params.activation),
      m_buf(params.buffer_bytes <= IMCVP_TILE_BUF_MAX ? params.buffer_bytes : 0) {
  const std::string me = this->name();
  auto bad = [&](const std::string& field, const std::string& what) {
    throw std::invalid_argument(me + ": tile." + field + ": " + what);
  };
  if (m_params.buffer_bytes == 0 || m_params.buffer_bytes > IMCVP_TILE_BUF_MAX ||
      m_params.buffer_bytes % 4 != 0)
    bad("buffer_bytes", "must be a multiple of 4 in 4.." + std::to_string(IMCVP_TILE_BUF_MAX) + ", got " +
                            std::to_string(m_params.buffer_bytes));
  if (!(m_params.clock_ns > 0)) bad("clock_ns", "must be > 0");
  for (auto [n, v] : {std::pair<const char*, unsigned>{"buffer_bytes_per_cycle", m_params.buffer_bytes_per_cycle},
                      {"pool_lanes", m_params.pool_lanes}})
    if (v == 0) bad(n, "must be > 0");
  m_to_blocks.bind(m_block_router.target);
  add_block(m_xbank);
  add_block(m_shift_add);
  add_block(m_accumulator);
  add_block(m_act);
  for (const auto& make : params.block_factories) m_owned_blocks.push_back(make(*this));

  auto ro = [this](const char* n, uint64_t off, std::function<uint32_t()> f) {
    m_regs.add(n, off, [f](const sc_time&) { return f(); }, nullptr);
  };
  m_regs.add("ctrl", IMCVP_TILE_CTRL, nullptr,
             [this](uint32_t v, const sc_time& at) { write_ctrl(v, at); });
  ro("status", IMCVP_TILE_STATUS, [this] { return m_status; });
  m_regs.add("desc_addr", IMCVP_TILE_DESC_ADDR, [this](const sc_time&) { return m_desc_addr; },
             [this](uint32_t v, const sc_time&) { m_desc_addr = v; });
  m_regs.add("irq_enable", IMCVP_TILE_IRQ_ENABLE, [this](const sc_time&) { return m_irq_enable; },
             [this](uint32_t v, const sc_time& at) {
               m_irq_enable = v & (IMCVP_TILE_IRQ_DONE | IMCVP_TILE_IRQ_ERROR);
               update_irq(at);
             });
  m_regs.add("irq_status", IMCVP_TILE_IRQ_STATUS, [this](const sc_time&) { return m_irq_status; },
             [this](uint32_t v, const sc_time& at) {
               m_irq_status &= ~v;
               update_irq(at);
             });
  ro("error", IMCVP_TILE_ERROR, [this] { return m_error; });
  ro("layers", IMCVP_TILE_LAYERS, [this] { return uint32_t(m_stats.commands); });
  ro("mvms", IMCVP_TILE_MVMS, [this] { return uint32_t(m_xbank.mvms()); });
  ro("pulses", IMCVP_TILE_PULSES, [this] { return uint32_t(m_xbank.program_totals().pulses); });
  ro("adc_clipped", IMCVP_TILE_ADC_CLIPPED, [this] { return uint32_t(m_xbank.mvm_totals().adc_clipped); });
  ro("busy_ns", IMCVP_TILE_BUSY_NS,
     [this] { return uint32_t(std::min(m_stats.busy_ns, 4294967295.0)); });
  ro("num_xbars", IMCVP_TILE_NUM_XBARS, [this] { return m_params.crossbars; });
  ro("xbar_rows", IMCVP_TILE_XBAR_ROWS, [this] { return m_params.crossbar.rows; });
  ro("xbar_cols", IMCVP_TILE_XBAR_COLS, [this] { return m_params.crossbar.cols; });
  ro("buf_size", IMCVP_TILE_BUF_SIZE, [this] { return uint32_t(m_buf.size()); });
  ro("xbar_format", IMCVP_TILE_XBAR_FORMAT, [this] {
    const CrossbarParams& x = m_params.crossbar;
    return uint32_t(x.weight_bits) | uint32_t(x.cell_bits) << 8 |
           (x.signed_mode == SignedMode::Offset ? uint32_t(IMCVP_TILE_XBAR_FORMAT_OFFSET) : 0u);
  });

  socket.register_b_transport(this, &Tile::b_transport);
  socket.register_transport_dbg(this, &Tile::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &Tile::get_direct_mem_ptr);

  SC_HAS_PROCESS(Tile);
  SC_THREAD(run);
}

void Tile::add_block(TileBlock& b) {
  for (const TileBlock* o : m_blocks)
    if (o->slot() == b.slot())
      throw std::invalid_argument(std::string(name()) + ": block " + b.name() + " takes slot " +
                                  std::to_string(b.slot()) + ", which " + o->name() + " holds");
  m_block_router.bind_target(b.socket, b.basename(), IMCVP_TILE_BLOCK(b.slot()), IMCVP_TILE_BLOCK_SIZE);
  m_blocks.push_back(&b);
}

void Tile::add_stage(DatapathStage& s) {
  switch (s.place()) {
    case DatapathStage::Place::Column: m_column_stages.push_back(&s); break;
    case DatapathStage::Place::Map: m_map_stages.push_back(&s); break;
    case DatapathStage::Place::Output: m_output_stages.push_back(&s); break;
  }
}

TileStats Tile::stats() const {
  TileStats t = m_stats;
  t.mvms = m_xbank.mvms();
  t.digit_slots = m_xbank.digit_slots();
  t.mvm = m_xbank.mvm_totals();
  t.program = m_xbank.program_totals();
  t.adc_clipped = t.mvm.adc_clipped;
  t.pulses = t.program.pulses;
  t.cells_failed = t.program.cells_failed;
  return t;
}

void Tile::charge(const std::string& block, const char* event, uint64_t count, double pj, const char* category) {
  if (m_ledger) m_ledger->charge(block, event, count, pj, category);
}

// ---------------------------------------------------------------- bus side --

bool Tile::buffer_access(tlm::tlm_generic_payload& trans) {
  const uint64_t a = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (a < IMCVP_TILE_BUF || a - IMCVP_TILE_BUF + len > m_buf.size()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return true;
  }
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return true;
  }
  if (trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return true;
  }
  uint8_t* p = m_buf.data() + (a - IMCVP_TILE_BUF);
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), p, len);
  else if (trans.is_write())
    std::memcpy(p, trans.get_data_ptr(), len);
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void Tile::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  delay += m_params.reg_latency;
  if (trans.get_address() >= IMCVP_TILE_BUF)
    buffer_access(trans);
  else if (block_window(trans.get_address()))
    m_to_blocks->b_transport(trans, delay);
  else
    m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned Tile::transport_dbg(tlm::tlm_generic_payload& trans) {
  if (block_window(trans.get_address())) return m_to_blocks->transport_dbg(trans);
  if (trans.get_address() < IMCVP_TILE_BUF) return m_regs.debug_access(trans);
  const uint64_t a = trans.get_address() - IMCVP_TILE_BUF;
  if (a >= m_buf.size()) return 0;
  const unsigned n = unsigned(std::min<uint64_t>(trans.get_data_length(), m_buf.size() - a));
  if (trans.is_read()) std::memcpy(trans.get_data_ptr(), m_buf.data() + a, n);
  if (trans.is_write()) std::memcpy(m_buf.data() + a, trans.get_data_ptr(), n);
  return n;
}

bool Tile::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  if (trans.get_address() < IMCVP_TILE_BUF ||
      trans.get_address() >= IMCVP_TILE_BUF + m_buf.size()) {
    dmi.allow_read_write();
    dmi.set_start_address(0);
    dmi.set_end_address(IMCVP_TILE_BUF - 1);
    return false;
  }
  dmi.set_dmi_ptr(m_buf.data());
  dmi.set_start_address(IMCVP_TILE_BUF);
  dmi.set_end_address(IMCVP_TILE_BUF + m_buf.size() - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(m_params.reg_latency);
  dmi.set_write_latency(m_params.reg_latency);
  return true;
}

void Tile::update_irq(const sc_time& at) {
  m_irq_driver.write_at(at, (m_irq_status & m_irq_enable) != 0);
}

void Tile::write_ctrl(uint32_t v, const sc_time& at) {
  if (v & IMCVP_TILE_CTRL_RESET) {
    if (!(m_status & IMCVP_TILE_STATUS_BUSY)) {
      m_status = 0;
      m_error = 0;
      m_irq_status = 0;
      m_error_msg.clear();
      m_stats = TileStats{};
      for (TileBlock* b : m_blocks) b->reset_counters();
      update_irq(at);
    }
  }
  if (v & IMCVP_TILE_CTRL_START) {
    if (m_status & IMCVP_TILE_STATUS_BUSY) {
      m_error = IMCVP_TILE_ERR_BUSY;
      m_error_msg = "START while busy";
      m_status |= IMCVP_TILE_STATUS_ERROR;
      m_irq_status |= IMCVP_TILE_IRQ_ERROR;
      ++m_stats.errors;
      update_irq(at);
      return;
    }
    m_status = IMCVP_TILE_STATUS_BUSY;
    m_error = 0;
    m_error_msg.clear();
    const sc_time now = sc_core::sc_time_stamp();
    m_start_event.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
  }
}

void Tile::run() {
  for (;;) {
    wait(m_start_event);
    busy.write(true);
    double ns = m_params.decode_cycles * m_params.clock_ns;
    const uint32_t desc_addr = m_desc_addr;
    const uint64_t mvms_before = m_xbank.mvms();
    uint32_t code = 0;
    try {
      if (m_desc_addr % 4 != 0 || uint64_t(m_desc_addr) + sizeof(imcvp_layer_desc) > m_buf.size())
        throw Fail{IMCVP_TILE_ERR_DESC_ADDR, "descriptor at buffer offset " +
                                                 std::to_string(m_desc_addr) +
                                                 " is misaligned or beyond the buffer"};
      imcvp_layer_desc d;
      std::memcpy(&d, m_buf.data() + m_desc_addr, sizeof d);
      charge(std::string(name()) + ".buffer", "read_byte", sizeof d + (d.magic == IMCVP_DESC_MAGIC ? d.ext_bytes : 0u), m_params.buffer_pj_per_byte,
             "buffers");
      ns += execute(d, read_records(d, desc_addr));
    } catch (const Fail& f) {
      code = f.code;
      m_error_msg = f.what;
    } catch (const StageError& f) {
      code = f.code;
      m_error_msg = f.what;
    }
    wait(sc_time(ns, sc_core::SC_NS));
    for (const auto* list : {&m_column_stages, &m_map_stages, &m_output_stages})
      for (DatapathStage* s : *list) s->layer_done();
    m_stats.busy_ns += ns;
    m_error = code;
    if (code == 0) {
      ++m_stats.commands;
      DescriptorStats& ds = m_by_desc[desc_addr];
      ++ds.commands;
      ds.busy_ns += ns;
      ds.mvms += m_xbank.mvms() - mvms_before;
      m_status = IMCVP_TILE_STATUS_DONE;
      m_irq_status |= IMCVP_TILE_IRQ_DONE;
    } else {
      ++m_stats.errors;
      m_status = IMCVP_TILE_STATUS_ERROR;
      m_irq_status |= IMCVP_TILE_IRQ_ERROR;
    }
    busy.write(false);
    update_irq(sc_core::sc_time_stamp());
  }
}

// ---------------------------------------------------------------- datapath --

void Tile::check_range(uint64_t off, uint64_t bytes, const char* what) const {
  if (off + bytes > m_buf.size())
    throw Fail{IMCVP_TILE_ERR_BUFFER, std::string(what) + " [" + std::to_string(off) + ", " +
                                          std::to_string(off + bytes) +
                                          ") lies beyond the buffer of " +
                                          std::to_string(m_buf.size()) + " bytes"};
}

int32_t Tile::load(uint32_t off, uint8_t fmt, size_t i) const {
  const uint8_t* p = m_buf.data() + off;
  const bool s = fmt & IMCVP_FMT_SIGNED;
  switch (fmt_bytes(fmt)) {
    case 1: return s ? int32_t(int8_t(p[i])) : int32_t(p[i]);
    case 2: {
      uint16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      return s ? int32_t(int16_t(v)) : int32_t(v);
    }
    default: {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      return v;
    }
  }
}

void Tile::store(uint32_t off, uint8_t fmt, size_t i, int32_t v) {
  uint8_t* p = m_buf.data() + off;
  switch (fmt_bytes(fmt)) {
    case 1: p[i] = uint8_t(v); break;
    case 2: {
      const uint16_t u = uint16_t(v);
      std::memcpy(p + 2 * i, &u, 2);
      break;
    }
    default: std::memcpy(p + 4 * i, &v, 4); break;
  }
}

double Tile::cycles_ns(uint64_t work, unsigned lanes) const {
  return double(ceil_div(work, lanes)) * m_params.clock_ns;
}

// The descriptor's extension records, each handed to the block that
// declares its type.
std::vector<ExtRecord> Tile::read_records(const imcvp_layer_desc& d, uint32_t desc_addr) {
  std::vector<ExtRecord> recs;
  if (d.magic != IMCVP_DESC_MAGIC || d.ext_bytes == 0) return recs;
  const uint64_t begin = uint64_t(desc_addr) + sizeof d, end = begin + d.ext_bytes;
  if (d.ext_bytes % 4 != 0 || end > m_buf.size())
    throw Fail{IMCVP_TILE_ERR_EXT, "extension records of " + std::to_string(d.ext_bytes) + " bytes at buffer offset " +
                                       std::to_string(begin) + " are not whole words inside the buffer"};
  for (uint64_t at = begin; at < end;) {
    imcvp_ext_record h;
    if (at + sizeof h > end) throw Fail{IMCVP_TILE_ERR_EXT, "extension record header past ext_bytes"};
    std::memcpy(&h, m_buf.data() + at, sizeof h);
    at += sizeof h;
    if (h.bytes % 4 != 0 || at + h.bytes > end)
      throw Fail{IMCVP_TILE_ERR_EXT, "extension record of type " + std::to_string(h.type) + " and " +
                                         std::to_string(h.bytes) + " bytes runs past ext_bytes or is not whole words"};
    bool known = false;
    for (const TileBlock* b : m_blocks)
      if (const auto* st = dynamic_cast<const DatapathStage*>(b)) known = known || st->declares(h.type);
    for (const auto* list : {&m_column_stages, &m_map_stages, &m_output_stages})
      for (const DatapathStage* st : *list) known = known || st->declares(h.type);
    if (!known) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%04x", unsigned(h.type));
      throw Fail{IMCVP_TILE_ERR_EXT, std::string("extension record type ") + hex + ": no block of the tile declares it"};
    }
    recs.push_back({h.type, m_buf.data() + at, h.bytes});
    at += h.bytes;
  }
  return recs;
}

double Tile::execute(const imcvp_layer_desc& d, const std::vector<ExtRecord>& records) {
  if (d.magic != IMCVP_DESC_MAGIC)
    throw Fail{IMCVP_TILE_ERR_MAGIC, "bad descriptor magic"};
  if (d.version != IMCVP_DESC_VERSION)
    throw Fail{IMCVP_TILE_ERR_VERSION, "descriptor version " + std::to_string(d.version) +
                                           ", expected " + std::to_string(IMCVP_DESC_VERSION)};
  switch (d.op) {
    case IMCVP_OP_PROGRAM: return exec_program(d);
    case IMCVP_OP_CONV:
    case IMCVP_OP_FC: return exec_mvm(d, records);
    case IMCVP_OP_MAXPOOL:
    case IMCVP_OP_AVGPOOL: return exec_pool(d);
    case IMCVP_OP_ADD: return exec_add(d);
    case IMCVP_OP_REQUANT: return exec_requant(d);
    default: throw Fail{IMCVP_TILE_ERR_OP, "unknown operation " + std::to_string(d.op)};
  }
}

double Tile::exec_program(const imcvp_layer_desc& d) {
  if (d.xbar >= m_params.crossbars)
    throw Fail{IMCVP_TILE_ERR_XBARS, "crossbar " + std::to_string(d.xbar) + " of " +
                                         std::to_string(m_params.crossbars)};
  const CrossbarParams& p = m_params.crossbar;
  const uint64_t n = uint64_t(p.rows) * p.cols;
  // An image without levels (estimation) gives instead the cells the PROGRAM
  // changes per target level, and the crossbar bank charges write-and-
  // verify's expected cost (CrossbarBank::program_expected). The time and
  // energy below are the same either way: the tile reads a crossbar of
  // levels from its buffer.
  const ExtRecord* changes = nullptr;
  const std::vector<ExtRecord> records = read_records(d, m_desc_addr);  // as run() read them
  for (const ExtRecord& r : records)
    if (r.type == IMCVP_EXT_PROGRAM_CHANGES) changes = &r;
  ProgramStats ps;
  if (changes) {
    if (!m_params.estimate)
      throw Fail{IMCVP_TILE_ERR_EXT, "a PROGRAM with the cells it changes and no levels (an image for performance "
                                     "estimation) needs accelerator.tile.mode: estimate"};
    ps = m_xbank.program_expected(d.xbar, *changes);
  } else {
    check_range(d.param_off, n, "cell levels");
    ps = m_xbank.program(d.xbar, m_buf.data() + d.param_off);
  }
  m_xbank.count_layer();
  const double read_ns = cycles_ns(n, m_params.buffer_bytes_per_cycle);
  const std::string b = m_xbank.name();
  charge(b, "program_pulse", ps.pulses, p.pulse_energy_pj, "programming");
  charge(b, "program_verify", ps.verify_reads, p.verify_energy_pj, "programming");
  charge(std::string(name()) + ".buffer", "read_byte", n, m_params.buffer_pj_per_byte, "buffers");
  return read_ns + ps.latency_ns;
}

double Tile::exec_mvm(const imcvp_layer_desc& d, const std::vector<ExtRecord>& records) {
  const CrossbarParams& p = m_params.crossbar;
  const bool fc = d.op == IMCVP_OP_FC;
  if (!fmt_ok(d.in_fmt) || !fmt_ok(d.out_fmt))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "bad element format"};
  const bool in_signed = d.in_fmt & IMCVP_FMT_SIGNED;
  if (d.in_bits < 1 || d.in_bits > 16 || (in_signed && d.in_bits < 2))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "in_bits " + std::to_string(d.in_bits) + " not in 1..16"};
  const unsigned ic = d.in_c, ih = d.in_h, iw = d.in_w, oc = d.out_c;
  unsigned kh = d.kernel_h, kw = d.kernel_w, sh = d.stride_h, sw = d.stride_w, ph = d.pad_h,
           pw = d.pad_w, oh = d.out_h, ow = d.out_w;
  const uint64_t in_size = uint64_t(ic) * ih * iw;
  if (in_size == 0 || oc == 0) throw Fail{IMCVP_TILE_ERR_SHAPE, "empty tensor"};
  const unsigned G = d.groups ? d.groups : 1u;
  if (G > 1 && (fc || ic % G != 0 || oc % G != 0))
    throw Fail{IMCVP_TILE_ERR_SHAPE, std::to_string(G) + " groups do not divide " + std::to_string(ic) +
                                         " input and " + std::to_string(oc) + " output channels" +
                                         (fc ? " (FC is never grouped)" : "")};
  if (fc) {
    if (oh != 1 || ow != 1) throw Fail{IMCVP_TILE_ERR_SHAPE, "FC output must be N x 1 x 1"};
    kh = kw = sh = sw = 1;
    ph = pw = 0;
  } else if (kh == 0 || kw == 0 || sh == 0 || sw == 0 || ph >= kh || pw >= kw ||
             ih + 2 * ph < kh || iw + 2 * pw < kw || oh != (ih + 2 * ph - kh) / sh + 1 ||
             ow != (iw + 2 * pw - kw) / sw + 1) {
    throw Fail{IMCVP_TILE_ERR_SHAPE, "convolution window does not match the shapes"};
  }
  // The layer as the stages see it: groups share crossbars in packs
  // (block-diagonal), a dense layer is one pack (crossbar_layout.hpp).
  const unsigned icg = ic / G, ocg = oc / G;
  const uint64_t Kg = fc ? in_size : uint64_t(icg) * kh * kw;
  LayerContext ctx;
  ctx.desc = &d;
  ctx.crossbar = &p;
  ctx.records = records;
  try {
    ctx.layout = crossbar_layout(p, m_xbank.layer_format(records), G, Kg, ocg);
  } catch (const std::invalid_argument& e) {
    throw Fail{IMCVP_TILE_ERR_FORMAT, e.what()};
  }
  ctx.dac_bits = in_signed ? d.in_bits - 1u : d.in_bits;  // magnitudes
  ctx.passes = in_signed ? 2 : 1;
  ctx.positions = fc ? 1 : oh * ow;
  ctx.in_channels = icg;
  ctx.out_size = uint64_t(oc) * (fc ? 1 : uint64_t(oh) * ow);
  ctx.clock_ns = m_params.clock_ns;
  ctx.estimate = m_params.estimate;
  // A map stage that takes the layer gives it the geometry of its reads.
  for (DatapathStage* s : m_map_stages)
    if (s->shape(ctx)) {
      if (ctx.map != s || ctx.layout.packs != 1 || ctx.layout.rows > p.rows || ctx.window_outputs != oc)
        throw Fail{IMCVP_TILE_ERR_EXT, s->stage_block() + ": a map stage's reads must be one pack of at most " +
                                           std::to_string(p.rows) + " rows onto the layer's " + std::to_string(oc) +
                                           " outputs"};
      const size_t reads = ctx.layout.row_groups;
      if ((!ctx.gather.empty() && (ctx.layout.col_groups != 1 || ctx.gather.size() != reads * ctx.layout.rows)) ||
          (!ctx.read_rows.empty() && ctx.read_rows.size() != reads) ||
          (!ctx.read_outputs.empty() && ctx.read_outputs.size() != reads))
        throw Fail{IMCVP_TILE_ERR_EXT, s->stage_block() + ": a map stage's gathered reads must be one column group, "
                                                          "a word line each of every read's rows"};
      break;
    }

  // The stages taking part, in path order; the bank first (it checks the
  // crossbars). A map stage takes the accumulator's place.
  std::vector<DatapathStage*> active;
  ActiveStages stages;
  auto join = [&](DatapathStage* s, std::vector<DatapathStage*>* list = nullptr) {
    if (!s->configure(ctx)) return;
    active.push_back(s);
    if (list) list->push_back(s);
  };
  join(&m_xbank);
  const uint64_t out_size = ctx.out_size;
  check_range(d.in_off, in_size * fmt_bytes(d.in_fmt), "input");
  check_range(d.out_off, out_size * fmt_bytes(d.out_fmt), "output");
  check_range(d.param_off, uint64_t(oc) * sizeof(imcvp_requant), "requantization constants");
  std::vector<imcvp_requant> rq(oc);
  std::memcpy(rq.data(), m_buf.data() + d.param_off, oc * sizeof(imcvp_requant));
  for (const imcvp_requant& r : rq)
    if (r.shift < 1 || r.shift > 62)
      throw Fail{IMCVP_TILE_ERR_REQUANT, "requantization shift " + std::to_string(r.shift)};
  for (DatapathStage* s : m_column_stages) join(s, &stages.column);
  join(&m_shift_add);
  if (ctx.map)
    join(ctx.map);
  else
    join(&m_accumulator);
  for (DatapathStage* s : m_output_stages) join(s, &stages.output);
  join(&m_act);

  if (!m_params.estimate) {
    std::vector<int32_t> in(in_size), out(out_size);
    for (uint64_t i = 0; i < in_size; ++i) in[i] = load(d.in_off, d.in_fmt, i);
    mvm_windows(ctx, stages, in, rq, out);
    for (uint64_t i = 0; i < out_size; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  }
  m_stats.windows += ctx.positions;

  // Latency per window: buffer read of the window, then every stage in path
  // order (the crossbars in parallel; twice for signed inputs), then the
  // buffer write. Not overlapped (conservative). Energy: each stage's events.
  const uint64_t win_bytes = Kg * G * fmt_bytes(d.in_fmt);
  double per_window = cycles_ns(win_bytes, m_params.buffer_bytes_per_cycle);
  for (DatapathStage* s : active) {
    const StageCost c = s->cost(ctx);
    per_window += c.ns_per_window;
    uint64_t events = 0;
    for (const StageCharge& ch : c.charges) {
      charge(s->stage_block(), ch.event.c_str(), ch.count, ch.pj_each, ch.category ? ch.category : s->energy_category());
      events += ch.count;
    }
    if (auto* b = dynamic_cast<TileBlock*>(s)) {
      b->count(events);
      b->count_layer();
    }
  }
  per_window += cycles_ns(uint64_t(oc) * fmt_bytes(d.out_fmt), m_params.buffer_bytes_per_cycle);
  m_xbank.end_layer();
  const std::string buf = std::string(name()) + ".buffer";
  charge(buf, "read_byte", win_bytes * ctx.positions + oc * sizeof(imcvp_requant), m_params.buffer_pj_per_byte,
         "buffers");
  charge(buf, "write_byte", out_size * fmt_bytes(d.out_fmt), m_params.buffer_pj_per_byte, "buffers");
  return per_window * ctx.positions;
}

// The functional Conv/FC datapath: every pack and window (im2col in
// weight-row order over the pack's input channels), pass and crossbar
// through the crossbar bank, the column stages, shift-add, accumulation,
// the output stages and the activation unit, into `out` (CHW).
//
// With TileParams::threads > 1 and no added stages, a pack's windows are
// shared among the worker pool's threads: each window writes only its own
// outputs, each thread reads the crossbars with its own scratch and the read
// numbers the serial loop would have given (crossbar_array.hpp mvm_keyed),
// and the reads' events are recorded per window and handed to the bank
// afterwards in window order, as the serial loop adds them: the same bits.
// A pack of fewer windows than twice the threads (a FullyConnected layer has
// one) shares each window's reads among the threads instead, each into its
// own columns; shift-add and accumulation then run in read order. An error
// is the one the serial loop would have met first, with the events of the
// reads before it.
void Tile::mvm_windows(const LayerContext& ctx, const ActiveStages& stages, const std::vector<int32_t>& in,
                       const std::vector<imcvp_requant>& rq, std::vector<int32_t>& out) {
  const imcvp_layer_desc& d = *ctx.desc;
  const CrossbarLayout& L = ctx.layout;
  const bool fc = d.op == IMCVP_OP_FC;
  const unsigned ih = d.in_h, iw = d.in_w;
  const unsigned kh = fc ? 1 : d.kernel_h, kw = fc ? 1 : d.kernel_w, sh = fc ? 1 : d.stride_h,
                 sw = fc ? 1 : d.stride_w, ph = fc ? 0 : d.pad_h, pw = fc ? 0 : d.pad_w, ow = d.out_w;
  // R: the layout's rows per row group; XR: a crossbar's rows. A row
  // group's inputs drive its crossbar from row 0 (XR apart in xpos/xneg);
  // they differ only for a map stage's reads (R < XR: rows not driven).
  const unsigned R = L.rows, XR = ctx.crossbar->rows, opx = L.outputs_per_xbar, per = L.format.cols_per_output();
  // the weight rows of one group: the layout's, or fewer when a map stage pads them
  const uint64_t kreal = fc ? uint64_t(d.in_c) * d.in_h * d.in_w : uint64_t(ctx.in_channels) * kh * kw;
  const bool strided = R != XR || L.kg != kreal;
  const std::vector<uint32_t>& gather = ctx.gather;  // a map stage's chosen rows
  const unsigned positions = ctx.positions, passes = ctx.passes;
  const unsigned threads = m_params.threads ? m_params.threads : WorkerPool::hardware_threads();
  const bool parallel = threads > 1 && stages.column.empty() && stages.output.empty();
  const DatapathStage* map = ctx.map;

  // One thread's buffers for the windows of one pack.
  struct Scratch {
    std::vector<int32_t> x, xpos, xneg;
    std::vector<int64_t> acc, col, y;
    CrossbarArray::MvmScratch mvm;
  };
  for (unsigned pk = 0; pk < L.packs; ++pk) {
    const unsigned c0 = L.first_group(pk) * ctx.in_channels, cin = L.pack_groups(pk) * ctx.in_channels;
    const unsigned o0 = map ? 0 : L.first_group(pk) * L.ng, n = ctx.outputs_of_pack(pk);
    unsigned rgs = 0, cgs = 0;
    while (rgs < L.row_groups && L.rows_in(pk, rgs)) ++rgs;
    while (cgs < L.col_groups && L.outputs_in(pk, cgs)) ++cgs;
    auto w_cols = [&] { return std::max<size_t>(L.cols, size_t(opx) * per); };
    auto prepare = [&](Scratch& w) {
      w.col.assign(w_cols(), 0);
      w.y.assign(opx, 0);
      w.x.assign(std::max<size_t>(size_t(rgs) * R, L.pack_groups(pk) * kreal), 0);  // a gather may read fewer rows
      w.xpos.assign(size_t(rgs) * XR, 0);
      w.xneg.assign(w.xpos.size(), 0);
      w.acc.assign(n, 0);
    };
    // A window's inputs (im2col) into w.x, w.xpos and w.xneg.
    auto fill = [&](unsigned pos, Scratch& w) {
      std::vector<int32_t>& x = w.x;
      const unsigned oy = fc ? 0 : pos / ow, ox = fc ? 0 : pos % ow;
      if (fc) {
        std::copy(in.begin(), in.end(), x.begin());
      } else {
        size_t k = 0;
        for (unsigned c = c0; c < c0 + cin; ++c)
          for (unsigned ky = 0; ky < kh; ++ky)
            for (unsigned kx = 0; kx < kw; ++kx, ++k) {
              const int iy = int(oy * sh + ky) - int(ph), ix = int(ox * sw + kx) - int(pw);
              x[k] = (iy < 0 || ix < 0 || iy >= int(ih) || ix >= int(iw))
                         ? 0
                         : in[(size_t(c) * ih + size_t(iy)) * iw + size_t(ix)];
            }
      }
      if (!gather.empty()) {
        // word line r of read rg: the weight row the map stage chose, or none
        for (size_t at = 0, i = 0; i < gather.size(); ++i, ++at) {
          if (i % R == 0) at = i / R * XR;
          const int32_t v = gather[i] == LayerContext::kNotDriven ? 0 : x[gather[i]];
          w.xpos[at] = std::max(v, 0);
          w.xneg[at] = std::max(-v, 0);
        }
      } else if (!strided) {
        for (size_t k = 0; k < x.size(); ++k) {
          w.xpos[k] = std::max(x[k], 0);
          w.xneg[k] = std::max(-x[k], 0);
        }
      } else {
        // row k of the pack is row p of the layout (a map stage's grouped
        // layout pads each group's kreal rows to L.kg), on crossbar row p % R
        // of row group p / R
        const size_t groups = L.pack_groups(pk), rows = groups * kreal;
        for (size_t k = 0; k < rows; ++k) {
          const size_t p = groups > 1 ? k / kreal * L.kg + k % kreal : k, at = p / R * XR + p % R;
          w.xpos[at] = std::max(x[k], 0);
          w.xneg[at] = std::max(-x[k], 0);
        }
      }
    };
    // A filled window through the datapath; xread(j, rg, cg, inputs, read)
    // makes the window's read j (pass-major, then row group, then column
    // group) into read.columns (or points read.columns at its values).
    auto datapath = [&](unsigned pos, Scratch& w, auto&& xread) {
      std::fill(w.acc.begin(), w.acc.end(), 0);
      unsigned j = 0;
      for (unsigned pass = 0; pass < passes; ++pass) {
        const std::vector<int32_t>& xv = pass == 0 ? w.xpos : w.xneg;
        const int64_t sign = pass == 0 ? 1 : -1;
        for (unsigned rg = 0; rg < rgs; ++rg) {
          const int32_t* xr = xv.data() + size_t(rg) * XR;
          int64_t xsum = 0;
          for (unsigned r = 0; r < R; ++r) xsum += xr[r];
          for (unsigned cg = 0; cg < cgs; ++cg, ++j) {
            ColumnRead read{pass, pk, rg, cg, ctx.outputs_of_read(pk, rg, cg), w.col.data(), xsum};
            xread(j, rg, cg, xr, read);
            std::fill(w.y.begin(), w.y.begin() + read.outputs, 0);
            m_shift_add.combine(read, w.y.data());
            if (map)
              map->accumulate(read, w.y.data(), sign, w.acc.data());
            else
              Accumulator::add(w.y.data(), read.outputs, sign, w.acc.data() + size_t(cg) * opx);
          }
        }
      }
      if (!stages.output.empty()) {
        OutputWindow ow_{pos, pk, o0, n, w.acc.data(), w.x.data(), L.pack_rows(pk)};
        for (DatapathStage* s : stages.output) s->outputs(ow_);
      }
      for (unsigned jj = 0; jj < n; ++jj) {
        const unsigned o = o0 + jj;
        out[size_t(o) * positions + pos] =
            ActivationUnit::requantize(w.acc[jj], rq[o].bias, rq[o].multiplier, rq[o].shift, d.out_min, d.out_max);
      }
    };
    auto window = [&](unsigned pos, Scratch& w, auto&& xread) {
      fill(pos, w);
      datapath(pos, w, xread);
    };

    // A crossbar nothing has programmed is made by its first read: the
    // serial loop then makes it exactly when it would have (an error before
    // that read leaves it unmade, as crossbars_made reports).
    bool made = true;
    for (unsigned rg = 0; rg < rgs; ++rg)
      for (unsigned cg = 0; cg < cgs; ++cg) made = made && m_xbank.layer_crossbar_made(L.index(pk, rg, cg));
    const unsigned nreads = passes * rgs * cgs;  // per window
    if (!parallel || !made || (positions == 1 && nreads == 1)) {
      Scratch w;
      prepare(w);
      for (unsigned pos = 0; pos < positions; ++pos)
        window(pos, w, [&](unsigned, unsigned rg, unsigned cg, const int32_t* xr, ColumnRead& read) {
          m_xbank.read(L.index(pk, rg, cg), ctx.rows_of_read(pk, rg), xr, read.columns, read.outputs * per);
          for (DatapathStage* s : stages.column) s->columns(read);
        });
      continue;
    }

    // The window's reads: crossbar, rows, and the read number the serial
    // loop gives read j of window pos: first + pos * per_window + ordinal,
    // per_window the reads a window makes of that crossbar.
    struct Read {
      CrossbarArray* xbar;
      unsigned rows;
      uint64_t first, per_window, ordinal;
    };
    std::vector<Read> reads(nreads);
    for (unsigned pass = 0, j = 0; pass < passes; ++pass)
      for (unsigned rg = 0; rg < rgs; ++rg)
        for (unsigned cg = 0; cg < cgs; ++cg, ++j) {
          CrossbarArray* xb = &m_xbank.layer_crossbar(L.index(pk, rg, cg));
          Read& r = reads[j];
          r = {xb, ctx.rows_of_read(pk, rg), xb->reads(), 0, 0};
          for (unsigned i = 0; i < nreads && i < j; ++i)
            if (reads[i].xbar == xb) ++r.ordinal;
        }
    for (Read& r : reads)
      for (const Read& o : reads) r.per_window += o.xbar == r.xbar;

    WorkerPool& pool = WorkerPool::shared(threads);
    if (positions < threads * 2) {
      // Few windows (a FullyConnected layer has one), many reads each: a
      // window's reads are shared among the threads instead, each into its
      // own columns, then go through the datapath in read order. The first
      // read that fails (in that order) ends the layer as in the serial loop.
      const unsigned workers = std::min(threads, nreads);
      const size_t ncol = w_cols();
      std::vector<std::vector<int64_t>> cols(nreads, std::vector<int64_t>(ncol));
      std::vector<MvmStats> stats(nreads);
      std::vector<std::exception_ptr> failed(nreads);
      Scratch w;
      prepare(w);
      std::vector<CrossbarArray::MvmScratch> mvm(pool.size());
      for (unsigned pos = 0; pos < positions; ++pos) {
        fill(pos, w);
        std::atomic<unsigned> next{0};
        std::atomic<unsigned> first_failed{nreads};
        pool.run([&](unsigned wk) {
          if (wk >= workers) return;
          for (unsigned j; (j = next.fetch_add(1, std::memory_order_relaxed)) < nreads;) {
            if (j > first_failed.load(std::memory_order_relaxed)) return;
            const Read& r = reads[j];
            const unsigned rg = j / cgs % rgs, cg = j % cgs, pass = j / (cgs * rgs);
            const int32_t* xr = (pass == 0 ? w.xpos : w.xneg).data() + size_t(rg) * XR;
            try {
              stats[j] = m_xbank.read_keyed(*r.xbar, xr, cols[j].data(), ctx.outputs_of_read(pk, rg, cg) * per,
                                            r.first + pos * r.per_window + r.ordinal, mvm[wk]);
            } catch (...) {
              failed[j] = std::current_exception();
              unsigned seen = first_failed.load();
              while (j < seen && !first_failed.compare_exchange_weak(seen, j)) {
              }
              return;
            }
          }
        });
        const unsigned bad = first_failed.load();
        for (unsigned j = 0; j < nreads && j < bad; ++j) {
          m_xbank.account(reads[j].rows, stats[j]);
          reads[j].xbar->advance_reads(1);
        }
        if (bad < nreads) std::rethrow_exception(failed[bad]);
        datapath(pos, w, [&](unsigned j, unsigned, unsigned, const int32_t*, ColumnRead& read) {
          read.columns = cols[j].data();
        });
      }
      continue;
    }

    std::vector<MvmStats> stats(size_t(positions) * nreads);
    const unsigned workers = std::min(threads, positions);
    // Windows are claimed in runs (guided self-scheduling): a quarter of a
    // thread's share of what is left, down to 1/64 of its share of the pack.
    // Long runs keep the threads from writing neighbouring outputs and stats
    // (cache lines) and from fighting over `next`; the short ones at the end
    // keep a pool thread the host preempts from holding up much.
    const unsigned min_chunk = std::max(1u, positions / (workers * 64));
    std::atomic<unsigned> next{0};
    std::atomic<uint64_t> first_error{UINT64_MAX};  // pos * nreads + j of the earliest error seen
    struct Error {
      uint64_t at = UINT64_MAX;
      std::exception_ptr what;
    };
    std::vector<Error> errors(pool.size());
    pool.run([&](unsigned wk) {
      if (wk >= workers) return;
      Scratch w;
      prepare(w);
      for (;;) {
        unsigned begin = next.load(std::memory_order_relaxed), end = 0;
        do {
          if (begin >= positions) break;
          end = begin + std::min(positions - begin, std::max(min_chunk, (positions - begin) / (workers * 4)));
        } while (!next.compare_exchange_weak(begin, end, std::memory_order_relaxed));
        if (begin >= positions) break;
        for (unsigned pos = begin; pos < end; ++pos) {
          if (uint64_t(pos) * nreads > first_error.load(std::memory_order_relaxed)) return;
          uint64_t at = 0;
          try {
            window(pos, w, [&](unsigned j, unsigned, unsigned, const int32_t* xr, ColumnRead& read) {
              const Read& r = reads[j];
              at = uint64_t(pos) * nreads + j;
              stats[at] = m_xbank.read_keyed(*r.xbar, xr, read.columns, read.outputs * per,
                                             r.first + pos * r.per_window + r.ordinal, w.mvm);
            });
          } catch (...) {
            if (at < errors[wk].at) errors[wk] = {at, std::current_exception()};
            uint64_t seen = first_error.load();
            while (at < seen && !first_error.compare_exchange_weak(seen, at)) {
            }
            return;
          }
        }
      }
    });
    const Error* err = nullptr;
    for (const Error& e : errors)
      if (e.what && (!err || e.at < err->at)) err = &e;
    const uint64_t done = err ? err->at : stats.size();
    for (uint64_t i = 0; i < done; ++i) {
      const Read& r = reads[i % nreads];
      m_xbank.account(r.rows, stats[i]);
      r.xbar->advance_reads(1);
    }
    if (err) std::rethrow_exception(err->what);
  }
}

double Tile::exec_pool(const imcvp_layer_desc& d) {
  if (!fmt_ok(d.in_fmt) || !fmt_ok(d.out_fmt))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "bad element format"};
  const unsigned c = d.in_c, ih = d.in_h, iw = d.in_w, oh = d.out_h, ow = d.out_w;
  const unsigned kh = d.kernel_h, kw = d.kernel_w, sh = d.stride_h, sw = d.stride_w, ph = d.pad_h,
                 pw = d.pad_w;
  if (c == 0 || ih == 0 || iw == 0 || d.out_c != c || kh == 0 || kw == 0 || sh == 0 || sw == 0 ||
      ph >= kh || pw >= kw || ih + 2 * ph < kh || iw + 2 * pw < kw ||
      oh != (ih + 2 * ph - kh) / sh + 1 || ow != (iw + 2 * pw - kw) / sw + 1)
    throw Fail{IMCVP_TILE_ERR_SHAPE, "pooling window does not match the shapes"};
  const uint64_t in_size = uint64_t(c) * ih * iw, out_size = uint64_t(c) * oh * ow;
  check_range(d.in_off, in_size * fmt_bytes(d.in_fmt), "input");
  check_range(d.out_off, out_size * fmt_bytes(d.out_fmt), "output");
  const bool avg = d.op == IMCVP_OP_AVGPOOL;
  imcvp_requant rq{};
  if (avg) {
    check_range(d.param_off, sizeof rq, "requantization constants");
    std::memcpy(&rq, m_buf.data() + d.param_off, sizeof rq);
    if (rq.shift < 1 || rq.shift > 62)
      throw Fail{IMCVP_TILE_ERR_REQUANT, "requantization shift " + std::to_string(rq.shift)};
  }
  std::vector<int32_t> in(in_size), out(out_size);
  for (uint64_t i = 0; i < in_size; ++i) in[i] = load(d.in_off, d.in_fmt, i);
  uint64_t elems = 0;
  size_t i = 0;
  for (unsigned ch = 0; ch < c; ++ch) {
    const int32_t* pl = in.data() + size_t(ch) * ih * iw;
    for (unsigned oy = 0; oy < oh; ++oy)
      for (unsigned ox = 0; ox < ow; ++ox) {
        const int y0 = std::max(0, int(oy * sh) - int(ph)),
                  y1 = std::min(int(ih), int(oy * sh) - int(ph) + int(kh));
        const int x0 = std::max(0, int(ox * sw) - int(pw)),
                  x1 = std::min(int(iw), int(ox * sw) - int(pw) + int(kw));
        int64_t m = avg ? 0 : std::numeric_limits<int32_t>::lowest();
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            const int32_t v = pl[size_t(y) * iw + size_t(x)];
            m = avg ? m + v : std::max<int64_t>(m, v);
          }
        elems += uint64_t(y1 - y0) * uint64_t(x1 - x0);
        out[i++] = avg ? ActivationUnit::requantize(m, rq.bias, rq.multiplier, rq.shift, d.out_min, d.out_max)
                       : ActivationUnit::saturate(m, d.out_min, d.out_max);
      }
  }
  for (uint64_t j = 0; j < out_size; ++j) store(d.out_off, d.out_fmt, j, out[j]);
  const uint64_t rbytes = elems * fmt_bytes(d.in_fmt), wbytes = out_size * fmt_bytes(d.out_fmt);
  const std::string me = name();
  charge(me + ".pooling", avg ? "add" : "compare", elems, m_params.pool_pj, "accumulate_activation");
  if (avg) {
    charge(m_act.name(), "requantize", out_size, m_act.params().energy_pj, m_act.energy_category());
    m_act.count(out_size);
    m_act.count_layer();
  }
  charge(me + ".buffer", "read_byte", rbytes, m_params.buffer_pj_per_byte, "buffers");
  charge(me + ".buffer", "write_byte", wbytes, m_params.buffer_pj_per_byte, "buffers");
  return cycles_ns(rbytes, m_params.buffer_bytes_per_cycle) + cycles_ns(elems, m_params.pool_lanes) +
         (avg ? m_act.ns(out_size, m_params.clock_ns) : 0.0) +
         cycles_ns(wbytes, m_params.buffer_bytes_per_cycle);
}

double Tile::exec_add(const imcvp_layer_desc& d) {
  if (!fmt_ok(d.in_fmt) || !fmt_ok(d.in2_fmt) || !fmt_ok(d.out_fmt))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "bad element format"};
  const uint64_t n = uint64_t(d.in_c) * d.in_h * d.in_w;
  if (n == 0 || d.out_c != d.in_c || d.out_h != d.in_h || d.out_w != d.in_w)
    throw Fail{IMCVP_TILE_ERR_SHAPE, "add: output shape differs from the input's"};
  if (d.add_shift < 1 || d.add_shift > 62)
    throw Fail{IMCVP_TILE_ERR_REQUANT, "add shift " + std::to_string(d.add_shift)};
  check_range(d.in_off, n * fmt_bytes(d.in_fmt), "input");
  check_range(d.in2_off, n * fmt_bytes(d.in2_fmt), "second input");
  check_range(d.out_off, n * fmt_bytes(d.out_fmt), "output");
  std::vector<int32_t> out(n);
  for (uint64_t i = 0; i < n; ++i)
    out[i] = ActivationUnit::requantize_add(load(d.in_off, d.in_fmt, i), load(d.in2_off, d.in2_fmt, i),
                                  d.add_mult_a, d.add_mult_b, d.add_shift, d.out_min, d.out_max);
  for (uint64_t i = 0; i < n; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  const uint64_t rbytes = n * (fmt_bytes(d.in_fmt) + fmt_bytes(d.in2_fmt)),
                 wbytes = n * fmt_bytes(d.out_fmt);
  return elementwise("requantize_add", n, rbytes, wbytes);
}

// Elementwise requantization of one tensor into another (a Concat's input
// into its channel range of the output): one imcvp_requant at param_off.
double Tile::exec_requant(const imcvp_layer_desc& d) {
  if (!fmt_ok(d.in_fmt) || !fmt_ok(d.out_fmt))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "bad element format"};
  const uint64_t n = uint64_t(d.in_c) * d.in_h * d.in_w;
  if (n == 0 || d.out_c != d.in_c || d.out_h != d.in_h || d.out_w != d.in_w)
    throw Fail{IMCVP_TILE_ERR_SHAPE, "requantize: output shape differs from the input's"};
  check_range(d.in_off, n * fmt_bytes(d.in_fmt), "input");
  check_range(d.out_off, n * fmt_bytes(d.out_fmt), "output");
  imcvp_requant rq{};
  check_range(d.param_off, sizeof rq, "requantization constants");
  std::memcpy(&rq, m_buf.data() + d.param_off, sizeof rq);
  if (rq.shift < 1 || rq.shift > 62)
    throw Fail{IMCVP_TILE_ERR_REQUANT, "requantization shift " + std::to_string(rq.shift)};
  std::vector<int32_t> out(n);
  for (uint64_t i = 0; i < n; ++i)
    out[i] = ActivationUnit::requantize(load(d.in_off, d.in_fmt, i), rq.bias, rq.multiplier, rq.shift, d.out_min, d.out_max);
  for (uint64_t i = 0; i < n; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  const uint64_t rbytes = n * fmt_bytes(d.in_fmt) + sizeof rq, wbytes = n * fmt_bytes(d.out_fmt);
  return elementwise("requantize", n, rbytes, wbytes);
}

// An elementwise op of n outputs through the activation unit: its energy and
// the buffer's, and the latency read + activation + write.
double Tile::elementwise(const char* event, uint64_t n, uint64_t rbytes, uint64_t wbytes) {
  const std::string me = name();
  charge(m_act.name(), event, n, m_act.params().energy_pj, m_act.energy_category());
  m_act.count(n);
  m_act.count_layer();
  charge(me + ".buffer", "read_byte", rbytes, m_params.buffer_pj_per_byte, "buffers");
  charge(me + ".buffer", "write_byte", wbytes, m_params.buffer_pj_per_byte, "buffers");
  return cycles_ns(rbytes, m_params.buffer_bytes_per_cycle) + m_act.ns(n, m_params.clock_ns) +
         cycles_ns(wbytes, m_params.buffer_bytes_per_cycle);
}

}  // namespace imcvp
