// Shared pieces of the unit-test harnesses (header-only): a TLM-2.0 test
// initiator with access/read32/write32/debug/dmi helpers that records DMI
// invalidations, run_to() for exact-time simulation steps, and an optional
// stub sc_main (IMCVP_TEST_SC_MAIN(); every test links a weak one anyway).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

namespace imcvp::test {

// An initiator (CPU or DMA stand-in) driving one socket; records the DMI
// invalidations it receives.
struct TestInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<TestInitiator> socket;
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;

  explicit TestInitiator(const sc_core::sc_module_name& n) : sc_module(n), socket("socket") {
    socket.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate);
  }
  void invalidate(sc_dt::uint64 s, sc_dt::uint64 e) { invalidations.emplace_back(s, e); }

  // b_transport; delay is annotated in place. addr_after receives the payload
  // address as it comes back (what a router translated it to).
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len,
                                  sc_core::sc_time& delay, uint64_t* addr_after = nullptr) {
    return transport(cmd, addr, data, len, delay, nullptr, 0, nullptr, addr_after);
  }
  // b_transport with byte enables (byte_enable_length = len), a streaming
  // width (0: len), and the DMI hint that comes back.
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len,
                                  sc_core::sc_time& delay, unsigned char* byte_enable,
                                  unsigned streaming_width = 0, bool* dmi_hint = nullptr) {
    return transport(cmd, addr, data, len, delay, byte_enable, streaming_width, dmi_hint,
                     nullptr);
  }
  // b_transport with no annotated delay (the delay that comes back is dropped).
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    return access(cmd, addr, data, len, d);
  }

  tlm::tlm_response_status write32(uint64_t addr, uint32_t v,
                                   sc_core::sc_time d = sc_core::SC_ZERO_TIME) {
    return access(tlm::TLM_WRITE_COMMAND, addr, &v, 4, d);
  }
  tlm::tlm_response_status read32(uint64_t addr, uint32_t& v) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    return access(tlm::TLM_READ_COMMAND, addr, &v, 4, d);
  }

  unsigned debug(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(len);
    return socket->transport_dbg(t);
  }

  bool dmi(uint64_t addr, tlm::tlm_dmi& d, tlm::tlm_command cmd = tlm::TLM_READ_COMMAND) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    return socket->get_direct_mem_ptr(t, d);
  }

 private:
  tlm::tlm_response_status transport(tlm::tlm_command cmd, uint64_t addr, void* data,
                                     unsigned len, sc_core::sc_time& delay,
                                     unsigned char* byte_enable, unsigned streaming_width,
                                     bool* dmi_hint, uint64_t* addr_after) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(len);
    t.set_streaming_width(streaming_width ? streaming_width : len);
    if (byte_enable) {
      t.set_byte_enable_ptr(byte_enable);
      t.set_byte_enable_length(len);
    }
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(t, delay);
    if (dmi_hint) *dmi_hint = t.is_dmi_allowed();
    if (addr_after) *addr_after = t.get_address();
    return t.get_response_status();
  }
};

// Runs the simulation up to and including every process due at absolute time
// t (sc_start(d) stops before evaluating what is due exactly at its end, and
// sc_start(0) runs one delta cycle at a time).
inline void run_to(const sc_core::sc_time& t) {
  if (t > sc_core::sc_time_stamp()) sc_core::sc_start(t - sc_core::sc_time_stamp());
  while (sc_core::sc_pending_activity_at_current_time()) sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

}  // namespace imcvp::test

// gtest_main provides main(); the SystemC library still wants an sc_main.
// Every test executable links a weak one (tests/support/sc_main_stub.cpp),
// so this is optional. It is extern "C", as <systemc> (included above)
// declares it: a C++-linkage sc_main would not satisfy libsystemc.
// Invoke at most once, at file scope, in one translation unit per executable.
#define IMCVP_TEST_SC_MAIN() \
  extern "C" int sc_main(int, char*[]) { return 0; }
