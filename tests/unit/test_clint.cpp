// Clint through its socket: mtime follows simulated time at timer_hz, mtip
// rises exactly when mtime reaches mtimecmp (also when the write comes from a
// CPU running ahead of SystemC time), rewriting mtimecmp clears it, msip,
// next_deadline, mtime writes, bad accesses, irq_event.
#include <gtest/gtest.h>

#include <vector>

#include <systemc>
#include <tlm>

#include "imcvp/memory_map.h"
#include "models/cpu/clint.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using imcvp::test::run_to;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::SC_US;
using sc_core::SC_ZERO_TIME;

namespace {

// The shared test initiator with the CLINT's checked 32-bit accesses and its
// 64-bit mtime/mtimecmp helpers.
struct ClintInitiator : test::TestInitiator {
  using TestInitiator::TestInitiator;

  void write32(uint64_t addr, uint32_t v, sc_time delay = SC_ZERO_TIME) {
    ASSERT_EQ(access(tlm::TLM_WRITE_COMMAND, addr, &v, 4, delay), tlm::TLM_OK_RESPONSE);
  }
  uint32_t read32(uint64_t addr, sc_time delay = SC_ZERO_TIME) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, addr, &v, 4, delay), tlm::TLM_OK_RESPONSE);
    return v;
  }
  // RV32 style: two 32-bit accesses, low word first; the safe mtimecmp
  // sequence (high word all ones first) so no spurious interrupt.
  void write_mtimecmp(uint64_t v, sc_time delay = SC_ZERO_TIME) {
    write32(IMCVP_CLINT_MTIMECMP + 4, 0xffffffff, delay);
    write32(IMCVP_CLINT_MTIMECMP, uint32_t(v), delay);
    write32(IMCVP_CLINT_MTIMECMP + 4, uint32_t(v >> 32), delay);
  }
  uint64_t read_mtime(sc_time delay = SC_ZERO_TIME) {
    uint64_t v = 0;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, IMCVP_CLINT_MTIME, &v, 8, delay),
              tlm::TLM_OK_RESPONSE);
    return v;
  }
};

// Records when irq_event fires.
struct IrqMonitor : sc_core::sc_module {
  std::vector<sc_time> times;
  sc_core::sc_event& ev;
  SC_HAS_PROCESS(IrqMonitor);
  IrqMonitor(const sc_core::sc_module_name& n, sc_core::sc_event& e) : sc_module(n), ev(e) {
    SC_METHOD(on_irq);
    sensitive << ev;
    dont_initialize();
  }
  void on_irq() { times.push_back(sc_core::sc_time_stamp()); }
};

constexpr uint64_t kHz = 10000000;  // 100 ns per tick
constexpr uint64_t kRtcHz = 32768;  // 30517578.125 ps per tick: not a whole number of ps
const sc_time kTick(100, SC_NS);
const sc_time kPs(1, SC_PS);

struct Harness {
  ClintInitiator cpu{"cpu"};
  ClintInitiator cpu2{"cpu2"};
  Clint clint{"clint", ClintParams{kHz, SC_ZERO_TIME}};
  Clint rtc{"rtc", ClintParams{kRtcHz, SC_ZERO_TIME}};
  IrqMonitor irqs{"irqs", clint.irq_event};
  Harness() {
    cpu.socket.bind(clint.socket);
    cpu2.socket.bind(rtc.socket);
    sc_core::sc_start(SC_ZERO_TIME);
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

sc_time now() { return sc_core::sc_time_stamp(); }

// Runs to the next whole 100 ns (a 10 MHz tick boundary).
void align() {
  const uint64_t tick = kTick.value();
  run_to(sc_time::from_value((now().value() + tick - 1) / tick * tick));
}

// Leaves both timers quiet: mtimecmp never, mtip low.
void quiet(Harness& h) {
  h.cpu.write_mtimecmp(~0ull);
  h.cpu2.write_mtimecmp(~0ull);
  h.cpu.write32(IMCVP_CLINT_MSIP, 0);
  run_to(now());
}

}  // namespace

TEST(Clint, ResetState) {
  Harness& h = harness();
  EXPECT_EQ(h.clint.mtimecmp(), ~0ull);
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MTIMECMP), 0xffffffffu);
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MTIMECMP + 4), 0xffffffffu);
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MSIP), 0u);
  EXPECT_FALSE(h.clint.mtip.read());
  EXPECT_FALSE(h.clint.msip.read());
  EXPECT_EQ(h.clint.next_deadline(), sc_core::sc_max_time());
}

