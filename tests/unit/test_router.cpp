// Router and AddressMap: decode, address translation, unmapped/crossing
// errors, latency, DMI range translation and invalidation broadcast, debug
// transport, overlap errors, transaction trace and VCD signals.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/bus/address_map.hpp"
#include "models/bus/router.hpp"
#include "models/memory/memory.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kRamBase = 0x80000000, kRamSize = 0x10000;
constexpr uint64_t kProbeBase = 0x10000000, kProbeSize = 0x100;
constexpr uint64_t kAliasBase = 0x20000000;  // second window onto the probe
const sc_time kHop(10, SC_NS), kRamLatency(5, SC_NS);

// The initiators (CPU and DMA stand-ins) record the DMI invalidations they get.
using imcvp::test::TestInitiator;

// A target that records what reaches it (target-local addresses) and offers
// DMI for a local range reaching past its region, to check the clipping.
struct Probe : sc_core::sc_module {
  tlm_utils::simple_target_socket<Probe> socket;
  uint8_t mem[0x200] = {};
  uint64_t last_address = ~0ull;
  uint64_t last_dmi_address = ~0ull;

  explicit Probe(const sc_core::sc_module_name& n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &Probe::b_transport);
    socket.register_transport_dbg(this, &Probe::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &Probe::get_dmi);
  }
  void b_transport(tlm::tlm_generic_payload& t, sc_time&) {
    last_address = t.get_address();
    if (t.get_address() + t.get_data_length() > sizeof mem) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (t.is_read()) std::memcpy(t.get_data_ptr(), mem + t.get_address(), t.get_data_length());
    else std::memcpy(mem + t.get_address(), t.get_data_ptr(), t.get_data_length());
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& t) {
    last_address = t.get_address();
    const unsigned n = t.get_data_length();
    if (t.is_read()) std::memcpy(t.get_data_ptr(), mem + t.get_address(), n);
    return n;
  }
  bool get_dmi(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) {
    last_dmi_address = t.get_address();
    d.set_dmi_ptr(mem + 0x10);
    d.set_start_address(0x10);
    d.set_end_address(0x1ff);  // beyond the 0x100-byte region
    d.allow_read();
    return true;
  }
  void invalidate(uint64_t s, uint64_t e) { socket->invalidate_direct_mem_ptr(s, e); }
};

struct Harness {
  TestInitiator cpu{"cpu"};
  TestInitiator dma{"dma"};
  Router router{"router", RouterParams{kHop, nullptr}};
  Memory ram{"ram", MemoryParams{kRamSize, kRamLatency}};
  Probe probe{"probe"};
  unsigned ram_index, probe_index;

  Harness() {
    cpu.socket.bind(router.target);
    dma.socket.bind(router.target);
    ram_index = router.bind_target(ram.socket, "ram", kRamBase, kRamSize);
    probe_index = router.bind_target(probe.socket, "probe", kProbeBase, kProbeSize);
    router.map("probe_alias", kAliasBase, kProbeSize, probe_index);
    sc_core::sc_start(SC_ZERO_TIME);  // end of elaboration: bindings complete
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

}  // namespace

// ---- AddressMap (pure C++) -------------------------------------------------

TEST(AddressMap, LookupFindsRegionsAndGaps) {
  AddressMap m;
  m.add("ram", 0x80000000, 0x1000000, 0);
  m.add("uart", 0x10000000, 0x100, 1);
  m.add("clint", 0x02000000, 0x10000, 2);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.regions()[0].name, "clint");  // sorted by base
  EXPECT_EQ(m.lookup(0x10000000)->name, "uart");
  EXPECT_EQ(m.lookup(0x100000ff)->name, "uart");
  EXPECT_EQ(m.lookup(0x10000100), nullptr);
  EXPECT_EQ(m.lookup(0x0), nullptr);
  EXPECT_EQ(m.lookup(0x80ffffff)->target, 0u);
  EXPECT_EQ(m.lookup(0x81000000), nullptr);
  EXPECT_EQ(m.lookup(0x01ffffff), nullptr);
  EXPECT_EQ(m.lookup(0x02000000)->name, "clint");
  EXPECT_EQ(m.find("uart")->base, 0x10000000u);
  EXPECT_EQ(m.find("nope"), nullptr);
}

TEST(AddressMap, RangeLookupMustStayInOneRegion) {
  AddressMap m;
  m.add("a", 0x1000, 0x100, 0);
  m.add("b", 0x1100, 0x100, 1);  // adjacent
  EXPECT_EQ(m.lookup(0x10fc, 4)->name, "a");
  EXPECT_EQ(m.lookup(0x10fe, 4), nullptr);  // crosses into b
  EXPECT_EQ(m.lookup(0x11fc, 4)->name, "b");
  EXPECT_EQ(m.lookup(0x11fd, 4), nullptr);  // runs off the end
  EXPECT_EQ(m.lookup(0x1000, 0x100)->name, "a");
  EXPECT_EQ(m.lookup(0x1000, 0x101), nullptr);
}

