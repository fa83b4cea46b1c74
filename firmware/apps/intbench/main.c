/*
 * intbench: a CPU-bound integer workload for the simulator speed benchmark.
 *
 * Each iteration runs four kernels on inputs that depend on the iteration:
 *   - CRC32 (bit by bit) over a pseudo-random 4 KiB buffer
 *   - sieve of Eratosthenes below a limit of about 16 K
 *   - 24 x 24 int32 matrix multiply
 *   - quicksort (insertion sort below 16 elements) of 2048 ints
 * and checks each result by an independent method (table-driven CRC, trial
 * division on sampled numbers, Freivalds' product check, order + sum/xor
 * preservation). All results are folded into one checksum.
 *
 * The whole run retires about INTBENCH_ITERATIONS * 0.95 M instructions
 * (243 M at the default of 256, as the firmware build compiles it, -O2).
 * It prints the checksum and the instructions and cycles retired
 * (minstret/mcycle), and exits 0 when every self-check passed and, at the
 * default iteration count, the checksum is the known answer.
 *
 * Build on a host to get the expected checksum for another count:
 *   cc -O2 -DINTBENCH_HOST -DINTBENCH_ITERATIONS=10 main.c && ./a.out
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef INTBENCH_HOST
#include "imcvp/hal.h"
#endif

#ifndef INTBENCH_HOST
/* The same ELF is also timed on QEMU (bench/qemu_iss.py), whose binary
 * translation slows down badly when code and written data share a page: ask
 * the linker script to start the writable data on a page of its own. */
__asm__(".globl __imcvp_data_align\n.set __imcvp_data_align, 4096");
#endif

/* the one knob: total work is linear in it */
#ifndef INTBENCH_ITERATIONS
#define INTBENCH_ITERATIONS 256
#endif
/* checksum of a correct run at the default count (from a host build) */
#define INTBENCH_DEFAULT_ITERATIONS 256
#define INTBENCH_DEFAULT_CHECKSUM 0x7590f827u

#define CRC_BYTES 4096
#define SIEVE_MAX 16384
#define MAT_N 24
#define SORT_N 2048

/* ---- deterministic pseudo-random numbers (xorshift32) ---------------------- */
static uint32_t rng_state;

static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v + 0x9E3779B9u + (h << 6) + (h >> 2);
    return h;
}

static unsigned failures;

static void fail(const char *kernel, unsigned iter)
{
    if (failures++ < 10)
        printf("intbench: self-check of %s failed in iteration %u\n", kernel, iter);
}

