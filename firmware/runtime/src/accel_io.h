/* The runtime's access to the DMA engine and the tiles: interrupt-driven,
 * the CPU sleeps (wfi) while they work. */
#ifndef IMCVP_RT_ACCEL_IO_H
#define IMCVP_RT_ACCEL_IO_H

#include <stdint.h>

#include "imcvp/memory_map.h"

#define RT_TILE_BUF(tile, off) ((uint32_t)(IMCVP_TILE_ADDR(tile) + IMCVP_TILE_BUF + (off)))

/* Installs the trap handler and enables the DMA and tile interrupts (MEI). */
void rt_accel_init(uint32_t tiles);
/* Copies len bytes (a multiple of 4) between bus addresses; 0 or -1 (message printed). */
int rt_dma_copy(uint32_t dst, uint32_t src, uint32_t len);
/* Runs the descriptor at buffer offset desc_off on the tile whose registers
 * are at tile_addr and sleeps until it is done; 0 or the tile's error code
 * (message printed, naming `what`). */
int rt_tile_run(uint32_t tile_addr, uint32_t desc_off, const char *what, int index);

#endif
