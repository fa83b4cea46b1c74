#include "models/dma/dma_engine.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "models/energy/energy_ledger.hpp"

namespace imcvp {

using sc_core::sc_time;

DmaEngine::DmaEngine(const sc_core::sc_module_name& name, const DmaParams& params,
                     EnergyLedger* ledger)
    : sc_core::sc_module(name),
      socket("socket"),
      master("master"),
      irq("irq", false),
      m_params(params),
      m_ledger(ledger),
      m_regs(this->name()),
      m_irq_driver("irq_driver", irq) {
  if (m_params.burst_bytes == 0 || m_params.burst_bytes % 4 != 0)
    throw std::invalid_argument(std::string(this->name()) +
                                ": burst_bytes must be a positive multiple of 4, got " +
                                std::to_string(m_params.burst_bytes));
  m_buf.resize(m_params.burst_bytes);

  auto rw = [this](const char* n, uint64_t off, uint32_t& reg) {
    m_regs.add(n, off, [&reg](const sc_time&) { return reg; },
               [&reg](uint32_t v, const sc_time&) { reg = v; });
  };
  rw("src", IMCVP_DMA_SRC, m_src);
  rw("dst", IMCVP_DMA_DST, m_dst);
  rw("len", IMCVP_DMA_LEN, m_len);
  m_regs.add("ctrl", IMCVP_DMA_CTRL, nullptr, [this](uint32_t v, const sc_time& at) {
    if (v & IMCVP_DMA_CTRL_START) start(at);
  });
  m_regs.add("status", IMCVP_DMA_STATUS, [this](const sc_time&) { return m_status; }, nullptr);
  m_regs.add("error", IMCVP_DMA_ERROR, [this](const sc_time&) { return m_error; }, nullptr);
  m_regs.add("error_addr", IMCVP_DMA_ERROR_ADDR, [this](const sc_time&) { return m_error_addr; },
             nullptr);
  m_regs.add("irq_enable", IMCVP_DMA_IRQ_ENABLE, [this](const sc_time&) { return m_irq_enable; },
             [this](uint32_t v, const sc_time& at) {
               m_irq_enable = v & (IMCVP_DMA_IRQ_DONE | IMCVP_DMA_IRQ_ERROR);
               update_irq(at);
             });
  m_regs.add("irq_status", IMCVP_DMA_IRQ_STATUS, [this](const sc_time&) { return m_irq_status; },
             [this](uint32_t v, const sc_time& at) {
               m_irq_status &= ~v;
               update_irq(at);
             });
  m_regs.add("bytes_lo", IMCVP_DMA_BYTES_LO,
             [this](const sc_time&) { return uint32_t(m_stats.bytes); }, nullptr);
  m_regs.add("bytes_hi", IMCVP_DMA_BYTES_HI,
             [this](const sc_time&) { return uint32_t(m_stats.bytes >> 32); }, nullptr);

  socket.register_b_transport(this, &DmaEngine::b_transport);
  socket.register_transport_dbg(this, &DmaEngine::transport_dbg);
  master.register_invalidate_direct_mem_ptr(this, &DmaEngine::invalidate);

  SC_HAS_PROCESS(DmaEngine);
  SC_THREAD(run);
}

void DmaEngine::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  delay += m_params.reg_latency;
  m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned DmaEngine::transport_dbg(tlm::tlm_generic_payload& trans) {
  return m_regs.debug_access(trans);
}

void DmaEngine::invalidate(sc_dt::uint64 start, sc_dt::uint64 end) {
  for (DmiCache* c : {&m_dmi_read, &m_dmi_write})
    if (c->valid && c->dmi.get_start_address() <= end && start <= c->dmi.get_end_address())
      c->valid = false;
}

void DmaEngine::update_irq(const sc_time& at) {
  m_irq_driver.write_at(at, (m_irq_status & m_irq_enable) != 0);
}

void DmaEngine::start(const sc_time& at) {
  if (m_status & IMCVP_DMA_STATUS_BUSY) {
    // The running transfer goes on; the refused request is reported.
    m_error = IMCVP_DMA_ERR_BUSY;
    m_status |= IMCVP_DMA_STATUS_ERROR;
    m_irq_status |= IMCVP_DMA_IRQ_ERROR;
    ++m_stats.errors;
    update_irq(at);
    return;
  }
  m_status = 0;
  m_error = IMCVP_DMA_ERR_NONE;
  m_error_addr = 0;
  uint32_t err = IMCVP_DMA_ERR_NONE;
  if (m_len == 0 || m_len > m_params.max_length)
    err = IMCVP_DMA_ERR_LENGTH;
  else if ((m_src | m_dst | m_len) & 3u)
    err = IMCVP_DMA_ERR_ALIGN;
  else if (uint64_t(m_src) + m_len > (uint64_t(1) << 32) ||
           uint64_t(m_dst) + m_len > (uint64_t(1) << 32))
    err = IMCVP_DMA_ERR_RANGE;
  if (err != IMCVP_DMA_ERR_NONE) {
    finish(err, 0, at);
    return;
  }
  m_run_src = m_src;
  m_run_dst = m_dst;
  m_run_len = m_len;
  m_start_at = at;
  m_status = IMCVP_DMA_STATUS_BUSY;
  const sc_time now = sc_core::sc_time_stamp();
  m_start_event.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void DmaEngine::finish(uint32_t error, uint64_t error_addr, const sc_time& at) {
  m_error = error;
  m_error_addr = uint32_t(error_addr);
  if (error == IMCVP_DMA_ERR_NONE) {
    m_status = IMCVP_DMA_STATUS_DONE;
    m_irq_status |= IMCVP_DMA_IRQ_DONE;
  } else {
    m_status = IMCVP_DMA_STATUS_ERROR;
    m_irq_status |= IMCVP_DMA_IRQ_ERROR;
    ++m_stats.errors;
  }
  update_irq(at);
}

bool DmaEngine::burst(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                      sc_time& delay) {
  const bool is_read = cmd == tlm::TLM_READ_COMMAND;
  DmiCache& cache = is_read ? m_dmi_read : m_dmi_write;
  auto covers = [&](const tlm::tlm_dmi& d) {
    return d.get_start_address() <= addr && addr + len - 1 <= d.get_end_address() &&
           (is_read ? d.is_read_allowed() : d.is_write_allowed());
  };
  if (!cache.valid || !covers(cache.dmi)) {
    cache.valid = false;
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    tlm::tlm_dmi d;
    if (master->get_direct_mem_ptr(t, d) && covers(d)) {
      cache.dmi = d;
      cache.valid = true;
    }
  }
  if (cache.valid) {
    unsigned char* p = cache.dmi.get_dmi_ptr() + (addr - cache.dmi.get_start_address());
    if (is_read) {
      std::memcpy(data, p, len);
      delay += cache.dmi.get_read_latency();
    } else {
      std::memcpy(p, data, len);
      delay += cache.dmi.get_write_latency();
    }
    return true;
  }
  tlm::tlm_generic_payload t;
  t.set_command(cmd);
  t.set_address(addr);
  t.set_data_ptr(data);
  t.set_data_length(len);
  t.set_streaming_width(len);
  t.set_byte_enable_ptr(nullptr);
  t.set_dmi_allowed(false);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  master->b_transport(t, delay);
  return t.is_response_ok();
}

uint32_t DmaEngine::move(uint64_t src, uint64_t dst, unsigned len, sc_time& delay, sc_time& done) {
  if (!burst(tlm::TLM_READ_COMMAND, src, m_buf.data(), len, delay)) return IMCVP_DMA_ERR_BUS_READ;
  const sc_time now = sc_core::sc_time_stamp();
  const std::optional<sc_time> arrival = m_interconnect ? m_interconnect->carry(src, dst, len, now + delay)
                                                        : std::nullopt;
  if (!arrival) {
    if (!burst(tlm::TLM_WRITE_COMMAND, dst, m_buf.data(), len, delay)) return IMCVP_DMA_ERR_BUS_WRITE;
    done = std::max(done, delay);
    return IMCVP_DMA_ERR_NONE;
  }
  // Over the interconnect: the write happens at the destination when the
  // burst arrives; the engine issues the next burst meanwhile.
  sc_time write_at = *arrival > now ? *arrival - now : sc_core::SC_ZERO_TIME;
  if (!burst(tlm::TLM_WRITE_COMMAND, dst, m_buf.data(), len, write_at)) return IMCVP_DMA_ERR_BUS_WRITE;
  done = std::max(done, write_at);
  return IMCVP_DMA_ERR_NONE;
}

void DmaEngine::run() {
  for (;;) {
    wait(m_start_event);
    // Bursts are issued with a local time offset from now (= the START time).
    sc_time delay = sc_time(m_params.setup_ns, sc_core::SC_NS);
    sc_time done = delay;
    const sc_time overhead(m_params.burst_overhead_ns, sc_core::SC_NS);
    uint32_t err = IMCVP_DMA_ERR_NONE;
    uint64_t err_addr = 0;
    uint64_t moved = 0;
    ++m_stats.transfers;
    while (moved < m_run_len) {
      const unsigned n = unsigned(std::min<uint64_t>(m_params.burst_bytes, m_run_len - moved));
      delay += overhead;
      err = move(m_run_src + moved, m_run_dst + moved, n, delay, done);
      if (err != IMCVP_DMA_ERR_NONE) {
        err_addr = (err == IMCVP_DMA_ERR_BUS_READ ? m_run_src : m_run_dst) + moved;
        break;
      }
      moved += n;
      ++m_stats.bursts;
    }
    m_stats.bytes += moved;
    if (m_ledger) m_ledger->charge(name(), "transfer_byte", moved, m_params.energy_pj_per_byte, "dma_bus");
    wait(std::max(delay, done));
    finish(err, err_addr, sc_core::sc_time_stamp());
  }
}

}  // namespace imcvp
