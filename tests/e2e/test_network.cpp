// End to end: whole networks on the platform. The `infer` firmware
// (firmware/apps/infer + firmware/runtime) loads the program image the
// platform compiled, programs the crossbars and runs Fashion-MNIST test
// images; the report's figures come from its result records.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <vector>

#include "models/crossbar/crossbar_params.hpp"
#include "tests/e2e/e2e_util.hpp"

using namespace e2e;

namespace {

// A network scenario: `images` test images of networks/<net>.onnx through
// the infer firmware; `accel` is the YAML of the accelerator section's body.
fs::path net_scenario(const fs::path& dir, const std::string& name, const std::string& net, unsigned images,
                      const std::string& accel, const std::string& extra_network = "") {
  return make_scenario(dir, name, firmware("apps/infer.elf"),
                       "network:\n  onnx: " + (source_dir() / "networks" / (net + ".onnx")).string() +
                           "\n  images: " + std::to_string(images) + "\n" + extra_network +
                           "accelerator:\n" + accel + "trace:\n  vcd: run.vcd\n  signals: [accel]\n");
}

// The report's network section.
std::string network_json(const fs::path& out) {
  const std::string report = read_file(out / "report.json");
  const auto at = report.find("\"network\": {");
  return at == std::string::npos ? "" : report.substr(at);
}

NetRun run_net(const std::string& name, const std::string& net, unsigned images, const std::string& accel,
            const std::string& extra_network = "") {
  const fs::path dir = scratch("network_" + name);
  const fs::path sc = net_scenario(dir, name, net, images, accel, extra_network);
  NetRun r{run_imcvp(sc.string() + " --quiet"), "", dir / ("out-" + name)};
  if (r.result.code == 0) r.net = network_json(r.out);
  return r;
}

// Energy per inference of the inference's own events: an estimation image
// carries no cell levels, so its crossbars are not written and no
// programming is spread over the images; leave programming out of both sides.
double inference_energy(const NetRun& r) {
  const std::string e = r.net.substr(r.net.find("\"energy_per_inference_pj\""));
  return num(e, "total") - num(e, "programming");
}

const char* kIdealOneTile = "  tiles: 1\n  tile:\n    ideal_crossbar: true\n";

// Calibration for the runs that check agreement with the golden reference,
// costs, timing or messages, but not accuracy: the golden reference uses the
// ranges the platform's image was quantized with, whatever their images, and
// 10 images calibrate the ResNet in 0.1 s instead of the default 1000's 2 s.
// Runs that check accuracy keep the default.
const std::string kFewCalibrationImages = "  calibration_images: 10\n";

// An ideal device and lossless ADCs: the platform's logits are the golden
// reference's on every image, and its accuracy is the float network's
// within a point.
TEST(Network, CnnOnAnIdealDeviceEqualsGoldenAndFloat) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("cnn_ideal", "fmnist_cnn", 1000, kIdealOneTile);
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  EXPECT_EQ(num(r.net, "images_done"), 1000);
  EXPECT_EQ(num(r.net, "logits_equal_golden"), 1000);
  EXPECT_EQ(num(r.net, "predictions_equal_golden"), 1000);
  EXPECT_NEAR(num(r.net, "platform_percent"), num(r.net, "float_percent"), 1.0);
  EXPECT_EQ(num(r.net, "platform_percent"), num(r.net, "golden_percent"));
  // latency per layer, energy by block, utilisation
  EXPECT_GT(num(r.net, "per_inference_ns"), num(r.net, "tiles_busy_per_inference_ns"));
  EXPECT_NE(r.net.find("\"/features/features.0/Conv\""), std::string::npos);
  for (const char* k : {"cell_array", "dac", "adc", "shift_add", "accumulate_activation", "buffers", "dma_bus", "host_cpu",
                        "programming"})
    EXPECT_GT(num(r.net, k), 0.0) << k;
  EXPECT_GT(num(r.net, "edp_j_s"), 0.0);
  EXPECT_EQ(num(r.net, "used"), 58);
  EXPECT_EQ(num(r.net, "chip"), 96);
  EXPECT_EQ(num(r.net, "crossbars_programmed"), 58);
  EXPECT_NE(read_file(r.out / "network.txt").find("logits equal to golden: 1000 of 1000"), std::string::npos);
  const std::string vcd = read_file(r.out / "run.vcd");
  EXPECT_NE(vcd.find("$scope module tile0 $end"), std::string::npos);
  EXPECT_NE(vcd.find(" busy "), std::string::npos);
}

