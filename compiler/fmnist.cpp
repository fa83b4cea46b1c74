#include "compiler/fmnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include <sys/stat.h>

#include "compiler/network.hpp"

namespace imcvp::compiler {

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// gzread reads plain files as they are, so one reader serves both.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw CompileError(path + ": cannot open the file");
  }
  ~GzReader() { gzclose(f_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;
  void read(void* dst, std::size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const unsigned chunk = unsigned(std::min<std::size_t>(n, 1u << 30));
      const int got = gzread(f_, p, chunk);
      if (got < 0) {
        int err = 0;
        throw CompileError(path_ + ": read error (" + gzerror(f_, &err) + ")");
      }
      if (got == 0) throw CompileError(path_ + ": the file ends early (truncated IDX data)");
      p += got;
      n -= std::size_t(got);
    }
  }
  std::uint32_t be32() {
    unsigned char b[4];
    read(b, 4);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
  }

 private:
  std::string path_;
  gzFile f_;
};

}  // namespace

IdxFile read_idx(const std::string& path, std::size_t max_items) {
  GzReader r(path);
  const std::uint32_t magic = r.be32();
  if ((magic >> 8) != 0x08)
    throw CompileError(path + ": not an IDX file of unsigned bytes (magic 0x" + [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%08x", magic);
      return std::string(buf);
    }() + ")");
  const unsigned rank = magic & 0xff;
  if (rank < 1 || rank > 4) throw CompileError(path + ": IDX rank " + std::to_string(rank) + " is not supported");
  IdxFile f;
  for (unsigned i = 0; i < rank; ++i) f.dims.push_back(r.be32());
  if (max_items && f.dims[0] > max_items) f.dims[0] = std::uint32_t(max_items);
  std::size_t n = 1;
  for (auto d : f.dims) n *= d;
  if (n > (std::size_t(1) << 32)) throw CompileError(path + ": IDX dimensions are implausibly large");
  f.data.resize(n);
  r.read(f.data.data(), n);
  return f;
}

ImageSet load_fashion_mnist(Split split, std::size_t max_count, const std::string& dir) {
  const std::string stem = split == Split::Train ? "train" : "t10k";
  auto find = [&](const std::string& base) {
    const std::string p = dir + "/" + base;
    if (exists(p + ".gz")) return p + ".gz";
    if (exists(p)) return p;
    throw CompileError(p + ".gz: no such file (Fashion-MNIST comes from Debian's dataset-fashion-mnist; "
                       "scripts/setup installs it)");
  };
  const std::string ipath = find(stem + "-images-idx3-ubyte");
  const std::string lpath = find(stem + "-labels-idx1-ubyte");
  IdxFile images = read_idx(ipath, max_count);
  IdxFile labels = read_idx(lpath, max_count);
  if (images.dims.size() != 3) throw CompileError(ipath + ": expected a 3-D IDX file (count x rows x cols)");
  if (labels.dims.size() != 1) throw CompileError(lpath + ": expected a 1-D IDX file (labels)");
  if (images.dims[0] != labels.dims[0])
    throw CompileError(ipath + ": " + std::to_string(images.dims[0]) + " images but " + lpath + " has " +
                       std::to_string(labels.dims[0]) + " labels");
  ImageSet set;
  set.channels = 1;
  set.height = int(images.dims[1]);
  set.width = int(images.dims[2]);
  set.pixels = std::move(images.data);
  set.labels = std::move(labels.data);
  for (auto l : set.labels)
    if (l > 9) throw CompileError(lpath + ": label " + std::to_string(l) + " is out of range 0..9");
  return set;
}

ImageSet make_random_images(int channels, int height, int width, std::size_t count, std::uint64_t seed) {
  if (channels <= 0 || height <= 0 || width <= 0)
    throw CompileError("synthetic images: size " + std::to_string(channels) + "x" + std::to_string(height) + "x" +
                       std::to_string(width) + " is not positive");
  ImageSet set;
  set.channels = channels;
  set.height = height;
  set.width = width;
  set.pixels.resize(count * set.image_size());
  std::mt19937_64 rng(seed);
  for (auto& p : set.pixels) p = std::uint8_t(rng() >> 56);
  return set;
}

const char* fashion_mnist_class(int label) {
  static const char* names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return label >= 0 && label < 10 ? names[label] : "?";
}

}  // namespace imcvp::compiler
