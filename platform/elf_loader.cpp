#include "platform/elf_loader.hpp"
#include "models/common/hex.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace imcvp {

namespace {

// ELF constants (the subset a 32-bit executable loader needs).
constexpr uint8_t kElfClass32 = 1, kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1, kElfData2Msb = 2;
constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;
constexpr uint16_t kEmRiscv = 243;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kShtSymtab = 2, kShtStrtab = 3;
constexpr uint8_t kSttSection = 3, kSttFile = 4;
constexpr uint8_t kStbLocal = 0;
constexpr uint16_t kShnUndef = 0;
constexpr size_t kEhdrSize = 52, kPhdrSize = 32, kShdrSize = 40, kSymSize = 16;

const char* machine_name(uint16_t m) {
  switch (m) {
    case 0: return "none";
    case 2: return "SPARC";
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 40: return "ARM";
    case 42: return "SuperH";
    case 50: return "IA-64";
    case 62: return "x86-64";
    case 83: return "AVR";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
    default: return "unknown";
  }
}

const char* type_name(uint16_t t) {
  switch (t) {
    case 0: return "no file type";
    case kEtRel: return "relocatable object";
    case kEtExec: return "executable";
    case kEtDyn: return "shared object or position-independent executable";
    case kEtCore: return "core dump";
    default: return "unknown type";
  }
}

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, const std::string& path) : m_b(b), m_path(path) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw ElfError(m_path + ": " + problem);
  }
  // [off, off + len) lies in the file.
  bool fits(uint64_t off, uint64_t len) const {
    return off <= m_b.size() && len <= m_b.size() - off;
  }
  uint8_t u8(uint64_t off) const { return m_b[off]; }
  uint16_t u16(uint64_t off) const { return uint16_t(m_b[off] | m_b[off + 1] << 8); }
  uint32_t u32(uint64_t off) const {
    return uint32_t(m_b[off]) | uint32_t(m_b[off + 1]) << 8 | uint32_t(m_b[off + 2]) << 16 |
           uint32_t(m_b[off + 3]) << 24;
  }
  const std::vector<uint8_t>& bytes() const { return m_b; }

 private:
  const std::vector<uint8_t>& m_b;
  const std::string& m_path;
};


void read_symbols(const Reader& r, ElfImage& img) {
  const uint32_t shoff = r.u32(32);
  const uint16_t shentsize = r.u16(46);
  const uint16_t shnum = r.u16(48);
  if (shoff == 0 || shnum == 0) return;  // no section table: no symbols (stripped)
  if (shentsize < kShdrSize) r.fail("section header entry size " + std::to_string(shentsize) +
                                    " is smaller than " + std::to_string(kShdrSize));
  if (!r.fits(shoff, uint64_t(shnum) * shentsize))
    r.fail("truncated section header table (" + std::to_string(shnum) + " entries at offset " +
           hex(shoff) + " beyond the end of the file)");

  for (uint16_t i = 0; i < shnum; ++i) {
    const uint64_t sh = shoff + uint64_t(i) * shentsize;
    if (r.u32(sh + 4) != kShtSymtab) continue;
    const uint32_t off = r.u32(sh + 16), size = r.u32(sh + 20), link = r.u32(sh + 24);
    const uint32_t entsize = r.u32(sh + 36);
    if (entsize != 0 && entsize < kSymSize)
      r.fail("symbol table entry size " + std::to_string(entsize) + " is too small");
    const uint32_t step = entsize ? entsize : kSymSize;
    if (!r.fits(off, size)) r.fail("truncated symbol table (section " + std::to_string(i) + ")");
    if (link >= shnum) r.fail("symbol table links to section " + std::to_string(link) +
                              " of " + std::to_string(shnum));
    const uint64_t strsh = shoff + uint64_t(link) * shentsize;
    if (r.u32(strsh + 4) != kShtStrtab)
      r.fail("symbol table links to section " + std::to_string(link) +
             ", which is not a string table");
    const uint32_t stroff = r.u32(strsh + 16), strsize = r.u32(strsh + 20);
    if (!r.fits(stroff, strsize)) r.fail("truncated string table (section " +
                                         std::to_string(link) + ")");

    for (uint64_t s = 0; s + kSymSize <= size; s += step) {
      const uint64_t sym = off + s;
      const uint32_t name = r.u32(sym);
      const uint32_t value = r.u32(sym + 4);
      const uint8_t info = r.u8(sym + 12);
      const uint16_t shndx = r.u16(sym + 14);
      const uint8_t type = info & 0xf, bind = info >> 4;
      if (name == 0 || name >= strsize || shndx == kShnUndef) continue;
      if (type == kSttSection || type == kSttFile) continue;
      const char* begin = reinterpret_cast<const char*>(r.bytes().data()) + stroff + name;
      const void* nul = std::memchr(begin, 0, strsize - name);
      if (!nul) continue;  // unterminated name: ignore the symbol
      std::string n(begin, static_cast<const char*>(nul));
      if (n.empty()) continue;
      auto it = img.symbols.find(n);
      if (it == img.symbols.end())
        img.symbols.emplace(std::move(n), value);
      else if (bind != kStbLocal)
        it->second = value;  // a global wins over a local of the same name
    }
  }
}

}  // namespace

