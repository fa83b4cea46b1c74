/*
 * imcvp_trap_entry: the machine-mode trap vector installed by
 * imcvp_trap_install(). Builds a struct imcvp_trap_frame (imcvp/hal.h) on
 * the stack in use when the trap was taken, calls the C handler with it,
 * then restores everything from the frame (including mepc and mstatus,
 * which the handler may have changed) and returns with mret.
 */
#include "imcvp/hal.h"

#define REG(n) ((n) * 4)
#define F_MEPC 128
#define F_MCAUSE 132
#define F_MTVAL 136
#define F_MSTATUS 140

    .section .text.imcvp_trap_entry, "ax", @progbits
    .balign 4
    .globl imcvp_trap_entry
    .type imcvp_trap_entry, @function
imcvp_trap_entry:
    addi sp, sp, -IMCVP_TRAP_FRAME_SIZE
    sw x1, REG(1)(sp)
    sw x3, REG(3)(sp)
    sw x4, REG(4)(sp)
    sw x5, REG(5)(sp)
    sw x6, REG(6)(sp)
    sw x7, REG(7)(sp)
    sw x8, REG(8)(sp)
    sw x9, REG(9)(sp)
    sw x10, REG(10)(sp)
    sw x11, REG(11)(sp)
    sw x12, REG(12)(sp)
    sw x13, REG(13)(sp)
    sw x14, REG(14)(sp)
    sw x15, REG(15)(sp)
    sw x16, REG(16)(sp)
    sw x17, REG(17)(sp)
    sw x18, REG(18)(sp)
    sw x19, REG(19)(sp)
    sw x20, REG(20)(sp)
    sw x21, REG(21)(sp)
    sw x22, REG(22)(sp)
    sw x23, REG(23)(sp)
    sw x24, REG(24)(sp)
    sw x25, REG(25)(sp)
    sw x26, REG(26)(sp)
    sw x27, REG(27)(sp)
    sw x28, REG(28)(sp)
    sw x29, REG(29)(sp)
    sw x30, REG(30)(sp)
    sw x31, REG(31)(sp)
    sw zero, REG(0)(sp)
    addi t0, sp, IMCVP_TRAP_FRAME_SIZE
    sw t0, REG(2)(sp)
    csrr t0, mepc
    sw t0, F_MEPC(sp)
    csrr t0, mcause
    sw t0, F_MCAUSE(sp)
    csrr t0, mtval
    sw t0, F_MTVAL(sp)
    csrr t0, mstatus
    sw t0, F_MSTATUS(sp)

    /* C code expects gp (set by crt0) untouched; it is never written by
     * the firmware, so the interrupted value is the right one. */
    mv a0, sp
    lw t0, imcvp_trap_handler
    jalr t0

    lw t0, F_MEPC(sp)
    csrw mepc, t0
    lw t0, F_MSTATUS(sp)
    csrw mstatus, t0
    lw x1, REG(1)(sp)
    lw x3, REG(3)(sp)
    lw x4, REG(4)(sp)
    lw x5, REG(5)(sp)
    lw x6, REG(6)(sp)
    lw x7, REG(7)(sp)
    lw x8, REG(8)(sp)
    lw x9, REG(9)(sp)
    lw x10, REG(10)(sp)
    lw x11, REG(11)(sp)
    lw x12, REG(12)(sp)
    lw x13, REG(13)(sp)
    lw x14, REG(14)(sp)
    lw x15, REG(15)(sp)
    lw x16, REG(16)(sp)
    lw x17, REG(17)(sp)
    lw x18, REG(18)(sp)
    lw x19, REG(19)(sp)
    lw x20, REG(20)(sp)
    lw x21, REG(21)(sp)
    lw x22, REG(22)(sp)
    lw x23, REG(23)(sp)
    lw x24, REG(24)(sp)
    lw x25, REG(25)(sp)
    lw x26, REG(26)(sp)
    lw x27, REG(27)(sp)
    lw x28, REG(28)(sp)
    lw x29, REG(29)(sp)
    lw x30, REG(30)(sp)
    lw x31, REG(31)(sp)
    lw sp, REG(2)(sp)
    mret
    .size imcvp_trap_entry, . - imcvp_trap_entry
