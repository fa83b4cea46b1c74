// The imcvp command.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>

#include <systemc>

#include <fstream>

#include "compiler/compile.hpp"
#include "compiler/pipeline.hpp"
#include "models/splice/splice_params.hpp"
#include "models/tile/tile.hpp"
#include "platform/exit_codes.hpp"
#include "platform/compare.hpp"
#include "platform/platform.hpp"
#include "platform/scenario.hpp"
#include "platform/terminal_text.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

const char* kMainHelp = R"(imcvp - virtual platform of an RRAM in-memory-computing accelerator
beside a RISC-V (RV32IMC) host CPU, in SystemC/TLM-2.0.

Usage:
  imcvp run SCENARIO.yaml [options]   run a scenario (see 'imcvp run --help')
  imcvp compile NETWORK.onnx [options]
                                      import, quantize and check a network
                                      (see 'imcvp compile --help')
  imcvp compare DIR... [--csv FILE] [--md FILE]
                                      join the summary.csv of network runs
                                      into one CSV and Markdown table
  imcvp --help                        this text
  imcvp --version                     the version

A scenario (YAML, documented in docs/scenario.md) names the firmware ELF,
the platform parameters, limits, tracing and the output folder.

Exit codes:
  0  the firmware exited with code 0
  1  the firmware exited with a non-zero code (it is in the report)
  2  bad command line, scenario, firmware file, or a firmware that does not
     fit the platform
  3  the firmware faulted with no trap handler (message names pc,
     instruction and address)
  4  a run limit was reached (limits.max_time, limits.max_instructions)
  5  the CPU stalled (wfi with nothing to wake it) or the debugger killed it
  130 interrupted (ctrl-C, SIGTERM, SIGHUP, SIGPIPE): the outputs are written
      up to there
)";

const char* kRunHelp = R"(Usage: imcvp run SCENARIO.yaml [options]

Runs the scenario: loads the firmware into main memory, boots the host CPU
at the ELF entry point and simulates until the firmware exits (sim-control
EXIT register or the HTIF 'tohost' symbol), faults, or reaches a limit.
The firmware's UART output is printed as it comes, then a summary.

Written into the output folder (scenario field 'output', or --output):
  report.json        the run's figures: outcome, simulated time, instructions,
                     cycles, instructions per class, bus, UART, energy ledger;
                     identical for identical scenarios
  host.json          host figures: wall time and simulated MIPS
  uart.log           everything the firmware printed
  network.txt        with a network: section, the network table: accuracy
                     (platform, golden, float), latency per inference and
                     layer, energy per inference by block, EDP, crossbar
                     use, programming (also printed, and in report.json)
  <trace.vcd>        the VCD waveform, if the scenario asks for one
  transactions.log   one line per bus transaction, if trace.transactions

Options:
  --gdb PORT         serve the GDB remote protocol on 127.0.0.1:PORT; the
                     CPU waits halted at the entry point until gdb connects:
                     gdb-multiarch FIRMWARE.elf -ex 'target remote :PORT'
  --output DIR       write the outputs into DIR instead of the scenario's
  --quiet            do not echo the firmware's UART output or the summary
  -h, --help         this text
)";

const char* kCompileHelp = R"(Usage: imcvp compile NETWORK.onnx [options]

Imports an ONNX network exported by PyTorch (Conv, Gemm/MatMul, Relu,
MaxPool, AveragePool/GlobalAveragePool, Add, Flatten, Reshape,
BatchNormalization folded into the convolution), quantizes it after training
with calibration images from the Fashion-MNIST training set, prints the
per-layer summary, and measures the top-1 accuracy of the float network and
of the bit-exact integer golden reference on the Fashion-MNIST test set.
With --image it also places the network on the chip and writes the program
image, by the same compiler passes as 'imcvp run'. Every field of a
scenario's network: section has its option (in brackets).
See docs/compiler.md.

