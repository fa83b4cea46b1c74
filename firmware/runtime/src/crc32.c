/* CRC32 of the program image: IEEE 802.3 polynomial, reflected, initial and
 * final value 0xFFFFFFFF (the compiler's compiler/program_image.cpp computes
 * the same). Table-driven; the table is built on first use. */
#include "imcvp/runtime.h"

static uint32_t table[256];
static int table_ready;

uint32_t imcvp_crc32(const uint8_t *data, uint32_t n)
{
    if (!table_ready) {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        table_ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; ++i)
        c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
