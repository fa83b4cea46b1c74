# An illegal instruction with no trap vector (mtvec = 0).
    .section .text.init, "ax"
    .globl _start
_start:
    nop
    .word 0xffffffff
1:  j    1b
