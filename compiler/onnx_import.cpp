#include "compiler/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace imcvp::compiler {

const char* supported_onnx_operators() {
  return "Conv, Gemm, MatMul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Add, Concat, "
         "BatchNormalization, Flatten, Reshape, Constant, Identity, Dropout, Shape, Gather, "
         "Unsqueeze, Squeeze, Cast, Pad, Mul (by a constant scalar, after Conv/Gemm/MatMul), "
         "a final Softmax/LogSoftmax";
}

namespace {

using Dims = std::vector<std::int64_t>;

std::string dims_str(const Dims& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

// The largest extent the importer takes for a dimension, kernel, stride or
// pad (and a padded input): window arithmetic in int stays far from overflow.
constexpr std::int64_t kMaxExtent = std::int64_t(1) << 24;

std::int64_t product(const Dims& d) {
  return std::accumulate(d.begin(), d.end(), std::int64_t(1), std::multiplies<std::int64_t>());
}

// A value of the ONNX graph: an activation tensor of the network (batch 1),
// or a constant (an initializer or folded shape arithmetic).
struct Value {
  bool is_const = false;
  // activation
  int tensor = -1;
  // both: ONNX dims (activations with batch 1)
  Dims dims;
  // activation: zero padding of a Pad node, not applied yet: the next Conv or
  // AveragePool takes it into its own pads
  int pad_h = 0, pad_w = 0;
  // constant: float32 tensors (the weights) stay float32: is_f32, n_f32
  // values at f32_raw (little-endian bytes in the model's raw_data, which
  // outlives the import: no copy) or in f32 (float_data). Every other
  // constant (integers, doubles, attribute values, folded shape arithmetic)
  // is in data. count(), at() and floats() read any of them.
  bool is_int = false;
  std::vector<double> data;
  bool is_f32 = false;
  std::size_t n_f32 = 0;
  const char* f32_raw = nullptr;
  std::vector<float> f32;
  std::size_t count() const { return is_f32 ? n_f32 : data.size(); }
  double at(std::size_t i) const {
    if (!is_f32) return data[i];
    if (!f32_raw) return double(f32[i]);
    float f;
    std::memcpy(&f, f32_raw + 4 * i, 4);
    return double(f);
  }
  // all values as floats
  void floats(std::vector<float>& dst) const {
    dst.resize(count());
    if (f32_raw) {
      if (n_f32) std::memcpy(dst.data(), f32_raw, 4 * n_f32);
    } else if (is_f32) {
      std::copy(f32.begin(), f32.end(), dst.begin());
    } else {
      std::transform(data.begin(), data.end(), dst.begin(), [](double x) { return float(x); });
    }
  }
  // the values as doubles in data (for the small constants of shape arithmetic)
  void to_doubles() {
    if (!is_f32) return;
    data.resize(n_f32);
    for (std::size_t i = 0; i < n_f32; ++i) data[i] = at(i);
    is_f32 = false;
    n_f32 = 0;
    f32_raw = nullptr;
    f32 = {};
  }
};

class Importer {
 public:
  explicit Importer(std::string source) : src_(std::move(source)) { net_.source = src_; }

  FloatNetwork run(const onnx::ModelProto& model);

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw CompileError(src_ + ": " + msg); }
  [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& msg) const {
    fail("node '" + label(node) + "' (" + node.op_type() + "): " + msg);
  }
  std::string label(const onnx::NodeProto& node) const {
    if (!node.name().empty()) return node.name();
    return "#" + std::to_string(node_index_) +
           (node.output_size() ? " -> " + node.output(0) : std::string());
  }

  // attributes
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::int64_t attr_int(const onnx::NodeProto& n, const char* name, std::int64_t def) const {
    const auto* a = attr(n, name);
    return a ? a->i() : def;
  }
  float attr_float(const onnx::NodeProto& n, const char* name, float def) const {
    const auto* a = attr(n, name);
    return a ? a->f() : def;
  }
  Dims attr_ints(const onnx::NodeProto& n, const char* name) const {
    const auto* a = attr(n, name);
    return a ? Dims(a->ints().begin(), a->ints().end()) : Dims{};
  }
  std::string attr_string(const onnx::NodeProto& n, const char* name) const {
    const auto* a = attr(n, name);
    return a ? a->s() : std::string();
  }

  Value tensor_value(const onnx::TensorProto& t, const std::string& what) const;
  const Value& input(const onnx::NodeProto& n, int i) const;
  const Value& act_input(const onnx::NodeProto& n, int i) const;
  const Value& const_input(const onnx::NodeProto& n, int i) const;
  bool has_input(const onnx::NodeProto& n, int i) const { return n.input_size() > i && !n.input(i).empty(); }
  void check_single_output(const onnx::NodeProto& n) const;
  // Input i (a constant the node takes as `what`: weight, bias, ...) holds
  // only finite numbers; and the same of the floats taken from it.
  void check_finite(const onnx::NodeProto& n, int i, const std::string& what) const;
  void check_finite(const onnx::NodeProto& n, int i, const std::string& what, const std::vector<float>& v) const;
  // Weight input i has no zero dimension (a layer with no outputs or inputs).
  void check_weight_dims(const onnx::NodeProto& n, int i) const;
  // Kernel, stride or pad attribute values: 0 (pads) or 1 up to kMaxExtent.
  void check_extent(const onnx::NodeProto& n, const char* attr_name, const Dims& v, std::int64_t min) const;
  void set_output(const onnx::NodeProto& n, Value v) { values_[n.output(0)] = std::move(v); }
  void alias_output(const onnx::NodeProto& n, const Value& v, Dims dims) {
    Value out = v;
    out.dims = std::move(dims);
    set_output(n, out);
  }

  int new_tensor(const std::string& name, const Shape& shape, int producer) {
    net_.tensors.push_back(TensorInfo{name, shape, producer});
    return int(net_.tensors.size()) - 1;
  }
  Value add_layer(const onnx::NodeProto& n, Layer layer, Dims out_dims) {
    if (layer.out.c < 1 || layer.out.h < 1 || layer.out.w < 1)
      fail(n, "its output " + layer.out.str() + " is empty (a layer needs at least one output)");
    layer.name = n.name().empty() ? label(n) : n.name();
    layer.output = new_tensor(n.output(0), layer.out, int(net_.layers.size()));
    Value v;
    v.tensor = layer.output;
    v.dims = std::move(out_dims);
    net_.layers.push_back(std::move(layer));
    return v;
  }
  // The layer producing tensor `id` if the tensor is read only by the node
  // at hand (so the node's operation can be folded into that layer).
  Layer* sole_producer(int id) {
    int p = net_.tensors[std::size_t(id)].producer;
    if (p < 0 || uses_[std::size_t(id)] != 1) return nullptr;
    return &net_.layers[std::size_t(p)];
  }
  Shape shape_of(const onnx::NodeProto& n, const Value& v) const;

  // operators
  void conv(const onnx::NodeProto& n);
  void gemm(const onnx::NodeProto& n);
  void matmul(const onnx::NodeProto& n);
  void relu(const onnx::NodeProto& n, float clip_max = std::numeric_limits<float>::infinity());
  void clip(const onnx::NodeProto& n);
  void pool(const onnx::NodeProto& n, LayerKind kind);
  void global_avg_pool(const onnx::NodeProto& n);
  void add(const onnx::NodeProto& n);
  void mul(const onnx::NodeProto& n);
  void batch_norm(const onnx::NodeProto& n);
  void flatten(const onnx::NodeProto& n);
  void reshape(const onnx::NodeProto& n);
  void constant(const onnx::NodeProto& n);
  void shape_op(const onnx::NodeProto& n);
  void gather(const onnx::NodeProto& n);
  void unsqueeze(const onnx::NodeProto& n, bool squeeze);
  void concat(const onnx::NodeProto& n);
  void concat_activations(const onnx::NodeProto& n);
  void pad(const onnx::NodeProto& n);
  void window(const onnx::NodeProto& n, Layer& l, const Shape& in, bool has_kernel_attr, const Value& x);

  void count_uses(const onnx::GraphProto& g);
  int root_uses(const std::string& name) const {
    std::string r = name;
    for (auto it = alias_root_.find(r); it != alias_root_.end(); it = alias_root_.find(r)) r = it->second;
    auto it = name_uses_.find(r);
    return it == name_uses_.end() ? 0 : it->second;
  }
  // The node's output is tensor x.tensor itself (an operation folded into its
  // producer): the tensor's readers are now the readers of that output.
  void rebind(const onnx::NodeProto& n, const Value& x) {
    set_output(n, x);
    uses_[std::size_t(x.tensor)] += root_uses(n.output(0)) - 1;  // the node's read becomes its output's readers
  }

  std::string src_;
  FloatNetwork net_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> alias_root_;  // value name -> name it is a view of
  std::map<std::string, int> name_uses_;           // reads of a root name's data
  std::vector<int> uses_;                          // per tensor id
  int node_index_ = 0;
};

Value Importer::tensor_value(const onnx::TensorProto& t, const std::string& what) const {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail(what + " '" + t.name() + "' keeps its data in an external file, which is not supported "
         "(export with the weights inside the model)");
  Value v;
  v.is_const = true;
  v.dims.assign(t.dims().begin(), t.dims().end());
  std::int64_t count = 1;  // checked: dims come from the file
  for (std::int64_t d : v.dims) {
    if (d < 0) fail(what + " '" + t.name() + "' has a negative dimension in " + dims_str(v.dims));
    if (d > 0 && count > (std::numeric_limits<std::int32_t>::max()) / d)
      fail(what + " '" + t.name() + "' has dims " + dims_str(v.dims) + ", which are too large");
    count *= d;
  }
  const std::size_t n = std::size_t(count);
  const std::string& raw = t.raw_data();
  auto check_raw = [&](std::size_t elem) {
    if (raw.size() != n * elem)
      fail(what + " '" + t.name() + "' has " + std::to_string(raw.size()) + " bytes of data, expected " +
           std::to_string(n * elem));
  };
  auto take_raw = [&](std::size_t elem, auto convert) {
    check_raw(elem);
    v.data.resize(n);
    for (std::size_t i = 0; i < n; ++i) v.data[i] = convert(raw.data() + i * elem);
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      static_assert(sizeof(float) == 4, "float32");  // and little-endian like ONNX, as every supported host
      v.is_f32 = true;
      if (!raw.empty()) {
        check_raw(4);
        v.f32_raw = raw.data();
        v.n_f32 = n;
      } else {
        v.f32.assign(t.float_data().begin(), t.float_data().end());
        v.n_f32 = v.f32.size();
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty())
        take_raw(8, [](const char* p) { double f; std::memcpy(&f, p, 8); return f; });
      else
        v.data.assign(t.double_data().begin(), t.double_data().end());
      break;
    case onnx::TensorProto::INT64:
      v.is_int = true;
      if (!raw.empty())
        take_raw(8, [](const char* p) { std::int64_t x; std::memcpy(&x, p, 8); return double(x); });
      else
        v.data.assign(t.int64_data().begin(), t.int64_data().end());
      break;
    case onnx::TensorProto::INT32:
      v.is_int = true;
      if (!raw.empty())
        take_raw(4, [](const char* p) { std::int32_t x; std::memcpy(&x, p, 4); return double(x); });
      else
        v.data.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    default:
      fail(what + " '" + t.name() + "' has ONNX data type " + std::to_string(t.data_type()) +
           ", not supported (float, double, int32 and int64 are)");
  }
  if (v.count() != n)
    fail(what + " '" + t.name() + "' has " + std::to_string(v.count()) + " values for dims " +
         dims_str(v.dims));
  return v;
}

const Value& Importer::input(const onnx::NodeProto& n, int i) const {
  if (!has_input(n, i)) fail(n, "input " + std::to_string(i) + " is missing");
  auto it = values_.find(n.input(i));
  if (it == values_.end()) fail(n, "input '" + n.input(i) + "' is not produced by any earlier node");
  return it->second;
}

const Value& Importer::act_input(const onnx::NodeProto& n, int i) const {
  const Value& v = input(n, i);
  if (v.is_const)
    fail(n, "input '" + n.input(i) + "' is a constant; an activation computed from the network input is expected");
  if ((v.pad_h || v.pad_w) && n.op_type() != "Conv" && n.op_type() != "AveragePool")
    fail(n, "input '" + n.input(i) + "' comes from a Pad node; padding is only supported right before Conv or AveragePool");
  return v;
}

const Value& Importer::const_input(const onnx::NodeProto& n, int i) const {
  const Value& v = input(n, i);
  if (!v.is_const)
    fail(n, "input '" + n.input(i) + "' must be a constant (an initializer), but it is computed at run time");
  return v;
}

void Importer::check_single_output(const onnx::NodeProto& n) const {
  for (int i = 1; i < n.output_size(); ++i)
    if (!n.output(i).empty() && name_uses_.count(n.output(i)))
      fail(n, "its output " + std::to_string(i) + " ('" + n.output(i) + "') is used, which is not supported");
}

std::string non_finite_at(double x, std::size_t i) {
  return std::string(std::isnan(x) ? "NaN" : x > 0 ? "+inf" : "-inf") + " at index " + std::to_string(i);
}

void Importer::check_finite(const onnx::NodeProto& n, int i, const std::string& what) const {
  const Value& v = input(n, i);
  for (std::size_t k = 0; k < v.count(); ++k)
    if (!std::isfinite(v.at(k)))
      fail(n, what + " '" + n.input(i) + "' has " + non_finite_at(v.at(k), k) + " (only finite numbers are supported)");
}

void Importer::check_finite(const onnx::NodeProto& n, int i, const std::string& what,
                            const std::vector<float>& v) const {
  const auto bad = std::find_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
  if (bad != v.end())
    fail(n, what + " '" + n.input(i) + "' has " + non_finite_at(double(*bad), std::size_t(bad - v.begin())) +
            " (only finite numbers are supported)");
}

void Importer::check_weight_dims(const onnx::NodeProto& n, int i) const {
  const Value& w = input(n, i);
  if (std::any_of(w.dims.begin(), w.dims.end(), [](std::int64_t d) { return d < 1; }))
    fail(n, "weight '" + n.input(i) + "' has dims " + dims_str(w.dims) +
            ": a zero dimension (a layer with no outputs or no inputs) is not supported");
}

void Importer::check_extent(const onnx::NodeProto& n, const char* attr_name, const Dims& v, std::int64_t min) const {
  for (std::int64_t x : v)
    if (x < min || x > kMaxExtent)
      fail(n, std::string(attr_name) + " " + dims_str(v) + " are out of range (" + std::to_string(min) + ".." +
              std::to_string(kMaxExtent) + ")");
}

Shape Importer::shape_of(const onnx::NodeProto& n, const Value& v) const {
  return net_.tensors[std::size_t(v.tensor)].shape;
}

// Number of reads of each value's data, following views (Identity, Flatten,
// Reshape, Dropout) to the value they view. Shape only reads the shape.
void Importer::count_uses(const onnx::GraphProto& g) {
  auto root = [&](const std::string& name) {
    std::string r = name;
    for (auto it = alias_root_.find(r); it != alias_root_.end(); it = alias_root_.find(r)) r = it->second;
    return r;
  };
  for (const auto& n : g.node()) {
    const std::string& op = n.op_type();
    if ((op == "Identity" || op == "Flatten" || op == "Reshape" || op == "Dropout" || op == "Pad") && n.input_size() > 0 &&
        n.output_size() > 0) {
      // A view of itself (directly or through later views) is a cycle: the
      // graph is not a DAG, and following the views would never end.
      const std::string r = root(n.input(0));
      if (r == n.output(0))
        throw CompileError(src_ + ": node '" + n.name() + "' (" + op + "): output '" + n.output(0) +
                           "' is its own input through views (the graph has a cycle)");
      alias_root_[n.output(0)] = r;
    }
  }
  for (const auto& n : g.node()) {
    const std::string& op = n.op_type();
    if (op == "Shape") continue;
    const bool view = op == "Identity" || op == "Flatten" || op == "Reshape" || op == "Dropout" || op == "Pad";
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) continue;
      if (view && i == 0) continue;  // a view is not a read; its readers are
      ++name_uses_[root(n.input(i))];
    }
  }
  for (const auto& o : g.output()) ++name_uses_[root(o.name())];
  // keep the raw names too (for check_single_output)
  for (const auto& n : g.node())
    for (int i = 0; i < n.input_size(); ++i)
      if (!n.input(i).empty()) name_uses_.emplace(n.input(i), 0);
  for (const auto& o : g.output()) name_uses_.emplace(o.name(), 0);
}

