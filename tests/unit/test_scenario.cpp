// Scenario loading: defaults, unit forms, and one exact message
// (file:line:col: field.path: problem) per class of user error.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "imcvp/memory_map.h"
#include "models/crossbar/crossbar_params.hpp"
#include "platform/scenario.hpp"
#include "platform/units.hpp"
#include "platform/yaml_reader.hpp"

namespace fs = std::filesystem;
using namespace imcvp;

namespace {

fs::path source_dir() {
  if (const char* env = std::getenv("IMCVP_SOURCE_DIR")) return env;
  return fs::absolute(fs::path(__FILE__)).parent_path().parent_path().parent_path();
}

fs::path fixtures() { return source_dir() / "tests" / "unit" / "data" / "scenarios"; }
std::string fixture(const std::string& name) { return (fixtures() / name).string(); }
std::string normal(const fs::path& p) { return p.lexically_normal().string(); }

std::string error_of(const std::string& path, ScenarioLoadOptions options = {}) {
  try {
    load_scenario(path, options);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "<no error>";
}

ScenarioLoadOptions no_file_checks() {
  ScenarioLoadOptions o;
  o.check_files = false;
  return o;
}

template <typename F>
std::string unit_error(F f) {
  try {
    f();
  } catch (const units::UnitError& e) {
    return e.what();
  }
  return "<no error>";
}

// A scratch folder holding a dummy firmware "fw.elf", for scenarios written
// by the test itself.
class ScratchScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "imcvp_test_scenario_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "fw.elf") << "\x7f" "ELF";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // The error of a scenario whose text follows "firmware: fw.elf\n", so
  // the text's first line is line 2 of the file.
  std::string error_after_firmware(const std::string& text) {
    return error_of(write("s.yaml", "firmware: fw.elf\n" + text));
  }
  std::string where(int line, int col) const {
    return (dir_ / "s.yaml").string() + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  }
  fs::path dir_;
};

}  // namespace

// ---- units --------------------------------------------------------------------

TEST(Units, TimeForms) {
  EXPECT_DOUBLE_EQ(units::parse_time_s("10 us"), 10e-6);
  EXPECT_DOUBLE_EQ(units::parse_time_s("1.5ms"), 1.5e-3);
  EXPECT_DOUBLE_EQ(units::parse_time_s("1 s"), 1.0);
  EXPECT_DOUBLE_EQ(units::parse_time_s("100 ns"), 100e-9);
  EXPECT_DOUBLE_EQ(units::parse_time_s("1 ps"), 1e-12);
  EXPECT_DOUBLE_EQ(units::parse_time_s("10us"), 10e-6);
  EXPECT_DOUBLE_EQ(units::parse_time_s("  2e-3 s "), 2e-3);
  EXPECT_DOUBLE_EQ(units::parse_time_s("3 \xC2\xB5s"), 3e-6);
  EXPECT_DOUBLE_EQ(units::parse_time_s("0 ns"), 0.0);
}

TEST(Units, TimeNeedsAUnit) {
  EXPECT_EQ(unit_error([] { units::parse_time_s("10"); }),
            "'10' has no unit; a time needs one (expected s, ms, us, ns or ps), e.g. '10 us'");
  EXPECT_EQ(unit_error([] { units::parse_time_s("10 sec"); }),
            "unknown time unit 'sec' in '10 sec' (expected s, ms, us, ns or ps)");
  EXPECT_EQ(unit_error([] { units::parse_time_s("-1 us"); }),
            "a time must not be negative, got '-1 us'");
  EXPECT_EQ(unit_error([] { units::parse_time_s("soon"); }),
            "expected a time with a unit (e.g. '10 us'), got 'soon'");
}

TEST(Units, FrequencyForms) {
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("100 MHz"), 100e6);
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("1 GHz"), 1e9);
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("32768 Hz"), 32768);
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("32768"), 32768);
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("12.5kHz"), 12500);
  EXPECT_DOUBLE_EQ(units::parse_frequency_hz("1e8"), 1e8);
  EXPECT_EQ(unit_error([] { units::parse_frequency_hz("0 MHz"); }),
            "a frequency must be greater than zero, got '0 MHz'");
  EXPECT_EQ(unit_error([] { units::parse_frequency_hz("100 mhz"); }),
            "unknown frequency unit 'mhz' in '100 mhz' (expected Hz, kHz, MHz or GHz)");
}

TEST(Units, SizeForms) {
  EXPECT_EQ(units::parse_size_bytes("16 MiB"), 16u << 20);
  EXPECT_EQ(units::parse_size_bytes("64 KiB"), 64u << 10);
  EXPECT_EQ(units::parse_size_bytes("4096"), 4096u);
  EXPECT_EQ(units::parse_size_bytes("0x1000000"), 0x1000000u);
  EXPECT_EQ(units::parse_size_bytes("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(units::parse_size_bytes("1.5 KiB"), 1536u);
  EXPECT_EQ(units::parse_size_bytes("100 B"), 100u);
  EXPECT_EQ(units::parse_size_bytes("2 TiB"), uint64_t{2} << 40);
  EXPECT_EQ(unit_error([] { units::parse_size_bytes("16 MB"); }),
            "ambiguous size unit 'MB' in '16 MB'; write B, KiB, MiB, GiB or TiB (powers of 1024)");
  EXPECT_EQ(unit_error([] { units::parse_size_bytes("1.3 B"); }), "'1.3 B' is not a whole number of bytes");
  EXPECT_EQ(unit_error([] { units::parse_size_bytes("-4"); }), "a size must not be negative, got '-4'");
  EXPECT_EQ(unit_error([] { units::parse_size_bytes("5 GiB", uint64_t{1} << 32); }),
            "'5 GiB' is too large (at most 4 GiB)");
  EXPECT_EQ(unit_error([] { units::parse_size_bytes("16777216 TiB"); }),
            "'16777216 TiB' is too large (at most 18446744073709551615 B)");
}

TEST(Units, Integers) {
  EXPECT_EQ(units::parse_uint("0"), 0u);
  EXPECT_EQ(units::parse_uint("42"), 42u);
  EXPECT_EQ(units::parse_uint("0x80000000"), 0x80000000u);
  EXPECT_EQ(units::parse_uint("0XfF"), 255u);
  EXPECT_EQ(units::parse_uint("2_000_000"), 2000000u);
  EXPECT_EQ(units::parse_uint("2e9"), 2000000000u);
  EXPECT_EQ(units::parse_uint("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(units::parse_uint("0xFFFFFFFFFFFFFFFF"), UINT64_MAX);
  EXPECT_EQ(unit_error([] { units::parse_uint("18446744073709551616"); }),
            "'18446744073709551616' is too large (at most 18446744073709551615)");
  EXPECT_EQ(unit_error([] { units::parse_uint("0x10000000000000000"); }),
            "'0x10000000000000000' is too large (at most 18446744073709551615)");
  EXPECT_EQ(unit_error([] { units::parse_uint("256", 255); }), "'256' is too large (at most 255)");
  EXPECT_EQ(unit_error([] { units::parse_uint("-1"); }), "must not be negative, got '-1'");
  EXPECT_EQ(unit_error([] { units::parse_uint("1.5"); }), "expected a whole number, got '1.5'");
  const std::string expected = "expected an unsigned integer (decimal or 0x hex), got ";
  EXPECT_EQ(unit_error([] { units::parse_uint("12 MHz"); }), expected + "'12 MHz'");
  EXPECT_EQ(unit_error([] { units::parse_uint("0x"); }), expected + "'0x'");
  EXPECT_EQ(unit_error([] { units::parse_uint("1__0"); }), expected + "'1__0'");
  EXPECT_EQ(unit_error([] { units::parse_uint("many"); }), expected + "'many'");
}

TEST(Units, DoublesAndBooleans) {
  EXPECT_DOUBLE_EQ(units::parse_double("70.1"), 70.1);
  EXPECT_DOUBLE_EQ(units::parse_double("-2"), -2.0);
  EXPECT_DOUBLE_EQ(units::parse_double(".5"), 0.5);
  EXPECT_DOUBLE_EQ(units::parse_double("1e-3"), 1e-3);
  EXPECT_EQ(unit_error([] { units::parse_double("1 pJ"); }), "expected a number, got '1 pJ'");
  EXPECT_EQ(unit_error([] { units::parse_double("nan"); }), "expected a number, got 'nan'");
  EXPECT_EQ(unit_error([] { units::parse_double("1e999"); }), "expected a number, got '1e999'");
  EXPECT_TRUE(units::parse_bool("true"));
  EXPECT_TRUE(units::parse_bool("True"));
  EXPECT_TRUE(units::parse_bool("yes"));
  EXPECT_TRUE(units::parse_bool("on"));
  EXPECT_FALSE(units::parse_bool("false"));
  EXPECT_FALSE(units::parse_bool("no"));
  EXPECT_FALSE(units::parse_bool("OFF"));
  EXPECT_EQ(unit_error([] { units::parse_bool("maybe"); }), "expected true or false, got 'maybe'");
}

TEST(Units, Formatting) {
  EXPECT_EQ(units::format_hex(0x80000000u), "0x80000000");
  EXPECT_EQ(units::format_size(16u << 20), "16 MiB");
  EXPECT_EQ(units::format_size(4097), "4097 B");
  EXPECT_EQ(units::format_time(10e-6), "10 us");
  EXPECT_EQ(units::format_frequency(100e6), "100 MHz");
}

// ---- the YAML reader -----------------------------------------------------------

TEST(YamlReader, ClosestMatch) {
  const std::vector<std::string> keys = {"cpu_clock", "timer_clock", "quantum", "memory", "cpu"};
  EXPECT_EQ(closest_match("quantm", keys), "quantum");
  EXPECT_EQ(closest_match("qunatum", keys), "quantum");
  EXPECT_EQ(closest_match("Quantum", keys), "quantum");
  EXPECT_EQ(closest_match("mem", keys), "memory");
  EXPECT_EQ(closest_match("cpu_clk", keys), "cpu_clock");
  EXPECT_EQ(closest_match("banana", keys), "");
}

TEST(YamlReader, PathsPositionsAndKnownKeys) {
  YamlValue doc = parse_yaml_string("a:\n  b: 7\n  list: [x, 2]\nc: hi\n", "mem.yaml");
  YamlMap root(doc);
  YamlMap a = root.section("a");
  EXPECT_EQ(a.path(), "a");
  YamlValue b = a.require("b");
  EXPECT_EQ(b.path(), "a.b");
  EXPECT_EQ(b.line(), 2);
  EXPECT_EQ(b.column(), 6);
  EXPECT_EQ(b.as_uint(), 7u);
  std::vector<YamlValue> list = a.require("list").as_list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].path(), "a.list[1]");
  try {
    list[0].as_uint();
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(),
                 "mem.yaml:3:10: a.list[0]: expected an unsigned integer (decimal or 0x hex), got 'x'");
  }
  a.finish();
  EXPECT_FALSE(root.get("d").has_value());
  try {
    root.finish();  // 'c' was never asked for, and nothing known is close
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "mem.yaml:4:1: c: unknown field 'c' (expected one of: a, d)");
  }
}

