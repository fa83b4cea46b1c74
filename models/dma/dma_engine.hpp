// DmaEngine: a memory-to-memory DMA engine, the system bus's second master.
// Registers (imcvp/memory_map.h, IMCVP_DMA_*): SRC, DST, LEN, CTRL.START,
// STATUS (busy/done/error), ERROR (cause), ERROR_ADDR, IRQ_ENABLE,
// IRQ_STATUS (write 1 to clear), BYTES (moved since reset).
//
// START (at the CPU's access time) wakes the engine's thread, which moves
// LEN bytes in bursts of `burst_bytes` through its initiator socket: a read
// burst from SRC, a write burst to DST, each by DMI when the target grants
// it (its DMI latency) or by b_transport (the latency the bus annotates).
// Loosely timed: the transfer's bursts are issued with an accumulated local
// delay, then the thread waits it out; STATUS stays BUSY until then and the
// `irq` line rises at that time when enabled. Energy: bytes moved x
// `energy_pj_per_byte` into the ledger (block = the module's name, event
// "transfer_byte"). docs/accelerator.md.
#pragma once
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "imcvp/memory_map.h"
#include "models/bus/register_bank.hpp"
#include "models/dma/dma_interconnect.hpp"
#include "models/bus/timed_signal_driver.hpp"

namespace imcvp {

class EnergyLedger;

struct DmaParams {
  unsigned burst_bytes = 64;          // bytes per bus burst (multiple of 4)
  uint32_t max_length = 16u << 20;    // largest LEN accepted
  double setup_ns = 10.0;             // per transfer: descriptor decode, first request
  double burst_overhead_ns = 1.0;     // per burst: arbitration / address phase
  sc_core::sc_time reg_latency = sc_core::SC_ZERO_TIME;  // per register access
  // Per byte moved: one read and one write of a 64-bit word in a large SRAM,
  // ~100 pJ per 64-bit access of a 1 MB SRAM (M. Horowitz, "Computing's
  // energy problem", ISSCC 2014, 45 nm) -> 2 x 100 / 8 = 25 pJ per byte.
  double energy_pj_per_byte = 25.0;
};

struct DmaStats {
  uint64_t transfers = 0;
  uint64_t bytes = 0;
  uint64_t bursts = 0;
  uint64_t errors = 0;
};

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DmaEngine> socket;      // registers
  tlm_utils::simple_initiator_socket<DmaEngine> master;   // onto the system bus
  sc_core::sc_signal<bool> irq;                           // IRQ_STATUS & IRQ_ENABLE != 0

  DmaEngine(const sc_core::sc_module_name& name, const DmaParams& params = {},
            EnergyLedger* ledger = nullptr);

  const DmaStats& stats() const { return m_stats; }
  // Bursts between two nodes of `ic` travel over it (nullptr: the bus only).
  void set_interconnect(DmaInterconnect* ic) { m_interconnect = ic; }
  const DmaParams& params() const { return m_params; }
  uint32_t status() const { return m_status; }
  uint32_t error_code() const { return m_error; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end);
  void start(const sc_core::sc_time& at);
  void run();  // SC_THREAD
  // Moves one burst; returns an IMCVP_DMA_ERR_* code (0 = ok). `delay`: the
  // engine's issue time (local offset), advanced by the read (and, on the
  // bus, the write); `done`: raised to when the burst's write has landed.
  uint32_t move(uint64_t src, uint64_t dst, unsigned len, sc_core::sc_time& delay, sc_core::sc_time& done);
  bool burst(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
             sc_core::sc_time& delay);
  void finish(uint32_t error, uint64_t error_addr, const sc_core::sc_time& at);
  void update_irq(const sc_core::sc_time& at);

  DmaParams m_params;
  EnergyLedger* m_ledger;
  DmaInterconnect* m_interconnect = nullptr;
  RegisterBank m_regs;
  TimedSignalDriver<bool> m_irq_driver;

  uint32_t m_src = 0, m_dst = 0, m_len = 0;
  uint32_t m_status = 0, m_error = 0, m_error_addr = 0;
  uint32_t m_irq_enable = 0, m_irq_status = 0;
  // The transfer latched at START (registers may change while it runs).
  uint32_t m_run_src = 0, m_run_dst = 0, m_run_len = 0;
  sc_core::sc_time m_start_at;
  sc_core::sc_event m_start_event;
  DmaStats m_stats;

  // DMI regions granted (global addresses), dropped on invalidation.
  struct DmiCache {
    bool valid = false;
    tlm::tlm_dmi dmi;
  };
  DmiCache m_dmi_read, m_dmi_write;
  std::vector<unsigned char> m_buf;
};

}  // namespace imcvp