// The MLP's first layer alone needs 112 crossbars: two tiles of 128, and its
// last layer reads its input from the other tile by DMA.
TEST(Network, MlpOnTwoTilesEqualsGolden) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("mlp", "fmnist_mlp", 200, "  tiles: 2\n  tile:\n    crossbars: 128\n    ideal_crossbar: true\n",
                           kFewCalibrationImages);
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  EXPECT_EQ(num(r.net, "logits_equal_golden"), 200);
  EXPECT_EQ(num(r.net, "used"), 129);
  EXPECT_NE(r.net.find("\"tile\": 1"), std::string::npos) << r.net;
}

// The same MLP with its tiles and the memory interface on a 2 x 2 mesh NoC:
// the DMA's bursts become packets (tiles at (0,0) and (1,0), the memory
// interface at (0,1), the last node in snake order), the results do not change, and the report and the VCD show the
// traffic, including tile 0 -> tile 1 over link (0,0)->E.
TEST(Network, MlpOverTheMeshNocEqualsGolden) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("mlp_noc", "fmnist_mlp", 50,
                           "  tiles: 2\n  tile:\n    crossbars: 128\n    ideal_crossbar: true\n"
                           "  noc: {width: 2, height: 2}\n", kFewCalibrationImages);
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  EXPECT_EQ(num(r.net, "logits_equal_golden"), 50);
  const std::string report = read_file(r.out / "report.json");
  const std::string noc = report.substr(report.find("\"noc\": {"));
  EXPECT_NE(noc.find("\"memory_node\": \"(0,1)\""), std::string::npos) << noc;
  EXPECT_GT(num(noc, "packets"), 0.0);
  EXPECT_GT(num(noc, "flit_hops"), 0.0);
  EXPECT_NE(noc.find("\"link\": \"(0,0)->E\""), std::string::npos) << noc;
  EXPECT_GT(num(r.net, "noc"), 0.0);  // energy per inference
  const std::string vcd = read_file(r.out / "run.vcd");
  EXPECT_NE(vcd.find("$scope module noc $end"), std::string::npos);
  EXPECT_NE(vcd.find(" x0_y0_E "), std::string::npos);
}

TEST(Network, ResnetWithResidualAddsEqualsGolden) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("resnet", "fmnist_resnet", 200, kIdealOneTile, kFewCalibrationImages);
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  EXPECT_EQ(num(r.net, "logits_equal_golden"), 200);
  EXPECT_NE(r.net.find("\"kind\": \"Add\""), std::string::npos);
}

// The same scenario and seed give the same report and VCD, byte for byte,
// with a non-ideal device (seeded variation) and the reference thread.
TEST(Network, RunsAreDeterministic) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string accel = "  tiles: 1\n";  // the default, non-ideal device
  const NetRun a = run_net("det_a", "fmnist_cnn", 50, accel, kFewCalibrationImages);
  const NetRun b = run_net("det_a", "fmnist_cnn", 50, accel, kFewCalibrationImages);
  ASSERT_EQ(a.result.code, 0) << a.result.output;
  ASSERT_EQ(b.result.code, 0);
  EXPECT_EQ(read_file(a.out / "report.json"), read_file(b.out / "report.json"));
  EXPECT_EQ(read_file(a.out / "run.vcd"), read_file(b.out / "run.vcd"));
}