TEST(YamlReader, DuplicateKeysAndEmptySections) {
  try {
    YamlMap m(parse_yaml_string("x: 1\ny: 2\nx: 3\n", "dup.yaml"));
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "dup.yaml:3:1: x: duplicate field 'x' (first given at line 1)");
  }
  YamlMap root(parse_yaml_string("platform:\n", "empty.yaml"));
  YamlMap platform = root.section("platform");
  EXPECT_FALSE(platform.get("quantum").has_value());
  platform.finish();
  root.finish();
  try {
    YamlValue v = parse_yaml_string("seed:\n", "null.yaml");
    YamlMap(v).require("seed").as_uint();
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "null.yaml:1:1: seed: expected an unsigned integer, got an empty value");
  }
}

TEST(YamlReader, OneDocumentOnly) {
  try {
    parse_yaml_string("a: 1\n---\nb: 2\n", "two.yaml");
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "two.yaml:3:1: expected one YAML document, found a second one");
  }
}

// ---- scenarios: defaults and every field ------------------------------------------

TEST(Scenario, DefaultsApplied) {
  const std::string path = fixture("minimal.yaml");
  const Scenario s = load_scenario(path);
  EXPECT_EQ(s.file, path);
  EXPECT_EQ(s.name, "minimal");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.firmware, normal(fixtures() / "dummy.elf"));
  EXPECT_EQ(s.output, normal(fixtures() / ".." / "out" / "minimal"));
  EXPECT_DOUBLE_EQ(s.platform.cpu_hz, 100e6);
  EXPECT_DOUBLE_EQ(s.platform.timer_hz, IMCVP_MTIME_HZ_DEFAULT);
  EXPECT_DOUBLE_EQ(s.platform.quantum_s, 10e-6);
  EXPECT_EQ(s.platform.memory.base, uint64_t{IMCVP_RAM_BASE_DEFAULT});
  EXPECT_EQ(s.platform.memory.size, uint64_t{IMCVP_RAM_SIZE_DEFAULT});
  EXPECT_DOUBLE_EQ(s.platform.memory.latency_ns, 10.0);
  const CpuParams d = default_cpu_params();
  EXPECT_EQ(s.platform.cpu.cycles, d.cycles);
  EXPECT_EQ(s.platform.cpu.energy_pj, d.energy_pj);
  EXPECT_EQ(s.platform.cpu.branch_taken_penalty, d.branch_taken_penalty);
  EXPECT_DOUBLE_EQ(s.platform.cpu.sleep_power_mw, d.sleep_power_mw);
  EXPECT_DOUBLE_EQ(s.limits.max_time_s, 10.0);
  EXPECT_EQ(s.limits.max_instructions, 2000000000u);
  EXPECT_EQ(s.trace.vcd, "");
  EXPECT_EQ(s.trace.signals, (std::vector<std::string>{"cpu", "bus", "uart", "irq"}));
  EXPECT_FALSE(s.trace.transactions);
}

TEST(Scenario, EveryFieldRead) {
  const Scenario s = load_scenario(fixture("full.yaml"));
  EXPECT_EQ(s.name, "full_run");
  EXPECT_EQ(s.seed, 0xDEADBEEFu);
  EXPECT_EQ(s.firmware, normal(fixtures() / "dummy.elf"));
  EXPECT_EQ(s.output, normal(fixtures() / "results"));
  EXPECT_DOUBLE_EQ(s.platform.cpu_hz, 1e9);
  EXPECT_DOUBLE_EQ(s.platform.timer_hz, 32768);
  EXPECT_DOUBLE_EQ(s.platform.quantum_s, 1.5e-3);
  EXPECT_EQ(s.platform.memory.base, 0x40000000u);
  EXPECT_EQ(s.platform.memory.size, 64u * 1024);
  EXPECT_DOUBLE_EQ(s.platform.memory.latency_ns, 0.1);
  const CpuParams d = default_cpu_params();
  const auto idx = [](InsnClass c) { return static_cast<unsigned>(c); };
  EXPECT_EQ(s.platform.cpu.cycles[idx(InsnClass::Mul)], 4u);
  EXPECT_EQ(s.platform.cpu.cycles[idx(InsnClass::Div)], 20u);
  EXPECT_EQ(s.platform.cpu.cycles[idx(InsnClass::Alu)], d.cycles[idx(InsnClass::Alu)]);
  EXPECT_EQ(s.platform.cpu.branch_taken_penalty, 0u);
  EXPECT_DOUBLE_EQ(s.platform.cpu.energy_pj[idx(InsnClass::Alu)], 50.0);
  EXPECT_DOUBLE_EQ(s.platform.cpu.energy_pj[idx(InsnClass::Load)], 125.0);
  EXPECT_DOUBLE_EQ(s.platform.cpu.energy_pj[idx(InsnClass::Store)], d.energy_pj[idx(InsnClass::Store)]);
  EXPECT_DOUBLE_EQ(s.platform.cpu.sleep_power_mw, 0.5);
  EXPECT_DOUBLE_EQ(s.limits.max_time_s, 0.25);
  EXPECT_EQ(s.limits.max_instructions, 300000000u);
  EXPECT_EQ(s.trace.vcd, "run.vcd");
  EXPECT_EQ(s.trace.signals, (std::vector<std::string>{"irq", "cpu"}));
  EXPECT_TRUE(s.trace.transactions);
}

TEST(Scenario, RelativePathsResolveAgainstTheScenarioFolder) {
  const fs::path old = fs::current_path();
  fs::current_path(source_dir());
  Scenario s;
  try {
    s = load_scenario("tests/unit/data/scenarios/minimal.yaml");
  } catch (...) {
    fs::current_path(old);
    throw;
  }
  fs::current_path(old);
  EXPECT_EQ(s.file, "tests/unit/data/scenarios/minimal.yaml");
  EXPECT_EQ(s.firmware, "tests/unit/data/scenarios/dummy.elf");
  EXPECT_EQ(s.output, "tests/unit/data/out/minimal");
}

// ---- scenarios: one exact message per error class ----------------------------------

