/*
 * rv32ui_alu: register-register and register-immediate integer ALU
 * instructions, lui and auipc, with edge cases: overflow wraparound, shift
 * amounts 0 and 31 (and register shift amounts >= 32, of which only the low
 * five bits count), sign extension of 12-bit immediates, rd aliasing a
 * source, and writes to x0 being ignored.
 */
#include "isa_test.h"

/* x3 = x1 op x2 */
.macro TEST_RR num, op, expected, a, b
    li x1, \a
    li x2, \b
    \op x3, x1, x2
    CHECK \num, x3, \expected
.endm

/* x3 = x1 op imm */
.macro TEST_RI num, op, expected, a, imm
    li x1, \a
    \op x3, x1, \imm
    CHECK \num, x3, \expected
.endm

    TEST_BEGIN

    /* add */
    TEST_RR 1, add, 0x00000000, 0x00000000, 0x00000000
    TEST_RR 2, add, 0x00000002, 0x00000001, 0x00000001
    TEST_RR 3, add, 0x0000000a, 0x00000003, 0x00000007
    TEST_RR 4, add, 0x80000000, 0x7fffffff, 0x00000001
    TEST_RR 5, add, 0x00000000, 0xffffffff, 0x00000001
    TEST_RR 6, add, 0x00000000, 0x80000000, 0x80000000
    TEST_RR 7, add, 0xfffffffe, 0xffffffff, 0xffffffff

    /* sub */
    TEST_RR 10, sub, 0x00000000, 0x00000000, 0x00000000
    TEST_RR 11, sub, 0x00000002, 0x00000005, 0x00000003
    TEST_RR 12, sub, 0xfffffffe, 0x00000003, 0x00000005
    TEST_RR 13, sub, 0x7fffffff, 0x80000000, 0x00000001
    TEST_RR 14, sub, 0xffffffff, 0x00000000, 0x00000001
    TEST_RR 15, sub, 0x80000000, 0x7fffffff, 0xffffffff

    /* and / or / xor */
    TEST_RR 20, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f
    TEST_RR 21, or,  0xff0fff0f, 0xff00ff00, 0x0f0f0f0f
    TEST_RR 22, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f
    TEST_RR 23, and, 0x00000000, 0xaaaaaaaa, 0x55555555
    TEST_RR 24, or,  0xffffffff, 0xaaaaaaaa, 0x55555555
    TEST_RR 25, xor, 0x00000000, 0x12345678, 0x12345678

    /* sll / srl / sra: shift amount from the low 5 bits of rs2 */
    TEST_RR 30, sll, 0x00000001, 0x00000001, 0
    TEST_RR 31, sll, 0x80000000, 0x00000001, 31
    TEST_RR 32, sll, 0xfffffff0, 0xffffffff, 4
    TEST_RR 33, sll, 0x00000001, 0x00000001, 32
    TEST_RR 34, sll, 0x2468acf0, 0x12345678, 33
    TEST_RR 35, sll, 0x80000000, 0x00000001, 0xffffffff

    TEST_RR 40, srl, 0x00000001, 0x80000000, 31
    TEST_RR 41, srl, 0x80000000, 0x80000000, 0
    TEST_RR 42, srl, 0x7fffffff, 0xffffffff, 1
    TEST_RR 43, srl, 0x1fffffff, 0xffffffff, 35
    TEST_RR 44, srl, 0x00000001, 0xffffffff, 0xffffffff

    TEST_RR 50, sra, 0xffffffff, 0x80000000, 31
    TEST_RR 51, sra, 0xc0000000, 0x80000000, 1
    TEST_RR 52, sra, 0x00000001, 0x7fffffff, 30
    TEST_RR 53, sra, 0x80000000, 0x80000000, 0
    TEST_RR 54, sra, 0xff000000, 0xf0000000, 36
    TEST_RR 55, sra, 0x00000000, 0x7fffffff, 31

    /* slt / sltu */
    TEST_RR 60, slt, 0, 0x00000000, 0x00000000
    TEST_RR 61, slt, 1, 0xffffffff, 0x00000000
    TEST_RR 62, slt, 0, 0x00000000, 0xffffffff
    TEST_RR 63, slt, 1, 0x80000000, 0x7fffffff
    TEST_RR 64, slt, 0, 0x7fffffff, 0x80000000
    TEST_RR 65, slt, 1, 0xfffffffe, 0xffffffff

    TEST_RR 70, sltu, 0, 0x00000000, 0x00000000
    TEST_RR 71, sltu, 0, 0xffffffff, 0x00000000
    TEST_RR 72, sltu, 1, 0x00000000, 0xffffffff
    TEST_RR 73, sltu, 1, 0x7fffffff, 0x80000000
    TEST_RR 74, sltu, 1, 0x00000001, 0x00000002
    TEST_RR 75, sltu, 0, 0x80000000, 0x7fffffff

    /* addi: 12-bit sign-extended immediate */
    TEST_RI 80, addi, 0x00000000, 0x00000000, 0
    TEST_RI 81, addi, 0x00000000, 0x00000001, -1
    TEST_RI 82, addi, 0x80000000, 0x7fffffff, 1
    TEST_RI 83, addi, 0x000007ff, 0x00000000, 2047
    TEST_RI 84, addi, 0xfffff800, 0x00000000, -2048
    TEST_RI 85, addi, 0x7fffffff, 0x80000000, -1

    /* andi / ori / xori */
    TEST_RI 90, andi, 0x00000678, 0x12345678, 0x7ff
    TEST_RI 91, andi, 0x12345678, 0x12345678, -1
    TEST_RI 92, andi, 0xfffff800, 0xffffffff, -2048
    TEST_RI 95, ori,  0x00ff00f0, 0x00ff0000, 0x0f0
    TEST_RI 96, ori,  0xfffff800, 0x00000000, -2048
    TEST_RI 100, xori, 0x00ff0ff0, 0x00ff0f00, 0x0f0
    TEST_RI 101, xori, 0xedcba987, 0x12345678, -1

    /* slti / sltiu (sltiu compares with the sign-extended immediate as unsigned) */
    TEST_RI 105, slti, 1, 0xffffffff, 0
    TEST_RI 106, slti, 0, 0x00000000, -1
    TEST_RI 107, slti, 1, 0x80000000, -2048
    TEST_RI 108, slti, 0, 0x00000005, 5
    TEST_RI 110, sltiu, 1, 0x00000000, 1
    TEST_RI 111, sltiu, 0, 0x00000001, 1
    TEST_RI 112, sltiu, 1, 0xfffffffe, -1
    TEST_RI 113, sltiu, 0, 0xffffffff, -1

    /* slli / srli / srai */
    TEST_RI 120, slli, 0x00000001, 0x00000001, 0
    TEST_RI 121, slli, 0x80000000, 0x00000001, 31
    TEST_RI 122, slli, 0x23456780, 0x12345678, 4
    TEST_RI 125, srli, 0x00000001, 0x80000000, 31
    TEST_RI 126, srli, 0x80000000, 0x80000000, 0
    TEST_RI 127, srli, 0x0000ffff, 0xffffffff, 16
    TEST_RI 130, srai, 0xffffffff, 0x80000000, 31
    TEST_RI 131, srai, 0x80000000, 0x80000000, 0
    TEST_RI 132, srai, 0x00000000, 0x7fffffff, 31
    TEST_RI 133, srai, 0xf8123456, 0x81234567, 4

    /* lui */
    lui x3, 0
    CHECK 140, x3, 0x00000000
    lui x3, 0xfffff
    CHECK 141, x3, 0xfffff000
    lui x3, 0x80000
    CHECK 142, x3, 0x80000000
    lui x3, 0x12345
    addi x3, x3, 0x678
    CHECK 143, x3, 0x12345678
    lui x3, 0x12346
    addi x3, x3, -2048
    CHECK 144, x3, 0x12345800

    /* auipc: pc of the auipc plus imm << 12 */
