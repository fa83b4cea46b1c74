/* The DNN runtime (imcvp/runtime.h): program image checks, crossbar
 * programming, the per-image layer loop. */
#include "imcvp/runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "imcvp/accel_io.h"
#include "imcvp/hal.h"

/* One line "imcvp runtime: <what>: ..." and return -1 from the caller. */
#define RT_FAIL(what, ...)                                  \
    do {                                                    \
        printf("imcvp runtime: " what ": " __VA_ARGS__);    \
        printf("\n");                                       \
        return -1;                                          \
    } while (0)
#define FAIL(...) RT_FAIL("program image", __VA_ARGS__)
#define PFAIL(...) RT_FAIL("pipelined execution", __VA_ARGS__)

static int32_t lut[IMCVP_IMAGE_LUT_ENTRIES];
static uint8_t in_stage[IMCVP_RT_MAX_INPUT_BYTES] __attribute__((aligned(4)));
static uint8_t out_stage[IMCVP_RT_MAX_OUTPUT_BYTES] __attribute__((aligned(4)));

static uint32_t round4(uint32_t v) { return (v + 3u) & ~3u; }
static uint32_t fmt_bytes(uint8_t fmt) { return fmt & IMCVP_FMT_BYTES_MASK; }
static int fmt_ok(uint8_t fmt)
{
    uint32_t b = fmt_bytes(fmt);
    return (b == 1 || b == 2 || b == 4) && (fmt & ~(IMCVP_FMT_BYTES_MASK | IMCVP_FMT_SIGNED)) == 0;
}
/* [off, off + len) inside [0, size) without overflow */
static int inside(uint32_t off, uint64_t len, uint32_t size) { return (uint64_t)off + len <= size; }

static int check_tiles(const imcvp_image_header *h)
{
    uint32_t have = imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_TILES);
    if (h->tiles == 0 || h->tiles > have)
        FAIL("compiled for %u tiles, the platform has %" PRIu32, h->tiles, have);
    for (uint32_t t = 0; t < h->tiles; ++t) {
        uint32_t base = IMCVP_TILE_ADDR(t);
        uint32_t xbars = imcvp_read32(base + IMCVP_TILE_NUM_XBARS);
        uint32_t rows = imcvp_read32(base + IMCVP_TILE_XBAR_ROWS);
        uint32_t cols = imcvp_read32(base + IMCVP_TILE_XBAR_COLS);
        uint32_t buf = imcvp_read32(base + IMCVP_TILE_BUF_SIZE);
        uint32_t f = imcvp_read32(base + IMCVP_TILE_XBAR_FORMAT);
        uint32_t offset = (f & IMCVP_TILE_XBAR_FORMAT_OFFSET) ? IMCVP_IMAGE_SIGNED_OFFSET : IMCVP_IMAGE_SIGNED_DIFFERENTIAL;
        if (xbars < h->crossbars_per_tile)
            FAIL("compiled for %u crossbars per tile, tile %" PRIu32 " has %" PRIu32, h->crossbars_per_tile, t, xbars);
        if (rows != h->rows || cols != h->cols)
            FAIL("compiled for %u x %u crossbars, tile %" PRIu32 " has %" PRIu32 " x %" PRIu32, h->rows, h->cols, t,
                 rows, cols);
        if (IMCVP_TILE_XBAR_FORMAT_WEIGHT_BITS(f) != h->weight_bits || IMCVP_TILE_XBAR_FORMAT_CELL_BITS(f) != h->cell_bits ||
            offset != h->signed_mode)
            FAIL("compiled for %u-bit weights in %u-bit cells (%s), tile %" PRIu32 " holds %" PRIu32 "-bit weights in %" PRIu32
                 "-bit cells (%s)",
                 h->weight_bits, h->cell_bits, h->signed_mode ? "offset" : "differential", t,
                 IMCVP_TILE_XBAR_FORMAT_WEIGHT_BITS(f), IMCVP_TILE_XBAR_FORMAT_CELL_BITS(f),
                 offset ? "offset" : "differential");
        if (buf < h->buffer_bytes)
            FAIL("compiled for a %" PRIu32 "-byte tile buffer, tile %" PRIu32 " has %" PRIu32, h->buffer_bytes, t, buf);
    }
    return 0;
}

