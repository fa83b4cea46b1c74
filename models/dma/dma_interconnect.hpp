// What carries the DMA engine's bursts when source and destination are both
// nodes of an interconnect (the mesh NoC, platform/noc_fabric.hpp): the
// engine asks it when a burst issued at `at` arrives. Without one, or for
// addresses it does not serve, bursts cross the system bus alone.
#pragma once
#include <cstdint>
#include <optional>

#include <systemc>

namespace imcvp {

class DmaInterconnect {
 public:
  virtual ~DmaInterconnect() = default;
  // The arrival time at dst of a burst of `len` bytes read from src and
  // sent at `at` (absolute simulated time); nullopt: not carried by this
  // interconnect (plain bus timing).
  virtual std::optional<sc_core::sc_time> carry(uint64_t src, uint64_t dst, unsigned len,
                                                const sc_core::sc_time& at) = 0;
};

}  // namespace imcvp
