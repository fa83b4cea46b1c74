/* infer: runs a network over a set of images on the accelerator. The
 * platform fills the workload memory (imcvp/workload.h) from the scenario's
 * `network:` section: the program image the compiler wrote, the test images,
 * and one empty result record per image. This app checks and loads the
 * image with the runtime (imcvp/runtime.h), runs every image, and writes
 * each image's class scores and prediction into its record; the platform
 * reads them back for the report's accuracy. It marks the phases
 * (IMCVP_SIMCTRL_MARK) so that the report splits programming from
 * inference. docs/accelerator.md "Running a network". */
#include <inttypes.h>
#include <stdio.h>

#include "imcvp/hal.h"
#include "imcvp/runtime.h"
#include "imcvp/workload.h"

static imcvp_rt rt;
static const imcvp_workload *w;

static imcvp_result *result(uint32_t i)
{
    return (imcvp_result *)(uintptr_t)(IMCVP_WORKLOAD_BASE + w->result_off + i * w->result_stride);
}

static void mark(uint32_t m) { imcvp_write32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_MARK, m); }

/* the first largest score, the record DONE, the IMAGE_END mark */
static void finish_image(uint32_t i)
{
    imcvp_result *r = result(i);
    const int32_t *scores = (const int32_t *)(r + 1);
    int32_t best = 0;
    for (uint32_t c = 1; c < w->classes; ++c)
        if (scores[c] > scores[best])
            best = (int32_t)c;
    r->prediction = best;
    r->status = IMCVP_RESULT_DONE;
    mark(IMCVP_MARK_IMAGE_END);
}

/* pipelined execution's callbacks */
static const uint8_t *stream_input(uint32_t i, void *ctx)
{
    (void)ctx;
    return (const uint8_t *)(uintptr_t)(IMCVP_WORKLOAD_BASE + w->input_off + i * w->input_stride);
}
static int stream_output(uint32_t i, const int32_t *scores, void *ctx)
{
    (void)ctx;
    int32_t *dst = (int32_t *)(result(i) + 1);
    for (uint32_t c = 0; c < w->classes; ++c)
        dst[c] = scores[c];
    finish_image(i);
    return 0;
}

/* [off, off + len) inside the workload memory of `size` bytes */
static int inside(uint32_t off, uint64_t len, uint32_t size) { return (uint64_t)off + len <= size; }

int main(void)
{
    const uint32_t size = imcvp_read32(IMCVP_SIMCTRL_BASE + IMCVP_SIMCTRL_WORKLOAD_SIZE);
    if (size < sizeof(imcvp_workload)) {
        printf("infer: no workload memory: the scenario needs a network: section\n");
        return 1;
    }
    const uint8_t *base = (const uint8_t *)(uintptr_t)IMCVP_WORKLOAD_BASE;
    w = (const imcvp_workload *)base;
    if (w->magic != IMCVP_WORKLOAD_MAGIC || w->version != IMCVP_WORKLOAD_VERSION ||
        w->header_bytes != sizeof *w) {
        printf("infer: workload memory: bad header (magic 0x%08" PRIx32 ", version %u)\n", w->magic, w->version);
        return 1;
    }
    const uint32_t rec_bytes = (uint32_t)sizeof(imcvp_result) + 4u * w->classes;
    if (!inside(w->image_off, w->image_bytes, size) ||
        !inside(w->input_off, (uint64_t)w->input_count * w->input_stride, size) || w->input_stride < w->input_bytes ||
        !inside(w->result_off, (uint64_t)w->input_count * w->result_stride, size) || w->result_stride < rec_bytes ||
        ((w->result_off | w->result_stride) & 3u)) {
        printf("infer: workload memory: a section lies outside its %" PRIu32 " bytes\n", size);
        return 1;
    }

    mark(IMCVP_MARK_LOAD_BEGIN);
    if (imcvp_rt_open(&rt, base + w->image_off, w->image_bytes))
        return 1;
    if (rt.in_elems != w->input_bytes || rt.out_elems != w->classes) {
        printf("infer: the network takes %" PRIu32 " inputs and gives %" PRIu32
               " scores; the workload has %" PRIu32 "-byte images and %" PRIu32 " classes\n",
               rt.in_elems, rt.out_elems, w->input_bytes, w->classes);
        return 1;
    }
    const int pipelined = (w->flags & IMCVP_WORKLOAD_PIPELINED) != 0;
    if (pipelined && imcvp_rt_pipeline_check(&rt))
        return 1;
    printf("infer: %" PRIu32 " layers on %u tile(s); %" PRIu32 " crossbar programs in %" PRIu32 " group(s)%s\n",
           rt.layers, rt.h.tiles, rt.h.program_count, rt.groups, pipelined ? "; pipelined" : "");
    if (imcvp_rt_load(&rt))
        return 1;

    printf("infer: running %" PRIu32 " images\n", w->input_count);
    mark(IMCVP_MARK_INFER_BEGIN);
    if (pipelined) {
        const imcvp_rt_stream io = {stream_input, stream_output, 0};
        if (imcvp_rt_run_pipelined(&rt, w->input_count, &io)) {
            printf("infer: pipelined run failed after %" PRIu32 " images\n", rt.images);
            return 1;
        }
    } else {
        for (uint32_t i = 0; i < w->input_count; ++i) {
            if (imcvp_rt_infer(&rt, stream_input(i, 0), (int32_t *)(result(i) + 1))) {
                printf("infer: image %" PRIu32 " failed\n", i);
                return 1;
            }
            finish_image(i);
        }
    }
    mark(IMCVP_MARK_INFER_END);
    printf("infer: %" PRIu32 " images done, %" PRIu32 " crossbars programmed (%" PRIu32 " group changes)\n",
           rt.images, rt.crossbars_programmed, rt.reprogrammings);
    return 0;
}
