/*
 * rv32ui_mem: loads and stores of every width: sign and zero extension,
 * positive and negative offsets, byte/halfword stores leaving the other
 * bytes alone, only the low bits of the source stored, base register
 * overwritten by the load, and a load into x0.
 */
#include "isa_test.h"

    .data
    .balign 16
mem_data:
    .byte 0x01, 0x82, 0x7f, 0xff     /* word 0: 0xff7f8201 */
    .half 0x8001, 0x7ffe             /* word 1: 0x7ffe8001 */
    .word 0x12345678                 /* word 2 */
    .word 0xdeadbeef                 /* word 3 */
mem_store:
    .word 0, 0, 0, 0, 0, 0, 0, 0

.macro TEST_LOAD num, op, expected, offset
    \op x3, \offset(x1)
    CHECK \num, x3, \expected
.endm

    TEST_BEGIN

    la x1, mem_data

    /* lb: sign extends */
    TEST_LOAD 1, lb, 0x00000001, 0
    TEST_LOAD 2, lb, 0xffffff82, 1
    TEST_LOAD 3, lb, 0x0000007f, 2
    TEST_LOAD 4, lb, 0xffffffff, 3
    /* lbu: zero extends */
    TEST_LOAD 5, lbu, 0x00000001, 0
    TEST_LOAD 6, lbu, 0x00000082, 1
    TEST_LOAD 7, lbu, 0x000000ff, 3
    TEST_LOAD 8, lbu, 0x000000ef, 12
    /* lh */
    TEST_LOAD 10, lh, 0xffff8201, 0
    TEST_LOAD 11, lh, 0xffffff7f, 2
    TEST_LOAD 12, lh, 0xffff8001, 4
    TEST_LOAD 13, lh, 0x00007ffe, 6
    /* lhu */
    TEST_LOAD 15, lhu, 0x00008201, 0
    TEST_LOAD 16, lhu, 0x0000ff7f, 2
    TEST_LOAD 17, lhu, 0x00008001, 4
    TEST_LOAD 18, lhu, 0x0000beef, 12
    /* lw */
    TEST_LOAD 20, lw, 0xff7f8201, 0
    TEST_LOAD 21, lw, 0x7ffe8001, 4
    TEST_LOAD 22, lw, 0x12345678, 8
    TEST_LOAD 23, lw, 0xdeadbeef, 12

    /* negative offsets */
    la x1, mem_data + 16
    TEST_LOAD 25, lw, 0xff7f8201, -16
    TEST_LOAD 26, lb, 0xffffff82, -15
    TEST_LOAD 27, lhu, 0x00008001, -12
    TEST_LOAD 28, lh, 0xffffdead, -2
    TEST_LOAD 29, lbu, 0x000000de, -1

    /* sw then loads of parts */
    la x2, mem_store
    li x4, 0xaabbccdd
    sw x4, 0(x2)
    lw x3, 0(x2)
    CHECK 30, x3, 0xaabbccdd
    lbu x3, 0(x2)
    CHECK 31, x3, 0xdd
    lbu x3, 3(x2)
    CHECK 32, x3, 0xaa
    lh x3, 2(x2)
    CHECK 33, x3, 0xffffaabb
    lb x3, 1(x2)
    CHECK 34, x3, 0xffffffcc

    /* sb: one byte, the low byte of rs2 */
    li x4, 0x11
    sb x4, 1(x2)
    lw x3, 0(x2)
    CHECK 35, x3, 0xaabb11dd
    li x4, 0x1234
    sb x4, 3(x2)
    lw x3, 0(x2)
    CHECK 36, x3, 0x34bb11dd

    /* sh: two bytes, the low half of rs2 */
    li x4, 0x5566
    sh x4, 0(x2)
    lw x3, 0(x2)
    CHECK 37, x3, 0x34bb5566
    li x4, 0xffff8899
    sh x4, 2(x2)
    lw x3, 0(x2)
    CHECK 38, x3, 0x88995566
    lw x3, 4(x2)                 /* the next word is untouched */
    CHECK 39, x3, 0

    /* stores with negative offsets */
    la x5, mem_store + 16
    li x4, 0x0badf00d
    sw x4, -12(x5)
    lw x3, 4(x2)
    CHECK 40, x3, 0x0badf00d
    li x4, 0x77
    sb x4, -9(x5)
    lw x3, 4(x2)
    CHECK 41, x3, 0x77adf00d
    li x4, 0xabcd
    sh x4, -4(x5)
    lw x3, 12(x2)
    CHECK 42, x3, 0x0000abcd

    /* positive offsets up to the largest immediate */
    la x5, mem_store - 2044
    li x4, 0x600dcafe
    sw x4, 2047+1-4(x5)          /* offset 2044 */
    lw x3, 0(x2)
    CHECK 43, x3, 0x600dcafe
    la x5, mem_store + 2048
    lw x3, -2048(x5)
    CHECK 44, x3, 0x600dcafe

    /* the base register is the destination */
    la x6, mem_data + 8
    lw x6, 0(x6)
    CHECK 45, x6, 0x12345678

    /* load into x0 has no effect */
    la x1, mem_data
    lw x0, 0(x1)
    CHECK 46, x0, 0

    /* store of x0 */
    sw x0, 0(x2)
    lw x3, 0(x2)
    CHECK 47, x3, 0

    /* a loop storing then summing bytes */
    li x4, 0
    la x5, mem_store
.Lfill:
    sb x4, 0(x5)
    addi x4, x4, 1
    addi x5, x5, 1
    li x6, 32
    bne x4, x6, .Lfill
    li x7, 0
    la x5, mem_store
    li x4, 0
.Lsum:
    lbu x6, 0(x5)
    add x7, x7, x6
    addi x5, x5, 1
    addi x4, x4, 1
    li x6, 32
    bne x4, x6, .Lsum
    CHECK 48, x7, 496
    lw x3, 28(x2)
    CHECK 49, x3, 0x1f1e1d1c

    TEST_END
