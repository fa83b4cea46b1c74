#include "platform/platform.hpp"
#include "models/common/hex.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <signal.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <systemc>

#include "imcvp/memory_map.h"
#include "models/bus/router.hpp"
#include "models/cpu/clint.hpp"
#include "models/cpu/gdb_stub.hpp"
#include "models/cpu/rv32_cpu.hpp"
#include "models/dma/dma_engine.hpp"
#include "models/tile/tile.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/io/sim_ctrl.hpp"
#include "models/io/uart.hpp"
#include "models/memory/memory.hpp"
#include "platform/elf_loader.hpp"
#include "platform/exit_codes.hpp"
#include "platform/json_writer.hpp"
#include "platform/network_run.hpp"
#include "platform/noc_fabric.hpp"
#include "platform/terminal_text.hpp"
#include "platform/yaml_reader.hpp"
#include "compiler/network.hpp"
#include "compiler/placement.hpp"
#include "models/trace/vcd_file.hpp"
#include "models/basis_scaler/basis_scaler.hpp"
#include "models/splice/splice_unit.hpp"
#include "models/sram_comp/sram_compensation.hpp"

namespace imcvp {

namespace fs = std::filesystem;
using sc_core::sc_time;

namespace {


sc_time seconds(double s) { return sc_time(s, sc_core::SC_SEC); }

// Set by SIGINT, SIGTERM, SIGHUP and SIGPIPE (stdout's reader went away):
// the run ends at the CPU's next synchronisation point (or the debugger's
// next look at its socket) and the outputs are still written. Every such
// signal does the same, a second Ctrl-C included: the handlers stay. The
// first signal is kept for the message.
std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int sig) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, sig);
  g_stop_requested.store(true);
}

// Installs the handlers when a platform is made, before its network is
// compiled (seconds for an ImageNet-scale one). SA_RESTART: the console's
// writes are not cut short; the blocking waits (GDB) poll the flag.
struct StopSignals {
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaction(sig, &sa, nullptr);
  }
};

const char* stop_signal_text(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT (ctrl-C)";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP (the terminal went away)";
    case SIGPIPE: return "SIGPIPE (the reader of the output went away)";
    default: return "a signal";
  }
}

const char* outcome_name(CpuOutcome::Kind k) {
  switch (k) {
    case CpuOutcome::Kind::Exit: return "exit";
    case CpuOutcome::Kind::Fault: return "fault";
    case CpuOutcome::Kind::Limit: return "limit";
    case CpuOutcome::Kind::Stalled: return "stalled";
    case CpuOutcome::Kind::Killed: return "killed";
    case CpuOutcome::Kind::Interrupted: return "interrupted";
    case CpuOutcome::Kind::Running: break;
  }
  return "running";
}

}  // namespace

struct Platform::Impl {
  const Scenario& sc;
  RunOptions opt;
  fs::path out_dir;
  bool output_checked = (check_output_folder(), true);  // before net: no compile for a run that cannot write
  StopSignals stop_signals;  // before net: its compile may take seconds
  std::ofstream transaction_log;
  EnergyLedger ledger;
  // A signal during the compile stops it (the pass it stopped in, else
  // empty): the platform is built without the network, and the CPU, seeing
  // the stop flag before its first instruction, ends the run as interrupted.
  std::string compile_interrupted_in;
  std::unique_ptr<NetworkRun> net;  // the scenario's network: section (before simctrl: it sizes the workload)

  Router bus;
  Memory ram;
  Clint clint;
  Uart uart;
  SimCtrl simctrl;
  Rv32Cpu cpu;
  std::unique_ptr<DmaEngine> dma;            // accelerator (accelerator.tiles > 0)
  std::unique_ptr<Memory> workload_mem;      // with a network (imcvp/workload.h)
  std::unique_ptr<NocFabric> noc;            // accelerator.noc: the mesh the DMA's bursts cross
  std::vector<std::unique_ptr<Tile>> tiles;
  std::unique_ptr<GdbStub> gdb;
  std::unique_ptr<VcdFile> vcd;
  uint32_t entry = 0;

