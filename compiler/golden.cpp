#include "compiler/golden.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace imcvp::compiler {

namespace {

// Output columns ox whose input column ox*stride - pad + kx lies inside [0, width).
void valid_range(int out_w, int in_w, int stride, int pad, int k, int& lo, int& hi) {
  // ox*stride >= pad - k  and  ox*stride <= in_w - 1 + pad - k
  const int a = pad - k;
  lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  const int b = in_w - 1 + pad - k;
  hi = b < 0 ? -1 : std::min(out_w - 1, b / stride);
}

// Channel groups: output channel o reads input channels
// [first_in_channel(l, o), + in.c / groups), weights w[o][c - first][ky][kx].
inline int group_in_channels(const Layer& l) { return l.in.c / l.groups; }
inline int first_in_channel(const Layer& l, int o) { return o / (l.out.c / l.groups) * group_in_channels(l); }

// acc[o][oy][ox] += sum over c, ky, kx of w[o][c][ky][kx] * in[c0 + c][iy][ix]
// (acc holds the bias already; inputs outside the plane are zero).
template <typename T, typename W, typename A>
void conv_accumulate(const Layer& l, const T* in, const W* w, A* acc) {
  const int ic = group_in_channels(l), ih = l.in.h, iw = l.in.w, oh = l.out.h, ow = l.out.w;
  const int kh = l.kernel_h, kw = l.kernel_w, sh = l.stride_h, sw = l.stride_w;
  std::vector<int> lo(static_cast<std::size_t>(kw)), hi(static_cast<std::size_t>(kw));
  for (int kx = 0; kx < kw; ++kx) valid_range(ow, iw, sw, l.pad_w, kx, lo[std::size_t(kx)], hi[std::size_t(kx)]);
  for (int o = 0; o < l.out.c; ++o) {
    A* plane = acc + std::size_t(o) * std::size_t(oh) * std::size_t(ow);
    const int c0 = first_in_channel(l, o);
    for (int c = 0; c < ic; ++c) {
      const T* inplane = in + std::size_t(c0 + c) * std::size_t(ih) * std::size_t(iw);
      for (int ky = 0; ky < kh; ++ky) {
        for (int kx = 0; kx < kw; ++kx) {
          const W wv = w[((std::size_t(o) * std::size_t(ic) + std::size_t(c)) * std::size_t(kh) + std::size_t(ky)) * std::size_t(kw) + std::size_t(kx)];
          if (wv == W(0)) continue;
          const int x0 = lo[std::size_t(kx)], x1 = hi[std::size_t(kx)];
          if (x0 > x1) continue;
          for (int oy = 0; oy < oh; ++oy) {
            const int iy = oy * sh - l.pad_h + ky;
            if (iy < 0 || iy >= ih) continue;
            A* arow = plane + std::size_t(oy) * std::size_t(ow) + std::size_t(x0);
            // first input column: x0 * sw - pad_w + kx (>= 0 by valid_range)
            const T* irow = inplane + std::size_t(iy) * std::size_t(iw) + std::size_t(x0 * sw - l.pad_w + kx);
            const int n = x1 - x0 + 1;
            if (sw == 1) {
              for (int j = 0; j < n; ++j) arow[j] += A(wv) * A(irow[j]);
            } else {
              for (int j = 0; j < n; ++j) arow[j] += A(wv) * A(irow[std::size_t(j) * std::size_t(sw)]);
            }
          }
        }
      }
    }
  }
}

// Stride-1 convolution on a zero-padded copy of the input, computed over
// "wide" output rows of the padded width Wp: each weight then updates one
// contiguous run of oh*Wp accumulators (columns ox >= ow are discarded), so
// the inner loop is long and vectorizes. acc holds the bias already.
template <typename T, typename A, typename In>
void conv_stride1(const Layer& l, const In* in, const T* w, A* acc, std::vector<T>& padded, std::vector<A>& wide) {
  const int ic = group_in_channels(l), ih = l.in.h, iw = l.in.w, oh = l.out.h, ow = l.out.w;
  const int kh = l.kernel_h, kw = l.kernel_w;
  const std::size_t hp = std::size_t(ih + 2 * l.pad_h), wp = std::size_t(iw + 2 * l.pad_w), plane = hp * wp;
  padded.assign(std::size_t(l.in.c) * plane + std::size_t(kw), T(0));
  for (int c = 0; c < l.in.c; ++c)
    for (int y = 0; y < ih; ++y) {
      const In* src = in + (std::size_t(c) * std::size_t(ih) + std::size_t(y)) * std::size_t(iw);
      T* dst = padded.data() + std::size_t(c) * plane + (std::size_t(y + l.pad_h)) * wp + std::size_t(l.pad_w);
      for (int x = 0; x < iw; ++x) dst[x] = T(src[x]);
    }
  const std::size_t n = std::size_t(oh) * wp;
  wide.resize(n);
  for (int o = 0; o < l.out.c; ++o) {
    std::fill(wide.begin(), wide.end(), A(0));
    A* wd = wide.data();
    const int c0 = first_in_channel(l, o);
    for (int c = 0; c < ic; ++c)
      for (int ky = 0; ky < kh; ++ky)
        for (int kx = 0; kx < kw; ++kx) {
          const T wv = w[((std::size_t(o) * std::size_t(ic) + std::size_t(c)) * std::size_t(kh) + std::size_t(ky)) * std::size_t(kw) + std::size_t(kx)];
          if (wv == T(0)) continue;
          const T* src = padded.data() + std::size_t(c0 + c) * plane + std::size_t(ky) * wp + std::size_t(kx);
          for (std::size_t j = 0; j < n; ++j) wd[j] += A(wv) * A(src[j]);
        }
    A* plane_out = acc + std::size_t(o) * std::size_t(oh) * std::size_t(ow);
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) plane_out[std::size_t(oy) * std::size_t(ow) + std::size_t(ox)] += wd[std::size_t(oy) * wp + std::size_t(ox)];
  }
}