TEST(Clint, MtimeFollowsSimulatedTimeAtTimerHz) {
  Harness& h = harness();
  quiet(h);
  run_to(now() + sc_time(10, SC_US));
  const uint64_t t_ps = now().value();  // resolution is 1 ps
  EXPECT_EQ(h.cpu.read_mtime(), t_ps / 100000);
  EXPECT_EQ(h.clint.mtime(), t_ps / 100000);
  // The annotated delay counts: 250 ns ahead is 2 ticks later (floor).
  EXPECT_EQ(h.cpu.read_mtime(sc_time(250, SC_NS)), t_ps / 100000 + 2);
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MTIME, sc_time(250, SC_NS)),
            uint32_t(t_ps / 100000 + 2));
  const uint64_t before = h.cpu.read_mtime();
  run_to(now() + sc_time(1, SC_US));
  EXPECT_EQ(h.cpu.read_mtime(), before + 10);
  // 32768 Hz: floor(t * hz), exact in integer arithmetic.
  EXPECT_EQ(h.cpu2.read_mtime(), uint64_t((unsigned __int128)now().value() * kRtcHz / 1000000000000ull));
}

TEST(Clint, MtipRisesExactlyAtTheDeadline) {
  Harness& h = harness();
  quiet(h);
  run_to(now() + sc_time(1234567, SC_PS));  // not on a tick boundary
  const uint64_t m = h.cpu.read_mtime();
  const size_t irqs_before = h.irqs.times.size();
  h.cpu.write_mtimecmp(m + 5);
  const sc_time deadline = sc_time::from_value((m + 5) * 100000);
  EXPECT_EQ(h.clint.next_deadline(), deadline);
  EXPECT_FALSE(h.clint.mtip_pending());
  EXPECT_TRUE(h.clint.mtip_pending_at(deadline));
  EXPECT_FALSE(h.clint.mtip_pending_at(deadline - kPs));

  run_to(deadline - kPs);
  EXPECT_FALSE(h.clint.mtip.read());
  EXPECT_EQ(h.irqs.times.size(), irqs_before);
  run_to(deadline);
  EXPECT_TRUE(h.clint.mtip.read());
  EXPECT_TRUE(h.clint.mtip_pending());
  EXPECT_EQ(h.clint.next_deadline(), sc_core::sc_max_time()) << "already high";
  ASSERT_EQ(h.irqs.times.size(), irqs_before + 1);
  EXPECT_EQ(h.irqs.times.back(), deadline);

  // It stays high while mtime >= mtimecmp ...
  run_to(now() + sc_time(5, SC_US));
  EXPECT_TRUE(h.clint.mtip.read());
  // ... and rewriting mtimecmp into the future clears it at once.
  h.cpu.write_mtimecmp(h.cpu.read_mtime() + 100);
  EXPECT_FALSE(h.clint.mtip_pending());
  run_to(now());
  EXPECT_FALSE(h.clint.mtip.read());
  EXPECT_EQ(h.irqs.times.size(), irqs_before + 1);
}

TEST(Clint, DeadlineIsRoundedUpToTheFirstInstantMtimeReachesIt) {
  Harness& h = harness();
  quiet(h);
  const uint64_t m = h.cpu2.read_mtime();
  h.cpu2.write_mtimecmp(m + 3);
  // First t (in ps) with floor(t * 32768 / 1e12) >= m + 3.
  const unsigned __int128 target = (unsigned __int128)(m + 3) * 1000000000000ull;
  const sc_time deadline = sc_time::from_value(uint64_t((target + kRtcHz - 1) / kRtcHz));
  EXPECT_EQ(h.rtc.next_deadline(), deadline);
  run_to(deadline - kPs);
  EXPECT_FALSE(h.rtc.mtip.read());
  EXPECT_EQ(h.rtc.mtime(), m + 2);
  run_to(deadline);
  EXPECT_TRUE(h.rtc.mtip.read());
  EXPECT_EQ(h.rtc.mtime(), m + 3);
  h.cpu2.write_mtimecmp(~0ull);
}

TEST(Clint, WriteFromACpuAheadOfSystemCTimeTakesEffectAtItsOwnTime) {
  Harness& h = harness();
  quiet(h);
  run_to(now() + sc_time(3, SC_US));
  align();
  const sc_time t0 = now();
  const uint64_t m0 = h.cpu.read_mtime();
  // The CPU is 1 us ahead and sets a deadline 2 ticks after its local time.
  const sc_time ahead(1, SC_US);
  h.cpu.write_mtimecmp(m0 + 12, ahead);
  const sc_time deadline = t0 + sc_time(1200, SC_NS);
  EXPECT_EQ(h.clint.next_deadline(), deadline);
  run_to(deadline - kPs);
  EXPECT_FALSE(h.clint.mtip.read());
  run_to(deadline);
  EXPECT_TRUE(h.clint.mtip.read());

  // The CPU, 1 us ahead again, clears it (mtimecmp never) and later, 3 us
  // ahead, sets a deadline already passed: mtip must be low from the first
  // write's time and rise at the second write's time, not earlier.
  const sc_time t1 = now();
  h.cpu.write_mtimecmp(~0ull, sc_time(1, SC_US));
  h.cpu.write_mtimecmp(0, sc_time(3, SC_US));
  EXPECT_TRUE(h.clint.mtip_pending()) << "latest registers: mtimecmp 0";
  run_to(t1 + sc_time(1, SC_US) - kPs);
  EXPECT_TRUE(h.clint.mtip.read());
  run_to(t1 + sc_time(1, SC_US));
  EXPECT_FALSE(h.clint.mtip.read());
  run_to(t1 + sc_time(3, SC_US) - kPs);
  EXPECT_FALSE(h.clint.mtip.read());
  run_to(t1 + sc_time(3, SC_US));
  EXPECT_TRUE(h.clint.mtip.read());
  quiet(h);
  EXPECT_FALSE(h.clint.mtip.read());
}

