// End to end: a real gdb-multiarch drives the firmware through the GDB
// stub: breakpoints, stepping, registers, memory, interrupting a running
// target, and running to the end.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

// Runs `imcvp run SCENARIO --gdb PORT` in the background.
class Simulator {
 public:
  Simulator(const fs::path& scenario, const fs::path& out, int port) : log_(out.string() + ".log") {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string exe = imcvp().string(), sc = scenario.string(), o = out.string(),
                        p = std::to_string(port);
      execl(exe.c_str(), exe.c_str(), "run", sc.c_str(), "--output", o.c_str(), "--gdb", p.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Simulator() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool wait_listening() {
    for (int i = 0; i < 200; ++i) {
      if (read_file(log_).find("waiting for connection") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Exit code, or -1 if it did not end within the time.
  int wait_exit(int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string log() const { return read_file(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Each case runs in its own process, two or more at once under ctest -j:
// a process's ports are its own (four per pid, none shared with another).
int free_port(int which) { return 20000 + 4 * static_cast<int>(getpid() % 10000) + which; }

std::string gdb(const fs::path& elf, int port, const std::vector<std::string>& commands) {
  std::string cmd = "gdb-multiarch -nx -batch -ex 'set confirm off' -ex 'set pagination off' " +
                    elf.string() + " -ex 'target remote 127.0.0.1:" + std::to_string(port) + "'";
  for (const auto& c : commands) cmd += " -ex '" + c + "'";
  return run("timeout 60 " + cmd).output;
}

TEST(Gdb, BreakStepInspectWriteAndContinueToTheEnd) {
  const fs::path dir = scratch("gdb");
  const fs::path elf = firmware("apps/hello.elf");
  const int port = free_port(0);
  Simulator sim(source_dir() / "scenarios/hello.yaml", dir / "out", port);
  ASSERT_TRUE(sim.wait_listening()) << sim.log();
  const std::string out = gdb(elf, port, {
      "info registers pc",            // halted at the entry point
      "break main", "continue",       // runs to main
      "info registers pc", "stepi", "stepi", "info registers pc",
      "print/x $sp", "x/2xw $sp",
      "set {int}($sp - 64) = 0x5eed1234", "x/1xw $sp - 64",
      "set $t6 = 0x1234abcd", "print/x $t6",
      "delete", "continue"});
  EXPECT_NE(out.find("0x80000000"), std::string::npos) << out;  // the entry pc
  EXPECT_NE(out.find("Breakpoint 1, "), std::string::npos) << out;
  EXPECT_NE(out.find("main"), std::string::npos) << out;
  EXPECT_NE(out.find("0x5eed1234"), std::string::npos) << out;
  EXPECT_NE(out.find("0x1234abcd"), std::string::npos) << out;
  EXPECT_NE(out.find("exited normally"), std::string::npos) << out;
  EXPECT_EQ(sim.wait_exit(30), 0) << sim.log();
  EXPECT_NE(sim.log().find("Hello from imcvp"), std::string::npos) << sim.log();
}

TEST(Gdb, InterruptARunningTargetAndKillIt) {
  const fs::path dir = scratch("gdb-int");
  const fs::path elf = firmware("fault_tests/spin.elf");
  const fs::path sc = make_scenario(dir, "spin", elf, "limits:\n  max_time: 1000 s\n");
  const int port = free_port(1);
  Simulator sim(sc, dir / "out", port);
  ASSERT_TRUE(sim.wait_listening()) << sim.log();
  // Batch gdb handles no stop events between -ex commands, so this session
  // feeds gdb's standard input with pauses, as a person at the prompt would.
  const std::string script = "(echo 'set confirm off'; echo 'target remote 127.0.0.1:" +
                             std::to_string(port) +
                             "'; echo 'continue &'; sleep 1; echo 'interrupt'; sleep 1; "
                             "echo 'info registers pc'; echo 'kill'; echo 'quit')";
  const std::string out =
      run(script + " | timeout 60 gdb-multiarch -nx -q " + elf.string()).output;
  EXPECT_NE(out.find("SIGINT"), std::string::npos) << out;
  EXPECT_NE(out.find("_start"), std::string::npos) << out;  // pc is inside the spin loop
  EXPECT_EQ(sim.wait_exit(30), 5) << sim.log();  // killed by the debugger
  EXPECT_NE(sim.log().find("killed by the debugger"), std::string::npos) << sim.log();
}

// A tile-internal block's registers are bus addresses: the debugger reads
// the crossbar bank's ID register in tile 0's window (imcvp/memory_map.h
// IMCVP_TILE_BLOCK) through the stub's debug transport.
TEST(Gdb, ReadsATileBlockRegister) {
  const fs::path dir = scratch("gdb-block");
  const fs::path elf = firmware("apps/tile_fc.elf");
  const int port = free_port(2);
  Simulator sim(source_dir() / "scenarios/tile_fc.yaml", dir / "out", port);
  ASSERT_TRUE(sim.wait_listening()) << sim.log();
  const std::string out = gdb(elf, port, {"x/1xw 0x40010000", "x/1xw 0x40020000", "kill"});
  EXPECT_NE(out.find("0x52414258"), std::string::npos) << out;  // "XBAR"
  EXPECT_NE(out.find("0x44414853"), std::string::npos) << out;  // "SHAD"
}

}  // namespace
