/*
 * isa_test.h: macros for self-checking bare-metal ISA tests (assembly, .S).
 *
 * A test runs in machine mode from reset with no C runtime: TEST_BEGIN
 * provides _start (sp = __stack, no trap vector), the test body checks
 * results with CHECK / CHECK_REG, and TEST_END reports success.
 *
 * Result convention (HTIF "tohost"): the 64-bit word `tohost` (section
 * .tohost, 8-byte aligned, with `fromhost` beside it) receives
 *     1                       all checks passed            -> exit code 0
 *     (test_number << 1) | 1  check number test_number failed -> exit code
 *                                                               test_number
 * The low word is written first, then the high word (0), as riscv-tests do
 * on RV32: the imcvp simulator acts on the store to the low word; other
 * HTIF hosts act on the high word. The test then spins (`j .`).
 *
 * Register use: TESTNUM (x31) holds the number of the check in progress and
 * TESTTMP (x30) is scratch for the macros; test bodies must not use them.
 * Test numbers start at 1 (number 0 would read as a pass).
 */
#ifndef IMCVP_ISA_TEST_H
#define IMCVP_ISA_TEST_H

#define TESTNUM x31
#define TESTTMP x30

/* Entry point. Base tests are assembled without compressed instructions
 * (.option norvc) so that the 32-bit encodings are what runs; a test turns
 * compression back on with .option rvc where it wants it. gp (x3) is an
 * ordinary register here, so linker relaxation to gp-relative addressing is
 * off (.option norelax; the build also links with --no-relax). */
.macro TEST_BEGIN
    .section .text.init, "ax", @progbits
    .option norvc
    .option norelax
    .globl _start
    .type _start, @function
_start:
    la sp, __stack
    li TESTNUM, 0
    li TESTTMP, 0
.endm

/* Sets the number reported if anything fails from here on. */
.macro TEST_NUM num
    li TESTNUM, \num
.endm

/* Check number num: register reg must equal the constant value. */
.macro CHECK num, reg, value
    li TESTNUM, \num
    li TESTTMP, \value
    beq \reg, TESTTMP, .Lcheck_ok\@
    j isa_test_fail
.Lcheck_ok\@:
.endm

/* Check number num: reg must equal the address of symbol. */
.macro CHECK_ADDR num, reg, symbol
    li TESTNUM, \num
    la TESTTMP, \symbol
    beq \reg, TESTTMP, .Lcheck_ok\@
    j isa_test_fail
.Lcheck_ok\@:
.endm

/* Check number num: reg must equal register other. */
.macro CHECK_REG num, reg, other
    li TESTNUM, \num
    beq \reg, \other, .Lcheck_ok\@
    j isa_test_fail
.Lcheck_ok\@:
.endm

/* Fail unconditionally as check number num (e.g. on a path that must not
 * be reached). */
.macro TEST_FAIL num
    li TESTNUM, \num
    j isa_test_fail
.endm

/* End of the test body: report a pass. Also emits the report routines and
 * the tohost/fromhost words. */
.macro TEST_END
    li TESTTMP, 1
    j isa_test_report
isa_test_fail:
    slli TESTTMP, TESTNUM, 1
    ori TESTTMP, TESTTMP, 1
isa_test_report:
    fence
    la x1, tohost
    sw TESTTMP, 0(x1)
    sw x0, 4(x1)
isa_test_halt:
    j isa_test_halt

    .pushsection .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
tohost:
    .word 0, 0
    .size tohost, 8
    .balign 64
    .globl fromhost
    .type fromhost, @object
fromhost:
    .word 0, 0
    .size fromhost, 8
    .popsection
.endm

#endif /* IMCVP_ISA_TEST_H */
