// End to end: a run's lifecycle. Outputs that cannot be written are found
// before the run (exit 2, naming the field), signals end any run within a
// second with the report written (a second ctrl-C, a waiting debugger, a
// closed pipe included), program images and dataset files are checked and
// blamed on the right field, and the user's bytes reach the terminal escaped.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.hpp"

using namespace e2e;
using Clock = std::chrono::steady_clock;

namespace {

fs::path spin_elf() { return firmware("fault_tests/spin.elf"); }

// A spinning firmware that only a signal ends.
fs::path endless_scenario(const fs::path& dir, const std::string& name) {
  return make_scenario(dir, name, spin_elf(), "limits:\n  max_time: 100000 s\n  max_instructions: 1000000000000\n");
}

// `imcvp run ARGS...` (or `imcvp COMMAND ARGS...`) in the background; stdout
// and stderr into `log`, or stdout into a pipe whose reader is already gone
// (closed_stdout).
struct Child {
  pid_t pid = -1;
  fs::path log;

  Child(const std::vector<std::string>& args, const fs::path& log_path, bool closed_stdout = false,
        const std::string& command = "run")
      : log(log_path) {
    int pipe_fds[2] = {-1, -1};
    if (closed_stdout && ::pipe(pipe_fds) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      if (closed_stdout) {
        ::dup2(pipe_fds[1], 1);
        ::close(pipe_fds[0]);
      } else {
        ::dup2(fd, 1);
      }
      std::vector<std::string> all{imcvp().string(), command};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (closed_stdout) {
      ::close(pipe_fds[0]);  // the reader goes away at once
      ::close(pipe_fds[1]);
    }
  }
  ~Child() {
    if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::string output() const { return read_file(log); }
  // Polls the output for `text` (true) until `limit`.
  bool wait_for_output(const std::string& text, std::chrono::seconds limit = std::chrono::seconds(60)) const {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // The wait status, or -1 when still running after `limit`.
  int wait(std::chrono::seconds limit) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
};

// The run is under way: its first quantum has passed (no output to wait
// for from a spinning firmware, so a generous pause, then the signal).
void let_it_run() { std::this_thread::sleep_for(std::chrono::milliseconds(700)); }

// Sends `sig` (twice when `twice`) and checks the run ends quickly with
// exit 130 and a written report naming the signal.
void expect_interrupted_by(Child& c, const fs::path& report, int sig, const std::string& name, bool twice = false) {
  const auto t0 = Clock::now();
  ::kill(c.pid, sig);
  if (twice) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::kill(c.pid, sig);
  }
  const int status = c.wait(std::chrono::seconds(30));
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_NE(status, -1) << "still running 30 s after the signal\n" << c.output();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << c.output();
  EXPECT_EQ(WEXITSTATUS(status), 130) << c.output();
  // a second is the target; a loaded 2-core machine gets slack
  EXPECT_LT(s, 5.0) << c.output();
  EXPECT_NE(c.output().find(name), std::string::npos) << c.output();
  const std::string r = read_file(report);
  EXPECT_EQ(json_field(r, "outcome"), "\"interrupted\"") << r;
  EXPECT_NE(r.find(name), std::string::npos) << r;
}

// --- output folder and VCD (items 2, 9, 15) ---

TEST(Lifecycle, VcdNameTakenByAFolderIsAScenarioErrorNotACrash) {
  const fs::path dir = scratch("life-vcd-folder");
  const fs::path sc = make_scenario(dir, "vcd", firmware("apps/hello.elf"), "trace:\n  vcd: wave.vcd\n");
  fs::create_directories(dir / "out-vcd" / "wave.vcd");
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("vcd.yaml:5:8: trace.vcd: cannot write"), std::string::npos) << r.output;
}

TEST(Lifecycle, OutputFolderNotWritableIsFoundBeforeTheRun) {
  const fs::path dir = scratch("life-out-ro");
  // /proc takes no new files, for root as for anyone
  write_file(dir / "ro.yaml", "name: ro\nfirmware: " + spin_elf().string() + "\noutput: /proc\n");
  const auto t0 = Clock::now();
  const Result r = run_imcvp((dir / "ro.yaml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("ro.yaml:3:9: output: cannot write into folder /proc"), std::string::npos) << r.output;
  // the spinning firmware never ran (it would run into its limit, then fail)
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 20.0);
}

TEST(Lifecycle, OutputFileNameTakenByAFolder) {
  const fs::path dir = scratch("life-out-taken");
  const fs::path sc = make_scenario(dir, "taken", firmware("apps/hello.elf"));
  fs::create_directories(dir / "out-taken" / "report.json");
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("taken.yaml:3:9: output: cannot write"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("report.json"), std::string::npos) << r.output;
  // --output: the option is blamed
  fs::create_directories(dir / "other" / "uart.log");
  const Result o = run_imcvp(sc.string() + " --quiet --output " + (dir / "other").string());
  EXPECT_EQ(o.code, 2) << o.output;
  EXPECT_NE(o.output.find("imcvp: error: --output: cannot write"), std::string::npos) << o.output;
}

TEST(Lifecycle, EmptyOutputOptionIsRefused) {
  const fs::path dir = scratch("life-out-empty");
  const fs::path sc = make_scenario(dir, "empty", firmware("apps/hello.elf"));
  const Result r = run_imcvp(sc.string() + " --quiet --output ''");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--output needs a folder"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out-empty"));
}

// --- signals (item 10) ---

TEST(Lifecycle, SigtermEndsTheRunWithTheReport) {
  const fs::path dir = scratch("life-sigterm");
  Child c({endless_scenario(dir, "spin").string()}, dir / "log");
  let_it_run();
  expect_interrupted_by(c, dir / "out-spin" / "report.json", SIGTERM, "SIGTERM");
}

TEST(Lifecycle, SighupEndsTheRunWithTheReport) {
  const fs::path dir = scratch("life-sighup");
  Child c({endless_scenario(dir, "spin").string()}, dir / "log");
  let_it_run();
  expect_interrupted_by(c, dir / "out-spin" / "report.json", SIGHUP, "SIGHUP");
}

TEST(Lifecycle, SecondCtrlCStillWritesTheReportAndVcd) {
  const fs::path dir = scratch("life-sigint2");
  const fs::path sc = make_scenario(dir, "spin", spin_elf(),
                                    "limits:\n  max_time: 100000 s\n  max_instructions: 1000000000000\n"
                                    "trace:\n  vcd: wave.vcd\n");
  Child c({sc.string()}, dir / "log");
  let_it_run();
  expect_interrupted_by(c, dir / "out-spin" / "report.json", SIGINT, "SIGINT", true);
  // the VCD was closed: its header has the fixed description
  EXPECT_NE(read_file(dir / "out-spin" / "wave.vcd").find("$enddefinitions"), std::string::npos);
}

int gdb_port(const std::string& output) {
  std::smatch m;
  static const std::regex re("waiting for connection on 127\\.0\\.0\\.1:([0-9]+)\n");
  return std::regex_search(output, m, re) ? std::stoi(m[1]) : -1;
}

TEST(Lifecycle, CtrlCWhileGdbWaitsForAConnection) {
  const fs::path dir = scratch("life-gdb-wait");
  Child c({endless_scenario(dir, "spin").string(), "--gdb", "0"}, dir / "log");
  ASSERT_TRUE(c.wait_for_output("waiting for connection")) << c.output();
  expect_interrupted_by(c, dir / "out-spin" / "report.json", SIGINT, "SIGINT");
}

TEST(Lifecycle, SigtermWhileTheDebuggerHoldsTheCpu) {
  const fs::path dir = scratch("life-gdb-held");
  Child c({endless_scenario(dir, "spin").string(), "--gdb", "0"}, dir / "log");
  // the whole line, port and newline: a read between two writes must not see half of it
  for (int i = 0; i < 200 && gdb_port(c.output()) < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int port = gdb_port(c.output());
  ASSERT_GT(port, 0) << c.output();
  // a debugger that connects and says nothing: the CPU stays halted
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_TRUE(c.wait_for_output("gdb: connected")) << c.output();
  expect_interrupted_by(c, dir / "out-spin" / "report.json", SIGTERM, "SIGTERM");
  ::close(fd);
}

TEST(Lifecycle, ClosedStdoutDoesNotKillTheRun) {
  const fs::path dir = scratch("life-sigpipe");
  const fs::path sc = make_scenario(dir, "hello", firmware("apps/hello.elf"));
  Child c({sc.string()}, dir / "log", true);
  const int status = c.wait(std::chrono::seconds(60));
  ASSERT_NE(status, -1) << c.output();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << c.output();
  EXPECT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 130) << c.output();
  EXPECT_TRUE(fs::exists(dir / "out-hello" / "report.json"));
  EXPECT_TRUE(fs::exists(dir / "out-hello" / "uart.log"));
}

// --- networks (items 10, 11, 12, 13) ---

// The MLP on two tiles, synthetic images, little calibration: quick.
std::string mlp_network(const std::string& extra) {
  return "accelerator:\n  tiles: 2\n  tile:\n    crossbars: 128\n"
         "network:\n  onnx: " + (source_dir() / "networks" / "fmnist_mlp.onnx").string() +
         "\n  dataset: synthetic\n  calibration_images: 20\n" + extra;
}

TEST(Lifecycle, CtrlCOnALongNetworkRunTakesEffectAtOnce) {  // the references of 10,000 CNN images took 20 s
  const fs::path dir = scratch("life-net-sigint");
  const fs::path sc = make_scenario(dir, "net", firmware("apps/infer.elf"),
                                    "accelerator:\n  tiles: 1\nnetwork:\n  onnx: " +
                                        (source_dir() / "networks" / "fmnist_cnn.onnx").string() +
                                        "\n  dataset: synthetic\n  calibration_images: 20\n  images: 10000\n"
                                        "limits:\n  max_time: 100000 s\n");
  Child c({sc.string()}, dir / "log");
  // the network is compiled and the images are running: wait past the setup
  std::this_thread::sleep_for(std::chrono::seconds(3));
  expect_interrupted_by(c, dir / "out-net" / "report.json", SIGINT, "SIGINT");
}

TEST(Lifecycle, CorruptProgramImageIsAScenarioError) {
  const fs::path dir = scratch("life-image-corrupt");
  write_file(dir / "junk.img", std::string(4096, 'x'));
  const fs::path sc = make_scenario(dir, "img", firmware("apps/infer.elf"),
                                    mlp_network("  images: 2\n  program_image: " + (dir / "junk.img").string() + "\n"));
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("img.yaml:13:18: network.program_image: "), std::string::npos) << r.output;
}