TEST(AddressMap, RejectsOverlapsNamingBothRegions) {
  AddressMap m;
  m.add("ram", 0x10000000, 0x1000, 0);
  try {
    m.add("uart", 0x10000f00, 0x100, 1);
    FAIL() << "overlap accepted";
  } catch (const AddressMapError& e) {
    EXPECT_STREQ(e.what(),
                 "address map: 'uart' [0x10000f00, 0x10000fff] overlaps 'ram' [0x10000000, "
                 "0x10000fff]");
  }
  EXPECT_THROW(m.add("below", 0x0fffff00, 0x101, 1), AddressMapError);  // reaches the next
  EXPECT_THROW(m.add("inside", 0x10000010, 0x10, 1), AddressMapError);
  EXPECT_THROW(m.add("around", 0x0, 0x20000000, 1), AddressMapError);
  EXPECT_NO_THROW(m.add("below", 0x0fffff00, 0x100, 1));  // exactly adjacent is fine
  EXPECT_NO_THROW(m.add("above", 0x10001000, 0x100, 1));
  EXPECT_EQ(m.size(), 3u);
}

TEST(AddressMap, RejectsZeroSizeAndWrapAround) {
  AddressMap m;
  try {
    m.add("empty", 0x1000, 0, 0);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'empty'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("size 0"), std::string::npos) << e.what();
  }
  try {
    m.add("wrap", 0xfffffffffffff000ull, 0x2000, 0);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("wraps"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(m.add("top", 0xfffffffffffff000ull, 0x1000, 0));  // ends at the very top
  EXPECT_EQ(m.lookup(0xffffffffffffffffull)->name, "top");
  EXPECT_EQ(m.lookup(0xfffffffffffffffcull, 4)->name, "top");
  EXPECT_EQ(m.lookup(0xfffffffffffffffdull, 4), nullptr);
}

// ---- Router through real sockets ----------------------------------------------

TEST(Router, DecodesAndTranslatesToTargetOffsets) {
  Harness& h = harness();
  uint32_t v = 0xdeadbeef;
  sc_time d = SC_ZERO_TIME;
  uint64_t after = 0;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kProbeBase + 0x20, &v, 4, d, &after),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.probe.last_address, 0x20u);
  EXPECT_EQ(after, kProbeBase + 0x20) << "address must be restored";
  uint32_t r = 0;
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kAliasBase + 0x20, &r, 4, d, &after),
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.probe.last_address, 0x20u);
  EXPECT_EQ(after, kAliasBase + 0x20);
  EXPECT_EQ(r, 0xdeadbeefu);

  // Into the real memory, from the second initiator too.
  EXPECT_EQ(h.cpu.write32(kRamBase + 0x100, 0x12345678), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.dma.read32(kRamBase + 0x100, r), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r, 0x12345678u);
  uint32_t raw;
  std::memcpy(&raw, h.ram.data() + 0x100, 4);
  EXPECT_EQ(raw, 0x12345678u);
}

TEST(Router, AddsHopLatencyToTheTargetsLatency) {
  Harness& h = harness();
  uint32_t v = 0;
  sc_time d(7, SC_NS);
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, kRamBase, &v, 4, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, sc_time(7, SC_NS) + kHop + kRamLatency);
  d = SC_ZERO_TIME;
  h.cpu.access(tlm::TLM_READ_COMMAND, 0x0, &v, 4, d);  // errors cost the hop too
  EXPECT_EQ(d, kHop);
}

