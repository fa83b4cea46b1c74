// NetworkRun (platform/network_run.hpp): the facade over its three jobs,
// building (platform/network_build.hpp), measuring
// (platform/network_measure.hpp) and reporting (platform/network_report.hpp).
#include "platform/network_run.hpp"

#include <cstddef>
#include <cstring>

#include "platform/network_build.hpp"
#include "platform/network_measure.hpp"
#include "platform/network_report.hpp"

namespace imcvp {

struct NetworkRun::Impl {
  NetworkBuild build;
  NetworkMarks marks;
  NetworkResults results;
  Impl(const Scenario& sc, const compiler::ChipResources& chip, const std::atomic<bool>* stop)
      : build(sc, chip, stop) {}
};

NetworkRun::NetworkRun(const Scenario& sc, const compiler::ChipResources& chip, const std::atomic<bool>* stop)
    : impl_(std::make_unique<Impl>(sc, chip, stop)) {}
NetworkRun::~NetworkRun() = default;

const std::vector<uint8_t>& NetworkRun::workload() const { return impl_->build.workload; }

void NetworkRun::set_tiles(std::vector<const Tile*> tiles) { impl_->marks.tiles = std::move(tiles); }

void NetworkRun::record_mark(uint32_t m, const sc_core::sc_time& at, const EnergyLedger* ledger) {
  impl_->marks.record(m, at, ledger);
}

void NetworkRun::finish(const uint8_t* memory, const std::vector<const Tile*>& tiles, double cpu_hz,
                        const EnergyLedger& ledger) {
  Impl& d = *impl_;
  // The references are compared on the images the firmware finished only
  // (all of them, but for a run that ended early): no need to wait for more.
  const imcvp_workload& h = d.build.header;
  size_t needed = 0;
  for (size_t i = 0; i < h.input_count; ++i) {
    uint32_t status = 0;
    std::memcpy(&status, memory + h.result_off + i * h.result_stride + offsetof(imcvp_result, status), sizeof status);
    if (status == IMCVP_RESULT_DONE) needed = i + 1;
  }
  d.build.limit_references(needed);
  d.build.join_references();
  d.results.read(d.build, memory, tiles, cpu_hz);
  d.marks.finish(tiles, ledger);
}

void NetworkRun::write_json(JsonWriter& j) const {
  write_network_json(j, impl_->build, impl_->marks, impl_->results);
}

void NetworkRun::print_table(std::ostream& out) const {
  print_network_table(out, impl_->build, impl_->marks, impl_->results);
}

void NetworkRun::write_summary_csv(std::ostream& out, const std::string& scenario) const {
  write_network_summary_csv(out, scenario, impl_->build, impl_->marks, impl_->results);
}

}  // namespace imcvp
