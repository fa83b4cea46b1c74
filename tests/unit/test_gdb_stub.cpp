// GdbStub over a real TCP socket on 127.0.0.1: an in-test RSP client talks to
// the stub's serve() running on a thread, against a fake DebugTarget.
#include "models/cpu/gdb_stub.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace imcvp {
namespace {

constexpr uint32_t kMemBase = 0x80000000u;
constexpr size_t kMemSize = 256;
constexpr uint32_t kNop = 0x00000013u;  // addi x0, x0, 0

// 33 registers and one small RAM region; everything else is unmapped.
class FakeTarget : public DebugTarget {
 public:
  FakeTarget() {
    for (unsigned i = 0; i < 32; ++i) regs[i] = 0x1000u * i + i;
    regs[0] = 0;
    regs[32] = kMemBase;
    for (size_t i = 0; i < kMemSize; ++i) mem[i] = static_cast<uint8_t>(i);
  }
  bool read_register(unsigned regno, uint32_t& value) override {
    if (regno > 32) return false;
    value = regs[regno];
    return true;
  }
  bool write_register(unsigned regno, uint32_t value) override {
    if (regno > 32) return false;
    if (regno != 0) regs[regno] = value;
    return true;
  }
  bool read_memory(uint64_t addr, uint8_t* data, size_t len) override {
    if (!mapped(addr, len)) return false;
    std::memcpy(data, &mem[addr - kMemBase], len);
    return true;
  }
  bool write_memory(uint64_t addr, const uint8_t* data, size_t len) override {
    if (!mapped(addr, len)) return false;
    std::memcpy(&mem[addr - kMemBase], data, len);
    return true;
  }
  static bool mapped(uint64_t addr, size_t len) {
    return addr >= kMemBase && addr + len <= kMemBase + kMemSize;
  }
  uint32_t word(uint32_t addr) const {
    uint32_t w;
    std::memcpy(&w, &mem[addr - kMemBase], 4);
    return w;
  }
  void fill_nops() {
    for (size_t i = 0; i < kMemSize; i += 4) std::memcpy(&mem[i], &kNop, 4);
  }

  std::array<uint32_t, 33> regs{};
  std::array<uint8_t, kMemSize> mem{};
};

std::string checksum_hex(const std::string& body) {
  unsigned sum = 0;
  for (char c : body) sum = (sum + static_cast<uint8_t>(c)) & 0xff;
  char b[3];
  std::snprintf(b, sizeof b, "%02x", sum);
  return b;
}

std::string le_hex(uint32_t v) {
  char b[9];
  std::snprintf(b, sizeof b, "%02x%02x%02x%02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
                v >> 24);
  return b;
}

// A minimal gdb: frames packets, checks acks and checksums. Every receive
// times out after a few seconds so a broken stub fails the test, not hangs it.
class RspClient {
 public:
  explicit RspClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect");
  }
  ~RspClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_raw(const std::string& s) {
    ASSERT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  static std::string frame(const std::string& body) {
    return "$" + body + "#" + checksum_hex(body);
  }
  // -1 on timeout or EOF.
  int get_byte() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 1 ? static_cast<unsigned char>(c) : -1;
  }
  bool at_eof() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }
  // Sends a packet and expects the stub's '+' (unless no-ack mode).
  void send_packet(const std::string& body) {
    send_raw(frame(body));
    if (!no_ack) {
      int c = get_byte();
      EXPECT_EQ(c, '+') << "no ack for " << body;
    }
  }
  // Reads one packet (checksum verified), acks it unless no-ack mode.
  std::string read_packet() {
    int c;
    do {
      c = get_byte();
      if (c < 0) {
        ADD_FAILURE() << "no packet from the stub";
        return "<none>";
      }
    } while (c != '$');
    std::string body;
    while ((c = get_byte()) != '#') {
      if (c < 0) {
        ADD_FAILURE() << "truncated packet";
        return "<truncated>";
      }
      body.push_back(static_cast<char>(c));
    }
    std::string sum;
    sum.push_back(static_cast<char>(get_byte()));
    sum.push_back(static_cast<char>(get_byte()));
    EXPECT_EQ(sum, checksum_hex(body)) << "bad checksum on " << body;
    if (!no_ack) send_raw("+");
    return body;
  }
  std::string transact(const std::string& body) {
    send_packet(body);
    return read_packet();
  }

  bool no_ack = false;

 private:
  int fd_ = -1;
};

