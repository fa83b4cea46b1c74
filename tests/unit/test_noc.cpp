// Mesh network-on-chip (models/noc): parameters and their defaults, XY
// routes (minimal, X first, deadlock-free channel dependencies), the idle
// latency formula, contention on links and on the injection and ejection
// ports, issue order, energy, statistics and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/energy/energy_ledger.hpp"
#include "models/noc/mesh_noc.hpp"
#include "models/noc/noc_params.hpp"
#include "models/noc/xy_route.hpp"

using namespace imcvp;

namespace {

MeshParams mesh(unsigned width, unsigned height) {
  MeshParams p;
  p.width = width;
  p.height = height;
  return p;
}

// True when the directed graph (adjacency lists over 0..n-1) has a cycle.
bool has_cycle(const std::vector<std::vector<unsigned>>& adj) {
  enum : uint8_t { kNew, kOnStack, kDone };
  std::vector<uint8_t> state(adj.size(), kNew);
  std::vector<std::pair<unsigned, size_t>> stack;  // node, next edge
  for (unsigned root = 0; root < adj.size(); ++root) {
    if (state[root] != kNew) continue;
    stack.push_back({root, 0});
    state[root] = kOnStack;
    while (!stack.empty()) {
      auto& [v, e] = stack.back();
      if (e == adj[v].size()) {
        state[v] = kDone;
        stack.pop_back();
        continue;
      }
      const unsigned w = adj[v][e++];
      if (state[w] == kOnStack) return true;
      if (state[w] == kNew) {
        state[w] = kOnStack;
        stack.push_back({w, 0});
      }
    }
  }
  return false;
}

// Channel dependency graph over link indices: an edge a -> b when a route
// uses link b right after link a.
std::vector<std::vector<unsigned>> dependency_graph(
    const MeshParams& p, const std::vector<std::vector<Link>>& routes) {
  std::vector<std::vector<unsigned>> adj(link_slots(p));
  for (const auto& r : routes)
    for (size_t i = 1; i < r.size(); ++i) adj[link_index(r[i - 1])].push_back(link_index(r[i]));
  return adj;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------
// Parameters

TEST(MeshParams, DefaultsAreValidAndComeFromTheirSources) {
  const MeshParams p;
  EXPECT_FALSE(check_mesh_params(p).has_value());
  EXPECT_EQ(p.width, 4u);
  EXPECT_EQ(p.height, 4u);
  EXPECT_EQ(p.flit_bytes, 4u);             // ISAAC, SIAM: 32-bit flits
  EXPECT_DOUBLE_EQ(p.clock_ns, 1.0);       // ISAAC, SIAM: 1 GHz
  EXPECT_EQ(p.router_pipeline_cycles, 4u);  // Dally & Towles, SIAM
  EXPECT_EQ(p.link_cycles, 1u);            // SIAM
  EXPECT_EQ(p.header_flits, 1u);           // SIAM: 32 header bits per packet
  // ISAAC: 42 mW / (8 ports x 1 GHz).
  EXPECT_DOUBLE_EQ(p.router_energy_pj_per_flit, 5.25);
  // 32 bits x 310 pJ / (256 bits x 10 mm) x sqrt(0.372 mm^2).
  EXPECT_NEAR(p.link_energy_pj_per_flit, 2.3634, 1e-4);
  // Derived.
  EXPECT_EQ(p.nodes(), 16u);
  EXPECT_EQ(p.hop_cycles(), 5u);
  EXPECT_EQ(p.flits_for(0), 0u);
  EXPECT_EQ(p.flits_for(1), 2u);
  EXPECT_EQ(p.flits_for(4), 2u);
  EXPECT_EQ(p.flits_for(5), 3u);
  EXPECT_EQ(p.flits_for(64), 17u);
  MeshParams q;
  q.header_flits = 0;
  EXPECT_EQ(q.flits_for(64), 16u);
}

TEST(MeshParams, ABadFieldIsNamed) {
  auto field_of = [](MeshParams p) {
    auto e = check_mesh_params(p);
    return e ? e->field : std::string();
  };
  MeshParams p;
  p.width = 0;
  EXPECT_EQ(field_of(p), "width");
  p = {};
  p.height = 300;
  EXPECT_EQ(field_of(p), "height");
  p = {};
  p.flit_bytes = 0;
  EXPECT_EQ(field_of(p), "flit_bytes");
  p = {};
  p.clock_ns = 0;
  EXPECT_EQ(field_of(p), "clock_ns");
  p.clock_ns = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(field_of(p), "clock_ns");
  p = {};
  p.router_pipeline_cycles = 65;
  EXPECT_EQ(field_of(p), "router_pipeline_cycles");
  p = {};
  p.router_pipeline_cycles = 0;
  p.link_cycles = 0;  // a hop that takes no time
  EXPECT_EQ(field_of(p), "link_cycles");
  p = {};
  p.router_energy_pj_per_flit = -1;
  EXPECT_EQ(field_of(p), "router_energy_pj_per_flit");
  p = {};
  p.link_energy_pj_per_flit = std::numeric_limits<double>::infinity();
  EXPECT_EQ(field_of(p), "link_energy_pj_per_flit");
  p = {};
  p.header_flits = 2;
  EXPECT_EQ(what_of([&] { validate_mesh_params(p); }), "noc.header_flits: must be 0 or 1, got 2");
  EXPECT_THROW(MeshNoc{p}, std::invalid_argument);
  // A 1 x 1 mesh and hops of one cycle are legal.
  p = mesh(1, 1);
  p.router_pipeline_cycles = 0;
  EXPECT_FALSE(check_mesh_params(p).has_value());
}

// ---------------------------------------------------------------------------
// Nodes, links and XY routes

TEST(XyRoute, NodeIdsLinksAndNames) {
  const MeshParams p = mesh(4, 3);
  EXPECT_EQ(node_id(p, 2, 1), 6u);
  EXPECT_EQ(node_x(p, 6), 2u);
  EXPECT_EQ(node_y(p, 6), 1u);
  EXPECT_EQ(node_name(p, 6), "(2,1)");
  EXPECT_EQ(link_name(p, Link{6, Direction::East}), "(2,1)->E");
  EXPECT_EQ(link_name(p, Link{6, Direction::South}), "(2,1)->S");
  EXPECT_EQ(link_target(p, Link{6, Direction::East}), 7u);
  EXPECT_EQ(link_target(p, Link{6, Direction::West}), 5u);
  EXPECT_EQ(link_target(p, Link{6, Direction::North}), 10u);
  EXPECT_EQ(link_target(p, Link{6, Direction::South}), 2u);
  EXPECT_FALSE(link_exists(p, Link{3, Direction::East}));   // (3,0): east edge
  EXPECT_FALSE(link_exists(p, Link{4, Direction::West}));   // (0,1): west edge
  EXPECT_FALSE(link_exists(p, Link{9, Direction::North}));  // (1,2): north edge
  EXPECT_FALSE(link_exists(p, Link{1, Direction::South}));  // (1,0): south edge
  EXPECT_FALSE(link_exists(p, Link{12, Direction::West}));  // no node 12
  EXPECT_TRUE(link_exists(p, Link{5, Direction::North}));
  for (unsigned i = 0; i < link_slots(p); ++i) EXPECT_EQ(link_index(link_at(i)), i);
  // Links that exist: 2 x (W-1) x H horizontal + 2 x W x (H-1) vertical.
  unsigned existing = 0;
  for (unsigned i = 0; i < link_slots(p); ++i) existing += link_exists(p, link_at(i));
  EXPECT_EQ(existing, 2u * 3 * 3 + 2u * 4 * 2);
}

TEST(XyRoute, MinimalAndXFirstForEveryPair) {
  for (const MeshParams& p : {mesh(4, 4), mesh(5, 3), mesh(1, 5), mesh(6, 1)}) {
    for (unsigned s = 0; s < p.nodes(); ++s) {
      for (unsigned d = 0; d < p.nodes(); ++d) {
        SCOPED_TRACE(std::to_string(p.width) + "x" + std::to_string(p.height) + " " +
                     node_name(p, s) + " -> " + node_name(p, d));
        const auto route = xy_route(p, s, d);
        const unsigned dx = node_x(p, s) > node_x(p, d) ? node_x(p, s) - node_x(p, d)
                                                        : node_x(p, d) - node_x(p, s);
        const unsigned dy = node_y(p, s) > node_y(p, d) ? node_y(p, s) - node_y(p, d)
                                                        : node_y(p, d) - node_y(p, s);
        ASSERT_EQ(route.size(), dx + dy);  // Manhattan distance: minimal
        EXPECT_EQ(xy_hops(p, s, d), dx + dy);
        unsigned at = s;
        size_t x_links = 0;
        bool in_y = false;
        for (const Link& l : route) {
          EXPECT_EQ(l.node, at);  // contiguous
          ASSERT_TRUE(link_exists(p, l));
          const bool is_x = l.dir == Direction::East || l.dir == Direction::West;
          if (is_x) {
            EXPECT_FALSE(in_y) << "an X link after a Y link";
            EXPECT_EQ(l.dir, route.front().dir);  // one X direction
            ++x_links;
          } else {
            in_y = true;
            EXPECT_EQ(l.dir, route.back().dir);  // one Y direction
          }
          at = link_target(p, l);
        }
        EXPECT_EQ(at, d);
        EXPECT_EQ(x_links, dx);
      }
    }
  }
}

TEST(XyRoute, ChannelDependencyGraphIsAcyclic) {
  for (const MeshParams& p : {mesh(4, 4), mesh(5, 3), mesh(8, 8), mesh(1, 6), mesh(6, 1)}) {
    std::vector<std::vector<Link>> routes;
    for (unsigned s = 0; s < p.nodes(); ++s)
      for (unsigned d = 0; d < p.nodes(); ++d) routes.push_back(xy_route(p, s, d));
    const auto adj = dependency_graph(p, routes);
    size_t edges = 0;
    for (const auto& a : adj) edges += a.size();
    EXPECT_GT(edges, 0u);
    EXPECT_FALSE(has_cycle(adj)) << p.width << "x" << p.height;
  }
  // The check finds the cycle of four routes that turn the same way round a
  // 2 x 2 square (two of them Y first): the classic routing deadlock.
  const MeshParams p = mesh(2, 2);
  const std::vector<std::vector<Link>> turning = {
      {{0, Direction::East}, {1, Direction::North}},  // 0 -> 3, X first
      {{1, Direction::North}, {3, Direction::West}},  // 1 -> 2, Y first
      {{3, Direction::West}, {2, Direction::South}},  // 3 -> 0, X first
      {{2, Direction::South}, {0, Direction::East}},  // 2 -> 1, Y first
  };
  EXPECT_TRUE(has_cycle(dependency_graph(p, turning)));
}

TEST(XyRoute, NodesOutsideTheMeshAreNamed) {
  const MeshParams p;
  EXPECT_THROW(xy_route(p, 16, 0), std::out_of_range);
  EXPECT_EQ(what_of([&] { xy_route(p, 16, 0); }),
            "noc: source node 16 is outside the 4 x 4 mesh (nodes 0..15)");
  EXPECT_EQ(what_of([&] { xy_route(p, 0, 99); }),
            "noc: destination node 99 is outside the 4 x 4 mesh (nodes 0..15)");
  EXPECT_TRUE(xy_route(p, 5, 5).empty());
}

// ---------------------------------------------------------------------------
// Timing

TEST(MeshNoc, IdleLatencyIsTheFormulaExactly) {
  // By hand for the defaults: 0 -> 15 on 4 x 4 is 6 hops; 64 bytes are 16
  // payload flits + 1 header; (6 x (4 + 1) + 17 - 1) x 1 ns.
  EXPECT_EQ(idle_latency_ns(MeshParams{}, 6, 64), 46.0);
  EXPECT_EQ(idle_latency_ns(MeshParams{}, 0, 1), 1.0);  // header + 1 flit, no hop
  EXPECT_EQ(idle_latency_ns(MeshParams{}, 3, 0), 0.0);

  std::vector<MeshParams> variants(4);
  variants[1].header_flits = 0;
  variants[2].clock_ns = 1.0 / 1.2;  // ISAAC's tile clock: not a round number
  variants[2].width = 5;
  variants[2].height = 3;
  variants[3].router_pipeline_cycles = 2;
  variants[3].link_cycles = 3;
  variants[3].flit_bytes = 16;
  const uint64_t sizes[] = {1, 3, 4, 5, 64, 100, 4096, 1 << 20};
  for (const MeshParams& p : variants) {
    MeshNoc noc(p);
    for (unsigned s = 0; s < p.nodes(); s += 3) {
      for (unsigned d = 0; d < p.nodes(); d += 2) {
        for (uint64_t bytes : sizes) {
          noc.reset();
          // A start on a clock edge, computed as a caller would.
          const double start = 37 * p.clock_ns;
          const NocTransfer r = noc.transfer(s, d, bytes, start);
          const unsigned hops = xy_hops(p, s, d);
          EXPECT_EQ(r.hops, hops);
          EXPECT_EQ(r.flits, p.flits_for(bytes));
          EXPECT_EQ(r.latency_ns, idle_latency_ns(p, hops, bytes))
              << s << " -> " << d << ", " << bytes << " bytes";
          EXPECT_EQ(r.wait_ns, 0.0);
          EXPECT_EQ(r.sync_ns, 0.0);
          EXPECT_EQ(r.arrival_ns, start + r.latency_ns);
        }
      }
    }
  }
}

TEST(MeshNoc, PacketsFarApartInTimeDoNotSeeEachOther) {
  MeshNoc noc(MeshParams{});
  double t = 0;
  for (int i = 0; i < 10; ++i) {
    const NocTransfer r = noc.transfer(0, 15, 256, t);
    EXPECT_EQ(r.latency_ns, idle_latency_ns(noc.params(), 6, 256));
    t = r.arrival_ns + 1;  // the whole route is free again
  }
  EXPECT_EQ(noc.stats().delayed_packets, 0u);
}

TEST(MeshNoc, AStartBetweenClockEdgesWaitsForTheNextEdge) {
  MeshNoc noc(MeshParams{});
  const NocTransfer r = noc.transfer(0, 1, 8, 10.25);
  EXPECT_EQ(r.sync_ns, 0.75);
  EXPECT_EQ(r.latency_ns, idle_latency_ns(noc.params(), 1, 8) + 0.75);
  EXPECT_EQ(r.arrival_ns, 10.25 + r.latency_ns);
  EXPECT_EQ(r.wait_ns, 0.0);
}

TEST(MeshNoc, TransfersSharingALinkDelayEachOther) {
  const MeshParams p;  // R = 4, L = 1, 1 ns
  const uint64_t bytes = 64;  // 17 flits
  const uint64_t F = p.flits_for(bytes);
  // A: (0,0) -> (3,0) over (0,0)->E, (1,0)->E, (2,0)->E.
  // B: (1,0) -> (2,0) over (1,0)->E, which A's head takes at cycle 9 (after
  // 4 + 1 cycles to (1,0) and 4 more of its pipeline) and holds for F cycles.
  MeshNoc noc(p);
  const NocTransfer a = noc.transfer(0, 3, bytes, 0.0);
  const NocTransfer b = noc.transfer(1, 2, bytes, 0.0);
  EXPECT_EQ(a.latency_ns, idle_latency_ns(p, 3, bytes));
  EXPECT_GT(b.latency_ns, idle_latency_ns(p, 1, bytes));
  // B's head is ready for the link at cycle 4 and gets it at 9 + F.
  EXPECT_EQ(b.wait_ns, static_cast<double>(9 + F - 4));
  EXPECT_EQ(b.latency_ns, idle_latency_ns(p, 1, bytes) + b.wait_ns);
  // Together they take longer than either alone.
  MeshNoc alone(p);
  const NocTransfer b_alone = alone.transfer(1, 2, bytes, 0.0);
  EXPECT_GT(std::max(a.arrival_ns, b.arrival_ns), b_alone.arrival_ns);

  // Issued the other way round, B goes first and A waits for it.
  noc.reset();
  const NocTransfer b2 = noc.transfer(1, 2, bytes, 0.0);
  const NocTransfer a2 = noc.transfer(0, 3, bytes, 0.0);
  EXPECT_EQ(b2.latency_ns, idle_latency_ns(p, 1, bytes));
  EXPECT_EQ(a2.wait_ns, static_cast<double>(4 + F - 9));
}

TEST(MeshNoc, TransfersOnDisjointRoutesDoNotDelayEachOther) {
  const MeshParams p;
  MeshNoc noc(p);
  const std::pair<unsigned, unsigned> pairs[] = {
      {0, 3},    // row 0 eastward
      {4, 7},    // row 1 eastward
      {3, 0},    // row 0 westward: the opposite links of the first
      {8, 14},   // (0,2) -> (2,3): (0,2)->E, (1,2)->E, (2,2)->N
      {13, 1},   // (1,3) -> (1,0): column 1 southward
      {15, 11},  // (3,3) -> (3,2)
  };
  for (const auto& [s, d] : pairs) {
    const NocTransfer r = noc.transfer(s, d, 1000, 5.0);
    EXPECT_EQ(r.latency_ns, idle_latency_ns(p, xy_hops(p, s, d), 1000)) << s << " -> " << d;
    EXPECT_EQ(r.wait_ns, 0.0);
  }
  EXPECT_EQ(noc.stats().delayed_packets, 0u);
}

TEST(MeshNoc, PacketsLeavingOneNodeSerializeOnItsInjectionPort) {
  const MeshParams p;
  const uint64_t F = p.flits_for(100);
  MeshNoc noc(p);
  // 0 -> 1 leaves East, 0 -> 4 leaves North: no common link, one port.
  const NocTransfer a = noc.transfer(0, 1, 100, 0.0);
  const NocTransfer b = noc.transfer(0, 4, 100, 0.0);
  EXPECT_EQ(a.wait_ns, 0.0);
  EXPECT_EQ(b.wait_ns, static_cast<double>(F));
  EXPECT_EQ(b.latency_ns, idle_latency_ns(p, 1, 100) + static_cast<double>(F));
  // A transfer to itself uses the ports only, and also queues on them.
  const NocTransfer c = noc.transfer(0, 0, 100, 0.0);
  EXPECT_EQ(c.hops, 0u);
  EXPECT_EQ(c.wait_ns, static_cast<double>(2 * F));
  EXPECT_EQ(noc.injected_flits(0), 3 * F);
}

TEST(MeshNoc, PacketsArrivingAtOneNodeSerializeOnItsEjectionPort) {
  const MeshParams p;
  const uint64_t F = p.flits_for(100);
  MeshNoc noc(p);
  // (0,1) -> (1,1) over (0,1)->E and (1,0) -> (1,1) over (1,0)->N: both
  // heads reach node 5 at cycle 5.
  const NocTransfer a = noc.transfer(4, 5, 100, 0.0);
  const NocTransfer b = noc.transfer(1, 5, 100, 0.0);
  EXPECT_EQ(a.wait_ns, 0.0);
  EXPECT_EQ(b.wait_ns, static_cast<double>(F));
  EXPECT_EQ(noc.ejected_flits(5), 2 * F);
}

TEST(MeshNoc, IssueOrderDecidesForOutOfOrderStarts) {
  const MeshParams p;
  const uint64_t F = p.flits_for(40);
  for (int run = 0; run < 2; ++run) {  // and the same again: deterministic
    MeshNoc noc(p);
    const NocTransfer late = noc.transfer(0, 1, 40, 100.0);
    const NocTransfer early = noc.transfer(0, 1, 40, 0.0);
    EXPECT_EQ(late.wait_ns, 0.0);
    // The earlier start queues behind the transfer issued before it.
    EXPECT_EQ(early.wait_ns, static_cast<double>(100 + F));
    EXPECT_EQ(noc.stats().out_of_order, 1u);
  }
}

// ---------------------------------------------------------------------------
// Energy and statistics

TEST(MeshNoc, EnergyIsFlitHopsTimesRouterPlusLink) {
  const MeshParams p;
  EnergyLedger ledger;
  MeshNoc noc(p, &ledger);
  MeshNoc quiet(p);  // no ledger: the same statistics
  struct T {
    unsigned s, d;
    uint64_t bytes;
  };
  const T ts[] = {{0, 15, 64}, {5, 6, 1}, {12, 3, 1000}, {7, 7, 500}, {9, 2, 33}};
  uint64_t flit_hops = 0;
  double t = 0;
  for (const T& x : ts) {
    noc.transfer(x.s, x.d, x.bytes, t);
    quiet.transfer(x.s, x.d, x.bytes, t);
    flit_hops += p.flits_for(x.bytes) * xy_hops(p, x.s, x.d);
    t += 3;
  }
  EXPECT_EQ(noc.stats().flit_hops, flit_hops);
  const auto& noc_block = ledger.blocks().at(kNocEnergyBlock);
  EXPECT_EQ(noc_block.at(kNocRouterFlitEvent).count, flit_hops);
  EXPECT_EQ(noc_block.at(kNocLinkFlitEvent).count, flit_hops);
  EXPECT_NEAR(noc_block.at(kNocRouterFlitEvent).pj, flit_hops * p.router_energy_pj_per_flit, 1e-6);
  EXPECT_NEAR(noc_block.at(kNocLinkFlitEvent).pj, flit_hops * p.link_energy_pj_per_flit, 1e-6);
  EXPECT_NEAR(ledger.block_pj(kNocEnergyBlock),
              flit_hops * (p.router_energy_pj_per_flit + p.link_energy_pj_per_flit), 1e-6);
  EXPECT_NEAR(noc.stats().energy_pj(), ledger.block_pj(kNocEnergyBlock), 1e-6);
  EXPECT_EQ(quiet.stats().energy_pj(), noc.stats().energy_pj());
  // A transfer to the same node charges nothing.
  const double before = ledger.total_pj();
  noc.transfer(3, 3, 4096, t);
  EXPECT_EQ(ledger.total_pj(), before);
}

TEST(MeshNoc, StatisticsBusiestLinksAndReset) {
  const MeshParams p;
  const uint64_t F = p.flits_for(64);
  MeshNoc noc(p);
  const NocTransfer a = noc.transfer(0, 3, 64, 0.0);
  const NocTransfer b = noc.transfer(1, 2, 64, 0.0);
  const NocStats& s = noc.stats();
  EXPECT_EQ(s.packets, 2u);
  EXPECT_EQ(s.bytes, 128u);
  EXPECT_EQ(s.flits, 2 * F);
  EXPECT_EQ(s.flit_hops, 4 * F);
  EXPECT_EQ(s.total_latency_ns, a.latency_ns + b.latency_ns);
  EXPECT_EQ(s.max_latency_ns, std::max(a.latency_ns, b.latency_ns));
  EXPECT_EQ(s.mean_latency_ns(), (a.latency_ns + b.latency_ns) / 2);
  EXPECT_EQ(s.total_wait_ns, b.wait_ns);
  EXPECT_EQ(s.delayed_packets, 1u);
  EXPECT_EQ(s.out_of_order, 0u);
  EXPECT_EQ(s.last_arrival_ns, std::max(a.arrival_ns, b.arrival_ns));

  const auto top = noc.busiest_links(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "(1,0)->E");
  EXPECT_EQ(top[0].flits, 2 * F);
  EXPECT_EQ(top[0].busy_ns, 2.0 * F * p.clock_ns);
  EXPECT_EQ(top[1].name, "(0,0)->E");  // ties with (2,0)->E: lower index first
  EXPECT_EQ(top[1].flits, F);
  EXPECT_EQ(noc.busiest_links(100).size(), 3u);  // unused links left out
  EXPECT_EQ(noc.link_flits(Link{2, Direction::East}), F);
  EXPECT_EQ(noc.link_busy_ns(Link{1, Direction::East}), 2.0 * F);
  EXPECT_EQ(noc.link_flits(Link{1, Direction::West}), 0u);
  EXPECT_EQ(noc.injected_flits(1), F);
  EXPECT_EQ(noc.ejected_flits(2), F);
  EXPECT_EQ(what_of([&] { noc.link_flits(Link{3, Direction::East}); }),
            "noc: link (3,0)->E is not in the 4 x 4 mesh");
  EXPECT_THROW(noc.link_flits(Link{16, Direction::East}), std::out_of_range);

  noc.reset();
  EXPECT_EQ(noc.stats().packets, 0u);
  EXPECT_EQ(noc.stats().energy_pj(), 0.0);
  EXPECT_TRUE(noc.busiest_links(5).empty());
  const NocTransfer again = noc.transfer(1, 2, 64, 0.0);
  EXPECT_EQ(again.latency_ns, idle_latency_ns(p, 1, 64));
}

TEST(MeshNoc, BadTransfersAreRejected) {
  MeshNoc noc(MeshParams{});
  EXPECT_EQ(what_of([&] { noc.transfer(16, 0, 4, 0.0); }),
            "noc: source node 16 is outside the 4 x 4 mesh (nodes 0..15)");
  EXPECT_EQ(what_of([&] { noc.transfer(0, 20, 4, 0.0); }),
            "noc: destination node 20 is outside the 4 x 4 mesh (nodes 0..15)");
  EXPECT_THROW(noc.transfer(16, 0, 4, 0.0), std::out_of_range);
  EXPECT_THROW(noc.transfer(0, 1, 4, -1.0), std::invalid_argument);
  EXPECT_THROW(noc.transfer(0, 1, 4, std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
  EXPECT_THROW(noc.transfer(0, 1, (uint64_t{1} << 40) + 1, 0.0), std::invalid_argument);
  // Zero bytes: nothing is sent.
  const NocTransfer r = noc.transfer(0, 5, 0, 7.0);
  EXPECT_EQ(r.flits, 0u);
  EXPECT_EQ(r.arrival_ns, 7.0);
  EXPECT_EQ(r.latency_ns, 0.0);
  EXPECT_EQ(noc.stats().packets, 0u);
  EXPECT_EQ(noc.injected_flits(0), 0u);
}

TEST(MeshNoc, SpeedOfManyTransfers) {
  // Not a benchmark: a guard against an accidental slow path, and a figure.
  MeshNoc noc(mesh(8, 8));
  std::mt19937_64 rng(1);
  const int N = 1000000;
  double t = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < N; ++i) {
    const unsigned s = static_cast<unsigned>(rng() % 64), d = static_cast<unsigned>(rng() % 64);
    noc.transfer(s, d, 64 + rng() % 256, t);
    t += 5.0;
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / N;
  std::cout << "[ info     ] 8x8 mesh, random transfers: " << ns << " ns per transfer, "
            << noc.stats().mean_latency_ns() << " ns mean latency\n";
  EXPECT_EQ(noc.stats().packets, static_cast<uint64_t>(N));
  EXPECT_LT(ns, 5000.0);
}

// gtest_main provides main(); the SystemC library still wants an sc_main.
int sc_main(int, char*[]) { return 0; }

// Snake order: consecutive positions one hop apart, every node once.
TEST(XyRoute, SnakeOrderVisitsNeighbours) {
  for (const auto& wh : {std::pair<unsigned, unsigned>{3, 2}, {4, 4}, {5, 3}, {1, 4}}) {
    MeshParams p;
    p.width = wh.first;
    p.height = wh.second;
    std::vector<bool> seen(p.nodes(), false);
    for (unsigned i = 0; i < p.nodes(); ++i) {
      const unsigned n = snake_node(p, i);
      ASSERT_LT(n, p.nodes());
      EXPECT_FALSE(seen[n]);
      seen[n] = true;
      EXPECT_EQ(snake_index(p, n), i);
      if (i > 0) {
        EXPECT_EQ(xy_hops(p, snake_node(p, i - 1), n), 1u) << p.width << "x" << p.height << " at " << i;
      }
    }
  }
}
