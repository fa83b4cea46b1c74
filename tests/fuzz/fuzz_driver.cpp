// A seeded mutation loop for the fuzz targets (tests/fuzz/fuzz_*.cpp), for
// compilers without libFuzzer (Debian's g++). Each target defines
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// (libFuzzer's entry point: the same file links with clang -fsanitize=fuzzer
// too). This driver runs every seed of the corpus once, then mutates them:
// bit flips, random and "interesting" bytes and words, inserted, erased and
// repeated ranges, and splices between seeds. The same --seed gives the same
// inputs, so a finding reproduces. Built with ASan and UBSan (scripts/test
// --sanitize) a memory error aborts the run; the input that caused it, or an
// unexpected exception or signal, is written to crash-<target>-<n>.bin in
// the current folder. Usage and longer runs: docs/testing.md.
//
//   fuzz_<target> [--runs N] [--seconds S] [--seed X] [--max-len BYTES]
//                 [--timeout S] [--out DIR] CORPUS_DIR_OR_FILE... | --replay FILE...
//
// --runs: mutated inputs (default 1000); --seconds: run this long instead;
// --timeout: seconds one input may take (default 20) before it counts as a
// hang and is saved.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash handlers (plain globals: they read it
// from a signal handler).
const uint8_t* g_data = nullptr;
size_t g_size = 0;
char g_crash_path[4096] = "crash.bin";

void save_current_input() {
  if (!g_data) return;
  const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < g_size) {
    const ssize_t n = write(fd, g_data + done, g_size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  const char msg[] = "fuzz: the input is saved in ";
  (void)!write(2, msg, sizeof msg - 1);
  (void)!write(2, g_crash_path, strlen(g_crash_path));
  (void)!write(2, "\n", 1);
}

void on_signal(int sig) {
  save_current_input();
  signal(sig, SIG_DFL);
  raise(sig);
}

void on_alarm(int) {
  const char msg[] = "fuzz: an input ran past --timeout seconds (a hang?)\n";
  (void)!write(2, msg, sizeof msg - 1);
  save_current_input();
  _exit(1);
}

void on_terminate() {
  std::fprintf(stderr, "fuzz: an exception the target does not expect escaped it\n");
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: %s\n", e.what());
  } catch (...) {
  }
  save_current_input();
  std::_Exit(1);
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len, const std::vector<std::vector<uint8_t>>& corpus)
      : rng_(seed), max_len_(max_len), corpus_(corpus) {}

  std::vector<uint8_t> next() {
    std::vector<uint8_t> b = corpus_[pick(corpus_.size())];
    const unsigned edits = 1 + static_cast<unsigned>(pick(8));
    for (unsigned i = 0; i < edits; ++i) mutate(b);
    if (b.size() > max_len_) b.resize(max_len_);
    return b;
  }

 private:
  size_t pick(size_t n) { return n ? static_cast<size_t>(rng_() % n) : 0; }

  void mutate(std::vector<uint8_t>& b) {
    static const uint32_t kWords[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                      0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0};
    static const char* const kTexts[] = {"0", "-1", "1e308", "nan", "inf", "\"", "'", ":", "- ",
                                         "\n", "  ", "{", "}", "[", "]", "&a", "*a", "#", "\\",
                                         "0x", "4294967296", "18446744073709551616", "${", "~"};
    switch (b.empty() ? 3 : pick(10)) {
      case 0:  // flip a bit
        b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // a random byte
        b[pick(b.size())] = static_cast<uint8_t>(rng_());
        break;
      case 2: {  // an interesting little-endian word, 1, 2 or 4 bytes
        const uint32_t w = kWords[pick(std::size(kWords))];
        const size_t len = size_t{1} << pick(3);
        const size_t at = pick(b.size());
        for (size_t i = 0; i < len && at + i < b.size(); ++i) b[at + i] = static_cast<uint8_t>(w >> (8 * i));
        break;
      }
      case 3: {  // insert random bytes or a token
        const size_t at = pick(b.size() + 1);
        if (pick(2)) {
          const std::string t = kTexts[pick(std::size(kTexts))];
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), t.begin(), t.end());
        } else {
          std::vector<uint8_t> r(1 + pick(8));
          for (auto& c : r) c = static_cast<uint8_t>(rng_());
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), r.begin(), r.end());
        }
        break;
      }
      case 4: {  // erase a range
        const size_t at = pick(b.size());
        const size_t len = 1 + pick(std::min<size_t>(b.size() - at, 64));
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), at + len)));
        break;
      }
      case 5: {  // repeat a range
        const size_t at = pick(b.size());
        const size_t len = 1 + pick(std::min<size_t>(b.size() - at, 64));
        const std::vector<uint8_t> r(b.begin() + static_cast<std::ptrdiff_t>(at),
                                     b.begin() + static_cast<std::ptrdiff_t>(at + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), r.begin(), r.end());
        break;
      }
      case 6: {  // splice a range of another seed
        const std::vector<uint8_t>& o = corpus_[pick(corpus_.size())];
        if (o.empty()) break;
        const size_t from = pick(o.size());
        const size_t len = 1 + pick(std::min<size_t>(o.size() - from, 256));
        const size_t at = pick(b.size() + 1);
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), o.begin() + static_cast<std::ptrdiff_t>(from),
                 o.begin() + static_cast<std::ptrdiff_t>(from + len));
        break;
      }
      case 7:  // truncate
        b.resize(pick(b.size() + 1));
        break;
      case 8: {  // a digit or a character becomes another
        const size_t at = pick(b.size());
        b[at] = static_cast<uint8_t>("0123456789-.eE x:\"'"[pick(19)]);
        break;
      }
      default: {  // a 32-bit field += small delta
        if (b.size() < 4) break;
        const size_t at = pick(b.size() - 3);
        uint32_t w;
        std::memcpy(&w, &b[at], 4);
        w += static_cast<uint32_t>(static_cast<int>(pick(33)) - 16);
        std::memcpy(&b[at], &w, 4);
      }
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
  const std::vector<std::vector<uint8_t>>& corpus_;
};

