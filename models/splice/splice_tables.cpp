#include "models/splice/splice_tables.hpp"

#include <cstring>
#include <stdexcept>

namespace imcvp {

namespace {
std::uint64_t align4(std::uint64_t n) { return (n + 3) / 4 * 4; }
std::uint64_t read_bytes(std::size_t rows, std::size_t cols) { return align4(4 + 2 * rows) + 4 * cols; }
}  // namespace

std::uint64_t splice_table_bytes(const std::vector<SpliceRead>& reads) {
  std::uint64_t n = 0;
  for (const SpliceRead& r : reads) n += read_bytes(r.rows.size(), r.cols.size());
  return n;
}

std::vector<std::uint8_t> encode_splice_tables(const std::vector<SpliceRead>& reads) {
  std::vector<std::uint8_t> out(splice_table_bytes(reads), 0);
  std::size_t at = 0;
  auto put16 = [&](std::uint32_t v) {
    const std::uint16_t x = std::uint16_t(v);
    std::memcpy(out.data() + at, &x, 2);
    at += 2;
  };
  for (std::size_t n = 0; n < reads.size(); ++n) {
    const SpliceRead& r = reads[n];
    auto bad = [&](const std::string& what) {
      throw std::invalid_argument("splice read " + std::to_string(n) + ": " + what);
    };
    if (r.rows.size() > 0xFFFF || r.cols.size() > 0xFFFF) bad("more than 65535 rows or columns");
    put16(std::uint32_t(r.rows.size()));
    put16(std::uint32_t(r.cols.size()));
    for (std::uint32_t row : r.rows) {
      if (row > kSpliceMaxRow) bad("weight row " + std::to_string(row) + " beyond the tables' 16-bit rows");
      put16(row);
    }
    at = std::size_t(align4(at));
    for (const SpliceColumn& c : r.cols) {
      if (c.output > kSpliceMaxOutput || c.bit > 31)
        bad("column of output " + std::to_string(c.output) + ", bit " + std::to_string(c.bit) +
            " beyond the tables' 16-bit outputs and bits 0..31");
      const std::uint32_t e = IMCVP_SPLICE_COLUMN(c.output, c.bit, c.negative);
      std::memcpy(out.data() + at, &e, 4);
      at += 4;
    }
  }
  return out;
}

bool decode_splice_tables(const std::uint8_t* data, std::size_t bytes, unsigned reads, std::uint64_t weight_rows,
                          unsigned outputs, unsigned rows, unsigned cols, std::vector<SpliceRead>& out,
                          std::string& error) {
  out.assign(reads, {});
  std::size_t at = 0;
  for (unsigned n = 0; n < reads; ++n) {
    auto fail = [&](const std::string& what) {
      error = "read " + std::to_string(n) + " (table byte " + std::to_string(at) + "): " + what;
      return false;
    };
    if (at + 4 > bytes) return fail("the tables end early");
    std::uint16_t nr, nc;
    std::memcpy(&nr, data + at, 2);
    std::memcpy(&nc, data + at + 2, 2);
    if (nr > rows || nc > cols)
      return fail(std::to_string(nr) + " rows and " + std::to_string(nc) + " columns on a crossbar of " +
                  std::to_string(rows) + " x " + std::to_string(cols));
    if (at + read_bytes(nr, nc) > bytes) return fail("the tables end early");
    SpliceRead& r = out[n];
    r.rows.resize(nr);
    for (unsigned i = 0; i < nr; ++i) {
      std::uint16_t v;
      std::memcpy(&v, data + at + 4 + 2 * i, 2);
      if (v >= weight_rows)
        return fail("weight row " + std::to_string(v) + " of a layer of " + std::to_string(weight_rows));
      r.rows[i] = v;
    }
    at += std::size_t(align4(4 + 2 * std::uint64_t(nr)));
    r.cols.resize(nc);
    for (unsigned i = 0; i < nc; ++i, at += 4) {
      std::uint32_t e;
      std::memcpy(&e, data + at, 4);
      if ((e & 0x7FE00000u) != 0) return fail("column entry " + std::to_string(i) + " has reserved bits set");
      SpliceColumn& c = r.cols[i];
      c.output = IMCVP_SPLICE_COLUMN_OUTPUT(e);
      c.bit = std::uint8_t(IMCVP_SPLICE_COLUMN_BIT(e));
      c.negative = std::uint8_t(IMCVP_SPLICE_COLUMN_NEGATIVE(e));
      if (c.output >= outputs)
        return fail("column " + std::to_string(i) + " names output " + std::to_string(c.output) + " of " +
                    std::to_string(outputs));
    }
  }
  if (at != bytes) {
    error = "the tables of " + std::to_string(reads) + " reads take " + std::to_string(at) + " bytes, the record says " +
            std::to_string(bytes);
    return false;
  }
  return true;
}

}  // namespace imcvp
