/* tile_fc: smoke test of the accelerator (docs/accelerator.md). The CPU
 * builds a 64 x 10 fully connected layer (int8 weights from a fixed
 * pseudo-random sequence, per-channel requantization), maps the weights to
 * cell levels (differential form, docs/crossbar.md), DMAs levels,
 * descriptors, constants and input into tile 0's buffer, runs PROGRAM then
 * FC, sleeping in wfi until the machine external interrupt (DMA and tile
 * irq lines ORed), DMAs the output back and compares it with the same layer
 * computed on the CPU in integers. Exit 0 when all outputs match.
 * Needs accelerator.tiles >= 1 and an ideal crossbar (scenarios/tile_fc.yaml). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "imcvp/accel.h"
#include "imcvp/accel_io.h"
#include "imcvp/hal.h"

#define IN 64
#define OUT 10

/* buffer layout (offsets into tile 0's buffer) */
#define DESC_PROG_OFF 0
#define DESC_FC_OFF 128
#define REQUANT_OFF 256
#define IN_OFF 512
#define OUT_OFF 640
#define LEVELS_OFF 4096

#define TILE0 IMCVP_TILE_ADDR(0)
#define TILE_BUF(off) IMCVP_TILE_BUF_ADDR(0, off)

static int8_t weights[IN][OUT];
static uint8_t input[IN];
static imcvp_requant requant[OUT];
static uint8_t levels[128 * 128] __attribute__((aligned(4)));
static imcvp_layer_desc desc_prog __attribute__((aligned(4)));
static imcvp_layer_desc desc_fc __attribute__((aligned(4)));
static int8_t out_tile[12] __attribute__((aligned(4)));
static int8_t out_cpu[OUT];

static uint32_t rng = 12345u;
static uint32_t next_rand(void)
{
    rng = rng * 1664525u + 1013904223u; /* Numerical Recipes LCG */
    return rng >> 8;
}

static void dma_copy(uint32_t dst, uint32_t src, uint32_t len)
{
    if (imcvp_dma_copy(dst, src, len))
        imcvp_sim_exit(1);
}

static void tile_run(uint32_t desc_off, const char *what)
{
    if (imcvp_tile_run(TILE0, desc_off, what, 0))
        imcvp_sim_exit(1);
}

static void desc_init(imcvp_layer_desc *d, uint8_t op)
{
    memset(d, 0, sizeof *d);
    d->magic = IMCVP_DESC_MAGIC;
    d->version = IMCVP_DESC_VERSION;
    d->op = op;
}

/* compiler/network.hpp's requantize: clamp((x * M + 2^(S-1)) >> S, lo, hi) */

