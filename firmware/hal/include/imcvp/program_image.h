/*
 * imcvp program image: the binary the compiler writes (compiler/program_image.*)
 * and the firmware runtime loads (firmware/runtime). Everything needed to run
 * a placed network with every weight resident: the chip it was placed on, one
 * PROGRAM descriptor and the cell levels per crossbar, one layer descriptor
 * and its requantization constants per layer, the input and output tensors,
 * the pixel -> input code table and the memory images the tiles' blocks hold
 * before the first inference (block data). docs/compiler.md describes it.
 *
 * Little-endian, packed, every record at a 4-byte-aligned offset. Offsets
 * are from the first byte of the image. The CRC32 (IEEE 802.3, reflected,
 * as zlib's crc32) covers bytes [header_bytes, image_bytes).
 *
 *   header                    imcvp_image_header
 *   tiles_off:    tiles x     imcvp_image_tile
 *   programs_off: programs x  imcvp_image_program (grouped by tile, each
 *                 tile's in group order)
 *   layers_off:   layers x    imcvp_image_layer (execution order; a Conv/FC
 *                 layer split over groups has one record per slice)
 *   io_off:       2 x         imcvp_image_io (the input, then the output)
 *   lut_off:      256 x       int32 (pixel value -> input code)
 *   block_data_off: block_data_count x imcvp_image_block_data (0 when
 *                 the count is 0)
 *   levels_off:   programs x rows x cols uint8 cell levels (none with
 *                 IMCVP_IMAGE_FLAG_NO_LEVELS), then every layer's
 *                 imcvp_requant entries, then every layer's extension
 *                 records, then the programs' extension records (equal
 *                 ones shared), then the block data's bytes (each
 *                 entry's a multiple of 4; entries of equal bytes may share
 *                 them); 4-byte aligned, levels_bytes in all
 */
#ifndef IMCVP_PROGRAM_IMAGE_H
#define IMCVP_PROGRAM_IMAGE_H

#include <stdint.h>

#include "imcvp/accel.h"

#define IMCVP_IMAGE_MAGIC 0x50434D49u /* "IMCP" in memory order */
#define IMCVP_IMAGE_VERSION 5 /* 2: reprogramming groups; 3: extension records; 4: block data;
                                 5: PROGRAM extension records (cell changes for estimation) */
#define IMCVP_IMAGE_NO_TILE 0xFFFF /* imcvp_image_layer.src_tile: input is local */
#define IMCVP_IMAGE_LUT_ENTRIES 256
/* Buffer offset every PROGRAM descriptor is written to (DESC_ADDR): the first
 * descriptor slot of each tile, which the compiler keeps free for it and
 * its extension records (the largest desc.ext_bytes of the tile's
 * PROGRAM records after the 72-byte descriptor). */
#define IMCVP_IMAGE_PROGRAM_DESC_OFF 0
/* imcvp_image_layer.desc.op of a record that is no tile command: the
 * firmware only makes its input copy (src_tile[0], src_off[0] -> in_off on
 * the record's tile, in_c x in_h x in_w elements of in_fmt). The compiler
 * gathers the output-channel slices of a layer split over tiles with it. */
#define IMCVP_IMAGE_OP_COPY 0x80
/* imcvp_image_header.flags */
/* The image carries no cell levels (programs' levels_off = 0). For
 * performance estimation of networks whose levels are hundreds of MB: each
 * PROGRAM record carries instead an IMCVP_EXT_PROGRAM_CHANGES record (accel.h,
 * the cells it changes per target level) that the firmware hands to the
 * tile with the descriptor, and the tile charges write-and-verify's expected
 * cost; a PROGRAM record without extension records (desc.ext_bytes 0) is
 * taken as programmed already and not issued. */
#define IMCVP_IMAGE_FLAG_NO_LEVELS 0x01
/* imcvp_image_header.signed_mode, as IMCVP_TILE_XBAR_FORMAT_OFFSET */
#define IMCVP_IMAGE_SIGNED_DIFFERENTIAL 0
#define IMCVP_IMAGE_SIGNED_OFFSET 1

typedef struct __attribute__((packed)) imcvp_image_header {
  uint32_t magic;         /* IMCVP_IMAGE_MAGIC */
  uint16_t version;       /* IMCVP_IMAGE_VERSION */
  uint16_t header_bytes;  /* sizeof(imcvp_image_header) */
  uint32_t image_bytes;   /* the whole image */
  uint32_t payload_crc32; /* of bytes [header_bytes, image_bytes) */
  /* the chip the network was placed on; the tiles must match it */
  uint16_t tiles, crossbars_per_tile, rows, cols;
  uint8_t cell_bits, weight_bits, signed_mode, flags; /* flags: IMCVP_IMAGE_FLAG_* */
  uint32_t buffer_bytes; /* each tile's local buffer */
  uint32_t program_count, layer_count;
  uint32_t tiles_off, programs_off, layers_off, io_off, lut_off, levels_off, levels_bytes;
  /* groups of layers whose crossbars are resident together: 1 when every
   * weight fits the chip; more when firmware rewrites the crossbars
   * between groups (programs and layers carry their group) */
  uint32_t group_count;
  /* memory images of the tiles' blocks (imcvp_image_block_data) */
  uint32_t block_data_count, block_data_off;
} imcvp_image_header;

