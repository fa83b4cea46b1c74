// DmaEngine on a Router with a Memory: copies in bursts (DMI and
// b_transport), STATUS/IRQ_STATUS/irq line at the completion time, energy per
// byte in the ledger, BYTES counter; bad requests (length, alignment, range,
// undecoded address) set STATUS.ERROR with the ERROR code.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>

#include "imcvp/memory_map.h"
#include "models/bus/router.hpp"
#include "models/dma/dma_engine.hpp"
#include "models/energy/energy_ledger.hpp"
#include "models/memory/memory.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using imcvp::test::run_to;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint64_t kRam2 = 0x90000000;  // no DMI: every burst by b_transport

struct Harness {
  EnergyLedger ledger;
  test::TestInitiator cpu{"cpu"};
  Router bus{"bus", RouterParams{sc_time(2, SC_NS), nullptr}};
  Memory ram{"ram", MemoryParams{kRamSize, sc_time(10, SC_NS), true}};
  Memory ram2{"ram2", MemoryParams{kRamSize, sc_time(10, SC_NS), false}};
  DmaEngine dma{"dma", DmaParams{}, &ledger};
  Harness() {
    cpu.socket.bind(bus.target);
    dma.master.bind(bus.target);
    bus.bind_target(ram.socket, "ram", kRam, kRamSize);
    bus.bind_target(ram2.socket, "ram2", kRam2, kRamSize);
    bus.bind_target(dma.socket, "dma", IMCVP_DMA_BASE, IMCVP_DMA_SIZE);
    sc_core::sc_start(SC_ZERO_TIME);
  }
  void w(uint32_t off, uint32_t v) {
    ASSERT_EQ(cpu.write32(IMCVP_DMA_BASE + off, v), tlm::TLM_OK_RESPONSE);
  }
  uint32_t r(uint32_t off) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(cpu.read32(IMCVP_DMA_BASE + off, v), tlm::TLM_OK_RESPONSE);
    return v;
  }
  void start(uint32_t src, uint32_t dst, uint32_t len) {
    w(IMCVP_DMA_SRC, src);
    w(IMCVP_DMA_DST, dst);
    w(IMCVP_DMA_LEN, len);
    w(IMCVP_DMA_CTRL, IMCVP_DMA_CTRL_START);
  }
  // Runs until STATUS leaves BUSY; returns the time it took.
  sc_time wait_idle() {
    const sc_time t0 = sc_core::sc_time_stamp();
    for (int i = 0; i < 100000 && (r(IMCVP_DMA_STATUS) & IMCVP_DMA_STATUS_BUSY); ++i)
      run_to(sc_core::sc_time_stamp() + sc_time(1, SC_NS));
    return sc_core::sc_time_stamp() - t0;
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

// Carries bursts from ram to ram2 with a fixed flight time, recording them.
struct FixedFlight : DmaInterconnect {
  sc_time flight = sc_time(500, SC_NS);
  std::vector<std::pair<sc_time, unsigned>> sent;  // (time, bytes)
  std::optional<sc_time> carry(uint64_t src, uint64_t dst, unsigned len, const sc_time& at) override {
    if (!(src >= kRam && src < kRam + kRamSize && dst >= kRam2)) return std::nullopt;
    sent.emplace_back(at, len);
    return at + flight;
  }
};

}  // namespace

