/*
 * imcvp accelerator: the layer descriptor a tile executes, shared by the
 * SystemC tile model (C++), the firmware (C) and the compiler. Register
 * addresses and bits are in imcvp/memory_map.h; docs/accelerator.md
 * describes both.
 *
 * All fields are little-endian, fixed width, packed (no padding); the
 * descriptor lives in the tile's local buffer at a 4-byte-aligned offset
 * (IMCVP_TILE_DESC_ADDR). Offsets below are byte offsets in that buffer.
 */
#ifndef IMCVP_ACCEL_H
#define IMCVP_ACCEL_H

#include <stdint.h>

#include "imcvp/memory_map.h"

#define IMCVP_DESC_MAGIC 0x44434D49u /* "IMCD" in memory order */
#define IMCVP_DESC_VERSION 2 /* 2: extension records (ext_bytes) */

/* operations */
#define IMCVP_OP_CONV 1    /* convolution, im2col windows in hardware */
#define IMCVP_OP_FC 2      /* fully connected: the 1x1 convolution of a CHW vector */
#define IMCVP_OP_MAXPOOL 3 /* max over the window (padding ignored) */
#define IMCVP_OP_AVGPOOL 4 /* window sum (padding = zeros), requantized; also global */
#define IMCVP_OP_ADD 5     /* residual add of two tensors, requantized */
#define IMCVP_OP_PROGRAM 6 /* write-and-verify cell levels into one crossbar */
#define IMCVP_OP_REQUANT 7 /* elementwise requantize (a Concat input into its channel range) */

/* element formats: byte width in bits 0-2 (1, 2 or 4), bit 7 = signed */
#define IMCVP_FMT_BYTES_MASK 0x07
#define IMCVP_FMT_SIGNED 0x80
#define IMCVP_FMT_U8 0x01
#define IMCVP_FMT_S8 0x81
#define IMCVP_FMT_U16 0x02
#define IMCVP_FMT_S16 0x82
#define IMCVP_FMT_S32 0x84

/* One requantization entry (Conv/FC: one per output channel at param_off;
 * AvgPool: one, bias ignored):
 *   q = clamp((acc + bias) * multiplier + 2^(shift-1)) >> shift, out_min, out_max) */
typedef struct __attribute__((packed)) imcvp_requant {
  int32_t bias;       /* accumulator units */
  int32_t multiplier; /* M of compiler/network.hpp's Requant */
  int32_t shift;      /* S, 1..62 */
} imcvp_requant;

/* The integer arithmetic of requantization: the one definition the compiler's
 * golden reference, the tile's activation unit and firmware all use.
 * Round half up by an arithmetic right shift (shift 1..62), then clamp. */
static inline int64_t imcvp_round_shift(int64_t x, int shift)
{
    return (x + ((int64_t)1 << (shift - 1))) >> shift;
}
static inline int32_t imcvp_clamp32(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}
/* clamp(((acc + bias) * multiplier + 2^(shift-1)) >> shift, lo, hi) */
static inline int32_t imcvp_requantize(int64_t acc, int32_t bias, int32_t multiplier, int shift,
                                       int32_t lo, int32_t hi)
{
    return imcvp_clamp32(imcvp_round_shift((acc + bias) * multiplier, shift), lo, hi);
}
/* residual add: clamp((a * ma + b * mb + 2^(shift-1)) >> shift, lo, hi) */
static inline int32_t imcvp_requantize_add(int64_t a, int64_t b, int32_t ma, int32_t mb, int shift,
                                           int32_t lo, int32_t hi)
{
    return imcvp_clamp32(imcvp_round_shift(a * ma + b * mb, shift), lo, hi);
}

