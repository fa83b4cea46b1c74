/* Trap handler installation (see imcvp/hal.h). */
#include <stdio.h>

#include "imcvp/hal.h"

static void imcvp_trap_unexpected(struct imcvp_trap_frame *frame)
{
    printf("imcvp: unhandled trap mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
           (unsigned long)frame->mcause, (unsigned long)frame->mepc, (unsigned long)frame->mtval);
    imcvp_sim_exit(1);
}

/* read by imcvp_trap_entry (trap_entry.S) */
imcvp_trap_handler_t imcvp_trap_handler = imcvp_trap_unexpected;

imcvp_trap_handler_t imcvp_trap_install(imcvp_trap_handler_t handler)
{
    imcvp_trap_handler_t old = imcvp_trap_handler;
    imcvp_trap_handler = handler ? handler : imcvp_trap_unexpected;
    /* direct mode: BASE = entry, MODE = 0 (the entry is 4-byte aligned) */
    imcvp_csr_write(mtvec, (uint32_t)(uintptr_t)&imcvp_trap_entry);
    return old;
}

void imcvp_trap_uninstall(void)
{
    imcvp_csr_write(mtvec, 0);
    imcvp_trap_handler = imcvp_trap_unexpected;
}