TEST(Dma, CopiesThroughTheBusAndRaisesItsInterrupt) {
  Harness& h = harness();
  std::vector<uint8_t> src(1000);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 7 + 3);
  h.ram.load(0x100, src.data(), src.size());
  h.w(IMCVP_DMA_IRQ_ENABLE, IMCVP_DMA_IRQ_DONE | IMCVP_DMA_IRQ_ERROR);
  const double pj0 = h.ledger.block_pj("dma");
  h.start(uint32_t(kRam + 0x100), uint32_t(kRam + 0x4000), 1000);
  EXPECT_EQ(h.r(IMCVP_DMA_STATUS), uint32_t(IMCVP_DMA_STATUS_BUSY));
  EXPECT_FALSE(h.dma.irq.read());
  const sc_time took = h.wait_idle();
  EXPECT_EQ(h.r(IMCVP_DMA_STATUS), uint32_t(IMCVP_DMA_STATUS_DONE));
  EXPECT_EQ(h.r(IMCVP_DMA_ERROR), uint32_t(IMCVP_DMA_ERR_NONE));
  EXPECT_EQ(std::memcmp(h.ram.data() + 0x4000, src.data(), src.size()), 0);
  // 16 bursts of 64 bytes (the last 40): setup + per burst overhead + DMI
  // read and write latencies (10 ns each).
  EXPECT_GE(took, sc_time(10 + 16 * (1 + 20), SC_NS));
  EXPECT_LE(took, sc_time(10 + 16 * (1 + 20) + 2, SC_NS));
  run_to(sc_core::sc_time_stamp());
  EXPECT_TRUE(h.dma.irq.read());
  EXPECT_EQ(h.r(IMCVP_DMA_IRQ_STATUS), uint32_t(IMCVP_DMA_IRQ_DONE));
  EXPECT_EQ(h.r(IMCVP_DMA_BYTES_LO), 1000u);
  EXPECT_DOUBLE_EQ(h.ledger.block_pj("dma") - pj0, 1000 * DmaParams{}.energy_pj_per_byte);
  EXPECT_EQ(h.ledger.blocks().at("dma").at("transfer_byte").count, 1000u);
  // W1C drops the line.
  h.w(IMCVP_DMA_IRQ_STATUS, IMCVP_DMA_IRQ_DONE);
  run_to(sc_core::sc_time_stamp() + sc_time(2, SC_NS));  // the bus hop
  EXPECT_FALSE(h.dma.irq.read());
  EXPECT_EQ(h.r(IMCVP_DMA_IRQ_STATUS), 0u);
}

TEST(Dma, WithoutDmiEveryBurstGoesThroughTheBus) {
  Harness& h = harness();
  std::vector<uint8_t> src(256);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(255 - i);
  h.ram.load(0x200, src.data(), src.size());
  const uint64_t fwd0 = h.bus.stats().forwarded;
  h.start(uint32_t(kRam + 0x200), uint32_t(kRam2 + 0x40), 256);
  const sc_time took = h.wait_idle();
  EXPECT_EQ(h.r(IMCVP_DMA_STATUS), uint32_t(IMCVP_DMA_STATUS_DONE));
  EXPECT_EQ(std::memcmp(h.ram2.data() + 0x40, src.data(), src.size()), 0);
  // 4 writes by b_transport (bus hop 2 ns + memory 10 ns); reads by DMI.
  EXPECT_GE(h.bus.stats().forwarded - fwd0, 4u);
  EXPECT_GE(took, sc_time(10 + 4 * (1 + 10 + 12), SC_NS));
  h.w(IMCVP_DMA_IRQ_STATUS, 0xffffffff);
}

