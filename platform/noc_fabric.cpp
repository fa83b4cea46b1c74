#include "platform/noc_fabric.hpp"

#include <stdexcept>
#include <string>

#include "imcvp/memory_map.h"

namespace imcvp {

NocFabric::NocFabric(const MeshParams& mesh, unsigned tiles, unsigned memory_node, EnergyLedger* ledger)
    : noc_(mesh, ledger), tiles_(tiles), memory_node_(memory_node) {
  if (auto e = check_node_placement(mesh, tiles, memory_node))
    throw std::invalid_argument(e->field.empty() ? "noc: " + e->problem : "noc." + e->field + ": " + e->problem);
}

unsigned NocFabric::node_of(uint64_t addr) const {
  const uint64_t end = uint64_t{IMCVP_TILE_BASE} + uint64_t{tiles_} * IMCVP_TILE_STRIDE;
  if (addr >= IMCVP_TILE_BASE && addr < end)
    return snake_node(noc_.params(), unsigned((addr - IMCVP_TILE_BASE) / IMCVP_TILE_STRIDE));
  return memory_node_;
}

std::optional<sc_core::sc_time> NocFabric::carry(uint64_t src, uint64_t dst, unsigned len,
                                                 const sc_core::sc_time& at) {
  const unsigned s = node_of(src), d = node_of(dst);
  if (s == memory_node_ && d == memory_node_) return std::nullopt;
  const NocTransfer t = noc_.transfer(s, d, len, at.to_seconds() * 1e9);
  return sc_core::sc_time(t.arrival_ns, sc_core::SC_NS);
}

const std::vector<NocFabric::LinkSignal>& NocFabric::link_signals() {
  if (!links_.empty()) return links_;
  const MeshParams& p = noc_.params();
  static const char kDir[] = {'E', 'W', 'N', 'S'};
  signal_of_link_.assign(link_slots(p), -1);
  for (unsigned i = 0; i < link_slots(p); ++i) {
    const Link l = link_at(i);
    if (!link_exists(p, l)) continue;
    LinkSignal s;
    s.name = "noc.x" + std::to_string(node_x(p, l.node)) + "_y" + std::to_string(node_y(p, l.node)) + "_" +
             kDir[static_cast<unsigned>(l.dir)];
    const std::string base = "noc_x" + std::to_string(node_x(p, l.node)) + "_y" + std::to_string(node_y(p, l.node)) +
                             "_" + kDir[static_cast<unsigned>(l.dir)];
    s.busy = std::make_unique<sc_core::sc_signal<bool>>((base + "_busy").c_str(), false);
    s.driver = std::make_unique<TimedSignalDriver<bool>>((base + "_driver").c_str(), *s.busy);
    signal_of_link_[i] = int(links_.size());
    links_.push_back(std::move(s));
  }
  noc_.set_link_observer([this](unsigned link, double start_ns, double end_ns) {
    const int k = signal_of_link_[link];
    if (k < 0) return;
    TimedSignalDriver<bool>& d = *links_[size_t(k)].driver;
    d.write_at(sc_core::sc_time(start_ns, sc_core::SC_NS), true);
    d.write_at(sc_core::sc_time(end_ns, sc_core::SC_NS), false);
  });
  return links_;
}

void NocFabric::write_json(JsonWriter& j) const {
  const MeshParams& p = noc_.params();
  const NocStats& s = noc_.stats();
  j.begin_object("noc")
      .value("width", p.width)
      .value("height", p.height)
      .value("memory_node", node_name(p, memory_node_))
      .value("packets", s.packets)
      .value("bytes", s.bytes)
      .value("flits", s.flits)
      .value("flit_hops", s.flit_hops)
      .value("mean_hops", s.flits ? double(s.flit_hops) / double(s.flits) : 0.0)
      .value("mean_packet_latency_ns", s.mean_latency_ns())
      .value("max_packet_latency_ns", s.max_latency_ns)
      .value("contention_wait_ns", s.total_wait_ns)
      .value("delayed_packets", s.delayed_packets)
      .value("energy_pj", s.energy_pj());
  j.begin_array("busiest_links");
  for (const LinkLoad& l : noc_.busiest_links(5))
    j.begin_object().value("link", l.name).value("flits", l.flits).value("busy_ns", l.busy_ns).end_object();
  j.end_array().end_object();
}

}  // namespace imcvp
