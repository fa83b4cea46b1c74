#include "compiler/basisn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/image_lowering.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/quantize.hpp"
#include "compiler/weight_layout.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/basis_scaler/basis_coef_data.hpp"
#include "models/crossbar/crossbar_array.hpp"

namespace imcvp::compiler {

namespace {

constexpr const char* kTechnique = "basisn";
// The BasisScaler accumulates in 40 bits (imcvp/accel.h IMCVP_EXT_BASIS): a
// basis weight sum_j c B spans up to count x 2^(coef_bits-1) x 2^(basis_bits-1),
// beyond the crossbar path's 32; requantization's 64-bit product keeps room.
constexpr int kBasisAccBits = 40;
constexpr std::int64_t kBasisAccMax = (std::int64_t(1) << (kBasisAccBits - 1)) - 1;

// Eigen-decomposition of the symmetric n x n matrix `a` (row-major, destroyed)
// by cyclic Jacobi rotations: eigenvalues in `val`, eigenvectors as the
// columns of `vec` (row-major n x n), in no particular order. Deterministic.
void jacobi_eigen(std::vector<double>& a, unsigned n, std::vector<double>& val, std::vector<double>& vec) {
  vec.assign(std::size_t(n) * n, 0.0);
  for (unsigned i = 0; i < n; ++i) vec[std::size_t(i) * n + i] = 1.0;
  auto at = [&](unsigned r, unsigned c) -> double& { return a[std::size_t(r) * n + c]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (unsigned p = 0; p < n; ++p) {
      diag += at(p, p) * at(p, p);
      for (unsigned q = p + 1; q < n; ++q) off += at(p, q) * at(p, q);
    }
    if (off <= 1e-30 * std::max(diag, 1e-300)) break;
    for (unsigned p = 0; p < n; ++p)
      for (unsigned q = p + 1; q < n; ++q) {
        const double apq = at(p, q);
        if (std::fabs(apq) < 1e-300) continue;
        const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (unsigned k = 0; k < n; ++k) {  // a = J^T a J
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (unsigned k = 0; k < n; ++k) {
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
        for (unsigned k = 0; k < n; ++k) {
          double& vkp = vec[std::size_t(k) * n + p];
          double& vkq = vec[std::size_t(k) * n + q];
          const double x = vkp, y = vkq;
          vkp = c * x - s * y;
          vkq = s * x + c * y;
        }
      }
  }
  val.resize(n);
  for (unsigned i = 0; i < n; ++i) val[i] = at(i, i);
}

// The minimum-norm least-squares solver of A c = w for A (n x k, row-major):
// the k x n matrix P with c = P w (the pseudo-inverse, from A^T A's
// eigenvectors; eigenvalues below 1e-12 of the largest count as zero).
std::vector<double> pseudo_inverse(const std::vector<double>& A, unsigned n, unsigned k) {
  std::vector<double> g(std::size_t(k) * k, 0.0), val, vec;
  for (unsigned i = 0; i < k; ++i)
    for (unsigned j = 0; j < k; ++j) {
      double s = 0.0;
      for (unsigned r = 0; r < n; ++r) s += A[std::size_t(r) * k + i] * A[std::size_t(r) * k + j];
      g[std::size_t(i) * k + j] = s;
    }
  jacobi_eigen(g, k, val, vec);
  const double top = *std::max_element(val.begin(), val.end());
  // G^+ = sum over kept eigenpairs v v^T / lambda; P = G^+ A^T
  std::vector<double> ginv(std::size_t(k) * k, 0.0);
  for (unsigned e = 0; e < k; ++e) {
    if (!(val[e] > 1e-12 * top)) continue;
    for (unsigned i = 0; i < k; ++i)
      for (unsigned j = 0; j < k; ++j)
        ginv[std::size_t(i) * k + j] += vec[std::size_t(i) * k + e] * vec[std::size_t(j) * k + e] / val[e];
  }
  std::vector<double> P(std::size_t(k) * n, 0.0);
  for (unsigned i = 0; i < k; ++i)
    for (unsigned r = 0; r < n; ++r) {
      double s = 0.0;
      for (unsigned j = 0; j < k; ++j) s += ginv[std::size_t(i) * k + j] * A[std::size_t(r) * k + j];
      P[std::size_t(i) * n + r] = s;
    }
  return P;
}

std::string option_error(const std::string& field, const std::string& what) {
  return "network.basisn." + field + ": " + what;
}

const BasisNLayer* basisn_layer(const Layer& l) {
  const auto it = l.attrs.data.find(kTechnique);
  return it == l.attrs.data.end() ? nullptr : std::any_cast<BasisNLayer>(&it->second);
}

}  // namespace

// ---------------------------------------------------------------- config --

bool read_basisn_config(const FloatNetwork& net, const BasisNOptions& o, BasisNConfig& cfg) {
  cfg = BasisNConfig{};
  const auto it = net.metadata.find(kBasisNBasisKey);
  if (it != net.metadata.end()) {
    const std::string why = std::string("the model has '") + kBasisNBasisKey + "'";
    cfg.length = unsigned(metadata_int(net, kBasisNLengthKey, 1, 4096, why));
    cfg.count = unsigned(metadata_int(net, kBasisNCountKey, 1, 4096, why));
    cfg.coef_bits = unsigned(metadata_int(net, kBasisNCoefBitsKey, 2, 8, why));
    std::stringstream in(it->second);
    std::string item;
    while (std::getline(in, item, ',')) {
      const std::string v = trim(item);
      std::size_t end = 0;
      double x = 0.0;
      try {
        x = std::stod(v, &end);
      } catch (const std::exception&) {
        end = 0;
      }
      if (v.empty() || end != v.size() || !std::isfinite(x))
        throw CompileError(metadata_error(net, kBasisNBasisKey, "...", "'" + v + "' is not a finite number"));
      cfg.basis.push_back(x);
    }
    if (cfg.basis.size() != std::size_t(cfg.length) * cfg.count)
      throw CompileError(net.source + ": metadata '" + kBasisNBasisKey + "' holds " + std::to_string(cfg.basis.size()) +
                         " numbers, " + kBasisNLengthKey + " x " + kBasisNCountKey + " = " +
                         std::to_string(cfg.length * cfg.count));
    if (o.count && (o.count != cfg.count || o.length != cfg.length || o.coef_bits != cfg.coef_bits))
      throw CompileError(option_error("count", "the scenario asks for " + std::to_string(o.count) + " vectors of " +
                                                   std::to_string(o.length) + " with " + std::to_string(o.coef_bits) +
                                                   "-bit coefficients, but " + net.source + " is a trained BasisN network of " +
                                                   std::to_string(cfg.count) + " x " + std::to_string(cfg.length) +
                                                   ", " + std::to_string(cfg.coef_bits) +
                                                   " bits (leave network.basisn out to use its own)"));
    cfg.trained = true;
    return true;
  }
  if (!o.count) return false;
  if (o.length == 0) throw CompileError(option_error("length", "must be at least 1"));
  if (o.coef_bits < 2 || o.coef_bits > 8)
    throw CompileError(option_error("coef_bits", std::to_string(o.coef_bits) + " is outside 2..8"));
  if (o.count > o.length)
    throw CompileError(option_error("count", std::to_string(o.count) + " basis vectors of length " +
                                                 std::to_string(o.length) + ": at most " + std::to_string(o.length)));
  cfg.length = o.length;
  cfg.count = o.count;
  cfg.coef_bits = o.coef_bits;
  cfg.basis = pca_basis(net, o.length, o.count);
  return true;
}

std::vector<double> pca_basis(const FloatNetwork& net, unsigned L, unsigned K, double* energy) {
  if (K == 0 || K > L)
    throw CompileError("a basis of " + std::to_string(K) + " vectors of length " + std::to_string(L) +
                       ": 1.." + std::to_string(L) + " vectors");
  std::vector<double> m(std::size_t(L) * L, 0.0), seg(L);
  double total = 0.0;
  for (const Layer& l : net.layers) {
    if (!l.has_weights()) continue;
    const std::size_t k = std::size_t(l.fan_in());
    for (int o = 0; o < l.out.c; ++o) {
      const float* w = l.weight.data() + std::size_t(o) * k;
      double mx = 0.0;
      for (std::size_t i = 0; i < k; ++i) mx = std::max(mx, double(std::fabs(w[i])));
      if (mx == 0.0) continue;
      for (std::size_t s0 = 0; s0 < k; s0 += L) {
        for (unsigned r = 0; r < L; ++r) seg[r] = s0 + r < k ? double(w[s0 + r]) / mx : 0.0;
        for (unsigned r = 0; r < L; ++r) {
          total += seg[r] * seg[r];
          for (unsigned c = 0; c < L; ++c) m[std::size_t(r) * L + c] += seg[r] * seg[c];
        }
      }
    }
  }
  std::vector<double> val, vec;
  jacobi_eigen(m, L, val, vec);
  std::vector<unsigned> order(L);
  for (unsigned i = 0; i < L; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) { return val[a] > val[b]; });
  std::vector<double> B(std::size_t(L) * K);
  double kept = 0.0;
  for (unsigned j = 0; j < K; ++j) {
    const unsigned e = order[j];
    kept += val[e];
    unsigned big = 0;
    for (unsigned r = 1; r < L; ++r)
      if (std::fabs(vec[std::size_t(r) * L + e]) > std::fabs(vec[std::size_t(big) * L + e]) + 1e-12) big = r;
    const double sign = vec[std::size_t(big) * L + e] < 0 ? -1.0 : 1.0;
    for (unsigned r = 0; r < L; ++r) B[std::size_t(r) * K + j] = sign * vec[std::size_t(r) * L + e];
  }
  if (energy) *energy = total > 0.0 ? kept / total : 0.0;
  return B;
}

// -------------------------------------------------------------- quantize --

bool is_basisn(const QuantizedNetwork& q) {
  for (const Layer& l : q.net.layers)
    if (l.attrs.technique == kTechnique) return true;
  return false;
}

void basisn_quantize(QuantizedNetwork& q, const BasisNConfig& cfg) {
  const unsigned L = cfg.length, K = cfg.count, cb = cfg.coef_bits;
  auto basis = std::make_shared<BasisNBasis>();
  basis->length = L;
  basis->count = K;
  basis->coef_bits = cb;
  basis->basis_bits = unsigned(q.weight_bits);
  basis->trained = cfg.trained;
  if (!cfg.trained) pca_basis(q.net, L, K, &basis->energy);
  const std::int64_t bmax = (std::int64_t(1) << (q.weight_bits - 1)) - 1, cmax = (std::int64_t(1) << (cb - 1)) - 1;
  double bm = 0.0;
  for (double v : cfg.basis) bm = std::max(bm, std::fabs(v));
  if (bm == 0.0) throw CompileError("the BasisN basis is all zeros");
  basis->scale = bm / double(bmax);
  basis->q.resize(cfg.basis.size());
  for (std::size_t i = 0; i < cfg.basis.size(); ++i)
    basis->q[i] = std::int32_t(std::clamp<std::int64_t>(round_away(cfg.basis[i] / basis->scale), -bmax, bmax));
  // c = P_n w for a segment of n valid rows (n = L, or a layer's short last segment)
  std::vector<std::vector<double>> solver(L + 1);
  auto solver_for = [&](unsigned n) -> const std::vector<double>& {
    if (solver[n].empty()) {
      std::vector<double> A(std::size_t(n) * K);
      for (unsigned r = 0; r < n; ++r)
        for (unsigned j = 0; j < K; ++j) A[std::size_t(r) * K + j] = double(basis->q[std::size_t(r) * K + j]) * basis->scale;
      solver[n] = pseudo_inverse(A, n, K);
    }
    return solver[n];
  };

  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    Layer& l = q.net.layers[i];
    if (!l.has_weights()) continue;
    const std::string where = "layer " + l.name;
    QuantLayer& ql = q.layers[i];
    const ActFormat& in = q.formats[std::size_t(l.inputs[0])];
    const ActFormat& out = q.formats[std::size_t(l.output)];
    const std::int64_t in_abs = std::max<std::int64_t>(std::abs(in.qmin()), in.qmax());
    const std::size_t oc = std::size_t(l.out.c), k = std::size_t(l.fan_in());
    BasisNLayer bl;
    bl.basis = basis;
    bl.segments = unsigned((k + L - 1) / L);
    const unsigned S = bl.segments;
    bl.coef.assign(oc * S * K, 0);
    bl.coef_scale.assign(oc, 0.0);
    std::vector<double> c(std::size_t(S) * K);
    double err2 = 0.0, norm2 = 0.0;
    auto weff = std::make_shared<std::vector<std::int32_t>>(oc * k, 0);  // sum_j c B: the golden's weights
    for (std::size_t o = 0; o < oc; ++o) {
      const float* w = l.weight.data() + o * k;
      double cm = 0.0;
      for (unsigned s = 0; s < S; ++s) {
        const unsigned n = unsigned(std::min<std::size_t>(L, k - std::size_t(s) * L));
        const std::vector<double>& P = solver_for(n);
        for (unsigned j = 0; j < K; ++j) {
          double v = 0.0;
          for (unsigned r = 0; r < n; ++r) v += P[std::size_t(j) * n + r] * double(w[std::size_t(s) * L + r]);
          c[std::size_t(s) * K + j] = v;
          cm = std::max(cm, std::fabs(v));
        }
      }
      const double sc = cm > 0.0 ? cm / double(cmax) : 1.0;
      bl.coef_scale[o] = sc;
      std::int8_t* co = bl.coef.data() + o * S * K;
      for (std::size_t x = 0; x < c.size(); ++x) co[x] = std::int8_t(std::clamp<std::int64_t>(round_away(c[x] / sc), -cmax, cmax));
      // the integer weights the basis makes, and their error against the float ones
      const double sw = basis->scale * sc;
      std::int64_t abs_sum = 0;
      for (std::size_t kk = 0; kk < k; ++kk) {
        const std::size_t s = kk / L, r = kk % L;
        std::int64_t v = 0;
        for (unsigned j = 0; j < K; ++j) v += std::int64_t(co[s * K + j]) * basis->q[r * K + j];
        (*weff)[o * k + kk] = std::int32_t(v);
        abs_sum += std::abs(v);
        const double d = double(v) * sw - double(w[kk]);
        err2 += d * d;
        norm2 += double(w[kk]) * double(w[kk]);
      }
      ql.weight_scale[o] = sw;
      const double bias_q = double(l.bias[o]) / (in.scale * sw);
      if (!(std::fabs(bias_q) <= double(std::numeric_limits<std::int32_t>::max())))
        throw CompileError(where + ": the bias " + std::to_string(l.bias[o]) + " of output channel " +
                           std::to_string(o) + " does not fit the 32-bit accumulator at the basis scale");
      const std::int64_t b = round_away(bias_q);
      if (abs_sum * in_abs + std::abs(b) > kBasisAccMax)
        throw CompileError(where + ": output channel " + std::to_string(o) + " can overflow the scaler's " +
                           std::to_string(kBasisAccBits) + "-bit accumulator (fewer coefficient bits or vectors)");
      ql.bias[o] = std::int32_t(b);
      try {
        ql.requant[o] = make_requant(in.scale * sw / out.scale);
      } catch (const CompileError& e) {
        throw CompileError(where + ": " + e.what());
      }
    }
    bl.rel_error = norm2 > 0.0 ? std::sqrt(err2 / norm2) : 0.0;
    // golden: sum_s sum_j c[o][s][j] (sum_r B[r][j] x[s L + r]) = sum_k Weff[o][k] x[k], exactly
    l.attrs.golden = [w = std::shared_ptr<const std::vector<std::int32_t>>(weff)](const GoldenLayerCall& call) {
      std::vector<std::int64_t> acc(call.layer.out.size());
      layer_accumulate(call.layer, w->data(), call.input.data(), acc.data());
      requantize_outputs(call, acc.data());
    };
    l.attrs.technique = kTechnique;
    l.attrs.shared_crossbars = true;
    l.attrs.weight_bits = 0;
    l.attrs.data[kTechnique] = std::move(bl);
  }
}

void basisn_pass(CompileState& s) {
  BasisNConfig cfg;
  if (!read_basisn_config(s.network().net, s.options.basisn, cfg)) return;
  for (const Layer& l : s.network().net.layers)
    if (!l.attrs.technique.empty())
      throw CompileError("layer " + l.name + " is a " + l.attrs.technique +
                         " layer already: BasisN takes every Conv/FC layer of a network");
  basisn_quantize(s.network(), cfg);
}

// ------------------------------------------------------------- placement --

Placement place_basisn(QuantizedNetwork& q, const ChipResources& chip) {
  const CrossbarParams& p = chip.crossbar;
  if (chip.tiles == 0 || chip.crossbars_per_tile == 0)
    throw CompileError("the chip has no crossbars (" + std::to_string(chip.tiles) + " tiles x " +
                       std::to_string(chip.crossbars_per_tile) + ")");
  if (chip.basis_coef_bytes == 0)
    throw CompileError("the network is a BasisN network, but the tiles have no basis-coefficient scaler "
                       "(accelerator.tile.basis_scaler)");
  if (int(p.weight_bits) < q.weight_bits)
    throw CompileError("the network has " + std::to_string(q.weight_bits) + "-bit weights, the crossbars hold " +
                       std::to_string(p.weight_bits) + "-bit weights");
  const BasisNBasis* basis = nullptr;
  for (const Layer& l : q.net.layers)
    if (const BasisNLayer* bl = basisn_layer(l)) basis = bl->basis.get();
  const unsigned L = basis->length, K = basis->count, cb = basis->coef_bits;
  const unsigned copies = basis_copies(p.rows, p.max_outputs(), L, K);
  if (copies == 0)
    throw CompileError("a basis of " + std::to_string(K) + " vectors of length " + std::to_string(L) +
                       " does not fit a crossbar of " + std::to_string(p.rows) + " rows and " +
                       std::to_string(p.max_outputs()) + " " + std::to_string(p.weight_bits) +
                       "-bit outputs (network.basisn.length, network.basisn.count)");
  const unsigned cpt = chip.crossbars_per_tile;
  const std::uint32_t mem = chip.basis_coef_bytes;
  Placement pl;
  pl.chip = chip;
  pl.layers.resize(q.net.layers.size());
  pl.used_per_tile.assign(chip.tiles, cpt);  // every crossbar holds the basis
  pl.crossbars_used = chip.total_crossbars();
  pl.crossbars_needed = 1;  // one basis crossbar runs any layer
  pl.groups = 1;
  std::vector<int> tile_of_tensor(q.net.tensors.size(), -1);
  unsigned tile = 0;
  std::uint32_t used = 0;  // coefficient bytes used on `tile`
  std::uint64_t total = 0;
  for (const Layer& l : q.net.layers) {
    const BasisNLayer* bl = basisn_layer(l);
    if (bl) total += basis_coef_bytes(std::uint64_t(l.out.c), bl->segments, K, cb);
  }
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    Layer& l = q.net.layers[i];
    LayerPlacement& lp = pl.layers[i];
    if (!l.has_weights()) {
      lp.tile = place_on_input_tile(l, tile_of_tensor, tile);
      continue;
    }
    BasisNLayer* bl = l.attrs.data.count(kTechnique) ? std::any_cast<BasisNLayer>(&l.attrs.data[kTechnique]) : nullptr;
    if (!bl) throw CompileError("layer " + l.name + " is not on the BasisN basis (every Conv/FC layer must be)");
    // a grouped layer's groups each in whole segments, one after the other, in one slice
    const unsigned groups = l.kind == LayerKind::Conv && l.groups > 1 ? unsigned(l.groups) : 1u;
    const unsigned S = bl->segments, reads = unsigned((std::uint64_t(groups) * S + copies - 1) / copies);
    bl->reads = reads;
    lp.row_groups = std::min(reads, cpt);  // the distinct crossbars its reads use (crossbars())
    lp.col_groups = 1;
    // slices of output channels, each on one tile, as many as the coefficient memory left there holds
    std::map<std::pair<unsigned, unsigned>, std::uint32_t> offset;  // (c0, tile) -> coefficient offset
    l.attrs.block_data.clear();
    unsigned c0 = 0;
    const unsigned oc = unsigned(l.out.c);
    while (c0 < oc) {
      unsigned n = 0;
      while (c0 + n < oc && used + basis_coef_bytes(n + 1, S, K, cb) <= mem) ++n;
      if (c0 + n < oc) n -= n % 4;  // a slice that is not the last: whole words of 8-bit outputs (the gather copies words)
      if (groups > 1 && n < oc) n = 0;  // a grouped layer is not split
      if (n == 0) {
        if (groups > 1 && used == 0)
          throw CompileError("layer " + l.name + " (a grouped convolution, not split over tiles) has " +
                             std::to_string(basis_coef_bytes(oc, S, K, cb)) +
                             " bytes of coefficients, more than a tile's coefficient memory of " + std::to_string(mem) +
                             " bytes (accelerator.tile.basis_scaler.coef_bytes)");
        if (++tile >= chip.tiles)
          throw CompileError("the BasisN coefficients (" + std::to_string(total) + " bytes of " + std::to_string(cb) +
                             "-bit coefficients) do not fit the coefficient memories of " + std::to_string(chip.tiles) +
                             " tiles x " + std::to_string(mem) +
                             " bytes (accelerator.tile.basis_scaler.coef_bytes, accelerator.tiles); layer " + l.name +
                             " is the first that does not fit");
        used = 0;
        continue;
      }
      std::vector<std::int8_t> c(bl->coef.begin() + std::ptrdiff_t(std::size_t(c0) * S * K),
                                 bl->coef.begin() + std::ptrdiff_t(std::size_t(c0 + n) * S * K));
      BlockData bd{IMCVP_BLOCK_SLOT_BASIS_SCALER, IMCVP_BASIS_COEF_MEM + used, encode_basis_coefs(c, cb), int(tile)};
      offset[{c0, tile}] = used;
      used += std::uint32_t(bd.bytes.size());
      l.attrs.block_data.push_back(std::move(bd));
      lp.slices.push_back({c0, n, 0, 1, 0, int(tile)});
      c0 += n;
    }
    lp.tile = lp.slices.front().tile;
    lp.first_xbar = 0;
    lp.group = 0;
    tile_of_tensor.at(std::size_t(l.output)) = lp.tile;
    // each slice's records: its reads rotate over its tile's crossbars; its coefficients
    std::vector<std::uint16_t> xbars(reads);
    for (unsigned r = 0; r < reads; ++r) xbars[r] = std::uint16_t(r % cpt);
    const std::vector<std::uint8_t> list = xbar_list_record(xbars);
    l.attrs.slice_ext = [=](unsigned c, unsigned channels, unsigned t) {
      imcvp_ext_basis rec{};
      rec.coef_off = offset.at({c, t});
      rec.coef_bytes = std::uint32_t(basis_coef_bytes(channels, S, K, cb));
      rec.segments = S;
      rec.length = std::uint16_t(L);
      rec.count = std::uint16_t(K);
      rec.copies = std::uint16_t(copies);
      rec.coef_bits = std::uint8_t(cb);
      std::vector<std::uint8_t> ext = list;
      append_ext_record(ext, IMCVP_EXT_BASIS, &rec, sizeof rec);
      return ext;
    };
  }
  return pl;
}