TEST(Dma, BadRequestsSetErrorWithACode) {
  Harness& h = harness();
  struct Case {
    uint32_t src, dst, len, code;
  } cases[] = {
      {uint32_t(kRam), uint32_t(kRam + 0x1000), 0, IMCVP_DMA_ERR_LENGTH},
      {uint32_t(kRam), uint32_t(kRam + 0x1000), 0x2000000, IMCVP_DMA_ERR_LENGTH},
      {uint32_t(kRam + 2), uint32_t(kRam + 0x1000), 16, IMCVP_DMA_ERR_ALIGN},
      {uint32_t(kRam), uint32_t(kRam + 0x1000), 6, IMCVP_DMA_ERR_ALIGN},
      {0xfffffff0u, uint32_t(kRam), 0x20, IMCVP_DMA_ERR_RANGE},
      {0x30000000u, uint32_t(kRam), 64, IMCVP_DMA_ERR_BUS_READ},
      {uint32_t(kRam), 0x30000100u, 128, IMCVP_DMA_ERR_BUS_WRITE},
  };
  h.w(IMCVP_DMA_IRQ_ENABLE, IMCVP_DMA_IRQ_ERROR);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    h.start(c.src, c.dst, c.len);
    h.wait_idle();
    run_to(sc_core::sc_time_stamp() + sc_time(2, SC_NS));
    EXPECT_EQ(h.r(IMCVP_DMA_STATUS), uint32_t(IMCVP_DMA_STATUS_ERROR));
    EXPECT_EQ(h.r(IMCVP_DMA_ERROR), c.code);
    EXPECT_TRUE(h.dma.irq.read());
    EXPECT_EQ(h.r(IMCVP_DMA_IRQ_STATUS), uint32_t(IMCVP_DMA_IRQ_ERROR));
    if (c.code == IMCVP_DMA_ERR_BUS_READ) {
      EXPECT_EQ(h.r(IMCVP_DMA_ERROR_ADDR), c.src);
    }
    if (c.code == IMCVP_DMA_ERR_BUS_WRITE) {
      EXPECT_EQ(h.r(IMCVP_DMA_ERROR_ADDR), c.dst);
    }
    h.w(IMCVP_DMA_IRQ_STATUS, IMCVP_DMA_IRQ_ERROR);
    run_to(sc_core::sc_time_stamp() + sc_time(2, SC_NS));
    EXPECT_FALSE(h.dma.irq.read());
  }
}

TEST(Dma, StartWhileBusyIsRefused) {
  Harness& h = harness();
  h.start(uint32_t(kRam), uint32_t(kRam + 0x8000), 4096);
  h.w(IMCVP_DMA_CTRL, IMCVP_DMA_CTRL_START);
  EXPECT_EQ(h.r(IMCVP_DMA_ERROR), uint32_t(IMCVP_DMA_ERR_BUSY));
  EXPECT_TRUE(h.r(IMCVP_DMA_STATUS) & IMCVP_DMA_STATUS_BUSY);
  h.wait_idle();
  EXPECT_EQ(h.r(IMCVP_DMA_STATUS), uint32_t(IMCVP_DMA_STATUS_DONE));
  h.w(IMCVP_DMA_IRQ_STATUS, 0xffffffff);
}

// With an interconnect the engine sends its bursts one after the other
// without waiting for each to land, and finishes when the last one has.
TEST(Dma, BurstsOverAnInterconnectFinishWhenTheLastArrives) {
  Harness& h = harness();
  FixedFlight ic;
  h.dma.set_interconnect(&ic);
  std::vector<uint8_t> src(256);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 5 + 1);
  ASSERT_EQ(h.cpu.debug(tlm::TLM_WRITE_COMMAND, kRam, src.data(), unsigned(src.size())), src.size());
  h.start(uint32_t(kRam), uint32_t(kRam2), 256);
  const sc_time took = h.wait_idle();
  h.dma.set_interconnect(nullptr);
  ASSERT_EQ(ic.sent.size(), 256u / DmaParams{}.burst_bytes);
  for (size_t i = 1; i < ic.sent.size(); ++i) EXPECT_LT(ic.sent[i].first, ic.sent[i - 1].first + ic.flight);  // pipelined
  EXPECT_GE(took, ic.flight);
  EXPECT_LT(took, ic.flight * 2.0);
  std::vector<uint8_t> dst(256);
  ASSERT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, kRam2, dst.data(), 256u), 256u);
  EXPECT_EQ(dst, src);
  // ram -> ram stays on the bus: the interconnect is not asked
  h.dma.set_interconnect(&ic);
  ic.sent.clear();
  h.start(uint32_t(kRam), uint32_t(kRam + 0x1000), 64);
  h.wait_idle();
  h.dma.set_interconnect(nullptr);
  EXPECT_TRUE(ic.sent.empty());
}

IMCVP_TEST_SC_MAIN()
