// Deterministic log, exp and normal draws (see det_random.hpp).
//
// Contraction of a*b+c into one fused multiply-add would change the last bit
// on machines that have FMA (GCC contracts by default in C++ when the target
// has FMA, e.g. AArch64 or -march=haswell): the pragmas below switch it off
// for this file, in GCC's and in clang's spelling.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "models/crossbar/det_random.hpp"

#include <cmath>
#include <cstring>

namespace imcvp::detrand {

namespace {
// ln 2 split so that k * kLn2Hi is exact for |k| < 2^11.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInvLn2 = 1.44269504088896338700e+00;
constexpr double kSqrtHalf = 0.70710678118654752440;
}  // namespace

namespace {

// log of m in [0.7071, 1.4142) by the atanh series: log m = 2 atanh(s),
// s = (m-1)/(m+1), |s| < 0.1716; the first omitted term is below 1e-18 s.
double log_series(double m) {
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23.0;
  p = 1.0 / 21.0 + s2 * p;
  p = 1.0 / 19.0 + s2 * p;
  p = 1.0 / 17.0 + s2 * p;
  p = 1.0 / 15.0 + s2 * p;
  p = 1.0 / 13.0 + s2 * p;
  p = 1.0 / 11.0 + s2 * p;
  p = 1.0 / 9.0 + s2 * p;
  p = 1.0 / 7.0 + s2 * p;
  p = 1.0 / 5.0 + s2 * p;
  p = 1.0 / 3.0 + s2 * p;
  return 2.0 * s + 2.0 * s * (s2 * p);
}

double log_exact_path(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2.0;
    e -= 1;
  }
  const double k = static_cast<double>(e);
  return k * kLn2Hi + (k * kLn2Lo + log_series(m));
}

// log(c_i) and 1/c_i at the centres c_i = 1 + (i + 0.5) / 256 of 256 equal
// bins of [1, 2): log(m) = log(c_i) + log(m / c_i), |m / c_i - 1| < 2^-9.
constexpr int kLogBinsBits = 8;
constexpr int kLogBins = 1 << kLogBinsBits;
struct LogTable {
  double log_c[kLogBins];
  double inv_c[kLogBins];
  LogTable() {
    for (int i = 0; i < kLogBins; ++i) {
      const double c = 1.0 + (i + 0.5) / kLogBins;
      log_c[i] = log_exact_path(c);
      inv_c[i] = 1.0 / c;
    }
  }
};
const LogTable& log_table() {
  static const LogTable table;
  return table;
}

}  // namespace

double log(double x) {
  uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  if (biased == 0 || biased == 0x7FF) return log_exact_path(x);  // subnormal (or not finite)
  // Near 1 the table's two terms would cancel: the series keeps the relative
  // accuracy there (and log(1) == 0 exactly).
  if (x > 0.9375 && x < 1.0625) return log_series(x);
  // x = m * 2^e with m in [1, 2): exponent and mantissa read from the bits.
  const double k = static_cast<double>(biased - 1023);
  const uint64_t frac = bits & 0x000FFFFFFFFFFFFFull;
  const uint64_t one = 0x3FF0000000000000ull;
  double m = 0.0;
  const uint64_t mbits = one | frac;
  std::memcpy(&m, &mbits, sizeof m);
  const LogTable& t = log_table();
  const int i = static_cast<int>(frac >> (52 - kLogBinsBits));
  const double r = m * t.inv_c[i] - 1.0;  // |r| < 2^-9
  // log(1 + r) to r^6/6: the remainder is below 2e-19.
  double p = -1.0 / 6.0;
  p = 1.0 / 5.0 + r * p;
  p = -1.0 / 4.0 + r * p;
  p = 1.0 / 3.0 + r * p;
  p = -1.0 / 2.0 + r * p;
  const double log_m = r + r * (r * p);
  return k * kLn2Hi + (k * kLn2Lo + (t.log_c[i] + log_m));
}

double exp(double x) {
  if (x == 0.0) return 1.0;
  if (x > 709.0) x = 709.0;
  if (x < -745.0) return 0.0;
  // x = k ln2 + r, |r| <= ln2 / 2.
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Taylor series to r^17/17!: the remainder is below 2e-19 for |r| <= 0.347.
  double p = 1.0;
  for (int n = 17; n >= 1; --n) p = 1.0 + r * p / static_cast<double>(n);
  return std::ldexp(p, static_cast<int>(k));
}

double keyed_normal(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t state = mix64(mix64(mix64(seed) ^ a) ^ b);
  auto uniform = [&state] { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; };
  double v1 = 0.0, v2 = 0.0, s = 0.0;
  do {
    v1 = 2.0 * uniform() - 1.0;
    v2 = 2.0 * uniform() - 1.0;
    s = v1 * v1 + v2 * v2;
  } while (s >= 1.0 || s == 0.0);
  return v1 * std::sqrt(-2.0 * log(s) / s);
}

double NormalGenerator::next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double v1 = 0.0, v2 = 0.0, s = 0.0;
  do {
    v1 = 2.0 * uniform01(gen_) - 1.0;
    v2 = 2.0 * uniform01(gen_) - 1.0;
    s = v1 * v1 + v2 * v2;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * log(s) / s);
  spare_ = v2 * f;
  has_spare_ = true;
  return v1 * f;
}

}  // namespace imcvp::detrand
