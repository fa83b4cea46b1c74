// Rv32Cpu: the host CPU as a SystemC module. It wraps the Rv32Core
// interpreter with a TLM-2.0 initiator socket (loosely timed, temporal
// decoupling with a quantum, DMI to main memory), the CLINT's interrupt
// lines, wfi sleep, run limits and an optional GDB stub.
//
// Time: the core counts cycles; the CPU's local time is cycles x period. It
// runs ahead of SystemC time by at most one quantum, and syncs (wait()) at
// quantum ends, at the CLINT's next timer deadline, in wfi and at the end.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/cpu/cpu_params.hpp"
#include "models/cpu/debug_target.hpp"
#include "models/cpu/rv32_core.hpp"

namespace imcvp {

class Clint;
class GdbStub;
class EnergyLedger;

struct Rv32CpuParams {
  double clock_hz = 100e6;
  sc_core::sc_time quantum = sc_core::sc_time(10, sc_core::SC_US);
  uint64_t max_instructions = ~uint64_t{0};
  sc_core::sc_time max_time = sc_core::sc_max_time();
  uint32_t ram_base = 0;  // main memory: DMI is requested for this range
  uint32_t ram_size = 0;
  CpuParams core;
};

// How a run ended.
struct CpuOutcome {
  enum class Kind { Running, Exit, Fault, Limit, Stalled, Killed, Interrupted };
  Kind kind = Kind::Running;
  uint32_t exit_code = 0;
  std::string message;  // for everything but a clean exit
};

class Rv32Cpu : public sc_core::sc_module, private CpuBus, public DebugTarget {
 public:
  tlm_utils::simple_initiator_socket<Rv32Cpu> socket;

  // Traced signals (VCD): updated at sync points when traced
  // (set_signals_traced), and at the end of the run.
  sc_core::sc_signal<uint64_t> instret_signal;
  sc_core::sc_signal<uint32_t> pc_signal;
  sc_core::sc_signal<bool> sleeping_signal;

  Rv32Cpu(sc_core::sc_module_name name, const Rv32CpuParams& params);
  ~Rv32Cpu() override;

  void set_clint(Clint* clint) { clint_ = clint; }
  // Level interrupt lines (DMA, tiles) ORed into the machine external
  // interrupt (mip.MEIP, bit 11); wfi wakes on any of them changing.
  void set_external_irqs(std::vector<const sc_core::sc_signal<bool>*> lines) {
    external_irqs_ = std::move(lines);
  }
  // Serve a debugger: the CPU halts at reset until GDB resumes it.
  void set_gdb(GdbStub* gdb) { gdb_ = gdb; }
  void set_tohost(uint32_t addr) { core_.set_tohost(addr); }
  // A flag set from outside the simulation (the user pressed ctrl-C): the
  // CPU ends the run at its next synchronisation point.
  void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }
  // The VCD traces the CPU's signals: every quantum end then updates them
  // (otherwise one with nothing else to do in the kernel passes without a
  // wait, and the signals are updated at the next one that waits).
  void set_signals_traced(bool traced) { signals_traced_ = traced; }
  void reset(uint32_t entry) { core_.reset(entry); }
  // Called by the sim-control device: ends the run after the current store.
  void request_exit(uint32_t code) { core_.request_exit(code); }
  // Called by the platform when SystemC ran out of time or events.
  void finish_outcome(CpuOutcome::Kind kind, const std::string& message);

  const CpuOutcome& outcome() const { return outcome_; }
  const Rv32Core& core() const { return core_; }
  uint64_t sleep_cycles() const { return sleep_cycles_; }
  double clock_hz() const { return params_.clock_hz; }
  // Charges the CPU's energy (per instruction class, and sleep) to the ledger.
  void charge_energy(EnergyLedger& ledger) const;

  // DebugTarget
  bool read_register(unsigned regno, uint32_t& value) override;
  bool write_register(unsigned regno, uint32_t value) override;
  bool read_memory(uint64_t addr, uint8_t* data, size_t len) override;
  bool write_memory(uint64_t addr, const uint8_t* data, size_t len) override;

 private:
  class GdbBreakpoints;

  void thread();
  void acquire_dmi();
  void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  void sync();  // bring SystemC time up to the core's local time
  void write_signals();  // instret_signal and pc_signal from the core
  // At a quantum end (or the CLINT's deadline): sync(), unless the kernel
  // has nothing to do up to the core's local time; the next quantum counts
  // from here.
  void quantum_end();
  bool kernel_idle_until(uint64_t cycles) const;
  // Every quantum end waits: the VCD traces the CPU's signals (sync()
  // updates them) or a debugger is polled at each.
  bool syncs_every_quantum() const { return signals_traced_ || gdb_; }
  // The cycle limit of the next run(): the quantum's end (counted from
  // sync_cycles), max_time, or the CLINT's next deadline (deadline_cycles).
  uint64_t run_limit(uint64_t cycles, uint64_t sync_cycles, uint64_t deadline) const;
  uint64_t deadline_cycles() const;
  sc_core::sc_time local_time() const { return time_at(core_.cycles()); }
  sc_core::sc_time time_at(uint64_t cycles) const;
  uint64_t cycles_at(const sc_core::sc_time& t) const;
  uint32_t irq_lines() const { return irq_lines_at(core_.cycles()); }
  uint32_t irq_lines_at(uint64_t cycles) const;
  void finish(CpuOutcome::Kind kind, uint32_t code, const std::string& message);
  bool debug_halt(int signal, bool breakpoint);  // false: the debugger ended the run
  bool sleep_in_wfi();                           // false: the run ended while asleep

  // CpuBus
  bool bus_read(uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) override;
  bool bus_write(uint32_t addr, const uint8_t* data, unsigned len, uint64_t& cycles) override;
  uint64_t mtime_at(uint64_t cycles) override;
  uint64_t continue_run(uint64_t cycles) override;
  void quantum_passed(uint64_t cycles) override { sync_cycles_ = cycles; }
  bool transport(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles);

  Rv32CpuParams params_;
  sc_core::sc_time period_;
  uint64_t quantum_cycles_;
  uint64_t max_cycles_;
  Rv32Core core_;
  Clint* clint_ = nullptr;
  std::vector<const sc_core::sc_signal<bool>*> external_irqs_;
  GdbStub* gdb_ = nullptr;
  const std::atomic<bool>* stop_flag_ = nullptr;
  std::unique_ptr<GdbBreakpoints> gdb_breakpoints_;
  bool stepping_ = false;
  bool signals_traced_ = false;
  uint64_t sync_cycles_ = 0;  // the cycle count of the last quantum end
  uint64_t kernel_epoch_ = 1;  // counts waits and transports (continue_run)
  struct {
    uint64_t epoch = 0;
    uint64_t idle_cycles = 0;      // cycles_at(the kernel's next activity)
    uint64_t deadline_cycles = 0;  // cycles_at(the CLINT's next deadline)
    uint32_t lines = 0;            // irq_lines_at before deadline_cycles
  } memo_;
  bool dmi_valid_ = false;
  uint64_t sleep_cycles_ = 0;
  CpuOutcome outcome_;
  tlm::tlm_generic_payload trans_;
};

}  // namespace imcvp
