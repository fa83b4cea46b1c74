#!/usr/bin/env python3
"""QEMU's speed on the ISS benchmark ELF, for comparison with imcvp's.

Runs the ELF bare-metal on `qemu-system-riscv32 -machine virt` (same RAM base
and CLINT address as imcvp; the UART data register at the same address, so
the firmware's output comes out). imcvp's sim-control exit register does not
exist there, so the firmware spins after its last line: the run is timed to
the line that ends with PASS or FAIL, on QEMU's own CPU time (user + system,
all threads, read from /proc), and QEMU is then killed.

Usage: qemu_iss.py ELF INSTRUCTIONS [IMCVP_MIPS]
  INSTRUCTIONS  what imcvp retired on the same ELF (QEMU does not count them)
  IMCVP_MIPS    imcvp's figure (on CPU time, as here): prints
                iss_qemu_speed_ratio = imcvp / QEMU
Prints "name: value unit" lines like the bench_* programs.
"""
import os
import shutil
import subprocess
import sys
import time


def cpu_seconds(pid):
    """CPU time of all of the process's threads, in ns resolution (schedstat)
    where the kernel has it, else in clock ticks (stat)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat (1-based); fields[0] is field 3
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    elf, instructions = sys.argv[1], int(sys.argv[2])
    imcvp_mips = float(sys.argv[3]) if len(sys.argv) > 3 else None
    qemu = shutil.which("qemu-system-riscv32")
    if not qemu:
        print("qemu_iss: skipped (qemu-system-riscv32 not installed: Debian qemu-system-misc)",
              file=sys.stderr)
        return 0
    cmd = [qemu, "-machine", "virt", "-m", "128M", "-nographic", "-bios", "none",
           "-monitor", "none", "-serial", "stdio", "-kernel", elf]
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, text=True, errors="replace")
    cpu = wall = None
    ok = False
    try:
        for line in p.stdout:
            line = line.strip()
            if line.endswith("PASS") or line.endswith("FAIL"):
                cpu = cpu_seconds(p.pid)
                wall = time.monotonic() - start
                ok = line.endswith("PASS")
                break
            if time.monotonic() - start > 600:
                break
    finally:
        p.kill()
        p.wait()
    if cpu is None or not ok:
        print("qemu_iss: the firmware did not pass under QEMU", file=sys.stderr)
        return 1
    mips = instructions / cpu / 1e6
    print(f"qemu_intbench_mips: {mips:.1f} MIPS")
    print(f"qemu_intbench_cpu_time: {cpu:.3f} s")
    print(f"qemu_intbench_wall_time: {wall:.3f} s")
    if imcvp_mips:
        print(f"iss_qemu_speed_ratio: {imcvp_mips / mips:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
