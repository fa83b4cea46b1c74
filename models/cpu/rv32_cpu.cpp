#include "models/cpu/rv32_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/cpu/clint.hpp"
#include "models/cpu/gdb_stub.hpp"
#include "models/energy/energy_ledger.hpp"

namespace imcvp {

using sc_core::sc_time;

class Rv32Cpu::GdbBreakpoints : public BreakpointSet {
 public:
  explicit GdbBreakpoints(const GdbStub& gdb) : gdb_(gdb) {}
  bool is_breakpoint(uint32_t pc) const override { return gdb_.is_breakpoint(pc); }

 private:
  const GdbStub& gdb_;
};

Rv32Cpu::Rv32Cpu(sc_core::sc_module_name name, const Rv32CpuParams& params)
    : sc_module(name),
      socket("socket"),
      instret_signal("instret"),
      pc_signal("pc"),
      sleeping_signal("sleeping"),
      params_(params),
      period_(sc_time(1.0 / params.clock_hz, sc_core::SC_SEC)),
      core_(params.core, *this) {
  quantum_cycles_ = std::max<uint64_t>(1, static_cast<uint64_t>(params_.quantum / period_));
  max_cycles_ = params_.max_time == sc_core::sc_max_time()
                    ? ~uint64_t{0}
                    : static_cast<uint64_t>(params_.max_time / period_);
  socket.register_invalidate_direct_mem_ptr(this, &Rv32Cpu::invalidate_dmi);
  trans_.set_streaming_width(0);
  SC_HAS_PROCESS(Rv32Cpu);
  SC_THREAD(thread);
}

Rv32Cpu::~Rv32Cpu() = default;

sc_time Rv32Cpu::time_at(uint64_t cycles) const { return period_ * static_cast<double>(cycles); }

uint64_t Rv32Cpu::cycles_at(const sc_time& t) const {
  if (t == sc_core::sc_max_time()) return ~uint64_t{0};
  return static_cast<uint64_t>(std::ceil(t / period_));
}

void Rv32Cpu::sync() {
  const sc_time target = local_time();
  const sc_time now = sc_core::sc_time_stamp();
  ++kernel_epoch_;
  if (target > now) wait(target - now);
  // Updated when traced, and at the end (finish): an update pending in the
  // kernel would make every quantum end wait (kernel_idle_until).
  if (signals_traced_) write_signals();
}

void Rv32Cpu::write_signals() {
  instret_signal.write(core_.instret());
  pc_signal.write(core_.pc());
}

void Rv32Cpu::quantum_end() {
  if (!kernel_idle_until(core_.cycles())) sync();
  sync_cycles_ = core_.cycles();
}

// Nothing in the kernel before the core's time `cycles`: no process to run,
// no update or delta notification pending, no timed event up to that time.
// A wait would then only move the kernel's clock: every model here takes an
// access's time from the initiator's annotation (sc_time_stamp() + delay),
// so no other process sees whether it moved. Not when the VCD traces the
// CPU's signals (sync() updates them) nor with a debugger (it is polled at
// each sync).
bool Rv32Cpu::kernel_idle_until(uint64_t cycles) const {
  if (syncs_every_quantum() || sc_core::sc_pending_activity_at_current_time()) return false;
  return sc_core::sc_time_stamp() + sc_core::sc_time_to_pending_activity() > time_at(cycles);
}

uint64_t Rv32Cpu::deadline_cycles() const {
  return clint_ ? cycles_at(clint_->next_deadline()) : ~uint64_t{0};
}

uint64_t Rv32Cpu::run_limit(uint64_t cycles, uint64_t sync_cycles, uint64_t deadline) const {
  return std::max(std::min({sync_cycles + quantum_cycles_, max_cycles_, deadline}), cycles + 1);
}

// The core reached its limit inside run(). When that is a plain quantum end
// that needs no wait (kernel_idle_until) and after which the thread would
// change nothing (no limit, no stop request, the DMI pointer valid, the
// interrupt lines as the core has them, hence no interrupt to take), the
// run goes on to the next quantum end without leaving the core: exactly
// what thread() would do, without its round trip.
uint64_t Rv32Cpu::continue_run(uint64_t cycles) {
  if (cycles < sync_cycles_ + quantum_cycles_ || cycles >= max_cycles_ || !dmi_valid_) return 0;
  if (stop_flag_ && stop_flag_->load(std::memory_order_relaxed)) return 0;
  if (syncs_every_quantum()) return 0;
  // What the kernel and the CLINT say changes only when the kernel runs (a
  // wait) or the CPU reaches a device (a transport): kernel_epoch_. Within
  // one epoch their answers are kept, and used where they cannot differ from
  // asking again (two cycles' margin from the edges for rounding); near an
  // edge, asked again.
  if (memo_.epoch != kernel_epoch_) {
    memo_.epoch = kernel_epoch_;
    memo_.idle_cycles = 0;
    if (!sc_core::sc_pending_activity_at_current_time())
      memo_.idle_cycles = cycles_at(sc_core::sc_time_stamp() + sc_core::sc_time_to_pending_activity());
    memo_.deadline_cycles = deadline_cycles();
    memo_.lines = irq_lines_at(cycles);
  }
  const bool idle = cycles + 2 < memo_.idle_cycles || kernel_idle_until(cycles);
  const uint32_t lines = cycles + 2 < memo_.deadline_cycles ? memo_.lines : irq_lines_at(cycles);
  if (!idle || lines != core_.irq_lines()) return 0;
  return run_limit(cycles, cycles, memo_.deadline_cycles);
}

uint32_t Rv32Cpu::irq_lines_at(uint64_t cycles) const {
  uint32_t lines = 0;
  // External lines: their value at the kernel's time (the last sync).
  for (const sc_core::sc_signal<bool>* s : external_irqs_)
    if (s->read()) lines |= 1u << 11;
  if (!clint_) return lines;
  // At the CPU's own (run-ahead) time, not the kernel's.
  return lines | (clint_->msip_pending() ? 1u << 3 : 0u) |
         (clint_->mtip_pending_at(time_at(cycles)) ? 1u << 7 : 0u);
}

void Rv32Cpu::acquire_dmi() {
  tlm::tlm_generic_payload t;
  tlm::tlm_dmi dmi;
  t.set_address(params_.ram_base);
  t.set_command(tlm::TLM_READ_COMMAND);
  dmi_valid_ = false;
  if (params_.ram_size && socket->get_direct_mem_ptr(t, dmi) && dmi.is_read_write_allowed() &&
      dmi.get_start_address() <= params_.ram_base &&
      dmi.get_end_address() >= uint64_t{params_.ram_base} + params_.ram_size - 1) {
    uint8_t* host = dmi.get_dmi_ptr() + (params_.ram_base - dmi.get_start_address());
    core_.set_ram(host, params_.ram_base, params_.ram_size);
    dmi_valid_ = true;
  } else {
    core_.set_ram(nullptr, 0, 0);
  }
}

void Rv32Cpu::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (end >= params_.ram_base && start < uint64_t{params_.ram_base} + params_.ram_size) {
    core_.set_ram(nullptr, 0, 0);
    dmi_valid_ = false;
  }
}