void basisn_programs(CompileState& s) {
  if (!is_basisn(s.network())) return;
  const ChipResources& chip = s.placement.chip;
  const CrossbarParams& p = chip.crossbar;
  const BasisNBasis* basis = nullptr;
  for (const Layer& l : s.network().net.layers)
    if (const BasisNLayer* bl = basisn_layer(l)) basis = bl->basis.get();
  const unsigned L = basis->length, K = basis->count;
  const unsigned copies = basis_copies(p.rows, p.max_outputs(), L, K);
  std::vector<std::uint8_t> levels;
  try {
    levels = map_weights(p, basis_crossbar_weights(basis->q.data(), L, K, copies), copies * L, copies * K).levels;
  } catch (const std::invalid_argument& e) {
    throw CompileError(std::string("the BasisN basis: ") + e.what());
  }
  s.programs.resize(chip.tiles);
  for (unsigned t = 0; t < chip.tiles; ++t)
    for (unsigned x = 0; x < chip.crossbars_per_tile; ++x) {
      ImageProgram pr;
      pr.tile = std::uint16_t(t);
      pr.group = 0;
      pr.desc = blank_desc(desc::Program);
      pr.desc.xbar = std::uint16_t(x);
      set_program_once(pr, p, levels, s.options.image.levels);
      s.programs[t].push_back(std::move(pr));
    }
}

