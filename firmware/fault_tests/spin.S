# Never ends: the run's limits (max_instructions, max_time) must stop it.
    .section .text.init, "ax"
    .globl _start
_start:
1:  addi t0, t0, 1
    j    1b
