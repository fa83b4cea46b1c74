/*
 * rv32mi_traps: the machine-mode trap checklist of the official rv32mi
 * suite (illegal, shamt, sbreak, scall, ma_fetch), written from the
 * specifications' behaviour:
 *   - illegal instructions: the all-zero parcel (16 bits, mtval 0), all ones, sret
 *     and sfence.vma (no S-mode), a reserved compressed encoding; mtval =
 *     the instruction bits, rd unchanged
 *   - shamt: slli/srli/srai with shamt[5] set are illegal on RV32
 *   - ebreak and c.ebreak: cause 3, mepc = the instruction
 *   - ecall in M-mode: cause 11
 *   - wfi in M-mode with an interrupt pending and enabled in mie but
 *     mstatus.MIE clear: does not trap, does not wait, takes no interrupt
 *   - instruction alignment with C (IALIGN = 16): jalr clears bit 0 of its
 *     target, so an odd target runs; a 32-bit instruction and jumps at a
 *     2-byte boundary run; no instruction-address-misaligned trap
 */
#include "isa_test.h"
#include "trap_test.h"

#define CLINT_MSIP 0x02000000

    TEST_BEGIN
    TRAP_SETUP

    /* ---- illegal instructions ---- */
    li a0, 0x5a5a
    /* the all-zero parcel: a 16-bit illegal instruction (the checks after it
     * run at a 2-byte boundary until the c.nop) */
    TRAP_CASE 1, CAUSE_ILLEGAL, .half 0x0000
    CHECK 2, x22, 0                     /* mtval: the (zero) bits */
    .half 0x0001
    TRAP_CASE 3, CAUSE_ILLEGAL, .word 0xffffffff
    CHECK 4, x22, 0xffffffff
    TRAP_CASE 5, CAUSE_ILLEGAL, .word 0x10200073      /* sret */
    TRAP_CASE 6, CAUSE_ILLEGAL, .word 0x12000073      /* sfence.vma x0, x0 */
    TRAP_CASE 7, CAUSE_ILLEGAL, .word 0x7b200073      /* dret: not in debug mode */
    TRAP_CASE 8, CAUSE_ILLEGAL, .word 0x0000702f      /* an AMO opcode: no A */
    /* c.lwsp with rd = x0 (reserved): a 16-bit illegal instruction; the
     * checks after it run at a 2-byte boundary until the c.nop */
    TRAP_CASE 9, CAUSE_ILLEGAL, .half 0x4002
    CHECK 10, x22, 0x4002
    .half 0x0001
    CHECK 11, a0, 0x5a5a

    /* ---- shamt[5] = 1 is illegal on RV32 ---- */
    li a0, 0x5a5a
    TRAP_CASE 20, CAUSE_ILLEGAL, .word 0x02051513     /* slli a0, a0, 32 */
    TRAP_CASE 21, CAUSE_ILLEGAL, .word 0x02055513     /* srli a0, a0, 32 */
    TRAP_CASE 22, CAUSE_ILLEGAL, .word 0x42055513     /* srai a0, a0, 32 */
    CHECK 23, a0, 0x5a5a
    li t0, 0x42055513
    CHECK_MTVAL 24, t0                  /* the srai's bits */
    NO_TRAP_CASE 25, slli a0, a0, 31
    CHECK 26, a0, 0

    /* ---- ebreak, c.ebreak, ecall ---- */
    TRAP_CASE 30, CAUSE_BREAKPOINT, ebreak
    .option push
    .option rvc
    TRAP_CASE 31, CAUSE_BREAKPOINT, c.ebreak
    .option pop
    TRAP_CASE 32, CAUSE_ECALL_M, ecall
    CHECK 33, x22, 0

    /* ---- wfi with a pending, enabled, globally masked interrupt ---- */
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    li t0, 1 << 3                       /* mie.MSIE */
    csrw mie, t0
    li t1, CLINT_MSIP
    li t0, 1
    sw t0, 0(t1)                        /* raise the software interrupt */
    NO_TRAP_CASE 40, wfi
    csrr t0, mip
    andi t0, t0, 1 << 3
    CHECK 41, t0, 1 << 3
    sw x0, 0(t1)
    csrw mie, x0

    /* ---- instruction alignment with C ---- */
    la t0, odd_target
    addi t0, t0, 1                      /* bit 0 set: jalr clears it */
    li a0, 0
    NO_TRAP_CASE 50, jalr ra, 0(t0)
    CHECK 51, a0, 1
    la t0, half_aligned
    li a0, 0
    NO_TRAP_CASE 52, jalr ra, 0(t0)     /* 32-bit code at 4k + 2 */
    CHECK 53, a0, 2
    li a0, 0
    NO_TRAP_CASE 54, jal ra, half_aligned
    CHECK 55, a0, 2

    csrw mtvec, x0
    TEST_END

    .text
    TRAP_HANDLER                        /* first: it must stay 4-byte aligned */
    .balign 4
odd_target:
    li a0, 1
    ret
    .balign 4
    .option push
    .option rvc
    c.nop
half_aligned:                           /* at 4k + 2 */
    .option norvc
    addi a0, x0, 2
    jalr x0, 0(ra)
    .option pop
