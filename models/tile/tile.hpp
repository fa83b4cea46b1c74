// Tile: one accelerator tile, a composition of SystemC blocks behind an
// internal router (docs/accelerator.md "Tile blocks"):
//   CrossbarBank (the crossbar macros) -> ShiftAdd -> Accumulator
//     -> [stages added with add_stage()] -> ActivationUnit,
// each a TileBlock with its registers in the tile window at
// IMCVP_TILE_BLOCK(slot), and each a DatapathStage on the output path
// (models/tile/datapath_stage.hpp). The tile itself holds the control
// registers, the local buffer (SRAM window on the bus), the descriptor
// decoder, the window sequencer (im2col), max/average pooling and residual
// add. Registers and buffer window: imcvp/memory_map.h (IMCVP_TILE_*); the
// layer descriptor and its extension records: imcvp/accel.h.
//
// The CPU writes DESC_ADDR (a buffer offset) and CTRL.START; the tile's
// thread, at the START access's time, reads the descriptor and its
// extension records from its buffer, executes the whole layer, writes the
// output into its buffer, waits the layer's latency (decode + per window the
// stages' latencies), then sets STATUS.DONE (or ERROR with ERROR =
// IMCVP_TILE_ERR_*) and raises `irq` when enabled. PROGRAM writes cell levels
// from the buffer into one crossbar with write-and-verify.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include <tlm_utils/simple_initiator_socket.h>

#include "models/bus/register_bank.hpp"
#include "models/bus/router.hpp"
#include "models/bus/timed_signal_driver.hpp"
#include "models/crossbar/crossbar_array.hpp"
#include "models/crossbar/crossbar_bank.hpp"
#include "models/peripherals/accumulator.hpp"
#include "models/peripherals/activation_unit.hpp"
#include "models/peripherals/shift_add.hpp"
#include "models/tile/datapath_stage.hpp"