  static MemoryParams ram_params(const Scenario& s) {
    MemoryParams p;
    p.size = s.platform.memory.size;
    p.latency = sc_time(s.platform.memory.latency_ns, sc_core::SC_NS);
    return p;
  }
  static ClintParams clint_params(const Scenario& s) {
    ClintParams p;
    p.timer_hz = static_cast<uint64_t>(s.platform.timer_hz);
    return p;
  }
  static UartParams uart_params(const RunOptions& o) {
    UartParams p;
    p.sink = o.console;
    return p;
  }
  SimCtrlParams simctrl_params() {
    SimCtrlParams p;
    p.ram_base = static_cast<uint32_t>(sc.platform.memory.base);
    p.ram_size = static_cast<uint32_t>(sc.platform.memory.size);
    p.timer_hz = static_cast<uint32_t>(sc.platform.timer_hz);
    p.cpu_hz = static_cast<uint32_t>(sc.platform.cpu_hz);
    p.tiles = sc.accelerator.tiles;
    p.workload_size = net ? static_cast<uint32_t>(net->workload().size()) : 0;
    p.on_exit = [this](uint32_t code) { cpu.request_exit(code); };
    if (net)
      p.on_mark = [this](uint32_t m, const sc_time& at) {
        net->mark(m, at, [this] {
          EnergyLedger now = ledger;  // every block so far, the CPU's instructions included
          cpu.charge_energy(now);
          return now;
        });
      };
    return p;
  }
  // The tiles' parameters: the model's defaults, then the scenario's.
  static TileParams tile_params(const Scenario& s) {
    const AcceleratorConfig& a = s.accelerator;
    TileParams t;
    if (a.crossbars) t.crossbars = *a.crossbars;
    if (a.buffer_bytes) t.buffer_bytes = *a.buffer_bytes;
    t.crossbar = a.crossbar;
    t.shift_add = a.shift_add;
    t.accumulator = a.accumulator;
    t.activation = a.activation;
    t.estimate = a.estimate;
    t.threads = a.threads;
    if (a.estimate_input_density) t.estimate_input_density = *a.estimate_input_density;
    if (a.sram_comp) {
      const SramCompParams sp = *a.sram_comp;
      t.block_factories.push_back([sp](Tile& tile) -> std::unique_ptr<TileBlock> {
        auto b = std::make_unique<SramCompensation>("sram_comp", sp, tile.params().crossbars);
        tile.add_block(*b);
        tile.add_stage(*b);
        return b;
      });
    }
    if (a.basis_scaler) {
      const BasisScalerParams bp = *a.basis_scaler;
      t.block_factories.push_back([bp](Tile& tile) -> std::unique_ptr<TileBlock> {
        auto b = std::make_unique<BasisScaler>("basis_scaler", bp);
        tile.add_block(*b);
        tile.add_stage(*b);
        return b;
      });
    }
    if (a.splice) {
      const SpliceParams sp = *a.splice;
      t.block_factories.push_back([sp](Tile& tile) -> std::unique_ptr<TileBlock> {
        auto b = std::make_unique<SpliceUnit>("splice", sp);
        tile.add_block(*b);
        tile.add_stage(*b);
        return b;
      });
    }
    return t;
  }
  // The chip as the compiler sees it.
  static compiler::ChipResources chip_of(const Scenario& s) {
    const TileParams t = tile_params(s);
    compiler::ChipResources c = compiler::chip_resources(t, s.accelerator.tiles);
    if (s.accelerator.sram_comp) c.sram_comp_bytes = uint32_t(s.accelerator.sram_comp->sram_bytes(t.crossbars));
    if (s.accelerator.basis_scaler) c.basis_coef_bytes = s.accelerator.basis_scaler->coef_bytes;
    if (s.accelerator.splice) c.splice_table_bytes = s.accelerator.splice->table_bytes;
    return c;
  }
  std::unique_ptr<NetworkRun> make_network(const Scenario& s) {
    if (!s.network.enabled) return nullptr;
    try {
      return std::make_unique<NetworkRun>(s, chip_of(s), &g_stop_requested);
    } catch (const compiler::CompileInterrupted& e) {
      compile_interrupted_in = e.pass.empty() ? "?" : e.pass;
      return nullptr;
    }
  }
  static Rv32CpuParams cpu_params(const Scenario& s) {
    Rv32CpuParams p;
    p.clock_hz = s.platform.cpu_hz;
    p.quantum = seconds(s.platform.quantum_s);
    p.max_instructions = s.limits.max_instructions;
    p.max_time = seconds(s.limits.max_time_s);
    p.ram_base = static_cast<uint32_t>(s.platform.memory.base);
    p.ram_size = static_cast<uint32_t>(s.platform.memory.size);
    p.core = s.platform.cpu;
    return p;
  }

