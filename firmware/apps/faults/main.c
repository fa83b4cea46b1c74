/*
 * faults: provokes every trap class the host CPU can take, handles each with
 * the HAL trap handler and checks mcause / mepc / mtval against what the
 * RISC-V privileged spec (and the imcvp platform) require.
 *
 * One line per case, then "faults: N/N trap classes handled as expected";
 * exit 0 when all passed, 1 otherwise.
 *
 * Platform assumptions: misaligned loads/stores trap (not emulated), an
 * address nobody decodes gives an access fault, an unimplemented CSR is an
 * illegal instruction, mtval holds the faulting address / instruction bits.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "imcvp/hal.h"

/* Nothing is mapped here in the imcvp memory map (see memory_map.h). */
#ifndef UNMAPPED_ADDR
#define UNMAPPED_ADDR 0x00001000u
#endif

/* triggers.S */
void trig_ecall_m(void);
void trig_ecall_u(void);
void trig_ebreak(void);
void trig_c_ebreak(void);
uint32_t trig_illegal_csr(void);
void trig_illegal_c(void);
uint32_t trig_load(uint32_t addr);
void trig_store(uint32_t addr, uint32_t value);
void trig_jump(uint32_t addr);
extern const char at_ecall_m[], at_ecall_u[], at_ebreak[], at_c_ebreak[], at_illegal_csr[],
    at_illegal_c[], at_load[], at_store[];

/* what the handler saw last */
static volatile struct {
    uint32_t count;
    uint32_t mcause, mepc, mtval, mstatus;
} seen;

#define MAX_TRAPS 64 /* a runaway trap loop ends the test */

static void handler(struct imcvp_trap_frame *f)
{
    seen.count = seen.count + 1;
    seen.mcause = f->mcause;
    seen.mepc = f->mepc;
    seen.mtval = f->mtval;
    seen.mstatus = f->mstatus;
    if (seen.count > MAX_TRAPS) {
        printf("faults: trap loop (mcause=0x%08" PRIx32 " mepc=0x%08" PRIx32 "), giving up\n",
               f->mcause, f->mepc);
        imcvp_sim_exit(1);
    }

    if (imcvp_mcause_is_interrupt(f->mcause)) {
        switch (imcvp_mcause_code(f->mcause)) {
        case IMCVP_IRQ_MTI:
            imcvp_timer_disarm();
            break;
        case IMCVP_IRQ_MSI:
            imcvp_msip_clear();
            break;
        default:
            imcvp_csr_write(mie, 0); /* unknown source: silence it */
            break;
        }
        return; /* resume the interrupted instruction stream */
    }

    switch (f->mcause) {
    case IMCVP_EXC_ECALL_U:
        /* come back to M-mode, after the ecall */
        f->mstatus |= IMCVP_MSTATUS_MPP_MASK;
        f->mepc += 4;
        break;
    case IMCVP_EXC_INSN_ACCESS:
    case IMCVP_EXC_INSN_MISALIGNED:
        /* nothing to skip at mepc (it is the bad target): return to the caller */
        f->mepc = f->x[1];
        break;
    default:
        /* skip the faulting instruction, 2 or 4 bytes */
        f->mepc += imcvp_insn_length(f->mepc);
        break;
    }
}

/* ---- checking ----------------------------------------------------------- */

enum { ANY = 0x1u, ZERO_OR = 0x2u }; /* mepc: ANY = not checked; mtval: ZERO_OR = 0 also ok */

static void reset_seen(void)
{
    seen.count = 0;
    seen.mcause = seen.mepc = seen.mtval = seen.mstatus = 0xDEADBEEFu;
}

