/* hello: the smallest useful firmware. Greets through the UART, shows what
 * the CPU and the platform report about themselves, exits 0. */
#include <inttypes.h>
#include <stdio.h>

#include "imcvp/hal.h"

/* "RV32IMC" etc. from misa (MXL in bits 31:30, one bit per letter) */
static void misa_string(uint32_t misa, char *out)
{
    static const char *const mxl_name[4] = {"RV??", "RV32", "RV64", "RV128"};
    const char *p = mxl_name[misa >> 30];
    while (*p)
        *out++ = *p++;
    for (int bit = 0; bit < 26; ++bit)
        if (misa & (1u << bit))
            *out++ = (char)('A' + bit);
    *out = '\0';
}

int main(void)
{
    printf("Hello from imcvp: RV32IMC firmware running on the virtual platform\n");

    uint32_t misa = imcvp_csr_read(misa);
    char isa[40];
    misa_string(misa, isa);
    printf("misa    = 0x%08" PRIx32 " (%s)\n", misa, isa);
    printf("mhartid = %" PRIu32 "\n", imcvp_csr_read(mhartid));

    uint32_t ram_base = imcvp_sim_ram_base();
    uint32_t ram_size = imcvp_sim_ram_size();
    printf("RAM     = %" PRIu32 " KiB at 0x%08" PRIx32 "\n", ram_size / 1024u, ram_base);
    printf("timer   = %" PRIu32 " Hz, CPU clock = %" PRIu32 " Hz\n", imcvp_sim_timer_hz(),
           imcvp_sim_cpu_hz());
    return 0;
}
