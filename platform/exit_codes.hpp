// Exit codes of the imcvp command (documented in README.md and --help).
#pragma once

namespace imcvp::exit_code {
constexpr int kPass = 0;           // the firmware exited with code 0
constexpr int kFirmwareFail = 1;   // the firmware exited with a non-zero code (see the report)
constexpr int kUsage = 2;          // bad command line, scenario, firmware file or platform fit
constexpr int kFault = 3;          // the firmware faulted with no handler (unhandled trap)
constexpr int kLimit = 4;          // a run limit was reached (max_time, max_instructions)
constexpr int kStalled = 5;        // the CPU can never wake up, or the debugger killed the run
constexpr int kInterrupted = 130;  // the user interrupted the run (SIGINT/SIGTERM); outputs written
constexpr int kInternal = 70;      // a bug in imcvp itself
}  // namespace imcvp::exit_code