  Impl(const Scenario& s, const RunOptions& o)
      : sc(s),
        opt(o),
        out_dir(o.output_override.empty() ? fs::path(s.output) : fs::path(o.output_override)),
        net(make_network(s)),
        bus("bus"),
        ram("ram", ram_params(s)),
        clint("clint", clint_params(s)),
        uart("uart", uart_params(o)),
        simctrl("simctrl", simctrl_params()),
        cpu("cpu", cpu_params(s)) {

    // Wiring: one initiator (the CPU), targets by base and size.
    cpu.socket.bind(bus.target);
    bus.bind_target(ram.socket, "ram", s.platform.memory.base, s.platform.memory.size);
    bus.bind_target(clint.socket, "clint", IMCVP_CLINT_BASE, IMCVP_CLINT_SIZE);
    bus.bind_target(uart.socket, "uart", IMCVP_UART_BASE, IMCVP_UART_SIZE);
    bus.bind_target(simctrl.socket, "simctrl", IMCVP_SIMCTRL_BASE, IMCVP_SIMCTRL_SIZE);
    cpu.set_clint(&clint);
    build_accelerator();
    cpu.set_stop_flag(&g_stop_requested);

    load_firmware();

    if (s.trace.transactions) {
      const fs::path p = out_dir / "transactions.log";
      transaction_log.open(p);
      if (!transaction_log) throw PlatformError("trace.transactions: cannot write " + p.string());
      bus.set_trace(&transaction_log);
    }
    if (!s.trace.vcd.empty()) {
      // SystemC's VCD writer does not say when it cannot create its file
      // (and its close then divides by zero): check first.
      const fs::path p = out_dir / s.trace.vcd;
      if (!std::ofstream(p, std::ios::binary))
        throw PlatformError(scenario_field_message(s, "trace.vcd", "cannot write " + p.string() + ": " +
                                                                       std::strerror(errno)));
      vcd = std::make_unique<VcdFile>((out_dir / s.trace.vcd).string(),
                                      "imcvp scenario " + s.name + ", seed " + std::to_string(s.seed));
      for (const std::string& group : s.trace.signals) trace_group(group);
    }
    if (opt.gdb_port >= 0) {
      gdb = std::make_unique<GdbStub>(cpu, static_cast<uint16_t>(opt.gdb_port));
      gdb->set_stop_flag(&g_stop_requested);
      cpu.set_gdb(gdb.get());
    }
  }

  // The output folder: made if missing, and every file the run writes there
  // writable, before the run (not after minutes of simulation). Blames the
  // scenario's `output` (file:line:col), or --output.
  void check_output_folder() {
    const bool given = !opt.output_override.empty();
    auto fail = [&](const std::string& problem) -> PlatformError {
      if (given) return PlatformError("--output: " + problem);
      return PlatformError(scenario_field_message(sc, "output", problem));
    };
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw fail("cannot create folder " + out_dir.string() + ": " + ec.message());
    if (!fs::is_directory(out_dir, ec)) throw fail(out_dir.string() + " is not a folder");
    // a probe file: the folder takes new files (permissions, a read-only
    // file system)
    const fs::path probe = out_dir / (".imcvp-probe-" + std::to_string(::getpid()));
    {
      std::ofstream f(probe, std::ios::binary);
      if (!f) throw fail("cannot write into folder " + out_dir.string() + ": " + std::strerror(errno));
    }
    fs::remove(probe, ec);
    // the outputs' names must not be taken by something that is not a file
    std::vector<std::string> names{"report.json", "host.json", "uart.log"};
    if (sc.network.enabled) names.insert(names.end(), {"network.txt", "summary.csv"});
    if (sc.trace.transactions) names.push_back("transactions.log");
    for (const std::string& n : names) {
      const fs::file_status st = fs::status(out_dir / n, ec);
      if (fs::exists(st) && !fs::is_regular_file(st))
        throw fail("cannot write " + (out_dir / n).string() + ": it exists and is not a file");
    }
  }

