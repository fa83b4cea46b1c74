// SimCtrl: simulation control (registers in imcvp/memory_map.h). A write to
// EXIT ends the run: the value is the exit code, handed to the callback in the
// parameters (the platform stops the simulation from there). RAM_BASE,
// RAM_SIZE, TIMER_HZ, CPU_HZ, TILES and WORKLOAD_SIZE read back the
// platform's configuration; MARK hands phase events to a callback.
#pragma once
#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/bus/register_bank.hpp"

namespace imcvp {

struct SimCtrlParams {
  uint32_t ram_base = 0;
  uint32_t ram_size = 0;
  uint32_t timer_hz = 0;
  uint32_t cpu_hz = 0;
  uint32_t tiles = 0;          // accelerator tiles present
  uint32_t workload_size = 0;  // bytes of workload memory (0: none)
  // Called on each EXIT write with the value written. Empty: sc_stop().
  std::function<void(uint32_t code)> on_exit;
  // Called on each MARK write with the value and its simulated time
  // (sc_time_stamp() + the writer's delay). Empty: marks are ignored.
  std::function<void(uint32_t mark, const sc_core::sc_time& at)> on_mark;
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // per register access
};

class SimCtrl : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SimCtrl> socket;

  SimCtrl(const sc_core::sc_module_name& name, const SimCtrlParams& params);

  bool exited() const { return m_exited; }
  uint32_t exit_code() const { return m_exit_code; }
  // Simulated time of the EXIT write (sc_time_stamp() + the writer's delay):
  // under temporal decoupling this is later than sc_time_stamp() at the stop.
  const sc_core::sc_time& exit_time() const { return m_exit_time; }
  const SimCtrlParams& params() const { return m_params; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  void exit(uint32_t code, const sc_core::sc_time& at);

  SimCtrlParams m_params;
  RegisterBank m_regs;
  bool m_exited = false;
  uint32_t m_exit_code = 0;
  sc_core::sc_time m_exit_time;
};

}  // namespace imcvp