bool Rv32Cpu::transport(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned len,
                        uint64_t& cycles) {
  trans_.set_command(cmd);
  trans_.set_address(addr);
  trans_.set_data_ptr(data);
  trans_.set_data_length(len);
  trans_.set_streaming_width(len);
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_dmi_allowed(false);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const sc_time start = period_ * static_cast<double>(cycles);
  const sc_time now = sc_core::sc_time_stamp();
  sc_time delay = start > now ? start - now : sc_core::SC_ZERO_TIME;
  ++kernel_epoch_;
  socket->b_transport(trans_, delay);
  const uint64_t done = cycles_at(sc_core::sc_time_stamp() + delay);
  cycles = std::max(cycles, done);
  return trans_.is_response_ok();
}

bool Rv32Cpu::bus_read(uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) {
  return transport(tlm::TLM_READ_COMMAND, addr, data, len, cycles);
}

bool Rv32Cpu::bus_write(uint32_t addr, const uint8_t* data, unsigned len, uint64_t& cycles) {
  return transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<uint8_t*>(data), len, cycles);
}

uint64_t Rv32Cpu::mtime_at(uint64_t cycles) {
  // The time CSRs read the CLINT's mtime at the core's own time.
  return clint_ ? clint_->mtime_at(period_ * static_cast<double>(cycles)) : 0;
}

