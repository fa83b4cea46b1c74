#include "models/io/uart.hpp"

#include <stdexcept>

#include "imcvp/memory_map.h"

namespace imcvp {

Uart::Uart(const sc_core::sc_module_name& name, const UartParams& params)
    : sc_core::sc_module(name),
      socket("socket"),
      tx_byte("tx_byte", 0),
      tx_active("tx_active", false),
      m_params(params),
      m_regs(this->name()),
      m_tx_byte_driver("tx_byte_driver", tx_byte),
      m_tx_active_driver("tx_active_driver", tx_active) {
  if (m_params.tx_pulse == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument(std::string(this->name()) + ": tx_pulse must be > 0");
  m_regs.add("txdata", IMCVP_UART_TXDATA, nullptr,
             [this](uint32_t v, const sc_core::sc_time& at) { send(uint8_t(v & 0xff), at); });
  m_regs.add("status", IMCVP_UART_STATUS,
             [](const sc_core::sc_time&) -> uint32_t { return IMCVP_UART_STATUS_TXREADY; },
             nullptr);
  socket.register_b_transport(this, &Uart::b_transport);
  socket.register_transport_dbg(this, &Uart::transport_dbg);
}

void Uart::send(uint8_t byte, const sc_core::sc_time& at) {
  m_transmitted.push_back(static_cast<char>(byte));
  if (m_params.sink) {
    m_params.sink->put(static_cast<char>(byte));
    if (byte == '\n') m_params.sink->flush();
  }
  m_tx_byte_driver.write_at(at, byte);
  m_tx_active_driver.write_at(at, true);
  m_tx_active_driver.write_at(at + m_params.tx_pulse, false);
}

void Uart::end_of_simulation() {
  if (m_params.sink) m_params.sink->flush();
}

void Uart::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += m_params.latency;
  m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned Uart::transport_dbg(tlm::tlm_generic_payload& trans) {
  return m_regs.debug_access(trans);
}

}  // namespace imcvp
