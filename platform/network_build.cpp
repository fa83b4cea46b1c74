// NetworkBuild (platform/network_build.hpp): compiling the network, the test
// images, the workload memory and the reference thread.
#include "platform/network_build.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "compiler/golden.hpp"
#include "compiler/pipeline.hpp"
#include "platform/platform.hpp"

namespace imcvp {

namespace {

uint32_t align_up(uint64_t v, uint64_t a) { return static_cast<uint32_t>((v + a - 1) / a * a); }

}  // namespace

NetworkBuild::NetworkBuild(const Scenario& s, const compiler::ChipResources& chip, const std::atomic<bool>* stop)
    : sc(s), cfg(s.network) {
  auto fail = [&](const std::string& field, const std::string& what) -> PlatformError {
    return PlatformError(scenario_field_message(sc, field, what));
  };
  compiler::CompileOptions opt = cfg.compile;
  opt.eval_images = 0;
  opt.stop = stop;  // a ctrl-C ends the compile (CompileInterrupted, not a PassError: passed on)
  // The compiler pipeline (compiler/pipeline.hpp), the same as `imcvp compile`.
  compiler::PipelineOptions po;
  po.compile = opt;
  po.chip = chip;
  po.placement.reprogram = cfg.reprogram;
  po.placement.spread = cfg.pipelined;
  po.basisn = cfg.basisn;
  po.sme = cfg.sme;
  // Performance estimation computes no values: an image without cell
  // levels, whose PROGRAM records carry the cells they change instead.
  po.image.levels = !s.accelerator.estimate;
  po.image.reuse_buffers = !cfg.pipelined;
  std::vector<compiler::Pass> passes = compiler::default_passes(po);
  if (!cfg.program_image.empty()) compiler::remove_pass(passes, "serialize");  // loaded below instead
  compiler::CompileState state;
  state.options = po;
  try {
    compiler::run_passes(state, passes);
  } catch (const compiler::PassError& e) {
    // the dataset's own errors name its files (compiler/fmnist.cpp)
    const std::string& dir = cfg.compile.dataset_dir;
    if (e.pass == "quantize" && opt.dataset != compiler::kDatasetSynthetic && !dir.empty() &&
        std::string(e.what()).rfind(dir, 0) == 0)
      throw fail("network.dataset", e.what());
    if (e.pass == "import" || e.pass == "quantize" || e.pass == "hybrid-fuse") throw fail("network.onnx", e.what());
    if (e.pass == "hybrid-quantize") {
      // the chip's SRAM compensation block (missing, too small), else the network's branches
      const bool block = std::string(e.what()).find("(accelerator.tile.sram_comp)") != std::string::npos;
      throw fail(block ? "accelerator.tile" : "network.onnx", e.what());
    }
    if (e.pass == "basisn") throw fail(cfg.basisn.count ? "network.basisn" : "network.onnx", e.what());
    if (std::string(e.what()).find("(accelerator.tile.basis_scaler") != std::string::npos ||
        std::string(e.what()).find("(accelerator.tile.splice") != std::string::npos)
      throw fail("accelerator.tile", e.what());
    if (e.pass == "sme" || std::string(e.what()).rfind("network.sme", 0) == 0) throw fail("network.sme", e.what());
    throw fail("network", std::string(e.what()) + " (accelerator.tiles and accelerator.tile set the chip" +
                              (cfg.reprogram || cfg.sme.enabled
                                   ? ")"
                                   : "; network.reprogram: true rewrites the crossbars between layer groups)"));
  }
  compiled = std::move(state.report);
  placement = std::move(state.placement);
  image = std::move(state.image);
  const compiler::QuantizedNetwork& q = compiled.network;
  if (cfg.pipelined && placement.groups > 1)
    throw fail("network.execution", "a pipeline keeps every weight resident, but the network needs " +
                                        std::to_string(placement.crossbars_needed) + " crossbars and the chip has " +
                                        std::to_string(chip.total_crossbars()) + " (it would run in " +
                                        std::to_string(placement.groups) + " reprogramming groups)");
  std::vector<uint8_t> image_bytes = std::move(state.image_bytes);
  // The workload memory holds the program image after its 64-byte header
  // (and the images after it): an image that cannot fit is the image's fault.
  const uint64_t max_image = IMCVP_WORKLOAD_MAX_SIZE - 64;
  if (!cfg.program_image.empty()) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(cfg.program_image, ec);
    if (ec) throw fail("network.program_image", "cannot read " + cfg.program_image + ": " + ec.message());
    if (size > max_image)
      throw fail("network.program_image", cfg.program_image + " is " + std::to_string(size) +
                                              " bytes; the workload memory holds at most " +
                                              std::to_string(max_image) + " bytes of program image");
    std::ifstream f(cfg.program_image, std::ios::binary);
    if (!f) throw fail("network.program_image", "cannot read " + cfg.program_image);
    image_bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    // Checked here, as the firmware would (magic, version, size, CRC,
    // offsets, records): a corrupt image is a scenario error, not a run.
    try {
      (void)compiler::read_program_image(image_bytes);
    } catch (const std::exception& e) {
      throw fail("network.program_image", cfg.program_image + ": " + e.what());
    }
  } else if (image_bytes.size() > max_image) {
    throw fail("network", "the program image is " + std::to_string(image_bytes.size()) +
                              " bytes; the workload memory holds at most " + std::to_string(max_image) +
                              " (accelerator.tiles and accelerator.tile set the chip)");
  }

