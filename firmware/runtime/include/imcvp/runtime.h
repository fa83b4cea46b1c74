/*
 * imcvp DNN runtime: runs a compiled network (imcvp/program_image.h) on the
 * accelerator tiles. The CPU orchestrates; the tiles compute:
 *
 *   imcvp_rt_open()  checks the program image (magic, version: an older one
 *                    is refused with "recompile the network", sizes, CRC32,
 *                    every record's offsets) and that the tiles present match
 *                    the chip it was compiled for; ops and extension record
 *                    types are the tile's to check;
 *   imcvp_rt_load()  programs the crossbars of the first group (PROGRAM,
 *                    write-and-verify), writes the image's block data into
 *                    the tiles' block windows (a technique block's memory
 *                    or registers, once) and writes each layer's descriptor,
 *                    its extension records (right after it, uninterpreted)
 *                    and its requantization constants into the tile
 *                    buffers, all by DMA;
 *   imcvp_rt_infer() per image: pixels -> input codes (the image's table) ->
 *                    DMA into the input tile; each layer in order: DMA its
 *                    inputs held on another tile, START, sleep (wfi) until the
 *                    tile's interrupt; DMA the output back and decode it.
 *                    An image compiled for a chip too small for the network
 *                    has several groups: before a layer of another group
 *                    than the one resident, the runtime rewrites that
 *                    group's crossbars (the reprogramming baseline).
 *
 * Errors print one line "imcvp runtime: ..." on the console and return
 * nonzero; nothing is retried. docs/accelerator.md "Running a network".
 */
#ifndef IMCVP_RUNTIME_H
#define IMCVP_RUNTIME_H

#include <stdint.h>

#include "imcvp/program_image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IMCVP_RT_MAX_LAYERS 2048              /* layer records (DenseNet-121 split over tiles: ~700) */
#define IMCVP_RT_MAX_INPUT_BYTES (256 * 1024) /* input tensor, in its format (3 x 224 x 224: 147 KiB) */
#define IMCVP_RT_MAX_OUTPUT_BYTES (16 * 1024) /* output tensor, in its format */

/* One layer as the per-image loop needs it (copied out of the image). */
typedef struct imcvp_rt_layer {
    uint32_t tile_addr;   /* bus address of the tile's registers */
    uint32_t desc_off;    /* DESC_ADDR */
    uint32_t copy_src[2]; /* bus address of an input held on another tile; 0: none */
    uint32_t copy_dst[2]; /* its bus address on this tile */
    uint32_t copy_len[2]; /* bytes, rounded up to 4 */
    uint16_t net_layer;
    uint16_t group;
    uint16_t tile;
    uint8_t copy_only; /* IMCVP_IMAGE_OP_COPY: the input copy and no tile command */
} imcvp_rt_layer;

typedef struct imcvp_rt {
    const uint8_t *image; /* the program image, 4-byte aligned, on the bus */
    imcvp_image_header h;
    imcvp_image_io in, out;
    uint32_t in_elems, out_elems;
    uint32_t layers;
    imcvp_rt_layer layer[IMCVP_RT_MAX_LAYERS];
    uint32_t groups;         /* h.group_count */
    /* pipelined execution (imcvp_rt_pipeline_check): stage s = tile s runs
     * layers [stage_first[s], stage_end[s]) */
    uint32_t stages;
    uint32_t stage_first[IMCVP_TILE_MAX_TILES], stage_end[IMCVP_TILE_MAX_TILES];
    uint32_t resident_group; /* whose levels the crossbars hold */
    uint32_t groups_issued;  /* groups 0 .. groups_issued - 1 were programmed since the load */
    /* counters */
    uint32_t crossbars_programmed;
    uint32_t reprogrammings; /* group changes after the load */
    uint32_t images;
} imcvp_rt;

/* Checks the image of `bytes` bytes at `image` against itself and the
 * hardware; fills rt. 0: usable. */
int imcvp_rt_open(imcvp_rt *rt, const void *image, uint32_t bytes);
/* Programs the crossbars, writes the block data, the descriptors and the
 * constants. 0: done. */
int imcvp_rt_load(imcvp_rt *rt);
/* Runs one image of rt->in_elems uint8 pixels; writes rt->out_elems scores.
 * 0: done. */
int imcvp_rt_infer(imcvp_rt *rt, const uint8_t *pixels, int32_t *scores);

/* Pipelined execution: every tile is one stage of a layer pipeline and
 * images stream through it, stage s working on image t - s in step t. Each
 * step: copy every stage's input from the stage before (DMA), load image t
 * into stage 0, start every busy stage and serve the tiles' interrupts until
 * each stage has run its layers, read the last stage's output. Needs one
 * group, layers ordered by tile, and every input held on another tile coming
 * from the tile just before (a chain of stages); imcvp_rt_pipeline_check()
 * says why not. */
typedef struct imcvp_rt_stream {
    const uint8_t *(*input)(uint32_t image, void *ctx);                 /* pixels of image i */
    int (*output)(uint32_t image, const int32_t *scores, void *ctx);    /* nonzero: stop */
    void *ctx;
} imcvp_rt_stream;
int imcvp_rt_pipeline_check(imcvp_rt *rt);
int imcvp_rt_run_pipelined(imcvp_rt *rt, uint32_t images, const imcvp_rt_stream *io);

/* CRC32 (IEEE 802.3, as zlib's crc32) of n bytes. */
uint32_t imcvp_crc32(const uint8_t *data, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* IMCVP_RUNTIME_H */