TEST(ScenarioErrors, UnknownKeyWithSuggestion) {
  const std::string f = fixture("err_unknown_key.yaml");
  EXPECT_EQ(error_of(f), f + ":4:3: platform.quantm: unknown field 'quantm' (did you mean 'quantum'?)");
}

TEST(ScenarioErrors, WrongType) {
  const std::string f = fixture("err_wrong_type.yaml");
  EXPECT_EQ(error_of(f), f + ":2:7: seed: expected an unsigned integer, got a list");
}

TEST(ScenarioErrors, BadUnit) {
  const std::string f = fixture("err_bad_unit.yaml");
  EXPECT_EQ(error_of(f), f + ":4:12: platform.quantum: unknown time unit 'sec' in '10 sec' "
                             "(expected s, ms, us, ns or ps)");
}

TEST(ScenarioErrors, ZeroQuantum) {
  const std::string f = fixture("err_zero_quantum.yaml");
  EXPECT_EQ(error_of(f), f + ":3:12: platform.quantum: must be greater than zero, got '0 us'");
}

TEST(ScenarioErrors, MisalignedMemoryBase) {
  const std::string f = fixture("err_misaligned_base.yaml");
  EXPECT_EQ(error_of(f), f + ":4:11: platform.memory.base: must be 4-byte aligned, got 0x80000002");
}

TEST(ScenarioErrors, BadSignalName) {
  const std::string f = fixture("err_bad_signal.yaml");
  EXPECT_EQ(error_of(f),
            f + ":4:18: trace.signals[1]: unknown signal group 'uarts' (did you mean 'uart'?)");
}

TEST(ScenarioErrors, MissingFirmware) {
  const std::string f = fixture("err_missing_firmware.yaml");
  const std::string resolved = normal(fixtures() / ".." / "nowhere" / "app.elf");
  EXPECT_EQ(error_of(f), f + ":2:11: firmware: '" + resolved + "' does not exist");
  // Without file checks the same scenario loads.
  EXPECT_EQ(load_scenario(f, no_file_checks()).firmware, resolved);
}

TEST(ScenarioErrors, YamlSyntaxError) {
  const std::string f = fixture("err_syntax.yaml");
  EXPECT_EQ(error_of(f), f + ":4:7: YAML syntax error: end of map flow not found");
}

TEST(ScenarioErrors, MissingScenarioFile) {
  const std::string f = fixture("does_not_exist.yaml");
  EXPECT_EQ(error_of(f), f + ": cannot open scenario file");
  EXPECT_EQ(error_of(fixtures().string()), fixtures().string() + ": cannot open scenario file");
}

// More errors, on scenarios written by the test.
TEST_F(ScratchScenario, MissingFirmwareField) {
  EXPECT_EQ(error_of(write("s.yaml", "seed: 3\n")), where(1, 1) + "firmware: missing required field");
  EXPECT_EQ(error_of(write("s.yaml", "")), where(1, 1) + "firmware: missing required field");
}

TEST_F(ScratchScenario, FirmwareNotAFile) {
  fs::create_directory(dir_ / "folder.elf");
  EXPECT_EQ(error_of(write("s.yaml", "firmware: folder.elf\n")),
            where(1, 11) + "firmware: '" + (dir_ / "folder.elf").string() + "' is not a regular file");
}

TEST_F(ScratchScenario, TopLevelMustBeAMapping) {
  EXPECT_EQ(error_of(write("s.yaml", "- firmware: fw.elf\n")),
            where(1, 1) + "expected a mapping of fields, got a list");
}

TEST_F(ScratchScenario, SectionOfTheWrongType) {
  EXPECT_EQ(error_after_firmware("platform:\n  memory: 16 MiB\n"),
            where(3, 11) + "platform.memory: expected a mapping of fields, got '16 MiB'");
}

TEST_F(ScratchScenario, TimeWithoutUnit) {
  EXPECT_EQ(error_after_firmware("limits:\n  max_time: 10\n"),
            where(3, 13) + "limits.max_time: '10' has no unit; a time needs one "
                           "(expected s, ms, us, ns or ps), e.g. '10 us'");
}

TEST_F(ScratchScenario, UnknownTopLevelKey) {
  EXPECT_EQ(error_after_firmware("seed: 1\nplatfrom:\n  quantum: 1 us\n"),
            where(3, 1) + "platfrom: unknown field 'platfrom' (did you mean 'platform'?)");
  EXPECT_EQ(error_after_firmware("colour: blue\n"),
            where(2, 1) + "colour: unknown field 'colour' (expected one of: name, seed, firmware, "
                          "output, accelerator, platform, limits, trace, network)");
}

TEST_F(ScratchScenario, CpuClassesAndValues) {
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    cycles: {alu: 1, muls: 2}\n"),
            where(4, 22) + "platform.cpu.cycles.muls: unknown field 'muls' (did you mean 'mul'?)");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    cycles: {div: 0}\n"),
            where(4, 19) + "platform.cpu.cycles.div: must be at least 1, got '0'");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    energy_pj: {load: -3}\n"),
            where(4, 23) + "platform.cpu.energy_pj.load: must not be negative, got '-3'");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    cycles: {alu: 5000000000}\n"),
            where(4, 19) + "platform.cpu.cycles.alu: '5000000000' is too large (at most 255)");
}

TEST_F(ScratchScenario, MemoryLimits) {
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    size: 0\n"),
            where(4, 11) + "platform.memory.size: must be greater than zero, got '0'");
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    size: 3 GiB\n"),
            where(4, 11) + "platform.memory.size: '3 GiB' is too large (at most 2 GiB)");
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    size: 16 MB\n"),
            where(4, 11) + "platform.memory.size: ambiguous size unit 'MB' in '16 MB'; "
                           "write B, KiB, MiB, GiB or TiB (powers of 1024)");
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    base: 0xF0000000\n    size: 512 MiB\n"),
            where(5, 11) + "platform.memory.size: main memory [0xf0000000, 0x110000000) ends past "
                           "the 32-bit address space (base + size <= 0x100000000)");
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    base: 0x10000000\n"),
            where(4, 11) + "platform.memory.base: main memory [0x10000000, 0x11000000) overlaps "
                           "the UART registers at [0x10000000, 0x10000100)");
  EXPECT_EQ(error_after_firmware("platform:\n  memory:\n    base: -4\n"),
            where(4, 11) + "platform.memory.base: must not be negative, got '-4'");
}

TEST_F(ScratchScenario, Clocks) {
  EXPECT_EQ(error_after_firmware("platform:\n  cpu_clock: 0 Hz\n"),
            where(3, 14) + "platform.cpu_clock: a frequency must be greater than zero, got '0 Hz'");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu_clock: 5 GHz\n"),
            where(3, 14) + "platform.cpu_clock: must be between 1 Hz and 4294967295 Hz "
                           "(a 32-bit register), got 5 GHz");
}

TEST_F(ScratchScenario, Limits) {
  EXPECT_EQ(error_after_firmware("limits:\n  max_instructions: 0\n"),
            where(3, 21) + "limits.max_instructions: must be at least 1, got '0'");
  EXPECT_EQ(error_after_firmware("limits:\n  max_time: 0 s\n"),
            where(3, 13) + "limits.max_time: must be greater than zero, got '0 s'");
}

TEST_F(ScratchScenario, TraceFields) {
  EXPECT_EQ(error_after_firmware("trace:\n  vcd: ../x.vcd\n"),
            where(3, 8) + "trace.vcd: must be a file name inside the output folder "
                          "(no '/' or '..'), got '../x.vcd'");
  EXPECT_EQ(error_after_firmware("trace:\n  signals: [cpu, bus, cpu]\n"),
            where(3, 23) + "trace.signals[2]: signal group 'cpu' listed twice");
  EXPECT_EQ(error_after_firmware("trace:\n  signals: [gpu]\n"),
            where(3, 13) + "trace.signals[0]: unknown signal group 'gpu' (did you mean 'cpu'?)");
  EXPECT_EQ(error_after_firmware("trace:\n  signals: [dram]\n"),
            where(3, 13) + "trace.signals[0]: unknown signal group 'dram' "
                           "(expected one of: cpu, bus, uart, irq)");
  EXPECT_EQ(error_after_firmware("trace:\n  signals: cpu\n"),
            where(3, 12) + "trace.signals: expected a list, got 'cpu'");
  EXPECT_EQ(error_after_firmware("trace:\n  transactions: maybe\n"),
            where(3, 17) + "trace.transactions: expected true or false, got 'maybe'");
}