FloatNetwork Importer::run(const onnx::ModelProto& model) {
  if (!model.has_graph() || model.ir_version() <= 0 || model.graph().node_size() == 0)
    fail("not an ONNX model (no graph found)");
  const onnx::GraphProto& g = model.graph();

  for (const auto& p : model.metadata_props()) {
    net_.metadata[p.key()] = p.value();
    auto number = [&](const std::string& key) {
      try {
        std::size_t end = 0;
        float f = std::stof(p.value(), &end);
        if (end != p.value().size()) throw std::invalid_argument("trailing");
        if (!std::isfinite(f)) throw std::invalid_argument("not finite");
        return f;
      } catch (const std::exception&) {
        fail("metadata '" + key + "' = '" + p.value() + "' is not a finite number");
      }
    };
    if (p.key() == "imcvp.input_mean") net_.norm.mean = number(p.key());
    if (p.key() == "imcvp.input_std") net_.norm.std = number(p.key());
  }
  if (!(net_.norm.std > 0.0f)) fail("metadata 'imcvp.input_std' must be > 0");

  for (const auto& t : g.initializer()) values_[t.name()] = tensor_value(t, "initializer");

  // the network input: the one graph input that is not an initializer
  const onnx::ValueInfoProto* in = nullptr;
  for (const auto& vi : g.input()) {
    if (values_.count(vi.name())) continue;
    if (in) fail("the graph has more than one input ('" + in->name() + "', '" + vi.name() + "'); one is supported");
    in = &vi;
  }
  if (!in) fail("the graph has no input");
  if (!in->type().has_tensor_type() || !in->type().tensor_type().has_shape())
    fail("input '" + in->name() + "' has no tensor shape");
  Dims dims;
  const auto& shp = in->type().tensor_type().shape();
  for (int i = 0; i < shp.dim_size(); ++i) {
    const auto& d = shp.dim(i);
    if (i == 0) {
      if (d.has_dim_value() && d.dim_value() != 1)
        fail("input '" + in->name() + "' has batch size " + std::to_string(d.dim_value()) + "; 1 (or symbolic) is expected");
      dims.push_back(1);
      continue;
    }
    if (!d.has_dim_value() || d.dim_value() <= 0)
      fail("input '" + in->name() + "' dimension " + std::to_string(i) + " is not a fixed positive size");
    if (d.dim_value() > kMaxExtent)
      fail("input '" + in->name() + "' dimension " + std::to_string(i) + " (" + std::to_string(d.dim_value()) +
           ") is too large (at most " + std::to_string(kMaxExtent) + ")");
    dims.push_back(d.dim_value());
    if (product(dims) > kMaxExtent)  // each factor <= kMaxExtent: no overflow
      fail("input '" + in->name() + "' has more than " + std::to_string(kMaxExtent) + " values, which is not supported");
  }
  Shape ishape;
  if (dims.size() == 4) ishape = Shape{int(dims[1]), int(dims[2]), int(dims[3])};
  else if (dims.size() == 3) ishape = Shape{1, int(dims[1]), int(dims[2])};
  else if (dims.size() == 2) ishape = Shape{int(dims[1]), 1, 1};
  else fail("input '" + in->name() + "' has rank " + std::to_string(dims.size()) + "; [N,C,H,W], [N,H,W] or [N,K] is expected");
  net_.input = new_tensor(in->name(), ishape, -1);
  Value iv;
  iv.tensor = net_.input;
  iv.dims = dims;
  values_[in->name()] = iv;

  count_uses(g);
  uses_.assign(1, root_uses(in->name()));

  for (node_index_ = 0; node_index_ < g.node_size(); ++node_index_) {
    const onnx::NodeProto& n = g.node(node_index_);
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(n, "operator domain '" + n.domain() + "' is not supported (only the default ONNX domain is)");
    if (n.output_size() == 0) fail(n, "the node has no output");
    const std::string& op = n.op_type();
    const std::size_t before = net_.tensors.size();
    if (op == "Conv") conv(n);
    else if (op == "Gemm") gemm(n);
    else if (op == "MatMul") matmul(n);
    else if (op == "Relu") relu(n);
    else if (op == "Clip") clip(n);
    else if (op == "MaxPool") pool(n, LayerKind::MaxPool);
    else if (op == "AveragePool") pool(n, LayerKind::AvgPool);
    else if (op == "GlobalAveragePool") global_avg_pool(n);
    else if (op == "Add") add(n);
    else if (op == "Mul") mul(n);
    else if (op == "BatchNormalization") batch_norm(n);
    else if (op == "Flatten") flatten(n);
    else if (op == "Reshape") reshape(n);
    else if (op == "Constant") constant(n);
    else if (op == "Identity" || op == "Dropout") {
      check_single_output(n);
      set_output(n, input(n, 0));
    } else if (op == "Shape") shape_op(n);
    else if (op == "Gather") gather(n);
    else if (op == "Unsqueeze") unsqueeze(n, false);
    else if (op == "Squeeze") unsqueeze(n, true);
    else if (op == "Concat") concat(n);
    else if (op == "Pad") pad(n);
    else if ((op == "Softmax" || op == "LogSoftmax") && g.output_size() == 1 && n.output(0) == g.output(0).name()) {
      // a final (log-)softmax keeps the order of the logits: the network ends before it
      const Value& x = act_input(n, 0);
      if (x.dims.size() != 2) fail(n, "only a final softmax over [N, classes] is supported");
      set_output(n, x);
    }
    else if (op == "Cast") {
      Value v = const_input(n, 0);
      v.to_doubles();
      const auto to = attr_int(n, "to", onnx::TensorProto::FLOAT);
      v.is_int = to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE;
      if (v.is_int)
        for (double& x : v.data) x = std::trunc(x);
      set_output(n, v);
    } else
      fail("node '" + label(n) + "': operator '" + op + "' is not supported (supported: " +
           supported_onnx_operators() + ")");
    for (std::size_t t = before; t < net_.tensors.size(); ++t)
      uses_.push_back(root_uses(net_.tensors[t].name));
  }

  if (g.output_size() != 1)
    fail("the graph has " + std::to_string(g.output_size()) + " outputs; one (the logits) is supported");
  auto it = values_.find(g.output(0).name());
  if (it == values_.end()) fail("graph output '" + g.output(0).name() + "' is not produced by any node");
  if (it->second.is_const) fail("graph output '" + g.output(0).name() + "' is a constant");
  net_.output = it->second.tensor;
  if (net_.output == net_.input) fail("the network has no layer");
  // Folding (BatchNormalization, a constant bias) can overflow a float.
  for (const Layer& l : net_.layers)
    for (const auto* v : {&l.weight, &l.bias}) {
      const auto bad = std::find_if(v->begin(), v->end(), [](float x) { return !std::isfinite(x); });
      if (bad != v->end())
        fail("layer '" + l.name + "': " + (v == &l.weight ? "weight " : "bias ") +
             non_finite_at(double(*bad), std::size_t(bad - v->begin())) +
             " after folding BatchNormalization and constant biases into it (only finite numbers are supported)");
    }
  return std::move(net_);
}

