// Uart: transmit-only console (registers in imcvp/memory_map.h). A write to
// TXDATA sends its low byte: to the terminal sink (flushed at each '\n') and
// to the record of everything transmitted; STATUS reads TXREADY (always 1).
// Bad accesses (undecoded offset, not 32-bit, byte enables, writing STATUS)
// get an error response and send nothing.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/bus/register_bank.hpp"
#include "models/bus/timed_signal_driver.hpp"

namespace imcvp {

struct UartParams {
  std::ostream* sink = nullptr;                      // terminal; nullptr: record only
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // per register access
  // tx_active stays high this long after each byte (VCD only: the transmitter
  // itself is always ready). Must be > 0.
  sc_core::sc_time tx_pulse = sc_core::sc_time(100, sc_core::SC_NS);
};

class Uart : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Uart> socket;

  // For the VCD: the latest byte sent, and a pulse per byte; both change at
  // the simulated time of the TXDATA write.
  sc_core::sc_signal<uint8_t> tx_byte;
  sc_core::sc_signal<bool> tx_active;

  Uart(const sc_core::sc_module_name& name, const UartParams& params = {});

  const std::string& transmitted() const { return m_transmitted; }
  uint64_t byte_count() const { return m_transmitted.size(); }
  const UartParams& params() const { return m_params; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  void send(uint8_t byte, const sc_core::sc_time& at);
  void end_of_simulation() override;  // flushes a last line without '\n'

  UartParams m_params;
  RegisterBank m_regs;
  std::string m_transmitted;
  TimedSignalDriver<uint8_t> m_tx_byte_driver;
  TimedSignalDriver<bool> m_tx_active_driver;
};

}  // namespace imcvp