int main(void)
{
    const uint32_t rows = imcvp_read32(TILE0 + IMCVP_TILE_XBAR_ROWS);
    const uint32_t cols = imcvp_read32(TILE0 + IMCVP_TILE_XBAR_COLS);
    /* how the tile's crossbars hold weights: read, not assumed */
    const uint32_t format = imcvp_read32(TILE0 + IMCVP_TILE_XBAR_FORMAT);
    const uint32_t cell_bits = IMCVP_TILE_XBAR_FORMAT_CELL_BITS(format);
    const uint32_t weight_bits = IMCVP_TILE_XBAR_FORMAT_WEIGHT_BITS(format);
    const uint32_t slices = (weight_bits + cell_bits - 1) / cell_bits;
    const uint32_t cell_mask = (1u << cell_bits) - 1;
    if (format & IMCVP_TILE_XBAR_FORMAT_OFFSET) {
        printf("tile_fc: this test maps weights in differential form; the tile uses offset signs\n");
        return 1;
    }
    if (weight_bits < 8 || rows * cols > sizeof levels || rows < IN || cols < OUT * 2 * slices) {
        printf("tile_fc: crossbar %" PRIu32 " x %" PRIu32 " (%" PRIu32 "-bit weights) does not fit this test\n",
               rows, cols, weight_bits);
        return 1;
    }

    /* the layer */
    for (int i = 0; i < IN; ++i)
        for (int o = 0; o < OUT; ++o)
            weights[i][o] = (int8_t)(next_rand() & 0xff); /* -128..127 */
    for (int i = 0; i < IN; ++i)
        input[i] = (uint8_t)(next_rand() & 0xff);
    for (int o = 0; o < OUT; ++o) {
        requant[o].bias = (int32_t)(next_rand() % 20001) - 10000;
        requant[o].multiplier = (int32_t)(1 << 30) + (int32_t)(next_rand() % (1 << 20));
        requant[o].shift = 40 + (int32_t)(next_rand() % 3);
    }

    /* cell levels, differential: output o uses columns [o*2S, o*2S+S) for
     * the slices of max(w,0) and [o*2S+S, o*2S+2S) for those of max(-w,0) */
    memset(levels, 0, sizeof levels);
    for (uint32_t r = 0; r < IN; ++r)
        for (uint32_t o = 0; o < OUT; ++o) {
            int32_t w = weights[r][o];
            uint32_t pos = w > 0 ? (uint32_t)w : 0, neg = w < 0 ? (uint32_t)-w : 0;
            uint8_t *row = &levels[r * cols];
            for (uint32_t s = 0; s < slices; ++s) {
                row[o * 2 * slices + s] = (uint8_t)((pos >> (s * cell_bits)) & cell_mask);
                row[o * 2 * slices + slices + s] = (uint8_t)((neg >> (s * cell_bits)) & cell_mask);
            }
        }

    desc_init(&desc_prog, IMCVP_OP_PROGRAM);
    desc_prog.xbar = 0;
    desc_prog.param_off = LEVELS_OFF;

    desc_init(&desc_fc, IMCVP_OP_FC);
    desc_fc.in_c = IN;
    desc_fc.in_h = desc_fc.in_w = 1;
    desc_fc.out_c = OUT;
    desc_fc.out_h = desc_fc.out_w = 1;
    desc_fc.in_bits = 8;
    desc_fc.in_fmt = IMCVP_FMT_U8;
    desc_fc.out_fmt = IMCVP_FMT_S8;
    desc_fc.xbar = 0;
    desc_fc.in_off = IN_OFF;
    desc_fc.out_off = OUT_OFF;
    desc_fc.param_off = REQUANT_OFF;
    desc_fc.out_min = -128;
    desc_fc.out_max = 127;

    /* interrupts: the DMA's and tile 0's, on MEI (imcvp/accel_io.h) */
    imcvp_accel_init(1);

    dma_copy(TILE_BUF(LEVELS_OFF), (uint32_t)(uintptr_t)levels, rows * cols);
    dma_copy(TILE_BUF(DESC_PROG_OFF), (uint32_t)(uintptr_t)&desc_prog, IMCVP_LAYER_DESC_SIZE);
    dma_copy(TILE_BUF(DESC_FC_OFF), (uint32_t)(uintptr_t)&desc_fc, IMCVP_LAYER_DESC_SIZE);
    dma_copy(TILE_BUF(REQUANT_OFF), (uint32_t)(uintptr_t)requant, sizeof requant);
    dma_copy(TILE_BUF(IN_OFF), (uint32_t)(uintptr_t)input, sizeof input);
    tile_run(DESC_PROG_OFF, "PROGRAM");
    tile_run(DESC_FC_OFF, "FC");
    dma_copy((uint32_t)(uintptr_t)out_tile, TILE_BUF(OUT_OFF), sizeof out_tile);

    /* the CPU reference */
    for (int o = 0; o < OUT; ++o) {
        int64_t acc = 0;
        for (int i = 0; i < IN; ++i)
            acc += (int32_t)weights[i][o] * (int32_t)input[i];
        out_cpu[o] = (int8_t)imcvp_requantize(acc, requant[o].bias, requant[o].multiplier,
                                              requant[o].shift, -128, 127);
    }
    int match = 0;
    for (int o = 0; o < OUT; ++o) {
        if (out_tile[o] == out_cpu[o])
            match++;
        else
            printf("tile_fc: output %d: tile %d, CPU %d\n", o, out_tile[o], out_cpu[o]);
    }
    printf("tile_fc: %d/%d outputs match the CPU reference (%" PRIu32 " tile commands, %" PRIu32 " pulses)\n",
           match, OUT, imcvp_read32(TILE0 + IMCVP_TILE_LAYERS), imcvp_read32(TILE0 + IMCVP_TILE_PULSES));
    return match == OUT ? 0 : 1;
}
