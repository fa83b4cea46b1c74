// GDB Remote Serial Protocol stub: lets gdb (gdb-multiarch) debug the
// firmware running on the RV32 host CPU model over TCP on 127.0.0.1.
//
// Pure C++ and POSIX sockets: no SystemC here. The CPU model drives it:
//
//   GdbStub stub(cpu_debug_target, port);   // listens now
//   stub.wait_for_connection();             // CPU starts halted
//   switch (stub.serve()) { ... }           // halted: serve gdb until resume
//   ... run; check is_breakpoint(pc) before each instruction (when
//   has_breakpoints()), poll_interrupt() every so often ...
//   stub.report_stop(SIGTRAP, true);        // stopped: tell gdb, serve again
//
// All-stop, single thread (thread id 1). Breakpoints are not written into
// target memory: the stub keeps the set, the CPU checks it. The stub is not
// thread-safe: call it from the CPU's thread only.
#pragma once
#include <atomic>
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "models/cpu/debug_target.hpp"

namespace imcvp {

// What gdb asked the halted CPU to do next.
enum class GdbResume {
  Continue,  // run until a breakpoint, an interrupt (poll_interrupt) or a trap
  Step,      // execute exactly one instruction, then report_stop(SIGTRAP)
  Kill,      // gdb killed the program: end the simulation; connection closed
  Detach,    // gdb went away (D packet or socket closed): run freely on
};

class GdbStub {
 public:
  // Signal numbers as gdb numbers them (the same as Linux for these).
  static constexpr int kSigInt = 2;
  static constexpr int kSigIll = 4;
  static constexpr int kSigTrap = 5;
  static constexpr int kSigBus = 7;
  static constexpr int kSigSegv = 11;

  // Binds and listens on 127.0.0.1:port now (port 0 = pick a free one).
  // Throws std::runtime_error ("gdb: cannot listen on 127.0.0.1:PORT: why").
  GdbStub(DebugTarget& target, uint16_t port);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  uint16_t port() const { return port_; }  // the port actually bound

  // Blocks until gdb connects; prints "gdb: waiting for connection on
  // 127.0.0.1:PORT" to stderr first. May be called again after a detach.
  void wait_for_connection();
  bool connected() const { return conn_fd_ >= 0; }

  // The CPU is halted: serve packets until gdb asks to resume. Returns the
  // action; for Kill and Detach the connection is closed afterwards. Returns
  // Detach at once when no gdb is connected.
  GdbResume serve();

  // The CPU stopped (breakpoint, step done, interrupt, trap): sends the stop
  // reply "T<sig>20:<pc>;[swbreak:;|hwbreak:;]thread:1;". No-op when not
  // connected.
  void report_stop(int signal, bool breakpoint_hit = false);
  // The program ended: sends "W<code>" and closes the connection.
  void report_exit(int exit_code);

  // Non-blocking: true if gdb sent ctrl-C (0x03) while the CPU runs. Call it
  // every quantum or every few thousand instructions, not per instruction.
  // It looks at the socket (a syscall, about a microsecond) at most once per
  // poll interval of wall time and answers false in between (a clock read),
  // so a ctrl-C is seen within that interval. Notices a closed socket too
  // (connected() turns false: run on, detached).
  bool poll_interrupt();
  // The poll interval (default 5 ms; zero: look at the socket on every call).
  void set_poll_interval(std::chrono::microseconds interval) { poll_interval_ = interval; }

  // While set, the blocking waits (for a connection, for gdb's next packet)
  // give up within a tenth of a second: no connection, or the connection
  // closed (serve() answers Detach), so the run can end (SIGINT, SIGTERM).
  void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }

  bool has_breakpoints() const { return !all_bps_.empty(); }
  // Called per instruction while breakpoints are set.
  bool is_breakpoint(uint32_t pc) const {
    if (all_bps_.size() <= 8) {
      for (uint32_t a : all_bps_)
        if (a == pc) return true;
      return false;
    }
    return sorted_contains(all_bps_, pc);
  }
  // Bumps whenever the breakpoint set changes (the CPU may cache).
  uint64_t breakpoints_version() const { return bp_version_; }

  // The target description served through qXfer:features:read:target.xml.
  static const std::string& target_xml();

 private:
  static bool sorted_contains(const std::vector<uint32_t>& v, uint32_t x);

  // Transport.
  int fill(bool block);            // read more bytes into in_: count, 0, or -1 when gone
  int next_byte();                 // blocking; -1 when the connection is gone
  bool read_packet(std::string& body);  // false when the connection is gone
  void send_raw(const std::string& bytes);
  void send_packet(const std::string& body);
  void close_connection();

  // Packet handlers; `resume` set when the packet resumes the CPU.
  std::string handle(const std::string& pkt, bool& reply, bool& resumed,
                     GdbResume& action);
  std::string stop_reply() const;
  std::string read_registers();
  std::string write_registers(const std::string& hex);
  std::string read_register(const std::string& args);
  std::string write_register(const std::string& args);
  std::string read_memory(const std::string& args);
  std::string write_memory_hex(const std::string& args);
  std::string write_memory_bin(const std::string& args);
  std::string breakpoint(const std::string& pkt);
  std::string query(const std::string& pkt);
  bool set_pc_from(const std::string& addr);
  bool vcont(const std::string& pkt, GdbResume& action);
  void rebuild_breakpoints();

  DebugTarget& target_;
  int listen_fd_ = -1;
  int conn_fd_ = -1;
  uint16_t port_ = 0;
  bool no_ack_ = false;
  std::string in_;        // received, not yet consumed bytes
  size_t in_pos_ = 0;

  std::chrono::microseconds poll_interval_{5000};
  std::chrono::steady_clock::time_point next_poll_{};

  const std::atomic<bool>* stop_flag_ = nullptr;
  bool stop_requested() const { return stop_flag_ && stop_flag_->load(std::memory_order_relaxed); }
  // Waits until `fd` is readable (true) or a stop is requested (false).
  bool wait_readable(int fd) const;

  int last_signal_ = kSigTrap;
  bool last_bp_ = false;

  std::vector<uint32_t> sw_bps_, hw_bps_;  // sorted, unique
  std::vector<uint32_t> all_bps_;          // sorted union
  uint64_t bp_version_ = 0;
};

}  // namespace imcvp
