// NocFabric: the mesh NoC (models/noc) on the platform. Tile n's network
// interface is mesh node snake_node(n) (consecutive tiles are neighbours);
// the memory interface (main memory and the
// workload memory, reached through the DMA engine) is one more node. DMA
// bursts between two different nodes travel as NoC packets with the mesh's
// timing and contention; bursts from memory to memory stay on the bus.
// docs/noc.md "On the platform".
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/bus/timed_signal_driver.hpp"
#include "models/dma/dma_interconnect.hpp"
#include "models/noc/mesh_noc.hpp"
#include "platform/json_writer.hpp"

namespace imcvp {

class NocFabric : public DmaInterconnect {
 public:
  // Throws std::invalid_argument naming the field when the mesh has too
  // few nodes for `tiles` tiles and the memory node, or memory_node is a
  // tile's node or outside the mesh.
  NocFabric(const MeshParams& mesh, unsigned tiles, unsigned memory_node, EnergyLedger* ledger);

  std::optional<sc_core::sc_time> carry(uint64_t src, uint64_t dst, unsigned len,
                                        const sc_core::sc_time& at) override;

  // The mesh node of a bus address: a tile's window or, anything else, the
  // memory interface.
  unsigned node_of(uint64_t addr) const;
  unsigned memory_node() const { return memory_node_; }
  const MeshNoc& noc() const { return noc_; }

  // The report's `noc` section.
  void write_json(JsonWriter& j) const;

  // One signal per mesh link, true while the link carries flits, for the
  // VCD (trace group accel). Creates them on first call (elaboration only).
  struct LinkSignal {
    std::string name;  // "noc.x0_y1_S"
    std::unique_ptr<sc_core::sc_signal<bool>> busy;
    std::unique_ptr<TimedSignalDriver<bool>> driver;
  };
  const std::vector<LinkSignal>& link_signals();

 private:
  MeshNoc noc_;
  unsigned tiles_;
  unsigned memory_node_;
  std::vector<LinkSignal> links_;      // existing links only
  std::vector<int> signal_of_link_;    // link index -> links_ index, -1: none
};

}  // namespace imcvp