int imcvp_rt_open(imcvp_rt *rt, const void *image, uint32_t bytes)
{
    const uint8_t *img = (const uint8_t *)image;
    imcvp_image_header *h = &rt->h;
    memset(rt, 0, sizeof *rt);
    rt->image = img;
    if ((uintptr_t)img & 3u)
        FAIL("at 0x%08" PRIx32 ", not 4-byte aligned", (uint32_t)(uintptr_t)img);
    if (bytes < sizeof *h)
        FAIL("only %" PRIu32 " bytes, shorter than its %u-byte header", bytes, (unsigned)sizeof *h);
    memcpy(h, img, sizeof *h);
    if (h->magic != IMCVP_IMAGE_MAGIC)
        FAIL("bad magic 0x%08" PRIx32 " (not an imcvp program image)", h->magic);
    if (h->version < IMCVP_IMAGE_VERSION)
        FAIL("version %u, this runtime knows version %u; recompile the network (imcvp compile --image)", h->version,
             IMCVP_IMAGE_VERSION);
    if (h->version != IMCVP_IMAGE_VERSION)
        FAIL("version %u, this runtime knows version %u", h->version, IMCVP_IMAGE_VERSION);
    if (h->header_bytes != sizeof *h)
        FAIL("header of %u bytes, expected %u", h->header_bytes, (unsigned)sizeof *h);
    if (h->image_bytes != bytes)
        FAIL("header says %" PRIu32 " bytes, %" PRIu32 " were loaded", h->image_bytes, bytes);
    uint32_t crc = imcvp_crc32(img + sizeof *h, bytes - sizeof *h);
    if (crc != h->payload_crc32)
        FAIL("bad CRC32 0x%08" PRIx32 ", the header says 0x%08" PRIx32 " (corrupt image)", crc, h->payload_crc32);

    const uint64_t cells = (uint64_t)h->rows * h->cols;
    if (!inside(h->tiles_off, (uint64_t)h->tiles * sizeof(imcvp_image_tile), bytes) ||
        !inside(h->programs_off, (uint64_t)h->program_count * sizeof(imcvp_image_program), bytes) ||
        !inside(h->layers_off, (uint64_t)h->layer_count * sizeof(imcvp_image_layer), bytes) ||
        !inside(h->io_off, 2 * sizeof(imcvp_image_io), bytes) || !inside(h->lut_off, sizeof lut, bytes) ||
        !inside(h->levels_off, h->levels_bytes, bytes))
        FAIL("a section lies outside its %" PRIu32 " bytes", bytes);
    if ((h->tiles_off | h->programs_off | h->layers_off | h->io_off | h->lut_off | h->levels_off) & 3u)
        FAIL("a section is not 4-byte aligned");
    if (cells % 4)
        FAIL("crossbars of %u x %u cells: the DMA moves whole words, rows x cols must be a multiple of 4", h->rows,
             h->cols);
    if (h->group_count == 0 || h->group_count > 0xFFFFu)
        FAIL("%" PRIu32 " groups", h->group_count);
    rt->groups = h->group_count;
    if (h->layer_count == 0 || h->layer_count > IMCVP_RT_MAX_LAYERS)
        FAIL("%" PRIu32 " layers, this runtime runs 1 to %d", h->layer_count, IMCVP_RT_MAX_LAYERS);
    if (check_tiles(h))
        return -1;

    for (uint32_t t = 0; t < h->tiles; ++t) {
        imcvp_image_tile it;
        memcpy(&it, img + h->tiles_off + t * sizeof it, sizeof it);
        if ((uint64_t)it.first_program + it.program_count > h->program_count)
            FAIL("tile %" PRIu32 ": programs outside the program table", t);
        if (it.program_count && (!inside(it.levels_stage_off, cells, h->buffer_bytes) || (it.levels_stage_off & 3u)))
            FAIL("tile %" PRIu32 ": levels staging at 0x%" PRIx32 " lies outside the buffer", t, it.levels_stage_off);
    }
    for (uint32_t i = 0; i < h->program_count; ++i) {
        imcvp_image_program p;
        memcpy(&p, img + h->programs_off + i * sizeof p, sizeof p);
        /* a tile's records in rising group order: program_group finds a
         * group's records by bisection */
        if (i > 0) {
            uint16_t prev[2];
            memcpy(prev, img + h->programs_off + (i - 1) * sizeof p, sizeof prev);
            if (prev[0] == p.tile && prev[1] > p.group)
                FAIL("program record %" PRIu32 " of tile %u: group %u after group %u (a tile's records must be in "
                     "rising group order)", i, p.tile, p.group, prev[1]);
        }
        if (p.tile >= h->tiles || p.group >= h->group_count || p.desc.magic != IMCVP_DESC_MAGIC ||
            p.desc.op != IMCVP_OP_PROGRAM || p.desc.xbar >= h->crossbars_per_tile)
            FAIL("program record %" PRIu32 " is not a PROGRAM of a crossbar of the chip", i);
        if (!(h->flags & IMCVP_IMAGE_FLAG_NO_LEVELS) &&
            (p.levels_off < h->levels_off || (p.levels_off & 3u) ||
             (uint64_t)p.levels_off + cells > (uint64_t)h->levels_off + h->levels_bytes))
            FAIL("program record %" PRIu32 ": levels outside the levels section", i);
        /* extension records (the cells it changes, without levels): copied
         * after the descriptor, never read here */
        for (int k = 0; k < 2 && p.desc.ext_bytes; ++k)
            if ((p.desc.ext_bytes & 3u) || (p.ext_off[k] & 3u) || p.ext_off[k] < h->levels_off ||
                (uint64_t)p.ext_off[k] + p.desc.ext_bytes > (uint64_t)h->levels_off + h->levels_bytes)
                FAIL("program record %" PRIu32 ": %u bytes of extension records at 0x%" PRIx32 " lie outside the "
                     "image's data or are not word aligned", i, p.desc.ext_bytes, p.ext_off[k]);
        if (!inside(IMCVP_IMAGE_PROGRAM_DESC_OFF, (uint64_t)IMCVP_LAYER_DESC_SIZE + p.desc.ext_bytes, h->buffer_bytes))
            FAIL("program record %" PRIu32 ": descriptor and %u bytes of extension records outside the buffer", i,
                 p.desc.ext_bytes);
    }
    rt->layers = h->layer_count;
    for (uint32_t i = 0; i < h->layer_count; ++i) {
        imcvp_image_layer l;
        memcpy(&l, img + h->layers_off + i * sizeof l, sizeof l);
        const imcvp_layer_desc *d = &l.desc;
        if (l.tile >= h->tiles)
            FAIL("layer %" PRIu32 " on tile %u of %u", i, l.tile, h->tiles);
        if (l.group >= h->group_count)
            FAIL("layer %" PRIu32 " in group %u of %" PRIu32, i, l.group, h->group_count);
        /* The op is the tile's to check (IMCVP_TILE_ERR_OP), as the extension
         * record types are (IMCVP_TILE_ERR_EXT): the runtime knows only COPY
         * (its own) and PROGRAM (the program table's). */
        const int copy_only = d->op == IMCVP_IMAGE_OP_COPY;
        if (d->magic != IMCVP_DESC_MAGIC || d->version != IMCVP_DESC_VERSION || d->op == IMCVP_OP_PROGRAM)
            FAIL("layer %" PRIu32 ": bad descriptor (magic, version or op %u)", i, d->op);
        if (copy_only && (l.src_tile[0] == IMCVP_IMAGE_NO_TILE || l.param_count))
            FAIL("layer %" PRIu32 ": a copy record without a source", i);
        if ((l.desc_off & 3u) || !inside(l.desc_off, (uint64_t)sizeof *d + d->ext_bytes, h->buffer_bytes))
            FAIL("layer %" PRIu32 ": descriptor (and %u bytes of extension records) at buffer offset 0x%" PRIx32
                 " outside the buffer", i, d->ext_bytes, l.desc_off);
        /* extension records: copied after the descriptor, never read here */
        if (d->ext_bytes && ((d->ext_bytes & 3u) || (l.ext_off & 3u) || l.ext_off < h->levels_off ||
                             (uint64_t)l.ext_off + d->ext_bytes > (uint64_t)h->levels_off + h->levels_bytes))
            FAIL("layer %" PRIu32 ": %u bytes of extension records at 0x%" PRIx32 " lie outside the image's data or "
                 "are not word aligned", i, d->ext_bytes, l.ext_off);
        if (l.param_count &&
            ((l.params_off & 3u) || (d->param_off & 3u) || l.params_off < h->levels_off ||
             (uint64_t)l.params_off + (uint64_t)l.param_count * sizeof(imcvp_requant) >
                 (uint64_t)h->levels_off + h->levels_bytes ||
             !inside(d->param_off, (uint64_t)l.param_count * sizeof(imcvp_requant), h->buffer_bytes)))
            FAIL("layer %" PRIu32 ": requantization constants outside the image or the buffer", i);
        imcvp_rt_layer *r = &rt->layer[i];
        r->tile_addr = IMCVP_TILE_ADDR(l.tile);
        r->desc_off = l.desc_off;
        r->net_layer = l.net_layer;
        r->group = l.group;
        r->tile = l.tile;
        r->copy_only = (uint8_t)copy_only;
        for (int k = 0; k < 2; ++k) {
            if (l.src_tile[k] == IMCVP_IMAGE_NO_TILE)
                continue;
            uint8_t fmt = k ? d->in2_fmt : d->in_fmt;
            uint32_t off = k ? d->in2_off : d->in_off;
            uint32_t len = round4((uint32_t)d->in_c * d->in_h * d->in_w * fmt_bytes(fmt));
            if (l.src_tile[k] >= h->tiles || !fmt_ok(fmt) || !inside(l.src_off[k], len, h->buffer_bytes) ||
                !inside(off, len, h->buffer_bytes) || ((l.src_off[k] | off) & 3u))
                FAIL("layer %" PRIu32 ": input %d copied from tile %u lies outside a buffer", i, k, l.src_tile[k]);
            r->copy_src[k] = IMCVP_TILE_BUF_ADDR(l.src_tile[k], l.src_off[k]);
            r->copy_dst[k] = IMCVP_TILE_BUF_ADDR(l.tile, off);
            r->copy_len[k] = len;
        }
    }
    memcpy(&rt->in, img + h->io_off, sizeof rt->in);
    memcpy(&rt->out, img + h->io_off + sizeof rt->in, sizeof rt->out);
    const imcvp_image_io *io[2] = {&rt->in, &rt->out};
    const uint32_t max_bytes[2] = {IMCVP_RT_MAX_INPUT_BYTES, IMCVP_RT_MAX_OUTPUT_BYTES};
    uint32_t elems[2];
    for (int k = 0; k < 2; ++k) {
        elems[k] = (uint32_t)io[k]->c * io[k]->h * io[k]->w;
        uint32_t len = round4(elems[k] * fmt_bytes(io[k]->fmt));
        if (io[k]->tile >= h->tiles || !fmt_ok(io[k]->fmt) || elems[k] == 0 || len > max_bytes[k] ||
            (io[k]->buf_off & 3u) || !inside(io[k]->buf_off, len, h->buffer_bytes))
            FAIL("the %s tensor (%u x %u x %u) does not fit this runtime or its tile", k ? "output" : "input",
                 io[k]->c, io[k]->h, io[k]->w);
    }
    rt->in_elems = elems[0];
    rt->out_elems = elems[1];
    /* block data: written by imcvp_rt_load into the tiles' block windows */
    if (h->block_data_count &&
        (!inside(h->block_data_off, (uint64_t)h->block_data_count * sizeof(imcvp_image_block_data), bytes) ||
         (h->block_data_off & 3u) || h->block_data_off < sizeof *h))
        FAIL("a block data table of %" PRIu32 " entries at 0x%" PRIx32 " lies outside its %" PRIu32
             " bytes or is not word aligned", h->block_data_count, h->block_data_off, bytes);
    for (uint32_t i = 0; i < h->block_data_count; ++i) {
        imcvp_image_block_data b;
        memcpy(&b, img + h->block_data_off + i * sizeof b, sizeof b);
        if (b.tile >= h->tiles || b.slot >= IMCVP_TILE_MAX_BLOCKS || b.bytes == 0 ||
            ((b.offset | b.bytes | b.data_off) & 3u) || !inside(b.offset, b.bytes, IMCVP_TILE_BLOCK_SIZE) ||
            b.data_off < h->levels_off ||
            (uint64_t)b.data_off + b.bytes > (uint64_t)h->levels_off + h->levels_bytes)
            FAIL("block data %" PRIu32 " (%" PRIu32 " bytes for tile %u, slot %u, offset 0x%" PRIx32
                 ") lies outside the chip, the block's window or the image's data, or is not word aligned",
                 i, b.bytes, b.tile, b.slot, b.offset);
    }
    memcpy(lut, img + h->lut_off, sizeof lut);
    return 0;
}

