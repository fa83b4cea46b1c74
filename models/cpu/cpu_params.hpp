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

// The most cycles an instruction class may take: the core's decoded-
// instruction cache keeps them in 8 bits (scenarios beyond it are refused).
constexpr uint32_t kMaxInsnCycles = 255;
// The most energy (pJ) per instruction or per event a scenario may set, and
// the most sleep power (mW): far beyond any device, small enough that the
// report's totals stay finite.
constexpr double kMaxEnergyPj = 1e9;
constexpr double kMaxSleepPowerMw = 1e9;

// What a load or store whose address is not a multiple of its size does:
// Trap (address-misaligned exception, mcause 4/6; the default) or Emulate
// (the platform splits it into naturally aligned pieces and completes it, as
// an execution environment that supports misaligned accesses invisibly).
enum class MisalignedAccess : uint8_t { Trap, Emulate };
// YAML names (platform.cpu.misaligned), indexed by MisalignedAccess.
constexpr std::array<const char*, 2> kMisalignedAccessNames = {"trap", "emulate"};

struct CpuParams {
  std::array<uint32_t, kInsnClassCount> cycles;   // cycles per instruction of the class, 1..kMaxInsnCycles
  uint32_t branch_taken_penalty;                  // extra cycles for a taken branch
  std::array<double, kInsnClassCount> energy_pj;  // energy per instruction of the class
  double sleep_power_mw;                          // power while in wfi
  MisalignedAccess misaligned = MisalignedAccess::Trap;  // misaligned loads and stores
};

CpuParams default_cpu_params();

}  // namespace imcvp
