/*
 * faults: the instructions that trap, each at a global label so that the C
 * side knows the exact mepc to expect. The trap handler in main.c skips the
 * faulting instruction (or, for the cases noted, returns elsewhere), so each
 * trigger then returns normally to its caller.
 */
#include "imcvp/hal.h"

    .section .text.fault_triggers, "ax", @progbits
    .option push
    .option norvc           /* fixed 4-byte encodings unless said otherwise */

/* void trig_ecall_m(void) */
    .balign 4
    .globl trig_ecall_m, at_ecall_m
trig_ecall_m:
at_ecall_m:
    ecall
    ret

/* void trig_ecall_u(void): mret into U-mode at at_ecall_u, which does an
 * ecall. The handler answers cause 8 by setting mstatus.MPP = M and moving
 * mepc past the ecall, so the `ret` after it runs in M-mode again. */
    .balign 4
    .globl trig_ecall_u, at_ecall_u
trig_ecall_u:
    li t0, IMCVP_MSTATUS_MPP_MASK | IMCVP_MSTATUS_MPIE
    csrc mstatus, t0        /* MPP = U, and MIE stays 0 after the mret */
    la t0, at_ecall_u
    csrw mepc, t0
    mret
at_ecall_u:
    ecall
    ret

/* void trig_ebreak(void): 32-bit ebreak */
    .balign 4
    .globl trig_ebreak, at_ebreak
trig_ebreak:
at_ebreak:
    ebreak
    ret

/* void trig_c_ebreak(void): 16-bit c.ebreak (handler must add 2) */
    .balign 4
    .globl trig_c_ebreak, at_c_ebreak
trig_c_ebreak:
    .option push
    .option rvc
at_c_ebreak:
    c.ebreak
    c.jr ra
    .option pop

/* uint32_t trig_illegal_csr(void): read of custom CSR 0x7C0, which the
 * platform does not implement */
    .balign 4
    .globl trig_illegal_csr, at_illegal_csr
trig_illegal_csr:
    li a0, 0
at_illegal_csr:
    csrr a0, 0x7c0
    ret

/* void trig_illegal_c(void): the all-zero 16-bit parcel (defined illegal) */
    .balign 4
    .globl trig_illegal_c, at_illegal_c
trig_illegal_c:
at_illegal_c:
    .half 0x0000
    .half 0x0001            /* c.nop: keeps `ret` 4-byte aligned */
    ret

/* uint32_t trig_load(uint32_t addr): lw from addr */
    .balign 4
    .globl trig_load, at_load
trig_load:
at_load:
    lw a0, 0(a0)
    ret

/* void trig_store(uint32_t addr, uint32_t value): sw to addr */
    .balign 4
    .globl trig_store, at_store
trig_store:
at_store:
    sw a1, 0(a0)
    ret

/* void trig_jump(uint32_t addr): call addr; the handler of the instruction
 * access fault returns to ra, i.e. right after the jalr */
    .balign 4
    .globl trig_jump
trig_jump:
    addi sp, sp, -16
    sw ra, 12(sp)
    jalr ra, 0(a0)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .option pop
