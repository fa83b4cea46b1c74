# Waits for an interrupt with none enabled (mie = 0): nothing can wake the
# CPU, so the simulator must say so and exit with code 5.
    .section .text.init, "ax"
    .globl _start
_start:
    csrw mie, zero
    wfi
1:  j    1b