  // The DMA engine (the bus's second master) and the tiles; their irq lines
  // ORed into the CPU's machine external interrupt (docs/accelerator.md).
  void build_accelerator() {
    const AcceleratorConfig& a = sc.accelerator;
    if (a.tiles == 0) return;
    DmaParams dp;
    if (a.dma_burst_bytes) dp.burst_bytes = *a.dma_burst_bytes;
    if (a.dma_setup_ns) dp.setup_ns = *a.dma_setup_ns;
    if (a.dma_burst_overhead_ns) dp.burst_overhead_ns = *a.dma_burst_overhead_ns;
    if (a.dma_energy_pj_per_byte) dp.energy_pj_per_byte = *a.dma_energy_pj_per_byte;
    const TileParams base = tile_params(sc);
    dma = std::make_unique<DmaEngine>("dma", dp, &ledger);
    dma->master.bind(bus.target);
    bus.bind_target(dma->socket, "dma", IMCVP_DMA_BASE, IMCVP_DMA_SIZE);
    std::vector<const sc_core::sc_signal<bool>*> irqs{&dma->irq};
    for (unsigned n = 0; n < a.tiles; ++n) {
      TileParams tp = base;
      tp.seed = sc.seed + uint64_t{n} * tp.crossbars;  // crossbar i of tile n: seed + n * crossbars + i
      const std::string name = "tile" + std::to_string(n);
      try {
        tiles.push_back(std::make_unique<Tile>(name.c_str(), tp, &ledger));
      } catch (const std::invalid_argument& e) {
        throw PlatformError("accelerator.tile: " + std::string(e.what()) + " (" + sc.file + ")");
      }
      bus.bind_target(tiles.back()->socket, name, IMCVP_TILE_ADDR(n), IMCVP_TILE_STRIDE);
      irqs.push_back(&tiles.back()->irq);
    }
    cpu.set_external_irqs(std::move(irqs));
    if (a.noc) {
      try {
        noc = std::make_unique<NocFabric>(a.noc_mesh, a.tiles, a.noc_memory_node, &ledger);
      } catch (const std::exception& e) {
        throw PlatformError("accelerator." + std::string(e.what()) + " (" + sc.file + ")");
      }
      dma->set_interconnect(noc.get());
    }
    if (net) {
      std::vector<const Tile*> ts;
      for (const auto& t : tiles) ts.push_back(t.get());
      net->set_tiles(ts);
      MemoryParams mp;
      mp.size = net->workload().size();
      mp.latency = sc_time(sc.platform.memory.latency_ns, sc_core::SC_NS);
      workload_mem = std::make_unique<Memory>("workload", mp);
      std::copy(net->workload().begin(), net->workload().end(), workload_mem->data());
      bus.bind_target(workload_mem->socket, "workload", IMCVP_WORKLOAD_BASE, mp.size);
    }
  }

