#include "models/tile/tile_block.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace imcvp {

TileBlock::TileBlock(const sc_core::sc_module_name& name, const char id[4], unsigned slot)
    : sc_core::sc_module(name),
      socket("socket"),
      m_regs(this->name()),
      m_slot(slot),
      m_id(uint32_t(uint8_t(id[0])) | uint32_t(uint8_t(id[1])) << 8 | uint32_t(uint8_t(id[2])) << 16 |
           uint32_t(uint8_t(id[3])) << 24) {
  if (slot >= IMCVP_TILE_MAX_BLOCKS)
    throw std::invalid_argument(std::string(this->name()) + ": block slot " + std::to_string(slot) + " beyond " +
                                std::to_string(IMCVP_TILE_MAX_BLOCKS - 1));
  m_regs.add("id", IMCVP_BLOCK_ID, [this](const sc_core::sc_time&) { return m_id; }, nullptr);
  m_regs.add("events_lo", IMCVP_BLOCK_EVENTS_LO, [this](const sc_core::sc_time&) { return uint32_t(m_events); },
             nullptr);
  m_regs.add("events_hi", IMCVP_BLOCK_EVENTS_HI,
             [this](const sc_core::sc_time&) { return uint32_t(m_events >> 32); }, nullptr);
  m_regs.add("layers", IMCVP_BLOCK_LAYERS, [this](const sc_core::sc_time&) { return uint32_t(m_layers); }, nullptr);
  socket.register_b_transport(this, &TileBlock::b_transport);
  socket.register_transport_dbg(this, &TileBlock::transport_dbg);
}

bool TileBlock::plain_memory_access(tlm::tlm_generic_payload& trans, uint64_t base, std::vector<uint8_t>& mem,
                                    uint64_t& generation) {
  const uint64_t addr = trans.get_address();
  if (addr < base) return false;  // the registers
  const uint64_t off = addr - base;
  const unsigned len = trans.get_data_length();
  if (off + len > mem.size()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return true;
  }
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return true;
  }
  if (trans.is_write()) {
    std::memcpy(mem.data() + off, trans.get_data_ptr(), len);
    ++generation;
  } else if (trans.is_read()) {
    std::memcpy(trans.get_data_ptr(), mem.data() + off, len);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

int TileBlock::plain_memory_debug(tlm::tlm_generic_payload& trans, uint64_t base, std::vector<uint8_t>& mem,
                                  uint64_t& generation) {
  const uint64_t addr = trans.get_address();
  if (addr < base) return -1;
  const uint64_t off = addr - base;
  if (off >= mem.size()) return 0;
  const unsigned len = unsigned(std::min<uint64_t>(trans.get_data_length(), mem.size() - off));
  if (trans.is_write()) {
    std::memcpy(mem.data() + off, trans.get_data_ptr(), len);
    ++generation;
  } else {
    std::memcpy(trans.get_data_ptr(), mem.data() + off, len);
  }
  return int(len);
}

std::vector<std::pair<std::string, double>> TileBlock::stats() const {
  return {{"events", double(m_events)}, {"layers", double(m_layers)}};
}

void TileBlock::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const sc_core::sc_time at = sc_core::sc_time_stamp() + delay;
  if (memory_access(trans, at)) return;
  m_regs.access(trans, at);
}

unsigned TileBlock::transport_dbg(tlm::tlm_generic_payload& trans) {
  const int n = memory_debug(trans);
  return n >= 0 ? unsigned(n) : m_regs.debug_access(trans);
}

}  // namespace imcvp
