// Deterministic random numbers for the device models: every draw is a
// function of the seed alone, bit for bit, on any IEEE-754 machine.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the
// standard distributions (std::normal_distribution, ...) and the libm
// transcendental functions (log, exp, cos) are not: they differ between
// standard libraries and versions in the last bits. So the transforms here use
// only +, -, *, /, sqrt (all correctly rounded by IEEE 754), frexp/ldexp
// (exact) and floor, with our own log and exp polynomials. The .cpp is
// compiled without floating-point contraction (no fused multiply-add), see
// det_random.cpp.
#pragma once
#include <cstdint>
#include <random>

namespace imcvp::detrand {

// SplitMix64 step (Steele, Lea, Flood, OOPSLA 2014): derives independent
// stream seeds from one scenario seed.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The seed of stream `stream` (0, 1, 2 ...) of a generator seeded by `seed`.
inline uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t s = seed ^ (0xA0761D6478BD642Full * (stream + 1));
  splitmix64(s);
  return splitmix64(s);
}

// SplitMix64's output function alone: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1): the top 53 bits of one 64-bit draw.
inline double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Natural logarithm of a finite x > 0 (relative error below 1e-15).
double log(double x);
// e^x for finite x, saturating outside [-745, 709]; exp(0) == 1 exactly.
double exp(double x);

// Standard normal draws by Marsaglia's polar form of the Box-Muller
// transform; each accepted pair of uniforms gives two normals.
// A standard normal that is a function of (seed, a, b) alone: Marsaglia's
// polar form on uniforms from a SplitMix64 sequence started at a hash of the
// three (the first normal of the accepted pair). For draws keyed by what
// they model (a crossbar read and column) instead of by their order.
double keyed_normal(uint64_t seed, uint64_t a, uint64_t b);

class NormalGenerator {
 public:
  explicit NormalGenerator(uint64_t seed) : gen_(seed) {}
  double next();
  double uniform() { return uniform01(gen_); }
  std::mt19937_64& engine() { return gen_; }

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace imcvp::detrand