TEST_F(ScratchScenario, NameSeedAndDuplicates) {
  EXPECT_EQ(error_after_firmware("name: a/b\n"),
            where(2, 7) + "name: must be a plain name (it names the default output folder), got 'a/b'");
  EXPECT_EQ(error_after_firmware("seed: -1\n"), where(2, 7) + "seed: must not be negative, got '-1'");
  EXPECT_EQ(error_after_firmware("seed: 1\nseed: 2\n"),
            where(3, 1) + "seed: duplicate field 'seed' (first given at line 2)");
  const Scenario s = load_scenario(write("s.yaml", "firmware: fw.elf\nname: other\n"));
  EXPECT_EQ(s.name, "other");
  EXPECT_EQ(s.output, normal(dir_ / ".." / "out" / "other"));
}

TEST_F(ScratchScenario, OutputIsAFile) {
  std::ofstream(dir_ / "taken") << "x";
  EXPECT_EQ(error_after_firmware("output: taken\n"),
            where(2, 9) + "output: output folder '" + (dir_ / "taken").string() +
                "' exists and is not a folder");
}

TEST_F(ScratchScenario, AbsoluteFirmwarePath) {
  const std::string fw = (dir_ / "fw.elf").string();
  const Scenario s = load_scenario(write("s.yaml", "firmware: " + fw + "\n"));
  EXPECT_EQ(s.firmware, fw);
}

// ---- issue 14: values that were accepted and then went wrong ----------------------

// (4) cycles above 255 were clamped to 255 without a word (the core keeps 8 bits).
TEST_F(ScratchScenario, CpuCyclesAbove255AreRefused) {
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    cycles: {div: 256}\n"),
            where(4, 19) + "platform.cpu.cycles.div: '256' is too large (at most 255)");
  const Scenario s =
      load_scenario(write("s.yaml", "firmware: fw.elf\nplatform:\n  cpu:\n    cycles: {div: 255}\n"));
  EXPECT_EQ(s.platform.cpu.cycles[static_cast<unsigned>(InsnClass::Div)], 255u);
}

// (5) 1e308 pJ made the report's totals inf (not JSON): refused at load, as
// are numbers and times past what the models and the report can hold.
TEST_F(ScratchScenario, AbsurdNumbersAreRefused) {
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    energy_pj: {alu: 1e308}\n"),
            where(4, 22) + "platform.cpu.energy_pj.alu: must be at most 1e+09, got '1e308'");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    sleep_power_mw: 2e9\n"),
            where(4, 21) + "platform.cpu.sleep_power_mw: must be at most 1e+09, got '2e9'");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tiles: 1\n  tile:\n    crossbar:\n"
                                 "      adc_energy_pj: 1e10\n"),
            where(6, 22) + "accelerator.tile.crossbar.adc_energy_pj: must be at most 1e+09, got '1e10'");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tiles: 1\n  tile:\n    crossbar:\n"
                                 "      g_on: 1e300\n"),
            where(6, 13) + "accelerator.tile.crossbar.g_on: must be at most 1e+15, got '1e300'");
  EXPECT_EQ(error_after_firmware("limits:\n  max_time: 1e300 s\n"),
            where(3, 13) + "limits.max_time: must be at most 1e+06 s, got '1e300 s'");
  EXPECT_EQ(error_after_firmware("platform:\n  cpu:\n    energy_pj: {alu: .inf}\n"),
            where(4, 22) + "platform.cpu.energy_pj.alu: expected a number, got '.inf'");
  const Scenario s = load_scenario(
      write("s.yaml", "firmware: fw.elf\nplatform:\n  cpu:\n    energy_pj: {alu: 1e9}\n"));
  EXPECT_DOUBLE_EQ(s.platform.cpu.energy_pj[static_cast<unsigned>(InsnClass::Alu)], 1e9);
}

// (6) a quote left open at the end of the file was accepted.
TEST_F(ScratchScenario, UnterminatedQuoteIsASyntaxError) {
  EXPECT_EQ(error_after_firmware("name: \"abc\n"),
            where(2, 7) + "YAML syntax error: unterminated quoted string (no closing \" before "
                          "the end of the file)");
  EXPECT_EQ(error_after_firmware("name: 'abc\n"),
            where(2, 7) + "YAML syntax error: unterminated quoted string (no closing ' before "
                          "the end of the file)");
  // it swallowed the lines after it, which then went missing
  EXPECT_EQ(error_of(write("s.yaml", "name: \"abc\nfirmware: fw.elf\n")),
            where(1, 7) + "YAML syntax error: unterminated quoted string (no closing \" before "
                          "the end of the file)");
  // closed quotes with escapes are fine
  const Scenario s = load_scenario(
      write("s.yaml", "firmware: \"fw.elf\"\nname: 'it''s'\noutput: \"o\\\"ut\"\n"));
  EXPECT_EQ(s.name, "it's");
  EXPECT_EQ(s.output, (dir_ / "o\"ut").string());
}

// Found by tests/fuzz/fuzz_scenario: yaml-cpp 0.7 allocates without end on a
// ',' where a block value begins; refused before yaml-cpp sees it.
TEST_F(ScratchScenario, StrayCommaIsASyntaxErrorNotAHang) {
  const std::string msg = "YAML syntax error: ',' outside [ ] or { } where a value should begin";
  EXPECT_EQ(error_of(write("s.yaml", ",\n")), where(1, 1) + msg);
  EXPECT_EQ(error_of(write("s.yaml", ",")), where(1, 1) + msg);
  EXPECT_EQ(error_of(write("s.yaml", "# c\n---\n ,\n")), where(3, 2) + msg);
  EXPECT_EQ(error_after_firmware("seed:\n- a\n,\n"), where(4, 1) + msg);
  EXPECT_EQ(error_after_firmware("seed: &x ,\n"), where(2, 10) + msg);
  EXPECT_EQ(error_after_firmware("seed: !t ,\n"), where(2, 10) + msg);
  EXPECT_EQ(error_of(write("s.yaml", std::string("\0,", 2))),
            where(1, 1) + "YAML syntax error: control character 0x00 (YAML allows none)");
  EXPECT_EQ(error_after_firmware("name: a\x01\n"),
            where(2, 8) + "YAML syntax error: control character 0x01 (YAML allows none)");
  // commas inside flow collections, plain scalars, quotes and comments are fine
  const Scenario s = load_scenario(write(
      "s.yaml", "firmware: fw.elf # a, b\nname: \",x\"\ntrace: {signals: [cpu, bus,]}\noutput: a,b\n"));
  EXPECT_EQ(s.name, ",x");
  EXPECT_EQ(s.trace.signals, (std::vector<std::string>{"cpu", "bus"}));
  EXPECT_EQ(s.output, (dir_ / "a,b").string());
}

// (17) firmware paths may name the build folder: ${IMCVP_BUILD_DIR}, from the
// environment, else the folder of the running executable.
TEST_F(ScratchScenario, BuildDirVariable) {
  fs::create_directories(dir_ / "b" / "firmware");
  std::ofstream(dir_ / "b" / "firmware" / "app.elf") << "\x7f" "ELF";
  const char* old = std::getenv("IMCVP_BUILD_DIR");
  const std::string saved = old ? old : "";
  setenv("IMCVP_BUILD_DIR", (dir_ / "b").c_str(), 1);
  const std::string yaml = write("s.yaml", "firmware: ${IMCVP_BUILD_DIR}/firmware/app.elf\n");
  const Scenario s = load_scenario(yaml);
  EXPECT_EQ(s.firmware, (dir_ / "b" / "firmware" / "app.elf").string());
  unsetenv("IMCVP_BUILD_DIR");
  const Scenario t = load_scenario(yaml, no_file_checks());
  EXPECT_EQ(t.firmware, normal(fs::read_symlink("/proc/self/exe").parent_path() / "firmware" / "app.elf"));
  EXPECT_EQ(error_of(write("s.yaml", "firmware: ${HOME}/app.elf\n")),
            where(1, 11) + "firmware: unknown variable '${HOME}' (the one variable is ${IMCVP_BUILD_DIR})");
  EXPECT_EQ(error_of(write("s.yaml", "firmware: ${IMCVP_BUILD_DIR/app.elf\n")),
            where(1, 11) + "firmware: '${' without a closing '}' in '${IMCVP_BUILD_DIR/app.elf' "
                           "(the one variable is ${IMCVP_BUILD_DIR})");
  if (old) setenv("IMCVP_BUILD_DIR", saved.c_str(), 1);
}

// ---- the committed scenarios ----------------------------------------------------