/* Writes the levels of every crossbar of `group` (write-and-verify). An
 * image without levels: issues the same PROGRAM records with, instead of
 * levels, their extension records (the cells each changes, which the tile
 * charges in estimation): ext_off[0] the first time a group is issued after
 * the load, ext_off[1] later (the compiler counted the changes for the order
 * this runs them in: group 0 at load, then every group in order, image after
 * image; imcvp/program_image.h). A record without extension records is taken
 * as programmed already. */
static int program_group(imcvp_rt *rt, uint32_t group)
{
    const imcvp_image_header *h = &rt->h;
    const uint32_t image = (uint32_t)(uintptr_t)rt->image;
    const uint32_t cells = (uint32_t)h->rows * h->cols;
    const int no_levels = (h->flags & IMCVP_IMAGE_FLAG_NO_LEVELS) != 0;
    const int again = group < rt->groups_issued; /* issued before since the load */
    for (uint32_t t = 0; t < h->tiles; ++t) {
        imcvp_image_tile it;
        memcpy(&it, rt->image + h->tiles_off + t * sizeof it, sizeof it);
        /* the tile's records rise in group (imcvp_rt_open checked it): the
         * first of this group by bisection, then the run of them */
        uint32_t lo = it.first_program, hi = it.first_program + it.program_count;
        while (lo < hi) {
            const uint32_t mid = lo + (hi - lo) / 2;
            uint16_t g;
            memcpy(&g, rt->image + h->programs_off + mid * (uint32_t)sizeof(imcvp_image_program) +
                           offsetof(imcvp_image_program, group), sizeof g);
            if (g < group)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t i = lo; i < it.first_program + it.program_count; ++i) {
            const uint32_t rec = h->programs_off + i * (uint32_t)sizeof(imcvp_image_program);
            imcvp_image_program p;
            memcpy(&p, rt->image + rec, sizeof p);
            if (p.tile != t)
                FAIL("program record %" PRIu32 " is listed under tile %" PRIu32 " but names tile %u", i, t, p.tile);
            if (p.group != group)
                break;
            if (no_levels && !p.desc.ext_bytes) {
                if (h->group_count > 1)
                    FAIL("program record %" PRIu32 " carries neither cell levels nor the cells it changes, so it "
                         "cannot rewrite crossbar %u for group %" PRIu32, i, p.desc.xbar, group);
                continue; /* taken as programmed already */
            }
            if ((!no_levels &&
                 imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(t, it.levels_stage_off), image + p.levels_off, cells)) ||
                imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(t, IMCVP_IMAGE_PROGRAM_DESC_OFF),
                               image + rec + (uint32_t)offsetof(imcvp_image_program, desc), IMCVP_LAYER_DESC_SIZE) ||
                (p.desc.ext_bytes &&
                 imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(t, IMCVP_IMAGE_PROGRAM_DESC_OFF + IMCVP_LAYER_DESC_SIZE),
                                image + p.ext_off[again], p.desc.ext_bytes)) ||
                imcvp_tile_run(IMCVP_TILE_ADDR(t), IMCVP_IMAGE_PROGRAM_DESC_OFF, "PROGRAM of crossbar", p.desc.xbar))
                return -1;
            rt->crossbars_programmed++;
        }
    }
    rt->resident_group = group;
    if (group >= rt->groups_issued)
        rt->groups_issued = group + 1;
    return 0;
}

