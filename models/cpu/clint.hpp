// Clint: SiFive-compatible core-local interruptor for one hart (registers in
// imcvp/memory_map.h): msip (bit 0), mtimecmp and mtime (64-bit, accessed as
// 32-bit low/high words, or as one aligned 64-bit access).
//
// mtime is derived from simulated time, never ticked:
//   mtime = floor((sc_time_stamp() + annotated delay) * timer_hz) + offset
// where a write to mtime sets the offset. mtimecmp resets to all ones, which
// means "never".
//
// Temporal decoupling: the CPU runs ahead of SystemC time and its accesses
// carry their own time (sc_time_stamp() + delay). Register state changes are
// recorded with that time, and the mtip/msip signals follow them at exactly
// that time; mtip rises at exactly the time mtime reaches mtimecmp. The CPU,
// running ahead, asks mtip_pending()/next_deadline() rather than waiting for
// the signal.
#pragma once
#include <cstdint>
#include <deque>
#include <utility>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "imcvp/memory_map.h"
#include "models/bus/register_bank.hpp"
#include "models/bus/timed_signal_driver.hpp"

namespace imcvp {

struct ClintParams {
  uint64_t timer_hz = IMCVP_MTIME_HZ_DEFAULT;        // mtime rate, > 0
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // per register access
};

class Clint : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Clint> socket;

  sc_core::sc_signal<bool> mtip;  // machine timer interrupt pending
  sc_core::sc_signal<bool> msip;  // machine software interrupt pending
  // Notified at the time either line rises.
  sc_core::sc_event irq_event;

  Clint(const sc_core::sc_module_name& name, const ClintParams& params = {});

  // Absolute simulated time at which mtip next rises with the registers as
  // they are now; sc_max_time() when never (mtimecmp all ones) or already high.
  sc_core::sc_time next_deadline() const;
  // Current register state at sc_time_stamp(), read directly (not the signals).
  bool mtip_pending() const { return mtip_pending_at(sc_core::sc_time_stamp()); }
  bool msip_pending() const { return m_msip; }
  // The same at an absolute time, e.g. the CPU's local time (now + offset).
  bool mtip_pending_at(const sc_core::sc_time& at) const;
  uint64_t mtime_at(const sc_core::sc_time& at) const;
  uint64_t mtime() const { return mtime_at(sc_core::sc_time_stamp()); }
  uint64_t mtimecmp() const { return m_state.cmp; }
  const ClintParams& params() const { return m_params; }

 private:
  struct TimerState {
    uint64_t cmp = ~uint64_t(0);
    uint64_t offset = 0;  // mtime = ticks(t) + offset (mod 2^64)
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  void update_mtip();  // SC_METHOD: drives mtip from the recorded state changes

  uint64_t ticks(const sc_core::sc_time& t) const;  // floor(t * timer_hz)
  uint64_t mtime_of(const TimerState& s, const sc_core::sc_time& t) const;
  bool pending_of(const TimerState& s, const sc_core::sc_time& t) const;
  sc_core::sc_time rise_time(const TimerState& s, const sc_core::sc_time& from) const;
  void set_state(const TimerState& s, const sc_core::sc_time& at);
  void write_msip(uint32_t value, const sc_core::sc_time& at);

  ClintParams m_params;
  uint64_t m_units_per_second;  // sc_time resolution units in one second
  RegisterBank m_regs;
  TimerState m_state;          // registers as the latest access left them
  TimerState m_signal_state;   // registers at the simulated time of mtip
  std::deque<std::pair<sc_core::sc_time, TimerState>> m_changes;  // not yet reached
  bool m_mtip_level = false;
  bool m_msip = false;
  sc_core::sc_event m_wake;
  TimedSignalDriver<bool> m_msip_driver;
};

}  // namespace imcvp
