// The front end of the compiler: import an ONNX network, quantize it with
// calibration images (the Fashion-MNIST training set, or synthetic random
// images for networks without a dataset here), and measure the float and
// golden (integer) top-1 accuracy on the first N test images (synthetic
// images have no labels: only the float/golden agreement is measured).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include "compiler/fmnist.hpp"
#include "compiler/network.hpp"
#include "compiler/quantize.hpp"

namespace imcvp::compiler {

// CompileOptions::dataset values.
constexpr const char* kDatasetFashionMnist = "fashion-mnist";
constexpr const char* kDatasetSynthetic = "synthetic";

struct CompileOptions {
  std::string onnx_path;
  // "fashion-mnist": the IDX files in dataset_dir. "synthetic": random
  // unlabeled images of the network's input shape (make_random_images):
  // calibration images from seed synthetic_seed, test images from
  // synthetic_seed + 1.
  std::string dataset = kDatasetFashionMnist;
  std::string dataset_dir = kFashionMnistDir;
  std::uint64_t synthetic_seed = 1;
  QuantizeOptions quant;
  // The first N training images. 0: no calibration (quantize_uncalibrated):
  // the network is only good for performance estimation and its
  // QuantizedNetwork::calibrated is false.
  std::size_t calibration_images = 1000;
  std::size_t eval_images = 10000;        // the first N test images (0: no evaluation)
  std::optional<float> input_mean;        // override the model's imcvp.input_mean
  std::optional<float> input_std;         // override the model's imcvp.input_std
  unsigned threads = 0;                   // evaluation threads (0: all cores)
  // A stop request (not owned; null: none): set, the pipeline stops between
  // passes and inside its long loops with CompileInterrupted (network.hpp).
  const std::atomic<bool>* stop = nullptr;
};

struct Accuracy {
  std::size_t images = 0;
  bool labeled = true;  // false: unlabeled images, only `agree` is counted
  std::size_t float_correct = 0;
  std::size_t golden_correct = 0;
  std::size_t agree = 0;  // images where float and golden predict the same class
  double agree_percent() const { return images ? 100.0 * double(agree) / double(images) : 0.0; }
  double float_percent() const { return images ? 100.0 * double(float_correct) / double(images) : 0.0; }
  double golden_percent() const { return images ? 100.0 * double(golden_correct) / double(images) : 0.0; }
};

struct CompileReport {
  QuantizedNetwork network;
  std::string dataset;  // CompileOptions::dataset
  std::size_t calibration_images = 0;
  Accuracy accuracy;
  double import_seconds = 0, quantize_seconds = 0, evaluate_seconds = 0;
};

// The front of the pipeline (compiler/pipeline.hpp): the passes import,
// quantize and (eval_images > 0) evaluate.
CompileReport compile(const CompileOptions& options);

// The steps those passes run, one definition each.
// import_onnx + the input normalisation overrides; checks the dataset and
// calibration options.
FloatNetwork import_network(const CompileOptions& options);
// The first `count` images of `split` of options.dataset for a network input `in`.
ImageSet compile_images(const CompileOptions& options, const Shape& in, Split split, std::size_t count);
// Calibrates on the first calibration_images training images (0: uncalibrated);
// sets calibration_images to the count used.
QuantizedNetwork quantize_network(FloatNetwork net, const CompileOptions& options, std::size_t& calibration_images);
// The accuracy on the first eval_images test images.
Accuracy evaluate_network(const QuantizedNetwork& qnet, const CompileOptions& options);

// Top-1 accuracy of the float network and of the golden reference on the
// first `count` images of `images` (0: all), over `threads` threads (0: all
// cores). Unlabeled images (!images.has_labels()): only `agree` is counted
// and `labeled` is false. Throws CompileError for an uncalibrated network,
// CompileInterrupted when `stop` is set (checked per image).
Accuracy evaluate(const QuantizedNetwork& qnet, const ImageSet& images, std::size_t count = 0, unsigned threads = 0,
                  const std::atomic<bool>* stop = nullptr);

// One line per layer: kind, shapes, kernel, weights, MACs, formats and scales.
void print_layer_summary(std::ostream& os, const QuantizedNetwork& qnet);
// The summary plus calibration and accuracy figures.
void print_report(std::ostream& os, const CompileReport& report);

}  // namespace imcvp::compiler