TEST(Lifecycle, HugeProgramImageBlamesTheImage) {
  const fs::path dir = scratch("life-image-huge");
  write_file(dir / "huge.img", "");
  fs::resize_file(dir / "huge.img", 300u << 20);  // sparse
  const fs::path sc = make_scenario(dir, "img", firmware("apps/infer.elf"),
                                    mlp_network("  images: 2\n  program_image: " + (dir / "huge.img").string() + "\n"));
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("network.program_image: "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("network.images"), std::string::npos) << r.output;
}

TEST(Lifecycle, BadDatasetFilesBlameTheDataset) {
  const fs::path dir = scratch("life-dataset");
  fs::create_directories(dir / "data");
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                        "t10k-labels-idx1-ubyte"})
    write_file(dir / "data" / f, "not an IDX file");
  const fs::path sc = make_scenario(dir, "ds", firmware("apps/infer.elf"),
                                    "accelerator:\n  tiles: 2\n  tile:\n    crossbars: 128\n"
                                    "network:\n  onnx: " + (source_dir() / "networks" / "fmnist_mlp.onnx").string() +
                                    "\n  dataset: " + (dir / "data").string() + "\n  images: 2\n  calibration_images: 20\n");
  const Result r = run_imcvp(sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("ds.yaml:10:12: network.dataset: "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("network.onnx"), std::string::npos) << r.output;
}

