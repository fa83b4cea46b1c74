/*
 * rv32mi_csr: machine-mode CSR instructions and traps.
 *   - csrrw/csrrs/csrrc and the immediate forms on mscratch (old value
 *     returned, rs1 = x0 / uimm = 0 forms do not write, rd = x0 does write)
 *   - mcycle and minstret count up; misa says RV32 with I, M, C; mhartid 0
 *   - mepc bit 0 reads as zero (IALIGN = 16)
 *   - ecall: mcause 11, mepc = the ecall, mtval 0
 *   - mret jumps to mepc and sets MIE from MPIE
 *   - an unimplemented CSR (0x7C0) is an illegal instruction, mtval = bits
 *   - fence.i makes a store over an instruction visible to fetch
 * The trap handler records mcause/mepc/mtval in x20/x21/x22 and resumes at
 * mepc + 4 (all trapping instructions here are 32-bit).
 */
#include "isa_test.h"

#define MSTATUS_MIE 0x00000008
#define MSTATUS_MPIE 0x00000080
#define MSTATUS_MPP 0x00001800

    TEST_BEGIN

    /* ---- csrrw ---- */
    li a0, 0x12345678
    csrw mscratch, a0
    csrr a1, mscratch
    CHECK 1, a1, 0x12345678
    li a2, 0xdeadbeef
    csrrw a1, mscratch, a2
    CHECK 2, a1, 0x12345678
    csrr a3, mscratch
    CHECK 3, a3, 0xdeadbeef
    li a0, 0x0000aaaa           /* rd == rs1 */
    li a1, 0x00005555
    csrw mscratch, a1
    csrrw a0, mscratch, a0
    CHECK 4, a0, 0x00005555
    csrr a0, mscratch
    CHECK 5, a0, 0x0000aaaa
    li a0, 0x0000abcd           /* rd = x0 still writes */
    csrrw x0, mscratch, a0
    csrr a1, mscratch
    CHECK 6, a1, 0x0000abcd
    CHECK 7, x0, 0

    /* ---- csrrs ---- */
    li a0, 0x0f0
    csrw mscratch, a0
    li a2, 0xf00
    csrrs a1, mscratch, a2
    CHECK 10, a1, 0x0f0
    csrrs a1, mscratch, x0      /* read only */
    CHECK 11, a1, 0xff0
    csrr a1, mscratch
    CHECK 12, a1, 0xff0

    /* ---- csrrc ---- */
    li a2, 0x0f0
    csrrc a1, mscratch, a2
    CHECK 13, a1, 0xff0
    csrrc a1, mscratch, x0      /* read only */
    CHECK 14, a1, 0xf00

    /* ---- immediate forms ---- */
    csrrwi a1, mscratch, 0x1f
    CHECK 20, a1, 0xf00
    csrr a1, mscratch
    CHECK 21, a1, 0x1f
    li a0, 0x100
    csrw mscratch, a0
    csrrsi a1, mscratch, 0x5
    CHECK 22, a1, 0x100
    csrr a1, mscratch
    CHECK 23, a1, 0x105
    csrrci a1, mscratch, 0x4
    CHECK 24, a1, 0x105
    csrr a1, mscratch
    CHECK 25, a1, 0x101
    csrrsi a1, mscratch, 0      /* uimm 0: no write */
    CHECK 26, a1, 0x101
    csrrci a1, mscratch, 0
    CHECK 27, a1, 0x101
    csrrwi a1, mscratch, 0      /* csrrwi always writes */
    csrr a1, mscratch
    CHECK 28, a1, 0

    /* ---- counters ---- */
    csrr a0, mcycle
    nop
    nop
    nop
    nop
    csrr a1, mcycle
    sub a2, a1, a0
    li TESTNUM, 30
    beqz a2, isa_test_fail      /* mcycle advanced */
    li a3, 0x10000
    bgeu a2, a3, isa_test_fail  /* ... by a little */
    csrr a0, minstret
    nop
    nop
    nop
    csrr a1, minstret
    sub a2, a1, a0
    li TESTNUM, 31
    beqz a2, isa_test_fail      /* minstret advanced */
    li a3, 16
    bgeu a2, a3, isa_test_fail  /* by the few instructions retired */
    csrr a0, mcycleh            /* the high halves read */
    csrr a0, minstreth

    /* ---- identification ---- */
    csrr a0, misa
    li a1, 0xc0001104           /* MXL and the I, M, C bits */
    and a0, a0, a1
    CHECK 35, a0, 0x40001104
    csrr a0, mhartid
    CHECK 36, a0, 0

    /* ---- install the trap handler ---- */
    la a0, trap_handler
    csrw mtvec, a0
    csrr a1, mtvec
    CHECK_REG 40, a1, a0

    /* ---- ecall ---- */
    li x20, -1
    li x21, -1
    li x22, -1
    li TESTNUM, 41
ecall_site:
    ecall
    CHECK 42, x20, 11
    CHECK_ADDR 43, x21, ecall_site
    CHECK 44, x22, 0

    /* ---- mret: to mepc, MIE <- MPIE, stays in M (MPP = M) ---- */
    li a0, MSTATUS_MIE
    csrc mstatus, a0
    li a0, MSTATUS_MPIE | MSTATUS_MPP
    csrs mstatus, a0
    csrw mie, x0                /* nothing may interrupt once MIE is set */
    la a0, mret_target
    csrw mepc, a0
    li TESTNUM, 45
    mret
    j isa_test_fail
mret_target:
    csrr a0, mstatus
    andi a0, a0, MSTATUS_MIE
    CHECK 46, a0, MSTATUS_MIE
    li a0, MSTATUS_MIE
    csrc mstatus, a0
    csrr a0, mstatus            /* still M-mode: M CSRs are accessible */

    /* ---- illegal instruction: unimplemented CSR ---- */
    li x20, -1
    li x21, -1
    li x22, -1
    li a0, 0x5a5a
    li TESTNUM, 50
    .balign 4
illegal_site:
    csrr a0, 0x7c0
    CHECK 51, x20, 2
    CHECK_ADDR 52, x21, illegal_site
    la a1, illegal_site
    lw a1, 0(a1)
    CHECK_REG 53, x22, a1
    CHECK 54, a1, 0x7c002573    /* csrrs a0, 0x7c0, x0 */
    CHECK 55, a0, 0x5a5a        /* rd not written */

    /* ---- fence.i: self-modifying code ---- */
    jal ra, smc_func            /* run (and so fetch/cache) the old code */
    CHECK 60, a0, 1
    la a1, smc_template
    lw a2, 0(a1)                /* addi a0, x0, 2 */
    la a1, smc_site
    sw a2, 0(a1)
    fence.i
    jal ra, smc_func
    CHECK 61, a0, 2
    csrw mtvec, x0

    /* ---- mepc: bit 0 always reads as zero (WARL, IALIGN = 16) ---- */
    li a0, 0x80000003
    csrw mepc, a0
    csrr a1, mepc
    CHECK 70, a1, 0x80000002

    TEST_END

    .text
    .balign 4
smc_func:
smc_site:
    addi a0, x0, 1              /* overwritten with smc_template */
    jalr x0, 0(ra)
smc_template:
    addi a0, x0, 2

    .balign 4
trap_handler:
    csrr x20, mcause
    csrr x21, mepc
    csrr x22, mtval
    addi x23, x21, 4
    csrw mepc, x23
    mret