// A stub on a free port with a connected client.
struct Session {
  FakeTarget target;
  GdbStub stub{target, 0};
  std::unique_ptr<RspClient> client;

  Session() {
    client = std::make_unique<RspClient>(stub.port());  // lands in the backlog
    stub.wait_for_connection();
    EXPECT_TRUE(stub.connected());
  }

  // Runs serve() on a thread while `gdb` drives the client.
  GdbResume serve(const std::function<void(RspClient&)>& gdb) {
    GdbResume result = GdbResume::Detach;
    std::thread cpu([&] { result = stub.serve(); });
    gdb(*client);
    cpu.join();
    return result;
  }

  // The stub waits for gdb's ack of a stop reply: call it on a thread while
  // the client reads the packet.
  std::string stop(const std::function<void()>& cpu_side) {
    std::thread cpu(cpu_side);
    std::string pkt = client->read_packet();
    cpu.join();
    return pkt;
  }
};

TEST(GdbStub, BindsAFreePortAndReportsABusyOne) {
  FakeTarget t;
  GdbStub a(t, 0);
  EXPECT_NE(a.port(), 0);
  EXPECT_FALSE(a.connected());
  try {
    GdbStub b(t, a.port());
    FAIL() << "a second stub on the same port should not listen";
  } catch (const std::runtime_error& e) {
    const std::string want = "gdb: cannot listen on 127.0.0.1:" + std::to_string(a.port()) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(want, 0), 0u) << e.what();
  }
}

