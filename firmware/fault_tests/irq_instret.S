# Not a fault: a timer interrupt that lands in the middle of a busy loop. The
# trap handler ends the run with minstret (at its first instruction) as the
# exit code, so the end-to-end test (tests/e2e/test_irq_timing.cpp) can pin
# the retired-instruction count at which the interrupt is taken: the ISS must
# take interrupts at the same instruction boundaries whatever its engine.
    .section .text.init, "ax"
    .option norelax
    .globl _start
_start:
    la   t0, handler
    csrw mtvec, t0
    li   s0, 0x02000000          # CLINT
    li   t1, 0xBFF8
    add  t1, s0, t1
    lw   t2, 0(t1)               # mtime (low word; the run has just begun)
    addi t2, t2, 1234            # deadline: some thousands of cycles ahead
    li   t3, 0x4000
    add  t3, s0, t3              # mtimecmp
    li   t4, -1
    sw   t4, 0(t3)
    sw   zero, 4(t3)
    sw   t2, 0(t3)
    li   t0, 0x80                # mie.MTIE
    csrw mie, t0
    csrsi mstatus, 8             # mstatus.MIE
    la   s1, buf
    li   a3, 0
    li   a4, 0
loop:                            # blocks of different lengths and classes
    lw   a0, 0(s1)
    addi a0, a0, 3
    mul  a1, a0, a0
    sw   a1, 4(s1)
    andi a2, a1, 7
    beqz a2, 1f
    xor  a3, a3, a1
    .option push
    .option rvc
    c.addi a3, 5
    c.srli a3, 1
    .option pop
    divu a5, a1, a0
1:  addi a4, a4, 1
    sw   a0, 0(s1)
    andi t5, a4, 3
    bnez t5, loop
    jal  ra, leaf
    j    loop
leaf:
    lbu  t6, 4(s1)
    add  a3, a3, t6
    ret

handler:
    csrr a5, minstret
    slli a5, a5, 1
    ori  a5, a5, 1
    la   t0, tohost
    sw   a5, 0(t0)
2:  j    2b

    .pushsection .tohost, "aw", @progbits
    .align 3
    .globl tohost
tohost: .word 0, 0
    .globl fromhost
fromhost: .word 0, 0
    .popsection

    .bss
    .align 2
buf: .space 16
