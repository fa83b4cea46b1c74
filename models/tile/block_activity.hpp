// BlockActivity: what a technique block of the tile (SramCompensation,
// BasisScaler, SpliceUnit) shows of its work: `active`, high while a layer
// uses the block, and `ops`, its operations (MACs, shift-adds) since reset,
// both for the VCD; its memory reads and busy time since reset for the
// report. A layer's figures are set when the block configures for it
// (start) and added once the layer's time has elapsed (finish, from
// DatapathStage::layer_done), so the VCD shows them at the layer's end.
// Constructed as a member of the block: its signals are the block's
// children (<tile>.<block>.active, .<ops name>).
#pragma once
#include <cstdint>
#include <string>

#include <systemc>

#include "models/trace/vcd_file.hpp"

namespace imcvp {

class BlockActivity {
 public:
  sc_core::sc_signal<bool> active;
  sc_core::sc_signal<uint64_t> ops;

  // `ops_name`: the count's signal name ("macs", "adds").
  explicit BlockActivity(const char* ops_name) : active("active", false), ops(ops_name, 0) {}

  // The configured layer's figures (all its windows); none when it does not take part.
  void clear_layer() { m_layer = {}; }
  void start(uint64_t layer_ops, uint64_t layer_reads, double layer_ns) {
    m_layer = {layer_ops, layer_reads, layer_ns};
    active.write(true);
  }
  void finish() {
    if (!active.read() && !m_layer.ops) return;
    m_total.ops += m_layer.ops;
    m_total.reads += m_layer.reads;
    m_total.ns += m_layer.ns;
    m_layer = {};
    ops.write(m_total.ops);
    active.write(false);
  }
  void reset() { m_total = {}; }

  uint64_t op_count() const { return m_total.ops; }
  uint64_t reads() const { return m_total.reads; }
  double busy_ns() const { return m_total.ns; }
  void trace(VcdFile& vcd, const std::string& block) const {
    vcd.trace(active, block + ".active");
    vcd.trace(ops, block + "." + ops.basename());
  }

 private:
  struct Figures {
    uint64_t ops = 0, reads = 0;
    double ns = 0;
  };
  Figures m_layer, m_total;
};

}  // namespace imcvp
