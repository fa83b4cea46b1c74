#include "models/cpu/clint.hpp"

#include <stdexcept>
#include <string>

namespace imcvp {

namespace {
using u128 = unsigned __int128;
constexpr uint64_t kNever = ~uint64_t(0);
}  // namespace

Clint::Clint(const sc_core::sc_module_name& name, const ClintParams& params)
    : sc_core::sc_module(name),
      socket("socket"),
      mtip("mtip", false),
      msip("msip", false),
      m_params(params),
      m_units_per_second(sc_core::sc_time(1, sc_core::SC_SEC).value()),
      m_regs(this->name()),
      m_msip_driver("msip_driver", msip) {
  if (m_params.timer_hz == 0)
    throw std::invalid_argument(std::string(this->name()) + ": timer_hz must be > 0");

  using sc_core::sc_time;
  m_regs.add("msip", IMCVP_CLINT_MSIP,
             [this](const sc_time&) -> uint32_t { return m_msip ? 1 : 0; },
             [this](uint32_t v, const sc_time& at) { write_msip(v, at); });
  m_regs.add("mtimecmp_lo", IMCVP_CLINT_MTIMECMP,
             [this](const sc_time&) { return uint32_t(m_state.cmp); },
             [this](uint32_t v, const sc_time& at) {
               TimerState s = m_state;
               s.cmp = (s.cmp & 0xffffffff00000000ull) | v;
               set_state(s, at);
             });
  m_regs.add("mtimecmp_hi", IMCVP_CLINT_MTIMECMP + 4,
             [this](const sc_time&) { return uint32_t(m_state.cmp >> 32); },
             [this](uint32_t v, const sc_time& at) {
               TimerState s = m_state;
               s.cmp = (s.cmp & 0xffffffffull) | (uint64_t(v) << 32);
               set_state(s, at);
             });
  m_regs.add("mtime_lo", IMCVP_CLINT_MTIME,
             [this](const sc_time& at) { return uint32_t(mtime_at(at)); },
             [this](uint32_t v, const sc_time& at) {
               TimerState s = m_state;
               const uint64_t now = (mtime_of(s, at) & 0xffffffff00000000ull) | v;
               s.offset = now - ticks(at);
               set_state(s, at);
             });
  m_regs.add("mtime_hi", IMCVP_CLINT_MTIME + 4,
             [this](const sc_time& at) { return uint32_t(mtime_at(at) >> 32); },
             [this](uint32_t v, const sc_time& at) {
               TimerState s = m_state;
               const uint64_t now = (mtime_of(s, at) & 0xffffffffull) | (uint64_t(v) << 32);
               s.offset = now - ticks(at);
               set_state(s, at);
             });

  socket.register_b_transport(this, &Clint::b_transport);
  socket.register_transport_dbg(this, &Clint::transport_dbg);

  SC_HAS_PROCESS(Clint);
  SC_METHOD(update_mtip);
  sensitive << m_wake;
}

uint64_t Clint::ticks(const sc_core::sc_time& t) const {
  return static_cast<uint64_t>(u128(t.value()) * m_params.timer_hz / m_units_per_second);
}

uint64_t Clint::mtime_of(const TimerState& s, const sc_core::sc_time& t) const {
  return ticks(t) + s.offset;
}

bool Clint::pending_of(const TimerState& s, const sc_core::sc_time& t) const {
  return s.cmp != kNever && mtime_of(s, t) >= s.cmp;
}

sc_core::sc_time Clint::rise_time(const TimerState& s, const sc_core::sc_time& from) const {
  if (s.cmp == kNever) return sc_core::sc_max_time();
  const uint64_t m0 = mtime_of(s, from);
  if (m0 >= s.cmp) return from;
  // First time t with ticks(t) >= ticks(from) + (cmp - m0).
  const u128 target = u128(ticks(from)) + (s.cmp - m0);
  const u128 units = (target * m_units_per_second + m_params.timer_hz - 1) / m_params.timer_hz;
  if (units >= u128(sc_core::sc_max_time().value())) return sc_core::sc_max_time();
  return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(units));
}

uint64_t Clint::mtime_at(const sc_core::sc_time& at) const { return mtime_of(m_state, at); }

bool Clint::mtip_pending_at(const sc_core::sc_time& at) const { return pending_of(m_state, at); }

sc_core::sc_time Clint::next_deadline() const {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (pending_of(m_state, now)) return sc_core::sc_max_time();
  return rise_time(m_state, now);
}

void Clint::set_state(const TimerState& s, const sc_core::sc_time& at) {
  m_state = s;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time when = at < now ? now : at;
  while (!m_changes.empty() && m_changes.back().first > when) m_changes.pop_back();
  m_changes.emplace_back(when, s);
  m_wake.notify(m_changes.front().first - now);
}

void Clint::write_msip(uint32_t value, const sc_core::sc_time& at) {
  const bool level = value & 1;
  if (level && !m_msip) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    irq_event.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
  }
  m_msip = level;
  m_msip_driver.write_at(at, level);
}

void Clint::update_mtip() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!m_changes.empty() && m_changes.front().first <= now) {
    m_signal_state = m_changes.front().second;
    m_changes.pop_front();
  }
  const bool level = pending_of(m_signal_state, now);
  if (level != m_mtip_level) {
    m_mtip_level = level;
    mtip.write(level);
    if (level) irq_event.notify();
  }
  sc_core::sc_time next = sc_core::sc_max_time();
  if (!m_changes.empty()) next = m_changes.front().first;
  if (!level) {
    const sc_core::sc_time rise = rise_time(m_signal_state, now);
    if (rise < next) next = rise;
  }
  if (next != sc_core::sc_max_time()) m_wake.notify(next - now);
}

void Clint::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += m_params.latency;
  m_regs.access(trans, sc_core::sc_time_stamp() + delay);
}

unsigned Clint::transport_dbg(tlm::tlm_generic_payload& trans) {
  return m_regs.debug_access(trans);
}

}  // namespace imcvp