TEST(CommittedScenarios, Parse) {
  const fs::path dir = source_dir() / "scenarios";
  for (const char* name : {"hello", "faults", "intbench"}) {
    SCOPED_TRACE(name);
    const fs::path file = dir / (std::string(name) + ".yaml");
    Scenario s;
    ASSERT_NO_THROW(s = load_scenario(file.string(), no_file_checks()));
    EXPECT_EQ(s.name, name);
    // ${IMCVP_BUILD_DIR}: the build under test (ctest sets it), not always <repo>/build
    const char* build = std::getenv("IMCVP_BUILD_DIR");
    const fs::path build_dir = build ? fs::path(build) : fs::read_symlink("/proc/self/exe").parent_path();
    EXPECT_EQ(s.firmware, normal(build_dir / "firmware" / "apps" / (std::string(name) + ".elf")));
    EXPECT_EQ(s.output, normal(source_dir() / "out" / name));
  }
  const Scenario hello = load_scenario((dir / "hello.yaml").string(), no_file_checks());
  EXPECT_EQ(hello.trace.vcd, "hello.vcd");
  EXPECT_EQ(hello.trace.signals, (std::vector<std::string>{"cpu", "bus", "uart", "irq"}));
  const Scenario bench = load_scenario((dir / "intbench.yaml").string(), no_file_checks());
  EXPECT_EQ(bench.trace.vcd, "");
  EXPECT_GE(bench.limits.max_instructions, 300000000u * 2);
  // ~300M instructions at up to ~2 cycles each must fit in simulated time.
  EXPECT_GE(bench.limits.max_time_s, 300e6 * 2 / bench.platform.cpu_hz);
}

// ---- accelerator ----------------------------------------------------------------

TEST_F(ScratchScenario, AcceleratorDefaultsToNone) {
  const Scenario s = load_scenario(write("s.yaml", "firmware: fw.elf\n"));
  EXPECT_EQ(s.accelerator.tiles, 0u);
  EXPECT_FALSE(s.accelerator.crossbars);
  EXPECT_FALSE(s.accelerator.ideal_crossbar);
  EXPECT_EQ(s.trace.signals, (std::vector<std::string>{"cpu", "bus", "uart", "irq"}));
}

TEST_F(ScratchScenario, AcceleratorFieldsRead) {
  const Scenario s = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\naccelerator:\n  tiles: 3\n  tile: {crossbars: 4, buffer_size: 64 KiB, "
      "ideal_crossbar: true}\n  dma: {burst_bytes: 128, setup: 20 ns, burst_overhead: 2 ns, "
      "energy_pj_per_byte: 12.5}\n"));
  EXPECT_EQ(s.accelerator.tiles, 3u);
  EXPECT_EQ(s.accelerator.crossbars, 4u);
  EXPECT_EQ(s.accelerator.buffer_bytes, 64u * 1024);
  EXPECT_TRUE(s.accelerator.ideal_crossbar);
  EXPECT_EQ(s.accelerator.dma_burst_bytes, 128u);
  EXPECT_DOUBLE_EQ(*s.accelerator.dma_setup_ns, 20.0);
  EXPECT_DOUBLE_EQ(*s.accelerator.dma_burst_overhead_ns, 2.0);
  EXPECT_DOUBLE_EQ(*s.accelerator.dma_energy_pj_per_byte, 12.5);
  EXPECT_EQ(s.trace.signals, (std::vector<std::string>{"cpu", "bus", "uart", "irq", "accel"}));
}

TEST_F(ScratchScenario, AcceleratorErrors) {
  EXPECT_EQ(error_after_firmware("accelerator:\n  tiles: 65\n"),
            where(3, 10) + "accelerator.tiles: '65' is too large (at most 64)");
  EXPECT_EQ(error_after_firmware("trace:\n  signals: [cpu, accel]\n"),
            where(3, 18) + "trace.signals[1]: signal group 'accel' needs an accelerator "
                           "(accelerator.tiles > 0)");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tiles: 1\nplatform:\n  memory: {base: 0x40000000}\n"),
            where(5, 18) + "platform.memory.base: main memory [0x40000000, 0x41000000) overlaps "
                           "the accelerator tiles registers at [0x40000000, 0x80000000)");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tile: {buffer_size: 16 MiB}\n").substr(0, where(3, 23).size() + 30),
            (where(3, 23) + "accelerator.tile.buffer_size: ").substr(0, where(3, 23).size() + 30));
}

// The output-path blocks' sections, read with each block's ParamTable.
TEST_F(ScratchScenario, TileBlockParameterTables) {
  const Scenario s = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    shift_add: {lanes: 64, energy_pj: 0.05}\n"
      "    activation: {lanes: 8}\n"));
  EXPECT_EQ(s.accelerator.shift_add.lanes, 64u);
  EXPECT_DOUBLE_EQ(s.accelerator.shift_add.energy_pj, 0.05);
  EXPECT_EQ(s.accelerator.activation.lanes, 8u);
  EXPECT_DOUBLE_EQ(s.accelerator.activation.energy_pj, ActivationParams{}.energy_pj);  // default kept
  EXPECT_EQ(s.accelerator.accumulator.lanes, AccumulatorParams{}.lanes);
  EXPECT_EQ(error_after_firmware("accelerator:\n  tile:\n    accumulator: {lanes: 0}\n"),
            where(4, 26) + "accelerator.tile.accumulator.lanes: must be 1..1048576, got 0");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tile:\n    shift_add: {energy_pj: -1}\n"),
            where(4, 28) + "accelerator.tile.shift_add.energy_pj: must be in [0, 1000000000], got -1");
  EXPECT_NE(error_after_firmware("accelerator:\n  tile:\n    activation: {lane: 4}\n").find("activation.lane"),
            std::string::npos);
}

// ---- accelerator.tile.crossbar -------------------------------------------------

TEST_F(ScratchScenario, CrossbarDefaultsAreTheModels) {
  const Scenario s = load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 1}\n"));
  const CrossbarParams d{};
  const CrossbarParams& c = s.accelerator.crossbar;
  EXPECT_EQ(c.rows, d.rows);
  EXPECT_EQ(c.cols, d.cols);
  EXPECT_EQ(c.cell_bits, d.cell_bits);
  EXPECT_EQ(c.adc_bits, d.adc_bits);
  EXPECT_EQ(c.signed_mode, d.signed_mode);
  EXPECT_EQ(c.variation_dist, d.variation_dist);
  EXPECT_DOUBLE_EQ(c.g_on_s, d.g_on_s);
  EXPECT_DOUBLE_EQ(c.program_sigma, d.program_sigma);
  EXPECT_DOUBLE_EQ(c.read_cycle_ns, d.read_cycle_ns);
  EXPECT_DOUBLE_EQ(c.verify_latency_ns, d.verify_latency_ns);
  EXPECT_DOUBLE_EQ(c.pulse_energy_pj, d.pulse_energy_pj);
  EXPECT_EQ(c.write_parallel_cells, d.write_parallel_cells);
  EXPECT_FALSE(s.network.enabled);
}

TEST_F(ScratchScenario, CrossbarEveryFieldRead) {
  const Scenario s = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\n"
      "accelerator:\n"
      "  tiles: 1\n"
      "  tile:\n"
      "    crossbar:\n"
      "      rows: 64\n      cols: 256\n      cell_bits: 1\n      weight_bits: 4\n"
      "      signed_mode: offset\n      dac_bits: 2\n      adc_bits: 6\n      adc_lsb_log2: 1\n"
      "      cols_per_adc: 4\n      g_on: 1e-4\n      g_off: 1e-6\n      variation: lognormal\n"
      "      program_sigma: 0.02\n      read_noise_sigma: 0.01\n      stuck_at_0_rate: 0.05\n"
      "      stuck_at_1_rate: 0.01\n      read_cycle: 50 ns\n      adc_latency: 2 ns\n"
      "      cell_read_energy_pj: 0.002\n      dac_energy_pj: 0.5\n      adc_energy_pj: 2\n"
      "      verify_tolerance: 0.2\n      max_pulses: 32\n      pulse_latency: 20 ns\n"
      "      pulse_energy_pj: 5\n      pulse_step: 0.05\n      pulse_step_sigma: 0.01\n"
      "      verify_latency: 60 ns\n      verify_energy_pj: 3\n      write_parallel_cells: 8\n"));
  const CrossbarParams& c = s.accelerator.crossbar;
  EXPECT_EQ(c.rows, 64u);
  EXPECT_EQ(c.cols, 256u);
  EXPECT_EQ(c.cell_bits, 1u);
  EXPECT_EQ(c.weight_bits, 4u);
  EXPECT_EQ(c.signed_mode, SignedMode::Offset);
  EXPECT_EQ(c.dac_bits, 2u);
  EXPECT_EQ(c.adc_bits, 6u);
  EXPECT_EQ(c.adc_lsb_log2, 1u);
  EXPECT_EQ(c.cols_per_adc, 4u);
  EXPECT_DOUBLE_EQ(c.g_on_s, 1e-4);
  EXPECT_DOUBLE_EQ(c.g_off_s, 1e-6);
  EXPECT_EQ(c.variation_dist, VariationDist::Lognormal);
  EXPECT_DOUBLE_EQ(c.program_sigma, 0.02);
  EXPECT_DOUBLE_EQ(c.read_noise_sigma, 0.01);
  EXPECT_DOUBLE_EQ(c.stuck_at_0_rate, 0.05);
  EXPECT_DOUBLE_EQ(c.stuck_at_1_rate, 0.01);
  EXPECT_DOUBLE_EQ(c.read_cycle_ns, 50.0);
  EXPECT_DOUBLE_EQ(c.adc_latency_ns, 2.0);
  EXPECT_DOUBLE_EQ(c.cell_read_energy_pj, 0.002);
  EXPECT_DOUBLE_EQ(c.dac_energy_pj, 0.5);
  EXPECT_DOUBLE_EQ(c.adc_energy_pj, 2.0);
  EXPECT_DOUBLE_EQ(c.verify_tolerance, 0.2);
  EXPECT_EQ(c.max_pulses, 32u);
  EXPECT_DOUBLE_EQ(c.pulse_latency_ns, 20.0);
  EXPECT_DOUBLE_EQ(c.pulse_energy_pj, 5.0);
  EXPECT_DOUBLE_EQ(c.pulse_step, 0.05);
  EXPECT_DOUBLE_EQ(c.pulse_step_sigma, 0.01);
  EXPECT_DOUBLE_EQ(c.verify_latency_ns, 60.0);
  EXPECT_DOUBLE_EQ(c.verify_energy_pj, 3.0);
  EXPECT_EQ(c.write_parallel_cells, 8u);
}