Options:
  --weight-bits N     weight precision, 2..8 (default 8) [weight_bits]
  --layer-weight-bits NAME=BITS[,NAME=BITS...]
                      mixed precision: these Conv/FC layers' own weight
                      precision, 2..8, held in that many bits per weight
                      [layer_weight_bits]
  --act-bits N        activation precision, 2..16 (default 8) [act_bits]
  --calibration N     calibration images from the training set (default
                      1000; 0: none, performance estimation only, needs
                      --eval 0) [calibration_images]
  --eval N            test images to evaluate (default 10000; 0: none)
  --percentile P      calibrate to the P-th percentile instead of the
                      maximum [percentile]
  --dataset DIR       folder of the Fashion-MNIST IDX files (default
                      /usr/share/datasets/fashion-mnist), or 'synthetic':
                      seeded random images [dataset]
  --seed N            seed of the synthetic images (default 1; a scenario
                      uses its seed)
  --image FILE        place the network on the chip and write the program
                      image the firmware loads [program_image]
  --tiles N           tiles of the chip for --image (default 1)
  --crossbars N       crossbars per tile for --image (default: the tile
                      model's, docs/accelerator.md)
  --sram-comp N       for --image: every tile has the SRAM compensation block
                      with N bytes per crossbar (hybrid RRAM/SRAM networks;
                      the scenario's accelerator.tile.sram_comp.
                      sram_bytes_per_crossbar, default there 256)
  --reprogram         a network larger than the chip: split it into groups
                      that the firmware reprograms between [reprogram]
  --execution MODE    latency (default) or pipelined: one tile per stage
                      [execution]
  --no-levels         an image without cell levels, for performance
                      estimation (accelerator.tile.mode: estimate)
  --sme N             SME: every weight magnitude to at most N nonzero bits,
                      on bit-plane crossbars; prints their count against the
                      dense mapping [sme.nonzero_bits]; with --image the
                      tiles have the splice unit (its default table memory)
  --squeeze T         SME: dissolve and repack the bit-plane crossbars whose
                      ones fill less than T of them, 0..1 (default 0.25)
                      [sme.squeeze_threshold]
  --cell-bits N       bits per crossbar cell, 1..8 (default: the crossbar
                      model's, 2) [accelerator.tile.crossbar.cell_bits]
  --crossbar-size RxC crossbar rows and columns (default 128x128)
                      [accelerator.tile.crossbar.rows, .cols]
  -h, --help          this text

A ctrl-C (SIGINT, SIGTERM, SIGHUP, SIGPIPE) stops the compile within a
moment, even mid-calibration: exit code 130, no program image written.
)";

// Every message goes through printable(): it may quote the user's files.
void print_error(const std::string& msg) { std::cerr << "imcvp: error: " << imcvp::printable(msg) << "\n"; }

int usage_error(const std::string& msg) {
  std::cerr << "imcvp: error: " << imcvp::printable(msg) << "\n(see 'imcvp --help')\n";
  return imcvp::exit_code::kUsage;
}

bool parse_port(const char* s, int& port) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 65535) return false;
  port = static_cast<int>(v);
  return true;
}

int cmd_run(int argc, char* argv[]) {
  std::string scenario_path;
  imcvp::RunOptions opt;
  bool quiet = false;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kRunHelp;
      return 0;
    } else if (a == "--gdb") {
      if (i + 1 >= argc || !parse_port(argv[i + 1], opt.gdb_port))
        return usage_error("--gdb needs a TCP port number (0-65535)");
      ++i;
    } else if (a == "--output") {
      if (i + 1 >= argc || !*argv[i + 1]) return usage_error("--output needs a folder (not an empty name)");
      opt.output_override = argv[++i];
    } else if (a == "--quiet") {
      quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "' for 'imcvp run'");
    } else if (scenario_path.empty()) {
      scenario_path = a;
    } else {
      return usage_error("more than one scenario given: '" + scenario_path + "' and '" + a + "'");
    }
  }
  if (scenario_path.empty()) return usage_error("'imcvp run' needs a scenario file");

  imcvp::Scenario scenario;
  try {
    scenario = imcvp::load_scenario(scenario_path);
  } catch (const std::exception& e) {
    print_error(e.what());
    return imcvp::exit_code::kUsage;
  }
  if (!quiet) {
    opt.console = &std::cout;
    opt.summary = &std::cout;
  }
  std::unique_ptr<imcvp::Platform> platform;
  try {
    platform = std::make_unique<imcvp::Platform>(scenario, opt);
  } catch (const std::exception& e) {
    print_error(e.what());
    return imcvp::exit_code::kUsage;
  }
  const imcvp::RunSummary r = platform->run();
  std::cout.flush();
  if (opt.summary) imcvp::print_summary(*opt.summary, scenario, r);
  if (r.exit_code != imcvp::exit_code::kPass && !r.message.empty())
    std::cerr << "imcvp: " << r.outcome << ": " << imcvp::printable(r.message) << "\n";
  return r.exit_code;
}