// Accuracy on 200 images falls as a non-ideality grows. `point` is the YAML
// of accelerator.tile.crossbar for one point of the sweep.
std::vector<double> sweep(const std::string& name, const std::vector<std::string>& points, bool ideal) {
  std::vector<double> acc;
  for (size_t i = 0; i < points.size(); ++i) {
    const NetRun r = run_net(name + std::to_string(i), "fmnist_cnn", 200,
                          std::string("  tiles: 1\n  tile:\n    ideal_crossbar: ") + (ideal ? "true" : "false") +
                              "\n    crossbar:\n" + points[i]);
    EXPECT_EQ(r.result.code, 0) << r.result.output;
    acc.push_back(r.result.code == 0 ? num(r.net, "platform_percent") : NAN);
  }
  return acc;
}
void expect_falls(const std::vector<double>& acc, double total_drop, const char* what) {
  for (size_t i = 1; i < acc.size(); ++i) EXPECT_LE(acc[i], acc[i - 1] + 1.0) << what << " point " << i;
  EXPECT_GE(acc.front() - acc.back(), total_drop) << what;
}

TEST(Network, AccuracyFallsWithProgrammingVariation) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // one pulse per cell: no verify loop to correct the variation
  expect_falls(sweep("variation", {"      max_pulses: 1\n      program_sigma: 0.0\n",
                                   "      max_pulses: 1\n      program_sigma: 0.3\n",
                                   "      max_pulses: 1\n      program_sigma: 0.6\n"},
                     true),
               10.0, "program_sigma");
}

TEST(Network, AccuracyFallsWithStuckAtCells) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  expect_falls(sweep("stuck", {"      stuck_at_0_rate: 0.0\n", "      stuck_at_0_rate: 0.05\n",
                               "      stuck_at_0_rate: 0.2\n"},
                     true),
               15.0, "stuck_at_0_rate");
}

TEST(Network, AccuracyFallsWithFewerAdcBits) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  expect_falls(sweep("adc", {"      adc_bits: 9\n", "      adc_bits: 4\n", "      adc_bits: 3\n", "      adc_bits: 2\n"},
                     true),
               30.0, "adc_bits");
}

// Programming costs what its pulses and verify reads imply: one pulse and
// one verify read per step, cell after cell (write_parallel_cells = 1).
TEST(Network, ProgrammingCostFollowsPulseCounts) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("program_cost", "fmnist_cnn", 10, "  tiles: 1\n", kFewCalibrationImages);
  ASSERT_EQ(r.result.code, 0) << r.result.output;
  const imcvp::CrossbarParams p;
  ASSERT_EQ(p.write_parallel_cells, 1u);
  const double pulses = num(r.net, "pulses"), verifies = num(r.net, "verify_reads");
  EXPECT_GT(pulses, num(r.net, "cells_written"));  // variation: more than one pulse per cell
  EXPECT_NEAR(num(r.net, "write_verify_ns"), pulses * (p.pulse_latency_ns + p.verify_latency_ns), 1e-6 * pulses);
  // the tile's PROGRAM commands: write-and-verify plus reading the staged levels
  EXPECT_GT(num(r.net, "programming_ns"), num(r.net, "write_verify_ns"));
  EXPECT_NEAR(num(r.net, "programming_energy_pj"), pulses * p.pulse_energy_pj + verifies * p.verify_energy_pj,
              1e-6 * pulses);
  EXPECT_GE(num(r.net, "time_ns"), num(r.net, "programming_ns"));  // the load phase holds it
}

TEST(Network, TooFewCrossbarsSaysHowManyAreNeeded) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("too_small", "fmnist_cnn", 10, "  tiles: 2\n  tile:\n    crossbars: 16\n", kFewCalibrationImages);
  EXPECT_EQ(r.result.code, 2) << r.result.output;
  EXPECT_NE(r.result.output.find("network needs 58 crossbars, the chip has 32 (2 tiles x 16)"), std::string::npos)
      << r.result.output;
  EXPECT_NE(r.result.output.find("network.reprogram: true"), std::string::npos) << r.result.output;
  EXPECT_EQ(r.result.output.find("terminate"), std::string::npos);
}