template <typename T, typename A>
A dot(const T* w, const T* x, std::size_t n) {
  A s = 0;
  for (std::size_t i = 0; i < n; ++i) s += A(w[i]) * A(x[i]);
  return s;
}

// Max over the window's positions inside the plane (padding is ignored).
template <typename T>
void max_pool(const Layer& l, const T* in, T* out) {
  const int ih = l.in.h, iw = l.in.w, oh = l.out.h, ow = l.out.w;
  for (int c = 0; c < l.in.c; ++c) {
    const T* p = in + std::size_t(c) * std::size_t(ih) * std::size_t(iw);
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        T m = std::numeric_limits<T>::lowest();
        const int y0 = std::max(0, oy * l.stride_h - l.pad_h), y1 = std::min(ih, oy * l.stride_h - l.pad_h + l.kernel_h);
        const int x0 = std::max(0, ox * l.stride_w - l.pad_w), x1 = std::min(iw, ox * l.stride_w - l.pad_w + l.kernel_w);
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) m = std::max(m, p[std::size_t(y) * std::size_t(iw) + std::size_t(x)]);
        *out++ = m;
      }
  }
}

// Sum over the window (padding counts as zeros); GlobalAvgPool is the whole plane.
template <typename T, typename A, typename F>
void sum_pool(const Layer& l, const T* in, F finish) {
  const int ih = l.in.h, iw = l.in.w, oh = l.out.h, ow = l.out.w;
  std::size_t i = 0;
  for (int c = 0; c < l.in.c; ++c) {
    const T* p = in + std::size_t(c) * std::size_t(ih) * std::size_t(iw);
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        A s = 0;
        const int y0 = std::max(0, oy * l.stride_h - l.pad_h), y1 = std::min(ih, oy * l.stride_h - l.pad_h + l.kernel_h);
        const int x0 = std::max(0, ox * l.stride_w - l.pad_w), x1 = std::min(iw, ox * l.stride_w - l.pad_w + l.kernel_w);
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) s += A(p[std::size_t(y) * std::size_t(iw) + std::size_t(x)]);
        finish(i++, s);
      }
  }
}

}  // namespace

// ------------------------------------------------------------------ golden --

