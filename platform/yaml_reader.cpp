#include "platform/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "platform/units.hpp"

namespace imcvp {
namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of adjacent letters each cost 1.
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

// " (did you mean 'x'?)" or " (expected one of: a, b, c)".
std::string hint(const std::string& word, const std::vector<std::string>& known) {
  const std::string best = closest_match(word, known);
  if (!best.empty()) return " (did you mean " + in_quotes(best) + "?)";
  if (known.empty()) return " (this section has no fields)";
  return " (expected one of: " + join(known) + ")";
}

}  // namespace

std::string format_scenario_error(const std::string& file, const YAML::Mark& mark,
                                  const std::string& path, const std::string& problem) {
  std::string msg = file;
  if (!mark.is_null())
    msg += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  msg += ": ";
  if (!path.empty()) msg += path + ": ";
  msg += problem;
  // One line, whatever the problem text holds.
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  return msg;
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& c : candidates) {
    const std::string lc = lower(c);
    size_t d = edit_distance(w, lc);
    // A prefix of at least three letters ("mem" for "memory") is close too.
    if (w.size() >= 3 && lc.compare(0, w.size(), w) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (best.empty()) return "";
  const size_t len = std::min(w.size(), lower(best).size());
  const size_t allowed = len <= 2 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;
  return best_d <= allowed ? best : "";
}

// ---- YamlValue --------------------------------------------------------------

YamlValue::YamlValue(std::shared_ptr<const std::string> file, YAML::Node node, std::string path,
                     YAML::Mark mark)
    : file_(std::move(file)), node_(std::move(node)), path_(std::move(path)), mark_(mark) {}

void YamlValue::fail(const std::string& problem) const {
  throw ScenarioError(format_scenario_error(*file_, mark_, path_, problem));
}

std::string YamlValue::describe() const {
  if (!node_.IsDefined() || node_.IsNull()) return "an empty value";
  if (node_.IsMap()) return "a mapping";
  if (node_.IsSequence()) return "a list";
  return in_quotes(node_.Scalar());
}

const std::string& YamlValue::scalar_text(const char* expected) const {
  if (!node_.IsScalar()) fail(std::string("expected ") + expected + ", got " + describe());
  return node_.Scalar();
}

std::string YamlValue::as_string() const { return scalar_text("a string"); }

bool YamlValue::as_bool() const {
  const std::string& t = scalar_text("true or false");
  try {
    return units::parse_bool(t);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
}

uint64_t YamlValue::as_uint(uint64_t min, uint64_t max) const {
  const std::string& t = scalar_text("an unsigned integer");
  uint64_t v = 0;
  try {
    v = units::parse_uint(t, max);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
  if (v < min) {
    if (min == 1) fail("must be at least 1, got " + in_quotes(t));
    fail("must be at least " + std::to_string(min) + ", got " + in_quotes(t));
  }
  return v;
}

uint32_t YamlValue::as_uint32(uint32_t min, uint32_t max) const {
  return static_cast<uint32_t>(as_uint(min, max));
}

namespace {
void check_sign(const YamlValue& v, double x, Sign sign, const std::string& text) {
  if (sign == Sign::Positive && !(x > 0)) v.fail("must be greater than zero, got " + in_quotes(text));
  if (sign == Sign::NonNegative && x < 0) v.fail("must not be negative, got " + in_quotes(text));
}
}  // namespace

double YamlValue::as_double(Sign sign) const {
  const std::string& t = scalar_text("a number");
  double v = 0;
  try {
    v = units::parse_double(t);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
  check_sign(*this, v, sign, t);
  return v;
}

double YamlValue::as_time_s(Sign sign) const {
  const std::string& t = scalar_text("a time with a unit (e.g. '10 us')");
  double v = 0;
  try {
    v = units::parse_time_s(t);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
  check_sign(*this, v, sign, t);
  return v;
}

double YamlValue::as_frequency_hz() const {
  const std::string& t = scalar_text("a frequency (e.g. '100 MHz')");
  try {
    return units::parse_frequency_hz(t);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
}

uint64_t YamlValue::as_size(uint64_t min, uint64_t max) const {
  const std::string& t = scalar_text("a size (e.g. '16 MiB')");
  uint64_t v = 0;
  try {
    v = units::parse_size_bytes(t, max);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
  if (v < min) {
    if (min == 1) fail("must be greater than zero, got " + in_quotes(t));
    fail("must be at least " + units::format_size(min) + ", got " + in_quotes(t));
  }
  return v;
}

size_t YamlValue::as_choice(const std::vector<std::string>& choices,
                            const std::string& what) const {
  const std::string t = scalar_text(("a " + what).c_str());
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == t) return i;
  fail("unknown " + what + " " + in_quotes(t) + hint(t, choices));
}

std::vector<YamlValue> YamlValue::as_list() const {
  if (!node_.IsSequence()) fail("expected a list, got " + describe());
  std::vector<YamlValue> out;
  out.reserve(node_.size());
  size_t i = 0;
  for (const YAML::Node& item : node_) {
    YAML::Mark m = item.Mark();
    if (m.is_null() || item.IsNull()) m = mark_;
    out.emplace_back(file_, item, path_ + "[" + std::to_string(i) + "]", m);
    ++i;
  }
  return out;
}

YamlMap YamlValue::as_map() const { return YamlMap(*this); }

// ---- YamlMap ----------------------------------------------------------------

YamlMap::YamlMap(std::shared_ptr<const std::string> file, std::string path, YAML::Mark mark)
    : file_(std::move(file)), path_(std::move(path)), mark_(mark) {}

YamlMap::YamlMap(const YamlValue& value)
    : YamlMap(value.file_, value.path(), value.mark()) {
  const YAML::Node& n = value.node();
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsMap()) value.fail("expected a mapping of fields, got " + value.describe());
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node k = it->first;
    YAML::Mark km = k.Mark().is_null() ? mark_ : k.Mark();
    if (!k.IsScalar()) {
      throw ScenarioError(format_scenario_error(*file_, km, path_,
                                                "a field name must be a plain word, not " +
                                                    YamlValue(file_, k, path_, km).describe()));
    }
    const std::string key = k.Scalar();
    if (const Entry* prev = find(key)) {
      throw ScenarioError(format_scenario_error(
          *file_, km, child_path(key),
          "duplicate field " + in_quotes(key) + " (first given at line " +
              std::to_string(prev->key_mark.line + 1) + ")"));
    }
    entries_.push_back(Entry{key, km, it->second});
  }
}

std::string YamlMap::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const YamlMap::Entry* YamlMap::find(const std::string& key) const {
  for (const Entry& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

void YamlMap::mark_known(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
}

YamlValue YamlMap::value_of(const Entry& e) const {
  // A value left empty ("seed:") has no position of its own worth showing
  // (yaml-cpp puts it at the next token): point at its key.
  YAML::Mark m = e.value.Mark();
  if (m.is_null() || e.value.IsNull()) m = e.key_mark;
  return YamlValue(file_, e.value, child_path(e.key), m);
}

bool YamlMap::has(const std::string& key) {
  mark_known(key);
  return find(key) != nullptr;
}

std::optional<YamlValue> YamlMap::get(const std::string& key) {
  mark_known(key);
  if (const Entry* e = find(key)) return value_of(*e);
  return std::nullopt;
}

YamlValue YamlMap::require(const std::string& key) {
  mark_known(key);
  if (const Entry* e = find(key)) return value_of(*e);
  throw ScenarioError(format_scenario_error(*file_, mark_, child_path(key), "missing required field"));
}

YamlMap YamlMap::section(const std::string& key) {
  mark_known(key);
  if (const Entry* e = find(key)) return YamlMap(value_of(*e));
  return YamlMap(file_, child_path(key), mark_);
}

std::vector<std::pair<std::string, YamlValue>> YamlMap::entries() {
  std::vector<std::pair<std::string, YamlValue>> out;
  for (const Entry& e : entries_) {
    mark_known(e.key);
    out.emplace_back(e.key, value_of(e));
  }
  return out;
}

void YamlMap::finish() const {
  for (const Entry& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    throw ScenarioError(format_scenario_error(*file_, e.key_mark, child_path(e.key),
                                              "unknown field " + in_quotes(e.key) + hint(e.key, known_)));
  }
}

void YamlMap::fail(const std::string& problem) const {
  throw ScenarioError(format_scenario_error(*file_, mark_, path_, problem));
}

// ---- loading ----------------------------------------------------------------

YamlValue parse_yaml_string(const std::string& text, const std::string& file) {
  auto name = std::make_shared<const std::string>(file);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(format_scenario_error(file, e.mark, "", "YAML syntax error: " + e.msg));
  } catch (const YAML::Exception& e) {
    throw ScenarioError(format_scenario_error(file, e.mark, "", "YAML error: " + e.msg));
  }
  if (docs.size() > 1) {
    YAML::Mark m = docs[1].Mark();
    throw ScenarioError(format_scenario_error(
        file, m, "", "expected one YAML document, found a second one"));
  }
  YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
  YAML::Mark m = root.Mark();
  if (m.is_null()) m = YAML::Mark();  // an empty document: 1:1
  return YamlValue(name, root, "", m);
}

YamlValue load_yaml_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (is_dir || !in) throw ScenarioError(path + ": cannot open " + what);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path + ": cannot open " + what);
  return parse_yaml_string(text.str(), path);
}

}  // namespace imcvp
