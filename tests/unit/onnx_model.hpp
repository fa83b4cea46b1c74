// A small ONNX model built in a test (opset 13, as PyTorch exports): the
// input, initializers, nodes with attributes, the output and metadata, then
// imported (or its import error) or saved. Shared by the compiler tests.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <unistd.h>

#include "compiler/network.hpp"
#include "compiler/onnx_import.hpp"

namespace imcvp::test {

using Dims = std::vector<std::int64_t>;

// The scratch folder of this test process.
inline std::filesystem::path onnx_temp_dir() {
  std::filesystem::path d = std::filesystem::temp_directory_path() / ("imcvp_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

class OnnxModel {
 public:
  explicit OnnxModel(const Dims& input_dims) {
    m_.set_ir_version(7);
    auto* op = m_.add_opset_import();
    op->set_domain("");
    op->set_version(13);
    g_ = m_.mutable_graph();
    auto* in = g_->add_input();
    in->set_name("input");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : input_dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  void init(const std::string& name, const Dims& dims, const std::vector<float>& v) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  }
  void init_i64(const std::string& name, const std::vector<std::int64_t>& v) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(std::int64_t(v.size()));
    for (auto x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
                        const std::string& name) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  // A Constant node holding one float (dims []).
  void constant(const std::string& out, float v) {
    auto* n = node("Constant", {}, out, "Constant_" + out);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(v);
  }
  static void ints(onnx::NodeProto* n, const std::string& name, const Dims& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void i(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  void output(const std::string& name) {
    auto* o = g_->add_output();
    o->set_name(name);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  void metadata(const std::string& k, const std::string& v) {
    auto* p = m_.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  // Writes the model into onnx_temp_dir() as `file`; returns its path.
  std::string save(const std::string& file) const {
    const std::string p = (onnx_temp_dir() / file).string();
    std::ofstream(p, std::ios::binary) << m_.SerializeAsString();
    return p;
  }
  compiler::FloatNetwork import() const { return compiler::import_onnx_bytes(m_.SerializeAsString(), "net.onnx"); }
  // The message of the CompileError importing the model throws.
  std::string import_error() const {
    try {
      import();
    } catch (const compiler::CompileError& e) {
      return e.what();
    }
    return "(no error)";
  }

 private:
  onnx::ModelProto m_;
  onnx::GraphProto* g_ = nullptr;
};

}  // namespace imcvp::test