TEST_F(ScratchScenario, CrossbarIdealThenOverrides) {
  // ideal_crossbar alone: the model's ideal_crossbar() of the defaults.
  const Scenario ideal = load_scenario(write(
      "s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile: {ideal_crossbar: true}\n"));
  EXPECT_TRUE(ideal.accelerator.ideal_crossbar);
  const CrossbarParams want = ideal_crossbar(CrossbarParams{});
  EXPECT_EQ(ideal.accelerator.crossbar.adc_bits, want.adc_bits);
  EXPECT_DOUBLE_EQ(ideal.accelerator.crossbar.program_sigma, 0.0);

  // Fields written win over the ideal device.
  const Scenario s = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    ideal_crossbar: true\n"
      "    crossbar: {adc_bits: 6, read_noise_sigma: 0.01}\n"));
  EXPECT_EQ(s.accelerator.crossbar.adc_bits, 6u);
  EXPECT_DOUBLE_EQ(s.accelerator.crossbar.read_noise_sigma, 0.01);
  EXPECT_DOUBLE_EQ(s.accelerator.crossbar.program_sigma, 0.0);
  EXPECT_DOUBLE_EQ(s.accelerator.crossbar.stuck_at_0_rate, 0.0);
  EXPECT_DOUBLE_EQ(s.accelerator.crossbar.pulse_step_sigma, 0.0);

  // The ideal ADC is lossless for the geometry written (512 rows x 3 levels).
  const Scenario big = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    ideal_crossbar: true\n"
      "    crossbar: {rows: 512}\n"));
  CrossbarParams rows512;
  rows512.rows = 512;
  EXPECT_EQ(big.accelerator.crossbar.adc_bits, ideal_crossbar(rows512).adc_bits);
  EXPECT_EQ(big.accelerator.crossbar.adc_bits, 11u);

  // Without ideal_crossbar the written fields go over the defaults.
  const Scenario plain = load_scenario(write(
      "s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    crossbar: {adc_bits: 6}\n"));
  EXPECT_EQ(plain.accelerator.crossbar.adc_bits, 6u);
  EXPECT_DOUBLE_EQ(plain.accelerator.crossbar.program_sigma, CrossbarParams{}.program_sigma);
}

TEST_F(ScratchScenario, CrossbarErrors) {
  const std::string head = "accelerator:\n  tiles: 1\n  tile:\n    crossbar:\n";
  EXPECT_EQ(error_after_firmware(head + "      adc_bits: 0\n"),
            where(6, 17) + "accelerator.tile.crossbar.adc_bits: must be 1..16, got 0");
  EXPECT_EQ(error_after_firmware(head + "      adc_bits: 40\n"),
            where(6, 17) + "accelerator.tile.crossbar.adc_bits: must be 1..16, got 40");
  EXPECT_EQ(error_after_firmware(head + "      rows: 64\n      stuck_at_0_rate: 1.5\n"),
            where(7, 24) + "accelerator.tile.crossbar.stuck_at_0_rate: must be 0..1, got 1.5");
  EXPECT_EQ(error_after_firmware(head + "      stuck_at_0_rate: -0.1\n"),
            where(6, 24) + "accelerator.tile.crossbar.stuck_at_0_rate: must not be negative, got '-0.1'");
  EXPECT_EQ(error_after_firmware(head + "      adc_bit: 6\n"),
            where(6, 7) + "accelerator.tile.crossbar.adc_bit: unknown field 'adc_bit' "
                          "(did you mean 'adc_bits'?)");
  EXPECT_EQ(error_after_firmware(head + "      signed_mode: diferential\n"),
            where(6, 20) + "accelerator.tile.crossbar.signed_mode: unknown signed mode "
                           "'diferential' (did you mean 'differential'?)");
  EXPECT_EQ(error_after_firmware(head + "      variation: uniform\n"),
            where(6, 18) + "accelerator.tile.crossbar.variation: unknown variation distribution "
                           "'uniform' (expected one of: lognormal, gaussian)");
  EXPECT_EQ(error_after_firmware(head + "      read_cycle: 100\n"),
            where(6, 19) + "accelerator.tile.crossbar.read_cycle: '100' has no unit; a time needs "
                           "one (expected s, ms, us, ns or ps), e.g. '100 us'");
  EXPECT_EQ(error_after_firmware(head + "      g_on: 0\n"),
            where(6, 13) + "accelerator.tile.crossbar.g_on: must be greater than zero, got '0'");
  // g_off above the default g_on: blamed at g_off, which was written.
  EXPECT_EQ(error_after_firmware(head + "      g_off: 1\n"),
            where(6, 14) + "accelerator.tile.crossbar.g_off: must be 0 <= g_off < g_on, got 1");
  // A problem check_crossbar_params() names by a field not written
  // (cols_per_adc, too wide for the 6 columns written): at the section.
  EXPECT_EQ(error_after_firmware(head + "      cols: 6\n      weight_bits: 4\n"),
            where(6, 7) + "accelerator.tile.crossbar.cols_per_adc: must be 1..cols, got 8 "
                          "(not set: its default)");
  EXPECT_EQ(error_after_firmware(head + "      pulse_energy_pj: -1\n"),
            where(6, 24) + "accelerator.tile.crossbar.pulse_energy_pj: must not be negative, got '-1'");
  EXPECT_EQ(error_after_firmware(head + "      max_pulses: 0\n"),
            where(6, 19) + "accelerator.tile.crossbar.max_pulses: must be 1..100000, got 0");
  EXPECT_EQ(error_after_firmware("accelerator:\n  tiles: 1\n  tile:\n    crossbar: 3\n"),
            where(5, 15) + "accelerator.tile.crossbar: expected a mapping of fields, got '3'");
}