GoldenModel::GoldenModel(const QuantizedNetwork& qnet) : q_(qnet) {
  t_.resize(q_.net.tensors.size());
  for (std::size_t i = 0; i < t_.size(); ++i) t_[i].assign(q_.net.tensors[i].shape.size(), 0);
  // 16-bit operands (products still summed in 32 bits) when every tensor fits:
  // the same results, and the inner loops vectorize better.
  narrow_ = true;
  for (const ActFormat& f : q_.formats) narrow_ = narrow_ && f.qmin() >= INT16_MIN && f.qmax() <= INT16_MAX;
  // one widened copy of the weights: the one run() uses
  if (narrow_) w16_.resize(q_.net.layers.size());
  else w_.resize(q_.net.layers.size());
  std::size_t acc = 0, in = 0;
  for (std::size_t i = 0; i < q_.net.layers.size(); ++i) {
    if (narrow_) w16_[i].assign(q_.layers[i].weight.begin(), q_.layers[i].weight.end());
    else w_[i].assign(q_.layers[i].weight.begin(), q_.layers[i].weight.end());
    acc = std::max(acc, q_.net.layers[i].out.size());
    in = std::max(in, q_.net.layers[i].in.size());
  }
  acc_.resize(acc);
  in16_.resize(in);
}

const std::vector<std::int32_t>& GoldenModel::run(const std::uint8_t* image) {
  auto& x = t_[std::size_t(q_.net.input)];
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = q_.input_lut[image[i]];
  for (std::size_t li = 0; li < q_.net.layers.size(); ++li) {
    const Layer& l = q_.net.layers[li];
    const QuantLayer& ql = q_.layers[li];
    const std::vector<std::int32_t>& in = t_[std::size_t(l.inputs[0])];
    std::vector<std::int32_t>& out = t_[std::size_t(l.output)];
    const std::int32_t lo = ql.out_min, hi = ql.out_max;
    if (l.has_weights() && l.attrs.golden) {  // a technique's own arithmetic (layer_attrs.hpp)
      l.attrs.golden(GoldenLayerCall{l, ql, in, out});
      continue;
    }
    switch (l.kind) {
      case LayerKind::Conv: {
        const std::size_t plane = std::size_t(l.out.h) * std::size_t(l.out.w);
        for (int o = 0; o < l.out.c; ++o)
          std::fill_n(acc_.begin() + std::ptrdiff_t(std::size_t(o) * plane), plane, ql.bias[std::size_t(o)]);
        if (l.stride_h == 1 && l.stride_w == 1) {
          if (narrow_)
            conv_stride1(l, in.data(), w16_[li].data(), acc_.data(), pad16_, wide_);
          else
            conv_stride1(l, in.data(), w_[li].data(), acc_.data(), pad32_, wide_);
        } else {
          if (narrow_)
            conv_accumulate(l, in.data(), w16_[li].data(), acc_.data());
          else
            conv_accumulate(l, in.data(), w_[li].data(), acc_.data());
        }
        for (int o = 0; o < l.out.c; ++o) {
          const Requant r = ql.requant[std::size_t(o)];
          for (std::size_t i = std::size_t(o) * plane; i < std::size_t(o + 1) * plane; ++i)
            out[i] = requantize(acc_[i], r, lo, hi);
        }
        break;
      }
      case LayerKind::FullyConnected: {
        const std::size_t k = in.size();
        if (narrow_) std::copy(in.begin(), in.end(), in16_.begin());
        for (int o = 0; o < l.out.c; ++o) {
          const std::int32_t d = narrow_ ? dot<std::int16_t, std::int32_t>(w16_[li].data() + std::size_t(o) * k, in16_.data(), k)
                                         : dot<std::int32_t, std::int32_t>(w_[li].data() + std::size_t(o) * k, in.data(), k);
          out[std::size_t(o)] = requantize(std::int64_t(ql.bias[std::size_t(o)]) + d, ql.requant[std::size_t(o)], lo, hi);
        }
        break;
      }
      case LayerKind::MaxPool:
        max_pool(l, in.data(), out.data());
        for (auto& v : out) v = clamp32(v, lo, hi);
        break;
      case LayerKind::AvgPool:
      case LayerKind::GlobalAvgPool: {
        const Requant r = ql.requant.at(0);
        sum_pool<std::int32_t, std::int32_t>(l, in.data(),
                                             [&](std::size_t i, std::int32_t s) { out[i] = requantize(s, r, lo, hi); });
        break;
      }
      case LayerKind::Add: {
        const std::vector<std::int32_t>& b = t_[std::size_t(l.inputs[1])];
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = requantize_add(in[i], b[i], ql.add_mult[0], ql.add_mult[1], ql.add_shift, lo, hi);
        break;
      }
      case LayerKind::Concat: {
        std::size_t off = 0;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) {
          const std::vector<std::int32_t>& x = t_[std::size_t(l.inputs[k])];
          const Requant r = ql.requant.at(k);
          for (std::size_t i = 0; i < x.size(); ++i) out[off + i] = requantize(x[i], r, lo, hi);
          off += x.size();
        }
        break;
      }
    }
  }
  return t_[std::size_t(q_.net.output)];
}

