#include "models/io/sim_ctrl.hpp"

#include "imcvp/memory_map.h"

namespace imcvp {

SimCtrl::SimCtrl(const sc_core::sc_module_name& name, const SimCtrlParams& params)
    : sc_core::sc_module(name), socket("socket"), m_params(params), m_regs(this->name()) {
  auto constant = [](uint32_t v) {
    return [v](const sc_core::sc_time&) -> uint32_t { return v; };
  };
  m_regs.add("exit", IMCVP_SIMCTRL_EXIT, nullptr,
             [this](uint32_t v, const sc_core::sc_time& at) { exit(v, at); });
  m_regs.add("ram_base", IMCVP_SIMCTRL_RAM_BASE, constant(m_params.ram_base), nullptr);
  m_regs.add("ram_size", IMCVP_SIMCTRL_RAM_SIZE, constant(m_params.ram_size), nullptr);
  m_regs.add("timer_hz", IMCVP_SIMCTRL_TIMER_HZ, constant(m_params.timer_hz), nullptr);
  m_regs.add("cpu_hz", IMCVP_SIMCTRL_CPU_HZ, constant(m_params.cpu_hz), nullptr);
  m_regs.add("tiles", IMCVP_SIMCTRL_TILES, constant(m_params.tiles), nullptr);
  m_regs.add("workload_size", IMCVP_SIMCTRL_WORKLOAD_SIZE, constant(m_params.workload_size), nullptr);
  m_regs.add("mark", IMCVP_SIMCTRL_MARK, nullptr, [this](uint32_t v, const sc_core::sc_time& at) {
    if (m_params.on_mark) m_params.on_mark(v, at);
  });
  socket.register_b_transport(this, &SimCtrl::b_transport);
  socket.register_transport_dbg(this, &SimCtrl::transport_dbg);
}

void SimCtrl::exit(uint32_t code, const sc_core::sc_time& at) {
  m_exited = true;
  m_exit_code = code;
  m_exit_time = at;
  if (m_params.on_exit)
    m_params.on_exit(code);
  else
    sc_core::sc_stop();
}

void SimCtrl::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += m_params.latency;
  m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned SimCtrl::transport_dbg(tlm::tlm_generic_payload& trans) {
  return m_regs.debug_access(trans);
}

}  // namespace imcvp