// The reprogramming baseline: a quarter of the crossbars the CNN needs. The
// compiler splits and groups the layers, the firmware rewrites the crossbars
// between groups for every image, and the logits still equal the golden
// reference's on an ideal device; it costs what the spatial run does not.
TEST(Network, ReprogrammingAQuarterOfTheCrossbarsKeepsTheResults) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun full = run_net("spatial", "fmnist_cnn", 30, "  tiles: 1\n  tile:\n    crossbars: 64\n    ideal_crossbar: true\n",
                                 kFewCalibrationImages);
  const NetRun quarter = run_net("quarter", "fmnist_cnn", 30,
                                 "  tiles: 1\n  tile:\n    crossbars: 16\n    ideal_crossbar: true\n",
                                 kFewCalibrationImages + "  reprogram: true\n");
  ASSERT_EQ(full.result.code, 0) << full.result.output;
  ASSERT_EQ(quarter.result.code, 0) << quarter.result.output;
  EXPECT_EQ(num(full.net, "logits_equal_golden"), 30);
  EXPECT_EQ(num(quarter.net, "logits_equal_golden"), 30);
  EXPECT_EQ(num(full.net, "groups"), 1);
  EXPECT_GT(num(quarter.net, "groups"), 1);
  const auto at = [](const std::string& net, const char* section) { return net.substr(net.find(section)); };
  // the spatial run programs once, in the load phase
  EXPECT_EQ(num(at(full.net, "\"reprogramming\""), "cells_written"), 0);
  EXPECT_EQ(num(at(full.net, "\"load\""), "crossbars_programmed"), 58);
  // the quarter run rewrites about every crossbar of the network per image
  const std::string rq = at(quarter.net, "\"reprogramming\"");
  EXPECT_GE(num(rq, "per_inference_crossbars"), 50.0);
  EXPECT_GT(num(rq, "cells_written"), 0);
  EXPECT_GT(num(rq, "programming_share_of_time_percent"), 50.0);
  EXPECT_GT(num(rq, "programming_share_of_energy_percent"), 0.0);
  const imcvp::CrossbarParams p = imcvp::ideal_crossbar(imcvp::CrossbarParams{});
  EXPECT_NEAR(num(rq, "write_verify_ns"), num(rq, "pulses") * (p.pulse_latency_ns + p.verify_latency_ns),
              1e-6 * num(rq, "pulses"));
  EXPECT_GT(num(quarter.net, "per_inference_ns"), 10 * num(full.net, "per_inference_ns"));
  EXPECT_GT(num(at(quarter.net, "\"energy_per_inference_pj\""), "total"),
            num(at(full.net, "\"energy_per_inference_pj\""), "total"));
}

