// ELF loader: one valid hand-built image (segments, bss, symbols), each error
// with its message, a fuzz pass (mutations and truncations never crash), and,
// when the RISC-V cross compiler is installed, a real assembled program.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "platform/elf_loader.hpp"

using namespace imcvp;
namespace fs = std::filesystem;

namespace {

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = uint8_t(v);
  b[off + 1] = uint8_t(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}

// Offsets in the image built below.
constexpr size_t kPhoff = 52, kText = 148, kData = 156, kStrtab = 160;  // 3 program headers
constexpr uint32_t kEntry = 0x80000000, kDataAddr = 0x80001000;

// A small valid RV32 executable: a text segment (8 bytes), a data segment
// (4 file bytes, 16 in memory: 12 bytes of bss), a PT_NOTE, and a symbol
// table with main, tohost, __stack (absolute) and a local.
std::vector<uint8_t> valid_image() {
  const std::string strtab = std::string("\0main\0tohost\0__stack\0helper\0", 28);
  const size_t symtab = (kStrtab + strtab.size() + 3) & ~size_t(3);
  const size_t nsyms = 6;
  const size_t shoff = symtab + nsyms * 16;
  std::vector<uint8_t> b(shoff + 3 * 40, 0);

  // ELF header
  b[0] = 0x7f; b[1] = 'E'; b[2] = 'L'; b[3] = 'F';
  b[4] = 1; b[5] = 1; b[6] = 1;
  put16(b, 16, 2);    // ET_EXEC
  put16(b, 18, 243);  // EM_RISCV
  put32(b, 20, 1);
  put32(b, 24, kEntry);
  put32(b, 28, kPhoff);
  put32(b, 32, uint32_t(shoff));
  put16(b, 40, 52);
  put16(b, 42, 32);
  put16(b, 44, 3);
  put16(b, 46, 40);
  put16(b, 48, 3);
  put16(b, 50, 0);

  auto phdr = [&](int i, uint32_t type, uint32_t off, uint32_t addr, uint32_t filesz,
                  uint32_t memsz, uint32_t flags) {
    const size_t p = kPhoff + 32 * i;
    put32(b, p, type);
    put32(b, p + 4, off);
    put32(b, p + 8, addr);
    put32(b, p + 12, addr);
    put32(b, p + 16, filesz);
    put32(b, p + 20, memsz);
    put32(b, p + 24, flags);
    put32(b, p + 28, 4);
  };
  phdr(0, 1, kText, kEntry, 8, 8, 5);       // PT_LOAD R+X
  phdr(1, 4, kText, 0, 0, 0, 4);            // PT_NOTE (ignored)
  phdr(2, 1, kData, kDataAddr, 4, 16, 6);   // PT_LOAD R+W with bss
  for (int i = 0; i < 8; ++i) b[kText + i] = uint8_t(0x10 + i);
  for (int i = 0; i < 4; ++i) b[kData + i] = uint8_t(0xa0 + i);
  std::copy(strtab.begin(), strtab.end(), b.begin() + kStrtab);

  auto sym = [&](int i, uint32_t name, uint32_t value, uint8_t info, uint16_t shndx) {
    const size_t s = symtab + 16 * i;
    put32(b, s, name);
    put32(b, s + 4, value);
    b[s + 12] = info;
    put16(b, s + 14, shndx);
  };
  // (index 0 is the null symbol)
  sym(1, 1, kEntry + 4, 0x12, 1);        // main: GLOBAL FUNC
  sym(2, 6, kDataAddr, 0x11, 2);         // tohost: GLOBAL OBJECT
  sym(3, 13, 0x80010000, 0x10, 0xfff1);  // __stack: GLOBAL NOTYPE ABS
  sym(4, 21, kEntry, 0x02, 1);           // helper: LOCAL FUNC
  sym(5, 1, 0x1234, 0x02, 1);            // a local "main" must not win over the global

  // Section headers: null, .symtab (link 2), .strtab
  const size_t sh1 = shoff + 40, sh2 = shoff + 80;
  put32(b, sh1 + 4, 2);
  put32(b, sh1 + 16, uint32_t(symtab));
  put32(b, sh1 + 20, uint32_t(nsyms * 16));
  put32(b, sh1 + 24, 2);
  put32(b, sh1 + 36, 16);
  put32(b, sh2 + 4, 3);
  put32(b, sh2 + 16, kStrtab);
  put32(b, sh2 + 20, uint32_t(strtab.size()));
  return b;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("imcvp_test_elf_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// The ElfError message of loading `bytes` from a file, or "" when it loads.
std::string error_of(const std::vector<uint8_t>& bytes, std::string* path_out = nullptr) {
  TempDir dir;
  const std::string path = dir.file("image.elf", bytes);
  if (path_out) *path_out = path;
  try {
    load_elf(path);
  } catch (const ElfError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

TEST(ElfLoader, LoadsAValidImage) {
  TempDir dir;
  const std::string path = dir.file("ok.elf", valid_image());
  const ElfImage img = load_elf(path);
  EXPECT_EQ(img.path, path);
  EXPECT_EQ(img.entry, kEntry);
  ASSERT_EQ(img.segments.size(), 2u);
  const ElfSegment& text = img.segments[0];
  EXPECT_EQ(text.paddr, kEntry);
  EXPECT_EQ(text.vaddr, kEntry);
  EXPECT_EQ(text.memsz, 8u);
  EXPECT_EQ(text.flags, 5u);
  EXPECT_EQ(text.data, (std::vector<uint8_t>{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17}));
  const ElfSegment& data = img.segments[1];
  EXPECT_EQ(data.paddr, kDataAddr);
  EXPECT_EQ(data.memsz, 16u);  // 12 bytes of bss to zero
  EXPECT_EQ(data.data, (std::vector<uint8_t>{0xa0, 0xa1, 0xa2, 0xa3}));

  EXPECT_EQ(img.symbol("main"), std::optional<uint64_t>(kEntry + 4));
  EXPECT_EQ(img.symbol("tohost"), std::optional<uint64_t>(kDataAddr));
  EXPECT_EQ(img.symbol("__stack"), std::optional<uint64_t>(0x80010000));
  EXPECT_EQ(img.symbol("helper"), std::optional<uint64_t>(kEntry));
  EXPECT_FALSE(img.symbol("nope").has_value());
  EXPECT_EQ(img.symbols.size(), 4u);
}

TEST(ElfLoader, StrippedImageLoadsWithoutSymbols) {
  auto b = valid_image();
  put32(b, 32, 0);  // e_shoff
  put16(b, 48, 0);  // e_shnum
  const ElfImage img = parse_elf(b, "stripped.elf");
  EXPECT_EQ(img.segments.size(), 2u);
  EXPECT_TRUE(img.symbols.empty());
}

TEST(ElfLoader, CannotOpen) {
  const std::string path = "/nonexistent/dir/firmware.elf";
  try {
    load_elf(path);
    FAIL();
  } catch (const ElfError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": cannot open", 0), 0u) << e.what();
  }
  TempDir dir;
  try {
    load_elf(dir.path().string());
    FAIL();
  } catch (const ElfError& e) {
    EXPECT_CONTAINS(e.what(), "cannot open");
    EXPECT_CONTAINS(e.what(), dir.path().string());
  }
}

TEST(ElfLoader, NotAnElfFile) {
  std::string path;
  const std::string text = "#!/bin/sh\necho not an elf\n";
  const std::string msg = error_of(std::vector<uint8_t>(text.begin(), text.end()), &path);
  EXPECT_EQ(msg, path + ": not an ELF file (bad magic)");
  EXPECT_CONTAINS(error_of({}), "not an ELF file");
  EXPECT_CONTAINS(error_of({0x7f, 'E', 'L'}), "not an ELF file");
}

TEST(ElfLoader, Not32Bit) {
  auto b = valid_image();
  b[4] = 2;
  EXPECT_CONTAINS(error_of(b), "not a 32-bit ELF file (it is 64-bit)");
}

TEST(ElfLoader, NotLittleEndian) {
  auto b = valid_image();
  b[5] = 2;
  EXPECT_CONTAINS(error_of(b), "not a little-endian ELF file (it is big-endian)");
}

TEST(ElfLoader, NotRiscV) {
  auto b = valid_image();
  put16(b, 18, 62);
  EXPECT_CONTAINS(error_of(b), "not a RISC-V ELF file (machine 62: x86-64)");
  put16(b, 18, 40);
  EXPECT_CONTAINS(error_of(b), "(machine 40: ARM)");
}

TEST(ElfLoader, NotAnExecutable) {
  auto b = valid_image();
  put16(b, 16, 1);
  EXPECT_CONTAINS(error_of(b), "not an executable (ELF type 1: relocatable object)");
  put16(b, 16, 3);
  EXPECT_CONTAINS(error_of(b), "not an executable (ELF type 3: shared object");
}

TEST(ElfLoader, TruncatedHeader) {
  auto b = valid_image();
  b.resize(40);
  EXPECT_CONTAINS(error_of(b), "truncated ELF header (40 of 52 bytes)");
}

TEST(ElfLoader, TruncatedProgramHeaders) {
  auto b = valid_image();
  put32(b, 28, 0xfffffff0);  // e_phoff far past the end
  EXPECT_CONTAINS(error_of(b), "truncated program header table");
  b = valid_image();
  put16(b, 44, 0xffff);  // e_phnum huge
  EXPECT_CONTAINS(error_of(b), "truncated program header table");
  b = valid_image();
  put16(b, 42, 8);  // e_phentsize too small
  EXPECT_CONTAINS(error_of(b), "program header entry size 8");
}

TEST(ElfLoader, TruncatedSegment) {
  auto b = valid_image();
  put32(b, kPhoff + 64 + 4, uint32_t(b.size() - 2));  // data segment offset: 4 bytes from end-2
  const std::string msg = error_of(b);
  EXPECT_CONTAINS(msg, "truncated segment 2");
  EXPECT_CONTAINS(msg, "beyond the end of the file");
  b = valid_image();
  put32(b, kPhoff + 4, 0xfffffffc);  // offset + filesz wraps 32 bits
  EXPECT_CONTAINS(error_of(b), "truncated segment 0");
}

TEST(ElfLoader, BadSegmentSizes) {
  auto b = valid_image();
  put32(b, kPhoff + 64 + 20, 2);  // memsz < filesz
  EXPECT_CONTAINS(error_of(b), "segment 2: file size 0x4 exceeds memory size 0x2");
  b = valid_image();
  put32(b, kPhoff + 64 + 12, 0xfffffff8);  // paddr + memsz past 4 GiB
  EXPECT_CONTAINS(error_of(b), "wraps around the 32-bit address space");
}

// Issue 14 (15): an odd entry point was accepted at load.
TEST(ElfLoader, MisalignedEntryPoint) {
  auto b = valid_image();
  put32(b, 24, kEntry + 1);
  EXPECT_CONTAINS(error_of(b), "entry point 0x80000001 is not 2-byte aligned");
  b = valid_image();
  put32(b, 24, kEntry + 2);  // a compressed instruction's address is fine
  EXPECT_EQ(parse_elf(b, "t.elf").entry, kEntry + 2);
}

TEST(ElfLoader, NoLoadableSegments) {
  auto b = valid_image();
  put32(b, kPhoff, 4);       // PT_LOAD -> PT_NOTE
  put32(b, kPhoff + 64, 6);  // PT_LOAD -> PT_PHDR
  EXPECT_CONTAINS(error_of(b), "no loadable segments");
  b = valid_image();
  put16(b, 44, 0);  // no program headers at all
  EXPECT_CONTAINS(error_of(b), "no loadable segments");
}

TEST(ElfLoader, BadSymbolTableIsAnErrorNotACrash) {
  auto b = valid_image();
  put32(b, 32, uint32_t(b.size()));  // section table at the very end
  EXPECT_CONTAINS(error_of(b), "truncated section header table");
  b = valid_image();
  const size_t sh1 = b.size() - 80;
  put32(b, sh1 + 20, 0x100000);  // symtab size beyond the file
  EXPECT_CONTAINS(error_of(b), "truncated symbol table");
  b = valid_image();
  put32(b, sh1 + 24, 7);  // link to a section that does not exist
  EXPECT_CONTAINS(error_of(b), "symbol table links to section 7");
}

TEST(ElfLoader, FuzzedImagesNeverCrash) {
  const auto good = valid_image();
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> b(good.begin(), good.begin() + n);
    try {
      parse_elf(b, "cut.elf");
    } catch (const ElfError&) {
    }
  }
  // Random byte and word mutations, seeded.
  std::mt19937 rng(12345);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    auto b = good;
    const int edits = 1 + int(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % b.size();
      if (rng() % 2 && pos + 4 <= b.size()) {
        static const uint32_t words[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0};
        put32(b, pos & ~size_t(3), rng() % 2 ? words[rng() % 6] : uint32_t(rng()));
      } else {
        b[pos] = uint8_t(rng());
      }
    }
    try {
      const ElfImage img = parse_elf(b, "fuzz.elf");
      for (const auto& s : img.segments) ASSERT_LE(s.data.size(), s.memsz);
      ++loaded;
    } catch (const ElfError& e) {
      ASSERT_EQ(std::string(e.what()).rfind("fuzz.elf: ", 0), 0u) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(ElfLoader, LoadsAProgramBuiltByTheCrossCompiler) {
  if (std::system("riscv64-unknown-elf-gcc --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "riscv64-unknown-elf-gcc not installed";
  TempDir dir;
  const fs::path src = dir.path() / "prog.S";
  const fs::path elf = dir.path() / "prog.elf";
  std::ofstream(src) << R"(
    .section .text
    .globl _start
_start:
    la   sp, __stack
    call main
1:  j 1b
    .globl main
main:
    li   a0, 0
    ret
    .section .data
    .globl tohost
    .balign 8
tohost: .word 0, 0
    .section .bss
buffer: .space 256
)";
  const std::string cmd = "riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -nostdlib "
                          "-nostartfiles -Wl,-N -Wl,-Ttext=0x80000000 -Wl,--defsym=__stack=0x80100000 "
                          "-o " + elf.string() + " " + src.string() + " 2> " +
                          (dir.path() / "gcc.log").string();
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream log(dir.path() / "gcc.log");
    GTEST_SKIP() << "cross compiler cannot build an rv32 program: "
                 << std::string(std::istreambuf_iterator<char>(log), {});
  }
  const ElfImage img = load_elf(elf.string());
  ASSERT_TRUE(img.symbol("_start").has_value());
  EXPECT_EQ(img.entry, *img.symbol("_start"));
  EXPECT_EQ(img.entry, 0x80000000u);
  ASSERT_TRUE(img.symbol("main").has_value());
  ASSERT_TRUE(img.symbol("tohost").has_value());
  EXPECT_EQ(img.symbol("__stack"), std::optional<uint64_t>(0x80100000));
  uint64_t total_mem = 0, total_file = 0;
  for (const auto& s : img.segments) {
    EXPECT_GE(s.paddr, 0x80000000u);
    total_mem += s.memsz;
    total_file += s.data.size();
  }
  EXPECT_GE(total_mem, total_file + 256) << "bss counted in memsz, not in the file";
  // The first instructions are at the entry: auipc sp, ... (la sp, __stack).
  bool found = false;
  for (const auto& s : img.segments)
    if (s.paddr <= img.entry && img.entry < s.paddr + s.data.size()) {
      const uint8_t* p = s.data.data() + (img.entry - s.paddr);
      const uint32_t insn = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                            uint32_t(p[3]) << 24;
      EXPECT_EQ(insn & 0x7f, 0x17u) << "auipc";
      EXPECT_EQ((insn >> 7) & 0x1f, 2u) << "rd = sp";
      found = true;
    }
  EXPECT_TRUE(found);
}
