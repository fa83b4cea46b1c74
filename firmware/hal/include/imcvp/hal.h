/*
 * imcvp firmware HAL: memory-mapped I/O, console, simulation control, CSRs,
 * traps, CLINT timer / software interrupt.
 *
 * All addresses come from imcvp/memory_map.h (the register map shared with
 * the simulator models); this header only adds RISC-V architectural
 * constants (CSR fields, exception codes) and the helpers built on them.
 *
 * Single hart, machine mode. Everything here is header-only except the
 * console (stdout/stderr, _exit), the trap entry and imcvp_trap_install(),
 * which live in the imcvp_rt library (firmware/hal/src).
 */
#ifndef IMCVP_HAL_H
#define IMCVP_HAL_H

#include "imcvp/memory_map.h"

/* ---- RISC-V architectural constants -------------------------------------- */

/* mstatus fields */
#define IMCVP_MSTATUS_MIE (1u << 3)
#define IMCVP_MSTATUS_MPIE (1u << 7)
#define IMCVP_MSTATUS_MPP_SHIFT 11
#define IMCVP_MSTATUS_MPP_MASK (3u << IMCVP_MSTATUS_MPP_SHIFT)
#define IMCVP_PRV_U 0u
#define IMCVP_PRV_M 3u

/* mie / mip bits (IRQ numbers from memory_map.h) */
#define IMCVP_MIE_MSIE (1u << IMCVP_IRQ_MSI)
#define IMCVP_MIE_MTIE (1u << IMCVP_IRQ_MTI)
#define IMCVP_MIE_MEIE (1u << IMCVP_IRQ_MEI)

/* synchronous exception codes (mcause with the interrupt bit clear) */
#define IMCVP_EXC_INSN_MISALIGNED 0
#define IMCVP_EXC_INSN_ACCESS 1
#define IMCVP_EXC_ILLEGAL_INSN 2
#define IMCVP_EXC_BREAKPOINT 3
#define IMCVP_EXC_LOAD_MISALIGNED 4
#define IMCVP_EXC_LOAD_ACCESS 5
#define IMCVP_EXC_STORE_MISALIGNED 6
#define IMCVP_EXC_STORE_ACCESS 7
#define IMCVP_EXC_ECALL_U 8
#define IMCVP_EXC_ECALL_M 11

/* struct imcvp_trap_frame size in bytes (multiple of 16) */
#define IMCVP_TRAP_FRAME_SIZE 144

#ifndef __ASSEMBLER__ /* the rest is C */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- memory-mapped I/O ---------------------------------------------------- */

