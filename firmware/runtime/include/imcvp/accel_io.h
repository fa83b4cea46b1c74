/* Firmware access to the DMA engine and the tiles, interrupt-driven: the CPU
 * sleeps (wfi) while they work. Part of the runtime library (imcvp_nnrt);
 * the runtime and apps that drive tiles by hand (tile_fc) use it. */
#ifndef IMCVP_ACCEL_IO_H
#define IMCVP_ACCEL_IO_H

#include <stdint.h>

#include "imcvp/memory_map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IMCVP_TILE_BUF_ADDR(tile, off) ((uint32_t)(IMCVP_TILE_ADDR(tile) + IMCVP_TILE_BUF + (off)))

/* Installs the trap handler and enables the DMA and tile interrupts (MEI). */
void imcvp_accel_init(uint32_t tiles);
/* Copies len bytes (a multiple of 4) between bus addresses; 0 or -1 (message printed). */
int imcvp_dma_copy(uint32_t dst, uint32_t src, uint32_t len);
/* Starts the descriptor at buffer offset desc_off on tile `tile`; returns at
 * once. imcvp_tile_irqs() counts that tile's interrupts, imcvp_wait_event()
 * sleeps until the next interrupt has been taken, and imcvp_tile_check()
 * reads the tile's STATUS: 0 or its error code (message printed, naming
 * `what`). */
void imcvp_tile_start(uint32_t tile, uint32_t desc_off);
uint32_t imcvp_tile_irqs(uint32_t tile);
void imcvp_wait_event(void);
int imcvp_tile_check(uint32_t tile, uint32_t desc_off, const char *what, int index);
/* Runs the descriptor at buffer offset desc_off on the tile whose registers
 * are at tile_addr and sleeps until it is done; 0 or the tile's error code
 * (message printed, naming `what`). */
int imcvp_tile_run(uint32_t tile_addr, uint32_t desc_off, const char *what, int index);

#ifdef __cplusplus
}
#endif

#endif /* IMCVP_ACCEL_IO_H */
