// Memory: main RAM. A zero-initialised byte array behind a TLM target socket
// with one access latency; grants DMI for the whole array (read and write).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace imcvp {

struct MemoryParams {
  uint64_t size = 0;                                 // bytes, > 0
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;  // per access (read or write), also in DMI
  bool allow_dmi = true;  // off: every access goes through b_transport (timing detail)
};

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> socket;

  // Throws std::invalid_argument on size 0 or a size the host cannot allocate.
  Memory(const sc_core::sc_module_name& name, const MemoryParams& params);

  uint8_t* data() { return m_data.get(); }
  const uint8_t* data() const { return m_data.get(); }
  uint64_t size() const { return m_params.size; }
  const MemoryParams& params() const { return m_params; }

  // Copies bytes in at a memory offset (image loading); throws
  // std::out_of_range naming the range when it does not fit.
  void load(uint64_t offset, const uint8_t* bytes, uint64_t len);
  // Zeroes [offset, offset + len); same checks as load().
  void clear(uint64_t offset, uint64_t len);

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  void check_range(uint64_t offset, uint64_t len, const char* what) const;

  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  MemoryParams m_params;
  std::unique_ptr<uint8_t, FreeDeleter> m_data;
};

}  // namespace imcvp