// Kernel/stride/pad attributes of Conv and the pools.
void Importer::window(const onnx::NodeProto& n, Layer& l, const Shape& in, bool has_kernel_attr, const Value& x) {
  const std::string auto_pad = attr_string(n, "auto_pad");
  if (!auto_pad.empty() && auto_pad != "NOTSET" && auto_pad != "VALID")
    fail(n, "auto_pad '" + auto_pad + "' is not supported (use explicit pads)");
  Dims k = attr_ints(n, "kernel_shape");
  if (!k.empty()) {
    if (k.size() != 2) fail(n, "kernel_shape " + dims_str(k) + " is not 2-D");
    check_extent(n, "kernel_shape", k, 1);
    if (has_kernel_attr && (k[0] != l.kernel_h || k[1] != l.kernel_w))
      fail(n, "kernel_shape " + dims_str(k) + " does not match the weight shape");
    l.kernel_h = int(k[0]);
    l.kernel_w = int(k[1]);
  } else if (!has_kernel_attr) {
    fail(n, "attribute kernel_shape is missing");
  }
  Dims d = attr_ints(n, "dilations");
  for (auto x : d)
    if (x != 1) fail(n, "dilations " + dims_str(d) + " are not supported (only 1)");
  Dims s = attr_ints(n, "strides");
  if (!s.empty()) {
    if (s.size() != 2 || s[0] < 1 || s[1] < 1) fail(n, "strides " + dims_str(s) + " are not valid 2-D strides");
    check_extent(n, "strides", s, 1);
    l.stride_h = int(s[0]);
    l.stride_w = int(s[1]);
  }
  Dims p = attr_ints(n, "pads");
  if (!p.empty()) {
    if (p.size() != 4) fail(n, "pads " + dims_str(p) + " are not 2-D pads");
    if (p[0] != p[2] || p[1] != p[3])
      fail(n, "asymmetric pads " + dims_str(p) + " are not supported (top must equal bottom, left right)");
    if (p[0] < 0 || p[1] < 0) fail(n, "negative pads " + dims_str(p));
    check_extent(n, "pads", p, 0);
    l.pad_h = int(p[0]);
    l.pad_w = int(p[1]);
  }
  if (auto_pad == "VALID") l.pad_h = l.pad_w = 0;
  l.pad_h += x.pad_h;  // a Pad node just before
  l.pad_w += x.pad_w;
  // in int64: the sizes are checked before they are used as ints
  const std::int64_t hp = std::int64_t(in.h) + 2 * std::int64_t(l.pad_h), wp = std::int64_t(in.w) + 2 * std::int64_t(l.pad_w);
  if (hp > kMaxExtent || wp > kMaxExtent)
    fail(n, "the padded input " + std::to_string(hp) + "x" + std::to_string(wp) + " is too large (pads " +
            std::to_string(l.pad_h) + ", " + std::to_string(l.pad_w) + "; at most " + std::to_string(kMaxExtent) + ")");
  if (l.kernel_h < 1 || l.kernel_w < 1)
    fail(n, "kernel " + std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) + " is empty");
  if (hp < l.kernel_h || wp < l.kernel_w)
    fail(n, "window " + std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) + " is larger than the padded input " +
         std::to_string(hp) + "x" + std::to_string(wp));
  if (attr_int(n, "ceil_mode", 0) != 0 &&
      ((hp - l.kernel_h) % l.stride_h != 0 || (wp - l.kernel_w) % l.stride_w != 0))
    fail(n, "ceil_mode=1 is not supported where it changes the output size (use ceil_mode=0)");
  l.in = in;
  l.out.h = int((hp - l.kernel_h) / l.stride_h + 1);
  l.out.w = int((wp - l.kernel_w) / l.stride_w + 1);
}