int imcvp_rt_load(imcvp_rt *rt)
{
    const imcvp_image_header *h = &rt->h;
    const uint32_t image = (uint32_t)(uintptr_t)rt->image;
    imcvp_accel_init(h->tiles);
    rt->groups_issued = 0;
    if (program_group(rt, 0))
        return -1;
    /* the blocks' memory images, once per load (checked by imcvp_rt_open) */
    for (uint32_t i = 0; i < h->block_data_count; ++i) {
        imcvp_image_block_data b;
        memcpy(&b, rt->image + h->block_data_off + i * sizeof b, sizeof b);
        if (imcvp_dma_copy(IMCVP_TILE_ADDR(b.tile) + IMCVP_TILE_BLOCK(b.slot) + b.offset, image + b.data_off, b.bytes))
            FAIL("block data %" PRIu32 ": writing %" PRIu32 " bytes to tile %u, block slot %u, offset 0x%" PRIx32
                 " failed", i, b.bytes, b.tile, b.slot, b.offset);
    }
    for (uint32_t i = 0; i < h->layer_count; ++i) {
        const uint32_t rec = h->layers_off + i * (uint32_t)sizeof(imcvp_image_layer);
        imcvp_image_layer l;
        memcpy(&l, rt->image + rec, sizeof l);
        if (l.desc.op == IMCVP_IMAGE_OP_COPY)
            continue;
        if (imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(l.tile, l.desc_off), image + rec + (uint32_t)offsetof(imcvp_image_layer, desc),
                        IMCVP_LAYER_DESC_SIZE))
            return -1;
        /* its extension records right after it, as they are (the tile reads them) */
        if (l.desc.ext_bytes && imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(l.tile, l.desc_off + IMCVP_LAYER_DESC_SIZE),
                                               image + l.ext_off, l.desc.ext_bytes))
            return -1;
        if (l.param_count && imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(l.tile, l.desc.param_off), image + l.params_off,
                                         l.param_count * (uint32_t)sizeof(imcvp_requant)))
            return -1;
    }
    return 0;
}