TEST(Lifecycle, TooManyLargeImagesAreRefusedBeforeTheyAreMade) {
#if defined(__SANITIZE_ADDRESS__)
  // The run is bounded with ulimit -v, which leaves AddressSanitizer no room
  // for its shadow memory; the Release pass runs this case.
  GTEST_SKIP() << "ulimit -v and AddressSanitizer do not mix";
#endif
  const fs::path dir = scratch("life-images-size");
  // a tiny network with 224 x 224 x 3 inputs: 100000 images would be 15 GB
  const fs::path onnx = dir / "big_input.onnx";
  const Result gen = run(
      "/usr/bin/python3 -c \"\n"
      "import onnx, numpy as np\n"
      "from onnx import helper, numpy_helper, TensorProto as T\n"
      "w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.1, np.float32), 'w')\n"
      "f = numpy_helper.from_array(np.full((10, 4), 0.1, np.float32), 'f')\n"
      "nodes = [helper.make_node('Conv', ['x', 'w'], ['c'], kernel_shape=[3, 3], strides=[4, 4]),\n"
      "         helper.make_node('Relu', ['c'], ['r']),\n"
      "         helper.make_node('GlobalAveragePool', ['r'], ['p']),\n"
      "         helper.make_node('Flatten', ['p'], ['q']),\n"
      "         helper.make_node('Gemm', ['q', 'f'], ['y'], transB=1)]\n"
      "g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', T.FLOAT, [1, 3, 224, 224])],\n"
      "                      [helper.make_tensor_value_info('y', T.FLOAT, [1, 10])], [w, f])\n"
      "onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), '" + onnx.string() + "')\n\"");
  ASSERT_EQ(gen.code, 0) << gen.output;
  const fs::path sc = make_scenario(dir, "big", firmware("apps/infer.elf"),
                                    "accelerator:\n  tiles: 1\nnetwork:\n  onnx: " + onnx.string() +
                                        "\n  dataset: synthetic\n  images: 100000\n  calibration_images: 2\n");
  // 4 GB of address space: the 15 GB of images could not be made
  const Result r = run("ulimit -v 4000000; " + imcvp().string() + " run " + sc.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("big.yaml:9:11: network.images: 100000 images need"), std::string::npos) << r.output;
}

