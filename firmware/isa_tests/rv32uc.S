/*
 * rv32uc: the RV32C compressed instructions, written with their c.*
 * mnemonics under .option rvc so that the 16-bit encodings are what runs.
 * Also checks 32-bit instructions at addresses that are 2 mod 4 (mixed
 * code), and the link values of c.jal / c.jalr (pc + 2).
 * The 3-bit register fields reach x8..x15 only (s0, s1, a0..a5).
 */
#include "isa_test.h"

    .data
    .balign 16
c_data:
    .word 0x11111111, 0x22222222, 0x33333333, 0x44444444
    .space 112
c_data_end:

    TEST_BEGIN
    .option rvc

    /* c.li: 6-bit signed immediate */
    c.li a0, 0
    CHECK 1, a0, 0
    c.li a0, 31
    CHECK 2, a0, 31
    c.li a0, -32
    CHECK 3, a0, 0xffffffe0
    c.li t0, -1                 /* any register */
    CHECK 4, t0, 0xffffffff

    /* c.lui: nzimm[17:12], sign extended */
    c.lui a1, 1
    CHECK 5, a1, 0x00001000
    c.lui a1, 0x1f
    CHECK 6, a1, 0x0001f000
    c.lui a1, 0xfffff
    CHECK 7, a1, 0xfffff000
    c.lui a1, 0xfffe0
    CHECK 8, a1, 0xfffe0000

    /* c.addi */
    c.li a0, 10
    c.addi a0, -11
    CHECK 10, a0, 0xffffffff
    c.addi a0, 31
    CHECK 11, a0, 30
    c.li a0, -1
    c.addi a0, 1                /* wraps to 0 */
    CHECK 12, a0, 0
    li s1, 0x7fffffff
    c.addi s1, 1
    CHECK 13, s1, 0x80000000

    /* c.mv / c.add */
    li a1, 0x12345678
    c.mv a2, a1
    CHECK 15, a2, 0x12345678
    li a3, 0x11111111
    c.add a2, a3
    CHECK 16, a2, 0x23456789
    c.mv t1, a2                 /* full register range */
    c.add t1, t1
    CHECK 17, t1, 0x468acf12

    /* c.sub / c.and / c.or / c.xor (x8..x15) */
    li s0, 5
    li s1, 7
    c.sub s0, s1
    CHECK 20, s0, 0xfffffffe
    li a4, 0xff00ff00
    li a5, 0x0f0f0f0f
    c.mv a0, a4
    c.and a0, a5
    CHECK 21, a0, 0x0f000f00
    c.mv a0, a4
    c.or a0, a5
    CHECK 22, a0, 0xff0fff0f
    c.mv a0, a4
    c.xor a0, a5
    CHECK 23, a0, 0xf00ff00f

    /* c.srli / c.srai / c.slli: shamt 1..31 */
    li a0, 0x80000000
    c.srli a0, 31
    CHECK 30, a0, 1
    li a0, 0x80000000
    c.srai a0, 31
    CHECK 31, a0, 0xffffffff
    li a0, 0x81234567
    c.srai a0, 4
    CHECK 32, a0, 0xf8123456
    li a0, 0x81234567
    c.srli a0, 4
    CHECK 33, a0, 0x08123456
    c.li a0, 1
    c.slli a0, 31
    CHECK 34, a0, 0x80000000
    li t2, 0x12345678           /* c.slli takes any register */
    c.slli t2, 4
    CHECK 35, t2, 0x23456780

    /* c.andi: 6-bit signed immediate */
    li a0, 0x12345678
    c.andi a0, 0x1f
    CHECK 40, a0, 0x18
    li a0, 0x12345678
    c.andi a0, -1
    CHECK 41, a0, 0x12345678
    li a0, 0x12345678
    c.andi a0, -32
    CHECK 42, a0, 0x12345660
    li a0, 0x12345678
    c.andi a0, 0
    CHECK 43, a0, 0

    /* c.lw / c.sw: base x8..x15, offsets 0..124 step 4 */
    la s0, c_data
    c.lw a0, 0(s0)
    CHECK 50, a0, 0x11111111
    c.lw a1, 12(s0)
    CHECK 51, a1, 0x44444444
    li a2, 0xcafebabe
    c.sw a2, 124(s0)
    c.lw a3, 124(s0)
    CHECK 52, a3, 0xcafebabe
    lw a3, 124(s0)
    CHECK 53, a3, 0xcafebabe
    c.sw a0, 4(s0)
    lw a4, 4(s0)
    CHECK 54, a4, 0x11111111

    /* c.addi16sp / c.addi4spn / c.lwsp / c.swsp on a private stack area */
    mv s1, sp                   /* keep sp */
    la sp, c_data_end
    c.addi16sp sp, -64
    la a0, c_data_end - 64
    CHECK_REG 60, sp, a0
    c.addi4spn a1, sp, 16
    addi a0, sp, 16
    CHECK_REG 61, a1, a0
    c.addi4spn a1, sp, 4
    addi a0, sp, 4
    CHECK_REG 62, a1, a0
    li t0, 0x5a5a1234
    c.swsp t0, 8(sp)
    c.lwsp t1, 8(sp)
    CHECK 63, t1, 0x5a5a1234
    lw t2, 8(sp)
    CHECK 64, t2, 0x5a5a1234
    li a0, 0x0f0f0f0f
    sw a0, 60(sp)
    c.lwsp ra, 60(sp)           /* c.lwsp: any rd but x0 */
    CHECK 65, ra, 0x0f0f0f0f
    c.addi16sp sp, 48
    la a0, c_data_end - 16
    CHECK_REG 66, sp, a0
    c.addi16sp sp, 16
    la a0, c_data_end
    CHECK_REG 67, sp, a0
    mv sp, s1                   /* restore sp */

    /* 32-bit instructions at pc = 2 mod 4 between 16-bit ones */
    .balign 4
    c.li a0, 1
    addi a0, a0, 2
    c.addi a0, 3
    addi a0, a0, 4
    CHECK 70, a0, 10

    /* c.beqz / c.bnez */
    TEST_NUM 71
    c.li a0, 0
    c.beqz a0, 1f
    j isa_test_fail
