/*
 * imcvp platform register map: the one definition shared by the SystemC
 * models (C++) and the firmware (C and the linker script, via the C
 * preprocessor). Change an address or a register here and both sides follow.
 *
 * Only plain #defines: this header is included from C, C++, assembly and
 * the preprocessed linker script.
 */
#ifndef IMCVP_MEMORY_MAP_H
#define IMCVP_MEMORY_MAP_H

/* ---- main memory (RISC-V convention: DRAM at 0x8000_0000) --------------- */
#define IMCVP_RAM_BASE_DEFAULT 0x80000000
#define IMCVP_RAM_SIZE_DEFAULT 0x01000000 /* 16 MiB */

/* ---- CLINT (SiFive-compatible core-local interruptor) -------------------- */
#define IMCVP_CLINT_BASE 0x02000000
#define IMCVP_CLINT_SIZE 0x00010000
#define IMCVP_CLINT_MSIP 0x0000     /* 32-bit, bit 0: machine software irq */
#define IMCVP_CLINT_MTIMECMP 0x4000 /* 64-bit, low word first */
#define IMCVP_CLINT_MTIME 0xBFF8    /* 64-bit, low word first */
/* default mtime tick rate; the scenario's platform.timer_hz overrides it and
 * the firmware reads the rate in use from IMCVP_SIMCTRL_TIMER_HZ. */
#define IMCVP_MTIME_HZ_DEFAULT 10000000

/* ---- UART (transmit-only console) --------------------------------------- */
#define IMCVP_UART_BASE 0x10000000
#define IMCVP_UART_SIZE 0x00000100
#define IMCVP_UART_TXDATA 0x00 /* write: low byte is sent */
#define IMCVP_UART_STATUS 0x04 /* read: bit 0 = transmitter ready (always 1) */
#define IMCVP_UART_STATUS_TXREADY 0x1

/* ---- simulation control -------------------------------------------------- */
#define IMCVP_SIMCTRL_BASE 0x10001000
#define IMCVP_SIMCTRL_SIZE 0x00000100
#define IMCVP_SIMCTRL_EXIT 0x00     /* write: end the simulation, value = exit code */
#define IMCVP_SIMCTRL_RAM_BASE 0x04 /* read: main memory base in use */
#define IMCVP_SIMCTRL_RAM_SIZE 0x08 /* read: main memory size in use */
#define IMCVP_SIMCTRL_TIMER_HZ 0x0C /* read: CLINT mtime rate in Hz */
#define IMCVP_SIMCTRL_CPU_HZ 0x10   /* read: CPU clock in Hz */

/* ---- RISC-V machine-mode CSR numbers and fields used by both sides ------- */
#define IMCVP_MCAUSE_INTERRUPT 0x80000000u
#define IMCVP_IRQ_MSI 3  /* machine software interrupt */
#define IMCVP_IRQ_MTI 7  /* machine timer interrupt */
#define IMCVP_IRQ_MEI 11 /* machine external interrupt */

#endif /* IMCVP_MEMORY_MAP_H */