TEST_F(ScratchScenario, CrossbarLevelSigmaScaleAndWriteVerify) {
  const std::string head = "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    crossbar:\n";
  // Defaults: off, 1, true.
  const Scenario d = load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 1}\n"));
  EXPECT_TRUE(d.accelerator.crossbar.level_sigma.empty());
  EXPECT_EQ(d.accelerator.crossbar.variation_scale, 1.0);
  EXPECT_TRUE(d.accelerator.crossbar.write_verify);

  // A list, one sigma per level of the 2-bit default cell.
  const Scenario s = load_scenario(write(
      "s.yaml", head + "      level_sigma: [0.1, 0.2, 0, 0.35]\n      variation_scale: 2\n"
                       "      write_verify: false\n"));
  EXPECT_EQ(s.accelerator.crossbar.level_sigma, (std::vector<double>{0.1, 0.2, 0.0, 0.35}));
  EXPECT_DOUBLE_EQ(s.accelerator.crossbar.variation_scale, 2.0);
  EXPECT_FALSE(s.accelerator.crossbar.write_verify);

  // The preset, cut to the levels of the cell (cell_bits written after it).
  const std::vector<double> table = {0.1035, 0.1035, 0.2760, 0.2760,
                                     0.2259, 0.2259, 0.3549, 0.3549};
  const Scenario k2 = load_scenario(write("s.yaml", head + "      level_sigma: krishnan2022\n"));
  EXPECT_EQ(k2.accelerator.crossbar.level_sigma, std::vector<double>(table.begin(), table.begin() + 4));
  const Scenario k3 = load_scenario(
      write("s.yaml", head + "      level_sigma: krishnan2022\n      cell_bits: 3\n      weight_bits: 6\n"));
  EXPECT_EQ(k3.accelerator.crossbar.level_sigma, table);
  const Scenario k1 =
      load_scenario(write("s.yaml", head + "      cell_bits: 1\n      level_sigma: krishnan2022\n"));
  EXPECT_EQ(k1.accelerator.crossbar.level_sigma, std::vector<double>(table.begin(), table.begin() + 2));

  // ideal_crossbar clears them; fields written win.
  const Scenario ideal = load_scenario(write(
      "s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile: {ideal_crossbar: true}\n"));
  EXPECT_TRUE(ideal.accelerator.crossbar.level_sigma.empty());
  const Scenario over = load_scenario(write(
      "s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile:\n    ideal_crossbar: true\n"
                "    crossbar: {level_sigma: krishnan2022, variation_scale: 2, write_verify: false}\n"));
  EXPECT_EQ(over.accelerator.crossbar.level_sigma, std::vector<double>(table.begin(), table.begin() + 4));
  EXPECT_DOUBLE_EQ(over.accelerator.crossbar.variation_scale, 2.0);
  EXPECT_FALSE(over.accelerator.crossbar.write_verify);
  EXPECT_DOUBLE_EQ(over.accelerator.crossbar.program_sigma, 0.0);
}

TEST_F(ScratchScenario, CrossbarLevelSigmaScaleAndWriteVerifyErrors) {
  const std::string head = "accelerator:\n  tiles: 1\n  tile:\n    crossbar:\n";
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: [0.1, 0.2, 0.3]\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: must have 4 entries (one per "
                           "level of a 2-bit cell), got 3");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4]\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: must have 4 entries (one per "
                           "level of a 2-bit cell), got 8");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: [0.1, -0.2, 0.3, 0.3]\n"),
            where(6, 26) + "accelerator.tile.crossbar.level_sigma[1]: must not be negative, got '-0.2'");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: [0.1, 0.2, 11, 0.3]\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: entry 2 (level 2) must be 0..10, got 11");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: [0.1, x, 0.3, 0.3]\n"),
            where(6, 26) + "accelerator.tile.crossbar.level_sigma[1]: expected a number, got 'x'");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: krishnan2021\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: unknown level_sigma preset "
                           "'krishnan2021' (did you mean 'krishnan2022'?)");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: 0.1\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: expected a list of sigmas, one "
                           "per level, or a preset name (krishnan2022), got '0.1' (one sigma for "
                           "every level is program_sigma)");
  EXPECT_EQ(error_after_firmware(head + "      level_sigma: {a: 1}\n"),
            where(6, 20) + "accelerator.tile.crossbar.level_sigma: expected a list of sigmas, one "
                           "per level, or a preset name (krishnan2022), got a mapping");
  EXPECT_EQ(error_after_firmware(head + "      cell_bits: 4\n      weight_bits: 8\n      level_sigma: krishnan2022\n"),
            where(8, 20) + "accelerator.tile.crossbar.level_sigma: preset 'krishnan2022' has sigmas "
                           "for cells of 1..3 bits (8 levels), cell_bits is 4");
  EXPECT_EQ(error_after_firmware(head + "      variation_scale: -1\n"),
            where(6, 24) + "accelerator.tile.crossbar.variation_scale: must not be negative, got '-1'");
  EXPECT_EQ(error_after_firmware(head + "      variation_scale: 300\n"),
            where(6, 24) + "accelerator.tile.crossbar.variation_scale: must keep the programming "
                           "sigma at most 10, got 300 x program_sigma 0.05 = 15");
  EXPECT_EQ(error_after_firmware(head + "      write_verify: maybe\n"),
            where(6, 21) + "accelerator.tile.crossbar.write_verify: expected true or false, got 'maybe'");
  EXPECT_EQ(error_after_firmware(head + "      write_verfy: false\n"),
            where(6, 7) + "accelerator.tile.crossbar.write_verfy: unknown field 'write_verfy' "
                          "(did you mean 'write_verify'?)");
}

// ---- network ----------------------------------------------------------------------

namespace {

// A scratch scenario with an ONNX file and a dataset folder beside it.
class NetworkScenario : public ScratchScenario {
 protected:
  void SetUp() override {
    ScratchScenario::SetUp();
    std::ofstream(dir_ / "net.onnx") << "onnx";
    fs::create_directory(dir_ / "data");
  }
  // firmware, an accelerator, then `network:` with `fields` (each line
  // indented by the caller); the network's fields start at line 4.
  std::string scenario(const std::string& fields) {
    return write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 1}\nnetwork:\n" + fields);
  }
  std::string error(const std::string& fields) { return error_of(scenario(fields)); }
};

}  // namespace

TEST_F(NetworkScenario, DefaultsFromTheCompiler) {
  const Scenario s = load_scenario(scenario("  onnx: net.onnx\n  dataset: data\n"));
  const compiler::CompileOptions d{};
  EXPECT_TRUE(s.network.enabled);
  EXPECT_EQ(s.network.compile.onnx_path, normal(dir_ / "net.onnx"));
  EXPECT_EQ(s.network.compile.dataset_dir, normal(dir_ / "data"));
  EXPECT_EQ(s.network.compile.calibration_images, d.calibration_images);
  EXPECT_EQ(s.network.compile.quant.weight_bits, d.quant.weight_bits);
  EXPECT_EQ(s.network.compile.quant.act_bits, d.quant.act_bits);
  EXPECT_EQ(s.network.compile.quant.calibration, d.quant.calibration);
  EXPECT_EQ(s.network.images, kFashionMnistTestImages);
  EXPECT_EQ(s.network.first_image, 0u);
  EXPECT_TRUE(s.network.reference);
  EXPECT_EQ(s.network.program_image, "");

  // The default dataset folder is the compiler's (not checked here).
  const Scenario n = load_scenario(scenario("  onnx: net.onnx\n"), no_file_checks());
  EXPECT_EQ(n.network.compile.dataset_dir, std::string(compiler::kFashionMnistDir));

  // `network:` left empty: no network.
  const Scenario none = load_scenario(write("s.yaml", "firmware: fw.elf\nnetwork:\n"));
  EXPECT_FALSE(none.network.enabled);
}

TEST_F(NetworkScenario, EveryFieldRead) {
  std::ofstream(dir_ / "cnn.img") << "img";
  const std::string data = (dir_ / "data").string();
  const Scenario s = load_scenario(scenario(
      "  onnx: net.onnx\n  dataset: " + data + "\n  images: 500\n  first_image: 9500\n"
      "  calibration_images: 200\n  weight_bits: 4\n  act_bits: 6\n  percentile: 99.9\n"
      "  reference: false\n  program_image: cnn.img\n"));
  EXPECT_EQ(s.network.compile.dataset_dir, data);  // absolute: kept
  EXPECT_EQ(s.network.images, 500u);
  EXPECT_EQ(s.network.first_image, 9500u);
  EXPECT_EQ(s.network.compile.calibration_images, 200u);
  EXPECT_EQ(s.network.compile.quant.weight_bits, 4);
  EXPECT_EQ(s.network.compile.quant.act_bits, 6);
  EXPECT_EQ(s.network.compile.quant.calibration, compiler::Calibration::Percentile);
  EXPECT_DOUBLE_EQ(s.network.compile.quant.percentile, 99.9);
  EXPECT_FALSE(s.network.reference);
  EXPECT_EQ(s.network.program_image, normal(dir_ / "cnn.img"));
}

TEST_F(NetworkScenario, RelativePathsResolveAgainstTheScenarioFolder) {
  fs::create_directories(dir_ / "scenarios");
  fs::create_directories(dir_ / "networks");
  std::ofstream(dir_ / "networks" / "cnn.onnx") << "onnx";
  const std::string path = (dir_ / "scenarios" / "s.yaml").string();
  std::ofstream(path) << "firmware: ../fw.elf\naccelerator: {tiles: 1}\n"
                         "network: {onnx: ../networks/cnn.onnx, dataset: ../data}\n";
  const Scenario s = load_scenario(path);
  EXPECT_EQ(s.network.compile.onnx_path, normal(dir_ / "networks" / "cnn.onnx"));
  EXPECT_EQ(s.network.compile.dataset_dir, normal(dir_ / "data"));
}

