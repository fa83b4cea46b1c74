/*
 * trap_test.h: for ISA tests that take traps on purpose (include after
 * isa_test.h). A trap handler records each trap and resumes after the
 * trapping instruction; TRAP_CASE runs one instruction and checks that it
 * trapped once, with the given cause, at that instruction.
 *
 * Register use, beyond isa_test.h's TESTNUM (x31) and TESTTMP (x30):
 *   x20 mcause, x21 mepc, x22 mtval of the last trap; x24 traps taken since
 *   TRAP_CLEAR; x25, x26 scratch of the handler (ABI names s4, s5, s6, s8,
 *   s9, s10). Test bodies must not use them except to read the record.
 * The handler resumes at mepc + the trapping instruction's length (2 or 4,
 * from its first halfword), in the mode it came from, except after an ecall
 * from U-mode (cause 8): that one returns in M-mode (EXIT_USER relies on it).
 */
#ifndef IMCVP_TRAP_TEST_H
#define IMCVP_TRAP_TEST_H

#define MSTATUS_MIE 0x00000008
#define MSTATUS_MPIE 0x00000080
#define MSTATUS_MPP 0x00001800
#define MSTATUS_MPRV 0x00020000
#define MSTATUS_TW 0x00200000

/* CSR numbers (by number: the assembler's names depend on its privileged
 * specification version) */
#define CSR_MCOUNTEREN 0x306
#define CSR_MENVCFG 0x30a
#define CSR_MSTATUSH 0x310
#define CSR_MENVCFGH 0x31a
#define CSR_MCOUNTINHIBIT 0x320
#define CSR_MHPMEVENT3 0x323
#define CSR_MHPMEVENT31 0x33f
#define CSR_TSELECT 0x7a0
#define CSR_TDATA1 0x7a1
#define CSR_TDATA2 0x7a2
#define CSR_MHPMCOUNTER3 0xb03
#define CSR_MHPMCOUNTER31 0xb1f
#define CSR_MHPMCOUNTER3H 0xb83
#define CSR_MHPMCOUNTER31H 0xb9f
#define CSR_HPMCOUNTER3 0xc03
#define CSR_MCONFIGPTR 0xf15

#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_LOAD_MISALIGNED 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_STORE_MISALIGNED 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_M 11

/* Branches to isa_test_fail (out of a branch's reach: through a jump) unless
 * a == b. */
.macro FAIL_IF_NE a, b
    beq \a, \b, .Lok\@
    j isa_test_fail
.Lok\@:
.endm

.macro TRAP_SETUP
    la t0, trap_handler
    csrw mtvec, t0
.endm

.macro TRAP_CLEAR
    li x20, -1
    li x21, -1
    li x22, -1
    li x24, 0
.endm

/* Check num: `insn` (one instruction) traps once with `cause`, mepc = it. */
.macro TRAP_CASE num, cause, insn:vararg
    TRAP_CLEAR
.Lsite\@:
    \insn
    li TESTNUM, \num
    li TESTTMP, 1
    FAIL_IF_NE x24, TESTTMP
    li TESTTMP, \cause
    FAIL_IF_NE x20, TESTTMP
    la TESTTMP, .Lsite\@
    FAIL_IF_NE x21, TESTTMP
.endm

/* Check num: `insn` does not trap. */
.macro NO_TRAP_CASE num, insn:vararg
    TRAP_CLEAR
    \insn
    li TESTNUM, \num
    FAIL_IF_NE x24, x0
.endm

/* Check num: the last trap's mtval equals register reg. */
.macro CHECK_MTVAL num, reg
    li TESTNUM, \num
    FAIL_IF_NE x22, \reg
.endm

/* Drops to U-mode at the next instruction (mret with MPP = U). */
.macro ENTER_USER
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    la t0, .Luser\@
    csrw mepc, t0
    mret
.Luser\@:
.endm

/* Back to M-mode from U-mode (an ecall; check num: it was one from U). */
.macro EXIT_USER num
    TRAP_CASE \num, CAUSE_ECALL_U, ecall
.endm

/* The handler, placed by the test (after TEST_END, in .text, where the code
 * is 4-byte aligned: with .option norvc and no relaxation, the assembler's
 * .balign cannot pad a 2-byte gap in code, and mtvec needs bits 1:0 = 0). */
.macro TRAP_HANDLER
    .balign 4
trap_handler:
    csrr x20, mcause
    csrr x21, mepc
    csrr x22, mtval
    addi x24, x24, 1
    li x25, CAUSE_ECALL_U
    bne x20, x25, 1f
    li x25, MSTATUS_MPP         /* ecall from U: return in M-mode */
    csrs mstatus, x25
1:  lhu x25, 0(x21)             /* the instruction's length: 4 if its low bits are 11 */
    andi x25, x25, 3
    addi x25, x25, -3
    addi x26, x21, 2
    bnez x25, 2f
    addi x26, x26, 2
2:  csrw mepc, x26
    mret
.endm

#endif /* IMCVP_TRAP_TEST_H */