// --- the terminal (item 14) ---

TEST(Lifecycle, ControlCharactersInMessagesAreEscaped) {
  const fs::path dir = scratch("life-ctrl");
  // a firmware path with a newline forging a second "imcvp:" line, and an
  // escape sequence
  write_file(dir / "ctrl.yaml", "name: ctrl\nfirmware: \"nope\\nimcvp: forged\\e[31m.elf\"\noutput: " +
                                    (dir / "out").string() + "\n");
  const Result r = run_imcvp((dir / "ctrl.yaml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_EQ(r.output.find("\nimcvp: forged"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("forged"), std::string::npos) << r.output;
}

// --- a ctrl-C while the network compiles (issue 14) ---

// Calibration over 60,000 synthetic CNN images: tens of seconds of compile
// (17.5 s alone, Release, on a 2-core machine), stopped between images.
constexpr const char* kLongCalibration = "60000";

TEST(Lifecycle, CtrlCDuringACompileCalibrationStopsIt) {
  const fs::path dir = scratch("life-compile-sigint");
  Child c({(source_dir() / "networks" / "fmnist_cnn.onnx").string(), "--dataset", "synthetic", "--calibration",
           kLongCalibration, "--eval", "0"},
          dir / "log", false, "compile");
  // well inside the calibration: past the import and making the images
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto t0 = Clock::now();
  ::kill(c.pid, SIGINT);
  const int status = c.wait(std::chrono::seconds(30));
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_NE(status, -1) << "still compiling 30 s after the signal\n" << c.output();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << c.output();
  EXPECT_EQ(WEXITSTATUS(status), 130) << c.output();
  EXPECT_LT(s, 5.0) << c.output();  // a second is the target; a loaded 2-core machine gets slack
  const std::string out = c.output();
  EXPECT_NE(out.find("imcvp: interrupted: the compile was interrupted in pass quantize (SIGINT"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("error"), std::string::npos) << out;
}

TEST(Lifecycle, CtrlCWhileARunCompilesItsNetworkEndsTheRunWithTheReport) {
  const fs::path dir = scratch("life-run-compile-sigint");
  const fs::path sc = make_scenario(dir, "net", firmware("apps/infer.elf"),
                                    "accelerator:\n  tiles: 1\nnetwork:\n  onnx: " +
                                        (source_dir() / "networks" / "fmnist_cnn.onnx").string() +
                                        "\n  dataset: synthetic\n  calibration_images: " + kLongCalibration +
                                        "\n  images: 10\n");
  Child c({sc.string()}, dir / "log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // calibrating
  expect_interrupted_by(c, dir / "out-net" / "report.json", SIGINT, "SIGINT");
  const std::string r = read_file(dir / "out-net" / "report.json");
  EXPECT_NE(r.find("while the network compiled (pass quantize)"), std::string::npos) << r;
  EXPECT_EQ(json_field(r, "instructions"), "0") << r;
  EXPECT_FALSE(fs::exists(dir / "out-net" / "network.txt"));  // no network: nothing of it to write
}

}  // namespace
