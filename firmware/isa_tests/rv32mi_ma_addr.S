/*
 * rv32mi_ma_addr: misaligned loads and stores trap (the default,
 * platform.cpu.misaligned: trap): lh, lhu, lw, sh and sw at every
 * misaligned offset raise load/store address-misaligned (cause 4/6) with
 * mepc = the instruction and mtval = the address; rd and memory are left
 * as they were. Aligned accesses and bytes do not trap. The same in U-mode.
 * (rv32ui_ma_data checks the emulation, platform.cpu.misaligned: emulate.)
 */
#include "isa_test.h"
#include "trap_test.h"

    .data
    .balign 16
ma_src:
    .byte 0x11, 0x22, 0x93, 0x44, 0xb5, 0x66, 0xd7, 0x88
ma_dst:
    .word 0, 0, 0

.macro MA_LOAD num, op, off
    li a0, 0x5a5a
    TRAP_CASE \num, CAUSE_LOAD_MISALIGNED, \op a0, \off(s0)
    addi t0, s0, \off
    CHECK_MTVAL \num, t0
    CHECK \num, a0, 0x5a5a
.endm

.macro MA_STORE num, op, off
    TRAP_CASE \num, CAUSE_STORE_MISALIGNED, \op s1, \off(s2)
    addi t0, s2, \off
    CHECK_MTVAL \num, t0
    lw t0, 0(s2)
    CHECK \num, t0, 0
    lw t0, 4(s2)
    CHECK \num, t0, 0
.endm

    TEST_BEGIN
    TRAP_SETUP
    la s0, ma_src
    la s2, ma_dst
    li s1, -1

    MA_LOAD 1, lh, 1
    MA_LOAD 2, lh, 3
    MA_LOAD 3, lhu, 1
    MA_LOAD 4, lhu, 3
    MA_LOAD 5, lw, 1
    MA_LOAD 6, lw, 2
    MA_LOAD 7, lw, 3
    MA_STORE 10, sh, 1
    MA_STORE 11, sh, 3
    MA_STORE 12, sw, 1
    MA_STORE 13, sw, 2
    MA_STORE 14, sw, 3

    /* aligned, and bytes: no trap */
    NO_TRAP_CASE 20, lh a0, 2(s0)
    CHECK 21, a0, 0x4493
    NO_TRAP_CASE 22, lw a0, 4(s0)
    CHECK 23, a0, 0x88d766b5
    NO_TRAP_CASE 24, lbu a0, 3(s0)
    CHECK 25, a0, 0x44
    NO_TRAP_CASE 26, sb s1, 3(s2)
    NO_TRAP_CASE 27, sh s1, 6(s2)
    lw t0, 4(s2)
    CHECK 28, t0, 0xffff0000
    sw x0, 0(s2)
    sw x0, 4(s2)

    /* in U-mode too */
    ENTER_USER
    MA_LOAD 30, lw, 2
    MA_STORE 31, sh, 1
    EXIT_USER 32

    csrw mtvec, x0
    TEST_END

    .text
    TRAP_HANDLER