/* Checks the one trap the last trigger should have caused; prints a line. */
static int check(const char *what, uint32_t cause, unsigned mepc_flags, uint32_t mepc,
                 unsigned mtval_flags, uint32_t mtval)
{
    int ok = seen.count == 1 && seen.mcause == cause;
    if (!(mepc_flags & ANY) && seen.mepc != mepc)
        ok = 0;
    if (seen.mtval != mtval && !((mtval_flags & ZERO_OR) && seen.mtval == 0))
        ok = 0;
    printf("  %-28s mcause=0x%08" PRIx32 " mepc=0x%08" PRIx32 " mtval=0x%08" PRIx32 "  %s\n", what,
           seen.mcause, seen.mepc, seen.mtval, ok ? "ok" : "FAIL");
    if (!ok) {
        printf("    expected 1 trap, mcause=0x%08" PRIx32, cause);
        if (!(mepc_flags & ANY))
            printf(" mepc=0x%08" PRIx32, mepc);
        printf(" mtval=%s0x%08" PRIx32 "; saw %" PRIu32 " trap(s)\n",
               (mtval_flags & ZERO_OR) ? "0 or " : "", mtval, seen.count);
    }
    return ok;
}

static uint32_t addr_of(const volatile void *p) { return (uint32_t)(uintptr_t)p; }

/* the 32-bit instruction at p, read as two halfwords (p may be 2-aligned) */
static uint32_t insn_at(const void *p)
{
    const volatile uint16_t *h = (const volatile uint16_t *)p;
    return (uint32_t)h[0] | ((uint32_t)h[1] << 16);
}

static uint32_t mpp_of(uint32_t mstatus)
{
    return (mstatus & IMCVP_MSTATUS_MPP_MASK) >> IMCVP_MSTATUS_MPP_SHIFT;
}

/* Waits (bounded) with wfi for `flag` to be set by an interrupt. mstatus.MIE
 * stays clear around wfi (wfi wakes on any pending enabled interrupt, MIE or
 * not), then MIE is opened for one instruction to take it: no interrupt can
 * slip in between the test of the flag and the wfi. */
static void wait_for_trap(void)
{
    for (int i = 0; i < 1000 && seen.count == 0; ++i) {
        imcvp_wfi();
        imcvp_irq_global_enable();
        imcvp_irq_global_disable();
    }
}

/* 4-byte aligned scratch word for the misaligned accesses */
static volatile uint32_t scratch[2] __attribute__((aligned(8)));

