// Router: the system bus. Initiators (the CPU, later DMA) bind to `target`;
// each target is bound to `initiator` together with its address range.
// Decodes by the AddressMap, rewrites the address to the target-local offset,
// forwards and restores it. DMI ranges are translated back to global
// addresses and clipped to the region; DMI invalidations from a target are
// translated and broadcast to every initiator; debug transport forwards with
// the same translation.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/bus/address_map.hpp"
#include "models/bus/timed_signal_driver.hpp"

namespace imcvp {

struct RouterParams {
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // per hop, added to every b_transport
  // One line per transaction when set:
  //   <issue time in ns> R|W 0x<address> <length> -> <region|(unmapped)> OK|ERROR
  std::ostream* trace = nullptr;
};

struct RouterStats {
  uint64_t forwarded = 0;  // transactions forwarded to a target (any response)
  uint64_t errors = 0;     // undecoded transactions plus error responses from targets
};

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> target;        // bind initiators here
  tlm_utils::multi_passthrough_initiator_socket<Router> initiator;  // bound to targets

  // Count of forwarded transactions and the global address of the latest, for
  // the VCD; each change appears at the simulated time the transaction was
  // issued (sc_time_stamp() + the initiator's delay).
  sc_core::sc_signal<uint64_t> transactions;
  sc_core::sc_signal<uint32_t> last_address;

  Router(const sc_core::sc_module_name& name, const RouterParams& params = {});

  // Binds the next initiator port to `socket` and maps [base, base + size) to
  // it under `name`. Returns the target index. Throws AddressMapError on an
  // overlap (message names both regions).
  unsigned bind_target(tlm::tlm_target_socket<>& socket, const std::string& name, uint64_t base,
                       uint64_t size);
  // Maps one more region (an alias) to an already bound target index.
  void map(const std::string& name, uint64_t base, uint64_t size, unsigned target_index);

  // Switches the transaction trace on (stream) or off (nullptr).
  void set_trace(std::ostream* trace) { m_params.trace = trace; }

  const AddressMap& address_map() const { return m_map; }
  const RouterStats& stats() const { return m_stats; }
  const RouterParams& params() const { return m_params; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);
  void end_of_elaboration() override;

  void trace_line(const tlm::tlm_generic_payload& trans, uint64_t addr, const sc_core::sc_time& at,
             const AddressRegion* region);

  RouterParams m_params;
  AddressMap m_map;
  unsigned m_bound = 0;
  RouterStats m_stats;
  TimedSignalDriver<uint64_t> m_transactions_driver;
  TimedSignalDriver<uint32_t> m_last_address_driver;
};

}  // namespace imcvp