typedef struct __attribute__((packed)) imcvp_image_tile {
  uint32_t first_program, program_count; /* into the program table */
  uint32_t levels_stage_off;              /* buffer offset PROGRAM reads rows x cols levels from */
  uint32_t buffer_used;                   /* bytes of the buffer the compiler allocated */
} imcvp_image_tile;

typedef struct __attribute__((packed)) imcvp_image_program {
  uint16_t tile, group; /* group: which layers' crossbars this PROGRAM writes */
  uint32_t levels_off;   /* image offset of rows x cols levels, row-major; 0 with NO_LEVELS */
  /* Image offsets of desc.ext_bytes bytes of extension records (0 when
   * desc.ext_bytes is 0), copied to IMCVP_IMAGE_PROGRAM_DESC_OFF +
   * IMCVP_LAYER_DESC_SIZE with the descriptor: ext_off[0] the first time the
   * firmware issues this record after loading the image, ext_off[1] every
   * later time. With NO_LEVELS: an IMCVP_EXT_PROGRAM_CHANGES record counting
   * the cells whose level differs from what the crossbar holds at that
   * moment. The firmware issues group 0's records at load, then, image after
   * image, each group's records when the layer loop enters the group; the
   * layer records' groups rise from 0 in execution order, so the firmware
   * issues every group in order, once per image: the first issue of a
   * record follows the previous record of its tile and crossbar in the
   * table (or the reset state, level 0 everywhere), a later issue follows
   * the previous record of its tile and crossbar cyclically (the last one
   * for the first: the previous image left it there). */
  uint32_t ext_off[2];
  imcvp_layer_desc desc; /* op PROGRAM; param_off = the tile's levels_stage_off */
} imcvp_image_program;

typedef struct __attribute__((packed)) imcvp_image_layer {
  uint16_t tile, net_layer; /* net_layer: index of the layer in the network */
  uint32_t desc_off;        /* buffer offset to write desc to (DESC_ADDR) */
  /* an input produced on another tile: copy (src_tile, src_off) to
   * desc.in_off / in2_off first; IMCVP_IMAGE_NO_TILE: already local */
  uint16_t src_tile[2];
  uint32_t src_off[2];
  uint32_t params_off, param_count; /* image offset of param_count imcvp_requant, to desc.param_off */
  uint16_t group, reserved;         /* its crossbars must hold this group's levels */
  /* image offset of desc.ext_bytes bytes of extension records (accel.h),
   * copied to desc_off + IMCVP_LAYER_DESC_SIZE with the descriptor; 0 when
   * desc.ext_bytes is 0 */
  uint32_t ext_off;
  imcvp_layer_desc desc;
} imcvp_image_layer;

typedef struct __attribute__((packed)) imcvp_image_io {
  uint16_t tile;
  uint8_t fmt, reserved0; /* IMCVP_FMT_* */
  uint32_t buf_off;
  uint16_t c, h, w, reserved1;
} imcvp_image_io;

/* Block data: the firmware writes `bytes` bytes from image offset data_off
 * to IMCVP_TILE_ADDR(tile) + IMCVP_TILE_BLOCK(slot) + offset (the block's
 * window, imcvp/memory_map.h) once, after programming the crossbars of group
 * 0 and before the first inference. slot < IMCVP_TILE_MAX_BLOCKS; offset,
 * bytes and data_off 4-byte aligned, bytes > 0, offset + bytes <=
 * IMCVP_TILE_BLOCK_SIZE; the data lies in the levels section. In table
 * order; no two entries of one tile and slot overlap with different bytes. */
typedef struct __attribute__((packed)) imcvp_image_block_data {
  uint16_t tile, slot;
  uint32_t offset;   /* in the block's window */
  uint32_t bytes;    /* a multiple of 4 */
  uint32_t data_off; /* image offset of the bytes */
} imcvp_image_block_data;

#ifdef __cplusplus
#define IMCVP_IMAGE_ASSERT_(c, m) static_assert(c, m)
#else
#define IMCVP_IMAGE_ASSERT_(c, m) _Static_assert(c, m)
#endif
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_header) == 80, "image header layout");
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_tile) == 16, "image tile layout");
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_program) == 16 + IMCVP_LAYER_DESC_SIZE, "image program layout");
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_layer) == 36 + IMCVP_LAYER_DESC_SIZE, "image layer layout");
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_io) == 16, "image io layout");
IMCVP_IMAGE_ASSERT_(sizeof(imcvp_image_block_data) == 16, "image block data layout");
#undef IMCVP_IMAGE_ASSERT_

#endif /* IMCVP_PROGRAM_IMAGE_H */
