/*
 * rv32mi_mcsr: the machine-level CSRs the privileged specification asks of
 * an RV32 hart with M- and U-mode and no S-mode, and those it leaves out:
 *   - identification: misa (MXL = 32, I M C U), mhartid 0, mvendorid,
 *     marchid, mimpid and mconfigptr read (zero), and are read-only
 *   - mstatus WARL: MPP holds M or U only; MPRV and TW are writable;
 *     mstatush (RV32: MBE, SBE) reads zero (little-endian)
 *   - mcounteren exists (U-mode does): CY, TM, IR writable, HPM bits zero
 *   - menvcfg/menvcfgh exist (U-mode does) and read zero (no S-mode, none of
 *     the extensions they configure)
 *   - mhpmcounter3..31[h], mhpmevent3..31: read-only zero, writes ignored
 *   - debug triggers: none; tselect reads 0, tdata1's type 0 = no trigger
 *   - absent, so illegal: medeleg, mideleg, sstatus, satp (no S-mode),
 *     pmpcfg0, pmpaddr0 (no PMP), mcountinhibit (optional), hpmcounter3
 *     (no Zihpm), a custom CSR
 *   - a write to a read-only CSR is illegal (mhartid, cycle), mtval = bits
 */
#include "isa_test.h"
#include "trap_test.h"

    TEST_BEGIN
    TRAP_SETUP

    /* ---- identification ---- */
    csrr a0, misa
    srli a1, a0, 30
    CHECK 1, a1, 1                      /* MXL = 1: 32-bit */
    li a1, (1 << 8) | (1 << 12) | (1 << 2) | (1 << 20)   /* I M C U */
    and a2, a0, a1
    CHECK_REG 2, a2, a1
    NO_TRAP_CASE 3, csrr a0, mhartid
    CHECK 4, a0, 0
    NO_TRAP_CASE 5, csrr a0, mvendorid
    NO_TRAP_CASE 6, csrr a0, marchid
    NO_TRAP_CASE 7, csrr a0, mimpid
    li a0, 1
    NO_TRAP_CASE 8, csrr a0, CSR_MCONFIGPTR
    CHECK 9, a0, 0
    TRAP_CASE 10, CAUSE_ILLEGAL, csrw mhartid, x0
    lw a1, 0(x21)                       /* mtval: the instruction bits */
    CHECK_MTVAL 11, a1
    TRAP_CASE 12, CAUSE_ILLEGAL, csrw CSR_MCONFIGPTR, x0

    /* ---- mstatus ---- */
    li a0, -1
    csrw mstatus, a0
    csrr a1, mstatus
    li a2, MSTATUS_MIE
    csrc mstatus, a2                    /* nothing may interrupt */
    CHECK 20, a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TW
    li a0, MSTATUS_MPP
    csrc mstatus, a0
    li a0, 0x800                        /* MPP = S: not supported */
    csrs mstatus, a0
    csrr a1, mstatus
    and a1, a1, a0
    li a2, 0x800
    li TESTNUM, 21
    beq a1, a2, isa_test_fail           /* reads back M or U, never S */
    li a0, -1
    NO_TRAP_CASE 22, csrw CSR_MSTATUSH, a0
    NO_TRAP_CASE 23, csrr a1, CSR_MSTATUSH
    CHECK 24, a1, 0
    csrw mstatus, x0

    /* ---- mcounteren ---- */
    li a0, -1
    NO_TRAP_CASE 30, csrw CSR_MCOUNTEREN, a0
    csrr a1, CSR_MCOUNTEREN
    CHECK 31, a1, 7
    csrw CSR_MCOUNTEREN, x0
    csrr a1, CSR_MCOUNTEREN
    CHECK 32, a1, 0

    /* ---- menvcfg ---- */
    li a0, -1
    NO_TRAP_CASE 35, csrw CSR_MENVCFG, a0
    csrr a1, CSR_MENVCFG
    CHECK 36, a1, 0
    NO_TRAP_CASE 37, csrw CSR_MENVCFGH, a0
    csrr a1, CSR_MENVCFGH
    CHECK 38, a1, 0

    /* ---- hardware performance monitor: read-only zero ---- */
    li a0, -1
    NO_TRAP_CASE 40, csrw CSR_MHPMCOUNTER3, a0
    csrr a1, CSR_MHPMCOUNTER3
    CHECK 41, a1, 0
    NO_TRAP_CASE 42, csrw CSR_MHPMCOUNTER31H, a0
    csrr a1, CSR_MHPMCOUNTER31H
    CHECK 43, a1, 0
    NO_TRAP_CASE 44, csrw CSR_MHPMEVENT3, a0
    csrr a1, CSR_MHPMEVENT3
    CHECK 45, a1, 0
    csrr a1, CSR_MHPMCOUNTER31
    CHECK 46, a1, 0
    csrr a1, CSR_MHPMCOUNTER3H
    CHECK 47, a1, 0
    csrr a1, CSR_MHPMEVENT31
    CHECK 48, a1, 0

    /* ---- debug triggers: none ---- */
    NO_TRAP_CASE 50, csrw CSR_TSELECT, x0
    li a1, -1
    csrr a1, CSR_TSELECT
    CHECK 51, a1, 0
    csrr a1, CSR_TDATA1
    srli a1, a1, 28                     /* type 0: no trigger at this tselect */
    CHECK 52, a1, 0

    /* ---- absent CSRs ---- */
    li a0, 0x5a5a
    TRAP_CASE 60, CAUSE_ILLEGAL, csrr a0, 0x302     /* medeleg */
    TRAP_CASE 61, CAUSE_ILLEGAL, csrr a0, 0x303     /* mideleg */
    TRAP_CASE 62, CAUSE_ILLEGAL, csrr a0, 0x100     /* sstatus */
    TRAP_CASE 63, CAUSE_ILLEGAL, csrr a0, 0x180     /* satp */
    TRAP_CASE 64, CAUSE_ILLEGAL, csrr a0, 0x3a0     /* pmpcfg0 */
    TRAP_CASE 65, CAUSE_ILLEGAL, csrr a0, 0x3b0     /* pmpaddr0 */
    TRAP_CASE 66, CAUSE_ILLEGAL, csrr a0, CSR_MCOUNTINHIBIT
    TRAP_CASE 67, CAUSE_ILLEGAL, csrr a0, CSR_HPMCOUNTER3
    TRAP_CASE 68, CAUSE_ILLEGAL, csrr a0, 0x7c0     /* custom */
    CHECK 69, a0, 0x5a5a                /* rd not written */
    TRAP_CASE 70, CAUSE_ILLEGAL, csrrw a0, cycle, x0   /* read-only */
    TRAP_CASE 71, CAUSE_ILLEGAL, csrrs a0, instret, a0 /* read-only, rs1 != x0 */
    CHECK 72, a0, 0x5a5a
    NO_TRAP_CASE 73, csrrs a0, cycle, x0    /* a read is fine */
    NO_TRAP_CASE 74, csrrsi x0, time, 0

    csrw mtvec, x0
    TEST_END

    .text
    TRAP_HANDLER
