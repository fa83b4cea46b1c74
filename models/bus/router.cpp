#include "models/bus/router.hpp"

#include <cstdio>
#include <stdexcept>

namespace imcvp {

Router::Router(const sc_core::sc_module_name& name, const RouterParams& params)
    : sc_core::sc_module(name),
      target("target"),
      initiator("initiator"),
      transactions("transactions", 0),
      last_address("last_address", 0),
      m_params(params),
      m_transactions_driver("transactions_driver", transactions),
      m_last_address_driver("last_address_driver", last_address) {
  target.register_b_transport(this, &Router::b_transport);
  target.register_transport_dbg(this, &Router::transport_dbg);
  target.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  initiator.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

unsigned Router::bind_target(tlm::tlm_target_socket<>& socket, const std::string& name,
                             uint64_t base, uint64_t size) {
  const unsigned index = m_bound;
  m_map.add(name, base, size, index);  // throws before binding on a bad range
  initiator.bind(socket);
  ++m_bound;
  return index;
}

void Router::map(const std::string& name, uint64_t base, uint64_t size, unsigned target_index) {
  m_map.add(name, base, size, target_index);
}

void Router::end_of_elaboration() {
  const unsigned bound = initiator.size();
  for (const auto& r : m_map.regions())
    if (r.target >= bound)
      throw std::runtime_error(std::string(name()) + ": region " + describe(r) +
                               " maps to target " + std::to_string(r.target) + " but only " +
                               std::to_string(bound) + " target(s) are bound");
}

void Router::b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const sc_core::sc_time at = sc_core::sc_time_stamp() + delay;  // when the access is issued
  delay += m_params.latency;
  const AddressRegion* region = m_map.lookup(addr, trans.get_data_length());
  if (!region) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    ++m_stats.errors;
    if (m_params.trace) trace_line(trans, addr, at, nullptr);
    return;
  }
  trans.set_address(addr - region->base);
  initiator[region->target]->b_transport(trans, delay);
  trans.set_address(addr);

  ++m_stats.forwarded;
  if (trans.is_response_error()) ++m_stats.errors;
  m_transactions_driver.write_at(at, m_stats.forwarded);
  m_last_address_driver.write_at(at, static_cast<uint32_t>(addr));
  if (m_params.trace) trace_line(trans, addr, at, region);
}

unsigned Router::transport_dbg(int id, tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  const AddressRegion* region = m_map.lookup(addr);
  if (!region) return 0;
  const uint64_t room = region->last() - addr + 1;  // 0 means 2^64: never below len
  if (room != 0 && room < len) trans.set_data_length(static_cast<unsigned>(room));
  trans.set_address(addr - region->base);
  const unsigned done = initiator[region->target]->transport_dbg(trans);
  trans.set_address(addr);
  trans.set_data_length(len);
  return done;
}

bool Router::get_direct_mem_ptr(int id, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const uint64_t addr = trans.get_address();
  const AddressRegion* region = m_map.lookup(addr);
  if (!region) {
    dmi.set_start_address(addr);
    dmi.set_end_address(addr);
    return false;
  }
  trans.set_address(addr - region->base);
  const bool granted = initiator[region->target]->get_direct_mem_ptr(trans, dmi);
  trans.set_address(addr);

  // Target-local range -> global, clipped to the region.
  uint64_t start = dmi.get_start_address();
  uint64_t end = dmi.get_end_address();
  if (end > region->size - 1) end = region->size - 1;
  if (start > end) {  // nonsense from the target: deny just this address
    dmi.set_start_address(addr);
    dmi.set_end_address(addr);
    return false;
  }
  dmi.set_start_address(region->base + start);
  dmi.set_end_address(region->base + end);
  return granted;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  for (const auto& r : m_map.regions()) {
    if (r.target != static_cast<unsigned>(id)) continue;
    if (start > r.size - 1 || start > end) continue;
    const uint64_t last = end > r.size - 1 ? r.size - 1 : end;
    for (unsigned i = 0; i < target.size(); ++i)
      target[i]->invalidate_direct_mem_ptr(r.base + start, r.base + last);
  }
}

void Router::trace_line(const tlm::tlm_generic_payload& trans, uint64_t addr,
                   const sc_core::sc_time& at, const AddressRegion* region) {
  const double ns = at.to_seconds() * 1e9;
  const char cmd = trans.is_read() ? 'R' : trans.is_write() ? 'W' : 'I';
  char line[96];
  std::snprintf(line, sizeof line, "%.15g %c 0x%08llx %u -> ", ns, cmd,
                static_cast<unsigned long long>(addr), trans.get_data_length());
  *m_params.trace << line << (region ? region->name : std::string("(unmapped)"))
                  << (trans.is_response_ok() ? " OK\n" : " ERROR\n");
}

}  // namespace imcvp
