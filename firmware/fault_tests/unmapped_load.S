# Loads from an address nobody decodes, with no trap handler installed:
# the simulator must end the run with a clear message (pc, instruction,
# address) and exit code 3, and still write the report.
    .section .text.init, "ax"
    .globl _start
_start:
    li   t0, 0x00001000
    lw   t1, 0(t0)
1:  j    1b
