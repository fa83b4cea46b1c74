/*
 * rv32mi_umode: user mode as the privileged specification has it on a hart
 * with M and U and no S:
 *   - mret with MPP = U enters U-mode; ecall there is cause 8, mepc = it
 *   - machine CSRs are illegal in U-mode (mscratch, mstatus, mcounteren,
 *     mcycle), rd unchanged, mtval = the instruction
 *   - cycle, time, instret and their high halves: readable in U-mode only
 *     where mcounteren's CY, TM, IR bit is set (privileged spec 3.1.11);
 *     writing them is illegal even then
 *   - an mret that leaves M-mode clears mstatus.MPRV; one that stays keeps it
 *   - mstatus.TW = 1: wfi in U-mode is illegal
 *   - illegal instructions and ebreak in U-mode trap to M-mode and come back
 */
#include "isa_test.h"
#include "trap_test.h"

/* Check num: in U-mode, with mcounteren = en, reading counter csr traps
 * (trap = 1) or not (trap = 0). */
.macro COUNTER_CASE num, en, csr, trap
    li t0, \en
    csrw CSR_MCOUNTEREN, t0
    ENTER_USER
    .if \trap
    TRAP_CASE \num, CAUSE_ILLEGAL, csrr a0, \csr
    .else
    NO_TRAP_CASE \num, csrr a0, \csr
    .endif
    EXIT_USER \num
.endm

    TEST_BEGIN
    TRAP_SETUP

    /* ---- into U-mode and back ---- */
    ENTER_USER
    EXIT_USER 1
    csrr a0, mscratch                   /* M-mode again */

    /* ---- machine CSRs from U-mode ---- */
    ENTER_USER
    li a0, 0x5a5a
    TRAP_CASE 10, CAUSE_ILLEGAL, csrr a0, mscratch
    lw a1, 0(x21)
    CHECK_MTVAL 11, a1
    TRAP_CASE 12, CAUSE_ILLEGAL, csrw mstatus, x0
    TRAP_CASE 13, CAUSE_ILLEGAL, csrr a0, CSR_MCOUNTEREN
    TRAP_CASE 14, CAUSE_ILLEGAL, csrr a0, mcycle
    TRAP_CASE 15, CAUSE_ILLEGAL, csrr a0, mhartid
    CHECK 16, a0, 0x5a5a
    TRAP_CASE 17, CAUSE_ILLEGAL, mret
    TRAP_CASE 18, CAUSE_BREAKPOINT, ebreak
    TRAP_CASE 19, CAUSE_ILLEGAL, .word 0xffffffff
    EXIT_USER 20

    /* ---- counters and mcounteren ---- */
    COUNTER_CASE 30, 0, cycle, 1
    COUNTER_CASE 31, 0, time, 1
    COUNTER_CASE 32, 0, instret, 1
    COUNTER_CASE 33, 0, cycleh, 1
    COUNTER_CASE 34, 0, timeh, 1
    COUNTER_CASE 35, 0, instreth, 1
    COUNTER_CASE 36, 1, cycle, 0
    COUNTER_CASE 37, 1, cycleh, 0
    COUNTER_CASE 38, 1, time, 1
    COUNTER_CASE 39, 1, instret, 1
    COUNTER_CASE 40, 2, time, 0
    COUNTER_CASE 41, 2, timeh, 0
    COUNTER_CASE 42, 2, cycle, 1
    COUNTER_CASE 43, 4, instret, 0
    COUNTER_CASE 44, 4, instreth, 0
    COUNTER_CASE 45, 4, time, 1
    COUNTER_CASE 46, 7, cycle, 0
    COUNTER_CASE 47, 7, time, 0
    COUNTER_CASE 48, 7, instret, 0
    /* enabled or not, they are read-only; no hpmcounters (no Zihpm) */
    li t0, 7
    csrw CSR_MCOUNTEREN, t0
    ENTER_USER
    TRAP_CASE 50, CAUSE_ILLEGAL, csrw cycle, x0
    TRAP_CASE 51, CAUSE_ILLEGAL, csrrs a0, instret, a0
    TRAP_CASE 52, CAUSE_ILLEGAL, csrr a0, CSR_HPMCOUNTER3
    /* instret counts up in U-mode too */
    csrr a0, instret
    nop
    nop
    csrr a1, instret
    sub a1, a1, a0
    CHECK 53, a1, 3
    EXIT_USER 54
    csrw CSR_MCOUNTEREN, x0

    /* ---- MPRV: kept by an mret to M, cleared by one to U ---- */
    li t0, MSTATUS_MPRV | MSTATUS_MPP
    csrs mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a0, mstatus
    li a1, MSTATUS_MPRV
    and a0, a0, a1
    CHECK 60, a0, MSTATUS_MPRV
    ENTER_USER
    EXIT_USER 61
    csrr a0, mstatus
    li a1, MSTATUS_MPRV
    and a0, a0, a1
    CHECK 62, a0, 0

    /* ---- TW: wfi in U-mode is illegal ---- */
    li t0, MSTATUS_TW
    csrs mstatus, t0
    ENTER_USER
    TRAP_CASE 70, CAUSE_ILLEGAL, wfi
    lw a1, 0(x21)
    CHECK_MTVAL 71, a1
    EXIT_USER 72
    li t0, MSTATUS_TW
    csrc mstatus, t0

    csrw mtvec, x0
    TEST_END

    .text
    TRAP_HANDLER