/* ---- CRC32 (reflected, polynomial 0xEDB88320) -------------------------------- */
static uint8_t crc_buf[CRC_BYTES];
static uint32_t crc_table[256];

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void crc32_make_table(void)
{
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_table(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

static uint32_t kernel_crc(unsigned iter)
{
    for (size_t i = 0; i < CRC_BYTES; i += 4) {
        uint32_t r = rng_next();
        crc_buf[i] = (uint8_t)r;
        crc_buf[i + 1] = (uint8_t)(r >> 8);
        crc_buf[i + 2] = (uint8_t)(r >> 16);
        crc_buf[i + 3] = (uint8_t)(r >> 24);
    }
    uint32_t crc = crc32_bitwise(crc_buf, CRC_BYTES);
    if (crc != crc32_table(crc_buf, CRC_BYTES))
        fail("crc32", iter);
    return crc;
}

/* ---- sieve of Eratosthenes ---------------------------------------------------- */
static uint8_t composite[SIEVE_MAX];

static int is_prime_trial(uint32_t n)
{
    if (n < 2)
        return 0;
    for (uint32_t d = 2; d * d <= n; ++d)
        if (n % d == 0)
            return 0;
    return 1;
}

static uint32_t kernel_sieve(unsigned iter)
{
    uint32_t limit = SIEVE_MAX - 64u * (iter % 16u); /* numbers below limit */
    for (uint32_t i = 0; i < limit; ++i)
        composite[i] = 0;
    composite[0] = composite[1] = 1;
    for (uint32_t p = 2; p * p < limit; ++p)
        if (!composite[p])
            for (uint32_t m = p * p; m < limit; m += p)
                composite[m] = 1;
    uint32_t count = 0, sum = 0;
    for (uint32_t i = 0; i < limit; ++i)
        if (!composite[i]) {
            ++count;
            sum += i;
        }
    for (int s = 0; s < 8; ++s) {
        uint32_t n = rng_next() % limit;
        if (is_prime_trial(n) != !composite[n])
            fail("sieve", iter);
    }
    return mix(count, sum);
}

/* ---- matrix multiply ------------------------------------------------------------ */
static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static uint32_t kernel_matmul(unsigned iter)
{
    for (int i = 0; i < MAT_N; ++i)
        for (int j = 0; j < MAT_N; ++j) {
            mat_a[i][j] = (int32_t)(rng_next() % 2001u) - 1000;
            mat_b[i][j] = (int32_t)(rng_next() % 2001u) - 1000;
        }
    for (int i = 0; i < MAT_N; ++i)
        for (int j = 0; j < MAT_N; ++j) {
            int32_t acc = 0;
            for (int k = 0; k < MAT_N; ++k)
                acc += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = acc;
        }
    /* Freivalds: C x == A (B x) for a random x */
    int32_t x[MAT_N], bx[MAT_N];
    for (int i = 0; i < MAT_N; ++i)
        x[i] = (int32_t)(rng_next() % 7u) - 3;
    for (int i = 0; i < MAT_N; ++i) {
        int32_t acc = 0;
        for (int k = 0; k < MAT_N; ++k)
            acc += mat_b[i][k] * x[k];
        bx[i] = acc;
    }
    uint32_t h = 0;
    for (int i = 0; i < MAT_N; ++i) {
        int64_t lhs = 0, rhs = 0;
        for (int k = 0; k < MAT_N; ++k) {
            lhs += (int64_t)mat_c[i][k] * x[k];
            rhs += (int64_t)mat_a[i][k] * bx[k];
        }
        if (lhs != rhs)
            fail("matmul", iter);
        h = mix(h, (uint32_t)mat_c[i][i]);
    }
    return h;
}

/* ---- sort ----------------------------------------------------------------------- */
static int32_t sort_buf[SORT_N];

static void insertion_sort(int32_t *a, int n)
{
    for (int i = 1; i < n; ++i) {
        int32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            --j;
        }
        a[j + 1] = v;
    }
}

static void quick_sort(int32_t *a, int n)
{
    while (n > 16) {
        /* median of three as pivot */
        int32_t x = a[0], y = a[n / 2], z = a[n - 1];
        int32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                ++i;
            while (a[j] > pivot)
                --j;
            if (i >= j)
                break;
            int32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            ++i;
            --j;
        }
        /* recurse into the smaller part, loop on the larger */
        int left = j + 1;
        if (left < n - left) {
            quick_sort(a, left);
            a += left;
            n -= left;
        } else {
            quick_sort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static uint32_t kernel_sort(unsigned iter)
{
    uint32_t sum = 0, xr = 0;
    for (int i = 0; i < SORT_N; ++i) {
        int32_t v = (int32_t)rng_next();
        sort_buf[i] = v;
        sum += (uint32_t)v;
        xr ^= (uint32_t)v;
    }
    quick_sort(sort_buf, SORT_N);
    uint32_t sum2 = 0, xr2 = 0, h = 0;
    for (int i = 0; i < SORT_N; ++i) {
        if (i > 0 && sort_buf[i - 1] > sort_buf[i])
            fail("sort (order)", iter);
        sum2 += (uint32_t)sort_buf[i];
        xr2 ^= (uint32_t)sort_buf[i];
        h += (uint32_t)sort_buf[i] * (uint32_t)(i + 1);
    }
    if (sum != sum2 || xr != xr2)
        fail("sort (contents)", iter);
    return h;
}

int main(void)
{
    printf("intbench: %u iterations of crc32 (%u B), sieve (<%u), matmul (%ux%u), sort (%u)\n",
           (unsigned)INTBENCH_ITERATIONS, (unsigned)CRC_BYTES, (unsigned)SIEVE_MAX, (unsigned)MAT_N,
           (unsigned)MAT_N, (unsigned)SORT_N);
    crc32_make_table();
    rng_state = 2463534242u;
    uint32_t checksum = 0;
    for (unsigned iter = 0; iter < INTBENCH_ITERATIONS; ++iter) {
        checksum = mix(checksum, kernel_crc(iter));
        checksum = mix(checksum, kernel_sieve(iter));
        checksum = mix(checksum, kernel_matmul(iter));
        checksum = mix(checksum, kernel_sort(iter));
    }

    printf("intbench: checksum 0x%08" PRIx32 "\n", checksum);
#ifndef INTBENCH_HOST
    uint64_t instret = imcvp_minstret();
    uint64_t cycles = imcvp_mcycle();
    printf("intbench: instructions retired %" PRIu64 ", cycles %" PRIu64 "\n", instret, cycles);
#endif

    int ok = failures == 0;
    if (INTBENCH_ITERATIONS == INTBENCH_DEFAULT_ITERATIONS && checksum != INTBENCH_DEFAULT_CHECKSUM) {
        printf("intbench: checksum differs from the known answer 0x%08" PRIx32 "\n",
               (uint32_t)INTBENCH_DEFAULT_CHECKSUM);
        ok = 0;
    }
    printf("intbench: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