void Importer::conv(const onnx::NodeProto& n) {
  check_single_output(n);
  const Value& x = act_input(n, 0);
  const Value& w = const_input(n, 1);
  if (x.dims.size() != 4) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(x.dims) + "; [N,C,H,W] is expected");
  if (w.dims.size() != 4) fail(n, "weight dims " + dims_str(w.dims) + " are not [M,C,kH,kW] (only 2-D convolution is supported)");
  check_weight_dims(n, 1);
  const Shape in = shape_of(n, x);
  const std::int64_t group = attr_int(n, "group", 1);
  if (group < 1) fail(n, "group=" + std::to_string(group) + " is not valid");
  if (in.c % group != 0 || w.dims[0] % group != 0)
    fail(n, "group=" + std::to_string(group) + " does not divide the " + std::to_string(in.c) + " input and " +
            std::to_string(w.dims[0]) + " output channels");
  if (w.dims[1] * group != in.c)
    fail(n, "weight dims " + dims_str(w.dims) + " do not match " + std::to_string(in.c) + " input channels" +
            (group > 1 ? " in " + std::to_string(group) + " groups" : std::string()));
  Layer l;
  l.kind = LayerKind::Conv;
  l.groups = int(group);
  l.inputs = {x.tensor};
  l.kernel_h = int(w.dims[2]);
  l.kernel_w = int(w.dims[3]);
  window(n, l, in, true, x);
  l.out.c = int(w.dims[0]);
  w.floats(l.weight);
  check_finite(n, 1, "weight", l.weight);
  l.bias.assign(std::size_t(l.out.c), 0.0f);
  if (has_input(n, 2)) {
    const Value& b = const_input(n, 2);
    if (b.count() != std::size_t(l.out.c)) fail(n, "bias has " + std::to_string(b.count()) + " values, expected " + std::to_string(l.out.c));
    check_finite(n, 2, "bias");
    for (std::size_t o = 0; o < l.bias.size(); ++o) l.bias[o] = float(b.at(o));
  }
  Dims od{1, l.out.c, l.out.h, l.out.w};
  set_output(n, add_layer(n, std::move(l), od));
}

