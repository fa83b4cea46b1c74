// BasisN (Eldebiky et al., "BasisN: Reprogramming-Free RRAM-Based
// In-Memory-Computing by Basis Combination for Deep Neural Networks", arXiv
// 2407.03738): the compiler side. Every Conv/FC layer's kernels are cut into
// segments of `length` weight rows (weight-row order: input channel, ky, kx;
// an FC layer: its inputs), and every segment is a combination of `count`
// global basis vectors shared by all layers, with quantized coefficients:
//   W[o][s length + r] = s_B s_c[o] sum_j c[o][s][j] B[r][j].
// The crossbars hold the basis (written once, before the first image, on
// every crossbar of every tile); the tiles' BasisScaler blocks hold the
// coefficients and form each output from the crossbars' basis outputs
// (imcvp/accel.h IMCVP_EXT_BASIS, models/basis_scaler/).
//
// The basis: the model's metadata (a trained BasisN network,
// networks/train_basisn.py) or, for any other network, the principal
// components of its weight segments (pca_basis). Passes of the default
// pipeline, each a no-op for a network that is not BasisN:
//   basisn          (after quantize):  the basis (quantized to the network's
//                                      weight bits), each layer's coefficients
//                                      (least squares, then coef_bits per
//                                      output channel), bias and
//                                      requantization at the scale s_B s_c[o],
//                                      the golden hook;
//   place           a BasisN network's own placement (place_basisn): every
//                   crossbar holds the basis; layers go to tiles by their
//                   coefficients; each slice's reads rotate over its tile's
//                   crossbars; the coefficient memory images and records;
//   layout-weights  adds the basis crossbars' PROGRAM records.
// docs/techniques/basisn.md, docs/compiler.md "BasisN".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/network.hpp"
#include "compiler/placement.hpp"

namespace imcvp::compiler {

struct CompileState;

// Metadata keys of a trained BasisN network (FloatNetwork::metadata).
constexpr const char* kBasisNLengthKey = "imcvp.basisn.length";        // L, weight rows per segment
constexpr const char* kBasisNCountKey = "imcvp.basisn.count";          // K, basis vectors
constexpr const char* kBasisNCoefBitsKey = "imcvp.basisn.coef_bits";   // 2..8
constexpr const char* kBasisNBasisKey = "imcvp.basisn.basis";          // L x K floats, row-major, comma-separated

// The scenario's network.basisn (or `imcvp compile --basisn`): make any
// network a BasisN one with a PCA basis. count 0: not asked for.
struct BasisNOptions {
  unsigned length = 9;   // a 3 x 3 kernel per segment
  unsigned count = 0;
  unsigned coef_bits = 4;
};

// The network's BasisN settings: from its metadata, else from `options`
// (the basis then from pca_basis). false when neither asks for BasisN.
// Throws CompileError naming the metadata key or the option (a count of
// zero, bits out of range, a basis of the wrong size, metadata and options
// that disagree).
struct BasisNConfig {
  unsigned length = 0, count = 0, coef_bits = 0;
  std::vector<double> basis;  // length x count, row-major
  bool trained = false;       // from the model's metadata
};
bool read_basisn_config(const FloatNetwork& net, const BasisNOptions& options, BasisNConfig& config);

// The principal components of the network's weight segments: every Conv/FC
// output channel's weights divided by their largest magnitude, cut into
// zero-padded segments of `length`; the `count` eigenvectors of X^T X (X:
// all segments, uncentred) of the largest eigenvalues, largest first, each
// signed so that its largest-magnitude entry (the first of equals) is
// positive. Returns length x count, row-major; `energy`, when given, the
// share of X's energy they capture. Throws CompileError for count > length.
std::vector<double> pca_basis(const FloatNetwork& net, unsigned length, unsigned count, double* energy = nullptr);

// The quantized basis every BasisN layer shares.
struct BasisNBasis {
  unsigned length = 0, count = 0, coef_bits = 0, basis_bits = 0;
  std::vector<std::int32_t> q;  // length x count, in [-(2^(basis_bits-1)-1), 2^(basis_bits-1)-1]
  double scale = 0.0;           // s_B: real basis = q x scale
  double energy = 0.0;          // PCA: the share of the segments' energy captured (0: trained)
  bool trained = false;
};

// attrs.data["basisn"] of a BasisN layer (technique "basisn").
struct BasisNLayer {
  std::shared_ptr<const BasisNBasis> basis;
  unsigned segments = 0;           // ceil(fan_in / length)
  std::vector<std::int8_t> coef;   // c[o][s][j], out.c x segments x count
  std::vector<double> coef_scale;  // s_c[o]
  double rel_error = 0.0;          // ||W_basis - W|| / ||W|| over the layer (float weights)
  // place_basisn: reads per window (ceil(groups x segments / copies))
  unsigned reads = 0;
};

// The passes (see above); the place pass calls place_basisn for a BasisN network.
void basisn_pass(CompileState& s);
bool is_basisn(const QuantizedNetwork& q);
Placement place_basisn(QuantizedNetwork& q, const ChipResources& chip);
void basisn_programs(CompileState& s);
// On a network directly: quantizes every Conv/FC layer onto the basis.
void basisn_quantize(QuantizedNetwork& q, const BasisNConfig& config);

// For the run report and `imcvp compare`.
struct BasisNSummary {
  unsigned layers = 0;  // 0: not BasisN
  unsigned length = 0, count = 0, coef_bits = 0, copies = 0;
  bool trained = false;
  double energy = 0.0;
  std::uint64_t coefficients = 0, coef_bytes = 0;  // all layers
  std::uint64_t weights = 0;                       // the layers' weights (fan_in x out.c)
  std::uint64_t basis_cells = 0;                   // cells of one basis crossbar holding the basis
  double rel_error = 0.0;                          // over all layers
};
BasisNSummary basisn_summary(const QuantizedNetwork& q, const CrossbarParams& crossbar);

}  // namespace imcvp::compiler
