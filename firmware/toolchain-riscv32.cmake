# CMake toolchain file: bare-metal RV32IMC (+Zicsr, Zifencei) with Debian's
# riscv64-unknown-elf-gcc 12 and picolibc.
#
#   cmake -S firmware -B build/firmware -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=$PWD/firmware/toolchain-riscv32.cmake \
#         -DCMAKE_BUILD_TYPE=Release
#
# Only the standard tool names are used; they are looked up on PATH.
# Override the prefix with -DIMCVP_RISCV_PREFIX=... if your toolchain is
# named differently (e.g. riscv32-unknown-elf-).
#
# About -march: gcc 12 defaults to ISA spec 20191213, where Zicsr and
# Zifencei are separate extensions, so plain -march=rv32imc rejects csrr and
# fence.i. Writing -march=rv32imc_zicsr_zifencei is accepted by the compiler,
# but gcc 12's multilib matching is then exact-string and falls back to the
# default rv64 multilib ('.'), which links rv64 libgcc/picolibc objects.
# -misa-spec=2.2 keeps the string rv32imc (so the rv32im/ilp32 multilib of
# libgcc and picolibc is chosen) while, under that spec, the base I includes
# the CSR and fence.i instructions.  The instruction set produced is exactly
# RV32IMC + Zicsr + Zifencei.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

set(IMCVP_RISCV_PREFIX "riscv64-unknown-elf-" CACHE STRING "cross tool name prefix")

set(CMAKE_C_COMPILER   ${IMCVP_RISCV_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${IMCVP_RISCV_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${IMCVP_RISCV_PREFIX}gcc)
set(CMAKE_AR           ${IMCVP_RISCV_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB       ${IMCVP_RISCV_PREFIX}ranlib CACHE FILEPATH "")
set(CMAKE_OBJDUMP      ${IMCVP_RISCV_PREFIX}objdump CACHE FILEPATH "")
set(CMAKE_OBJCOPY      ${IMCVP_RISCV_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_SIZE         ${IMCVP_RISCV_PREFIX}size CACHE FILEPATH "")

# No host executable can run the test programs CMake builds while probing.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(IMCVP_ARCH_FLAGS "-misa-spec=2.2 -march=rv32imc -mabi=ilp32 -mcmodel=medlow")
set(IMCVP_COMMON_FLAGS "${IMCVP_ARCH_FLAGS} --specs=picolibc.specs -ffunction-sections -fdata-sections -fno-common")

set(CMAKE_C_FLAGS_INIT   "${IMCVP_COMMON_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${IMCVP_COMMON_FLAGS} -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${IMCVP_COMMON_FLAGS}")
# Our own crt0 replaces picolibc's; each ELF gets our linker script (added
# per target by firmware/CMakeLists.txt).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")

set(CMAKE_EXECUTABLE_SUFFIX ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_C ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_CXX ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_ASM ".elf")

# Never look for libraries or headers of the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
