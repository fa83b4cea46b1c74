#include "models/noc/noc_params.hpp"

#include "models/common/param_text.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace imcvp {

namespace {

}  // namespace

std::optional<MeshParamError> check_mesh_params(const MeshParams& p) {
  auto err = [](const char* field, std::string problem) {
    return std::optional<MeshParamError>(MeshParamError{field, std::move(problem)});
  };
  if (p.width < 1 || p.width > 256) return err("width", must_be("1..256", p.width));
  if (p.height < 1 || p.height > 256) return err("height", must_be("1..256", p.height));
  if (p.flit_bytes < 1 || p.flit_bytes > 256) return err("flit_bytes", must_be("1..256", p.flit_bytes));
  if (!(std::isfinite(p.clock_ns) && p.clock_ns > 0 && p.clock_ns <= 1e6))
    return err("clock_ns", must_be("> 0 and at most 1e6", p.clock_ns));
  if (p.router_pipeline_cycles > 64)
    return err("router_pipeline_cycles", must_be("0..64", p.router_pipeline_cycles));
  if (p.link_cycles > 64) return err("link_cycles", must_be("0..64", p.link_cycles));
  if (p.hop_cycles() < 1)
    return err("link_cycles", "router_pipeline_cycles + link_cycles must be at least 1, got 0");
  if (p.header_flits > 1) return err("header_flits", must_be("0 or 1", p.header_flits));
  const std::pair<const char*, double> energies[] = {
      {"router_energy_pj_per_flit", p.router_energy_pj_per_flit},
      {"link_energy_pj_per_flit", p.link_energy_pj_per_flit},
  };
  for (const auto& [name, v] : energies)
    if (!(std::isfinite(v) && v >= 0)) return err(name, must_be(">= 0", v));
  return std::nullopt;
}

void validate_mesh_params(const MeshParams& p) {
  if (auto e = check_mesh_params(p)) throw std::invalid_argument("noc." + e->field + ": " + e->problem);
}

}  // namespace imcvp