// Performance estimation keeps every timing and energy event of an
// inference and skips the numbers: on the Fashion-MNIST networks its latency
// and energy per inference agree with the functional run within 1 % with
// the default input density, and within 0.1 % with the density the
// functional run measured. Its image has no cell levels: no programming.
TEST(Network, EstimationAgreesWithFunctionalWithinOnePercent) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const struct {
    const char* net;
    std::string tile;
  } nets[] = {{"fmnist_cnn", "  tiles: 1\n  tile:\n"},
              {"fmnist_mlp", "  tiles: 2\n  tile:\n    crossbars: 128\n"},
              {"fmnist_resnet", "  tiles: 1\n  tile:\n"}};
  for (const auto& n : nets) {
    const NetRun f = run_net(std::string("fun_") + n.net, n.net, 20, n.tile + "    mode: functional\n",
                             kFewCalibrationImages);
    ASSERT_EQ(f.result.code, 0) << f.result.output;
    const double rho = num(f.net, "input_digit_density");
    const NetRun e = run_net(std::string("est_") + n.net, n.net, 20, n.tile + "    mode: estimate\n",
                             kFewCalibrationImages);
    const NetRun m = run_net(std::string("estm_") + n.net, n.net, 20,
                             n.tile + "    mode: estimate\n    estimate_input_density: " + std::to_string(rho) + "\n",
                             kFewCalibrationImages);
    ASSERT_EQ(e.result.code, 0) << e.result.output;
    ASSERT_EQ(m.result.code, 0) << m.result.output;
    EXPECT_NE(e.net.find("\"mode\": \"estimate\""), std::string::npos);
    EXPECT_EQ(e.net.find("platform_percent"), std::string::npos);  // no accuracy without values
    EXPECT_NE(e.net.find("\"crossbars_written\": false"), std::string::npos);
    const double fl = num(f.net, "per_inference_ns"), fe = inference_energy(f);
    EXPECT_NEAR(num(e.net, "per_inference_ns"), fl, 0.01 * fl) << n.net;
    EXPECT_NEAR(inference_energy(e), fe, 0.01 * fe) << n.net;
    EXPECT_NEAR(num(m.net, "per_inference_ns"), fl, 0.001 * fl) << n.net;
    EXPECT_NEAR(inference_energy(m), fe, 0.001 * fe) << n.net;
  }
}

// Spatial mapping with pipelined execution: the CNN's weight layers on four
// tiles of a mesh, one stage each, images streaming through. Same logits as
// the golden reference, more images per second than one image at a time, and
// the report names the stages and the bottleneck (conv1's 784 windows).
TEST(Network, PipelinedCnnStreamsImagesThroughFourTiles) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string chip = "  tiles: 4\n  tile:\n    crossbars: 64\n    ideal_crossbar: true\n  noc: {width: 3, height: 2}\n";
  const NetRun lat = run_net("exec_latency", "fmnist_cnn", 40, chip, kFewCalibrationImages + "  execution: latency\n");
  const NetRun pipe = run_net("exec_pipelined", "fmnist_cnn", 40, chip, kFewCalibrationImages + "  execution: pipelined\n");
  ASSERT_EQ(lat.result.code, 0) << lat.result.output;
  ASSERT_EQ(pipe.result.code, 0) << pipe.result.output;
  EXPECT_EQ(num(pipe.net, "logits_equal_golden"), 40);
  EXPECT_EQ(num(lat.net, "logits_equal_golden"), 40);
  const std::string p = pipe.net.substr(pipe.net.find("\"pipeline\""));
  EXPECT_EQ(num(p, "stages"), 4);
  EXPECT_NE(p.find("\"bottleneck_layer\": \"/features/features.0/Conv\""), std::string::npos) << p;
  EXPECT_GT(num(p, "throughput_per_s"), 1.1 * num(lat.net, "throughput_per_s"));
  EXPECT_GT(num(p, "first_image_latency_ns"), num(p, "interval_ns"));  // an image crosses every stage
  EXPECT_LT(num(p, "interval_ns"), num(lat.net, "per_inference_ns"));
}

// The ResNet's residual adds read tensors from two stages back: pipelined
// execution refuses it with a message instead of computing wrong results.
TEST(Network, PipelinedExecutionRefusesNonChainNetworks) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("exec_resnet", "fmnist_resnet", 5, "  tiles: 4\n  tile:\n    ideal_crossbar: true\n",
                           kFewCalibrationImages + "  execution: pipelined\n");
  EXPECT_EQ(r.result.code, 1) << r.result.output;
  const std::string uart = read_file(r.out / "uart.log");
  EXPECT_NE(uart.find("imcvp runtime: pipelined execution: layer 3 on tile 2 reads a tensor from a tile other than 1"),
            std::string::npos)
      << uart;
}