TEST(GdbStub, QuerySupportedAndThreadQueries) {
  Session s;
  GdbResume r = s.serve([](RspClient& c) {
    std::string sup = c.transact("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    EXPECT_NE(sup.find("PacketSize=4000"), std::string::npos) << sup;
    EXPECT_NE(sup.find("swbreak+"), std::string::npos) << sup;
    EXPECT_NE(sup.find("hwbreak+"), std::string::npos) << sup;
    EXPECT_NE(sup.find("qXfer:features:read+"), std::string::npos) << sup;
    EXPECT_NE(sup.find("QStartNoAckMode+"), std::string::npos) << sup;
    EXPECT_EQ(c.transact("vMustReplyEmpty"), "");
    EXPECT_EQ(c.transact("Hg0"), "OK");
    EXPECT_EQ(c.transact("Hc-1"), "OK");
    EXPECT_EQ(c.transact("qC"), "QC1");
    EXPECT_EQ(c.transact("qAttached"), "1");
    EXPECT_EQ(c.transact("qfThreadInfo"), "m1");
    EXPECT_EQ(c.transact("qsThreadInfo"), "l");
    std::string off = c.transact("qOffsets");
    EXPECT_TRUE(off.empty() || off.rfind("Text=", 0) == 0) << off;
    EXPECT_EQ(c.transact("qTStatus"), "");
    EXPECT_EQ(c.transact("vCont?"), "vCont;c;C;s;S");
    EXPECT_EQ(c.transact("!"), "");  // unknown / unsupported: empty reply
    // Initial halt: SIGTRAP at the pc.
    EXPECT_EQ(c.transact("?"), "T0520:" + le_hex(kMemBase) + ";thread:1;");
    c.send_packet("c");
  });
  EXPECT_EQ(r, GdbResume::Continue);
}

TEST(GdbStub, TargetXmlDescribesRv32Registers) {
  Session s;
  std::string xml;
  s.serve([&](RspClient& c) {
    // Small chunks to exercise offsets and the m/l markers.
    for (size_t off = 0;; off += 0x80) {
      char q[80];
      std::snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,80", off);
      std::string rep = c.transact(q);
      ASSERT_FALSE(rep.empty());
      ASSERT_TRUE(rep[0] == 'm' || rep[0] == 'l') << rep;
      xml += rep.substr(1);
      if (rep[0] == 'l') break;
      ASSERT_LT(off, 0x10000u);
    }
    EXPECT_EQ(c.transact("qXfer:features:read:nope.xml:0,100")[0], 'E');
    c.send_packet("c");
  });
  EXPECT_EQ(xml, GdbStub::target_xml());
  EXPECT_NE(xml.find("<architecture>riscv:rv32</architecture>"), std::string::npos);
  EXPECT_NE(xml.find("org.gnu.gdb.riscv.cpu"), std::string::npos);
  for (const char* name : {"\"zero\"", "\"ra\"", "\"sp\"", "\"gp\"", "\"a0\"", "\"t6\"", "\"pc\""})
    EXPECT_NE(xml.find(std::string("name=") + name), std::string::npos) << name;
  size_t regs = 0;
  for (size_t p = 0; (p = xml.find("<reg ", p)) != std::string::npos; ++p) ++regs;
  EXPECT_EQ(regs, 33u);
  size_t widths = 0;
  for (size_t p = 0; (p = xml.find("bitsize=\"32\"", p)) != std::string::npos; ++p) ++widths;
  EXPECT_EQ(widths, 33u);
}

TEST(GdbStub, RegisterReadsAndWrites) {
  Session s;
  s.target.regs[1] = 0x11223344u;
  s.target.regs[32] = 0x80000010u;
  GdbResume r = s.serve([&](RspClient& c) {
    std::string g = c.transact("g");
    ASSERT_EQ(g.size(), 33u * 8);
    EXPECT_EQ(g.substr(0, 8), "00000000");
    EXPECT_EQ(g.substr(8, 8), "44332211");  // little-endian
    EXPECT_EQ(g.substr(32 * 8, 8), le_hex(0x80000010u));
    EXPECT_EQ(c.transact("p20"), le_hex(0x80000010u));
    EXPECT_EQ(c.transact("p1"), "44332211");
    EXPECT_EQ(c.transact("P5=78563412"), "OK");
    EXPECT_EQ(c.transact("p5"), "78563412");
    EXPECT_EQ(c.transact("P20=40000080"), "OK");  // pc = 0x80000040
    EXPECT_EQ(c.transact("p1000")[0], 'E');       // no such register
    EXPECT_EQ(c.transact("P1000=00000000")[0], 'E');
    EXPECT_EQ(c.transact("P5=12")[0], 'E');  // malformed
    // G: every register at once.
    std::string all;
    for (uint32_t i = 0; i < 33; ++i) all += le_hex(0xA0000000u + i);
    EXPECT_EQ(c.transact("G" + all), "OK");
    EXPECT_EQ(c.transact("G123")[0], 'E');
    c.send_packet("s");
  });
  EXPECT_EQ(r, GdbResume::Step);
  EXPECT_EQ(s.target.regs[0], 0u);  // x0 stays zero
  for (uint32_t i = 1; i < 33; ++i) EXPECT_EQ(s.target.regs[i], 0xA0000000u + i) << i;
}

TEST(GdbStub, MemoryReadWriteAndUnmappedErrors) {
  Session s;
  s.serve([&](RspClient& c) {
    EXPECT_EQ(c.transact("m80000000,4"), "00010203");
    EXPECT_EQ(c.transact("m800000fe,2"), "feff");
    // Crossing the end of the region: the readable prefix (a short read).
    EXPECT_EQ(c.transact("m800000fe,8"), "feff");
    EXPECT_EQ(c.transact("m0,4"), "E14");
    EXPECT_EQ(c.transact("m80000100,4"), "E14");
    EXPECT_EQ(c.transact("mzz,4")[0], 'E');
    EXPECT_EQ(c.transact("M80000010,4:efbeadde"), "OK");
    EXPECT_EQ(c.transact("M10,4:efbeadde"), "E14");
    EXPECT_EQ(c.transact("M80000010,4:ef")[0], 'E');  // length mismatch
    // X: binary data; '#', '$', '}' and '*' travel escaped, 0x03 raw.
    std::string bin = "\x01\x03";
    bin += "}";
    bin += static_cast<char>('#' ^ 0x20);
    bin += "}";
    bin += static_cast<char>('}' ^ 0x20);
    bin += "}";
    bin += static_cast<char>('$' ^ 0x20);
    bin += "}";
    bin += static_cast<char>('*' ^ 0x20);
    bin += ":";
    EXPECT_EQ(c.transact("X80000020,7:" + bin), "OK");
    EXPECT_EQ(c.transact("X80000020,0:"), "OK");  // gdb's probe
    EXPECT_EQ(c.transact("X8,1:a"), "E14");
    EXPECT_EQ(c.transact("X80000020,3:ab")[0], 'E');
    EXPECT_EQ(c.transact("m80000020,7"), "01032" "37d242a3a");
    c.send_packet("c");
  });
  EXPECT_EQ(s.target.word(0x80000010u), 0xdeadbeefu);
  EXPECT_EQ(s.target.mem[0x27], 0x27);  // untouched after the 7 bytes
}

TEST(GdbStub, BreakpointsAreKeptInTheSet) {
  Session s;
  EXPECT_FALSE(s.stub.has_breakpoints());
  const uint64_t v0 = s.stub.breakpoints_version();
  s.serve([&](RspClient& c) {
    EXPECT_EQ(c.transact("Z0,80000040,4"), "OK");
    EXPECT_EQ(c.transact("Z0,80000010,2"), "OK");
    EXPECT_EQ(c.transact("Z1,80000010,2"), "OK");
    EXPECT_EQ(c.transact("Z1,80000080,4"), "OK");
    EXPECT_EQ(c.transact("Z0,80000040,4;X1,00"), "OK");  // conditions ignored, no duplicate
    EXPECT_EQ(c.transact("Z2,80000000,4"), "");  // watchpoints: not supported
    c.send_packet("c");
  });
  EXPECT_TRUE(s.stub.has_breakpoints());
  EXPECT_GT(s.stub.breakpoints_version(), v0);
  EXPECT_TRUE(s.stub.is_breakpoint(0x80000040u));
  EXPECT_TRUE(s.stub.is_breakpoint(0x80000010u));
  EXPECT_TRUE(s.stub.is_breakpoint(0x80000080u));
  EXPECT_FALSE(s.stub.is_breakpoint(0x80000044u));
  const uint64_t v1 = s.stub.breakpoints_version();
  s.serve([&](RspClient& c) {
    EXPECT_EQ(c.transact("z0,80000040,4"), "OK");
    EXPECT_EQ(c.transact("z0,80000010,2"), "OK");  // the Z1 there stays
    EXPECT_EQ(c.transact("z0,12345678,4"), "OK");  // absent: fine
    c.send_packet("c");
  });
  EXPECT_GT(s.stub.breakpoints_version(), v1);
  EXPECT_FALSE(s.stub.is_breakpoint(0x80000040u));
  EXPECT_TRUE(s.stub.is_breakpoint(0x80000010u));
  s.serve([&](RspClient& c) {
    EXPECT_EQ(c.transact("z1,80000010,2"), "OK");
    EXPECT_EQ(c.transact("z1,80000080,4"), "OK");
    c.send_packet("c");
  });
  EXPECT_FALSE(s.stub.has_breakpoints());
  EXPECT_FALSE(s.stub.is_breakpoint(0x80000010u));

  // Many breakpoints: the sorted (binary search) path.
  s.serve([&](RspClient& c) {
    for (uint32_t i = 0; i < 40; ++i) {
      char q[40];
      std::snprintf(q, sizeof q, "Z0,%x,4", 0x80001000u - 8 * i);
      EXPECT_EQ(c.transact(q), "OK");
    }
    c.send_packet("c");
  });
  for (uint32_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(s.stub.is_breakpoint(0x80001000u - 8 * i));
    EXPECT_FALSE(s.stub.is_breakpoint(0x80001000u - 8 * i + 4));
  }
}

TEST(GdbStub, ResumePacketsReturnTheAction) {
  Session s;
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("c"); }), GdbResume::Continue);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("s"); }), GdbResume::Step);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("vCont;c"); }), GdbResume::Continue);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("vCont;s"); }), GdbResume::Step);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("vCont;s:1;c"); }), GdbResume::Step);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("vCont;C05:1"); }), GdbResume::Continue);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("C05"); }), GdbResume::Continue);
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("S05"); }), GdbResume::Step);
  // c ADDR: resume at ADDR.
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("c80000080"); }), GdbResume::Continue);
  EXPECT_EQ(s.target.regs[32], 0x80000080u);
  EXPECT_TRUE(s.stub.connected());
}