void Importer::gemm(const onnx::NodeProto& n) {
  check_single_output(n);
  const Value& a = act_input(n, 0);
  const Value& b = const_input(n, 1);
  if (attr_int(n, "transA", 0) != 0) fail(n, "transA=1 is not supported");
  const bool trans_b = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  if (a.dims.size() != 2) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(a.dims) + "; [N,K] is expected (Flatten first)");
  if (b.dims.size() != 2) fail(n, "weight dims " + dims_str(b.dims) + " are not 2-D");
  check_weight_dims(n, 1);
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    fail(n, "alpha " + std::to_string(alpha) + " and beta " + std::to_string(beta) + " must be finite numbers");
  const Shape in = shape_of(n, a);
  const std::int64_t k = trans_b ? b.dims[1] : b.dims[0];
  const std::int64_t m = trans_b ? b.dims[0] : b.dims[1];
  if (k != std::int64_t(in.size()))
    fail(n, "weight dims " + dims_str(b.dims) + (trans_b ? " (transB)" : "") + " do not match " +
         std::to_string(in.size()) + " inputs");
  Layer l;
  l.kind = LayerKind::FullyConnected;
  l.inputs = {a.tensor};
  l.in = in;
  l.out = Shape{int(m), 1, 1};
  if (trans_b && alpha == 1.0f) {
    b.floats(l.weight);
  } else {
    l.weight.resize(std::size_t(m * k));
    for (std::int64_t o = 0; o < m; ++o)
      for (std::int64_t i = 0; i < k; ++i)
        l.weight[std::size_t(o * k + i)] = float(alpha * (trans_b ? b.at(std::size_t(o * k + i)) : b.at(std::size_t(i * m + o))));
  }
  check_finite(n, 1, "weight", l.weight);
  l.bias.assign(std::size_t(m), 0.0f);
  if (has_input(n, 2)) {
    const Value& c = const_input(n, 2);
    check_finite(n, 2, "bias");
    if (c.count() == 1)
      l.bias.assign(std::size_t(m), float(beta * c.at(0)));
    else if (c.count() == std::size_t(m) && (c.dims.size() == 1 || (c.dims.size() == 2 && c.dims[0] == 1)))
      for (std::int64_t o = 0; o < m; ++o) l.bias[std::size_t(o)] = float(beta * c.at(std::size_t(o)));
    else
      fail(n, "bias dims " + dims_str(c.dims) + " do not broadcast to [1," + std::to_string(m) + "]");
  }
  set_output(n, add_layer(n, std::move(l), Dims{1, m}));
}

void Importer::matmul(const onnx::NodeProto& n) {
  const Value& a = act_input(n, 0);
  const Value& b = const_input(n, 1);
  if (a.dims.size() != 2) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(a.dims) + "; [N,K] is expected (Flatten first)");
  if (b.dims.size() != 2) fail(n, "weight dims " + dims_str(b.dims) + " are not 2-D");
  check_weight_dims(n, 1);
  const Shape in = shape_of(n, a);
  const std::int64_t k = b.dims[0], m = b.dims[1];
  if (k != std::int64_t(in.size()))
    fail(n, "weight dims " + dims_str(b.dims) + " do not match " + std::to_string(in.size()) + " inputs");
  Layer l;
  l.kind = LayerKind::FullyConnected;
  l.inputs = {a.tensor};
  l.in = in;
  l.out = Shape{int(m), 1, 1};
  l.weight.resize(std::size_t(m * k));
  for (std::int64_t o = 0; o < m; ++o)
    for (std::int64_t i = 0; i < k; ++i) l.weight[std::size_t(o * k + i)] = float(b.at(std::size_t(i * m + o)));
  check_finite(n, 1, "weight", l.weight);
  l.bias.assign(std::size_t(m), 0.0f);
  set_output(n, add_layer(n, std::move(l), Dims{1, m}));
}

// ReLU (clip_max infinite) or ReLU6-style Clip(0, clip_max): fused into the
// layer producing the input where possible, as min(max(x, 0), clip_max).
void Importer::relu(const onnx::NodeProto& n, float clip_max) {
  const Value& x = act_input(n, 0);
  const int t = x.tensor;
  const int pi = net_.tensors[std::size_t(t)].producer;
  auto fuse = [&](Layer* p) {
    p->relu = true;
    p->clip_max = std::min(p->clip_max, clip_max);  // clamps compose: the lower bound wins
    rebind(n, x);
  };
  // Relu(MaxPool(y)) == MaxPool(Relu(y)) (and so for any clamp, which is
  // monotonic): fuse into the layer producing y, so that y gets the unsigned
  // format (twice the resolution of a signed one).
  if (pi >= 0 && uses_[std::size_t(t)] == 1 && net_.layers[std::size_t(pi)].kind == LayerKind::MaxPool &&
      !net_.layers[std::size_t(pi)].relu) {
    if (Layer* p = sole_producer(net_.layers[std::size_t(pi)].inputs[0])) {
      fuse(p);
      return;
    }
  }
  if (Layer* p = sole_producer(t)) {
    fuse(p);
    return;
  }
  // Relu(Relu(y)) == Relu(y), Relu(Relu6(y)) == Relu6(y)
  if (pi >= 0 && net_.layers[std::size_t(pi)].relu && net_.layers[std::size_t(pi)].clip_max <= clip_max) {
    rebind(n, x);
    return;
  }
  // A ReLU that cannot be fused: a 1x1 max pool with ReLU (an identity + clamp).
  Layer l;
  l.kind = LayerKind::MaxPool;
  l.inputs = {t};
  l.in = l.out = shape_of(n, x);
  l.relu = true;
  l.clip_max = clip_max;
  set_output(n, add_layer(n, std::move(l), x.dims));
}

// Clip(x, 0, m): ReLU6 for m = 6 (opset 11+: min and max are inputs; opset 6:
// attributes). Only min = 0 is supported.
void Importer::clip(const onnx::NodeProto& n) {
  check_single_output(n);
  const float inf = std::numeric_limits<float>::infinity();
  double lo = attr(n, "min") ? double(attr_float(n, "min", 0.0f)) : -double(inf);
  double hi = attr(n, "max") ? double(attr_float(n, "max", 0.0f)) : double(inf);
  auto scalar = [&](int i) {
    const Value& v = const_input(n, i);
    if (v.count() != 1) fail(n, "input " + std::to_string(i) + " ('" + n.input(i) + "') must be a scalar");
    return v.at(0);
  };
  if (has_input(n, 1)) lo = scalar(1);
  if (has_input(n, 2)) hi = scalar(2);
  if (lo != 0.0)
    fail(n, "min " + (std::isinf(lo) ? std::string("-inf (none)") : std::to_string(lo)) +
            " is not supported (only min = 0: Clip as ReLU/ReLU6)");
  if (!(hi > 0.0)) fail(n, "max " + std::to_string(hi) + " is not supported (it must be > 0)");
  relu(n, std::isinf(hi) ? inf : float(hi));
}