  void trace_group(const std::string& group) {
    if (group == "cpu") {
      vcd->trace(cpu.instret_signal, "cpu.instret");
      vcd->trace(cpu.pc_signal, "cpu.pc");
      vcd->trace(cpu.sleeping_signal, "cpu.sleeping");
      cpu.set_signals_traced(true);
    } else if (group == "bus") {
      vcd->trace(bus.transactions, "bus.transactions");
      vcd->trace(bus.last_address, "bus.last_address");
    } else if (group == "uart") {
      vcd->trace(uart.tx_byte, "uart.tx_byte");
      vcd->trace(uart.tx_active, "uart.tx_active");
    } else if (group == "irq") {
      vcd->trace(clint.mtip, "irq.mtip");
      vcd->trace(clint.msip, "irq.msip");
    } else if (group == "accel" && dma) {
      vcd->trace(dma->irq, "dma.irq");
      for (const auto& t : tiles) {
        vcd->trace(t->busy, std::string(t->name()) + ".busy");
        for (TileBlock* b : t->blocks()) b->trace(*vcd);
        vcd->trace(t->irq, std::string(t->name()) + ".irq");
      }
      if (noc)
        for (const auto& l : noc->link_signals()) vcd->trace(*l.busy, l.name);
    }
  }

  void load_firmware() {
    ElfImage elf = load_elf(sc.firmware);
    const uint64_t base = sc.platform.memory.base, size = sc.platform.memory.size;
    for (const auto& seg : elf.segments) {
      if (seg.memsz == 0) continue;
      if (seg.paddr < base || seg.paddr + seg.memsz > base + size)
        throw PlatformError(sc.firmware + ": segment at " + hex_addr(seg.paddr) + " (" +
                            std::to_string(seg.memsz) + " bytes) lies outside main memory [" +
                            hex_addr(base) + ", " + hex_addr(base + size) +
                            ") set by platform.memory in " + sc.file);
      uint8_t* dst = ram.data() + (seg.paddr - base);
      std::copy(seg.data.begin(), seg.data.end(), dst);
      std::fill(dst + seg.data.size(), dst + seg.memsz, 0);
    }
    if (elf.entry < base || elf.entry >= base + size)
      throw PlatformError(sc.firmware + ": entry point " + hex_addr(elf.entry) +
                          " lies outside main memory");
    entry = static_cast<uint32_t>(elf.entry);
    if (auto it = elf.symbols.find("__stack"); it != elf.symbols.end() && it->second > base + size)
      throw PlatformError(sc.firmware + ": the firmware's stack top (__stack = " + hex_addr(it->second) +
                          ") lies beyond main memory, which ends at " + hex_addr(base + size) +
                          ": raise platform.memory.size in " + sc.file);
    if (auto it = elf.symbols.find("tohost"); it != elf.symbols.end()) {
      if (it->second < base || it->second + 8 > base + size)
        throw PlatformError(sc.firmware + ": symbol tohost at " + hex_addr(it->second) +
                            " lies outside main memory");
      cpu.set_tohost(static_cast<uint32_t>(it->second));
    }
    cpu.reset(entry);
  }

  RunSummary run() {
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    if (cpu.outcome().kind == CpuOutcome::Kind::Running) {
      char msg[160];
      std::snprintf(msg, sizeof msg, "simulation stalled: no more events with the CPU at pc 0x%08x",
                    cpu.core().pc());
      cpu.finish_outcome(CpuOutcome::Kind::Stalled, msg);
    }
    if (vcd) vcd->close();
    cpu.charge_energy(ledger);
    if (net) {
      std::vector<const Tile*> ts;
      for (const auto& t : tiles) ts.push_back(t.get());
      net->finish(workload_mem->data(), ts, sc.platform.cpu_hz, ledger);
    }

    RunSummary r;
    const CpuOutcome& o = cpu.outcome();
    r.outcome = outcome_name(o.kind);
    r.firmware_exit = o.exit_code;
    r.message = o.message;
    switch (o.kind) {
      case CpuOutcome::Kind::Exit:
        r.exit_code = o.exit_code == 0 ? exit_code::kPass : exit_code::kFirmwareFail;
        if (o.exit_code != 0) r.message = "firmware exited with code " + std::to_string(o.exit_code);
        break;
      case CpuOutcome::Kind::Fault: r.exit_code = exit_code::kFault; break;
      case CpuOutcome::Kind::Limit: r.exit_code = exit_code::kLimit; break;
      case CpuOutcome::Kind::Interrupted:
        r.exit_code = exit_code::kInterrupted;
        if (!compile_interrupted_in.empty())
          r.message = "interrupted by the user while the network compiled (pass " + compile_interrupted_in +
                      "), before the first instruction";
        if (const int sig = g_stop_signal.load()) r.message += std::string(" (") + stop_signal_text(sig) + ")";
        break;
      default: r.exit_code = exit_code::kStalled; break;
    }
    r.instructions = cpu.core().instret();
    r.cycles = cpu.core().cycles();
    r.simulated_s = static_cast<double>(r.cycles) / sc.platform.cpu_hz;
    r.wall_s = std::chrono::duration<double>(t1 - t0).count();
    r.mips = r.wall_s > 0 ? static_cast<double>(r.instructions) / r.wall_s / 1e6 : 0;
    r.energy_pj = ledger.total_pj();
    r.uart_output = uart.transmitted();
    r.report_path = (out_dir / "report.json").string();
    if (vcd) r.vcd_path = (out_dir / sc.trace.vcd).string();
    write_report(r);
    write_host_stats(r);
    if (net) {
      std::ostringstream t;
      net->print_table(t);
      r.network_table = t.str();
      write_text(out_dir / "network.txt", r.network_table);
      std::ostringstream csv;
      net->write_summary_csv(csv, sc.name);
      write_text(out_dir / "summary.csv", csv.str());
    }
    write_text(out_dir / "uart.log", r.uart_output);
    return r;
  }