TEST(GdbStub, KillClosesTheConnection) {
  Session s;
  EXPECT_EQ(s.serve([](RspClient& c) { c.send_packet("k"); }), GdbResume::Kill);
  EXPECT_FALSE(s.stub.connected());
  EXPECT_TRUE(s.client->at_eof());
}

TEST(GdbStub, DetachRepliesOkAndCloses) {
  Session s;
  EXPECT_EQ(s.serve([](RspClient& c) { EXPECT_EQ(c.transact("D"), "OK"); }), GdbResume::Detach);
  EXPECT_FALSE(s.stub.connected());
  EXPECT_TRUE(s.client->at_eof());
  // Serving with nobody connected does not block.
  EXPECT_EQ(s.stub.serve(), GdbResume::Detach);
  // gdb may attach again later.
  RspClient again(s.stub.port());
  s.stub.wait_for_connection();
  EXPECT_TRUE(s.stub.connected());
}

TEST(GdbStub, PeerClosingIsADetach) {
  Session s;
  EXPECT_EQ(s.serve([](RspClient& c) {
              EXPECT_EQ(c.transact("qC"), "QC1");
              c.close();
            }),
            GdbResume::Detach);
  EXPECT_FALSE(s.stub.connected());
  s.stub.report_stop(5);  // no-ops when nobody listens
  EXPECT_FALSE(s.stub.poll_interrupt());
}

