// Scenario loading: one function per section, each reading its YAML mapping
// through YamlMap (unknown keys rejected) and applying the documented
// defaults (docs/scenario.md). A new section (tiles, NoC ...) adds its
// struct to Scenario and a read_<section>() here.
#include "platform/scenario.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "imcvp/memory_map.h"
#include "models/noc/xy_route.hpp"
#include "platform/param_reader.hpp"
#include "platform/units.hpp"
#include "platform/yaml_reader.hpp"

namespace imcvp {
namespace {

namespace fs = std::filesystem;

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// `rel` joined to the scenario's folder (unless absolute), lexically
// normalised, without a trailing separator.
std::string resolve(const fs::path& folder, const std::string& rel) {
  fs::path p = (folder / fs::path(rel)).lexically_normal();
  if (p.has_parent_path() && p.filename().empty()) p = p.parent_path();
  if (p.empty()) p = ".";
  return p.string();
}

// Fixed MMIO regions main memory must not overlap (memory_map.h).
struct Region {
  const char* name;
  uint64_t base, size;
  bool accelerator;  // only with an accelerator (accelerator.tiles > 0)
};
constexpr Region kFixedRegions[] = {
    {"CLINT", IMCVP_CLINT_BASE, IMCVP_CLINT_SIZE, false},
    {"UART", IMCVP_UART_BASE, IMCVP_UART_SIZE, false},
    {"simulation-control", IMCVP_SIMCTRL_BASE, IMCVP_SIMCTRL_SIZE, false},
    {"DMA", IMCVP_DMA_BASE, IMCVP_DMA_SIZE, true},
    {"accelerator tiles", IMCVP_TILE_BASE, uint64_t{IMCVP_TILE_MAX_TILES} * IMCVP_TILE_STRIDE, true},
    {"workload memory", IMCVP_WORKLOAD_BASE, IMCVP_WORKLOAD_MAX_SIZE, true},
};

void read_memory(YamlMap m, MainMemoryConfig& mem, bool accelerator) {
  mem.base = IMCVP_RAM_BASE_DEFAULT;
  mem.size = IMCVP_RAM_SIZE_DEFAULT;
  mem.latency_ns = 10.0;

  constexpr uint64_t k4G = uint64_t{1} << 32;
  constexpr uint64_t k2G = uint64_t{1} << 31;
  std::optional<YamlValue> base = m.get("base");
  if (base) {
    mem.base = base->as_uint(0, k4G - 1);
    if (mem.base % 4 != 0)
      base->fail("must be 4-byte aligned, got " + units::format_hex(mem.base));
  }
  std::optional<YamlValue> size = m.get("size");
  if (size) {
    mem.size = size->as_size(1, k2G);
    if (mem.size % 4 != 0)
      size->fail("must be a multiple of 4 bytes, got " + std::to_string(mem.size));
  }
  if (auto v = m.get("latency")) mem.latency_ns = v->as_time_s(Sign::NonNegative) * 1e9;
  m.finish();

  // Blame the field the user wrote (size first: it is what usually grows).
  auto blame = [&](const std::string& problem) {
    if (size) size->fail(problem);
    if (base) base->fail(problem);
    m.fail(problem);
  };
  const uint64_t end = mem.base + mem.size;
  const std::string range = "[" + units::format_hex(mem.base) + ", " + units::format_hex(end) + ")";
  if (end > k4G)
    blame("main memory " + range + " ends past the 32-bit address space (base + size <= 0x100000000)");
  for (const Region& r : kFixedRegions) {
    if (r.accelerator && !accelerator) continue;
    if (mem.base < r.base + r.size && r.base < end)
      blame("main memory " + range + " overlaps the " + r.name + " registers at [" +
            units::format_hex(r.base) + ", " + units::format_hex(r.base + r.size) + ")");
  }
}

void read_cpu(YamlMap m, CpuParams& cpu) {
  cpu = default_cpu_params();
  YamlMap cycles = m.section("cycles");
  YamlMap energy = m.section("energy_pj");
  for (unsigned i = 0; i < kInsnClassCount; ++i) {
    if (auto v = cycles.get(kInsnClassNames[i])) cpu.cycles[i] = v->as_uint32(1, kMaxInsnCycles);
    if (auto v = energy.get(kInsnClassNames[i]))
      cpu.energy_pj[i] = v->as_double(Sign::NonNegative, kMaxEnergyPj);
  }
  cycles.finish();
  energy.finish();
  if (auto v = m.get("branch_taken_penalty")) cpu.branch_taken_penalty = v->as_uint32(0);
  if (auto v = m.get("sleep_power_mw"))
    cpu.sleep_power_mw = v->as_double(Sign::NonNegative, kMaxSleepPowerMw);
  if (auto v = m.get("misaligned"))
    cpu.misaligned = static_cast<MisalignedAccess>(v->as_choice(
        std::vector<std::string>(kMisalignedAccessNames.begin(), kMisalignedAccessNames.end()),
        "misaligned access mode"));
  m.finish();
}

// The firmware reads the clocks from 32-bit registers (IMCVP_SIMCTRL_*_HZ).
double read_clock(const YamlValue& v) {
  const double hz = v.as_frequency_hz();
  if (hz < 1 || hz > 4294967295.0)
    v.fail("must be between 1 Hz and 4294967295 Hz (a 32-bit register), got " +
           units::format_frequency(hz));
  return hz;
}

void read_platform(YamlMap m, PlatformParams& p, bool accelerator) {
  p.cpu_hz = 100e6;
  p.timer_hz = IMCVP_MTIME_HZ_DEFAULT;
  p.quantum_s = 10e-6;
  if (auto v = m.get("cpu_clock")) p.cpu_hz = read_clock(*v);
  if (auto v = m.get("timer_clock")) p.timer_hz = read_clock(*v);
  if (auto v = m.get("quantum")) p.quantum_s = v->as_time_s(Sign::Positive);
  read_memory(m.section("memory"), p.memory, accelerator);
  read_cpu(m.section("cpu"), p.cpu);
  m.finish();
}

void read_limits(YamlMap m, LimitParams& l) {
  l.max_time_s = 10.0;
  l.max_instructions = 2000000000;
  if (auto v = m.get("max_time")) l.max_time_s = v->as_time_s(Sign::Positive);
  if (auto v = m.get("max_instructions")) l.max_instructions = v->as_uint(1);
  m.finish();
}

const std::vector<std::string> kSignalGroups = {"cpu", "bus", "uart", "irq", "accel"};

// The YAML key of a field check_crossbar_params() names (its names are the
// keys, but for the distribution and the energies, which carry their unit).
std::string crossbar_yaml_key(const std::string& field) {
  if (field == "variation_dist") return "variation";
  if (field.size() > 7 && field.compare(field.size() - 7, 7, "_energy") == 0) return field + "_pj";
  return field;
}

template <size_t N>
std::vector<std::string> choice_names(const std::array<const char*, N>& names) {
  return std::vector<std::string>(names.begin(), names.end());
}

// accelerator.tile.crossbar (`section`, absent or null: no fields) over
// CrossbarParams{}. With `ideal`, ideal_crossbar() of the geometry the
// section gives, and then the fields written, which always win. The result
// is checked with check_crossbar_params(); a problem is reported at the
// field it names if the user wrote it, else at the section.
void read_crossbar(YamlMap m, const std::optional<YamlValue>& section, bool ideal,
                   CrossbarParams& out) {
  // Each field written: its value and how it sets the parameter.
  std::vector<std::pair<YamlValue, std::function<void(CrossbarParams&)>>> given;
  auto get = [&](const char* key) { return m.get(key); };
  auto set_uint = [&](const char* key, unsigned CrossbarParams::*f) {
    if (auto v = get(key)) {
      const unsigned x = v->as_uint32();
      given.emplace_back(*v, [f, x](CrossbarParams& p) { p.*f = x; });
    }
  };
  auto set_double = [&](const char* key, double CrossbarParams::*f, Sign sign) {
    if (auto v = get(key)) {
      const std::string k = key;
      const bool energy = k.size() > 3 && k.compare(k.size() - 3, 3, "_pj") == 0;
      const double x = v->as_double(sign, energy ? kMaxEnergyPj : kMaxScenarioNumber);
      given.emplace_back(*v, [f, x](CrossbarParams& p) { p.*f = x; });
    }
  };
  auto set_time_ns = [&](const char* key, double CrossbarParams::*f) {
    if (auto v = get(key)) {
      const double x = v->as_time_s(Sign::NonNegative) * 1e9;
      given.emplace_back(*v, [f, x](CrossbarParams& p) { p.*f = x; });
    }
  };
  using P = CrossbarParams;
  // geometry and weight format
  set_uint("rows", &P::rows);
  set_uint("cols", &P::cols);
  set_uint("cell_bits", &P::cell_bits);
  set_uint("weight_bits", &P::weight_bits);
  if (auto v = get("signed_mode")) {
    const auto mode =
        static_cast<SignedMode>(v->as_choice(choice_names(kSignedModeNames), "signed mode"));
    given.emplace_back(*v, [mode](P& p) { p.signed_mode = mode; });
  }
  // converters
  set_uint("dac_bits", &P::dac_bits);
  set_uint("adc_bits", &P::adc_bits);
  set_uint("adc_lsb_log2", &P::adc_lsb_log2);
  set_uint("cols_per_adc", &P::cols_per_adc);
  // device
  set_double("g_on", &P::g_on_s, Sign::Positive);
  set_double("g_off", &P::g_off_s, Sign::NonNegative);
  if (auto v = get("variation")) {
    const auto dist = static_cast<VariationDist>(
        v->as_choice(choice_names(kVariationDistNames), "variation distribution"));
    given.emplace_back(*v, [dist](P& p) { p.variation_dist = dist; });
  }
  set_double("program_sigma", &P::program_sigma, Sign::NonNegative);
  if (auto v = get("level_sigma")) {
    // A list of sigmas, one per level (checked against cell_bits by
    // check_crossbar_params), or a preset's name, cut to the cell's levels.
    const YamlValue at = *v;
    if (v->is_list()) {
      std::vector<double> sigmas;
      for (const YamlValue& item : v->as_list()) sigmas.push_back(item.as_double(Sign::NonNegative));
      given.emplace_back(at, [sigmas](P& p) { p.level_sigma = sigmas; });
    } else {
      const std::vector<std::string> presets = choice_names(kLevelSigmaPresetNames);
      if (v->is_scalar()) {
        const std::string t = v->as_string();
        char* end = nullptr;
        std::strtod(t.c_str(), &end);
        if (!t.empty() && end && *end == '\0')
          v->fail("expected a list of sigmas, one per level, or a preset name (krishnan2022), got '" +
                  t + "' (one sigma for every level is program_sigma)");
      } else if (!v->is_null()) {
        v->fail("expected a list of sigmas, one per level, or a preset name (krishnan2022), got " +
                v->describe());
      }
      const std::string name = presets[v->as_choice(presets, "level_sigma preset")];
      given.emplace_back(at, [name, at](P& p) {
        if (p.cell_bits < 1 || p.cell_bits > 8) return;  // check_crossbar_params blames cell_bits
        std::string problem;
        const std::optional<std::vector<double>> sigmas = level_sigma_preset(name, p.cell_bits, &problem);
        if (!sigmas) at.fail(problem);
        p.level_sigma = *sigmas;
      });
    }
  }
  set_double("variation_scale", &P::variation_scale, Sign::NonNegative);
  set_double("read_noise_sigma", &P::read_noise_sigma, Sign::NonNegative);
  set_double("stuck_at_0_rate", &P::stuck_at_0_rate, Sign::NonNegative);
  set_double("stuck_at_1_rate", &P::stuck_at_1_rate, Sign::NonNegative);
  // read costs
  set_time_ns("read_cycle", &P::read_cycle_ns);
  set_time_ns("adc_latency", &P::adc_latency_ns);
  set_double("cell_read_energy_pj", &P::cell_read_energy_pj, Sign::NonNegative);
  set_double("dac_energy_pj", &P::dac_energy_pj, Sign::NonNegative);
  set_double("adc_energy_pj", &P::adc_energy_pj, Sign::NonNegative);
  // write-and-verify programming
  set_double("verify_tolerance", &P::verify_tolerance, Sign::Positive);
  set_uint("max_pulses", &P::max_pulses);
  set_time_ns("pulse_latency", &P::pulse_latency_ns);
  set_double("pulse_energy_pj", &P::pulse_energy_pj, Sign::NonNegative);
  set_double("pulse_step", &P::pulse_step, Sign::NonNegative);
  set_double("pulse_step_sigma", &P::pulse_step_sigma, Sign::NonNegative);
  set_time_ns("verify_latency", &P::verify_latency_ns);
  set_double("verify_energy_pj", &P::verify_energy_pj, Sign::NonNegative);
  set_uint("write_parallel_cells", &P::write_parallel_cells);
  if (auto v = get("write_verify")) {
    const bool verify = v->as_bool();
    given.emplace_back(*v, [verify](P& p) { p.write_verify = verify; });
  }
  m.finish();

  auto check = [&](const CrossbarParams& p) {
    const std::optional<CrossbarParamError> e = check_crossbar_params(p);
    if (!e) return;
    const std::string key = crossbar_yaml_key(e->field);
    const std::string path = m.child_path(key);
    for (const auto& entry : given)
      if (entry.first.path() == path) entry.first.fail(e->problem);
    const std::string problem = e->problem + " (not set: its default)";
    if (section)
      throw ScenarioError(format_scenario_error(section->file(), section->mark(), path, problem));
    m.fail(key + ": " + problem);  // not reached: the defaults are valid
  };
  auto apply = [&](CrossbarParams p) {
    for (const auto& entry : given) entry.second(p);
    return p;
  };
  out = apply(CrossbarParams{});
  check(out);  // before ideal_crossbar(), which needs a valid geometry
  if (ideal) {
    out = apply(ideal_crossbar(out));
    check(out);
  }
}

// Unset fields: the models' own defaults (TileParams, DmaParams), applied by the platform.
// accelerator.noc: the mesh's fields over MeshParams{}, checked with
// check_mesh_params() at the field; then the node count and the memory node.
void read_noc(YamlMap m, const YamlValue& section, AcceleratorConfig& a) {
  MeshParams& p = a.noc_mesh;
  std::map<std::string, YamlValue> seen;
  auto u = [&](const char* key, unsigned& field) {
    if (auto v = m.get(key)) {
      field = v->as_uint32(1, 1u << 16);
      seen.emplace(key, *v);
    }
  };
  u("width", p.width);
  u("height", p.height);
  u("flit_bytes", p.flit_bytes);
  u("router_pipeline_cycles", p.router_pipeline_cycles);
  u("link_cycles", p.link_cycles);
  if (auto v = m.get("header_flits")) {
    p.header_flits = v->as_uint32(0, 1u << 16);
    seen.emplace("header_flits", *v);
  }
  if (auto v = m.get("clock")) {
    p.clock_ns = v->as_time_s(Sign::Positive) * 1e9;
    seen.emplace("clock_ns", *v);
  }
  if (auto v = m.get("router_energy_pj_per_flit")) {
    p.router_energy_pj_per_flit = v->as_double(Sign::NonNegative, kMaxEnergyPj);
    seen.emplace("router_energy_pj_per_flit", *v);
  }
  if (auto v = m.get("link_energy_pj_per_flit")) {
    p.link_energy_pj_per_flit = v->as_double(Sign::NonNegative, kMaxEnergyPj);
    seen.emplace("link_energy_pj_per_flit", *v);
  }
  std::optional<YamlValue> mem = m.get("memory_node");
  m.finish();
  if (auto e = check_mesh_params(p)) {
    auto it = seen.find(e->field);
    if (it != seen.end()) it->second.fail(e->problem);
    section.fail(e->field + ": " + e->problem);
  }
  a.noc_memory_node = snake_node(p, p.nodes() - 1);  // the node after the tiles' in snake order
  if (mem) {
    const std::vector<YamlValue> xy = mem->as_list();
    if (xy.size() != 2) mem->fail("must be [x, y], the mesh coordinates of the memory interface");
    const unsigned x = xy[0].as_uint32(0, p.width - 1), y = xy[1].as_uint32(0, p.height - 1);
    a.noc_memory_node = x + y * p.width;
  }
  if (auto e = check_node_placement(p, a.tiles, a.noc_memory_node)) {
    if (e->field.empty() || !mem) section.fail(e->problem);
    mem->fail(e->problem);
  }
}

void read_accelerator(YamlMap m, AcceleratorConfig& a) {
  a = AcceleratorConfig{};
  if (auto v = m.get("tiles")) a.tiles = v->as_uint32(0, IMCVP_TILE_MAX_TILES);
  if (auto v = m.get("threads")) a.threads = v->as_uint32(0, 1024);
  YamlMap tile = m.section("tile");
  if (auto v = tile.get("crossbars")) a.crossbars = v->as_uint32(1, IMCVP_TILE_MAX_XBARS);
  if (auto v = tile.get("mode")) a.estimate = v->as_choice({"functional", "estimate"}, "tile mode") == 1;
  if (auto v = tile.get("estimate_input_density")) {
    const double d = v->as_double(Sign::NonNegative);
    if (d > 1.0) v->fail("must be a fraction 0..1, got " + std::to_string(d));
    a.estimate_input_density = d;
  }
  if (auto v = tile.get("buffer_size")) {
    a.buffer_bytes = static_cast<uint32_t>(v->as_size(4, IMCVP_TILE_BUF_MAX));
    if (*a.buffer_bytes % 4 != 0)
      v->fail("must be a multiple of 4 bytes, got " + std::to_string(*a.buffer_bytes));
  }
  if (auto v = tile.get("ideal_crossbar")) a.ideal_crossbar = v->as_bool();
  read_crossbar(tile.section("crossbar"), tile.get("crossbar"), a.ideal_crossbar, a.crossbar);
  // the output-path blocks, each by its own parameter table
  read_param_table(tile.section("shift_add"), shift_add_param_table(), a.shift_add);
  read_param_table(tile.section("accumulator"), accumulator_param_table(), a.accumulator);
  read_param_table(tile.section("activation"), activation_param_table(), a.activation);
  if (tile.get("sram_comp")) {
    a.sram_comp = SramCompParams{};
    read_param_table(tile.section("sram_comp"), sram_comp_param_table(), *a.sram_comp);
  }
  if (tile.get("basis_scaler")) {
    a.basis_scaler = BasisScalerParams{};
    read_param_table(tile.section("basis_scaler"), basis_scaler_param_table(), *a.basis_scaler);
  }
  if (tile.get("splice")) {
    a.splice = SpliceParams{};
    read_param_table(tile.section("splice"), splice_param_table(), *a.splice);
  }
  tile.finish();
  YamlMap dma = m.section("dma");
  if (auto v = dma.get("burst_bytes")) {
    a.dma_burst_bytes = v->as_uint32(4, 4096);
    if (*a.dma_burst_bytes % 4 != 0)
      v->fail("must be a multiple of 4, got " + std::to_string(*a.dma_burst_bytes));
  }
  if (auto v = dma.get("setup")) a.dma_setup_ns = v->as_time_s(Sign::NonNegative) * 1e9;
  if (auto v = dma.get("burst_overhead")) a.dma_burst_overhead_ns = v->as_time_s(Sign::NonNegative) * 1e9;
  if (auto v = dma.get("energy_pj_per_byte")) a.dma_energy_pj_per_byte = v->as_double(Sign::NonNegative, kMaxEnergyPj);
  dma.finish();
  if (std::optional<YamlValue> noc = m.get("noc"); noc && !noc->is_null()) {
    if (a.tiles == 0) noc->fail("a NoC needs the accelerator (accelerator.tiles > 0)");
    a.noc = true;
    read_noc(noc->as_map(), *noc, a);
  }
  m.finish();
}

// The value of ${IMCVP_BUILD_DIR} in path fields (docs/scenario.md): the
// environment variable IMCVP_BUILD_DIR when set and not empty (ctest sets
// it to the build folder under test), else the folder holding the running
// executable (<build>/imcvp: the build whose firmware matches it).
std::string build_dir_variable() {
  if (const char* env = std::getenv("IMCVP_BUILD_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

// `text` with every ${IMCVP_BUILD_DIR} replaced; any other ${...} is an error.
std::string expand_variables(const YamlValue& v, const std::string& text) {
  const std::string kName = "IMCVP_BUILD_DIR";
  std::string out;
  size_t i = 0;  // the text before i is done
  while (true) {
    const size_t at = text.find("${", i);
    if (at == std::string::npos) break;
    out += text.substr(i, at - i);
    const size_t end = text.find('}', at);
    if (end == std::string::npos)
      v.fail("'${' without a closing '}' in " + in_quotes(text) + " (the one variable is ${" +
             kName + "})");
    const std::string name = text.substr(at + 2, end - at - 2);
    if (name != kName)
      v.fail("unknown variable " + in_quotes("${" + name + "}") + " (the one variable is ${" +
             kName + "})");
    const std::string dir = build_dir_variable();
    if (dir.empty()) v.fail("cannot tell ${" + kName + "}: set the environment variable " + kName);
    out += dir;
    i = end + 1;
  }
  return out + text.substr(i);
}

// A path field: a non-empty string, with ${IMCVP_BUILD_DIR} expanded,
// resolved against the scenario's folder (absolute paths kept). `what`
// names the file in messages.
std::string read_path(const YamlValue& v, const fs::path& folder, const std::string& what) {
  const std::string text = v.as_string();
  if (text.empty()) v.fail("must name " + what + ", got an empty string");
  return resolve(folder, expand_variables(v, text));
}

// The values of the network section the file checks need.
struct NetworkFields {
  std::optional<YamlValue> section, onnx, dataset, program_image, calibration_images;
};

// `network:` (a mapping; null: no network). Unset fields: the defaults of
// NetworkConfig{} and compiler::CompileOptions{} (QuantizeOptions{}).
NetworkFields read_network(const std::optional<YamlValue>& section, const fs::path& folder,
                           NetworkConfig& n) {
  n = NetworkConfig{};
  NetworkFields f;
  if (!section || section->is_null()) return f;
  f.section = section;
  YamlMap m(*section);
  n.enabled = true;
  f.onnx = m.require("onnx");
  n.compile.onnx_path = read_path(*f.onnx, folder, "the ONNX network file");
  f.dataset = m.get("dataset");
  if (f.dataset && f.dataset->is_scalar() && f.dataset->as_string() == compiler::kDatasetSynthetic)
    n.compile.dataset = compiler::kDatasetSynthetic;
  else if (f.dataset)
    n.compile.dataset_dir = read_path(*f.dataset, folder, "the Fashion-MNIST folder");
  const bool synthetic = n.compile.dataset == compiler::kDatasetSynthetic;
  // synthetic images have no fixed count; the workload memory bounds them
  const uint32_t max_images = synthetic ? kSyntheticMaxImages : kFashionMnistTestImages;
  const std::optional<YamlValue> images = m.get("images");
  if (images) n.images = images->as_uint32(1, max_images);
  const std::optional<YamlValue> first = m.get("first_image");
  if (first) n.first_image = first->as_uint32(0, max_images - 1);
  if (auto v = m.get("calibration_images")) {
    n.compile.calibration_images = v->as_uint32(0, synthetic ? kSyntheticMaxImages : kFashionMnistTrainImages);
    f.calibration_images = v;
  }
  if (auto v = m.get("weight_bits"))
    n.compile.quant.weight_bits = static_cast<int>(v->as_uint32(2, 8));
  if (auto v = m.get("layer_weight_bits"))
    for (auto& [name, bits] : v->as_map().entries())
      n.compile.quant.layer_weight_bits[name] = static_cast<int>(bits.as_uint32(2, 8));
  if (auto v = m.get("act_bits")) n.compile.quant.act_bits = static_cast<int>(v->as_uint32(2, 16));
  if (auto v = m.get("percentile")) {
    const double p = v->as_double();
    if (!(p > 0.0 && p <= 100.0)) v->fail("must be in (0, 100], got " + in_quotes(v->as_string()));
    n.compile.quant.calibration = compiler::Calibration::Percentile;
    n.compile.quant.percentile = p;
  }
  if (auto v = m.get("reference")) n.reference = v->as_bool();
  if (auto v = m.get("reprogram")) n.reprogram = v->as_bool();
  if (auto v = m.get("execution")) n.pipelined = v->as_choice({"latency", "pipelined"}, "execution mode") == 1;
  if (m.get("basisn")) {
    YamlMap b = m.section("basisn");
    const std::optional<YamlValue> count = b.get("count");
    if (!count) b.fail("needs count: the basis vectors (BasisN, docs/techniques/basisn.md)");
    n.basisn.count = count->as_uint32(1, 4096);
    if (auto v = b.get("length")) n.basisn.length = v->as_uint32(1, 4096);
    if (auto v = b.get("coef_bits")) n.basisn.coef_bits = v->as_uint32(2, 8);
    b.finish();
  }
  if (m.get("sme")) {
    YamlMap b = m.section("sme");
    n.sme.enabled = true;
    if (auto v = b.get("nonzero_bits")) n.sme.nonzero_bits = v->as_uint32(1, 15);
    if (auto v = b.get("squeeze_threshold")) {
      n.sme.squeeze_threshold = v->as_double();
      if (!(n.sme.squeeze_threshold >= 0.0 && n.sme.squeeze_threshold <= 1.0))
        v->fail("must be in [0, 1], got " + in_quotes(v->as_string()));
    }
    b.finish();
  }
  f.program_image = m.get("program_image");
  if (f.program_image) n.program_image = read_path(*f.program_image, folder, "the program image file");
  m.finish();

  const uint64_t end = uint64_t{n.first_image} + n.images;
  if (!synthetic && end > kFashionMnistTestImages) {
    const std::string problem =
        "first_image + images = " + std::to_string(n.first_image) + " + " + std::to_string(n.images) +
        " = " + std::to_string(end) + " runs past the " + std::to_string(kFashionMnistTestImages) +
        " images of the Fashion-MNIST test split";
    if (images) images->fail(problem);
    first->fail(problem + " (network.images is " + std::to_string(n.images) +
                " by default: set it to at most " +
                std::to_string(kFashionMnistTestImages - n.first_image) + ")");
  }
  return f;
}

void read_trace(YamlMap m, TraceParams& t, unsigned tiles) {
  t.vcd = "";
  t.signals = kSignalGroups;
  if (tiles == 0) t.signals.pop_back();  // no accel group without an accelerator
  t.transactions = false;
  if (auto v = m.get("vcd")) {
    t.vcd = v->as_string();
    if (t.vcd.find('/') != std::string::npos || t.vcd.find('\\') != std::string::npos ||
        t.vcd.find("..") != std::string::npos || t.vcd == ".")
      v->fail("must be a file name inside the output folder (no '/' or '..'), got " +
              in_quotes(t.vcd));
  }
  if (auto v = m.get("signals")) {
    t.signals.clear();
    const std::vector<YamlValue> items = v->as_list();
    if (items.empty())
      v->fail("empty list; name at least one of cpu, bus, uart, irq (or leave the field out for all)");
    for (const YamlValue& item : items) {
      if (tiles == 0 && item.is_scalar() && item.as_string() == "accel")
        item.fail("signal group 'accel' needs an accelerator (accelerator.tiles > 0)");
      std::vector<std::string> groups = kSignalGroups;
      if (tiles == 0) groups.pop_back();
      const std::string name = groups[item.as_choice(groups, "signal group")];
      for (const std::string& seen : t.signals)
        if (seen == name) item.fail("signal group " + in_quotes(name) + " listed twice");
      t.signals.push_back(name);
    }
  }
  if (auto v = m.get("transactions")) t.transactions = v->as_bool();
  m.finish();
}

std::string read_name(const YamlValue& v) {
  std::string name = v.as_string();
  if (name.empty()) v.fail("must not be empty");
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos)
    v.fail("must be a plain name (it names the default output folder), got " + in_quotes(name));
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20) v.fail("must not hold control characters");
  return name;
}

// An input file (firmware, ONNX network, program image) the run reads.
void check_input_file(const YamlValue& v, const std::string& resolved) {
  std::error_code ec;
  const fs::file_status st = fs::status(resolved, ec);
  if (!fs::exists(st)) v.fail(in_quotes(resolved) + " does not exist");
  if (!fs::is_regular_file(st)) v.fail(in_quotes(resolved) + " is not a regular file");
  std::ifstream in(resolved, std::ios::binary);
  if (!in) v.fail(in_quotes(resolved) + " cannot be opened for reading");
}

// The network's files: the ONNX file, the program image (if given) and the
// dataset folder.
void check_network_files(const NetworkFields& f, const NetworkConfig& n) {
  if (!f.section) return;
  check_input_file(*f.onnx, n.compile.onnx_path);
  if (f.program_image) check_input_file(*f.program_image, n.program_image);
  if (n.compile.dataset == compiler::kDatasetSynthetic) return;
  const std::string& dir = n.compile.dataset_dir;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  std::string problem;
  if (!fs::exists(st))
    problem = "dataset folder " + in_quotes(dir) + " does not exist";
  else if (!fs::is_directory(st))
    problem = "dataset folder " + in_quotes(dir) + " is not a folder";
  else
    return;
  if (f.dataset) f.dataset->fail(problem);
  throw ScenarioError(format_scenario_error(
      f.section->file(), f.section->mark(), f.section->path() + ".dataset",
      problem + " (the default: install Debian's dataset-fashion-mnist, or set network.dataset)"));
}

}  // namespace

Scenario load_scenario(const std::string& path) { return load_scenario(path, ScenarioLoadOptions{}); }

Scenario load_scenario(const std::string& path, const ScenarioLoadOptions& options) {
  const YamlValue doc = load_yaml_file(path, "scenario file");
  const fs::path folder = fs::path(path).parent_path();
  YamlMap root(doc);

  Scenario s;
  s.file = path;
  s.name = fs::path(path).stem().string();
  if (auto v = root.get("name")) s.name = read_name(*v);
  s.seed = 1;
  if (auto v = root.get("seed")) s.seed = v->as_uint();

  const YamlValue fw = root.require("firmware");
  s.firmware = read_path(fw, folder, "the firmware ELF file");

  std::optional<YamlValue> out = root.get("output");
  if (out) {
    const std::string text = out->as_string();
    if (text.empty()) out->fail("must name the output folder, got an empty string");
    s.output = resolve(folder, expand_variables(*out, text));
  } else {
    s.output = resolve(folder, "../out/" + s.name);
  }

  // The accelerator first: main memory must not overlap its registers.
  read_accelerator(root.section("accelerator"), s.accelerator);
  read_platform(root.section("platform"), s.platform, s.accelerator.tiles > 0);
  read_limits(root.section("limits"), s.limits);
  read_trace(root.section("trace"), s.trace, s.accelerator.tiles);
  const std::optional<YamlValue> network = root.get("network");
  const NetworkFields net = read_network(network, folder, s.network);
  s.network.compile.synthetic_seed = s.seed;  // network.dataset: synthetic draws from the scenario's seed
  root.finish();
  if (s.network.enabled && s.accelerator.tiles == 0)
    network->fail("a network needs the accelerator (accelerator.tiles > 0)");
  if (s.network.enabled && s.network.compile.calibration_images == 0 && !s.accelerator.estimate)
    net.calibration_images->fail(
        "0 (no calibration) leaves the activation scales unset: only for performance estimation "
        "(accelerator.tile.mode: estimate), which computes no values");

  if (options.check_files) {
    check_input_file(fw, s.firmware);
    check_network_files(net, s.network);
    std::error_code ec;
    const fs::file_status st = fs::status(s.output, ec);
    if (fs::exists(st) && !fs::is_directory(st)) {
      const std::string problem =
          "output folder " + in_quotes(s.output) + " exists and is not a folder";
      if (out) out->fail(problem);
      root.fail("output: " + problem);
    }
  }
  return s;
}

}  // namespace imcvp
