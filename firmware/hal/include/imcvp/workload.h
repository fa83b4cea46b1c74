/*
 * imcvp workload memory: how the platform hands a network run to the
 * firmware. When a scenario has a `network:` section, the platform fills a
 * memory at IMCVP_WORKLOAD_BASE (imcvp/memory_map.h) with this header, the
 * program image (imcvp/program_image.h) and the test images, and leaves room
 * for one result record per image. The firmware runtime reads the header,
 * runs every image and writes the records; after the run the platform reads
 * them back: the report's accuracy comes from the firmware's predictions.
 * docs/accelerator.md "Running a network".
 *
 * Offsets are from IMCVP_WORKLOAD_BASE; all fields little-endian, 4-byte
 * aligned.
 */
#ifndef IMCVP_WORKLOAD_H
#define IMCVP_WORKLOAD_H

#include <stdint.h>

#define IMCVP_WORKLOAD_MAGIC 0x574D4349u /* "IMCW" in memory order */
#define IMCVP_WORKLOAD_VERSION 1

typedef struct imcvp_workload {
  uint32_t magic;        /* IMCVP_WORKLOAD_MAGIC */
  uint16_t version;      /* IMCVP_WORKLOAD_VERSION */
  uint16_t header_bytes; /* sizeof(imcvp_workload) */
  uint32_t image_off, image_bytes; /* the program image */
  /* inputs: input_count images of input_bytes uint8 pixels (CHW), one every
   * input_stride bytes */
  uint32_t input_off, input_count, input_bytes, input_stride;
  /* results: input_count imcvp_result records of result_stride bytes, each
   * followed by `classes` int32 scores */
  uint32_t result_off, result_stride, classes;
  uint32_t flags; /* IMCVP_WORKLOAD_* */
  uint32_t reserved[4];
} imcvp_workload;

/* imcvp_workload.flags */
#define IMCVP_WORKLOAD_PIPELINED 0x1 /* stream the images through the tiles as a layer pipeline */

/* imcvp_result.status */
#define IMCVP_RESULT_EMPTY 0 /* not run (the platform clears every record) */
#define IMCVP_RESULT_DONE 1  /* scores and prediction valid */

typedef struct imcvp_result {
  uint32_t status;    /* IMCVP_RESULT_* */
  int32_t prediction; /* class index: the first largest score */
  /* int32 scores[classes] follow */
} imcvp_result;

#ifdef __cplusplus
static_assert(sizeof(imcvp_workload) == 64, "workload header layout");
static_assert(sizeof(imcvp_result) == 8, "result layout");
#else
_Static_assert(sizeof(imcvp_workload) == 64, "workload header layout");
_Static_assert(sizeof(imcvp_result) == 8, "result layout");
#endif

#endif /* IMCVP_WORKLOAD_H */
