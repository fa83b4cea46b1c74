#include "platform/compare.hpp"

#include <filesystem>
#include <fstream>

#include "platform/network_run.hpp"

namespace imcvp {

namespace fs = std::filesystem;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> f(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        f.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        f.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      f.emplace_back();
    } else if (c != '\r') {
      f.back() += c;
    }
  }
  return f;
}

SummaryTable read_summaries(const std::vector<std::string>& dirs) {
  SummaryTable t;
  t.header = split_csv_line(kSummaryHeader);
  if (dirs.empty()) throw CompareError("no output folders given");
  for (const std::string& dir : dirs) {
    const fs::path p = fs::path(dir) / "summary.csv";
    std::ifstream in(p);
    if (!in)
      throw CompareError(p.string() + ": cannot read it (is " + dir +
                         " the output folder of a scenario with a network: section that ran?)");
    std::string head, row, extra;
    std::getline(in, head);
    if (!std::getline(in, row) || row.empty()) throw CompareError(p.string() + ": no row after the header");
    if (split_csv_line(head) != t.header)
      throw CompareError(p.string() + ": columns differ from this imcvp's (" + std::string(kSummaryHeader) + ")");
    std::vector<std::string> fields = split_csv_line(row);
    if (fields.size() != t.header.size())
      throw CompareError(p.string() + ": " + std::to_string(fields.size()) + " fields, the header has " +
                         std::to_string(t.header.size()));
    t.rows.push_back(std::move(fields));
  }
  return t;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(std::ostream& out, const SummaryTable& t) {
  for (size_t i = 0; i < t.header.size(); ++i) out << (i ? "," : "") << csv_field(t.header[i]);
  out << "\n";
  for (const auto& r : t.rows) {
    for (size_t i = 0; i < r.size(); ++i) out << (i ? "," : "") << csv_field(r[i]);
    out << "\n";
  }
}

void write_markdown(std::ostream& out, const SummaryTable& t) {
  out << "|";
  for (const auto& h : t.header) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) out << (i < 4 ? " --- |" : " ---: |");
  out << "\n";
  for (const auto& r : t.rows) {
    out << "|";
    for (const auto& v : r) {
      std::string cell;
      for (char c : v) cell += c == '|' ? std::string("\\|") : std::string(1, c);
      out << " " << (cell.empty() ? "-" : cell) << " |";
    }
    out << "\n";
  }
}

}  // namespace imcvp
