/*
 * rv32um: multiply and divide. Low and high products for every signedness,
 * division truncating toward zero, remainders taking the dividend's sign,
 * division by zero (quotient all ones, remainder = dividend) and the signed
 * overflow INT_MIN / -1 (quotient INT_MIN, remainder 0): none of them trap.
 */
#include "isa_test.h"

.macro TEST_RR num, op, expected, a, b
    li x1, \a
    li x2, \b
    \op x3, x1, x2
    CHECK \num, x3, \expected
.endm

    TEST_BEGIN

    /* mul: low 32 bits, same for any signedness */
    TEST_RR 1, mul, 0x00000000, 0, 0
    TEST_RR 2, mul, 0x00000015, 3, 7
    TEST_RR 3, mul, 0xffffffeb, 0xfffffffd, 7
    TEST_RR 4, mul, 0xfffffffe, 0x7fffffff, 2
    TEST_RR 5, mul, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR 6, mul, 0x242d2080, 0x12345678, 0x9abcdef0
    TEST_RR 7, mul, 0x00000001, 0xffffffff, 0xffffffff

    /* mulh: high half, signed x signed */
    TEST_RR 10, mulh, 0x40000000, 0x80000000, 0x80000000
    TEST_RR 11, mulh, 0x00000000, 0xffffffff, 0xffffffff
    TEST_RR 12, mulh, 0xffffffff, 0xffffffff, 0x00000001
    TEST_RR 13, mulh, 0x3fffffff, 0x7fffffff, 0x7fffffff
    TEST_RR 14, mulh, 0xc0000000, 0x80000000, 0x7fffffff
    TEST_RR 15, mulh, 0xf8cc93d6, 0x12345678, 0x9abcdef0
    TEST_RR 16, mulh, 0x00000000, 0x00000002, 0x00000003

    /* mulhsu: signed rs1 x unsigned rs2 */
    TEST_RR 20, mulhsu, 0xffffffff, 0xffffffff, 0xffffffff
    TEST_RR 21, mulhsu, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR 22, mulhsu, 0x7ffffffe, 0x7fffffff, 0xffffffff
    TEST_RR 23, mulhsu, 0x00000000, 0x00000001, 0xffffffff
    TEST_RR 24, mulhsu, 0x0b00ea4e, 0x12345678, 0x9abcdef0
    TEST_RR 25, mulhsu, 0xf8cc93d6, 0x9abcdef0, 0x12345678

    /* mulhu: unsigned x unsigned */
    TEST_RR 30, mulhu, 0xfffffffe, 0xffffffff, 0xffffffff
    TEST_RR 31, mulhu, 0x00000001, 0x80000000, 0x00000002
    TEST_RR 32, mulhu, 0x0b00ea4e, 0x12345678, 0x9abcdef0
    TEST_RR 33, mulhu, 0x00000000, 0x0000ffff, 0x0000ffff

    /* div: signed, truncates toward zero */
    TEST_RR 40, div, 3, 20, 6
    TEST_RR 41, div, 0xfffffffd, 0xffffffec, 6            /* -20 / 6 = -3 */
    TEST_RR 42, div, 0xfffffffd, 20, 0xfffffffa           /* 20 / -6 = -3 */
    TEST_RR 43, div, 3, 0xffffffec, 0xfffffffa            /* -20 / -6 = 3 */
    TEST_RR 44, div, 0, 5, 7
    TEST_RR 45, div, 0xffffffff, 5, 0                     /* / 0 -> -1 */
    TEST_RR 46, div, 0xffffffff, 0, 0
    TEST_RR 47, div, 0xffffffff, 0x80000000, 0
    TEST_RR 48, div, 0x80000000, 0x80000000, 0xffffffff   /* overflow */
    TEST_RR 49, div, 0xc0000000, 0x80000000, 2

    /* divu */
    TEST_RR 50, divu, 3, 20, 6
    TEST_RR 51, divu, 0xffffffff, 0xffffffff, 1
    TEST_RR 52, divu, 0x7fffffff, 0xffffffff, 2
    TEST_RR 53, divu, 0xffffffff, 0x12345678, 0           /* / 0 -> all ones */
    TEST_RR 54, divu, 0, 0x80000000, 0xffffffff
    TEST_RR 55, divu, 0x2aaaaaa7, 0xffffffec, 6           /* 4294967276 / 6 */

    /* rem: sign of the dividend */
    TEST_RR 60, rem, 2, 20, 6
    TEST_RR 61, rem, 0xfffffffe, 0xffffffec, 6            /* -20 % 6 = -2 */
    TEST_RR 62, rem, 2, 20, 0xfffffffa                    /* 20 % -6 = 2 */
    TEST_RR 63, rem, 0xfffffffe, 0xffffffec, 0xfffffffa   /* -20 % -6 = -2 */
    TEST_RR 64, rem, 5, 5, 0                              /* % 0 -> dividend */
    TEST_RR 65, rem, 0xfffffffb, 0xfffffffb, 0
    TEST_RR 66, rem, 0, 0x80000000, 0xffffffff            /* overflow -> 0 */
    TEST_RR 67, rem, 0, 0x80000000, 1

    /* remu */
    TEST_RR 70, remu, 2, 20, 6
    TEST_RR 71, remu, 5, 0xffffffff, 10
    TEST_RR 72, remu, 0xfffffffb, 0xfffffffb, 0           /* % 0 -> dividend */
    TEST_RR 73, remu, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR 74, remu, 2, 0xffffffec, 6                    /* 4294967276 % 6 */

    /* destination aliasing the sources */
    li x1, 12
    mul x1, x1, x1
    CHECK 80, x1, 144
    li x1, 100
    li x2, 7
    div x2, x1, x2
    CHECK 81, x2, 14
    rem x1, x1, x2
    CHECK 82, x1, 2
    /* results to x0 are dropped, even of a division by zero */
    li x1, 9
    divu x0, x1, x0
    CHECK 83, x0, 0

    TEST_END