void Importer::pool(const onnx::NodeProto& n, LayerKind kind) {
  check_single_output(n);
  const Value& x = act_input(n, 0);
  if (x.dims.size() != 4) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(x.dims) + "; [N,C,H,W] is expected");
  Layer l;
  l.kind = kind;
  l.inputs = {x.tensor};
  const Shape in = shape_of(n, x);
  window(n, l, in, false, x);
  l.out.c = in.c;
  if (kind == LayerKind::AvgPool && (l.pad_h - x.pad_h || l.pad_w - x.pad_w) && attr_int(n, "count_include_pad", 0) == 0)
    fail(n, "padding with count_include_pad=0 is not supported (the divisor must be the window size; "
            "use count_include_pad=1 or no padding)");
  if (kind == LayerKind::MaxPool && (l.pad_h >= l.kernel_h || l.pad_w >= l.kernel_w))
    fail(n, "pads must be smaller than the kernel");
  Dims od{1, l.out.c, l.out.h, l.out.w};
  set_output(n, add_layer(n, std::move(l), od));
}

void Importer::global_avg_pool(const onnx::NodeProto& n) {
  const Value& x = act_input(n, 0);
  if (x.dims.size() != 4) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(x.dims) + "; [N,C,H,W] is expected");
  Layer l;
  l.kind = LayerKind::GlobalAvgPool;
  l.inputs = {x.tensor};
  l.in = shape_of(n, x);
  l.kernel_h = l.in.h;
  l.kernel_w = l.in.w;
  l.stride_h = l.in.h;
  l.stride_w = l.in.w;
  l.out = Shape{l.in.c, 1, 1};
  set_output(n, add_layer(n, std::move(l), Dims{1, l.in.c, 1, 1}));
}

void Importer::add(const onnx::NodeProto& n) {
  const Value& a = input(n, 0);
  const Value& b = input(n, 1);
  if (!a.is_const && !b.is_const) {
    if (a.dims != b.dims)
      fail(n, "inputs have dims " + dims_str(a.dims) + " and " + dims_str(b.dims) + "; broadcasting is not supported");
    Layer l;
    l.kind = LayerKind::Add;
    l.inputs = {a.tensor, b.tensor};
    l.in = l.out = shape_of(n, a);
    Dims od = a.dims;
    set_output(n, add_layer(n, std::move(l), od));
    return;
  }
  if (a.is_const && b.is_const) fail(n, "adding two constants is not supported");
  // activation + constant: a bias, folded into the Conv/Gemm/MatMul before it
  const Value& x = a.is_const ? b : a;
  const Value& c = a.is_const ? a : b;
  check_finite(n, a.is_const ? 0 : 1, "bias");
  Layer* p = sole_producer(x.tensor);
  if (!p || !p->has_weights() || p->relu)
    fail(n, "adding a constant is only supported as the bias of the Conv/Gemm/MatMul just before it");
  const std::size_t ch = std::size_t(p->out.c);
  const bool per_channel = c.count() == ch &&
                           (x.dims.size() == 2 ? (c.dims.back() == std::int64_t(ch))
                                               : (c.dims.size() >= 3 && c.dims[c.dims.size() - 3] == std::int64_t(ch) &&
                                                  c.dims[c.dims.size() - 2] == 1 && c.dims.back() == 1));
  if (c.count() == 1)
    for (float& v : p->bias) v += float(c.at(0));
  else if (per_channel)
    for (std::size_t o = 0; o < ch; ++o) p->bias[o] += float(c.at(o));
  else
    fail(n, "constant dims " + dims_str(c.dims) + " are not a per-channel bias of " + std::to_string(ch) + " channels");
  rebind(n, x);
}

// Mul of an activation by a constant scalar (a one-element initializer or
// Constant): folded into the weights and bias of the Conv/Gemm/MatMul that
// produces the activation when nothing else reads it and it has no fused
// ReLU (the hybrid compensation branch's 2^-shift: compiler/hybrid.hpp).
void Importer::mul(const onnx::NodeProto& n) {
  check_single_output(n);
  const std::string how =
      "Mul is only supported as a constant scalar factor on the output of a Conv/Gemm/MatMul that nothing else "
      "reads (it is folded into that layer's weights and bias)";
  const Value& a = input(n, 0);
  const Value& b = input(n, 1);
  if (a.is_const && b.is_const) fail(n, "multiplying two constants is not supported; " + how);
  if (!a.is_const && !b.is_const) fail(n, "multiplying two activations is not supported; " + how);
  const int ci = a.is_const ? 0 : 1;
  const Value& x = act_input(n, 1 - ci);
  const Value& c = a.is_const ? a : b;
  if (c.count() != 1)
    fail(n, "the constant '" + n.input(ci) + "' has dims " + dims_str(c.dims) + ", not one value; " + how);
  check_finite(n, ci, "factor");
  Layer* p = sole_producer(x.tensor);
  if (!p || !p->has_weights() || p->relu) {
    const int pi = net_.tensors[std::size_t(x.tensor)].producer;
    const std::string what =
        pi < 0 ? "the network input"
               : "the output of layer '" + net_.layers[std::size_t(pi)].name + "' (" +
                     to_string(net_.layers[std::size_t(pi)].kind) + ")" +
                     (!net_.layers[std::size_t(pi)].has_weights() ? ""
                      : net_.layers[std::size_t(pi)].relu   ? ", which has a fused ReLU"
                                                            : ", which other nodes read too");
    fail(n, "input '" + n.input(1 - ci) + "' is " + what + "; " + how);
  }
  const double f = c.at(0);
  for (float& w : p->weight) w = float(double(w) * f);
  for (float& v : p->bias) v = float(double(v) * f);
  rebind(n, x);
}

