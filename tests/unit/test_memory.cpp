// Memory: read/write through the socket, bounds, byte enables, latency, DMI
// pointer and range, debug transport, load/clear helpers, bad parameters.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include <systemc>
#include <tlm>

#include "models/memory/memory.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using imcvp::test::TestInitiator;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kSize = 0x10000;
const sc_time kLatency(20, SC_NS);

struct Harness {
  TestInitiator cpu{"cpu"};
  Memory ram{"ram", MemoryParams{kSize, kLatency}};
  TestInitiator cpu2{"cpu2"};
  Memory no_dmi{"no_dmi", MemoryParams{0x100, SC_ZERO_TIME, false}};
  std::string zero_size_error;

  Harness() {
    try {
      Memory bad("bad", MemoryParams{0, SC_ZERO_TIME});
    } catch (const std::exception& e) {
      zero_size_error = e.what();
    }
    cpu.socket.bind(ram.socket);
    cpu2.socket.bind(no_dmi.socket);
    sc_core::sc_start(SC_ZERO_TIME);
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

}  // namespace

TEST(Memory, StartsZeroed) {
  Harness& h = harness();
  EXPECT_EQ(h.ram.size(), kSize);
  for (uint64_t i = 0; i < kSize; ++i) ASSERT_EQ(h.ram.data()[i], 0) << "at " << i;
}

TEST(Memory, ReadsBackWhatWasWritten) {
  Harness& h = harness();
  uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  sc_time d = SC_ZERO_TIME;
  bool hint = false;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, 0x100, w, 8, d, nullptr, 0, &hint),
            tlm::TLM_OK_RESPONSE);
  EXPECT_TRUE(hint) << "DMI hint";
  EXPECT_EQ(d, kLatency);
  EXPECT_EQ(std::memcmp(h.ram.data() + 0x100, w, 8), 0);
  uint8_t r[3] = {};
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, 0x102, r, 3, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, 2 * kLatency);
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r[2], 5);
  // The last bytes of the memory are reachable.
  uint32_t v = 0xa5a5a5a5;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kSize - 4, &v, 4, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.ram.data()[kSize - 1], 0xa5);
}

TEST(Memory, OutOfBoundsIsAnAddressErrorAndTouchesNothing) {
  Harness& h = harness();
  uint32_t v = 0xffffffff;
  sc_time d = SC_ZERO_TIME;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kSize - 2, &v, 4, d),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, kSize, &v, 4, d),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, ~0ull - 1, &v, 4, d),  // would wrap
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_NE(h.ram.data()[kSize - 2], 0xff);
}

TEST(Memory, ByteEnablesAndStreamingAreRejected) {
  Harness& h = harness();
  uint32_t v = 0;
  unsigned char be[4] = {0xff, 0, 0xff, 0};
  sc_time d = SC_ZERO_TIME;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, 0, &v, 4, d, be),
            tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, 0, &v, 4, d, nullptr, 2),
            tlm::TLM_BURST_ERROR_RESPONSE);
}

TEST(Memory, DmiCoversTheWholeMemoryAndIsTheSameStorage) {
  Harness& h = harness();
  tlm::tlm_dmi d;
  ASSERT_TRUE(h.cpu.dmi(0x1234, d));
  EXPECT_EQ(d.get_dmi_ptr(), h.ram.data());
  EXPECT_EQ(d.get_start_address(), 0u);
  EXPECT_EQ(d.get_end_address(), kSize - 1);
  EXPECT_TRUE(d.is_read_write_allowed());
  EXPECT_EQ(d.get_read_latency(), kLatency);
  EXPECT_EQ(d.get_write_latency(), kLatency);

  // A store through the DMI pointer is seen by b_transport, and back.
  const uint32_t x = 0xcafef00d;
  std::memcpy(d.get_dmi_ptr() + 0x800, &x, 4);
  uint32_t r = 0;
  sc_time t = SC_ZERO_TIME;
  EXPECT_EQ(h.cpu.access(tlm::TLM_READ_COMMAND, 0x800, &r, 4, t), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r, x);
  uint32_t y = 0x600dd00d;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, 0x804, &y, 4, t), tlm::TLM_OK_RESPONSE);
  std::memcpy(&r, d.get_dmi_ptr() + 0x804, 4);
  EXPECT_EQ(r, y);
}

TEST(Memory, DmiCanBeSwitchedOff) {
  Harness& h = harness();
  tlm::tlm_dmi d;
  EXPECT_FALSE(h.cpu2.dmi(0x10, d));
  uint32_t v = 1;
  sc_time t = SC_ZERO_TIME;
  bool hint = true;
  EXPECT_EQ(h.cpu2.access(tlm::TLM_WRITE_COMMAND, 0x10, &v, 4, t, nullptr, 0, &hint),
            tlm::TLM_OK_RESPONSE);
  EXPECT_FALSE(hint);
}

TEST(Memory, DebugTransportIsClippedToTheMemory) {
  Harness& h = harness();
  uint8_t w[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  EXPECT_EQ(h.cpu.debug(tlm::TLM_WRITE_COMMAND, 0x40, w, 8), 8u);
  EXPECT_EQ(h.ram.data()[0x47], 9);
  uint8_t r[8] = {};
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, kSize - 3, r, 8), 3u);
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, kSize, r, 8), 0u);
}

TEST(Memory, LoadAndClearAreBoundsChecked) {
  Harness& h = harness();
  const uint8_t img[4] = {0xde, 0xad, 0xbe, 0xef};
  h.ram.load(0x2000, img, 4);
  EXPECT_EQ(h.ram.data()[0x2003], 0xef);
  h.ram.clear(0x2001, 2);
  EXPECT_EQ(h.ram.data()[0x2001], 0);
  EXPECT_EQ(h.ram.data()[0x2003], 0xef);
  try {
    h.ram.load(kSize - 2, img, 4);
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("ram"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0xfffe"), std::string::npos) << e.what();
  }
  EXPECT_THROW(h.ram.clear(kSize + 1, 0), std::out_of_range);
}

TEST(Memory, ZeroSizeIsRejected) {
  Harness& h = harness();
  EXPECT_NE(h.zero_size_error.find("size is 0"), std::string::npos) << h.zero_size_error;
}

IMCVP_TEST_SC_MAIN()
