// The wording of a parameter check's problem, shared by the parameter
// structs' check functions (crossbar, NoC): "must be 1..4096, got 0".
#pragma once
#include <sstream>
#include <string>

namespace imcvp {

template <typename T>
std::string must_be(const std::string& range, T value) {
  std::ostringstream s;
  s << "must be " << range << ", got " << value;
  return s.str();
}

}  // namespace imcvp