  void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
    if (!f) throw PlatformError("output: cannot write " + p.string());
  }

  // report.json: only figures of the model, so the same scenario gives the
  // same bytes. Host-dependent figures (wall time, MIPS) go to host.json.
  void write_report(const RunSummary& r) {
    std::ostringstream s;
    JsonWriter j(s);
    j.begin_object();
    j.value("imcvp_report_version", 1);
    j.begin_object("scenario")
        .value("name", sc.name)
        .value("file", sc.file)
        .value("seed", sc.seed)
        .value("firmware", fs::path(sc.firmware).filename().string())
        .end_object();
    j.begin_object("result")
        .value("outcome", r.outcome)
        .value("exit_code", r.exit_code)
        .value("firmware_exit_code", r.firmware_exit)
        .value("message", r.message)
        .value("final_pc", hex_addr(cpu.core().pc()))
        .end_object();
    j.begin_object("time")
        .value("simulated_s", r.simulated_s)
        .value("simulated_ns", static_cast<uint64_t>(r.simulated_s * 1e9 + 0.5))
        .end_object();
    const auto& counts = cpu.core().class_counts();
    j.begin_object("cpu")
        .value("clock_hz", sc.platform.cpu_hz)
        .value("instructions", r.instructions)
        .value("cycles", r.cycles)
        .value("sleep_cycles", cpu.sleep_cycles())
        .value("ipc", r.cycles ? static_cast<double>(r.instructions) / static_cast<double>(r.cycles) : 0.0);
    j.begin_object("instructions_by_class");
    for (unsigned c = 0; c < kInsnClassCount; ++c) j.value(kInsnClassNames[c], counts[c]);
    j.end_object().end_object();
    j.begin_object("bus")
        .value("transactions", bus.stats().forwarded)
        .value("errors", bus.stats().errors)
        .end_object();
    j.begin_object("uart").value("bytes", uart.byte_count()).value("output", r.uart_output).end_object();
    if (dma) write_accelerator(j);
    if (noc) noc->write_json(j);
    if (net) net->write_json(j);
    j.begin_object("energy").value("total_pj", ledger.total_pj());
    j.begin_object("blocks");
    for (const auto& [block, events] : ledger.blocks()) {
      j.begin_object(block.c_str()).value("total_pj", ledger.block_pj(block));
      j.begin_object("events");
      for (const auto& [event, e] : events)
        j.begin_object(event.c_str()).value("count", e.count).value("pj", e.pj).end_object();
      j.end_object().end_object();
    }
    j.end_object().end_object();
    j.end_object();
    write_text(out_dir / "report.json", s.str());
  }

  void write_accelerator(JsonWriter& j) {
    const DmaStats& d = dma->stats();
    j.begin_object("accelerator").value("tiles", static_cast<uint64_t>(tiles.size()));
    j.begin_object("dma")
        .value("transfers", d.transfers)
        .value("bytes", d.bytes)
        .value("bursts", d.bursts)
        .value("errors", d.errors)
        .end_object();
    j.begin_object("tile_stats");
    for (const auto& t : tiles) {
      const TileStats& ts = t->stats();
      j.begin_object(t->name())
          .value("commands", ts.commands)
          .value("errors", ts.errors)
          .value("mvms", ts.mvms)
          .value("windows", ts.windows)
          .value("adc_clipped", ts.adc_clipped)
          .value("pulses", ts.pulses)
          .value("cells_failed", ts.cells_failed)
          .value("busy_ns", ts.busy_ns);
      j.begin_object("blocks");  // each block's own figures
      for (const TileBlock* b : t->blocks()) {
        j.begin_object(b->basename());
        for (const auto& [k, v] : b->stats()) {
          if (v >= 0 && v < 9007199254740992.0 && v == double(uint64_t(v)))
            j.value(k.c_str(), uint64_t(v));  // a count
          else
            j.value(k.c_str(), v);
        }
        j.end_object();
      }
      j.end_object().end_object();
    }
    j.end_object().end_object();
  }

  void write_host_stats(const RunSummary& r) {
    std::ostringstream s;
    JsonWriter j(s);
    j.begin_object()
        .value("wall_time_s", r.wall_s)
        .value("simulated_mips", r.mips)
        .value("instructions", r.instructions)
        .end_object();
    write_text(out_dir / "host.json", s.str());
  }
};

