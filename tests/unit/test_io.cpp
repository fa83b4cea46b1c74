// Uart and SimCtrl through their sockets: console output, STATUS, bad accesses
// that send nothing, VCD signals at the byte's time; exit callback, read-only
// configuration registers, debug transport.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "imcvp/memory_map.h"
#include "models/io/sim_ctrl.hpp"
#include "models/io/uart.hpp"
#include "tlm_harness.hpp"

using namespace imcvp;
using imcvp::test::run_to;
using imcvp::test::TestInitiator;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

const sc_time kPulse(100, SC_NS);

struct Harness {
  std::ostringstream terminal;
  std::vector<uint32_t> exit_codes;
  TestInitiator cpu{"cpu"};
  TestInitiator cpu2{"cpu2"};
  Uart uart{"uart", UartParams{&terminal, sc_time(3, SC_NS), kPulse}};
  std::vector<std::pair<uint32_t, sc_time>> marks;
  SimCtrl simctrl{"simctrl", simctrl_params()};
  SimCtrlParams simctrl_params() {
    SimCtrlParams p;
    p.ram_base = 0x80000000u;
    p.ram_size = 0x01000000u;
    p.timer_hz = 10000000u;
    p.cpu_hz = 100000000u;
    p.tiles = 3;
    p.workload_size = 0x12340;
    p.on_exit = [this](uint32_t code) { exit_codes.push_back(code); };
    p.on_mark = [this](uint32_t mark, const sc_time& at) { marks.emplace_back(mark, at); };
    p.latency = sc_time(1, SC_NS);
    return p;
  }
  Harness() {
    cpu.socket.bind(uart.socket);
    cpu2.socket.bind(simctrl.socket);
    sc_core::sc_start(SC_ZERO_TIME);
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

}  // namespace

TEST(Uart, SendsBytesToTheTerminalAndRecordsThem) {
  Harness& h = harness();
  const std::string before = h.uart.transmitted();
  for (char c : std::string("Hi!\n")) EXPECT_EQ(h.cpu.write32(IMCVP_UART_TXDATA, uint8_t(c)), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_TXDATA, 0xffffff41), tlm::TLM_OK_RESPONSE);  // low byte only
  EXPECT_EQ(h.uart.transmitted(), before + "Hi!\nA");
  EXPECT_EQ(h.terminal.str(), h.uart.transmitted());
  EXPECT_EQ(h.uart.byte_count(), h.uart.transmitted().size());
}

TEST(Uart, StatusSaysReadyAndTxdataReadsZero) {
  Harness& h = harness();
  uint32_t v = 0xffffffff;
  EXPECT_EQ(h.cpu.read32(IMCVP_UART_STATUS, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, uint32_t(IMCVP_UART_STATUS_TXREADY));
  EXPECT_EQ(h.cpu.read32(IMCVP_UART_TXDATA, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 0u);
}

TEST(Uart, AddsItsLatency) {
  Harness& h = harness();
  uint32_t v;
  sc_time d(10, SC_NS);
  h.cpu.access(tlm::TLM_READ_COMMAND, IMCVP_UART_STATUS, &v, 4, d);
  EXPECT_EQ(d, sc_time(13, SC_NS));
}

TEST(Uart, BadAccessesAreErrorsAndSendNothing) {
  Harness& h = harness();
  const std::string before = h.uart.transmitted();
  uint8_t b = 'x';
  uint16_t hw = 'y';
  uint64_t dw = 'z';
  sc_time d = SC_ZERO_TIME;
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_UART_TXDATA, &b, 1, d),
            tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_UART_TXDATA, &hw, 2, d),
            tlm::TLM_BURST_ERROR_RESPONSE);
  // 64-bit write covers TXDATA and STATUS; STATUS is read-only: nothing is sent.
  EXPECT_EQ(h.cpu.access(tlm::TLM_WRITE_COMMAND, IMCVP_UART_TXDATA, &dw, 8, d),
            tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_TXDATA + 1, 'w'), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.write32(0x8, 'v'), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_SIZE - 4, 'u'), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_STATUS, 't'), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(h.uart.transmitted(), before);
  EXPECT_EQ(h.terminal.str(), before);
}