// ------------------------------------------------------------------- float --

FloatModel::FloatModel(const FloatNetwork& net) : net_(net) {
  t_.resize(net_.tensors.size());
  for (std::size_t i = 0; i < t_.size(); ++i) t_[i].assign(net_.tensors[i].shape.size(), 0.0f);
}

const std::vector<float>& FloatModel::run(const std::uint8_t* image) {
  auto& x = t_[std::size_t(net_.input)];
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = net_.norm.apply(image[i]);
  for (const Layer& l : net_.layers) {
    const std::vector<float>& in = t_[std::size_t(l.inputs[0])];
    std::vector<float>& out = t_[std::size_t(l.output)];
    switch (l.kind) {
      case LayerKind::Conv: {
        const std::size_t plane = std::size_t(l.out.h) * std::size_t(l.out.w);
        for (int o = 0; o < l.out.c; ++o)
          std::fill_n(out.begin() + std::ptrdiff_t(std::size_t(o) * plane), plane, l.bias[std::size_t(o)]);
        if (l.stride_h == 1 && l.stride_w == 1)
          conv_stride1(l, in.data(), l.weight.data(), out.data(), padded_, wide_);
        else
          conv_accumulate(l, in.data(), l.weight.data(), out.data());
        break;
      }
      case LayerKind::FullyConnected: {
        const std::size_t k = in.size();
        for (int o = 0; o < l.out.c; ++o)
          out[std::size_t(o)] = l.bias[std::size_t(o)] + dot<float, float>(l.weight.data() + std::size_t(o) * k, in.data(), k);
        break;
      }
      case LayerKind::MaxPool:
        max_pool(l, in.data(), out.data());
        break;
      case LayerKind::AvgPool:
      case LayerKind::GlobalAvgPool: {
        const float inv = 1.0f / float(l.kernel_h * l.kernel_w);
        sum_pool<float, float>(l, in.data(), [&](std::size_t i, float s) { out[i] = s * inv; });
        break;
      }
      case LayerKind::Add: {
        const std::vector<float>& b = t_[std::size_t(l.inputs[1])];
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i] + b[i];
        break;
      }
      case LayerKind::Concat: {
        auto dst = out.begin();
        for (int t : l.inputs) dst = std::copy(t_[std::size_t(t)].begin(), t_[std::size_t(t)].end(), dst);
        break;
      }
    }
    if (l.relu) {
      if (l.has_clip()) {
        const float c = l.clip_max;
        for (auto& v : out) v = std::min(std::max(v, 0.0f), c);
      } else {
        for (auto& v : out) v = std::max(v, 0.0f);
      }
    }
  }
  return t_[std::size_t(net_.output)];
}

void layer_accumulate(const Layer& l, const std::int32_t* w, const std::int32_t* in, std::int64_t* acc) {
  if (l.kind == LayerKind::FullyConnected) {
    const std::size_t k = l.in.size();
    for (int o = 0; o < l.out.c; ++o) {
      const std::int32_t* wr = w + std::size_t(o) * k;
      std::int64_t s = 0;
      for (std::size_t i = 0; i < k; ++i) s += std::int64_t(wr[i]) * in[i];
      acc[o] = s;
    }
    return;
  }
  std::fill(acc, acc + l.out.size(), std::int64_t(0));
  conv_accumulate(l, in, w, acc);
}

void requantize_outputs(const GoldenLayerCall& c, const std::int64_t* acc) {
  const Layer& l = c.layer;
  const QuantLayer& q = c.quant;
  const std::size_t plane = std::size_t(l.out.h) * std::size_t(l.out.w), n = l.out.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t o = i / plane;
    const Requant r = q.requant[o];
    c.output[i] = imcvp_requantize(acc[i], q.bias[o], r.multiplier, r.shift, q.out_min, q.out_max);
  }
}

}  // namespace imcvp::compiler