TEST(GdbStub, BadChecksumIsNacked) {
  Session s;
  s.serve([](RspClient& c) {
    c.send_raw("$qC#00");
    EXPECT_EQ(c.get_byte(), '-');
    c.send_raw("$qC#zz");
    EXPECT_EQ(c.get_byte(), '-');
    EXPECT_EQ(c.transact("qC"), "QC1");  // the retransmission works
    // The stub resends its reply when gdb nacks it.
    c.send_packet("qAttached");
    std::string first = c.read_packet();
    EXPECT_EQ(first, "1");
    c.send_packet("qC");
    // read the reply without acking, nack it, and expect it again
    c.no_ack = true;
    EXPECT_EQ(c.read_packet(), "QC1");
    c.send_raw("-");
    EXPECT_EQ(c.read_packet(), "QC1");
    c.send_raw("+");
    c.no_ack = false;
    c.send_packet("c");
  });
}

TEST(GdbStub, NoAckMode) {
  Session s;
  GdbResume r = s.serve([](RspClient& c) {
    EXPECT_EQ(c.transact("QStartNoAckMode"), "OK");  // still acked both ways
    c.no_ack = true;
    c.send_raw(RspClient::frame("qC"));
    EXPECT_EQ(c.get_byte(), '$');  // straight to the reply: no '+'
    std::string rest;
    for (int i = 0; i < 6; ++i) rest.push_back(static_cast<char>(c.get_byte()));
    EXPECT_EQ(rest, "QC1#" + checksum_hex("QC1"));
    EXPECT_EQ(c.transact("p1").size(), 8u);
    c.send_packet("s");
  });
  EXPECT_EQ(r, GdbResume::Step);
  // The stop reply is not waiting for an ack either.
  s.stub.report_stop(5);
  s.client->no_ack = true;
  EXPECT_EQ(s.client->read_packet().substr(0, 3), "T05");
}