// --------------------------------------------------------------- summary --

BasisNSummary basisn_summary(const QuantizedNetwork& q, const CrossbarParams& p) {
  BasisNSummary r;
  double err2 = 0.0, norm2 = 0.0;
  for (const Layer& l : q.net.layers) {
    const BasisNLayer* bl = basisn_layer(l);
    if (!bl) continue;
    const BasisNBasis& b = *bl->basis;
    ++r.layers;
    r.length = b.length;
    r.count = b.count;
    r.coef_bits = b.coef_bits;
    r.trained = b.trained;
    r.energy = b.energy;
    r.copies = basis_copies(p.rows, p.max_outputs(), b.length, b.count);
    r.basis_cells = std::uint64_t(r.copies) * b.length * b.count * p.cols_per_output();
    r.coefficients += bl->coef.size();
    r.coef_bytes += basis_coef_bytes(std::uint64_t(l.out.c), bl->segments, b.count, b.coef_bits);
    const std::uint64_t w = std::uint64_t(l.fan_in()) * std::uint64_t(l.out.c);
    r.weights += w;
    double n2 = 0.0;
    for (float v : l.weight) n2 += double(v) * double(v);
    norm2 += n2;
    err2 += bl->rel_error * bl->rel_error * n2;
  }
  r.rel_error = norm2 > 0.0 ? std::sqrt(err2 / norm2) : 0.0;
  return r;
}

}  // namespace imcvp::compiler
