// The index tables of one SME layer slice as the SpliceUnit's table memory
// holds them (imcvp/accel.h IMCVP_EXT_SPLICE): per crossbar read, the weight
// rows its word lines are driven by and, per converted column, which output,
// which bit of the weight magnitude and which sign it holds. The one
// definition of that format: the compiler encodes with it, the block decodes
// with it. Plain C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imcvp/accel.h"

namespace imcvp {

// One column of a bit-plane crossbar: bit `bit` of output `output`'s weight
// magnitudes, of its negative weights when `negative`.
struct SpliceColumn {
  std::uint32_t output = 0;
  std::uint8_t bit = 0;
  std::uint8_t negative = 0;
  bool operator==(const SpliceColumn& o) const {
    return output == o.output && bit == o.bit && negative == o.negative;
  }
};

// One read of the slice: word line r driven by weight row rows[r]; column c
// holds cols[c].
struct SpliceRead {
  std::vector<std::uint32_t> rows;
  std::vector<SpliceColumn> cols;
};

// Limits of the format: weight rows and outputs are 16-bit, bits 0..31.
constexpr std::uint32_t kSpliceMaxRow = 0xFFFF, kSpliceMaxOutput = 0xFFFF;

// Bytes the tables of `reads` take.
std::uint64_t splice_table_bytes(const std::vector<SpliceRead>& reads);

// Packs the reads' tables. Throws std::invalid_argument naming the read and
// the entry that does not fit the format.
std::vector<std::uint8_t> encode_splice_tables(const std::vector<SpliceRead>& reads);

// Decodes `reads` reads' tables at `data` (`bytes` bytes, the record's
// table_bytes) into `out`, checking that every row is below `weight_rows`,
// every output below `outputs`, every read within `rows` word lines and
// `cols` columns, and that the tables fill `bytes` exactly. Returns false
// with `error` set otherwise.
bool decode_splice_tables(const std::uint8_t* data, std::size_t bytes, unsigned reads, std::uint64_t weight_rows,
                          unsigned outputs, unsigned rows, unsigned cols, std::vector<SpliceRead>& out,
                          std::string& error);

}  // namespace imcvp