TEST(Clint, MtimeIsWritable) {
  Harness& h = harness();
  quiet(h);
  align();
  h.cpu.write32(IMCVP_CLINT_MTIME, 0xfffffff0);
  h.cpu.write32(IMCVP_CLINT_MTIME + 4, 0x1);
  EXPECT_EQ(h.cpu.read_mtime(), 0x1fffffff0ull);
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MTIME + 4), 0x1u);
  run_to(now() + sc_time(2, SC_US));
  EXPECT_EQ(h.cpu.read_mtime(), 0x1fffffff0ull + 20);  // carries into the high word
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MTIME + 4), 0x2u);

  // Deadlines follow the new time base.
  h.cpu.write_mtimecmp(0x200000010ull);
  EXPECT_EQ(h.clint.next_deadline(), now() + 12 * kTick);
  run_to(now() + 12 * kTick);
  EXPECT_TRUE(h.clint.mtip.read());
  // Setting mtime back below mtimecmp clears mtip.
  uint64_t zero = 0;
  ASSERT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_CLINT_MTIME, &zero, 8),
            tlm::TLM_OK_RESPONSE);
  EXPECT_FALSE(h.clint.mtip_pending());
  run_to(now());
  EXPECT_FALSE(h.clint.mtip.read());
  EXPECT_EQ(h.cpu.read_mtime(), 0u);
  quiet(h);
}

TEST(Clint, MtimecmpAllOnesMeansNever) {
  Harness& h = harness();
  quiet(h);
  EXPECT_EQ(h.clint.next_deadline(), sc_core::sc_max_time());
  uint64_t v = ~0ull;
  ASSERT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_CLINT_MTIME, &v, 8),
            tlm::TLM_OK_RESPONSE);  // mtime = all ones too
  EXPECT_FALSE(h.clint.mtip_pending());
  run_to(now() + sc_time(1, SC_US));
  EXPECT_FALSE(h.clint.mtip.read());
  v = 0;
  h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_CLINT_MTIME, &v, 8);
  run_to(now());
}

TEST(Clint, Msip) {
  Harness& h = harness();
  quiet(h);
  const size_t irqs_before = h.irqs.times.size();
  h.cpu.write32(IMCVP_CLINT_MSIP, 1, sc_time(40, SC_NS));
  const sc_time at = now() + sc_time(40, SC_NS);
  EXPECT_TRUE(h.clint.msip_pending()) << "state is read directly";
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MSIP), 1u);
  run_to(at - kPs);
  EXPECT_FALSE(h.clint.msip.read());
  run_to(at);
  EXPECT_TRUE(h.clint.msip.read());
  ASSERT_EQ(h.irqs.times.size(), irqs_before + 1);
  EXPECT_EQ(h.irqs.times.back(), at);
  h.cpu.write32(IMCVP_CLINT_MSIP, 0xfffffffe);  // only bit 0 counts
  EXPECT_FALSE(h.clint.msip_pending());
  EXPECT_EQ(h.cpu.read32(IMCVP_CLINT_MSIP), 0u);
  run_to(now());
  EXPECT_FALSE(h.clint.msip.read());
}

TEST(Clint, BadAccessesAreErrors) {
  Harness& h = harness();
  uint8_t b = 1;
  uint16_t hw = 1;
  uint32_t w = 1;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_CLINT_MSIP, &b, 1),
            tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_CLINT_MSIP, &hw, 2),
            tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, 0x8, &w, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, IMCVP_CLINT_MTIMECMP + 2, &w, 4),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  uint64_t d = 0;
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, IMCVP_CLINT_MTIMECMP + 4, &d, 8),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);  // misaligned 64-bit
  EXPECT_FALSE(h.clint.msip_pending());
}

TEST(Clint, DebugTransportReadsRegisters) {
  Harness& h = harness();
  quiet(h);
  tlm::tlm_generic_payload t;
  uint8_t buf[8] = {};
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_address(IMCVP_CLINT_MTIMECMP);
  t.set_data_ptr(buf);
  t.set_data_length(8);
  EXPECT_EQ(h.cpu.socket->transport_dbg(t), 8u);
  for (uint8_t x : buf) EXPECT_EQ(x, 0xff);
}

IMCVP_TEST_SC_MAIN()