const std::atomic<bool>* install_stop_signals() {
  const StopSignals installed;
  return &g_stop_requested;
}

std::string stop_signal_received() {
  const int sig = g_stop_signal.load();
  return sig ? stop_signal_text(sig) : "";
}

std::string scenario_field_message(const Scenario& sc, const std::string& field, const std::string& problem) {
  // The scenario was loaded and checked: read it again for the position of
  // the field, or of its closest written parent (a default's field).
  YAML::Mark mark = YAML::Mark::null_mark();
  try {
    const YamlValue doc = load_yaml_file(sc.file);
    mark = doc.mark();
    YAML::Node node;
    node.reset(doc.node());
    std::stringstream path(field);
    for (std::string key; std::getline(path, key, '.');) {
      if (!node.IsMap()) break;
      const YAML::Node& map = node;
      const YAML::Node child = map[key];
      if (!child.IsDefined()) break;
      node.reset(child);
      mark = node.Mark();
    }
  } catch (const std::exception&) {
    // the file changed since: the message without a position
  }
  return format_scenario_error(sc.file, mark, field, problem);
}

Platform::Platform(const Scenario& scenario, const RunOptions& options)
    : impl_(std::make_unique<Impl>(scenario, options)) {}
Platform::~Platform() = default;
RunSummary Platform::run() { return impl_->run(); }

void print_summary(std::ostream& out, const Scenario& sc, const RunSummary& r) {
  std::ostringstream s;
  s << std::fixed;
  s << "\n== imcvp: " << sc.name << " ==\n";
  s << "  outcome        " << r.outcome;
  if (r.outcome == "exit") s << " (firmware exit code " << r.firmware_exit << ")";
  s << "\n";
  if (!r.message.empty()) s << "  message        " << r.message << "\n";
  s << std::setprecision(3);
  s << "  simulated time " << r.simulated_s * 1e3 << " ms\n";
  s << "  instructions   " << r.instructions << "\n";
  s << "  cycles         " << r.cycles << "\n";
  s << "  energy         " << r.energy_pj * 1e-6 << " uJ (all blocks; per block in the report)\n";
  s << "  wall time      " << r.wall_s << " s (" << std::setprecision(1) << r.mips
    << " simulated MIPS)\n";
  s << "  report         " << r.report_path << "\n";
  if (!r.vcd_path.empty()) s << "  vcd            " << r.vcd_path << "\n";
  s << r.network_table;
  out << printable(s.str(), true);  // names and messages may quote the user's files
}

}  // namespace imcvp
