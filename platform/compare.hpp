// The comparison table of network runs: `imcvp compare DIR...` joins the
// summary.csv that every network run writes into its output folder
// (NetworkRun::write_summary_csv, columns kSummaryHeader) into one CSV and
// one Markdown table: crossbars, accuracy, latency, interval, throughput,
// energy and EDP per scenario (network, mode, execution).
#pragma once
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace imcvp {

class CompareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SummaryTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // one per run, in the order given
};

// Reads <dir>/summary.csv of every folder; throws CompareError naming the
// file when one is missing, unreadable or has other columns than this
// imcvp writes.
SummaryTable read_summaries(const std::vector<std::string>& dirs);
void write_csv(std::ostream& out, const SummaryTable& t);
void write_markdown(std::ostream& out, const SummaryTable& t);

// One CSV line split into fields (RFC 4180 quoting), and one field quoted
// (quotes doubled) when it holds a comma, quote or newline.
std::vector<std::string> split_csv_line(const std::string& line);
std::string csv_field(const std::string& v);

}  // namespace imcvp