TEST(GdbStub, InterruptWhileRunningAndStopReply) {
  Session s;
  s.target.regs[32] = 0x80000024u;
  ASSERT_EQ(s.serve([](RspClient& c) { c.send_packet("c"); }), GdbResume::Continue);
  EXPECT_FALSE(s.stub.poll_interrupt());  // nothing sent yet
  s.client->send_raw("\x03");
  bool seen = false;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen && std::chrono::steady_clock::now() < until) {
    seen = s.stub.poll_interrupt();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(seen);
  EXPECT_FALSE(s.stub.poll_interrupt());  // consumed
  EXPECT_EQ(s.stop([&] { s.stub.report_stop(GdbStub::kSigInt); }), "T0220:" + le_hex(0x80000024u) + ";thread:1;");
  // '?' repeats the last stop.
  s.serve([](RspClient& c) {
    EXPECT_EQ(c.transact("?"), "T0220:" + le_hex(0x80000024u) + ";thread:1;");
    c.send_packet("c");
  });
}

TEST(GdbStub, PollingIsRateLimitedByWallTime) {
  Session s;
  ASSERT_EQ(s.serve([](RspClient& c) { c.send_packet("c"); }), GdbResume::Continue);
  s.stub.set_poll_interval(std::chrono::hours(1));
  EXPECT_FALSE(s.stub.poll_interrupt());  // looks at the socket: nothing yet
  s.client->send_raw("\x03");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(s.stub.poll_interrupt());  // within the interval: no syscall
  s.stub.set_poll_interval(std::chrono::microseconds(0));
  bool seen = false;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen && std::chrono::steady_clock::now() < until) seen = s.stub.poll_interrupt();
  EXPECT_TRUE(seen);
}

TEST(GdbStub, BreakpointStopReplies) {
  Session s;
  s.serve([](RspClient& c) {
    EXPECT_EQ(c.transact("Z0,80000040,4"), "OK");
    EXPECT_EQ(c.transact("Z1,80000080,4"), "OK");
    c.send_packet("c");
  });
  s.target.regs[32] = 0x80000040u;
  std::string t = s.stop([&] { s.stub.report_stop(GdbStub::kSigTrap, true); });
  EXPECT_EQ(t, "T0520:40000080;swbreak:;thread:1;");
  // Well-formed: T, two hex digits, then n:r; pairs.
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[0], 'T');
  EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(t[1])) &&
              std::isxdigit(static_cast<unsigned char>(t[2])));
  for (size_t p = 3; p < t.size();) {
    size_t colon = t.find(':', p), semi = t.find(';', p);
    ASSERT_NE(colon, std::string::npos);
    ASSERT_NE(semi, std::string::npos);
    EXPECT_LT(colon, semi);
    p = semi + 1;
  }
  s.serve([](RspClient& c) { c.send_packet("c"); });
  s.target.regs[32] = 0x80000080u;
  EXPECT_EQ(s.stop([&] { s.stub.report_stop(GdbStub::kSigTrap, true); }),
            "T0520:80000080;hwbreak:;thread:1;");
  s.serve([](RspClient& c) { c.send_packet("s"); });
  s.target.regs[32] = 0x80000084u;
  EXPECT_EQ(s.stop([&] { s.stub.report_stop(GdbStub::kSigTrap); }),  // step done
            "T0520:84000080;thread:1;");
}

