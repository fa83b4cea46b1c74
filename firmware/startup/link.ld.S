/*
 * imcvp linker script, run through the C preprocessor so that the RAM
 * window comes from the shared register map (imcvp/memory_map.h).
 *
 * Everything (code, data, stack, heap) lives in main RAM: the simulator
 * loads the ELF's PT_LOAD segments there and starts at the entry point,
 * which is _start at the very start of RAM (section .text.init).
 *
 * Symbols for the runtime and the simulator:
 *   __stack             initial stack pointer = end of RAM
 *   __global_pointer$   gp
 *   __tls_base          start of the TLS block (.tdata then .tbss)
 *   __bss_start/__bss_end   zeroed by crt0 (.tbss + .bss)
 *   __heap_start/__heap_end  malloc arena (picolibc sbrk)
 *   tohost/fromhost     (ISA tests only) in section .tohost, 8-byte aligned
 */
#include "imcvp/memory_map.h"

OUTPUT_ARCH("riscv")
ENTRY(_start)

MEMORY
{
    ram (rwx) : ORIGIN = IMCVP_RAM_BASE_DEFAULT, LENGTH = IMCVP_RAM_SIZE_DEFAULT
}

PHDRS
{
    text PT_LOAD FLAGS(5);      /* R X */
    data PT_LOAD FLAGS(6);      /* R W */
    tls PT_TLS;
}

/* space kept for the stack below __stack; the heap gets what is left */
__stack_size = DEFINED(__stack_size) ? __stack_size : 0x10000;

SECTIONS
{
    __ram_start = ORIGIN(ram);
    __ram_end = ORIGIN(ram) + LENGTH(ram);
    __stack = __ram_end;

    .text : {
        KEEP(*(.text.init))
        *(.text.unlikely .text.unlikely.*)
        *(.text.startup .text.startup.*)
        *(.text .text.*)
        *(.gnu.linkonce.t.*)
        __etext = .;
    } >ram :text

    .rodata : ALIGN(8) {
        *(.rodata .rodata.*)
        *(.gnu.linkonce.r.*)
        *(.srodata.cst16) *(.srodata.cst8) *(.srodata.cst4) *(.srodata.cst2)
        *(.srodata .srodata.*)
        *(.data.rel.ro .data.rel.ro.*)
        . = ALIGN(8);
        PROVIDE_HIDDEN(__preinit_array_start = .);
        KEEP(*(.preinit_array))
        PROVIDE_HIDDEN(__preinit_array_end = .);
        PROVIDE_HIDDEN(__init_array_start = .);
        KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*) SORT_BY_INIT_PRIORITY(.ctors.*)))
        KEEP(*(.init_array .ctors))
        PROVIDE_HIDDEN(__init_array_end = .);
        PROVIDE_HIDDEN(__fini_array_start = .);
        KEEP(*(SORT_BY_INIT_PRIORITY(.fini_array.*) SORT_BY_INIT_PRIORITY(.dtors.*)))
        KEEP(*(.fini_array .dtors))
        PROVIDE_HIDDEN(__fini_array_end = .);
    } >ram :text

    /* HTIF-style mailbox of the ISA tests: 64-bit words, own section */
    .tohost : ALIGN(64) {
        KEEP(*(.tohost))
    } >ram :data

    /* A program may ask for its writable data to start on a page of its own
     * by defining the absolute symbol __imcvp_data_align (e.g. 4096) in one
     * of its objects: binary translators such as QEMU slow down badly when
     * code and written data share a page. Nothing moves for the others. */
    .data : ALIGN(8) {
        . = ALIGN(DEFINED(__imcvp_data_align) ? __imcvp_data_align : 1);
        __data_start = .;
        *(.data .data.*)
        *(.gnu.linkonce.d.*)
        . = ALIGN(8);
        __global_pointer$ = . + 0x800;
        *(.sdata .sdata.* .sdata2 .sdata2.*)
        *(.gnu.linkonce.s.*)
        . = ALIGN(8);
        __data_end = .;
    } >ram :data

    /* TLS: one hart, so the image itself is the thread's block */
    . = ALIGN(8);
    __tls_base = .;
    .tdata : ALIGN(8) {
        *(.tdata .tdata.* .gnu.linkonce.td.*)
    } >ram :data :tls
    .tbss : ALIGN(8) {
        *(.tbss .tbss.* .gnu.linkonce.tb.*)
        *(.tcommon)
    } >ram :data :tls
    __tls_end = ADDR(.tbss) + SIZEOF(.tbss);
    __tls_size = __tls_end - __tls_base;
    __tls_align = MAX(ALIGNOF(.tdata), ALIGNOF(.tbss));
    /* .tbss takes no room in the address space by itself: reserve it */
    .tbss_space (NOLOAD) : {
        . = ADDR(.tbss) + SIZEOF(.tbss);
    } >ram :data

    .bss (NOLOAD) : ALIGN(8) {
        *(.sbss .sbss.* .gnu.linkonce.sb.*)
        *(.scommon)
        *(.bss .bss.*)
        *(.gnu.linkonce.b.*)
        *(COMMON)
        . = ALIGN(8);
    } >ram :data
    __bss_start = ADDR(.tbss);
    __bss_end = ADDR(.bss) + SIZEOF(.bss);
    __end = __bss_end;
    _end = __bss_end;
    end = __bss_end;

    __heap_start = __bss_end;
    __heap_end = __stack - __stack_size;
    __heap_size = __heap_end - __heap_start;
    ASSERT(__heap_start <= __heap_end, "imcvp: program too large for RAM (no room left for the stack)")

    /DISCARD/ : {
        *(.note .note.*)
        *(.eh_frame .eh_frame.*)
        *(.eh_frame_hdr)
    }

    .comment 0 : { *(.comment) }
    .debug_info 0 : { *(.debug_info .gnu.linkonce.wi.*) }
    .debug_abbrev 0 : { *(.debug_abbrev) }
    .debug_line 0 : { *(.debug_line .debug_line.* .debug_line_end) }
    .debug_frame 0 : { *(.debug_frame) }
    .debug_str 0 : { *(.debug_str) }
    .debug_line_str 0 : { *(.debug_line_str) }
    .debug_loc 0 : { *(.debug_loc) }
    .debug_loclists 0 : { *(.debug_loclists) }
    .debug_ranges 0 : { *(.debug_ranges) }
    .debug_rnglists 0 : { *(.debug_rnglists) }
    .debug_aranges 0 : { *(.debug_aranges) }
    .debug_macinfo 0 : { *(.debug_macinfo) }
    .debug_macro 0 : { *(.debug_macro) }
    .debug_addr 0 : { *(.debug_addr) }
    .debug_str_offsets 0 : { *(.debug_str_offsets) }
}