namespace imcvp {

class EnergyLedger;

class Tile;

struct TileParams {
  // Crossbar macros in the tile. [ISAAC] Table I: a tile has 12 IMAs of 8
  // crossbars of 128 x 128 each: 96.
  unsigned crossbars = 96;
  CrossbarParams crossbar;           // every macro alike (docs/crossbar.md)
  uint64_t seed = 1;                 // crossbar i draws from seed + i
  uint32_t buffer_bytes = 256 * 1024;  // local buffer, <= IMCVP_TILE_BUF_MAX
  // Digital clock of the tile's peripherals: 1 GHz ([ISAAC]: 1.2 GHz eDRAM /
  // digital pipeline; a round figure).
  double clock_ns = 1.0;
  unsigned buffer_bytes_per_cycle = 32;  // local buffer port width
  unsigned pool_lanes = 16;              // pooling window elements per cycle
  unsigned decode_cycles = 8;            // descriptor fetch and checks
  // Energies, M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
  // 8 KB SRAM 64-bit access ~10 pJ -> 1.25 pJ/byte; 32-bit add 0.1 pJ.
  double buffer_pj_per_byte = 1.25;
  double pool_pj = 0.1;  // per window element compared or added
  // The output-path blocks' own parameters (each with its ParamTable).
  ShiftAddParams shift_add;
  AccumulatorParams accumulator;
  ActivationParams activation;
  sc_core::sc_time reg_latency = sc_core::SC_ZERO_TIME;  // per register / buffer access
  // Performance estimation: Conv/FC layers charge every timing and energy
  // event of the functional model without computing a value (their output
  // tensors are left as they were). The one data-dependent count, the rows a
  // read step drives (nonzero input digit: DAC conversions and cell reads),
  // becomes its expectation: estimate_input_density x the rows the layer
  // uses x the steps. Everything else (MVMs, ADC conversions, shift-add,
  // accumulation, activation, buffer bytes, latency) is counted exactly.
  bool estimate = false;
  // Fraction of (row, read step) pairs with a nonzero input digit. 0.2: about
  // what the Fashion-MNIST networks measure in functional runs (the CNN
  // 0.18; TileStats::digit_slots, docs/accelerator.md "Performance
  // estimation"); a uniformly random digit would give 0.5.
  double estimate_input_density = 0.2;
  // Blocks a technique adds to every tile (a scenario's accelerator.tile.
  // <block> section; docs/contributing.md "Adding a block"). Each factory runs
  // inside the tile's constructor, so that the block is the tile's child in
  // the module hierarchy ("tile0.sram_comp"); it builds the block, joins it
  // with Tile::add_block / add_stage, and hands it to the tile to own.
  std::vector<std::function<std::unique_ptr<TileBlock>(Tile&)>> block_factories;
  // Host threads of the functional window loop of a Conv/FC layer: 1 runs
  // it on the simulation thread alone, 0 on every hardware thread. A Conv
  // layer's windows are shared among them, a one-window (FC) layer's reads.
  // Results are the same bits for any count (each window or read computes
  // its own values, the reads' events are summed in serial read order, read
  // noise is keyed by crossbar, read and column). Layers with added column
  // or output stages run on one thread.
  unsigned threads = 1;
};

struct TileStats {
  uint64_t commands = 0;  // descriptors completed (any op, no error)
  uint64_t errors = 0;
  uint64_t mvms = 0;
  uint64_t windows = 0;
  uint64_t adc_clipped = 0;
  // (row, read step) pairs of the layers' rows over all MVMs: the rows a
  // step could drive; mvm.dac_conversions / digit_slots is the measured
  // input digit density (TileParams::estimate_input_density's counterpart).
  uint64_t digit_slots = 0;
  uint64_t pulses = 0;
  uint64_t cells_failed = 0;
  double busy_ns = 0;
  MvmStats mvm;
  ProgramStats program;
};

// What the tile did for the descriptors at one buffer offset: the compiler
// gives each layer its own, so this is the tile's time per layer.
struct DescriptorStats {
  uint64_t commands = 0;  // completed without error
  double busy_ns = 0;     // decode + execution latency of those commands
  uint64_t mvms = 0;      // crossbar MVMs they made
};

class Tile : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Tile> socket;  // registers, blocks and buffer window
  sc_core::sc_signal<bool> irq;                  // IRQ_STATUS & IRQ_ENABLE != 0
  sc_core::sc_signal<bool> busy;                 // for the VCD

  // Throws std::invalid_argument naming the field on bad parameters.
  Tile(const sc_core::sc_module_name& name, const TileParams& params = {},
       EnergyLedger* ledger = nullptr);

  const TileParams& params() const { return m_params; }
  // The tile's figures, the crossbar bank's included.
  TileStats stats() const;
  // By descriptor buffer offset (DESC_ADDR), in offset order.
  const std::map<uint32_t, DescriptorStats>& descriptor_stats() const { return m_by_desc; }
  uint32_t status() const { return m_status; }
  uint32_t error_code() const { return m_error; }
  // Crossbar i (0..crossbars-1), made on first use.
  CrossbarArray& crossbar(unsigned i) { return m_xbank.crossbar(i); }
  unsigned crossbars_made() const { return m_xbank.made(); }
  uint8_t* buffer() { return m_buf.data(); }
  uint32_t buffer_size() const { return uint32_t(m_buf.size()); }
  // The message of the last error (for reports and logs).
  const std::string& error_message() const { return m_error_msg; }

  // The blocks, in path order, the added ones included.
  const std::vector<TileBlock*>& blocks() const { return m_blocks; }
  CrossbarBank& crossbar_bank() { return m_xbank; }

  // Seams (before the simulation starts): a block's window joins the tile's
  // internal router at IMCVP_TILE_BLOCK(block.slot()); a stage joins the
  // output path (Column stages after the crossbar reads, Map stages in the
  // accumulator's place for the layers they take, Output stages before the
  // activation unit, each in the order added) and may declare
  // extension record types. A block that is also a stage is added with both.
  void add_block(TileBlock& block);
  void add_stage(DatapathStage& stage);

