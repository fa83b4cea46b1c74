// TimedSignalDriver: drives an sc_signal at the simulated time an access
// really happened. Under temporal decoupling an initiator calls b_transport
// ahead of SystemC time (the access happens at sc_time_stamp() + delay); a
// model that wrote its trace signals directly would show the change at the
// start of the quantum, and two initiators writing the same signal would
// break SystemC's one-writer rule. Models instead schedule the value here and
// this module's one SC_METHOD writes it when simulated time gets there, so
// the VCD shows each change at its exact time.
#pragma once
#include <deque>
#include <utility>

#include <systemc>

namespace imcvp {

template <typename T>
class TimedSignalDriver : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedSignalDriver);

  TimedSignalDriver(const sc_core::sc_module_name& name, sc_core::sc_signal<T>& signal)
      : sc_core::sc_module(name), m_signal(signal) {
    SC_METHOD(drive);
    sensitive << m_wake;
    dont_initialize();
  }

  // From absolute time `at` on the signal holds `value`. Values scheduled
  // for `at` or later are dropped (the latest write wins from `at` on). A
  // time already past is taken as now.
  void write_at(const sc_core::sc_time& at, const T& value) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const sc_core::sc_time when = at < now ? now : at;
    while (!m_queue.empty() && m_queue.back().first >= when) m_queue.pop_back();
    m_queue.emplace_back(when, value);
    m_wake.notify(m_queue.front().first - now);
  }

  // The value the signal will end with once every scheduled write is done.
  T final_value() const { return m_queue.empty() ? m_signal.read() : m_queue.back().second; }

 private:
  void drive() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    bool due = false;
    T value{};
    while (!m_queue.empty() && m_queue.front().first <= now) {
      value = m_queue.front().second;
      m_queue.pop_front();
      due = true;
    }
    if (due) m_signal.write(value);
    if (!m_queue.empty()) m_wake.notify(m_queue.front().first - now);
  }

  sc_core::sc_signal<T>& m_signal;
  std::deque<std::pair<sc_core::sc_time, T>> m_queue;
  sc_core::sc_event m_wake;
};

}  // namespace imcvp