/* pixels -> input codes (the image's table) -> DMA into the input tensor */
static int load_input(imcvp_rt *rt, const uint8_t *pixels)
{
    const uint32_t n = rt->in_elems;
    switch (fmt_bytes(rt->in.fmt)) {
    case 1:
        for (uint32_t i = 0; i < n; ++i)
            in_stage[i] = (uint8_t)lut[pixels[i]];
        break;
    case 2:
        for (uint32_t i = 0; i < n; ++i)
            ((uint16_t *)in_stage)[i] = (uint16_t)lut[pixels[i]];
        break;
    default:
        for (uint32_t i = 0; i < n; ++i)
            ((int32_t *)in_stage)[i] = lut[pixels[i]];
        break;
    }
    return imcvp_dma_copy(IMCVP_TILE_BUF_ADDR(rt->in.tile, rt->in.buf_off), (uint32_t)(uintptr_t)in_stage,
                          round4(n * fmt_bytes(rt->in.fmt)));
}

/* DMA the output tensor out and decode it into scores */
static int read_output(imcvp_rt *rt, int32_t *scores)
{
    const uint32_t m = rt->out_elems;
    if (imcvp_dma_copy((uint32_t)(uintptr_t)out_stage, IMCVP_TILE_BUF_ADDR(rt->out.tile, rt->out.buf_off),
                       round4(m * fmt_bytes(rt->out.fmt))))
        return -1;
    const int sgn = (rt->out.fmt & IMCVP_FMT_SIGNED) != 0;
    switch (fmt_bytes(rt->out.fmt)) {
    case 1:
        for (uint32_t i = 0; i < m; ++i)
            scores[i] = sgn ? (int32_t)(int8_t)out_stage[i] : (int32_t)out_stage[i];
        break;
    case 2:
        for (uint32_t i = 0; i < m; ++i) {
            uint16_t v = ((const uint16_t *)out_stage)[i];
            scores[i] = sgn ? (int32_t)(int16_t)v : (int32_t)v;
        }
        break;
    default:
        for (uint32_t i = 0; i < m; ++i)
            scores[i] = ((const int32_t *)out_stage)[i];
        break;
    }
    return 0;
}

