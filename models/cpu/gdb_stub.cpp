#include "models/cpu/gdb_stub.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <stdexcept>

namespace imcvp {

namespace {

// Largest packet we accept and advertise (PacketSize, in hex in qSupported).
constexpr size_t kPacketSize = 0x4000;
// Largest memory read answered by one 'm' (gdb handles shorter replies).
constexpr size_t kMaxMemRead = (kPacketSize - 32) / 2;
constexpr unsigned kNumRegs = 33;  // x0..x31, pc
constexpr unsigned kPcRegno = 32;
constexpr int kMaxResends = 8;

const char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses all of `s` as a hex number (no prefix); false on anything else.
bool parse_hex(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = hex_value(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

// "addr,len" -> numbers.
bool parse_addr_len(const std::string& s, uint64_t& addr, uint64_t& len) {
  size_t comma = s.find(',');
  if (comma == std::string::npos) return false;
  return parse_hex(s.substr(0, comma), addr) && parse_hex(s.substr(comma + 1), len);
}

void append_hex_byte(std::string& out, uint8_t b) {
  out.push_back(kHexDigits[b >> 4]);
  out.push_back(kHexDigits[b & 15]);
}

// A 32-bit register in target (little-endian) byte order.
void append_reg_le(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) append_hex_byte(out, static_cast<uint8_t>(v >> (8 * i)));
}

bool parse_reg_le(const char* p, uint32_t& v) {
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    int hi = hex_value(p[2 * i]), lo = hex_value(p[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    r |= static_cast<uint32_t>((hi << 4) | lo) << (8 * i);
  }
  v = r;
  return true;
}

std::string hex2(unsigned v) {
  std::string s;
  append_hex_byte(s, static_cast<uint8_t>(v));
  return s;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

// Escapes binary data for a reply: '#', '$', '}' and '*' (run-length marker)
// become '}' followed by the byte xor 0x20.
std::string escape_binary(const std::string& data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out.push_back('}');
      out.push_back(static_cast<char>(c ^ 0x20));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string build_target_xml() {
  static const char* const kNames[32] = {
      "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
      "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
      "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  std::string x =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>riscv:rv32</architecture>\n"
      "  <feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (unsigned i = 0; i < 32; ++i) {
    const char* type = "int";
    if (i == 1) type = "code_ptr";
    if (i == 2 || i == 3 || i == 4 || i == 8) type = "data_ptr";
    x += "    <reg name=\"" + std::string(kNames[i]) +
         "\" bitsize=\"32\" type=\"" + type + "\" regnum=\"" + std::to_string(i) +
         "\"/>\n";
  }
  x += "    <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n";
  x += "  </feature>\n</target>\n";
  return x;
}

}  // namespace

const std::string& GdbStub::target_xml() {
  static const std::string xml = build_target_xml();
  return xml;
}

bool GdbStub::sorted_contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::binary_search(v.begin(), v.end(), x);
}

// ---------------------------------------------------------------- lifetime

GdbStub::GdbStub(DebugTarget& target, uint16_t port) : target_(target) {
  auto fail = [&](int err) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("gdb: cannot listen on 127.0.0.1:" + std::to_string(port) +
                             ": " + std::strerror(err));
  };
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail(errno);
  int one = 1;
  if (::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail(errno);
  if (::listen(listen_fd_, 1) != 0) fail(errno);
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail(errno);
  port_ = ntohs(addr.sin_port);
}

GdbStub::~GdbStub() {
  close_connection();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool GdbStub::wait_readable(int fd) const {
  for (;;) {
    if (stop_requested()) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 100);  // ms: the stop flag's latency
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the read or accept report it
  }
}

void GdbStub::wait_for_connection() {
  if (connected()) return;
  // One write of the whole line: a reader polling the log never sees it without its port.
  std::cerr << ("gdb: waiting for connection on 127.0.0.1:" + std::to_string(port_) + "\n") << std::flush;
  for (;;) {
    if (!wait_readable(listen_fd_)) {
      std::cerr << "gdb: stopped waiting for a connection" << std::endl;
      return;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn_fd_ = fd;
      no_ack_ = false;
      in_.clear();
      in_pos_ = 0;
      std::cerr << "gdb: connected" << std::endl;
      return;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    throw std::runtime_error(std::string("gdb: accept failed on 127.0.0.1:") +
                             std::to_string(port_) + ": " + std::strerror(errno));
  }
}

void GdbStub::close_connection() {
  if (conn_fd_ >= 0) {
    ::shutdown(conn_fd_, SHUT_RDWR);
    ::close(conn_fd_);
  }
  conn_fd_ = -1;
  no_ack_ = false;
  in_.clear();
  in_pos_ = 0;
}

// ---------------------------------------------------------------- transport

// Returns the number of bytes added (0: none available without blocking) or
// -1 when the connection is gone (then it is closed).
int GdbStub::fill(bool block) {
  if (!connected()) return -1;
  if (in_pos_ >= in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  char buf[4096];
  for (;;) {
    if (block && !wait_readable(conn_fd_)) {
      close_connection();  // the run is being stopped: gdb sees the connection close
      return -1;
    }
    ssize_t n = ::recv(conn_fd_, buf, sizeof buf, block ? 0 : MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      return static_cast<int>(n);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    close_connection();  // orderly close (n == 0) or a real error
    return -1;
  }
}

int GdbStub::next_byte() {
  while (in_pos_ >= in_.size()) {
    if (fill(true) < 0) return -1;
  }
  return static_cast<unsigned char>(in_[in_pos_++]);
}

void GdbStub::send_raw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size() && connected()) {
    ssize_t n = ::send(conn_fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      close_connection();
      return;
    }
    off += static_cast<size_t>(n);
  }
}

void GdbStub::send_packet(const std::string& body) {
  uint8_t sum = 0;
  for (char c : body) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  std::string frame;
  frame.reserve(body.size() + 4);
  frame.push_back('$');
  frame += body;
  frame.push_back('#');
  append_hex_byte(frame, sum);
  for (int attempt = 0; attempt < kMaxResends; ++attempt) {
    send_raw(frame);
    if (no_ack_ || !connected()) return;
    // Wait for gdb's acknowledgment.
    for (;;) {
      int c = next_byte();
      if (c < 0) return;
      if (c == '+') return;
      if (c == '-') break;  // resend
      if (c == '$') {       // a packet without an ack: take it as acked
        --in_pos_;
        return;
      }
      // anything else (a stray ctrl-C, noise) is dropped
    }
  }
}

bool GdbStub::read_packet(std::string& body) {
  for (;;) {
    int c = next_byte();
    if (c < 0) return false;
    if (c != '$') continue;  // acks, ctrl-C while halted, noise
    body.clear();
    bool restart = false;
    for (;;) {
      c = next_byte();
      if (c < 0) return false;
      if (c == '#') break;
      if (c == '$') {  // the previous packet was cut: start over
        restart = true;
        break;
      }
      if (body.size() > 2 * kPacketSize) {  // runaway: drop it
        restart = true;
        break;
      }
      body.push_back(static_cast<char>(c));
    }
    if (restart) {
      if (c == '$') --in_pos_;
      continue;
    }
    int h = next_byte();
    if (h < 0) return false;
    int l = next_byte();
    if (l < 0) return false;
    uint8_t sum = 0;
    for (char ch : body) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(ch));
    int hv = hex_value(static_cast<char>(h)), lv = hex_value(static_cast<char>(l));
    bool ok = hv >= 0 && lv >= 0 && ((hv << 4) | lv) == sum;
    if (no_ack_) {
      if (ok) return true;
      continue;  // cannot ask for a resend: drop it
    }
    send_raw(ok ? "+" : "-");
    if (ok) return true;
  }
}

// ---------------------------------------------------------------- run control

GdbResume GdbStub::serve() {
  std::string pkt;
  for (;;) {
    if (!read_packet(pkt)) return GdbResume::Detach;  // peer closed the socket
    bool reply = true, resumed = false;
    GdbResume action = GdbResume::Continue;
    std::string out = handle(pkt, reply, resumed, action);
    if (reply) send_packet(out);
    if (pkt == "QStartNoAckMode" && out == "OK") no_ack_ = true;
    if (!connected()) return GdbResume::Detach;
    if (resumed) {
      if (action == GdbResume::Kill || action == GdbResume::Detach) close_connection();
      return action;
    }
  }
}

std::string GdbStub::stop_reply() const {
  std::string r = "T" + hex2(static_cast<unsigned>(last_signal_));
  uint32_t pc = 0;
  if (target_.read_register(kPcRegno, pc)) {
    r += "20:";
    append_reg_le(r, pc);
    r += ";";
  }
  if (last_bp_) {
    bool hw = std::binary_search(hw_bps_.begin(), hw_bps_.end(), pc) &&
              !std::binary_search(sw_bps_.begin(), sw_bps_.end(), pc);
    r += hw ? "hwbreak:;" : "swbreak:;";
  }
  r += "thread:1;";
  return r;
}

void GdbStub::report_stop(int signal, bool breakpoint_hit) {
  last_signal_ = signal;
  last_bp_ = breakpoint_hit;
  if (!connected()) return;
  send_packet(stop_reply());
}

void GdbStub::report_exit(int exit_code) {
  if (!connected()) return;
  send_packet("W" + hex2(static_cast<unsigned>(exit_code) & 0xffu));
  close_connection();
}

bool GdbStub::poll_interrupt() {
  if (!connected()) return false;
  if (poll_interval_.count() > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_poll_) return false;
    next_poll_ = now + poll_interval_;
  }
  while (fill(false) > 0) {
  }
  if (!connected()) return false;
  // gdb sends nothing but ctrl-C (and stray acks) while the target runs.
  size_t n = in_.size();
  in_.erase(std::remove(in_.begin() + static_cast<std::ptrdiff_t>(in_pos_), in_.end(), '\x03'),
            in_.end());
  return in_.size() != n;
}

bool GdbStub::set_pc_from(const std::string& addr) {
  if (addr.empty()) return true;
  uint64_t pc;
  if (!parse_hex(addr, pc)) return false;
  return target_.write_register(kPcRegno, static_cast<uint32_t>(pc));
}

bool GdbStub::vcont(const std::string& pkt, GdbResume& action) {
  // vCont;ACTION[:TID][;ACTION[:TID]]... One thread: the first action rules.
  size_t pos = 5;  // after "vCont"
  while (pos < pkt.size() && pkt[pos] == ';') {
    size_t end = pkt.find(';', pos + 1);
    std::string act = pkt.substr(pos + 1, end == std::string::npos ? std::string::npos
                                                                    : end - pos - 1);
    size_t colon = act.find(':');
    if (colon != std::string::npos) act.resize(colon);
    if (!act.empty()) {
      switch (act[0]) {
        case 'c':
        case 'C':
          action = GdbResume::Continue;
          return true;
        case 's':
        case 'S':
          action = GdbResume::Step;
          return true;
        default:
          break;  // 't' and others: ignore, look further
      }
    }
    if (end == std::string::npos) break;
    pos = end;
  }
  return false;
}

// ---------------------------------------------------------------- dispatch

std::string GdbStub::handle(const std::string& pkt, bool& reply, bool& resumed,
                            GdbResume& action) {
  if (pkt.empty()) return "";
  const std::string args = pkt.substr(1);
  switch (pkt[0]) {
    case '?':
      return stop_reply();
    case 'g':
      return read_registers();
    case 'G':
      return write_registers(args);
    case 'p':
      return read_register(args);
    case 'P':
      return write_register(args);
    case 'm':
      return read_memory(args);
    case 'M':
      return write_memory_hex(args);
    case 'X':
      return write_memory_bin(args);
    case 'c':
    case 's': {
      if (!set_pc_from(args)) return "E01";
      reply = false;
      resumed = true;
      action = pkt[0] == 'c' ? GdbResume::Continue : GdbResume::Step;
      return "";
    }
    case 'C':
    case 'S': {  // Csig[;addr]: the signal is not delivered (no OS)
      size_t semi = args.find(';');
      if (semi != std::string::npos && !set_pc_from(args.substr(semi + 1))) return "E01";
      reply = false;
      resumed = true;
      action = pkt[0] == 'C' ? GdbResume::Continue : GdbResume::Step;
      return "";
    }
    case 'k':
      reply = false;
      resumed = true;
      action = GdbResume::Kill;
      return "";
    case 'D':
      resumed = true;
      action = GdbResume::Detach;
      return "OK";
    case 'H':  // select thread: there is one
    case 'T':  // thread alive
      return "OK";
    case 'Z':
    case 'z':
      return breakpoint(pkt);
    case 'q':
    case 'Q':
      return query(pkt);
    case 'v':
      if (pkt == "vCont?") return "vCont;c;C;s;S";
      if (starts_with(pkt, "vCont;")) {
        if (!vcont(pkt, action)) return "E01";
        reply = false;
        resumed = true;
        return "";
      }
      if (starts_with(pkt, "vKill")) {
        resumed = true;
        action = GdbResume::Kill;
        return "OK";
      }
      return "";  // vMustReplyEmpty, vFile, vRun...: not supported
    default:
      return "";
  }
}

std::string GdbStub::query(const std::string& pkt) {
  if (starts_with(pkt, "qSupported")) {
    return "PacketSize=" + [] {
      char b[16];
      std::snprintf(b, sizeof b, "%zx", kPacketSize);
      return std::string(b);
    }() + ";QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+";
  }
  if (pkt == "QStartNoAckMode") return "OK";  // serve() switches after the ack
  if (pkt == "qC") return "QC1";
  if (starts_with(pkt, "qAttached")) return "1";  // attached to a running program
  if (pkt == "qfThreadInfo") return "m1";
  if (pkt == "qsThreadInfo") return "l";
  if (pkt == "qOffsets") return "Text=0;Data=0;Bss=0";
  if (starts_with(pkt, "qSymbol")) return "OK";
  if (starts_with(pkt, "qXfer:features:read:")) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    std::string rest = pkt.substr(std::strlen("qXfer:features:read:"));
    size_t colon = rest.find(':');
    if (colon == std::string::npos) return "E00";
    std::string annex = rest.substr(0, colon);
    uint64_t off, len;
    if (!parse_addr_len(rest.substr(colon + 1), off, len)) return "E00";
    if (annex != "target.xml") return "E00";
    const std::string& xml = target_xml();
    if (off >= xml.size()) return "l";
    len = std::min<uint64_t>(len, kPacketSize / 2);
    std::string chunk = xml.substr(static_cast<size_t>(off), static_cast<size_t>(len));
    bool last = off + chunk.size() >= xml.size();
    return (last ? "l" : "m") + escape_binary(chunk);
  }
  return "";
}

// ---------------------------------------------------------------- registers

std::string GdbStub::read_registers() {
  std::string out;
  out.reserve(kNumRegs * 8);
  for (unsigned r = 0; r < kNumRegs; ++r) {
    uint32_t v;
    if (target_.read_register(r, v))
      append_reg_le(out, v);
    else
      out += "xxxxxxxx";  // unavailable
  }
  return out;
}

std::string GdbStub::write_registers(const std::string& hex) {
  if (hex.size() % 8 != 0) return "E01";
  unsigned n = std::min<unsigned>(kNumRegs, static_cast<unsigned>(hex.size() / 8));
  for (unsigned r = 0; r < n; ++r) {
    if (hex.compare(8 * r, 8, "xxxxxxxx") == 0) continue;
    uint32_t v;
    if (!parse_reg_le(hex.data() + 8 * r, v)) return "E01";
    if (!target_.write_register(r, v)) return "E01";
  }
  return "OK";
}

std::string GdbStub::read_register(const std::string& args) {
  uint64_t r;
  if (!parse_hex(args, r)) return "E01";
  uint32_t v;
  if (r <= 0xffffffffu && target_.read_register(static_cast<unsigned>(r), v)) {
    std::string out;
    append_reg_le(out, v);
    return out;
  }
  if (r < kNumRegs) return "xxxxxxxx";
  return "E01";  // no such register
}

std::string GdbStub::write_register(const std::string& args) {
  size_t eq = args.find('=');
  if (eq == std::string::npos || args.size() - eq - 1 != 8) return "E01";
  uint64_t r;
  uint32_t v;
  if (!parse_hex(args.substr(0, eq), r) || r > 0xffffffffu) return "E01";
  if (!parse_reg_le(args.data() + eq + 1, v)) return "E01";
  return target_.write_register(static_cast<unsigned>(r), v) ? "OK" : "E01";
}

// ---------------------------------------------------------------- memory

std::string GdbStub::read_memory(const std::string& args) {
  uint64_t addr, len;
  if (!parse_addr_len(args, addr, len)) return "E01";
  len = std::min<uint64_t>(len, kMaxMemRead);
  std::vector<uint8_t> buf(static_cast<size_t>(len));
  size_t got = buf.size();
  if (!buf.empty() && !target_.read_memory(addr, buf.data(), buf.size())) {
    // Some byte is unmapped: answer the readable prefix (gdb accepts a short
    // read), or an error when the first byte already is.
    got = 0;
    while (got < buf.size() && target_.read_memory(addr + got, &buf[got], 1)) ++got;
    if (got == 0) return "E14";
  }
  std::string out;
  out.reserve(2 * got);
  for (size_t i = 0; i < got; ++i) append_hex_byte(out, buf[i]);
  return out;
}

std::string GdbStub::write_memory_hex(const std::string& args) {
  size_t colon = args.find(':');
  if (colon == std::string::npos) return "E01";
  uint64_t addr, len;
  if (!parse_addr_len(args.substr(0, colon), addr, len)) return "E01";
  const size_t hex_len = args.size() - colon - 1;
  if (hex_len != 2 * len) return "E01";
  std::vector<uint8_t> buf(static_cast<size_t>(len));
  for (size_t i = 0; i < buf.size(); ++i) {
    int hi = hex_value(args[colon + 1 + 2 * i]), lo = hex_value(args[colon + 2 + 2 * i]);
    if (hi < 0 || lo < 0) return "E01";
    buf[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  if (buf.empty()) return "OK";
  return target_.write_memory(addr, buf.data(), buf.size()) ? "OK" : "E14";
}

std::string GdbStub::write_memory_bin(const std::string& args) {
  size_t colon = args.find(':');  // the first ':' ends "addr,len"
  if (colon == std::string::npos) return "E01";
  uint64_t addr, len;
  if (!parse_addr_len(args.substr(0, colon), addr, len)) return "E01";
  std::vector<uint8_t> buf;
  buf.reserve(static_cast<size_t>(std::min<uint64_t>(len, kPacketSize)));
  for (size_t i = colon + 1; i < args.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(args[i]);
    if (c == '}') {
      if (++i >= args.size()) return "E01";
      c = static_cast<uint8_t>(args[i]) ^ 0x20;
    }
    buf.push_back(c);
  }
  if (buf.size() != len) return "E01";
  if (buf.empty()) return "OK";  // gdb probes X support with a zero-length write
  return target_.write_memory(addr, buf.data(), buf.size()) ? "OK" : "E14";
}

// ---------------------------------------------------------------- breakpoints

std::string GdbStub::breakpoint(const std::string& pkt) {
  // Z/z TYPE,ADDR,KIND[;cond...]: types 0 (software) and 1 (hardware).
  const bool insert = pkt[0] == 'Z';
  std::string body = pkt.substr(1);
  size_t semi = body.find(';');
  if (semi != std::string::npos) body.resize(semi);
  size_t c1 = body.find(',');
  if (c1 == std::string::npos) return "E01";
  size_t c2 = body.find(',', c1 + 1);
  const std::string type = body.substr(0, c1);
  if (type != "0" && type != "1") return "";  // watchpoints: not supported
  uint64_t addr;
  if (!parse_hex(body.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1),
                 addr))
    return "E01";
  std::vector<uint32_t>& set = type == "0" ? sw_bps_ : hw_bps_;
  const uint32_t a = static_cast<uint32_t>(addr);
  auto it = std::lower_bound(set.begin(), set.end(), a);
  const bool present = it != set.end() && *it == a;
  if (insert && !present) {
    set.insert(it, a);
    rebuild_breakpoints();
  } else if (!insert && present) {
    set.erase(it);
    rebuild_breakpoints();
  }
  return "OK";
}

void GdbStub::rebuild_breakpoints() {
  all_bps_.clear();
  std::set_union(sw_bps_.begin(), sw_bps_.end(), hw_bps_.begin(), hw_bps_.end(),
                 std::back_inserter(all_bps_));
  ++bp_version_;
}

}  // namespace imcvp
