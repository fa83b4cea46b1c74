#include "models/tile/tile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "models/energy/energy_ledger.hpp"

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

CrossbarArray& Tile::crossbar(unsigned i) {
  std::unique_ptr<CrossbarArray>& x = m_xbars.at(i);
  if (!x) x = std::make_unique<CrossbarArray>(m_params.crossbar, m_params.seed + i);
  return *x;
}

unsigned Tile::crossbars_made() const {
  unsigned n = 0;
  for (const auto& x : m_xbars) n += x != nullptr;
  return n;
}

Tile::Tile(const sc_core::sc_module_name& name, const TileParams& params, EnergyLedger* ledger)
    : sc_core::sc_module(name),
      socket("socket"),
      irq("irq", false),
      busy("busy", false),
      m_params(params),
      m_ledger(ledger),
      m_regs(this->name()),
      m_irq_driver("irq_driver", irq),
      m_shift_add(params.crossbar),
      m_buf(params.buffer_bytes <= IMCVP_TILE_BUF_MAX ? params.buffer_bytes : 0) {
  const std::string me = this->name();
  auto bad = [&](const std::string& field, const std::string& what) {
    throw std::invalid_argument(me + ": tile." + field + ": " + what);
  };
  if (m_params.crossbars == 0 || m_params.crossbars > IMCVP_TILE_MAX_XBARS)
    bad("crossbars", "must be 1.." + std::to_string(IMCVP_TILE_MAX_XBARS) + ", got " + std::to_string(m_params.crossbars));
  if (m_params.buffer_bytes == 0 || m_params.buffer_bytes > IMCVP_TILE_BUF_MAX ||
      m_params.buffer_bytes % 4 != 0)
    bad("buffer_bytes", "must be a multiple of 4 in 4.." + std::to_string(IMCVP_TILE_BUF_MAX) + ", got " +
                            std::to_string(m_params.buffer_bytes));
  if (!(m_params.clock_ns > 0)) bad("clock_ns", "must be > 0");
  for (auto [n, v] : {std::pair<const char*, unsigned>{"buffer_bytes_per_cycle", m_params.buffer_bytes_per_cycle},
                      {"shift_add_lanes", m_params.shift_add_lanes},
                      {"accumulate_lanes", m_params.accumulate_lanes},
                      {"activation_lanes", m_params.activation_lanes},
                      {"pool_lanes", m_params.pool_lanes}})
    if (v == 0) bad(n, "must be > 0");
  validate_crossbar_params(m_params.crossbar);  // the macros are made on first use
  m_xbars.resize(m_params.crossbars);

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
  ro("mvms", IMCVP_TILE_MVMS, [this] { return uint32_t(m_stats.mvms); });
  ro("pulses", IMCVP_TILE_PULSES, [this] { return uint32_t(m_stats.pulses); });
  ro("adc_clipped", IMCVP_TILE_ADC_CLIPPED, [this] { return uint32_t(m_stats.adc_clipped); });
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
  else
    m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned Tile::transport_dbg(tlm::tlm_generic_payload& trans) {
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
    const uint64_t mvms_before = m_stats.mvms;
    uint32_t code = 0;
    try {
      if (m_desc_addr % 4 != 0 || uint64_t(m_desc_addr) + sizeof(imcvp_layer_desc) > m_buf.size())
        throw Fail{IMCVP_TILE_ERR_DESC_ADDR, "descriptor at buffer offset " +
                                                 std::to_string(m_desc_addr) +
                                                 " is misaligned or beyond the buffer"};
      imcvp_layer_desc d;
      std::memcpy(&d, m_buf.data() + m_desc_addr, sizeof d);
      if (m_ledger)
        m_ledger->charge(std::string(name()) + ".buffer", "read_byte", sizeof d,
                         m_params.buffer_pj_per_byte);
      ns += execute(d);
    } catch (const Fail& f) {
      code = f.code;
      m_error_msg = f.what;
    }
    wait(sc_time(ns, sc_core::SC_NS));
    m_stats.busy_ns += ns;
    m_error = code;
    if (code == 0) {
      ++m_stats.commands;
      DescriptorStats& ds = m_by_desc[desc_addr];
      ++ds.commands;
      ds.busy_ns += ns;
      ds.mvms += m_stats.mvms - mvms_before;
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

double Tile::execute(const imcvp_layer_desc& d) {
  if (d.magic != IMCVP_DESC_MAGIC)
    throw Fail{IMCVP_TILE_ERR_MAGIC, "bad descriptor magic"};
  if (d.version != IMCVP_DESC_VERSION)
    throw Fail{IMCVP_TILE_ERR_VERSION, "descriptor version " + std::to_string(d.version) +
                                           ", expected " + std::to_string(IMCVP_DESC_VERSION)};
  switch (d.op) {
    case IMCVP_OP_PROGRAM: return exec_program(d);
    case IMCVP_OP_CONV:
    case IMCVP_OP_FC: return exec_mvm(d);
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
  check_range(d.param_off, n, "cell levels");
  const uint8_t* lv = m_buf.data() + d.param_off;
  for (uint64_t i = 0; i < n; ++i)
    if (lv[i] > p.max_level())
      throw Fail{IMCVP_TILE_ERR_LEVEL, "level " + std::to_string(lv[i]) + " at row " +
                                           std::to_string(i / p.cols) + ", column " +
                                           std::to_string(i % p.cols) + " above " +
                                           std::to_string(p.max_level())};
  const ProgramStats ps = crossbar(d.xbar).program(lv);
  m_stats.program += ps;
  m_stats.pulses += ps.pulses;
  m_stats.cells_failed += ps.cells_failed;
  const double read_ns = cycles_ns(n, m_params.buffer_bytes_per_cycle);
  if (m_ledger) {
    const std::string b = std::string(name()) + ".crossbar";
    m_ledger->charge(b, "program_pulse", ps.pulses, p.pulse_energy_pj);
    m_ledger->charge(b, "program_verify", ps.verify_reads, p.verify_energy_pj);
    m_ledger->charge(std::string(name()) + ".buffer", "read_byte", n, m_params.buffer_pj_per_byte);
  }
  return read_ns + ps.latency_ns;
}

double Tile::exec_mvm(const imcvp_layer_desc& d) {
  const CrossbarParams& p = m_params.crossbar;
  const bool fc = d.op == IMCVP_OP_FC;
  if (!fmt_ok(d.in_fmt) || !fmt_ok(d.out_fmt))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "bad element format"};
  const bool in_signed = d.in_fmt & IMCVP_FMT_SIGNED;
  if (d.in_bits < 1 || d.in_bits > 16 || (in_signed && d.in_bits < 2))
    throw Fail{IMCVP_TILE_ERR_FORMAT, "in_bits " + std::to_string(d.in_bits) + " not in 1..16"};
  const unsigned dac_bits = in_signed ? d.in_bits - 1u : d.in_bits;  // magnitudes
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
  // Groups share crossbars in packs (block-diagonal); a dense layer is one pack.
  const unsigned icg = ic / G, ocg = oc / G;
  const uint64_t Kg = fc ? in_size : uint64_t(icg) * kh * kw;
  const unsigned R = p.rows, opx = p.max_outputs(), per = p.cols_per_output();
  const unsigned pack = imcvp_group_pack(G, unsigned(std::min<uint64_t>(Kg, 0xFFFFFFFFu)), ocg, R, opx);
  const unsigned packs = unsigned(ceil_div(G, pack));
  const unsigned row_groups = unsigned(ceil_div(Kg * pack, R));
  const unsigned col_groups = unsigned(ceil_div(uint64_t(ocg) * pack, opx));
  const uint64_t need = uint64_t(packs) * row_groups * col_groups;
  if (d.xbar + need > m_params.crossbars)
    throw Fail{IMCVP_TILE_ERR_XBARS, "layer needs crossbars " + std::to_string(d.xbar) + ".." +
                                         std::to_string(d.xbar + need - 1) + ", the tile has " +
                                         std::to_string(m_params.crossbars)};
  const uint64_t out_size = uint64_t(oc) * (fc ? 1 : uint64_t(oh) * ow);
  check_range(d.in_off, in_size * fmt_bytes(d.in_fmt), "input");
  check_range(d.out_off, out_size * fmt_bytes(d.out_fmt), "output");
  check_range(d.param_off, uint64_t(oc) * sizeof(imcvp_requant), "requantization constants");
  std::vector<imcvp_requant> rq(oc);
  std::memcpy(rq.data(), m_buf.data() + d.param_off, oc * sizeof(imcvp_requant));
  for (const imcvp_requant& r : rq)
    if (r.shift < 1 || r.shift > 62)
      throw Fail{IMCVP_TILE_ERR_REQUANT, "requantization shift " + std::to_string(r.shift)};

  const unsigned positions = fc ? 1 : oh * ow;
  const unsigned passes = in_signed ? 2 : 1;
  std::vector<Pack> pks;
  for (unsigned pi = 0; pi < packs; ++pi) {
    const unsigned g0 = pi * pack, gn = std::min(pack, G - g0);
    Pack pk{g0 * icg, gn * icg, g0 * ocg, gn * ocg, unsigned(d.xbar + uint64_t(pi) * row_groups * col_groups), 0, 0,
            Kg * gn};
    pk.row_groups = unsigned(ceil_div(pk.K, R));
    pk.col_groups = unsigned(ceil_div(pk.n, opx));
    pks.push_back(pk);
  }
  MvmStats layer;
  // Per-window latency is the same for every window: crossbars run in parallel.
  double xbar_ns = 0;
  uint64_t xbars_used = 0, accum = 0;  // crossbars a window reads; partial sums added per window
  for (const Pack& pk : pks) {
    for (unsigned cg = 0; cg < pk.col_groups; ++cg)
      xbar_ns = std::max(xbar_ns, mvm_latency_ns(p, dac_bits, std::min(opx, pk.n - cg * opx) * per));
    xbars_used += uint64_t(pk.row_groups) * pk.col_groups;
    accum += uint64_t(pk.n) * (pk.row_groups * passes > 1 ? pk.row_groups * passes - 1 : 0);
  }
  uint64_t combined_cols = 0;
  if (m_params.estimate) {
    // The events of every window, pass and crossbar without the numbers.
    const unsigned steps = mvm_steps(p, dac_bits);
    const uint64_t windows = uint64_t(positions) * passes;
    double active = 0;  // expected rows driven, summed over MVMs and steps
    for (const Pack& pk : pks)
      for (unsigned rg = 0; rg < pk.row_groups; ++rg) {
        const uint64_t rows = std::min<uint64_t>(R, pk.K - uint64_t(rg) * R);
        for (unsigned cg = 0; cg < pk.col_groups; ++cg) {
          const unsigned cols = std::min(opx, pk.n - cg * opx) * per;
          const double a = m_params.estimate_input_density * double(rows) * steps * double(windows);
          active += a;
          layer.cell_reads += uint64_t(std::llround(a * cols));
          layer.adc_conversions += uint64_t(steps) * cols * windows;
          m_stats.digit_slots += rows * steps * windows;
          combined_cols += uint64_t(cols) * windows;
        }
      }
    layer.active_rows = uint64_t(std::llround(active));
    layer.dac_conversions = layer.active_rows;
    m_stats.mvms += xbars_used * windows;
    m_stats.windows += positions;
  } else {
    std::vector<int32_t> in(in_size), out(out_size);
    for (uint64_t i = 0; i < in_size; ++i) in[i] = load(d.in_off, d.in_fmt, i);
    for (const Pack& pk : pks)
      mvm_windows(d, pk, dac_bits, passes, positions, in, rq, out, layer, combined_cols);
    m_stats.windows += positions;
    for (uint64_t i = 0; i < out_size; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  }
  m_stats.mvm += layer;
  m_stats.adc_clipped += layer.adc_clipped;

  // Latency per window: buffer read of the window, the crossbars (in
  // parallel; twice for signed inputs), shift-add, accumulation across row
  // groups, activation, buffer write. Not overlapped (conservative).
  const uint64_t win_bytes = Kg * G * fmt_bytes(d.in_fmt);
  const double per_window =
      cycles_ns(win_bytes, m_params.buffer_bytes_per_cycle) + passes * xbar_ns +
      cycles_ns(xbars_used * passes * opx * per, m_params.shift_add_lanes) +
      (accum ? cycles_ns(accum, m_params.accumulate_lanes) : 0.0) +
      cycles_ns(oc, m_params.activation_lanes) +
      cycles_ns(uint64_t(oc) * fmt_bytes(d.out_fmt), m_params.buffer_bytes_per_cycle);
  const double ns = per_window * positions;
  if (m_ledger) {
    const std::string me = name();
    m_ledger->charge(me + ".crossbar", "cell_read", layer.cell_reads, p.cell_read_energy_pj);
    m_ledger->charge(me + ".crossbar", "dac", layer.dac_conversions, p.dac_energy_pj);
    m_ledger->charge(me + ".crossbar", "adc", layer.adc_conversions, p.adc_energy_pj);
    m_ledger->charge(me + ".shift_add", "combine", combined_cols, m_params.shift_add_pj);
    m_ledger->charge(me + ".accumulator", "add", accum * positions, m_params.accumulate_pj);
    m_ledger->charge(me + ".activation", "requantize", out_size, m_params.activation_pj);
    m_ledger->charge(me + ".buffer", "read_byte", win_bytes * positions + oc * sizeof(imcvp_requant),
                     m_params.buffer_pj_per_byte);
    m_ledger->charge(me + ".buffer", "write_byte", out_size * fmt_bytes(d.out_fmt),
                     m_params.buffer_pj_per_byte);
  }
  return ns;
}

// The functional Conv/FC datapath of one pack: every window (im2col in
// weight-row order over the pack's input channels), pass and crossbar
// through the macros, shift-add, accumulation and the activation unit, into
// the pack's output channels of `out` (CHW).
void Tile::mvm_windows(const imcvp_layer_desc& d, const Pack& pk, unsigned dac_bits, unsigned passes,
                       unsigned positions, const std::vector<int32_t>& in, const std::vector<imcvp_requant>& rq,
                       std::vector<int32_t>& out, MvmStats& layer, uint64_t& combined_cols) {
  const CrossbarParams& p = m_params.crossbar;
  const bool fc = d.op == IMCVP_OP_FC;
  const unsigned ih = d.in_h, iw = d.in_w;
  const unsigned kh = fc ? 1 : d.kernel_h, kw = fc ? 1 : d.kernel_w, sh = fc ? 1 : d.stride_h,
                 sw = fc ? 1 : d.stride_w, ph = fc ? 0 : d.pad_h, pw = fc ? 0 : d.pad_w, ow = d.out_w;
  const unsigned R = p.rows, opx = p.max_outputs(), per = p.cols_per_output();
  const uint64_t K = pk.K;
  // Windows (im2col) in weight-row order k = (c * kh + ky) * kw + kx over the
  // pack's channels; zero padding.
  std::vector<int32_t> x(size_t(pk.row_groups) * R, 0), xpos(x.size()), xneg(x.size());
  std::vector<int64_t> col(p.cols), acc(pk.n), y(opx);
  for (unsigned pos = 0; pos < positions; ++pos) {
    const unsigned oy = fc ? 0 : pos / ow, ox = fc ? 0 : pos % ow;
    if (fc) {
      std::copy(in.begin(), in.end(), x.begin());
    } else {
      size_t k = 0;
      for (unsigned c = pk.c0; c < pk.c0 + pk.cin; ++c)
        for (unsigned ky = 0; ky < kh; ++ky)
          for (unsigned kx = 0; kx < kw; ++kx, ++k) {
            const int iy = int(oy * sh + ky) - int(ph), ix = int(ox * sw + kx) - int(pw);
            x[k] = (iy < 0 || ix < 0 || iy >= int(ih) || ix >= int(iw))
                       ? 0
                       : in[(size_t(c) * ih + size_t(iy)) * iw + size_t(ix)];
          }
    }
    for (size_t k = 0; k < x.size(); ++k) {
      xpos[k] = std::max(x[k], 0);
      xneg[k] = std::max(-x[k], 0);
    }
    std::fill(acc.begin(), acc.end(), 0);
    for (unsigned pass = 0; pass < passes; ++pass) {
      const std::vector<int32_t>& xv = pass == 0 ? xpos : xneg;
      const int64_t sign = pass == 0 ? 1 : -1;
      for (unsigned rg = 0; rg < pk.row_groups; ++rg) {
        const int32_t* xr = xv.data() + size_t(rg) * R;
        int64_t xsum = 0;
        for (unsigned r = 0; r < R; ++r) xsum += xr[r];
        for (unsigned cg = 0; cg < pk.col_groups; ++cg) {
          const unsigned outs = std::min(opx, pk.n - cg * opx);
          CrossbarArray& xb = crossbar(pk.xbar0 + rg * pk.col_groups + cg);
          MvmStats ms;
          try {
            ms = xb.mvm(xr, dac_bits, col.data(), outs * per);
          } catch (const std::invalid_argument& e) {
            throw Fail{IMCVP_TILE_ERR_FORMAT, std::string("input out of range: ") + e.what()};
          }
          layer += ms;
          ++m_stats.mvms;
          m_stats.digit_slots += std::min<uint64_t>(R, K - uint64_t(rg) * R) * ms.steps;
          std::fill(y.begin(), y.begin() + outs, 0);
          m_shift_add.combine(col.data(), outs, xsum, y.data());
          combined_cols += uint64_t(outs) * per;
          for (unsigned j = 0; j < outs; ++j) acc[cg * opx + j] += sign * y[j];
        }
      }
    }
    for (unsigned j = 0; j < pk.n; ++j) {
      const unsigned o = pk.o0 + j;
      out[size_t(o) * positions + pos] =
          m_act.requantize(acc[j], rq[o].bias, rq[o].multiplier, rq[o].shift, d.out_min, d.out_max);
    }
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
        out[i++] = avg ? m_act.requantize(m, rq.bias, rq.multiplier, rq.shift, d.out_min, d.out_max)
                       : m_act.saturate(m, d.out_min, d.out_max);
      }
  }
  for (uint64_t j = 0; j < out_size; ++j) store(d.out_off, d.out_fmt, j, out[j]);
  const uint64_t rbytes = elems * fmt_bytes(d.in_fmt), wbytes = out_size * fmt_bytes(d.out_fmt);
  if (m_ledger) {
    const std::string me = name();
    m_ledger->charge(me + ".pooling", avg ? "add" : "compare", elems, m_params.pool_pj);
    if (avg) m_ledger->charge(me + ".activation", "requantize", out_size, m_params.activation_pj);
    m_ledger->charge(me + ".buffer", "read_byte", rbytes, m_params.buffer_pj_per_byte);
    m_ledger->charge(me + ".buffer", "write_byte", wbytes, m_params.buffer_pj_per_byte);
  }
  return cycles_ns(rbytes, m_params.buffer_bytes_per_cycle) + cycles_ns(elems, m_params.pool_lanes) +
         (avg ? cycles_ns(out_size, m_params.activation_lanes) : 0.0) +
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
    out[i] = m_act.requantize_add(load(d.in_off, d.in_fmt, i), load(d.in2_off, d.in2_fmt, i),
                                  d.add_mult_a, d.add_mult_b, d.add_shift, d.out_min, d.out_max);
  for (uint64_t i = 0; i < n; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  const uint64_t rbytes = n * (fmt_bytes(d.in_fmt) + fmt_bytes(d.in2_fmt)),
                 wbytes = n * fmt_bytes(d.out_fmt);
  if (m_ledger) {
    const std::string me = name();
    m_ledger->charge(me + ".activation", "requantize_add", n, m_params.activation_pj);
    m_ledger->charge(me + ".buffer", "read_byte", rbytes, m_params.buffer_pj_per_byte);
    m_ledger->charge(me + ".buffer", "write_byte", wbytes, m_params.buffer_pj_per_byte);
  }
  return cycles_ns(rbytes, m_params.buffer_bytes_per_cycle) +
         cycles_ns(n, m_params.activation_lanes) +
         cycles_ns(wbytes, m_params.buffer_bytes_per_cycle);
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
    out[i] = m_act.requantize(load(d.in_off, d.in_fmt, i), rq.bias, rq.multiplier, rq.shift, d.out_min, d.out_max);
  for (uint64_t i = 0; i < n; ++i) store(d.out_off, d.out_fmt, i, out[i]);
  const uint64_t rbytes = n * fmt_bytes(d.in_fmt) + sizeof rq, wbytes = n * fmt_bytes(d.out_fmt);
  if (m_ledger) {
    const std::string me = name();
    m_ledger->charge(me + ".activation", "requantize", n, m_params.activation_pj);
    m_ledger->charge(me + ".buffer", "read_byte", rbytes, m_params.buffer_pj_per_byte);
    m_ledger->charge(me + ".buffer", "write_byte", wbytes, m_params.buffer_pj_per_byte);
  }
  return cycles_ns(rbytes, m_params.buffer_bytes_per_cycle) + cycles_ns(n, m_params.activation_lanes) +
         cycles_ns(wbytes, m_params.buffer_bytes_per_cycle);
}

}  // namespace imcvp
