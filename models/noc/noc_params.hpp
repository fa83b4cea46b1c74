// Parameters of the mesh network-on-chip: geometry, link width, clock,
// per-hop pipeline and per-flit energies. docs/noc.md describes the model;
// every default below names its source or says it is a modelling choice.
//
// Sources cited:
//   [ISAAC]   A. Shafiee et al., "ISAAC: A Convolutional Neural Network
//             Accelerator with In-Situ Analog Arithmetic in Crossbars",
//             ISCA 2016. Sec. III: tiles "connected with an on-chip
//             concentrated-mesh (c-mesh)"; Sec. VIII-A: "the c-mesh flit
//             width is set to 32 bits", "we conservatively assume a 32-bit
//             link operating at 1 GHz"; Table I: router flit_size 32,
//             num_port 8, 42 mW, 0.151 mm^2, shared by 4 tiles; one tile
//             0.372 mm^2.
//   [SIAM]    G. Krishnan et al., "SIAM: Chiplet-based Scalable In-Memory
//             Acceleration with Mesh for Deep Neural Networks", ACM TECS 2021,
//             as shipped in MNSIM 2.0 (thu-nics/MNSIM-2.0, MNSIM/NoC):
//             mesh_config (BookSim: dimension-order routing, routing /
//             VC-allocation / switch-allocation / switch-traversal delays of
//             one cycle each, channel_width = 32) and interconnect_estimation.py
//             (1 GHz, 4 pipeline cycles per router, 1 cycle per link, 32
//             header bits added to every packet).
//   [D&T]     W. J. Dally, B. Towles, "Principles and Practices of
//             Interconnection Networks", Morgan Kaufmann 2004, Ch. 16: the
//             virtual-channel router pipeline RC | VA | SA | ST, four stages.
//   [Keckler] S. W. Keckler, W. J. Dally et al., "GPUs and the Future of
//             Parallel Computing", IEEE Micro 31(5), 2011, Table 1: moving
//             256 bits over 10 mm of on-chip wire costs 310 pJ at 40 nm.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace imcvp {

// Source figures the defaults are computed from, each stated once.
namespace noc_source {
// [ISAAC] Table I: one router (8 ports, 32-bit flits) draws 42 mW; Sec. VIII-A:
// its links run at 1 GHz.
constexpr double kIsaacRouterMw = 42.0;
constexpr double kIsaacRouterPorts = 8.0;
constexpr double kIsaacLinkGhz = 1.0;
// [ISAAC] Table I: one tile is 0.372 mm^2; a square tile has this pitch (mm).
constexpr double kIsaacTileMm2 = 0.372;
// [Keckler] Table 1: 310 pJ for 256 bits over 10 mm (pJ per bit per mm).
constexpr double kWirePjPerBitMm = 310.0 / (256.0 * 10.0);
}  // namespace noc_source

struct MeshParams {
  // --- geometry ------------------------------------------------------------
  // Routers in x and y; one network interface (a tile, the global buffer or
  // the DMA engine) per router. Modelling choice: 4 x 4 = 16 nodes, the
  // platform's tile limit (IMCVP_TILE_MAX_TILES). [ISAAC]'s chip is a
  // concentrated mesh of 14 x 12 tiles, four tiles per router.
  unsigned width = 4;
  unsigned height = 4;

  // --- links and timing --------------------------------------------------------
  // Link width = flit size. [ISAAC] "c-mesh flit width is set to 32 bits";
  // [SIAM] channel_width = 32.
  unsigned flit_bytes = 4;
  // Router and link clock. [ISAAC] "a 32-bit link operating at 1 GHz";
  // [SIAM] freq = 1 GHz.
  double clock_ns = 1.0 / noc_source::kIsaacLinkGhz;
  // Cycles from a head flit entering a router to its leaving on the output
  // link. [D&T] RC, VA, SA, ST; [SIAM] four one-cycle stages per router.
  unsigned router_pipeline_cycles = 4;
  // Cycles to cross one link between neighbouring routers. [SIAM] one cycle
  // per link (neighbouring tiles, a wire well under a clock of reach).
  unsigned link_cycles = 1;
  // Flits of header a packet carries besides its payload: 0 or 1 (a head
  // flit holding the route). [SIAM] adds 32 bits, one flit, to every packet.
  unsigned header_flits = 1;

  // --- energy (per flit, per hop) -------------------------------------------------
  // One flit through one router. [ISAAC] 42 mW / (8 ports x 1 GHz) = 5.25 pJ:
  // the router's power spread over its full throughput, one flit per port per
  // cycle; an upper estimate (it includes leakage, and an 8-port concentrated
  // router is bigger than this mesh's 5-port one). Derived, not published.
  double router_energy_pj_per_flit =
      noc_source::kIsaacRouterMw / (noc_source::kIsaacRouterPorts * noc_source::kIsaacLinkGhz);
  // One flit over one link: flit bits x wire energy x link length.
  // 32 bits x [Keckler] 0.121 pJ/bit/mm x [ISAAC] tile pitch sqrt(0.372 mm^2)
  // = 0.610 mm: 2.36 pJ. Derived, not published.
  double link_energy_pj_per_flit =
      32.0 * noc_source::kWirePjPerBitMm * std::sqrt(noc_source::kIsaacTileMm2);

  // --- derived ---------------------------------------------------------------------
  unsigned nodes() const { return width * height; }
  // Cycles one hop (router + link) adds to the head flit on an idle network.
  unsigned hop_cycles() const { return router_pipeline_cycles + link_cycles; }
  // Flits of a packet of `bytes` payload: ceil(bytes / flit_bytes) +
  // header_flits; 0 for 0 bytes (no packet is sent).
  uint64_t flits_for(uint64_t bytes) const {
    return bytes == 0 ? 0 : (bytes - 1) / flit_bytes + 1 + header_flits;
  }
};

// A parameter a user got wrong: the field's name and what is wrong with it.
struct MeshParamError {
  std::string field;    // e.g. "flit_bytes"
  std::string problem;  // e.g. "must be 1..256, got 0"
};
// The first problem of `p`, or none.
std::optional<MeshParamError> check_mesh_params(const MeshParams& p);
// Throws std::invalid_argument("noc.<field>: <problem>") on a bad `p`.
void validate_mesh_params(const MeshParams& p);

}  // namespace imcvp