typedef struct __attribute__((packed)) imcvp_layer_desc {
  uint32_t magic;   /* IMCVP_DESC_MAGIC */
  uint16_t version; /* IMCVP_DESC_VERSION */
  uint8_t op;       /* IMCVP_OP_* */
  uint8_t flags;    /* reserved, 0 */
  /* shapes, CHW; FC: in = (K, 1, 1) or any C x H x W of K values, out = (N, 1, 1) */
  uint16_t in_c, in_h, in_w;
  uint16_t out_c, out_h, out_w;
  /* window (Conv, pools): out = (in + 2 pad - kernel) / stride + 1 */
  uint8_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  uint8_t in_bits; /* Conv/FC: bits of the input activations (1..16) */
  uint8_t in_fmt;  /* IMCVP_FMT_* of the input tensor */
  uint8_t in2_fmt; /* Add: of the second input */
  uint8_t out_fmt; /* of the output tensor */
  uint16_t xbar;   /* Conv/FC: first crossbar of the layer; PROGRAM: the crossbar */
  uint32_t in_off;    /* input tensor */
  uint32_t in2_off;   /* Add: second input tensor */
  uint32_t out_off;   /* output tensor */
  /* Conv/FC: out_c imcvp_requant; AvgPool: 1; PROGRAM: rows x cols levels
   * (bytes), unread with an IMCVP_EXT_PROGRAM_CHANGES record */
  uint32_t param_off;
  int32_t out_min, out_max; /* output clamp (out_min = 0 with a fused ReLU) */
  int32_t add_mult_a, add_mult_b; /* Add: q = (a Ma + b Mb + 2^(S-1)) >> S */
  int32_t add_shift;
  /* Conv: channel groups (0 or 1: dense). Group g reads input channels
   * [g in_c/groups, (g+1) in_c/groups) and writes output channels
   * [g out_c/groups, (g+1) out_c/groups); imcvp_group_pack() says how
   * many groups share one set of crossbars. */
  uint16_t groups;
  /* Bytes of typed extension records right after the descriptor in the
   * buffer (a multiple of 4; 0: none): imcvp_ext_record below. */
  uint16_t ext_bytes;
} imcvp_layer_desc;

#define IMCVP_LAYER_DESC_SIZE 72

/* Extension records: what a technique's block needs beyond the fixed
 * descriptor (a crossbar list, a weight format, coefficient tables ...).
 * desc.ext_bytes bytes of records follow the descriptor, each a header and
 * a payload of `bytes` (a multiple of 4). The firmware copies them with the
 * descriptor without reading them; the tile hands each record to the block
 * that declares its type and refuses a type no block declares
 * (IMCVP_TILE_ERR_EXT). docs/contributing.md "Adding a block". */
typedef struct __attribute__((packed)) imcvp_ext_record {
  uint16_t type;  /* IMCVP_EXT_* */
  uint16_t bytes; /* payload bytes after this header, a multiple of 4 */
} imcvp_ext_record;

/* Record types. 0x0001-0x7FFF: the platform's blocks; 0x8000-0xFFFF: free
 * for experiments (blocks outside the tree, tests). */
/* The layer's crossbars, in the layout order of imcvp_xbar_layout (see
 * models/crossbar/crossbar_layout.hpp), instead of the contiguous range from
 * desc.xbar: payload uint16 count, then count uint16 crossbar indices, zero
 * padded to 4 bytes. */
#define IMCVP_EXT_XBAR_LIST 0x0001
/* The layer's own weight format (for mixed precision): payload
 * imcvp_ext_weight_format. Without it the layer uses the tile's
 * (IMCVP_TILE_XBAR_FORMAT). cell_bits must be the crossbars' own. */
#define IMCVP_EXT_WEIGHT_FORMAT 0x0002
#define IMCVP_EXT_USER_FIRST 0x8000

typedef struct __attribute__((packed)) imcvp_ext_weight_format {
  uint8_t weight_bits; /* bits per weight, 1..16 */
  uint8_t cell_bits;   /* bits per cell: the crossbars' */
  uint8_t signed_mode; /* 0: differential column pairs, 1: offset (IMCVP_TILE_XBAR_FORMAT_OFFSET),
                          2: unsigned, 0 <= w < 2^weight_bits (IMCVP_TILE_XBAR_FORMAT_UNSIGNED) */
  uint8_t reserved;    /* 0 */
} imcvp_ext_weight_format;
#define IMCVP_EXT_MAX_BYTES 0xFFFC /* desc.ext_bytes at most */

/* Hybrid RRAM/SRAM compensation of a Conv/FC layer slice (SramCompensation,
 * models/sram_comp/, docs/techniques/hybrid.md): payload imcvp_ext_sram_comp.
 * The layer's compensation weights sit in the block's SRAM at sram_off
 * (written there once, before the first inference, by the firmware from the
 * program image's block data). Each of the slice's outputs j gets
 *   acc[j] = (acc[j] << SHIFT) + sum_k c[first_output + j][k] x in[k]
 * before requantization: the SRAM partial sum weighs 2^-SHIFT of an RRAM
 * weight LSB (SHIFT: the block's IMCVP_SRAM_COMP_SHIFT register).
 * The data at sram_off, sram_bytes in all:
 *   mask: layer_outputs x G bits, G = ceil(weight_rows / group_rows); bit
 *         (o x G + g) (byte >> 3, bit & 7, LSB first) set = group g of
 *         output o is kept (stored); zero padded to a multiple of 4 bytes;
 *   weights: the kept groups in (o, g) order, each its rows' weights
 *         (group_rows; the last group of an output: the remaining rows) as
 *         weight_bits-bit fields of one LSB-first bit stream, zero padded to
 *         a multiple of 4 bytes. A field is two's complement; 1-bit fields
 *         are binary weights: 0 = +1, 1 = -1.
 * A pruned group's weights are 0. */
