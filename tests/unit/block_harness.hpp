// One tile with a technique block (from TileParams::block_factories) and a
// TileDriver bound to it, for the blocks' unit tests: block() is the tile's
// block of type BlockT. SystemC elaborates once per process, so a test file
// keeps one harness (a function-local static).
#pragma once
#include <stdexcept>

#include <systemc>

#include "models/energy/energy_ledger.hpp"
#include "models/tile/tile.hpp"
#include "tile_driver.hpp"

namespace imcvp::test {

template <typename BlockT>
struct BlockHarness {
  EnergyLedger ledger;
  TileDriver cpu{"cpu"};
  Tile tile;
  explicit BlockHarness(const TileParams& params) : tile("tile0", params, &ledger) {
    cpu.socket.bind(tile.socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
  BlockT& block() {
    for (TileBlock* b : tile.blocks())
      if (auto* s = dynamic_cast<BlockT*>(b)) return *s;
    throw std::logic_error("the tile has no such block");
  }
};

}  // namespace imcvp::test