TEST(GdbStub, ReportExitSendsWAndCloses) {
  Session s;
  s.serve([](RspClient& c) { c.send_packet("c"); });
  EXPECT_EQ(s.stop([&] { s.stub.report_exit(3); }), "W03");
  EXPECT_FALSE(s.stub.connected());
  EXPECT_TRUE(s.client->at_eof());
}

TEST(GdbStub, ClosingWhileRunningIsNoticedByPoll) {
  Session s;
  s.serve([](RspClient& c) { c.send_packet("c"); });
  s.client->close();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (s.stub.connected() && std::chrono::steady_clock::now() < until) {
    EXPECT_FALSE(s.stub.poll_interrupt());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(s.stub.connected());
}

// The real gdb-multiarch, when installed, against the stub and a toy CPU that
// executes nops (pc += 4) and honours the breakpoint set.
TEST(GdbStub, RealGdbSession) {
  const char* gdb = "/usr/bin/gdb-multiarch";
  if (::access(gdb, X_OK) != 0) GTEST_SKIP() << "gdb-multiarch not installed";
  FakeTarget target;
  target.fill_nops();
  target.regs[10] = 0x2a;  // a0
  GdbStub stub(target, 0);
  std::thread cpu([&] {
    stub.wait_for_connection();
    for (;;) {
      GdbResume r = stub.serve();
      if (r == GdbResume::Kill || r == GdbResume::Detach) return;
      uint32_t& pc = target.regs[32];
      if (r == GdbResume::Step) {
        pc += 4;
        stub.report_stop(GdbStub::kSigTrap);
        continue;
      }
      // Continue: the first instruction runs unchecked, then stop at a
      // breakpoint, or fault when leaving RAM.
      bool hit = false;
      do {
        pc += 4;
        hit = stub.has_breakpoints() && stub.is_breakpoint(pc);
      } while (!hit && FakeTarget::mapped(pc, 4));
      stub.report_stop(hit ? GdbStub::kSigTrap : GdbStub::kSigSegv, hit);
    }
  });
  std::string cmd = std::string("timeout 60 ") + gdb +
                    " -nx -batch -ex 'set pagination off'"
                    " -ex 'target remote 127.0.0.1:" + std::to_string(stub.port()) + "'" +
                    " -ex 'p/x $pc' -ex 'p $a0' -ex 'x/2xw 0x80000000'"
                    " -ex 'set {int}0x80000008 = 0x12345678' -ex 'x/1xw 0x80000008'"
                    " -ex 'set var $a1 = 77' -ex 'p $a1'"
                    " -ex 'break *0x80000040' -ex 'continue' -ex 'p/x $pc'"
                    " -ex 'stepi' -ex 'p/x $pc' -ex 'info registers sp'"
                    " -ex 'detach' 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int rc = ::pclose(p);
  cpu.join();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("$1 = 0x80000000"), std::string::npos) << out;
  EXPECT_NE(out.find("$2 = 42"), std::string::npos) << out;
  EXPECT_NE(out.find("0x00000013"), std::string::npos) << out;
  EXPECT_NE(out.find("0x12345678"), std::string::npos) << out;
  EXPECT_EQ(target.word(0x80000008u), 0x12345678u);
  EXPECT_NE(out.find("$3 = 77"), std::string::npos) << out;
  EXPECT_EQ(target.regs[11], 77u);
  EXPECT_NE(out.find("$4 = 0x80000040"), std::string::npos) << out;
  EXPECT_NE(out.find("$5 = 0x80000044"), std::string::npos) << out;
  EXPECT_NE(out.find("sp "), std::string::npos) << out;
}

}  // namespace
}  // namespace imcvp