#define IMCVP_EXT_SRAM_COMP 0x0003
typedef struct __attribute__((packed)) imcvp_ext_sram_comp {
  uint32_t sram_off;      /* byte offset of the layer's data in the block's SRAM */
  uint32_t sram_bytes;    /* its size */
  uint32_t weight_rows;   /* weight rows per output: the layer's fan-in */
  uint32_t kept_groups;   /* groups stored, over the whole layer */
  uint16_t layer_outputs; /* output channels of the whole layer (the data covers all) */
  uint16_t first_output;  /* layer output channel of this slice's output 0 */
  uint16_t group_rows;    /* weight rows per pruning group */
  uint8_t weight_bits;    /* bits per compensation weight, 1..8 */
  uint8_t reserved;
} imcvp_ext_sram_comp;

/* The layer runs on the tile's BasisScaler (BasisN, Eldebiky et al. 2024;
 * models/basis_scaler/, docs/techniques/basisn.md): payload imcvp_ext_basis.
 * The crossbars named by the layer (its IMCVP_EXT_XBAR_LIST, or desc.xbar
 * on) hold the global basis, written once: `copies` copies of the
 * length x count basis matrix B down the diagonal (copy b on rows
 * [b length, (b+1) length) and outputs [b count, (b+1) count), every other
 * cell at weight 0). The layer's weight rows (its fan-in, weight-row order)
 * are cut into segments = ceil(rows / length) segments of `length` rows; read
 * n of a window drives segments [n copies, (n+1) copies) on crossbar list
 * entry n, and gives, after shift-add, u[b][j] = sum_r B[r][j] x[(n copies +
 * b) length + r]. The scaler adds, for each of the slice's outputs o,
 *   acc[o] += sum_b sum_j c[o][s][j] x u[b][j],   s = n copies + b,
 * so acc[o] = sum_k W[o][k] x[k] with W[o][s length + r] = sum_j c[o][s][j] B[r][j]
 * (the scaler's accumulator holds 40 bits; the compiler checks the bound).
 * The coefficients sit in the scaler's coefficient memory at coef_off
 * (written there once, before the first inference, from the program image's
 * block data), coef_bytes in all: c[o][s][j] for o < desc.out_c, s <
 * segments, j < count in that order, as coef_bits-bit two's complement fields
 * of one LSB-first bit stream, zero padded to a multiple of 4 bytes. */
#define IMCVP_EXT_BASIS 0x0004
typedef struct __attribute__((packed)) imcvp_ext_basis {
  uint32_t coef_off;   /* byte offset of the slice's coefficients in the coefficient memory */
  uint32_t coef_bytes; /* their size */
  uint32_t segments;   /* segments of `length` weight rows per output */
  uint16_t length;     /* weight rows per segment: rows of one basis copy */
  uint16_t count;      /* basis vectors */
  uint16_t copies;     /* basis copies per crossbar: segments one read drives */
  uint8_t coef_bits;   /* bits per coefficient, 2..8 */
  uint8_t reserved;
} imcvp_ext_basis;

/* The cells a PROGRAM changes, for performance estimation (an image without
 * cell levels, IMCVP_IMAGE_FLAG_NO_LEVELS): the PROGRAM descriptor carries
 * this record instead of levels at param_off (which it does not read), and
 * the tile, in estimation (accelerator.tile.mode: estimate), charges the
 * expected cost of write-and-verify on those cells: counts[L] cells whose
 * level changes to L (the cells already at their level cost nothing, as in
 * a functional PROGRAM). Payload imcvp_ext_program_changes, then `levels`
 * uint32 counts[] (counts[0]: cells rewritten to level 0). A functional tile
 * refuses the record (it needs the levels themselves). The compiler counts
 * the change from what the crossbar holds when the firmware issues the
 * PROGRAM (program_image.h imcvp_image_program.ext_off). docs/accelerator.md
 * "Programming in estimation". */
#define IMCVP_EXT_PROGRAM_CHANGES 0x0005
typedef struct __attribute__((packed)) imcvp_ext_program_changes {
  uint16_t levels;         /* entries of counts[]: 2^cell_bits */
  uint16_t write_parallel; /* the crossbars' write_parallel_cells write_groups was counted for */
  /* write groups: the sum over the crossbar's rows of ceil(changed cells
   * of the row / write_parallel) (cells written together in one row) */
  uint32_t write_groups;
  /* uint32_t counts[levels] follow */
} imcvp_ext_program_changes;