int main(void)
{
    unsigned classes = 0, passed = 0;
    int ok;

    printf("faults: provoking each trap class\n");
    imcvp_irq_global_disable();
    imcvp_csr_write(mie, 0);
    imcvp_trap_install(handler);

    /* 1. ecall from M-mode */
    reset_seen();
    trig_ecall_m();
    ok = check("ecall from M-mode", IMCVP_EXC_ECALL_M, 0, addr_of(at_ecall_m), 0, 0);
    if (ok && mpp_of(seen.mstatus) != IMCVP_PRV_M) {
        printf("    FAIL: mstatus.MPP = %" PRIu32 " at the trap, expected 3 (M)\n", mpp_of(seen.mstatus));
        ok = 0;
    }
    classes++, passed += ok;

    /* 2. ecall from U-mode */
    reset_seen();
    trig_ecall_u();
    ok = check("ecall from U-mode", IMCVP_EXC_ECALL_U, 0, addr_of(at_ecall_u), 0, 0);
    if (ok && mpp_of(seen.mstatus) != IMCVP_PRV_U) {
        printf("    FAIL: mstatus.MPP = %" PRIu32 " at the trap, expected 0 (U)\n", mpp_of(seen.mstatus));
        ok = 0;
    }
    classes++, passed += ok;

    /* 3. breakpoint: 32-bit ebreak and 16-bit c.ebreak (mtval: 0 or the pc) */
    reset_seen();
    trig_ebreak();
    ok = check("ebreak", IMCVP_EXC_BREAKPOINT, 0, addr_of(at_ebreak), ZERO_OR, addr_of(at_ebreak));
    reset_seen();
    trig_c_ebreak();
    ok &= check("c.ebreak (2 bytes)", IMCVP_EXC_BREAKPOINT, 0, addr_of(at_c_ebreak), ZERO_OR,
                addr_of(at_c_ebreak));
    classes++, passed += ok;

    /* 4. illegal instruction: unimplemented CSR (mtval = the instruction),
     *    and the all-zero 16-bit parcel */
    reset_seen();
    (void)trig_illegal_csr();
    ok = check("illegal insn (csrr 0x7c0)", IMCVP_EXC_ILLEGAL_INSN, 0, addr_of(at_illegal_csr), 0,
               insn_at(at_illegal_csr));
    reset_seen();
    trig_illegal_c();
    ok &= check("illegal insn (0x0000)", IMCVP_EXC_ILLEGAL_INSN, 0, addr_of(at_illegal_c), 0, 0);
    classes++, passed += ok;

    /* 5. misaligned load (mtval = address) */
    uint32_t mis = addr_of(&scratch[0]) + 1;
    reset_seen();
    (void)trig_load(mis);
    ok = check("misaligned load (lw)", IMCVP_EXC_LOAD_MISALIGNED, 0, addr_of(at_load), 0, mis);
    classes++, passed += ok;

    /* 6. misaligned store */
    mis = addr_of(&scratch[0]) + 2;
    reset_seen();
    trig_store(mis, 0x12345678u);
    ok = check("misaligned store (sw)", IMCVP_EXC_STORE_MISALIGNED, 0, addr_of(at_store), 0, mis);
    classes++, passed += ok;

    /* 7. load access fault */
    reset_seen();
    (void)trig_load(UNMAPPED_ADDR);
    ok = check("load access fault", IMCVP_EXC_LOAD_ACCESS, 0, addr_of(at_load), 0, UNMAPPED_ADDR);
    classes++, passed += ok;

    /* 8. store access fault */
    reset_seen();
    trig_store(UNMAPPED_ADDR, 0xCAFEF00Du);
    ok = check("store access fault", IMCVP_EXC_STORE_ACCESS, 0, addr_of(at_store), 0, UNMAPPED_ADDR);
    classes++, passed += ok;

    /* 9. instruction access fault: jump to an unmapped address */
    reset_seen();
    trig_jump(UNMAPPED_ADDR);
    ok = check("instruction access fault", IMCVP_EXC_INSN_ACCESS, 0, UNMAPPED_ADDR, ZERO_OR,
               UNMAPPED_ADDR);
    classes++, passed += ok;

    /* 10. machine timer interrupt, a few ticks ahead. mstatus.MIE is kept
     * clear (wait_for_trap opens it) and the timer is armed before MTIE is
     * set, since mtimecmp may reset to 0 (i.e. already pending). */
    imcvp_irq_global_disable();
    reset_seen();
    imcvp_set_mtimecmp(imcvp_mtime() + 5);
    imcvp_irq_enable(IMCVP_IRQ_MTI);
    wait_for_trap();
    imcvp_irq_disable(IMCVP_IRQ_MTI);
    imcvp_timer_disarm();
    ok = check("machine timer interrupt", IMCVP_MCAUSE_INTERRUPT | IMCVP_IRQ_MTI, ANY, 0, 0, 0);
    classes++, passed += ok;

    /* 11. machine software interrupt through msip */
    imcvp_irq_global_disable();
    reset_seen();
    imcvp_irq_enable(IMCVP_IRQ_MSI);
    imcvp_msip_set();
    wait_for_trap();
    imcvp_irq_disable(IMCVP_IRQ_MSI);
    imcvp_msip_clear();
    ok = check("machine software interrupt", IMCVP_MCAUSE_INTERRUPT | IMCVP_IRQ_MSI, ANY, 0, 0, 0);
    classes++, passed += ok;

    imcvp_trap_uninstall();
    printf("faults: %u/%u trap classes handled as expected\n", passed, classes);
    return passed == classes ? 0 : 1;
}
