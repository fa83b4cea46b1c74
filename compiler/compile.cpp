#include "compiler/sme.hpp"
#include "compiler/compile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "compiler/golden.hpp"
#include "compiler/onnx_import.hpp"
#include "compiler/pipeline.hpp"

namespace imcvp::compiler {

Accuracy evaluate(const QuantizedNetwork& qnet, const ImageSet& images, std::size_t count, unsigned threads,
                  const std::atomic<bool>* stop) {
  if (!qnet.calibrated)
    throw CompileError(qnet.net.source + ": the network was quantized without calibration images "
                       "(for performance estimation only); its accuracy cannot be evaluated");
  if (count == 0 || count > images.count()) count = images.count();
  if (images.image_size() != qnet.net.input_shape().size())
    throw CompileError(qnet.net.source + ": the network input " + qnet.net.input_shape().str() +
                       " does not match the " + std::to_string(images.channels) + "x" + std::to_string(images.height) +
                       "x" + std::to_string(images.width) + " images");
  const bool labeled = images.has_labels();
  if (labeled && images.labels.size() != images.count())
    throw CompileError("evaluate: " + std::to_string(images.count()) + " images but " +
                       std::to_string(images.labels.size()) + " labels");
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::min<std::size_t>(threads, std::max<std::size_t>(1, count / 64)));
  std::vector<Accuracy> part(threads);
  auto work = [&](unsigned t) {
    GoldenModel golden(qnet);
    FloatModel flt(qnet.net);
    Accuracy& a = part[t];
    for (std::size_t i = t; i < count; i += threads) {
      if (stop && stop->load(std::memory_order_relaxed)) return;  // thrown below, after the join
      const int pf = argmax(flt.run(images.image(i)));
      const int pg = argmax(golden.run(images.image(i)));
      ++a.images;
      if (labeled) {
        a.float_correct += pf == images.labels[i];
        a.golden_correct += pg == images.labels[i];
      }
      a.agree += pf == pg;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  throw_if_stopped(stop);
  Accuracy sum;
  sum.labeled = labeled;
  for (const auto& a : part) {
    sum.images += a.images;
    sum.float_correct += a.float_correct;
    sum.golden_correct += a.golden_correct;
    sum.agree += a.agree;
  }
  return sum;
}

FloatNetwork import_network(const CompileOptions& o) {
  FloatNetwork net = import_onnx(o.onnx_path);
  if (o.input_mean) {
    if (!std::isfinite(*o.input_mean)) throw CompileError("input_mean must be a finite number");
    net.norm.mean = *o.input_mean;
  }
  if (o.input_std) {
    if (!(*o.input_std > 0.0f) || !std::isfinite(*o.input_std)) throw CompileError("input_std must be a finite number > 0");
    net.norm.std = *o.input_std;
  }
  if (o.dataset != kDatasetSynthetic && o.dataset != kDatasetFashionMnist)
    throw CompileError("dataset '" + o.dataset + "' is not known (use '" + kDatasetFashionMnist + "' or '" +
                       kDatasetSynthetic + "')");
  if (o.calibration_images == 0 && o.eval_images > 0)
    throw CompileError("eval_images = " + std::to_string(o.eval_images) +
                       " needs calibration: calibration_images = 0 gives an uncalibrated network (for performance "
                       "estimation only; set eval_images = 0)");
  return net;
}

ImageSet compile_images(const CompileOptions& o, const Shape& in, Split split, std::size_t count) {
  if (o.dataset == kDatasetSynthetic)
    return make_random_images(in.c, in.h, in.w, count, o.synthetic_seed + (split == Split::Test ? 1 : 0));
  return load_fashion_mnist(split, count, o.dataset_dir);
}

QuantizedNetwork quantize_network(FloatNetwork net, const CompileOptions& o, std::size_t& calibration_images) {
  if (o.calibration_images == 0) {
    calibration_images = 0;
    return quantize_uncalibrated(std::move(net), o.quant);
  }
  const ImageSet calib = compile_images(o, net.input_shape(), Split::Train, o.calibration_images);
  calibration_images = calib.count();
  throw_if_stopped(o.stop);  // reading the images may take a while
  return quantize(std::move(net), calib, calib.count(), o.quant, o.stop);
}

Accuracy evaluate_network(const QuantizedNetwork& q, const CompileOptions& o) {
  const ImageSet test = compile_images(o, q.net.input_shape(), Split::Test, o.eval_images);
  throw_if_stopped(o.stop);
  return evaluate(q, test, test.count(), o.threads, o.stop);
}

CompileReport compile(const CompileOptions& o) {
  PipelineOptions po;
  po.compile = o;  // no chip: import, quantize and evaluate
  return run_pipeline(po).report;
}

void print_layer_summary(std::ostream& os, const QuantizedNetwork& q) {
  const FloatNetwork& n = q.net;
  char buf[512];
  std::snprintf(buf, sizeof buf, "network %s: input %s (%s), %zu layers, weights %d-bit per channel, activations %d-bit, logits %d-bit\n",
                n.source.c_str(), n.input_shape().str().c_str(), q.formats[std::size_t(n.input)].str().c_str(),
                n.layers.size(), q.weight_bits, q.act_bits, q.logit_bits);
  os << buf;
  std::snprintf(buf, sizeof buf, "  %-3s %-19s %-11s %-11s %-9s %9s %11s  %-16s %-22s %s\n", "#", "kind", "in", "out",
                "k/s/p", "weights", "MACs", "out format", "requant M/2^S", "layer");
  os << buf;
  std::uint64_t total_w = 0, total_macs = 0;
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const Layer& l = n.layers[i];
    const QuantLayer& ql = q.layers[i];
    char geo[32] = "-";
    if (l.kind == LayerKind::Conv || l.kind == LayerKind::MaxPool || l.kind == LayerKind::AvgPool)
      std::snprintf(geo, sizeof geo, "%dx%d/%d/%d", l.kernel_h, l.kernel_w, l.stride_h, l.pad_h);
    std::string kind = to_string(l.kind);
    if (l.kind == LayerKind::Conv && l.groups > 1)
      kind += l.groups == l.in.c && l.groups == l.out.c ? "/dw" : "/g" + std::to_string(l.groups);
    if (l.relu) {
      char t[32];
      std::snprintf(t, sizeof t, "%.3g", double(l.clip_max));
      kind += l.has_clip() ? (l.clip_max == 6.0f ? std::string("+ReLU6") : "+ReLU<=" + std::string(t)) : std::string("+ReLU");
    }
    std::string rq = "-";
    if (!ql.requant.empty()) {
      auto [lo, hi] = std::minmax_element(ql.requant.begin(), ql.requant.end(),
                                          [](const Requant& a, const Requant& b) { return a.real() < b.real(); });
      char t[96];
      // per channel: the range of M / 2^S
      if (ql.requant.size() == 1)
        std::snprintf(t, sizeof t, "%d/2^%d", lo->multiplier, lo->shift);
      else
        std::snprintf(t, sizeof t, "%.3g..%.3g", lo->real(), hi->real());
      rq = t;
    } else if (l.kind == LayerKind::Add) {
      char t[96];
      std::snprintf(t, sizeof t, "(%d,%d)/2^%d", ql.add_mult[0], ql.add_mult[1], ql.add_shift);
      rq = t;
    }
    std::snprintf(buf, sizeof buf, "  %-3zu %-19s %-11s %-11s %-9s %9zu %11llu  %-16s %-22s %s\n", i, kind.c_str(),
                  l.in.str().c_str(), l.out.str().c_str(), geo, l.weight.size(), (unsigned long long)l.macs(),
                  q.formats[std::size_t(l.output)].str().c_str(), rq.c_str(), l.name.c_str());
    os << buf;
    total_w += l.weight.size();
    total_macs += l.macs();
  }
  std::snprintf(buf, sizeof buf, "  total: %llu weights, %llu MACs per inference\n", (unsigned long long)total_w,
                (unsigned long long)total_macs);
  os << buf;
}

void print_report(std::ostream& os, const CompileReport& r) {
  print_layer_summary(os, r.network);
  char buf[256];
  if (r.network.calibrated)
    std::snprintf(buf, sizeof buf, "calibration: %zu %s images (import %.2f s, quantize %.2f s)\n", r.calibration_images,
                  r.dataset == kDatasetSynthetic ? "synthetic" : "training", r.import_seconds, r.quantize_seconds);
  else
    std::snprintf(buf, sizeof buf,
                  "calibration: none: placeholder activation ranges, for performance estimation only "
                  "(import %.2f s, quantize %.2f s)\n",
                  r.import_seconds, r.quantize_seconds);
  os << buf;
  if (r.accuracy.images && !r.accuracy.labeled) {
    std::snprintf(buf, sizeof buf, "on %zu unlabeled %simages: float and golden (integer) give the same prediction on %.2f %% (%.2f s)\n",
                  r.accuracy.images, r.dataset == kDatasetSynthetic ? "synthetic " : "", r.accuracy.agree_percent(),
                  r.evaluate_seconds);
    os << buf;
  } else if (r.accuracy.images) {
    std::snprintf(buf, sizeof buf,
                  "accuracy on %zu test images: float %.2f %%, golden (integer) %.2f %%, same prediction %.2f %% (%.2f s)\n",
                  r.accuracy.images, r.accuracy.float_percent(), r.accuracy.golden_percent(),
                  100.0 * double(r.accuracy.agree) / double(r.accuracy.images), r.evaluate_seconds);
    os << buf;
  }
  print_sme_summary(os, r.network);
}

}  // namespace imcvp::compiler
