// A test initiator that drives one accelerator tile through its registers
// and buffer window, as firmware would (tests of the tile and of the
// compiler's program image).
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "tlm_harness.hpp"

namespace imcvp::test {

// An FC layer's descriptor: K u8 inputs at buffer offset in_off, N outputs
// of out_fmt (clamped to [out_min, out_max]) at out_off, requantization
// constants at param_off.
inline imcvp_layer_desc fc_layer_desc(unsigned K, unsigned N, uint8_t out_fmt, int32_t out_min, int32_t out_max,
                                      uint32_t in_off, uint32_t out_off, uint32_t param_off) {
  imcvp_layer_desc d;
  std::memset(&d, 0, sizeof d);
  d.magic = IMCVP_DESC_MAGIC;
  d.version = IMCVP_DESC_VERSION;
  d.op = IMCVP_OP_FC;
  d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
  d.in_c = uint16_t(K), d.in_h = 1, d.in_w = 1, d.out_c = uint16_t(N), d.out_h = 1, d.out_w = 1;
  d.in_bits = 8;
  d.in_fmt = IMCVP_FMT_U8;
  d.out_fmt = out_fmt;
  d.out_min = out_min, d.out_max = out_max;
  d.in_off = in_off, d.out_off = out_off, d.param_off = param_off;
  return d;
}

struct TileDriver : TestInitiator {
  using TestInitiator::TestInitiator;
  void w(uint32_t off, uint32_t v) { ASSERT_EQ(write32(off, v), tlm::TLM_OK_RESPONSE); }
  uint32_t r(uint32_t off) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(read32(off, v), tlm::TLM_OK_RESPONSE);
    return v;
  }
  // Copies into / out of the tile's local buffer at a buffer offset.
  void put(uint32_t buf_off, const void* p, size_t n) {
    ASSERT_EQ(access(tlm::TLM_WRITE_COMMAND, IMCVP_TILE_BUF + buf_off, const_cast<void*>(p), unsigned(n)),
              tlm::TLM_OK_RESPONSE);
  }
  void get(uint32_t buf_off, void* p, size_t n) {
    ASSERT_EQ(access(tlm::TLM_READ_COMMAND, IMCVP_TILE_BUF + buf_off, p, unsigned(n)), tlm::TLM_OK_RESPONSE);
  }
  // Tensor values in an IMCVP_FMT_* format (1, 2 or 4 bytes, little-endian,
  // sign-extended on the way out when signed) at a buffer offset.
  void put_tensor(uint32_t off, uint8_t fmt, const std::vector<int32_t>& v) {
    const unsigned b = fmt & IMCVP_FMT_BYTES_MASK;
    std::vector<uint8_t> bytes(v.size() * b);
    for (size_t i = 0; i < v.size(); ++i)
      for (unsigned k = 0; k < b; ++k) bytes[i * b + k] = uint8_t(uint32_t(v[i]) >> (8 * k));
    put(off, bytes.data(), bytes.size());
  }
  std::vector<int32_t> get_tensor(uint32_t off, uint8_t fmt, size_t n) {
    const unsigned b = fmt & IMCVP_FMT_BYTES_MASK;
    std::vector<uint8_t> bytes(n * b);
    get(off, bytes.data(), bytes.size());
    std::vector<int32_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t u = 0;
      for (unsigned k = 0; k < b; ++k) u |= uint32_t(bytes[i * b + k]) << (8 * k);
      if ((fmt & IMCVP_FMT_SIGNED) && b < 4 && (u >> (8 * b - 1)) & 1) u |= ~0u << (8 * b);
      v[i] = int32_t(u);
    }
    return v;
  }
  // Starts the descriptor at `desc_off`, advances time in `step`s until the
  // tile is no longer busy, returns STATUS (and the time it took in `took`).
  uint32_t start_and_wait(uint32_t desc_off, sc_core::sc_time step, sc_core::sc_time* took = nullptr) {
    w(IMCVP_TILE_DESC_ADDR, desc_off);
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    w(IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_START);
    EXPECT_TRUE(r(IMCVP_TILE_STATUS) & IMCVP_TILE_STATUS_BUSY);
    while (r(IMCVP_TILE_STATUS) & IMCVP_TILE_STATUS_BUSY) run_to(sc_core::sc_time_stamp() + step);
    if (took) *took = sc_core::sc_time_stamp() - t0;
    return r(IMCVP_TILE_STATUS);
  }
  // Writes descriptor d with the extension records `ext` after it at buffer
  // offset `desc_off`, runs it (100 ns steps), returns STATUS.
  uint32_t run_desc(uint32_t desc_off, const imcvp_layer_desc& d, const std::vector<uint8_t>& ext = {},
                    sc_core::sc_time* took = nullptr) {
    imcvp_layer_desc dd = d;
    dd.ext_bytes = uint16_t(ext.size());
    put(desc_off, &dd, sizeof dd);
    if (!ext.empty()) put(desc_off + sizeof dd, ext.data(), ext.size());
    return start_and_wait(desc_off, sc_core::sc_time(100, sc_core::SC_NS), took);
  }
};

// Appends one extension record (imcvp/accel.h: type, payload bytes, payload;
// `bytes` a multiple of 4, the payload holding them).
inline void append_ext(std::vector<uint8_t>& out, uint16_t type, const void* payload, uint16_t bytes) {
  const size_t at = out.size();
  out.resize(at + 4 + bytes);
  std::memcpy(out.data() + at, &type, 2);
  std::memcpy(out.data() + at + 2, &bytes, 2);
  std::memcpy(out.data() + at + 4, payload, bytes);
}

}  // namespace imcvp::test