TEST(Uart, DebugTransportReadsStatus) {
  Harness& h = harness();
  uint8_t buf[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  EXPECT_EQ(h.cpu.debug(tlm::TLM_READ_COMMAND, IMCVP_UART_STATUS, buf, 8), 4u);  // stops at the end
  EXPECT_EQ(buf[0], IMCVP_UART_STATUS_TXREADY);
  EXPECT_EQ(buf[1], 0);
}

TEST(Uart, SignalsShowEachByteAtItsTime) {
  Harness& h = harness();
  run_to(sc_core::sc_time_stamp() + sc_time(1, sc_core::SC_US));  // let earlier pulses end
  EXPECT_FALSE(h.uart.tx_active.read());
  // The CPU is 50 ns ahead of SystemC time when it writes (latency 3 ns).
  const sc_time t0 = sc_core::sc_time_stamp();
  const sc_time at = t0 + sc_time(53, SC_NS);
  const sc_time ps(1, sc_core::SC_PS);
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_TXDATA, 'Q', sc_time(50, SC_NS)), tlm::TLM_OK_RESPONSE);
  run_to(at - ps);
  EXPECT_FALSE(h.uart.tx_active.read());
  EXPECT_NE(h.uart.tx_byte.read(), 'Q');
  run_to(at);
  EXPECT_TRUE(h.uart.tx_active.read());
  EXPECT_EQ(h.uart.tx_byte.read(), 'Q');
  // A second byte 40 ns later retriggers the pulse.
  EXPECT_EQ(h.cpu.write32(IMCVP_UART_TXDATA, 'R', sc_time(37, SC_NS)), tlm::TLM_OK_RESPONSE);
  run_to(at + sc_time(40, SC_NS));
  EXPECT_EQ(h.uart.tx_byte.read(), 'R');
  run_to(at + kPulse);
  EXPECT_TRUE(h.uart.tx_active.read()) << "the first pulse must not end the second";
  run_to(at + sc_time(40, SC_NS) + kPulse - ps);
  EXPECT_TRUE(h.uart.tx_active.read());
  run_to(at + sc_time(40, SC_NS) + kPulse);
  EXPECT_FALSE(h.uart.tx_active.read());
}

TEST(SimCtrl, ConfigurationRegistersReadBack) {
  Harness& h = harness();
  uint32_t v = 0;
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_RAM_BASE, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 0x80000000u);
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_RAM_SIZE, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 0x01000000u);
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_TIMER_HZ, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 10000000u);
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_CPU_HZ, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 100000000u);
  uint8_t buf[4] = {};
  EXPECT_EQ(h.cpu2.debug(tlm::TLM_READ_COMMAND, IMCVP_SIMCTRL_RAM_BASE, buf, 4), 4u);
  EXPECT_EQ(buf[3], 0x80);
}

TEST(SimCtrl, AcceleratorRegistersReadBack) {
  Harness& h = harness();
  uint32_t v = 0;
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_TILES, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 3u);
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_WORKLOAD_SIZE, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 0x12340u);
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_TILES, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
}

TEST(SimCtrl, MarkWritesReachTheCallbackWithTheirTime) {
  Harness& h = harness();
  h.marks.clear();
  const sc_time now = sc_core::sc_time_stamp();
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_MARK, IMCVP_MARK_INFER_BEGIN, sc_time(20, SC_NS)), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_MARK, IMCVP_MARK_IMAGE_END, sc_time(50, SC_NS)), tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(h.marks.size(), 2u);
  EXPECT_EQ(h.marks[0].first, uint32_t(IMCVP_MARK_INFER_BEGIN));
  EXPECT_EQ(h.marks[0].second, now + sc_time(21, SC_NS));  // delay + its latency
  EXPECT_EQ(h.marks[1].first, uint32_t(IMCVP_MARK_IMAGE_END));
  EXPECT_EQ(h.marks[1].second, now + sc_time(51, SC_NS));
}

TEST(SimCtrl, ConfigurationRegistersAreReadOnly) {
  Harness& h = harness();
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_RAM_BASE, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_CPU_HZ, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(h.cpu2.write32(0x40, 0), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  uint32_t v;
  EXPECT_EQ(h.cpu2.read32(IMCVP_SIMCTRL_RAM_BASE, v), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(v, 0x80000000u);
  EXPECT_TRUE(h.exit_codes.empty());
}

TEST(SimCtrl, ExitWriteCallsTheCallbackWithTheCode) {
  Harness& h = harness();
  EXPECT_FALSE(h.simctrl.exited());
  uint8_t b = 1;
  sc_time d = SC_ZERO_TIME;
  EXPECT_EQ(h.cpu2.access(tlm::TLM_WRITE_COMMAND, IMCVP_SIMCTRL_EXIT, &b, 1, d),
            tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_TRUE(h.exit_codes.empty());

  const sc_time now = sc_core::sc_time_stamp();
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_EXIT, 42, sc_time(70, SC_NS)), tlm::TLM_OK_RESPONSE);
  ASSERT_EQ(h.exit_codes.size(), 1u);
  EXPECT_EQ(h.exit_codes[0], 42u);
  EXPECT_TRUE(h.simctrl.exited());
  EXPECT_EQ(h.simctrl.exit_code(), 42u);
  EXPECT_EQ(h.simctrl.exit_time(), now + sc_time(71, SC_NS));  // delay + its latency
  EXPECT_EQ(h.cpu2.write32(IMCVP_SIMCTRL_EXIT, 0), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(h.exit_codes.back(), 0u);
}

IMCVP_TEST_SC_MAIN()