static inline void imcvp_write32(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint32_t imcvp_read32(uintptr_t addr)
{
    return *(volatile const uint32_t *)addr;
}

static inline void imcvp_write16(uintptr_t addr, uint16_t value)
{
    *(volatile uint16_t *)addr = value;
}

static inline uint16_t imcvp_read16(uintptr_t addr)
{
    return *(volatile const uint16_t *)addr;
}

static inline void imcvp_write8(uintptr_t addr, uint8_t value)
{
    *(volatile uint8_t *)addr = value;
}

static inline uint8_t imcvp_read8(uintptr_t addr)
{
    return *(volatile const uint8_t *)addr;
}

/* ---- CSR access -----------------------------------------------------------
 * csr is the CSR name (mstatus, mepc, ...) or number (0x340); a macro that
 * expands to either works too. Immediates 0..31 use the csr*i forms.
 */
#define IMCVP_STR_(x) #x
#define IMCVP_STR(x) IMCVP_STR_(x)

#define imcvp_csr_read(csr)                                                   \
    __extension__({                                                           \
        uint32_t imcvp_v_;                                                    \
        __asm__ volatile("csrr %0, " IMCVP_STR(csr) : "=r"(imcvp_v_)::"memory"); \
        imcvp_v_;                                                             \
    })

#define imcvp_csr_write(csr, val)                                             \
    __asm__ volatile("csrw " IMCVP_STR(csr) ", %0" ::"rK"((uint32_t)(val)) : "memory")

/* set bits (csrs) */
#define imcvp_csr_set(csr, bits)                                              \
    __asm__ volatile("csrs " IMCVP_STR(csr) ", %0" ::"rK"((uint32_t)(bits)) : "memory")

/* clear bits (csrc) */
#define imcvp_csr_clear(csr, bits)                                            \
    __asm__ volatile("csrc " IMCVP_STR(csr) ", %0" ::"rK"((uint32_t)(bits)) : "memory")

/* write and return the old value (csrrw) */
#define imcvp_csr_swap(csr, val)                                              \
    __extension__({                                                           \
        uint32_t imcvp_v_;                                                    \
        __asm__ volatile("csrrw %0, " IMCVP_STR(csr) ", %1"                   \
                         : "=r"(imcvp_v_)                                     \
                         : "rK"((uint32_t)(val))                              \
                         : "memory");                                         \
        imcvp_v_;                                                             \
    })

/* 64-bit counters read as hi/lo/hi so a carry between the halves is caught */
#define IMCVP_READ_CSR64_(lo, hi)                                             \
    __extension__({                                                           \
        uint32_t imcvp_h_, imcvp_l_;                                          \
        do {                                                                  \
            imcvp_h_ = imcvp_csr_read(hi);                                    \
            imcvp_l_ = imcvp_csr_read(lo);                                    \
        } while (imcvp_h_ != imcvp_csr_read(hi));                             \
        ((uint64_t)imcvp_h_ << 32) | imcvp_l_;                                \
    })

static inline uint64_t imcvp_mcycle(void) { return IMCVP_READ_CSR64_(mcycle, mcycleh); }
static inline uint64_t imcvp_minstret(void) { return IMCVP_READ_CSR64_(minstret, minstreth); }
/* user-level views (readable in U-mode too) */
static inline uint64_t imcvp_rdcycle(void) { return IMCVP_READ_CSR64_(cycle, cycleh); }
static inline uint64_t imcvp_rdinstret(void) { return IMCVP_READ_CSR64_(instret, instreth); }
static inline uint64_t imcvp_rdtime(void) { return IMCVP_READ_CSR64_(time, timeh); }

/* ---- console (UART, transmit only) ---------------------------------------- */

static inline void imcvp_uart_putc(char c)
{
    /* the UART is always ready (IMCVP_UART_STATUS_TXREADY reads 1): one
     * 32-bit store per byte */
    imcvp_write32(IMCVP_UART_BASE + IMCVP_UART_TXDATA, (uint8_t)c);
}

static inline void imcvp_uart_puts(const char *s)
{
    while (*s)
        imcvp_uart_putc(*s++);
}

/* ---- simulation control ------------------------------------------------------ */

static inline void imcvp_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

/* End the simulation with an exit code; never returns. */
static inline __attribute__((noreturn)) void imcvp_sim_exit(int code)
{
    imcvp_write32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_EXIT, (uint32_t)code);
    for (;;)
        imcvp_wfi();
}

static inline uint32_t imcvp_sim_ram_base(void) { return imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_RAM_BASE); }
static inline uint32_t imcvp_sim_ram_size(void) { return imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_RAM_SIZE); }
static inline uint32_t imcvp_sim_timer_hz(void) { return imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_TIMER_HZ); }
static inline uint32_t imcvp_sim_cpu_hz(void) { return imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_CPU_HZ); }

/* ---- interrupts ----------------------------------------------------------------- */

static inline void imcvp_irq_global_enable(void) { imcvp_csr_set(mstatus, IMCVP_MSTATUS_MIE); }
static inline void imcvp_irq_global_disable(void) { imcvp_csr_clear(mstatus, IMCVP_MSTATUS_MIE); }
/* irq: IMCVP_IRQ_MSI, IMCVP_IRQ_MTI, IMCVP_IRQ_MEI */
static inline void imcvp_irq_enable(unsigned irq) { imcvp_csr_set(mie, 1u << irq); }
static inline void imcvp_irq_disable(unsigned irq) { imcvp_csr_clear(mie, 1u << irq); }

/* ---- CLINT: mtime / mtimecmp / msip ---------------------------------------------- */

