#include "models/bus/register_bank.hpp"

#include <stdexcept>

namespace imcvp {

namespace {

uint32_t load_le32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void store_le32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
  p[2] = static_cast<unsigned char>(v >> 16);
  p[3] = static_cast<unsigned char>(v >> 24);
}

}  // namespace

void RegisterBank::add(const std::string& name, uint64_t offset, ReadFn read, WriteFn write) {
  if (offset % 4 != 0)
    throw std::logic_error(m_owner + ": register '" + name + "' at a misaligned offset");
  if (m_regs.count(offset))
    throw std::logic_error(m_owner + ": register '" + name + "' at the offset of '" +
                           m_regs.at(offset).name + "'");
  m_regs[offset] = Register{name, offset, std::move(read), std::move(write)};
}

const RegisterBank::Register* RegisterBank::find(uint64_t offset) const {
  auto it = m_regs.find(offset);
  return it == m_regs.end() ? nullptr : &it->second;
}

void RegisterBank::access(tlm::tlm_generic_payload& trans, const sc_core::sc_time& at) {
  const uint64_t offset = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if ((len != 4 && len != 8) || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (offset % len != 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const unsigned words = len / 4;
  const Register* regs[2] = {nullptr, nullptr};
  for (unsigned i = 0; i < words; ++i) {
    regs[i] = find(offset + 4 * i);
    if (!regs[i]) {
      trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (trans.is_write() && !regs[i]->write) {
      trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
  }
  unsigned char* data = trans.get_data_ptr();
  if (trans.is_read()) {
    for (unsigned i = 0; i < words; ++i)
      store_le32(data + 4 * i, regs[i]->read ? regs[i]->read(at) : 0);
  } else if (trans.is_write()) {
    for (unsigned i = 0; i < words; ++i) regs[i]->write(load_le32(data + 4 * i), at);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned RegisterBank::debug_access(tlm::tlm_generic_payload& trans) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const uint64_t offset = trans.get_address();
  const unsigned len = trans.get_data_length();
  unsigned char* data = trans.get_data_ptr();
  if (trans.is_read()) {
    unsigned done = 0;
    while (done < len) {
      const uint64_t a = offset + done;
      const Register* r = find(a & ~uint64_t(3));
      if (!r) break;
      unsigned char word[4];
      store_le32(word, r->read ? r->read(now) : 0);
      data[done++] = word[a & 3];
    }
    return done;
  }
  if (trans.is_write()) {
    if (offset % 4 != 0 || len % 4 != 0) return 0;
    unsigned done = 0;
    for (; done < len; done += 4) {
      const Register* r = find(offset + done);
      if (!r || !r->write) break;
      r->write(load_le32(data + done), now);
    }
    return done;
  }
  return 0;
}

}  // namespace imcvp
