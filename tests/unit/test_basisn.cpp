// BasisN, the compiler side (compiler/basisn.hpp): the PCA basis, a trained
// network's basis from its metadata with its coefficients recovered
// exactly, the golden hook against the scaler's two-step arithmetic, the
// placement (every crossbar holds the basis; reads rotate; coefficients per
// tile), the program image's records, and every error.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/basisn.hpp"
#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/pipeline.hpp"
#include "imcvp/accel.h"
#include "imcvp/memory_map.h"
#include "models/basis_scaler/basis_coef_data.hpp"
#include "onnx_model.hpp"
#include "tlm_harness.hpp"

IMCVP_TEST_SC_MAIN()

using namespace imcvp::compiler;
using imcvp::test::Dims;
using Model = imcvp::test::OnnxModel;

namespace {

// input [1,2,6,6] -> conv 2->3 3x3 pads 1 (fan-in 18) -> Relu -> Flatten -> Gemm 108 -> 4 = logits.
constexpr unsigned kL = 9, kK = 3, kBits = 5;
constexpr int kConvOut = 3, kConvK = 18, kFcOut = 4, kFcIn = 108;

struct Built {
  Model model{{1, 2, 6, 6}};
  std::vector<double> basis;  // kL x kK
  std::vector<int> conv_c, fc_c;  // out x segments x kK, the coefficients the weights are made of
};

// Weights exactly on a basis: W[o][s L + r] = s_c[o] s_B sum_j c[o][s][j] B_q[r][j]
// with B_q = round(B / s_B), max|c[o]| = 2^(bits-1) - 1.
std::vector<float> on_basis(std::mt19937& rng, const std::vector<double>& B, int out, int k, std::vector<int>& c) {
  const int cmax = (1 << (kBits - 1)) - 1, S = (k + int(kL) - 1) / int(kL);
  double bm = 0;
  for (double v : B) bm = std::max(bm, std::fabs(v));
  const double sB = bm / 127.0;
  std::vector<int> Bq(B.size());
  for (size_t i = 0; i < B.size(); ++i) Bq[i] = int(std::lround(B[i] / sB));
  std::uniform_int_distribution<int> cd(-cmax, cmax);
  c.assign(size_t(out) * S * kK, 0);
  std::vector<float> w(size_t(out) * k, 0.0f);
  for (int o = 0; o < out; ++o) {
    const double sc = 0.01 * (o + 1);
    for (int s = 0; s < S; ++s)
      for (unsigned j = 0; j < kK; ++j) c[(size_t(o) * S + s) * kK + j] = cd(rng);
    c[size_t(o) * S * kK] = cmax;  // the channel's largest coefficient
    for (int i = 0; i < k; ++i) {
      const int s = i / int(kL), r = i % int(kL);
      long v = 0;
      for (unsigned j = 0; j < kK; ++j) v += long(c[(size_t(o) * S + s) * kK + j]) * Bq[size_t(r) * kK + j];
      w[size_t(o) * k + i] = float(double(v) * sc * sB);
    }
  }
  return w;
}

std::string join(const std::vector<double>& v) {
  std::ostringstream s;
  s.precision(17);
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

Built build(bool trained = true) {
  Built b;
  std::mt19937 rng(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  b.basis.resize(kL * kK);
  for (double& v : b.basis) v = nd(rng);
  Model& m = b.model;
  m.init("conv.weight", {kConvOut, 2, 3, 3}, on_basis(rng, b.basis, kConvOut, kConvK, b.conv_c));
  m.init("conv.bias", {kConvOut}, {0.05f, -0.1f, 0.2f});
  m.init("fc.weight", {kFcOut, kFcIn}, on_basis(rng, b.basis, kFcOut, kFcIn, b.fc_c));
  m.init("fc.bias", {kFcOut}, {0.1f, -0.2f, 0.3f, 0.0f});
  Model::ints(m.node("Conv", {"input", "conv.weight", "conv.bias"}, "c", "conv"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"c"}, "cy", "relu");
  m.node("Flatten", {"cy"}, "flat", "flatten");
  Model::i(m.node("Gemm", {"flat", "fc.weight", "fc.bias"}, "logits", "fc"), "transB", 1);
  m.output("logits");
  if (trained) {
    m.metadata(kBasisNLengthKey, std::to_string(kL));
    m.metadata(kBasisNCountKey, std::to_string(kK));
    m.metadata(kBasisNCoefBitsKey, std::to_string(kBits));
    m.metadata(kBasisNBasisKey, join(b.basis));
  }
  return b;
}

PipelineOptions options(const std::string& onnx, unsigned tiles = 1, unsigned xbars = 4) {
  PipelineOptions o;
  o.compile.onnx_path = onnx;
  o.compile.dataset = kDatasetSynthetic;
  o.compile.calibration_images = 8;
  o.compile.eval_images = 0;
  o.chip.tiles = tiles;
  o.chip.crossbars_per_tile = xbars;
  o.chip.buffer_bytes = 256 * 1024;
  o.chip.basis_coef_bytes = 4096;
  return o;
}

std::string file(const std::string& name) { return (imcvp::test::onnx_temp_dir() / name).string(); }

const BasisNLayer& layer_data(const CompileState& s, size_t i) {
  return std::any_cast<const BasisNLayer&>(s.network().net.layers.at(i).attrs.data.at("basisn"));
}

}  // namespace

TEST(BasisN, PcaBasisIsOrthonormalSortedAndSigned) {
  const Built b = build(false);
  const PipelineOptions o = options(b.model.save(file("basisn_pca.onnx")));
  const CompileState s = run_pipeline(o, passes_through(default_passes(o), "quantize"));
  double energy = 0;
  const std::vector<double> B = pca_basis(s.network().net, kL, kL, &energy);
  EXPECT_NEAR(energy, 1.0, 1e-9);  // the whole basis captures everything
  for (unsigned a = 0; a < kL; ++a)
    for (unsigned c = 0; c < kL; ++c) {
      double dot = 0;
      for (unsigned r = 0; r < kL; ++r) dot += B[r * kL + a] * B[r * kL + c];
      EXPECT_NEAR(dot, a == c ? 1.0 : 0.0, 1e-9);
    }
  for (unsigned j = 0; j < kL; ++j) {  // the largest-magnitude entry of each vector is positive
    unsigned big = 0;
    for (unsigned r = 1; r < kL; ++r)
      if (std::fabs(B[r * kL + j]) > std::fabs(B[big * kL + j]) + 1e-12) big = r;
    EXPECT_GT(B[big * kL + j], 0.0);
  }
  // the weights live in the 3-dimensional span of the test's basis: 3 vectors capture it all
  double e3 = 0;
  pca_basis(s.network().net, kL, 3, &e3);
  EXPECT_NEAR(e3, 1.0, 1e-6);
  double e2 = 0;
  pca_basis(s.network().net, kL, 2, &e2);
  EXPECT_LT(e2, 0.999);
}

TEST(BasisN, TrainedNetworkCoefficientsAreRecoveredExactly) {
  const Built b = build();
  const PipelineOptions o = options(b.model.save(file("basisn_trained.onnx")));
  const CompileState s = run_pipeline(o, passes_through(default_passes(o), "basisn"));
  const BasisNLayer& conv = layer_data(s, 0);
  const BasisNLayer& fc = layer_data(s, 1);
  EXPECT_TRUE(conv.basis->trained);
  EXPECT_EQ(conv.segments, 2u);
  EXPECT_EQ(fc.segments, 12u);
  EXPECT_EQ(std::vector<int>(conv.coef.begin(), conv.coef.end()), b.conv_c);
  EXPECT_EQ(std::vector<int>(fc.coef.begin(), fc.coef.end()), b.fc_c);
  EXPECT_LT(conv.rel_error, 1e-6);
  EXPECT_LT(fc.rel_error, 1e-6);
}

TEST(BasisN, GoldenHookIsTheScalersTwoStepArithmetic) {
  const Built b = build();
  const PipelineOptions o = options(b.model.save(file("basisn_golden.onnx")));
  const CompileState s = run_pipeline(o, passes_through(default_passes(o), "basisn"));
  const QuantizedNetwork& q = s.network();
  const BasisNLayer& fc = layer_data(s, q.net.layers.size() - 1);
  const BasisNBasis& B = *fc.basis;
  GoldenModel g(q);
  std::mt19937 rng(3);
  std::vector<std::uint8_t> img(q.net.input_shape().size());
  for (auto& p : img) p = std::uint8_t(rng());
  const std::vector<std::int32_t> out = g.run(img.data());
  const Layer& l = q.net.layers.back();
  const QuantLayer& ql = q.layers.back();
  const std::vector<std::int32_t>& x = g.tensor(l.inputs[0]);
  for (int o = 0; o < l.out.c; ++o) {
    std::int64_t acc = 0;
    for (unsigned s2 = 0; s2 < fc.segments; ++s2)
      for (unsigned j = 0; j < B.count; ++j) {
        std::int64_t u = 0;  // the crossbar's basis output
        for (unsigned r = 0; r < B.length && s2 * B.length + r < x.size(); ++r)
          u += std::int64_t(B.q[r * B.count + j]) * x[s2 * B.length + r];
        acc += fc.coef[(std::size_t(o) * fc.segments + s2) * B.count + j] * u;  // the scaler
      }
    EXPECT_EQ(out[std::size_t(o)], imcvp_requantize(acc, ql.bias[std::size_t(o)], ql.requant[std::size_t(o)].multiplier,
                                                    ql.requant[std::size_t(o)].shift, ql.out_min, ql.out_max))
        << "output " << o;
  }
}

TEST(BasisN, PlacementProgramsEveryCrossbarOnceAndRotatesReads) {
  const Built b = build();
  PipelineOptions o = options(b.model.save(file("basisn_place.onnx")), 1, 4);
  const CompileState s = run_pipeline(o);
  EXPECT_EQ(s.placement.groups, 1u);
  EXPECT_EQ(s.placement.crossbars_used, 4u);
  ASSERT_EQ(s.image.programs.size(), 4u);  // the basis, once per crossbar
  for (const ImageProgram& p : s.image.programs) EXPECT_EQ(p.levels, s.image.programs.front().levels);
  // copies: 128 rows / 9 = 14, 16 outputs / 3 = 5: 5 copies; the FC layer's 12 segments in 3 reads
  const ImageLayer* fc = nullptr;
  for (const ImageLayer& l : s.image.layers)
    if (l.desc.op == IMCVP_OP_FC) fc = &l;
  ASSERT_NE(fc, nullptr);
  const std::vector<ExtRecord> recs = parse_ext_records(fc->ext, "fc");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].type, IMCVP_EXT_XBAR_LIST);
  std::uint16_t n = 0, x[3];
  std::memcpy(&n, recs[0].payload.data(), 2);
  std::memcpy(x, recs[0].payload.data() + 2, 6);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(x[0], 0u);
  EXPECT_EQ(x[1], 1u);
  EXPECT_EQ(x[2], 2u);
  imcvp_ext_basis rec;
  ASSERT_EQ(recs[1].type, IMCVP_EXT_BASIS);
  std::memcpy(&rec, recs[1].payload.data(), sizeof rec);
  EXPECT_EQ(rec.copies, 5u);
  EXPECT_EQ(rec.segments, 12u);
  EXPECT_EQ(rec.count, kK);
  EXPECT_EQ(rec.coef_bytes, imcvp::basis_coef_bytes(kFcOut, 12, kK, kBits));
  // the coefficients in the block data at the record's offset
  bool found = false;
  for (const ImageBlockData& bd : s.image.block_data)
    if (bd.slot == IMCVP_BLOCK_SLOT_BASIS_SCALER && bd.offset == IMCVP_BASIS_COEF_MEM + rec.coef_off) {
      std::vector<std::int8_t> c(b.fc_c.begin(), b.fc_c.end());
      EXPECT_EQ(bd.bytes, imcvp::encode_basis_coefs(c, kBits));
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(BasisN, ClearErrors) {
  const Built b = build();
  const std::string onnx = b.model.save(file("basisn_errors.onnx"));
  auto error_of = [&](PipelineOptions o) -> std::string {
    try {
      run_pipeline(o);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  PipelineOptions o = options(onnx);
  o.chip.basis_coef_bytes = 0;
  EXPECT_NE(error_of(o).find("no basis-coefficient scaler (accelerator.tile.basis_scaler)"), std::string::npos);
  o = options(onnx);
  o.chip.basis_coef_bytes = 16;
  EXPECT_NE(error_of(o).find("do not fit the coefficient memories of 1 tiles x 16 bytes"), std::string::npos);
  o = options(onnx);
  o.chip.crossbar.rows = 8;  // a basis of length 9
  EXPECT_NE(error_of(o).find("does not fit a crossbar of 8 rows"), std::string::npos);
  o = options(onnx);
  o.basisn.count = 2;  // the file brings its own basis of 3
  EXPECT_NE(error_of(o).find("network.basisn.count"), std::string::npos);

  const Built plain = build(false);
  o = options(plain.model.save(file("basisn_plain.onnx")));
  o.basisn.count = 10;
  EXPECT_NE(error_of(o).find("network.basisn.count: 10 basis vectors of length 9"), std::string::npos);
  o.basisn.count = 2;
  o.basisn.coef_bits = 9;
  EXPECT_NE(error_of(o).find("network.basisn.coef_bits"), std::string::npos);

  Built bad = build(false);
  bad.model.metadata(kBasisNLengthKey, "9");
  bad.model.metadata(kBasisNCountKey, "3");
  bad.model.metadata(kBasisNCoefBitsKey, "5");
  bad.model.metadata(kBasisNBasisKey, "1,2,3");
  o = options(bad.model.save(file("basisn_badmeta.onnx")));
  EXPECT_NE(error_of(o).find("holds 3 numbers"), std::string::npos);
}
