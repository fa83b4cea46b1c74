#include "models/bus/address_map.hpp"
#include "models/common/hex.hpp"

#include <algorithm>
#include <cstdio>

namespace imcvp {

bool AddressRegion::contains(uint64_t addr, uint64_t len) const {
  if (!contains(addr)) return false;
  if (len == 0) return true;
  return len - 1 <= last() - addr;  // no overflow: addr <= last()
}

std::string describe(const AddressRegion& region) {
  return "'" + region.name + "' [" + hex_addr(region.base) + ", " + hex_addr(region.last()) + "]";
}

const AddressRegion& AddressMap::add(const std::string& name, uint64_t base, uint64_t size,
                                     unsigned target) {
  if (size == 0)
    throw AddressMapError("address map: '" + name + "' at " + hex_addr(base) + " has size 0");
  if (size - 1 > UINT64_MAX - base)
    throw AddressMapError("address map: '" + name + "' at " + hex_addr(base) + " with size " +
                          hex_addr(size) + " wraps around the end of the address space");
  AddressRegion region{name, base, size, target};
  // First region whose base is above ours; the one before it may reach into us.
  auto it = std::upper_bound(m_regions.begin(), m_regions.end(), base,
                             [](uint64_t b, const AddressRegion& r) { return b < r.base; });
  const AddressRegion* clash = nullptr;
  if (it != m_regions.begin() && std::prev(it)->last() >= base) clash = &*std::prev(it);
  else if (it != m_regions.end() && it->base <= region.last()) clash = &*it;
  if (clash)
    throw AddressMapError("address map: " + describe(region) + " overlaps " + describe(*clash));
  return *m_regions.insert(it, std::move(region));
}

const AddressRegion* AddressMap::lookup(uint64_t addr) const {
  auto it = std::upper_bound(m_regions.begin(), m_regions.end(), addr,
                             [](uint64_t a, const AddressRegion& r) { return a < r.base; });
  if (it == m_regions.begin()) return nullptr;
  --it;
  return it->contains(addr) ? &*it : nullptr;
}

const AddressRegion* AddressMap::lookup(uint64_t addr, uint64_t len) const {
  const AddressRegion* r = lookup(addr);
  return (r && r->contains(addr, len)) ? r : nullptr;
}

const AddressRegion* AddressMap::find(const std::string& name) const {
  for (const auto& r : m_regions)
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace imcvp
