// The one energy ledger of a run: every block charges its energy here, per
// block and per event kind, with the count of events and the report
// category the energy belongs to (cell_array, adc, shift_add, ...; a new
// block names its own). Ordered maps keep the report's order deterministic.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace imcvp {

class EnergyLedger {
 public:
  struct Entry {
    uint64_t count = 0;    // events charged
    double pj = 0.0;       // energy in picojoules
    std::string category;  // the report's energy category (the first charge's)
  };
  using Block = std::map<std::string, Entry>;

  // Charges `count` events of `event` in `block`, `pj_each` picojoules each.
  void charge(const std::string& block, const std::string& event, uint64_t count, double pj_each,
              const char* category) {
    Entry& e = entry(block, event, category);
    e.count += count;
    e.pj += static_cast<double>(count) * pj_each;
  }
  // Charges an energy that is not a count of events (e.g. power x time).
  void charge_energy(const std::string& block, const std::string& event, double pj, const char* category) {
    entry(block, event, category).pj += pj;
  }

  const std::map<std::string, Block>& blocks() const { return blocks_; }
  double block_pj(const std::string& block) const {
    double sum = 0;
    auto it = blocks_.find(block);
    if (it != blocks_.end())
      for (const auto& [_, e] : it->second) sum += e.pj;
    return sum;
  }
  double total_pj() const {
    double sum = 0;
    for (const auto& [name, _] : blocks_) sum += block_pj(name);
    return sum;
  }

 private:
  Entry& entry(const std::string& block, const std::string& event, const char* category) {
    Entry& e = blocks_[block][event];
    if (e.category.empty()) e.category = category;
    return e;
  }
  std::map<std::string, Block> blocks_;
};

}  // namespace imcvp