bool parse_count(const char* s, long lo, long hi, long& out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) return false;
  out = v;
  return true;
}

int cmd_compile(int argc, char* argv[]) {
  imcvp::compiler::PipelineOptions po;
  imcvp::compiler::CompileOptions& opt = po.compile;
  std::string image_path;
  imcvp::TileParams tile;  // the chip's defaults come from the tile model
  long tiles = 1;
  std::optional<imcvp::SramCompParams> sram_comp;  // --sram-comp: the tiles' compensation block
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    long v = 0;
    if (a == "-h" || a == "--help") {
      std::cout << kCompileHelp;
      return 0;
    } else if (a == "--weight-bits") {
      if (!has_value || !parse_count(argv[++i], 2, 8, v)) return usage_error("--weight-bits needs a number from 2 to 8");
      opt.quant.weight_bits = static_cast<int>(v);
    } else if (a == "--layer-weight-bits") {
      const std::string need = "--layer-weight-bits needs NAME=BITS[,NAME=BITS...] with BITS from 2 to 8";
      if (!has_value) return usage_error(need);
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) {
        const size_t eq = item.rfind('=');
        if (eq == std::string::npos || eq == 0 || !parse_count(item.c_str() + eq + 1, 2, 8, v))
          return usage_error(need + ", got '" + item + "'");
        opt.quant.layer_weight_bits[item.substr(0, eq)] = static_cast<int>(v);
      }
    } else if (a == "--act-bits") {
      if (!has_value || !parse_count(argv[++i], 2, 16, v)) return usage_error("--act-bits needs a number from 2 to 16");
      opt.quant.act_bits = static_cast<int>(v);
    } else if (a == "--calibration") {
      if (!has_value || !parse_count(argv[++i], 0, imcvp::kSyntheticMaxImages, v))
        return usage_error("--calibration needs a number of images from 0 to " +
                           std::to_string(imcvp::kSyntheticMaxImages));
      opt.calibration_images = static_cast<size_t>(v);
    } else if (a == "--eval") {
      if (!has_value || !parse_count(argv[++i], 0, imcvp::kSyntheticMaxImages, v))
        return usage_error("--eval needs a number of images from 0 to " + std::to_string(imcvp::kSyntheticMaxImages));
      opt.eval_images = static_cast<size_t>(v);
    } else if (a == "--percentile") {
      char* end = nullptr;
      const double p = has_value ? std::strtod(argv[++i], &end) : 0;
      if (!has_value || *end || !(p > 0 && p <= 100)) return usage_error("--percentile needs a number in (0, 100]");
      opt.quant.calibration = imcvp::compiler::Calibration::Percentile;
      opt.quant.percentile = p;
    } else if (a == "--image") {
      if (!has_value) return usage_error("--image needs a file name");
      image_path = argv[++i];
    } else if (a == "--tiles") {
      if (!has_value || !parse_count(argv[++i], 1, IMCVP_TILE_MAX_TILES, tiles)) return usage_error("--tiles needs a number from 1 to " + std::to_string(IMCVP_TILE_MAX_TILES));
    } else if (a == "--sram-comp") {
      if (!has_value || !parse_count(argv[++i], 1, IMCVP_SRAM_COMP_MEM_MAX, v))
        return usage_error("--sram-comp needs a number of bytes per crossbar from 1 to " +
                           std::to_string(IMCVP_SRAM_COMP_MEM_MAX));
      sram_comp.emplace();
      sram_comp->sram_bytes_per_crossbar = static_cast<unsigned>(v);
    } else if (a == "--crossbars") {
      if (!has_value || !parse_count(argv[++i], 1, 4096, v)) return usage_error("--crossbars needs a number from 1 to 4096");
      tile.crossbars = static_cast<unsigned>(v);
    } else if (a == "--dataset") {
      if (!has_value) return usage_error("--dataset needs a folder or 'synthetic'");
      const std::string d = argv[++i];
      if (d == imcvp::compiler::kDatasetSynthetic) opt.dataset = imcvp::compiler::kDatasetSynthetic;
      else opt.dataset_dir = d;
    } else if (a == "--seed") {
      char* end = nullptr;
      const unsigned long long seed = has_value ? std::strtoull(argv[++i], &end, 10) : 0;
      if (!has_value || !*argv[i] || *end) return usage_error("--seed needs a non-negative integer");
      opt.synthetic_seed = seed;
    } else if (a == "--reprogram") {
      po.placement.reprogram = true;
    } else if (a == "--execution") {
      const std::string m = has_value ? argv[++i] : "";
      if (m != "latency" && m != "pipelined") return usage_error("--execution needs 'latency' or 'pipelined'");
      po.placement.spread = m == "pipelined";
      po.image.reuse_buffers = m != "pipelined";  // a pipeline keeps each stage's tensors apart
    } else if (a == "--no-levels") {
      po.image.levels = false;
    } else if (a == "--sme") {
      if (!has_value || !parse_count(argv[++i], 1, 15, v)) return usage_error("--sme needs a number of nonzero bits from 1 to 15");
      po.sme.enabled = true;
      po.sme.nonzero_bits = static_cast<unsigned>(v);
    } else if (a == "--squeeze") {
      char* end = nullptr;
      const double t = has_value ? std::strtod(argv[++i], &end) : -1;
      if (!has_value || *end || !(t >= 0 && t <= 1)) return usage_error("--squeeze needs a fraction in [0, 1]");
      po.sme.squeeze_threshold = t;
    } else if (a == "--crossbar-size") {
      const std::string sz = has_value ? argv[++i] : "";
      unsigned r = 0, c = 0;
      char x = 0, rest = 0;
      if (std::sscanf(sz.c_str(), "%u%c%u%c", &r, &x, &c, &rest) != 3 || x != 'x' || r < 1 || r > 4096 || c < 1 ||
          c > 4096)
        return usage_error("--crossbar-size needs ROWSxCOLS, each 1..4096 (e.g. 64x64)");
      tile.crossbar.rows = r;
      tile.crossbar.cols = c;
    } else if (a == "--cell-bits") {
      if (!has_value || !parse_count(argv[++i], 1, 8, v)) return usage_error("--cell-bits needs a number from 1 to 8");
      tile.crossbar.cell_bits = static_cast<unsigned>(v);
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "' for 'imcvp compile'");
    } else if (opt.onnx_path.empty()) {
      opt.onnx_path = a;
    } else {
      return usage_error("more than one network given: '" + opt.onnx_path + "' and '" + a + "'");
    }
  }
  if (opt.onnx_path.empty()) return usage_error("'imcvp compile' needs an ONNX network file");
  if (image_path.empty() && (po.placement.reprogram || po.placement.spread || !po.image.levels || sram_comp))
    return usage_error("--reprogram, --execution, --no-levels and --sram-comp shape the program image: give --image FILE");
  // a ctrl-C stops the passes between images and layers (exit 130)
  po.compile.stop = imcvp::install_stop_signals();
  try {
    // the front end (import, quantize, evaluate), its report, then with
    // --image the back end on the chip (place ... serialize)
    po.chip.crossbar = tile.crossbar;  // the sme pass maps onto it, with or without --image
    if (!image_path.empty()) {
      po.chip = imcvp::compiler::chip_resources(tile, static_cast<unsigned>(tiles));
      if (sram_comp) po.chip.sram_comp_bytes = uint32_t(sram_comp->sram_bytes(tile.crossbars));
      if (po.sme.enabled) po.chip.splice_table_bytes = imcvp::SpliceParams{}.table_bytes;
    }
    const std::vector<imcvp::compiler::Pass> passes = imcvp::compiler::default_passes(po);
    const std::string front_end = opt.eval_images > 0 ? "evaluate" : "sme";  // the technique passes too
    imcvp::compiler::CompileState state;
    state.options = po;
    imcvp::compiler::run_passes(state, imcvp::compiler::passes_through(passes, front_end));
    std::ostringstream report;  // layer names come from the ONNX file
    imcvp::compiler::print_report(report, state.report);
    std::cout << imcvp::printable(report.str(), true);
    if (!image_path.empty()) {
      imcvp::compiler::run_passes(state, imcvp::compiler::passes_after(passes, front_end));
      const std::vector<uint8_t>& bytes = state.image_bytes;
      const imcvp::compiler::Placement& placement = state.placement;
      std::ofstream f(image_path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!f) throw std::runtime_error("--image: cannot write " + image_path);
      std::cout << "program image: " << image_path << ", " << bytes.size() << " bytes, "
                << placement.crossbars_used << " of " << po.chip.total_crossbars() << " crossbars used (";
      for (size_t t = 0; t < placement.used_per_tile.size(); ++t)
        std::cout << (t ? ", " : "") << "tile " << t << ": " << placement.used_per_tile[t];
      std::cout << ")";
      if (placement.groups > 1) std::cout << ", " << placement.groups << " reprogramming groups";
      std::cout << "\n";
    }
  } catch (const imcvp::compiler::CompileInterrupted& e) {
    std::cout.flush();
    const std::string sig = imcvp::stop_signal_received();
    std::cerr << "imcvp: interrupted: " << e.what() << (sig.empty() ? "" : " (" + sig + ")") << "\n";
    return imcvp::exit_code::kInterrupted;
  } catch (const std::exception& e) {
    print_error(e.what());
    return imcvp::exit_code::kUsage;
  }
  return 0;
}