void Rv32Cpu::finish(CpuOutcome::Kind kind, uint32_t code, const std::string& message) {
  sync();
  write_signals();
  outcome_.kind = kind;
  outcome_.exit_code = code;
  outcome_.message = message;
  if (gdb_ && gdb_->connected()) {
    if (kind == CpuOutcome::Kind::Exit) {
      gdb_->report_exit(static_cast<int>(code));
    } else if (kind == CpuOutcome::Kind::Fault) {
      // Let the user look at the faulting state before the run ends.
      std::fprintf(stderr, "imcvp: %s\n", message.c_str());
      gdb_->report_stop(11);
      gdb_->serve();
    }
  }
  sc_core::sc_stop();
}

void Rv32Cpu::finish_outcome(CpuOutcome::Kind kind, const std::string& message) {
  if (outcome_.kind != CpuOutcome::Kind::Running) return;
  outcome_.kind = kind;
  outcome_.message = message;
}

bool Rv32Cpu::debug_halt(int signal, bool breakpoint) {
  sync();
  if (signal) gdb_->report_stop(signal, breakpoint);
  core_.skip_breakpoint_once();  // resuming steps off the breakpoint it stopped at
  switch (gdb_->serve()) {
    case GdbResume::Continue: stepping_ = false; return true;
    case GdbResume::Step: stepping_ = true; return true;
    case GdbResume::Detach: stepping_ = false; gdb_ = nullptr; return true;
    case GdbResume::Kill:
      gdb_ = nullptr;
      finish(CpuOutcome::Kind::Killed, 0, "killed by the debugger");
      return false;
  }
  return true;
}

bool Rv32Cpu::sleep_in_wfi() {
  sync();
  core_.set_irq_lines(irq_lines());
  if (core_.wake_pending()) return true;
  if (core_.mie() == 0) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "wfi at pc 0x%08x with no interrupt enabled (mie = 0): the CPU would sleep forever",
                  core_.pc() - 4);
    finish(CpuOutcome::Kind::Stalled, 0, msg);
    return false;
  }
  sleeping_signal.write(true);
  while (!core_.wake_pending()) {
    const sc_time now = sc_core::sc_time_stamp();
    if (now >= params_.max_time) break;
    sc_core::sc_event_or_list wake;
    if (clint_) wake |= clint_->irq_event;
    for (const sc_core::sc_signal<bool>* s : external_irqs_) wake |= s->value_changed_event();
    ++kernel_epoch_;
    if (wake.size() > 0)
      wait(params_.max_time - now, wake);
    else
      wait(params_.max_time - now);
    // The clock is gated but time goes on: the core's cycles follow it.
    const uint64_t woke = cycles_at(sc_core::sc_time_stamp());
    if (woke > core_.cycles()) {
      sleep_cycles_ += woke - core_.cycles();
      core_.add_cycles(woke - core_.cycles());
    }
    core_.set_irq_lines(irq_lines());
  }
  sleeping_signal.write(false);
  if (!core_.wake_pending()) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "limit reached: max_time %s while asleep in wfi at pc 0x%08x",
                  params_.max_time.to_string().c_str(), core_.pc() - 4);
    finish(CpuOutcome::Kind::Limit, 0, msg);
    return false;
  }
  return true;
}

