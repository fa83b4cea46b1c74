// Images for calibration and accuracy runs: the Fashion-MNIST reader and
// synthetic (random) images for networks without a dataset here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace imcvp::compiler {

// A set of uint8 images of one size (CHW, channels-major), with their labels
// or without (synthetic images: labels empty).
struct ImageSet {
  int channels = 1, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  // count() * image_size()
  std::vector<std::uint8_t> labels;  // count() labels, or empty: no labels
  std::size_t image_size() const { return std::size_t(channels) * std::size_t(height) * std::size_t(width); }
  // The number of images: pixels.size() / image_size().
  std::size_t count() const { return image_size() ? pixels.size() / image_size() : 0; }
  bool has_labels() const { return !labels.empty(); }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_size(); }
};

// `count` unlabeled images of channels x height x width pixels drawn
// uniformly from 0..255: std::mt19937_64 seeded with `seed`, one 64-bit draw
// per pixel in CHW order, image after image, the pixel being the draw's top
// byte (draw >> 56). std::mt19937_64 is fully specified by the C++ standard,
// so every machine gives the same images. Throws CompileError on a
// non-positive size.
ImageSet make_random_images(int channels, int height, int width, std::size_t count, std::uint64_t seed);

// Where Debian's dataset-fashion-mnist installs the IDX files.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

enum class Split { Train, Test };

// Reads the IDX image and label files of one split from `dir`
// (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...);
// gzipped or not. At most `max_count` images (0: all). Throws CompileError
// naming the file when it is missing or malformed.
ImageSet load_fashion_mnist(Split split, std::size_t max_count = 0, const std::string& dir = kFashionMnistDir);

// One IDX file (magic 0x0801 labels or 0x0803 images), gzipped or not:
// dims and the raw bytes. Exposed for tests.
struct IdxFile {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};
IdxFile read_idx(const std::string& path, std::size_t max_items = 0);

// The ten Fashion-MNIST class names, by label.
const char* fashion_mnist_class(int label);

}  // namespace imcvp::compiler