ElfImage parse_elf(const std::vector<uint8_t>& bytes, const std::string& path) {
  const Reader r(bytes, path);
  if (bytes.size() < 4 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' ||
      bytes[3] != 'F')
    r.fail("not an ELF file (bad magic)");
  if (bytes.size() < 6) r.fail("truncated ELF header");
  if (bytes[4] != kElfClass32)
    r.fail(bytes[4] == kElfClass64 ? "not a 32-bit ELF file (it is 64-bit)"
                                   : "not a 32-bit ELF file (class " +
                                         std::to_string(bytes[4]) + ")");
  if (bytes[5] != kElfData2Lsb)
    r.fail(bytes[5] == kElfData2Msb ? "not a little-endian ELF file (it is big-endian)"
                                    : "not a little-endian ELF file (data encoding " +
                                          std::to_string(bytes[5]) + ")");
  if (bytes.size() < kEhdrSize)
    r.fail("truncated ELF header (" + std::to_string(bytes.size()) + " of " +
           std::to_string(kEhdrSize) + " bytes)");

  const uint16_t type = r.u16(16), machine = r.u16(18);
  if (machine != kEmRiscv)
    r.fail("not a RISC-V ELF file (machine " + std::to_string(machine) + ": " +
           machine_name(machine) + ")");
  if (type != kEtExec)
    r.fail(std::string("not an executable (ELF type ") + std::to_string(type) + ": " +
           type_name(type) + ")");

  ElfImage img;
  img.path = path;
  img.entry = r.u32(24);
  // RV32IMC: instructions start on even addresses (IALIGN = 16); an odd
  // entry would fault on the first fetch, after the platform is built.
  if (img.entry % 2 != 0)
    r.fail("entry point " + hex(img.entry) + " is not 2-byte aligned (RISC-V instructions " +
           "start on even addresses)");
  const uint32_t phoff = r.u32(28);
  const uint16_t phentsize = r.u16(42);
  const uint16_t phnum = r.u16(44);

  if (phnum != 0) {
    if (phentsize < kPhdrSize)
      r.fail("program header entry size " + std::to_string(phentsize) + " is smaller than " +
             std::to_string(kPhdrSize));
    if (!r.fits(phoff, uint64_t(phnum) * phentsize))
      r.fail("truncated program header table (" + std::to_string(phnum) +
             " entries at offset " + hex(phoff) + " beyond the end of the file)");
  }
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + uint64_t(i) * phentsize;
    if (r.u32(ph) != kPtLoad) continue;
    const uint32_t offset = r.u32(ph + 4), vaddr = r.u32(ph + 8), paddr = r.u32(ph + 12);
    const uint32_t filesz = r.u32(ph + 16), memsz = r.u32(ph + 20), flags = r.u32(ph + 24);
    const std::string seg = "segment " + std::to_string(i);
    if (filesz > memsz)
      r.fail(seg + ": file size " + hex(filesz) + " exceeds memory size " + hex(memsz));
    if (!r.fits(offset, filesz))
      r.fail("truncated " + seg + " (bytes [" + hex(offset) + ", " +
             hex(uint64_t(offset) + filesz) + ") beyond the end of the file, " +
             std::to_string(bytes.size()) + " bytes)");
    if (uint64_t(paddr) + memsz > (uint64_t(1) << 32))
      r.fail(seg + " at " + hex(paddr) + " with size " + hex(memsz) +
             " wraps around the 32-bit address space");
    if (memsz == 0) continue;
    ElfSegment s;
    s.paddr = paddr;
    s.vaddr = vaddr;
    s.memsz = memsz;
    s.flags = flags;
    s.data.assign(bytes.begin() + offset, bytes.begin() + offset + filesz);
    img.segments.push_back(std::move(s));
  }
  if (img.segments.empty()) r.fail("no loadable segments");

  read_symbols(r, img);
  return img;
}

ElfImage load_elf(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ElfError(path + ": cannot open (is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ElfError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw ElfError(path + ": read error");
  return parse_elf(bytes, path);
}

}  // namespace imcvp
