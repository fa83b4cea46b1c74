// A small validating reader over yaml-cpp documents, shared by every section
// of a scenario (platform, crossbars, tiles, NoC ...).
//
// It keeps, for each value, the file it came from, its field path
// ("platform.memory.size", "trace.signals[2]") and its position, reads typed
// values (units.hpp quantities included), and rejects unknown keys with a
// suggestion. Every problem is thrown as ScenarioError with one line:
//
//   <file>:<line>:<col>: <field.path>: <problem>
//
// (line and column 1-based). Typical use:
//
//   YamlValue doc = load_yaml_file(path);
//   YamlMap root(doc);
//   if (auto v = root.get("seed")) s.seed = v->as_uint();
//   YamlMap mem = root.section("platform").section("memory");  // absent = empty
//   if (auto v = mem.get("size")) size = v->as_size();
//   mem.finish();   // unknown keys in platform.memory -> error
//   root.finish();
//
// finish() must be called once every known key of a map has been asked for
// (get, require, section, has): the keys asked for are the known ones.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/scenario.hpp"  // ScenarioError

namespace imcvp {

class YamlMap;

// Which values a signed quantity accepts.
enum class Sign { Any, NonNegative, Positive };

// The largest magnitude as_double() accepts unless a field says otherwise:
// every value is finite, and a parameter times any count the simulation
// reaches (instructions, bytes, cell reads) stays finite in the report.
constexpr double kMaxScenarioNumber = 1e15;
// The longest time as_time_s() accepts: SystemC's time is a 64-bit count of
// picoseconds (about 1.8e7 s), and sums of times must fit too.
constexpr double kMaxScenarioTimeS = 1e6;

// One value of a document: the yaml-cpp node, its field path and position.
class YamlValue {
 public:
  YamlValue(std::shared_ptr<const std::string> file, YAML::Node node, std::string path,
            YAML::Mark mark);

  const std::string& file() const { return *file_; }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  YAML::Mark mark() const { return mark_; }
  int line() const { return mark_.line + 1; }      // 1-based; 0 if unknown
  int column() const { return mark_.column + 1; }  // 1-based; 0 if unknown

  bool is_null() const { return node_.IsNull(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }

  // Throws ScenarioError "<file>:<line>:<col>: <path>: <problem>".
  [[noreturn]] void fail(const std::string& problem) const;

  // Typed reads; each throws ScenarioError naming this value on a bad one.
  std::string as_string() const;  // any scalar; "" only if written as ""
  bool as_bool() const;
  uint64_t as_uint(uint64_t min = 0, uint64_t max = UINT64_MAX) const;
  uint32_t as_uint32(uint32_t min = 0, uint32_t max = UINT32_MAX) const;
  double as_double(Sign sign = Sign::Any, double max_abs = kMaxScenarioNumber) const;  // |v| <= max_abs
  double as_time_s(Sign sign = Sign::Positive) const;  // unit required; <= kMaxScenarioTimeS
  double as_frequency_hz() const;                      // > 0
  uint64_t as_size(uint64_t min = 1, uint64_t max = UINT64_MAX) const;
  // One of `choices`; returns its index. `what` names the kind in messages
  // ("signal group"): "unknown signal group 'uarts' (did you mean 'uart'?)".
  size_t as_choice(const std::vector<std::string>& choices, const std::string& what) const;
  // A list; item paths are "<path>[i]". A null value is not a list.
  std::vector<YamlValue> as_list() const;
  YamlMap as_map() const;

  // "a mapping", "a list", "an empty value" or the quoted scalar, for
  // "expected X, got Y" messages.
  std::string describe() const;

 private:
  friend class YamlMap;
  const std::string& scalar_text(const char* expected) const;

  std::shared_ptr<const std::string> file_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

// A mapping being read: tracks which keys were asked for.
class YamlMap {
 public:
  // `value` must be a mapping, or null (an empty section: "platform:").
  explicit YamlMap(const YamlValue& value);

  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }

  // The path of a key of this map ("platform" + "memory" -> "platform.memory").
  std::string child_path(const std::string& key) const;

  // Each of these makes `key` a known key of this map.
  bool has(const std::string& key);
  std::optional<YamlValue> get(const std::string& key);
  YamlValue require(const std::string& key);  // missing -> "<path.key>: missing required field"
  // A nested mapping; absent or null gives an empty one (all defaults).
  YamlMap section(const std::string& key);

  // Every entry, in file order, all made known (for maps whose keys are
  // names chosen by the user).
  std::vector<std::pair<std::string, YamlValue>> entries();

  // Throws for the first key (in file order) never asked for:
  // "<path.key>: unknown field 'quantm' (did you mean 'quantum'?)".
  void finish() const;

  // Throws ScenarioError at the map itself.
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
  };
  YamlMap(std::shared_ptr<const std::string> file, std::string path, YAML::Mark mark);
  const Entry* find(const std::string& key) const;
  void mark_known(const std::string& key);
  YamlValue value_of(const Entry& e) const;

  std::shared_ptr<const std::string> file_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;  // in the order asked for
};

// Reads a file holding one YAML document. Throws ScenarioError:
// "<file>: cannot open <what>" when it cannot be read, "<file>:<line>:<col>:
// <yaml-cpp message>" on a syntax error.
YamlValue load_yaml_file(const std::string& path, const std::string& what = "scenario file");
// The same for text in memory; `file` is the name used in messages.
YamlValue parse_yaml_string(const std::string& text, const std::string& file);

// The candidate closest to `word` (typos, swapped letters, letter case,
// a prefix), or "" if none is close enough to suggest.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "<file>:<line>:<col>: <path>: <problem>" (path and position left out when
// empty / unknown). The one place that formats ScenarioError messages.
std::string format_scenario_error(const std::string& file, const YAML::Mark& mark,
                                  const std::string& path, const std::string& problem);

}  // namespace imcvp