// imcvp compare DIR... [--csv FILE] [--md FILE]: the comparison table of
// network runs (platform/compare.hpp). Without --csv/--md: Markdown on stdout.
int cmd_compare(int argc, char* argv[]) {
  std::vector<std::string> dirs;
  std::string csv_path, md_path;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "Usage: imcvp compare DIR... [--csv FILE] [--md FILE]\n\n"
                   "Joins the summary.csv that every run of a scenario with a network: section\n"
                   "writes into its output folder: one row per run with the network, mode,\n"
                   "execution, reprogramming groups, tiles, crossbars (chip, used), accuracy,\n"
                   "latency and interval per image (ns), throughput (images/s), energy per\n"
                   "inference (pJ), EDP (J*s) and programming's share of the time. Writes CSV\n"
                   "and/or Markdown to the files given, else Markdown to stdout.\n";
      return 0;
    } else if (a == "--csv" || a == "--md") {
      if (i + 1 >= argc) return usage_error(a + " needs a file name");
      (a == "--csv" ? csv_path : md_path) = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "' for 'imcvp compare'");
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) return usage_error("'imcvp compare' needs the output folders of network runs");
  try {
    const imcvp::SummaryTable t = imcvp::read_summaries(dirs);
    auto write = [&](const std::string& path, bool md) {
      std::ofstream f(path);
      if (md) imcvp::write_markdown(f, t); else imcvp::write_csv(f, t);
      if (!f) throw imcvp::CompareError("cannot write " + path);
    };
    if (!csv_path.empty()) write(csv_path, false);
    if (!md_path.empty()) write(md_path, true);
    if (csv_path.empty() && md_path.empty()) imcvp::write_markdown(std::cout, t);
  } catch (const std::exception& e) {
    print_error(e.what());
    return imcvp::exit_code::kUsage;
  }
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  // Errors inside SystemC become exceptions, reported below.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_THROW);
  // SystemC's own notes ("simulation stopped by user", the VCD time unit) are
  // not the user's business.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  try {
    if (argc < 2) return usage_error("no command given");
    const std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help") {
      std::cout << kMainHelp;
      return 0;
    }
    if (cmd == "--version") {
      std::cout << "imcvp " << kVersion << "\n";
      return 0;
    }
    if (cmd == "run") return cmd_run(argc - 2, argv + 2);
    if (cmd == "compile") return cmd_compile(argc - 2, argv + 2);
    if (cmd == "compare") return cmd_compare(argc - 2, argv + 2);
    return usage_error("unknown command '" + cmd + "'");
  } catch (const sc_core::sc_report& e) {
    std::cerr << "imcvp: internal error (SystemC): " << imcvp::printable(e.what()) << "\n";
    return imcvp::exit_code::kInternal;
  } catch (const std::exception& e) {
    print_error(e.what());
    return imcvp::exit_code::kInternal;
  }
}

// SystemC prints a copyright banner when it starts unless told not to; the
// command's output belongs to the firmware and the summary.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
