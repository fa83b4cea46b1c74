#include "models/trace/vcd_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace imcvp {

VcdFile::VcdFile(const std::string& path, const std::string& description)
    : path_(path), description_(description) {
  std::string base = path;
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
  file_ = sc_core::sc_create_vcd_trace_file(base.c_str());
  if (!file_) throw std::runtime_error("trace.vcd: cannot create " + path);
  file_->set_time_unit(1, sc_core::SC_PS);  // the kernel resolution: no event is rounded
}

VcdFile::~VcdFile() { close(); }

void VcdFile::close() {
  if (!file_) return;
  sc_core::sc_close_vcd_trace_file(file_);
  file_ = nullptr;
  std::ifstream in(path_, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  in.close();
  std::string text = buf.str();
  const auto start = text.find("$date");
  const auto end = start == std::string::npos ? start : text.find("$end", start);
  if (end == std::string::npos) return;
  text.replace(start, end - start, "$date\n     " + description_ + "\n");
  std::ofstream out(path_, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace imcvp