 private:
  struct Fail {
    uint32_t code;
    std::string what;
  };
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  bool buffer_access(tlm::tlm_generic_payload& trans);
  bool block_window(uint64_t address) const {
    return address >= IMCVP_TILE_BLOCK_BASE && address < IMCVP_TILE_BUF;
  }
  void write_ctrl(uint32_t v, const sc_core::sc_time& at);
  void update_irq(const sc_core::sc_time& at);
  void run();  // SC_THREAD

  // Executes the descriptor at m_desc_addr; returns the latency in ns.
  double execute(const imcvp_layer_desc& d, const std::vector<ExtRecord>& records);
  std::vector<ExtRecord> read_records(const imcvp_layer_desc& d, uint32_t desc_addr);
  double exec_program(const imcvp_layer_desc& d);
  double exec_mvm(const imcvp_layer_desc& d, const std::vector<ExtRecord>& records);
  // The added stages that take part in a layer (the map stage is ctx.map).
  struct ActiveStages {
    std::vector<DatapathStage*> column, output;
  };
  // The functional windows of a Conv/FC layer through the active stages.
  void mvm_windows(const LayerContext& ctx, const ActiveStages& stages, const std::vector<int32_t>& in,
                   const std::vector<imcvp_requant>& rq, std::vector<int32_t>& out);
  double exec_pool(const imcvp_layer_desc& d);
  double exec_add(const imcvp_layer_desc& d);
  double exec_requant(const imcvp_layer_desc& d);
  double elementwise(const char* event, uint64_t n, uint64_t rbytes, uint64_t wbytes);
  void charge(const std::string& block, const char* event, uint64_t count, double pj, const char* category);
  void check_range(uint64_t off, uint64_t bytes, const char* what) const;
  int32_t load(uint32_t off, uint8_t fmt, size_t i) const;
  void store(uint32_t off, uint8_t fmt, size_t i, int32_t v);
  double cycles_ns(uint64_t work, unsigned lanes) const;

  TileParams m_params;
  EnergyLedger* m_ledger;
  RegisterBank m_regs;
  TimedSignalDriver<bool> m_irq_driver;
  // the blocks and their router
  tlm_utils::simple_initiator_socket<Tile> m_to_blocks;
  Router m_block_router;
  CrossbarBank m_xbank;
  ShiftAdd m_shift_add;
  Accumulator m_accumulator;
  ActivationUnit m_act;
  std::vector<TileBlock*> m_blocks;
  std::vector<DatapathStage*> m_column_stages, m_map_stages, m_output_stages;
  std::vector<std::unique_ptr<TileBlock>> m_owned_blocks;  // built by TileParams::block_factories
  // The local buffer's bytes, zero-filled by calloc: pages no layer touches
  // cost no host memory (64 tiles of an 8 MiB buffer).
  class ZeroedBuffer {
   public:
    explicit ZeroedBuffer(size_t n);
    ~ZeroedBuffer();
    ZeroedBuffer(const ZeroedBuffer&) = delete;
    ZeroedBuffer& operator=(const ZeroedBuffer&) = delete;
    uint8_t* data() { return m_p; }
    const uint8_t* data() const { return m_p; }
    size_t size() const { return m_n; }
   private:
    uint8_t* m_p;
    size_t m_n;
  };
  ZeroedBuffer m_buf;

  uint32_t m_status = 0, m_error = 0, m_desc_addr = 0;
  uint32_t m_irq_enable = 0, m_irq_status = 0;
  std::string m_error_msg;
  TileStats m_stats;  // the tile's own fields; the bank's are added by stats()
  std::map<uint32_t, DescriptorStats> m_by_desc;
  sc_core::sc_event m_start_event;
};

}  // namespace imcvp