TEST_F(NetworkScenario, Errors) {
  EXPECT_EQ(error_of(write("s.yaml", "firmware: fw.elf\nnetwork:\n  onnx: net.onnx\n")),
            where(3, 3) + "network: a network needs the accelerator (accelerator.tiles > 0)");
  EXPECT_EQ(error("  dataset: data\n"), where(4, 3) + "network.onnx: missing required field");
  EXPECT_EQ(error("  onnx: missing.onnx\n  dataset: data\n"),
            where(4, 9) + "network.onnx: '" + normal(dir_ / "missing.onnx") + "' does not exist");
  EXPECT_EQ(error("  onnx: data\n  dataset: data\n"),
            where(4, 9) + "network.onnx: '" + normal(dir_ / "data") + "' is not a regular file");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  program_image: x.img\n"),
            where(6, 18) + "network.program_image: '" + normal(dir_ / "x.img") + "' does not exist");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: nodata\n"),
            where(5, 12) + "network.dataset: dataset folder '" + normal(dir_ / "nodata") +
                "' does not exist");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  images: 2000\n  first_image: 9000\n"),
            where(6, 11) + "network.images: first_image + images = 9000 + 2000 = 11000 runs past "
                           "the 10000 images of the Fashion-MNIST test split");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  first_image: 1\n"),
            where(6, 16) + "network.first_image: first_image + images = 1 + 10000 = 10001 runs past "
                           "the 10000 images of the Fashion-MNIST test split (network.images is "
                           "10000 by default: set it to at most 9999)");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  images: 0\n"),
            where(6, 11) + "network.images: must be at least 1, got '0'");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  weight_bits: 9\n"),
            where(6, 16) + "network.weight_bits: '9' is too large (at most 8)");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  act_bits: 1\n"),
            where(6, 13) + "network.act_bits: must be at least 2, got '1'");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  calibration_images: 60001\n"),
            where(6, 23) + "network.calibration_images: '60001' is too large (at most 60000)");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  percentile: 0\n"),
            where(6, 15) + "network.percentile: must be in (0, 100], got '0'");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  percentile: 100.5\n"),
            where(6, 15) + "network.percentile: must be in (0, 100], got '100.5'");
  EXPECT_EQ(error("  onnx: net.onnx\n  dataset: data\n  image: 5\n"),
            where(6, 3) + "network.image: unknown field 'image' (did you mean 'images'?)");
  EXPECT_EQ(error("  onnx: ''\n"), where(4, 9) + "network.onnx: must name the ONNX network file, got an empty string");
  EXPECT_EQ(error_of(write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 1}\nnetwork: cnn\n")),
            where(3, 10) + "network: expected a mapping of fields, got 'cnn'");
  // Without file checks, missing files are fine (not built yet).
  EXPECT_NO_THROW(load_scenario(scenario("  onnx: missing.onnx\n  dataset: nodata\n"), no_file_checks()));
}

// Every committed scenario loads (its firmware may not be built yet).
TEST(Scenario, CommittedScenariosLoad) {
  ScenarioLoadOptions o;
  o.check_files = false;
  unsigned n = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    EXPECT_NO_THROW(load_scenario(e.path().string(), o)) << e.path();
  }
  EXPECT_GE(n, 5u);
  const Scenario cnn = load_scenario((source_dir() / "scenarios" / "fmnist_cnn.yaml").string(), o);
  EXPECT_TRUE(cnn.network.enabled);
  EXPECT_EQ(cnn.network.images, kFashionMnistTestImages);
  EXPECT_EQ(cnn.accelerator.tiles, 1u);
  EXPECT_FALSE(cnn.network.reprogram);
  const Scenario q = load_scenario((source_dir() / "scenarios" / "fmnist_cnn_quarter.yaml").string(), o);
  EXPECT_TRUE(q.network.reprogram);
}

// ---- accelerator.noc ------------------------------------------------------------

TEST_F(ScratchScenario, NocOffByDefaultAndItsFieldsRead) {
  const Scenario off = load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 2}\n"));
  EXPECT_FALSE(off.accelerator.noc);
  const Scenario s = load_scenario(write(
      "s.yaml",
      "firmware: fw.elf\naccelerator:\n  tiles: 5\n  noc:\n    width: 3\n    height: 2\n    flit_bytes: 8\n"
      "    clock: 500 ps\n    router_pipeline_cycles: 3\n    link_cycles: 2\n    header_flits: 0\n"
      "    router_energy_pj_per_flit: 1.5\n    link_energy_pj_per_flit: 0.5\n"));
  const MeshParams& m = s.accelerator.noc_mesh;
  EXPECT_TRUE(s.accelerator.noc);
  EXPECT_EQ(m.width, 3u);
  EXPECT_EQ(m.height, 2u);
  EXPECT_EQ(m.flit_bytes, 8u);
  EXPECT_DOUBLE_EQ(m.clock_ns, 0.5);
  EXPECT_EQ(m.router_pipeline_cycles, 3u);
  EXPECT_EQ(m.link_cycles, 2u);
  EXPECT_EQ(m.header_flits, 0u);
  EXPECT_DOUBLE_EQ(m.router_energy_pj_per_flit, 1.5);
  EXPECT_DOUBLE_EQ(m.link_energy_pj_per_flit, 0.5);
  EXPECT_EQ(s.accelerator.noc_memory_node, 3u);  // (0,1): the last node in snake order
  const Scenario d = load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 2\n  noc: {memory_node: [3, 0]}\n"));
  EXPECT_EQ(d.accelerator.noc_memory_node, 3u);
  EXPECT_EQ(d.accelerator.noc_mesh.width, MeshParams{}.width);
}

TEST_F(ScratchScenario, NocErrorsNameTheField) {
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 4\n  noc: {width: 2, height: 2}\n")
                .find("accelerator.noc: a 2 x 2 mesh has 4 nodes; 4 tiles and the memory interface need 5"),
            std::string::npos);
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 2\n  noc: {memory_node: [1, 0]}\n")
                .find("accelerator.noc.memory_node: node (1,0) is tile 1's"),
            std::string::npos);
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 1\n  noc:\n    flit_bytes: 0\n").find("accelerator.noc.flit_bytes"),
            std::string::npos);
  EXPECT_NE(error_after_firmware("accelerator:\n  noc: {width: 2}\n").find("a NoC needs the accelerator"),
            std::string::npos);
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 1\n  noc: {widht: 2}\n").find("did you mean 'width'"),
            std::string::npos);
}

TEST_F(ScratchScenario, TileModeAndEstimateDensity) {
  const Scenario f = load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator: {tiles: 1}\n"));
  EXPECT_FALSE(f.accelerator.estimate);
  EXPECT_FALSE(f.accelerator.estimate_input_density.has_value());
  const Scenario e = load_scenario(write(
      "s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  tile: {mode: estimate, estimate_input_density: 0.3}\n"));
  EXPECT_TRUE(e.accelerator.estimate);
  EXPECT_DOUBLE_EQ(*e.accelerator.estimate_input_density, 0.3);
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 1\n  tile: {mode: fast}\n").find("accelerator.tile.mode"),
            std::string::npos);
  EXPECT_NE(error_after_firmware("accelerator:\n  tiles: 1\n  tile: {estimate_input_density: 1.5}\n")
                .find("accelerator.tile.estimate_input_density: must be a fraction 0..1"),
            std::string::npos);
}

TEST_F(ScratchScenario, NetworkExecutionMode) {
  std::ofstream(dir_ / "n.onnx") << "x";
  const std::string head = "firmware: fw.elf\naccelerator: {tiles: 2}\nnetwork:\n  onnx: n.onnx\n";
  EXPECT_FALSE(load_scenario(write("s.yaml", head)).network.pipelined);
  EXPECT_TRUE(load_scenario(write("s.yaml", head + "  execution: pipelined\n")).network.pipelined);
  EXPECT_NE(error_of(write("s.yaml", head + "  execution: pipelind\n")).find("did you mean 'pipelined'"),
            std::string::npos);
}

TEST_F(ScratchScenario, AcceleratorThreads) {
  EXPECT_EQ(load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n")).accelerator.threads, 0u);
  EXPECT_EQ(load_scenario(write("s.yaml", "firmware: fw.elf\naccelerator:\n  tiles: 1\n  threads: 3\n"))
                .accelerator.threads,
            3u);
  const std::string e = error_after_firmware("accelerator:\n  tiles: 1\n  threads: 5000\n");
  EXPECT_NE(e.find("threads"), std::string::npos) << e;
  EXPECT_EQ(e.rfind(where(4, 12), 0), 0u) << e;
}
