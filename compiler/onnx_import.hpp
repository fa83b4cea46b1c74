// ONNX import: a PyTorch export becomes a FloatNetwork (compiler/network.hpp).
//
// Supported operators: Conv (grouped and depthwise too), Gemm, MatMul (+ Add
// of a constant bias), Relu, Clip(0, max) (ReLU6), MaxPool, AveragePool,
// GlobalAveragePool, Add (two activations: residual), Concat (of activations
// along channels: DenseNet), BatchNormalization (folded into the
// Conv/Gemm/MatMul before it; anywhere else a depthwise 1x1 Conv), Flatten,
// Reshape (flattening only), Mul by a constant scalar (folded into the
// Conv/Gemm/MatMul before it, which nothing else reads: the hybrid
// compensation branch's 2^-shift), and the constant plumbing PyTorch emits around
// them: Constant, Identity, Dropout, Shape, Gather, Unsqueeze, Squeeze,
// Concat (of constants), Cast, Pad (zeros, folded into the next
// Conv/AveragePool), and a Softmax/LogSoftmax that ends the graph (dropped:
// the network's output is the logits before it, which have the same argmax).
// Anything else throws CompileError naming the node and the operator. Every
// metadata_props entry lands in FloatNetwork::metadata.
#pragma once

#include <string>

#include "compiler/network.hpp"

namespace imcvp::compiler {

// Reads and imports an ONNX file. Throws CompileError (message starts with the
// path) when the file is missing, is not ONNX, or uses what is not supported.
FloatNetwork import_onnx(const std::string& path);

// The same from the serialized bytes of a ModelProto; `source` names it in
// messages.
FloatNetwork import_onnx_bytes(const std::string& bytes, const std::string& source);

// The operators import_onnx understands, comma-separated (for messages/docs).
const char* supported_onnx_operators();

}  // namespace imcvp::compiler
