/*
 * rv32ui_ma_data: misaligned loads and stores complete, as the base ISA
 * allows an execution environment to guarantee. Needs the emulation:
 * platform.cpu.misaligned: emulate (tests/e2e/test_isa.cpp runs it so;
 * with the default, trap, its first misaligned load traps: check 1 fails).
 *   - lh, lhu, lw at every offset (sign and zero extension), c.lw from a
 *     misaligned base, in M- and U-mode
 *   - sh and sw at every offset write exactly their bytes, across words
 *   - an access that crosses the end of main memory is an access fault
 *     (cause 5/7) with mtval = the first address outside; the store writes
 *     none of its bytes
 *   - the platform's registers take only whole words: a misaligned access
 *     to them is an access fault at its first piece
 */
#include "isa_test.h"
#include "trap_test.h"
#include "imcvp/memory_map.h"

    .data
    .balign 16
ma_src:
    .byte 0x11, 0x22, 0x93, 0x44, 0xb5, 0x66, 0xd7, 0x88, 0x99, 0x00, 0x00, 0x00
ma_dst:
    .word 0, 0, 0, 0, 0, 0, 0, 0

.macro LOAD_CASE num, op, off, expected
    TRAP_CLEAR
    \op a0, \off(s0)
    CHECK \num, x24, 0
    CHECK \num, a0, \expected
.endm

    TEST_BEGIN
    TRAP_SETUP
    la s0, ma_src
    la s2, ma_dst

    /* ---- loads ---- */
    LOAD_CASE 1, lh, 1, 0xffff9322
    LOAD_CASE 2, lhu, 1, 0x9322
    LOAD_CASE 3, lh, 3, 0xffffb544
    LOAD_CASE 4, lhu, 3, 0xb544
    LOAD_CASE 5, lh, 5, 0xffffd766
    LOAD_CASE 6, lw, 1, 0xb5449322
    LOAD_CASE 7, lw, 2, 0x66b54493
    LOAD_CASE 8, lw, 3, 0xd766b544
    LOAD_CASE 9, lw, 5, 0x9988d766
    LOAD_CASE 10, lh, 2, 0x4493         /* aligned, for comparison */
    addi a1, s0, 1                      /* c.lw from a misaligned base */
    .option push
    .option rvc
    c.lw a0, 0(a1)
    .option pop
    CHECK 11, a0, 0xb5449322

    /* ---- stores ---- */
    li t0, 0x01020304
    sw t0, 1(s2)
    li t0, 0xa1b2
    sh t0, 7(s2)
    li t0, 0xc1c2c3c4
    sw t0, 10(s2)
    li t0, 0xd1d2d3d4
    sw t0, 15(s2)
    lw t0, 0(s2)
    CHECK 20, t0, 0x02030400
    lw t0, 4(s2)
    CHECK 21, t0, 0xb2000001
    lw t0, 8(s2)
    CHECK 22, t0, 0xc3c400a1
    lw t0, 12(s2)
    CHECK 23, t0, 0xd400c1c2
    lw t0, 16(s2)
    CHECK 24, t0, 0x00d1d2d3
    lw t0, 1(s2)                        /* read back, misaligned */
    CHECK 25, t0, 0x01020304
    lhu t0, 7(s2)
    CHECK 26, t0, 0xa1b2

    /* ---- in U-mode ---- */
    ENTER_USER
    LOAD_CASE 30, lw, 3, 0xd766b544
    LOAD_CASE 31, lhu, 1, 0x9322
    li t0, 0x55667788
    sw t0, 22(s2)
    lw t0, 20(s2)
    CHECK 32, t0, 0x77880000
    lw t0, 24(s2)
    CHECK 33, t0, 0x00005566
    EXIT_USER 34

    /* ---- crossing the end of main memory ---- */
    li t0, IMCVP_SIMCTRL_BASE
    lw t1, IMCVP_SIMCTRL_RAM_BASE(t0)
    lw t2, IMCVP_SIMCTRL_RAM_SIZE(t0)
    add s3, t1, t2                      /* the first address past RAM */
    lhu a4, -2(s3)                      /* the last halfword, as it is */
    li a0, 0x5a5a
    TRAP_CASE 40, CAUSE_LOAD_ACCESS, lw a0, -2(s3)
    CHECK_MTVAL 41, s3
    CHECK 42, a0, 0x5a5a
    TRAP_CASE 43, CAUSE_LOAD_ACCESS, lh a0, -1(s3)
    CHECK_MTVAL 44, s3
    TRAP_CASE 45, CAUSE_LOAD_ACCESS, lw a0, -3(s3)
    CHECK_MTVAL 46, s3
    li t0, -1
    TRAP_CASE 47, CAUSE_STORE_ACCESS, sw t0, -2(s3)
    CHECK_MTVAL 48, s3
    lhu t0, -2(s3)
    CHECK_REG 49, t0, a4                /* nothing written */
    TRAP_CASE 50, CAUSE_STORE_ACCESS, sw t0, -1(s3)
    CHECK_MTVAL 51, s3

    /* ---- the platform's registers: whole words only ---- */
    li a5, IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_RAM_SIZE
    TRAP_CASE 60, CAUSE_LOAD_ACCESS, lw a0, 2(a5)
    addi t0, a5, 2
    CHECK_MTVAL 61, t0
    TRAP_CASE 62, CAUSE_STORE_ACCESS, sh x0, 1(a5)
    addi t0, a5, 1
    CHECK_MTVAL 63, t0
    lw t0, 0(a5)                        /* still the RAM size */
    CHECK_REG 64, t0, t2

    csrw mtvec, x0
    TEST_END

    .text
    TRAP_HANDLER