/* the copies of a layer's inputs held on another tile */
static int copy_inputs(const imcvp_rt_layer *l)
{
    for (int k = 0; k < 2; ++k)
        if (l->copy_len[k] && imcvp_dma_copy(l->copy_dst[k], l->copy_src[k], l->copy_len[k]))
            return -1;
    return 0;
}

int imcvp_rt_infer(imcvp_rt *rt, const uint8_t *pixels, int32_t *scores)
{
    if (load_input(rt, pixels))
        return -1;
    for (uint32_t i = 0; i < rt->layers; ++i) {
        const imcvp_rt_layer *l = &rt->layer[i];
        if (l->group != rt->resident_group) {
            if (program_group(rt, l->group))
                return -1;
            rt->reprogrammings++;
        }
        if (copy_inputs(l) || (!l->copy_only && imcvp_tile_run(l->tile_addr, l->desc_off, "layer", l->net_layer)))
            return -1;
    }
    if (read_output(rt, scores))
        return -1;
    rt->images++;
    return 0;
}



int imcvp_rt_pipeline_check(imcvp_rt *rt)
{
    if (rt->groups != 1)
        PFAIL("the image has %" PRIu32 " reprogramming groups; a pipeline keeps every weight resident", rt->groups);
    uint32_t s = 0;
    rt->stage_first[0] = 0;
    for (uint32_t i = 0; i < rt->layers; ++i) {
        const imcvp_rt_layer *l = &rt->layer[i];
        if (l->copy_only)
            PFAIL("layer %u is split over tiles (its slices are gathered by copies); a stage is one tile",
                  l->net_layer);
        if (l->tile < s)
            PFAIL("layer %u on tile %u runs after a layer on tile %" PRIu32 "; stages must follow the tiles in order",
                  l->net_layer, l->tile, s);
        while (s < l->tile) {
            rt->stage_end[s] = i;
            rt->stage_first[++s] = i;
        }
        for (int k = 0; k < 2; ++k)
            if (l->copy_len[k] && (s == 0 || l->copy_src[k] < IMCVP_TILE_BUF_ADDR(s - 1, 0) ||
                                   l->copy_src[k] >= IMCVP_TILE_BUF_ADDR(s, 0)))
                PFAIL("layer %u on tile %" PRIu32 " reads a tensor from a tile other than %" PRIu32
                      "; only a chain of stages streams", l->net_layer, s, s - 1);
    }
    rt->stage_end[s] = rt->layers;
    rt->stages = s + 1;
    if (rt->in.tile != 0 || rt->out.tile != s)
        PFAIL("the input must be on tile 0 and the output on the last stage's tile %" PRIu32, s);
    return 0;
}

