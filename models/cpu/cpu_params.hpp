// Parameters of the RV32 host CPU model: cycles and energy per instruction
// class. Defaults (see cpu_params.cpp) cite their source.
#pragma once
#include <array>
#include <cstdint>

namespace imcvp {

// Instruction classes the timing and energy model distinguishes.
enum class InsnClass : uint8_t { Alu, Mul, Div, Load, Store, Branch, Jump, Csr, System, Count };
constexpr unsigned kInsnClassCount = static_cast<unsigned>(InsnClass::Count);
// YAML / report names, indexed by InsnClass.
constexpr std::array<const char*, kInsnClassCount> kInsnClassNames = {
    "alu", "mul", "div", "load", "store", "branch", "jump", "csr", "system"};

struct CpuParams {
  std::array<uint32_t, kInsnClassCount> cycles;   // cycles per instruction of the class
  uint32_t branch_taken_penalty;                  // extra cycles for a taken branch
  std::array<double, kInsnClassCount> energy_pj;  // energy per instruction of the class
  double sleep_power_mw;                          // power while in wfi
};

CpuParams default_cpu_params();

}  // namespace imcvp