1:  c.bnez a0, 2f
    j 3f
2:  j isa_test_fail
3:  TEST_NUM 72
    li a1, 0x80000000
    c.bnez a1, 4f
    j isa_test_fail
4:  c.beqz a1, 5f
    j 6f
5:  j isa_test_fail
6:  TEST_NUM 73
    j 8f                        /* backward c.beqz / c.bnez */
7:  c.bnez a1, 9f
    j isa_test_fail
8:  c.beqz a0, 7b
    j isa_test_fail
9:

    /* c.j forward and backward */
    TEST_NUM 75
    c.j 11f
    j isa_test_fail
10: c.j 12f
11: c.j 10b
    j isa_test_fail
12:

    /* c.jal: link = pc + 2 */
    TEST_NUM 76
    li ra, 0
    c.jal .Lcjal_target
.Lcjal_link:
    j isa_test_fail
.Lcjal_target:
    CHECK_ADDR 77, ra, .Lcjal_link

    /* c.jr */
    TEST_NUM 78
    la a0, .Lcjr_target
    c.jr a0
    j isa_test_fail
.Lcjr_target:

    /* c.jalr: link = pc + 2; rs1 == ra also works */
    TEST_NUM 79
    la a0, .Lcjalr_target
    c.jalr a0
.Lcjalr_link:
    j isa_test_fail
.Lcjalr_target:
    CHECK_ADDR 80, ra, .Lcjalr_link
    la ra, .Lcjalr2_target
    c.jalr ra
.Lcjalr2_link:
    j isa_test_fail
.Lcjalr2_target:
    CHECK_ADDR 81, ra, .Lcjalr2_link

    /* a compressed call and return */
    c.li a0, 7
    c.jal .Ltriple
    CHECK 85, a0, 21
    c.j .Lcall_done
.Ltriple:
    c.mv a1, a0
    c.add a0, a1
    c.add a0, a1
    c.jr ra
.Lcall_done:

    /* c.nop changes nothing */
    c.li a0, 9
    c.nop
    CHECK 86, a0, 9

    .option norvc
    TEST_END
