// TileBlock: a block of the tile (crossbar bank, shift-add, accumulator,
// activation unit, and the techniques' blocks) as a SystemC module with a
// TLM target socket behind the tile's internal router. Its window in the
// tile is IMCVP_TILE_BLOCK(slot) (imcvp/memory_map.h): the common registers
// (ID, EVENTS, LAYERS), the block's own registers from IMCVP_BLOCK_REGS, and
// any memory the block maps (memory_access()). Firmware, DMA and the GDB
// stub reach them as bus addresses.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "imcvp/memory_map.h"
#include "models/bus/register_bank.hpp"
#include "models/trace/vcd_file.hpp"

namespace imcvp {

class TileBlock : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TileBlock> socket;

  // `id`: four characters (IMCVP_BLOCK_ID); `slot`: its window in the tile.
  TileBlock(const sc_core::sc_module_name& name, const char id[4], unsigned slot);

  unsigned slot() const { return m_slot; }
  // Operations since reset (IMCVP_BLOCK_EVENTS) and layers it took part in.
  uint64_t events() const { return m_events; }
  uint64_t layers() const { return m_layers; }
  // The tile counts a block's operations when it charges the layer's cost
  // (the same count in functional and estimation mode).
  void count(uint64_t events) { m_events += events; }
  void count_layer() { ++m_layers; }
  // Counters back to 0 (the tile's CTRL.RESET).
  virtual void reset_counters() { m_events = m_layers = 0; }
  // The block's figures for the report, by name, in a fixed order.
  virtual std::vector<std::pair<std::string, double>> stats() const;
  // Adds the block's own signals to the VCD (trace group accel), named
  // <block>.<signal>; a block without any adds none.
  virtual void trace(VcdFile& vcd) const {}

 protected:
  // A block's own memory in its window (offset from the window's start):
  // true when it handled the access (and set the response).
  virtual bool memory_access(tlm::tlm_generic_payload& trans, const sc_core::sc_time& at) { return false; }
  // The same memory for the debugger (GDB stub, loaders): bytes moved, or
  // -1 when the address is not in a memory of the block (then registers).
  virtual int memory_debug(tlm::tlm_generic_payload& trans) { return -1; }
  // The two for a plain memory `mem` at offset `base` of the window (a
  // coefficient or index-table SRAM): what memory_access/memory_debug
  // return; a write bumps `generation` (what the block decoded is stale).
  static bool plain_memory_access(tlm::tlm_generic_payload& trans, uint64_t base, std::vector<uint8_t>& mem,
                                  uint64_t& generation);
  static int plain_memory_debug(tlm::tlm_generic_payload& trans, uint64_t base, std::vector<uint8_t>& mem,
                                uint64_t& generation);
  RegisterBank m_regs;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);

  unsigned m_slot;
  uint32_t m_id;
  uint64_t m_events = 0, m_layers = 0;
};

}  // namespace imcvp
