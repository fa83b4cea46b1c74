#include "imcvp/accel_io.h"

#include <inttypes.h>
#include <stdio.h>

#include "imcvp/hal.h"

static uint32_t n_tiles;
static volatile uint32_t dma_irqs;
static volatile uint32_t tile_irqs[IMCVP_TILE_MAX_TILES];

static void on_trap(struct imcvp_trap_frame *f)
{
    if (!imcvp_mcause_is_interrupt(f->mcause) || imcvp_mcause_code(f->mcause) != IMCVP_IRQ_MEI) {
        printf("imcvp runtime: unexpected trap, mcause 0x%08" PRIx32 " at pc 0x%08" PRIx32
               ", mtval 0x%08" PRIx32 "\n", f->mcause, f->mepc, f->mtval);
        imcvp_sim_exit(3);
    }
    uint32_t d = imcvp_read32(IMCVP_DMA_BASE + IMCVP_DMA_IRQ_STATUS);
    if (d) {
        imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_IRQ_STATUS, d);
        dma_irqs++;
    }
    for (uint32_t t = 0; t < n_tiles; ++t) {
        uint32_t s = imcvp_read32(IMCVP_TILE_ADDR(t) + IMCVP_TILE_IRQ_STATUS);
        if (s) {
            imcvp_write32(IMCVP_TILE_ADDR(t) + IMCVP_TILE_IRQ_STATUS, s);
            tile_irqs[t]++;
        }
    }
}

void imcvp_accel_init(uint32_t tiles)
{
    n_tiles = tiles;
    imcvp_trap_install(on_trap);
    imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_IRQ_ENABLE, IMCVP_DMA_IRQ_DONE | IMCVP_DMA_IRQ_ERROR);
    for (uint32_t t = 0; t < tiles; ++t)
        imcvp_write32(IMCVP_TILE_ADDR(t) + IMCVP_TILE_IRQ_ENABLE, IMCVP_TILE_IRQ_DONE | IMCVP_TILE_IRQ_ERROR);
    imcvp_irq_global_disable();
    imcvp_irq_enable(IMCVP_IRQ_MEI);
}

/* Sleeps until *count moves past seen. mstatus.MIE stays off except for the
 * one instruction after wfi, so the interrupt is taken there and never
 * between the check and the wfi (wfi wakes on a pending enabled interrupt
 * whatever mstatus.MIE says). */
static void wait_irq(volatile uint32_t *count, uint32_t seen)
{
    while (*count == seen)
        imcvp_wait_event();
}

int imcvp_dma_copy(uint32_t dst, uint32_t src, uint32_t len)
{
    uint32_t seen = dma_irqs;
    imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_SRC, src);
    imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_DST, dst);
    imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_LEN, len);
    imcvp_write32(IMCVP_DMA_BASE + IMCVP_DMA_CTRL, IMCVP_DMA_CTRL_START);
    wait_irq(&dma_irqs, seen);
    if (imcvp_read32(IMCVP_DMA_BASE + IMCVP_DMA_STATUS) & IMCVP_DMA_STATUS_ERROR) {
        printf("imcvp runtime: DMA of %" PRIu32 " bytes from 0x%08" PRIx32 " to 0x%08" PRIx32
               " failed: error %" PRIu32 " at 0x%08" PRIx32 "\n", len, src, dst,
               imcvp_read32(IMCVP_DMA_BASE + IMCVP_DMA_ERROR), imcvp_read32(IMCVP_DMA_BASE + IMCVP_DMA_ERROR_ADDR));
        return -1;
    }
    return 0;
}

void imcvp_tile_start(uint32_t tile, uint32_t desc_off)
{
    imcvp_write32(IMCVP_TILE_ADDR(tile) + IMCVP_TILE_DESC_ADDR, desc_off);
    imcvp_write32(IMCVP_TILE_ADDR(tile) + IMCVP_TILE_CTRL, IMCVP_TILE_CTRL_START);
}

uint32_t imcvp_tile_irqs(uint32_t tile) { return tile_irqs[tile]; }

void imcvp_wait_event(void)
{
    imcvp_wfi();
    imcvp_irq_global_enable();
    imcvp_irq_global_disable();
}

int imcvp_tile_check(uint32_t tile, uint32_t desc_off, const char *what, int index)
{
    const uint32_t base = IMCVP_TILE_ADDR(tile);
    if (imcvp_read32(base + IMCVP_TILE_STATUS) & IMCVP_TILE_STATUS_ERROR) {
        uint32_t e = imcvp_read32(base + IMCVP_TILE_ERROR);
        printf("imcvp runtime: %s %d on tile %" PRIu32 " (descriptor at buffer offset 0x%" PRIx32
               ") failed: tile error %" PRIu32 "\n", what, index, tile, desc_off, e);
        return (int)e;
    }
    return 0;
}

int imcvp_tile_run(uint32_t tile_addr, uint32_t desc_off, const char *what, int index)
{
    uint32_t t = (tile_addr - IMCVP_TILE_BASE) / IMCVP_TILE_STRIDE;
    uint32_t seen = tile_irqs[t];
    imcvp_tile_start(t, desc_off);
    wait_irq(&tile_irqs[t], seen);
    return imcvp_tile_check(t, desc_off, what, index);
}
