// Fuzz target: the ONNX importer (compiler/onnx_import.cpp). Any input must
// end in a FloatNetwork or a CompileError.
#include <cstdint>
#include <string>

#include "compiler/network.hpp"
#include "compiler/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    imcvp::compiler::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size),
                                       "fuzz.onnx");
  } catch (const imcvp::compiler::CompileError&) {
  }
  return 0;
}
