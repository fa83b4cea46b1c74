// VcdFile: a VCD waveform of chosen signals (SystemC's VCD writer), made
// reproducible: the writer stamps the wall-clock date into the header, which
// close() replaces with a fixed description, so the same scenario gives the
// same VCD byte for byte.
#pragma once
#include <string>

#include <systemc>

namespace imcvp {

class VcdFile {
 public:
  // `path` ends in .vcd; `description` replaces the $date section.
  VcdFile(const std::string& path, const std::string& description);
  ~VcdFile();
  VcdFile(const VcdFile&) = delete;
  VcdFile& operator=(const VcdFile&) = delete;

  template <typename T>
  void trace(const sc_core::sc_signal<T>& signal, const std::string& name) {
    sc_core::sc_trace(file_, signal, name);
  }
  // Closes the file (after the simulation) and makes its header reproducible.
  void close();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string description_;
  sc_core::sc_trace_file* file_ = nullptr;
};

}  // namespace imcvp