unsigned g_timeout_s = 20;

void run_one(const std::vector<uint8_t>& b) {
  g_data = b.data();
  g_size = b.size();
  alarm(g_timeout_s);
  LLVMFuzzerTestOneInput(b.empty() ? reinterpret_cast<const uint8_t*>("") : b.data(), b.size());
  alarm(0);
  g_data = nullptr;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--runs N] [--seconds S] [--seed X] [--max-len BYTES] [--timeout S] [--out DIR] "
               "CORPUS_DIR_OR_FILE...\n       %s --replay FILE...\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t runs = 1000, seed = 1;
  double seconds = 0;
  size_t max_len = 1 << 20;
  bool replay = false;
  fs::path out = ".";
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--runs" && (v = next())) runs = std::strtoull(v, nullptr, 0);
    else if (a == "--seconds" && (v = next())) seconds = std::strtod(v, nullptr);
    else if (a == "--seed" && (v = next())) seed = std::strtoull(v, nullptr, 0);
    else if (a == "--max-len" && (v = next())) max_len = std::strtoull(v, nullptr, 0);
    else if (a == "--out" && (v = next())) out = v;
    else if (a == "--timeout" && (v = next())) g_timeout_s = static_cast<unsigned>(std::strtoul(v, nullptr, 0));
    else if (a == "--replay") replay = true;
    else if (!a.empty() && a[0] == '-') return usage(argv[0]);
    else inputs.emplace_back(a);
  }
  if (inputs.empty()) return usage(argv[0]);

  const std::string target = fs::path(argv[0]).filename().string();
  std::set_terminate(on_terminate);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, on_signal);
  signal(SIGALRM, on_alarm);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(save_current_input);
#endif

  // The corpus: every regular file of the folders (sorted: the same order on
  // every machine) and the files named.
  std::vector<fs::path> files;
  for (const fs::path& p : inputs) {
    if (fs::is_directory(p)) {
      std::vector<fs::path> dir;
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file()) dir.push_back(e.path());
      std::sort(dir.begin(), dir.end());
      files.insert(files.end(), dir.begin(), dir.end());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: no such file or folder: %s\n", target.c_str(), p.c_str());
      return 2;
    }
  }
  std::vector<std::vector<uint8_t>> corpus;
  for (const fs::path& f : files) corpus.push_back(read_bytes(f));
  if (corpus.empty()) corpus.emplace_back();

  std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%s-seed.bin", out.c_str(), target.c_str());
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (replay) std::fprintf(stderr, "%s: %s\n", target.c_str(), files[i].c_str());
    run_one(corpus[i]);
  }
  if (replay) return 0;

  Mutator m(seed, max_len, corpus);
  const auto start = std::chrono::steady_clock::now();
  uint64_t n = 0;
  for (; seconds > 0 || n < runs; ++n) {
    if (seconds > 0 && n % 64 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds)
      break;
    std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%s-%llu.bin", out.c_str(), target.c_str(),
                  static_cast<unsigned long long>(n));
    run_one(m.next());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu seeds and %llu mutated inputs (seed %llu) in %.1f s, no crash\n", target.c_str(),
              corpus.size(), static_cast<unsigned long long>(n), static_cast<unsigned long long>(seed), s);
  return 0;
}
