// The sc_main every test executable links (tests/CMakeLists.txt).
//
// GoogleTest's gtest_main provides main(), but libsystemc.so references
// sc_main, which SystemC declares extern "C" (sysc/kernel/sc_externs.h).
// A test that defines `int sc_main(...)` without including SystemC gets a
// C++-mangled symbol that does not satisfy that reference; the link then
// works only while --as-needed drops libsystemc (it fails under
// -fsanitize=address,undefined). This definition has the right linkage,
// since <systemc> declares it, and is weak, so a test that defines its own
// extern "C" sc_main (IMCVP_TEST_SC_MAIN(), tests/unit/tlm_harness.hpp)
// still links: the strong definition wins.
#include <systemc>

extern "C" __attribute__((weak)) int sc_main(int, char*[]) { return 0; }
