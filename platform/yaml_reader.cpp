#include "platform/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
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

namespace {
std::string fmt_limit(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}
}  // namespace

double YamlValue::as_double(Sign sign, double max_abs) const {
  const std::string& t = scalar_text("a number");
  double v = 0;
  try {
    v = units::parse_double(t);
  } catch (const units::UnitError& e) {
    fail(e.what());
  }
  check_sign(*this, v, sign, t);
  if (std::fabs(v) > max_abs)
    fail(std::string(v < 0 ? "must be at least -" : "must be at most ") + fmt_limit(max_abs) +
         ", got " + in_quotes(t));
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
  if (v > kMaxScenarioTimeS)
    fail("must be at most " + fmt_limit(kMaxScenarioTimeS) + " s, got " + in_quotes(t));
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

namespace {

// yaml-cpp accepts a quoted scalar left open when a line break follows it
// at the end of the text ("name: \"abc\n"): the value then runs to the end
// of the file. Every quoted scalar (and key) must close: from its opening
// quote (its mark), scan to the closing one with YAML's escapes (\x in
// double quotes, '' in single quotes).
bool quote_closes(const std::string& text, size_t open) {
  const char q = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return true;
    }
  }
  return false;
}

// yaml-cpp 0.7 (Debian 12) never returns, allocating until the process dies,
// when a ',' stands where a block node begins: at the start of the text or
// of a line, after "- ", "? ", ": ", "---", an anchor or a tag (",", "- a\n,",
// "&x ,"; found by tests/fuzz/fuzz_scenario). Such a ',' is refused before
// yaml-cpp sees the text. Outside [ ] and { } a ',' may only continue a
// plain scalar ("a: b,c"), which no scenario field needs at a line start.
// Control characters, which YAML forbids and yaml-cpp reads as blanks
// ("\0,"), are refused here too.
void check_stray_commas(const std::string& text, const std::string& file) {
  int flow = 0;           // depth of [ ] and { }
  bool node_start = true; // a node may begin here (only blanks since)
  int line = 0, line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = static_cast<int>(i + 1);
      node_start = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {  // YAML allows none (c-printable)
      YAML::Mark m;
      m.pos = static_cast<int>(i);
      m.line = line;
      m.column = static_cast<int>(i) - line_start;
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
      throw ScenarioError(format_scenario_error(
          file, m, "", std::string("YAML syntax error: control character ") + hex + " (YAML allows none)"));
    }
    const bool token_start = i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1])) ||
                             std::strchr("[{,", text[i - 1]) != nullptr;
    if (c == '#' && token_start) {  // a comment, to the end of the line
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if ((c == '"' || c == '\'') && token_start) {  // a quoted scalar
      for (++i; i < text.size(); ++i) {
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
        if (i < text.size() && text[i] == '\n') ++line, line_start = static_cast<int>(i + 1);
      }
      node_start = false;
      continue;
    }
    if (c == ',' && flow == 0 && node_start) {
      YAML::Mark m;
      m.pos = static_cast<int>(i);
      m.line = line;
      m.column = static_cast<int>(i) - line_start;
      throw ScenarioError(format_scenario_error(
          file, m, "", "YAML syntax error: ',' outside [ ] or { } where a value should begin"));
    }
    if (c == '[' || c == '{') {
      ++flow;
      node_start = true;
      continue;
    }
    if ((c == ']' || c == '}') && flow > 0) --flow;
    const bool ends_token = i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]));
    if (ends_token && (c == '-' || c == '?' || c == ':') && token_start) {
      node_start = true;  // "- ", "? ", ": " (and "---")
      continue;
    }
    if (ends_token && c == '-' && i >= 2 && text.compare(i - 2, 3, "---") == 0) {
      node_start = true;
      continue;
    }
    if ((c == '&' || c == '!') && token_start) {  // an anchor or a tag: a node follows it
      while (i + 1 < text.size() && !std::isspace(static_cast<unsigned char>(text[i + 1]))) ++i;
      node_start = true;
      continue;
    }
    if (c == ':' && ends_token) {  // "key: "
      node_start = true;
      continue;
    }
    node_start = false;
  }
}

void check_quotes(const std::string& text, const std::string& file, const YAML::Node& root) {
  std::vector<YAML::Node> todo{root};
  std::set<size_t> seen;  // collections visited (an alias may repeat one)
  while (!todo.empty()) {
    const YAML::Node n = todo.back();
    todo.pop_back();
    const YAML::Mark m = n.Mark();
    if (n.IsScalar()) {
      if (n.Tag() == "!" && !m.is_null() && m.pos >= 0 &&
          static_cast<size_t>(m.pos) < text.size() &&
          (text[static_cast<size_t>(m.pos)] == '"' || text[static_cast<size_t>(m.pos)] == '\'') &&
          !quote_closes(text, static_cast<size_t>(m.pos)))
        throw ScenarioError(format_scenario_error(
            file, m, "", std::string("YAML syntax error: unterminated quoted string (no closing ") +
                             text[static_cast<size_t>(m.pos)] + " before the end of the file)"));
      continue;
    }
    if (!n.IsMap() && !n.IsSequence()) continue;
    if (!m.is_null()) {
      const size_t pos = static_cast<size_t>(m.pos);
      if (!seen.insert(pos).second) continue;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (n.IsMap()) {
        todo.push_back(it->first);
        todo.push_back(it->second);
      } else {
        todo.push_back(*it);
      }
    }
  }
}

}  // namespace

YamlValue parse_yaml_string(const std::string& text, const std::string& file) {
  auto name = std::make_shared<const std::string>(file);
  check_stray_commas(text, file);
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
  check_quotes(text, file, root);
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