  // workload memory layout (imcvp/workload.h)
  // (sized first: the images are read only once they fit)
  const compiler::Shape in_shape = q.net.input_shape();
  const size_t isz = in_shape.size();
  classes = unsigned(q.net.tensors.at(size_t(q.net.output)).shape.size());
  imcvp_workload& h = header;
  h.magic = IMCVP_WORKLOAD_MAGIC;
  h.version = IMCVP_WORKLOAD_VERSION;
  h.header_bytes = sizeof h;
  h.image_off = 64;
  h.image_bytes = uint32_t(image_bytes.size());
  h.input_off = align_up(uint64_t{h.image_off} + h.image_bytes, 64);
  h.input_count = cfg.images;
  h.input_bytes = uint32_t(isz);
  h.input_stride = align_up(isz, 4);
  h.result_off = align_up(uint64_t{h.input_off} + uint64_t{h.input_count} * h.input_stride, 64);
  h.classes = classes;
  h.result_stride = uint32_t(sizeof(imcvp_result) + 4u * classes);
  h.flags = cfg.pipelined ? IMCVP_WORKLOAD_PIPELINED : 0;
  const uint64_t total = uint64_t{h.result_off} + uint64_t{h.input_count} * h.result_stride;
  if (total > IMCVP_WORKLOAD_MAX_SIZE)
    throw fail("network.images", std::to_string(cfg.images) + " images need " + std::to_string(total) +
                                     " bytes of workload memory, which holds at most " +
                                     std::to_string(IMCVP_WORKLOAD_MAX_SIZE));
  compiler::ImageSet all;
  if (opt.dataset == compiler::kDatasetSynthetic) {
    // the test images: the stream after the calibration images' (compile.hpp)
    all = compiler::make_random_images(in_shape.c, in_shape.h, in_shape.w, size_t{cfg.first_image} + cfg.images,
                                       opt.synthetic_seed + 1);
  } else {
    try {
      all = compiler::load_fashion_mnist(compiler::Split::Test, size_t{cfg.first_image} + cfg.images,
                                         cfg.compile.dataset_dir);
    } catch (const std::exception& e) {
      throw fail("network.dataset", e.what());
    }
  }
  if (all.image_size() != isz)
    throw fail("network.onnx", "the network takes " + q.net.input_shape().str() + " inputs, the images are " +
                                   std::to_string(all.channels) + "x" + std::to_string(all.height) + "x" +
                                   std::to_string(all.width));
  images.channels = all.channels;
  images.height = all.height;
  images.width = all.width;
  images.pixels.assign(all.pixels.begin() + std::ptrdiff_t(cfg.first_image * isz),
                       all.pixels.begin() + std::ptrdiff_t((cfg.first_image + cfg.images) * isz));
  if (all.has_labels())
    images.labels.assign(all.labels.begin() + cfg.first_image, all.labels.begin() + cfg.first_image + cfg.images);

  workload.assign(align_up(total, 4096), 0);
  std::memcpy(workload.data(), &h, sizeof h);
  if (!image_bytes.empty())  // data() of an empty vector may be null, which memcpy must not get
    std::memcpy(workload.data() + h.image_off, image_bytes.data(), image_bytes.size());
  for (size_t i = 0; i < images.count(); ++i)
    std::memcpy(workload.data() + h.input_off + i * h.input_stride, images.image(i), isz);

  for (size_t i = 0; i < q.net.layers.size(); ++i)
    cells_used += compiler::cells_used(q.net.layers[i], chip.crossbar);
  cells_used += compiler::basisn_summary(q, chip.crossbar).basis_cells;  // BasisN: the basis, once
  cells_used += compiler::sme_summary(q).nonzero_cells;                  // SME: the ones it stores

  // In performance estimation the tiles compute no values: no accuracy to
  // compare with, so no references either.
  estimate = s.accelerator.estimate;
  if (cfg.reference && !estimate) reference_thread_ = std::thread([this] { run_references(); });
}

NetworkBuild::~NetworkBuild() { join_references(); }

void NetworkBuild::join_references() {
  if (reference_thread_.joinable()) reference_thread_.join();
}

void NetworkBuild::run_references() {
  const compiler::QuantizedNetwork& q = compiled.network;
  compiler::GoldenModel golden(q);
  compiler::FloatModel flt(q.net);
  golden_logits.resize(images.count() * classes);
  golden_pred.resize(images.count());
  float_pred.resize(images.count());
  for (size_t i = 0; i < images.count() && i < reference_limit_.load(std::memory_order_relaxed); ++i) {
    const std::vector<int32_t>& g = golden.run(images.image(i));
    std::copy(g.begin(), g.end(), golden_logits.begin() + std::ptrdiff_t(i * classes));
    golden_pred[i] = compiler::argmax(g);
    float_pred[i] = compiler::argmax(flt.run(images.image(i)));
  }
}

}  // namespace imcvp
