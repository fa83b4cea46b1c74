// The reports of a NetworkRun from what it built and measured: the
// report.json "network" section, the readable table (terminal and
// report.txt) and summary.csv (its columns: kSummaryHeader,
// platform/network_run.hpp). docs/accelerator.md "Running a network".
#pragma once
#include <ostream>
#include <string>

#include "platform/json_writer.hpp"

namespace imcvp {

struct NetworkBuild;
struct NetworkMarks;
struct NetworkResults;

void write_network_json(JsonWriter& j, const NetworkBuild& b, const NetworkMarks& m, const NetworkResults& res);
void print_network_table(std::ostream& out, const NetworkBuild& b, const NetworkMarks& m, const NetworkResults& res);
void write_network_summary_csv(std::ostream& out, const std::string& scenario, const NetworkBuild& b,
                               const NetworkMarks& m, const NetworkResults& res);

}  // namespace imcvp