// Every network run writes summary.csv; `imcvp compare` joins runs into one
// CSV and Markdown table, and names a folder without one.
TEST(Network, CompareJoinsTheRunsIntoOneTable) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun a = run_net("cmp_a", "fmnist_cnn", 5, kIdealOneTile, kFewCalibrationImages);
  const NetRun b = run_net("cmp_b", "fmnist_cnn", 5, "  tiles: 1\n  tile:\n    mode: estimate\n", kFewCalibrationImages);
  ASSERT_EQ(a.result.code, 0) << a.result.output;
  ASSERT_EQ(b.result.code, 0) << b.result.output;
  const fs::path dir = scratch("network_compare");
  const Result c = run(e2e::imcvp().string() + " compare " + a.out.string() + " " + b.out.string() + " --csv " +
                       (dir / "t.csv").string() + " --md " + (dir / "t.md").string());
  ASSERT_EQ(c.code, 0) << c.output;
  const std::string csv = read_file(dir / "t.csv"), md = read_file(dir / "t.md");
  EXPECT_EQ(csv.rfind("scenario,network,technique,mode,execution,groups,images,tiles,crossbars,crossbars_used,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\ncmp_a,fmnist_cnn.onnx,baseline,functional,latency,1,5,1,96,58,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\ncmp_b,fmnist_cnn.onnx,baseline,estimate,latency,1,5,1,96,58,,"), std::string::npos) << csv;  // no accuracy
  EXPECT_NE(md.find("| cmp_a | fmnist_cnn.onnx | baseline | functional | latency |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cmp_b | fmnist_cnn.onnx | baseline | estimate | latency | 1 | 5 | 1 | 96 | 58 | - |"), std::string::npos) << md;
  const Result bad = run(e2e::imcvp().string() + " compare " + a.out.string() + " " + dir.string());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find((dir / "summary.csv").string() + ": cannot read it"), std::string::npos) << bad.output;
}

// A pipeline needs every weight resident: with reprogramming groups the
// platform refuses the scenario before it runs.
TEST(Network, PipelinedExecutionNeedsEveryWeightResident) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const NetRun r = run_net("exec_groups", "fmnist_cnn", 5, "  tiles: 2\n  tile:\n    crossbars: 16\n",
                           kFewCalibrationImages + "  execution: pipelined\n  reprogram: true\n");
  EXPECT_EQ(r.result.code, 2) << r.result.output;
  EXPECT_NE(r.result.output.find("network.execution: a pipeline keeps every weight resident, but the network needs 58 "
                                 "crossbars and the chip has 32"),
            std::string::npos)
      << r.result.output;
}

// A program image damaged after the compiler wrote it: the firmware's CRC
// check rejects it with a message and the run ends with a firmware failure.
// The host reads the image before the run (issue 14, 11): a corrupt image is
// a scenario error naming network.program_image, and nothing runs.
TEST(Network, ACorruptProgramImageIsRefusedBeforeTheRun) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const fs::path dir = scratch("network_corrupt");
  const fs::path img = dir / "cnn.img";
  const Result c = run(e2e::imcvp().string() + " compile " + (source_dir() / "networks/fmnist_cnn.onnx").string() +
                       " --calibration 10 --eval 0 --image " + img.string());
  ASSERT_EQ(c.code, 0) << c.output;
  std::string bytes = read_file(img);
  ASSERT_GT(bytes.size(), 5000u);
  bytes[bytes.size() / 2] ^= 0x10;  // one bit of a crossbar's levels
  write_file(img, bytes);
  const fs::path sc = net_scenario(dir, "corrupt", "fmnist_cnn", 10, "  tiles: 1\n",
                                   kFewCalibrationImages + "  program_image: " + img.string() + "\n");
  const Result r = run_imcvp(sc.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("network.program_image"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad CRC32"), std::string::npos) << r.output;
}

}  // namespace