/* SME bit-plane mapping of a Conv/FC layer slice (SpliceUnit, models/splice/;
 * docs/techniques/sme.md). The slice's crossbars (IMCVP_EXT_XBAR_LIST: one
 * entry per read, in table order) hold single bits of the weights'
 * magnitudes as 0/1 cells. Read n drives word line r of its crossbar with
 * the window's input at weight row rows_n[r] (rows of the whole layer, all
 * groups, in weight-row order: input channel, ky, kx) and converts its first
 * cols_n columns; column c holds bit `bit` of output `output`'s weights
 * (an output of the slice, 0 = channel desc.out_c's first), negated when
 * `negative`, so the splice unit adds +-(column << bit) into acc[output]:
 *   acc[o] = sum_n sum_{c: output o} (-1)^neg 2^bit sum_r cell[r][c] x[rows_n[r]].
 * The index tables sit in the splice unit's table memory at table_off,
 * table_bytes in all, written there once before the first inference from
 * the program image's block data: for each read n < reads, uint16 rows_n,
 * uint16 cols_n, rows_n uint16 weight rows, then (at the next 4-byte
 * boundary) cols_n uint32 column entries IMCVP_SPLICE_COLUMN(output, bit,
 * negative); each read's table starts at a 4-byte boundary. */
#define IMCVP_EXT_SPLICE 0x0006
typedef struct __attribute__((packed)) imcvp_ext_splice {
  uint32_t table_off;   /* byte offset of the slice's tables in the table memory */
  uint32_t table_bytes; /* their size */
  uint16_t reads;       /* crossbars read per window (and per pass) */
  uint16_t reserved;    /* 0 */
} imcvp_ext_splice;
#define IMCVP_SPLICE_COLUMN(output, bit, negative) \
  ((uint32_t)(output) | ((uint32_t)(bit) << 16) | ((negative) ? 0x80000000u : 0u))
#define IMCVP_SPLICE_COLUMN_OUTPUT(e) ((e) & 0xFFFFu)
#define IMCVP_SPLICE_COLUMN_BIT(e) (((e) >> 16) & 0x1Fu)
#define IMCVP_SPLICE_COLUMN_NEGATIVE(e) (((e) >> 31) & 1u)

/* A grouped convolution on crossbars of `rows` rows and `max_outputs`
 * outputs: `pack` consecutive groups share one set of crossbars as a
 * block-diagonal matrix (group j of the pack on weight rows [j kg, (j+1) kg)
 * and outputs [j ng, (j+1) ng), every other cell at weight 0), where
 * kg = in_c / groups x kernel_h x kernel_w and ng = out_c / groups. Pack p
 * (groups [p pack, (p+1) pack)) uses crossbars
 * xbar + p x ceil(pack kg / rows) x ceil(pack ng / max_outputs).
 * Depthwise 3x3 on 128 x 128 crossbars of 16 outputs: 14 channels a pack.
 * The one definition the compiler's placement and the tile use. */
static inline unsigned imcvp_group_pack(unsigned groups, unsigned kg, unsigned ng, unsigned rows,
                                        unsigned max_outputs)
{
    unsigned p;
    if (groups <= 1 || kg == 0 || ng == 0 || kg > rows || ng > max_outputs) return 1;
    p = rows / kg;
    if (max_outputs / ng < p) p = max_outputs / ng;
    if (p > groups) p = groups;
    return p ? p : 1;
}

#ifdef __cplusplus
static_assert(sizeof(imcvp_layer_desc) == IMCVP_LAYER_DESC_SIZE, "descriptor layout");
static_assert(sizeof(imcvp_requant) == 12, "requant layout");
static_assert(sizeof(imcvp_ext_record) == 4, "extension record layout");
static_assert(sizeof(imcvp_ext_weight_format) == 4, "weight format record layout");
static_assert(sizeof(imcvp_ext_sram_comp) == 24, "sram compensation record layout");
static_assert(sizeof(imcvp_ext_program_changes) == 8, "program changes record layout");
static_assert(sizeof(imcvp_ext_splice) == 12, "splice record layout");
#else
_Static_assert(sizeof(imcvp_layer_desc) == IMCVP_LAYER_DESC_SIZE, "descriptor layout");
_Static_assert(sizeof(imcvp_requant) == 12, "requant layout");
_Static_assert(sizeof(imcvp_ext_record) == 4, "extension record layout");
_Static_assert(sizeof(imcvp_ext_weight_format) == 4, "weight format record layout");
_Static_assert(sizeof(imcvp_ext_sram_comp) == 24, "sram compensation record layout");
_Static_assert(sizeof(imcvp_ext_program_changes) == 8, "program changes record layout");
_Static_assert(sizeof(imcvp_ext_splice) == 12, "splice record layout");
#endif

#endif /* IMCVP_ACCEL_H */