void Importer::batch_norm(const onnx::NodeProto& n) {
  check_single_output(n);
  if (attr_int(n, "training_mode", 0) != 0) fail(n, "training_mode=1 is not supported (export in eval mode)");
  const Value& x = act_input(n, 0);
  const Value& scale = const_input(n, 1);
  const Value& beta = const_input(n, 2);
  const Value& mean = const_input(n, 3);
  const Value& var = const_input(n, 4);
  const double eps = attr_float(n, "epsilon", 1e-5f);
  if (!std::isfinite(eps)) fail(n, "epsilon " + std::to_string(eps) + " is not a finite number");
  check_finite(n, 1, "scale");
  check_finite(n, 2, "bias");
  check_finite(n, 3, "mean");
  check_finite(n, 4, "variance");
  Layer* p = sole_producer(x.tensor);
  const bool fold = p && p->has_weights() && !p->relu;
  // the channels: the producer's outputs when folding, else axis 1 of the input
  std::size_t ch = 0;
  const Shape in = shape_of(n, x);
  if (fold) {
    ch = std::size_t(p->out.c);
  } else {
    if (x.dims.size() < 2) fail(n, "input '" + n.input(0) + "' has dims " + dims_str(x.dims) + "; [N,C,...] is expected");
    ch = std::size_t(x.dims[1]);
    if (ch != std::size_t(in.c) || product(x.dims) != std::int64_t(in.size()))
      fail(n, "input '" + n.input(0) + "' has dims " + dims_str(x.dims) + ", a view of the " + in.str() +
              " tensor; BatchNormalization over its channels is only supported on [N,C,H,W] (or [N,C] of a Cx1x1 tensor)");
  }
  for (const Value* v : {&scale, &beta, &mean, &var})
    if (v->count() != ch)
      fail(n, "parameters have " + std::to_string(v->count()) + " values, expected " + std::to_string(ch) + " channels");
  std::vector<double> g(ch), shift(ch);  // y = x * g + shift
  for (std::size_t o = 0; o < ch; ++o) {
    if (var.at(o) + eps <= 0.0) fail(n, "variance + epsilon of channel " + std::to_string(o) + " is not positive");
    g[o] = scale.at(o) / std::sqrt(var.at(o) + eps);
    shift[o] = beta.at(o) - mean.at(o) * g[o];
  }
  if (fold) {  // into the Conv/Gemm/MatMul before it
    const std::size_t per = p->weight.size() / ch;
    for (std::size_t o = 0; o < ch; ++o) {
      for (std::size_t i = 0; i < per; ++i) p->weight[o * per + i] = float(double(p->weight[o * per + i]) * g[o]);
      p->bias[o] = float((double(p->bias[o]) - mean.at(o)) * g[o] + beta.at(o));
    }
    rebind(n, x);
    return;
  }
  // Anywhere else (after a Concat, a pool, a ReLU, a tensor with other
  // readers: DenseNet's pre-activation BN): a depthwise 1x1 convolution.
  Layer l;
  l.kind = LayerKind::Conv;
  l.inputs = {x.tensor};
  l.in = l.out = in;
  l.groups = in.c;
  l.weight.resize(ch);
  l.bias.resize(ch);
  for (std::size_t o = 0; o < ch; ++o) {
    l.weight[o] = float(g[o]);
    l.bias[o] = float(shift[o]);
  }
  set_output(n, add_layer(n, std::move(l), x.dims));
}

void Importer::flatten(const onnx::NodeProto& n) {
  const Value& x = act_input(n, 0);
  std::int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += std::int64_t(x.dims.size());
  if (axis != 0 && axis != 1) fail(n, "axis=" + std::to_string(attr_int(n, "axis", 1)) + " is not supported (only 1)");
  alias_output(n, x, Dims{1, product(x.dims)});
}

void Importer::reshape(const onnx::NodeProto& n) {
  const Value& x = act_input(n, 0);
  const Value& s = const_input(n, 1);
  Dims target;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < s.count(); ++i) {
    std::int64_t d = std::int64_t(s.at(i));
    if (d == 0) {
      if (attr_int(n, "allowzero", 0) != 0 || i >= x.dims.size()) fail(n, "target shape " + dims_str(target) + " has a zero dimension");
      d = x.dims[i];
    }
    if (d == -1) {
      if (infer >= 0) fail(n, "target shape has more than one -1");
      infer = int(i);
    } else if (d < 1) {
      fail(n, "target shape has dimension " + std::to_string(d));
    } else {
      known *= d;
    }
    target.push_back(d);
  }
  const std::int64_t total = product(x.dims);
  if (infer >= 0) {
    if (total % known != 0) fail(n, "cannot reshape " + dims_str(x.dims) + " to " + dims_str(target));
    target[std::size_t(infer)] = total / known;
  }
  if (product(target) != total) fail(n, "cannot reshape " + dims_str(x.dims) + " to " + dims_str(target));
  if (target == x.dims) {
    alias_output(n, x, target);
    return;
  }
  if ((target.size() == 2 && target[0] == 1) || target.size() == 1) {
    alias_output(n, x, Dims{1, total});
    return;
  }
  fail(n, "reshaping " + dims_str(x.dims) + " to " + dims_str(target) +
          " is not supported (only flattening to [N, C*H*W])");
}

void Importer::constant(const onnx::NodeProto& n) {
  Value v;
  v.is_const = true;
  if (const auto* a = attr(n, "value")) {
    v = tensor_value(a->t(), "constant");
  } else if (const auto* a = attr(n, "value_float")) {
    v.data = {double(a->f())};
  } else if (const auto* a = attr(n, "value_floats")) {
    v.data.assign(a->floats().begin(), a->floats().end());
    v.dims = {std::int64_t(v.data.size())};
  } else if (const auto* a = attr(n, "value_int")) {
    v.is_int = true;
    v.data = {double(a->i())};
  } else if (const auto* a = attr(n, "value_ints")) {
    v.is_int = true;
    v.data.assign(a->ints().begin(), a->ints().end());
    v.dims = {std::int64_t(v.data.size())};
  } else {
    fail(n, "no supported value attribute (value, value_float(s), value_int(s))");
  }
  set_output(n, v);
}

void Importer::shape_op(const onnx::NodeProto& n) {
  const Value& x = input(n, 0);
  const std::int64_t r = std::int64_t(x.dims.size());
  std::int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<std::int64_t>(start, 0, r);
  end = std::clamp<std::int64_t>(end, 0, r);
  Value v;
  v.is_const = true;
  v.is_int = true;
  for (std::int64_t i = start; i < end; ++i) v.data.push_back(double(x.dims[std::size_t(i)]));
  v.dims = {std::int64_t(v.data.size())};
  set_output(n, v);
}

void Importer::gather(const onnx::NodeProto& n) {
  const Value& d = const_input(n, 0);
  const Value& idx = const_input(n, 1);
  if (d.dims.size() != 1 || attr_int(n, "axis", 0) != 0)
    fail(n, "only gathering from a 1-D constant (shape arithmetic) is supported");
  Value v;
  v.is_const = true;
  v.is_int = d.is_int;
  v.dims = idx.dims;
  for (std::size_t j = 0; j < idx.count(); ++j) {
    const double i = idx.at(j);
    std::int64_t k = std::int64_t(i);
    if (k < 0) k += d.dims[0];
    if (k < 0 || k >= d.dims[0]) fail(n, "index " + std::to_string(std::int64_t(i)) + " is out of range");
    v.data.push_back(d.at(std::size_t(k)));
  }
  set_output(n, v);
}