.Lauipc0:
    auipc x3, 0
    la x4, .Lauipc0
    CHECK_REG 150, x3, x4
.Lauipc1:
    auipc x3, 1
    la x4, .Lauipc1
    li x5, 0x1000
    add x4, x4, x5
    CHECK_REG 151, x3, x4
.Lauipc2:
    auipc x3, 0xfffff
    la x4, .Lauipc2
    li x5, 0x1000
    sub x4, x4, x5
    CHECK_REG 152, x3, x4

    /* writes to x0 are ignored */
    addi x0, x0, 5
    CHECK 160, x0, 0
    lui x0, 0x12345
    CHECK 161, x0, 0
    li x1, 1
    li x2, 1
    add x0, x1, x2
    CHECK 162, x0, 0
    add x3, x0, x0
    CHECK 163, x3, 0
    auipc x0, 1
    CHECK 164, x0, 0
    sub x3, x0, x1          /* x0 as a source reads 0 */
    CHECK 165, x3, 0xffffffff

    /* destination aliasing a source */
    li x1, 13
    li x2, 11
    add x1, x1, x2
    CHECK 170, x1, 24
    sub x2, x1, x2
    CHECK 171, x2, 13
    add x1, x1, x1
    CHECK 172, x1, 48
    li x1, 0x80000000
    srai x1, x1, 3
    CHECK 173, x1, 0xf0000000
    li x1, 3
    sll x1, x1, x1
    CHECK 174, x1, 24

    TEST_END