TEST(Router, UnmappedAndCrossingAccessesAreAddressErrors) {
  Harness& h = harness();
  const RouterStats before = h.router.stats();
  uint32_t v = 0;
  EXPECT_EQ(h.cpu.read32(0x0, v), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.write32(kProbeBase + kProbeSize, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.read32(kRamBase + kRamSize - 2, v), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.router.stats().errors, before.errors + 3);
  EXPECT_EQ(h.router.stats().forwarded, before.forwarded);
}

TEST(Router, DmiRangeIsTranslatedAndClippedToTheRegion) {
  Harness& h = harness();
  tlm::tlm_dmi d;
  ASSERT_TRUE(h.cpu.dmi(kRamBase + 0x40, d, tlm::TLM_WRITE_COMMAND));
  EXPECT_EQ(d.get_start_address(), kRamBase);
  EXPECT_EQ(d.get_end_address(), kRamBase + kRamSize - 1);
  EXPECT_EQ(d.get_dmi_ptr(), h.ram.data());
  EXPECT_TRUE(d.is_read_write_allowed());
  EXPECT_EQ(d.get_read_latency(), kRamLatency);

  tlm::tlm_dmi p;
  ASSERT_TRUE(h.cpu.dmi(kProbeBase + 0x30, p));
  EXPECT_EQ(h.probe.last_dmi_address, 0x30u);
  EXPECT_EQ(p.get_start_address(), kProbeBase + 0x10);
  EXPECT_EQ(p.get_end_address(), kProbeBase + kProbeSize - 1);  // clipped from local 0x1ff
  EXPECT_EQ(p.get_dmi_ptr(), h.probe.mem + 0x10);

  ASSERT_TRUE(h.cpu.dmi(kAliasBase + 0x30, p));  // same target, other window
  EXPECT_EQ(p.get_start_address(), kAliasBase + 0x10);
  EXPECT_EQ(p.get_end_address(), kAliasBase + kProbeSize - 1);

  tlm::tlm_dmi none;
  EXPECT_FALSE(h.cpu.dmi(0x5000, none));
  EXPECT_LE(none.get_start_address(), 0x5000u);
  EXPECT_GE(none.get_end_address(), 0x5000u);
  EXPECT_EQ(h.router.address_map().lookup(none.get_start_address()), nullptr);
  EXPECT_EQ(h.router.address_map().lookup(none.get_end_address()), nullptr);
}

TEST(Router, DmiInvalidationIsTranslatedAndBroadcast) {
  Harness& h = harness();
  h.cpu.invalidations.clear();
  h.dma.invalidations.clear();
  h.probe.invalidate(0x40, 0x4f);
  using R = std::vector<std::pair<uint64_t, uint64_t>>;
  const R expect{{kProbeBase + 0x40, kProbeBase + 0x4f}, {kAliasBase + 0x40, kAliasBase + 0x4f}};
  EXPECT_EQ(h.cpu.invalidations, expect);
  EXPECT_EQ(h.dma.invalidations, expect);

  h.cpu.invalidations.clear();
  h.probe.invalidate(0, ~0ull);  // "everything": clipped to each window
  const R all{{kProbeBase, kProbeBase + kProbeSize - 1},
              {kAliasBase, kAliasBase + kProbeSize - 1}};
  EXPECT_EQ(h.cpu.invalidations, all);

  h.cpu.invalidations.clear();
  h.probe.invalidate(0x180, 0x1ff);  // outside the windows: nobody cares
  EXPECT_TRUE(h.cpu.invalidations.empty());
}

TEST(Router, DebugTransportIsTranslatedAndClipped) {
  Harness& h = harness();
  for (unsigned i = 0; i < kProbeSize; ++i) h.probe.mem[i] = uint8_t(i);
  uint8_t buf[16] = {};
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, kProbeBase + 0x20, buf, 4), 4u);
  EXPECT_EQ(h.probe.last_address, 0x20u);
  EXPECT_EQ(buf[0], 0x20);
  EXPECT_EQ(buf[3], 0x23);
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, kProbeBase + 0xf8, buf, 16), 8u);  // clipped
  EXPECT_EQ(buf[7], 0xff);
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, 0x4, buf, 4), 0u);  // unmapped

  const uint8_t w[4] = {1, 2, 3, 4};
  EXPECT_EQ(h.cpu.debug(tlm::TLM_WRITE_COMMAND, kRamBase + 0x200, const_cast<uint8_t*>(w), 4),
            4u);
  EXPECT_EQ(std::memcmp(h.ram.data() + 0x200, w, 4), 0);
}

TEST(Router, MapRejectsOverlapsWithTheirNames) {
  Harness& h = harness();
  try {
    h.router.map("uart", kProbeBase + 0x80, 0x100, h.probe_index);
    FAIL() << "overlap accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "address map: 'uart' [0x10000080, 0x1000017f] overlaps 'probe' [0x10000000, "
                 "0x100000ff]");
  }
  EXPECT_EQ(h.router.address_map().size(), 3u);
}

TEST(Router, TraceWritesOneLinePerTransaction) {
  Harness& h = harness();
  sc_core::sc_start(sc_time(1234, SC_NS));
  std::ostringstream log;
  h.router.set_trace(&log);
  const double t0 = sc_core::sc_time_stamp().to_seconds() * 1e9;
  uint32_t v = 0;
  sc_time d(30, SC_NS);
  h.cpu.access(tlm::TLM_WRITE_COMMAND, kRamBase + 0x10, &v, 4, d);
  d = sc_time(45, SC_NS);
  h.cpu.access(tlm::TLM_READ_COMMAND, 0x40, &v, 2, d);
  h.router.set_trace(nullptr);
  h.cpu.read32(kRamBase, v);  // not traced

  std::ostringstream expect;
  expect.precision(15);
  expect << t0 + 30 << " W 0x80000010 4 -> ram OK\n"
         << t0 + 45 << " R 0x00000040 2 -> (unmapped) ERROR\n";
  EXPECT_EQ(log.str(), expect.str());
}

TEST(Router, SignalsFollowTransactionsAtTheirTime) {
  Harness& h = harness();
  sc_core::sc_start(sc_time(1, sc_core::SC_US));  // settle what earlier tests scheduled
  const uint64_t n = h.router.stats().forwarded;
  EXPECT_EQ(h.router.transactions.read(), n);

  uint32_t v = 0;
  sc_time d(100, SC_NS);
  h.dma.access(tlm::TLM_READ_COMMAND, kProbeBase + 0x8, &v, 4, d);
  sc_core::sc_start(sc_time(99, SC_NS));
  EXPECT_EQ(h.router.transactions.read(), n) << "must not show before its time";
  sc_core::sc_start(sc_time(2, SC_NS));
  EXPECT_EQ(h.router.transactions.read(), n + 1);
  EXPECT_EQ(h.router.last_address.read(), kProbeBase + 0x8);
}

IMCVP_TEST_SC_MAIN()
