/*
 * imcvp crt0: the first code the host CPU runs (ELF entry, start of RAM).
 *
 *   gp  <- __global_pointer$   (small-data base, see link.ld.S)
 *   sp  <- __stack              (end of RAM)
 *   tp  <- __tls_base           (picolibc keeps errno etc. in TLS; with one
 *                                hart the .tdata/.tbss image in RAM is the
 *                                thread's block, no copy needed)
 *   zero [__bss_start, __bss_end)   (covers .tbss and .bss)
 *   __libc_init_array()         (constructors)
 *   exit(main(0, 0))
 *
 * No trap vector is installed: mtvec stays 0 so that the simulator reports
 * any trap as unhandled. Apps install their own with imcvp_trap_install().
 */
    .section .text.init, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack
    la tp, __tls_base

    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:
    call __libc_init_array

    li a0, 0            /* argc */
    li a1, 0            /* argv */
    call main
    call exit           /* a0 = main's return value; exit() ends in _exit() */
3:  j 3b
    .size _start, . - _start
