#include "models/memory/memory.hpp"
#include "models/common/hex.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace imcvp {

namespace {


}  // namespace

Memory::Memory(const sc_core::sc_module_name& name, const MemoryParams& params)
    : sc_core::sc_module(name), socket("socket"), m_params(params) {
  if (m_params.size == 0)
    throw std::invalid_argument(std::string(this->name()) + ": memory size is 0");
  if (m_params.size > SIZE_MAX)
    throw std::invalid_argument(std::string(this->name()) + ": memory size " +
                                hex(m_params.size) + " does not fit the host");
  // calloc: zeroed pages are mapped lazily, so a large RAM costs what is used.
  m_data.reset(static_cast<uint8_t*>(std::calloc(static_cast<size_t>(m_params.size), 1)));
  if (!m_data)
    throw std::invalid_argument(std::string(this->name()) + ": cannot allocate " +
                                hex(m_params.size) + " bytes");
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
}

void Memory::check_range(uint64_t offset, uint64_t len, const char* what) const {
  if (offset > m_params.size || len > m_params.size - offset)
    throw std::out_of_range(std::string(name()) + ": " + what + " [" + hex(offset) + ", +" +
                            hex(len) + ") lies outside the memory (size " +
                            hex(m_params.size) + ")");
}

void Memory::load(uint64_t offset, const uint8_t* bytes, uint64_t len) {
  check_range(offset, len, "load of");
  if (len) std::memcpy(m_data.get() + offset, bytes, static_cast<size_t>(len));
}

void Memory::clear(uint64_t offset, uint64_t len) {
  check_range(offset, len, "clear of");
  if (len) std::memset(m_data.get() + offset, 0, static_cast<size_t>(len));
}

void Memory::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (addr >= m_params.size || len > m_params.size - addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), m_data.get() + addr, len);
  else if (trans.is_write())
    std::memcpy(m_data.get() + addr, trans.get_data_ptr(), len);
  delay += m_params.latency;
  trans.set_dmi_allowed(m_params.allow_dmi);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  if (addr >= m_params.size) return 0;
  uint64_t len = trans.get_data_length();
  if (len > m_params.size - addr) len = m_params.size - addr;
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), m_data.get() + addr, static_cast<size_t>(len));
  else if (trans.is_write())
    std::memcpy(m_data.get() + addr, trans.get_data_ptr(), static_cast<size_t>(len));
  else
    return 0;
  return static_cast<unsigned>(len);
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  dmi.set_start_address(0);
  dmi.set_end_address(m_params.size - 1);
  if (!m_params.allow_dmi) return false;
  dmi.set_dmi_ptr(m_data.get());
  dmi.allow_read_write();
  dmi.set_read_latency(m_params.latency);
  dmi.set_write_latency(m_params.latency);
  return true;
}

}  // namespace imcvp