// ---- ImageNet-family networks (networks/imagenet/generate.py at 32 x 32,
// 10 classes; tests/CMakeLists.txt generates them into build/networks) ----

namespace {

// A scenario of networks/imagenet's `net` on 64 tiles of 128 crossbars (a
// 9 x 8 mesh), synthetic images, `mode` and extra tile fields.
NetRun run_imagenet(const std::string& name, const std::string& net, const std::string& tile_extra,
                    const std::string& network_extra) {
  const fs::path dir = scratch("imagenet_" + name);
  const fs::path onnx = build_dir() / "networks" / (net + "_r32_c10.onnx");
  const fs::path sc = make_scenario(dir, name, firmware("apps/infer.elf"),
                                    "network:\n  onnx: " + onnx.string() +
                                        "\n  dataset: synthetic\n  images: 2\n" + network_extra +
                                        "accelerator:\n  tiles: 64\n  tile:\n    crossbars: 128\n"
                                        "    buffer_size: 1 MiB\n" + tile_extra +
                                        "  noc: {width: 9, height: 8}\nlimits:\n  max_time: 100 s\n");
  NetRun r{run_imcvp(sc.string() + " --quiet"), "", dir / ("out-" + name)};
  if (r.result.code == 0) r.net = network_json(r.out);
  return r;
}

}  // namespace

// MobileNet-v2: depthwise convolutions packed block-diagonally on the
// crossbars, ReLU6, layers split over tiles and gathered by DMA. On an ideal
// device its logits equal the golden reference's; estimation agrees with the
// functional run within 1 % on latency and inference energy.
TEST(ImageNet, MobileNetV2EqualsGoldenAndEstimationAgrees) {
  const NetRun f = run_imagenet("mnv2_fun", "mobilenet_v2", "    ideal_crossbar: true\n", "  calibration_images: 2\n");
  ASSERT_EQ(f.result.code, 0) << f.result.output;
  EXPECT_EQ(num(f.net, "logits_equal_golden"), 2);
  EXPECT_NE(f.net.find("\"labeled\": false"), std::string::npos);
  EXPECT_EQ(f.net.find("platform_percent"), std::string::npos);  // synthetic images have no labels
  const NetRun e = run_imagenet("mnv2_est", "mobilenet_v2", "    ideal_crossbar: true\n    mode: estimate\n    estimate_input_density: " +
                                                                std::to_string(num(f.net, "input_digit_density")) + "\n",
                                "  calibration_images: 0\n");
  ASSERT_EQ(e.result.code, 0) << e.result.output;
  const double fl = num(f.net, "per_inference_ns"), fe = inference_energy(f);
  EXPECT_NEAR(num(e.net, "per_inference_ns"), fl, 0.01 * fl);
  EXPECT_NEAR(inference_energy(e), fe, 0.01 * fe);
}

// DenseNet-121: every Concat is one REQUANT per input into its channel range;
// the BatchNorms that follow a Concat run as depthwise 1x1 convolutions. On
// an ideal device its logits equal the golden reference's.
TEST(ImageNet, DenseNet121EqualsGolden) {
  const NetRun f = run_imagenet("dn121", "densenet121", "    ideal_crossbar: true\n", "  calibration_images: 2\n");
  ASSERT_EQ(f.result.code, 0) << f.result.output;
  EXPECT_EQ(num(f.net, "logits_equal_golden"), 2);
  EXPECT_EQ(num(f.net, "predictions_equal_golden"), 2);
}

// An uncalibrated network (calibration_images: 0) is refused for a
// functional run, at the field.
TEST(ImageNet, UncalibratedFunctionalRunIsRefused) {
  const NetRun f = run_imagenet("uncal", "mobilenet_v2", "", "  calibration_images: 0\n");
  EXPECT_EQ(f.result.code, 2) << f.result.output;
  EXPECT_NE(f.result.output.find("network.calibration_images: 0 (no calibration)"), std::string::npos) << f.result.output;
}