void Importer::unsqueeze(const onnx::NodeProto& n, bool squeeze) {
  const Value& x = const_input(n, 0);
  Dims axes = attr_ints(n, "axes");
  if (has_input(n, 1)) {
    const Value& a = const_input(n, 1);
    axes.clear();
    for (std::size_t i = 0; i < a.count(); ++i) axes.push_back(std::int64_t(a.at(i)));
  }
  Value v = x;
  if (squeeze) {
    Dims out;
    const std::int64_t r = std::int64_t(x.dims.size());
    for (std::int64_t i = 0; i < r; ++i) {
      bool drop = axes.empty() ? x.dims[std::size_t(i)] == 1
                               : std::any_of(axes.begin(), axes.end(), [&](std::int64_t a) { return (a < 0 ? a + r : a) == i; });
      if (!drop) out.push_back(x.dims[std::size_t(i)]);
    }
    v.dims = out;
  } else {
    const std::int64_t r = std::int64_t(x.dims.size() + axes.size());
    Dims out;
    std::size_t src = 0;
    for (std::int64_t i = 0; i < r; ++i) {
      bool ins = std::any_of(axes.begin(), axes.end(), [&](std::int64_t a) { return (a < 0 ? a + r : a) == i; });
      if (ins) out.push_back(1);
      else if (src < x.dims.size()) out.push_back(x.dims[src++]);
      else fail(n, "axes " + dims_str(axes) + " do not fit rank " + std::to_string(x.dims.size()));
    }
    v.dims = out;
  }
  set_output(n, v);
}

void Importer::concat(const onnx::NodeProto& n) {
  check_single_output(n);
  if (n.input_size() == 0) fail(n, "the node has no input");
  bool any_act = false;
  for (int i = 0; i < n.input_size(); ++i) any_act = any_act || !input(n, i).is_const;
  if (any_act) {
    concat_activations(n);
    return;
  }
  Value v;
  v.is_const = true;
  v.is_int = true;
  for (int i = 0; i < n.input_size(); ++i) {
    const Value& x = const_input(n, i);
    if (x.dims.size() > 1) fail(n, "only concatenating 1-D constants (shape arithmetic) is supported");
    v.is_int = v.is_int && x.is_int;
    for (std::size_t i = 0; i < x.count(); ++i) v.data.push_back(x.at(i));
  }
  v.dims = {std::int64_t(v.data.size())};
  set_output(n, v);
}

// Channel concatenation of activations (DenseNet): a Concat layer; one input
// is the input itself.
void Importer::concat_activations(const onnx::NodeProto& n) {
  const Value& first = act_input(n, 0);
  const std::int64_t rank = std::int64_t(first.dims.size());
  std::int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis != 1 || (rank != 4 && rank != 2))
    fail(n, "concatenation along axis " + std::to_string(attr_int(n, "axis", 1)) + " of " + dims_str(first.dims) +
            " is not supported (only channels: axis 1 of [N,C,H,W])");
  if (n.input_size() == 1) {
    rebind(n, first);
    return;
  }
  Layer l;
  l.kind = LayerKind::Concat;
  l.in = shape_of(n, first);
  l.out = Shape{0, l.in.h, l.in.w};
  for (int i = 0; i < n.input_size(); ++i) {
    const Value& x = act_input(n, i);
    const Shape s = shape_of(n, x);
    if (x.dims.size() != first.dims.size() || s.h != l.in.h || s.w != l.in.w ||
        (rank == 2 && (s.h != 1 || s.w != 1)))
      fail(n, "input '" + n.input(i) + "' has dims " + dims_str(x.dims) + ", input '" + n.input(0) + "' " +
              dims_str(first.dims) + "; only concatenating channels of equal height and width is supported");
    l.inputs.push_back(x.tensor);
    l.out.c += s.c;
  }
  Dims od = first.dims;
  od[1] = l.out.c;
  set_output(n, add_layer(n, std::move(l), od));
}

// Zero padding: nothing when all pads are 0; otherwise kept on the value for
// the Conv/AveragePool after it (which count padded zeros like their own pads).
void Importer::pad(const onnx::NodeProto& n) {
  const Value& x = input(n, 0);
  if (x.is_const) fail(n, "padding a constant is not supported");
  const std::string mode = attr_string(n, "mode");
  if (!mode.empty() && mode != "constant") fail(n, "mode '" + mode + "' is not supported (only constant zero padding)");
  Dims pads = attr_ints(n, "pads");
  double value = attr_float(n, "value", 0.0f);
  if (has_input(n, 1)) {
    const Value& p = const_input(n, 1);
    pads.clear();
    for (std::size_t i = 0; i < p.count(); ++i) pads.push_back(std::int64_t(p.at(i)));
  }
  if (has_input(n, 2)) {
    const Value& v = const_input(n, 2);
    if (v.count() != 1) fail(n, "constant_value must be a scalar");
    value = v.at(0);
  }
  if (has_input(n, 3)) fail(n, "the axes input is not supported");
  const std::size_t r = x.dims.size();
  if (pads.size() != 2 * r) fail(n, "pads " + dims_str(pads) + " do not fit rank " + std::to_string(r));
  if (std::all_of(pads.begin(), pads.end(), [](std::int64_t p) { return p == 0; })) {
    set_output(n, x);
    return;
  }
  if (value != 0.0) fail(n, "padding with " + std::to_string(value) + " is not supported (only zeros)");
  if (r != 4 || pads[0] || pads[1] || pads[4] || pads[5] || pads[2] != pads[6] || pads[3] != pads[7] || pads[2] < 0 ||
      pads[3] < 0)
    fail(n, "pads " + dims_str(pads) + " are not supported (only symmetric padding of H and W)");
  if (pads[2] > kMaxExtent - x.pad_h || pads[3] > kMaxExtent - x.pad_w)
    fail(n, "pads " + dims_str(pads) + " are too large (at most " + std::to_string(kMaxExtent) + " in all)");
  Value v = x;
  v.pad_h += int(pads[2]);
  v.pad_w += int(pads[3]);
  set_output(n, v);
}

}  // namespace

FloatNetwork import_onnx_bytes(const std::string& bytes, const std::string& source) {
  onnx::ModelProto model;
  if (bytes.empty()) throw CompileError(source + ": not an ONNX model (the file is empty)");
  if (!model.ParseFromString(bytes))
    throw CompileError(source + ": not an ONNX model (it does not parse as an ONNX ModelProto)");
  return Importer(source).run(model);
}

FloatNetwork import_onnx(const std::string& path) {
  // The file is mapped and parsed in place: a model of hundreds of MB
  // (VGG-16: 553 MB) is then copied once, into the ModelProto, not also
  // into a buffer first (fresh pages are what costs here). A file that
  // cannot be mapped is read instead.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CompileError(path + ": cannot open the file");
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw CompileError(path + ": cannot read the file");
  if (S_ISDIR(st.st_mode)) throw CompileError(path + ": is a folder, not a file");
  onnx::ModelProto model;
  if (S_ISREG(st.st_mode)) {
    if (st.st_size == 0) throw CompileError(path + ": not an ONNX model (the file is empty)");
    if (st.st_size > std::numeric_limits<int>::max())
      throw CompileError(path + ": the file is larger than 2 GB, which ONNX protobuf files cannot be");
    const std::size_t size = std::size_t(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, size, MADV_SEQUENTIAL);
      const bool ok = model.ParseFromArray(p, int(size));
      ::munmap(p, size);
      if (!ok) throw CompileError(path + ": not an ONNX model (it does not parse as an ONNX ModelProto)");
      return Importer(path).run(model);
    }
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw CompileError(path + ": cannot open the file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f && !f.eof()) throw CompileError(path + ": cannot read the file");
  return import_onnx_bytes(ss.str(), path);
}

}  // namespace imcvp::compiler
