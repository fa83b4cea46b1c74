#include "models/noc/mesh_noc.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>

namespace imcvp {

namespace {

constexpr uint64_t kMaxTransferBytes = uint64_t{1} << 40;
// Start times past 2^52 cycles are refused: below it every cycle count is
// exact in a double and no sum of cycles can overflow.
constexpr double kMaxStartCycle = 4503599627370496.0;  // 2^52

// The first clock edge at or after start_ns, as a cycle number; *sync_ns
// receives the time from start_ns to it. A start within a millionth of a
// cycle (or a few rounding steps) of an edge is on that edge, so that
// n * clock_ns computed by a caller counts as edge n.
uint64_t edge_at_or_after(double start_ns, double clock_ns, double* sync_ns) {
  const double q = start_ns / clock_ns;
  const double r = std::nearbyint(q);
  if (std::fabs(q - r) <= 1e-6 + std::fabs(q) * 8 * DBL_EPSILON) {
    *sync_ns = 0.0;
    return static_cast<uint64_t>(r);
  }
  const double edge = std::ceil(q);
  *sync_ns = std::max(0.0, edge * clock_ns - start_ns);
  return static_cast<uint64_t>(edge);
}

}  // namespace

double idle_latency_ns(const MeshParams& p, unsigned hops, uint64_t bytes) {
  const uint64_t flits = p.flits_for(bytes);
  if (flits == 0) return 0.0;
  const uint64_t cycles = uint64_t{hops} * p.hop_cycles() + flits - 1;
  return static_cast<double>(cycles) * p.clock_ns;
}

MeshNoc::MeshNoc(const MeshParams& params, EnergyLedger* ledger) : p_(params), ledger_(ledger) {
  validate_mesh_params(p_);
  reset();
}

void MeshNoc::reset() {
  link_free_.assign(link_slots(p_), 0);
  link_flits_.assign(link_slots(p_), 0);
  inj_free_.assign(p_.nodes(), 0);
  inj_flits_.assign(p_.nodes(), 0);
  ej_free_.assign(p_.nodes(), 0);
  ej_flits_.assign(p_.nodes(), 0);
  stats_ = NocStats{};
  last_start_ns_ = 0.0;
}

NocTransfer MeshNoc::transfer(unsigned src, unsigned dst, uint64_t bytes, double start_ns) {
  check_node(p_, src, "source");
  check_node(p_, dst, "destination");
  if (!(std::isfinite(start_ns) && start_ns >= 0))
    throw std::invalid_argument("noc: transfer start " + std::to_string(start_ns) +
                                " ns must be finite and >= 0");
  if (start_ns / p_.clock_ns >= kMaxStartCycle)
    throw std::invalid_argument("noc: transfer start " + std::to_string(start_ns) +
                                " ns is past 2^52 NoC cycles");
  if (bytes > kMaxTransferBytes)
    throw std::invalid_argument("noc: transfer of " + std::to_string(bytes) +
                                " bytes exceeds 2^40 bytes");

  NocTransfer r;
  r.hops = xy_hops(p_, src, dst);
  r.flits = p_.flits_for(bytes);
  if (r.flits == 0) {
    r.arrival_ns = start_ns;
    return r;
  }
  if (stats_.packets > 0 && start_ns < last_start_ns_) ++stats_.out_of_order;
  last_start_ns_ = start_ns;

  const uint64_t flits = r.flits;
  const uint64_t router = p_.router_pipeline_cycles, link = p_.link_cycles;
  const uint64_t first = edge_at_or_after(start_ns, p_.clock_ns, &r.sync_ns);
  uint64_t waited = 0;
  // The head starts on a resource at `ready` or when it becomes free, and
  // holds it for `flits` cycles from then.
  auto occupy = [&](uint64_t& free_at, uint64_t ready) {
    if (free_at > ready) {
      waited += free_at - ready;
      ready = free_at;
    }
    free_at = ready + flits;
    return ready;
  };
  uint64_t t = occupy(inj_free_[src], first);  // head enters the source router
  inj_flits_[src] += flits;
  for_each_xy_link(p_, src, dst, [&](const Link& l) {
    const unsigned i = link_index(l);
    const uint64_t on = occupy(link_free_[i], t + router);
    t = on + link;  // head at the next router
    link_flits_[i] += flits;
    if (observer_)
      observer_(i, static_cast<double>(on) * p_.clock_ns, static_cast<double>(on + flits) * p_.clock_ns);
  });
  t = occupy(ej_free_[dst], t);  // head delivered to dst's interface
  ej_flits_[dst] += flits;
  const uint64_t tail = t + flits - 1;

  r.latency_ns = static_cast<double>(tail - first) * p_.clock_ns + r.sync_ns;
  r.arrival_ns = start_ns + r.latency_ns;
  r.wait_ns = static_cast<double>(waited) * p_.clock_ns;

  const uint64_t flit_hops = flits * r.hops;
  stats_.packets += 1;
  stats_.bytes += bytes;
  stats_.flits += flits;
  stats_.flit_hops += flit_hops;
  stats_.total_latency_ns += r.latency_ns;
  stats_.max_latency_ns = std::max(stats_.max_latency_ns, r.latency_ns);
  stats_.total_wait_ns += r.wait_ns;
  if (waited > 0) ++stats_.delayed_packets;
  stats_.last_arrival_ns = std::max(stats_.last_arrival_ns, r.arrival_ns);
  if (flit_hops > 0) {
    stats_.router_energy_pj += static_cast<double>(flit_hops) * p_.router_energy_pj_per_flit;
    stats_.link_energy_pj += static_cast<double>(flit_hops) * p_.link_energy_pj_per_flit;
    if (ledger_) {
      ledger_->charge(kNocEnergyBlock, kNocRouterFlitEvent, flit_hops, p_.router_energy_pj_per_flit, "noc");
      ledger_->charge(kNocEnergyBlock, kNocLinkFlitEvent, flit_hops, p_.link_energy_pj_per_flit, "noc");
    }
  }
  return r;
}

size_t MeshNoc::checked_link(const Link& l) const {
  if (!link_exists(p_, l)) {
    const std::string what = l.node < p_.nodes()
                                  ? link_name(p_, l)
                                  : "from node " + std::to_string(l.node);
    throw std::out_of_range("noc: link " + what + " is not in the " + std::to_string(p_.width) +
                            " x " + std::to_string(p_.height) + " mesh");
  }
  return link_index(l);
}

uint64_t MeshNoc::link_flits(const Link& l) const { return link_flits_[checked_link(l)]; }

double MeshNoc::link_busy_ns(const Link& l) const {
  return static_cast<double>(link_flits_[checked_link(l)]) * p_.clock_ns;
}

uint64_t MeshNoc::injected_flits(unsigned node) const {
  check_node(p_, node, "queried");
  return inj_flits_[node];
}

uint64_t MeshNoc::ejected_flits(unsigned node) const {
  check_node(p_, node, "queried");
  return ej_flits_[node];
}

std::vector<LinkLoad> MeshNoc::busiest_links(size_t n) const {
  std::vector<unsigned> used;
  for (unsigned i = 0; i < link_flits_.size(); ++i)
    if (link_flits_[i] > 0) used.push_back(i);
  const size_t k = std::min(n, used.size());
  std::partial_sort(used.begin(), used.begin() + static_cast<std::ptrdiff_t>(k), used.end(),
                    [&](unsigned a, unsigned b) {
                      if (link_flits_[a] != link_flits_[b]) return link_flits_[a] > link_flits_[b];
                      return a < b;
                    });
  std::vector<LinkLoad> out;
  out.reserve(k);
  for (size_t j = 0; j < k; ++j) {
    const Link l = link_at(used[j]);
    out.push_back(LinkLoad{l, link_name(p_, l), link_flits_[used[j]],
                           static_cast<double>(link_flits_[used[j]]) * p_.clock_ns});
  }
  return out;
}

}  // namespace imcvp
