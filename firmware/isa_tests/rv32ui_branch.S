/*
 * rv32ui_branch: conditional branches taken / not taken (forward and
 * backward, signed and unsigned edge values), jal and jalr with their link
 * values, jalr with offsets, clearing bit 0 of the target, and rd == rs1.
 */
#include "isa_test.h"

/* \op x1, x2 must branch (forward, then backward) */
.macro TEST_TAKEN num, op, a, b
    li TESTNUM, \num
    li x1, \a
    li x2, \b
    \op x1, x2, .Lfwd\@
    j isa_test_fail
.Lback\@:
    j .Ldone\@
.Lfwd\@:
    \op x1, x2, .Lback\@
    j isa_test_fail
.Ldone\@:
.endm

/* \op x1, x2 must fall through */
.macro TEST_NOT_TAKEN num, op, a, b
    li TESTNUM, \num
    li x1, \a
    li x2, \b
    \op x1, x2, .Lbad\@
    j .Lok\@
.Lbad\@:
    j isa_test_fail
.Lok\@:
.endm

    TEST_BEGIN

    TEST_TAKEN     1, beq, 0, 0
    TEST_TAKEN     2, beq, 0xffffffff, 0xffffffff
    TEST_TAKEN     3, beq, 0x80000000, 0x80000000
    TEST_NOT_TAKEN 4, beq, 0, 1
    TEST_NOT_TAKEN 5, beq, 1, 0
    TEST_NOT_TAKEN 6, beq, 0xffffffff, 0x7fffffff

    TEST_TAKEN     10, bne, 0, 1
    TEST_TAKEN     11, bne, 0x80000000, 0
    TEST_TAKEN     12, bne, 0xffffffff, 0x7fffffff
    TEST_NOT_TAKEN 13, bne, 5, 5
    TEST_NOT_TAKEN 14, bne, 0xffffffff, 0xffffffff

    TEST_TAKEN     20, blt, 0xffffffff, 0
    TEST_TAKEN     21, blt, 0x80000000, 0x7fffffff
    TEST_TAKEN     22, blt, 1, 2
    TEST_TAKEN     23, blt, 0x80000000, 0xffffffff
    TEST_NOT_TAKEN 24, blt, 0, 0xffffffff
    TEST_NOT_TAKEN 25, blt, 2, 1
    TEST_NOT_TAKEN 26, blt, 5, 5
    TEST_NOT_TAKEN 27, blt, 0x7fffffff, 0x80000000

    TEST_TAKEN     30, bge, 0, 0xffffffff
    TEST_TAKEN     31, bge, 5, 5
    TEST_TAKEN     32, bge, 0x7fffffff, 0x80000000
    TEST_TAKEN     33, bge, 0xffffffff, 0xffffffff
    TEST_NOT_TAKEN 34, bge, 0xffffffff, 0
    TEST_NOT_TAKEN 35, bge, 0x80000000, 0

    TEST_TAKEN     40, bltu, 0, 1
    TEST_TAKEN     41, bltu, 0, 0xffffffff
    TEST_TAKEN     42, bltu, 0x7fffffff, 0x80000000
    TEST_NOT_TAKEN 43, bltu, 0xffffffff, 0
    TEST_NOT_TAKEN 44, bltu, 5, 5
    TEST_NOT_TAKEN 45, bltu, 2, 1

    TEST_TAKEN     50, bgeu, 0xffffffff, 0
    TEST_TAKEN     51, bgeu, 5, 5
    TEST_TAKEN     52, bgeu, 0x80000000, 0x7fffffff
    TEST_NOT_TAKEN 53, bgeu, 0, 1
    TEST_NOT_TAKEN 54, bgeu, 0, 0xffffffff
    TEST_NOT_TAKEN 55, bgeu, 0x7fffffff, 0x80000000

    /* x0 as an operand */
    TEST_NUM 60
    li x1, 0
    bne x0, x1, isa_test_fail
    li x1, 1
    bge x0, x1, isa_test_fail
    bltu x1, x0, isa_test_fail
    li x1, -1
    blt x0, x1, isa_test_fail

    /* jal: link = address of the next instruction */
    li TESTNUM, 70
    li x1, 0
    jal x1, .Ljal_target
.Ljal_link:
    j isa_test_fail
.Ljal_target:
    CHECK_ADDR 71, x1, .Ljal_link

    /* jal backward, link in another register */
    li TESTNUM, 72
    j .Ljal_back_from
.Ljal_back_target:
    CHECK_ADDR 73, x5, .Ljal_back_link
    j .Ljal_back_done
.Ljal_back_from:
    jal x5, .Ljal_back_target
.Ljal_back_link:
    j isa_test_fail
.Ljal_back_done:

    /* jal x0 (j) writes no link */
    li TESTNUM, 74
    jal x0, .Lj_target
    j isa_test_fail
.Lj_target:
    CHECK 75, x0, 0

    /* jalr: target = rs1 + imm */
    li TESTNUM, 80
    la x2, .Ljalr_target
    jalr x1, 0(x2)
.Ljalr_link:
    j isa_test_fail
.Ljalr_target:
    CHECK_ADDR 81, x1, .Ljalr_link

    /* positive and negative offsets */
    li TESTNUM, 82
    la x2, .Ljalr_pos - 8
    jalr x1, 8(x2)
    j isa_test_fail
.Ljalr_pos:
    li TESTNUM, 83
    la x2, .Ljalr_neg + 16
    jalr x1, -16(x2)
    j isa_test_fail
.Ljalr_neg:

    /* bit 0 of the target is cleared: odd rs1, and odd immediate */
    li TESTNUM, 84
    la x2, .Ljalr_odd1
    addi x2, x2, 1
    jalr x1, 0(x2)
.Ljalr_odd1_link:
    j isa_test_fail
.Ljalr_odd1:
    CHECK_ADDR 85, x1, .Ljalr_odd1_link
    li TESTNUM, 86
    la x2, .Ljalr_odd2
    jalr x1, 1(x2)
    j isa_test_fail
.Ljalr_odd2:

    /* rd == rs1: the target uses the old value */
    li TESTNUM, 87
    la x1, .Ljalr_same
    jalr x1, 0(x1)
.Ljalr_same_link:
    j isa_test_fail
.Ljalr_same:
    CHECK_ADDR 88, x1, .Ljalr_same_link

    /* a call and return through a subroutine */
    li x10, 5
    jal x1, .Ldouble
    CHECK 90, x10, 10
    j .Lcall_done
.Ldouble:
    add x10, x10, x10
    jalr x0, 0(x1)
.Lcall_done:

    /* a counted loop with a backward branch */
    li x1, 0
    li x2, 100
.Lloop:
    addi x1, x1, 3
    addi x2, x2, -1
    bnez x2, .Lloop
    CHECK 95, x1, 300

    TEST_END