void Rv32Cpu::thread() {
  acquire_dmi();
  // A stop request before the run began (a ctrl-C while the network
  // compiled): no instruction runs; the run ends as any interrupted one.
  if (stop_flag_ && stop_flag_->load(std::memory_order_relaxed)) {
    char msg[96];
    std::snprintf(msg, sizeof msg, "interrupted by the user before the first instruction, at pc 0x%08x", core_.pc());
    finish(CpuOutcome::Kind::Interrupted, 0, msg);
    return;
  }
  if (gdb_) {
    gdb_breakpoints_ = std::make_unique<GdbBreakpoints>(*gdb_);
    gdb_->wait_for_connection();
    if (!debug_halt(0, false)) return;
  }
  sync_cycles_ = core_.cycles();
  char msg[256];
  for (;;) {
    if (!dmi_valid_) acquire_dmi();
    core_.set_irq_lines(irq_lines());
    core_.take_interrupt();

    const uint64_t limit = run_limit(core_.cycles(), sync_cycles_, deadline_cycles());
    uint64_t instret_limit = params_.max_instructions;
    if (stepping_) instret_limit = std::min(instret_limit, core_.instret() + 1);
    const BreakpointSet* bps =
        gdb_ && (gdb_->has_breakpoints() || stepping_) ? gdb_breakpoints_.get() : nullptr;

    const StopReason r = core_.run(limit, instret_limit, bps);

    if (core_.cycles() >= sync_cycles_ + quantum_cycles_ || core_.cycles() >= limit) {
      quantum_end();
      if (gdb_ && gdb_->poll_interrupt() && !debug_halt(2, false)) return;
      if (stop_flag_ && stop_flag_->load(std::memory_order_relaxed)) {
        std::snprintf(msg, sizeof msg, "interrupted by the user at pc 0x%08x", core_.pc());
        finish(CpuOutcome::Kind::Interrupted, 0, msg);
        return;
      }
    }
    switch (r) {
      case StopReason::Limit:
      case StopReason::Interrupt:
        break;
      case StopReason::Wfi:
        if (!sleep_in_wfi()) return;
        sync_cycles_ = core_.cycles();
        break;
      case StopReason::Breakpoint:
        if (!debug_halt(5, true)) return;
        continue;
      case StopReason::Exit:
        finish(CpuOutcome::Kind::Exit, core_.exit_code(), "");
        return;
      case StopReason::Fatal:
        finish(CpuOutcome::Kind::Fault, 0, core_.fatal_message());
        return;
    }
    if (stepping_ && gdb_ && !debug_halt(5, false)) return;
    if (core_.instret() >= params_.max_instructions) {
      std::snprintf(msg, sizeof msg, "limit reached: max_instructions %llu at pc 0x%08x",
                    static_cast<unsigned long long>(params_.max_instructions), core_.pc());
      finish(CpuOutcome::Kind::Limit, 0, msg);
      return;
    }
    if (core_.cycles() >= max_cycles_) {
      std::snprintf(msg, sizeof msg, "limit reached: max_time %s at pc 0x%08x",
                    params_.max_time.to_string().c_str(), core_.pc());
      finish(CpuOutcome::Kind::Limit, 0, msg);
      return;
    }
  }
}

void Rv32Cpu::charge_energy(EnergyLedger& ledger) const {
  const auto& counts = core_.class_counts();
  for (unsigned c = 0; c < kInsnClassCount; ++c)
    if (counts[c]) ledger.charge("cpu", kInsnClassNames[c], counts[c], params_.core.energy_pj[c], "host_cpu");
  // mW x s = mJ = 1e9 pJ
  const double sleep_s = static_cast<double>(sleep_cycles_) / params_.clock_hz;
  if (sleep_cycles_) ledger.charge_energy("cpu", "sleep", params_.core.sleep_power_mw * sleep_s * 1e9, "host_cpu");
}

// ---------------------------------------------------------------------------
// DebugTarget

bool Rv32Cpu::read_register(unsigned regno, uint32_t& value) {
  if (regno < 32) { value = core_.reg(regno); return true; }
  if (regno == 32) { value = core_.pc(); return true; }
  return false;
}

bool Rv32Cpu::write_register(unsigned regno, uint32_t value) {
  if (regno < 32) { core_.set_reg(regno, value); return true; }
  if (regno == 32) { core_.set_pc(value & ~1u); return true; }
  return false;
}

bool Rv32Cpu::read_memory(uint64_t addr, uint8_t* data, size_t len) {
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(data);
  t.set_data_length(static_cast<unsigned>(len));
  return socket->transport_dbg(t) == len;
}

bool Rv32Cpu::write_memory(uint64_t addr, const uint8_t* data, size_t len) {
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(const_cast<uint8_t*>(data));
  t.set_data_length(static_cast<unsigned>(len));
  const bool ok = socket->transport_dbg(t) == len;
  core_.flush_decode_cache();
  return ok;
}

}  // namespace imcvp