int imcvp_rt_run_pipelined(imcvp_rt *rt, uint32_t images, const imcvp_rt_stream *io)
{
    static int32_t scores[IMCVP_RT_MAX_OUTPUT_BYTES / 4];
    const uint32_t S = rt->stages;
    uint32_t next[IMCVP_TILE_MAX_TILES], seen[IMCVP_TILE_MAX_TILES];
    for (uint32_t t = 0; t + 1 < images + S; ++t) {
        /* 1. every stage's inputs from the stage before (all tiles idle) */
        for (uint32_t s = 1; s < S; ++s)
            if (t >= s && t - s < images)
                for (uint32_t i = rt->stage_first[s]; i < rt->stage_end[s]; ++i)
                    if (copy_inputs(&rt->layer[i]))
                        return -1;
        /* 2. the next image into stage 0 */
        if (t < images && load_input(rt, io->input(t, io->ctx)))
            return -1;
        /* 3. every busy stage runs its layers; serve the interrupts */
        uint32_t running = 0;
        for (uint32_t s = 0; s < S; ++s) {
            next[s] = rt->stage_end[s];
            if (t >= s && t - s < images && rt->stage_first[s] < rt->stage_end[s]) {
                next[s] = rt->stage_first[s];
                seen[s] = imcvp_tile_irqs(s);
                imcvp_tile_start(s, rt->layer[next[s]].desc_off);
                running++;
            }
        }
        while (running) {
            imcvp_wait_event();
            for (uint32_t s = 0; s < S; ++s) {
                if (next[s] >= rt->stage_end[s] || imcvp_tile_irqs(s) == seen[s])
                    continue;
                const imcvp_rt_layer *l = &rt->layer[next[s]];
                if (imcvp_tile_check(s, l->desc_off, "layer", l->net_layer))
                    return -1;
                if (++next[s] < rt->stage_end[s]) {
                    seen[s] = imcvp_tile_irqs(s);
                    imcvp_tile_start(s, rt->layer[next[s]].desc_off);
                } else {
                    running--;
                }
            }
        }
        /* 4. the last stage's image is done */
        if (t + 1 >= S) {
            const uint32_t image = t + 1 - S;
            if (read_output(rt, scores))
                return -1;
            rt->images++;
            if (io->output(image, scores, io->ctx))
                return -1;
        }
    }
    return 0;
}
