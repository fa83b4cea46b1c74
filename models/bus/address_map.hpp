// AddressMap: the decoder of a bus, pure C++ (no SystemC). Regions are kept
// sorted by base address and looked up by binary search; overlapping,
// empty and wrapping regions are rejected when they are added, with a
// message naming both regions and their ranges.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace imcvp {

struct AddressRegion {
  std::string name;
  uint64_t base = 0;
  uint64_t size = 0;  // bytes, > 0
  unsigned target = 0;  // index of the target (initiator socket) it decodes to

  uint64_t last() const { return base + (size - 1); }  // inclusive end
  bool contains(uint64_t addr) const { return addr >= base && addr - base < size; }
  // The whole range [addr, addr + len) lies inside the region (len 0 counts as 1).
  bool contains(uint64_t addr, uint64_t len) const;
};

// "'name' [0x10000000, 0x100000ff]"
std::string describe(const AddressRegion& region);

class AddressMapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AddressMap {
 public:
  // Adds a region. Throws AddressMapError on size 0, a range that wraps past
  // the top of the 64-bit address space, or an overlap with a region already
  // in the map (naming both).
  const AddressRegion& add(const std::string& name, uint64_t base, uint64_t size, unsigned target);

  // The region holding addr, or nullptr.
  const AddressRegion* lookup(uint64_t addr) const;
  // The one region holding the whole range [addr, addr + len), or nullptr when
  // the range is undecoded or crosses a region boundary.
  const AddressRegion* lookup(uint64_t addr, uint64_t len) const;
  // The region of that name, or nullptr.
  const AddressRegion* find(const std::string& name) const;

  const std::vector<AddressRegion>& regions() const { return m_regions; }  // sorted by base
  std::size_t size() const { return m_regions.size(); }
  bool empty() const { return m_regions.empty(); }

 private:
  std::vector<AddressRegion> m_regions;
};

}  // namespace imcvp
