// The mesh network-on-chip as a transaction-level timing and energy model,
// in plain C++ (a SystemC wrapper and the platform use it later). One call
// per packet; time in ns as double, like CrossbarArray. docs/noc.md
// describes the model; in short:
//
//  - A transfer of `bytes` is one packet of F = ceil(bytes / flit_bytes) +
//    header_flits flits, routed XY (xy_route.hpp) over `hops` mesh links.
//  - The network is synchronous: the head flit is injected on the first
//    clock edge at or after start_ns; from there every time is a whole
//    number of cycles, kept as integers (exact and fast).
//  - On an idle network the tail flit reaches the destination's network
//    interface idle_latency_ns(p, hops, bytes) after an on-edge start:
//      (hops x (router_pipeline_cycles + link_cycles) + F - 1) x clock_ns.
//  - Contention: the injection port of the source, every link of the route
//    and the ejection port of the destination each remember the cycle until
//    which they are busy. A packet holds each of them for F cycles from the
//    cycle its head starts on it; a head that finds one busy waits until it
//    is free (the wait is reported). Resources are granted in the order the
//    transfers are issued (first come, first served by call order).
//  - Energy per flit per hop: router_energy_pj_per_flit and
//    link_energy_pj_per_flit, charged to an optional EnergyLedger as block
//    "noc", events "router_flit" and "link_flit".
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/energy/energy_ledger.hpp"
#include "models/noc/noc_params.hpp"
#include "models/noc/xy_route.hpp"

namespace imcvp {

// Ledger names of the NoC's energy.
constexpr const char* kNocEnergyBlock = "noc";
constexpr const char* kNocRouterFlitEvent = "router_flit";
constexpr const char* kNocLinkFlitEvent = "link_flit";

// Latency of a packet of `bytes` over `hops` hops on an idle network, issued
// on a clock edge: (hops x (router_pipeline_cycles + link_cycles) + F - 1) x
// clock_ns, F = p.flits_for(bytes); computed as an integer count of cycles
// times clock_ns, exactly as MeshNoc computes it. 0 for 0 bytes.
double idle_latency_ns(const MeshParams& p, unsigned hops, uint64_t bytes);

// Result of one transfer.
struct NocTransfer {
  double arrival_ns = 0.0;  // the tail flit is delivered to dst's network interface
  double latency_ns = 0.0;  // arrival_ns - start_ns = idle latency + sync_ns + wait_ns
  unsigned hops = 0;        // mesh links crossed (|dx| + |dy|)
  uint64_t flits = 0;       // header included
  double wait_ns = 0.0;     // head flit's waits for busy ports and links (whole cycles)
  double sync_ns = 0.0;     // from start_ns to the clock edge the head is injected on
};

// Load of one mesh link since construction or reset().
struct LinkLoad {
  Link link;
  std::string name;      // "(x,y)->E"
  uint64_t flits = 0;
  double busy_ns = 0.0;  // flits x clock_ns: time the link carried flits
};

struct NocStats {
  uint64_t packets = 0;    // transfers of at least one byte
  uint64_t bytes = 0;      // payload bytes
  uint64_t flits = 0;      // flits injected, header flits included
  uint64_t flit_hops = 0;  // sum over packets of flits x hops: router and link traversals
  double total_latency_ns = 0.0;
  double max_latency_ns = 0.0;
  double total_wait_ns = 0.0;   // contention only (not sync_ns)
  uint64_t delayed_packets = 0;  // packets with wait_ns > 0
  // Transfers issued with a start_ns before that of a transfer issued
  // earlier: they queue behind it on every shared resource (docs/noc.md).
  uint64_t out_of_order = 0;
  double last_arrival_ns = 0.0;  // latest arrival_ns so far
  double router_energy_pj = 0.0;
  double link_energy_pj = 0.0;
  double energy_pj() const { return router_energy_pj + link_energy_pj; }
  double mean_latency_ns() const { return packets ? total_latency_ns / packets : 0.0; }
};

class MeshNoc {
 public:
  // Throws std::invalid_argument on bad parameters. `ledger` (optional, not
  // owned) is charged with every transfer's energy.
  explicit MeshNoc(const MeshParams& params, EnergyLedger* ledger = nullptr);

  const MeshParams& params() const { return p_; }
  unsigned nodes() const { return p_.nodes(); }
  void set_energy_ledger(EnergyLedger* ledger) { ledger_ = ledger; }
  // Called for every link a packet occupies, with the link's index
  // (link_index()) and the interval [start_ns, end_ns) it carries the
  // packet's flits; for waveforms (platform/noc_fabric.cpp). Per link, the
  // calls come in time order. Empty: no calls.
  using LinkObserver = std::function<void(unsigned link, double start_ns, double end_ns)>;
  void set_link_observer(LinkObserver observer) { observer_ = std::move(observer); }

  // Sends `bytes` from node src to node dst, the packet ready at start_ns;
  // costs O(hops). src == dst: the packet goes from the injection to the
  // ejection port of that node (no hop, no energy). bytes == 0: nothing is
  // sent (arrival = start, nothing counted). Throws std::out_of_range naming
  // a node outside the mesh, std::invalid_argument for a start_ns that is
  // negative or not finite or a transfer over 2^40 bytes.
  NocTransfer transfer(unsigned src, unsigned dst, uint64_t bytes, double start_ns);

  const NocStats& stats() const { return stats_; }
  // Flits a link carried and the time it was busy; throws std::out_of_range
  // for a link that is not in the mesh.
  uint64_t link_flits(const Link& l) const;
  double link_busy_ns(const Link& l) const;
  // Flits through a node's injection / ejection port.
  uint64_t injected_flits(unsigned node) const;
  uint64_t ejected_flits(unsigned node) const;
  // The n links that carried the most flits (ties: lower link index first),
  // links that carried none left out.
  std::vector<LinkLoad> busiest_links(size_t n) const;

  // An idle network and zeroed statistics (the ledger is left as it is).
  void reset();

 private:
  size_t checked_link(const Link& l) const;

  MeshParams p_;
  EnergyLedger* ledger_ = nullptr;
  LinkObserver observer_;
  // Per resource: the first cycle at which it is free, and flits carried.
  std::vector<uint64_t> link_free_;  // by link_index
  std::vector<uint64_t> link_flits_;
  std::vector<uint64_t> inj_free_, inj_flits_;  // by node
  std::vector<uint64_t> ej_free_, ej_flits_;
  NocStats stats_;
  double last_start_ns_ = 0.0;
};

}  // namespace imcvp