#define IMCVP_CLINT_REG(off) ((uintptr_t)IMCVP_CLINT_BASE + (uintptr_t)(off))

/* mtime, 64 bits read as hi/lo/hi */
static inline uint64_t imcvp_mtime(void)
{
    uint32_t hi, lo;
    do {
        hi = imcvp_read32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIME + 4));
        lo = imcvp_read32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIME));
    } while (hi != imcvp_read32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIME + 4)));
    return ((uint64_t)hi << 32) | lo;
}

/* mtimecmp: the low word is first set to all ones so that no intermediate
 * value (new high, old low) can be smaller than both old and new values */
static inline void imcvp_set_mtimecmp(uint64_t when)
{
    imcvp_write32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIMECMP), 0xFFFFFFFFu);
    imcvp_write32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIMECMP + 4), (uint32_t)(when >> 32));
    imcvp_write32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIMECMP), (uint32_t)when);
}

static inline uint64_t imcvp_get_mtimecmp(void)
{
    uint32_t lo = imcvp_read32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIMECMP));
    uint32_t hi = imcvp_read32(IMCVP_CLINT_REG(IMCVP_CLINT_MTIMECMP + 4));
    return ((uint64_t)hi << 32) | lo;
}

/* never fire (clears a pending timer interrupt) */
static inline void imcvp_timer_disarm(void) { imcvp_set_mtimecmp(UINT64_MAX); }

/* mtime ticks per second in use (scenario platform.timer_hz) */
static inline uint32_t imcvp_timer_hz(void) { return imcvp_sim_timer_hz(); }

static inline void imcvp_msip_set(void) { imcvp_write32(IMCVP_CLINT_REG(IMCVP_CLINT_MSIP), 1u); }
static inline void imcvp_msip_clear(void) { imcvp_write32(IMCVP_CLINT_REG(IMCVP_CLINT_MSIP), 0u); }

/* ---- traps ------------------------------------------------------------------------
 * imcvp_trap_install(handler) points mtvec (direct mode) at an assembly
 * entry that saves x1..x31 and the trap CSRs in a struct imcvp_trap_frame on
 * the current stack, calls handler(frame), then writes back mepc and mstatus
 * from the frame, restores all registers from the frame (so the handler may
 * change them, e.g. x[10] = a0) and executes mret.
 * A synchronous exception returns to the faulting instruction unless the
 * handler moves frame->mepc (see imcvp_insn_length()).
 */
struct imcvp_trap_frame {
    uint32_t x[32]; /* x[0] reads 0; x[2] is sp before the trap */
    uint32_t mepc;
    uint32_t mcause;
    uint32_t mtval;
    uint32_t mstatus;
};

#ifdef __cplusplus
static_assert(sizeof(struct imcvp_trap_frame) == IMCVP_TRAP_FRAME_SIZE, "trap frame layout");
#else
_Static_assert(sizeof(struct imcvp_trap_frame) == IMCVP_TRAP_FRAME_SIZE, "trap frame layout");
#endif

typedef void (*imcvp_trap_handler_t)(struct imcvp_trap_frame *frame);

/* Install handler and write mtvec; returns the previous handler (or 0). */
imcvp_trap_handler_t imcvp_trap_install(imcvp_trap_handler_t handler);
/* mtvec = 0 again: the simulator then reports any trap as unhandled. */
void imcvp_trap_uninstall(void);
/* the assembly entry mtvec points at */
void imcvp_trap_entry(void);

/* Length in bytes (2 or 4) of the instruction at pc. */
static inline uint32_t imcvp_insn_length(uint32_t pc)
{
    uint16_t low = *(volatile const uint16_t *)(uintptr_t)pc;
    return (low & 3u) == 3u ? 4u : 2u;
}

static inline int imcvp_mcause_is_interrupt(uint32_t mcause) { return (mcause & IMCVP_MCAUSE_INTERRUPT) != 0; }
static inline uint32_t imcvp_mcause_code(uint32_t mcause) { return mcause & ~IMCVP_MCAUSE_INTERRUPT; }

#ifdef __cplusplus
}
#endif

#endif /* !__ASSEMBLER__ */

#endif /* IMCVP_HAL_H */
